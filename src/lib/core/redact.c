/*
 * redact.c - the one place secrets are taken out of text meant for a person
 * or a file: error messages (kup_error_set and friends), log lines, driver
 * output kept in the store, and the CLI's stderr.
 *
 * Two kinds of secret are masked as "***":
 *  - by shape: the password of a URL's userinfo (scheme://user:PW@host),
 *    libpq's password=PW, token=, Authorization: Bearer/Basic values, and
 *    PEM private key blocks;
 *  - by value: every secret registered with kup_secret_register() (a
 *    kubeconfig's token, basic-auth password, client key, exec env values,
 *    an exec plugin's credential, a store URL's password), wherever it
 *    appears.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kupgrade/core.h"

#define MASK "***"

struct secret {
	char *p;
	size_t n;
};

static struct secret *secrets;
static size_t nsecrets, secrets_cap;

bool kup_secret_register(const char *value, size_t len)
{
	char *copy;

	if (!value)
		return true;
	if (!len)
		len = strlen(value);
	while (len && (value[len - 1] == '\n' || value[len - 1] == '\r' || value[len - 1] == ' '))
		len--;
	while (len && (*value == ' ' || *value == '\n')) {
		value++;
		len--;
	}
	if (len < KUP_SECRET_MIN)
		return true;
	for (size_t i = 0; i < nsecrets; i++)
		if (secrets[i].n == len && memcmp(secrets[i].p, value, len) == 0)
			return true;
	if (!kup_grow(&secrets, &secrets_cap, nsecrets + 1, sizeof(*secrets), 8))
		return false;
	copy = kup_malloc(len + 1);
	if (!copy)
		return false;
	memcpy(copy, value, len);
	copy[len] = '\0';
	secrets[nsecrets].p = copy;
	secrets[nsecrets].n = len;
	nsecrets++;
	return true;
}

/* The password of a URL's userinfo, from "scheme://user:PW@host/...": [*pw, *pwlen). */
static bool url_password(const char *s, size_t n, size_t i, size_t *pw, size_t *pwlen,
			 size_t *resume)
{
	size_t a = i + 3, end = a, at = SIZE_MAX, colon = SIZE_MAX;

	while (end < n && !strchr("/?# \t\r\n'\"<>()[]{},;", s[end]))
		end++;
	/* '@' may appear unescaped in a password: the last one ends the userinfo */
	for (size_t j = a; j < end; j++)
		if (s[j] == '@')
			at = j;
	if (at == SIZE_MAX) {
		/* a password holding '/' or '?': look a little further on the same word */
		size_t far = a;
		while (far < n && far < a + 512 && !strchr(" \t\r\n'\"<>", s[far]))
			far++;
		for (size_t j = a; j < far; j++)
			if (s[j] == '@')
				at = j;
		if (at == SIZE_MAX)
			return false;
	}
	for (size_t j = a; j < at; j++)
		if (s[j] == ':') {
			colon = j;
			break;
		}
	if (colon == SIZE_MAX)
		return false;
	*pw = colon + 1;
	*pwlen = at - colon - 1;
	*resume = at;
	return true;
}

static bool word_start(const char *s, size_t i)
{
	return i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_');
}

/* A value after "key=": quoted ('...' with \-escapes) or up to a separator. */
static size_t value_end(const char *s, size_t n, size_t v)
{
	if (v < n && s[v] == '\'') {
		for (v++; v < n && s[v] != '\''; v += (s[v] == '\\' && v + 1 < n) ? 2 : 1)
			;
		return v < n ? v + 1 : n;
	}
	while (v < n && !strchr(" \t\r\n&;,'\")", s[v]))
		v++;
	return v;
}

static bool has_ci(const char *s, size_t n, size_t i, const char *word)
{
	size_t k = strlen(word);
	return n - i >= k && strncasecmp(s + i, word, k) == 0;
}

void kup_redact_to(const char *s, size_t n, kup_redact_out_fn out, void *ctx)
{
	size_t i = 0, copied = 0;

	if (!s)
		return;
	while (i < n) {
		size_t skip_to = 0, keep = 0;
		bool hit = false;

		/* registered values */
		for (size_t k = 0; k < nsecrets; k++)
			if (secrets[k].n <= n - i && s[i] == secrets[k].p[0] &&
			    memcmp(s + i, secrets[k].p, secrets[k].n) == 0 &&
			    (secrets[k].n >= KUP_SECRET_ANYWHERE ||
			     (!(i && isalnum((unsigned char)s[i - 1]) &&
				isalnum((unsigned char)secrets[k].p[0])) &&
			      !(i + secrets[k].n < n && isalnum((unsigned char)s[i + secrets[k].n]) &&
				isalnum((unsigned char)secrets[k].p[secrets[k].n - 1]))))) {
				skip_to = i + secrets[k].n;
				hit = true;
				break;
			}
		if (!hit && s[i] == ':' && n - i >= 3 && s[i + 1] == '/' && s[i + 2] == '/') {
			size_t pw, pwlen, resume;
			if (url_password(s, n, i, &pw, &pwlen, &resume) && pwlen) {
				out(ctx, s + copied, pw - copied);
				out(ctx, MASK, 3);
				copied = resume;
				i = resume;
				continue;
			}
		}
		if (!hit && (s[i] == 'p' || s[i] == 'P') && word_start(s, i) &&
		    has_ci(s, n, i, "password")) {
			size_t v = i + 8;
			while (v < n && s[v] == ' ')
				v++;
			if (v < n && s[v] == '=') {
				v++;
				while (v < n && s[v] == ' ')
					v++;
				keep = v;
				skip_to = value_end(s, n, v);
				hit = skip_to > v;
			}
		}
		if (!hit && (s[i] == 't' || s[i] == 'T' || s[i] == 'a' || s[i] == 'A') && word_start(s, i)) {
			size_t k = has_ci(s, n, i, "token=") ? 6 : has_ci(s, n, i, "access_token=") ? 13 : 0;
			if (k) {
				keep = i + k;
				skip_to = value_end(s, n, keep);
				hit = skip_to > keep;
			} else if (has_ci(s, n, i, "authorization:")) {
				size_t v = i + 14;
				while (v < n && s[v] == ' ')
					v++;
				if (has_ci(s, n, v, "bearer ") || has_ci(s, n, v, "basic "))
					v += (s[v] == 'b' || s[v] == 'B') && (s[v + 1] == 'e' || s[v + 1] == 'E') ? 7 : 6;
				keep = v;
				skip_to = v;
				while (skip_to < n && !strchr(" \t\r\n'\"", s[skip_to]))
					skip_to++;
				hit = skip_to > keep;
			}
		}
		if (!hit && s[i] == '-' && n - i > 11 && memcmp(s + i, "-----BEGIN ", 11) == 0) {
			const char *e = memchr(s + i + 11, '\n', n - i - 11);
			size_t hdr_end = e ? (size_t)(e - s) : n;
			const char *pk = NULL;
			for (size_t j = i + 11; j + 11 <= hdr_end; j++)
				if (memcmp(s + j, "PRIVATE KEY", 11) == 0) {
					pk = s + j;
					break;
				}
			if (pk) {
				/* keep the header line, drop everything up to the END line */
				size_t j = (size_t)(pk - s) + 11;
				while (j < n && s[j] == '-')
					j++;
				keep = j;
				skip_to = n;
				for (size_t m = j; m + 9 <= n; m++)
					if (memcmp(s + m, "-----END ", 9) == 0) {
						skip_to = m;
						break;
					}
				hit = true;
				out(ctx, s + copied, keep - copied);
				out(ctx, MASK "\n", 4);
				copied = i = skip_to;
				continue;
			}
		}
		if (hit) {
			if (!keep)
				keep = i;
			out(ctx, s + copied, keep - copied);
			out(ctx, MASK, 3);
			copied = i = skip_to;
			continue;
		}
		i++;
	}
	out(ctx, s + copied, n - copied);
}

static void to_buf(void *ctx, const char *p, size_t n)
{
	kup_buf_add(ctx, p, n);
}

void kup_redact_add(struct kup_buf *b, const char *s, size_t n)
{
	kup_redact_to(s, n, to_buf, b);
}

char *kup_redact(const char *s)
{
	struct kup_buf b = KUP_BUF_INIT;

	if (!s)
		return NULL;
	kup_buf_init(&b);
	kup_redact_add(&b, s, strlen(s));
	return kup_buf_detach(&b, NULL);
}

struct cmp {
	const char *s;
	size_t n;
	size_t off;
	bool differs;
};

static void cmp_out(void *ctx, const char *p, size_t n)
{
	struct cmp *c = ctx;
	if (n && p != c->s + c->off &&
	    (c->off + n > c->n || memcmp(p, c->s + c->off, n) != 0))
		c->differs = true;
	c->off += n;
}

bool kup_redact_needed(const char *s, size_t n)
{
	struct cmp c = { s, n, 0, false };

	kup_redact_to(s, n, cmp_out, &c);
	return c.differs || c.off != n;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The %-decoded form of a URL's password, when it differs. */
static bool register_decoded(const char *p, size_t n)
{
	char *d;
	size_t k = 0;
	bool ok;

	if (!memchr(p, '%', n))
		return true;
	if (!(d = kup_malloc(n + 1)))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			d[k++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else {
			d[k++] = p[i];
		}
	}
	d[k] = '\0';
	ok = !k || kup_secret_register(d, k);
	memset(d, 0, n);
	free(d);
	return ok;
}

bool kup_secret_register_url(const char *url)
{
	size_t n, i;

	if (!url)
		return true;
	n = strlen(url);
	for (i = 0; i + 3 <= n; i++) {
		size_t pw, pwlen, resume, v, e;
		if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/' &&
		    url_password(url, n, i, &pw, &pwlen, &resume) && pwlen) {
			if (!kup_secret_register(url + pw, pwlen) || !register_decoded(url + pw, pwlen))
				return false;
			i = resume;
		} else if ((url[i] == 'p' || url[i] == 'P') && word_start(url, i) &&
			   has_ci(url, n, i, "password")) {
			v = i + 8;
			while (v < n && url[v] == ' ')
				v++;
			if (v >= n || url[v] != '=')
				continue;
			v++;
			while (v < n && url[v] == ' ')
				v++;
			e = value_end(url, n, v);
			if (e > v + 1 && url[v] == '\'') {
				if (!kup_secret_register(url + v + 1, e - v - 2))
					return false;
			} else if (e > v && !kup_secret_register(url + v, e - v)) {
				return false;
			}
		}
	}
	return true;
}

void kup_secret_forget_all(void)
{
	for (size_t i = 0; i < nsecrets; i++) {
		memset(secrets[i].p, 0, secrets[i].n);
		free(secrets[i].p);
	}
	free(secrets);
	secrets = NULL;
	nsecrets = secrets_cap = 0;
}

size_t kup_secret_count(void)
{
	return nsecrets;
}

/* ---- terminal escapes ------------------------------------------------------- */

size_t kup_strip_escapes(char *s, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0x1b || (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
				  (unsigned char)s[i + 1] <= 0x9f)) {
			/* ESC x, or a C1 control written in UTF-8 (U+0080..U+009F) */
			unsigned char k;
			if (c == 0x1b) {
				i++;
				if (i >= n)
					break;
				k = (unsigned char)s[i++];
			} else {
				k = (unsigned char)s[i + 1] - 0x40;   /* U+009B is ESC [ */
				i += 2;
			}
			if (k == '[') {
				/* CSI: parameters and intermediates, then one final byte */
				while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x3f)
					i++;
				while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x2f)
					i++;
				if (i < n && (unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e)
					i++;
			} else if (k == ']' || k == 'P' || k == 'X' || k == '^' || k == '_') {
				/* OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \ or U+009C) */
				while (i < n) {
					if (s[i] == '\a') {
						i++;
						break;
					}
					if (s[i] == 0x1b && i + 1 < n && s[i + 1] == '\\') {
						i += 2;
						break;
					}
					if ((unsigned char)s[i] == 0xc2 && i + 1 < n &&
					    (unsigned char)s[i + 1] == 0x9c) {
						i += 2;
						break;
					}
					i++;
				}
			} else if (k >= 0x20 && k <= 0x2f) {
				/* nF: intermediates, then a final byte */
				while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x2f)
					i++;
				if (i < n)
					i++;
			}
			/* any other ESC x (Fp, Fe, Fs) is two bytes, both dropped */
			continue;
		}
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (c == '\r') {
			/* a progress line overwritten in place: keep each state on its own line */
			s[o++] = '\n';
			i++;
			continue;
		}
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			i++;
			continue;
		}
		s[o++] = s[i++];
	}
	if (o < n)
		s[o] = '\0';
	return o;
}
