/*
 * version.c - parsing and comparing Kubernetes versions.
 */
#include <stdio.h>
#include <string.h>

#include "kupgrade/version.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads a number without a leading zero (except "0"); returns chars used or 0. */
static size_t read_num(const char *s, size_t n, int *out)
{
	size_t i = 0;
	long v = 0;

	if (n == 0 || !is_digit(s[0]))
		return 0;
	if (s[0] == '0' && n > 1 && is_digit(s[1]))
		return 0;
	while (i < n && is_digit(s[i])) {
		v = v * 10 + (s[i] - '0');
		if (v > 100000)
			return 0;
		i++;
	}
	*out = (int)v;
	return i;
}

static bool valid_suffix_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '.' || c == '+' || c == '_';
}

enum kup_status kup_version_parse_n(const char *s, size_t n, struct kup_version *v,
				    struct kup_error *err)
{
	size_t i = 0, k;
	const char *orig = s;
	size_t orig_n = n;

	memset(v, 0, sizeof(*v));
	if (n > 0 && (s[0] == 'v' || s[0] == 'V'))
		i = 1;
	k = read_num(s + i, n - i, &v->major);
	if (!k)
		goto bad;
	i += k;
	if (i >= n || s[i] != '.')
		goto bad;
	i++;
	k = read_num(s + i, n - i, &v->minor);
	if (!k)
		goto bad;
	i += k;
	if (i < n && s[i] == '.') {
		i++;
		k = read_num(s + i, n - i, &v->patch);
		if (!k)
			goto bad;
		i += k;
		v->has_patch = true;
	}
	if (i < n) {
		size_t j;
		if (s[i] != '-' && s[i] != '+')
			goto bad;
		if (i + 1 >= n)
			goto bad;
		for (j = i + 1; j < n; j++)
			if (!valid_suffix_char(s[j]))
				goto bad;
		if (n - i - 1 >= sizeof(v->pre))
			goto bad;
		memcpy(v->pre, s + i + 1, n - i - 1);
		v->pre[n - i - 1] = '\0';
	}
	v->valid = true;
	return KUP_OK;
bad:
	memset(v, 0, sizeof(*v));
	return kup_error_set(err, KUP_VERSION, NULL, 0, 0,
			     "malformed version '%.*s': expected MAJOR.MINOR[.PATCH] such as 1.32 or v1.32.3",
			     (int)(orig_n > 64 ? 64 : orig_n), orig);
}

enum kup_status kup_version_parse(const char *s, struct kup_version *v, struct kup_error *err)
{
	return kup_version_parse_n(s, strlen(s), v, err);
}

int kup_version_cmp_minor(const struct kup_version *a, const struct kup_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	return 0;
}

int kup_version_cmp(const struct kup_version *a, const struct kup_version *b)
{
	int c = kup_version_cmp_minor(a, b);

	if (c)
		return c;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return 0;
}

char *kup_version_minor_str(const struct kup_version *v, char *buf, size_t size)
{
	snprintf(buf, size, "%d.%d", v->major, v->minor);
	return buf;
}

char *kup_version_str(const struct kup_version *v, char *buf, size_t size)
{
	if (v->has_patch)
		snprintf(buf, size, "%d.%d.%d", v->major, v->minor, v->patch);
	else
		snprintf(buf, size, "%d.%d", v->major, v->minor);
	return buf;
}
