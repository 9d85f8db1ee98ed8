/*
 * tests/unit/pubkey_test.c -- DKIM key records (RFC 6376 3.6.1, RFC 8463):
 * every dkimpy record file, the Mail::DKIM fake-DNS records, and made-up
 * records for each tag (v= first, k=, h=, s=, t=, p= forms, revoked),
 * the RSA size and exponent ceilings, and round trips from our own
 * private keys through dkim_key_txt().
 * Data comes from $SIGNET_CONFORMANCE (default ../shared/conformance).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "common/b64.h"
#include "common/limits.h"
#include "dkim/key.h"
#include "dkim/pubkey.h"
#include "tests/lib/conformance.h"
#include "tests/lib/test.h"

/* The file sub/name under the conformance folder, trailing line ends
 * removed (a TXT value has none). NULL if unreadable. */
static char *read_conf(const char *sub, const char *name, size_t *len)
{
	char *p = conformance_read(sub, name, len);

	while (p != NULL && *len > 0 && (p[*len - 1] == '\n' || p[*len - 1] == '\r'))
		p[--*len] = '\0';
	return p;
}

/* ---- dkimpy records ------------------------------------------------------ */

struct want {
	const char *label;
	enum sg_status st;
	const char *why;		/* on failure */
	enum dkim_alg type;
	int bits;
	bool email;
};

static void check(const char *txt, size_t len, const struct want *w)
{
	struct dkim_pubkey *k = NULL;
	const char *why = NULL;
	enum sg_status st = dkim_pubkey_parse(txt, len, &k, &why);

	T_EXPECT(st == w->st, w->label);
	if (st != SG_OK) {
		T_EXPECT(k == NULL, w->label);
		if (w->why != NULL)
			T_EXPECT_STR(why, w->why, w->label);
		return;
	}
	if (w->st != SG_OK) {
		dkim_pubkey_free(&k);
		return;
	}
	T_EXPECT(dkim_pubkey_type(k) == w->type, w->label);
	T_EXPECT(dkim_pubkey_bits(k) == w->bits, w->label);
	T_EXPECT(dkim_pubkey_for_email(k) == w->email, w->label);
	T_EXPECT(dkim_pubkey_pkey(k) != NULL && !dkim_pubkey_revoked(k),
		 w->label);
	dkim_pubkey_free(&k);
	T_EXPECT(k == NULL, w->label);
}

static const struct {
	const char *file;
	struct want w;
} dkimpy[] = {
	{ "1024_testkey_wo_markers.pub.rsa.txt",
	  { "dkimpy-1024-pkcs1-bare", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
	{ "1024_testkey_wo_markers.pub.txt",
	  { "dkimpy-1024-spki", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
	{ "2048_testkey_PKCS8.key.pub.txt",
	  { "dkimpy-2048-pkcs8-record", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 2048, true } },
	{ "2048_testkey_wo_markers.pub.rsa.txt",
	  { "dkimpy-2048-pkcs1-bare", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 2048, true } },
	{ "2048_testkey_wo_markers.pub.txt",
	  { "dkimpy-2048-spki", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 2048, true } },
	{ "badk.txt",
	  { "dkimpy-badk-unknown-k", SG_E_UNSUPPORTED, "unknown key type (k=)",
	    0, 0, false } },
	{ "badversion.txt",
	  { "dkimpy-badversion-colon", SG_E_SYNTAX, "v= is not DKIM1", 0, 0,
	    false } },
	{ "test.txt",
	  { "dkimpy-test", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
	{ "test2.txt",
	  { "dkimpy-test2-no-k-defaults-rsa", SG_OK, NULL, DKIM_ALG_RSA_SHA256,
	    1024, true } },
	{ "test_bad.txt",
	  { "dkimpy-test_bad-corrupt-p", SG_E_SYNTAX, "p= is not a public key",
	    0, 0, false } },
	{ "test_tlsrpt.txt",
	  { "dkimpy-tlsrpt-not-email", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024,
	    false } },
	{ "ed25519test.dns",
	  { "dkimpy-ed25519test", SG_OK, NULL, DKIM_ALG_ED25519_SHA256, 256,
	    true } },
	{ "eximtest.dns",
	  { "dkimpy-eximtest", SG_OK, NULL, DKIM_ALG_ED25519_SHA256, 256, true } },
};

static void test_dkimpy_records(void)
{
	for (size_t i = 0; i < NELEM(dkimpy); i++) {
		size_t len = 0;
		char *txt = read_conf("dkim-dkimpy", dkimpy[i].file, &len);

		T_EXPECT(txt != NULL, dkimpy[i].w.label);
		if (txt != NULL)
			check(txt, len, &dkimpy[i].w);
		free(txt);
	}
}

/* Every *.txt and *.dns record file in the folder is in the table above
 * (so a new one is not silently skipped). */
static void test_dkimpy_sweep(void)
{
	char path[1024];
	struct dirent *e;
	DIR *d;
	size_t seen = 0;

	snprintf(path, sizeof path, "%s/dkim-dkimpy", conformance_dir());
	if ((d = opendir(path)) == NULL) {
		T_EXPECT(!"dkim-dkimpy readable", "dkimpy-sweep");
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		bool listed = false;

		if (!(n > 4 && (strcmp(e->d_name + n - 4, ".txt") == 0 ||
				strcmp(e->d_name + n - 4, ".dns") == 0)))
			continue;
		for (size_t i = 0; i < NELEM(dkimpy); i++)
			listed |= strcmp(dkimpy[i].file, e->d_name) == 0;
		T_EXPECT(listed, e->d_name);
		seen++;
	}
	closedir(d);
	T_EXPECT(seen == NELEM(dkimpy), "dkimpy-sweep-count");
}

/* The SPKI and the bare PKCS#1 form of the same key are the same key. */
static void test_rsa_forms_agree(void)
{
	static const char *const pairs[][2] = {
		{ "1024_testkey_wo_markers.pub.txt", "1024_testkey_wo_markers.pub.rsa.txt" },
		{ "2048_testkey_wo_markers.pub.txt", "2048_testkey_wo_markers.pub.rsa.txt" },
	};

	for (size_t i = 0; i < NELEM(pairs); i++) {
		struct dkim_pubkey *a = NULL, *b = NULL;
		const char *why;
		size_t la = 0, lb = 0;
		char *ta = read_conf("dkim-dkimpy", pairs[i][0], &la);
		char *tb = read_conf("dkim-dkimpy", pairs[i][1], &lb);

		if (ta != NULL && tb != NULL &&
		    dkim_pubkey_parse(ta, la, &a, &why) == SG_OK &&
		    dkim_pubkey_parse(tb, lb, &b, &why) == SG_OK)
			T_EXPECT(EVP_PKEY_eq(dkim_pubkey_pkey(a),
					     dkim_pubkey_pkey(b)) == 1,
				 pairs[i][1]);
		else
			T_EXPECT(!"both forms parse", pairs[i][1]);
		dkim_pubkey_free(&a);
		dkim_pubkey_free(&b);
		free(ta);
		free(tb);
	}
}

/* ---- Mail::DKIM's fake DNS ------------------------------------------------ */

/* The TXT value for name in FAKE_DNS.dat ("NAME  VALUE" lines), malloc'd. */
static char *fake_dns(const char *name, size_t *len)
{
	size_t flen = 0, n = strlen(name);
	char *all = read_conf("dkim-mail-dkim", "FAKE_DNS.dat", &flen);
	char *line, *save = NULL, *out = NULL;

	if (all == NULL)
		return NULL;
	for (line = strtok_r(all, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = line + n;

		if (strncmp(line, name, n) != 0 || (*v != ' ' && *v != '\t'))
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcmp(v, "\"\"") == 0)
			v = "";
		*len = strlen(v);
		out = strdup(v);
		break;
	}
	free(all);
	return out;
}

static void test_maildkim_records(void)
{
	static const struct {
		const char *name;
		struct want w;
		bool testing, strict, sha1, sha256;
	} cases[] = {
		{ "test1._domainkey.messiah.edu",
		  { "maildkim-512-bit-t=y", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 512, true },
		  true, false, true, true },
		{ "test2._domainkey.messiah.edu",
		  { "maildkim-unknown-flags-and-tags", SG_OK, NULL,
		    DKIM_ALG_RSA_SHA256, 512, true }, true, false, true, false },
		{ "test3._domainkey.messiah.edu",
		  { "maildkim-g=-ignored", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 512, true },
		  false, false, true, true },
		{ "test5._domainkey.messiah.edu",
		  { "maildkim-t=s", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 512, true },
		  false, true, true, true },
		{ "testbad1._domainkey.messiah.edu",
		  { "maildkim-v=DKIM3", SG_E_SYNTAX, "v= is not DKIM1", 0, 0, false },
		  false, false, false, false },
		{ "testbad2._domainkey.messiah.edu",
		  { "maildkim-tag-without-value", SG_E_SYNTAX,
		    "tag without \"=\" in tag-list", 0, 0, false },
		  false, false, false, false },
		{ "testbad3._domainkey.messiah.edu",
		  { "maildkim-k=foobar", SG_E_UNSUPPORTED, "unknown key type (k=)",
		    0, 0, false }, false, false, false, false },
		{ "testbad4._domainkey.messiah.edu",
		  { "maildkim-s=chat", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 512, false },
		  false, false, true, true },
		{ "testbad7._domainkey.messiah.edu",
		  { "maildkim-h=bad", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 512, true },
		  false, false, false, false },
		{ "shan._domainkey.vmt2.cis.att.net",
		  { "maildkim-768-bit-s=*", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 768, true },
		  false, false, true, true },
		{ "2023-05-ed25519._domainkey.wander.science",
		  { "maildkim-ed25519", SG_OK, NULL, DKIM_ALG_ED25519_SHA256, 256, true },
		  false, false, true, true },
		{ "2023-05-ed25519-empty._domainkey.wander.science",
		  { "maildkim-empty-txt", SG_E_SYNTAX, "empty tag-list", 0, 0, false },
		  false, false, false, false },
		{ "invalid._domainkey.wander.science",
		  { "maildkim-ed25519-as-spki", SG_E_SYNTAX,
		    "p= is not an Ed25519 key (32 bytes)", 0, 0, false },
		  false, false, false, false },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_pubkey *k = NULL;
		const char *why = NULL;
		size_t len = 0;
		char *txt = fake_dns(cases[i].name, &len);

		T_EXPECT(txt != NULL, cases[i].w.label);
		if (txt == NULL)
			continue;
		check(txt, len, &cases[i].w);
		if (cases[i].w.st == SG_OK &&
		    dkim_pubkey_parse(txt, len, &k, &why) == SG_OK) {
			T_EXPECT(dkim_pubkey_testing(k) == cases[i].testing,
				 cases[i].w.label);
			T_EXPECT(dkim_pubkey_strict(k) == cases[i].strict,
				 cases[i].w.label);
			T_EXPECT(dkim_pubkey_allows_hash(k, "sha1") == cases[i].sha1,
				 cases[i].w.label);
			T_EXPECT(dkim_pubkey_allows_hash(k, "sha256") ==
				 cases[i].sha256, cases[i].w.label);
		}
		dkim_pubkey_free(&k);
		free(txt);
	}
}

static void test_maildkim_revoked(void)
{
	struct dkim_pubkey *k = NULL;
	const char *why = NULL;
	size_t len = 0;
	char *txt = fake_dns("testrevoked._domainkey.messiah.edu", &len);

	T_EXPECT(txt != NULL && dkim_pubkey_parse(txt, len, &k, &why) == SG_OK,
		 "maildkim-revoked");
	if (k != NULL) {
		T_EXPECT(dkim_pubkey_revoked(k), "maildkim-revoked");
		T_EXPECT(dkim_pubkey_testing(k), "maildkim-revoked-t=y");
		T_EXPECT(dkim_pubkey_pkey(k) == NULL, "maildkim-revoked-no-pkey");
		T_EXPECT(dkim_pubkey_bits(k) == 0, "maildkim-revoked-bits-0");
	}
	dkim_pubkey_free(&k);
	free(txt);
}

/* ---- made-up records ------------------------------------------------------- */

/* test.txt's key (RSA-1024, SubjectPublicKeyInfo). */
#define RSA1024 "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
/* RFC 8463 A.2 Ed25519 public key, raw. */
#define ED25519 "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
/* The same Ed25519 key as SubjectPublicKeyInfo (not what RFC 8463 says). */
#define ED25519_SPKI "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static void test_made_up(void)
{
	static const struct {
		const char *txt;
		struct want w;
	} cases[] = {
		{ "v=DKIM1; k=rsa; p=" RSA1024,
		  { "rsa-plain", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "p=" RSA1024,
		  { "p-alone", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "v=DKIM1; p=" RSA1024 ";",
		  { "trailing-semicolon", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "v=DKIM1; foo=bar; n=some notes; g=*; x_y=1; p=" RSA1024,
		  { "unknown-tags-ignored", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6N\r\n"
		  "\tpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3 FutACDfzwQ/BC/e"
		  "/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
		  { "p-with-fws-inside", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "v=DKIM1; k=ed25519; p=" ED25519,
		  { "ed25519", SG_OK, NULL, DKIM_ALG_ED25519_SHA256, 256, true } },
		{ "k=rsa; v=DKIM1; p=" RSA1024,
		  { "v-not-first", SG_E_SYNTAX, "v= is not the first tag of the key record",
		    0, 0, false } },
		{ "v=DKIM2; p=" RSA1024,
		  { "v-DKIM2", SG_E_SYNTAX, "v= is not DKIM1", 0, 0, false } },
		{ "v=dkim1; p=" RSA1024,
		  { "v-lower-case", SG_E_SYNTAX, "v= is not DKIM1", 0, 0, false } },
		{ "v=; p=" RSA1024,
		  { "v-empty", SG_E_SYNTAX, "v= is not DKIM1", 0, 0, false } },
		{ "v=DKIM1; k=rsa",
		  { "no-p", SG_E_SYNTAX, "missing p= tag", 0, 0, false } },
		{ "v=DKIM1; k=dsa; p=" RSA1024,
		  { "k-dsa", SG_E_UNSUPPORTED, "unknown key type (k=)", 0, 0, false } },
		{ "v=DKIM1; k=RSA; p=" RSA1024,
		  { "k-upper-case", SG_E_UNSUPPORTED, "unknown key type (k=)", 0, 0, false } },
		{ "v=DKIM1; p=MIGf*MA0G",
		  { "p-not-base64", SG_E_SYNTAX, "p= is not base64", 0, 0, false } },
		{ "v=DKIM1; p=MIGfMA0",
		  { "p-bad-length", SG_E_SYNTAX, "p= is not base64", 0, 0, false } },
		{ "v=DKIM1; p=aGVsbG8gd29ybGQ=",
		  { "p-not-a-key", SG_E_SYNTAX, "p= is not a public key", 0, 0, false } },
		{ "v=DKIM1; p=" RSA1024 "AAAA",
		  { "p-trailing-bytes", SG_E_SYNTAX, "p= is not a public key", 0, 0, false } },
		{ "v=DKIM1; k=rsa; p=" ED25519,
		  { "rsa-given-raw-ed25519", SG_E_SYNTAX, "p= is not a public key", 0, 0,
		    false } },
		{ "v=DKIM1; k=rsa; p=" ED25519_SPKI,
		  { "rsa-given-ed25519-spki", SG_E_SYNTAX, "p= is not an RSA key", 0, 0,
		    false } },
		{ "v=DKIM1; k=ed25519; p=" RSA1024,
		  { "ed25519-given-rsa", SG_E_SYNTAX, "p= is not an Ed25519 key (32 bytes)",
		    0, 0, false } },
		{ "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==",
		  { "ed25519-31-bytes", SG_E_SYNTAX, "p= is not an Ed25519 key (32 bytes)",
		    0, 0, false } },
		{ "v=DKIM1; h=; p=" RSA1024,
		  { "h-empty", SG_E_SYNTAX, "bad h= in key record", 0, 0, false } },
		{ "v=DKIM1; h=sha256:; p=" RSA1024,
		  { "h-empty-item", SG_E_SYNTAX, "bad h= in key record", 0, 0, false } },
		{ "v=DKIM1; s=; p=" RSA1024,
		  { "s-empty", SG_E_SYNTAX, "bad s= in key record", 0, 0, false } },
		{ "v=DKIM1; t=y::s; p=" RSA1024,
		  { "t-empty-item", SG_E_SYNTAX, "bad t= in key record", 0, 0, false } },
		{ "v=DKIM1; p=" RSA1024 "; p=" RSA1024,
		  { "duplicate-p", SG_E_SYNTAX, "duplicate tag in tag-list", 0, 0, false } },
		{ "v=DKIM1; p=" RSA1024 ";;",
		  { "double-semicolon", SG_E_SYNTAX, "empty tag-spec in tag-list", 0, 0,
		    false } },
		{ "",
		  { "empty-record", SG_E_SYNTAX, "empty tag-list", 0, 0, false } },
		{ "v=DKIM1; s=email; p=" RSA1024,
		  { "s-email", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "v=DKIM1; s=*; p=" RSA1024,
		  { "s-star", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "v=DKIM1; s=tlsrpt : email; p=" RSA1024,
		  { "s-list-with-email", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true } },
		{ "v=DKIM1; s=Email; p=" RSA1024,
		  { "s-Email-is-not-email", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, false } },
	};

	for (size_t i = 0; i < NELEM(cases); i++)
		check(cases[i].txt, strlen(cases[i].txt), &cases[i].w);
}

static void test_flags(void)
{
	static const struct {
		const char *label, *txt;
		bool testing, strict, sha1, sha256, other;
	} cases[] = {
		{ "no-flags", "p=" RSA1024, false, false, true, true, true },
		{ "t=y", "t=y; p=" RSA1024, true, false, true, true, true },
		{ "t=s", "t=s; p=" RSA1024, false, true, true, true, true },
		{ "t=y:s", "t=y:s; p=" RSA1024, true, true, true, true, true },
		{ "t=unknown-ignored", "t=x:y; p=" RSA1024, true, false, true, true, true },
		{ "t=Y-is-not-y", "t=Y; p=" RSA1024, false, false, true, true, true },
		{ "h=sha256", "h=sha256; p=" RSA1024, false, false, false, true, false },
		{ "h=sha1", "h=sha1; p=" RSA1024, false, false, true, false, false },
		{ "h=sha1:sha256-fws", "h=sha1 : sha256; p=" RSA1024,
		  false, false, true, true, false },
		{ "h=unknown-only", "h=md5; p=" RSA1024, false, false, false, false, false },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_pubkey *k = NULL;
		const char *why = NULL;

		T_EXPECT(dkim_pubkey_parse(cases[i].txt, strlen(cases[i].txt), &k,
					   &why) == SG_OK, cases[i].label);
		if (k == NULL)
			continue;
		T_EXPECT(dkim_pubkey_testing(k) == cases[i].testing, cases[i].label);
		T_EXPECT(dkim_pubkey_strict(k) == cases[i].strict, cases[i].label);
		T_EXPECT(dkim_pubkey_allows_hash(k, "sha1") == cases[i].sha1,
			 cases[i].label);
		T_EXPECT(dkim_pubkey_allows_hash(k, "sha256") == cases[i].sha256,
			 cases[i].label);
		T_EXPECT(dkim_pubkey_allows_hash(k, "sha512") == cases[i].other,
			 cases[i].label);
		dkim_pubkey_free(&k);
	}
}

static void test_revoked(void)
{
	static const char *const recs[] = {
		"v=DKIM1; k=rsa; p=", "v=DKIM1; p= ;", "k=ed25519; p=", "p=\r\n ",
	};

	for (size_t i = 0; i < NELEM(recs); i++) {
		struct dkim_pubkey *k = NULL;
		const char *why = NULL;

		T_EXPECT(dkim_pubkey_parse(recs[i], strlen(recs[i]), &k, &why) ==
			 SG_OK, recs[i]);
		T_EXPECT(k != NULL && dkim_pubkey_revoked(k) &&
			 dkim_pubkey_pkey(k) == NULL && dkim_pubkey_bits(k) == 0,
			 recs[i]);
		dkim_pubkey_free(&k);
	}
	dkim_pubkey_free(NULL);
}

static void test_record_size(void)
{
	size_t n = DKIM_MAX_KEY_RECORD + 1;
	char *big = malloc(n + 1);
	struct dkim_pubkey *k = NULL;
	const char *why = NULL;

	if (big == NULL)
		return;
	memcpy(big, "n=", 2);
	memset(big + 2, 'x', n - 2);
	big[n] = '\0';
	memcpy(big + n - 40, "; p=", 4);
	T_EXPECT(dkim_pubkey_parse(big, n, &k, &why) == SG_E_SYNTAX,
		 "record-over-16k");
	T_EXPECT_STR(why, "key record is too long", "record-over-16k");
	free(big);
}

/* "p=" + base64 SubjectPublicKeyInfo of an RSA public key with a random
 * modulus of bits bits and exponent e (made from numbers, so no primes
 * need generating). */
static char *rsa_record(int bits, const BIGNUM *e)
{
	BIGNUM *n = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL, *rec = NULL;
	int len;

	if (n == NULL || bld == NULL || ctx == NULL ||
	    BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (len = i2d_PUBKEY(pk, &der)) <= 0 ||
	    b64_encode(der, (size_t)len, &b64) != SG_OK)
		goto out;
	if ((rec = malloc(strlen(b64) + 3)) != NULL)
		sprintf(rec, "p=%s", b64);
out:
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	return rec;
}

static void test_rsa_limits(void)
{
	static const struct {
		const char *label;
		int bits, ebits;
		struct want w;
	} cases[] = {
		{ "rsa-8192-accepted", 8192, 17,
		  { "rsa-8192-accepted", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 8192, true } },
		{ "rsa-8200-refused", 8200, 17,
		  { "rsa-8200-refused", SG_E_UNSUPPORTED,
		    "RSA key is longer than 8192 bits", 0, 0, false } },
		{ "rsa-512-parses", 512, 17,
		  { "rsa-512-parses", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 512, true } },
		{ "rsa-e-64-bits-accepted", 2048, 64,
		  { "rsa-e-64-bits-accepted", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 2048,
		    true } },
		{ "rsa-e-65-bits-refused", 2048, 65,
		  { "rsa-e-65-bits-refused", SG_E_UNSUPPORTED,
		    "RSA public exponent is too large", 0, 0, false } },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		BIGNUM *e = BN_new();
		char *rec = NULL;

		/* an odd exponent with exactly ebits bits */
		if (e != NULL && BN_set_bit(e, cases[i].ebits - 1) == 1 &&
		    BN_set_bit(e, 0) == 1)
			rec = rsa_record(cases[i].bits, e);
		T_EXPECT(rec != NULL, cases[i].label);
		if (rec != NULL)
			check(rec, strlen(rec), &cases[i].w);
		free(rec);
		BN_free(e);
	}
}

/* Our own private keys -> dkim_key_txt -> parse: the same public key. */
static void test_round_trip(void)
{
	static const struct {
		const char *sub, *file;
		enum dkim_alg type;
		int bits;
	} keys[] = {
		{ "dkim-dkimpy", "test.private", DKIM_ALG_RSA_SHA256, 1024 },
		{ "dkim-dkimpy", "2048_testkey.key", DKIM_ALG_RSA_SHA256, 2048 },
		{ "dkim-dkimpy", "ed25519test.key", DKIM_ALG_ED25519_SHA256, 256 },
		{ "dkim-rfc", "rfc8463-A1-ed25519-private.pem", DKIM_ALG_ED25519_SHA256,
		  256 },
	};

	for (size_t i = 0; i < NELEM(keys); i++) {
		struct dkim_privkey *priv = NULL;
		struct dkim_pubkey *pub = NULL;
		const char *warn, *why;
		size_t len = 0;
		char *data = read_conf(keys[i].sub, keys[i].file, &len), *txt = NULL;

		if (data != NULL &&
		    dkim_key_parse(data, len, &priv, &warn, &why) == SG_OK &&
		    (txt = dkim_key_txt(priv)) != NULL &&
		    dkim_pubkey_parse(txt, strlen(txt), &pub, &why) == SG_OK) {
			T_EXPECT(dkim_pubkey_type(pub) == keys[i].type, keys[i].file);
			T_EXPECT(dkim_pubkey_bits(pub) == keys[i].bits, keys[i].file);
			T_EXPECT(EVP_PKEY_eq(dkim_pubkey_pkey(pub),
					     dkim_key_pkey(priv)) == 1, keys[i].file);
		} else {
			T_EXPECT(!"key loads and its record parses", keys[i].file);
		}
		dkim_pubkey_free(&pub);
		dkim_key_free(&priv);
		free(txt);
		free(data);
	}
}

/* zone.yml of dkim-rfc: both RFC 8463 A.2 records parse. */
static void test_rfc8463_records(void)
{
	static const struct want w[] = {
		{ "rfc8463-A2-ed25519", SG_OK, NULL, DKIM_ALG_ED25519_SHA256, 256, true },
		{ "rfc8463-A2-rsa", SG_OK, NULL, DKIM_ALG_RSA_SHA256, 1024, true },
	};
	size_t len = 0, k = 0;
	char *zone = read_conf("dkim-rfc", "zone.yml", &len), *save = NULL;

	if (zone == NULL) {
		T_EXPECT(!"zone.yml readable", "rfc8463-records");
		return;
	}
	for (char *line = strtok_r(zone, "\n", &save); line != NULL && k < 2;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = strstr(line, "TXT: \""), *end;

		if (v == NULL)
			continue;
		v += 6;
		if ((end = strrchr(v, '"')) == NULL)
			continue;
		check(v, (size_t)(end - v), &w[k]);
		k++;
	}
	T_EXPECT(k == 2, "rfc8463-records-found");
	free(zone);
}

int main(void)
{
	test_dkimpy_records();
	test_dkimpy_sweep();
	test_rsa_forms_agree();
	test_maildkim_records();
	test_maildkim_revoked();
	test_made_up();
	test_flags();
	test_revoked();
	test_record_size();
	test_rsa_limits();
	test_round_trip();
	test_rfc8463_records();
	return T_DONE("pubkey_test");
}
