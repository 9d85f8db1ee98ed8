/*
 * spf/record.c -- see record.h.
 *
 * A term is a mechanism or a modifier: a modifier's name is followed by
 * '=' before any ':' or '/' (4.6.1), so "moo.cow/x=y" is a (bad)
 * mechanism and "foo=bar" an unknown modifier, ignored once its value
 * proves a valid macro-string. Terms are separated by spaces only; any
 * other byte outside a term's grammar (tab, CR, NUL, non-ASCII) is a
 * syntax error of that term.
 */
#include "record.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/limits.h"
#include "macro.h"

#define VERSION		"v=spf1"
#define VERSION_LEN	6u

static const struct {
	const char *name;
	enum spf_mech mech;
} mechs[] = {
	{ "all", SPF_MECH_ALL },	{ "include", SPF_MECH_INCLUDE },
	{ "a", SPF_MECH_A },		{ "mx", SPF_MECH_MX },
	{ "ptr", SPF_MECH_PTR },	{ "ip4", SPF_MECH_IP4 },
	{ "ip6", SPF_MECH_IP6 },	{ "exists", SPF_MECH_EXISTS },
};

const char *spf_mech_name(enum spf_mech m)
{
	for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
		if (mechs[i].mech == m)
			return mechs[i].name;
	return "?";
}

bool spf_record_is_spf(const char *txt, size_t len)
{
	return len >= VERSION_LEN && strncasecmp(txt, VERSION, VERSION_LEN) == 0 &&
	       (len == VERSION_LEN || txt[VERSION_LEN] == ' ');
}

bool spf_net_match(const unsigned char *net, const unsigned char *addr,
		   size_t alen, unsigned bits)
{
	size_t full = bits / 8;
	unsigned rest = bits % 8;

	if (full > alen || (full == alen && rest != 0))
		return false;
	if (memcmp(net, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff00u >> rest);

	return (net[full] & mask) == (addr[full] & mask);
}

/* "/" ("0" / %x31-39 *DIGIT) with value <= max; s[0..len) holds the digits. */
static bool cidr_value(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Strict dotted quad (qnum: no leading zeros, 0-255). */
static bool ip4_parse(const char *s, size_t len, unsigned char out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t from = i;
		unsigned v = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			from = ++i;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - from < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == from || v > 255 || (s[from] == '0' && i - from > 1))
			return false;
		out[part] = (unsigned char)v;
	}
	return i == len;
}

static bool ip6_parse(const char *s, size_t len, unsigned char out[16])
{
	char tmp[64];

	if (len == 0 || len >= sizeof tmp || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1;
}

/* Length of the run of digits ending at s + len. */
static size_t tail_digits(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[len - 1 - n] >= '0' && s[len - 1 - n] <= '9')
		n++;
	return n;
}

/* a / mx: [":" domain-spec] [ip4-cidr] ["//" ip6-cidr], read from the
 * right so a '/' inside the domain-spec stays there. */
static enum sg_status parse_dual(struct spf_term *t, const char *arg, size_t len,
				 const char **why)
{
	size_t d;

	t->cidr4 = 32;
	t->cidr6 = 128;
	d = tail_digits(arg, len);
	if (d > 0 && d + 2 <= len && arg[len - d - 1] == '/' && arg[len - d - 2] == '/') {
		if (!cidr_value(arg + len - d, d, 128, &t->cidr6)) {
			*why = "bad IPv6 prefix length";
			return SG_E_SYNTAX;
		}
		len -= d + 2;
		d = tail_digits(arg, len);
	}
	if (d > 0 && d + 1 <= len && arg[len - d - 1] == '/') {
		if (!cidr_value(arg + len - d, d, 32, &t->cidr4)) {
			*why = "bad IPv4 prefix length";
			return SG_E_SYNTAX;
		}
		len -= d + 1;
	}
	if (len == 0)
		return SG_OK;
	if (arg[0] != ':') {
		*why = "junk after the mechanism name";
		return SG_E_SYNTAX;
	}
	t->spec = arg + 1;
	t->spec_len = len - 1;
	return spf_domain_spec_check(t->spec, t->spec_len, why);
}

static enum sg_status parse_ip(struct spf_term *t, const char *arg, size_t len,
			       const char **why)
{
	bool v4 = t->mech == SPF_MECH_IP4;
	const char *slash;
	size_t nlen;

	if (len < 2 || arg[0] != ':') {
		*why = v4 ? "ip4 without a network" : "ip6 without a network";
		return SG_E_SYNTAX;
	}
	arg++;
	len--;
	slash = memchr(arg, '/', len);
	nlen = slash != NULL ? (size_t)(slash - arg) : len;
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (v4 ? !ip4_parse(arg, nlen, t->net) : !ip6_parse(arg, nlen, t->net)) {
		*why = v4 ? "bad IPv4 network" : "bad IPv6 network";
		return SG_E_SYNTAX;
	}
	if (slash != NULL &&
	    !cidr_value(slash + 1, len - nlen - 1, v4 ? 32 : 128,
			v4 ? &t->cidr4 : &t->cidr6)) {
		*why = v4 ? "bad IPv4 prefix length" : "bad IPv6 prefix length";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

static enum sg_status parse_mech(struct spf_term *t, const char *s, size_t len,
				 const char **why)
{
	size_t nlen = strcspn(s, ":/");
	const char *arg = s + nlen;
	size_t alen = len - nlen;
	size_t i;

	if (nlen > len)
		nlen = len;
	for (i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
		if (strlen(mechs[i].name) == nlen && strncasecmp(s, mechs[i].name, nlen) == 0)
			break;
	if (i == sizeof mechs / sizeof mechs[0]) {
		*why = "unknown mechanism";
		return SG_E_SYNTAX;
	}
	t->mech = mechs[i].mech;
	switch (t->mech) {
	case SPF_MECH_ALL:
		if (alen != 0) {
			*why = "all takes no argument";
			return SG_E_SYNTAX;
		}
		return SG_OK;
	case SPF_MECH_A:
	case SPF_MECH_MX:
		return parse_dual(t, arg, alen, why);
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		return parse_ip(t, arg, alen, why);
	case SPF_MECH_PTR:
		if (alen == 0)
			return SG_OK;
		/* fall through */
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
		if (alen == 0 || arg[0] != ':') {
			*why = t->mech == SPF_MECH_PTR ? "junk after ptr"
						       : "mechanism needs ':' and a domain";
			return SG_E_SYNTAX;
		}
		t->spec = arg + 1;
		t->spec_len = alen - 1;
		return spf_domain_spec_check(t->spec, t->spec_len, why);
	}
	return SG_OK;
}

static bool modifier_name_ok(const char *s, size_t len)
{
	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static enum sg_status parse_modifier(struct spf_record *r, const char *s,
				     size_t nlen, size_t len, const char **why)
{
	const char *val = s + nlen + 1;
	size_t vlen = len - nlen - 1;
	const char **slot = NULL;
	size_t *slot_len = NULL;
	enum sg_status st;

	if (!modifier_name_ok(s, nlen)) {
		*why = "bad modifier name";
		return SG_E_SYNTAX;
	}
	if (nlen == 8 && strncasecmp(s, "redirect", 8) == 0) {
		slot = &r->redirect;
		slot_len = &r->redirect_len;
	} else if (nlen == 3 && strncasecmp(s, "exp", 3) == 0) {
		slot = &r->exp;
		slot_len = &r->exp_len;
	}
	if (slot == NULL) {			/* unknown: check, then ignore */
		if ((st = spf_macro_check(val, vlen, SPF_MACRO_MODIFIER, why)) != SG_OK)
			return st;
		return SG_OK;
	}
	if (*slot != NULL) {
		*why = slot == &r->redirect ? "redirect= twice" : "exp= twice";
		return SG_E_SYNTAX;
	}
	if ((st = spf_domain_spec_check(val, vlen, why)) != SG_OK)
		return st;
	*slot = val;
	*slot_len = vlen;
	return SG_OK;
}

/* One term, NUL-terminated at s[len] in our copy. */
static enum sg_status parse_term(struct spf_record *r, char *s, size_t len,
				 const char **why)
{
	struct spf_term *t = &r->terms[r->n_terms];
	size_t first = strcspn(s, ":/=");

	if (memchr(s, '\0', len) != NULL) {
		*why = "NUL byte";
		return SG_E_SYNTAX;
	}
	if (first < len && s[first] == '=')
		return parse_modifier(r, s, first, len, why);
	memset(t, 0, sizeof *t);
	t->text = s;
	t->qualifier = '+';
	if (strchr("+-?~", s[0]) != NULL) {
		t->qualifier = s[0];
		s++;
		len--;
	}
	if (parse_mech(t, s, len, why) != SG_OK)
		return SG_E_SYNTAX;
	r->n_terms++;
	return SG_OK;
}

static void show_bad(char bad[SPF_BAD_TERM_MAX + 1], const char *s, size_t len)
{
	size_t n = len < SPF_BAD_TERM_MAX ? len : SPF_BAD_TERM_MAX;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		bad[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	bad[n] = '\0';
}

enum sg_status spf_record_parse(const char *txt, size_t len,
				struct spf_record **out, const char **why,
				char bad[SPF_BAD_TERM_MAX + 1])
{
	struct spf_record *r;
	size_t nterms = 0, pos;
	char *text;

	if (bad != NULL)
		bad[0] = '\0';
	if (len > SPF_MAX_RECORD) {
		*why = "record too long";
		return SG_E_TOOBIG;
	}
	if (!spf_record_is_spf(txt, len)) {
		*why = "not an SPF record";
		return SG_E_SYNTAX;
	}
	for (pos = VERSION_LEN; pos < len; pos++)
		if (txt[pos] == ' ' && pos + 1 < len && txt[pos + 1] != ' ')
			nterms++;
	r = calloc(1, sizeof *r + nterms * sizeof(struct spf_term) + len + 1);
	if (r == NULL) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	r->terms = (struct spf_term *)(r + 1);
	r->text = text = (char *)(r->terms + nterms);
	memcpy(text, txt, len);
	text[len] = '\0';
	for (pos = VERSION_LEN; pos < len; ) {
		size_t end;

		if (text[pos] == ' ') {
			text[pos++] = '\0';
			continue;
		}
		for (end = pos; end < len && text[end] != ' '; end++)
			;
		text[end] = '\0';
		if (parse_term(r, text + pos, end - pos, why) != SG_OK) {
			if (bad != NULL)
				show_bad(bad, txt + pos, end - pos);
			spf_record_free(&r);
			return SG_E_SYNTAX;
		}
		pos = end + 1;
	}
	*out = r;
	return SG_OK;
}

void spf_record_free(struct spf_record **rp)
{
	free(*rp);
	*rp = NULL;
}
