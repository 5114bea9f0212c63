/*
 * ignore.h - accepting findings: inline comments and an ignore file.
 *
 * An inline comment in a manifest or a chart template accepts the findings
 * of one rule for the objects of its `---` section:
 *
 *     # kupgrade:ignore kubernetes/policy/v1beta1/PodSecurityPolicy removed with the cluster
 *
 * (the rule id as the reports show it; shell patterns allowed; the rest of
 * the line is the reason).  An ignore file holds one `RULE-PATTERN
 * PATH-PATTERN [reason]` per line ('#' starts a comment line): a finding is
 * accepted when both patterns match (fnmatch, '*' also spans '/').
 * Accepted findings stay in the scan, marked with the reason
 * (kup_finding.ignored); they never count for the exit code.
 */
#ifndef KUPGRADE_IGNORE_H
#define KUPGRADE_IGNORE_H

#include "kupgrade/scan.h"

struct kup_ignore;

/* An empty set (inline comments only). */
struct kup_ignore *kup_ignore_new(void);
/*
 * Adds the rules of an ignore file; each malformed line is reported to sink
 * (file:line) and skipped.  KUP_IO when the file cannot be read.
 */
enum kup_status kup_ignore_load(struct kup_ignore *ign, const char *path,
				const struct kup_error_sink *sink);
void kup_ignore_free(struct kup_ignore *ign);

/*
 * An ingest on_bytes tap (kup_ingest_opts, ctx the set): notes the inline
 * comments of the files that cannot be read again (a pipe, a FIFO, a socket,
 * stdin) from the bytes the scan read, so they apply as a regular file's do.
 */
void kup_ignore_tap(void *ign, const char *path, const char *buf, size_t n);
/*
 * Marks the findings of `scan` that an inline comment (read from the
 * finding's file) or a rule accepts; returns how many are marked.
 */
size_t kup_ignore_apply(struct kup_ignore *ign, struct kup_scan *scan);

#endif
