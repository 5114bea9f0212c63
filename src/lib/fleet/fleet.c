/* fleet.c - the Fleet file: parsing and validation (see fleet.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <limits.h>

#include "kupgrade/emit.h"
#include "kupgrade/fleet.h"
#include "kupgrade/yaml.h"
#include "kupgrade/node.h"

#define FLEET_MAX_FILE (64u << 20)

static const char *const cmd_names[KUP_FLEET_NCMD] = {
	[KUP_FLEET_CMD_ADDON] = "addon",
	[KUP_FLEET_CMD_CONTROL_PLANE] = "control-plane",
	[KUP_FLEET_CMD_NODEPOOL] = "nodepool",
	[KUP_FLEET_CMD_CHART] = "chart",
	[KUP_FLEET_CMD_MANIFESTS] = "manifests",
	[KUP_FLEET_CMD_VERIFY] = "verify",
	[KUP_FLEET_CMD_HEALTH] = "health",
};

const char *kup_fleet_cmd_name(enum kup_fleet_cmd c)
{
	return (unsigned)c < KUP_FLEET_NCMD ? cmd_names[c] : "?";
}

/* ---- durations ------------------------------------------------------------ */

bool kup_fleet_parse_duration(const char *s, int64_t *secs)
{
	int64_t total = 0;
	bool any = false;

	if (!s || !*s)
		return false;
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return true;
	}
	while (*s) {
		int64_t n = 0, mul;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s)) {
			if (n > INT64_MAX / 100)
				return false;
			n = n * 10 + (*s++ - '0');
		}
		switch (*s++) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return false;
		}
		if (n > (INT64_MAX / 2 - total) / mul)
			return false;
		total += n * mul;
		any = true;
	}
	if (!any)
		return false;
	*secs = total;
	return true;
}

char *kup_fleet_format_duration(int64_t secs, char *buf, size_t size)
{
	struct kup_buf b = KUP_BUF_INIT;
	int64_t d = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60, s = secs % 60;

	if (secs <= 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	kup_buf_init(&b);
	if (d)
		kup_buf_addf(&b, "%lldd", (long long)d);
	if (h)
		kup_buf_addf(&b, "%lldh", (long long)h);
	if (m)
		kup_buf_addf(&b, "%lldm", (long long)m);
	if (s)
		kup_buf_addf(&b, "%llds", (long long)s);
	snprintf(buf, size, "%s", b.oom ? "?" : b.buf);
	kup_buf_release(&b);
	return buf;
}

/* ---- windows --------------------------------------------------------------- */

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int parse_day(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

static bool parse_hhmm(const char *s, int *min)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return false;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return false;
	*min = h * 60 + m;
	return true;
}

bool kup_fleet_parse_window(const char *s, struct kup_fleet_window *w, char *why, size_t why_size)
{
	const char *p = s, *e;
	uint8_t days = 0;

	memset(w, 0, sizeof(*w));
	while (*p == ' ')
		p++;
	/* days: "Sat", "Mon-Fri", "Mon..Fri", "Sat,Sun", "daily" */
	e = strchr(p, ' ');
	if (!e) {
		snprintf(why, why_size, "expected \"DAYS HH:MM-HH:MM UTC\"");
		return false;
	}
	if ((size_t)(e - p) == 5 && strncasecmp(p, "daily", 5) == 0) {
		days = 0x7f;
	} else {
		const char *q = p;
		while (q < e) {
			const char *c = memchr(q, ',', (size_t)(e - q));
			const char *end = c ? c : e;
			const char *dash = NULL;
			size_t dl = 1;
			for (const char *r = q; r < end; r++) {
				if (*r == '-') { dash = r; dl = 1; break; }
				if (*r == '.' && r + 1 < end && r[1] == '.') { dash = r; dl = 2; break; }
			}
			int a, b;
			if (dash) {
				a = parse_day(q, (size_t)(dash - q));
				b = parse_day(dash + dl, (size_t)(end - dash - dl));
			} else {
				a = b = parse_day(q, (size_t)(end - q));
			}
			if (a < 0 || b < 0) {
				snprintf(why, why_size, "unknown day '%.*s' (Mon, Tue, Wed, Thu, Fri, Sat, Sun, "
					 "ranges Mon-Fri, lists Sat,Sun, or daily)", (int)(end - q), q);
				return false;
			}
			for (int d = a;; d = (d + 1) % 7) {
				days |= (uint8_t)(1u << d);
				if (d == b)
					break;
			}
			q = c ? c + 1 : e;
		}
	}
	p = e;
	while (*p == ' ')
		p++;
	if (strlen(p) < 11 || !parse_hhmm(p, &w->start_min) || p[5] != '-' ||
	    !parse_hhmm(p + 6, &w->end_min)) {
		snprintf(why, why_size, "expected a time range HH:MM-HH:MM after the days");
		return false;
	}
	if (w->start_min == 1440) {
		snprintf(why, why_size, "a window cannot start at 24:00");
		return false;
	}
	if (w->end_min == 0)
		w->end_min = 1440;
	p += 11;
	while (*p == ' ')
		p++;
	if (!*p) {
		snprintf(why, why_size, "the window needs a time zone: only UTC is supported");
		return false;
	}
	if (strcmp(p, "UTC") != 0 && strcmp(p, "Z") != 0 && strcmp(p, "Etc/UTC") != 0) {
		snprintf(why, why_size, "unsupported time zone '%s': only UTC is supported", p);
		return false;
	}
	if (w->start_min == w->end_min) {
		snprintf(why, why_size, "the window is empty (start equals end)");
		return false;
	}
	w->days = days;
	w->set = true;
	w->text = s;
	return true;
}

/* Minutes since Monday 00:00 UTC of the week holding t; *week_start its time. */
static int week_minute(time_t t, time_t *week_start)
{
	/* 1970-01-01 was a Thursday: day 3 counting from Monday. */
	int64_t days = (int64_t)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
	int64_t dow = ((days + 3) % 7 + 7) % 7;
	int64_t secs = (int64_t)t - days * 86400;
	*week_start = (time_t)((days - dow) * 86400);
	return (int)(dow * 1440 + secs / 60);
}

bool kup_fleet_window_open(const struct kup_fleet_window *w, time_t t)
{
	time_t ws;
	int m;

	if (!w || !w->set)
		return true;
	m = week_minute(t, &ws);
	for (int d = 0; d < 7; d++) {
		if (!(w->days & (1u << d)))
			continue;
		int start = d * 1440 + w->start_min;
		int end = d * 1440 + (w->end_min > w->start_min ? w->end_min : w->end_min + 1440);
		/* the last day's window may wrap into next week's Monday */
		if ((m >= start && m < end) || (m + 7 * 1440 >= start && m + 7 * 1440 < end))
			return true;
	}
	return false;
}

time_t kup_fleet_window_next(const struct kup_fleet_window *w, time_t t)
{
	time_t ws, best = 0;
	bool have = false;

	if (!w || !w->set || kup_fleet_window_open(w, t))
		return t;
	(void)week_minute(t, &ws);
	for (int wk = 0; wk < 2; wk++)
		for (int d = 0; d < 7; d++) {
			if (!(w->days & (1u << d)))
				continue;
			time_t open = ws + (time_t)wk * 7 * 86400 + (time_t)d * 86400 +
				      (time_t)w->start_min * 60;
			if (open > t && (!have || open < best)) {
				best = open;
				have = true;
			}
		}
	return have ? best : t;
}

unsigned kup_fleet_max_concurrent(const struct kup_fleet_wave *w, size_t n)
{
	unsigned long long v;

	if (!w->max_percent)
		return w->max_value ? w->max_value : 1;
	v = ((unsigned long long)n * w->max_value + 99) / 100;
	if (v < 1)
		v = 1;
	if (v > UINT_MAX)
		v = UINT_MAX;
	return (unsigned)v;
}

/* ---- templates --------------------------------------------------------------- */

static const char *const var_names[] = {
	"cluster", "version", "pool", "addon", "kubeconfig", "context", "type", "component",
};

static const char *var_value(const struct kup_fleet_vars *v, const char *name, size_t n)
{
	const char *vals[] = { v->cluster, v->version, v->pool, v->addon,
			       v->kubeconfig, v->context, v->type, v->component };
	for (size_t i = 0; i < sizeof(var_names) / sizeof(var_names[0]); i++)
		if (strlen(var_names[i]) == n && memcmp(var_names[i], name, n) == 0)
			return vals[i] ? vals[i] : "";
	return NULL;
}

bool kup_fleet_check_template(const char *tmpl, size_t *bad)
{
	static const struct kup_fleet_vars none;
	for (const char *p = tmpl; *p; p++) {
		if (*p != '{')
			continue;
		const char *e = strchr(p, '}');
		if (!e || !var_value(&none, p + 1, (size_t)(e - p - 1))) {
			*bad = (size_t)(p - tmpl);
			return false;
		}
		p = e;
	}
	return true;
}

enum kup_status kup_fleet_expand(const char *tmpl, const struct kup_fleet_vars *v,
				 struct kup_buf *out)
{
	for (const char *p = tmpl; *p; p++) {
		const char *e, *val;
		if (*p != '{' || !(e = strchr(p, '}')) ||
		    !(val = var_value(v, p + 1, (size_t)(e - p - 1)))) {
			kup_buf_addc(out, *p);
			continue;
		}
		kup_sh_quote(out, val);
		p = e;
	}
	return out->oom ? KUP_NOMEM : KUP_OK;
}

/* ---- the parser ------------------------------------------------------------- */

struct pctx {
	struct kup_fleet *f;
	const struct kup_error_sink *sink;
	struct kup_error *err;
	size_t nerr;
	size_t ndocs;
	const char *path;
};

static void problem(struct pctx *c, const struct kup_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct pctx *c, const struct kup_node *n, const char *fmt, ...)
{
	struct kup_error e = KUP_ERROR_INIT;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kup_error_set(&e, KUP_INVALID, c->path, n ? n->line : 0, n ? n->column : 0, "%s", msg);
	if (c->nerr == 0 && c->err)
		kup_error_copy(c->err, &e);
	c->nerr++;
	kup_error_emit(c->sink, &e);
	kup_error_release(&e);
}

static const char *dup_str(struct pctx *c, const struct kup_node *n)
{
	const char *s = kup_node_str(n);
	return s ? kup_arena_strdup(&c->f->arena, s) : NULL;
}

/* A string scalar (any plain scalar's text); NULL and a problem otherwise. */
static const char *want_str(struct pctx *c, const struct kup_node *n, const char *what)
{
	if (!n || n->kind != KUP_NODE_SCALAR || n->tag == KUP_TAG_NULL || n->len == 0) {
		problem(c, n, "%s must be a non-empty string", what);
		return NULL;
	}
	return dup_str(c, n);
}

static bool want_map(struct pctx *c, const struct kup_node *n, const char *what)
{
	if (!n || n->kind != KUP_NODE_MAP) {
		problem(c, n, "%s must be a map", what);
		return false;
	}
	return true;
}

/* Reports keys of map `n` not in the NULL-terminated list. */
static void known_keys(struct pctx *c, const struct kup_node *n, const char *what,
		       const char *const *keys)
{
	for (size_t i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key;
		const char *ks = kup_node_str(k), *hint;
		bool ok = false;
		size_t nkeys = 0;
		for (size_t j = 0; ks && keys[j]; j++)
			if (strcmp(ks, keys[j]) == 0)
				ok = true;
		if (ok)
			continue;
		while (keys[nkeys])
			nkeys++;
		hint = kup_suggest(ks, keys, nkeys);
		if (hint)
			problem(c, k, "unknown key '%s' in %s; did you mean '%s'?", ks, what, hint);
		else
			problem(c, k, "unknown key '%s' in %s", ks ? ks : "?", what);
	}
}

static bool labels_from(struct pctx *c, const struct kup_node *n, const char *what,
			struct kup_fleet_label **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (!n)
		return true;
	if (!want_map(c, n, what))
		return false;
	*out = kup_arena_zalloc(&c->f->arena, (n->len ? n->len : 1) * sizeof(**out));
	if (!*out)
		return false;
	for (size_t i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key, *v = n->u.pairs[i].value;
		if (!v || v->kind != KUP_NODE_SCALAR || v->tag == KUP_TAG_NULL) {
			problem(c, v ? v : k, "%s: the value of '%s' must be a string", what,
				kup_node_str(k) ? kup_node_str(k) : "?");
			continue;
		}
		(*out)[*nout].key = dup_str(c, k);
		(*out)[*nout].value = dup_str(c, v);
		(*nout)++;
	}
	return true;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_')
			return false;
	}
	return true;
}

static const char *resolve_path(struct pctx *c, const char *p)
{
	if (p[0] == '/' || strcmp(c->f->dir, ".") == 0)
		return kup_arena_strdup(&c->f->arena, p);
	return kup_arena_printf(&c->f->arena, "%s/%s", c->f->dir, p);
}

static void parse_clusters(struct pctx *c, const struct kup_node *n)
{
	static const char *const keys[] = { "name", "profile", "context", "kubeconfig", "dump", "labels",
					    NULL };
	struct kup_fleet *f = c->f;
	size_t *seen, cap = 16;

	if (!n || n->kind != KUP_NODE_SEQ || n->len == 0) {
		problem(c, n, "spec.clusters must be a non-empty list");
		return;
	}
	f->clusters = kup_arena_zalloc(&f->arena, n->len * sizeof(*f->clusters));
	if (!f->clusters)
		return;
	while (cap < n->len * 2)
		cap <<= 1;
	seen = kup_calloc(cap, sizeof(*seen));     /* names seen: index + 1, 0 empty */
	for (size_t i = 0; i < n->len; i++) {
		const struct kup_node *it = n->u.items[i];
		struct kup_fleet_cluster *cl = &f->clusters[f->nclusters];
		if (!want_map(c, it, "a cluster"))
			continue;
		known_keys(c, it, "a cluster", keys);
		cl->line = it->line;
		cl->column = it->column;
		const struct kup_node *nm = kup_node_get(it, "name");
		cl->name = nm ? want_str(c, nm, "cluster name") : NULL;
		if (!nm)
			problem(c, it, "a cluster needs a name");
		if (cl->name && !valid_name(cl->name)) {
			problem(c, nm, "cluster name '%s' may hold only letters, digits, '-', '.' and '_'",
				cl->name);
			cl->name = NULL;
		}
		if (cl->name && seen) {
			uint64_t h = 1469598103934665603ull;
			for (const char *q = cl->name; *q; q++)
				h = (h ^ (unsigned char)*q) * 1099511628211ull;
			for (size_t k = h & (cap - 1);; k = (k + 1) & (cap - 1)) {
				if (!seen[k]) {
					seen[k] = f->nclusters + 1;
					break;
				}
				const struct kup_fleet_cluster *o = &f->clusters[seen[k] - 1];
				if (strcmp(o->name, cl->name) == 0) {
					problem(c, nm, "duplicate cluster '%s' (first at line %u)", cl->name,
						(unsigned)o->line);
					cl->name = NULL;
					break;
				}
			}
		}
		const struct kup_node *pr = kup_node_get(it, "profile"), *cx = kup_node_get(it, "context");
		if (pr && cx)
			problem(c, cx, "cluster '%s' has both a profile and a context: give one",
				cl->name ? cl->name : "?");
		else if (!pr && !cx)
			problem(c, it, "cluster '%s' needs a profile (a ClusterProfile file) or a context",
				cl->name ? cl->name : "?");
		if (pr && (cl->profile_text = want_str(c, pr, "profile")))
			cl->profile = resolve_path(c, cl->profile_text);
		if (cx)
			cl->context = want_str(c, cx, "context");
		if (kup_node_get(it, "kubeconfig"))
			cl->kubeconfig = want_str(c, kup_node_get(it, "kubeconfig"), "kubeconfig");
		if (kup_node_get(it, "dump")) {
			if (cx)
				problem(c, kup_node_get(it, "dump"), "cluster '%s' has a context: its objects "
					"are read live, give no dump", cl->name ? cl->name : "?");
			else if ((cl->dump_text = want_str(c, kup_node_get(it, "dump"), "dump")))
				cl->dump = resolve_path(c, cl->dump_text);
		}
		labels_from(c, kup_node_get(it, "labels"), "labels", &cl->labels, &cl->nlabels);
		f->nclusters++;
	}
	free(seen);
}

static void parse_waves(struct pctx *c, const struct kup_node *n)
{
	static const char *const keys[] = { "name", "selector", "maxConcurrent", "soak", "approval",
					    "maxFailures", "window", NULL };
	struct kup_fleet *f = c->f;

	if (!n || n->kind != KUP_NODE_SEQ || n->len == 0) {
		problem(c, n, "spec.waves must be a non-empty list");
		return;
	}
	f->waves = kup_arena_zalloc(&f->arena, n->len * sizeof(*f->waves));
	if (!f->waves)
		return;
	for (size_t i = 0; i < n->len; i++) {
		const struct kup_node *it = n->u.items[i], *v;
		struct kup_fleet_wave *w = &f->waves[f->nwaves];
		if (!want_map(c, it, "a wave"))
			continue;
		known_keys(c, it, "a wave", keys);
		w->line = it->line;
		w->column = it->column;
		w->max_percent = true;
		w->max_value = 100;
		if (!(v = kup_node_get(it, "name")))
			problem(c, it, "a wave needs a name");
		else if ((w->name = want_str(c, v, "wave name")) && !valid_name(w->name))
			problem(c, v, "wave name '%s' may hold only letters, digits, '-', '.' and '_'",
				w->name);
		for (size_t j = 0; w->name && j < f->nwaves; j++)
			if (f->waves[j].name && strcmp(f->waves[j].name, w->name) == 0)
				problem(c, v, "duplicate wave '%s'", w->name);
		if (!(v = kup_node_get(it, "selector")))
			problem(c, it, "wave '%s' needs a selector (labels, e.g. {env: dev})",
				w->name ? w->name : "?");
		else
			labels_from(c, v, "selector", &w->selector, &w->nselector);
		if ((v = kup_node_get(it, "maxConcurrent"))) {
			int64_t k;
			const char *s = kup_node_str(v);
			size_t sl = s ? strlen(s) : 0;
			if (v->kind == KUP_NODE_SCALAR && kup_node_int(v, &k)) {
				if (k < 1 || k > 1000000)
					problem(c, v, "maxConcurrent must be at least 1");
				else {
					w->max_percent = false;
					w->max_value = (unsigned)k;
				}
			} else if (s && sl >= 2 && sl <= 4 && s[sl - 1] == '%' &&
				   strspn(s, "0123456789") == sl - 1) {
				unsigned pc = (unsigned)atoi(s);
				if (pc < 1 || pc > 100)
					problem(c, v, "maxConcurrent '%s' must be between 1%% and 100%%", s);
				else
					w->max_value = pc;
			} else {
				problem(c, v, "maxConcurrent must be a number (2) or a percentage (\"25%%\")");
			}
		}
		if ((v = kup_node_get(it, "soak"))) {
			const char *s = kup_node_str(v);
			if (!s || !kup_fleet_parse_duration(s, &w->soak))
				problem(c, v, "soak '%s' is not a duration (30s, 45m, 1h, 24h, 1h30m)",
					s ? s : "?");
		}
		if ((v = kup_node_get(it, "approval")) && !kup_node_bool(v, &w->approval))
			problem(c, v, "approval must be true or false");
		if ((v = kup_node_get(it, "maxFailures"))) {
			int64_t k;
			if (!kup_node_int(v, &k) || k < 1 || k > 1000000)
				problem(c, v, "maxFailures must be a number, at least 1");
			else
				w->max_failures = (unsigned)k;
		}
		if ((v = kup_node_get(it, "window"))) {
			char why[256];
			const char *s = want_str(c, v, "window");
			if (s && !kup_fleet_parse_window(s, &w->window, why, sizeof(why)))
				problem(c, v, "window '%s': %s", s, why);
		}
		f->nwaves++;
	}
}

static void parse_command(struct pctx *c, const struct kup_node *v, enum kup_fleet_cmd which)
{
	size_t bad;
	const char *s = want_str(c, v, kup_fleet_cmd_name(which));
	if (!s)
		return;
	if (!kup_fleet_check_template(s, &bad)) {
		problem(c, v, "%s command: unknown placeholder at '%.20s' (known: {cluster} {version} "
			"{pool} {addon} {kubeconfig} {context} {type} {component})",
			kup_fleet_cmd_name(which), s + bad);
		return;
	}
	c->f->cmd[which].text = s;
	c->f->cmd[which].line = v->line;
	c->f->cmd[which].column = v->column;
}

static void parse_spec(struct pctx *c, const struct kup_node *spec)
{
	static const char *const keys[] = { "target", "clusters", "waves", "health", "driver", NULL };
	struct kup_fleet *f = c->f;
	const struct kup_node *v;

	known_keys(c, spec, "spec", keys);
	v = kup_node_get(spec, "target");
	if (!v || v->kind != KUP_NODE_MAP) {
		problem(c, v ? v : spec, "spec.target must be a map with a version ({version: \"1.31\"})");
	} else {
		static const char *const tkeys[] = { "version", NULL };
		const struct kup_node *tv = kup_node_get(v, "version");
		known_keys(c, v, "spec.target", tkeys);
		if (!tv)
			problem(c, v, "spec.target needs a version");
		else if ((f->target_text = want_str(c, tv, "spec.target.version"))) {
			struct kup_error e = KUP_ERROR_INIT;
			if (kup_version_parse(f->target_text, &f->target, &e) != KUP_OK)
				problem(c, tv, "target version '%s': %s", f->target_text,
					e.msg ? e.msg : "malformed");
			kup_error_release(&e);
		}
	}
	parse_clusters(c, kup_node_get(spec, "clusters"));
	parse_waves(c, kup_node_get(spec, "waves"));

	f->health_interval = 30;
	f->health_successes = 1;
	if ((v = kup_node_get(spec, "health")) && want_map(c, v, "spec.health")) {
		static const char *const hkeys[] = { "command", "interval", "successes", NULL };
		const struct kup_node *h;
		known_keys(c, v, "spec.health", hkeys);
		if (!(h = kup_node_get(v, "command")))
			problem(c, v, "spec.health needs a command");
		else
			parse_command(c, h, KUP_FLEET_CMD_HEALTH);
		if ((h = kup_node_get(v, "interval"))) {
			const char *s = kup_node_str(h);
			if (!s || !kup_fleet_parse_duration(s, &f->health_interval))
				problem(c, h, "interval '%s' is not a duration", s ? s : "?");
		}
		if ((h = kup_node_get(v, "successes"))) {
			int64_t k;
			if (!kup_node_int(h, &k) || k < 1 || k > 1000)
				problem(c, h, "successes must be a number between 1 and 1000");
			else
				f->health_successes = (unsigned)k;
		}
	}
	f->timeout = 3600;
	if ((v = kup_node_get(spec, "driver")) && want_map(c, v, "spec.driver")) {
		for (size_t i = 0; i < v->len; i++) {
			const char *k = kup_node_str(v->u.pairs[i].key);
			const struct kup_node *val = v->u.pairs[i].value;
			bool found = false;
			if (k && strcmp(k, "timeout") == 0) {
				const char *s = kup_node_str(val);
				if (!s || !kup_fleet_parse_duration(s, &f->timeout) || f->timeout == 0)
					problem(c, val, "timeout '%s' is not a duration (45m, 2h)", s ? s : "?");
				continue;
			}
			for (int j = 0; k && j < KUP_FLEET_CMD_HEALTH; j++)
				if (strcmp(k, cmd_names[j]) == 0) {
					parse_command(c, val, (enum kup_fleet_cmd)j);
					found = true;
				}
			if (!found) {
				const char *known[KUP_FLEET_CMD_HEALTH + 1], *hint;
				int n;

				for (n = 0; n < KUP_FLEET_CMD_HEALTH; n++)
					known[n] = cmd_names[n];
				known[n++] = "timeout";
				hint = k ? kup_suggest(k, known, (size_t)n) : NULL;
				if (hint)
					problem(c, v->u.pairs[i].key, "unknown key '%s' in spec.driver; did "
						"you mean '%s'? (control-plane, nodepool, addon, chart, "
						"manifests, verify, timeout)", k, hint);
				else
					problem(c, v->u.pairs[i].key, "unknown key '%s' in spec.driver "
						"(control-plane, nodepool, addon, chart, manifests, verify, "
						"timeout)", k ? k : "?");
			}
		}
	}
	/* every cluster in exactly one wave: the first whose selector matches */
	for (size_t i = 0; i < f->nclusters; i++) {
		struct kup_fleet_cluster *cl = &f->clusters[i];
		bool found = false;
		for (size_t w = 0; w < f->nwaves && !found; w++) {
			bool all = true;
			for (size_t s = 0; s < f->waves[w].nselector && all; s++) {
				bool hit = false;
				for (size_t l = 0; l < cl->nlabels; l++)
					if (cl->labels[l].key && f->waves[w].selector[s].key &&
					    strcmp(cl->labels[l].key, f->waves[w].selector[s].key) == 0 &&
					    strcmp(cl->labels[l].value, f->waves[w].selector[s].value) == 0)
						hit = true;
				all = hit;
			}
			if (all) {
				cl->wave = w;
				f->waves[w].nclusters++;
				found = true;
			}
		}
		if (!found && f->nwaves) {
			struct kup_node at = { .line = cl->line, .column = cl->column };
			problem(c, &at, "cluster '%s' is in no wave (no wave selector matches its labels)",
				cl->name ? cl->name : "?");
		}
	}
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	struct pctx *c = ctx;
	const struct kup_node *root = doc->root, *v;

	if (!root)
		return KUP_OK;
	if (c->ndocs++) {
		problem(c, root, "a fleet file holds one Fleet (found a second document)");
		return KUP_OK;
	}
	if (!want_map(c, root, "a Fleet"))
		return KUP_OK;
	known_keys(c, root, "a Fleet", keys);
	if (!kup_node_eq(kup_node_get(root, "apiVersion"), "kupgrade.dev/v1alpha1"))
		problem(c, kup_node_get(root, "apiVersion") ? kup_node_get(root, "apiVersion") : root,
			"apiVersion must be kupgrade.dev/v1alpha1");
	if (!kup_node_eq(kup_node_get(root, "kind"), "Fleet"))
		problem(c, kup_node_get(root, "kind") ? kup_node_get(root, "kind") : root,
			"kind must be Fleet");
	v = kup_node_path(root, "metadata", "name", NULL);
	c->f->name = v ? want_str(c, v, "metadata.name") : "fleet";
	v = kup_node_get(root, "spec");
	if (!v)
		problem(c, root, "a Fleet needs a spec");
	else if (want_map(c, v, "spec"))
		parse_spec(c, v);
	return KUP_OK;
}

static void on_read_error(void *ctx, const struct kup_error *e)
{
	struct pctx *c = ctx;
	if (c->nerr == 0 && c->err)
		kup_error_copy(c->err, e);
	c->nerr++;
	kup_error_emit(c->sink, e);
}

enum kup_status kup_fleet_parse(const char *path, const char *text, size_t len,
				const struct kup_error_sink *sink, struct kup_fleet **out,
				struct kup_error *err)
{
	struct pctx c = { 0 };
	struct kup_yaml_opts yo;
	struct kup_arena arena;
	struct kup_fleet *f;
	size_t nerr = 0;
	enum kup_status st;
	const char *slash;

	*out = NULL;
	f = kup_calloc(1, sizeof(*f));
	if (!f)
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
	kup_arena_init(&f->arena, 16384);
	kup_arena_init(&arena, 65536);
	f->path = kup_arena_strdup(&f->arena, path ? path : "-");
	if (!f->path) {
		kup_arena_release(&arena);
		kup_fleet_free(f);
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
	}
	slash = strrchr(f->path, '/');
	f->dir = slash ? kup_arena_strndup(&f->arena, f->path, slash == f->path ? 1 : (size_t)(slash - f->path))
		       : ".";
	c.f = f;
	c.sink = sink;
	c.err = err;
	c.path = f->path;
	kup_yaml_opts_init(&yo, f->path);
	yo.errors.fn = on_read_error;
	yo.errors.ctx = &c;
	st = kup_yaml_read_mem(text, len, &yo, &arena, on_doc, &c, &nerr);
	kup_arena_release(&arena);
	if (st == KUP_OK && c.nerr == 0 && c.ndocs == 0) {
		struct kup_node at = { .line = 1, .column = 1 };
		problem(&c, &at, "empty fleet file (expected kind: Fleet)");
	}
	if (st == KUP_OK && kup_arena_failed(&f->arena))
		st = kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
	if (st == KUP_OK && c.nerr)
		st = err && err->code == KUP_PARSE ? KUP_PARSE : KUP_INVALID;
	if (st != KUP_OK) {
		if (err && err->code == KUP_OK)
			kup_error_set(err, st, path, 0, 0, "cannot read the fleet");
		kup_fleet_free(f);
		return st;
	}
	*out = f;
	return KUP_OK;
}

enum kup_status kup_fleet_load(const char *path, const struct kup_error_sink *sink,
			       struct kup_fleet **out, struct kup_error *err)
{
	char *text = NULL;
	size_t len = 0;
	enum kup_status st;

	*out = NULL;
	st = kup_read_file(path, FLEET_MAX_FILE, &text, &len, err);
	if (st != KUP_OK) {
		kup_error_emit(sink, err);
		return st;
	}
	st = kup_fleet_parse(path, text, len, sink, out, err);
	free(text);
	return st;
}

void kup_fleet_free(struct kup_fleet *f)
{
	if (!f)
		return;
	kup_arena_release(&f->arena);
	free(f);
}

long kup_fleet_find_cluster(const struct kup_fleet *f, const char *name)
{
	for (size_t i = 0; i < f->nclusters; i++)
		if (f->clusters[i].name && strcmp(f->clusters[i].name, name) == 0)
			return (long)i;
	return -1;
}

long kup_fleet_find_wave(const struct kup_fleet *f, const char *name)
{
	for (size_t i = 0; i < f->nwaves; i++)
		if (f->waves[i].name && strcmp(f->waves[i].name, name) == 0)
			return (long)i;
	return -1;
}
