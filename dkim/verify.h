/*
 * dkim/verify.h -- DKIM signature verification, RFC 6376 section 6,
 * RFC 8301 (no rsa-sha1, RSA keys >= 1024 bits), RFC 8463 (Ed25519).
 *
 * Fed the way a milter sees a message: header fields one by one, end of
 * headers, body chunks, end of message. No DNS in here: after the end of
 * headers the caller asks which key records are needed (so lookups can
 * run while the body streams in), looks them up however it likes, and
 * hands each answer back before the end of the message.
 *
 * Every DKIM-Signature field is parsed strictly as a tag-list; the first
 * max_signatures are checked, the rest get DKIM_R_POLICY ("not checked").
 * Body hashes are computed as the body streams (one hasher per distinct
 * canonicalization, l= and hash; memory does not grow with the body).
 *
 * One verifier per message, one thread at a time. Header fields are
 * copied (bounded by SG_MAX_HEADER_BYTES / SG_MAX_HEADERS).
 */
#ifndef DKIM_VERIFY_H
#define DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include "../common/status.h"
#include "pubkey.h"

/* RFC 8601 section 2.7.1 result names. */
enum dkim_result {
	DKIM_R_NONE,		/* no signature */
	DKIM_R_PASS,
	DKIM_R_FAIL,		/* signature or body hash did not verify */
	DKIM_R_NEUTRAL,
	DKIM_R_POLICY,		/* signed, but not accepted by local policy (e.g. not checked) */
	DKIM_R_TEMPERROR,	/* key lookup timed out / SERVFAIL */
	DKIM_R_PERMERROR,	/* syntax, no key, bad key, unsupported algorithm */
};

struct dkim_verify_opts {
	unsigned max_signatures;	/* checked per message; default 5 */
	int min_rsa_bits;		/* >= 1024 (RFC 8301); default 1024 */
	bool fail_body_length;		/* l= with body content after it fails */
	long long now;			/* Unix time for x= / t= checks */
	long long clock_skew;		/* seconds of slack for x= (a future t= is accepted) */
};

/* The outcome for one DKIM-Signature field, in the order they appear
 * in the message from the top. Strings are the verifier's, NUL
 * terminated, NULL when the signature did not say (or did not parse). */
struct dkim_sig_result {
	enum dkim_result result;
	const char *reason;		/* static, for the A-R comment; NULL on a clean pass */
	char *domain;			/* d= (as written) */
	char *selector;			/* s= */
	char *identity;			/* i= */
	const char *algorithm;		/* "rsa-sha256", "ed25519-sha256", "rsa-sha1", or as written */
	char *b;			/* b= value without whitespace (for header.b) */
	long long body_length;		/* l=, or -1 */
	bool key_testing;		/* the key record has t=y */
	int key_bits;			/* 0 when unknown */
};

/* What a key lookup came back with, for dkim_verifier_set_key. */
enum dkim_key_status {
	DKIM_KEY_OK,			/* key is set */
	DKIM_KEY_TEMPFAIL,		/* timeout, SERVFAIL */
	DKIM_KEY_NOTFOUND,		/* NXDOMAIN or no TXT record */
	DKIM_KEY_BAD,			/* record did not parse (why says how) */
};

struct dkim_verifier;				/* opaque */

/* NULL on OOM. The options are copied. */
struct dkim_verifier *dkim_verifier_new(const struct dkim_verify_opts *o);
/* One header field exactly as in the message: "Name: value", folded
 * lines separated by CRLF, no final CRLF. SG_E_TOOBIG past the limits
 * (the message is then reported as not checked), SG_E_NOMEM. */
enum sg_status dkim_verifier_header(struct dkim_verifier *v, const char *field,
				    size_t len);
/* End of headers: parse every signature, decide which need a key. */
enum sg_status dkim_verifier_eoh(struct dkim_verifier *v);
/* Number of signatures found (all of them, checked or not). */
size_t dkim_verifier_count(const struct dkim_verifier *v);
/* The key record name "SELECTOR._domainkey.DOMAIN" signature i needs, or
 * NULL when it needs none (already decided: syntax error, not checked,
 * rsa-sha1, ...). Valid after eoh. */
const char *dkim_verifier_key_name(const struct dkim_verifier *v, size_t i);
/* A body chunk. */
enum sg_status dkim_verifier_body(struct dkim_verifier *v, const void *p, size_t n);
/* The key for signature i. key is borrowed until dkim_verifier_eom
 * returns (it may be shared with other messages: it is only read).
 * why: static detail for NOTFOUND/BAD/TEMPFAIL, or NULL. A signature
 * whose key was never set is a temperror ("no key answer"). */
void dkim_verifier_set_key(struct dkim_verifier *v, size_t i,
			   enum dkim_key_status st,
			   const struct dkim_pubkey *key, const char *why);
/* End of message: finish body hashes and verify. */
enum sg_status dkim_verifier_eom(struct dkim_verifier *v);
/* Results after eom, one per signature; *n == 0 means unsigned. */
const struct dkim_sig_result *dkim_verifier_results(const struct dkim_verifier *v,
						    size_t *n);
void dkim_verifier_free(struct dkim_verifier **vp);

/* "pass", "fail", ... never NULL. */
const char *dkim_result_name(enum dkim_result r);

#endif
