/*
 * kb_int.h - the knowledge base's private layout, shared by the loader
 * (kb.c), the planning-data loader and queries (kbplan.c) and the risk
 * detectors (check/risks.c).  Not installed; nothing outside src/lib uses it.
 */
#ifndef KUP_KB_INT_H
#define KUP_KB_INT_H

#include "kupgrade/kb.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/node.h"

/* ---- planning data --------------------------------------------------------- */

struct kup_skew_rule {
	const char *component;
	int older;                      /* minors older than the apiserver */
	int newer;                      /* minors newer */
	struct kup_version reduced_below;   /* when the component would be < this ... */
	int reduced_older;                  /* ... only this many minors older */
	const char *source;
};

/* Provider rules (kbrules.c), one slot per provider name plus "all". */
#define KUP_RULES_SLOTS 6
struct kup_rules_slot {
	struct kup_provider_rules r;
	size_t skew_cap, etcd_cap, addons_cap, images_cap, runtimes_cap, channels_cap, pool_labels_cap,
	       recognize_cap, pool_upgrades_cap, name_labels_cap, patches_cap, image_versions_cap;
};

struct kup_kbplan {
	struct kup_rules_slot rules[KUP_RULES_SLOTS];
	size_t nrules_docs;             /* provider-rules documents loaded */
	struct kup_skew_rule *skew;
	size_t nskew, skew_cap;
	int cp_max_hop;                 /* 0 until skew.yaml is loaded */
	const char *skew_source;
	struct kup_provider_release *providers;
	size_t nproviders, providers_cap;
	struct kup_addon_rule *addons;
	size_t naddons, addons_cap;
	struct kup_risk_rule *risks;
	const struct kup_detector **detectors;  /* parallel to risks */
	size_t nrisks, risks_cap, detectors_cap;
	struct kup_preflight_rule *preflight;   /* preflight.yaml */
	size_t npreflight, preflight_cap;
};

/* ---- the KB ---------------------------------------------------------------- */

struct kup_kb {
	struct kup_arena strings;        /* every string and replacement array */
	struct kup_api_rule *rules;
	size_t nrules, rules_cap;
	struct kup_release *releases;
	size_t nreleases, releases_cap;
	struct kup_release *scheduled;   /* `status: scheduled` rows, oldest first */
	size_t nscheduled, scheduled_cap;
	size_t *index;                   /* open-addressing table of rule index + 1 */
	size_t index_cap;
	struct kup_version newest;
	char checked[11];                /* newest `checked:` date, "" when none */
	char **components;
	size_t ncomponents;
	struct kup_kbplan plan;
};

struct kup_kb_loader {
	struct kup_kb *kb;
	const char *path;
	const struct kup_error_sink *sink;
	size_t problems;
	bool oom;
	char **seen;                     /* "apiVersion kind" of every entry read, valid or not: */
	size_t nseen, seen_cap;          /* an open-addressing set of seen_cap slots */
};

/* Shared field readers (kb.c); each problem is reported with file:line:column. */
void kup_kbl_problem(struct kup_kb_loader *ld, const struct kup_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *kup_kbl_str(struct kup_kb_loader *ld, const struct kup_node *n);
const struct kup_node *kup_kbl_want_str(struct kup_kb_loader *ld, const struct kup_node *map,
					const char *key, bool required);
void kup_kbl_want_version(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
			  bool required, struct kup_version *out);
void kup_kbl_want_source(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
			 const char **out);
void kup_kbl_check_keys(struct kup_kb_loader *ld, const struct kup_node *map,
			const char *const *allowed);
bool kup_kbl_valid_date(const char *s);
/* A date field (absent or null allowed when !required). */
const char *kup_kbl_want_date(struct kup_kb_loader *ld, const struct kup_node *map,
			      const char *key, bool required);
/* `checked`, the day a row's source was read: a date when present. */
void kup_kbl_want_checked(struct kup_kb_loader *ld, const struct kup_node *map);
/* A row stating something that can change (`what`: a support window, a range ...)
 * must carry `checked`: a problem at the row when it does not. */
void kup_kbl_need_checked(struct kup_kb_loader *ld, const struct kup_node *map, const char *what);


/* kbplan.c: true when `schema` is one of the planning schemas (then the
 * document was loaded into kb->plan). */
bool kup_kbplan_load_doc(struct kup_kb_loader *ld, const char *schema,
			 const struct kup_node *schema_node, const struct kup_node *root);
/* After every file: sort, cross-check (reported to the loader). */
void kup_kbplan_finish(struct kup_kb_loader *ld);
void kup_kbplan_release(struct kup_kbplan *p);

/* kbrules.c: a kupgrade.dev/kb/provider-rules/v1 document; finishing and freeing. */
#define KUP_SCHEMA_PROVIDER_RULES "kupgrade.dev/kb/provider-rules/v1"
void kup_kbrules_load(struct kup_kb_loader *ld, const struct kup_node *root);
void kup_kbrules_finish(struct kup_kb_loader *ld);
void kup_kbrules_release(struct kup_kbplan *p);

#endif
