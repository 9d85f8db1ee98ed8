/*
 * dkim/pubkey.c -- DKIM key records, see pubkey.h. RFC 6376 3.6.1,
 * RFC 8301, RFC 8463.
 *
 * Tags: v= (first, exactly "DKIM1", optional), k= ("rsa", the default,
 * or "ed25519"; others SG_E_UNSUPPORTED), h= and s= and t= (colon lists;
 * names we do not know are kept out of the answer but are no error),
 * p= (required; empty = revoked). Every other tag (g=, n=, ...) is
 * ignored. An RSA p= is SubjectPublicKeyInfo DER or a bare PKCS#1
 * RSAPublicKey; it must be used up exactly, be RSA (not RSA-PSS, not EC),
 * have at most DKIM_RSA_MAX_BITS bits and a public exponent of at most
 * 64 bits (both: CPU per verification). Short RSA keys parse; the
 * verifier decides what is too short.
 */
#include "pubkey.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "../common/b64.h"
#include "../common/limits.h"
#include "../common/taglist.h"

#define ED25519_PUBLEN	32
#define RSA_MAX_E_BITS	64		/* OpenSSL's own limit past 3072 bits */

struct dkim_pubkey {
	EVP_PKEY *pkey;			/* NULL when revoked */
	enum dkim_alg type;
	int bits;
	bool revoked, testing, strict, email;
	bool h_listed, h_sha1, h_sha256;	/* h_listed: h= present */
};

static bool item_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* Walk a colon list; each element must be non-empty. Calls see(k, item)
 * for each. */
static enum sg_status each_item(const struct taglist_tag *t,
				struct dkim_pubkey *k,
				void (*see)(struct dkim_pubkey *, const char *,
					    size_t),
				const char *bad, const char **why)
{
	const char *item;
	size_t pos = 0, n;

	if (t->value_len == 0) {
		*why = bad;
		return SG_E_SYNTAX;
	}
	while (taglist_split(t->value, t->value_len, ':', &pos, &item, &n)) {
		if (n == 0) {
			*why = bad;
			return SG_E_SYNTAX;
		}
		see(k, item, n);
	}
	return SG_OK;
}

static void see_hash(struct dkim_pubkey *k, const char *p, size_t n)
{
	k->h_sha1 |= item_is(p, n, "sha1");
	k->h_sha256 |= item_is(p, n, "sha256");
}

static void see_service(struct dkim_pubkey *k, const char *p, size_t n)
{
	k->email |= item_is(p, n, "email") || item_is(p, n, "*");
}

static void see_flag(struct dkim_pubkey *k, const char *p, size_t n)
{
	k->testing |= item_is(p, n, "y");
	k->strict |= item_is(p, n, "s");
}

/* v=, k=, h=, s=, t=. */
static enum sg_status read_tags(struct dkim_pubkey *k,
				const struct taglist *tl, const char **why)
{
	const struct taglist_tag *t;
	enum sg_status st;

	if ((t = taglist_get(tl, "v")) != NULL) {
		if (t != &tl->tag[0]) {
			*why = "v= is not the first tag of the key record";
			return SG_E_SYNTAX;
		}
		if (!taglist_value_is(t, "DKIM1")) {
			*why = "v= is not DKIM1";
			return SG_E_SYNTAX;
		}
	}
	k->type = DKIM_ALG_RSA_SHA256;
	if ((t = taglist_get(tl, "k")) != NULL) {
		if (taglist_value_is(t, "ed25519")) {
			k->type = DKIM_ALG_ED25519_SHA256;
		} else if (!taglist_value_is(t, "rsa")) {
			*why = "unknown key type (k=)";
			return SG_E_UNSUPPORTED;
		}
	}
	if ((t = taglist_get(tl, "h")) != NULL) {
		k->h_listed = true;
		if ((st = each_item(t, k, see_hash, "bad h= in key record",
				    why)) != SG_OK)
			return st;
	}
	k->email = true;
	if ((t = taglist_get(tl, "s")) != NULL) {
		k->email = false;
		if ((st = each_item(t, k, see_service, "bad s= in key record",
				    why)) != SG_OK)
			return st;
	}
	if ((t = taglist_get(tl, "t")) != NULL &&
	    (st = each_item(t, k, see_flag, "bad t= in key record",
			    why)) != SG_OK)
		return st;
	return SG_OK;
}

/* SubjectPublicKeyInfo, else PKCS#1 RSAPublicKey; all bytes used. */
static EVP_PKEY *rsa_from_der(const unsigned char *der, size_t n)
{
	const unsigned char *p = der;
	EVP_PKEY *pk;

	if (n > LONG_MAX)
		return NULL;
	pk = d2i_PUBKEY(NULL, &p, (long)n);
	if (pk != NULL && p == der + n)
		return pk;
	EVP_PKEY_free(pk);
	p = der;
	pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
	if (pk != NULL && p == der + n)
		return pk;
	EVP_PKEY_free(pk);
	return NULL;
}

static enum sg_status check_rsa(struct dkim_pubkey *k, const char **why)
{
	BIGNUM *e = NULL;
	int ebits;

	if (EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
		*why = "p= is not an RSA key";
		return SG_E_SYNTAX;
	}
	k->bits = EVP_PKEY_get_bits(k->pkey);
	if (k->bits <= 0) {
		*why = "p= is not a public key";
		return SG_E_SYNTAX;
	}
	if (k->bits > DKIM_RSA_MAX_BITS) {
		*why = "RSA key is longer than 8192 bits";
		return SG_E_UNSUPPORTED;
	}
	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		*why = "p= is not a public key";
		return SG_E_SYNTAX;
	}
	ebits = BN_num_bits(e);
	BN_free(e);
	if (ebits > RSA_MAX_E_BITS) {
		*why = "RSA public exponent is too large";
		return SG_E_UNSUPPORTED;
	}
	return SG_OK;
}

static enum sg_status read_p(struct dkim_pubkey *k,
			     const struct taglist_tag *t, const char **why)
{
	unsigned char *der = NULL;
	size_t n = 0;
	enum sg_status st;

	if (t->value_len == 0) {
		k->revoked = true;
		return SG_OK;
	}
	if ((st = b64_decode(t->value, t->value_len, &der, &n)) != SG_OK) {
		*why = st == SG_E_NOMEM ? "out of memory" : "p= is not base64";
		return st;
	}
	st = SG_OK;
	if (k->type == DKIM_ALG_ED25519_SHA256) {
		if (n != ED25519_PUBLEN) {
			*why = "p= is not an Ed25519 key (32 bytes)";
			st = SG_E_SYNTAX;
		} else if ((k->pkey = EVP_PKEY_new_raw_public_key(
				EVP_PKEY_ED25519, NULL, der, n)) == NULL) {
			*why = "p= is not a public key";
			st = SG_E_SYNTAX;
		}
		k->bits = 256;
	} else if ((k->pkey = rsa_from_der(der, n)) == NULL) {
		*why = "p= is not a public key";
		st = SG_E_SYNTAX;
	} else {
		st = check_rsa(k, why);
	}
	free(der);
	return st;
}

enum sg_status dkim_pubkey_parse(const char *txt, size_t len,
				 struct dkim_pubkey **out, const char **why)
{
	struct taglist tl;
	const struct taglist_tag *p;
	struct dkim_pubkey *k;
	enum sg_status st;

	*out = NULL;
	if (len > DKIM_MAX_KEY_RECORD) {
		*why = "key record is too long";
		return SG_E_SYNTAX;
	}
	if ((st = taglist_parse(&tl, txt, len, 0, why)) != SG_OK)
		return st == SG_E_TOOBIG ? SG_E_SYNTAX : st;
	if ((k = calloc(1, sizeof *k)) == NULL) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	ERR_set_mark();
	if ((st = read_tags(k, &tl, why)) == SG_OK) {
		if ((p = taglist_get(&tl, "p")) == NULL) {
			*why = "missing p= tag";
			st = SG_E_SYNTAX;
		} else {
			st = read_p(k, p, why);
		}
	}
	ERR_pop_to_mark();		/* decoders leave noise on the queue */
	if (st != SG_OK) {
		dkim_pubkey_free(&k);
		return st;
	}
	*out = k;
	return SG_OK;
}

void dkim_pubkey_free(struct dkim_pubkey **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	EVP_PKEY_free((*kp)->pkey);
	free(*kp);
	*kp = NULL;
}

enum dkim_alg dkim_pubkey_type(const struct dkim_pubkey *k)
{
	return k->type;
}

bool dkim_pubkey_revoked(const struct dkim_pubkey *k)
{
	return k->revoked;
}

bool dkim_pubkey_testing(const struct dkim_pubkey *k)
{
	return k->testing;
}

bool dkim_pubkey_strict(const struct dkim_pubkey *k)
{
	return k->strict;
}

bool dkim_pubkey_allows_hash(const struct dkim_pubkey *k, const char *hash)
{
	if (!k->h_listed)
		return true;
	if (strcmp(hash, "sha256") == 0)
		return k->h_sha256;
	if (strcmp(hash, "sha1") == 0)
		return k->h_sha1;
	return false;
}

bool dkim_pubkey_for_email(const struct dkim_pubkey *k)
{
	return k->email;
}

int dkim_pubkey_bits(const struct dkim_pubkey *k)
{
	return k->revoked ? 0 : k->bits;
}

EVP_PKEY *dkim_pubkey_pkey(const struct dkim_pubkey *k)
{
	return k->pkey;
}
