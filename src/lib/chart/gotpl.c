/*
 * gotpl.c - a Go text/template evaluator for Helm chart templates.
 *
 * Follows text/template (https://pkg.go.dev/text/template): actions with
 * trim markers, comments, define/template/block, if/else if/else, with,
 * range over lists, maps (sorted keys) and integers, break/continue,
 * variables (:= declares, = assigns), pipelines (the piped value is the
 * last argument) and and/or evaluated lazily.  Helm's engine adds include,
 * tpl and required; Sprig's functions that charts use around apiVersions
 * and conditions are implemented below (see the table in call_func()).
 * Everything else yields an unknown value naming what was not evaluated.
 *
 * The output of a map field missing from its map is nil (missingkey=zero,
 * Helm's default) and prints as "" (Helm drops "<no value>").  A field of
 * a nil value inside a chain is Go's "nil pointer evaluating" error, under
 * which Helm fails: it is unknown here.  Values read from YAML hold
 * numbers as float64, as Helm's values do.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart/gotpl.h"
#include "kupgrade/version.h"

#define GT_MAX_DEPTH 100          /* nested template calls */
#define GT_MAX_STEPS 4000000ul    /* node evaluations and range iterations per render */
#define GT_MAX_OUT (16u << 20)    /* bytes of one output */
#define GT_MAX_REASONS 100000u

/* ---- the parse tree ---------------------------------------------------------- */

enum arg_kind { A_DOT, A_FIELD, A_VAR, A_IDENT, A_STR, A_NUM, A_BOOL, A_NIL, A_PIPE };

struct gt_pipe;

struct gt_arg {
	uint8_t k;
	bool isint;
	const char *s;           /* A_STR value, A_VAR/A_IDENT name */
	size_t n;
	int64_t i;
	double f;
	bool b;
	struct gt_pipe *pipe;
	const char **fields;     /* the field chain after the term */
	size_t nfields;
};

struct gt_cmd {
	struct gt_arg *args;
	size_t nargs;
};

struct gt_pipe {
	const char *vars[2];
	size_t nvars;
	bool decl;               /* := */
	bool assign;             /* = */
	struct gt_cmd *cmds;
	size_t ncmds;
	const char *text;        /* the pipeline's source, for reasons */
	size_t tlen;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_BREAK, N_CONTINUE };

struct gt_node {
	uint8_t k;
	size_t off;              /* offset of the text or action in its file */
	const char *text;        /* N_TEXT */
	size_t n;
	struct gt_pipe *pipe;
	struct gt_node *list, *elselist;
	const char *name;        /* N_TEMPLATE */
	struct gt_node *next;
};

struct gt_file {
	const char *name;
	const char *text;
	size_t len;
	struct gt_node *root;
};

struct define {
	const char *name;
	struct gt_node *body;
	struct gt_file *file;
};

struct var {
	const char *name;
	struct gt_val v;
};

struct gt_engine {
	struct kup_arena *a;
	struct gt_caps caps;
	struct define *defs;      /* open addressing, power-of-two capacity */
	size_t ndefs, defcap;
	const char **reasons;
	size_t nreasons, rcap;
	struct var *vars;
	size_t nvars, vcap;
	unsigned long steps, max_steps;
	int depth;
	int dead;                 /* inside a dead region */
	int guard;                /* inside an unknown guard */
	struct gt_file *cur;      /* the file being rendered at depth 0 */
	size_t site;              /* offset of the depth-0 action being evaluated */
	bool oom;
	bool budget;
	const char *budget_why;   /* what ran out, for gt_budget() */
	size_t budget_site;       /* the depth-0 action it ran out in */
	int brk;                  /* 1 break, 2 continue pending */
};

/* ---- values ------------------------------------------------------------------- */

struct gt_val gt_nil(void)
{
	struct gt_val v;
	memset(&v, 0, sizeof(v));
	return v;
}

struct gt_val gt_bool(bool b)
{
	struct gt_val v = gt_nil();
	v.k = GT_BOOL;
	v.u.b = b;
	return v;
}

struct gt_val gt_int(int64_t i)
{
	struct gt_val v = gt_nil();
	v.k = GT_INT;
	v.u.i = i;
	return v;
}

struct gt_val gt_float(double f)
{
	struct gt_val v = gt_nil();
	v.k = GT_FLOAT;
	v.u.f = f;
	return v;
}

struct gt_val gt_str(struct gt_engine *e, const char *s, size_t n)
{
	struct gt_val v = gt_nil();
	char *p = kup_arena_strndup(e->a, s ? s : "", s ? n : 0);

	if (!p) {
		e->oom = true;
		p = (char *)"";
		n = 0;
	}
	v.k = GT_STR;
	v.u.s = p;
	v.n = s ? n : 0;
	return v;
}

/*
 * Marker bytes (GT_M_*) in text that comes from outside (string literals,
 * values) would read as unknowns and regions in the output: each becomes a
 * space, as in the template's own text.
 */
static void unmark(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= GT_M_UNK && s[i] <= GT_M_DEAD_END)
			s[i] = ' ';
}

static struct gt_val gt_str_outside(struct gt_engine *e, const char *s, size_t n)
{
	struct gt_val v = gt_str(e, s, n);

	if (v.n)
		unmark((char *)v.u.s, v.n);
	return v;
}

struct gt_val gt_strc(struct gt_engine *e, const char *s)
{
	return gt_str(e, s, strlen(s));
}

/* A string already in the arena (or static). */
static struct gt_val str_ref(const char *s, size_t n)
{
	struct gt_val v = gt_nil();
	v.k = GT_STR;
	v.u.s = s;
	v.n = n;
	return v;
}

struct gt_val gt_unknown(struct gt_engine *e, const char *reason)
{
	struct gt_val v = gt_nil();
	(void)e;
	v.k = GT_UNKNOWN;
	v.u.s = reason;
	return v;
}

static struct gt_val unknownf(struct gt_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct gt_val unknownf(struct gt_engine *e, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char *s;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s = kup_arena_strdup(e->a, buf);
	if (!s) {
		e->oom = true;
		s = (char *)"out of memory";
	}
	return gt_unknown(e, s);
}

/* Stops the render: the budget named by fmt ran out (the first reason is kept). */
static void over_budget(struct gt_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void over_budget(struct gt_engine *e, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (e->budget)
		return;
	e->budget = true;
	e->budget_site = e->site;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e->budget_why = kup_arena_strdup(e->a, buf);
	if (!e->budget_why)
		e->oom = true;
}

/* One evaluation step; false (and the render stopped) past the budget. */
static bool step(struct gt_engine *e)
{
	if (e->budget)
		return false;
	if (++e->steps > e->max_steps) {
		over_budget(e, "the template needs more than %lu evaluation steps", e->max_steps);
		return false;
	}
	return true;
}

struct gt_val gt_apiv(void)
{
	struct gt_val v = gt_nil();
	v.k = GT_APIV;
	return v;
}

struct gt_val gt_map_new(struct gt_engine *e)
{
	struct gt_val v = gt_nil();
	v.k = GT_MAP;
	v.u.m = kup_arena_zalloc(e->a, sizeof(*v.u.m));
	if (!v.u.m) {
		e->oom = true;
		return gt_nil();
	}
	return v;
}

struct gt_val gt_list_new(struct gt_engine *e)
{
	struct gt_val v = gt_nil();
	v.k = GT_LIST;
	v.u.l = kup_arena_zalloc(e->a, sizeof(*v.u.l));
	if (!v.u.l) {
		e->oom = true;
		return gt_nil();
	}
	return v;
}

static bool arena_grow(struct gt_engine *e, void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *na;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 4;
	while (ncap < need)
		ncap *= 2;
	na = kup_arena_alloc(e->a, ncap * size);
	if (!na) {
		e->oom = true;
		return false;
	}
	if (*cap)
		memcpy(na, *arr, *cap * size);
	*arr = na;
	*cap = ncap;
	return true;
}

struct gt_val *gt_map_get(const struct gt_map *m, const char *key, size_t n)
{
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < m->n; i++)
		if (strlen(m->k[i]) == n && memcmp(m->k[i], key, n) == 0)
			return &m->v[i];
	return NULL;
}

bool gt_map_set(struct gt_engine *e, struct gt_map *m, const char *key, struct gt_val v)
{
	struct gt_val *old = gt_map_get(m, key, strlen(key));
	size_t cap;

	if (old) {
		*old = v;
		return true;
	}
	cap = m->cap;
	if (!arena_grow(e, (void **)&m->k, &cap, m->n + 1, sizeof(*m->k)))
		return false;
	cap = m->cap;
	if (!arena_grow(e, (void **)&m->v, &cap, m->n + 1, sizeof(*m->v)))
		return false;
	m->cap = cap;
	m->k[m->n] = key;
	m->v[m->n] = v;
	m->n++;
	return true;
}

bool gt_map_del(struct gt_map *m, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strlen(m->k[i]) == n && memcmp(m->k[i], key, n) == 0) {
			memmove(&m->k[i], &m->k[i + 1], (m->n - i - 1) * sizeof(*m->k));
			memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
			m->n--;
			return true;
		}
	return false;
}

bool gt_list_push(struct gt_engine *e, struct gt_list *l, struct gt_val v)
{
	if (!arena_grow(e, (void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return false;
	l->v[l->n++] = v;
	return true;
}

struct gt_val gt_from_node(struct gt_engine *e, const struct kup_node *n)
{
	struct gt_val v;
	size_t i;

	if (!n)
		return gt_nil();
	switch (n->kind) {
	case KUP_NODE_MAP:
		v = gt_map_new(e);
		for (i = 0; i < n->len && v.k == GT_MAP; i++) {
			const char *k = kup_node_str(n->u.pairs[i].key);
			char *kc;
			if (!k)
				continue;
			kc = kup_arena_strdup(e->a, k);
			if (!kc) {
				e->oom = true;
				break;
			}
			unmark(kc, strlen(kc));
			gt_map_set(e, v.u.m, kc, gt_from_node(e, n->u.pairs[i].value));
		}
		return v;
	case KUP_NODE_SEQ:
		v = gt_list_new(e);
		for (i = 0; i < n->len && v.k == GT_LIST; i++)
			gt_list_push(e, v.u.l, gt_from_node(e, n->u.items[i]));
		return v;
	default:
		break;
	}
	switch (n->tag) {
	case KUP_TAG_NULL:
		return gt_nil();
	case KUP_TAG_BOOL: {
		bool b = false;
		kup_node_bool(n, &b);
		return gt_bool(b);
	}
	case KUP_TAG_INT: {
		int64_t iv = 0;
		if (kup_node_int(n, &iv))
			return gt_float((double)iv);
		return gt_str_outside(e, n->u.str, n->len);
	}
	case KUP_TAG_FLOAT: {
		char *end;
		double d = strtod(n->u.str, &end);
		if (*end == '\0')
			return gt_float(d);
		return gt_str_outside(e, n->u.str, n->len);
	}
	default:
		return gt_str_outside(e, n->u.str, n->len);
	}
}

struct gt_val gt_copy(struct gt_engine *e, struct gt_val v)
{
	struct gt_val c;
	size_t i;

	if (v.k != GT_MAP)
		return v;
	c = gt_map_new(e);
	for (i = 0; c.k == GT_MAP && i < v.u.m->n; i++)
		gt_map_set(e, c.u.m, v.u.m->k[i], gt_copy(e, v.u.m->v[i]));
	return c;
}

void gt_merge(struct gt_engine *e, struct gt_map *dst, const struct gt_map *src)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		const char *k = src->k[i];
		struct gt_val sv = src->v[i];
		struct gt_val *dv = gt_map_get(dst, k, strlen(k));

		if (sv.k == GT_NIL) {
			gt_map_del(dst, k, strlen(k));
		} else if (dv && dv->k == GT_MAP && sv.k == GT_MAP) {
			gt_merge(e, dv->u.m, sv.u.m);
		} else {
			gt_map_set(e, dst, k, gt_copy(e, sv));
		}
	}
}

bool gt_oom(const struct gt_engine *e)
{
	return e->oom;
}

struct kup_arena *gt_arena(struct gt_engine *e)
{
	return e->a;
}

/* ---- reasons and markers ---------------------------------------------------- */

static size_t reason_index(struct gt_engine *e, const char *r)
{
	size_t i;

	/* the same reason pointer is usually registered again and again */
	for (i = e->nreasons; i > 0 && i + 8 > e->nreasons; i--)
		if (e->reasons[i - 1] == r || strcmp(e->reasons[i - 1], r) == 0)
			return i - 1;
	if (e->nreasons >= GT_MAX_REASONS)
		return 0;
	if (!kup_grow(&e->reasons, &e->rcap, e->nreasons + 1, sizeof(*e->reasons), 16)) {
		e->oom = true;
		return 0;
	}
	e->reasons[e->nreasons] = r;
	return e->nreasons++;
}

const char *gt_budget(const struct gt_engine *e, size_t *site)
{
	if (!e->budget)
		return NULL;
	if (site)
		*site = e->budget_site;
	return e->budget_why ? e->budget_why : "the template exceeds the evaluation budget";
}

const char *gt_reason(const struct gt_engine *e, size_t idx)
{
	return idx < e->nreasons ? e->reasons[idx] : "unknown";
}

static bool is_marker(char c)
{
	return c >= GT_M_UNK && c <= GT_M_DEAD_END;
}

/* The reason of the first unknown or guard marker in s, or NULL. */
static const char *taint(const struct gt_engine *e, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == GT_M_UNK || s[i] == GT_M_GUARD) {
			size_t idx = 0, j = i + 1;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				idx = idx * 10 + (size_t)(s[j++] - '0');
			return gt_reason(e, idx);
		}
	return NULL;
}

/* ---- output ---------------------------------------------------------------------- */

void gt_out_release(struct gt_out *o)
{
	kup_buf_release(&o->buf);
	free(o->spans);
	o->spans = NULL;
	o->nspans = o->cap = 0;
}

static void add_span(struct gt_engine *e, struct gt_out *o, size_t src, bool verbatim)
{
	if (!o->top)
		return;
	if (o->nspans && o->spans[o->nspans - 1].out == o->buf.len)
		o->nspans--;
	if (!kup_grow(&o->spans, &o->cap, o->nspans + 1, sizeof(*o->spans), 64)) {
		e->oom = true;
		return;
	}
	o->spans[o->nspans].out = o->buf.len;
	o->spans[o->nspans].src = src;
	o->spans[o->nspans].verbatim = verbatim;
	o->nspans++;
}

static void out_add(struct gt_engine *e, struct gt_out *o, const char *s, size_t n)
{
	if (o->buf.len + n > GT_MAX_OUT) {
		over_budget(e, "the template's output is larger than %u MiB", GT_MAX_OUT >> 20);
		return;
	}
	kup_buf_add(&o->buf, s, n);
	if (o->buf.oom)
		e->oom = true;
}

static void out_marker(struct gt_engine *e, struct gt_out *o, char m, const char *reason)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%c%zu%c", m, reason_index(e, reason), GT_M_SEP);

	out_add(e, o, tmp, (size_t)n);
}

/* ---- lexing actions ------------------------------------------------------------ */

enum tok_kind {
	T_END, T_IDENT, T_FIELD, T_VAR, T_DOT, T_STR, T_NUM, T_LPAREN, T_RPAREN, T_PIPE,
	T_DECLARE, T_ASSIGN, T_COMMA, T_ERR,
};

struct tok {
	uint8_t k;
	bool space;          /* whitespace before it */
	const char *p;       /* source text */
	size_t n;
	size_t off;
};

struct parser {
	struct gt_engine *e;
	struct gt_file *f;
	const char *s;
	size_t len;
	size_t pos;
	/* the current action's tokens */
	struct tok *toks;
	size_t ntoks, tcap, ti;
	size_t act_off;
	bool rtrim;          /* the current action ends with -}} */
	struct kup_error *err;
	bool failed;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum_(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static void line_col(const char *s, size_t off, uint32_t *line, uint32_t *col)
{
	size_t i;
	uint32_t l = 1, c = 1;

	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void perr(struct parser *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr(struct parser *p, size_t off, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	uint32_t line, col;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line_col(p->s, off < p->len ? off : p->len, &line, &col);
	kup_error_set(p->err, KUP_PARSE, p->f->name, line, col, "%s", buf);
}

static bool push_tok(struct parser *p, struct tok t)
{
	if (!kup_grow(&p->toks, &p->tcap, p->ntoks + 1, sizeof(*p->toks), 32)) {
		p->e->oom = true;
		p->failed = true;
		return false;
	}
	p->toks[p->ntoks++] = t;
	return true;
}

/*
 * Lexes the action starting at p->pos (just past "{{" and its trim marker)
 * into p->toks; leaves p->pos after "}}".  Comments give no tokens.
 */
static bool lex_action(struct parser *p)
{
	const char *s = p->s;
	size_t n = p->len, i = p->pos;
	bool space = true;

	p->ntoks = 0;
	p->ti = 0;
	p->rtrim = false;
	while (i < n && is_space(s[i]))
		i++;
	if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
		const char *end = NULL;
		size_t j;
		for (j = i + 2; j + 1 < n; j++)
			if (s[j] == '*' && s[j + 1] == '/') {
				end = s + j;
				break;
			}
		if (!end) {
			perr(p, i, "unclosed comment");
			return false;
		}
		i = (size_t)(end - s) + 2;
		while (i < n && is_space(s[i]))
			i++;
		if (i + 2 < n && s[i] == '-' && s[i + 1] == '}' && s[i + 2] == '}') {
			p->rtrim = true;
			i++;
		}
		if (i + 1 >= n || s[i] != '}' || s[i + 1] != '}') {
			perr(p, i, "comment ends before closing delimiter");
			return false;
		}
		p->pos = i + 2;
		return true;
	}
	for (;;) {
		struct tok t;
		char c;

		if (i >= n) {
			perr(p, p->act_off, "unclosed action");
			return false;
		}
		c = s[i];
		if (is_space(c)) {
			space = true;
			i++;
			continue;
		}
		memset(&t, 0, sizeof(t));
		t.space = space;
		t.p = s + i;
		t.off = i;
		space = false;
		if (c == '}' && i + 1 < n && s[i + 1] == '}') {
			p->pos = i + 2;
			return push_tok(p, (struct tok){ T_END, t.space, s + i, 0, i });
		}
		if (c == '-' && t.space && i + 2 < n && s[i + 1] == '}' && s[i + 2] == '}') {
			p->rtrim = true;
			p->pos = i + 3;
			return push_tok(p, (struct tok){ T_END, t.space, s + i, 0, i });
		}
		if (c == '"') {
			size_t j = i + 1;
			while (j < n && s[j] != '"' && s[j] != '\n') {
				if (s[j] == '\\')
					j++;
				j++;
			}
			if (j >= n || s[j] != '"') {
				perr(p, i, "unterminated quoted string");
				return false;
			}
			t.k = T_STR;
			t.n = j + 1 - i;
			i = j + 1;
		} else if (c == '`') {
			const char *q = memchr(s + i + 1, '`', n - i - 1);
			if (!q) {
				perr(p, i, "unterminated raw quoted string");
				return false;
			}
			t.k = T_STR;
			t.n = (size_t)(q - (s + i)) + 1;
			i += t.n;
		} else if (c == '\'') {
			size_t j = i + 1;
			while (j < n && s[j] != '\'' && s[j] != '\n') {
				if (s[j] == '\\')
					j++;
				j++;
			}
			if (j >= n || s[j] != '\'') {
				perr(p, i, "unterminated character constant");
				return false;
			}
			t.k = T_NUM;
			t.n = j + 1 - i;
			i = j + 1;
		} else if (c == '(' || c == ')' || c == '|' || c == ',') {
			t.k = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : c == '|' ? T_PIPE : T_COMMA;
			t.n = 1;
			i++;
		} else if (c == ':' && i + 1 < n && s[i + 1] == '=') {
			t.k = T_DECLARE;
			t.n = 2;
			i += 2;
		} else if (c == '=') {
			t.k = T_ASSIGN;
			t.n = 1;
			i++;
		} else if (c == '$') {
			size_t j = i + 1;
			while (j < n && is_alnum_(s[j]))
				j++;
			t.k = T_VAR;
			t.n = j - i;
			i = j;
		} else if (c == '.' && !(i + 1 < n && isdigit((unsigned char)s[i + 1]))) {
			size_t j = i + 1;
			while (j < n && is_alnum_(s[j]))
				j++;
			t.k = j == i + 1 ? T_DOT : T_FIELD;
			t.n = j - i;
			i = j;
		} else if (isdigit((unsigned char)c) || c == '.' ||
			   ((c == '-' || c == '+') && i + 1 < n &&
			    (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.'))) {
			size_t j = i + 1;
			while (j < n && (is_alnum_(s[j]) || s[j] == '.' ||
					 ((s[j] == '-' || s[j] == '+') &&
					  (s[j - 1] == 'e' || s[j - 1] == 'E' || s[j - 1] == 'p' ||
					   s[j - 1] == 'P'))))
				j++;
			t.k = T_NUM;
			t.n = j - i;
			i = j;
		} else if (isalpha((unsigned char)c) || c == '_') {
			size_t j = i + 1;
			while (j < n && is_alnum_(s[j]))
				j++;
			t.k = T_IDENT;
			t.n = j - i;
			i = j;
		} else {
			perr(p, i, "unexpected '%c' in action", c);
			return false;
		}
		if (!push_tok(p, t))
			return false;
	}
}

static struct tok *peek(struct parser *p)
{
	return &p->toks[p->ti < p->ntoks ? p->ti : p->ntoks - 1];
}

static struct tok *next(struct parser *p)
{
	struct tok *t = peek(p);
	if (p->ti < p->ntoks - 1)
		p->ti++;
	return t;
}

static bool tok_is(const struct tok *t, const char *w)
{
	return t->k == T_IDENT && strlen(w) == t->n && memcmp(t->p, w, t->n) == 0;
}

/* Decodes a Go string literal (quoted or raw) into the arena. */
static bool unquote(struct parser *p, const struct tok *t, const char **out, size_t *outn)
{
	struct kup_buf b = KUP_BUF_INIT;
	size_t i;

	if (t->p[0] == '`') {
		char *raw = kup_arena_strndup(p->e->a, t->p + 1, t->n - 2);

		*out = raw;
		*outn = t->n - 2;
		if (!raw)
			p->e->oom = true;
		else
			unmark(raw, *outn);
		return *out != NULL;
	}
	for (i = 1; i + 1 < t->n; i++) {
		char c = t->p[i];
		if (c != '\\') {
			kup_buf_addc(&b, c);
			continue;
		}
		c = t->p[++i];
		switch (c) {
		case 'n': kup_buf_addc(&b, '\n'); break;
		case 't': kup_buf_addc(&b, '\t'); break;
		case 'r': kup_buf_addc(&b, '\r'); break;
		case 'a': kup_buf_addc(&b, '\a'); break;
		case 'b': kup_buf_addc(&b, '\b'); break;
		case 'f': kup_buf_addc(&b, '\f'); break;
		case 'v': kup_buf_addc(&b, '\v'); break;
		case '\\': case '"': case '\'': kup_buf_addc(&b, c); break;
		case 'x': {
			unsigned v = 0, k;
			for (k = 0; k < 2 && i + 1 < t->n - 1 && isxdigit((unsigned char)t->p[i + 1]); k++) {
				char h = t->p[++i];
				v = v * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
			}
			kup_buf_addc(&b, (char)v);
			break;
		}
		default:
			kup_buf_release(&b);
			perr(p, t->off, "unsupported escape '\\%c' in string", c);
			return false;
		}
	}
	*outn = b.len;
	if (b.buf)
		unmark(b.buf, b.len);
	*out = kup_arena_strndup(p->e->a, b.buf ? b.buf : "", b.len);
	kup_buf_release(&b);
	if (!*out)
		p->e->oom = true;
	return *out != NULL;
}

static struct gt_pipe *parse_pipeline(struct parser *p, bool allow_decl, bool in_paren);

static bool parse_fields(struct parser *p, struct gt_arg *a)
{
	while (peek(p)->k == T_FIELD && !peek(p)->space) {
		struct tok *t = next(p);
		const char **nf = kup_arena_alloc(p->e->a, (a->nfields + 1) * sizeof(*nf));
		if (!nf) {
			p->e->oom = true;
			return false;
		}
		if (a->nfields)
			memcpy(nf, a->fields, a->nfields * sizeof(*nf));
		nf[a->nfields] = kup_arena_strndup(p->e->a, t->p + 1, t->n - 1);
		if (!nf[a->nfields]) {
			p->e->oom = true;
			return false;
		}
		a->fields = nf;
		a->nfields++;
	}
	return true;
}

static bool parse_operand(struct parser *p, struct gt_arg *a)
{
	struct tok *t = next(p);

	memset(a, 0, sizeof(*a));
	switch (t->k) {
	case T_DOT:
		a->k = A_DOT;
		break;
	case T_FIELD:
		a->k = A_FIELD;
		a->fields = kup_arena_alloc(p->e->a, sizeof(*a->fields));
		if (!a->fields || !(a->fields[0] = kup_arena_strndup(p->e->a, t->p + 1, t->n - 1))) {
			p->e->oom = true;
			return false;
		}
		a->nfields = 1;
		break;
	case T_VAR:
		a->k = A_VAR;
		a->s = kup_arena_strndup(p->e->a, t->p, t->n);
		break;
	case T_IDENT:
		if (tok_is(t, "true") || tok_is(t, "false")) {
			a->k = A_BOOL;
			a->b = tok_is(t, "true");
		} else if (tok_is(t, "nil")) {
			a->k = A_NIL;
		} else {
			a->k = A_IDENT;
			a->s = kup_arena_strndup(p->e->a, t->p, t->n);
			a->n = t->n;
		}
		break;
	case T_STR:
		a->k = A_STR;
		if (!unquote(p, t, &a->s, &a->n))
			return false;
		break;
	case T_NUM: {
		char buf[64];
		char *end;
		if (t->n >= sizeof(buf)) {
			perr(p, t->off, "number too long");
			return false;
		}
		a->k = A_NUM;
		if (t->p[0] == '\'') {
			a->isint = true;
			a->i = t->n >= 3 ? (unsigned char)t->p[1] : 0;
			if (t->p[1] == '\\' && t->n >= 4)
				a->i = t->p[2] == 'n' ? '\n' : t->p[2] == 't' ? '\t' : (unsigned char)t->p[2];
			break;
		}
		memcpy(buf, t->p, t->n);
		buf[t->n] = '\0';
		a->i = strtoll(buf, &end, 0);
		if (*end == '\0') {
			a->isint = true;
		} else {
			a->f = strtod(buf, &end);
			if (*end != '\0') {
				perr(p, t->off, "bad number syntax: '%s'", buf);
				return false;
			}
		}
		break;
	}
	case T_LPAREN:
		a->k = A_PIPE;
		a->pipe = parse_pipeline(p, false, true);
		if (!a->pipe)
			return false;
		if (next(p)->k != T_RPAREN) {
			perr(p, t->off, "unclosed left paren");
			return false;
		}
		break;
	default:
		perr(p, t->off, "unexpected '%.*s' in operand", (int)(t->n ? t->n : 2),
		     t->n ? t->p : "}}");
		return false;
	}
	if ((a->k == A_VAR || a->k == A_IDENT) && !a->s) {
		p->e->oom = true;
		return false;
	}
	return parse_fields(p, a);
}

static struct gt_pipe *parse_pipeline(struct parser *p, bool allow_decl, bool in_paren)
{
	struct gt_pipe *pp = kup_arena_zalloc(p->e->a, sizeof(*pp));
	size_t start_ti = p->ti;
	const struct tok *first = peek(p);

	if (!pp) {
		p->e->oom = true;
		return NULL;
	}
	if (allow_decl && first->k == T_VAR) {
		size_t ti = p->ti;
		struct tok *a = &p->toks[ti];
		if (ti + 1 < p->ntoks && (p->toks[ti + 1].k == T_DECLARE || p->toks[ti + 1].k == T_ASSIGN)) {
			pp->vars[0] = kup_arena_strndup(p->e->a, a->p, a->n);
			pp->nvars = 1;
			pp->decl = p->toks[ti + 1].k == T_DECLARE;
			pp->assign = !pp->decl;
			p->ti += 2;
		} else if (ti + 3 < p->ntoks && p->toks[ti + 1].k == T_COMMA &&
			   p->toks[ti + 2].k == T_VAR &&
			   (p->toks[ti + 3].k == T_DECLARE || p->toks[ti + 3].k == T_ASSIGN)) {
			pp->vars[0] = kup_arena_strndup(p->e->a, a->p, a->n);
			pp->vars[1] = kup_arena_strndup(p->e->a, p->toks[ti + 2].p, p->toks[ti + 2].n);
			pp->nvars = 2;
			pp->decl = p->toks[ti + 3].k == T_DECLARE;
			pp->assign = !pp->decl;
			p->ti += 4;
		}
	}
	for (;;) {
		struct gt_cmd cmd = { NULL, 0 };
		struct gt_cmd *nc;
		while (peek(p)->k != T_END && peek(p)->k != T_PIPE && peek(p)->k != T_RPAREN) {
			struct gt_arg a;
			struct gt_arg *na;
			if (!parse_operand(p, &a))
				return NULL;
			na = kup_arena_alloc(p->e->a, (cmd.nargs + 1) * sizeof(*na));
			if (!na) {
				p->e->oom = true;
				return NULL;
			}
			if (cmd.nargs)
				memcpy(na, cmd.args, cmd.nargs * sizeof(*na));
			na[cmd.nargs++] = a;
			cmd.args = na;
		}
		if (cmd.nargs == 0) {
			if (pp->ncmds == 0 && pp->nvars == 0 && !in_paren)
				return pp;  /* empty pipeline: `else`, `end` callers check */
			perr(p, peek(p)->off, "missing command in pipeline");
			return NULL;
		}
		nc = kup_arena_alloc(p->e->a, (pp->ncmds + 1) * sizeof(*nc));
		if (!nc) {
			p->e->oom = true;
			return NULL;
		}
		if (pp->ncmds)
			memcpy(nc, pp->cmds, pp->ncmds * sizeof(*nc));
		nc[pp->ncmds++] = cmd;
		pp->cmds = nc;
		if (peek(p)->k != T_PIPE)
			break;
		next(p);
	}
	if (p->ti > start_ti || start_ti < p->ntoks) {
		const struct tok *a = &p->toks[start_ti], *b = &p->toks[p->ti];
		pp->text = a->p;
		pp->tlen = b->p >= a->p ? (size_t)(b->p - a->p) : 0;
		while (pp->tlen && is_space(pp->text[pp->tlen - 1]))
			pp->tlen--;
	}
	return pp;
}

/* ---- parsing the template ----------------------------------------------------- */


static struct gt_node *new_node(struct parser *p, int k, size_t off)
{
	struct gt_node *n = kup_arena_zalloc(p->e->a, sizeof(*n));

	if (!n) {
		p->e->oom = true;
		p->failed = true;
		return NULL;
	}
	n->k = (uint8_t)k;
	n->off = off;
	return n;
}

static bool add_define(struct gt_engine *e, const char *name, struct gt_node *body,
		       struct gt_file *f);

/* What ended a list. */
enum list_end { END_EOF, END_END, END_ELSE };

struct list_state {
	struct gt_node *head, *tail;
};

static void append(struct list_state *ls, struct gt_node *n)
{
	if (!n)
		return;
	if (ls->tail)
		ls->tail->next = n;
	else
		ls->head = n;
	ls->tail = n;
}

/*
 * Reads text and actions until {{end}} or {{else ...}} (or the end of the
 * file).  For else, p->ti is left just after the `else` keyword.
 */
static struct gt_node *parse_list(struct parser *p, enum list_end *how, bool *ltrim_pending);

static bool parse_control(struct parser *p, int kind, struct list_state *ls, size_t off,
			  bool *ltrim)
{
	struct gt_node *n = new_node(p, kind, off);
	enum list_end how;

	if (!n)
		return false;
	n->pipe = parse_pipeline(p, true, false);
	if (!n->pipe || p->failed)
		return false;
	if (n->pipe->ncmds == 0) {
		perr(p, off, "missing value for %s", kind == N_IF ? "if" : kind == N_RANGE ? "range" : "with");
		return false;
	}
	if (peek(p)->k != T_END) {
		perr(p, peek(p)->off, "unexpected '%.*s' in %s", (int)peek(p)->n, peek(p)->p,
		     kind == N_IF ? "if" : kind == N_RANGE ? "range" : "with");
		return false;
	}
	*ltrim = p->rtrim;
	n->list = parse_list(p, &how, ltrim);
	if (p->failed)
		return false;
	if (how == END_ELSE) {
		/* else if / else with: a nested node in the else list, sharing the end */
		if (peek(p)->k == T_IDENT && (tok_is(peek(p), "if") || tok_is(peek(p), "with"))) {
			struct list_state els = { NULL, NULL };
			int k2 = tok_is(peek(p), "if") ? N_IF : N_WITH;
			next(p);
			if (!parse_control(p, k2, &els, p->act_off, ltrim))
				return false;
			n->elselist = els.head;
			append(ls, n);
			return true;
		}
		if (peek(p)->k != T_END) {
			perr(p, peek(p)->off, "unexpected '%.*s' after else", (int)peek(p)->n, peek(p)->p);
			return false;
		}
		*ltrim = p->rtrim;
		n->elselist = parse_list(p, &how, ltrim);
		if (p->failed)
			return false;
		if (how == END_ELSE) {
			perr(p, p->act_off, "expected end; found else");
			return false;
		}
	}
	if (how != END_END) {
		perr(p, off, "unexpected EOF: %s has no end",
		     kind == N_IF ? "if" : kind == N_RANGE ? "range" : "with");
		return false;
	}
	append(ls, n);
	return true;
}

static bool template_name(struct parser *p, const char **name)
{
	struct tok *t = next(p);
	size_t n;

	if (t->k != T_STR) {
		perr(p, t->off, "template name must be a string");
		return false;
	}
	return unquote(p, t, name, &n);
}

static struct gt_node *parse_list(struct parser *p, enum list_end *how, bool *ltrim)
{
	struct list_state ls = { NULL, NULL };

	*how = END_EOF;
	while (p->pos < p->len && !p->failed) {
		const char *s = p->s;
		const char *open = NULL;
		size_t i, tstart = p->pos, tend;
		bool trim_left = false;

		for (i = p->pos; i + 1 < p->len; i++)
			if (s[i] == '{' && s[i + 1] == '{') {
				open = s + i;
				break;
			}
		tend = open ? (size_t)(open - s) : p->len;
		if (open && tend + 3 < p->len && s[tend + 2] == '-' && is_space(s[tend + 3]))
			trim_left = true;
		if (*ltrim)
			while (tstart < tend && is_space(s[tstart]))
				tstart++;
		if (trim_left) {
			size_t e2 = tend;
			while (e2 > tstart && is_space(s[e2 - 1]))
				e2--;
			tend = e2;
		}
		*ltrim = false;
		if (tend > tstart) {
			struct gt_node *tn = new_node(p, N_TEXT, tstart);
			if (!tn)
				return NULL;
			tn->text = s + tstart;
			tn->n = tend - tstart;
			append(&ls, tn);
		}
		if (!open) {
			p->pos = p->len;
			break;
		}
		p->act_off = (size_t)(open - s);
		p->pos = p->act_off + 2 + (trim_left ? 1 : 0);
		if (!lex_action(p))
			return NULL;
		*ltrim = p->rtrim;
		if (p->ntoks == 0)
			continue;   /* a comment */
		{
			struct tok *t = peek(p);
			size_t off = p->act_off;

			if (t->k == T_END) {
				perr(p, off, "missing value for command");
				return NULL;
			}
			if (tok_is(t, "end")) {
				next(p);
				if (peek(p)->k != T_END) {
					perr(p, peek(p)->off, "unexpected '%.*s' in end", (int)peek(p)->n, peek(p)->p);
					return NULL;
				}
				*how = END_END;
				return ls.head;
			}
			if (tok_is(t, "else")) {
				next(p);
				*how = END_ELSE;
				return ls.head;
			}
			if (tok_is(t, "if") || tok_is(t, "range") || tok_is(t, "with")) {
				int k = tok_is(t, "if") ? N_IF : tok_is(t, "range") ? N_RANGE : N_WITH;
				next(p);
				if (!parse_control(p, k, &ls, off, ltrim))
					return NULL;
				continue;
			}
			if (tok_is(t, "break") || tok_is(t, "continue")) {
				struct gt_node *bn = new_node(p, tok_is(t, "break") ? N_BREAK : N_CONTINUE, off);
				next(p);
				append(&ls, bn);
				continue;
			}
			if (tok_is(t, "define") || tok_is(t, "block")) {
				bool is_block = tok_is(t, "block");
				const char *name;
				struct gt_node *body, *call = NULL;
				enum list_end h2;
				next(p);
				if (!template_name(p, &name))
					return NULL;
				if (is_block) {
					call = new_node(p, N_TEMPLATE, off);
					if (!call)
						return NULL;
					call->name = name;
					call->pipe = parse_pipeline(p, false, false);
					if (!call->pipe)
						return NULL;
				}
				if (peek(p)->k != T_END) {
					perr(p, peek(p)->off, "unexpected '%.*s' in define", (int)peek(p)->n, peek(p)->p);
					return NULL;
				}
				*ltrim = p->rtrim;
				body = parse_list(p, &h2, ltrim);
				if (p->failed)
					return NULL;
				if (h2 != END_END) {
					perr(p, off, "unexpected EOF: define has no end");
					return NULL;
				}
				if (!add_define(p->e, name, body, p->f))
					return NULL;
				if (call)
					append(&ls, call);
				continue;
			}
			if (tok_is(t, "template")) {
				struct gt_node *tn = new_node(p, N_TEMPLATE, off);
				if (!tn)
					return NULL;
				next(p);
				if (!template_name(p, &tn->name))
					return NULL;
				tn->pipe = parse_pipeline(p, false, false);
				if (!tn->pipe)
					return NULL;
				if (peek(p)->k != T_END) {
					perr(p, peek(p)->off, "unexpected '%.*s' in template clause", (int)peek(p)->n, peek(p)->p);
					return NULL;
				}
				append(&ls, tn);
				continue;
			}
			{
				struct gt_node *an = new_node(p, N_ACTION, off);
				if (!an)
					return NULL;
				an->pipe = parse_pipeline(p, true, false);
				if (!an->pipe)
					return NULL;
				if (an->pipe->ncmds == 0) {
					perr(p, off, "missing value for command");
					return NULL;
				}
				if (peek(p)->k != T_END) {
					perr(p, peek(p)->off, "unexpected '%.*s' in operand", (int)peek(p)->n, peek(p)->p);
					return NULL;
				}
				append(&ls, an);
			}
		}
	}
	return ls.head;
}

/* ---- defines ----------------------------------------------------------------------- */

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static struct define *find_define(const struct gt_engine *e, const char *name)
{
	size_t i;

	if (!e->defcap)
		return NULL;
	for (i = hash_name(name) & (e->defcap - 1); e->defs[i].name; i = (i + 1) & (e->defcap - 1))
		if (strcmp(e->defs[i].name, name) == 0)
			return &e->defs[i];
	return NULL;
}

static bool add_define(struct gt_engine *e, const char *name, struct gt_node *body,
		       struct gt_file *f)
{
	struct define *d = find_define(e, name);
	size_t i;

	if (d) {
		d->body = body;
		d->file = f;
		return true;
	}
	if ((e->ndefs + 1) * 2 > e->defcap) {
		size_t ncap = e->defcap ? e->defcap * 2 : 64, j;
		struct define *nd = calloc(ncap, sizeof(*nd));
		if (!nd) {
			e->oom = true;
			return false;
		}
		for (j = 0; j < e->defcap; j++) {
			if (!e->defs[j].name)
				continue;
			for (i = hash_name(e->defs[j].name) & (ncap - 1); nd[i].name; i = (i + 1) & (ncap - 1))
				;
			nd[i] = e->defs[j];
		}
		free(e->defs);
		e->defs = nd;
		e->defcap = ncap;
	}
	for (i = hash_name(name) & (e->defcap - 1); e->defs[i].name; i = (i + 1) & (e->defcap - 1))
		;
	e->defs[i].name = name;
	e->defs[i].body = body;
	e->defs[i].file = f;
	e->ndefs++;
	return true;
}

/* ---- engine --------------------------------------------------------------------- */

struct gt_engine *gt_new(struct kup_arena *a, const struct gt_caps *caps)
{
	struct gt_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->a = a;
	e->caps = *caps;
	e->max_steps = caps->max_steps ? caps->max_steps : GT_MAX_STEPS;
	return e;
}

void gt_free(struct gt_engine *e)
{
	if (!e)
		return;
	free(e->defs);
	free(e->reasons);
	free(e->vars);
	free(e);
}

struct gt_file *gt_parse(struct gt_engine *e, const char *name, const char *text, size_t len,
			 struct kup_error *err)
{
	struct parser p;
	struct gt_file *f = kup_arena_zalloc(e->a, sizeof(*f));
	enum list_end how;
	bool ltrim = false;

	if (!f) {
		e->oom = true;
		kup_error_set(err, KUP_NOMEM, name, 0, 0, "out of memory");
		return NULL;
	}
	f->name = kup_arena_strdup(e->a, name);
	f->text = text;
	f->len = len;
	memset(&p, 0, sizeof(p));
	p.e = e;
	p.f = f;
	p.s = text;
	p.len = len;
	p.err = err;
	f->root = parse_list(&p, &how, &ltrim);
	if (!p.failed && how != END_EOF)
		perr(&p, p.act_off, "unexpected {{%s}}", how == END_END ? "end" : "else");
	free(p.toks);
	if (p.failed || e->oom) {
		if (!p.failed)
			kup_error_set(err, KUP_NOMEM, name, 0, 0, "out of memory");
		return NULL;
	}
	return f;
}

/* ---- evaluation ------------------------------------------------------------------- */

static bool truth(struct gt_val v, bool *known)
{
	*known = true;
	switch (v.k) {
	case GT_NIL: return false;
	case GT_BOOL: return v.u.b;
	case GT_INT: return v.u.i != 0;
	case GT_FLOAT: return v.u.f != 0;
	case GT_STR:
		if (memchr(v.u.s, GT_M_UNK, v.n) || memchr(v.u.s, GT_M_GUARD, v.n)) {
			/* a non-empty string is true whatever its unknown part is, unless
			 * the unknown part is all of it */
			size_t i;
			for (i = 0; i < v.n; i++)
				if (!is_marker(v.u.s[i]) && !isdigit((unsigned char)v.u.s[i]))
					return true;
			*known = false;
			return false;
		}
		return v.n > 0;
	case GT_LIST: return v.u.l->n > 0;
	case GT_MAP: return v.u.m->n > 0;
	case GT_APIV: return true;
	default:
		*known = false;
		return false;
	}
}

/* The reason a value is not fully known, or NULL. */
static const char *val_unknown(const struct gt_engine *e, struct gt_val v)
{
	if (v.k == GT_UNKNOWN)
		return v.u.s;
	if (v.k == GT_STR)
		return taint(e, v.u.s, v.n);
	return NULL;
}

/* Go's %v of a float64 (strconv 'g', shortest). */
static void fmt_float(double f, struct kup_buf *b)
{
	char tmp[64];
	int prec;
	double back;
	int exp10;

	if (isnan(f)) {
		kup_buf_adds(b, "NaN");
		return;
	}
	if (isinf(f)) {
		kup_buf_adds(b, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		back = strtod(tmp, NULL);
		if (back == f)
			break;
	}
	if (prec > 17)
		prec = 17;
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
	exp10 = atoi(strchr(tmp, 'e') + 1);
	/* strconv's 'g' with the shortest precision: %e below 1e-4 and from 1e+06 */
	if (exp10 < -4 || exp10 >= 6) {
		/* Go: mantissa then e+XX with at least two exponent digits */
		char *e = strchr(tmp, 'e');
		int ev = atoi(e + 1);
		*e = '\0';
		kup_buf_adds(b, tmp);
		kup_buf_addf(b, "e%c%02d", ev < 0 ? '-' : '+', ev < 0 ? -ev : ev);
		return;
	}
	{
		int decimals = prec - 1 - exp10;
		snprintf(tmp, sizeof(tmp), "%.*f", decimals > 0 ? decimals : 0, f);
		kup_buf_adds(b, tmp);
	}
}

static void print_val(struct gt_engine *e, struct gt_val v, struct kup_buf *b);

static void print_map_go(struct gt_engine *e, const struct gt_map *m, struct kup_buf *b);

static int cmp_keys(const void *x, const void *y)
{
	return strcmp(**(const char *const *const *)x, **(const char *const *const *)y);
}

/* Indices of a map's keys in sorted order (malloc'd). */
static size_t *sorted_keys(const struct gt_map *m)
{
	const char ***tmp;
	size_t *idx, i;

	if (m->n == 0)
		return calloc(1, sizeof(size_t));
	tmp = malloc(m->n * sizeof(*tmp));
	idx = malloc(m->n * sizeof(*idx));
	if (!tmp || !idx) {
		free(tmp);
		free(idx);
		return NULL;
	}
	for (i = 0; i < m->n; i++)
		tmp[i] = &m->k[i];
	qsort(tmp, m->n, sizeof(*tmp), cmp_keys);
	for (i = 0; i < m->n; i++)
		idx[i] = (size_t)(tmp[i] - m->k);
	free(tmp);
	return idx;
}

static void print_map_go(struct gt_engine *e, const struct gt_map *m, struct kup_buf *b)
{
	size_t *idx = sorted_keys(m), i;

	if (!idx) {
		e->oom = true;
		return;
	}
	kup_buf_adds(b, "map[");
	for (i = 0; i < m->n; i++) {
		if (i)
			kup_buf_addc(b, ' ');
		kup_buf_adds(b, m->k[idx[i]]);
		kup_buf_addc(b, ':');
		print_val(e, m->v[idx[i]], b);
	}
	kup_buf_addc(b, ']');
	free(idx);
}

/* fmt.Sprint of a value (markers for unknowns). */
static void print_val(struct gt_engine *e, struct gt_val v, struct kup_buf *b)
{
	size_t i;

	switch (v.k) {
	case GT_NIL: break;   /* <no value>, which Helm removes */
	case GT_BOOL: kup_buf_adds(b, v.u.b ? "true" : "false"); break;
	case GT_INT: kup_buf_addf(b, "%lld", (long long)v.u.i); break;
	case GT_FLOAT: fmt_float(v.u.f, b); break;
	case GT_STR: kup_buf_add(b, v.u.s, v.n); break;
	case GT_LIST:
		kup_buf_addc(b, '[');
		for (i = 0; i < v.u.l->n; i++) {
			if (i)
				kup_buf_addc(b, ' ');
			print_val(e, v.u.l->v[i], b);
		}
		kup_buf_addc(b, ']');
		break;
	case GT_MAP: print_map_go(e, v.u.m, b); break;
	case GT_APIV: kup_buf_adds(b, "[]"); break;
	default: {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%c%zu%c", GT_M_UNK, reason_index(e, v.u.s), GT_M_SEP);
		kup_buf_adds(b, tmp);
		break;
	}
	}
}

static struct gt_val to_string(struct gt_engine *e, struct gt_val v)
{
	struct kup_buf b = KUP_BUF_INIT;
	struct gt_val r;

	if (v.k == GT_STR)
		return v;
	print_val(e, v, &b);
	if (b.oom)
		e->oom = true;
	r = gt_str(e, b.buf ? b.buf : "", b.len);
	kup_buf_release(&b);
	return r;
}

/* ---- variables ---- */

static bool var_push(struct gt_engine *e, const char *name, struct gt_val v)
{
	if (!kup_grow(&e->vars, &e->vcap, e->nvars + 1, sizeof(*e->vars), 32)) {
		e->oom = true;
		return false;
	}
	e->vars[e->nvars].name = name;
	e->vars[e->nvars].v = v;
	e->nvars++;
	return true;
}

static struct var *var_find(struct gt_engine *e, const char *name)
{
	size_t i;

	for (i = e->nvars; i > 0; i--)
		if (strcmp(e->vars[i - 1].name, name) == 0)
			return &e->vars[i - 1];
	return NULL;
}

/* Assigns to an existing variable; inside a dead region nothing changes, inside
 * an unknown guard the variable becomes unknown. */
static void var_assign(struct gt_engine *e, const char *name, struct gt_val v, const char *guard)
{
	struct var *x = var_find(e, name);

	if (!x || e->dead)
		return;
	x->v = guard ? gt_unknown(e, guard) : v;
}

/* ---- fields ---- */

static struct gt_val field_of(struct gt_engine *e, struct gt_val recv, const char *name,
			      bool chained)
{
	struct gt_val *hit;

	switch (recv.k) {
	case GT_UNKNOWN:
		return recv;
	case GT_MAP:
		hit = gt_map_get(recv.u.m, name, strlen(name));
		return hit ? *hit : gt_nil();
	case GT_NIL:
		if (chained)
			return unknownf(e, "nil pointer evaluating .%s (helm fails here)", name);
		return gt_nil();
	case GT_APIV:
		return unknownf(e, ".Capabilities.APIVersions.%s is not evaluated", name);
	default:
		return unknownf(e, "can't evaluate field %s in a non-map value", name);
	}
}

static struct gt_val eval_pipe(struct gt_engine *e, struct gt_pipe *p, struct gt_val dot,
			       const char *guard);

static struct gt_val eval_arg(struct gt_engine *e, const struct gt_arg *a, struct gt_val dot)
{
	struct gt_val v;
	size_t i;

	switch (a->k) {
	case A_DOT:
	case A_FIELD:
		v = dot;
		break;
	case A_VAR: {
		struct var *x = var_find(e, a->s);
		if (!x)
			return unknownf(e, "undefined variable %s", a->s);
		v = x->v;
		break;
	}
	case A_STR:
		v = str_ref(a->s, a->n);
		break;
	case A_NUM:
		v = a->isint ? gt_int(a->i) : gt_float(a->f);
		break;
	case A_BOOL:
		v = gt_bool(a->b);
		break;
	case A_NIL:
		v = gt_nil();
		break;
	case A_PIPE:
		v = eval_pipe(e, a->pipe, dot, NULL);
		break;
	default:
		return unknownf(e, "function %s used as a value", a->s);
	}
	/* .a.b where .a is nil is Go's nil pointer error; a field of a nil dot,
	 * variable or parenthesised value is nil */
	for (i = 0; i < a->nfields; i++)
		v = field_of(e, v, a->fields[i], i > 0);
	return v;
}

/* ---- functions ---- */

struct fctx {
	struct gt_engine *e;
	struct gt_val dot;
	const struct gt_arg *args;   /* the arguments (after the function name) */
	size_t nargs;
	struct gt_val *piped;        /* the piped value, the last argument, or NULL */
	const char *name;
};

static size_t fargc(const struct fctx *f)
{
	return f->nargs + (f->piped ? 1 : 0);
}

static struct gt_val farg(struct fctx *f, size_t i)
{
	if (i < f->nargs)
		return eval_arg(f->e, &f->args[i], f->dot);
	return f->piped ? *f->piped : gt_nil();
}

static bool is_num(struct gt_val v)
{
	return v.k == GT_INT || v.k == GT_FLOAT;
}

static double num(struct gt_val v)
{
	return v.k == GT_INT ? (double)v.u.i : v.k == GT_FLOAT ? v.u.f : 0;
}

/* Go's eq/lt on basic values: 0 equal, <0, >0; 2 when not comparable. */
static int cmp_basic(struct gt_val a, struct gt_val b)
{
	if (a.k == GT_STR && b.k == GT_STR) {
		size_t n = a.n < b.n ? a.n : b.n;
		int c = memcmp(a.u.s, b.u.s, n);
		if (c == 0)
			c = a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
		return c < 0 ? -1 : c > 0;
	}
	if (a.k == GT_INT && b.k == GT_INT)
		return a.u.i < b.u.i ? -1 : a.u.i > b.u.i;
	if (a.k == GT_FLOAT && b.k == GT_FLOAT)
		return a.u.f < b.u.f ? -1 : a.u.f > b.u.f;
	if (a.k == GT_BOOL && b.k == GT_BOOL)
		return a.u.b == b.u.b ? 0 : a.u.b ? 1 : -1;
	if (a.k == GT_NIL && b.k == GT_NIL)
		return 0;
	return 2;
}

/* Sprig's empty. */
static bool is_empty(struct gt_val v)
{
	switch (v.k) {
	case GT_NIL: return true;
	case GT_BOOL: return !v.u.b;
	case GT_INT: return v.u.i == 0;
	case GT_FLOAT: return v.u.f == 0;
	case GT_STR: return v.n == 0;
	case GT_LIST: return v.u.l->n == 0;
	case GT_MAP: return v.u.m->n == 0;
	default: return false;
	}
}

static struct gt_val unknown_arg(struct fctx *f, const char *why)
{
	return unknownf(f->e, "%s: %s", f->name, why);
}

static void to_yaml(struct gt_engine *e, struct gt_val v, int indent, bool in_seq, struct kup_buf *b);

static bool plain_safe(const char *s, size_t n)
{
	size_t i;
	enum kup_scalar_tag t;

	if (n == 0)
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]))
		return false;
	if (is_space(s[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' || (s[i] == ':' && (i + 1 == n || s[i + 1] == ' ')) ||
		    (s[i] == '#' && i > 0 && s[i - 1] == ' '))
			return false;
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && !is_marker(s[i]))
			return false;
	}
	t = kup_scalar_resolve(s, n);
	return t == KUP_TAG_STR;
}

static void yaml_scalar(struct gt_engine *e, struct gt_val v, struct kup_buf *b)
{
	size_t i;

	if (v.k != GT_STR) {
		if (v.k == GT_NIL)
			kup_buf_adds(b, "null");
		else
			print_val(e, v, b);
		return;
	}
	if (plain_safe(v.u.s, v.n)) {
		kup_buf_add(b, v.u.s, v.n);
		return;
	}
	kup_buf_addc(b, '"');
	for (i = 0; i < v.n; i++) {
		char c = v.u.s[i];
		if (c == '"' || c == '\\')
			kup_buf_addf(b, "\\%c", c);
		else if (c == '\n')
			kup_buf_adds(b, "\\n");
		else
			kup_buf_addc(b, c);
	}
	kup_buf_addc(b, '"');
}

/* A YAML rendering close to sigs.k8s.io/yaml's (keys sorted, 2-space indent). */
static void to_yaml(struct gt_engine *e, struct gt_val v, int indent, bool in_seq, struct kup_buf *b)
{
	size_t i;

	if (v.k == GT_MAP && v.u.m->n) {
		size_t *idx = sorted_keys(v.u.m);
		if (!idx) {
			e->oom = true;
			return;
		}
		for (i = 0; i < v.u.m->n; i++) {
			struct gt_val c = v.u.m->v[idx[i]];
			if (i || !in_seq)
				kup_buf_addf(b, "%*s", indent, "");
			yaml_scalar(e, str_ref(v.u.m->k[idx[i]], strlen(v.u.m->k[idx[i]])), b);
			kup_buf_addc(b, ':');
			if ((c.k == GT_MAP && c.u.m->n) || (c.k == GT_LIST && c.u.l->n)) {
				kup_buf_addc(b, '\n');
				to_yaml(e, c, c.k == GT_LIST ? indent : indent + 2, false, b);
			} else {
				kup_buf_addc(b, ' ');
				to_yaml(e, c, indent + 2, false, b);
			}
		}
		free(idx);
		return;
	}
	if (v.k == GT_LIST && v.u.l->n) {
		for (i = 0; i < v.u.l->n; i++) {
			struct gt_val c = v.u.l->v[i];
			kup_buf_addf(b, "%*s- ", indent, "");
			if (c.k == GT_LIST && c.u.l->n) {
				kup_buf_addc(b, '\n');
				to_yaml(e, c, indent + 2, false, b);
			} else {
				to_yaml(e, c, indent + 2, true, b);
			}
		}
		return;
	}
	if (v.k == GT_MAP)
		kup_buf_adds(b, "{}\n");
	else if (v.k == GT_LIST)
		kup_buf_adds(b, "[]\n");
	else {
		yaml_scalar(e, v, b);
		kup_buf_addc(b, '\n');
	}
}

static struct gt_val render_define(struct gt_engine *e, const char *name, struct gt_val dot,
				   struct gt_out *out);
static struct gt_val render_tpl(struct gt_engine *e, struct gt_val text, struct gt_val dot);

/* Adds `pad` spaces after every newline (and first when nl). */
static struct gt_val indent_str(struct gt_engine *e, struct gt_val s, int64_t pad, bool nl)
{
	struct kup_buf b = KUP_BUF_INIT;
	size_t i;
	struct gt_val r;

	if (pad < 0)
		pad = 0;
	if (pad > 4096)
		pad = 4096;
	if (nl)
		kup_buf_addc(&b, '\n');
	kup_buf_addf(&b, "%*s", (int)pad, "");
	for (i = 0; i < s.n; i++) {
		kup_buf_addc(&b, s.u.s[i]);
		if (s.u.s[i] == '\n')
			kup_buf_addf(&b, "%*s", (int)pad, "");
	}
	if (b.oom)
		e->oom = true;
	r = gt_str(e, b.buf ? b.buf : "", b.len);
	kup_buf_release(&b);
	return r;
}

static bool to_int(struct gt_val v, int64_t *out)
{
	if (v.k == GT_INT) {
		*out = v.u.i;
		return true;
	}
	if (v.k == GT_FLOAT) {
		*out = (int64_t)v.u.f;
		return true;
	}
	if (v.k == GT_STR) {
		char tmp[32];
		char *end;
		if (v.n == 0 || v.n >= sizeof(tmp))
			return false;
		memcpy(tmp, v.u.s, v.n);
		tmp[v.n] = '\0';
		*out = strtoll(tmp, &end, 10);
		return *end == '\0';
	}
	return false;
}

static bool str_contains(struct gt_val hay, struct gt_val needle)
{
	size_t i;

	if (needle.n == 0)
		return true;
	for (i = 0; i + needle.n <= hay.n; i++)
		if (memcmp(hay.u.s + i, needle.u.s, needle.n) == 0)
			return true;
	return false;
}

static struct gt_val trim_set(struct gt_engine *e, struct gt_val s, const char *set, size_t sn,
			      bool left, bool right)
{
	size_t a = 0, z = s.n;

	while (left && a < z && memchr(set, s.u.s[a], sn))
		a++;
	while (right && z > a && memchr(set, s.u.s[z - 1], sn))
		z--;
	(void)e;
	return str_ref(s.u.s + a, z - a);
}

/* printf with Go verbs %s %v %d %q %t %f %%. */
static struct gt_val go_printf(struct fctx *f)
{
	struct gt_engine *e = f->e;
	struct gt_val fmtv = farg(f, 0);
	struct kup_buf b = KUP_BUF_INIT;
	size_t i, ai = 1, argc = fargc(f);
	struct gt_val r;
	const char *why;

	if (fmtv.k != GT_STR)
		return (why = val_unknown(e, fmtv)) ? gt_unknown(e, why) : unknown_arg(f, "format is not a string");
	for (i = 0; i < fmtv.n; i++) {
		char c = fmtv.u.s[i];
		struct gt_val a;
		if (c != '%' || i + 1 >= fmtv.n) {
			kup_buf_addc(&b, c);
			continue;
		}
		c = fmtv.u.s[++i];
		while ((c == '-' || c == '+' || c == ' ' || c == '0' || c == '#' || isdigit((unsigned char)c) || c == '.') && i + 1 < fmtv.n)
			c = fmtv.u.s[++i];
		if (c == '%') {
			kup_buf_addc(&b, '%');
			continue;
		}
		if (ai >= argc) {
			kup_buf_addf(&b, "%%!%c(MISSING)", c);
			continue;
		}
		a = farg(f, ai++);
		if (a.k == GT_UNKNOWN) {
			kup_buf_release(&b);
			return a;
		}
		switch (c) {
		case 'q':
			if (a.k == GT_STR) {
				struct gt_val q = a;
				kup_buf_addc(&b, '"');
				kup_buf_add(&b, q.u.s, q.n);
				kup_buf_addc(&b, '"');
				break;
			}
			print_val(e, a, &b);
			break;
		case 'd':
			if (a.k == GT_INT) {
				kup_buf_addf(&b, "%lld", (long long)a.u.i);
				break;
			}
			kup_buf_release(&b);
			return unknown_arg(f, "%d of a non-integer");
		default:
			print_val(e, a, &b);
			break;
		}
	}
	if (b.oom)
		e->oom = true;
	r = gt_str(e, b.buf ? b.buf : "", b.len);
	kup_buf_release(&b);
	return r;
}

static int has_api(struct gt_engine *e, struct gt_val s, const char **why)
{
	if (!e->caps.has) {
		*why = "no capabilities";
		return -1;
	}
	return e->caps.has(e->caps.has_ctx, s.u.s, s.n, why);
}

static const char *str0(struct gt_engine *e, struct gt_val v)
{
	char *s = kup_arena_strndup(e->a, v.u.s, v.n);
	if (!s)
		e->oom = true;
	return s ? s : "";
}

/*
 * Calls a function.  Arguments are evaluated here (so and/or/default can be
 * lazy where Go is); an unknown argument makes the result unknown unless
 * the function passes text through.
 */
static struct gt_val call_func(struct fctx *f)
{
	struct gt_engine *e = f->e;
	const char *n = f->name;
	size_t argc = fargc(f), i;
	struct gt_val a, b, c;
	const char *why;

#define IS(x) (strcmp(n, x) == 0)
#define NEED(k)                                                                           \
	do {                                                                              \
		if (argc != (k))                                                          \
			return unknownf(e, "wrong number of args for %s: want %d got %zu", n, \
					(int)(k), argc);                                  \
	} while (0)
#define KNOWN(v)                                                                          \
	do {                                                                              \
		if ((why = val_unknown(e, (v))) != NULL)                                  \
			return gt_unknown(e, why);                                        \
	} while (0)

	if (IS("and") || IS("or")) {
		bool is_and = IS("and"), unknown = false;
		const char *uwhy = NULL;
		if (argc < 1)
			return unknownf(e, "wrong number of args for %s", n);
		for (i = 0; i < argc; i++) {
			bool known, t;
			a = farg(f, i);
			t = truth(a, &known);
			if (!known) {
				unknown = true;
				if (!uwhy)
					uwhy = val_unknown(e, a);
				continue;
			}
			if (is_and ? !t : t)
				return a;  /* decides whatever the unknowns were */
			if (i + 1 == argc)
				return unknown ? gt_unknown(e, uwhy ? uwhy : "unknown") : a;
		}
		return gt_unknown(e, uwhy ? uwhy : "unknown");
	}
	if (IS("not")) {
		bool known, t;
		NEED(1);
		a = farg(f, 0);
		t = truth(a, &known);
		if (!known)
			return gt_unknown(e, val_unknown(e, a) ? val_unknown(e, a) : "unknown");
		return gt_bool(!t);
	}
	if (IS("eq") || IS("ne") || IS("lt") || IS("le") || IS("gt") || IS("ge")) {
		int cv;
		if (argc < 2)
			return unknownf(e, "missing argument for comparison");
		a = farg(f, 0);
		KNOWN(a);
		if (IS("eq") && argc > 2) {
			for (i = 1; i < argc; i++) {
				b = farg(f, i);
				KNOWN(b);
				if (cmp_basic(a, b) == 0)
					return gt_bool(true);
			}
			return gt_bool(false);
		}
		NEED(2);
		b = farg(f, 1);
		KNOWN(b);
		cv = cmp_basic(a, b);
		if (cv == 2) {
			if ((IS("eq") || IS("ne")) && (a.k == GT_NIL || b.k == GT_NIL))
				return gt_bool(IS("ne"));
			return unknown_arg(f, "incompatible types for comparison (helm fails here)");
		}
		if (IS("eq")) return gt_bool(cv == 0);
		if (IS("ne")) return gt_bool(cv != 0);
		if (IS("lt")) return gt_bool(cv < 0);
		if (IS("le")) return gt_bool(cv <= 0);
		if (IS("gt")) return gt_bool(cv > 0);
		return gt_bool(cv >= 0);
	}
	if (IS("default")) {
		/* default DEFAULT GIVEN: GIVEN unless empty */
		if (argc < 1 || argc > 2)
			return unknownf(e, "wrong number of args for default");
		if (argc == 1)
			return farg(f, 0);
		b = farg(f, 1);
		if (b.k == GT_UNKNOWN)
			return b;
		if (b.k == GT_STR && taint(e, b.u.s, b.n))
			return gt_unknown(e, taint(e, b.u.s, b.n));
		if (!is_empty(b))
			return b;
		return farg(f, 0);
	}
	if (IS("empty")) {
		NEED(1);
		a = farg(f, 0);
		KNOWN(a);
		return gt_bool(is_empty(a));
	}
	if (IS("coalesce")) {
		for (i = 0; i < argc; i++) {
			a = farg(f, i);
			KNOWN(a);
			if (!is_empty(a))
				return a;
		}
		return gt_nil();
	}
	if (IS("ternary")) {
		bool known, t;
		NEED(3);
		c = farg(f, 2);
		t = truth(c, &known);
		if (c.k != GT_BOOL) {
			KNOWN(c);
			if (!known)
				return unknown_arg(f, "condition is unknown");
			return unknown_arg(f, "condition is not a bool (helm fails here)");
		}
		return farg(f, t ? 0 : 1);
	}
	if (IS("hasKey")) {
		NEED(2);
		a = farg(f, 0);
		b = farg(f, 1);
		KNOWN(a);
		KNOWN(b);
		if (a.k != GT_MAP || b.k != GT_STR)
			return unknown_arg(f, "needs a map and a string");
		return gt_bool(gt_map_get(a.u.m, b.u.s, b.n) != NULL);
	}
	if (IS("required")) {
		NEED(2);
		b = farg(f, 1);
		if (b.k == GT_UNKNOWN)
			return b;
		if (b.k == GT_NIL || (b.k == GT_STR && b.n == 0)) {
			a = farg(f, 0);
			return unknownf(e, "required value missing: %.*s", a.k == GT_STR ? (int)(a.n > 200 ? 200 : a.n) : 0,
					a.k == GT_STR ? a.u.s : "");
		}
		return b;
	}
	if (IS("fail")) {
		a = argc ? farg(f, 0) : gt_nil();
		return unknownf(e, "fail: %.*s", a.k == GT_STR ? (int)(a.n > 200 ? 200 : a.n) : 0,
				a.k == GT_STR ? a.u.s : "");
	}
	if (IS("print") || IS("println") || IS("cat")) {
		struct kup_buf buf = KUP_BUF_INIT;
		struct gt_val r;
		bool prev_str = true;
		for (i = 0; i < argc; i++) {
			a = farg(f, i);
			if (a.k == GT_UNKNOWN) {
				kup_buf_release(&buf);
				return a;
			}
			if (IS("cat") && a.k == GT_NIL)
				continue;
			/* fmt.Sprint adds a space between operands when neither is a string */
			if (i && (IS("println") || IS("cat") || (!prev_str && a.k != GT_STR)))
				kup_buf_addc(&buf, ' ');
			print_val(e, a, &buf);
			prev_str = a.k == GT_STR;
		}
		if (IS("println"))
			kup_buf_addc(&buf, '\n');
		r = gt_str(e, buf.buf ? buf.buf : "", buf.len);
		kup_buf_release(&buf);
		return r;
	}
	if (IS("printf"))
		return argc ? go_printf(f) : unknownf(e, "wrong number of args for printf");
	if (IS("toString")) {
		NEED(1);
		a = farg(f, 0);
		if (a.k == GT_UNKNOWN)
			return a;
		return to_string(e, a);
	}
	if (IS("trim") || IS("lower") || IS("upper") || IS("quote") || IS("squote") ||
	    IS("title") || IS("trimSuffix") || IS("trimPrefix") || IS("trimAll") ||
	    IS("replace") || IS("contains") || IS("hasPrefix") || IS("hasSuffix") ||
	    IS("indent") || IS("nindent") || IS("trunc")) {
		/* the string is the last argument */
		size_t want = (IS("trim") || IS("lower") || IS("upper") || IS("quote") ||
			       IS("squote") || IS("title")) ? 1 : IS("replace") ? 3 : 2;
		struct gt_val s;
		NEED(want);
		s = farg(f, want - 1);
		if (s.k == GT_UNKNOWN)
			return s;
		if (s.k != GT_STR) {
			if ((IS("quote") || IS("squote")) && s.k == GT_NIL)
				return str_ref("", 0);
			s = to_string(e, s);
		}
		if (IS("trim"))
			return trim_set(e, s, " \t\r\n\v\f", 6, true, true);
		if (IS("lower") || IS("upper") || IS("title")) {
			char *p = kup_arena_strndup(e->a, s.u.s, s.n);
			bool start = true;
			if (!p) {
				e->oom = true;
				return gt_nil();
			}
			for (i = 0; i < s.n; i++) {
				if (IS("lower"))
					p[i] = (char)tolower((unsigned char)p[i]);
				else if (IS("upper"))
					p[i] = (char)toupper((unsigned char)p[i]);
				else {
					if (start && isalpha((unsigned char)p[i]))
						p[i] = (char)toupper((unsigned char)p[i]);
					start = is_space(p[i]);
				}
			}
			return str_ref(p, s.n);
		}
		if (IS("quote") || IS("squote")) {
			struct kup_buf buf = KUP_BUF_INIT;
			char q = IS("quote") ? '"' : '\'';
			struct gt_val r;
			kup_buf_addc(&buf, q);
			for (i = 0; i < s.n; i++) {
				if (q == '"' && (s.u.s[i] == '"' || s.u.s[i] == '\\'))
					kup_buf_addc(&buf, '\\');
				kup_buf_addc(&buf, s.u.s[i]);
			}
			kup_buf_addc(&buf, q);
			r = gt_str(e, buf.buf, buf.len);
			kup_buf_release(&buf);
			return r;
		}
		a = farg(f, 0);
		if (IS("indent") || IS("nindent") || IS("trunc")) {
			int64_t k;
			KNOWN(a);
			if (!to_int(a, &k))
				return unknown_arg(f, "count is not a number");
			if (IS("trunc")) {
				if (k >= 0 && (size_t)k < s.n)
					return str_ref(s.u.s, (size_t)k);
				if (k < 0 && (size_t)(-k) < s.n)
					return str_ref(s.u.s + s.n - (size_t)(-k), (size_t)(-k));
				return s;
			}
			return indent_str(e, s, k, IS("nindent"));
		}
		KNOWN(a);
		KNOWN(s);
		if (a.k != GT_STR)
			a = to_string(e, a);
		if (IS("trimSuffix"))
			return s.n >= a.n && memcmp(s.u.s + s.n - a.n, a.u.s, a.n) == 0
				       ? str_ref(s.u.s, s.n - a.n) : s;
		if (IS("trimPrefix"))
			return s.n >= a.n && memcmp(s.u.s, a.u.s, a.n) == 0
				       ? str_ref(s.u.s + a.n, s.n - a.n) : s;
		if (IS("trimAll"))
			return trim_set(e, s, a.u.s, a.n, true, true);
		if (IS("contains"))
			return gt_bool(str_contains(s, a));
		if (IS("hasPrefix"))
			return gt_bool(s.n >= a.n && memcmp(s.u.s, a.u.s, a.n) == 0);
		if (IS("hasSuffix"))
			return gt_bool(s.n >= a.n && memcmp(s.u.s + s.n - a.n, a.u.s, a.n) == 0);
		/* replace OLD NEW S */
		b = farg(f, 1);
		KNOWN(b);
		if (b.k != GT_STR)
			b = to_string(e, b);
		{
			struct kup_buf buf = KUP_BUF_INIT;
			struct gt_val r;
			for (i = 0; i < s.n;) {
				if (a.n && i + a.n <= s.n && memcmp(s.u.s + i, a.u.s, a.n) == 0) {
					kup_buf_add(&buf, b.u.s, b.n);
					i += a.n;
				} else {
					kup_buf_addc(&buf, s.u.s[i++]);
				}
			}
			r = gt_str(e, buf.buf ? buf.buf : "", buf.len);
			kup_buf_release(&buf);
			return r;
		}
	}
	if (IS("semverCompare")) {
		struct kup_error err = KUP_ERROR_INIT;
		bool match = false;
		enum kup_status st;
		NEED(2);
		a = farg(f, 0);
		b = farg(f, 1);
		KNOWN(a);
		KNOWN(b);
		if (a.k != GT_STR || b.k != GT_STR)
			return unknown_arg(f, "arguments must be strings");
		st = kup_semver_range_match(str0(e, a), str0(e, b), &match, &err);
		if (st != KUP_OK) {
			struct gt_val r = unknownf(e, "semverCompare %.*s %.*s: %s (helm fails here)",
						   (int)(a.n > 100 ? 100 : a.n), a.u.s, (int)(b.n > 100 ? 100 : b.n),
						   b.u.s, err.msg ? err.msg : "malformed");
			kup_error_release(&err);
			return r;
		}
		return gt_bool(match);
	}
	if (IS("semver")) {
		struct gt_val m;
		struct kup_version v;
		struct kup_error err = KUP_ERROR_INIT;
		char tmp[32];
		NEED(1);
		a = farg(f, 0);
		KNOWN(a);
		if (a.k != GT_STR || kup_version_parse_n(a.u.s, a.n, &v, &err) != KUP_OK) {
			kup_error_release(&err);
			return unknown_arg(f, "not a version (helm fails here)");
		}
		m = gt_map_new(e);
		if (m.k != GT_MAP)
			return m;
		snprintf(tmp, sizeof(tmp), "%d", v.major);
		gt_map_set(e, m.u.m, "Major", gt_int(v.major));
		gt_map_set(e, m.u.m, "Minor", gt_int(v.minor));
		gt_map_set(e, m.u.m, "Patch", gt_int(v.patch));
		gt_map_set(e, m.u.m, "Prerelease", gt_strc(e, v.pre));
		gt_map_set(e, m.u.m, "Original", a);
		return m;
	}
	if (IS("list")) {
		struct gt_val l = gt_list_new(e);
		for (i = 0; i < argc && l.k == GT_LIST; i++)
			gt_list_push(e, l.u.l, farg(f, i));
		return l;
	}
	if (IS("dict")) {
		struct gt_val m = gt_map_new(e);
		for (i = 0; i < argc && m.k == GT_MAP; i += 2) {
			a = farg(f, i);
			KNOWN(a);
			a = to_string(e, a);
			gt_map_set(e, m.u.m, str0(e, a), i + 1 < argc ? farg(f, i + 1) : str_ref("", 0));
		}
		return m;
	}
	if (IS("get")) {
		struct gt_val *hit;
		NEED(2);
		a = farg(f, 0);
		b = farg(f, 1);
		KNOWN(a);
		KNOWN(b);
		if (a.k != GT_MAP || b.k != GT_STR)
			return unknown_arg(f, "needs a map and a string");
		hit = gt_map_get(a.u.m, b.u.s, b.n);
		return hit ? *hit : str_ref("", 0);
	}
	if (IS("set") || IS("unset")) {
		a = farg(f, 0);
		KNOWN(a);
		b = farg(f, 1);
		KNOWN(b);
		if (a.k != GT_MAP || b.k != GT_STR || argc != (IS("set") ? 3u : 2u))
			return unknown_arg(f, "needs a map, a key (and a value)");
		if (e->dead)
			return a;
		if (IS("set"))
			gt_map_set(e, a.u.m, str0(e, b), farg(f, 2));
		else
			gt_map_del(a.u.m, b.u.s, b.n);
		return a;
	}
	if (IS("index")) {
		if (argc < 1)
			return unknownf(e, "wrong number of args for index");
		a = farg(f, 0);
		for (i = 1; i < argc; i++) {
			KNOWN(a);
			b = farg(f, i);
			KNOWN(b);
			if (a.k == GT_MAP) {
				struct gt_val *hit;
				if (b.k != GT_STR)
					return unknown_arg(f, "map key is not a string");
				hit = gt_map_get(a.u.m, b.u.s, b.n);
				a = hit ? *hit : gt_nil();
			} else if (a.k == GT_LIST) {
				int64_t k;
				if (!to_int(b, &k) || b.k == GT_STR || k < 0 || (size_t)k >= a.u.l->n)
					return unknown_arg(f, "index out of range (helm fails here)");
				a = a.u.l->v[k];
			} else if (a.k == GT_NIL) {
				return unknown_arg(f, "index of untyped nil (helm fails here)");
			} else {
				return unknown_arg(f, "can't index item");
			}
		}
		return a;
	}
	if (IS("len")) {
		NEED(1);
		a = farg(f, 0);
		KNOWN(a);
		if (a.k == GT_STR)
			return gt_int((int64_t)a.n);
		if (a.k == GT_LIST)
			return gt_int((int64_t)a.u.l->n);
		if (a.k == GT_MAP)
			return gt_int((int64_t)a.u.m->n);
		return unknown_arg(f, "len of a value without length (helm fails here)");
	}
	if (IS("int") || IS("int64") || IS("atoi")) {
		int64_t k;
		NEED(1);
		a = farg(f, 0);
		KNOWN(a);
		if (a.k == GT_NIL)
			return gt_int(0);
		if (!to_int(a, &k))
			return IS("atoi") ? gt_int(0) : unknown_arg(f, "not a number");
		return gt_int(k);
	}
	if (IS("float64")) {
		NEED(1);
		a = farg(f, 0);
		KNOWN(a);
		if (is_num(a))
			return gt_float(num(a));
		return unknown_arg(f, "not a number");
	}
	if (IS("toYaml")) {
		struct kup_buf buf = KUP_BUF_INIT;
		struct gt_val r;
		NEED(1);
		a = farg(f, 0);
		if (a.k == GT_UNKNOWN)
			return a;
		if (a.k == GT_NIL) {
			return str_ref("null", 4);
		}
		to_yaml(e, a, 0, false, &buf);
		/* Helm's toYaml trims the trailing newline */
		while (buf.len && buf.buf[buf.len - 1] == '\n')
			buf.len--;
		r = gt_str(e, buf.buf ? buf.buf : "", buf.len);
		kup_buf_release(&buf);
		return r;
	}
	if (IS("include")) {
		struct gt_out o;
		struct gt_val r;
		if (argc < 1 || argc > 2)
			return unknownf(e, "wrong number of args for include");
		a = farg(f, 0);
		KNOWN(a);
		if (a.k != GT_STR)
			return unknown_arg(f, "template name is not a string");
		memset(&o, 0, sizeof(o));
		r = render_define(e, str0(e, a), argc > 1 ? farg(f, 1) : gt_nil(), &o);
		if (r.k == GT_UNKNOWN) {
			gt_out_release(&o);
			return r;
		}
		r = gt_str(e, o.buf.buf ? o.buf.buf : "", o.buf.len);
		gt_out_release(&o);
		return r;
	}
	if (IS("tpl")) {
		NEED(2);
		a = farg(f, 0);
		KNOWN(a);
		if (a.k != GT_STR)
			return unknown_arg(f, "template is not a string");
		return render_tpl(e, a, farg(f, 1));
	}
	if (IS("kindIs")) {
		static const char *const kinds[] = { "invalid", "bool", "int64", "float64", "string", "slice", "map" };
		NEED(2);
		a = farg(f, 0);
		b = farg(f, 1);
		KNOWN(a);
		KNOWN(b);
		if (a.k != GT_STR || b.k > GT_MAP)
			return unknown_arg(f, "cannot tell the kind");
		return gt_bool(strlen(kinds[b.k]) == a.n && memcmp(kinds[b.k], a.u.s, a.n) == 0);
	}
	if (IS("keys")) {
		struct gt_val l = gt_list_new(e);
		for (i = 0; i < argc && l.k == GT_LIST; i++) {
			size_t j;
			a = farg(f, i);
			KNOWN(a);
			if (a.k != GT_MAP)
				return unknown_arg(f, "not a map");
			for (j = 0; j < a.u.m->n; j++)
				gt_list_push(e, l.u.l, str_ref(a.u.m->k[j], strlen(a.u.m->k[j])));
		}
		return l;
	}
	if (IS("has")) {
		NEED(2);
		a = farg(f, 0);
		b = farg(f, 1);
		KNOWN(a);
		KNOWN(b);
		if (b.k != GT_LIST)
			return b.k == GT_NIL ? gt_bool(false) : unknown_arg(f, "not a list");
		for (i = 0; i < b.u.l->n; i++) {
			KNOWN(b.u.l->v[i]);
			if (cmp_basic(a, b.u.l->v[i]) == 0)
				return gt_bool(true);
		}
		return gt_bool(false);
	}
	if (IS("first") || IS("last")) {
		NEED(1);
		a = farg(f, 0);
		KNOWN(a);
		if (a.k != GT_LIST)
			return unknown_arg(f, "not a list");
		if (a.u.l->n == 0)
			return gt_nil();
		return a.u.l->v[IS("first") ? 0 : a.u.l->n - 1];
	}
	if (IS("merge") || IS("mergeOverwrite")) {
		/* merge DST SRC...: DST's keys win (merge) or SRC's (mergeOverwrite) */
		if (argc < 1)
			return unknownf(e, "wrong number of args for %s", n);
		a = farg(f, 0);
		KNOWN(a);
		if (a.k != GT_MAP)
			return unknown_arg(f, "not a map");
		for (i = 1; i < argc; i++) {
			struct gt_val s = farg(f, i), tmp;
			KNOWN(s);
			if (s.k != GT_MAP)
				return unknown_arg(f, "not a map");
			if (IS("mergeOverwrite")) {
				gt_merge(e, a.u.m, s.u.m);
			} else {
				tmp = gt_copy(e, s);
				if (tmp.k == GT_MAP) {
					gt_merge(e, tmp.u.m, a.u.m);
					a.u.m->n = 0;
					gt_merge(e, a.u.m, tmp.u.m);
				}
			}
		}
		return a;
	}
	if (IS("deepCopy")) {
		NEED(1);
		a = farg(f, 0);
		KNOWN(a);
		return gt_copy(e, a);
	}
	if (IS("splitList")) {
		struct gt_val l;
		size_t start = 0;
		NEED(2);
		a = farg(f, 0);
		b = farg(f, 1);
		KNOWN(a);
		KNOWN(b);
		if (a.k != GT_STR || b.k != GT_STR || a.n == 0)
			return unknown_arg(f, "needs strings");
		l = gt_list_new(e);
		for (i = 0; l.k == GT_LIST && i + a.n <= b.n;) {
			if (memcmp(b.u.s + i, a.u.s, a.n) == 0) {
				gt_list_push(e, l.u.l, str_ref(b.u.s + start, i - start));
				i += a.n;
				start = i;
			} else {
				i++;
			}
		}
		if (l.k == GT_LIST)
			gt_list_push(e, l.u.l, str_ref(b.u.s + start, b.n - start));
		return l;
	}
	if (IS("join")) {
		struct kup_buf buf = KUP_BUF_INIT;
		struct gt_val r;
		NEED(2);
		a = farg(f, 0);
		b = farg(f, 1);
		KNOWN(a);
		KNOWN(b);
		if (a.k != GT_STR || b.k != GT_LIST)
			return unknown_arg(f, "needs a separator and a list");
		for (i = 0; i < b.u.l->n; i++) {
			if (i)
				kup_buf_add(&buf, a.u.s, a.n);
			print_val(e, b.u.l->v[i], &buf);
		}
		r = gt_str(e, buf.buf ? buf.buf : "", buf.len);
		kup_buf_release(&buf);
		return r;
	}
	if (IS("lookup"))
		return unknownf(e, "lookup reads the live cluster");
	return unknownf(e, "function %s is not evaluated", n);
#undef IS
#undef NEED
#undef KNOWN
}

static struct gt_val eval_cmd(struct gt_engine *e, const struct gt_cmd *c, struct gt_val dot,
			      struct gt_val *piped)
{
	const struct gt_arg *a0 = &c->args[0];

	if (a0->k == A_IDENT && a0->nfields == 0) {
		struct fctx f;
		f.e = e;
		f.dot = dot;
		f.args = c->args + 1;
		f.nargs = c->nargs - 1;
		f.piped = piped;
		f.name = a0->s;
		return call_func(&f);
	}
	/* a method call: .Capabilities.APIVersions.Has "x" */
	if ((a0->k == A_FIELD || a0->k == A_VAR || a0->k == A_PIPE || a0->k == A_DOT) &&
	    a0->nfields > 0 && strcmp(a0->fields[a0->nfields - 1], "Has") == 0) {
		struct gt_arg recv = *a0;
		struct gt_val r, s;
		const char *why = NULL;
		int has;
		recv.nfields--;
		r = eval_arg(e, &recv, dot);
		if (r.k == GT_APIV) {
			if (c->nargs + (piped ? 1 : 0) != 1 + 1)
				return unknownf(e, "wrong number of args for Has");
			s = c->nargs > 1 ? eval_arg(e, &c->args[1], dot) : *piped;
			if ((why = val_unknown(e, s)) != NULL)
				return gt_unknown(e, why);
			if (s.k != GT_STR)
				return unknownf(e, "APIVersions.Has of a non-string");
			has = has_api(e, s, &why);
			if (has < 0)
				return unknownf(e, ".Capabilities.APIVersions.Has \"%.*s\": %s",
						(int)(s.n > 200 ? 200 : s.n), s.u.s, why ? why : "unknown");
			return gt_bool(has > 0);
		}
		if (r.k == GT_UNKNOWN)
			return r;
	}
	if (c->nargs > 1 || piped) {
		struct gt_val v = eval_arg(e, a0, dot);
		if (v.k == GT_UNKNOWN)
			return v;
		if (a0->k == A_FIELD || a0->k == A_VAR)
			return unknownf(e, "method %s is not evaluated",
					a0->nfields ? a0->fields[a0->nfields - 1] : "call");
		return unknownf(e, "can't give argument to non-function");
	}
	return eval_arg(e, a0, dot);
}

static struct gt_val eval_pipe(struct gt_engine *e, struct gt_pipe *p, struct gt_val dot,
			       const char *guard)
{
	struct gt_val v = gt_nil();
	size_t i;

	if (!step(e))
		return gt_unknown(e, "evaluation budget exhausted");
	for (i = 0; i < p->ncmds && !e->budget && !e->oom; i++)
		v = eval_cmd(e, &p->cmds[i], dot, i ? &v : NULL);
	if (p->nvars) {
		size_t k;
		for (k = 0; k < p->nvars; k++) {
			if (p->decl)
				var_push(e, p->vars[k], v);
			else
				var_assign(e, p->vars[k], v, guard);
		}
	}
	return v;
}

/* ---- rendering ---- */

static void exec_list(struct gt_engine *e, struct gt_node *n, struct gt_val dot, struct gt_out *o);

static void emit_val(struct gt_engine *e, struct gt_out *o, struct gt_val v, size_t site)
{
	struct kup_buf b = KUP_BUF_INIT;

	add_span(e, o, site, false);
	if (v.k == GT_STR) {
		out_add(e, o, v.u.s, v.n);
		return;
	}
	print_val(e, v, &b);
	if (b.oom)
		e->oom = true;
	out_add(e, o, b.buf ? b.buf : "", b.len);
	kup_buf_release(&b);
}

/* The text of a condition for a reason: "semverCompare ... (false at the target)". */
static const char *guard_text(struct gt_engine *e, const struct gt_pipe *p, const char *why)
{
	char *s;

	if (why)
		s = kup_arena_printf(e->a, "{{ %.*s }}: %s", (int)(p->tlen > 300 ? 300 : p->tlen), p->text, why);
	else
		s = kup_arena_printf(e->a, "{{ %.*s }}", (int)(p->tlen > 300 ? 300 : p->tlen), p->text);
	if (!s) {
		e->oom = true;
		return "out of memory";
	}
	return s;
}

static size_t site_of(const struct gt_engine *e, const struct gt_node *n)
{
	return e->depth ? e->site : n->off;
}

/* Renders `list` as a region of the given marker (dead or guarded). */
static void region(struct gt_engine *e, struct gt_out *o, char begin, char end, const char *reason,
		   struct gt_node *list, struct gt_val dot, size_t site)
{
	size_t mark = e->nvars;

	if (!list)
		return;
	add_span(e, o, site, false);
	out_marker(e, o, begin, reason);
	if (begin == GT_M_DEAD)
		e->dead++;
	else
		e->guard++;
	exec_list(e, list, dot, o);
	if (begin == GT_M_DEAD)
		e->dead--;
	else
		e->guard--;
	e->nvars = mark;
	e->brk = 0;
	add_span(e, o, site, false);
	out_add(e, o, &end, 1);
}

static void exec_branch(struct gt_engine *e, struct gt_node *list, struct gt_val dot, struct gt_out *o)
{
	size_t mark = e->nvars;

	exec_list(e, list, dot, o);
	e->nvars = mark;
}

static void exec_if_with(struct gt_engine *e, struct gt_node *n, struct gt_val dot, struct gt_out *o)
{
	size_t mark = e->nvars;
	struct gt_val v = eval_pipe(e, n->pipe, dot, NULL);
	bool known, t = truth(v, &known);
	size_t site = site_of(e, n);
	struct gt_val inner = n->k == N_WITH ? v : dot;

	if (!known) {
		const char *why = val_unknown(e, v);
		const char *g = guard_text(e, n->pipe, why ? why : "unknown");
		region(e, o, GT_M_GUARD, GT_M_GUARD_END, g, n->list, n->k == N_WITH ? gt_unknown(e, g) : dot, site);
		region(e, o, GT_M_GUARD, GT_M_GUARD_END, g, n->elselist, dot, site);
		e->nvars = mark;
		return;
	}
	if (t) {
		exec_branch(e, n->list, inner, o);
		if (o->top && !e->dead && n->elselist && !e->brk)
			region(e, o, GT_M_DEAD, GT_M_DEAD_END,
			       guard_text(e, n->pipe, "true at the target, so the else branch is not rendered"),
			       n->elselist, dot, site);
	} else {
		if (o->top && !e->dead && n->list)
			region(e, o, GT_M_DEAD, GT_M_DEAD_END,
			       guard_text(e, n->pipe, "false at the target"), n->list, dot, site);
		exec_branch(e, n->elselist, dot, o);
	}
	e->nvars = mark;
}

static void exec_range(struct gt_engine *e, struct gt_node *n, struct gt_val dot, struct gt_out *o)
{
	size_t mark = e->nvars, i, count = 0;
	struct gt_val v;
	struct gt_pipe *p = n->pipe;
	size_t nv = p->nvars;

	/* range's variables are per iteration: evaluate without declaring */
	p->nvars = 0;
	v = eval_pipe(e, p, dot, NULL);
	p->nvars = nv;
	if (v.k == GT_UNKNOWN || (v.k == GT_STR && taint(e, v.u.s, v.n))) {
		const char *g = guard_text(e, p, val_unknown(e, v));
		struct gt_val u = gt_unknown(e, g);
		size_t k;
		for (k = 0; k < nv; k++)
			var_push(e, p->vars[k], u);
		region(e, o, GT_M_GUARD, GT_M_GUARD_END, g, n->list, u, site_of(e, n));
		region(e, o, GT_M_GUARD, GT_M_GUARD_END, g, n->elselist, dot, site_of(e, n));
		e->nvars = mark;
		return;
	}
	if (v.k == GT_LIST) {
		for (i = 0; i < v.u.l->n && step(e) && !e->oom; i++, count++) {
			size_t m2 = e->nvars;
			if (nv == 1)
				var_push(e, p->vars[0], v.u.l->v[i]);
			else if (nv == 2) {
				var_push(e, p->vars[0], gt_int((int64_t)i));
				var_push(e, p->vars[1], v.u.l->v[i]);
			}
			exec_list(e, n->list, v.u.l->v[i], o);
			e->nvars = m2;
			if (e->brk == 1) {
				e->brk = 0;
				break;
			}
			e->brk = 0;
		}
	} else if (v.k == GT_MAP) {
		size_t *idx = sorted_keys(v.u.m);
		if (!idx) {
			e->oom = true;
			return;
		}
		for (i = 0; i < v.u.m->n && step(e) && !e->oom; i++, count++) {
			size_t m2 = e->nvars, j = idx[i];
			if (nv == 1)
				var_push(e, p->vars[0], v.u.m->v[j]);
			else if (nv == 2) {
				var_push(e, p->vars[0], str_ref(v.u.m->k[j], strlen(v.u.m->k[j])));
				var_push(e, p->vars[1], v.u.m->v[j]);
			}
			exec_list(e, n->list, v.u.m->v[j], o);
			e->nvars = m2;
			if (e->brk == 1) {
				e->brk = 0;
				break;
			}
			e->brk = 0;
		}
		free(idx);
	} else if (v.k == GT_INT || v.k == GT_FLOAT) {
		/* each iteration is a step: a count past the steps left is refused at once */
		unsigned long left = e->steps < e->max_steps ? e->max_steps - e->steps : 0;
		int64_t k, lim = 0;
		if (v.k == GT_INT && v.u.i > 0)
			lim = v.u.i;
		else if (v.k == GT_FLOAT && v.u.f >= 1)
			lim = v.u.f > (double)left ? INT64_MAX : (int64_t)v.u.f;
		if (lim > 0 && (uint64_t)lim > left) {
			if (v.k == GT_INT)
				over_budget(e, "range over %lld iterations: more than the %lu evaluation steps left of %lu",
					    (long long)lim, left, e->max_steps);
			else
				over_budget(e, "range over %.*g iterations: more than the %lu evaluation steps left of %lu",
					    v.u.f < 1e15 ? 15 : 6, v.u.f, left, e->max_steps);
			e->nvars = mark;
			return;
		}
		for (k = 0; k < lim && step(e) && !e->oom; k++, count++) {
			size_t m2 = e->nvars;
			if (nv >= 1)
				var_push(e, p->vars[nv - 1], gt_int(k));
			exec_list(e, n->list, gt_int(k), o);
			e->nvars = m2;
			if (e->brk == 1) {
				e->brk = 0;
				break;
			}
			e->brk = 0;
		}
	} else if (v.k != GT_NIL) {
		emit_val(e, o, unknownf(e, "range can't iterate over %s",
					v.k == GT_STR ? "a string" : "a value"), site_of(e, n));
		return;
	}
	if (count == 0)
		exec_branch(e, n->elselist, dot, o);
	e->nvars = mark;
}

static struct gt_val render_define(struct gt_engine *e, const char *name, struct gt_val dot,
				   struct gt_out *out)
{
	struct define *d = find_define(e, name);
	size_t mark = e->nvars;

	if (!d)
		return unknownf(e, "no template \"%s\" associated with the chart", name);
	if (e->depth >= GT_MAX_DEPTH)
		return unknownf(e, "template \"%s\": exceeded maximum template depth", name);
	e->depth++;
	var_push(e, "$", dot);
	exec_list(e, d->body, dot, out);
	e->nvars = mark;
	e->brk = 0;
	e->depth--;
	return gt_nil();
}

static struct gt_val render_tpl(struct gt_engine *e, struct gt_val text, struct gt_val dot)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct gt_file *f;
	struct gt_out o;
	struct gt_val r;
	char *copy;
	size_t mark = e->nvars;

	if (e->depth >= GT_MAX_DEPTH)
		return unknownf(e, "tpl: exceeded maximum template depth");
	copy = kup_arena_strndup(e->a, text.u.s, text.n);
	if (!copy) {
		e->oom = true;
		return gt_nil();
	}
	f = gt_parse(e, "tpl", copy, text.n, &err);
	if (!f) {
		r = unknownf(e, "tpl: %s (helm fails here)", err.msg ? err.msg : "cannot parse");
		kup_error_release(&err);
		return r;
	}
	memset(&o, 0, sizeof(o));
	e->depth++;
	var_push(e, "$", dot);
	exec_list(e, f->root, dot, &o);
	e->nvars = mark;
	e->brk = 0;
	e->depth--;
	r = gt_str(e, o.buf.buf ? o.buf.buf : "", o.buf.len);
	gt_out_release(&o);
	return r;
}

static void exec_list(struct gt_engine *e, struct gt_node *n, struct gt_val dot, struct gt_out *o)
{
	for (; n && !e->budget && !e->oom && !e->brk; n = n->next) {
		if (!step(e))
			return;
		if (e->depth == 0)
			e->site = n->off;
		switch (n->k) {
		case N_TEXT: {
			size_t i, start = 0;
			if (e->depth == 0)
				add_span(e, o, n->off, true);
			else
				add_span(e, o, e->site, false);
			/* marker bytes in the template's own text would confuse the reader */
			for (i = 0; i < n->n; i++)
				if (is_marker(n->text[i])) {
					out_add(e, o, n->text + start, i - start);
					out_add(e, o, " ", 1);
					start = i + 1;
				}
			out_add(e, o, n->text + start, n->n - start);
			break;
		}
		case N_ACTION: {
			struct gt_val v = eval_pipe(e, n->pipe, dot, e->guard ? "assigned under an unknown condition" : NULL);
			if (n->pipe->nvars == 0)
				emit_val(e, o, v, site_of(e, n));
			break;
		}
		case N_IF:
		case N_WITH:
			exec_if_with(e, n, dot, o);
			break;
		case N_RANGE:
			exec_range(e, n, dot, o);
			break;
		case N_BREAK:
			e->brk = 1;
			return;
		case N_CONTINUE:
			e->brk = 2;
			return;
		case N_TEMPLATE: {
			struct gt_val arg = n->pipe && n->pipe->ncmds ? eval_pipe(e, n->pipe, dot, NULL) : gt_nil();
			struct gt_val r = render_define(e, n->name, arg, o);
			if (r.k == GT_UNKNOWN)
				emit_val(e, o, r, site_of(e, n));
			break;
		}
		default:
			break;
		}
	}
}

enum kup_status gt_render(struct gt_engine *e, struct gt_file *f, struct gt_val dot,
			  struct gt_out *out)
{
	e->steps = 0;
	e->depth = 0;
	e->dead = 0;
	e->guard = 0;
	e->brk = 0;
	e->budget = false;
	e->budget_why = NULL;
	e->budget_site = 0;
	e->nvars = 0;
	e->cur = f;
	var_push(e, "$", dot);
	exec_list(e, f->root, dot, out);
	e->nvars = 0;
	if (e->oom || out->buf.oom)
		return KUP_NOMEM;
	if (e->budget)
		return KUP_TOOBIG;
	return KUP_OK;
}
