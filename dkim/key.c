/*
 * dkim/key.c -- DKIM private keys: read a key file, check it, make new
 * keys, and print the public key record. See key.h.
 *
 * Every buffer that held key bytes is wiped (OPENSSL_cleanse) before it is
 * freed; no key byte ever reaches a "why" or a warning.
 */
#include "key.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../common/limits.h"

#define ED25519_KEYLEN	32
#define WHY_TOOBIG	"key file is too large to be a DKIM key (over 64 KB)"

struct dkim_privkey {
	EVP_PKEY *pkey;
	enum dkim_alg alg;
	int bits;
};

/* ---- reading the file ---- */

/* Map an open(2)/fstat(2) failure to a status and a static why. */
static enum sg_status open_error(int err, const char **why)
{
	switch (err) {
	case ENOENT:
		*why = "key file does not exist";
		return SG_E_NOTFOUND;
	case EACCES:
		*why = "key file cannot be opened: permission denied";
		return SG_E_PERM;
	case ENOTDIR:
		*why = "key file path has a component that is not a directory";
		return SG_E_NOTFOUND;
	case ELOOP:
		*why = "key file path has too many symbolic links";
		return SG_E_IO;
	default:
		*why = "key file cannot be opened";
		return SG_E_IO;
	}
}

/* Check what fstat says about an opened key file. */
static enum sg_status check_stat(const struct stat *sb, bool allow_unsafe,
				 const char **why)
{
	if (!S_ISREG(sb->st_mode)) {
		*why = "key file is not a regular file";
		return SG_E_IO;
	}
	if (sb->st_size > (off_t)DKIM_MAX_KEYFILE) {
		*why = WHY_TOOBIG;
		return SG_E_TOOBIG;
	}
	if (!allow_unsafe &&
	    (sb->st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
		*why = "key file is readable or writable by group or others "
		       "(chmod 600, or set allow_unsafe_key_permissions)";
		return SG_E_PERM;
	}
	return SG_OK;
}

/* Read all of fd into buf (room for cap bytes); *n is what was read.
 * SG_E_TOOBIG if the file holds more than cap bytes. */
static enum sg_status read_all(int fd, char *buf, size_t cap, size_t *n,
			       const char **why)
{
	size_t got = 0;

	for (;;) {
		ssize_t r = read(fd, buf + got, cap + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = "key file cannot be read";
			return SG_E_IO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > cap) {
			*why = WHY_TOOBIG;
			return SG_E_TOOBIG;
		}
	}
	*n = got;
	return SG_OK;
}

enum sg_status dkim_key_load(const char *path, bool allow_unsafe_perms,
			     struct dkim_privkey **out, const char **warn,
			     const char **why)
{
	struct stat sb;
	enum sg_status st;
	size_t n = 0;
	char *buf;
	int fd;

	*out = NULL;
	*warn = NULL;
	/* Symbolic links are followed; what counts is the file we opened.
	 * O_NONBLOCK keeps a FIFO from hanging us before fstat refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return open_error(errno, why);
	if (fstat(fd, &sb) != 0) {
		st = open_error(errno, why);
		close(fd);
		return st;
	}
	if ((st = check_stat(&sb, allow_unsafe_perms, why)) != SG_OK) {
		close(fd);
		return st;
	}
	if ((buf = malloc(DKIM_MAX_KEYFILE + 1)) == NULL) {
		close(fd);
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	st = read_all(fd, buf, DKIM_MAX_KEYFILE, &n, why);
	close(fd);
	if (st == SG_OK)
		st = dkim_key_parse(buf, n, out, warn, why);
	OPENSSL_cleanse(buf, DKIM_MAX_KEYFILE + 1);
	free(buf);
	return st;
}

/* ---- decoding ---- */

/* Refuse to prompt for a passphrase: encrypted keys are not supported. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Decode a private key from PEM or DER bytes ("PEM" / "DER"). DER must
 * be used up exactly; PEM may have text around the block. */
static EVP_PKEY *decode_pkey(const unsigned char *p, size_t n,
			     const char *input)
{
	bool der = strcmp(input, "DER") == 0;
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, input, NULL, NULL,
					     EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL)
		return NULL;
	if (OSSL_DECODER_CTX_set_pem_password_cb(dctx, no_passphrase,
						 NULL) != 1 ||
	    OSSL_DECODER_from_data(dctx, &p, &n) != 1 || (der && n != 0)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	return pkey;
}

static bool is_b64_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\f' || c == '\v';
}

static bool is_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Copy s without whitespace into clean (room for len bytes); check the
 * alphabet and '=' padding. Returns the text length or 0 if not base64;
 * *pads is the number of '=' at the end. */
static size_t b64_clean(const char *s, size_t len, char *clean, int *pads)
{
	size_t n = 0;

	*pads = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (is_b64_space(c))
			continue;
		if (c == '=') {
			if (++*pads > 2)
				return 0;
		} else if (!is_b64_char(c) || *pads > 0) {
			return 0;		/* junk, or data after '=' */
		}
		clean[n++] = c;
	}
	if (n == 0 || n % 4 != 0)
		return 0;
	return n;
}

/* Decode base64 text (whitespace allowed) into a malloc'd buffer that
 * the caller wipes and frees. SG_E_SYNTAX if it is not base64. */
static enum sg_status b64_decode_secret(const char *s, size_t len,
					unsigned char **out, size_t *outlen)
{
	char *clean = malloc(len + 1);
	unsigned char *dec = NULL;
	enum sg_status st;
	size_t n, cap = 0;
	int pads, r;

	*out = NULL;
	if (clean == NULL)
		return SG_E_NOMEM;
	n = b64_clean(s, len, clean, &pads);
	cap = n / 4 * 3 + 1;
	if (n == 0 || n > INT_MAX) {
		st = SG_E_SYNTAX;
	} else if ((dec = malloc(cap)) == NULL) {
		st = SG_E_NOMEM;
	} else if ((r = EVP_DecodeBlock(dec, (unsigned char *)clean,
					(int)n)) < pads) {
		st = SG_E_SYNTAX;		/* includes r == -1 */
	} else {
		*out = dec;
		*outlen = (size_t)(r - pads);	/* r counts padding bytes */
		dec = NULL;
		st = SG_OK;
	}
	OPENSSL_cleanse(clean, len + 1);
	free(clean);
	if (dec != NULL) {
		OPENSSL_cleanse(dec, cap);
		free(dec);
	}
	return st;
}

/* An Ed25519 key from 64 bytes seed||public; the halves must agree. */
static EVP_PKEY *ed25519_from_pair(const unsigned char *p, const char **why)
{
	unsigned char pub[ED25519_KEYLEN];
	size_t plen = sizeof pub;
	EVP_PKEY *pkey;

	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, p,
					    ED25519_KEYLEN);
	if (pkey == NULL) {
		*why = "Ed25519 key cannot be made from the key file";
		return NULL;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &plen) != 1 ||
	    plen != ED25519_KEYLEN ||
	    CRYPTO_memcmp(pub, p + ED25519_KEYLEN, ED25519_KEYLEN) != 0) {
		*why = "Ed25519 key file: the public half does not match the "
		       "private half";
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* Bare base64: a 32-byte Ed25519 seed, seed||public, or DER of a private
 * key (OpenDKIM files without PEM markers). */
static enum sg_status parse_b64(const char *data, size_t len, EVP_PKEY **pk,
				const char **why)
{
	unsigned char *der = NULL;
	size_t n = 0;
	enum sg_status st;

	*why = "key file is neither PEM nor base64 of an Ed25519 seed or of "
	       "a DER private key";
	if ((st = b64_decode_secret(data, len, &der, &n)) != SG_OK) {
		if (st == SG_E_NOMEM)
			*why = "out of memory";
		return st;
	}
	if (n == ED25519_KEYLEN) {
		*pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						   der, n);
		if (*pk == NULL)
			*why = "Ed25519 key cannot be made from the key file";
	} else if (n == 2 * ED25519_KEYLEN) {
		*pk = ed25519_from_pair(der, why);
	} else {
		*pk = decode_pkey(der, n, "DER");
	}
	OPENSSL_cleanse(der, n);
	free(der);
	return *pk != NULL ? SG_OK : SG_E_SYNTAX;
}

static bool has(const char *data, size_t len, const char *needle)
{
	return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* PEM: PKCS#1 or PKCS#8, unencrypted. */
static enum sg_status parse_pem(const char *data, size_t len, EVP_PKEY **pk,
				const char **why)
{
	if (has(data, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    has(data, len, "Proc-Type: 4,ENCRYPTED")) {
		*why = "key file is encrypted; signet needs an unencrypted key";
		return SG_E_UNSUPPORTED;
	}
	if (!has(data, len, "PRIVATE KEY-----")) {
		*why = "PEM key file holds no private key";
		return SG_E_SYNTAX;
	}
	*pk = decode_pkey((const unsigned char *)data, len, "PEM");
	if (*pk == NULL) {
		*why = "PEM private key in the key file cannot be decoded";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

/* ---- checking ---- */

/* Accept RSA (1024..8192 bits) and Ed25519; fill in k. */
static enum sg_status check_pkey(struct dkim_privkey *k, const char **warn,
				 const char **why)
{
	EVP_PKEY_CTX *cctx;
	int ok;

	switch (EVP_PKEY_get_base_id(k->pkey)) {
	case EVP_PKEY_RSA:
		k->alg = DKIM_ALG_RSA_SHA256;
		k->bits = EVP_PKEY_get_bits(k->pkey);
		break;
	case EVP_PKEY_ED25519:
		k->alg = DKIM_ALG_ED25519_SHA256;
		k->bits = 256;
		break;
	default:
		*why = "key is neither RSA nor Ed25519 (DKIM signs with "
		       "rsa-sha256 or ed25519-sha256 only)";
		return SG_E_UNSUPPORTED;
	}
	if (k->alg == DKIM_ALG_RSA_SHA256 && k->bits < DKIM_RSA_MIN_BITS) {
		*why = "RSA key has fewer than 1024 bits; RFC 8301 requires "
		       "at least 1024";
		return SG_E_UNSUPPORTED;
	}
	if (k->alg == DKIM_ALG_RSA_SHA256 && k->bits > DKIM_RSA_MAX_BITS) {
		*why = "RSA key has more than 8192 bits";
		return SG_E_UNSUPPORTED;
	}
	/* Catch a damaged key now rather than with bad signatures later. */
	if ((cctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL)) == NULL) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	ok = EVP_PKEY_pairwise_check(cctx);
	EVP_PKEY_CTX_free(cctx);
	if (ok != 1 && ok != -2) {		/* -2: check not available */
		*why = "private key fails its consistency check (damaged key "
		       "file, or no private part)";
		return SG_E_CRYPTO;
	}
	if (k->alg == DKIM_ALG_RSA_SHA256 && k->bits < DKIM_RSA_WARN_BITS)
		*warn = "RSA key shorter than 2048 bits";
	return SG_OK;
}

enum sg_status dkim_key_parse(const char *data, size_t len,
			      struct dkim_privkey **out, const char **warn,
			      const char **why)
{
	struct dkim_privkey *k;
	enum sg_status st;

	*out = NULL;
	*warn = NULL;
	if (len > DKIM_MAX_KEYFILE) {
		*why = WHY_TOOBIG;
		return SG_E_TOOBIG;
	}
	if (len == 0) {
		*why = "key file is empty";
		return SG_E_SYNTAX;
	}
	if ((k = calloc(1, sizeof *k)) == NULL) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	ERR_set_mark();
	if (has(data, len, "-----BEGIN "))
		st = parse_pem(data, len, &k->pkey, why);
	else
		st = parse_b64(data, len, &k->pkey, why);
	if (st == SG_OK)
		st = check_pkey(k, warn, why);
	ERR_pop_to_mark();		/* decoders leave noise on the queue */
	if (st != SG_OK) {
		*warn = NULL;
		dkim_key_free(&k);
		return st;
	}
	*out = k;
	return SG_OK;
}

/* ---- creating ---- */

/* Write all of p to fd. */
static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* PKCS#8 PEM of pkey into a wiping memory BIO; NULL on failure. */
static BIO *pem_of(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_secmem());

	if (bio == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
				     NULL) != 1) {
		BIO_free(bio);
		return NULL;
	}
	return bio;
}

/* Create path (mode 0600, never over an existing file) holding the PEM. */
static enum sg_status write_keyfile(const char *path, BIO *bio,
				    const char **why)
{
	char *pem;
	long n = BIO_get_mem_data(bio, &pem);
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		  0600);
	if (fd < 0) {
		err = errno;
		if (err == EEXIST) {
			*why = "key file already exists; not overwriting it";
			return SG_E_IO;
		}
		return open_error(err, why);
	}
	if (n <= 0 || !write_all(fd, pem, (size_t)n) || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		*why = "key file cannot be written";
		return SG_E_IO;
	}
	if (close(fd) != 0) {
		unlink(path);
		*why = "key file cannot be written";
		return SG_E_IO;
	}
	return SG_OK;
}

enum sg_status dkim_key_generate(enum dkim_alg alg, int bits,
				 const char *path, const char **why)
{
	EVP_PKEY *pkey;
	enum sg_status st;
	BIO *bio;

	if (alg == DKIM_ALG_RSA_SHA256 &&
	    (bits < DKIM_RSA_MIN_BITS || bits > DKIM_RSA_MAX_BITS)) {
		*why = "RSA key size must be 1024 to 8192 bits";
		return SG_E_UNSUPPORTED;
	}
	ERR_set_mark();
	if (alg == DKIM_ALG_RSA_SHA256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL) {
		ERR_pop_to_mark();
		*why = "key generation failed";
		return SG_E_CRYPTO;
	}
	bio = pem_of(pkey);
	EVP_PKEY_free(pkey);
	ERR_pop_to_mark();
	if (bio == NULL) {
		*why = "new key cannot be encoded as PEM";
		return SG_E_CRYPTO;
	}
	st = write_keyfile(path, bio, why);
	BIO_free(bio);
	return st;
}

/* ---- the public record ---- */

/* "v=DKIM1; k=<k>; p=<base64 of p>", malloc'd. */
static char *txt_record(const char *k, const unsigned char *p, size_t n)
{
	static const char fmt1[] = "v=DKIM1; k=", fmt2[] = "; p=";
	size_t klen = strlen(k), b64len = (n + 2) / 3 * 4;
	size_t pre = sizeof fmt1 - 1 + klen + sizeof fmt2 - 1;
	char *s;

	if (n > INT_MAX / 2 || (s = malloc(pre + b64len + 1)) == NULL)
		return NULL;
	memcpy(s, fmt1, sizeof fmt1 - 1);
	memcpy(s + sizeof fmt1 - 1, k, klen);
	memcpy(s + sizeof fmt1 - 1 + klen, fmt2, sizeof fmt2 - 1);
	EVP_EncodeBlock((unsigned char *)s + pre, p, (int)n);
	s[pre + b64len] = '\0';
	return s;
}

/* RSA: p= is the SubjectPublicKeyInfo DER (RFC 6376 3.6.1). */
static char *txt_rsa(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	char *s;
	int n = i2d_PUBKEY(pkey, &der);

	if (n <= 0)
		return NULL;
	s = txt_record("rsa", der, (size_t)n);
	OPENSSL_free(der);
	return s;
}

/* Ed25519: p= is the raw 32-byte public key (RFC 8463 section 4). */
static char *txt_ed25519(EVP_PKEY *pkey)
{
	unsigned char pub[ED25519_KEYLEN];
	size_t n = sizeof pub;

	if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 ||
	    n != ED25519_KEYLEN)
		return NULL;
	return txt_record("ed25519", pub, n);
}

char *dkim_key_txt(const struct dkim_privkey *k)
{
	char *s;

	ERR_set_mark();
	if (k->alg == DKIM_ALG_RSA_SHA256)
		s = txt_rsa(k->pkey);
	else
		s = txt_ed25519(k->pkey);
	ERR_pop_to_mark();
	return s;
}

/* ---- accessors ---- */

enum dkim_alg dkim_key_alg(const struct dkim_privkey *k)
{
	return k->alg;
}

int dkim_key_bits(const struct dkim_privkey *k)
{
	return k->bits;
}

EVP_PKEY *dkim_key_pkey(const struct dkim_privkey *k)
{
	return k->pkey;
}

const char *dkim_alg_name(enum dkim_alg alg)
{
	switch (alg) {
	case DKIM_ALG_RSA_SHA256:	return "rsa-sha256";
	case DKIM_ALG_ED25519_SHA256:	return "ed25519-sha256";
	}
	return "unknown";
}

/* Fetched on first use and kept for the life of the process (never
 * freed: hashing may go on until exit). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

const EVP_MD *dkim_sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md != NULL ? sha256_md : EVP_sha256();
}

void dkim_key_free(struct dkim_privkey **kp)
{
	if (*kp == NULL)
		return;
	EVP_PKEY_free((*kp)->pkey);	/* OpenSSL wipes the key material */
	free(*kp);
	*kp = NULL;
}
