/*
 * template.c - finding apiVersion/kind in un-rendered Helm chart templates.
 *
 * A chart template is a Go text/template whose output is YAML; the
 * template itself usually is not valid YAML ({{ }} actions, {{- trims,
 * whole documents inside {{ if }} ... {{ end }}).  So we do not parse it:
 * we read it line by line with a small lexer that knows where actions
 * start and end (across lines, with their strings and comments), cut each
 * line into segments of literal text at the control actions (if, else,
 * end, range, with, define, block, comments, assignments), and look at
 * each segment that starts a line or follows a control action as a
 * possible `key: value` line.
 *
 * Within a `---`-separated section, a key at the section's base
 * indentation (that of its first key, normally column 0) is top-level:
 * `apiVersion:` and `kind:` make items, `metadata:` opens the block whose
 * first-level `name:` names them.  Alternatives in {{ if }}/{{ else }}
 * branches give several apiVersion (or kind) lines in one section, and
 * each becomes its own item; a kind (or name) is shared by every item of
 * the section that has none, so
 *
 *     {{- if semverCompare ">=1.19-0" .Capabilities.KubeVersion.GitVersion }}
 *     apiVersion: networking.k8s.io/v1
 *     {{- else }}
 *     apiVersion: extensions/v1beta1
 *     {{- end }}
 *     kind: Ingress
 *
 * gives two Ingress items.  Items are delivered when their section ends.
 */
#include <stdlib.h>
#include <string.h>

#include "kupgrade/helm.h"
#include "kupgrade/yaml.h"

#define KUP_TPL_MAX_SEGS 32

/* The lexer's state, carried from line to line. */
struct lexer {
	bool in_action;
	bool control;       /* the open action prints nothing */
	bool in_comment;    /* inside a slash-star comment of an action */
	char quote;         /* '"', '\'' or '`' inside an action's string */
	bool escape;
};

struct segment {
	size_t start, end;  /* byte offsets in the line */
	bool keyable;       /* begins the line, or right after a control action */
	bool line_start;    /* begins at byte 0 of the line, outside any action */
};

struct pending {
	struct kup_template_item item;
	bool has_api, has_kind, has_name;
	uint32_t api_line, api_col, kind_line, kind_col;
};

struct scanner {
	kup_template_fn fn;
	void *ctx;
	struct lexer lx;

	/* the current section */
	uint32_t section_line;
	long base_indent;          /* -1 until the first key */
	bool in_metadata;
	long meta_indent;          /* indentation of metadata's children, -1 unknown */
	struct pending *items;
	size_t nitems, cap;
	/*
	 * The items lacking an apiVersion (kind, name) are exactly those added
	 * since the last apiVersion (kind, name) line, which filled all the
	 * others: a suffix of items[] starting here.  Keeps the scan linear.
	 */
	size_t no_api_from, no_kind_from, no_name_from;
	struct pending last;       /* the last apiVersion/kind/name seen */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* 1-based column of byte `off` of a line, counting UTF-8 characters. */
static uint32_t column_of(const char *line, size_t off)
{
	uint32_t col = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (((unsigned char)line[i] & 0xc0) != 0x80)
			col++;
	return col;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	size_t wl = strlen(w);

	if (n < wl || memcmp(p, w, wl) != 0)
		return false;
	return n == wl || !((p[wl] >= 'a' && p[wl] <= 'z') || (p[wl] >= 'A' && p[wl] <= 'Z') ||
			    (p[wl] >= '0' && p[wl] <= '9') || p[wl] == '_');
}

/*
 * Whether the action starting at p[0..n) (just past "{{") prints nothing:
 * a control keyword, a comment or a variable assignment.  When the line
 * ends before the answer is known, the action counts as printing.
 */
static bool action_is_control(const char *p, size_t n)
{
	static const char *const words[] = {
		"if", "else", "end", "range", "with", "define", "block",
		"break", "continue",
	};
	size_t i = 0, k;

	if (i + 1 < n && p[i] == '-' && is_blank(p[i + 1]))
		i++;
	while (i < n && is_blank(p[i]))
		i++;
	if (i + 1 < n && p[i] == '/' && p[i + 1] == '*')
		return true;
	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (word_is(p + i, n - i, words[k]))
			return true;
	if (i < n && p[i] == '$') {
		i++;
		while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
				 (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			i++;
		while (i < n && is_blank(p[i]))
			i++;
		if (i < n && p[i] == '=')
			return true;
		if (i + 1 < n && p[i] == ':' && p[i + 1] == '=')
			return true;
	}
	return false;
}

/* Cuts one line into literal segments, advancing the lexer. */
static size_t split_line(struct lexer *lx, const char *line, size_t n,
			 struct segment *segs)
{
	size_t nseg = 0, i = 0;
	long seg_start = lx->in_action ? -1 : 0;
	bool keyable = !lx->in_action, line_start = !lx->in_action;

#define CLOSE_SEG(at)                                                        \
	do {                                                                 \
		if (seg_start >= 0 && nseg < KUP_TPL_MAX_SEGS &&             \
		    (size_t)seg_start < (at)) {                              \
			segs[nseg].start = (size_t)seg_start;                \
			segs[nseg].end = (at);                               \
			segs[nseg].keyable = keyable;                        \
			segs[nseg].line_start = line_start;                  \
			nseg++;                                              \
		}                                                            \
		seg_start = -1;                                              \
	} while (0)

	while (i < n) {
		char c = line[i];

		if (!lx->in_action) {
			if (c == '{' && i + 1 < n && line[i + 1] == '{') {
				lx->in_action = true;
				lx->control = action_is_control(line + i + 2, n - i - 2);
				lx->in_comment = false;
				lx->quote = 0;
				lx->escape = false;
				if (lx->control) {
					CLOSE_SEG(i);
				} else if (seg_start < 0) {
					seg_start = (long)i;
					keyable = false;
					line_start = false;
				}
				i += 2;
				continue;
			}
			i++;
			continue;
		}
		/* inside an action */
		if (lx->in_comment) {
			if (c == '*' && i + 1 < n && line[i + 1] == '/') {
				lx->in_comment = false;
				i += 2;
			} else {
				i++;
			}
			continue;
		}
		if (lx->quote) {
			if (lx->escape)
				lx->escape = false;
			else if (c == '\\' && lx->quote != '`')
				lx->escape = true;
			else if (c == lx->quote)
				lx->quote = 0;
			i++;
			continue;
		}
		if (c == '"' || c == '\'' || c == '`') {
			lx->quote = c;
			i++;
			continue;
		}
		if (c == '/' && i + 1 < n && line[i + 1] == '*') {
			lx->in_comment = true;
			i += 2;
			continue;
		}
		if (c == '}' && i + 1 < n && line[i + 1] == '}') {
			lx->in_action = false;
			i += 2;
			if (lx->control) {
				seg_start = (long)i;
				keyable = true;
				line_start = false;
			} else if (seg_start < 0) {
				/* the tail of an action that began on an earlier line */
				seg_start = (long)i;
				keyable = false;
				line_start = false;
			}
			continue;
		}
		i++;
	}
	/* a double-quoted or char string does not span lines in Go templates */
	if (lx->in_action && lx->quote && lx->quote != '`') {
		lx->quote = 0;
		lx->escape = false;
	}
	/* an output action running past the end stays in the segment */
	if (seg_start >= 0)
		CLOSE_SEG(n);
#undef CLOSE_SEG
	return nseg;
}

/* ---- sections and items --------------------------------------------------- */

static enum kup_status flush_section(struct scanner *sc)
{
	enum kup_status st = KUP_OK;
	size_t i;

	for (i = 0; i < sc->nitems && st == KUP_OK; i++) {
		struct pending *p = &sc->items[i];

		if (!p->has_kind && sc->last.has_kind) {
			p->item.kind = sc->last.item.kind;
			p->item.kind_templated = sc->last.item.kind_templated;
			p->kind_line = sc->last.kind_line;
			p->kind_col = sc->last.kind_col;
		}
		if (!p->has_api && sc->last.has_api) {
			p->item.api_version = sc->last.item.api_version;
			p->item.api_templated = sc->last.item.api_templated;
			p->api_line = sc->last.api_line;
			p->api_col = sc->last.api_col;
			p->has_api = true;
		}
		if (!p->has_name && sc->last.has_name)
			p->item.name = sc->last.item.name;
		if (p->has_api) {
			p->item.line = p->api_line;
			p->item.column = p->api_col;
		} else {
			p->item.line = p->kind_line;
			p->item.column = p->kind_col;
		}
		p->item.section_line = sc->section_line;
		st = sc->fn(sc->ctx, &p->item);
	}
	sc->nitems = 0;
	sc->no_api_from = sc->no_kind_from = sc->no_name_from = 0;
	return st;
}

static void new_section(struct scanner *sc, uint32_t first_line)
{
	sc->section_line = first_line;
	sc->base_indent = -1;
	sc->in_metadata = false;
	sc->meta_indent = -1;
	memset(&sc->last, 0, sizeof(sc->last));
}

static struct pending *add_item(struct scanner *sc)
{
	struct pending *p;

	if (sc->nitems == sc->cap) {
		size_t ncap = sc->cap ? sc->cap * 2 : 8;
		struct pending *np = kup_xrealloc_array(sc->items, ncap, sizeof(*np));

		if (!np)
			return NULL;
		sc->items = np;
		sc->cap = ncap;
	}
	p = &sc->items[sc->nitems++];
	memset(p, 0, sizeof(*p));
	return p;
}

static bool has_action(struct kup_str v)
{
	size_t i;

	for (i = 0; i + 1 < v.n; i++)
		if (v.p[i] == '{' && v.p[i + 1] == '{')
			return true;
	return false;
}

static enum kup_status on_api(struct scanner *sc, struct kup_str val, uint32_t line,
			      uint32_t col)
{
	bool tpl = has_action(val), filled = false;
	size_t i;

	for (i = sc->no_api_from; i < sc->nitems; i++) {
		struct pending *p = &sc->items[i];

		if (p->has_api)
			continue;
		p->has_api = true;
		p->item.api_version = val;
		p->item.api_templated = tpl;
		p->api_line = line;
		p->api_col = col;
		filled = true;
	}
	if (!filled) {
		struct pending *p = add_item(sc);

		if (!p)
			return KUP_NOMEM;
		p->has_api = true;
		p->item.api_version = val;
		p->item.api_templated = tpl;
		p->api_line = line;
		p->api_col = col;
	}
	sc->no_api_from = sc->nitems;
	sc->last.has_api = true;
	sc->last.item.api_version = val;
	sc->last.item.api_templated = tpl;
	sc->last.api_line = line;
	sc->last.api_col = col;
	return KUP_OK;
}

static enum kup_status on_kind(struct scanner *sc, struct kup_str val, uint32_t line,
			       uint32_t col)
{
	bool tpl = has_action(val), filled = false;
	size_t i;

	for (i = sc->no_kind_from; i < sc->nitems; i++) {
		struct pending *p = &sc->items[i];

		if (p->has_kind)
			continue;
		p->has_kind = true;
		p->item.kind = val;
		p->item.kind_templated = tpl;
		p->kind_line = line;
		p->kind_col = col;
		filled = true;
	}
	if (!filled) {
		struct pending *p = add_item(sc);

		if (!p)
			return KUP_NOMEM;
		p->has_kind = true;
		p->item.kind = val;
		p->item.kind_templated = tpl;
		p->kind_line = line;
		p->kind_col = col;
	}
	sc->no_kind_from = sc->nitems;
	sc->last.has_kind = true;
	sc->last.item.kind = val;
	sc->last.item.kind_templated = tpl;
	sc->last.kind_line = line;
	sc->last.kind_col = col;
	return KUP_OK;
}

static void on_name(struct scanner *sc, struct kup_str val)
{
	size_t i;

	if (has_action(val) || val.n == 0)
		return;
	for (i = sc->no_name_from; i < sc->nitems; i++) {
		if (!sc->items[i].has_name) {
			sc->items[i].has_name = true;
			sc->items[i].item.name = val;
		}
	}
	sc->no_name_from = sc->nitems;
	sc->last.has_name = true;
	sc->last.item.name = val;
}

/*
 * Splits "key: value  # comment" (s[0..n), no leading blanks) into key and
 * value.  False when it is not a plain mapping line with a literal key.
 */
static bool split_key(const char *s, size_t n, struct kup_str *key, size_t *val_off)
{
	size_t i = 0, kend;

	if (n == 0 || s[0] == '#' || s[0] == '-' || s[0] == '{' || s[0] == '[' ||
	    s[0] == '&' || s[0] == '*' || s[0] == '!' || s[0] == '|' || s[0] == '>')
		return false;
	if (s[0] == '"' || s[0] == '\'') {
		char q = s[0];

		for (i = 1; i < n && s[i] != q; i++)
			;
		if (i >= n)
			return false;
		*key = (struct kup_str){ s + 1, i - 1 };
		i++;
		while (i < n && is_blank(s[i]))
			i++;
		if (i >= n || s[i] != ':')
			return false;
		kend = i;
	} else {
		for (i = 0; i < n; i++) {
			if (s[i] == ':' && (i + 1 == n || is_blank(s[i + 1])))
				break;
			if (s[i] == '{' && i + 1 < n && s[i + 1] == '{')
				return false;
			if (s[i] == '#' && i > 0 && is_blank(s[i - 1]))
				return false;
		}
		if (i >= n)
			return false;
		kend = i;
		while (kend > 0 && is_blank(s[kend - 1]))
			kend--;
		*key = (struct kup_str){ s, kend };
		kend = i;
	}
	i = kend + 1;
	while (i < n && is_blank(s[i]))
		i++;
	*val_off = i;
	return true;
}

static bool is_doc_marker(const char *s, size_t n, const char *m)
{
	return n >= 3 && memcmp(s, m, 3) == 0 && (n == 3 || is_blank(s[3]));
}

static enum kup_status scan_segment(struct scanner *sc, const char *line,
				    const struct segment *sg, uint32_t lineno)
{
	const char *s = line + sg->start;
	size_t n = sg->end - sg->start, ind = 0, voff, skip;
	struct kup_str key, val;
	uint32_t col;

	if (!sg->keyable)
		return KUP_OK;
	while (ind < n && is_blank(s[ind]))
		ind++;
	if (ind == n || s[ind] == '#')
		return KUP_OK;
	if (!split_key(s + ind, n - ind, &key, &voff))
		return KUP_OK;
	if (sc->base_indent < 0 || (long)ind < sc->base_indent)
		sc->base_indent = (long)ind;
	if ((long)ind > sc->base_indent) {
		if (!sc->in_metadata)
			return KUP_OK;
		if (sc->meta_indent < 0)
			sc->meta_indent = (long)ind;
		if ((long)ind == sc->meta_indent && kup_str_eqc(key, "name")) {
			val = kup_yaml_line_value(s + ind + voff, n - ind - voff, true, &skip);
			on_name(sc, val);
		}
		return KUP_OK;
	}
	/* a top-level key */
	val = kup_yaml_line_value(s + ind + voff, n - ind - voff, true, &skip);
	sc->in_metadata = kup_str_eqc(key, "metadata") && val.n == 0;
	sc->meta_indent = -1;
	if (val.n == 0)
		return KUP_OK;
	col = column_of(line, sg->start + ind + voff + skip);
	if (kup_str_eqc(key, "apiVersion"))
		return on_api(sc, val, lineno, col);
	if (kup_str_eqc(key, "kind"))
		return on_kind(sc, val, lineno, col);
	return KUP_OK;
}

enum kup_status kup_template_scan(const char *text, size_t len,
				  kup_template_fn fn, void *ctx)
{
	struct scanner sc;
	struct segment segs[KUP_TPL_MAX_SEGS];
	enum kup_status st = KUP_OK;
	size_t pos = 0;
	uint32_t lineno = 1;

	if (!fn)
		return KUP_INVALID;
	memset(&sc, 0, sizeof(sc));
	sc.fn = fn;
	sc.ctx = ctx;
	new_section(&sc, 1);
	if (!text)
		len = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t full = n, nseg, k;

		if (n > 0 && line[n - 1] == '\r')
			n--;
		nseg = split_line(&sc.lx, line, n, segs);
		for (k = 0; k < nseg; k++) {
			const struct segment *sg = &segs[k];

			if (k == 0 && sg->line_start && sg->start == 0 &&
			    (is_doc_marker(line, sg->end, "---") ||
			     is_doc_marker(line, sg->end, "..."))) {
				st = flush_section(&sc);
				if (st != KUP_OK)
					goto out;
				new_section(&sc, lineno + 1);
				continue;
			}
			st = scan_segment(&sc, line, sg, lineno);
			if (st != KUP_OK)
				goto out;
		}
		pos += full + (nl ? 1 : 0);
		if (lineno < UINT32_MAX)
			lineno++;
	}
	st = flush_section(&sc);
out:
	free(sc.items);
	return st;
}
