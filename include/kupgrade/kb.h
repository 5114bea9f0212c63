/*
 * kb.h - the knowledge base: facts about Kubernetes and its add-ons.
 *
 * The facts live in the YAML files of data/ (see data/README.md), are embedded in the
 * binary at build time, and can be replaced with --kb DIR.  A loaded KB is
 * immutable; every string in it lives as long as the KB.
 */
#ifndef KUPGRADE_KB_H
#define KUPGRADE_KB_H

#include "kupgrade/core.h"
#include "kupgrade/version.h"

enum kup_api_level {
	KUP_LEVEL_BUILTIN = 0,    /* a built-in API served by default */
	KUP_LEVEL_OPT_IN_BETA,    /* a beta off by default (KEP-3136) */
	KUP_LEVEL_GA_DEPRECATED,  /* deprecated, still served */
	KUP_LEVEL_ADDON,          /* an add-on's CRD version, on its own axis */
	KUP_LEVEL_ALPHA,          /* an alpha version of a built-in group: off by default */
	KUP_LEVEL_CONFIG,         /* a configuration-file kind a component reads, never served */
};

struct kup_api_replacement {
	const char *api_version;
	const char *kind;               /* same kind as the rule when NULL in data */
	struct kup_version available_in;
};

/*
 * The values the replacement accepts in a field the old version took freely
 * (`replacement_accepts` in data/apis.yaml): fix refuses an object with another.
 */
struct kup_api_accepts {
	const char *field;              /* "spec.usages": a list of strings, or a string */
	const char *const *values;
	size_t nvalues;
};

struct kup_api_rule {
	const char *id;                 /* stable rule id: "kubernetes/extensions/v1beta1/Ingress" */
	const char *kind;
	const char *api_version;
	const char *component;          /* "kubernetes", "cert-manager", "istio", ... */
	enum kup_api_level level;
	struct kup_version deprecated_in;   /* .valid false when none */
	struct kup_version removed_in;      /* .valid false when none */
	const struct kup_api_replacement *replacements;
	size_t nreplacements;
	const char *notes;
	const char *source;
	const struct kup_api_accepts *accepts;
	size_t naccepts;
};

struct kup_release {
	struct kup_version version;
	const char *released;           /* ISO date; NULL for a scheduled release */
	const char *end_of_life;        /* ISO date or NULL */
	const char *source;
	const char *scheduled;          /* `status: scheduled`: the planned ISO date; else NULL */
};

struct kup_kb;

/* The KB compiled into the binary. */
enum kup_status kup_kb_load_embedded(struct kup_kb **out, struct kup_error *err);
/*
 * Every *.yaml of dir.  Problems are reported to `sink` (each with file,
 * line, column) and counted; the load fails when any was found.
 */
enum kup_status kup_kb_load_dir(const char *dir, struct kup_kb **out,
				const struct kup_error_sink *sink, size_t *nproblems);
void kup_kb_free(struct kup_kb *kb);

size_t kup_kb_api_count(const struct kup_kb *kb);
const struct kup_api_rule *kup_kb_api_at(const struct kup_kb *kb, size_t i);
/* The rule for apiVersion + kind, or NULL. */
const struct kup_api_rule *kup_kb_find_api(const struct kup_kb *kb,
					   const char *api_version, size_t av_len,
					   const char *kind, size_t kind_len);
/* True when some rule (of any component) is about this API group. */
bool kup_kb_knows_group(const struct kup_kb *kb, const char *group, size_t n);

/*
 * The best replacement served at `target` (on the rule's component axis):
 * the most recently available one whose own API is not removed at target.
 * NULL when the rule has none, or none is available yet.
 */
const struct kup_api_replacement *
kup_kb_best_replacement(const struct kup_kb *kb, const struct kup_api_rule *rule,
			const struct kup_version *target);

size_t kup_kb_release_count(const struct kup_kb *kb);
const struct kup_release *kup_kb_release_at(const struct kup_kb *kb, size_t i);
/* The newest Kubernetes minor in the KB (releases, else the newest removed_in). */
const struct kup_version *kup_kb_newest(const struct kup_kb *kb);
/*
 * Releases the KB lists as scheduled (`status: scheduled`, newer than every
 * released minor, with the planned date in `scheduled`), oldest first.  They
 * are not among kup_kb_release_at() and kup_kb_newest(): nothing about them
 * (removals, ranges) is checked, so nothing plans onto them.
 */
size_t kup_kb_scheduled_count(const struct kup_kb *kb);
const struct kup_release *kup_kb_scheduled_at(const struct kup_kb *kb, size_t i);
/* The scheduled release of v's minor, or NULL. */
const struct kup_release *kup_kb_find_scheduled(const struct kup_kb *kb,
						const struct kup_version *v);
/*
 * The knowledge base's date: the newest `checked:` date (the day a source was
 * last read) of any entry, as "YYYY-MM-DD"; NULL when no entry carries one.
 */
const char *kup_kb_checked(const struct kup_kb *kb);

/* ---- bundles: a newer knowledge base installed from a file -------------- */

/* The largest bundle kup_kb_bundle_unpack() reads. */
#define KUP_KB_BUNDLE_MAX (32u << 20)
/*
 * Unpacks the bundle at path `bundle` into the existing, empty directory
 * `dir`.  A bundle is a ustar archive of "MANIFEST" and "data/NAME.yaml"
 * members; MANIFEST's first line is "kupgrade-kb-bundle 1", then one
 * "<sha256> <size> <NAME.yaml>" line per file.  Every member is checked (its
 * type, name, size and sha256, none missing, none unlisted) before the first
 * file is written; on failure `err` names what is wrong.
 */
enum kup_status kup_kb_bundle_unpack(const char *bundle, const char *dir, struct kup_error *err);
/*
 * Installs a bundle under `base` (the caller's data directory, e.g.
 * "$XDG_DATA_HOME/kupgrade"): unpacks it into a fresh base/kb-XXXXXX, loads
 * it as a knowledge base (problems go to `sink` and are counted in
 * `problems`), requires its kup_kb_checked() date to be later than
 * `newer_than` (unless NULL), then points the symlink base/kb at it with one
 * rename(2) and removes the directory it pointed at before.  Nothing under
 * base/kb changes unless every step passed.  On success *installed_date is
 * the new KB's date (malloc'd).
 */
enum kup_status kup_kb_install(const char *bundle, const char *base, const char *newer_than,
			       const struct kup_error_sink *sink, size_t *problems,
			       char **installed_date, struct kup_error *err);

/* The add-on components named in the KB ("cert-manager", "istio"). */
bool kup_kb_has_component(const struct kup_kb *kb, const char *component);
/*
 * The newest version of `component` that the KB mentions (the latest
 * deprecated_in/removed_in of its rules): the default add-on target.
 */
bool kup_kb_component_newest(const struct kup_kb *kb, const char *component,
			     struct kup_version *out);

#endif
