/*
 * fix.h - rewrite manifests to the replacement APIs, byte-exact outside the
 * edits.
 *
 * kup_fix_text() reads one file's text (YAML stream or JSON, detected like
 * ingest does), decides for every object whether it needs converting at the
 * target (a rule of the KB removed or deprecated at the target with a
 * replacement served there), and produces the new text by splicing byte
 * ranges of the original at parser positions: comments, key order, quoting,
 * indentation, blank lines, separators, CRLF and trailing text outside the
 * edited nodes stay identical.  Documents that cannot be parsed, and objects
 * that cannot be converted mechanically (PodSecurityPolicy, a PDB with
 * `selector: {}`, a non-structural CRD schema, ...), are left untouched and
 * reported.  Fixing the output again changes nothing.
 */
#ifndef KUPGRADE_FIX_H
#define KUPGRADE_FIX_H

#include "kupgrade/kb.h"
#include "kupgrade/node.h"

enum kup_fix_outcome {
	KUP_FIX_CONVERTED = 0,   /* rewritten to the replacement */
	KUP_FIX_UNFIXABLE,       /* needs a human: reason says why; document untouched */
};

/* "converted", "unfixable". */
const char *kup_fix_outcome_name(enum kup_fix_outcome o);

struct kup_fix_note {
	enum kup_fix_outcome outcome;
	char *kind;
	char *api_version;        /* as found */
	char *to_api_version;     /* converted: the new apiVersion; else NULL */
	char *name;               /* NULL when none */
	char *namespace_;
	uint32_t line;            /* of the object's apiVersion key */
	uint32_t column;
	bool removed_at_target;   /* the API found is removed at the target */
	char *reason;             /* unfixable: why; converted: what else changed, or NULL */
};

/*
 * One changed range: bytes [start, end) of the input became bytes
 * [out_start, out_end) of the output (offsets from where kup_fix_text()
 * began appending).  Spans are in input order and never overlap; the text
 * between them is identical in both.
 */
struct kup_fix_span {
	size_t start, end;
	size_t out_start, out_end;
};

struct kup_fix_result {
	struct kup_fix_note *notes;
	size_t nnotes;
	struct kup_fix_span *spans;   /* kup_fix_text() only: where the output differs */
	size_t nspans;
	bool spans_valid;             /* false: compare the texts whole (helm records) */
	size_t converted;
	size_t unfixable;         /* of which removed at the target: */
	size_t unfixable_removed;
	size_t errors;            /* documents that could not be parsed */
};

void kup_fix_result_init(struct kup_fix_result *r);

/*
 * A note as a report item (report.h, family KUP_ITEM_FIX), its strings
 * copied into `strings`.  An unfixable note: rule id "fix-refused",
 * blocking when the API found is removed at the target (fix exits 3 for
 * it), else a warning; message the reason.  A converted one: rule id
 * "fix-converted", info, message "converted to APIVERSION", detail what else
 * changed.  The object is the note's, the location path:line:column.
 * Returns false when `strings` ran out of memory.
 */
struct kup_report_item;
bool kup_fix_report_item(struct kup_report_item *it, const char *path,
			 const struct kup_fix_note *n, struct kup_arena *strings);
void kup_fix_result_release(struct kup_fix_result *r);

struct kup_fix_opts {
	const struct kup_kb *kb;
	struct kup_version target;
	struct kup_read_limits limits;
	struct kup_error_sink errors;   /* parse errors, with path:line:column */
	/*
	 * kup_fix_text() only: `out` receives the text of the changed spans
	 * alone (their out_start/out_end index it), not the unchanged text
	 * around them; for a diff, which needs no second copy of the file.
	 */
	bool edits_only;
};
void kup_fix_opts_init(struct kup_fix_opts *o, const struct kup_kb *kb);

/*
 * Fixes the text of one file called `path`.  Appends the new text to `out`
 * (byte-identical to the input when nothing changed) and the notes to
 * `res`.  Returns KUP_OK unless memory ran out; parse problems are errors
 * in the sink and in res->errors, and those documents are copied unchanged.
 */
enum kup_status kup_fix_text(const char *path, const char *text, size_t len,
			     const struct kup_fix_opts *opts, struct kup_buf *out,
			     struct kup_fix_result *res);

/*
 * `fix --helm-release`: `text` is a Helm v3 release record as kubectl dumps
 * it (a Secret of type helm.sh/release.v1 or a helm ConfigMap, YAML or JSON,
 * a single object or a List of revisions).  The newest revision's manifest
 * and hooks are fixed with kup_fix_text(), the release is re-encoded exactly
 * as Helm stores it (JSON -> gzip -> base64, plus base64 for a Secret's
 * data), and the record is written to `out` with only data.release changed
 * (other revisions in a List are copied unchanged).
 */
enum kup_status kup_fix_helm_release(const char *path, const char *text, size_t len,
				     const struct kup_fix_opts *opts, struct kup_buf *out,
				     struct kup_fix_result *res);

#endif
