/*
 * common/b64.c -- see b64.h. RFC 4648 section 4 alphabet, with padding.
 * Decoding skips SP, HTAB, CR and LF anywhere (DKIM's FWS); anything
 * else outside the alphabet, a '=' before the last quantum, data after
 * the padding or a length that is not a whole number of quanta is
 * SG_E_SYNTAX. Bits left over after the last byte are ignored, as
 * most decoders do.
 */
#include "b64.h"

#include <stdint.h>
#include <stdlib.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

enum { B64_WS = -2, B64_BAD = -1, B64_PAD = 64 };

enum sg_status b64_encode(const unsigned char *p, size_t n, char **out)
{
	size_t i, o = 0;
	char *s;

	if (n > (SIZE_MAX - 1) / 4 * 3)
		return SG_E_TOOBIG;
	if ((s = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return SG_E_NOMEM;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];

		s[o++] = b64_alphabet[v >> 18];
		s[o++] = b64_alphabet[(v >> 12) & 63];
		s[o++] = b64_alphabet[(v >> 6) & 63];
		s[o++] = b64_alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		s[o++] = b64_alphabet[v >> 18];
		s[o++] = b64_alphabet[(v >> 12) & 63];
		s[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		s[o++] = '=';
	}
	s[o] = '\0';
	*out = s;
	return SG_OK;
}

/* The 6-bit value of c, B64_PAD for '=', B64_WS for FWS, else B64_BAD. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	switch (c) {
	case '+':	return 62;
	case '/':	return 63;
	case '=':	return B64_PAD;
	case ' ': case '\t': case '\r': case '\n':
			return B64_WS;
	default:	return B64_BAD;
	}
}

/* Decode one quantum q[0..3] (pads given as B64_PAD) into o; returns the
 * byte count (1..3) or -1 if the padding is misplaced. */
static int b64_quantum(const int q[4], unsigned char *o)
{
	uint32_t v;

	if (q[0] == B64_PAD || q[1] == B64_PAD ||
	    (q[2] == B64_PAD && q[3] != B64_PAD))
		return -1;
	v = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12;
	o[0] = v >> 16;
	if (q[2] == B64_PAD)
		return 1;
	v |= (uint32_t)q[2] << 6;
	o[1] = (v >> 8) & 0xff;
	if (q[3] == B64_PAD)
		return 2;
	v |= (uint32_t)q[3];
	o[2] = v & 0xff;
	return 3;
}

enum sg_status b64_decode(const char *s, size_t len, unsigned char **out,
			  size_t *outlen)
{
	unsigned char *o;
	size_t olen = 0;
	int q[4], nq = 0, done = 0;

	if ((o = malloc(len / 4 * 3 + 3)) == NULL)
		return SG_E_NOMEM;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value((unsigned char)s[i]);
		int got;

		if (v == B64_WS)
			continue;
		if (v == B64_BAD || done)
			goto bad;
		q[nq++] = v;
		if (nq < 4)
			continue;
		if ((got = b64_quantum(q, o + olen)) < 0)
			goto bad;
		olen += (size_t)got;
		done = got < 3;		/* padding ends the text */
		nq = 0;
	}
	if (nq != 0)
		goto bad;
	*out = o;
	*outlen = olen;
	return SG_OK;
bad:
	free(o);
	return SG_E_SYNTAX;
}
