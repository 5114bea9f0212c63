/*
 * convert_hpa.c - HorizontalPodAutoscaler autoscaling/v2beta1 -> autoscaling/v2.
 *
 * Field names checked against k8s.io/api (v0.26.0) autoscaling/v2beta1/types.go:
 *   ResourceMetricSource{name, targetAverageUtilization, targetAverageValue}
 *   ContainerResourceMetricSource{name, targetAverageUtilization,
 *     targetAverageValue, container}
 *   PodsMetricSource{metricName, targetAverageValue, selector}
 *   ObjectMetricSource{target (CrossVersionObjectReference), metricName,
 *     targetValue, selector, averageValue}
 *   ExternalMetricSource{metricName, metricSelector, targetValue,
 *     targetAverageValue}
 * and autoscaling/v2/types.go: MetricTarget{type (Utilization | Value |
 * AverageValue), value, averageValue, averageUtilization},
 * MetricIdentifier{name, selector}, ObjectMetricSource{describedObject,
 * target, metric}, Pods/ExternalMetricSource{metric, target},
 * (Container)ResourceMetricSource{name, target[, container]}.
 *
 * When both targets of a source are set, the type is chosen as the
 * apiserver's own conversion does (pkg/apis/autoscaling/v2beta1/
 * conversion.go) and both values are kept: resource -> Utilization when
 * targetAverageUtilization is set; object -> AverageValue when averageValue
 * is set; external -> Value when targetValue is set.
 *
 * Each metric source is rewritten member by member (rename a key, replace
 * its value, delete a moved member), so unchanged members, their order and
 * comments stay.  `status` is written by the server and has another shape
 * in v2: it is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fix_int.h"
#include "kupgrade/json.h"
#include "kupgrade/report.h"

static bool is_map_node(const struct kup_node *n)
{
	return n && n->kind == KUP_NODE_MAP;
}

struct hpa {
	struct kup_fixer *f;
	size_t step;
	size_t index;          /* of the metric in spec.metrics */
	const char *source;    /* "resource", ... */
};

/* Appends `key: <node's text>` at indentation 0. */
static void put_node(struct hpa *h, struct kup_buf *b, const char *key, const struct kup_node *n)
{
	struct kup_buf v = KUP_BUF_INIT;
	kup_buf_init(&v);
	kup_fix_fragment(h->f->text, n, NULL, 0, &v);
	if (v.oom)
		b->oom = true;
	else
		kup_fix_put_pair(b, 0, h->step, key, v.buf);
	kup_buf_release(&v);
}

static const struct kup_node *value_at(const struct kup_node *map, long i)
{
	return i >= 0 ? map->u.pairs[i].value : NULL;
}

/* Renames pair i of src to `key` and sets its value to the fragment in b. */
static bool move_to(struct hpa *h, const struct kup_node *src, long i, const char *key,
		    struct kup_buf *b)
{
	if (b->oom) {
		h->f->oom = true;
		return false;
	}
	return kup_fixer_rename_key(h->f, src, (size_t)i, key) &&
	       kup_fix_set_value(h->f, src, (size_t)i, b->buf, h->step);
}

static bool drop(struct hpa *h, const struct kup_node *src, long i)
{
	return i < 0 || kup_fix_remove_pair(h->f, src, (size_t)i);
}

/*
 * target{type, <main>, <other>}: the pair at i_main is renamed `target`,
 * the pair at i_other (when set) folded into it and deleted.
 */
static bool make_target(struct hpa *h, const struct kup_node *src, const char *type,
			long i_main, const char *main_key, long i_other, const char *other_key)
{
	struct kup_buf b = KUP_BUF_INIT;
	kup_buf_init(&b);
	kup_buf_addf(&b, "type: %s\n", type);
	put_node(h, &b, main_key, value_at(src, i_main));
	if (i_other >= 0)
		put_node(h, &b, other_key, value_at(src, i_other));
	bool ok = move_to(h, src, i_main, "target", &b) && drop(h, src, i_other);
	kup_buf_release(&b);
	return ok;
}

/* metric{name, selector}: metricName is renamed `metric`; the selector pair folded in. */
static bool make_metric(struct hpa *h, const struct kup_node *src, const char *selector_key)
{
	long i_name = kup_map_index(src, "metricName");
	long i_sel = kup_map_index(src, selector_key);
	if (i_name < 0) {
		kup_fixer_unfixable(h->f, "spec.metrics[%zu].%s has no metricName", h->index,
				    h->source);
		return true;
	}
	struct kup_buf b = KUP_BUF_INIT;
	kup_buf_init(&b);
	put_node(h, &b, "name", value_at(src, i_name));
	const struct kup_node *sel = value_at(src, i_sel);
	if (sel && !(sel->kind == KUP_NODE_SCALAR && sel->tag == KUP_TAG_NULL))
		put_node(h, &b, "selector", sel);
	bool ok = move_to(h, src, i_name, "metric", &b) && drop(h, src, i_sel);
	kup_buf_release(&b);
	return ok;
}

static bool no_target(struct hpa *h)
{
	kup_fixer_unfixable(h->f, "spec.metrics[%zu].%s has no target value", h->index, h->source);
	return true;
}

static bool convert_resource(struct hpa *h, const struct kup_node *src)
{
	long u = kup_map_index(src, "targetAverageUtilization");
	long v = kup_map_index(src, "targetAverageValue");
	if (u >= 0)
		return make_target(h, src, "Utilization", u, "averageUtilization", v, "averageValue");
	if (v >= 0)
		return make_target(h, src, "AverageValue", v, "averageValue", -1, NULL);
	return no_target(h);
}

static bool convert_pods(struct hpa *h, const struct kup_node *src)
{
	long v = kup_map_index(src, "targetAverageValue");
	if (v < 0)
		return no_target(h);
	if (!make_metric(h, src, "selector") || h->f->unfixable)
		return !h->f->oom;
	return make_target(h, src, "AverageValue", v, "averageValue", -1, NULL);
}

static bool convert_object(struct hpa *h, const struct kup_node *src)
{
	long t = kup_map_index(src, "target");
	long tv = kup_map_index(src, "targetValue");
	long av = kup_map_index(src, "averageValue");
	if (tv < 0 && av < 0)
		return no_target(h);
	if (t >= 0 && !kup_fixer_rename_key(h->f, src, (size_t)t, "describedObject"))
		return false;
	if (!make_metric(h, src, "selector") || h->f->unfixable)
		return !h->f->oom;
	if (av >= 0)
		return make_target(h, src, "AverageValue", av, "averageValue", tv, "value");
	return make_target(h, src, "Value", tv, "value", -1, NULL);
}

static bool convert_external(struct hpa *h, const struct kup_node *src)
{
	long tv = kup_map_index(src, "targetValue");
	long tav = kup_map_index(src, "targetAverageValue");
	if (tv < 0 && tav < 0)
		return no_target(h);
	if (!make_metric(h, src, "metricSelector") || h->f->unfixable)
		return !h->f->oom;
	if (tv >= 0)
		return make_target(h, src, "Value", tv, "value", tav, "averageValue");
	return make_target(h, src, "AverageValue", tav, "averageValue", -1, NULL);
}

static const struct {
	const char *key;
	bool (*fn)(struct hpa *h, const struct kup_node *src);
} sources[] = {
	{ "resource", convert_resource },
	{ "containerResource", convert_resource },
	{ "pods", convert_pods },
	{ "object", convert_object },
	{ "external", convert_external },
};

/* ---- the behavior annotation ------------------------------------------------------------ */

/*
 * autoscaling/v2beta1 has no spec.behavior: the server keeps it in the
 * annotation autoscaling.alpha.kubernetes.io/behavior, the JSON of its
 * internal type, and moves it into spec.behavior on the way in
 * (pkg/apis/autoscaling/v2beta1/conversion.go, 1.20.2:
 * Convert_v2beta1_HorizontalPodAutoscaler_To_autoscaling_...): only when the
 * JSON unmarshals (encoding/json: keys matched without regard to case,
 * unknown keys ignored) and is not empty; the round-trip annotations
 * (behavior, metrics, current-metrics, conditions) are dropped either way
 * (pkg/apis/autoscaling/helpers.go DropRoundTripHorizontalPodAutoscalerAnnotations).
 */
static const char *const round_trip[] = {
	"autoscaling.alpha.kubernetes.io/behavior",
	"autoscaling.alpha.kubernetes.io/metrics",
	"autoscaling.alpha.kubernetes.io/current-metrics",
	"autoscaling.alpha.kubernetes.io/conditions",
};

/* The value of `key` in a JSON object, the key matched as encoding/json does. */
static const struct kup_node *json_field(const struct kup_node *m, const char *key)
{
	if (!m || m->kind != KUP_NODE_MAP)
		return NULL;
	const struct kup_node *fold = NULL;
	for (size_t i = 0; i < m->len; i++) {
		const char *k = kup_node_str(m->u.pairs[i].key);
		if (!k)
			continue;
		if (strcmp(k, key) == 0)
			return m->u.pairs[i].value;
		if (!fold && strcasecmp(k, key) == 0)
			fold = m->u.pairs[i].value;
	}
	return fold;
}

struct behavior {
	struct kup_buf frag;   /* the spec.behavior fragment */
	bool bad;              /* does not unmarshal: the server ignores it */
	bool empty;
};

static bool json_int(const struct kup_node *n, struct kup_buf *b)
{
	int64_t v;
	if (!n || n->kind != KUP_NODE_SCALAR || n->tag != KUP_TAG_INT || !kup_node_int(n, &v) ||
	    v < INT32_MIN || v > INT32_MAX)
		return false;
	kup_buf_addf(b, "%lld", (long long)v);
	return true;
}

static bool json_word(const struct kup_node *n, struct kup_buf *b)
{
	if (!n || n->kind != KUP_NODE_SCALAR || n->tag != KUP_TAG_STR)
		return false;
	const char *s = kup_node_str(n);
	bool plain = s && *s;
	for (const char *p = s; plain && *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			plain = false;
	if (plain)
		kup_buf_adds(b, s);
	else
		kup_json_quote(b, s ? s : "");
	return true;
}

/* One direction's rules; false when it does not unmarshal. */
static bool rules_fragment(const struct kup_node *r, const char *name, struct kup_buf *b)
{
	if (!r || kup_fix_is_null(r))
		return true;
	if (r->kind != KUP_NODE_MAP)
		return false;
	kup_buf_addf(b, "%s:\n", name);
	const struct kup_node *sws = json_field(r, "stabilizationWindowSeconds");
	const struct kup_node *sp = json_field(r, "selectPolicy");
	const struct kup_node *pol = json_field(r, "policies");
	if (sws && !kup_fix_is_null(sws)) {
		kup_buf_adds(b, "  stabilizationWindowSeconds: ");
		if (!json_int(sws, b))
			return false;
		kup_buf_addc(b, '\n');
	}
	if (sp && !kup_fix_is_null(sp)) {
		kup_buf_adds(b, "  selectPolicy: ");
		if (!json_word(sp, b))
			return false;
		kup_buf_addc(b, '\n');
	}
	if (pol && !kup_fix_is_null(pol)) {
		if (pol->kind != KUP_NODE_SEQ)
			return false;
		if (pol->len == 0)
			kup_buf_adds(b, "  policies: []\n");
		else
			kup_buf_adds(b, "  policies:\n");
		for (size_t i = 0; i < pol->len; i++) {
			const struct kup_node *p = pol->u.items[i];
			if (p->kind != KUP_NODE_MAP)
				return false;
			const struct kup_node *t = json_field(p, "type");
			const struct kup_node *v = json_field(p, "value");
			const struct kup_node *ps = json_field(p, "periodSeconds");
			kup_buf_adds(b, "  - type: ");
			if (t && !kup_fix_is_null(t)) {
				if (!json_word(t, b))
					return false;
			} else {
				kup_buf_adds(b, "\"\"");
			}
			kup_buf_adds(b, "\n    value: ");
			if (v && !kup_fix_is_null(v) ? !json_int(v, b) : (kup_buf_adds(b, "0"), false))
				return false;
			kup_buf_adds(b, "\n    periodSeconds: ");
			if (ps && !kup_fix_is_null(ps) ? !json_int(ps, b) : (kup_buf_adds(b, "0"), false))
				return false;
			kup_buf_addc(b, '\n');
		}
	}
	/* a rules object with nothing in it still counts (a non-nil pointer) */
	if (b->len > 0 && b->buf[b->len - 1] == '\n' && !sws && !sp && !pol) {
		b->len--;
		b->buf[b->len] = '\0';
		kup_buf_adds(b, " {}\n");
	}
	return true;
}

static enum kup_status behavior_doc(void *ctx, const struct kup_doc *doc)
{
	struct behavior *bh = ctx;
	const struct kup_node *root = doc->root;
	if (!root || root->kind != KUP_NODE_MAP) {
		bh->bad = !kup_fix_is_null(root);
		bh->empty = true;
		return KUP_OK;
	}
	const struct kup_node *up = json_field(root, "scaleUp");
	const struct kup_node *down = json_field(root, "scaleDown");
	if (!rules_fragment(up, "scaleUp", &bh->frag) ||
	    !rules_fragment(down, "scaleDown", &bh->frag))
		bh->bad = true;
	bh->empty = bh->frag.len == 0;
	return KUP_OK;
}

/* Moves the behavior annotation into spec.behavior and drops the round-trip annotations. */
static bool move_behavior(struct kup_fixer *f, const struct kup_node *obj)
{
	const struct kup_node *meta = kup_node_get(obj, "metadata");
	long ai = kup_map_index(meta, "annotations");
	const struct kup_node *ann = ai >= 0 ? meta->u.pairs[ai].value : NULL;
	if (!ann || ann->kind != KUP_NODE_MAP)
		return true;
	size_t ndrop = 0;
	long bi = -1;
	for (size_t i = 0; i < ann->len; i++)
		for (size_t k = 0; k < sizeof round_trip / sizeof round_trip[0]; k++)
			if (kup_node_eq(ann->u.pairs[i].key, round_trip[k])) {
				ndrop++;
				if (k == 0)
					bi = (long)i;
			}
	if (!ndrop)
		return true;
	const struct kup_node *spec = kup_node_get(obj, "spec");
	if (bi >= 0 && kup_node_get(spec, "behavior")) {
		kup_fixer_unfixable(f, "both spec.behavior and the behavior annotation are set");
		return true;
	}
	struct behavior bh = { KUP_BUF_INIT, false, true };
	kup_buf_init(&bh.frag);
	const char *json = bi >= 0 ? kup_node_str(ann->u.pairs[bi].value) : NULL;
	if (json) {
		struct kup_json_opts o;
		kup_json_opts_init(&o, "annotation");
		o.stream_items = false;
		struct kup_arena a;
		kup_arena_init(&a, 4096);
		size_t nerr = 0;
		enum kup_status st = kup_json_read_mem(json, strlen(json), &o, &a, behavior_doc, &bh,
						       &nerr);
		kup_arena_release(&a);
		if (st == KUP_NOMEM || bh.frag.oom) {
			kup_buf_release(&bh.frag);
			f->oom = true;
			return false;
		}
		if (st != KUP_OK || nerr)
			bh.bad = true;
	}
	bool moved = false;
	if (json && !bh.bad && !bh.empty) {
		if (!is_map_node(spec)) {
			kup_buf_release(&bh.frag);
			kup_fixer_unfixable(f, "spec is not a map");
			return true;
		}
		kup_fixer_put(f, spec, "behavior", bh.frag.buf);
		moved = true;
	}
	kup_buf_release(&bh.frag);
	if (ndrop == ann->len) {
		kup_fixer_replace_value(f, meta, (size_t)ai, "{}");
	} else {
		/* from the last: deleting shifts nothing (the edits are byte ranges) */
		for (size_t i = ann->len; i-- > 0;)
			for (size_t k = 0; k < sizeof round_trip / sizeof round_trip[0]; k++)
				if (kup_node_eq(ann->u.pairs[i].key, round_trip[k]))
					kup_fixer_delete_pair(f, ann, i);
	}
	if (moved)
		kup_fixer_note(f, "the behavior annotation moved into spec.behavior");
	else if (bi >= 0)
		kup_fixer_note(f, "the behavior annotation dropped (%s: the server ignores it)",
			       bh.bad ? "not valid behavior JSON" : "empty");
	if (ndrop > (bi >= 0 ? 1u : 0u))
		kup_fixer_note(f, "round-trip annotations of the server dropped");
	return !f->oom;
}

bool kup_convert_hpa_v2beta1(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			     const char *to)
{
	if (!move_behavior(f, obj) || f->unfixable)
		return !f->oom;
	(void)from;
	(void)to;
	struct hpa h = { f, kup_fix_step(obj), 0, NULL };
	const struct kup_node *metrics = kup_node_path(obj, "spec", "metrics", NULL);
	size_t converted = 0;
	if (metrics && metrics->kind == KUP_NODE_SEQ) {
		for (size_t i = 0; i < metrics->len && !f->unfixable; i++) {
			const struct kup_node *m = metrics->u.items[i];
			if (m->kind != KUP_NODE_MAP)
				continue;
			h.index = i;
			for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
				const struct kup_node *src = kup_node_get(m, sources[s].key);
				if (!src || src->kind != KUP_NODE_MAP)
					continue;
				/* already in the v2 shape */
				if (kup_node_get(src, "metric") || kup_node_get(src, "describedObject") ||
				    (kup_node_get(src, "target") &&
				     kup_node_get(kup_node_get(src, "target"), "type")))
					continue;
				h.source = sources[s].key;
				if (!sources[s].fn(&h, src))
					return false;
				converted++;
			}
		}
	}
	if (converted)
		kup_fixer_note(f, "%zu metric%s rewritten to metric/target", converted,
			       converted == 1 ? "" : "s");
	long st = kup_map_index(obj, "status");
	if (st >= 0) {
		if (!kup_fix_remove_pair(f, obj, (size_t)st))
			return false;
		kup_fixer_note(f, "status dropped (written by the server)");
	}
	return !f->oom;
}
