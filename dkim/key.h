/*
 * dkim/key.h -- DKIM private signing keys: loading, checking, creating,
 * and the public TXT record for DNS (RFC 6376 3.6.1, RFC 8463).
 * A loaded key is immutable; one instance is shared read-only by all
 * threads (EVP_PKEY signing with a shared key is thread-safe in
 * OpenSSL 3). Key material is never logged and never put in a "why".
 * Accepted files: PEM RSA (PKCS#1 or PKCS#8), PEM Ed25519 (PKCS#8), bare
 * base64 of a 32-byte Ed25519 seed (dkimpy) or of seed+public (64 bytes),
 * and base64 DER of an RSA key without PEM markers (OpenDKIM tools).
 */
#ifndef DKIM_KEY_H
#define DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include "../common/status.h"

enum dkim_alg { DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256 };

struct dkim_privkey;				/* opaque */

/* Load a private key file. Unless allow_unsafe_perms, a file readable or
 * writable by group or others is refused (SG_E_PERM). On success *out
 * is the caller's; *warn is set to a static warning (e.g. RSA under
 * 2048 bits) or NULL. On failure *why names the problem (static). */
enum sg_status dkim_key_load(const char *path, bool allow_unsafe_perms,
			     struct dkim_privkey **out, const char **warn,
			     const char **why);
/* Same, from bytes already read (no permission check). */
enum sg_status dkim_key_parse(const char *data, size_t len,
			      struct dkim_privkey **out, const char **warn,
			      const char **why);
/* Create a new key and write it as PKCS#8 PEM to path with mode 0600;
 * refuses to overwrite an existing file. bits is used for RSA only. */
enum sg_status dkim_key_generate(enum dkim_alg alg, int bits,
				 const char *path, const char **why);
/* The algorithm this key signs with. */
enum dkim_alg dkim_key_alg(const struct dkim_privkey *k);
/* RSA modulus size or 256 for Ed25519. */
int dkim_key_bits(const struct dkim_privkey *k);
/* The OpenSSL key, borrowed. */
EVP_PKEY *dkim_key_pkey(const struct dkim_privkey *k);
/* "rsa-sha256" or "ed25519-sha256". */
const char *dkim_alg_name(enum dkim_alg alg);
/* The public key record, e.g. "v=DKIM1; k=rsa; p=MIIB...", malloc'd;
 * NULL on OOM or crypto error. */
char *dkim_key_txt(const struct dkim_privkey *k);
/* Free *kp and set it to NULL; a NULL *kp is fine. */
void dkim_key_free(struct dkim_privkey **kp);
/* SHA-256 for EVP_DigestInit_ex, fetched once from the default provider
 * and shared by all threads. EVP_sha256() would be looked up again in
 * the provider store (locks, name map) at every init, several times a
 * message. */
const EVP_MD *dkim_sha256(void);

#endif
