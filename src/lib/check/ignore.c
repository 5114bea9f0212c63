/*
 * ignore.c - accepting findings (ignore.h).
 *
 * Inline comments are looked up in the finding's own file: the `---`
 * section around the finding's line (a line starting with `---` at column
 * 0 separates sections, in manifests and chart templates alike) is searched
 * for `#` comments `kupgrade:ignore RULE [reason]`.  The last file read is
 * kept, since findings are sorted by path.  Only regular files are read
 * again: a pipe, a FIFO or stdin cannot be, so their comments are noted
 * from the bytes as the scan reads them (kup_ignore_tap): each comment with
 * the lines of its section, [start, end).
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

/* An inline comment of a file that cannot be read again, and its section's lines. */
struct noted {
	char *path;         /* shared by the file's comments: owned by the first */
	uint32_t start, end;
	char *line;         /* from its '#' on */
	size_t len;
};

/* The tap's state in the file being read: its line, what the line holds so far. */
#define TAP_KEEP 512        /* bytes of a line kept from its first '#' */
struct tap {
	char *path;         /* NULL: no file yet */
	bool noting;        /* the file cannot be read again */
	bool path_used;     /* a noted comment owns path */
	uint32_t line, sec_start;
	size_t col;         /* bytes of this line so far */
	char head[3];       /* its first bytes (a "---" separator?) */
	bool hash;          /* a '#' seen: buf holds the line from it */
	char buf[TAP_KEEP];
	size_t blen;
	size_t first_open;  /* noted[first_open..] are in the open section */
};

struct kup_ignore {
	struct rule *rules;
	size_t n, cap;
	struct noted *noted;
	size_t nnoted, ncap;
	struct tap tap;
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
	for (i = 0; i < ign->nnoted; i++) {
		if (i == 0 || ign->noted[i].path != ign->noted[i - 1].path)
			free(ign->noted[i].path);
		free(ign->noted[i].line);
	}
	free(ign->noted);
	if (!ign->tap.path_used)
		free(ign->tap.path);
	free(ign->path);
	free(ign->text);
	free(ign);
}

/* ---- comments of what cannot be read again ----------------------------------------------- */

/* A file that can be read a second time: a regular file by name (not "-"). */
static bool rereadable(const char *path)
{
	struct stat st;

	return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool has_marker(const char *p, size_t n)
{
	for (size_t i = 0; i + 15 <= n; i++)
		if (p[i] == 'k' && memcmp(p + i, "kupgrade:ignore", 15) == 0)
			return true;
	return false;
}

/* The end of the tap's line: a separator closes the open section; a comment is noted. */
static void tap_line(struct kup_ignore *ign)
{
	struct tap *t = &ign->tap;
	struct noted *nd;

	if (t->col >= 3 && memcmp(t->head, "---", 3) == 0) {
		for (size_t i = t->first_open; i < ign->nnoted; i++)
			ign->noted[i].end = t->line;
		t->first_open = ign->nnoted;
		t->sec_start = t->line;
	}
	if (t->hash && has_marker(t->buf, t->blen) &&
	    kup_grow(&ign->noted, &ign->ncap, ign->nnoted + 1, sizeof(*ign->noted), 8)) {
		nd = &ign->noted[ign->nnoted];
		nd->line = kup_malloc(t->blen);
		if (nd->line) {
			memcpy(nd->line, t->buf, t->blen);
			nd->len = t->blen;
			nd->path = t->path;
			nd->start = t->sec_start;
			nd->end = UINT32_MAX;
			t->path_used = true;
			ign->nnoted++;
		}
	}
	t->line++;
	t->col = 0;
	t->hash = false;
	t->blen = 0;
}

void kup_ignore_tap(void *ctx, const char *path, const char *buf, size_t n)
{
	struct kup_ignore *ign = ctx;
	struct tap *t = &ign->tap;
	size_t i;

	if (!path)
		return;
	if (!t->path || strcmp(t->path, path) != 0) {
		/* a new file: the last line of the one before ends */
		if (t->path && t->noting && t->col)
			tap_line(ign);
		if (!t->path_used)
			free(t->path);
		memset(t, 0, sizeof(*t));
		t->path = kup_strdup(path);
		if (!t->path)
			return;
		t->noting = !rereadable(path);
		t->line = t->sec_start = 1;
		t->first_open = ign->nnoted;
	}
	if (!t->noting)
		return;
	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n') {
			tap_line(ign);
			continue;
		}
		if (t->col < 3)
			t->head[t->col] = c;
		t->col++;
		if (c == '#' && !t->hash)
			t->hash = true;
		if (t->hash && t->blen < sizeof(t->buf))
			t->buf[t->blen++] = c;
	}
}

/* Ends the file the tap is in (its last line may have no newline). */
static void tap_end(struct kup_ignore *ign)
{
	if (ign->tap.path && ign->tap.noting && ign->tap.col)
		tap_line(ign);
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

	if (!f->src.path || !f->src.line || !f->rule_id)
		return NULL;
	if (!rereadable(f->src.path)) {
		for (size_t i = 0; i < ign->nnoted; i++) {
			const struct noted *nd = &ign->noted[i];
			if (nd->start <= f->src.line && f->src.line < nd->end &&
			    strcmp(nd->path, f->src.path) == 0 &&
			    comment_matches(nd->line, nd->line + nd->len, f->rule_id, buf, size))
				return buf;
		}
		return NULL;
	}
	if (!load(ign, f->src.path))
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

	tap_end(ign);
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
