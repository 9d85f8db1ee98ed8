/*
 * tests/unit/b64_test.c -- base64 (RFC 4648 section 10 vectors), FWS
 * skipping as DKIM needs it, and rejection of junk and bad padding.
 */
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "tests/lib/test.h"

/* RFC 4648 section 10. */
static const struct { const char *plain, *enc; } rfc4648[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_rfc4648(void)
{
	for (size_t i = 0; i < NELEM(rfc4648); i++) {
		char *enc = NULL;
		unsigned char *dec = NULL;
		size_t n = 99;

		T_EXPECT(b64_encode((const unsigned char *)rfc4648[i].plain,
				    strlen(rfc4648[i].plain), &enc) == SG_OK,
			 rfc4648[i].enc);
		T_EXPECT_STR(enc, rfc4648[i].enc, "rfc4648-encode");
		T_EXPECT(b64_decode(rfc4648[i].enc, strlen(rfc4648[i].enc),
				    &dec, &n) == SG_OK, rfc4648[i].enc);
		T_EXPECT_MEM(dec, n, rfc4648[i].plain, strlen(rfc4648[i].plain),
			     "rfc4648-decode");
		free(enc);
		free(dec);
	}
}

/* Every byte value and every length 0..300 survives a round trip. */
static void test_roundtrip(void)
{
	unsigned char in[300];
	size_t bad = 0;

	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof in; n++) {
		char *enc = NULL;
		unsigned char *dec = NULL;
		size_t m = 0;

		if (b64_encode(in, n, &enc) != SG_OK ||
		    strlen(enc) != (n + 2) / 3 * 4 ||
		    b64_decode(enc, strlen(enc), &dec, &m) != SG_OK ||
		    m != n || memcmp(dec, in, n) != 0)
			bad++;
		free(enc);
		free(dec);
	}
	T_EXPECT(bad == 0, "roundtrip-all-lengths");
}

static void test_decode(void)
{
	static const struct {
		const char *label, *in;
		enum sg_status st;
		const char *want;
	} cases[] = {
		{ "fws-skipped", " Zm9v\r\n\tYm\r\n Fy ", SG_OK, "foobar" },
		{ "fws-in-padding", "Zm8\r\n =", SG_OK, "fo" },
		{ "fws-only", " \t\r\n", SG_OK, "" },
		{ "trailing-fws-after-pad", "Zg==\r\n", SG_OK, "f" },
		{ "url-alphabet-rejected", "Zm-_", SG_E_SYNTAX, NULL },
		{ "junk-rejected", "Zm9v!", SG_E_SYNTAX, NULL },
		{ "nul-rejected", "Zm\0v", SG_E_SYNTAX, NULL },
		{ "missing-padding", "Zm8", SG_E_SYNTAX, NULL },
		{ "lone-char", "Z", SG_E_SYNTAX, NULL },
		{ "too-much-padding", "Zg===", SG_E_SYNTAX, NULL },
		{ "pad-first", "=Zg=", SG_E_SYNTAX, NULL },
		{ "pad-in-middle", "Zg=a", SG_E_SYNTAX, NULL },
		{ "data-after-padding", "Zg==Zm9v", SG_E_SYNTAX, NULL },
		{ "only-padding", "====", SG_E_SYNTAX, NULL },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		unsigned char *dec = NULL;
		size_t n = 0;
		size_t len = strcmp(cases[i].label, "nul-rejected") == 0 ? 4 :
			     strlen(cases[i].in);
		enum sg_status st = b64_decode(cases[i].in, len, &dec, &n);

		T_EXPECT(st == cases[i].st, cases[i].label);
		if (st == SG_OK && cases[i].want != NULL)
			T_EXPECT_MEM(dec, n, cases[i].want,
				     strlen(cases[i].want), cases[i].label);
		free(dec);
	}
}

int main(void)
{
	test_rfc4648();
	test_roundtrip();
	test_decode();
	return T_DONE("b64_test");
}
