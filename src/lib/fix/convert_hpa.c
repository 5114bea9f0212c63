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

#include "fix_int.h"

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

bool kup_convert_hpa_v2beta1(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			     const char *to)
{
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
