/*
 * dkim/sign.h -- DKIM signature generation, RFC 6376 section 5, RFC 8463.
 * Body hashes are computed once per (canonicalization) and shared by all
 * signatures of a message (rsa-sha256 and ed25519-sha256 both hash the
 * body with SHA-256). The header hash and signature are made at the end
 * of the message from the collected header fields.
 * One dkim_bodyhash per message and canonicalization, one thread.
 */
#ifndef DKIM_SIGN_H
#define DKIM_SIGN_H

#include <stddef.h>
#include <time.h>
#include "canon.h"
#include "key.h"

#define DKIM_BH_LEN 32				/* SHA-256 */

struct dkim_bodyhash;				/* opaque */

/* NULL on OOM. body_limit < 0: whole body. */
struct dkim_bodyhash *dkim_bodyhash_new(enum dkim_canon_mode mode,
					long long body_limit);
/* Feed a body chunk of any size. */
enum sg_status dkim_bodyhash_update(struct dkim_bodyhash *bh,
				    const void *p, size_t n);
/* Finish (once; later calls return the same digest). */
enum sg_status dkim_bodyhash_final(struct dkim_bodyhash *bh,
				   unsigned char out[DKIM_BH_LEN]);
void dkim_bodyhash_free(struct dkim_bodyhash **bhp);

/* One header field as it stands in the message: "Name: value", folded
 * lines separated by CRLF, no final CRLF. Borrowed. */
struct dkim_hdr {
	const char *field;
	size_t len;
};

struct dkim_sign_req {
	const struct dkim_privkey *key;
	const char *domain;			/* d= */
	const char *selector;			/* s= */
	const char *identity;			/* i=, or NULL to omit */
	enum dkim_canon_mode hcanon, bcanon;
	/* Names of fields to sign when present, in this order; NULL means
	 * dkim_default_sign_headers. Each present instance is signed,
	 * bottom-up, as RFC 6376 5.4.2 describes. */
	const char *const *sign_headers;
	size_t n_sign_headers;
	/* Names signed once more than they occur (oversigning), so no
	 * further instance can be added without breaking the signature. */
	const char *const *oversign;
	size_t n_oversign;
	long long timestamp;			/* t=; < 0 omits t= */
	long long expire_after;			/* x = t + this; <= 0 omits */
};

/* RFC 6376 5.4.1's recommended list, NULL-terminated. */
extern const char *const dkim_default_sign_headers[];

/* Make the DKIM-Signature field value (everything after
 * "DKIM-Signature:", starting with a space, folded with CRLF TAB to
 * about 78 columns). bh is the body hash for rq->bcanon. *out is
 * malloc'd; *why is a static reason on failure. */
enum sg_status dkim_sign(const struct dkim_sign_req *rq,
			 const struct dkim_hdr *hdrs, size_t n_hdrs,
			 const unsigned char bh[DKIM_BH_LEN],
			 char **out, const char **why);

/* The signing step alone: hash fields (already chosen, in h= order)
 * then sigfield, the whole DKIM-Signature field with an empty b= value
 * ("DKIM-Signature: v=1; ...; b="), canonicalized with hcanon, and sign
 * with key. *b64 is the malloc'd base64 b= value. dkim_sign uses it; so
 * do tests that re-create published signatures with their own tag lists. */
enum sg_status dkim_sign_fields(const struct dkim_privkey *key,
				enum dkim_canon_mode hcanon,
				const struct dkim_hdr *const *fields, size_t n,
				const char *sigfield, size_t sigfield_len,
				char **b64, const char **why);

#endif
