/*
 * tests/unit/key_test.c -- dkim/key.c: key files in every accepted format
 * (the dkimpy and RFC conformance keys), permission checks, refusals, key
 * generation and the public TXT record.
 * Conformance keys come from $SIGNET_CONFORMANCE (default
 * ../shared/conformance, relative to the repository root); each is copied
 * into a private temporary directory with the mode a case needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/limits.h"
#include "dkim/key.h"
#include "tests/lib/test.h"

static char tmpdir[] = "/tmp/signet-key-test-XXXXXX";

static const char *conf_dir(void)
{
	const char *d = getenv("SIGNET_CONFORMANCE");

	return d != NULL && *d != '\0' ? d : "../shared/conformance";
}

/* ---- files ---- */

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, fp);
		buf[*len] = '\0';
	}
	fclose(fp);
	return buf;
}

static char *read_conf(const char *rel, size_t *len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", conf_dir(), rel);
	return read_file(path, len);
}

/* Write data to tmpdir/name with the given mode; the path goes to out. */
static void put_file(const char *name, const void *data, size_t len,
		     mode_t mode, char *out, size_t outlen)
{
	int fd;

	snprintf(out, outlen, "%s/%s", tmpdir, name);
	unlink(out);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		fprintf(stderr, "cannot write %s: %s\n", out, strerror(errno));
		exit(2);
	}
	close(fd);
	chmod(out, mode);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static void rm_tmpdir(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers ---- */

/* The p= value of a key record (up to ';', blank or quote). */
static char *p_of(const char *txt)
{
	const char *p = strstr(txt, "p=");
	size_t n;

	if (p == NULL)
		return strdup("");
	p += 2;
	n = strcspn(p, "; \t\r\n\"");
	return strndup(p, n);
}

/* Sign and verify a short message with the key: the key is usable. */
static int sign_verify(const struct dkim_privkey *k)
{
	const EVP_MD *md = dkim_key_alg(k) == DKIM_ALG_RSA_SHA256 ?
			   EVP_sha256() : NULL;
	static const unsigned char msg[] = "signet";
	unsigned char sig[1100];
	size_t siglen = sizeof sig;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	ok = c != NULL &&
	     EVP_DigestSignInit(c, NULL, md, NULL, dkim_key_pkey(k)) == 1 &&
	     EVP_DigestSign(c, sig, &siglen, msg, sizeof msg - 1) == 1;
	EVP_MD_CTX_free(c);
	c = EVP_MD_CTX_new();
	ok = ok && c != NULL &&
	     EVP_DigestVerifyInit(c, NULL, md, NULL, dkim_key_pkey(k)) == 1 &&
	     EVP_DigestVerify(c, sig, siglen, msg, sizeof msg - 1) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

/* Load data written with mode 0600 as tmpdir/name. */
static enum sg_status load_bytes(const char *name, const void *data,
				 size_t len, struct dkim_privkey **k,
				 const char **warn, const char **why)
{
	char path[PATH_MAX];

	put_file(name, data, len, 0600, path, sizeof path);
	return dkim_key_load(path, false, k, warn, why);
}

/* pkey as text, malloc'd. kind: 0 PEM, 1 encrypted PKCS#8 PEM,
 * 2 encrypted PKCS#1 PEM, 3 public key PEM, 4 base64 of encrypted PKCS#8
 * DER, 5 base64 of PKCS#8 DER. */
static char *pem_text(EVP_PKEY *pkey, int kind, const char *pass)
{
	BIO *bio = BIO_new(BIO_s_mem());
	const EVP_CIPHER *aes = EVP_aes_256_cbc();
	char *data, *s = NULL;
	long n;
	int ok;

	switch (kind) {
	case 0:  ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
					       NULL, NULL); break;
	case 1:  ok = PEM_write_bio_PrivateKey(bio, pkey, aes, NULL, 0, NULL,
					       (void *)pass); break;
	case 2:  ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, aes,
					       NULL, 0, NULL, (void *)pass); break;
	case 3:  ok = PEM_write_bio_PUBKEY(bio, pkey); break;
	case 4:  ok = i2d_PKCS8PrivateKey_bio(bio, pkey, aes, NULL, 0, NULL,
					      (void *)pass); break;
	default: ok = i2d_PKCS8PrivateKey_bio(bio, pkey, NULL, NULL, 0, NULL,
					      NULL); break;
	}
	if (ok == 1 && (n = BIO_get_mem_data(bio, &data)) > 0) {
		if (kind >= 4) {		/* DER -> base64 */
			s = malloc((size_t)n * 2 + 8);
			EVP_EncodeBlock((unsigned char *)s,
					(unsigned char *)data, (int)n);
		} else {
			s = strndup(data, (size_t)n);
		}
	}
	BIO_free(bio);
	return s;
}

/* The base64 body of a PEM file, without the marker lines. */
static char *strip_markers(const char *pem)
{
	char *out = malloc(strlen(pem) + 1), *o = out;

	for (const char *l = pem; *l != '\0';) {
		const char *nl = strchr(l, '\n');
		size_t n = nl != NULL ? (size_t)(nl - l + 1) : strlen(l);

		if (strncmp(l, "-----", 5) != 0) {
			memcpy(o, l, n);
			o += n;
		}
		l += n;
	}
	*o = '\0';
	return out;
}

/* ---- conformance keys ---- */

struct keycase {
	const char *label;
	const char *file;		/* under the conformance dir */
	enum dkim_alg alg;
	int bits;
	int warn;			/* expect the short-RSA warning */
	const char *pubfile;		/* record to compare p= with, or NULL */
	const char *pub;		/* else p= literally, or NULL */
};

static const struct keycase conf_keys[] = {
	{ "dkimpy-1024-pkcs1", "dkim-dkimpy/1024_testkey.key",
	  DKIM_ALG_RSA_SHA256, 1024, 1,
	  "dkim-dkimpy/1024_testkey_wo_markers.pub.txt", NULL },
	{ "dkimpy-2048-pkcs1", "dkim-dkimpy/2048_testkey.key",
	  DKIM_ALG_RSA_SHA256, 2048, 0,
	  "dkim-dkimpy/2048_testkey_wo_markers.pub.txt", NULL },
	{ "dkimpy-2048-pkcs8", "dkim-dkimpy/2048_testkey_PKCS8.key",
	  DKIM_ALG_RSA_SHA256, 2048, 0,
	  "dkim-dkimpy/2048_testkey_PKCS8.key.pub.txt", NULL },
	{ "dkimpy-test-private", "dkim-dkimpy/test.private",
	  DKIM_ALG_RSA_SHA256, 1024, 1, "dkim-dkimpy/test.txt", NULL },
	{ "dkimpy-test2-private", "dkim-dkimpy/test2.private",
	  DKIM_ALG_RSA_SHA256, 1024, 1, "dkim-dkimpy/test.txt", NULL },
	{ "dkimpy-ed25519-seed", "dkim-dkimpy/ed25519test.key",
	  DKIM_ALG_ED25519_SHA256, 256, 0, "dkim-dkimpy/ed25519test.dns",
	  NULL },
	{ "dkimpy-rfc8032-seed", "dkim-dkimpy/rfc8032_7_1.key",
	  DKIM_ALG_ED25519_SHA256, 256, 0, NULL,
	  "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	{ "rfc6376-C-rsa", "dkim-rfc/rfc6376-C-rsa-private.pem",
	  DKIM_ALG_RSA_SHA256, 1024, 1, NULL,
	  "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMo"
	  "GeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/Rtd"
	  "C2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmP"
	  "SPDdQPNUYckcQ2QIDAQAB" },
	{ "rfc8463-ed25519-pkcs8", "dkim-rfc/rfc8463-A1-ed25519-private.pem",
	  DKIM_ALG_ED25519_SHA256, 256, 0, NULL,
	  "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	{ "rfc8463-ed25519-seed", "dkim-rfc/rfc8463-A1-ed25519-seed.b64",
	  DKIM_ALG_ED25519_SHA256, 256, 0, NULL,
	  "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	{ "rfc8463-rsa", "dkim-rfc/rfc8463-A1-rsa-private.pem",
	  DKIM_ALG_RSA_SHA256, 1024, 1, "dkim-dkimpy/test.txt", NULL },
};

/* The p= a case expects, malloc'd ("" if its record is missing). */
static char *want_p(const struct keycase *c)
{
	char *rec, *p;
	size_t n;

	if (c->pub != NULL)
		return strdup(c->pub);
	if ((rec = read_conf(c->pubfile, &n)) == NULL)
		return strdup("");
	p = p_of(rec);
	free(rec);
	return p;
}

static void check_conf_key(const struct keycase *c)
{
	struct dkim_privkey *k = NULL;
	const char *warn = NULL, *why = "";
	char *data, *txt, *got, *want;
	size_t n = 0;

	if ((data = read_conf(c->file, &n)) == NULL) {
		T_EXPECT(!"conformance key readable", c->label);
		return;
	}
	T_EXPECT(load_bytes("conf.key", data, n, &k, &warn, &why) == SG_OK,
		 c->label);
	free(data);
	if (k == NULL) {
		fprintf(stderr, "    %s: %s\n", c->label, why);
		return;
	}
	T_EXPECT(dkim_key_alg(k) == c->alg, c->label);
	T_EXPECT(dkim_key_bits(k) == c->bits, c->label);
	T_EXPECT((warn != NULL) == (c->warn != 0), c->label);
	if (c->warn)
		T_EXPECT_STR(warn, "RSA key shorter than 2048 bits", c->label);
	T_EXPECT(sign_verify(k), c->label);
	txt = dkim_key_txt(k);
	T_EXPECT(txt != NULL, c->label);
	if (txt != NULL) {
		T_EXPECT(strncmp(txt, c->alg == DKIM_ALG_RSA_SHA256 ?
				 "v=DKIM1; k=rsa; p=" :
				 "v=DKIM1; k=ed25519; p=", 18) == 0, c->label);
		got = p_of(txt);
		want = want_p(c);
		T_EXPECT_STR(got, want, c->label);
		free(got);
		free(want);
	}
	free(txt);
	dkim_key_free(&k);
	T_EXPECT(k == NULL, c->label);
}

static void test_conformance_keys(void)
{
	for (size_t i = 0; i < NELEM(conf_keys); i++)
		check_conf_key(&conf_keys[i]);
}

/* Every key-like file in the conformance folders loads (with 0600). */
static void test_conformance_sweep(void)
{
	static const char *pats[] = {
		"dkim-rfc/*.pem", "dkim-rfc/*.b64",
		"dkim-dkimpy/*.key", "dkim-dkimpy/*.private",
	};
	size_t total = 0;

	for (size_t i = 0; i < NELEM(pats); i++) {
		char pat[PATH_MAX];
		glob_t g;

		snprintf(pat, sizeof pat, "%s/%s", conf_dir(), pats[i]);
		if (glob(pat, 0, NULL, &g) != 0)
			continue;
		for (size_t j = 0; j < g.gl_pathc; j++) {
			struct dkim_privkey *k = NULL;
			const char *warn, *why = "";
			size_t n = 0;
			char *data = read_file(g.gl_pathv[j], &n);

			T_EXPECT(data != NULL && load_bytes("sweep.key", data,
				 n, &k, &warn, &why) == SG_OK, g.gl_pathv[j]);
			dkim_key_free(&k);
			free(data);
			total++;
		}
		globfree(&g);
	}
	T_EXPECT(total >= 11, "sweep-found-all-keys");
}

/* ---- permissions ---- */

static void test_permissions(void)
{
	static const struct { const char *label; mode_t mode; bool unsafe;
			      enum sg_status want; } cases[] = {
		{ "perm-0600",             0600, false, SG_OK },
		{ "perm-0400",             0400, false, SG_OK },
		{ "perm-0644-refused",     0644, false, SG_E_PERM },
		{ "perm-0640-refused",     0640, false, SG_E_PERM },
		{ "perm-0620-refused",     0620, false, SG_E_PERM },
		{ "perm-0604-refused",     0604, false, SG_E_PERM },
		{ "perm-0602-refused",     0602, false, SG_E_PERM },
		{ "perm-0644-allowed",     0644, true,  SG_OK },
		{ "perm-0666-allowed",     0666, true,  SG_OK },
	};
	char path[PATH_MAX], *data;
	size_t n = 0;

	if ((data = read_conf("dkim-dkimpy/test.private", &n)) == NULL) {
		T_EXPECT(!"conformance test.private readable", "perm");
		return;
	}
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_privkey *k = NULL;
		const char *warn, *why = NULL;
		enum sg_status st;

		put_file("perm.key", data, n, cases[i].mode, path, sizeof path);
		st = dkim_key_load(path, cases[i].unsafe, &k, &warn, &why);
		T_EXPECT(st == cases[i].want, cases[i].label);
		T_EXPECT((k != NULL) == (cases[i].want == SG_OK), cases[i].label);
		if (cases[i].want == SG_E_PERM)
			T_EXPECT_STR(why, "key file is readable or writable by "
				     "group or others (chmod 600, or set "
				     "allow_unsafe_key_permissions)",
				     cases[i].label);
		dkim_key_free(&k);
	}
	free(data);
}

/* The conformance files themselves are 0444: refused unless allowed. */
static void test_conformance_file_modes(void)
{
	struct dkim_privkey *k = NULL;
	const char *warn, *why;
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof path, "%s/dkim-dkimpy/ed25519test.key",
		 conf_dir());
	if (stat(path, &sb) != 0 || (sb.st_mode & 0066) == 0)
		return;			/* someone made it private */
	T_EXPECT(dkim_key_load(path, false, &k, &warn, &why) == SG_E_PERM,
		 "conformance-0444-refused");
	T_EXPECT(k == NULL, "conformance-0444-refused");
	T_EXPECT(dkim_key_load(path, true, &k, &warn, &why) == SG_OK,
		 "conformance-0444-allowed");
	dkim_key_free(&k);
}

/* ---- formats made here ---- */

static int b64dec(const char *s, unsigned char *out)
{
	int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)strlen(s));

	return n - (int)(strlen(s) > 0 && s[strlen(s) - 1] == '=') -
	       (int)(strlen(s) > 1 && s[strlen(s) - 2] == '=');
}

static void expect_ed_pub(const char *label, const char *data,
			  enum sg_status want)
{
	struct dkim_privkey *k = NULL;
	const char *warn, *why = "";
	enum sg_status st;
	char *txt;

	st = load_bytes("fmt.key", data, strlen(data), &k, &warn, &why);
	T_EXPECT(st == want, label);
	if (st != SG_OK || want != SG_OK) {
		T_EXPECT(k == NULL, label);
		T_EXPECT(why != NULL && strstr(why, "nWGx") == NULL, label);
		dkim_key_free(&k);
		return;
	}
	txt = dkim_key_txt(k);
	T_EXPECT_STR(txt, "v=DKIM1; k=ed25519; "
		     "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", label);
	free(txt);
	dkim_key_free(&k);
}

/* RFC 8032 7.1 test 1: the signature of the empty message. */
static void test_ed25519_known_answer(void)
{
	static const unsigned char want[64] = {
		0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86,
		0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a, 0x84, 0x87, 0x7f, 0x1e,
		0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49,
		0x01, 0x55, 0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac,
		0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b, 0xd2, 0x5b,
		0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43,
		0x8e, 0x7a, 0x10, 0x0b,
	};
	static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
	struct dkim_privkey *k = NULL;
	const char *warn, *why;
	unsigned char sig[64];
	size_t n = sizeof sig;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	T_EXPECT(dkim_key_parse(seed, strlen(seed), &k, &warn, &why) == SG_OK,
		 "rfc8032-kat");
	if (k != NULL && c != NULL &&
	    EVP_DigestSignInit(c, NULL, NULL, NULL, dkim_key_pkey(k)) == 1 &&
	    EVP_DigestSign(c, sig, &n, (const unsigned char *)"", 0) == 1)
		T_EXPECT_MEM(sig, n, want, sizeof want, "rfc8032-kat");
	else
		T_EXPECT(!"ed25519 signing works", "rfc8032-kat");
	EVP_MD_CTX_free(c);
	dkim_key_free(&k);
}

static void test_ed25519_forms(void)
{
	static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
	static const char pub[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	unsigned char raw[70];
	char b64[100];

	expect_ed_pub("seed-with-whitespace", "  nWGxne/9WmC6hEr0\r\n"
		      "\tkuwsxERJxWl7 MmkZcDusAxyuf2A=\n\n", SG_OK);
	expect_ed_pub("seed-no-padding-refused",
		      "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", SG_E_SYNTAX);
	expect_ed_pub("seed-junk-char-refused",
		      "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDus*xyuf2A=", SG_E_SYNTAX);
	expect_ed_pub("seed-data-after-pad-refused",
		      "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=AAAA",
		      SG_E_SYNTAX);
	expect_ed_pub("seed-short-refused", "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZ",
		      SG_E_SYNTAX);
	/* seed || public, 64 bytes */
	T_EXPECT(b64dec(seed, raw) == 32 && b64dec(pub, raw + 32) == 32,
		 "seed-pub-decode");
	EVP_EncodeBlock((unsigned char *)b64, raw, 64);
	expect_ed_pub("seed-and-public", b64, SG_OK);
	raw[63] ^= 1;
	EVP_EncodeBlock((unsigned char *)b64, raw, 64);
	expect_ed_pub("seed-and-wrong-public-refused", b64, SG_E_SYNTAX);
}

/* OpenDKIM key files: base64 DER without the PEM markers. */
static void test_bare_der(void)
{
	static const struct { const char *label, *file, *pubfile; } cases[] = {
		{ "bare-der-pkcs1", "dkim-dkimpy/2048_testkey.key",
		  "dkim-dkimpy/2048_testkey_wo_markers.pub.txt" },
		{ "bare-der-pkcs8", "dkim-dkimpy/2048_testkey_PKCS8.key",
		  "dkim-dkimpy/2048_testkey_PKCS8.key.pub.txt" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_privkey *k = NULL;
		const char *warn, *why = "";
		char *pem, *bare, *rec, *txt = NULL, *got, *want;
		size_t n = 0;

		pem = read_conf(cases[i].file, &n);
		rec = read_conf(cases[i].pubfile, &n);
		if (pem == NULL || rec == NULL) {
			T_EXPECT(!"conformance files readable", cases[i].label);
			free(pem);
			free(rec);
			continue;
		}
		bare = strip_markers(pem);
		T_EXPECT(load_bytes("bare.key", bare, strlen(bare), &k, &warn,
				    &why) == SG_OK, cases[i].label);
		if (k != NULL) {
			T_EXPECT(dkim_key_bits(k) == 2048, cases[i].label);
			txt = dkim_key_txt(k);
		}
		got = p_of(txt != NULL ? txt : "");
		want = p_of(rec);
		T_EXPECT_STR(got, want, cases[i].label);
		free(txt);
		dkim_key_free(&k);
		free(got);
		free(want);
		free(bare);
		free(pem);
		free(rec);
	}
}

/* A PEM file with a comment line before the block still loads. */
static void test_pem_with_preamble(void)
{
	struct dkim_privkey *k = NULL;
	const char *warn, *why;
	char *pem, *data;
	size_t n = 0;

	if ((pem = read_conf("dkim-rfc/rfc8463-A1-ed25519-private.pem",
			     &n)) == NULL) {
		T_EXPECT(!"conformance pem readable", "pem-preamble");
		return;
	}
	data = malloc(n + 64);
	snprintf(data, n + 64, "# made by hand\nBag Attributes: none\n%s", pem);
	T_EXPECT(load_bytes("pre.key", data, strlen(data), &k, &warn,
			    &why) == SG_OK, "pem-preamble");
	dkim_key_free(&k);
	free(data);
	free(pem);
}

/* Append a DER INTEGER of n big-endian bytes (a 0 is added if needed). */
static size_t der_int(unsigned char *o, const unsigned char *v, size_t n)
{
	size_t len = n + (v[0] & 0x80 ? 1 : 0), i = 0;

	o[i++] = 0x02;
	if (len < 0x80) {
		o[i++] = (unsigned char)len;
	} else {
		o[i++] = 0x82;
		o[i++] = (unsigned char)(len >> 8);
		o[i++] = (unsigned char)len;
	}
	if (v[0] & 0x80)
		o[i++] = 0;
	memcpy(o + i, v, n);
	return i + n;
}

/* Base64 of a PKCS#1 RSAPrivateKey with an nbytes modulus and made-up
 * (inconsistent) other numbers; malloc'd. */
static char *fake_rsa(size_t nbytes)
{
	static const unsigned char zero = 0, e[] = { 1, 0, 1 }, small = 3;
	unsigned char *body = malloc(nbytes + 64), *der, *mod;
	char *b64;
	size_t n = 0, d = 0;

	mod = malloc(nbytes);
	memset(mod, 0x5b, nbytes);
	mod[0] = 0xc1;
	mod[nbytes - 1] |= 1;
	n += der_int(body + n, &zero, 1);		/* version */
	n += der_int(body + n, mod, nbytes);		/* n */
	n += der_int(body + n, e, sizeof e);		/* e */
	for (int i = 0; i < 6; i++)			/* d p q dp dq qinv */
		n += der_int(body + n, &small, 1);
	der = malloc(n + 8);
	der[d++] = 0x30;
	der[d++] = 0x82;
	der[d++] = (unsigned char)(n >> 8);
	der[d++] = (unsigned char)n;
	memcpy(der + d, body, n);
	d += n;
	b64 = malloc(d * 2 + 8);
	EVP_EncodeBlock((unsigned char *)b64, der, (int)d);
	free(mod);
	free(body);
	free(der);
	return b64;
}

struct refusal {
	const char *label;
	char *data;			/* malloc'd */
	enum sg_status want;
	const char *why_has;		/* a word the why must contain */
};

static char *keygen_pem(const char *type, const void *arg, int kind)
{
	EVP_PKEY *pkey;
	char *s;

	if (strcmp(type, "RSA") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
					 (size_t)*(const int *)arg);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", (const char *)arg);
	if (pkey == NULL)
		return strdup("");
	s = pem_text(pkey, kind, "secret");
	EVP_PKEY_free(pkey);
	return s != NULL ? s : strdup("");
}

/* Does why quote a stretch of the key data? */
static bool leaks(const char *why, const char *data)
{
	size_t n = strlen(data);
	char mid[9];

	if (why == NULL || n < 16)
		return false;
	memcpy(mid, data + n / 2, 8);
	mid[8] = '\0';
	return strstr(why, mid) != NULL;
}

static void test_refusals(void)
{
	static const int rsa512 = 512, rsa1024 = 1024;
	struct refusal cases[] = {
		{ "rsa-512", keygen_pem("RSA", &rsa512, 0),
		  SG_E_UNSUPPORTED, "1024" },
		{ "rsa-over-8192", fake_rsa(1025), SG_E_UNSUPPORTED, "8192" },
		{ "rsa-damaged", fake_rsa(128), SG_E_CRYPTO, "consistency" },
		{ "ec-p256-pem", keygen_pem("EC", "P-256", 0),
		  SG_E_UNSUPPORTED, "neither RSA nor Ed25519" },
		{ "ec-p256-bare-der", keygen_pem("EC", "P-256", 5),
		  SG_E_UNSUPPORTED, "neither" },
		{ "pkcs8-encrypted", keygen_pem("RSA", &rsa1024, 1),
		  SG_E_UNSUPPORTED, "encrypted" },
		{ "pkcs1-encrypted", keygen_pem("RSA", &rsa1024, 2),
		  SG_E_UNSUPPORTED, "encrypted" },
		{ "pkcs8-encrypted-bare-der", keygen_pem("RSA", &rsa1024, 4),
		  SG_E_SYNTAX, "base64" },
		{ "public-key-pem", keygen_pem("RSA", &rsa1024, 3),
		  SG_E_SYNTAX, "no private key" },
		{ "garbage-text", strdup("this is not a key\n"),
		  SG_E_SYNTAX, "neither PEM" },
		{ "garbage-base64", strdup("Z2FyYmFnZSBnYXJiYWdlIGdhcmJhZ2UgZ2"
		  "FyYmFnZSBnYXJiYWdlIGdhcmJhZ2U="), SG_E_SYNTAX, "neither" },
		{ "garbage-pem", strdup("-----BEGIN RSA PRIVATE KEY-----\n"
		  "Z2FyYmFnZQ==\n-----END RSA PRIVATE KEY-----\n"),
		  SG_E_SYNTAX, "cannot be decoded" },
		{ "empty", strdup(""), SG_E_SYNTAX, "empty" },
		{ "blank", strdup(" \n\n"), SG_E_SYNTAX, "neither" },
		{ "nul-bytes", strdup("AAAA\x01" "AAAA"), SG_E_SYNTAX, "neither" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct refusal *c = &cases[i];
		struct dkim_privkey *k = NULL;
		const char *warn = "x", *why = NULL;
		enum sg_status st;

		st = load_bytes("bad.key", c->data, strlen(c->data), &k, &warn,
				&why);
		T_EXPECT(st == c->want, c->label);
		if (st != c->want)
			fprintf(stderr, "    got %d (%s)\n", st, why ? why : "");
		T_EXPECT(k == NULL && warn == NULL, c->label);
		T_EXPECT(why != NULL && strstr(why, c->why_has) != NULL,
			 c->label);
		T_EXPECT(!leaks(why, c->data), c->label);
		free(c->data);
	}
}

/* Things that are not key files at all. */
static void test_not_files(void)
{
	struct dkim_privkey *k = NULL;
	const char *warn, *why = NULL;
	char path[PATH_MAX], link[PATH_MAX], *big, *data;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/subdir", tmpdir);
	mkdir(path, 0700);
	T_EXPECT(dkim_key_load(path, false, &k, &warn, &why) == SG_E_IO,
		 "directory");
	T_EXPECT_STR(why, "key file is not a regular file", "directory");

	snprintf(path, sizeof path, "%s/fifo", tmpdir);
	T_EXPECT(mkfifo(path, 0600) == 0, "fifo");
	T_EXPECT(dkim_key_load(path, false, &k, &warn, &why) == SG_E_IO,
		 "fifo-not-opened-for-ever");

	snprintf(path, sizeof path, "%s/none.key", tmpdir);
	T_EXPECT(dkim_key_load(path, false, &k, &warn, &why) == SG_E_NOTFOUND,
		 "missing");
	T_EXPECT_STR(why, "key file does not exist", "missing");

	big = malloc(DKIM_MAX_KEYFILE + 1);
	memset(big, 'A', DKIM_MAX_KEYFILE + 1);
	put_file("big.key", big, DKIM_MAX_KEYFILE + 1, 0600, path, sizeof path);
	T_EXPECT(dkim_key_load(path, false, &k, &warn, &why) == SG_E_TOOBIG,
		 "oversized");
	T_EXPECT(dkim_key_parse(big, DKIM_MAX_KEYFILE + 1, &k, &warn,
				&why) == SG_E_TOOBIG, "oversized-parse");
	free(big);
	T_EXPECT(k == NULL, "oversized");

	/* symbolic links are followed; the target's mode counts */
	data = read_conf("dkim-dkimpy/ed25519test.key", &n);
	if (data != NULL) {
		put_file("target.key", data, n, 0600, path, sizeof path);
		snprintf(link, sizeof link, "%s/link.key", tmpdir);
		T_EXPECT(symlink(path, link) == 0, "symlink");
		T_EXPECT(dkim_key_load(link, false, &k, &warn, &why) == SG_OK,
			 "symlink-followed");
		dkim_key_free(&k);
		chmod(path, 0644);
		T_EXPECT(dkim_key_load(link, false, &k, &warn, &why) ==
			 SG_E_PERM, "symlink-target-mode");
		free(data);
	}
	snprintf(link, sizeof link, "%s/dangling.key", tmpdir);
	T_EXPECT(symlink("/nonexistent/signet.key", link) == 0, "dangling");
	T_EXPECT(dkim_key_load(link, false, &k, &warn, &why) == SG_E_NOTFOUND,
		 "dangling-symlink");
}

/* dkim_key_parse on bytes: no permission check, no file. */
static void test_parse_bytes(void)
{
	static const char seed[] = "fL+5V9EquCZAovKik3pA6Lk9zwCzoEtjIuIqK9ZXHHA=\n";
	struct dkim_privkey *k = NULL;
	const char *warn = "x", *why;
	char *txt;

	T_EXPECT(dkim_key_parse(seed, strlen(seed), &k, &warn, &why) == SG_OK,
		 "parse-bytes");
	T_EXPECT(warn == NULL, "parse-bytes");
	txt = k != NULL ? dkim_key_txt(k) : NULL;
	T_EXPECT_STR(txt, "v=DKIM1; k=ed25519; "
		     "p=yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y=",
		     "parse-bytes");
	free(txt);
	dkim_key_free(&k);
	dkim_key_free(&k);			/* NULL is fine */
	T_EXPECT(k == NULL, "free-null");
}

/* ---- generation ---- */

static void check_generated(const char *label, enum dkim_alg alg, int bits)
{
	struct dkim_privkey *k = NULL;
	const char *warn, *why = "";
	char path[PATH_MAX], *before, *after, *txt;
	size_t n1 = 0, n2 = 0;
	struct stat sb;

	snprintf(path, sizeof path, "%s/gen-%s.pem", tmpdir, label);
	T_EXPECT(dkim_key_generate(alg, bits, path, &why) == SG_OK, label);
	T_EXPECT(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600, label);
	before = read_file(path, &n1);
	T_EXPECT(before != NULL && strncmp(before,
		 "-----BEGIN PRIVATE KEY-----\n", 28) == 0, label);
	T_EXPECT(dkim_key_load(path, false, &k, &warn, &why) == SG_OK, label);
	if (k != NULL) {
		T_EXPECT(dkim_key_alg(k) == alg, label);
		T_EXPECT(dkim_key_bits(k) == bits, label);
		T_EXPECT(warn == NULL, label);
		T_EXPECT(sign_verify(k), label);
		txt = dkim_key_txt(k);
		T_EXPECT(txt != NULL && strncmp(txt, alg == DKIM_ALG_RSA_SHA256 ?
			 "v=DKIM1; k=rsa; p=MII" : "v=DKIM1; k=ed25519; p=",
			 alg == DKIM_ALG_RSA_SHA256 ? 21 : 22) == 0, label);
		if (alg == DKIM_ALG_ED25519_SHA256)
			T_EXPECT(txt != NULL && strlen(txt) == 22 + 44, label);
		free(txt);
	}
	dkim_key_free(&k);
	/* a second generate must not touch the file */
	T_EXPECT(dkim_key_generate(alg, bits, path, &why) == SG_E_IO, label);
	T_EXPECT(strstr(why, "already exists") != NULL, label);
	after = read_file(path, &n2);
	T_EXPECT(before != NULL && after != NULL && n1 == n2 &&
		 memcmp(before, after, n1) == 0, label);
	OPENSSL_cleanse(before, n1);
	OPENSSL_cleanse(after, n2);
	free(before);
	free(after);
}

static void test_generate(void)
{
	char path[PATH_MAX];
	const char *why;

	check_generated("rsa-2048", DKIM_ALG_RSA_SHA256, 2048);
	check_generated("ed25519", DKIM_ALG_ED25519_SHA256, 256);
	snprintf(path, sizeof path, "%s/small.pem", tmpdir);
	T_EXPECT(dkim_key_generate(DKIM_ALG_RSA_SHA256, 512, path, &why) ==
		 SG_E_UNSUPPORTED, "generate-rsa-512-refused");
	T_EXPECT(access(path, F_OK) != 0, "generate-rsa-512-no-file");
	T_EXPECT(dkim_key_generate(DKIM_ALG_RSA_SHA256, 16384, path, &why) ==
		 SG_E_UNSUPPORTED, "generate-rsa-16384-refused");
	snprintf(path, sizeof path, "%s/no/such/dir/k.pem", tmpdir);
	T_EXPECT(dkim_key_generate(DKIM_ALG_ED25519_SHA256, 0, path, &why) ==
		 SG_E_NOTFOUND, "generate-no-parent-dir");
}

static void test_names(void)
{
	T_EXPECT_STR(dkim_alg_name(DKIM_ALG_RSA_SHA256), "rsa-sha256",
		     "alg-name-rsa");
	T_EXPECT_STR(dkim_alg_name(DKIM_ALG_ED25519_SHA256), "ed25519-sha256",
		     "alg-name-ed25519");
}

int main(void)
{
	char probe[PATH_MAX];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(probe, sizeof probe, "%s/dkim-dkimpy", conf_dir());
	if (access(probe, R_OK) != 0)
		fprintf(stderr, "key_test: conformance data not found at %s "
			"(set SIGNET_CONFORMANCE)\n", conf_dir());
	test_names();
	test_conformance_keys();
	test_conformance_sweep();
	test_conformance_file_modes();
	test_permissions();
	test_ed25519_known_answer();
	test_ed25519_forms();
	test_bare_der();
	test_pem_with_preamble();
	test_refusals();
	test_not_files();
	test_parse_bytes();
	test_generate();
	rm_tmpdir();
	return T_DONE("key_test");
}
