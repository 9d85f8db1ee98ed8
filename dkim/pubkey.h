/*
 * dkim/pubkey.h -- DKIM public key records from DNS, RFC 6376 section
 * 3.6.1, RFC 8301, RFC 8463: "v=DKIM1; k=rsa; h=sha256; s=email; t=y:s;
 * p=MIIB...".
 *
 * The record is parsed strictly as a tag-list (common/taglist.h) and p=
 * decoded into an OpenSSL key once; a parsed key is immutable and may be
 * shared by every thread (it is cached alongside its DNS answer).
 * p= is accepted as SubjectPublicKeyInfo (the RFC form) or as a bare
 * PKCS#1 RSAPublicKey (some publishers); for k=ed25519 it is the raw
 * 32-byte public key. An empty p= is a revoked key: it parses, and
 * dkim_pubkey_revoked() says so.
 */
#ifndef DKIM_PUBKEY_H
#define DKIM_PUBKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include "../common/status.h"
#include "key.h"

struct dkim_pubkey;				/* opaque */

/* Parse one TXT record (strings already joined). SG_E_SYNTAX with a
 * static *why ("bad tag-list", "v= is not DKIM1", "p= is not base64",
 * "p= is not a public key", ...), SG_E_UNSUPPORTED for an unknown k=,
 * SG_E_NOMEM. */
enum sg_status dkim_pubkey_parse(const char *txt, size_t len,
				 struct dkim_pubkey **out, const char **why);
void dkim_pubkey_free(struct dkim_pubkey **kp);

/* k=: DKIM_ALG_RSA_SHA256 for k=rsa (the default), or ED25519. */
enum dkim_alg dkim_pubkey_type(const struct dkim_pubkey *k);
/* Empty p=. */
bool dkim_pubkey_revoked(const struct dkim_pubkey *k);
/* t=y. */
bool dkim_pubkey_testing(const struct dkim_pubkey *k);
/* t=s: i= must have exactly the d= domain, not a subdomain. */
bool dkim_pubkey_strict(const struct dkim_pubkey *k);
/* h= allows this hash ("sha256"); true when h= is absent. */
bool dkim_pubkey_allows_hash(const struct dkim_pubkey *k, const char *hash);
/* s= includes "email" or "*" (or is absent). */
bool dkim_pubkey_for_email(const struct dkim_pubkey *k);
/* RSA modulus bits, 256 for Ed25519, 0 when revoked. */
int dkim_pubkey_bits(const struct dkim_pubkey *k);
/* The OpenSSL key (NULL when revoked), borrowed. */
EVP_PKEY *dkim_pubkey_pkey(const struct dkim_pubkey *k);

#endif
