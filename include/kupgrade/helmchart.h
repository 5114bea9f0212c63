/*
 * helmchart.h - Helm charts rendered for a target, as far as the apiVersion
 * and kind of every object depend on it.
 *
 * A chart directory (Chart.yaml, values.yaml, templates/, charts/) is read
 * with its sub-charts (directories in charts/, file:// dependencies that
 * charts/ lacks), values are merged as helm does (the chart's values.yaml,
 * then each values file, then each --set; sub-charts get their key and
 * `global`; dependency `condition:` and `tags:` are honoured) and every
 * template is evaluated with a Go text/template evaluator whose
 * .Capabilities answer the target: KubeVersion is the target version and
 * APIVersions.Has is true for what the knowledge base says is served there
 * (and for the groups/versions of the chart's own CRDs in crds/).
 *
 * What the evaluator cannot evaluate is never guessed: an object whose
 * apiVersion or kind depends on it is KUP_CHART_UNDECIDED with the reason.
 * An object inside a branch that is not taken at the target is
 * KUP_CHART_NOT_RENDERED with the guard.
 */
#ifndef KUPGRADE_HELMCHART_H
#define KUPGRADE_HELMCHART_H

#include "kupgrade/kb.h"
#include "kupgrade/node.h"

struct kup_chart_opts {
	struct kup_version target;            /* the Kubernetes version rendered for */
	const struct kup_kb *kb;              /* what APIVersions.Has answers from */
	const char *const *values_files;      /* --values, in order */
	size_t nvalues_files;
	const char *const *set;               /* --set a.b=c[,d=e], in order */
	size_t nset;
	struct kup_read_limits limits;
	struct kup_error_sink errors;         /* unreadable files, template syntax errors */
	size_t files_read;                    /* out: Chart.yaml and rendered templates read */
};
void kup_chart_opts_init(struct kup_chart_opts *o);

enum kup_chart_state {
	KUP_CHART_RENDERED = 0,     /* rendered at the target with this apiVersion and kind */
	KUP_CHART_UNDECIDED,        /* apiVersion, kind or the guard depends on an unknown */
	KUP_CHART_NOT_RENDERED,     /* inside a branch not taken at the target */
};

struct kup_chart_object {
	enum kup_chart_state state;
	struct kup_str api_version;   /* may be empty or hold marker-free text when undecided */
	struct kup_str kind;
	struct kup_str name;
	struct kup_str namespace_;
	const char *path;             /* the template file */
	uint32_t line, column;        /* of the apiVersion value in the template */
	const char *chart;            /* "name-version" of the (sub-)chart */
	const char *reason;           /* undecided: what could not be evaluated; not-rendered: the guard */
};

typedef enum kup_status (*kup_chart_fn)(void *ctx, const struct kup_chart_object *obj);

/*
 * Renders the chart in `dir` and calls fn for every object of every
 * template (valid only during the call).  Problems reading the chart go to
 * opts->errors and the rest is rendered.  Returns KUP_OK, KUP_NOMEM, or the
 * status fn stopped with.
 */
enum kup_status kup_chart_render_dir(const char *dir, struct kup_chart_opts *opts,
				     kup_chart_fn fn, void *ctx);

/*
 * Renders the chart archive `path` (a .tgz as `helm package` writes it: one
 * top-level directory holding Chart.yaml); paths in objects and errors are
 * "path/entry".  kup_chart_render_dir() does this too when `dir` is a file.
 */

/* ---- chart archives ------------------------------------------------------ */

struct kup_tar_limits {
	size_t max_total;     /* bytes uncompressed (default 64 MiB) */
	size_t max_file;      /* bytes of one entry (default 16 MiB) */
	size_t max_entries;   /* default 10000 */
};
void kup_tar_limits_default(struct kup_tar_limits *l);

/* One regular file of an archive: a checked relative path and its bytes. */
typedef enum kup_status (*kup_tar_fn)(void *ctx, const char *path, const char *data, size_t len);

/*
 * Reads a gzip'd tar archive held in memory (`name` labels errors).  Each
 * regular file goes to fn; an entry with an absolute path, a '..'
 * component or past a size limit is reported to `sink` and skipped; a
 * corrupt stream or header is reported and ends the reading with KUP_PARSE
 * (the entries before it were delivered).  lim may be NULL (defaults).
 * Returns KUP_OK, KUP_PARSE, KUP_NOMEM or the status fn stopped with.
 */
enum kup_status kup_tar_gz_read(const unsigned char *gz, size_t len, const char *name,
				const struct kup_tar_limits *lim, const struct kup_error_sink *sink,
				kup_tar_fn fn, void *ctx);

/*
 * Checks one --set argument ("a.b=c,d=e"); false with a message in err
 * when it cannot be parsed.
 */
bool kup_chart_set_check(const char *arg, struct kup_error *err);

#endif
