/*
 * gotpl.h - a Go text/template evaluator for Helm chart templates (internal).
 *
 * Enough of text/template and of Helm's function set to decide what a chart
 * renders around apiVersions, kinds and conditions.  Whatever it cannot
 * evaluate (a function it does not implement, .Files, lookup, a failing
 * `required`) is an *unknown* value carrying the reason; it is never
 * guessed.  Unknowns travel through the rendered text as markers:
 *
 *   GT_M_UNK  idx GT_M_SEP            a value that could not be evaluated
 *   GT_M_GUARD idx GT_M_SEP ... GT_M_GUARD_END
 *                                     text under a condition that could not be
 *                                     evaluated (both branches are rendered,
 *                                     each inside such a region)
 *   GT_M_DEAD idx GT_M_SEP ... GT_M_DEAD_END
 *                                     text under a condition that is false at
 *                                     the target (only in the top-level output)
 *
 * where idx is a decimal index into the engine's reasons (gt_reason()).
 * Every value and node lives in the engine's arena.
 */
#ifndef KUP_CHART_GOTPL_H
#define KUP_CHART_GOTPL_H

#include "kupgrade/core.h"
#include "kupgrade/node.h"

#define GT_M_UNK '\x01'
#define GT_M_SEP '\x02'
#define GT_M_GUARD '\x03'
#define GT_M_GUARD_END '\x04'
#define GT_M_DEAD '\x05'
#define GT_M_DEAD_END '\x06'

enum gt_kind {
	GT_NIL = 0, GT_BOOL, GT_INT, GT_FLOAT, GT_STR, GT_LIST, GT_MAP, GT_UNKNOWN,
	GT_APIV,        /* .Capabilities.APIVersions (its method Has) */
};

struct gt_list;
struct gt_map;

struct gt_val {
	uint8_t k;               /* enum gt_kind */
	size_t n;                /* GT_STR: bytes */
	union {
		bool b;
		int64_t i;
		double f;
		const char *s;   /* GT_STR text; GT_UNKNOWN the reason */
		struct gt_list *l;
		struct gt_map *m;
	} u;
};

struct gt_list {
	size_t n, cap;
	struct gt_val *v;
};

struct gt_map {
	size_t n, cap;
	const char **k;
	struct gt_val *v;
};

/* The target the chart is rendered for. */
struct gt_caps {
	const char *version;      /* "v1.25.0" (.Capabilities.KubeVersion.Version, .GitVersion) */
	const char *major;        /* "1" */
	const char *minor;        /* "25" */
	/* .Capabilities.APIVersions.Has: 1 yes, 0 no, -1 unknown (*why says why) */
	int (*has)(void *ctx, const char *s, size_t n, const char **why);
	void *has_ctx;
	unsigned long max_steps;  /* evaluation steps per render; 0: 4,000,000 */
};

struct gt_engine;
struct gt_file;

/* Where a byte of the top-level output came from. */
struct gt_span {
	size_t out;      /* offset in the output */
	size_t src;      /* offset in the template */
	bool verbatim;   /* template text: src advances with out */
};

struct gt_out {
	struct kup_buf buf;
	struct gt_span *spans;
	size_t nspans, cap;
	bool top;        /* the top-level output (spans and dead regions kept) */
};

struct gt_engine *gt_new(struct kup_arena *a, const struct gt_caps *caps);
void gt_free(struct gt_engine *e);

/*
 * Parses one template file and registers its defines (a later define of the
 * same name wins).  `name` is what .Template.Name and errors show.  On a
 * syntax error returns NULL with err set (line and column in the file).
 */
struct gt_file *gt_parse(struct gt_engine *e, const char *name, const char *text, size_t len,
			 struct kup_error *err);

/*
 * Renders a file with `dot` as its data into out (which the caller
 * initialises and releases with gt_out_release).  KUP_TOOBIG when the
 * evaluation budget ran out (the output is then unusable), KUP_NOMEM.
 */
enum kup_status gt_render(struct gt_engine *e, struct gt_file *f, struct gt_val dot,
			  struct gt_out *out);
void gt_out_release(struct gt_out *o);
/*
 * After gt_render returned KUP_TOOBIG: which budget ran out (steps, output
 * size, or a range longer than the steps left), and at *site the offset of
 * the top-level action of the rendered file it ran out in.  NULL otherwise.
 */
const char *gt_budget(const struct gt_engine *e, size_t *site);
const char *gt_reason(const struct gt_engine *e, size_t idx);

/* ---- values ---- */
struct gt_val gt_nil(void);
struct gt_val gt_bool(bool b);
struct gt_val gt_int(int64_t i);
struct gt_val gt_float(double f);
struct gt_val gt_str(struct gt_engine *e, const char *s, size_t n);
struct gt_val gt_strc(struct gt_engine *e, const char *s);
struct gt_val gt_unknown(struct gt_engine *e, const char *reason);
struct gt_val gt_apiv(void);
struct gt_val gt_map_new(struct gt_engine *e);
struct gt_val gt_list_new(struct gt_engine *e);
bool gt_map_set(struct gt_engine *e, struct gt_map *m, const char *key, struct gt_val v);
bool gt_map_del(struct gt_map *m, const char *key, size_t n);
struct gt_val *gt_map_get(const struct gt_map *m, const char *key, size_t n);
bool gt_list_push(struct gt_engine *e, struct gt_list *l, struct gt_val v);
/* A YAML node as Helm reads values: numbers are floats, null is nil. */
struct gt_val gt_from_node(struct gt_engine *e, const struct kup_node *n);
/* A deep copy of maps (lists and scalars shared). */
struct gt_val gt_copy(struct gt_engine *e, struct gt_val v);
/*
 * Helm's coalescing of values: keys of src override dst (maps merged
 * deeply, a null in src deletes the key).  dst is modified.
 */
void gt_merge(struct gt_engine *e, struct gt_map *dst, const struct gt_map *src);
bool gt_oom(const struct gt_engine *e);
struct kup_arena *gt_arena(struct gt_engine *e);

#endif
