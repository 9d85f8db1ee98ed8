/*
 * tests/unit/taglist_test.c -- the RFC 6376 3.2 tag-list grammar: what
 * parses (FWS, folding, empty values, a trailing ";"), what does not
 * (duplicates, bad names, bare line breaks, 8-bit bytes, empty lists),
 * the trimmed value and the raw span, lookups, and list splitting.
 */
#include <stdlib.h>
#include <string.h>

#include "common/taglist.h"
#include "tests/lib/test.h"

/* "name=value|name=value|" of a parsed list, values between brackets. */
static void dump(const struct taglist *tl, char *out, size_t sz)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < tl->n && o < sz; i++) {
		int n = snprintf(out + o, sz - o, "%.*s=[%.*s]|",
				 (int)tl->tag[i].name_len, tl->tag[i].name,
				 (int)tl->tag[i].value_len, tl->tag[i].value);

		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static void test_good(void)
{
	static const struct {
		const char *label, *in, *want;
		unsigned flags;
	} cases[] = {
		{ "one-tag", "a=1", "a=[1]|", 0 },
		{ "two-tags", "a=1;b=2", "a=[1]|b=[2]|", 0 },
		{ "trailing-semicolon", "a=1;", "a=[1]|", 0 },
		{ "trailing-semicolon-fws", "a=1; \r\n ", "a=[1]|", 0 },
		{ "fws-everywhere", " a = 1 ; b\t=\t2 ", "a=[1]|b=[2]|", 0 },
		{ "folded-between-tags", "a=1;\r\n\tb=2", "a=[1]|b=[2]|", 0 },
		{ "folded-before-equals", "a\r\n =1", "a=[1]|", 0 },
		{ "folded-inside-value", "p=abc\r\n def", "p=[abc\r\n def]|", 0 },
		{ "inner-wsp-kept", "n=a  b\tc", "n=[a  b\tc]|", 0 },
		{ "several-folds-in-a-row", "p=a \r\n \r\n\tb", "p=[a \r\n \r\n\tb]|", 0 },
		{ "empty-value", "a=;b=2", "a=[]|b=[2]|", 0 },
		{ "empty-value-last", "a=1;b=", "a=[1]|b=[]|", 0 },
		{ "empty-value-fws", "a= \r\n ;b=2", "a=[]|b=[2]|", 0 },
		{ "name-alnumpunc", "x_Y9=v", "x_Y9=[v]|", 0 },
		{ "value-has-equals", "v=DKIM1: g=*", "v=[DKIM1: g=*]|", 0 },
		{ "value-all-valchars", "a=!\"#$%&'()*+,-./0123456789:<=>?@[\\]^_`{|}~",
		  "a=[!\"#$%&'()*+,-./0123456789:<=>?@[\\]^_`{|}~]|", 0 },
		{ "case-sensitive-names-differ", "a=1;A=2", "a=[1]|A=[2]|", 0 },
		{ "utf8-allowed", "i=j\xc3\xb6rg@example.com",
		  "i=[j\xc3\xb6rg@example.com]|", TAGLIST_UTF8 },
		{ "utf8-4-byte", "n=\xf0\x9f\x98\x80", "n=[\xf0\x9f\x98\x80]|",
		  TAGLIST_UTF8 },
	};
	char got[512];

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct taglist tl;
		const char *why = NULL;
		enum sg_status st = taglist_parse(&tl, cases[i].in,
						  strlen(cases[i].in),
						  cases[i].flags, &why);

		T_EXPECT(st == SG_OK, cases[i].label);
		if (st != SG_OK) {
			fprintf(stderr, "    why: %s\n", why);
			continue;
		}
		dump(&tl, got, sizeof got);
		T_EXPECT_STR(got, cases[i].want, cases[i].label);
	}
}

static void test_bad(void)
{
	static const struct {
		const char *label, *in;
		size_t len;			/* 0: strlen */
		unsigned flags;
		enum sg_status st;
		const char *why;
	} cases[] = {
		{ "empty-input", "", 0, 0, SG_E_SYNTAX, "empty tag-list" },
		{ "only-fws", " \r\n\t", 0, 0, SG_E_SYNTAX, "empty tag-list" },
		{ "only-semicolon", ";", 0, 0, SG_E_SYNTAX,
		  "empty tag-spec in tag-list" },
		{ "leading-semicolon", ";a=1", 0, 0, SG_E_SYNTAX,
		  "empty tag-spec in tag-list" },
		{ "double-semicolon", "a=1;;b=2", 0, 0, SG_E_SYNTAX,
		  "empty tag-spec in tag-list" },
		{ "two-trailing-semicolons", "a=1;;", 0, 0, SG_E_SYNTAX,
		  "empty tag-spec in tag-list" },
		{ "fws-only-spec", "a=1; ;b=2", 0, 0, SG_E_SYNTAX,
		  "empty tag-spec in tag-list" },
		{ "duplicate", "a=1;b=2;a=3", 0, 0, SG_E_SYNTAX,
		  "duplicate tag in tag-list" },
		{ "duplicate-same-value", "bh=x; bh=x", 0, 0, SG_E_SYNTAX,
		  "duplicate tag in tag-list" },
		{ "duplicate-nocase", "p=1;P=2", 0, TAGLIST_NOCASE, SG_E_SYNTAX,
		  "duplicate tag in tag-list" },
		{ "name-starts-with-digit", "1a=1", 0, 0, SG_E_SYNTAX,
		  "bad tag name in tag-list" },
		{ "name-starts-with-underscore", "_a=1", 0, 0, SG_E_SYNTAX,
		  "bad tag name in tag-list" },
		{ "name-with-hyphen", "a-b=1", 0, 0, SG_E_SYNTAX,
		  "bad tag name in tag-list" },
		{ "name-with-space", "a b=1", 0, 0, SG_E_SYNTAX,
		  "bad tag name in tag-list" },
		{ "no-equals", "a", 0, 0, SG_E_SYNTAX,
		  "tag without \"=\" in tag-list" },
		{ "no-equals-then-tag", "t; p=1", 0, 0, SG_E_SYNTAX,
		  "tag without \"=\" in tag-list" },
		{ "empty-name", "=1", 0, 0, SG_E_SYNTAX,
		  "bad tag name in tag-list" },
		{ "bare-lf", "a=1;\nb=2", 0, 0, SG_E_SYNTAX,
		  "bad line break in tag-list" },
		{ "bare-cr", "a=1\r b=2", 0, 0, SG_E_SYNTAX,
		  "bad line break in tag-list" },
		{ "crlf-without-wsp", "a=1;\r\nb=2", 0, 0, SG_E_SYNTAX,
		  "bad line break in tag-list" },
		{ "crlf-at-end", "a=1\r\n", 0, 0, SG_E_SYNTAX,
		  "bad line break in tag-list" },
		{ "crlf-inside-value-no-wsp", "p=ab\r\ncd", 0, 0, SG_E_SYNTAX,
		  "bad line break in tag-list" },
		{ "control-char-in-value", "a=1\x01", 0, 0, SG_E_SYNTAX,
		  "bad character in tag value" },
		{ "del-in-value", "a=1\x7f", 0, 0, SG_E_SYNTAX,
		  "bad character in tag value" },
		{ "nul-in-value", "a=1\0b", 5, 0, SG_E_SYNTAX,
		  "bad character in tag value" },
		{ "8bit-in-value", "a=j\xc3\xb6rg", 0, 0, SG_E_SYNTAX,
		  "bad character in tag value" },
		{ "8bit-in-name", "\xc3\xb6=1", 0, TAGLIST_UTF8, SG_E_SYNTAX,
		  "bad tag name in tag-list" },
		{ "utf8-overlong", "a=\xc0\xaf", 0, TAGLIST_UTF8, SG_E_SYNTAX,
		  "bad character in tag value" },
		{ "utf8-surrogate", "a=\xed\xa0\x80", 0, TAGLIST_UTF8, SG_E_SYNTAX,
		  "bad character in tag value" },
		{ "utf8-truncated", "a=\xe2\x82", 0, TAGLIST_UTF8, SG_E_SYNTAX,
		  "bad character in tag value" },
		{ "utf8-past-10ffff", "a=\xf4\x90\x80\x80", 0, TAGLIST_UTF8,
		  SG_E_SYNTAX, "bad character in tag value" },
		{ "lone-continuation", "a=\x80", 0, TAGLIST_UTF8, SG_E_SYNTAX,
		  "bad character in tag value" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct taglist tl;
		const char *why = NULL;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		enum sg_status st = taglist_parse(&tl, cases[i].in, len,
						  cases[i].flags, &why);

		T_EXPECT(st == cases[i].st, cases[i].label);
		T_EXPECT_STR(why, cases[i].why, cases[i].label);
		T_EXPECT(tl.n == 0, cases[i].label);
	}
}

static void test_too_many(void)
{
	char in[TAGLIST_MAX_TAGS * 8 + 16];
	struct taglist tl;
	const char *why = NULL;
	size_t o = 0;

	for (unsigned i = 0; i < TAGLIST_MAX_TAGS; i++)
		o += (size_t)snprintf(in + o, sizeof in - o, "t%u=1;", i);
	T_EXPECT(taglist_parse(&tl, in, o, 0, &why) == SG_OK, "max-tags-ok");
	T_EXPECT(tl.n == TAGLIST_MAX_TAGS, "max-tags-ok");
	o += (size_t)snprintf(in + o, sizeof in - o, "z=1");
	T_EXPECT(taglist_parse(&tl, in, o, 0, &why) == SG_E_TOOBIG,
		 "one-tag-too-many");
	T_EXPECT_STR(why, "too many tags in tag-list", "one-tag-too-many");
}

/* The raw span is what lies between "=" and ";", FWS included. */
static void test_raw(void)
{
	static const char in[] = "a=1; b= xy\r\n z ;c=";
	struct taglist tl;
	const struct taglist_tag *t;
	const char *why = NULL;

	T_EXPECT(taglist_parse(&tl, in, strlen(in), 0, &why) == SG_OK, "raw");
	t = taglist_get(&tl, "b");
	T_EXPECT(t != NULL, "raw-get-b");
	if (t == NULL)
		return;
	T_EXPECT_MEM(t->value, t->value_len, "xy\r\n z", 6, "raw-b-value");
	T_EXPECT_MEM(t->raw, t->raw_len, " xy\r\n z ", 8, "raw-b-span");
	T_EXPECT(t->raw == in + 7, "raw-b-points-into-input");
	t = taglist_get(&tl, "c");
	T_EXPECT(t != NULL && t->raw_len == 0 && t->raw == in + strlen(in),
		 "raw-empty-last");
}

static void test_get(void)
{
	static const char in[] = "v=DKIM1; k=rsa; P=x; p=MIIB";
	struct taglist tl;
	const struct taglist_tag *t;
	const char *why = NULL;

	T_EXPECT(taglist_parse(&tl, in, strlen(in), 0, &why) == SG_OK, "get");
	T_EXPECT(tl.n == 4, "get-count");
	t = taglist_get(&tl, "p");
	T_EXPECT(t != NULL && taglist_value_is(t, "MIIB"), "get-p-exact-case");
	t = taglist_get(&tl, "P");
	T_EXPECT(t != NULL && taglist_value_is(t, "x"), "get-P-exact-case");
	T_EXPECT(taglist_get(&tl, "h") == NULL, "get-absent");
	T_EXPECT(taglist_get(&tl, "") == NULL, "get-empty-name");
	t = taglist_get(&tl, "k");
	T_EXPECT(t != NULL && !taglist_value_is(t, "rs"), "value-is-prefix");
	T_EXPECT(t != NULL && !taglist_value_is(t, "rsa1"), "value-is-longer");

	T_EXPECT(taglist_parse(&tl, "V=DMARC1; P=none", 16, TAGLIST_NOCASE,
			       &why) == SG_OK, "get-nocase");
	t = taglist_get(&tl, "p");
	T_EXPECT(t != NULL && taglist_value_is(t, "none"), "get-nocase-p");
}

static void test_split(void)
{
	static const struct {
		const char *label, *in;
		char sep;
		const char *want;
	} cases[] = {
		{ "split-plain", "from:to:subject", ':', "[from][to][subject]" },
		{ "split-fws", "from : to :\r\n subject", ':', "[from][to][subject]" },
		{ "split-one", "sha256", ':', "[sha256]" },
		{ "split-empty-value", "", ':', "" },
		{ "split-empty-item", "a::b", ':', "[a][][b]" },
		{ "split-trailing-sep", "a:", ':', "[a][]" },
		{ "split-leading-sep", ":a", ':', "[][a]" },
		{ "split-comma", "mailto:a@x, mailto:b@y", ',',
		  "[mailto:a@x][mailto:b@y]" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		char got[128] = "";
		const char *item;
		size_t pos = 0, n, len = strlen(cases[i].in);

		while (taglist_split(cases[i].in, len, cases[i].sep, &pos,
				     &item, &n))
			snprintf(got + strlen(got), sizeof got - strlen(got),
				 "[%.*s]", (int)n, item);
		T_EXPECT_STR(got, cases[i].want, cases[i].label);
	}
}

/* A real signature value as signers fold it (RFC 8463 A.3). */
static void test_signature_value(void)
{
	static const char in[] =
		" v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
		" d=football.example.com; i=@football.example.com;\r\n"
		" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
		" subject : date : message-id : from : subject : date;\r\n"
		" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
		" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
		" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
	struct taglist tl;
	const struct taglist_tag *t;
	const char *why = NULL;

	T_EXPECT(taglist_parse(&tl, in, strlen(in), TAGLIST_UTF8, &why) == SG_OK,
		 "rfc8463-signature");
	T_EXPECT(tl.n == 11, "rfc8463-signature-count");
	t = taglist_get(&tl, "h");
	T_EXPECT(t != NULL && t->value_len > 0 &&
		 t->value[t->value_len - 1] == 'e', "rfc8463-h-trimmed");
	t = taglist_get(&tl, "b");
	T_EXPECT(t != NULL && t->value + t->value_len == in + strlen(in),
		 "rfc8463-b-to-end");
}

int main(void)
{
	test_good();
	test_bad();
	test_too_many();
	test_raw();
	test_get();
	test_split();
	test_signature_value();
	return T_DONE("taglist_test");
}
