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
	char pre[64];      /* pre-release / provider suffix, "" when none */
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

#endif
