/*
 * tests/unit/authres_test.c -- Authentication-Results: which authserv-id
 * a field claims (the removal decision) and the value writer.
 */
#include <stdlib.h>
#include <string.h>

#include "common/authres.h"
#include "tests/lib/test.h"

static void test_claims(void)
{
	static const struct {
		const char *label, *value;
		int ours;
	} cases[] = {
		{ "plain",		" mx.example.com; dkim=pass header.d=a.example", 1 },
		{ "no-space",		"mx.example.com;dkim=pass", 1 },
		{ "upper",		" MX.EXAMPLE.COM; dkim=pass", 1 },
		{ "mixed",		" Mx.Example.Com ; spf=pass", 1 },
		{ "trailing-dot",	" mx.example.com.; dkim=pass", 1 },
		{ "comment-before",	" (forged) mx.example.com; dkim=pass", 1 },
		{ "nested-comment",	" (a (b) \\) c) mx.example.com; dkim=pass", 1 },
		{ "comment-after",	" mx.example.com(comment); dkim=pass", 1 },
		{ "folded",		"\r\n\tmx.example.com;\r\n\tdkim=pass", 1 },
		{ "lf-folded",		"\n mx.example.com;\n dkim=pass", 1 },
		{ "tabs",		"\t\tmx.example.com\t;\tdkim=pass", 1 },
		{ "version",		" mx.example.com 1; dkim=pass", 1 },
		{ "none",		" mx.example.com; none", 1 },
		{ "only-id",		" mx.example.com", 1 },
		{ "quoted",		" \"mx.example.com\"; dkim=pass", 1 },
		{ "quoted-upper",	" \"MX.example.COM\"; dkim=pass", 1 },
		{ "quoted-pair",	" \"mx.exa\\mple.com\"; dkim=pass", 1 },
		{ "other",		" mx.example.net; dkim=pass", 0 },
		{ "prefix",		" mx.example.com.evil; dkim=pass", 0 },
		{ "suffix-of-ours",	" example.com; dkim=pass", 0 },
		{ "longer",		" xmx.example.com; dkim=pass", 0 },
		{ "sub",		" a.mx.example.com; dkim=pass", 0 },
		{ "empty",		"", 0 },
		{ "spaces",		"   ", 0 },
		{ "only-comment",	" (mx.example.com)", 0 },
		{ "unterminated",	" (mx.example.com; dkim=pass", 0 },
		{ "open-quote",		" \"mx.example.com; dkim=pass", 0 },
		{ "semicolon",		" ; mx.example.com", 0 },
		{ "8bit",		" mx.example.com\xc3\xa9; dkim=pass", 0 },
		{ "two-dots",		" mx.example.com..; dkim=pass", 0 },
	};

	for (size_t i = 0; i < NELEM(cases); i++)
		T_EXPECT(authres_claims(cases[i].value, strlen(cases[i].value),
					"mx.example.com") == (cases[i].ours != 0),
			 cases[i].label);
	/* An authserv-id configured with a trailing dot or other case. */
	T_EXPECT(authres_claims(" mx.example.com; x", 18, "MX.example.com."), "conf-dot");
	T_EXPECT(!authres_claims(" mx.example.com; x", 18, NULL), "conf-null");
	T_EXPECT(!authres_claims(" mx.example.com; x", 18, ""), "conf-empty");
	/* Length is honoured: no read past len. */
	T_EXPECT(authres_claims(" mx.example.comXYZ", 15, "mx.example.com"), "len-cut");
}

static void test_id(void)
{
	char id[AUTHRES_MAX_ID + 1], big[600];

	T_EXPECT(authres_id(" (c) host.example 1; none", 25, id) == SG_OK, "id-ok");
	T_EXPECT_STR(id, "host.example", "id-value");
	T_EXPECT(authres_id(" \"a b\"; none", 12, id) == SG_OK, "id-quoted");
	T_EXPECT_STR(id, "a b", "id-quoted-value");
	memset(big, 'a', sizeof big);
	big[0] = ' ';
	T_EXPECT(authres_id(big, sizeof big, id) == SG_E_TOOBIG, "id-too-long");
	/* A NUL inside a quoted id is not an id (found by fuzz_authres). */
	T_EXPECT(authres_id(" \"\0\0oted id\"; none", 18, id) == SG_E_SYNTAX, "id-nul");
	/* Deep nesting is refused, not recursed into. */
	{
		char deep[300];

		memset(deep, '(', sizeof deep);
		T_EXPECT(authres_id(deep, sizeof deep, id) == SG_E_SYNTAX, "id-deep");
	}
}

static void test_write(void)
{
	struct buf b;

	buf_init(&b, 4096);
	T_EXPECT(authres_begin(&b, "mx.example.com") == SG_OK, "begin");
	T_EXPECT(authres_result(&b, "dkim", "pass", NULL, false) == SG_OK, "r1");
	T_EXPECT(authres_prop(&b, "header", "d", "example.com") == SG_OK, "p1");
	T_EXPECT(authres_prop(&b, "header", "i", "@example.com") == SG_OK, "p2");
	T_EXPECT(authres_prop(&b, "header", "b", "ab/c+d=") == SG_OK, "p3");
	T_EXPECT(authres_prop(&b, "header", "s", NULL) == SG_OK, "p-null");
	T_EXPECT(authres_result(&b, "dkim", "fail", "body (hash) \\ bad", false) == SG_OK, "r2");
	T_EXPECT(authres_prop(&b, "smtp", "mailfrom", "user@example.com") == SG_OK, "p4");
	T_EXPECT_STR(b.data, "mx.example.com; dkim=pass header.d=example.com "
		     "header.i=@example.com header.b=\"ab/c+d=\"; "
		     "dkim=fail (body \\(hash\\) \\\\ bad) smtp.mailfrom=user@example.com",
		     "write");
	buf_reset(&b);
	T_EXPECT(authres_begin(&b, "odd id") == SG_OK, "begin-quoted");
	T_EXPECT(authres_result(&b, "dkim", "none", NULL, true) == SG_OK, "fold");
	T_EXPECT(authres_prop(&b, "header", "d", "a\"b") == SG_OK, "quote-escape");
	T_EXPECT_STR(b.data, "\"odd id\";\r\n\tdkim=none header.d=\"a\\\"b\"", "write-fold");
	buf_reset(&b);
	T_EXPECT(authres_begin(&b, "h") == SG_OK && authres_none(&b) == SG_OK, "none");
	T_EXPECT_STR(b.data, "h; none", "none-value");
	/* What we write, we read back as ours. */
	buf_reset(&b);
	authres_begin(&b, "odd id");
	authres_result(&b, "dkim", "pass", NULL, true);
	T_EXPECT(authres_claims(b.data, b.len, "ODD ID"), "roundtrip");
	buf_free(&b);
}

int main(void)
{
	test_claims();
	test_id();
	test_write();
	return T_DONE("authres_test");
}
