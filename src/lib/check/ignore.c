/*
 * ignore.c - accepting findings (ignore.h).
 *
 * Inline comments are looked up in the finding's own file: the `---`
 * section around the finding's line (a line starting with `---` at column
 * 0 separates sections, in manifests and chart templates alike) is searched
 * for `#` comments `kupgrade:ignore RULE [reason]`.  The last file read is
 * kept, since findings are sorted by path.  Only regular files are read
 * again: the inline comments of a pipe, FIFO or stdin are not honoured
 * (the scan read them once; an --ignore-file applies to them as to files).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kupgrade/ignore.h"

#define MAX_IGNORE_FILE (4u << 20)
#define MAX_SCANNED_FILE (64u << 20)

struct rule {
	char *rule, *path, *reason;
};

struct kup_ignore {
	struct rule *rules;
	size_t n, cap;
	char **reasons;     /* of inline comments, kept for the findings */
	size_t nreasons, rcap;
	char *path;         /* the file in `text` */
	char *text;
	size_t len;
	bool unreadable;
};

struct kup_ignore *kup_ignore_new(void)
{
	return calloc(1, sizeof(struct kup_ignore));
}

void kup_ignore_free(struct kup_ignore *ign)
{
	size_t i;

	if (!ign)
		return;
	for (i = 0; i < ign->n; i++) {
		free(ign->rules[i].rule);
		free(ign->rules[i].path);
		free(ign->rules[i].reason);
	}
	free(ign->rules);
	for (i = 0; i < ign->nreasons; i++)
		free(ign->reasons[i]);
	free(ign->reasons);
	free(ign->path);
	free(ign->text);
	free(ign);
}

static char *word(const char **p)
{
	const char *s = *p, *e;
	char *w;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s;
	while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r')
		e++;
	if (e == s)
		return NULL;
	w = strndup(s, (size_t)(e - s));
	*p = e;
	return w;
}

static char *rest(const char *p)
{
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, "\r\n");
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n ? strndup(p, n) : NULL;
}

enum kup_status kup_ignore_load(struct kup_ignore *ign, const char *path,
				const struct kup_error_sink *sink)
{
	struct kup_error err = KUP_ERROR_INIT;
	char *text = NULL, *line;
	size_t len = 0;
	uint32_t lineno = 0;
	enum kup_status st;

	st = kup_read_file(path, MAX_IGNORE_FILE, &text, &len, &err);
	if (st != KUP_OK) {
		kup_error_emit(sink, &err);
		kup_error_release(&err);
		return KUP_IO;
	}
	for (line = text; line && *line; ) {
		char *nl = strchr(line, '\n'), *r, *pth;
		const char *p = line;
		lineno++;
		if (nl)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#' && *p != '\r') {
			r = word(&p);
			pth = word(&p);
			if (!r || !pth) {
				kup_error_report(sink, KUP_PARSE, path, lineno, 1,
						 "expected RULE-PATTERN PATH-PATTERN [reason]");
				free(r);
				free(pth);
			} else if (!kup_grow(&ign->rules, &ign->cap, ign->n + 1, sizeof(*ign->rules), 8)) {
				free(r);
				free(pth);
				free(text);
				return KUP_NOMEM;
			} else {
				char *why = rest(p);
				ign->rules[ign->n].rule = r;
				ign->rules[ign->n].path = pth;
				ign->rules[ign->n].reason = why ? why : NULL;
				if (!why) {
					struct kup_buf b = KUP_BUF_INIT;
					kup_buf_addf(&b, "listed in %s:%u", path, lineno);
					ign->rules[ign->n].reason = kup_buf_detach(&b, NULL);
				}
				ign->n++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return KUP_OK;
}

static bool load(struct kup_ignore *ign, const char *path)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct stat st;

	if (ign->path && strcmp(ign->path, path) == 0)
		return !ign->unreadable;
	free(ign->path);
	free(ign->text);
	ign->text = NULL;
	ign->len = 0;
	ign->path = strdup(path);
	/* Only a regular file can be read a second time: a pipe, a FIFO or stdin
	   was consumed by the scan (and opening a FIFO again would wait for a
	   writer), so their inline comments are not looked up. */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		ign->unreadable = true;
		return false;
	}
	ign->unreadable = kup_read_file(path, MAX_SCANNED_FILE, &ign->text, &ign->len, &err) != KUP_OK;
	kup_error_release(&err);
	return !ign->unreadable;
}

static bool is_sep(const char *ls, const char *end)
{
	return end - ls >= 3 && memcmp(ls, "---", 3) == 0;
}

/* Matches "# kupgrade:ignore PATTERN [reason]" in [p, le) against rule_id. */
static bool comment_matches(const char *p, const char *le, const char *rule_id, char *buf, size_t size)
{
	const char *c = memchr(p, '#', (size_t)(le - p)), *q;
	char pat[256];
	size_t pn = 0, rn;

	if (!c)
		return false;
	q = c + 1;
	while (q < le && (*q == ' ' || *q == '\t'))
		q++;
	if (le - q <= 15 || memcmp(q, "kupgrade:ignore", 15) != 0 || (q[15] != ' ' && q[15] != '\t'))
		return false;
	q += 15;
	while (q < le && (*q == ' ' || *q == '\t'))
		q++;
	while (q < le && *q != ' ' && *q != '\t' && *q != '\r' && pn + 1 < sizeof(pat))
		pat[pn++] = *q++;
	pat[pn] = '\0';
	if (!pn || fnmatch(pat, rule_id, 0) != 0)
		return false;
	while (q < le && (*q == ' ' || *q == '\t'))
		q++;
	rn = (size_t)(le - q);
	while (rn && (q[rn - 1] == '\r' || q[rn - 1] == ' ' || q[rn - 1] == '\t'))
		rn--;
	if (rn == 0)
		snprintf(buf, size, "kupgrade:ignore comment");
	else
		snprintf(buf, size, "%.*s", (int)(rn > 200 ? 200 : rn), q);
	return true;
}

/* The reason of an inline `kupgrade:ignore` for the finding's rule in its `---` section. */
static const char *inline_reason(struct kup_ignore *ign, const struct kup_finding *f,
				 char *buf, size_t size)
{
	const char *t, *end, *p, *sec = NULL;
	uint32_t l = 1;

	if (!f->src.path || !f->src.line || !f->rule_id || strcmp(f->src.path, "-") == 0 ||
	    !load(ign, f->src.path))
		return NULL;
	t = ign->text;
	end = t + ign->len;
	/* the section starts at the last separator line before the finding's line */
	for (p = t; p < end && l < f->src.line; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (is_sep(p, end))
			sec = p;
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (is_sep(p, end))
		sec = p;   /* "---apiVersion: ..." glued in a template */
	if (!sec)
		sec = t;
	for (p = sec; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		if (p > sec && p > t && is_sep(p, end)) {
			/* a separator after the finding's line ends the section */
			const char *q;
			uint32_t lp = 1;
			for (q = t; q < p; q++)
				lp += *q == '\n';
			if (lp > f->src.line)
				break;
		}
		if (comment_matches(p, le, f->rule_id, buf, size))
			return buf;
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

size_t kup_ignore_apply(struct kup_ignore *ign, struct kup_scan *scan)
{
	size_t i, j, n = 0;
	char buf[256];

	for (i = 0; i < kup_scan_count(scan); i++) {
		struct kup_finding *f = kup_scan_at_mut(scan, i);
		const char *why = NULL;

		for (j = 0; j < ign->n && !why; j++)
			if (f->rule_id && f->src.path && fnmatch(ign->rules[j].rule, f->rule_id, 0) == 0 &&
			    fnmatch(ign->rules[j].path, f->src.path, 0) == 0)
				why = ign->rules[j].reason;
		if (!why && (f->src.type == KUP_SRC_FILE || f->src.type == KUP_SRC_CHART_TEMPLATE) &&
		    inline_reason(ign, f, buf, sizeof(buf))) {
			/* the reason outlives buf in the ignore set */
			char *r = strdup(buf);
			if (r && kup_grow(&ign->reasons, &ign->rcap, ign->nreasons + 1,
					  sizeof(*ign->reasons), 8)) {
				ign->reasons[ign->nreasons++] = r;
				why = r;
			} else {
				free(r);
			}
		}
		if (why) {
			f->ignored = why;
			n++;
		}
	}
	return n;
}
