/*
 * dkim/sig.c -- DKIM-Signature field values, see sig.h. RFC 6376 3.5.
 *
 * Reading goes in the order a reader would explain a refusal: the
 * tag-list, the reporting fields (a=, d=, s=, i=, b= as written), v=,
 * the required tags, a=, d= and s= syntax, then every other tag.
 */
#include "sig.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/b64.h"
#include "../common/limits.h"
#include "../common/taglist.h"

#define SIG_MAX_BH_TEXT	256		/* base64 of 32 bytes is 44 */
#define SIG_MAX_TIME_DIGITS 12		/* sig-t-tag, sig-x-tag: 1*12DIGIT */
#define SIG_MAX_L_DIGITS 76		/* sig-l-tag: 1*76DIGIT */

/* ---- names ---------------------------------------------------------- */

static bool is_letdig(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Labels: Let-dig [Ldh-str], 1-63 characters; returns the count, 0 when
 * something is wrong. */
static size_t ldh_labels(const char *s, size_t n)
{
	size_t labels = 0, i = 0;

	if (n == 0 || n > SG_MAX_DOMAIN - 2)
		return 0;
	while (i <= n) {
		size_t start = i;

		while (i < n && s[i] != '.') {
			if (!is_letdig(s[i]) && s[i] != '-')
				return 0;
			i++;
		}
		if (i == start || i - start > 63 || s[start] == '-' ||
		    s[i - 1] == '-')
			return 0;
		labels++;
		i++;				/* past the dot (or the end) */
	}
	return labels;
}

bool dkim_sig_domain_ok(const char *s, size_t n)
{
	return ldh_labels(s, n) >= 2;
}

bool dkim_sig_selector_ok(const char *s, size_t n)
{
	return ldh_labels(s, n) >= 1;
}

/* ---- values ---------------------------------------------------------- */

/* 1*maxdigits DIGIT; a value past LLONG_MAX saturates. */
static bool parse_num(const struct taglist_tag *t, size_t maxdigits,
		      long long *out)
{
	long long v = 0;

	if (t->value_len == 0 || t->value_len > maxdigits)
		return false;
	for (size_t i = 0; i < t->value_len; i++) {
		int d = t->value[i] - '0';

		if (d < 0 || d > 9)
			return false;
		v = v > (LLONG_MAX - d) / 10 ? LLONG_MAX : v * 10 + d;
	}
	*out = v;
	return true;
}

/* ftext: %d33-57 / %d59-126 (RFC 5322 field-name). */
static bool field_name_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

static enum sg_status read_h(struct dkim_sig *sig, const struct taglist_tag *t,
			     const char **why)
{
	const char *item;
	size_t pos = 0, n, count = 1;
	bool from = false;

	for (size_t i = 0; i < t->value_len; i++)
		count += t->value[i] == ':';
	if (count > DKIM_MAX_SIG_HNAMES) {
		*why = "h= lists too many fields";
		return SG_E_TOOBIG;
	}
	if ((sig->h = calloc(count, sizeof *sig->h)) == NULL) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	while (taglist_split(t->value, t->value_len, ':', &pos, &item, &n)) {
		if (!field_name_ok(item, n)) {
			*why = "bad h= tag";
			return SG_E_SYNTAX;
		}
		from |= n == 4 && strncasecmp(item, "from", 4) == 0;
		sig->h[sig->nh].name = item;
		sig->h[sig->nh].len = n;
		sig->nh++;
	}
	if (!from) {
		*why = sig->nh == 0 ? "bad h= tag" : "h= does not include From";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

/* [local-part] "@" domain: the domain after the last "@" (a quoted
 * local-part may hold one), or NULL if the value is no identity. */
static const char *i_domain(const char *v, size_t len, size_t *n)
{
	const char *at = NULL;

	for (size_t k = 0; k < len; k++)
		if (v[k] == '@')
			at = v + k;
	if (at == NULL)
		return NULL;
	*n = (size_t)(v + len - at - 1);
	return dkim_sig_domain_ok(at + 1, *n) ? at + 1 : NULL;
}

/* The i= domain must be d= or below it. */
static enum sg_status read_i(struct dkim_sig *sig, const struct taglist_tag *t,
			     const char **why)
{
	const char *dom;
	size_t n = 0;

	if (t == NULL)
		return SG_OK;
	if ((dom = i_domain(t->value, t->value_len, &n)) == NULL) {
		*why = "i= is not a valid identity";
		return SG_E_SYNTAX;
	}
	if (n == sig->d_len && strncasecmp(dom, sig->d, n) == 0)
		return SG_OK;
	if (n > sig->d_len && dom[n - sig->d_len - 1] == '.' &&
	    strncasecmp(dom + n - sig->d_len, sig->d, sig->d_len) == 0) {
		sig->i_below_d = true;
		return SG_OK;
	}
	*why = "i= is not in the d= domain";
	return SG_E_SYNTAX;
}

/* b= and bh=: base64, bounded before decoding. */
static enum sg_status read_b(struct dkim_sig *sig, const struct taglist_tag *b,
			     const struct taglist_tag *bh, const char **why)
{
	unsigned char *raw = NULL;
	size_t n = 0;
	enum sg_status st;

	if (b->value_len > DKIM_MAX_SIG_B) {
		*why = "b= is too long";
		return SG_E_TOOBIG;
	}
	if (b->value_len == 0) {
		*why = "b= is empty";
		return SG_E_SYNTAX;
	}
	if ((st = b64_decode(b->value, b->value_len, &sig->sig,
			     &sig->sig_len)) != SG_OK) {
		*why = st == SG_E_NOMEM ? "out of memory" : "b= is not base64";
		return st;
	}
	sig->b_raw = b->raw;
	sig->b_raw_len = b->raw_len;
	if (bh->value_len > SIG_MAX_BH_TEXT) {
		*why = "bh= is not a SHA-256 digest";
		return SG_E_SYNTAX;
	}
	if ((st = b64_decode(bh->value, bh->value_len, &raw, &n)) != SG_OK) {
		*why = st == SG_E_NOMEM ? "out of memory" : "bh= is not base64";
		return st;
	}
	if (n == DKIM_BH_LEN)
		memcpy(sig->bh, raw, DKIM_BH_LEN);
	free(raw);
	if (n != DKIM_BH_LEN) {
		*why = "bh= is not a SHA-256 digest";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

static enum sg_status read_c(struct dkim_sig *sig, const struct taglist_tag *t,
			     const char **why)
{
	char c[16];

	sig->hcanon = sig->bcanon = DKIM_CANON_SIMPLE;
	if (t == NULL)
		return SG_OK;
	if (t->value_len < sizeof c) {
		memcpy(c, t->value, t->value_len);
		c[t->value_len] = '\0';
		if (dkim_canon_parse(c, &sig->hcanon, &sig->bcanon) == SG_OK)
			return SG_OK;
	}
	*why = "bad c= tag";
	return SG_E_SYNTAX;
}

/* q= lists query methods; dns/txt must be one of them. */
static enum sg_status read_q(const struct taglist_tag *t, const char **why)
{
	const char *item;
	size_t pos = 0, n;

	if (t == NULL)
		return SG_OK;
	while (taglist_split(t->value, t->value_len, ':', &pos, &item, &n))
		if (n == 7 && memcmp(item, "dns/txt", 7) == 0)
			return SG_OK;
	*why = "q= has no supported query method";
	return SG_E_UNSUPPORTED;
}

static enum sg_status read_times(struct dkim_sig *sig, const struct taglist *tl,
				 const char **why)
{
	const struct taglist_tag *t;

	sig->l = sig->t = sig->x = -1;
	if ((t = taglist_get(tl, "l")) != NULL &&
	    !parse_num(t, SIG_MAX_L_DIGITS, &sig->l)) {
		*why = "bad l= tag";
		return SG_E_SYNTAX;
	}
	if ((t = taglist_get(tl, "t")) != NULL &&
	    !parse_num(t, SIG_MAX_TIME_DIGITS, &sig->t)) {
		*why = "bad t= tag";
		return SG_E_SYNTAX;
	}
	if ((t = taglist_get(tl, "x")) != NULL &&
	    !parse_num(t, SIG_MAX_TIME_DIGITS, &sig->x)) {
		*why = "bad x= tag";
		return SG_E_SYNTAX;
	}
	if (sig->t >= 0 && sig->x >= 0 && sig->x <= sig->t) {
		*why = "x= is not after t=";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

/* ---- the whole value ------------------------------------------------- */

/* Fields for reporting, before anything can fail. */
static void read_report(struct dkim_sig *sig, const struct taglist *tl)
{
	const struct taglist_tag *t;
	size_t n = 0;

	if ((t = taglist_get(tl, "a")) != NULL) {
		sig->a = t->value;
		sig->a_len = t->value_len;
	}
	if ((t = taglist_get(tl, "d")) != NULL &&
	    dkim_sig_domain_ok(t->value, t->value_len)) {
		sig->d = t->value;
		sig->d_len = t->value_len;
	}
	if ((t = taglist_get(tl, "s")) != NULL &&
	    dkim_sig_selector_ok(t->value, t->value_len)) {
		sig->s = t->value;
		sig->s_len = t->value_len;
	}
	if ((t = taglist_get(tl, "i")) != NULL &&
	    i_domain(t->value, t->value_len, &n) != NULL) {
		sig->i = t->value;
		sig->i_len = t->value_len;
	}
	if ((t = taglist_get(tl, "b")) != NULL) {
		sig->b = t->value;
		sig->b_len = t->value_len;
	}
}

static const char *const required[] = { "a", "b", "bh", "d", "h", "s" };
static const char *const missing[] = {
	"missing a= tag", "missing b= tag", "missing bh= tag",
	"missing d= tag", "missing h= tag", "missing s= tag",
};

static enum sg_status read_alg(struct dkim_sig *sig, const struct taglist *tl,
			       const char **why)
{
	const struct taglist_tag *t = taglist_get(tl, "v");

	if (t == NULL) {
		*why = "missing v= tag";
		return SG_E_SYNTAX;
	}
	if (!taglist_value_is(t, "1")) {
		*why = "unsupported signature version (v=)";
		return SG_E_UNSUPPORTED;
	}
	for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
		if (taglist_get(tl, required[k]) == NULL) {
			*why = missing[k];
			return SG_E_SYNTAX;
		}
	t = taglist_get(tl, "a");
	if (taglist_value_is(t, "rsa-sha256")) {
		sig->alg = DKIM_ALG_RSA_SHA256;
	} else if (taglist_value_is(t, "ed25519-sha256")) {
		sig->alg = DKIM_ALG_ED25519_SHA256;
	} else {
		*why = taglist_value_is(t, "rsa-sha1") ?
		       "rsa-sha1 is not accepted (RFC 8301)" :
		       "unknown signature algorithm (a=)";
		return SG_E_UNSUPPORTED;
	}
	if (sig->d == NULL) {
		*why = "d= is not a valid domain name";
		return SG_E_SYNTAX;
	}
	if (sig->s == NULL) {
		*why = "s= is not a valid selector";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

enum sg_status dkim_sig_parse(const char *value, size_t len,
			      struct dkim_sig *sig, const char **why)
{
	struct taglist tl;
	enum sg_status st;

	memset(sig, 0, sizeof *sig);
	sig->l = sig->t = sig->x = -1;
	if (len > DKIM_MAX_SIG_FIELD) {
		*why = "signature field is too long";
		return SG_E_TOOBIG;
	}
	if ((st = taglist_parse(&tl, value, len, TAGLIST_UTF8, why)) != SG_OK)
		return st;
	read_report(sig, &tl);
	if ((st = read_alg(sig, &tl, why)) != SG_OK ||
	    (st = read_c(sig, taglist_get(&tl, "c"), why)) != SG_OK ||
	    (st = read_q(taglist_get(&tl, "q"), why)) != SG_OK ||
	    (st = read_h(sig, taglist_get(&tl, "h"), why)) != SG_OK)
		return st;
	if ((st = read_i(sig, taglist_get(&tl, "i"), why)) != SG_OK ||
	    (st = read_times(sig, &tl, why)) != SG_OK)
		return st;
	return read_b(sig, taglist_get(&tl, "b"), taglist_get(&tl, "bh"), why);
}

void dkim_sig_clear(struct dkim_sig *sig)
{
	free(sig->sig);
	free(sig->h);
	memset(sig, 0, sizeof *sig);
}
