/*
 * gen_dump - seeded generator of a kubectl-style cluster dump for the
 * benchmarks in bench/.
 *
 *   gen_dump --seed N --objects N --format json|json-array|yaml -o FILE [--counts FILE]
 *
 * json: what `kubectl get deploy,svc,cm,ing,cj,hpa,pdb,sa -A -o json` prints:
 *       one List, 4-space indentation, keys sorted (kubectl prints
 *       unstructured objects, i.e. Go maps).
 * json-array: the same objects as one top-level JSON array (what
 *       `kubectl get ... -o json | jq .items` prints), 4-space indentation.
 * yaml: the same objects as a multi-document stream in `kubectl -o yaml`
 *       style (2-space indentation, block style, "- " at the parent's
 *       indentation, multi-line strings as literal blocks).
 *
 * Every object carries a kubectl.kubernetes.io/last-applied-configuration
 * annotation (the compact JSON of the applied manifest, ending in "\n") and
 * 1-3 managedFields entries.  About 5% of the objects were applied with an
 * old apiVersion (extensions/v1beta1, batch/v1beta1, policy/v1beta1,
 * autoscaling/v2beta2); their kubectl-client-side-apply managedFields entry
 * carries that old apiVersion too.  The counts of those go to stderr and,
 * with --counts, to a file of "key value" lines.
 *
 * --findings PERMILLE makes a finding-heavy dump: only the kinds that have an
 * old apiVersion are drawn (same relative weights), and each was applied
 * with its old apiVersion with probability PERMILLE/1000 (1000: every
 * object has a last-applied and a managedFields finding).
 *
 * The output depends only on the seed, the object count and --findings (own
 * PRNG, no clock, no locale).  Not part of libkupgrade: a stand-alone benchmark tool.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: splitmix64 ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static int rng_range(int lo, int hi)
{
	return lo + (int)rng_below((uint32_t)(hi - lo + 1));
}

/* True with probability permille/1000. */
static bool rng_permille(uint32_t permille)
{
	return rng_below(1000) < permille;
}

/* ---- fatal errors -------------------------------------------------------- */

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("gen_dump: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- arena: one per object, reset between objects ------------------------ */

struct arena {
	char *mem;
	size_t len, cap;
};

static struct arena A;

static void *arena_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (A.len + n > A.cap)
		die("arena exhausted (%zu bytes)", A.cap);
	void *p = A.mem + A.len;
	A.len += n;
	return p;
}

/* printf into the arena. */
static const char *astr(const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		die("string too long");
	char *p = arena_alloc((size_t)n + 1);
	memcpy(p, tmp, (size_t)n + 1);
	return p;
}

/* ---- value tree ---------------------------------------------------------- */

enum vtype { V_MAP, V_SEQ, V_STR, V_INT, V_BOOL, V_NULL };

struct val {
	enum vtype type;
	const char *key;          /* when a map member */
	const char *s;            /* V_STR */
	long long i;              /* V_INT, V_BOOL */
	struct val *first, *last; /* V_MAP, V_SEQ children */
	struct val *next;
	size_t n;
};

static struct val *vnew(enum vtype t)
{
	struct val *v = arena_alloc(sizeof *v);
	memset(v, 0, sizeof *v);
	v->type = t;
	return v;
}

static struct val *vmap(void) { return vnew(V_MAP); }
static struct val *vseq(void) { return vnew(V_SEQ); }

static struct val *vappend(struct val *parent, const char *key, struct val *child)
{
	child->key = key;
	if (parent->last)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
	parent->n++;
	return child;
}

static struct val *put(struct val *m, const char *k, struct val *v) { return vappend(m, k, v); }

static struct val *put_map(struct val *m, const char *k) { return vappend(m, k, vmap()); }
static struct val *put_seq(struct val *m, const char *k) { return vappend(m, k, vseq()); }

static void put_str(struct val *m, const char *k, const char *s)
{
	struct val *v = vnew(V_STR);
	v->s = s;
	vappend(m, k, v);
}

static void put_int(struct val *m, const char *k, long long i)
{
	struct val *v = vnew(V_INT);
	v->i = i;
	vappend(m, k, v);
}

static void put_bool(struct val *m, const char *k, bool b)
{
	struct val *v = vnew(V_BOOL);
	v->i = b;
	vappend(m, k, v);
}

static void put_null(struct val *m, const char *k) { vappend(m, k, vnew(V_NULL)); }

/* Appends to a sequence. */
static struct val *add_map(struct val *s) { return vappend(s, NULL, vmap()); }
static void add_str(struct val *s, const char *str) { put_str(s, NULL, str); }

/* "Empty" managed-fields leaf: {}. */
static void put_leaf(struct val *m, const char *k) { put_map(m, k); }

/* Sorts every map by key, recursively (Go prints maps sorted by key). */
static void vsort(struct val *v)
{
	if (v->type != V_MAP && v->type != V_SEQ)
		return;
	for (struct val *c = v->first; c; c = c->next)
		vsort(c);
	if (v->type != V_MAP || v->n < 2)
		return;
	/* insertion sort of the linked list */
	struct val *sorted = NULL;
	struct val *c = v->first;
	while (c) {
		struct val *nx = c->next;
		struct val **pp = &sorted;
		while (*pp && strcmp((*pp)->key, c->key) <= 0)
			pp = &(*pp)->next;
		c->next = *pp;
		*pp = c;
		c = nx;
	}
	v->first = sorted;
	for (c = sorted; c->next; c = c->next)
		;
	v->last = c;
}

/* ---- output buffer ------------------------------------------------------- */

struct obuf {
	char *p;
	size_t len, cap;
};

static void ob_grow(struct obuf *b, size_t extra)
{
	if (b->len + extra <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 65536;
	while (ncap < b->len + extra)
		ncap *= 2;
	char *np = realloc(b->p, ncap);
	if (!np)
		die("out of memory");
	b->p = np;
	b->cap = ncap;
}

static void ob_put(struct obuf *b, const char *s, size_t n)
{
	ob_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void ob_puts(struct obuf *b, const char *s) { ob_put(b, s, strlen(s)); }

static void ob_putc(struct obuf *b, char c)
{
	ob_grow(b, 1);
	b->p[b->len++] = c;
}

static void ob_spaces(struct obuf *b, int n)
{
	ob_grow(b, (size_t)n);
	memset(b->p + b->len, ' ', (size_t)n);
	b->len += (size_t)n;
}

static void ob_int(struct obuf *b, long long i)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%lld", i);
	ob_put(b, tmp, (size_t)n);
}

/* ---- JSON writer --------------------------------------------------------- */

static void json_string(struct obuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	ob_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		switch (c) {
		case '"': ob_put(b, "\\\"", 2); break;
		case '\\': ob_put(b, "\\\\", 2); break;
		case '\n': ob_put(b, "\\n", 2); break;
		case '\t': ob_put(b, "\\t", 2); break;
		case '\r': ob_put(b, "\\r", 2); break;
		/* Go's encoder escapes these for HTML safety; kubectl keeps it. */
		case '<': case '>': case '&':
			ob_put(b, "\\u00", 4);
			ob_putc(b, hex[c >> 4]);
			ob_putc(b, hex[c & 15]);
			break;
		default:
			if (c < 0x20) {
				ob_put(b, "\\u00", 4);
				ob_putc(b, hex[c >> 4]);
				ob_putc(b, hex[c & 15]);
			} else {
				ob_putc(b, (char)c);
			}
		}
	}
	ob_putc(b, '"');
}

static void json_scalar(struct obuf *b, const struct val *v)
{
	switch (v->type) {
	case V_STR: json_string(b, v->s); break;
	case V_INT: ob_int(b, v->i); break;
	case V_BOOL: ob_puts(b, v->i ? "true" : "false"); break;
	case V_NULL: ob_puts(b, "null"); break;
	default: break;
	}
}

/* indent < 0: compact. */
static void json_write(struct obuf *b, const struct val *v, int indent, int depth)
{
	if (v->type != V_MAP && v->type != V_SEQ) {
		json_scalar(b, v);
		return;
	}
	bool map = v->type == V_MAP;
	if (!v->first) {
		ob_puts(b, map ? "{}" : "[]");
		return;
	}
	ob_putc(b, map ? '{' : '[');
	for (const struct val *c = v->first; c; c = c->next) {
		if (indent >= 0) {
			ob_putc(b, '\n');
			ob_spaces(b, indent * (depth + 1));
		}
		if (map) {
			json_string(b, c->key);
			ob_puts(b, indent >= 0 ? ": " : ":");
		}
		json_write(b, c, indent, depth + 1);
		if (c->next)
			ob_putc(b, ',');
	}
	if (indent >= 0) {
		ob_putc(b, '\n');
		ob_spaces(b, indent * depth);
	}
	ob_putc(b, map ? '}' : ']');
}

/* ---- YAML writer (kubectl / go-yaml style) ------------------------------- */

static bool yaml_needs_quotes(const char *s)
{
	static const char *const special[] = {
		"true", "false", "True", "False", "TRUE", "FALSE", "yes", "no", "Yes", "No",
		"YES", "NO", "on", "off", "On", "Off", "ON", "OFF", "y", "n", "Y", "N",
		"null", "Null", "NULL", "~", NULL,
	};
	if (!*s)
		return true;
	for (size_t i = 0; special[i]; i++)
		if (!strcmp(s, special[i]))
			return true;
	if (strchr("?:,[]{}#&*!|>'\"%@` \t", s[0]))
		return true;
	if (s[0] == '-' && (!s[1] || s[1] == ' ' || !strncmp(s, "---", 3)))
		return true;
	/* numbers (ints, floats, "1e3", ".5", "0x1f") and timestamps */
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p[2])
		return true;
	size_t digits = 0, dots = 0;
	while ((*p >= '0' && *p <= '9') || *p == '.' || *p == '_') {
		digits += *p >= '0' && *p <= '9';
		dots += *p == '.';
		p++;
	}
	if ((*p == 'e' || *p == 'E') && digits) {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (!*p && digits && dots <= 1)
		return true;
	if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
	    s[2] <= '9' && s[3] >= '0' && s[3] <= '9' && s[4] == '-')
		return true;
	if (!strcmp(s, ".inf") || !strcmp(s, ".nan") || !strcmp(s, ".Inf") || !strcmp(s, ".NaN"))
		return true;
	size_t n = strlen(s);
	if (s[n - 1] == ' ' || s[n - 1] == ':')
		return true;
	if (strstr(s, ": ") || strstr(s, " #"))
		return true;
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			return true;
	return false;
}

static void yaml_dq(struct obuf *b, const char *s)
{
	ob_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			ob_putc(b, '\\');
		if (*s == '\n') {
			ob_puts(b, "\\n");
			continue;
		}
		if (*s == '\t') {
			ob_puts(b, "\\t");
			continue;
		}
		ob_putc(b, *s);
	}
	ob_putc(b, '"');
}

static void yaml_key(struct obuf *b, const char *k)
{
	if (yaml_needs_quotes(k))
		yaml_dq(b, k);
	else
		ob_puts(b, k);
}

/* Writes a scalar right after "key:" or "- " (no leading space written). */
static void yaml_scalar(struct obuf *b, const struct val *v, int indent)
{
	switch (v->type) {
	case V_STR: {
		const char *s = v->s;
		const char *nl = strchr(s, '\n');
		if (nl) {
			/* literal block; clip chomping when exactly one final newline */
			size_t n = strlen(s);
			bool clip = n > 0 && s[n - 1] == '\n' && (n < 2 || s[n - 2] != '\n');
			ob_puts(b, clip ? "|\n" : "|-\n");
			const char *p = s;
			while (*p) {
				const char *e = strchr(p, '\n');
				size_t len = e ? (size_t)(e - p) : strlen(p);
				ob_spaces(b, indent);
				ob_put(b, p, len);
				ob_putc(b, '\n');
				p += len;
				if (*p == '\n')
					p++;
			}
			return;
		}
		if (yaml_needs_quotes(s))
			yaml_dq(b, s);
		else
			ob_puts(b, s);
		break;
	}
	case V_INT: ob_int(b, v->i); break;
	case V_BOOL: ob_puts(b, v->i ? "true" : "false"); break;
	case V_NULL: ob_puts(b, "null"); break;
	default: break;
	}
	ob_putc(b, '\n');
}

static void yaml_block(struct obuf *b, const struct val *v, int indent, bool first_inline);

/* Writes the value of a "key:" whose key starts at column `indent`. */
static void yaml_value(struct obuf *b, const struct val *v, int indent)
{
	if ((v->type == V_MAP || v->type == V_SEQ) && !v->first) {
		ob_puts(b, v->type == V_MAP ? " {}\n" : " []\n");
	} else if (v->type == V_MAP) {
		ob_putc(b, '\n');
		yaml_block(b, v, indent + 2, false);
	} else if (v->type == V_SEQ) {
		ob_putc(b, '\n');
		yaml_block(b, v, indent, false); /* "- " at the parent's indentation */
	} else {
		ob_putc(b, ' ');
		yaml_scalar(b, v, indent + 2);
	}
}

/*
 * Writes a block map or sequence at column `indent`.  first_inline: the
 * first line continues a "- " already written.
 */
static void yaml_block(struct obuf *b, const struct val *v, int indent, bool first_inline)
{
	bool first = true;
	for (const struct val *c = v->first; c; c = c->next, first = false) {
		if (!(first && first_inline))
			ob_spaces(b, indent);
		if (v->type == V_MAP) {
			yaml_key(b, c->key);
			ob_putc(b, ':');
			yaml_value(b, c, indent);
			continue;
		}
		ob_puts(b, "- ");
		if (c->type == V_MAP && c->first) {
			yaml_block(b, c, indent + 2, true);
		} else if (c->type == V_SEQ && c->first) {
			yaml_block(b, c, indent + 2, true);
		} else if (c->type == V_MAP || c->type == V_SEQ) {
			ob_puts(b, c->type == V_MAP ? "{}\n" : "[]\n");
		} else {
			yaml_scalar(b, c, indent + 2);
		}
	}
}

/* ---- vocabulary ---------------------------------------------------------- */

static const char *const WORDS[] = {
	"api", "auth", "billing", "cart", "catalog", "checkout", "search", "payments",
	"orders", "inventory", "shipping", "users", "profile", "gateway", "frontend",
	"backend", "worker", "scheduler", "notifier", "mailer", "reports", "metrics",
	"ledger", "pricing", "reviews", "media", "upload", "session", "export", "import",
	"audit", "events", "queue", "cache", "index", "sync", "billing-v2", "ads",
};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static const char *const NAMESPACES[] = {
	"default", "prod", "staging", "dev", "payments", "data", "platform", "monitoring",
	"ingress-nginx", "team-a", "team-b", "team-c", "batch", "web", "internal", "edge",
};
#define NNAMESPACES (sizeof NAMESPACES / sizeof NAMESPACES[0])

static const char *const REGISTRIES[] = {
	"registry.example.com/platform", "ghcr.io/acme", "docker.io/library",
	"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "gcr.io/acme-prod",
};
#define NREGISTRIES (sizeof REGISTRIES / sizeof REGISTRIES[0])

static const char *const ENV_NAMES[] = {
	"LOG_LEVEL", "LOG_FORMAT", "PORT", "HTTP_TIMEOUT", "DB_HOST", "DB_PORT", "DB_NAME",
	"DB_POOL_SIZE", "REDIS_URL", "KAFKA_BROKERS", "FEATURE_FLAGS", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_SERVICE_NAME", "JAVA_OPTS", "GOMAXPROCS", "REGION", "ENVIRONMENT", "CACHE_TTL",
	"MAX_CONNECTIONS", "RETRY_BACKOFF", "TRACING_SAMPLE_RATE", "S3_BUCKET", "SMTP_HOST",
	"METRICS_PATH", "TZ",
};
#define NENV (sizeof ENV_NAMES / sizeof ENV_NAMES[0])

/* ---- object model -------------------------------------------------------- */

enum kind {
	K_DEPLOYMENT, K_SERVICE, K_CONFIGMAP, K_INGRESS, K_CRONJOB, K_HPA, K_PDB,
	K_SERVICEACCOUNT, K_NKINDS
};

static const struct kinfo {
	const char *kind;
	const char *served;     /* apiVersion the server returns */
	const char *old;        /* an old apiVersion it may have been applied with */
	unsigned weight;        /* per mille of objects */
	unsigned old_permille;  /* of this kind, how many were applied with `old` */
} KINDS[K_NKINDS] = {
	[K_DEPLOYMENT] = { "Deployment", "apps/v1", "extensions/v1beta1", 120, 125 },
	[K_SERVICE] = { "Service", "v1", NULL, 250, 0 },
	[K_CONFIGMAP] = { "ConfigMap", "v1", NULL, 250, 0 },
	[K_INGRESS] = { "Ingress", "networking.k8s.io/v1", "extensions/v1beta1", 100, 125 },
	[K_CRONJOB] = { "CronJob", "batch/v1", "batch/v1beta1", 30, 125 },
	[K_HPA] = { "HorizontalPodAutoscaler", "autoscaling/v2", "autoscaling/v2beta2", 70, 125 },
	[K_PDB] = { "PodDisruptionBudget", "policy/v1", "policy/v1beta1", 80, 125 },
	[K_SERVICEACCOUNT] = { "ServiceAccount", "v1", NULL, 100, 0 },
};

/* Counters written to stderr / --counts. */
struct counts {
	unsigned long objects;
	unsigned long by_kind[K_NKINDS];
	unsigned long old_by_kind[K_NKINDS];       /* last-applied with the old apiVersion */
	unsigned long managed_fields_entries;
	unsigned long managed_fields_old;          /* entries with an old apiVersion */
	unsigned long last_applied_old_extensions; /* extensions/v1beta1 last-applied */
	unsigned long largest_object;              /* bytes of the largest object written */
};

static struct counts C;

/* Everything describing one object, drawn once and used by both the applied
 * manifest and the live object. */
struct obj {
	enum kind kind;
	bool old;
	const char *api_applied;
	const char *name, *ns, *app, *team, *version, *image;
	bool helm;
	const char *release;
	int replicas, port, target_port, nenv, ncontainers;
	int cpu_m, mem_mi;
	int cm_n, cm_vals[10], cm_ttl, cron_min, cron_hour;
	bool sa_pull;
	long long seq;
	long long created; /* unix seconds */
	const char *uid;
	int generation;
	long long rv;
};

static const char *fmt_time(long long t)
{
	/* civil-from-days (Howard Hinnant's algorithm), UTC */
	long long days = t / 86400, secs = t % 86400;
	days += 719468;
	long long era = days / 146097;
	long long doe = days - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = yoe + era * 400;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	return astr("%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y, m, d, secs / 3600,
		    secs / 60 % 60, secs % 60);
}

static const char *gen_uid(void)
{
	uint64_t a = rng_next(), b = rng_next();
	return astr("%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
		    a >> 32, (a >> 16) & 0xffff, a & 0xfff, (b >> 48 & 0x3fff) | 0x8000,
		    b & UINT64_C(0xffffffffffff));
}

/* --findings: per mille of the drawn objects applied with an old apiVersion,
 * only kinds with one drawn; -1 for the default mix. */
static int findings_permille = -1;

static enum kind pick_kind(void)
{
	uint32_t total = 0, r, acc = 0;
	if (findings_permille < 0) {
		total = 1000;
	} else {
		for (int k = 0; k < K_NKINDS; k++)
			if (KINDS[k].old)
				total += KINDS[k].weight;
	}
	r = rng_below(total);
	for (int k = 0; k < K_NKINDS; k++) {
		if (findings_permille >= 0 && !KINDS[k].old)
			continue;
		acc += KINDS[k].weight;
		if (r < acc)
			return (enum kind)k;
	}
	return K_SERVICE;
}

static void draw_obj(struct obj *o, long long seq)
{
	memset(o, 0, sizeof *o);
	o->seq = seq;
	o->kind = pick_kind();
	const struct kinfo *ki = &KINDS[o->kind];
	o->old = ki->old && rng_permille(findings_permille >= 0 ? (uint32_t)findings_permille
							       : ki->old_permille);
	o->api_applied = o->old ? ki->old : ki->served;
	o->app = WORDS[rng_below(NWORDS)];
	o->team = NAMESPACES[rng_below(NNAMESPACES)];
	o->ns = NAMESPACES[rng_below(NNAMESPACES)];
	o->name = astr("%s-%s-%lld", o->app, WORDS[rng_below(NWORDS)], seq);
	o->version = astr("%d.%d.%d", rng_range(1, 4), rng_range(0, 30), rng_range(0, 20));
	o->image = astr("%s/%s:%s", REGISTRIES[rng_below(NREGISTRIES)], o->app, o->version);
	o->helm = rng_permille(400);
	o->release = astr("%s-%s", o->app, o->ns);
	o->replicas = rng_range(1, 6);
	o->port = rng_permille(500) ? 8080 : rng_range(3000, 9999);
	o->target_port = o->port;
	o->nenv = rng_range(1, 5);
	o->ncontainers = rng_permille(100) ? 2 : 1;
	o->cpu_m = rng_range(1, 20) * 50;
	o->mem_mi = rng_range(1, 32) * 64;
	o->cm_n = rng_range(1, 5);
	for (int i = 0; i < o->cm_n; i++)
		o->cm_vals[i] = (int)rng_below(100000u * (unsigned)NWORDS);
	o->cm_ttl = rng_range(10, 3600);
	o->cron_min = rng_range(0, 59);
	o->cron_hour = rng_range(0, 23);
	o->sa_pull = rng_permille(500);
	/* created between 2019-01-01 and 2024-12-31 */
	o->created = 1546300800LL + (long long)rng_below(189302400u);
	o->uid = gen_uid();
	o->generation = rng_range(1, 40);
	o->rv = 100000 + seq * 7 + rng_range(0, 6);
}

static void put_labels(struct val *meta, const struct obj *o)
{
	struct val *l = put_map(meta, "labels");
	put_str(l, "app", o->app);
	put_str(l, "team", o->team);
	if (o->helm) {
		put_str(l, "app.kubernetes.io/instance", o->release);
		put_str(l, "app.kubernetes.io/managed-by", "Helm");
	}
}

static void put_selector_labels(struct val *m, const struct obj *o)
{
	put_str(m, "app", o->app);
}

/* A container; `live` adds what the API server defaults. */
static void put_container(struct val *seq, const struct obj *o, int idx, bool live)
{
	struct val *c = add_map(seq);
	bool sidecar = idx > 0;
	const char *cname = sidecar ? "istio-proxy" : o->app;
	put_str(c, "name", cname);
	put_str(c, "image", sidecar ? "docker.io/istio/proxyv2:1.20.3" : o->image);
	put_str(c, "imagePullPolicy", "IfNotPresent");
	if (!sidecar) {
		struct val *env = put_seq(c, "env");
		for (int i = 0; i < o->nenv; i++) {
			struct val *e = add_map(env);
			const char *en = ENV_NAMES[(size_t)(i + o->seq) % NENV];
			put_str(e, "name", en);
			if (i % 5 == 4) {
				struct val *vf = put_map(e, "valueFrom");
				struct val *skr = put_map(vf, "secretKeyRef");
				put_str(skr, "name", astr("%s-secrets", o->app));
				put_str(skr, "key", en);
			} else {
				put_str(e, "value", astr("%s-%s-%d", o->app, o->ns, i * 17 + 3));
			}
		}
		struct val *ports = put_seq(c, "ports");
		struct val *p = add_map(ports);
		put_int(p, "containerPort", o->port);
		put_str(p, "name", "http");
		put_str(p, "protocol", "TCP");
		for (int k = 1; k < 2; k++) {
			struct val *pr = put_map(c, k ? "readinessProbe" : "livenessProbe");
			struct val *hg = put_map(pr, "httpGet");
			put_str(hg, "path", k ? "/readyz" : "/healthz");
			put_str(hg, "port", "http");
			if (live)
				put_str(hg, "scheme", "HTTP");
			put_int(pr, "initialDelaySeconds", k ? 5 : 15);
			put_int(pr, "periodSeconds", 10);
			if (live) {
				put_int(pr, "failureThreshold", 3);
				put_int(pr, "successThreshold", 1);
				put_int(pr, "timeoutSeconds", 1);
			}
		}
		struct val *vm = put_seq(c, "volumeMounts");
		struct val *m = add_map(vm);
		put_str(m, "mountPath", "/etc/config");
		put_str(m, "name", "config");
		put_bool(m, "readOnly", true);
	} else {
		struct val *args = put_seq(c, "args");
		add_str(args, "proxy");
		add_str(args, "sidecar");
		add_str(args, "--domain");
		add_str(args, astr("$(POD_NAMESPACE).svc.cluster.local"));
	}
	struct val *res = put_map(c, "resources");
	struct val *lim = put_map(res, "limits");
	put_str(lim, "cpu", astr("%dm", o->cpu_m * 2));
	put_str(lim, "memory", astr("%dMi", o->mem_mi * 2));
	struct val *req = put_map(res, "requests");
	put_str(req, "cpu", astr("%dm", o->cpu_m));
	put_str(req, "memory", astr("%dMi", o->mem_mi));
	if (live) {
		put_str(c, "terminationMessagePath", "/dev/termination-log");
		put_str(c, "terminationMessagePolicy", "File");
	}
}

static void put_pod_template(struct val *spec, const struct obj *o, bool live)
{
	struct val *t = put_map(spec, "template");
	struct val *tm = put_map(t, "metadata");
	struct val *ta = put_map(tm, "annotations");
	put_str(ta, "prometheus.io/scrape", "true");
	put_str(ta, "prometheus.io/port", "9090");
	if (live)
		put_null(tm, "creationTimestamp");
	struct val *tl = put_map(tm, "labels");
	put_selector_labels(tl, o);
	put_str(tl, "version", o->version);
	struct val *ps = put_map(t, "spec");
	struct val *cs = put_seq(ps, "containers");
	for (int i = 0; i < o->ncontainers; i++)
		put_container(cs, o, i, live);
	put_str(ps, "serviceAccountName", o->app);
	struct val *vols = put_seq(ps, "volumes");
	struct val *v = add_map(vols);
	struct val *cm = put_map(v, "configMap");
	put_str(cm, "name", astr("%s-config", o->app));
	if (live)
		put_int(cm, "defaultMode", 420);
	put_str(v, "name", "config");
	if (o->kind == K_CRONJOB)
		put_str(ps, "restartPolicy", "OnFailure");
	if (live) {
		if (o->kind != K_CRONJOB)
			put_str(ps, "restartPolicy", "Always");
		put_str(ps, "dnsPolicy", "ClusterFirst");
		put_str(ps, "schedulerName", "default-scheduler");
		struct val *psc = put_map(ps, "securityContext");
		put_int(psc, "fsGroup", 2000);
		put_str(ps, "serviceAccount", o->app);
		put_int(ps, "terminationGracePeriodSeconds", 30);
	}
}

/* spec of the object; `applied` uses the shape of the applied apiVersion. */
static void put_spec(struct val *root, const struct obj *o, bool live)
{
	bool old_shape = !live && o->old;
	switch (o->kind) {
	case K_DEPLOYMENT: {
		struct val *s = put_map(root, "spec");
		put_int(s, "replicas", o->replicas);
		struct val *sel = put_map(s, "selector");
		put_selector_labels(put_map(sel, "matchLabels"), o);
		put_pod_template(s, o, live);
		if (live) {
			put_int(s, "progressDeadlineSeconds", 600);
			put_int(s, "revisionHistoryLimit", 10);
			struct val *st = put_map(s, "strategy");
			struct val *ru = put_map(st, "rollingUpdate");
			put_str(ru, "maxSurge", "25%");
			put_str(ru, "maxUnavailable", "25%");
			put_str(st, "type", "RollingUpdate");
		}
		break;
	}
	case K_SERVICE: {
		struct val *s = put_map(root, "spec");
		struct val *ports = put_seq(s, "ports");
		struct val *p = add_map(ports);
		put_str(p, "name", "http");
		put_int(p, "port", 80);
		put_str(p, "protocol", "TCP");
		put_str(p, "targetPort", "http");
		put_selector_labels(put_map(s, "selector"), o);
		put_str(s, "type", "ClusterIP");
		if (live) {
			const char *ip = astr("10.%d.%d.%d", rng_range(96, 111), rng_range(0, 255),
					      rng_range(1, 254));
			put_str(s, "clusterIP", ip);
			add_str(put_seq(s, "clusterIPs"), ip);
			put_str(s, "internalTrafficPolicy", "Cluster");
			add_str(put_seq(s, "ipFamilies"), "IPv4");
			put_str(s, "ipFamilyPolicy", "SingleStack");
			put_str(s, "sessionAffinity", "None");
		}
		break;
	}
	case K_CONFIGMAP: {
		struct val *d = put_map(root, "data");
		for (int i = 0; i < o->cm_n; i++)
			put_str(d, ENV_NAMES[(size_t)(i * 3 + o->seq) % NENV],
				astr("%s-%d", WORDS[o->cm_vals[i] % (int)NWORDS],
				     o->cm_vals[i] / (int)NWORDS));
		put_str(d, "application.properties",
			astr("server.port=%d\nspring.application.name=%s\ncache.ttl=%d\n",
			     o->port, o->app, o->cm_ttl));
		break;
	}
	case K_INGRESS: {
		struct val *s = put_map(root, "spec");
		put_str(s, "ingressClassName", "nginx");
		struct val *rules = put_seq(s, "rules");
		struct val *r = add_map(rules);
		put_str(r, "host", astr("%s.%s.example.com", o->app, o->ns));
		struct val *paths = put_seq(put_map(r, "http"), "paths");
		for (int i = 0; i < 2; i++) {
			struct val *p = add_map(paths);
			put_str(p, "path", i ? "/api" : "/");
			struct val *be = put_map(p, "backend");
			if (old_shape) {
				put_str(be, "serviceName", o->app);
				put_int(be, "servicePort", 80);
			} else {
				put_str(p, "pathType", "Prefix");
				struct val *svc = put_map(be, "service");
				put_str(svc, "name", o->app);
				put_int(put_map(svc, "port"), "number", 80);
			}
		}
		struct val *tls = add_map(put_seq(s, "tls"));
		add_str(put_seq(tls, "hosts"), astr("%s.%s.example.com", o->app, o->ns));
		put_str(tls, "secretName", astr("%s-tls", o->app));
		break;
	}
	case K_CRONJOB: {
		struct val *s = put_map(root, "spec");
		put_str(s, "schedule", astr("%d %d * * *", o->cron_min, o->cron_hour));
		put_str(s, "concurrencyPolicy", "Forbid");
		struct val *jt = put_map(s, "jobTemplate");
		if (live)
			put_null(put_map(jt, "metadata"), "creationTimestamp");
		struct val *js = put_map(jt, "spec");
		put_int(js, "backoffLimit", 3);
		put_pod_template(js, o, live);
		if (live) {
			put_int(s, "failedJobsHistoryLimit", 1);
			put_int(s, "successfulJobsHistoryLimit", 3);
			put_bool(s, "suspend", false);
		}
		break;
	}
	case K_HPA: {
		struct val *s = put_map(root, "spec");
		put_int(s, "minReplicas", o->replicas);
		put_int(s, "maxReplicas", o->replicas * 4);
		struct val *ref = put_map(s, "scaleTargetRef");
		put_str(ref, "apiVersion", "apps/v1");
		put_str(ref, "kind", "Deployment");
		put_str(ref, "name", o->app);
		struct val *metrics = put_seq(s, "metrics");
		for (int i = 0; i < 2; i++) {
			struct val *m = add_map(metrics);
			struct val *r = put_map(m, "resource");
			put_str(r, "name", i ? "memory" : "cpu");
			struct val *t = put_map(r, "target");
			put_int(t, "averageUtilization", i ? 80 : 70);
			put_str(t, "type", "Utilization");
			put_str(m, "type", "Resource");
		}
		break;
	}
	case K_PDB: {
		struct val *s = put_map(root, "spec");
		put_int(s, "minAvailable", 1);
		put_selector_labels(put_map(put_map(s, "selector"), "matchLabels"), o);
		break;
	}
	case K_SERVICEACCOUNT: {
		if (o->sa_pull) {
			struct val *ips = put_seq(root, "imagePullSecrets");
			put_str(add_map(ips), "name", "registry-credentials");
		}
		break;
	}
	case K_NKINDS: break;
	}
}

static void put_status(struct val *root, const struct obj *o)
{
	switch (o->kind) {
	case K_DEPLOYMENT: {
		struct val *s = put_map(root, "status");
		put_int(s, "availableReplicas", o->replicas);
		struct val *conds = put_seq(s, "conditions");
		for (int i = 0; i < 2; i++) {
			struct val *c = add_map(conds);
			const char *t = fmt_time(o->created + 86400 * i + 3600);
			put_str(c, "lastTransitionTime", t);
			put_str(c, "lastUpdateTime", t);
			put_str(c, "message",
				i ? astr("ReplicaSet \"%s-%08" PRIx64 "\" has successfully progressed.",
					 o->name, rng_next() >> 32)
				  : "Deployment has minimum availability.");
			put_str(c, "reason", i ? "NewReplicaSetAvailable" : "MinimumReplicasAvailable");
			put_str(c, "status", "True");
			put_str(c, "type", i ? "Progressing" : "Available");
		}
		put_int(s, "observedGeneration", o->generation);
		put_int(s, "readyReplicas", o->replicas);
		put_int(s, "replicas", o->replicas);
		put_int(s, "updatedReplicas", o->replicas);
		break;
	}
	case K_SERVICE:
		put_map(put_map(root, "status"), "loadBalancer");
		break;
	case K_INGRESS: {
		struct val *lb = put_map(put_map(root, "status"), "loadBalancer");
		struct val *ing = put_seq(lb, "ingress");
		put_str(add_map(ing), "ip", astr("203.0.113.%d", rng_range(1, 254)));
		break;
	}
	case K_CRONJOB: {
		struct val *s = put_map(root, "status");
		put_str(s, "lastScheduleTime", fmt_time(o->created + 86400 * 30));
		put_str(s, "lastSuccessfulTime", fmt_time(o->created + 86400 * 30 + 95));
		break;
	}
	case K_HPA: {
		struct val *s = put_map(root, "status");
		struct val *conds = put_seq(s, "conditions");
		static const char *const types[] = { "AbleToScale", "ScalingActive", "ScalingLimited" };
		static const char *const reasons[] = { "ReadyForNewScale", "ValidMetricFound",
						       "DesiredWithinRange" };
		for (int i = 0; i < 3; i++) {
			struct val *c = add_map(conds);
			put_str(c, "lastTransitionTime", fmt_time(o->created + 600 * i));
			put_str(c, "message", "the HPA controller was able to get the target's current scale");
			put_str(c, "reason", reasons[i]);
			put_str(c, "status", i == 2 ? "False" : "True");
			put_str(c, "type", types[i]);
		}
		put_int(s, "currentReplicas", o->replicas);
		put_int(s, "desiredReplicas", o->replicas);
		break;
	}
	case K_PDB: {
		struct val *s = put_map(root, "status");
		put_int(s, "currentHealthy", o->replicas);
		put_int(s, "desiredHealthy", 1);
		put_int(s, "disruptionsAllowed", o->replicas - 1);
		put_int(s, "expectedPods", o->replicas);
		put_int(s, "observedGeneration", o->generation);
		break;
	}
	default:
		break;
	}
}

/* The manifest as the user applied it. */
static struct val *applied_manifest(const struct obj *o)
{
	struct val *root = vmap();
	put_str(root, "apiVersion", o->api_applied);
	put_str(root, "kind", KINDS[o->kind].kind);
	struct val *meta = put_map(root, "metadata");
	struct val *ann = put_map(meta, "annotations");
	if (o->helm) {
		put_str(ann, "meta.helm.sh/release-name", o->release);
		put_str(ann, "meta.helm.sh/release-namespace", o->ns);
	}
	put_labels(meta, o);
	put_str(meta, "name", o->name);
	put_str(meta, "namespace", o->ns);
	put_spec(root, o, false);
	vsort(root);
	return root;
}

/* managedFields fieldsV1 for a manifest: every map key becomes "f:key" with a
 * "." entry for maps; sequences of named maps become k:{"name":...}. */
static void fields_of(struct val *out, const struct val *v, int depth, int maxdepth);

static void fields_member(struct val *out, const struct val *c, int depth, int maxdepth)
{
	const char *k = astr("f:%s", c->key);
	if (c->type == V_MAP && c->first && depth < maxdepth) {
		struct val *m = put_map(out, k);
		put_leaf(m, ".");
		fields_of(m, c, depth + 1, maxdepth);
	} else if (c->type == V_SEQ && c->first && c->first->type == V_MAP && depth < maxdepth) {
		struct val *m = put_map(out, k);
		for (const struct val *e = c->first; e; e = e->next) {
			const struct val *name = NULL;
			int rank = 0;
			for (const struct val *f = e->first; f; f = f->next) {
				int r = !strcmp(f->key, "containerPort") ? 3
					: !strcmp(f->key, "mountPath")   ? 2
					: !strcmp(f->key, "name")        ? 1
									 : 0;
				if (r > rank) {
					rank = r;
					name = f;
				}
			}
			if (!name)
				continue;
			const char *kk = name->type == V_STR
						 ? astr("k:{\"%s\":\"%s\"}", name->key, name->s)
						 : astr("k:{\"%s\":%lld,\"protocol\":\"TCP\"}", name->key,
							name->i);
			struct val *em = put_map(m, kk);
			put_leaf(em, ".");
			fields_of(em, e, depth + 1, maxdepth);
		}
	} else {
		put_leaf(out, k);
	}
}

static void fields_of(struct val *out, const struct val *v, int depth, int maxdepth)
{
	for (const struct val *c = v->first; c; c = c->next) {
		if (depth == 0 && (!strcmp(c->key, "apiVersion") || !strcmp(c->key, "kind")))
			continue;
		if (depth == 1 && (!strcmp(c->key, "name") || !strcmp(c->key, "namespace")))
			continue;
		fields_member(out, c, depth, maxdepth);
	}
}

static void add_managed(struct val *mf, const char *manager, const char *api, const char *op,
			long long t, struct val *fields, const char *subresource)
{
	struct val *e = add_map(mf);
	put_str(e, "apiVersion", api);
	put_str(e, "fieldsType", "FieldsV1");
	put(e, "fieldsV1", fields);
	put_str(e, "manager", manager);
	put_str(e, "operation", op);
	if (subresource)
		put_str(e, "subresource", subresource);
	put_str(e, "time", fmt_time(t));
	C.managed_fields_entries++;
	if (strcmp(api, KINDS[0].served) && strcmp(api, "v1") && strcmp(api, "networking.k8s.io/v1") &&
	    strcmp(api, "batch/v1") && strcmp(api, "autoscaling/v2") && strcmp(api, "policy/v1"))
		C.managed_fields_old++;
}

/* The live object, as the API server returns it. */
static struct val *live_object(const struct obj *o)
{
	struct val *applied = applied_manifest(o);
	struct obuf la = { 0 };
	json_write(&la, applied, -1, 0);
	ob_putc(&la, '\n');
	ob_putc(&la, '\0');
	char *la_str = arena_alloc(la.len);
	memcpy(la_str, la.p, la.len);
	free(la.p);

	const struct kinfo *ki = &KINDS[o->kind];
	struct val *root = vmap();
	put_str(root, "apiVersion", ki->served);
	put_str(root, "kind", ki->kind);
	struct val *meta = put_map(root, "metadata");
	struct val *ann = put_map(meta, "annotations");
	if (o->helm) {
		put_str(ann, "meta.helm.sh/release-name", o->release);
		put_str(ann, "meta.helm.sh/release-namespace", o->ns);
	}
	if (o->kind == K_DEPLOYMENT)
		put_str(ann, "deployment.kubernetes.io/revision", astr("%d", o->generation));
	put_str(ann, "kubectl.kubernetes.io/last-applied-configuration", la_str);
	put_str(meta, "creationTimestamp", fmt_time(o->created));
	if (o->kind != K_SERVICE && o->kind != K_CONFIGMAP && o->kind != K_SERVICEACCOUNT)
		put_int(meta, "generation", o->generation);
	put_labels(meta, o);

	struct val *mf = put_seq(meta, "managedFields");
	/* 1: who applied it */
	struct val *f1 = vmap();
	const struct val *ameta = NULL;
	for (const struct val *c = applied->first; c; c = c->next)
		if (!strcmp(c->key, "metadata"))
			ameta = c;
	/* the applier owns the metadata and the spec (a few levels deep) */
	struct val *fm = put_map(f1, "f:metadata");
	fields_of(fm, ameta, 1, 3);
	{
		/* last-applied annotation is owned by the applier too */
		struct val *fa = NULL;
		for (struct val *c = fm->first; c; c = c->next)
			if (!strcmp(c->key, "f:annotations"))
				fa = c;
		if (fa)
			put_leaf(fa, "f:kubectl.kubernetes.io/last-applied-configuration");
	}
	for (const struct val *c = applied->first; c; c = c->next)
		if (strcmp(c->key, "metadata") && strcmp(c->key, "apiVersion") && strcmp(c->key, "kind"))
			fields_member(f1, c, 1, 4);
	vsort(f1);
	const char *manager = o->helm ? "helm" : (rng_permille(300) ? "argocd-controller"
								    : "kubectl-client-side-apply");
	if (o->old)
		manager = "kubectl-client-side-apply";
	long long t = o->created;
	add_managed(mf, manager, o->api_applied, "Update", t, f1, NULL);
	/* 2: the controller writing status */
	if (o->kind == K_DEPLOYMENT || o->kind == K_HPA || o->kind == K_CRONJOB || o->kind == K_PDB ||
	    o->kind == K_INGRESS) {
		struct val *f2 = vmap();
		if (o->kind == K_DEPLOYMENT) {
			put_leaf(put_map(put_map(f2, "f:metadata"), "f:annotations"),
				 "f:deployment.kubernetes.io/revision");
		}
		struct val *st = put_map(f2, "f:status");
		put_leaf(st, ".");
		static const char *const sf[] = { "f:availableReplicas", "f:observedGeneration",
						  "f:readyReplicas", "f:replicas", "f:updatedReplicas" };
		if (o->kind == K_DEPLOYMENT) {
			put_leaf(st, "f:conditions");
			for (size_t i = 0; i < 5; i++)
				put_leaf(st, sf[i]);
		} else {
			put_leaf(st, o->kind == K_INGRESS ? "f:loadBalancer" : "f:conditions");
		}
		vsort(f2);
		const char *ctl = o->kind == K_INGRESS ? "nginx-ingress-controller"
							: "kube-controller-manager";
		add_managed(mf, ctl, ki->served, "Update", t + 60 + rng_range(0, 86400 * 30), f2,
			    "status");
	}
	/* 3: sometimes someone scaled it by hand */
	if (o->kind == K_DEPLOYMENT && rng_permille(300)) {
		struct val *f3 = vmap();
		put_leaf(put_map(f3, "f:spec"), "f:replicas");
		add_managed(mf, "kubectl", ki->served, "Update", t + 86400 * rng_range(1, 90), f3,
			    "scale");
	}

	put_str(meta, "name", o->name);
	put_str(meta, "namespace", o->ns);
	put_str(meta, "resourceVersion", astr("%lld", o->rv));
	put_str(meta, "uid", o->uid);
	put_spec(root, o, true);
	put_status(root, o);
	vsort(root);
	return root;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(void)
{
	fputs("usage: gen_dump --seed N --objects N --format json|json-array|yaml -o FILE "
	      "[--counts FILE] [--findings PERMILLE]\n", stderr);
	exit(1);
}

static unsigned long long parse_num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		die("invalid %s '%s'", what, s);
	return v;
}

static void flush(struct obuf *b, FILE *f, const char *path)
{
	if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
		die("cannot write '%s': %s", path, strerror(errno));
	b->len = 0;
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1, nobjects = 100000;
	const char *format = "json", *out = NULL, *counts = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--seed"))
			seed = parse_num(argv[++i], "seed");
		else if (!strcmp(a, "--objects"))
			nobjects = parse_num(argv[++i], "object count");
		else if (!strcmp(a, "--format"))
			format = argv[++i];
		else if (!strcmp(a, "-o"))
			out = argv[++i];
		else if (!strcmp(a, "--counts"))
			counts = argv[++i];
		else if (!strcmp(a, "--findings")) {
			unsigned long long pm = parse_num(argv[++i], "findings per mille");
			if (pm > 1000)
				die("--findings takes 0 to 1000, not %llu", pm);
			findings_permille = (int)pm;
		}
		else
			usage();
	}
	bool array = !strcmp(format, "json-array");
	bool json = array || !strcmp(format, "json");
	if (!json && strcmp(format, "yaml"))
		die("unknown format '%s'", format);
	if (!out)
		usage();

	FILE *f = !strcmp(out, "-") ? stdout : fopen(out, "wb");
	if (!f)
		die("cannot open '%s': %s", out, strerror(errno));
	A.cap = 16u << 20;
	A.mem = malloc(A.cap);
	if (!A.mem)
		die("out of memory");
	rng_state = seed;

	struct obuf b = { 0 };
	if (array)
		ob_puts(&b, "[");
	else if (json)
		ob_puts(&b, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [");
	for (unsigned long long n = 0; n < nobjects; n++) {
		A.len = 0;
		struct obj o;
		draw_obj(&o, (long long)n);
		struct val *v = live_object(&o);
		C.objects++;
		C.by_kind[o.kind]++;
		if (o.old) {
			C.old_by_kind[o.kind]++;
			if (!strcmp(o.api_applied, "extensions/v1beta1"))
				C.last_applied_old_extensions++;
		}
		size_t before = b.len;
		if (array) {
			ob_puts(&b, n ? ",\n    " : "\n    ");
			before = b.len;
			json_write(&b, v, 4, 1);
		} else if (json) {
			ob_puts(&b, n ? ",\n        " : "\n        ");
			before = b.len;
			json_write(&b, v, 4, 2);
		} else {
			ob_puts(&b, "---\n");
			yaml_block(&b, v, 0, false);
		}
		if (b.len - before > C.largest_object)
			C.largest_object = b.len - before;
		if (b.len >= (1u << 20))
			flush(&b, f, out);
	}
	if (array) {
		ob_puts(&b, nobjects ? "\n]\n" : "]\n");
	} else if (json) {
		ob_puts(&b, nobjects ? "\n    ],\n" : "],\n");
		ob_puts(&b, "    \"kind\": \"List\",\n    \"metadata\": {\n"
			    "        \"resourceVersion\": \"\"\n    }\n}\n");
	}
	flush(&b, f, out);
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
		die("cannot write '%s': %s", out, strerror(errno));
	free(b.p);
	free(A.mem);

	FILE *cf = NULL;
	if (counts && !(cf = fopen(counts, "w")))
		die("cannot open '%s': %s", counts, strerror(errno));
	for (int pass = 0; pass < 2; pass++) {
		FILE *o = pass ? cf : stderr;
		if (!o)
			continue;
		fprintf(o, "seed %llu\nobjects %lu\n", seed, C.objects);
		unsigned long old = 0;
		for (int k = 0; k < K_NKINDS; k++) {
			fprintf(o, "kind %s %lu\n", KINDS[k].kind, C.by_kind[k]);
			if (KINDS[k].old) {
				fprintf(o, "old %s %s %lu\n", KINDS[k].old, KINDS[k].kind,
					C.old_by_kind[k]);
				old += C.old_by_kind[k];
			}
		}
		fprintf(o, "last_applied_old %lu\n", old);
		fprintf(o, "last_applied_extensions_v1beta1 %lu\n", C.last_applied_old_extensions);
		fprintf(o, "managed_fields_entries %lu\n", C.managed_fields_entries);
		fprintf(o, "managed_fields_old %lu\n", C.managed_fields_old);
		fprintf(o, "largest_object_bytes %lu\n", C.largest_object);
	}
	if (cf && fclose(cf) != 0)
		die("cannot write '%s': %s", counts, strerror(errno));
	return 0;
}
