/*
 * dkim/sig.h -- DKIM-Signature field values, RFC 6376 section 3.5, read
 * strictly: the value is a tag-list (common/taglist.h, UTF-8 allowed in
 * values for RFC 8616), v=1 is required, a= is rsa-sha256 or
 * ed25519-sha256 (RFC 8301 retires rsa-sha1, RFC 8463 adds Ed25519),
 * b=, bh=, d=, h=, s= are required, h= must name From, i= must lie in
 * d=, x= must come after t=. Unknown tags are ignored.
 *
 * Clock checks (t= in the future, x= in the past) need "now" and belong
 * to the verifier. Text members point into the value given to
 * dkim_sig_parse(), which must outlive the struct; b= and h= are decoded
 * into memory that dkim_sig_clear() frees. Bounded by DKIM_MAX_SIG_FIELD,
 * DKIM_MAX_SIG_HNAMES and DKIM_MAX_SIG_B.
 */
#ifndef DKIM_SIG_H
#define DKIM_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include "../common/status.h"
#include "canon.h"
#include "key.h"
#include "sign.h"

struct dkim_sig_hname {
	const char *name;
	size_t len;
};

struct dkim_sig {
	/* For reporting, set as far as the value parsed (also on failure);
	 * NULL when the tag is absent, and d=, s=, i= also when invalid. */
	const char *a;			/* as written */
	size_t a_len;
	const char *d;
	size_t d_len;
	const char *s;
	size_t s_len;
	const char *i;			/* as written (may hold FWS) */
	size_t i_len;
	const char *b;			/* as written (may hold FWS) */
	size_t b_len;
	/* Valid after SG_OK. */
	enum dkim_alg alg;
	enum dkim_canon_mode hcanon, bcanon;
	const char *b_raw;		/* all between "b=" and ";" or the end: */
	size_t b_raw_len;		/* what is emptied for hashing (3.7) */
	unsigned char *sig;		/* b= decoded */
	size_t sig_len;
	unsigned char bh[DKIM_BH_LEN];
	struct dkim_sig_hname *h;	/* h= names in order */
	size_t nh;
	long long l, t, x;		/* -1 when absent; l= saturates */
	bool i_below_d;			/* i= domain is a subdomain of d= */
};

/* Parse a DKIM-Signature field value (after the colon). SG_E_SYNTAX,
 * SG_E_UNSUPPORTED (v=, a=, q= we cannot use) or SG_E_TOOBIG with a
 * static *why; SG_E_NOMEM. The struct is filled as far as it got either
 * way; call dkim_sig_clear() after. */
enum sg_status dkim_sig_parse(const char *value, size_t len,
			      struct dkim_sig *sig, const char **why);
/* Free what the parse allocated; the struct is zeroed. */
void dkim_sig_clear(struct dkim_sig *sig);

/* RFC 6376 domain-name: two or more LDH labels (no leading or trailing
 * hyphen, 1-63 characters each), at most SG_MAX_DOMAIN - 2 in all. */
bool dkim_sig_domain_ok(const char *s, size_t n);
/* selector: one or more such labels. */
bool dkim_sig_selector_ok(const char *s, size_t n);

#endif
