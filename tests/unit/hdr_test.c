/*
 * tests/unit/hdr_test.c -- From address extraction and header names.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hdr.h"
#include "common/limits.h"
#include "tests/lib/test.h"

struct from_case {
	const char *label;
	const char *in;
	size_t len;		/* 0: strlen(in) (for values holding NUL) */
	enum sg_status st;
	const char *local;	/* when st == SG_OK */
	const char *domain;	/* when st == SG_OK */
	const char *why;	/* when st != SG_OK: the exact static why */
};

#define OK(label, in, l, d)	{ label, in, 0, SG_OK, l, d, NULL }
#define BAD(label, in, w)	{ label, in, 0, SG_E_SYNTAX, NULL, NULL, w }

static const struct from_case from_cases[] = {
	/* plain forms */
	OK("bare-addr-spec", "user@example.com", "user", "example.com"),
	OK("angle-only", "<user@example.com>", "user", "example.com"),
	OK("name-addr", "John Doe <john@example.com>", "john", "example.com"),
	OK("quoted-display-name", "\"Doe, John\" <john@example.com>",
	   "john", "example.com"),
	OK("dot-atom-local", "first.last@example.com", "first.last",
	   "example.com"),
	OK("atext-specials-local", "a!#$%&'*+-/=?^_`{|}~b@example.com",
	   "a!#$%&'*+-/=?^_`{|}~b", "example.com"),
	OK("domain-lower-cased", "User@EXAMPLE.Com", "User", "example.com"),
	OK("trailing-dot-dropped", "user@example.com.", "user", "example.com"),
	OK("single-label-domain", "root@localhost", "root", "localhost"),
	OK("underscore-tolerated", "u@mail_1.example.com", "u",
	   "mail_1.example.com"),
	OK("hyphen-digits", "u@a-1.b2.example", "u", "a-1.b2.example"),

	/* white space, folding, comments */
	OK("space-around", "   user@example.com   ", "user", "example.com"),
	OK("tabs", "\tJohn\t<\tjohn@example.com\t>\t", "john", "example.com"),
	OK("crlf-fold-in-name", "John\r\n Doe <john@example.com>", "john",
	   "example.com"),
	OK("lf-fold-in-name", "John\n\tDoe <john@example.com>", "john",
	   "example.com"),
	OK("fold-before-angle", "John Doe\r\n <john@example.com>", "john",
	   "example.com"),
	OK("trailing-crlf", "user@example.com\r\n", "user", "example.com"),
	OK("obs-local-spaces", "john . doe@example.com", "john.doe",
	   "example.com"),
	OK("obs-domain-spaces", "user@ example . com", "user", "example.com"),
	OK("space-around-at", "user @ example.com", "user", "example.com"),
	OK("obs-domain-folded", "user@example\r\n .com", "user", "example.com"),
	OK("comment-after", "user@example.com (bank.example)", "user",
	   "example.com"),
	OK("comment-in-domain", "user@(comment)example.com", "user",
	   "example.com"),
	BAD("comment-in-local", "us(x)er@example.com",
	    "malformed local-part in From"),
	OK("comment-display-name", "(bank.example) <me@attacker.example>",
	   "me", "attacker.example"),
	OK("nested-comments", "user@example.com (a (b (c) d) e)", "user",
	   "example.com"),
	OK("comment-quoted-pair", "user@example.com (a \\) b \\( c)", "user",
	   "example.com"),
	OK("comment-with-at", "(evil@bank.example) me@attacker.example", "me",
	   "attacker.example"),
	OK("comment-folded", "user@example.com (a\r\n b)", "user",
	   "example.com"),
	OK("comment-depth-64",
	   "u@x.example ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
	   "u", "x.example"),

	/* quoted local-parts */
	OK("quoted-local", "\"john doe\"@example.com", "john doe",
	   "example.com"),
	OK("quoted-local-at-angle", "\"a@b <c>\"@example.com", "a@b <c>",
	   "example.com"),
	OK("quoted-local-in-angle", "X <\"evil@bank.example\"@attacker.example>",
	   "evil@bank.example", "attacker.example"),
	OK("quoted-pair-local", "\"a\\\"b\\\\c\"@example.com", "a\"b\\c",
	   "example.com"),
	OK("quoted-word-dot-atom", "\"john\".doe@example.com", "john.doe",
	   "example.com"),
	OK("empty-quoted-local", "\"\"@example.com", "", "example.com"),
	OK("quoted-local-folded", "\"a\r\n b\"@example.com", "a b",
	   "example.com"),
	/* A quoted string then "@domain" is an addr-spec: the quoted text
	 * is the local-part, the domain is what follows the bare '@'. */
	OK("quoted-at-then-at", "\"a@b\" @attacker.example", "a@b",
	   "attacker.example"),

	/* spoofing: the display name never gives the address */
	OK("quoted-name-looks-like-addr",
	   "\"evil@bank.example\" <me@attacker.example>", "me",
	   "attacker.example"),
	OK("atom-name-looks-like-domain", "bank.example <me@attacker.example>",
	   "me", "attacker.example"),
	OK("quoted-name-with-angles",
	   "\"<evil@bank.example>\" <me@attacker.example>", "me",
	   "attacker.example"),
	OK("encoded-word-name",
	   "=?utf-8?q?evil=40bank.example?= <me@attacker.example>", "me",
	   "attacker.example"),
	OK("encoded-word-b-name",
	   "=?utf-8?b?ZXZpbEBiYW5rLmV4YW1wbGU=?= <me@attacker.example>", "me",
	   "attacker.example"),
	OK("encoded-word-local-not-decoded", "=?utf-8?q?x?=@example.com",
	   "=?utf-8?q?x?=", "example.com"),
	BAD("encoded-word-with-at-name",
	    "=?utf-8?q?evil@bank.example?= <me@attacker.example>",
	    "invalid character in From domain"),
	BAD("unquoted-at-in-name", "evil@bank.example <me@attacker.example>",
	    "trailing text after address in From"),
	BAD("addr-then-angle", "me@attacker.example <evil@bank.example>",
	    "trailing text after address in From"),
	BAD("angle-then-addr", "<a@b.com> c@d.com",
	    "trailing text after address in From"),
	BAD("angle-then-at-domain", "<me@attacker.example>@bank.example",
	    "trailing text after address in From"),
	BAD("two-addr-specs", "a@b.com c@d.com",
	    "trailing text after address in From"),
	BAD("two-angles", "<a@b.com> <c@d.com>",
	    "trailing text after address in From"),
	BAD("quoted-addr-only", "\"me@attacker.example\"",
	    "missing '@' in From address"),
	BAD("lf-not-folding-in-domain", "user@bank.example\r\n.attacker.example",
	    "line break not followed by white space in From"),
	{ "nul-in-domain", "user@bank.example\0.attacker.example", 35,
	  SG_E_SYNTAX, NULL, NULL, "NUL byte in From" },
	{ "nul-at-end", "user@example.com\0", 17,
	  SG_E_SYNTAX, NULL, NULL, "NUL byte in From" },

	/* more than one address, groups */
	BAD("two-mailboxes", "a@x.com, b@y.com", "more than one address in From"),
	BAD("two-name-addrs", "A <a@x.com>, B <b@y.com>",
	    "more than one address in From"),
	BAD("comma-in-unquoted-name", "Doe, John <john@example.com>",
	    "more than one address in From"),
	OK("null-members", " , a@x.com , ,", "a", "x.com"),
	BAD("only-commas", ",,", "no address in From"),
	BAD("group-empty", "undisclosed-recipients:;", "group syntax in From"),
	BAD("group-member", "grp: a@b.c;", "group syntax in From"),
	BAD("group-no-name", ":;", "group syntax in From"),
	BAD("group-after-addr", "a@b.c grp:;",
	    "trailing text after address in From"),

	/* route syntax (obsolete) */
	OK("route", "<@a.example,@b.example:user@example.com>", "user",
	   "example.com"),
	OK("route-spaces", "Name < @a.example , @b.example : user@example.com >",
	   "user", "example.com"),
	OK("route-null-members", "<,@a.example,,@b.example:u@example.com>",
	   "u", "example.com"),
	BAD("route-without-colon", "<@a.example user@example.com>",
	    "malformed route in From"),
	BAD("route-empty", "<:user@example.com>", "missing local-part in From"),

	/* 8-bit (RFC 6532) */
	OK("utf8-local", "j\xc3\xb6rg@example.com", "j\xc3\xb6rg",
	   "example.com"),
	OK("utf8-domain-not-lowered", "u@B\xc3\x9c" "CHER.Example",
	   "u", "b\xc3\x9c" "cher.example"),
	OK("utf8-display-name", "J\xc3\xb6rg <j@example.de>", "j",
	   "example.de"),
	OK("latin1-display-name", "J\xf6rg <j@example.de>", "j", "example.de"),
	BAD("bad-utf8-domain", "u@ex\xc0\xae" "ample.com",
	    "invalid UTF-8 in From domain"),
	BAD("bad-utf8-local", "\xff@example.com",
	    "invalid UTF-8 in From local-part"),

	/* domain literals (refused: no DNS name to sign or align) */
	BAD("domain-literal", "user@[192.0.2.1]", "address literal in From"),
	BAD("domain-literal-angle", "X <user@[IPv6:2001:db8::1]>",
	    "address literal in From"),
	BAD("bare-ipv4-domain", "user@192.0.2.1",
	    "numeric top-level label in From domain"),
	BAD("numeric-single-label", "user@02",
	    "numeric top-level label in From domain"),
	OK("numeric-inner-label", "user@1.2.3.example", "user",
	   "1.2.3.example"),
	OK("digit-leading-tld", "user@example.3com", "user", "example.3com"),
	BAD("domain-literal-unterminated", "user@[192.0.2.1",
	    "unterminated domain literal in From"),

	/* malformed */
	BAD("empty-value", "", "empty From"),
	BAD("only-space", "  \r\n ", "no address in From"),
	BAD("only-comment", "(nobody)", "no address in From"),
	BAD("empty-angle", "<>", "empty address <> in From"),
	BAD("name-empty-angle", "Mailer Daemon <>", "empty address <> in From"),
	BAD("no-local", "@example.com", "missing local-part in From"),
	BAD("no-domain", "user@", "missing domain in From"),
	BAD("no-domain-angle", "<user@>", "missing domain in From"),
	BAD("no-at", "user", "missing '@' in From address"),
	BAD("no-at-angle", "<postmaster>", "missing '@' in From address"),
	BAD("missing-gt", "John <john@example.com", "missing '>' in From"),
	BAD("missing-quote", "\"John <john@example.com>",
	    "unterminated quoted string in From"),
	BAD("missing-paren", "john@example.com (comment",
	    "unterminated comment in From"),
	BAD("missing-paren-nested", "john@example.com (a (b)",
	    "unterminated comment in From"),
	BAD("stray-paren", "john@example.com)", "unbalanced ')' in From"),
	BAD("comment-too-deep",
	    "u@x.example (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
	    "comments nested too deeply in From"),
	BAD("two-at", "a@b@example.com",
	    "trailing text after address in From"),
	BAD("angle-two-at", "<a@b@example.com>",
	    "unexpected text before '>' in From"),
	BAD("leading-dot-local", ".user@example.com",
	    "malformed local-part in From"),
	BAD("trailing-dot-local", "user.@example.com",
	    "malformed local-part in From"),
	BAD("double-dot-local", "us..er@example.com",
	    "malformed local-part in From"),
	BAD("space-in-local", "jo hn@example.com", "malformed local-part in From"),
	BAD("double-dot-domain", "user@example..com",
	    "empty label in From domain"),
	BAD("leading-dot-domain", "user@.example.com", "missing domain in From"),
	BAD("two-trailing-dots", "user@example.com..",
	    "empty label in From domain"),
	BAD("bad-char-domain", "user@exa$mple.com",
	    "invalid character in From domain"),
	BAD("quoted-domain", "user@\"example.com\"", "missing domain in From"),
	BAD("control-char", "user@exam\x01ple.com", "control character in From"),
	BAD("del-char", "user\x7f@example.com", "control character in From"),
	BAD("bare-cr", "John\rDoe <j@example.com>",
	    "line break not followed by white space in From"),
	BAD("bare-lf-no-wsp", "John\nDoe <j@example.com>",
	    "line break not followed by white space in From"),
	BAD("control-in-quoted", "\"a\x02\"@example.com",
	    "control character in From"),
	BAD("backslash-outside", "a\\b@example.com",
	    "backslash outside quotes in From"),
	BAD("stray-gt", "user@example.com>",
	    "trailing text after address in From"),
	BAD("stray-semicolon", "; a@b.com", "group syntax in From"),
	BAD("label-64",
	    "u@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	    "domain label longer than 63 in From"),
	OK("label-63",
	   "u@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	   "u", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"),
};

static void check_from(const struct from_case *c)
{
	char *local = (char *)"x", *domain = (char *)"x";
	const char *why = NULL;
	size_t len = c->len ? c->len : strlen(c->in);
	enum sg_status st = hdr_from_address(c->in, len, &local, &domain, &why);

	T_EXPECT(st == c->st, c->label);
	if (c->st == SG_OK) {
		T_EXPECT_STR(local, c->local, c->label);
		if (c->domain != NULL)
			T_EXPECT_STR(domain, c->domain, c->label);
	} else {
		T_EXPECT(local == NULL && domain == NULL, c->label);
		T_EXPECT_STR(why, c->why, c->label);
	}
	if (st == SG_OK) {
		free(local);
		free(domain);
	}
}

static void test_from_table(void)
{
	for (size_t i = 0; i < NELEM(from_cases); i++)
		check_from(&from_cases[i]);
}

/* Limits: the whole value, the local-part, the domain. */
static void test_from_limits(void)
{
	size_t big = SG_MAX_FROM_LEN + 1;
	char *v = malloc(big + 1);
	char *local = NULL, *domain = NULL;
	const char *why = NULL;
	size_t n;

	if (v == NULL)
		abort();
	/* value over SG_MAX_FROM_LEN */
	memset(v, 'a', big);
	memcpy(v + big - 12, "@example.com", 12);
	T_EXPECT(hdr_from_address(v, big, &local, &domain, &why) ==
		 SG_E_TOOBIG, "from-too-long");

	/* a display name near the limit is fine */
	n = SG_MAX_FROM_LEN;
	memset(v, 'a', n);
	memcpy(v + n - 16, " <u@example.com>", 16);
	T_EXPECT(hdr_from_address(v, n, &local, &domain, &why) == SG_OK,
		 "long-display-name");
	T_EXPECT_STR(domain, "example.com", "long-display-name");
	free(local);
	free(domain);

	/* local-part at and over SG_MAX_LOCALPART */
	memset(v, 'a', SG_MAX_LOCALPART);
	memcpy(v + SG_MAX_LOCALPART, "@example.com", 12);
	T_EXPECT(hdr_from_address(v, SG_MAX_LOCALPART + 12, &local, &domain,
				  &why) == SG_OK, "local-at-limit");
	T_EXPECT(local != NULL && strlen(local) == SG_MAX_LOCALPART,
		 "local-at-limit");
	free(local);
	free(domain);
	memset(v, 'a', SG_MAX_LOCALPART + 1);
	memcpy(v + SG_MAX_LOCALPART + 1, "@example.com", 12);
	T_EXPECT(hdr_from_address(v, SG_MAX_LOCALPART + 13, &local, &domain,
				  &why) == SG_E_TOOBIG, "local-over-limit");
	T_EXPECT(local == NULL && domain == NULL, "local-over-limit");

	/* domain of 255 (4 x 63 + 3 dots) passes, with a trailing dot too;
	 * one more label fails */
	memcpy(v, "u@", 2);
	n = 2;
	for (int i = 0; i < 4; i++) {
		memset(v + n, 'a' + i, 63);
		n += 63;
		if (i < 3)
			v[n++] = '.';
	}
	T_EXPECT(hdr_from_address(v, n, &local, &domain, &why) == SG_OK,
		 "domain-255");
	T_EXPECT(domain != NULL && strlen(domain) == 255, "domain-255");
	free(local);
	free(domain);
	v[n] = '.';
	T_EXPECT(hdr_from_address(v, n + 1, &local, &domain, &why) == SG_OK,
		 "domain-255-trailing-dot");
	T_EXPECT(domain != NULL && strlen(domain) == 255,
		 "domain-255-trailing-dot");
	free(local);
	free(domain);
	memcpy(v + n, ".b", 2);
	T_EXPECT(hdr_from_address(v, n + 2, &local, &domain, &why) ==
		 SG_E_SYNTAX, "domain-257");
	T_EXPECT_STR(why, "domain too long in From", "domain-257");

	/* thousands of comments and words: bounded, no recursion */
	n = 0;
	while (n + 20 < SG_MAX_FROM_LEN) {
		memcpy(v + n, "(x) w . ", 8);
		n += 8;
	}
	memcpy(v + n, "<u@example.com>", 15);
	n += 15;
	T_EXPECT(hdr_from_address(v, n, &local, &domain, &why) == SG_OK,
		 "many-words");
	free(local);
	free(domain);
	free(v);
}

/* The length argument is honoured: bytes past it are not read. */
static void test_from_len(void)
{
	const char *v = "user@example.com, other@bank.example";
	char *local = NULL, *domain = NULL;
	const char *why = NULL;

	T_EXPECT(hdr_from_address(v, 16, &local, &domain, &why) == SG_OK,
		 "len-prefix");
	T_EXPECT_STR(domain, "example.com", "len-prefix");
	free(local);
	free(domain);
	T_EXPECT(hdr_from_address(NULL, 0, &local, &domain, &why) ==
		 SG_E_SYNTAX, "null-value");
}

static void test_name_cmp(void)
{
	static const struct {
		const char *label, *a, *b;
		int want;	/* -1, 0, 1 */
	} cases[] = {
		{ "same", "From", "From", 0 },
		{ "case", "from", "FROM", 0 },
		{ "mixed", "DKIM-Signature", "dkim-signature", 0 },
		{ "prefix-shorter", "From", "From2", -1 },
		{ "prefix-longer", "Subject2", "subject", 1 },
		{ "differs", "To", "Cc", 1 },
		{ "empty-both", "", "", 0 },
		{ "empty-one", "", "a", -1 },
		{ "non-ascii-not-folded", "\xc4", "\xe4", -1 },
		{ "bracket-vs-letter", "[", "{", -1 },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		int r = hdr_name_cmp(cases[i].a, strlen(cases[i].a),
				     cases[i].b, strlen(cases[i].b));

		r = r < 0 ? -1 : r > 0 ? 1 : 0;
		T_EXPECT(r == cases[i].want, cases[i].label);
	}
	/* lengths, not NULs, bound the names */
	T_EXPECT(hdr_name_cmp("FromX", 4, "from", 4) == 0, "len-bound");
}

int main(void)
{
	test_from_table();
	test_from_limits();
	test_from_len();
	test_name_cmp();
	return T_DONE("hdr_test");
}
