/*
 * dmarc/domain.c -- canonical domain names and Punycode (RFC 3492).
 */
#include <stdint.h>
#include <string.h>

#include "domain.h"

/* RFC 3492 section 5 parameters for Punycode. */
enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700,
       PC_INITIAL_BIAS = 72, PC_INITIAL_N = 0x80 };

/* The longest label we take in UTF-8: 63 octets of A-label cannot hold
 * more than 63 code points, each at most 4 octets. */
#define MAX_LABEL_CPS	63

/* Decode one UTF-8 sequence at s (n bytes left); 0 on a bad sequence,
 * else its length with *cp set (shortest form, no surrogates). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points that never belong in a domain label: C1 controls, white
 * space, zero-width and direction formatting, separators, BOM. */
static bool cp_forbidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0xa0) || c == 0xad || c == 0x1680 ||
	       c == 0x180e || (c >= 0x2000 && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) ||
	       c == 0x3000 || c == 0xfeff || (c >= 0xfff0 && c <= 0xffff);
}

static bool ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static char pc_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

static uint32_t pc_adapt(uint32_t delta, uint32_t points, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / points;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static bool put(char *out, size_t outsz, size_t *o, char c)
{
	if (*o >= outsz)
		return false;
	out[(*o)++] = c;
	return true;
}

/* Emit delta as a generalized variable-length integer (RFC 3492 3.3). */
static bool pc_emit(char *out, size_t outsz, size_t *o, uint32_t q, uint32_t bias)
{
	for (uint32_t k = PC_BASE;; k += PC_BASE) {
		uint32_t t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;

		if (q < t)
			break;
		if (!put(out, outsz, o, pc_digit(t + (q - t) % (PC_BASE - t))))
			return false;
		q = (q - t) / (PC_BASE - t);
	}
	return put(out, outsz, o, pc_digit(q));
}

enum sg_status dmarc_punycode(const char *label, size_t len, char *out,
			      size_t outsz, size_t *outlen)
{
	uint32_t cps[MAX_LABEL_CPS], n = PC_INITIAL_N, delta = 0, bias = PC_INITIAL_BIAS;
	size_t ncp = 0, basic = 0, o = 0, h;

	for (size_t i = 0; i < len;) {
		size_t k = utf8_next((const unsigned char *)label + i, len - i, &cps[ncp]);

		if (k == 0 || cp_forbidden(cps[ncp]))
			return SG_E_SYNTAX;
		if (++ncp == MAX_LABEL_CPS && i + k < len)
			return SG_E_TOOBIG;
		i += k;
	}
	for (size_t i = 0; i < ncp; i++)
		if (cps[i] < 0x80) {
			char c = (char)cps[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!ldh(c))
				return SG_E_SYNTAX;
			if (!put(out, outsz, &o, c))
				return SG_E_TOOBIG;
			basic++;
		}
	if (basic > 0 && !put(out, outsz, &o, '-'))
		return SG_E_TOOBIG;
	for (h = basic; h < ncp;) {
		uint32_t m = UINT32_MAX;

		for (size_t i = 0; i < ncp; i++)
			if (cps[i] >= n && cps[i] < m)
				m = cps[i];
		/* No overflow: at most 63 code points below 0x110000. */
		delta += (m - n) * (uint32_t)(h + 1);
		n = m;
		for (size_t i = 0; i < ncp; i++) {
			if (cps[i] < n)
				delta++;
			if (cps[i] != n)
				continue;
			if (!pc_emit(out, outsz, &o, delta, bias))
				return SG_E_TOOBIG;
			bias = pc_adapt(delta, (uint32_t)h + 1, h == basic);
			delta = 0;
			h++;
		}
		delta++;
		n++;
	}
	*outlen = o;
	return SG_OK;
}

/* One label into out at *o: ASCII lower-cased and checked, or Punycode. */
static enum sg_status norm_label(const char *s, size_t n, char *out, size_t *o,
				 const char **why)
{
	bool ascii = true;
	size_t k;

	if (n == 0) {
		*why = "empty label in domain";
		return SG_E_SYNTAX;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = false;
	if (ascii) {
		if (n > 63 || *o + n > DNS_MAX_NAME) {
			*why = "domain or label too long";
			return SG_E_SYNTAX;
		}
		for (size_t i = 0; i < n; i++) {
			char c = s[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!ldh(c)) {
				*why = "bad character in domain";
				return SG_E_SYNTAX;
			}
			out[(*o)++] = c;
		}
		return SG_OK;
	}
	if (*o + 4 > DNS_MAX_NAME) {
		*why = "domain too long";
		return SG_E_SYNTAX;
	}
	memcpy(out + *o, "xn--", 4);
	switch (dmarc_punycode(s, n, out + *o + 4, DNS_MAX_NAME - *o - 4, &k)) {
	case SG_OK:
		break;
	case SG_E_TOOBIG:
		*why = "domain or label too long";
		return SG_E_SYNTAX;
	default:
		*why = "bad character in internationalized domain";
		return SG_E_SYNTAX;
	}
	if (k + 4 > 63) {
		*why = "domain or label too long";
		return SG_E_SYNTAX;
	}
	*o += k + 4;
	return SG_OK;
}

enum sg_status dmarc_domain_norm(const char *in, size_t len,
				 char out[DNS_MAX_NAME + 1], const char **why)
{
	size_t o = 0, start = 0;
	enum sg_status st;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty domain";
		return SG_E_SYNTAX;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && in[i] != '.')
			continue;
		if (start > 0) {
			if (o >= DNS_MAX_NAME) {
				*why = "domain too long";
				return SG_E_SYNTAX;
			}
			out[o++] = '.';
		}
		if ((st = norm_label(in + start, i - start, out, &o, why)) != SG_OK)
			return st;
		start = i + 1;
	}
	out[o] = '\0';
	return SG_OK;
}

size_t dmarc_labels(const char *name)
{
	size_t n = 0;

	if (*name == '\0')
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		if (*p == '.')
			n++;
	return n + 1;
}

size_t dmarc_suffix_off(const char *name, size_t n)
{
	size_t len = strlen(name), seen = 0;

	if (n == 0)
		return len;
	for (size_t i = len; i > 0; i--)
		if (name[i - 1] == '.' && ++seen == n)
			return i;
	return 0;
}

bool dmarc_is_under(const char *a, const char *d)
{
	size_t la = strlen(a), ld = strlen(d);

	if (la < ld || memcmp(a + la - ld, d, ld) != 0)
		return false;
	return la == ld || a[la - ld - 1] == '.';
}
