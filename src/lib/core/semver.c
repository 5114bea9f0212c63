/*
 * semver.c - semantic versions and Helm's version ranges (version.h).
 *
 * The semantics follow Masterminds/semver v3, which Helm uses to check a
 * chart's kubeVersion (helm.sh/helm/v3/pkg/chartutil IsCompatibleRange:
 * semver.NewVersion(kubeVersion), semver.NewConstraint(range), Check):
 *
 *   https://github.com/Masterminds/semver/blob/master/constraints.go
 *   (v3.4 and later: the scanner with MaxConstraintLen 512 and
 *   MaxConstraintGroups 32, and per-group containsPre; the comparator
 *   functions and the version grammar are those of v3.1-v3.3 as well,
 *   read at commit 00300c46865890f2906399c7524020c12d31d100)
 *
 * - NewConstraint rewrites `A - B` (whitespace on both sides of the dash)
 *   into `>= A, <= B`, splits on `||`, and each part must be comparators
 *   separated by whitespace or a comma.
 * - a constraint version: a wildcard major gives 0.0.0 ("dirty"); a
 *   wildcard or missing minor gives MAJOR.0.0 (minorDirty); a wildcard or
 *   missing patch gives MAJOR.MINOR.0 (patchDirty); a dirty constraint keeps
 *   its pre-release and drops build metadata.
 * - the pre-release rule (v3.4.0, 2025-06-27, "Handle pre-releases on all in
 *   an and group", Masterminds PR 267): a version with a pre-release
 *   (1.30.1-eks-1a2b3c) satisfies an AND group only when some comparator
 *   of that group has a pre-release; the rule does not carry across `||`.
 *   Before v3.4.0 every comparator needed its own pre-release.  Unlike npm
 *   the comparator's pre-release need not be on the same major.minor.patch.
 *   This is the trap of helm/helm#3810: `>=1.8.0` does not match
 *   v1.9.4-gke.1, `>=1.8.0-0` does.
 * - the operators: "" and "=" are equality, or tilde when dirty; `~` / `~>`
 *   keep the major (and the minor unless minorDirty); `^` keeps the major
 *   (for 0.y: the minor; for 0.0.z: the patch); `>` and `<=` with wildcards
 *   compare only the given parts.
 *
 * Everything is parsed in place; nothing is allocated.
 */
#include <stdio.h>
#include <string.h>

#include "kupgrade/version.h"


struct sv {
	uint64_t major, minor, patch;
	const char *pre;        /* without the '-', not NUL-terminated */
	size_t prelen;
};

enum op {
	OP_EQ = 0,       /* "" and "=": equal, or tilde when dirty */
	OP_NE,
	OP_GT,
	OP_LT,
	OP_GE,
	OP_LE,
	OP_TILDE,
	OP_CARET,
};

struct comparator {
	enum op op;
	struct sv con;
	bool dirty, minor_dirty, patch_dirty;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_x(const char *s, size_t n)
{
	return n == 1 && (s[0] == 'x' || s[0] == 'X' || s[0] == '*');
}

/* Reads dot-separated identifiers [0-9A-Za-z-]+; returns the length or 0. */
static size_t read_idents(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;
		while (i < n && is_ident_char(s[i]))
			i++;
		if (i == start)
			return 0;
		if (i < n && s[i] == '.' && i + 1 < n && is_ident_char(s[i + 1])) {
			i++;
			continue;
		}
		return i;
	}
}

/* Masterminds' validatePrerelease: a numeric identifier has no leading zero. */
static bool pre_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		bool num = true;
		while (j < n && s[j] != '.') {
			if (!is_digit(s[j]))
				num = false;
			j++;
		}
		if (num && j - i > 1 && s[i] == '0')
			return false;
		i = j + 1;
	}
	return true;
}

/* Digits into a uint64 (strconv.ParseUint(s, 10, 64)): false on anything else or overflow. */
static bool parse_num(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned d;
		if (!is_digit(s[i]))
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/*
 * A version to check (Masterminds NewVersion, loose): v? MAJOR[.MINOR[.PATCH]]
 * [-PRE][+BUILD], the whole string.
 */
static bool parse_version(const char *s, size_t n, struct sv *v)
{
	size_t i = 0, k, part = 0;
	uint64_t nums[3] = { 0, 0, 0 };

	memset(v, 0, sizeof(*v));
	if (i < n && s[i] == 'v')
		i++;
	for (;;) {
		k = i;
		while (k < n && is_digit(s[k]))
			k++;
		if (!parse_num(s + i, k - i, &nums[part]))
			return false;
		part++;
		i = k;
		if (part < 3 && i < n && s[i] == '.') {
			i++;
			continue;
		}
		break;
	}
	v->major = nums[0];
	v->minor = nums[1];
	v->patch = nums[2];
	if (i < n && s[i] == '-') {
		k = read_idents(s + i + 1, n - i - 1);
		if (!k || !pre_valid(s + i + 1, k))
			return false;
		v->pre = s + i + 1;
		v->prelen = k;
		i += 1 + k;
	}
	if (i < n && s[i] == '+') {
		k = read_idents(s + i + 1, n - i - 1);
		if (!k)
			return false;
		i += 1 + k;
	}
	return i == n;
}

/* ---- comparison (Masterminds Version.Compare) ---------------------------- */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static bool all_digits(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* comparePrePart: numbers sort before words, numbers by value, words in ASCII order. */
static int cmp_pre_part(const char *s, size_t sn, const char *o, size_t on)
{
	uint64_t si = 0, oi = 0;
	bool snum, onum;
	int c;

	if (sn == on && memcmp(s, o, sn) == 0)
		return 0;
	if (sn == 0)
		return -1;
	if (on == 0)
		return 1;
	snum = all_digits(s, sn, &si);
	onum = all_digits(o, on, &oi);
	if (!snum && !onum) {
		c = memcmp(s, o, sn < on ? sn : on);
		if (c == 0)
			c = sn < on ? -1 : 1;
		return c < 0 ? -1 : 1;
	}
	if (!onum)
		return -1;
	if (!snum)
		return 1;
	return si > oi ? 1 : -1;
}

static int cmp_pre(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an || j < bn) {
		size_t ie = i, je = j;
		int c;
		while (ie < an && a[ie] != '.')
			ie++;
		while (je < bn && b[je] != '.')
			je++;
		c = cmp_pre_part(i < an ? a + i : "", i < an ? ie - i : 0,
				 j < bn ? b + j : "", j < bn ? je - j : 0);
		if (c)
			return c;
		i = ie < an ? ie + 1 : an;
		j = je < bn ? je + 1 : bn;
	}
	return 0;
}

static int sv_cmp(const struct sv *a, const struct sv *b)
{
	int c;

	if ((c = cmp_u64(a->major, b->major)) != 0)
		return c;
	if ((c = cmp_u64(a->minor, b->minor)) != 0)
		return c;
	if ((c = cmp_u64(a->patch, b->patch)) != 0)
		return c;
	if (!a->prelen && !b->prelen)
		return 0;
	if (!a->prelen)
		return 1;
	if (!b->prelen)
		return -1;
	return cmp_pre(a->pre, a->prelen, b->pre, b->prelen);
}

/* ---- comparators (Masterminds constraint functions) ---------------------- */

/* After the pre-release guard (done by check()). */
static bool check_tilde(const struct sv *v, const struct comparator *c)
{
	if (sv_cmp(v, &c->con) < 0)
		return false;
	/* ~0.0.0 (and ~*) accept everything from 0.0.0 on */
	if (c->con.major == 0 && c->con.minor == 0 && c->con.patch == 0 &&
	    !c->minor_dirty && !c->patch_dirty)
		return true;
	if (v->major != c->con.major)
		return false;
	if (v->minor != c->con.minor && !c->minor_dirty)
		return false;
	return true;
}

/*
 * One comparator.  `include_pre` is true when the comparator's AND group
 * holds a comparator with a pre-release (or the caller asked for
 * pre-releases): only then may a version with a pre-release satisfy it.
 */
static bool check(const struct sv *v, const struct comparator *c, bool include_pre)
{
	if (v->prelen && !include_pre)
		return false;
	switch (c->op) {
	case OP_NE:
		if (c->dirty) {
			if (c->con.major != v->major)
				return true;
			if (c->con.minor != v->minor && !c->minor_dirty)
				return true;
			if (c->minor_dirty)
				return false;
			if (c->con.patch != v->patch && !c->patch_dirty)
				return true;
			if (c->patch_dirty) {
				if (v->prelen || c->con.prelen)
					return cmp_pre(v->pre, v->prelen, c->con.pre, c->con.prelen) != 0;
				return false;
			}
		}
		return sv_cmp(v, &c->con) != 0;
	case OP_GT:
		if (!c->dirty)
			return sv_cmp(v, &c->con) > 0;
		if (v->major > c->con.major)
			return true;
		if (v->major < c->con.major)
			return false;
		if (c->minor_dirty)
			return false;
		if (c->patch_dirty)
			return v->minor > c->con.minor;
		return sv_cmp(v, &c->con) > 0;
	case OP_LT:
		return sv_cmp(v, &c->con) < 0;
	case OP_GE:
		return sv_cmp(v, &c->con) >= 0;
	case OP_LE:
		if (!c->dirty)
			return sv_cmp(v, &c->con) <= 0;
		if (v->major > c->con.major)
			return false;
		if (v->major == c->con.major && v->minor > c->con.minor && !c->minor_dirty)
			return false;
		return true;
	case OP_TILDE:
		return check_tilde(v, c);
	case OP_EQ:
		if (c->dirty)
			return check_tilde(v, c);
		return sv_cmp(v, &c->con) == 0;
	case OP_CARET:
		if (sv_cmp(v, &c->con) < 0)
			return false;
		if (c->con.major > 0 || c->minor_dirty)
			return v->major == c->con.major;
		if (c->con.major == 0 && v->major > 0)
			return false;
		if (c->con.minor > 0 || c->patch_dirty)
			return v->minor == c->con.minor;
		if (c->con.minor == 0 && v->minor > 0)
			return false;
		return c->con.patch == v->patch;
	}
	return false;
}

/* ---- range parsing --------------------------------------------------------- */

struct rparse {
	const char *s;
	size_t n;
	size_t i;
	struct kup_error *err;
};

static enum kup_status range_error(struct rparse *p, size_t at, const char *what)
{
	enum kup_status st = kup_error_set(p->err, KUP_VERSION, NULL, 0, (uint32_t)(at + 1),
					   "cannot parse range '%.*s': %s at column %zu",
					   (int)(p->n > 120 ? 120 : p->n), p->s, what, at + 1);
	return st;
}

static void skip_space(struct rparse *p)
{
	while (p->i < p->n && is_space(p->s[p->i]))
		p->i++;
}

static bool at_or(const struct rparse *p)
{
	return p->i + 1 < p->n && p->s[p->i] == '|' && p->s[p->i + 1] == '|';
}

static enum op read_op(struct rparse *p)
{
	static const struct { const char *t; enum op op; } ops[] = {
		{ "!=", OP_NE }, { ">=", OP_GE }, { "=>", OP_GE }, { "<=", OP_LE },
		{ "=<", OP_LE }, { "~>", OP_TILDE }, { ">", OP_GT }, { "<", OP_LT },
		{ "=", OP_EQ }, { "~", OP_TILDE }, { "^", OP_CARET },
	};
	size_t k;

	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t len = strlen(ops[k].t);
		if (p->i + len <= p->n && memcmp(p->s + p->i, ops[k].t, len) == 0) {
			p->i += len;
			return ops[k].op;
		}
	}
	return OP_EQ;
}

/* A constraint version (cvRegex) at p->i, into c (con, dirty flags). */
static enum kup_status read_cv(struct rparse *p, struct comparator *c)
{
	const char *s = p->s;
	size_t i = p->i, k, part = 0, used;
	struct { const char *p; size_t n; } parts[3] = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	uint64_t nums[3] = { 0, 0, 0 };

	memset(&c->con, 0, sizeof(c->con));
	c->dirty = c->minor_dirty = c->patch_dirty = false;
	if (i < p->n && s[i] == 'v')
		i++;
	for (;;) {
		k = i;
		while (k < p->n && (is_digit(s[k]) || s[k] == 'x' || s[k] == 'X' || s[k] == '*'))
			k++;
		if (k == i)
			return range_error(p, i, part ? "expected a number or x after '.'"
						       : "expected a version");
		parts[part].p = s + i;
		parts[part].n = k - i;
		part++;
		i = k;
		if (part < 3 && i + 1 < p->n && s[i] == '.' &&
		    (is_digit(s[i + 1]) || s[i + 1] == 'x' || s[i + 1] == 'X' || s[i + 1] == '*')) {
			i++;
			continue;
		}
		break;
	}
	if (i < p->n && s[i] == '-') {
		k = read_idents(s + i + 1, p->n - i - 1);
		if (!k)
			return range_error(p, i, "empty pre-release");
		if (!pre_valid(s + i + 1, k))
			return range_error(p, i + 1, "pre-release number with a leading zero");
		c->con.pre = s + i + 1;
		c->con.prelen = k;
		i += 1 + k;
	}
	if (i < p->n && s[i] == '+') {
		k = read_idents(s + i + 1, p->n - i - 1);
		if (!k)
			return range_error(p, i, "empty build metadata");
		i += 1 + k;
	}
	/* as Masterminds' newConstraint: the parts after a wildcard are dropped unread */
	if (is_x(parts[0].p, parts[0].n)) {
		c->dirty = true;
		used = 0;
	} else if (part < 2 || is_x(parts[1].p, parts[1].n)) {
		c->dirty = c->minor_dirty = true;
		used = 1;
	} else if (part < 3 || is_x(parts[2].p, parts[2].n)) {
		c->dirty = c->patch_dirty = true;
		used = 2;
	} else {
		used = 3;
	}
	for (k = 0; k < used; k++)
		if (!parse_num(parts[k].p, parts[k].n, &nums[k]))
			return range_error(p, (size_t)(parts[k].p - s), "malformed version number");
	c->con.major = nums[0];
	c->con.minor = nums[1];
	c->con.patch = nums[2];
	p->i = i;
	return KUP_OK;
}

/* After a comparator: end, `||`, or a separator (whitespace and/or one comma). */
static bool at_end_of_term(const struct rparse *p)
{
	return p->i >= p->n || is_space(p->s[p->i]) || p->s[p->i] == ',' || at_or(p);
}

#define RANGE_MAX_LEN 512       /* Masterminds MaxConstraintLen */
#define RANGE_MAX_GROUPS 32      /* Masterminds MaxConstraintGroups */
#define GROUP_MAX_TERMS 260      /* more than a 512-byte range can hold */

/*
 * Parses the whole range; when v is given, *match says whether v satisfies it.
 * The whole range is always parsed, so a malformed range is an error even
 * when an earlier alternative matched.  Each AND group is collected first:
 * whether any of its comparators has a pre-release decides whether a
 * pre-release version may satisfy the group (Masterminds v3.4 containsPre).
 */
static enum kup_status range_eval(const char *range, const struct sv *v, unsigned flags,
				  bool *match, struct kup_error *err)
{
	struct rparse p = { range, strlen(range), 0, err };
	struct comparator terms[GROUP_MAX_TERMS];
	size_t ngroups = 0;
	bool any = false;

	if (match)
		*match = false;
	if (p.n > RANGE_MAX_LEN)
		return kup_error_set(err, KUP_VERSION, NULL, 0, 1,
				     "cannot parse range '%.40s...': longer than %d characters",
				     range, RANGE_MAX_LEN);
	for (;;) {
		size_t nterms = 0, k;
		bool include_pre = (flags & KUP_SEMVER_INCLUDE_PRE) != 0, ok = true;

		if (++ngroups > RANGE_MAX_GROUPS)
			return range_error(&p, p.i, "more than 32 alternatives");
		for (;;) {
			struct comparator c;
			enum kup_status st;
			size_t save;
			bool comma = false, explicit_op;

			skip_space(&p);
			if (nterms > 0 && p.i < p.n && p.s[p.i] == ',') {
				p.i++;
				comma = true;
				skip_space(&p);
			}
			if (p.i >= p.n || at_or(&p)) {
				if (nterms == 0)
					return range_error(&p, p.i, "expected a version");
				if (comma)
					return range_error(&p, p.i, "expected a version after ','");
				break;
			}
			if (p.s[p.i] == ',')
				return range_error(&p, p.i, "unexpected ','");
			if (nterms + 2 > GROUP_MAX_TERMS)
				return range_error(&p, p.i, "too many comparators");
			save = p.i;
			c.op = read_op(&p);
			explicit_op = p.i > save;
			skip_space(&p);
			st = read_cv(&p, &c);
			if (st != KUP_OK)
				return st;
			if (!at_end_of_term(&p))
				return range_error(&p, p.i, "unexpected character");
			/* a hyphen range: `A - B` (whitespace on both sides), only without an operator */
			save = p.i;
			skip_space(&p);
			if (p.i > save && p.i + 1 < p.n && p.s[p.i] == '-' && is_space(p.s[p.i + 1])) {
				struct comparator hi;
				size_t dash = p.i;
				if (explicit_op)
					return range_error(&p, dash, "a hyphen range takes versions without operators");
				p.i++;
				skip_space(&p);
				st = read_cv(&p, &hi);
				if (st != KUP_OK)
					return st;
				if (!at_end_of_term(&p))
					return range_error(&p, p.i, "unexpected character");
				c.op = OP_GE;
				hi.op = OP_LE;
				terms[nterms++] = c;
				terms[nterms++] = hi;
			} else {
				p.i = save;
				terms[nterms++] = c;
			}
		}
		for (k = 0; k < nterms; k++)
			if (terms[k].con.prelen)
				include_pre = true;
		for (k = 0; v && k < nterms && ok; k++)
			ok = check(v, &terms[k], include_pre);
		if (v && ok)
			any = true;
		if (p.i >= p.n)
			break;
		p.i += 2;   /* || */
	}
	if (match)
		*match = v ? any : false;
	return KUP_OK;
}

static enum kup_status version_error(const char *version, struct kup_error *err)
{
	return kup_error_set(err, KUP_VERSION, NULL, 0, 0,
			     "cannot parse version '%.64s': expected MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]",
			     version);
}

enum kup_status kup_semver_range_match_flags(const char *range, const char *version,
					     unsigned flags, bool *match, struct kup_error *err)
{
	struct sv v;

	*match = false;
	if (!parse_version(version, strlen(version), &v))
		return version_error(version, err);
	if (flags & KUP_SEMVER_IGNORE_PRE) {
		v.pre = NULL;
		v.prelen = 0;
	}
	return range_eval(range, &v, flags, match, err);
}

enum kup_status kup_semver_range_match(const char *range, const char *version, bool *match,
				       struct kup_error *err)
{
	return kup_semver_range_match_flags(range, version, 0, match, err);
}

enum kup_status kup_semver_range_check(const char *range, struct kup_error *err)
{
	return range_eval(range, NULL, 0, NULL, err);
}

enum kup_status kup_semver_cmp(const char *a, const char *b, int *cmp, struct kup_error *err)
{
	struct sv va, vb;

	*cmp = 0;
	if (!parse_version(a, strlen(a), &va))
		return version_error(a, err);
	if (!parse_version(b, strlen(b), &vb))
		return version_error(b, err);
	*cmp = sv_cmp(&va, &vb);
	return KUP_OK;
}

bool kup_semver_is_prerelease(const char *version)
{
	struct sv v;

	return parse_version(version, strlen(version), &v) && v.prelen > 0;
}
