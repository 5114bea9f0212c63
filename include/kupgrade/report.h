/*
 * report.h - the report model and its renderers: findings and errors in,
 * text out.
 *
 * A report holds every finding a run produced: the API lifecycle findings
 * of the scan (struct kup_finding, with their own columns: deprecated_in,
 * removed_in, replacement) and the findings of the other passes as
 * struct kup_report_item (family, severity, object, location, rule id,
 * message, detail, remedy, source URL).  The chart evaluations of a scan
 * (findings with status undecided or not-rendered) are items of their own
 * family: kup_report_set_scan() sorts them out.  A renderer never decides
 * anything: status, severity and order come from the passes.  Every format
 * carries every finding, and the exit code comes from the same model
 * (kup_report_worst).
 */
#ifndef KUPGRADE_REPORT_H
#define KUPGRADE_REPORT_H

#include "kupgrade/emit.h"
#include "kupgrade/scan.h"

enum kup_format {
	KUP_FMT_TABLE = 0,
	KUP_FMT_JSON,
	KUP_FMT_YAML,
	KUP_FMT_CSV,
	KUP_FMT_MARKDOWN,
	KUP_FMT_SARIF,
	KUP_FMT_JUNIT,
	KUP_FMT_HTML,
};

/* Parses "table", "json", ...; false when unknown. */
bool kup_format_parse(const char *s, enum kup_format *out);

struct kup_report_summary {
	size_t files;
	size_t objects;
	size_t removed;       /* findings at the removed level */
	size_t deprecated;    /* findings at the deprecated level */
	size_t errors;
	size_t undecided;        /* chart objects not judged (kup_scan_undecided) */
	bool undecided_listed;   /* they are among the findings (--show-undecided) */
	size_t ignored;          /* findings accepted (ignore.h), not counted above */
	bool ignored_listed;     /* they are among the findings (--show-ignored) */
};

/*
 * The families of findings besides the API lifecycle check.  Each has a
 * name ("preflight") that is its key in json/yaml, its tag in SARIF and its
 * classname prefix in JUnit.
 */
enum kup_item_family {
	KUP_ITEM_PREFLIGHT = 0,    /* preflight.h: checks only a cluster can answer */
	KUP_ITEM_RISK,             /* plan.h: the plan's blockers and the risks of its hops
	                              (kup_plan_report_items) */
	KUP_ITEM_FIX,              /* fix.h: what fix converted (info) or refused to convert
	                              (kup_fix_report_item) */
	KUP_ITEM_CHART,            /* scan.h: chart objects not judged (rule id "undecided") or
	                              not rendered at the target ("not-rendered") */
	KUP_ITEM_NFAMILIES
};
/* "preflight", "risk", "fix", "chart-evaluation"; NULL for an unknown family. */
const char *kup_item_family_name(enum kup_item_family f);

/*
 * One finding of another pass.  Severity is the same scale as the API
 * check's: KUP_FAIL_REMOVED blocks (exit 3), KUP_FAIL_DEPRECATED warns
 * (exit 2), KUP_FAIL_NONE informs.  Strings are borrowed from the pass that
 * produced the finding; every one but rule_id and message may be NULL.
 */
struct kup_report_item {
	enum kup_item_family family;
	enum kup_fail_level severity;
	const char *rule_id;            /* "pdb-blocking" */
	const char *kind;               /* the object the finding is about */
	const char *api_version;
	const char *name;
	const char *namespace_;
	struct kup_source src;          /* where that object was read (path NULL: unknown) */
	const char *message;            /* one line for humans */
	const char *detail;             /* more (the pods a PDB covers...) */
	const char *remedy;             /* what to do about it */
	const char *source_url;         /* where the fact behind the rule comes from */
	/* Chart evaluations: what could not be evaluated, or the guard that keeps
	   the object out at the target (src.chart is the chart, src.path the
	   template); NULL for the other families. */
	const char *reason;
};

/* "blocking", "warning" or "info": the severity of an item in every format. */
const char *kup_item_severity_name(enum kup_fail_level l);

struct kup_preflight_finding;
/* Fills `it` from a pre-flight finding (preflight.h); strings are borrowed. */
void kup_report_item_from_preflight(struct kup_report_item *it,
				    const struct kup_preflight_finding *f);

/*
 * Whether f is a chart evaluation (status undecided or not-rendered) rather
 * than an API lifecycle finding.
 */
bool kup_finding_is_chart_evaluation(const struct kup_finding *f);

/*
 * Fills `it` from a chart evaluation (family KUP_ITEM_CHART, rule id its
 * status: "undecided" or "not-rendered"); strings are borrowed.  Its
 * severity is info, or warning for an undecided one when fail_undecided
 * (scan --fail-on undecided).
 */
void kup_report_item_from_chart(struct kup_report_item *it, const struct kup_finding *f,
				bool fail_undecided);

struct kup_report {
	const char *target_version;              /* "1.32" */
	const struct kup_finding *const *findings;
	size_t nfindings;
	const struct kup_report_item *items;     /* the other passes' findings, in order */
	size_t nitems;
	unsigned passes;                         /* 1u << family for every pass that ran:
	                                            its section is shown even when empty */
	const struct kup_error *errors;
	size_t nerrors;
	struct kup_report_summary summary;
	const struct kup_kb *kb;                 /* for SARIF rules */
	const char *tool_version;
	bool color;                              /* table only */
	/* The run's --fail-on level.  JUnit: a finding below it is a passing
	   testcase (the finding in its <system-out>), so a CI server fails the
	   build exactly when kupgrade's exit code does.  has_fail_on false:
	   every removed- or deprecated-level finding is a failure. */
	bool has_fail_on;
	enum kup_fail_level fail_on;
	/* No API lifecycle pass ran (fix, plan): table, markdown and html leave
	   out the API section and its "No deprecated or removed APIs found"
	   line; json/yaml still carry an empty "findings" array. */
	bool items_only;
	/* The heading of markdown and html ("kupgrade fix"); NULL: the scan's. */
	const char *title;
	/* scan --fail-on undecided: a chart object not judged (an item, or only
	   counted in summary.undecided) is at the warning level. */
	bool fail_undecided;
	/* Set by kup_report_set_scan: the chart evaluation items it made. */
	struct kup_report_item *owned_items;
	/* Optional, to write the report while it is drawn (scan): the json,
	   yaml and csv renderers call flush(flush_ctx, out) after a finding or item once
	   `out` holds KUP_REPORT_FLUSH_AT bytes or more; flush takes the bytes
	   and empties `out` (kup_buf_reset).  The bytes are the same as without
	   it; a finding list of any length is not held whole in memory.  The
	   other formats ignore it. */
	void (*flush)(void *ctx, struct kup_buf *out);
	void *flush_ctx;
};
#define KUP_REPORT_FLUSH_AT (256u * 1024)

/*
 * Sets r->findings and r->nfindings to `list` (n entries) and counts them
 * into r->summary.removed and r->summary.deprecated by severity.
 */
void kup_report_set_findings(struct kup_report *r, const struct kup_finding *const *list, size_t n);

/*
 * A scan's findings into the model: moves the API lifecycle findings of
 * `list` (n entries) to its front, in their order (the entries after them
 * are left unspecified), sets r->findings to them (kup_report_set_findings)
 * and appends the
 * chart evaluations to r->items (kup_report_item_from_chart, with
 * r->fail_undecided), after the items already there.  The new items array
 * is r->owned_items, freed by kup_report_release().  KUP_NOMEM leaves r as
 * it was.
 */
enum kup_status kup_report_set_scan(struct kup_report *r, const struct kup_finding **list, size_t n);

/* Frees what kup_report_set_scan allocated (r itself is the caller's). */
void kup_report_release(struct kup_report *r);

/*
 * The worst severity in the report: over the API findings (by their
 * status) and the items, and warning when r->fail_undecided and
 * summary.undecided is not 0.  KUP_FAIL_NONE for an empty or NULL report.
 */
enum kup_fail_level kup_report_worst(const struct kup_report *r);

/*
 * The exit code of a run that produced `r`: 1 when it holds input errors,
 * else 3 when the worst severity is blocking/removed and at or above
 * fail_on, 2 when it is deprecated/warning and at or above fail_on, else 0.
 * fail_on KUP_FAIL_NONE never fails on findings.
 */
int kup_report_exit_code(const struct kup_report *r, enum kup_fail_level fail_on);

/*
 * Renders into out (appending).  Findings are rendered in the order given.
 * KUP_INVALID for a NULL report or buffer, an unknown format, or a count
 * without its array (findings, items, errors); KUP_NOMEM when `out` ran out of memory (its sticky
 * flag).  The machine formats (json, yaml, sarif, junit) always produce
 * valid UTF-8: invalid bytes in the input become U+FFFD.  table and
 * markdown show control characters as \n, \x1b, ... so that input can
 * never drive the terminal; html is one self-contained page (no script, no
 * external resource) with every text escaped.  tests/data/report/ holds a golden file of
 * every format.
 */
enum kup_status kup_report_render(enum kup_format fmt, const struct kup_report *r,
				  struct kup_buf *out);

/*
 * The sections of the items alone (one per family shown, as
 * kup_report_render draws them) in a human format: table, markdown or
 * html (a fragment: no page around it).  For a document of another verb
 * that embeds its findings, such as plan's text and runbook, so that a
 * blocker reads the same there as in every other format.  KUP_INVALID for
 * another format, KUP_NOMEM when `out` ran out of memory.
 */
enum kup_status kup_report_render_items(enum kup_format fmt, const struct kup_report *r,
					struct kup_buf *out);

#endif
