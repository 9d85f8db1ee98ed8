/*
 * tests/fuzz/fuzz_pubkey.c -- libFuzzer harness for dkim/pubkey.c: the
 * input is one key TXT record. A record that parses answers every
 * accessor consistently (a revoked key has no OpenSSL key and 0 bits;
 * any other has a key of the type k= named, RSA at most 8192 bits); a
 * failure always says why.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/limits.h"
#include "dkim/pubkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_pubkey *k = NULL;
	const char *why = NULL;
	EVP_PKEY *pk;

	if (dkim_pubkey_parse((const char *)data, size, &k, &why) != SG_OK) {
		if (why == NULL || k != NULL)
			abort();
		return 0;
	}
	pk = dkim_pubkey_pkey(k);
	if (dkim_pubkey_revoked(k)) {
		if (pk != NULL || dkim_pubkey_bits(k) != 0)
			abort();
	} else if (pk == NULL) {
		abort();
	} else if (dkim_pubkey_type(k) == DKIM_ALG_ED25519_SHA256) {
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519 ||
		    dkim_pubkey_bits(k) != 256)
			abort();
	} else if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
		   dkim_pubkey_bits(k) > DKIM_RSA_MAX_BITS ||
		   dkim_pubkey_bits(k) <= 0) {
		abort();
	}
	(void)dkim_pubkey_testing(k);
	(void)dkim_pubkey_strict(k);
	(void)dkim_pubkey_for_email(k);
	(void)dkim_pubkey_allows_hash(k, "sha256");
	dkim_pubkey_free(&k);
	if (k != NULL)
		abort();
	return 0;
}
