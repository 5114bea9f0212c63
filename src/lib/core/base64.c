/*
 * base64.c - standard (RFC 4648 section 4) base64 decoding.
 *
 * Strict about the alphabet and the padding (what Go's
 * base64.StdEncoding accepts, which is what Helm and the API server
 * write), lenient about whitespace: spaces, tabs, CR and LF anywhere are
 * skipped, so a value copied out of wrapped YAML still decodes.
 */
#include "kupgrade/core.h"

/* 0..63 for the alphabet, 64 for '=', 65 for whitespace, 255 otherwise. */
static unsigned char b64_class(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (unsigned char)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (unsigned char)(c - '0' + 52);
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	if (c == '=')
		return 64;
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return 65;
	return 255;
}

/*
 * Appends the decoded bytes of in[0..len) to out.  On bad input, out is
 * restored to its length on entry and false is returned.
 */
bool kup_base64_decode(const char *in, size_t len, struct kup_buf *out)
{
	size_t start = out->len;
	unsigned char quad[4];
	size_t nq = 0, npad = 0, i;
	bool done = false;

	if (!kup_buf_grow(out, len / 4 * 3 + 3))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = b64_class((unsigned char)in[i]);

		if (c == 65)
			continue;
		if (c == 255 || done)
			goto bad;
		if (c == 64) {
			/* '=' only as the third or fourth character of a quad */
			if (nq < 2)
				goto bad;
			npad++;
			quad[nq++] = 0;
		} else {
			if (npad)
				goto bad;
			quad[nq++] = c;
		}
		if (nq == 4) {
			unsigned char b[3];

			b[0] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
			b[1] = (unsigned char)(quad[1] << 4 | quad[2] >> 2);
			b[2] = (unsigned char)(quad[2] << 6 | quad[3]);
			kup_buf_add(out, b, 3 - npad);
			nq = 0;
			if (npad)
				done = true;
		}
	}
	if (nq != 0 || out->oom)
		goto bad;
	return true;
bad:
	out->len = start;
	if (out->buf)
		out->buf[start] = '\0';
	return false;
}
