/*
 * tests/unit/spf_test.c -- SPF: record parsing, macro syntax and
 * expansion (RFC 7208 sections 4.6, 5, 6, 7, without DNS), addresses,
 * the Received-SPF value; then check_host() against tests/lib/dnsserver.py
 * on 127.0.0.1 (private temp dir, bounded waits): limits, includes,
 * redirects, exp=, %{p}, the time bound, both identities, threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/dns.h"
#include "common/limits.h"
#include "spf/macro.h"
#include "spf/record.h"
#include "spf/spf.h"
#include "tests/lib/dnstest.h"
#include "tests/lib/test.h"

/* ---- records ------------------------------------------------------------ */

static void test_is_spf(void)
{
	static const struct { const char *label, *txt; bool want; } cases[] = {
		{ "bare-version",	"v=spf1",		true },
		{ "version-space",	"v=spf1 -all",		true },
		{ "any-case",		"V=SpF1 -all",		true },
		{ "spf10",		"v=spf10",		false },
		{ "joined-no-space",	"v=spf1mx",		false },
		{ "spf2",		"spf2.0/pra -all",	false },
		{ "leading-space",	" v=spf1 -all",		false },
		{ "empty",		"",			false },
		{ "tab-after",		"v=spf1\t-all",		false },
	};

	for (size_t i = 0; i < NELEM(cases); i++)
		T_EXPECT(spf_record_is_spf(cases[i].txt, strlen(cases[i].txt)) == cases[i].want,
			 cases[i].label);
}

/* Every record either parses or is a syntax error (permerror). */
static void test_parse_table(void)
{
	static const struct { const char *label, *txt; bool ok; } cases[] = {
		{ "empty-record",	"v=spf1",				true },
		{ "trailing-spaces",	"v=spf1 -all   ",			true },
		{ "two-spaces",		"v=spf1 a  -all",			true },
		{ "all-qualifiers",	"v=spf1 +a -a ~a ?a",			true },
		{ "mech-any-case",	"v=spf1 A:x.example MX Ip4:1.2.3.4 ALL",	true },
		{ "ip4-cidr",		"v=spf1 ip4:192.0.2.0/24",		true },
		{ "ip4-cidr-0",		"v=spf1 ip4:1.1.1.1/0",			true },
		{ "ip4-cidr-33",	"v=spf1 ip4:1.2.3.4/33",		false },
		{ "ip4-cidr-lead-0",	"v=spf1 ip4:1.2.3.4/032",		false },
		{ "ip4-dual-cidr",	"v=spf1 ip4:1.2.3.4//32",		false },
		{ "ip4-short",		"v=spf1 ip4:1.2.3",			false },
		{ "ip4-port",		"v=spf1 ip4:1.2.3.4:8080",		false },
		{ "ip4-lead-zero",	"v=spf1 ip4:01.2.3.4",			false },
		{ "ip4-256",		"v=spf1 ip4:1.2.3.256",			false },
		{ "ip4-bare",		"v=spf1 ip4",				false },
		{ "ip4-empty",		"v=spf1 ip4:",				false },
		{ "ip6",		"v=spf1 ip6:2001:db8::/32",		true },
		{ "ip6-v4-tail",	"v=spf1 ip6:::1.1.1.1/0",		true },
		{ "ip6-129",		"v=spf1 ip6:::1/129",			false },
		{ "ip6-dual-cidr",	"v=spf1 ip6:::1.1.1.1//33",		false },
		{ "ip6-bad",		"v=spf1 ip6::CAFE::BABE",		false },
		{ "ip6-after-all",	"v=spf1 -all ip6",			false },
		{ "a-dual",		"v=spf1 a/24//64",			true },
		{ "a-dual-bad",		"v=spf1 a/24/64",			false },
		{ "a-cidr6-only",	"v=spf1 a//0",				true },
		{ "a-33",		"v=spf1 a/33",				false },
		{ "a-domain-slash",	"v=spf1 a:foo:bar/baz.example.com",	true },
		{ "a-domain-cidr",	"v=spf1 a:foo.example.com/24",		true },
		{ "a-empty-domain",	"v=spf1 a:",				false },
		{ "a-numeric-top",	"v=spf1 a:abc.123",			false },
		{ "a-ip-as-name",	"v=spf1 a:111.222.33.44",		false },
		{ "a-dash-top",		"v=spf1 a:example.-com",		false },
		{ "a-idn-top",		"v=spf1 a:foo.example.xn--zckzah",	true },
		{ "a-one-label",	"v=spf1 a:museum",			false },
		{ "a-one-label-dot",	"v=spf1 a:museum.",			false },
		{ "a-trailing-dot",	"v=spf1 a:example.com.",		true },
		{ "a-port",		"v=spf1 a:example.com:8080",		false },
		{ "a-macro-end",	"v=spf1 a:%{d}",			true },
		{ "a-backslash-0",	"v=spf1 a:foo.example.com\\0",		false },
		{ "mx-dual",		"v=spf1 mx:example.com/24//64",		true },
		{ "ptr",		"v=spf1 ptr ptr:example.com",		true },
		{ "ptr-cidr",		"v=spf1 ptr/0",				false },
		{ "ptr-empty",		"v=spf1 ptr:",				false },
		{ "include",		"v=spf1 include:_spf.example.com",	true },
		{ "include-bare",	"v=spf1 include",			false },
		{ "include-empty",	"v=spf1 include:",			false },
		{ "include-cidr",	"v=spf1 include:example.com/24",	false },
		{ "exists",		"v=spf1 exists:%{ir}.%{v}._spf.%{d2}",	true },
		{ "exists-bare",	"v=spf1 exists",			false },
		{ "exists-cidr",	"v=spf1 exists:mail.example.com/24",	false },
		{ "all-dot",		"v=spf1 -all.",				false },
		{ "all-arg",		"v=spf1 -all:foo",			false },
		{ "all-cidr",		"v=spf1 -all/8",			false },
		{ "unknown-mech",	"v=spf1 ip4:1.2.3.4 -all moo",		false },
		{ "unknown-modifier",	"v=spf1 moo.cow-far_out=man:dog/cat",	true },
		{ "modifier-slash-first", "v=spf1 moo.cow/far_out=man:dog/cat",	false },
		{ "modifier-colon-first", "v=spf1 moo.cow:far_out=man:dog/cat",	false },
		{ "modifier-digit-name", "v=spf1 1up=foo",			false },
		{ "modifier-empty-name", "v=spf1 =all",				false },
		{ "modifier-qualifier",	"v=spf1 -redirect=example.com",		false },
		{ "modifier-bad-macro",	"v=spf1 foo=%abc",			false },
		{ "modifier-empty-value", "v=spf1 foo=",			true },
		{ "modifier-default",	"v=spf1 default=+",			true },
		{ "redirect",		"v=spf1 redirect=_spf.example.com",	true },
		{ "redirect-colon",	"v=spf1 redirect:example.com",		false },
		{ "redirect-twice",	"v=spf1 redirect=a.example redirect=b.example", false },
		{ "redirect-empty",	"v=spf1 ?all redirect=",		false },
		{ "redirect-bad",	"v=spf1 redirect=-all ?all",		false },
		{ "redirect-any-case",	"v=spf1 REDIRECT=example.com",		true },
		{ "exp",		"v=spf1 -all exp=explain.example.com",	true },
		{ "exp-twice",		"v=spf1 exp=a.example.com exp=b.example.com", false },
		{ "exp-empty",		"v=spf1 exp= -all",			false },
		{ "exp-bad",		"v=spf1 exp=-all",			false },
		{ "exp-letter-r",	"v=spf1 -all exp=%{r}.example.com",	false },
		{ "macro-bad-char",	"v=spf1 -exists:%(ir).sbl.example.com",	false },
		{ "macro-bad-trail",	"v=spf1 exists:foo%.sbl.example.com",	false },
		{ "macro-escapes",	"v=spf1 a:macro%%percent%_%_space%-url-space.example.com", true },
		{ "macro-letter-a",	"v=spf1 a:%{a}.example.com",		false },
		{ "macro-zero-parts",	"v=spf1 a:%{d0}.example.com",		false },
		{ "macro-unclosed",	"v=spf1 a:%{d.example.com",		false },
		{ "control-char",	"v=spf1 a:ctrl.example.com\rptr -all",	false },
		{ "newline",		"v=spf1 ip4:192.0.2.5\n include:x.example -all", false },
		{ "tab",		"v=spf1 a\t-all",			false },
		{ "non-ascii",		"v=spf1 \x80" "a:example.net -all",	false },
		{ "non-ascii-domain",	"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all", false },
		{ "lone-qualifier",	"v=spf1 -",				false },
	};
	struct spf_record *r;
	const char *why;
	char bad[SPF_BAD_TERM_MAX + 1];

	for (size_t i = 0; i < NELEM(cases); i++) {
		enum sg_status st;

		r = NULL;
		why = NULL;
		st = spf_record_parse(cases[i].txt, strlen(cases[i].txt), &r, &why, bad);
		T_EXPECT((st == SG_OK) == cases[i].ok, cases[i].label);
		if (st != SG_OK)
			T_EXPECT(why != NULL && r == NULL, cases[i].label);
		spf_record_free(&r);
	}
}

/* A NUL byte inside the record (from DNS) is a syntax error. */
static void test_parse_nul(void)
{
	static const char txt[] = "v=spf1 a:foo.example.com\0";
	struct spf_record *r = NULL;
	const char *why;
	char bad[SPF_BAD_TERM_MAX + 1];

	T_EXPECT(spf_record_parse(txt, sizeof txt - 1, &r, &why, bad) == SG_E_SYNTAX, "nul");
	T_EXPECT_STR(bad, "a:foo.example.com?", "nul-shown");
	T_EXPECT(spf_record_parse("v=spf1 -all", 11, &r, &why, NULL) == SG_OK, "no-bad-buf");
	spf_record_free(&r);
	T_EXPECT(r == NULL, "free-nulls");
	spf_record_free(&r);
}

static void test_parse_fields(void)
{
	static const char txt[] = "v=spf1 -a:mail.example.com/24//64 ~mx ?ip4:192.0.2.0/25 "
				  "ip6:2001:db8::/48 include:_spf.example.net exp=why.%{d} "
				  "x-unknown=%{l} redirect=other.example";
	struct spf_record *r = NULL;
	const char *why;
	const unsigned char v4[4] = { 192, 0, 2, 0 };

	T_EXPECT(spf_record_parse(txt, strlen(txt), &r, &why, NULL) == SG_OK, "fields-parse");
	if (r == NULL)
		return;
	T_EXPECT(r->n_terms == 5, "fields-n");
	T_EXPECT(r->terms[0].mech == SPF_MECH_A && r->terms[0].qualifier == '-', "a-mech");
	T_EXPECT(r->terms[0].cidr4 == 24 && r->terms[0].cidr6 == 64, "a-cidrs");
	T_EXPECT_MEM(r->terms[0].spec, r->terms[0].spec_len, "mail.example.com", 16, "a-spec");
	T_EXPECT_STR(r->terms[0].text, "-a:mail.example.com/24//64", "a-text");
	T_EXPECT(r->terms[1].mech == SPF_MECH_MX && r->terms[1].qualifier == '~' &&
		 r->terms[1].spec == NULL && r->terms[1].cidr4 == 32 &&
		 r->terms[1].cidr6 == 128, "mx-defaults");
	T_EXPECT(r->terms[2].mech == SPF_MECH_IP4 && r->terms[2].qualifier == '?' &&
		 memcmp(r->terms[2].net, v4, 4) == 0 && r->terms[2].cidr4 == 25, "ip4");
	T_EXPECT(r->terms[3].mech == SPF_MECH_IP6 && r->terms[3].cidr6 == 48 &&
		 r->terms[3].net[0] == 0x20 && r->terms[3].net[1] == 0x01, "ip6");
	T_EXPECT(r->terms[4].mech == SPF_MECH_INCLUDE && r->terms[4].qualifier == '+', "include");
	T_EXPECT_STR(r->exp, "why.%{d}", "exp");
	T_EXPECT_STR(r->redirect, "other.example", "redirect");
	T_EXPECT_STR(spf_mech_name(SPF_MECH_EXISTS), "exists", "mech-name");
	spf_record_free(&r);
}

static void test_net_match(void)
{
	const unsigned char net[4] = { 10, 1, 128, 0 }, a[4] = { 10, 1, 200, 7 };
	const unsigned char b[4] = { 10, 1, 127, 255 };

	T_EXPECT(spf_net_match(net, a, 4, 17), "slash17-in");
	T_EXPECT(!spf_net_match(net, b, 4, 17), "slash17-out");
	T_EXPECT(spf_net_match(net, b, 4, 0), "slash0");
	T_EXPECT(!spf_net_match(net, a, 4, 32), "slash32");
	T_EXPECT(!spf_net_match(net, a, 4, 33), "slash33-never");
}

/* ---- macros ----------------------------------------------------------- */

static const char *no_ptr(void *arg, const char *domain)
{
	return arg;
}

/* The context of RFC 7208 section 7.4's examples. */
static void rfc_ctx(struct spf_macro_ctx *c, bool v6)
{
	memset(c, 0, sizeof *c);
	c->sender = "strong-bad@email.example.com";
	c->local = "strong-bad";
	c->sender_domain = "email.example.com";
	c->domain = "email.example.com";
	c->ip = v6 ? "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1"
		   : "192.0.2.3";
	c->client = v6 ? "2001:db8::cb01" : "192.0.2.3";
	c->ipv6 = v6;
	c->helo = "mx.example.org";
	c->receiver = "mx.receiver.example";
	c->now = 1700000000;
	c->ptr_name = no_ptr;
	c->ptr_arg = "mx.example.org";
}

static void test_expand_rfc(void)
{
	static const struct { const char *in, *want; bool v6; enum spf_macro_kind kind; } cases[] = {
		{ "%{s}", "strong-bad@email.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{o}", "email.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d}", "email.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d4}", "email.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d3}", "email.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d2}", "example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d1}", "com", false, SPF_MACRO_DOMAIN },
		{ "%{dr}", "com.example.email", false, SPF_MACRO_DOMAIN },
		{ "%{d2r}", "example.email", false, SPF_MACRO_DOMAIN },
		{ "%{l}", "strong-bad", false, SPF_MACRO_DOMAIN },
		{ "%{l-}", "strong.bad", false, SPF_MACRO_DOMAIN },
		{ "%{lr}", "strong-bad", false, SPF_MACRO_DOMAIN },
		{ "%{lr-}", "bad.strong", false, SPF_MACRO_DOMAIN },
		{ "%{l1r-}", "strong", false, SPF_MACRO_DOMAIN },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", false,
		  SPF_MACRO_DOMAIN },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		  "3.2.0.192.in-addr.strong.lp._spf.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net",
		  false, SPF_MACRO_DOMAIN },
		{ "%{ir}.%{v}._spf.%{d2}",
		  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
		  true, SPF_MACRO_DOMAIN },
		/* escapes, case, URL-escaping, explanation letters */
		{ "%%%_%-", "% %20", false, SPF_MACRO_DOMAIN },
		{ "%{D2}", "example.com", false, SPF_MACRO_DOMAIN },
		{ "%{S}", "strong-bad%40email.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d2R}", "example.email", false, SPF_MACRO_DOMAIN },
		{ "%{h}", "mx.example.org", false, SPF_MACRO_DOMAIN },
		{ "%{p}", "mx.example.org", false, SPF_MACRO_DOMAIN },
		{ "%{v}", "ip6", true, SPF_MACRO_DOMAIN },
		{ "%{c} %{r} %{t}", "192.0.2.3 mx.receiver.example 1700000000", false, SPF_MACRO_EXP },
		{ "%{c}", "2001:db8::cb01", true, SPF_MACRO_EXP },
		{ "%{d999}", "email.example.com", false, SPF_MACRO_DOMAIN },
		{ "%{d1r}", "email", false, SPF_MACRO_DOMAIN },
		{ "%{l+-}", "strong.bad", false, SPF_MACRO_DOMAIN },
		{ "trailing.dot.", "trailing.dot", false, SPF_MACRO_DOMAIN },
		{ "kept.dot.", "kept.dot.", false, SPF_MACRO_EXP },
		{ "", "", false, SPF_MACRO_DOMAIN },
	};
	struct spf_macro_ctx c;
	struct buf b;
	const char *why;

	buf_init(&b, 8192);
	for (size_t i = 0; i < NELEM(cases); i++) {
		rfc_ctx(&c, cases[i].v6);
		why = NULL;
		T_EXPECT(spf_macro_expand(cases[i].in, strlen(cases[i].in), cases[i].kind, &c,
					  &b, NULL, &why) == SG_OK, cases[i].in);
		T_EXPECT_MEM(b.data ? b.data : "", b.len, cases[i].want, strlen(cases[i].want),
			     cases[i].in);
	}
	buf_free(&b);
}

/* Splitting on other delimiters, several at once, empty parts. */
static void test_expand_split(void)
{
	static const struct { const char *local, *in, *want; } cases[] = {
		{ "philip-gladstone-test", "%{l2r-}", "gladstone.philip" },
		{ "foo-bar+zip+quux", "%{l2r+-}", "bar.foo" },
		{ "foo-bar+zip+quux", "%{l+-}", "foo.bar.zip.quux" },
		{ "a..b", "%{lr}", "b..a" },
		{ "a..b", "%{l2}", ".b" },
		{ "~jack&jill=up-a_b3.c", "%{L}", "~jack%26jill%3Dup-a_b3.c" },
		{ "a b", "%{L}", "a%20b" },
		{ "x=y,z/w_v", "%{l=,/_}", "x.y.z.w.v" },
	};
	struct spf_macro_ctx c;
	struct buf b;
	const char *why;

	buf_init(&b, 8192);
	for (size_t i = 0; i < NELEM(cases); i++) {
		rfc_ctx(&c, false);
		c.local = cases[i].local;
		T_EXPECT(spf_macro_expand(cases[i].in, strlen(cases[i].in), SPF_MACRO_EXP, &c,
					  &b, NULL, &why) == SG_OK, cases[i].want);
		T_EXPECT_STR(b.data, cases[i].want, cases[i].in);
	}
	buf_free(&b);
}

static void test_macro_syntax(void)
{
	static const struct { const char *in; enum spf_macro_kind kind; bool ok; } cases[] = {
		{ "%{d}", SPF_MACRO_DOMAIN, true },
		{ "%{c}", SPF_MACRO_DOMAIN, false },
		{ "%{c}", SPF_MACRO_EXP, true },
		{ "%{r}", SPF_MACRO_MODIFIER, true },
		{ "%{x}", SPF_MACRO_EXP, false },
		{ "%{a}", SPF_MACRO_DOMAIN, false },
		{ "%{d0}", SPF_MACRO_DOMAIN, false },
		{ "%{d}x%", SPF_MACRO_DOMAIN, false },
		{ "%x", SPF_MACRO_DOMAIN, false },
		{ "%{d", SPF_MACRO_DOMAIN, false },
		{ "%{}", SPF_MACRO_DOMAIN, false },
		{ "%{d.r}", SPF_MACRO_DOMAIN, false },		/* r before delimiters */
		{ "%{dr.-+,/_=}", SPF_MACRO_DOMAIN, true },
		{ "%{d:}", SPF_MACRO_DOMAIN, false },
		{ "a b", SPF_MACRO_DOMAIN, false },
		{ "a b", SPF_MACRO_EXP, true },
		{ "tab\there", SPF_MACRO_EXP, false },
		{ "\xef\xbb\xbf" "Explanation", SPF_MACRO_EXP, false },
		{ "The %{x}-files.", SPF_MACRO_EXP, false },
	};
	const char *why;

	for (size_t i = 0; i < NELEM(cases); i++) {
		why = NULL;
		T_EXPECT((spf_macro_check(cases[i].in, strlen(cases[i].in), cases[i].kind,
					  &why) == SG_OK) == cases[i].ok, cases[i].in);
		if (!cases[i].ok)
			T_EXPECT(why != NULL, cases[i].in);
	}
}

static void test_domain_spec(void)
{
	static const struct { const char *in; bool ok; } cases[] = {
		{ "example.com", true },
		{ "example.com.", true },
		{ "%{d}", true },
		{ "%{d}.", false },
		{ "%%", true },
		{ "_spf.%{d2}", true },
		{ "foo-bar", false },
		{ "mail.example...com", true },		/* syntax fine, not a name */
		{ "x.1-2", true },			/* hyphenated digits */
		{ "x.12", false },
		{ "x.a-", false },
		{ "x.", false },
		{ "", false },
		{ ".com", true },
		{ "%{d}.com:80", false },
	};
	const char *why;

	for (size_t i = 0; i < NELEM(cases); i++)
		T_EXPECT((spf_domain_spec_check(cases[i].in, strlen(cases[i].in), &why) == SG_OK)
			 == cases[i].ok, cases[i].in);
}

/* 7.3: names over 253 bytes lose whole labels on the left; huge macro
 * output stays bounded; explanations are cut at the buffer's cap. */
static void test_truncation(void)
{
	struct spf_macro_ctx c;
	struct buf b, e;
	char spec[4096], want[300];
	bool cut = false;
	const char *why;
	size_t n = 0;

	rfc_ctx(&c, false);
	c.domain = "somewhat.long.exp.example.com";
	n = (size_t)snprintf(spec, sizeof spec, "foobar");
	for (int i = 0; i < 8; i++)
		n += (size_t)snprintf(spec + n, sizeof spec - n, ".%%{d}");
	n += (size_t)snprintf(spec + n, sizeof spec - n, ".example.com");
	buf_init(&b, 4096);
	T_EXPECT(spf_macro_expand(spec, n, SPF_MACRO_DOMAIN, &c, &b, NULL, &why) == SG_OK,
		 "trunc-expand");
	n = 0;
	for (int i = 0; i < 8; i++)
		n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", i ? "." : "", c.domain);
	snprintf(want + n, sizeof want - n, ".example.com");
	T_EXPECT_STR(b.data, want, "trunc-openspf");
	T_EXPECT(b.len <= DNS_MAX_NAME, "trunc-len");

	/* 500 %{d}: megabytes unbounded, a bounded window here */
	n = 0;
	for (int i = 0; i < 500; i++)
		n += (size_t)snprintf(spec + n, sizeof spec - n, "%%{d}.");
	T_EXPECT(spf_macro_expand(spec, n, SPF_MACRO_DOMAIN, &c, &b, &cut, &why) == SG_OK,
		 "huge-expand");
	T_EXPECT(cut && b.len <= DNS_MAX_NAME && b.len > 200, "huge-bounded");
	/* 8 whole "somewhat.long.exp.example.com" fit, then 12 more bytes */
	T_EXPECT(b.len == 251 && strncmp(b.data, "example.com.somewhat.", 21) == 0,
		 "huge-label-aligned");

	/* one label longer than 253: nothing is left */
	c.local = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	T_EXPECT(spf_macro_expand("%{l}", 4, SPF_MACRO_DOMAIN, &c, &b, NULL, &why) == SG_OK,
		 "one-label");
	T_EXPECT(b.len == 0, "one-label-empty");
	T_EXPECT(spf_macro_expand("%{l}.com", 8, SPF_MACRO_DOMAIN, &c, &b, NULL, &why) == SG_OK &&
		 strcmp(b.data, "com") == 0, "one-label-then-com");

	buf_init(&e, 100);
	c.domain = "example.com";
	T_EXPECT(spf_macro_expand(spec, 200, SPF_MACRO_EXP, &c, &e, &cut, &why) == SG_OK,
		 "exp-cut");
	T_EXPECT(cut && e.len == 100, "exp-cut-at-cap");
	T_EXPECT(spf_macro_expand("%{d}", 4, SPF_MACRO_EXP, &c, &e, &cut, &why) == SG_OK &&
		 !cut, "exp-not-cut");
	buf_free(&e);
	buf_init(&e, 100);
	T_EXPECT(spf_macro_expand("%{d}", 4, SPF_MACRO_DOMAIN, &c, &e, &cut, &why) ==
		 SG_E_TOOBIG, "domain-needs-work-space");
	buf_free(&e);
	buf_free(&b);
}

/* ---- addresses, names, Received-SPF -------------------------------------- */

static void test_ip(void)
{
	struct spf_ip ip;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	char t[46];

	T_EXPECT(spf_ip_parse("192.0.2.1", &ip) && ip.family == AF_INET, "v4");
	T_EXPECT(spf_ip_parse("::FFFF:1.2.3.4", &ip) && ip.family == AF_INET &&
		 ip.addr[0] == 1 && ip.addr[3] == 4, "mapped-is-v4");
	T_EXPECT_STR(spf_ip_text(&ip, t), "1.2.3.4", "mapped-text");
	T_EXPECT(spf_ip_parse("CAFE:BABE::1", &ip) && ip.family == AF_INET6, "v6");
	T_EXPECT_STR(spf_ip_text(&ip, t), "cafe:babe::1", "v6-text");
	T_EXPECT(!spf_ip_parse("1.2.3", &ip) && !spf_ip_parse("", &ip) &&
		 !spf_ip_parse(NULL, &ip), "bad");
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &s6.sin6_addr);
	T_EXPECT(spf_ip_from_sockaddr((struct sockaddr *)&s6, &ip) && ip.family == AF_INET,
		 "sockaddr-mapped");
	inet_pton(AF_INET, "10.0.0.2", &s4.sin_addr);
	T_EXPECT(spf_ip_from_sockaddr((struct sockaddr *)&s4, &ip) && ip.addr[3] == 2,
		 "sockaddr-v4");
	T_EXPECT(!spf_ip_from_sockaddr(NULL, &ip), "sockaddr-null");
}

static void test_result_names(void)
{
	T_EXPECT_STR(spf_result_name(SPF_PASS), "pass", "pass");
	T_EXPECT_STR(spf_result_name(SPF_SOFTFAIL), "softfail", "softfail");
	T_EXPECT_STR(spf_result_name(SPF_PERMERROR), "permerror", "permerror");
	T_EXPECT_STR(spf_result_name((enum spf_result)99), "unknown", "out-of-range");
}

static void test_received_spf(void)
{
	struct spf_verdict v;
	struct spf_ip ip;
	struct buf b;

	memset(&v, 0, sizeof v);
	v.result = SPF_PASS;
	v.identity = SPF_ID_MAILFROM;
	snprintf(v.mechanism, sizeof v.mechanism, "ip4:192.0.2.0/24");
	spf_ip_parse("192.0.2.1", &ip);
	buf_init(&b, 4096);
	T_EXPECT(spf_received_spf(&b, &v, &ip, "foo.example.com", "<myname@example.com>",
				  "mybox.example.org", false) == SG_OK, "pass-ok");
	T_EXPECT_STR(b.data, "pass (mybox.example.org: domain of myname@example.com designates "
		     "192.0.2.1 as permitted sender) receiver=mybox.example.org; "
		     "client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; "
		     "helo=foo.example.com; identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\"",
		     "pass");
	buf_reset(&b);
	v.result = SPF_PERMERROR;
	v.identity = SPF_ID_HELO;
	snprintf(v.reason, sizeof v.reason, "bad (\"record\")\r\n\\x");
	T_EXPECT(spf_received_spf(&b, &v, &ip, "h\"elo", "", NULL, true) == SG_OK, "err-ok");
	T_EXPECT_STR(b.data, "permerror (permanent error in the SPF policy of h\"elo: "
		     "bad \\(\"record\"\\)??\\\\x)\r\n\tclient-ip=192.0.2.1;\r\n\tenvelope-from=\"\";"
		     "\r\n\thelo=\"h\\\"elo\";\r\n\tidentity=helo;\r\n\tproblem=\"bad (\\\"record\\\")"
		     "??\\\\x\"", "permerror-escaped-folded");
	buf_reset(&b);
	v.result = SPF_NEUTRAL;
	v.identity = SPF_ID_MAILFROM;
	v.mechanism[0] = '\0';
	T_EXPECT(spf_received_spf(&b, &v, &ip, "helo.example", NULL, NULL, false) == SG_OK &&
		 strstr(b.data, "domain of postmaster@helo.example") != NULL &&
		 strstr(b.data, "mechanism=default") != NULL, "null-sender-default");
	buf_free(&b);
	buf_init(&b, 40);
	T_EXPECT(spf_received_spf(&b, &v, &ip, "helo.example", NULL, NULL, false) ==
		 SG_E_TOOBIG, "capped");
	buf_free(&b);
}

/* ---- check_host() against a DNS server ------------------------------------ */

static struct dnstest dt = DNSTEST_INIT;

static bool write_zone(void)
{
	FILE *f = fopen(dt.zone, "w");

	if (f == NULL)
		return false;
	fputs(
		"basic.test: [ {TXT: \"v=spf1 ip4:192.0.2.0/24 -all\"}, {TXT: \"other text\"} ]\n"
		"a.test:\n"
		"  - TXT: \"v=spf1 a -all\"\n"
		"  - A: 192.0.2.10\n"
		"  - AAAA: \"2001:db8::10\"\n"
		"mx.test:\n"
		"  - TXT: \"v=spf1 mx/24 -all\"\n"
		"  - MX: [20, mx2.test]\n"
		"  - MX: [10, mx1.test]\n"
		"mx1.test: [ {A: 198.51.100.1} ]\n"
		"mx11.test:\n"
		"  - TXT: \"v=spf1 mx -all\"\n"
		"  - MX: [1, mx1.test]\n  - MX: [2, mx1.test]\n  - MX: [3, mx1.test]\n"
		"  - MX: [4, mx1.test]\n  - MX: [5, mx1.test]\n  - MX: [6, mx1.test]\n"
		"  - MX: [7, mx1.test]\n  - MX: [8, mx1.test]\n  - MX: [9, mx1.test]\n"
		"  - MX: [10, mx1.test]\n  - MX: [11, mx2.test]\n"
		"mx2.test: [ {A: 203.0.113.2} ]\n"
		"inc.test: [ {TXT: \"v=spf1 include:basic.test ~all\"} ]\n"
		"incnone.test: [ {TXT: \"v=spf1 include:nx.test -all\"} ]\n"
		"redir.test: [ {TXT: \"v=spf1 redirect=basic.test\"} ]\n"
		"split.test: [ {TXT: [\"v=spf1 ip4:\", \"198.51.100.0/24 -all\"]} ]\n"
		"limit.test: [ {TXT: \"v=spf1 a:a.test a:a.test a:a.test a:a.test a:a.test "
		"a:a.test a:a.test a:a.test a:a.test a:a.test a:a.test -all\"} ]\n"
		"atlimit.test: [ {TXT: \"v=spf1 a:a.test a:a.test a:a.test a:a.test a:a.test "
		"a:a.test a:a.test a:a.test a:a.test a:a.test -all\"} ]\n"
		"void.test: [ {TXT: \"v=spf1 a:nx1.test a:nx2.test a:nx3.test ?all\"} ]\n"
		"void2.test: [ {TXT: \"v=spf1 a:nx1.test a:nx2.test ?all\"} ]\n"
		"exp.test: [ {TXT: \"v=spf1 -all exp=explain.%{d}\"} ]\n"
		"explain.exp.test: [ {TXT: \"%{i} may not send for %{d} (%{c}, %{r})\"} ]\n"
		"badexp.test: [ {TXT: \"v=spf1 -all exp=explain.badexp.test\"} ]\n"
		"explain.badexp.test: [ {TXT: \"bad %{x} macro\"} ]\n"
		"pexp.test: [ {TXT: \"v=spf1 -all exp=pexplain.test\"} ]\n"
		"pexplain.test: [ {TXT: \"from %{p}\"} ]\n"
		"ptr.test: [ {TXT: \"v=spf1 ptr -all\"} ]\n"
		"10.2.0.192.in-addr.arpa: [ {PTR: host.ptr.test}, {PTR: liar.test} ]\n"
		"host.ptr.test: [ {A: 192.0.2.10} ]\n"
		"liar.test: [ {A: 192.0.2.99} ]\n"
		"slow.test: [ {A: 192.0.2.77}, {DELAY: 400} ]\n"
		"late.test: [ {TXT: \"v=spf1 a:slow.test a:a.test -all\"} ]\n"
		"tf.test: [ {SERVFAIL: true} ]\n"
		"inctf.test: [ {TXT: \"v=spf1 include:tf.test -all\"} ]\n"
		"two.test: [ {TXT: \"v=spf1 -all\"}, {TXT: \"V=SPF1 +all\"} ]\n"
		"syntax.test: [ {TXT: \"v=spf1 ip4:192.0.2.0/24 -all moo\"} ]\n"
		"nospf.test: [ {TXT: \"hello\"} ]\n"
		"helo.test: [ {TXT: \"v=spf1 a -all\"}, {A: 192.0.2.20} ]\n"
		"v6.test: [ {TXT: \"v=spf1 ip6:2001:db8::/32 -ip4:0.0.0.0/0\"} ]\n",
		f);
	return fclose(f) == 0;
}

static bool server_start(void)
{
	return dnstest_prepare(&dt, "spf_test") && write_zone() &&
	       dnstest_start(&dt, false, false);
}

static void server_stop(void)
{
	dnstest_stop(&dt);
}

static struct dns_resolver *resolver(void)
{
	static const char *servers[1];
	struct dns_opts o;
	const char *why = NULL;
	struct dns_resolver *r;

	dns_opts_default(&o);
	servers[0] = dt.server4;
	o.servers = servers;
	o.n_servers = 1;
	o.timeout_ms = 1500;
	o.tries = 2;
	r = dns_resolver_new(&o, &why);
	T_EXPECT(r != NULL, why != NULL ? why : "resolver");
	return r;
}

static void opts(struct spf_opts *o, struct dns_resolver *r)
{
	spf_opts_default(o);
	o->resolver = r;
	o->receiver = "mx.receiver.test";
	o->now = 1700000000;
	o->default_exp = "DEFAULT";
}

struct host_case {
	const char *label, *ip, *domain;
	enum spf_result want;
	const char *reason;		/* a substring of the reason, or NULL */
	const char *exp;		/* the explanation, or NULL */
};

static void run_cases(struct dns_resolver *r, const struct host_case *cases, size_t n)
{
	struct spf_opts o;
	struct spf_verdict v;
	struct spf_ip ip;
	const char *why;
	char sender[300];

	opts(&o, r);
	for (size_t i = 0; i < n; i++) {
		const struct host_case *c = &cases[i];

		T_EXPECT(spf_ip_parse(c->ip, &ip), c->label);
		snprintf(sender, sizeof sender, "user@%s", c->domain);
		T_EXPECT(spf_check_host(&o, &ip, c->domain, sender, "helo.test", &v, &why) == SG_OK,
			 c->label);
		T_EXPECT_STR(spf_result_name(v.result), spf_result_name(c->want), c->label);
		if (c->reason != NULL && strstr(v.reason, c->reason) == NULL) {
			fprintf(stderr, "    reason: %s\n", v.reason);
			T_EXPECT(false, c->label);
		}
		if (c->exp != NULL)
			T_EXPECT_STR(v.explanation, c->exp, c->label);
		if (v.result != SPF_FAIL)
			T_EXPECT(v.explanation[0] == '\0', c->label);
	}
}

static void test_check_host(struct dns_resolver *r)
{
	static const struct host_case cases[] = {
		{ "ip4-pass", "192.0.2.5", "basic.test", SPF_PASS, "ip4:192.0.2.0/24", NULL },
		{ "ip4-fail-default-exp", "198.51.100.5", "basic.test", SPF_FAIL, "-all",
		  "DEFAULT" },
		{ "mapped-client", "::ffff:192.0.2.5", "basic.test", SPF_PASS, NULL, NULL },
		{ "a-v4", "192.0.2.10", "a.test", SPF_PASS, NULL, NULL },
		{ "a-v6", "2001:db8::10", "a.test", SPF_PASS, NULL, NULL },
		{ "a-miss", "192.0.2.11", "a.test", SPF_FAIL, NULL, NULL },
		{ "mx-cidr", "198.51.100.77", "mx.test", SPF_PASS, NULL, NULL },
		{ "mx-second", "203.0.113.9", "mx.test", SPF_PASS, NULL, NULL },
		{ "mx-miss", "192.0.2.1", "mx.test", SPF_FAIL, NULL, NULL },
		{ "mx-11-match-in-10", "198.51.100.1", "mx11.test", SPF_PASS, NULL, NULL },
		{ "mx-11-needs-11th", "203.0.113.2", "mx11.test", SPF_PERMERROR, "11 names", NULL },
		{ "include-pass", "192.0.2.1", "inc.test", SPF_PASS, "include:basic.test", NULL },
		{ "include-fail-is-nomatch", "10.0.0.1", "inc.test", SPF_SOFTFAIL, "~all", NULL },
		{ "include-none", "10.0.0.1", "incnone.test", SPF_PERMERROR, "no SPF record", NULL },
		{ "include-temperror", "10.0.0.1", "inctf.test", SPF_TEMPERROR, "TXT lookup of tf.test",
		  NULL },
		{ "redirect", "192.0.2.1", "redir.test", SPF_PASS, NULL, NULL },
		{ "split-strings", "198.51.100.1", "split.test", SPF_PASS, NULL, NULL },
		{ "eleven-terms", "10.0.0.1", "limit.test", SPF_PERMERROR, "more than 10", NULL },
		{ "ten-terms", "10.0.0.1", "atlimit.test", SPF_FAIL, NULL, NULL },
		{ "three-voids", "10.0.0.1", "void.test", SPF_PERMERROR, "void", NULL },
		{ "two-voids", "10.0.0.1", "void2.test", SPF_NEUTRAL, "'?all'", NULL },
		{ "exp", "192.0.2.200", "exp.test", SPF_FAIL, NULL,
		  "192.0.2.200 may not send for exp.test (192.0.2.200, mx.receiver.test)" },
		{ "exp-v6", "2001:db8::1", "exp.test", SPF_FAIL, NULL,
		  "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1 may not send for "
		  "exp.test (2001:db8::1, mx.receiver.test)" },
		{ "exp-bad-macro", "10.0.0.1", "badexp.test", SPF_FAIL, NULL, "DEFAULT" },
		{ "p-validated", "192.0.2.10", "pexp.test", SPF_FAIL, NULL, "from host.ptr.test" },
		{ "p-unknown", "192.0.2.11", "pexp.test", SPF_FAIL, NULL, "from unknown" },
		{ "ptr-validated", "192.0.2.10", "ptr.test", SPF_PASS, NULL, NULL },
		{ "ptr-liar", "192.0.2.99", "ptr.test", SPF_FAIL, NULL, NULL },
		{ "servfail", "10.0.0.1", "tf.test", SPF_TEMPERROR, "TXT lookup of tf.test", NULL },
		{ "nxdomain", "10.0.0.1", "nx.test", SPF_NONE, "does not exist", NULL },
		{ "no-spf", "10.0.0.1", "nospf.test", SPF_NONE, "no SPF record", NULL },
		{ "two-records", "10.0.0.1", "two.test", SPF_PERMERROR, "2 SPF records", NULL },
		{ "syntax-anywhere", "192.0.2.1", "syntax.test", SPF_PERMERROR, "'moo'", NULL },
		{ "v6-only-v4", "192.0.2.1", "v6.test", SPF_FAIL, NULL, NULL },
		{ "v6-only-v6", "2001:db8::5", "v6.test", SPF_PASS, NULL, NULL },
		{ "one-label", "10.0.0.1", "localhost", SPF_NONE, "not a domain", NULL },
		{ "literal", "10.0.0.1", "[10.0.0.1]", SPF_NONE, NULL, NULL },
		{ "long-label", "10.0.0.1",
		  "a123456789012345678901234567890123456789012345678901234567890123.test",
		  SPF_NONE, NULL, NULL },
	};

	run_cases(r, cases, NELEM(cases));
}

static void test_identities(struct dns_resolver *r)
{
	struct spf_opts o;
	struct spf_verdict v;
	struct spf_smtp_verdicts both;
	struct spf_ip ip;
	const char *why;

	opts(&o, r);
	spf_ip_parse("192.0.2.20", &ip);
	T_EXPECT(spf_check_mailfrom(&o, &ip, "helo.test", "<>", &v, &why) == SG_OK &&
		 v.result == SPF_PASS && strcmp(v.domain, "helo.test") == 0 &&
		 v.identity == SPF_ID_MAILFROM, "null-sender-is-helo");
	T_EXPECT(spf_check_mailfrom(&o, &ip, "helo.test", " <someone@basic.test> ", &v, &why) ==
		 SG_OK && v.result == SPF_PASS && strcmp(v.domain, "basic.test") == 0,
		 "brackets-stripped");
	T_EXPECT(spf_check_mailfrom(&o, &ip, "helo.test", "nodomain", &v, &why) == SG_OK &&
		 v.result == SPF_NONE, "no-at");
	T_EXPECT(spf_check_mailfrom(&o, &ip, "helo.test", "a@[192.0.2.20]", &v, &why) == SG_OK &&
		 v.result == SPF_NONE, "domain-literal");
	T_EXPECT(spf_check_helo(&o, &ip, "helo.test", &v, &why) == SG_OK &&
		 v.result == SPF_PASS && v.identity == SPF_ID_HELO, "helo");
	T_EXPECT(spf_check_helo(&o, &ip, "[192.0.2.20]", &v, &why) == SG_OK &&
		 v.result == SPF_NONE, "helo-literal");
	T_EXPECT(spf_check_helo(&o, &ip, NULL, &v, &why) == SG_OK && v.result == SPF_NONE,
		 "helo-missing");
	T_EXPECT(spf_check_smtp(&o, &ip, "helo.test", "x@a.test", &both, &why) == SG_OK &&
		 both.helo.result == SPF_PASS && both.mailfrom.result == SPF_FAIL &&
		 strcmp(both.mailfrom.domain, "a.test") == 0, "smtp-both");
	T_EXPECT(spf_check_smtp(&o, &ip, "helo.test", "", &both, &why) == SG_OK &&
		 both.helo.result == SPF_PASS && both.mailfrom.result == SPF_PASS &&
		 both.mailfrom.identity == SPF_ID_MAILFROM && both.helo.identity == SPF_ID_HELO,
		 "smtp-null-sender");
	/* no local-part: postmaster (4.3) */
	spf_ip_parse("10.0.0.1", &ip);
	T_EXPECT(spf_check_host(&o, &ip, "exp.test", "@exp.test", "h", &v, &why) == SG_OK &&
		 v.result == SPF_FAIL, "no-local-part");
}

/* The wall-time bound: a slow answer uses up the budget; the next
 * lookup is not asked and the check is temperror. */
static void test_deadline(struct dns_resolver *r)
{
	struct spf_opts o;
	struct spf_verdict v;
	struct spf_ip ip;
	const char *why;

	opts(&o, r);
	o.max_ms = 150;
	spf_ip_parse("10.0.0.1", &ip);
	T_EXPECT(spf_check_host(&o, &ip, "late.test", "u@late.test", "h", &v, &why) == SG_OK,
		 "deadline-ran");
	T_EXPECT(v.result == SPF_TEMPERROR && strstr(v.reason, "longer than 150 ms") != NULL,
		 "deadline-temperror");
}

static unsigned n_trace;

static void count_trace(void *arg, unsigned depth, const char *line)
{
	n_trace++;
	if (strstr(line, "include:basic.test") != NULL && depth == 0)
		*(int *)arg = 1;
}

static void test_trace(struct dns_resolver *r)
{
	struct spf_opts o;
	struct spf_verdict v;
	struct spf_ip ip;
	const char *why;
	int seen = 0;

	opts(&o, r);
	o.trace = count_trace;
	o.trace_arg = &seen;
	spf_ip_parse("192.0.2.1", &ip);
	T_EXPECT(spf_check_host(&o, &ip, "inc.test", "u@inc.test", "h", &v, &why) == SG_OK &&
		 v.result == SPF_PASS, "trace-pass");
	T_EXPECT(n_trace >= 5 && seen, "trace-lines");
}

/* Many evaluations at once on one resolver share cached, parsed records. */
struct worker {
	struct dns_resolver *r;
	int bad;
};

static void *worker_run(void *p)
{
	static const struct { const char *ip, *domain; enum spf_result want; } w[] = {
		{ "192.0.2.5", "basic.test", SPF_PASS },
		{ "10.0.0.1", "inc.test", SPF_SOFTFAIL },
		{ "198.51.100.77", "mx.test", SPF_PASS },
		{ "10.0.0.1", "syntax.test", SPF_PERMERROR },
		{ "192.0.2.200", "exp.test", SPF_FAIL },
	};
	struct worker *wk = p;
	struct spf_opts o;
	struct spf_verdict v;
	struct spf_ip ip;
	const char *why;

	opts(&o, wk->r);
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < NELEM(w); i++) {
			spf_ip_parse(w[i].ip, &ip);
			if (spf_check_host(&o, &ip, w[i].domain, "u@x.test", "h", &v, &why) != SG_OK ||
			    v.result != w[i].want)
				wk->bad++;
		}
	return NULL;
}

static void test_threads(struct dns_resolver *r)
{
	pthread_t t[6];
	struct worker wk[6];
	int started = 0, bad = 0;

	for (int i = 0; i < 6; i++) {
		wk[i] = (struct worker){ .r = r };
		if (pthread_create(&t[i], NULL, worker_run, &wk[i]) == 0)
			started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		bad += wk[i].bad;
	}
	T_EXPECT(started == 6 && bad == 0, "threads-agree");
}

int main(void)
{
	struct dns_resolver *r;

	signal(SIGPIPE, SIG_IGN);
	test_is_spf();
	test_parse_table();
	test_parse_nul();
	test_parse_fields();
	test_net_match();
	test_expand_rfc();
	test_expand_split();
	test_macro_syntax();
	test_domain_spec();
	test_truncation();
	test_ip();
	test_result_names();
	test_received_spf();
	if (!server_start()) {
		fprintf(stderr, "spf_test: cannot start tests/lib/dnsserver.py\n");
		T_EXPECT(false, "server-start");
		server_stop();
		return T_DONE("spf_test");
	}
	if ((r = resolver()) != NULL) {
		test_check_host(r);
		test_identities(r);
		test_deadline(r);
		test_trace(r);
		test_threads(r);
		dns_resolver_free(&r);
	}
	server_stop();
	return T_DONE("spf_test");
}
