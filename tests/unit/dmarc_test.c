/*
 * tests/unit/dmarc_test.c -- DMARC: record parsing, canonical domains and
 * Punycode, Author Domains from crafted From fields, and evaluation
 * against tests/lib/dnsserver.py on 127.0.0.1 (alignment matrix, DNS Tree
 * Walk with psd=, sp/np, t=y, pct=, several and malformed records, DNS
 * failures), and the Authentication-Results piece. One zone serves every
 * evaluation case: each case has names of its own. Every wait is bounded.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/dns.h"
#include "dmarc/author.h"
#include "dmarc/domain.h"
#include "dmarc/policy.h"
#include "dmarc/psl.h"
#include "dmarc/record.h"
#include "tests/lib/dnstest.h"
#include "tests/lib/test.h"

/* ---- records ------------------------------------------------------------- */

#define RUA3 "mailto:a@x.test, mailto:b@x.test!10m, https://r.test/x"

static void test_record(void)
{
	static const struct {
		const char *label, *txt;
		enum sg_status st;
		bool usable;
		enum dmarc_req p, sp, np;
		enum dmarc_psd psd;
		bool t, adkim_s, aspf_s;
		unsigned pct;
		size_t n_rua;
	} cases[] = {
#define U DMARC_REQ_UNSET
#define N DMARC_REQ_NONE
#define Q DMARC_REQ_QUARANTINE
#define R DMARC_REQ_REJECT
		{ "minimal", "v=DMARC1; p=none", SG_OK, true, N, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "full", "v=DMARC1; p=reject; sp=quarantine; np=none; psd=n; t=y; adkim=s; "
		  "aspf=s; pct=50; fo=1:d:s; ri=3600; rf=afrf; rua=" RUA3 "; ruf=mailto:f@x.test",
		  SG_OK, true, R, Q, N, DMARC_PSD_N, true, true, true, 50, 3 },
		{ "names-and-words-any-case", "V=DMARC1; P=Reject; SP=NONE; ADKIM=S; Psd=Y",
		  SG_OK, true, R, N, U, DMARC_PSD_Y, false, true, false, 100, 0 },
		{ "version-case-sensitive", "v=dmarc1; p=reject", SG_E_NOTFOUND, false, U, U, U, 0, false, false, false, 0, 0 },
		{ "version-not-first", "p=reject; v=DMARC1", SG_E_NOTFOUND, false, U, U, U, 0, false, false, false, 0, 0 },
		{ "version-2", "v=DMARC2; p=reject", SG_E_NOTFOUND, false, U, U, U, 0, false, false, false, 0, 0 },
		{ "version-glued", "v=DMARC1x; p=reject", SG_E_NOTFOUND, false, U, U, U, 0, false, false, false, 0, 0 },
		{ "version-no-separator", "v=DMARC1 p=reject", SG_E_NOTFOUND, false, U, U, U, 0, false, false, false, 0, 0 },
		{ "empty", "", SG_E_NOTFOUND, false, U, U, U, 0, false, false, false, 0, 0 },
		{ "spf-record", "v=spf1 -all", SG_E_NOTFOUND, false, U, U, U, 0, false, false, false, 0, 0 },
		{ "version-only", "v=DMARC1", SG_OK, false, U, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "no-p-with-rua", "v=DMARC1; rua=mailto:x@y.test", SG_OK, true, N, U, U, DMARC_PSD_U, false, false, false, 100, 1 },
		{ "bad-p-with-rua", "v=DMARC1; p=bogus; rua=mailto:x@y.test", SG_OK, true, N, U, U, DMARC_PSD_U, false, false, false, 100, 1 },
		{ "bad-p-no-rua", "v=DMARC1; p=bogus", SG_OK, false, U, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "bad-sp-no-rua", "v=DMARC1; p=reject; sp=bogus", SG_OK, false, U, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "bad-sp-with-rua", "v=DMARC1; p=reject; sp=bogus; rua=mailto:x@y.test",
		  SG_OK, true, N, U, U, DMARC_PSD_U, false, false, false, 100, 1 },
		{ "bad-np-bad-rua", "v=DMARC1; p=reject; np=bogus; rua=nonsense", SG_OK, false, U, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "bad-pct", "v=DMARC1; p=reject; pct=500", SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "negative-pct", "v=DMARC1; p=reject; pct=-1", SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "pct-zero-padded", "v=DMARC1; p=reject; pct=050", SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 50, 0 },
		{ "duplicate-p", "v=DMARC1; p=reject; p=none", SG_OK, false, U, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "unknown-and-broken-tags", "v=DMARC1; p=reject; foo=bar; x_y=1; =z; junk; 9=1",
		  SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "spaces-around-equals", "v = DMARC1 ;  p = quarantine ; adkim = s",
		  SG_OK, true, Q, U, U, DMARC_PSD_U, false, true, false, 100, 0 },
		{ "trailing-semicolon", "v=DMARC1;p=reject;", SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "empty-tag-spec", "v=DMARC1; p=reject;; sp=none", SG_OK, true, R, N, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "bad-optional-values", "v=DMARC1; p=reject; adkim=x; aspf=q; t=maybe; psd=q; fo=0:1",
		  SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "tab-and-fws", "v=DMARC1\t;\r\n p=reject", SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "leading-space", "  v=DMARC1; p=reject", SG_OK, true, R, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "non-ascii-value", "v=DMARC1; p=r\xc3\xa9ject", SG_OK, false, U, U, U, DMARC_PSD_U, false, false, false, 100, 0 },
		{ "uri-list-validity", "v=DMARC1; p=none; rua=mailto:a@x, ftp, https://r.test/x, mailto:b@x!5, mailto:c@x!k, :x",
		  SG_OK, true, N, U, U, DMARC_PSD_U, false, false, false, 100, 3 },
#undef U
#undef N
#undef Q
#undef R
	};
	struct dmarc_record r;
	const char *why;

	for (size_t i = 0; i < NELEM(cases); i++) {
		enum sg_status st = dmarc_record_parse(cases[i].txt, strlen(cases[i].txt), &r, &why);

		T_EXPECT(st == cases[i].st, cases[i].label);
		if (st == SG_OK && cases[i].st == SG_OK) {
			T_EXPECT(r.usable == cases[i].usable, cases[i].label);
			T_EXPECT(r.p == cases[i].p, cases[i].label);
			T_EXPECT(r.sp == cases[i].sp && r.np == cases[i].np, cases[i].label);
			T_EXPECT(r.psd == cases[i].psd && r.t == cases[i].t, cases[i].label);
			T_EXPECT(r.adkim_strict == cases[i].adkim_s && r.aspf_strict == cases[i].aspf_s,
				 cases[i].label);
			T_EXPECT(r.pct == cases[i].pct && r.n_rua == cases[i].n_rua, cases[i].label);
			if (!r.usable)
				T_EXPECT(why != NULL, cases[i].label);
		}
		dmarc_record_clear(&r);
	}
}

static void test_record_details(void)
{
	static const char full[] = "v=DMARC1; p=reject; fo=d:1; ri=3600; rua=" RUA3
				   "; ruf=mailto:f@x.test";
	static const char nul[] = "v=DMARC1; p=reject\0; sp=none";
	struct dmarc_record r, c;
	char big[DMARC_MAX_RECORD + 64], *p = big;
	const char *why;

	T_EXPECT(dmarc_record_parse(full, strlen(full), &r, &why) == SG_OK, "details parse");
	T_EXPECT(r.fo == (DMARC_FO_D | DMARC_FO_1) && r.ri == 3600, "fo and ri");
	T_EXPECT(r.n_rua == 3 && r.n_ruf == 1, "uri counts");
	if (r.n_rua == 3 && r.n_ruf == 1) {
		T_EXPECT_STR(r.rua[0], "mailto:a@x.test", "rua 1");
		T_EXPECT_STR(r.rua[1], "mailto:b@x.test", "rua 2, size suffix cut");
		T_EXPECT_STR(r.rua[2], "https://r.test/x", "rua 3");
		T_EXPECT_STR(r.ruf[0], "mailto:f@x.test", "ruf");
	}
	T_EXPECT(dmarc_record_copy(&c, &r) == SG_OK, "copy");
	dmarc_record_clear(&r);
	T_EXPECT(c.n_rua == 3 && c.n_ruf == 1 && c.uris != NULL, "copy counts");
	if (c.n_rua == 3 && c.n_ruf == 1) {
		T_EXPECT_STR(c.rua[2], "https://r.test/x", "copy rua");
		T_EXPECT_STR(c.ruf[0], "mailto:f@x.test", "copy ruf");
	}
	dmarc_record_clear(&c);
	T_EXPECT(c.uris == NULL && c.n_rua == 0, "clear zeroes");

	/* A NUL byte spoils the tag it is in, nothing else. */
	T_EXPECT(dmarc_record_parse(nul, sizeof nul - 1, &r, &why) == SG_OK && !r.usable,
		 "NUL inside p= value");
	dmarc_record_clear(&r);

	/* Long rua lists keep DMARC_MAX_URIS; long records are dropped. */
	p += sprintf(p, "v=DMARC1; p=none; rua=");
	for (int i = 0; i < 20; i++)
		p += sprintf(p, "%smailto:r%d@x.test", i ? "," : "", i);
	T_EXPECT(dmarc_record_parse(big, strlen(big), &r, &why) == SG_OK &&
		 r.n_rua == DMARC_MAX_URIS, "rua capped");
	dmarc_record_clear(&r);
	memset(big, 'x', sizeof big);
	memcpy(big, "v=DMARC1; p=none; x=", 20);
	T_EXPECT(dmarc_record_parse(big, sizeof big, &r, &why) == SG_E_NOTFOUND, "too long");
	dmarc_record_clear(&r);
}

/* ---- domains ------------------------------------------------------------- */

static void test_domain(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "example.org", "example.org" },
		{ "EXAMPLE.Org.", "example.org" },
		{ "b\xc3\xa9.example", "xn--b-bga.example" },
		{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example" },
		{ "\xe4\xbb\x96\xe4\xbb\xac\xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88\xe4\xb8\x8d"
		  "\xe8\xaf\xb4\xe4\xb8\xad\xe6\x96\x87.test",		/* RFC 3492 7.1 (A) */
		  "xn--ihqwcrb4cv8a8dqg056pqjye.test" },
		{ "\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn", "xn--85x722f.xn--55qx5d.cn" },
		{ "_dmarc.x.test", "_dmarc.x.test" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
		{ "", NULL },
		{ ".", NULL },
		{ ".example.org", NULL },
		{ "example..org", NULL },
		{ "exa mple.org", NULL },
		{ "example.org\xe2\x80\x80", NULL },		/* U+2000 EN QUAD */
		{ "exa\xe2\x80\x8bmple.org", NULL },		/* U+200B ZERO WIDTH SPACE */
		{ "example.org\xc2\xa0", NULL },		/* U+00A0 NO-BREAK SPACE */
		{ "\xef\xbb\xbf" "example.org", NULL },		/* U+FEFF BOM */
		{ "ex\xffmple.org", NULL },			/* not UTF-8 */
		{ "ex\xc0\xafmple.org", NULL },			/* overlong "/" */
		{ "ex\xed\xa0\x80mple.org", NULL },		/* a surrogate */
		{ "b\xc3\xa9!.example", NULL },			/* non-LDH beside a U-label */
		{ "a@b.example", NULL },
		{ "[192.0.2.1]", NULL },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", NULL },
	};
	char out[DNS_MAX_NAME + 1], name[400];
	const char *why;

	for (size_t i = 0; i < NELEM(cases); i++) {
		enum sg_status st = dmarc_domain_norm(cases[i].in, strlen(cases[i].in), out, &why);

		if (cases[i].want == NULL)
			T_EXPECT(st == SG_E_SYNTAX, cases[i].in);
		else
			T_EXPECT_STR(st == SG_OK ? out : "(error)", cases[i].want, cases[i].in);
	}
	/* 253 octets pass, 254 do not. */
	memset(name, 'a', sizeof name);
	for (size_t i = 63; i < sizeof name; i += 64)
		name[i] = '.';
	T_EXPECT(dmarc_domain_norm(name, 253, out, &why) == SG_OK && strlen(out) == 253, "253 octets");
	T_EXPECT(dmarc_domain_norm(name, 254, out, &why) == SG_E_SYNTAX, "254 octets");

	T_EXPECT(dmarc_labels("a.b.c") == 3 && dmarc_labels("c") == 1 && dmarc_labels("") == 0,
		 "labels");
	T_EXPECT(dmarc_suffix_off("a.b.c", 2) == 2 && dmarc_suffix_off("a.b.c", 3) == 0 &&
		 dmarc_suffix_off("a.b.c", 9) == 0 && dmarc_suffix_off("a.b.c", 0) == 5,
		 "suffix offsets");
	T_EXPECT(dmarc_is_under("a.b.c", "b.c") && dmarc_is_under("b.c", "b.c") &&
		 !dmarc_is_under("ab.c", "b.c") && !dmarc_is_under("c", "b.c"), "is_under");
}

/* ---- Author Domains -------------------------------------------------------- */

static void test_authors(void)
{
	static const struct {
		const char *label;
		const char *from[2];
		size_t n_fields;
		unsigned flags;
		enum sg_status st;
		size_t n;
		const char *d0, *d1;
		bool reject;
	} cases[] = {
		{ "plain", { "a@Example.ORG" }, 1, 0, SG_OK, 1, "example.org", NULL, false },
		{ "display-name", { "\"Jane\" <jane@example.org>" }, 1, 0, SG_OK, 1, "example.org", NULL, false },
		{ "display-name-looks-like-address", { "\"admin@legit.example\" <any@attacker.example>" },
		  1, 0, SG_OK, 1, "attacker.example", NULL, false },
		{ "unquoted-display-name-address", { "admin@legit.example <any@attacker.example>" },
		  1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "comments-inside-address", { "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>" },
		  1, 0, SG_OK, 1, "silly.test", NULL, false },
		{ "comment-with-comma", { "a@example.org (Doe, John)" }, 1, 0, SG_OK, 1, "example.org", NULL, false },
		{ "quoted-comma", { "\"Doe, John\" <j@example.org>" }, 1, 0, SG_OK, 1, "example.org", NULL, false },
		{ "obs-route", { "<@attacker.example,@any.example:admin@legit.example>" },
		  1, 0, SG_OK, 1, "legit.example", NULL, false },
		{ "utf8-domain", { "a@b\xc3\xa9.example" }, 1, 0, SG_OK, 1, "xn--b-bga.example", NULL, false },
		{ "encoded-word-as-address", { "=?utf-8?B?PGFkbWluQGxlZ2l0LmV4YW1wbGU+?=" },
		  1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "encoded-word-domain", { "a@=?utf-8?B?bGVnaXQuZXhhbXBsZQ==?=" },
		  1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "encoded-word-then-address", { "=?utf-8?B?PGFkbWluQGxlZ2l0LmV4YW1wbGU+?=,<x@attacker.example>" },
		  1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "quoted-pair-outside-quotes", { "<admin@legit.example>\\,<x@attacker.example>" },
		  1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "trailing-garbage", { "<x@attacker.example>admin@legit.example" },
		  1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "invisible-trailing-char", { "<admin@legit.example\xe2\x80\x80>" },
		  1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "no-from", { NULL }, 0, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "two-from-fields", { "a@x.example", "b@x.example" }, 2, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "two-mailboxes-two-domains", { "<a@attacker.example>, <b@legit.example>" },
		  1, 0, SG_OK, 2, "attacker.example", "legit.example", true },
		{ "two-mailboxes-one-domain", { "a@example.org, B@EXAMPLE.org" }, 1, 0, SG_OK, 1,
		  "example.org", NULL, false },
		{ "two-mailboxes-one-domain-strict", { "a@example.org, b@example.org" }, 1,
		  DMARC_AUTHOR_REJECT_MULTI, SG_OK, 1, "example.org", NULL, true },
		{ "empty-member", { "a@example.org,,b@example.org" }, 1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "trailing-comma", { "a@example.org," }, 1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "group", { "undisclosed: a@example.org;" }, 1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "unterminated-quote", { "\"a@example.org" }, 1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "backslash-at-end-in-quote", { "\"abc\\" }, 1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "address-literal", { "a@[192.0.2.1]" }, 1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
		{ "empty", { "" }, 1, 0, SG_E_SYNTAX, 0, NULL, NULL, true },
	};
	struct dmarc_authors au;

	for (size_t i = 0; i < NELEM(cases); i++) {
		size_t lens[2] = { 0, 0 };
		enum sg_status st;

		for (size_t k = 0; k < cases[i].n_fields; k++)
			lens[k] = strlen(cases[i].from[k]);
		st = dmarc_authors(cases[i].from, lens, cases[i].n_fields, cases[i].flags, &au);
		T_EXPECT(st == cases[i].st, cases[i].label);
		T_EXPECT(au.n == cases[i].n && au.reject == cases[i].reject, cases[i].label);
		if (st != SG_OK)
			T_EXPECT(au.why != NULL, cases[i].label);
		if (cases[i].d0 != NULL && au.n > 0)
			T_EXPECT_STR(au.domain[0], cases[i].d0, cases[i].label);
		if (cases[i].d1 != NULL && au.n > 1)
			T_EXPECT_STR(au.domain[1], cases[i].d1, cases[i].label);
	}
}

/* ---- the DNS server -------------------------------------------------------- */

static struct dnstest dt = DNSTEST_INIT;

static const char zone[] =
	/* alignment matrix */
	"_dmarc.al.test: [ {TXT: \"v=DMARC1; p=reject\"} ]\n"
	"_dmarc.als.test: [ {TXT: \"v=DMARC1; p=reject; adkim=s; aspf=s\"} ]\n"
	"_dmarc.sub.al2.test: [ {TXT: \"v=DMARC1; p=none\"} ]\n"
	"_dmarc.al2.test: [ {TXT: \"v=DMARC1; p=reject\"} ]\n"
	"_dmarc.a.co.test: [ {TXT: \"v=DMARC1; p=reject\"} ]\n"
	/* tree walk */
	"_dmarc.walk.test: [ {TXT: \"v=DMARC1; p=quarantine; sp=reject\"} ]\n"
	"_dmarc.pn.test: [ {TXT: \"v=DMARC1; p=reject\"} ]\n"
	"_dmarc.dept.pn.test: [ {TXT: \"v=DMARC1; p=none; psd=n\"} ]\n"
	"_dmarc.psd.test: [ {TXT: \"v=DMARC1; p=reject; psd=y; np=quarantine\"} ]\n"
	"_dmarc.bank.psd.test: [ {TXT: \"v=DMARC1; p=none; sp=quarantine\"} ]\n"
	"mail.bank.psd.test: [ {A: 192.0.2.1} ]\n"
	"evil.psd.test: [ {A: 192.0.2.2} ]\n"
	"_dmarc.self.test: [ {TXT: \"v=DMARC1; p=reject; psd=y\"} ]\n"
	"_dmarc.mail.mid.test: [ {TXT: \"v=DMARC1; p=none\"} ]\n"
	"_dmarc.mid.test: [ {TXT: \"v=DMARC1; p=reject; sp=quarantine\"} ]\n"
	"_dmarc.sub.multi.test: [ {TXT: \"v=DMARC1; p=reject\"}, {TXT: \"v=DMARC1; p=none\"} ]\n"
	"_dmarc.multi.test: [ {TXT: \"v=DMARC1; p=quarantine\"} ]\n"
	"sub.multi.test: [ {A: 192.0.2.3} ]\n"
	"_dmarc.two.test: [ {TXT: \"v=DMARC1; p=reject\"}, {TXT: \"v=DMARC1; p=none\"} ]\n"
	"_dmarc.mixed.test: [ {TXT: \"v=spf1 -all\"}, {TXT: [\"v=DMARC1; \", \"p=reject\"]} ]\n"
	/* sp / np */
	"_dmarc.np.test: [ {TXT: \"v=DMARC1; p=none; sp=quarantine; np=reject\"} ]\n"
	"exists.np.test: [ {A: 192.0.2.4} ]\n"
	"txtonly.np.test: [ {TXT: \"hello\"} ]\n"
	"mx.np.test: [ {MX: [10, mx.example]} ]\n"
	"_dmarc.nonp.test: [ {TXT: \"v=DMARC1; p=quarantine; sp=none\"} ]\n"
	"_dmarc.nosp.test: [ {TXT: \"v=DMARC1; p=reject; np=reject\"} ]\n"
	/* t=y, pct= */
	"_dmarc.tr.test: [ {TXT: \"v=DMARC1; p=reject; t=y\"} ]\n"
	"_dmarc.tq.test: [ {TXT: \"v=DMARC1; p=quarantine; t=y\"} ]\n"
	"_dmarc.tn.test: [ {TXT: \"v=DMARC1; p=none; t=y\"} ]\n"
	"_dmarc.pct.test: [ {TXT: \"v=DMARC1; p=reject; pct=50\"} ]\n"
	/* malformed */
	"_dmarc.badp.test: [ {TXT: \"v=DMARC1; p=bogus; rua=mailto:x@badp.test\"} ]\n"
	"_dmarc.badpnorua.test: [ {TXT: \"v=DMARC1; p=bogus\"} ]\n"
	"_dmarc.notfirst.test: [ {TXT: \"p=reject; v=DMARC1\"} ]\n"
	/* DNS failures */
	"_dmarc.sf.test: [ {SERVFAIL: true} ]\n"
	"_dmarc.mid.sfw.test: [ {SERVFAIL: true} ]\n"
	"_dmarc.alt.test: [ {TXT: \"v=DMARC1; p=reject\"} ]\n"
	"_dmarc.bad.alt.test: [ {SERVFAIL: true} ]\n"
	"_dmarc.ex.test: [ {TXT: \"v=DMARC1; p=reject; np=none\"} ]\n"
	"sfname.ex.test: [ {SERVFAIL: true} ]\n";

static bool server_start(void)
{
	FILE *f;

	if (!dnstest_prepare(&dt, "dmarc_test") || (f = fopen(dt.zone, "w")) == NULL)
		return false;
	fputs(zone, f);
	return fclose(f) == 0 && dnstest_start(&dt, false, false);
}

static void server_stop(void)
{
	dnstest_stop(&dt);
}

static struct dns_resolver *resolver_to(const char *addr, int timeout_ms)
{
	const char *servers[1] = { addr };
	struct dns_opts o;
	const char *why;

	dns_opts_default(&o);
	o.servers = servers;
	o.n_servers = 1;
	o.timeout_ms = timeout_ms;
	o.tries = 1;
	return dns_resolver_new(&o, &why);
}

/* ---- evaluation ------------------------------------------------------------ */

static unsigned fixed_roll(void *arg)
{
	return *(unsigned *)arg;
}

#define NODKIM	{ { NULL, false } }
#define MAXDKIM	3

struct eval_case {
	const char *label;
	enum dmarc_mode mode;
	const char *author;
	struct dmarc_dkim_in dkim[MAXDKIM];
	const char *spf_domain;		/* NULL: no SPF result */
	enum dmarc_spf_result spf;
	int roll;			/* pct roll, -1: not used */
	enum dmarc_result result;
	enum dmarc_req policy, dis;
	enum dmarc_policy_tag tag;
	const char *aligned;		/* "dkim", "spf", "dkim+spf", "-" */
	const char *org, *policy_domain;	/* NULL: not checked */
	unsigned max_queries;		/* 0: not checked */
};

#define R9 DMARC_MODE_RFC9989
#define R7 DMARC_MODE_RFC7489
#define PASS DMARC_RESULT_PASS
#define FAIL DMARC_RESULT_FAIL
#define NONE DMARC_RESULT_NONE
#define TEMP DMARC_RESULT_TEMPERROR
#define PERM DMARC_RESULT_PERMERROR
#define Un DMARC_REQ_UNSET
#define No DMARC_REQ_NONE
#define Qu DMARC_REQ_QUARANTINE
#define Re DMARC_REQ_REJECT
#define TP DMARC_TAG_P
#define TS DMARC_TAG_SP
#define TN DMARC_TAG_NP
#define T0 DMARC_TAG_NONE
#define SPASS DMARC_SPF_PASS

static const struct eval_case eval_cases[] = {
	/* alignment matrix: relaxed (al.test) and strict (als.test) */
	{ "dkim-exact", R9, "al.test", { { "al.test", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", "al.test", "al.test", 0 },
	{ "dkim-exact-case", R9, "AL.test", { { "aL.TEST.", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", NULL, NULL, 0 },
	{ "dkim-relaxed-child", R9, "al.test", { { "mail.al.test", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", NULL, NULL, 0 },
	{ "dkim-relaxed-parent", R9, "news.al.test", { { "al.test", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", "al.test", "al.test", 0 },
	{ "dkim-relaxed-sibling", R9, "a.al.test", { { "b.al.test", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", NULL, NULL, 0 },
	{ "dkim-failed-signature", R9, "al.test", { { "al.test", false } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "dkim-one-of-many", R9, "al.test", { { "esp.example", true }, { "al.test", false },
	  { "x.al.test", true } }, NULL, 0, -1, PASS, Re, No, TP, "dkim", NULL, NULL, 0 },
	{ "dkim-lookalike-prefix", R9, "al.test", { { "xal.test", true } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "dkim-lookalike-suffix", R9, "al.test", { { "al.test.evil.example", true } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "dkim-unrelated", R9, "al.test", { { "other.example", true } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "dkim-garbage-domain", R9, "al.test", { { "al test", true }, { "", true } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "dkim-strict-exact", R9, "als.test", { { "als.test", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", NULL, NULL, 0 },
	{ "dkim-strict-child", R9, "als.test", { { "mail.als.test", true } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "spf-relaxed-child", R9, "al.test", NODKIM, "bounce.al.test", SPASS, -1,
	  PASS, Re, No, TP, "spf", NULL, NULL, 0 },
	{ "spf-strict-child", R9, "als.test", NODKIM, "bounce.als.test", SPASS, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "spf-strict-exact", R9, "als.test", NODKIM, "ALS.test", SPASS, -1,
	  PASS, Re, No, TP, "spf", NULL, NULL, 0 },
	{ "spf-softfail", R9, "al.test", NODKIM, "al.test", DMARC_SPF_SOFTFAIL, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "spf-neutral", R9, "al.test", NODKIM, "al.test", DMARC_SPF_NEUTRAL, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "both-aligned", R9, "al.test", { { "al.test", true } }, "al.test", SPASS, -1,
	  PASS, Re, No, TP, "dkim+spf", NULL, NULL, 0 },
	{ "nothing-at-all", R9, "al.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	/* a record below the Organizational Domain does not move it (4.10.2) */
	{ "own-record-org-above", R9, "sub.al2.test", { { "x.al2.test", true } }, NULL, 0, -1,
	  PASS, No, No, TP, "dkim", "al2.test", "sub.al2.test", 0 },
	{ "psl-boundary-9989", R9, "a.co.test", { { "b.co.test", true } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", "a.co.test", NULL, 0 },
	{ "psl-boundary-7489", R7, "a.co.test", { { "b.co.test", true } }, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", "a.co.test", NULL, 0 },
	{ "relaxed-child-7489", R7, "al.test", { { "mail.al.test", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", "al.test", NULL, 0 },

	/* the tree walk: 12 labels cost 8 queries and still find walk.test */
	{ "deep-author", R9, "a.b.c.d.e.f.g.h.i.j.walk.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TS, "-", "walk.test", "walk.test", 8 },
	{ "deep-author-aligned", R9, "a.b.c.d.e.f.g.h.i.j.walk.test", { { "walk.test", true } },
	  NULL, 0, -1, PASS, Re, No, TS, "dkim", "walk.test", "walk.test", 8 },
	{ "deep-author-7489", R7, "a.b.c.d.e.f.g.h.i.j.walk.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TS, "-", "walk.test", "walk.test", 2 },
	{ "psd-n-is-org", R9, "x.dept.pn.test", NODKIM, NULL, 0, -1,
	  FAIL, No, No, TP, "-", "dept.pn.test", "dept.pn.test", 3 },
	{ "psd-n-parent-not-aligned", R9, "x.dept.pn.test", { { "pn.test", true } }, NULL, 0, -1,
	  FAIL, No, No, TP, "-", "dept.pn.test", NULL, 0 },
	{ "psd-n-sibling-aligned", R9, "x.dept.pn.test", { { "y.dept.pn.test", true } }, NULL, 0, -1,
	  PASS, No, No, TP, "dkim", "dept.pn.test", NULL, 0 },
	{ "psd-y-own-record", R9, "bank.psd.test", NODKIM, NULL, 0, -1,
	  FAIL, No, No, TP, "-", "bank.psd.test", "bank.psd.test", 0 },
	{ "psd-y-org-record", R9, "mail.bank.psd.test", NODKIM, NULL, 0, -1,
	  FAIL, Qu, Qu, TS, "-", "bank.psd.test", "bank.psd.test", 0 },
	{ "psd-y-siblings-not-aligned", R9, "bank.psd.test", { { "mega.psd.test", true } }, NULL, 0, -1,
	  FAIL, No, No, TP, "-", "bank.psd.test", NULL, 0 },
	{ "psd-y-child-aligned", R9, "bank.psd.test", { { "mail.bank.psd.test", true } }, NULL, 0, -1,
	  PASS, No, No, TP, "dkim", NULL, NULL, 0 },
	{ "psd-policy-existing", R9, "evil.psd.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", "evil.psd.test", "psd.test", 0 },
	{ "psd-policy-nonexistent", R9, "ghost.psd.test", NODKIM, NULL, 0, -1,
	  FAIL, Qu, Qu, TN, "-", "ghost.psd.test", "psd.test", 0 },
	{ "psd-y-at-author", R9, "self.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", "self.test", "self.test", 0 },
	{ "intermediate-record-skipped", R9, "a.mail.mid.test", NODKIM, NULL, 0, -1,
	  FAIL, Qu, Qu, TS, "-", "mid.test", "mid.test", 0 },
	{ "several-at-author-walk-goes-on", R9, "sub.multi.test", NODKIM, NULL, 0, -1,
	  FAIL, Qu, Qu, TP, "-", "multi.test", "multi.test", 0 },
	{ "several-at-author-7489", R7, "sub.multi.test", NODKIM, NULL, 0, -1,
	  NONE, Un, No, T0, "-", NULL, "", 0 },
	{ "several-records", R9, "two.test", { { "two.test", true } }, NULL, 0, -1,
	  NONE, Un, No, T0, "-", NULL, "", 0 },
	{ "non-dmarc-txt-discarded", R9, "mixed.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, "mixed.test", 0 },
	{ "no-record", R9, "nothing.example", { { "nothing.example", true } }, NULL, 0, -1,
	  NONE, Un, No, T0, "-", "nothing.example", "", 0 },

	/* sp and np; existence by NXDOMAIN (9989) or no A/AAAA/MX (7489+9091) */
	{ "sp-existing", R9, "exists.np.test", NODKIM, NULL, 0, -1,
	  FAIL, Qu, Qu, TS, "-", "np.test", "np.test", 0 },
	{ "np-nonexistent", R9, "ghost.np.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TN, "-", "np.test", "np.test", 0 },
	{ "np-nonexistent-7489", R7, "ghost.np.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TN, "-", "np.test", "np.test", 0 },
	{ "np-txt-only-9989-exists", R9, "txtonly.np.test", NODKIM, NULL, 0, -1,
	  FAIL, Qu, Qu, TS, "-", NULL, NULL, 0 },
	{ "np-txt-only-7489-nonexistent", R7, "txtonly.np.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TN, "-", NULL, NULL, 0 },
	{ "np-mx-only-7489-exists", R7, "mx.np.test", NODKIM, NULL, 0, -1,
	  FAIL, Qu, Qu, TS, "-", NULL, NULL, 0 },
	{ "np-author-is-org", R9, "np.test", NODKIM, NULL, 0, -1,
	  FAIL, No, No, TP, "-", NULL, NULL, 0 },
	{ "np-absent-uses-sp", R9, "ghost.nonp.test", NODKIM, NULL, 0, -1,
	  FAIL, No, No, TS, "-", NULL, NULL, 0 },
	{ "np-pass-needs-no-lookup", R9, "ghost.np.test", { { "np.test", true } }, NULL, 0, -1,
	  PASS, Qu, No, TS, "dkim", NULL, NULL, 0 },
	{ "sp-absent-uses-p", R9, "exists.nosp.test", NODKIM, NULL, 0, -1,
	  FAIL, Re, Re, TP, "-", NULL, NULL, 0 },

	/* t=y: one level down, never below none; pct only in RFC 7489 mode */
	{ "t-reject", R9, "tr.test", NODKIM, NULL, 0, -1, FAIL, Re, Qu, TP, "-", NULL, NULL, 0 },
	{ "t-quarantine", R9, "tq.test", NODKIM, NULL, 0, -1, FAIL, Qu, No, TP, "-", NULL, NULL, 0 },
	{ "t-none", R9, "tn.test", NODKIM, NULL, 0, -1, FAIL, No, No, TP, "-", NULL, NULL, 0 },
	{ "t-pass", R9, "tr.test", { { "tr.test", true } }, NULL, 0, -1,
	  PASS, Re, No, TP, "dkim", NULL, NULL, 0 },
	{ "t-reject-7489", R7, "tr.test", NODKIM, NULL, 0, -1, FAIL, Re, Qu, TP, "-", NULL, NULL, 0 },
	{ "pct-selected", R7, "pct.test", NODKIM, NULL, 0, 49, FAIL, Re, Re, TP, "-", NULL, NULL, 0 },
	{ "pct-not-selected", R7, "pct.test", NODKIM, NULL, 0, 50, FAIL, Re, Qu, TP, "-", NULL, NULL, 0 },
	{ "pct-ignored-9989", R9, "pct.test", NODKIM, NULL, 0, 99, FAIL, Re, Re, TP, "-", NULL, NULL, 0 },

	/* malformed records */
	{ "bad-p-with-rua", R9, "badp.test", NODKIM, NULL, 0, -1, FAIL, No, No, TP, "-", NULL, NULL, 0 },
	{ "bad-p-no-rua", R9, "badpnorua.test", NODKIM, NULL, 0, -1,
	  NONE, Un, No, T0, "-", NULL, NULL, 0 },
	{ "version-not-first", R9, "notfirst.test", NODKIM, NULL, 0, -1,
	  NONE, Un, No, T0, "-", NULL, "", 0 },
	{ "bad-author", R9, "exa mple.test", NODKIM, NULL, 0, -1,
	  PERM, Un, No, T0, "-", NULL, NULL, 0 },

	/* DNS failures: temperror, never a disposition */
	{ "servfail-at-author", R9, "sf.test", NODKIM, NULL, 0, -1,
	  TEMP, Un, No, T0, "-", NULL, NULL, 0 },
	{ "servfail-at-author-7489", R7, "sf.test", NODKIM, NULL, 0, -1,
	  TEMP, Un, No, T0, "-", NULL, NULL, 0 },
	{ "servfail-mid-walk", R9, "a.mid.sfw.test", NODKIM, NULL, 0, -1,
	  TEMP, Un, No, T0, "-", NULL, NULL, 0 },
	{ "servfail-alignment-walk", R9, "alt.test", { { "x.bad.alt.test", true } }, NULL, 0, -1,
	  TEMP, Un, No, T0, "-", NULL, NULL, 0 },
	{ "servfail-alignment-but-spf-passes", R9, "alt.test", { { "x.bad.alt.test", true } },
	  "alt.test", SPASS, -1, PASS, Re, No, TP, "spf", NULL, NULL, 0 },
	{ "servfail-existence-check", R9, "sfname.ex.test", NODKIM, NULL, 0, -1,
	  TEMP, Un, No, T0, "-", NULL, NULL, 0 },
};

static const char *aligned_name(const struct dmarc_outcome *o)
{
	if (o->dkim_aligned && o->spf_aligned)
		return "dkim+spf";
	return o->dkim_aligned ? "dkim" : o->spf_aligned ? "spf" : "-";
}

static void test_eval(struct dns_resolver *r, const struct dmarc_psl *psl)
{
	for (size_t i = 0; i < NELEM(eval_cases); i++) {
		const struct eval_case *c = &eval_cases[i];
		unsigned roll = c->roll < 0 ? 0 : (unsigned)c->roll;
		struct dmarc_opts o = { .mode = c->mode, .resolver = r, .psl = psl,
					.pct_roll = c->roll < 0 ? NULL : fixed_roll,
					.pct_arg = &roll };
		struct dmarc_spf_in spf = { c->spf_domain, c->spf };
		struct dmarc_input in = { .author = c->author, .dkim = c->dkim,
					  .spf = c->spf_domain != NULL ? &spf : NULL };
		struct dmarc_outcome out;
		char label[128];

		while (in.n_dkim < MAXDKIM && c->dkim[in.n_dkim].domain != NULL)
			in.n_dkim++;
		T_EXPECT(dmarc_policy_eval(&o, &in, &out) == SG_OK, c->label);
		snprintf(label, sizeof label, "%s: result %s", c->label,
			 dmarc_result_name(out.result));
		T_EXPECT(out.result == c->result, label);
		snprintf(label, sizeof label, "%s: policy %s/%s dis %s", c->label,
			 dmarc_policy_tag_name(out.policy_tag), dmarc_req_name(out.policy),
			 dmarc_req_name(out.disposition));
		T_EXPECT(out.policy == c->policy && out.disposition == c->dis &&
			 out.policy_tag == c->tag, label);
		snprintf(label, sizeof label, "%s: aligned", c->label);
		T_EXPECT_STR(aligned_name(&out), c->aligned, label);
		snprintf(label, sizeof label, "%s: org", c->label);
		if (c->org != NULL)
			T_EXPECT_STR(out.org_domain, c->org, label);
		snprintf(label, sizeof label, "%s: policy domain", c->label);
		if (c->policy_domain != NULL)
			T_EXPECT_STR(out.policy_domain, c->policy_domain, label);
		snprintf(label, sizeof label, "%s: %u queries", c->label, out.queries);
		if (c->max_queries > 0)
			T_EXPECT(out.queries <= c->max_queries, label);
		T_EXPECT(out.reason != NULL, c->label);
		if (out.result != DMARC_RESULT_FAIL)
			T_EXPECT(out.disposition == DMARC_REQ_NONE, c->label);
		dmarc_outcome_clear(&out);
	}
}

/* What the evaluation keeps for reports, and t=y/pct flags. */
static void test_outcome_details(struct dns_resolver *r)
{
	struct dmarc_opts o = { .mode = DMARC_MODE_RFC9989, .resolver = r };
	struct dmarc_input in = { .author = "badp.test" };
	struct dmarc_outcome out;

	T_EXPECT(dmarc_policy_eval(&o, &in, &out) == SG_OK, "details eval");
	T_EXPECT(out.record.n_rua == 1 && out.record.p_assumed, "rua kept, p assumed");
	if (out.record.n_rua == 1)
		T_EXPECT_STR(out.record.rua[0], "mailto:x@badp.test", "rua value");
	dmarc_outcome_clear(&out);
	in.author = "tr.test";
	T_EXPECT(dmarc_policy_eval(&o, &in, &out) == SG_OK && out.testing && !out.sampled_out,
		 "t=y flagged");
	dmarc_outcome_clear(&out);
	in.author = "al.test";
	o.mode = DMARC_MODE_RFC7489;		/* without a list */
	T_EXPECT(dmarc_policy_eval(&o, &in, &out) == SG_OK &&
		 out.result == DMARC_RESULT_PERMERROR, "7489 mode needs a PSL");
	dmarc_outcome_clear(&out);
}

/* A server that never answers: temperror within the timeout. */
static void test_dead_server(void)
{
	struct dns_resolver *r = resolver_to("127.0.0.1:9", 300);
	struct dmarc_opts o = { .mode = DMARC_MODE_RFC9989, .resolver = r };
	struct dmarc_input in = { .author = "example.org" };
	struct dmarc_outcome out;

	T_EXPECT(r != NULL, "dead resolver");
	if (r == NULL)
		return;
	T_EXPECT(dmarc_policy_eval(&o, &in, &out) == SG_OK &&
		 out.result == DMARC_RESULT_TEMPERROR &&
		 out.disposition == DMARC_REQ_NONE, "dead server: temperror");
	dmarc_outcome_clear(&out);
	dns_resolver_free(&r);
}

/* ---- Authentication-Results, worst outcome ------------------------------ */

static void test_authres(void)
{
	static const struct {
		const char *label;
		enum dmarc_result result;
		enum dmarc_req policy, dis;
		const char *author, *reason, *want;
	} cases[] = {
		{ "fail", DMARC_RESULT_FAIL, DMARC_REQ_REJECT, DMARC_REQ_REJECT, "example.com", "x",
		  "; dmarc=fail (p=reject dis=reject) header.from=example.com" },
		{ "fail-testing", DMARC_RESULT_FAIL, DMARC_REQ_REJECT, DMARC_REQ_QUARANTINE, "example.com", "x",
		  "; dmarc=fail (p=reject dis=quarantine) header.from=example.com" },
		{ "pass", DMARC_RESULT_PASS, DMARC_REQ_QUARANTINE, DMARC_REQ_NONE, "example.com", "x",
		  "; dmarc=pass (p=quarantine dis=none) header.from=example.com" },
		{ "none", DMARC_RESULT_NONE, DMARC_REQ_UNSET, DMARC_REQ_NONE, "example.com",
		  "no DMARC policy record",
		  "; dmarc=none (no DMARC policy record) header.from=example.com" },
		{ "temperror", DMARC_RESULT_TEMPERROR, DMARC_REQ_UNSET, DMARC_REQ_NONE, "example.com",
		  "timeout", "; dmarc=temperror (timeout) header.from=example.com" },
		{ "permerror-no-author", DMARC_RESULT_PERMERROR, DMARC_REQ_UNSET, DMARC_REQ_NONE, "",
		  "more than one From field (really)",
		  "; dmarc=permerror (more than one From field \\(really\\))" },
	};
	struct dmarc_outcome o;
	struct buf b;

	for (size_t i = 0; i < NELEM(cases); i++) {
		memset(&o, 0, sizeof o);
		o.result = cases[i].result;
		o.policy = cases[i].policy;
		o.disposition = cases[i].dis;
		o.reason = cases[i].reason;
		snprintf(o.author, sizeof o.author, "%s", cases[i].author);
		buf_init(&b, 1024);
		T_EXPECT(dmarc_authres(&b, &o, false) == SG_OK, cases[i].label);
		T_EXPECT_STR(b.data, cases[i].want, cases[i].label);
		buf_free(&b);
	}
	dmarc_outcome_permerror(&o, "x.example", "bad From");
	buf_init(&b, 1024);
	T_EXPECT(dmarc_authres(&b, &o, true) == SG_OK, "folded");
	T_EXPECT_STR(b.data, ";\r\n\tdmarc=permerror (bad From) header.from=x.example", "folded");
	buf_free(&b);
}

static void test_worse(void)
{
	static const struct { enum dmarc_result r; enum dmarc_req dis; } order[] = {
		{ DMARC_RESULT_PASS, DMARC_REQ_NONE },
		{ DMARC_RESULT_NONE, DMARC_REQ_NONE },
		{ DMARC_RESULT_PERMERROR, DMARC_REQ_NONE },
		{ DMARC_RESULT_TEMPERROR, DMARC_REQ_NONE },
		{ DMARC_RESULT_FAIL, DMARC_REQ_NONE },
		{ DMARC_RESULT_FAIL, DMARC_REQ_QUARANTINE },
		{ DMARC_RESULT_FAIL, DMARC_REQ_REJECT },
	};
	struct dmarc_outcome a, b;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	for (size_t i = 0; i + 1 < NELEM(order); i++) {
		a.result = order[i + 1].r;
		a.disposition = order[i + 1].dis;
		b.result = order[i].r;
		b.disposition = order[i].dis;
		T_EXPECT(dmarc_outcome_worse(&a, &b) && !dmarc_outcome_worse(&b, &a), "worse order");
	}
	T_EXPECT(!dmarc_outcome_worse(&a, &a), "not worse than itself");
}

int main(void)
{
	static const char list[] = "test\nco.test\n";
	struct dns_resolver *r = NULL;
	struct dmarc_psl *psl;
	const char *why;

	signal(SIGPIPE, SIG_IGN);
	test_record();
	test_record_details();
	test_domain();
	test_authors();
	test_authres();
	test_worse();
	psl = dmarc_psl_from_mem(list, sizeof list - 1, 0, &why);
	T_EXPECT(psl != NULL, "test PSL");
	if (!server_start()) {
		fprintf(stderr, "dmarc_test: cannot start tests/lib/dnsserver.py\n");
		T_EXPECT(false, "server-start");
	} else if ((r = resolver_to(dt.server4, 2000)) == NULL) {
		T_EXPECT(false, "resolver");
	} else {
		test_eval(r, psl);
		test_outcome_details(r);
	}
	dns_resolver_free(&r);
	server_stop();
	test_dead_server();
	dmarc_psl_free(&psl);
	return T_DONE("dmarc_test");
}
