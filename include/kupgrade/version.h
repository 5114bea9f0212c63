/*
 * version.h - Kubernetes versions as users and providers write them.
 *
 * Accepted: "1.32", "v1.32", "1.32.3", "v1.32.3-eks-1a2b3c",
 * "v1.30.1-gke.1329003", "1.33.0-rc.1+build".  major.minor is required;
 * the patch is optional (has_patch); whatever follows a '-' is the
 * pre-release (or provider suffix) and after '+' the build metadata.
 * Anything else ("1", "1.x", "v", "1.2.3.4", "01.2") is KUP_VERSION.
 */
#ifndef KUPGRADE_VERSION_H
#define KUPGRADE_VERSION_H

#include "kupgrade/core.h"

struct kup_version {
	int major;
	int minor;
	int patch;
	bool has_patch;
	bool valid;
	/* pre-release / provider suffix, "" when none.  Fixed size on purpose (a
	   value type, copied freely): a suffix of 64 characters or more is
	   KUP_VERSION, a parse error, never cut (test_version long_suffix). */
	char pre[64];
};

enum kup_status kup_version_parse(const char *s, struct kup_version *v,
				  struct kup_error *err);
enum kup_status kup_version_parse_n(const char *s, size_t n,
				    struct kup_version *v, struct kup_error *err);

/* Compares major.minor only: <0, 0, >0. */
int kup_version_cmp_minor(const struct kup_version *a, const struct kup_version *b);
/* Compares major.minor.patch (a missing patch counts as 0), ignoring the suffix. */
int kup_version_cmp(const struct kup_version *a, const struct kup_version *b);

/* "1.32" into buf (at least 24 bytes). Returns buf. */
char *kup_version_minor_str(const struct kup_version *v, char *buf, size_t size);
/* The version as given but normalised: "1.32.3" or "1.32" (no leading v, no suffix). */
char *kup_version_str(const struct kup_version *v, char *buf, size_t size);

/* ---- Helm semver ranges ------------------------------------------------- */

/*
 * Semantic versions and ranges with the semantics of Masterminds/semver v3,
 * the library Helm uses for a chart's `kubeVersion` (and `helm install
 * --version`).  A range is one or more comparator sets separated by `||`;
 * a set is comparators separated by spaces or commas (all must hold); a
 * comparator is an operator (= != > < >= => <= =< ~ ~> ^, or none) and a
 * version that may have a leading v, wildcards (x X *) or leave out the
 * minor and patch; `A - B` (spaces around the dash) means `>= A, <= B`.
 *
 * The pre-release rule (Masterminds v3.4): a version with a pre-release
 * (1.30.1-eks-1a2b, v1.30.1-gke.1329003) satisfies a comparator set only
 * when some comparator of that set (between two `||`) has a pre-release.
 * So `>=1.23.0` does not match 1.30.1-eks-1a2b while `>=1.23.0-0` and
 * `>=1.23.0-0 <2.0.0` do.  Build metadata (+...) is ignored.  An empty
 * range is malformed (Helm itself skips the check when a chart has no
 * kubeVersion); so is one longer than 512 bytes or with more than 32
 * alternatives (Masterminds' limits).
 *
 * kup_semver_range_match() sets *match; a malformed range or version is
 * KUP_VERSION with err->column the 1-based offset of the problem in the
 * range (0 when the version is at fault) and a message naming it.
 */
enum {
	KUP_SEMVER_IGNORE_PRE = 1u << 0,   /* match the version with its pre-release removed */
	KUP_SEMVER_INCLUDE_PRE = 1u << 1,  /* pre-releases satisfy every set (Constraints.IncludePrerelease) */
};
enum kup_status kup_semver_range_match(const char *range, const char *version, bool *match,
				       struct kup_error *err);
enum kup_status kup_semver_range_match_flags(const char *range, const char *version,
					     unsigned flags, bool *match, struct kup_error *err);
/* Checks a range's syntax only. */
enum kup_status kup_semver_range_check(const char *range, struct kup_error *err);
/*
 * Orders two semantic versions as Masterminds' Version.Compare does (missing
 * minor/patch are 0, a pre-release sorts before its release, pre-release
 * identifiers compare numerically or in ASCII order); *cmp is <0, 0 or >0.
 */
enum kup_status kup_semver_cmp(const char *a, const char *b, int *cmp, struct kup_error *err);
/* True when `version` parses as a (loose) semantic version with a pre-release. */
bool kup_semver_is_prerelease(const char *version);

#endif
