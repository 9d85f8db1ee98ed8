/*
 * tests/unit/cidr_test.c -- network lists: parsing and matching.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/cidr.h"
#include "common/limits.h"
#include "tests/lib/test.h"

static void test_add(void)
{
	static const struct {
		const char *label, *text;
		enum sg_status st;
	} cases[] = {
		{ "v4-host",		"192.0.2.1",		SG_OK },
		{ "v4-net",		"10.0.0.0/8",		SG_OK },
		{ "v4-host-bits-set",	"10.1.2.3/8",		SG_OK },
		{ "v4-prefix-0",	"0.0.0.0/0",		SG_OK },
		{ "v4-prefix-32",	"192.0.2.1/32",		SG_OK },
		{ "v4-leading-zero-pfx","10.0.0.0/08",		SG_OK },
		{ "v6-host",		"::1",			SG_OK },
		{ "v6-net",		"2001:db8::/32",	SG_OK },
		{ "v6-prefix-0",	"::/0",			SG_OK },
		{ "v6-prefix-128",	"2001:db8::1/128",	SG_OK },
		{ "v6-dotted-tail",	"::ffff:10.0.0.0/104",	SG_OK },
		{ "v4-prefix-33",	"10.0.0.0/33",		SG_E_SYNTAX },
		{ "v6-prefix-129",	"::/129",		SG_E_SYNTAX },
		{ "prefix-1000",	"::/1000",		SG_E_SYNTAX },
		{ "prefix-negative",	"10.0.0.0/-1",		SG_E_SYNTAX },
		{ "prefix-plus",	"10.0.0.0/+8",		SG_E_SYNTAX },
		{ "prefix-empty",	"10.0.0.0/",		SG_E_SYNTAX },
		{ "prefix-junk",	"10.0.0.0/8x",		SG_E_SYNTAX },
		{ "prefix-space",	"10.0.0.0/ 8",		SG_E_SYNTAX },
		{ "two-slashes",	"10.0.0.0/8/8",		SG_E_SYNTAX },
		{ "empty",		"",			SG_E_SYNTAX },
		{ "slash-only",		"/8",			SG_E_SYNTAX },
		{ "v4-short",		"10.1",			SG_E_SYNTAX },
		{ "v4-octet-256",	"10.0.0.256",		SG_E_SYNTAX },
		{ "v4-trailing-dot",	"10.0.0.1.",		SG_E_SYNTAX },
		{ "leading-space",	" 10.0.0.1",		SG_E_SYNTAX },
		{ "trailing-space",	"10.0.0.1 ",		SG_E_SYNTAX },
		{ "hostname",		"localhost",		SG_E_SYNTAX },
		{ "v6-zone",		"fe80::1%eth0",		SG_E_SYNTAX },
		{ "v6-two-gaps",	"1::2::3",		SG_E_SYNTAX },
		{ "v6-bad-hex",		"2001:db8::g",		SG_E_SYNTAX },
		{ "too-long-text",
		  "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/8",
		  SG_E_SYNTAX },
	};
	struct cidr_list *l = cidr_list_new();
	const char *why;

	T_EXPECT(l != NULL, "new");
	if (l == NULL)
		return;
	for (size_t i = 0; i < NELEM(cases); i++) {
		why = NULL;
		T_EXPECT(cidr_list_add(l, cases[i].text, &why) == cases[i].st,
			 cases[i].label);
		if (cases[i].st != SG_OK)
			T_EXPECT(why != NULL, cases[i].label);
	}
	cidr_list_free(&l);
	T_EXPECT(l == NULL, "free-nulls");
	cidr_list_free(&l);		/* NULL is fine */
}

/* One list, many addresses; every case is labelled by address. */
static void test_match_text(void)
{
	static const char *nets[] = {
		"10.0.0.0/8", "192.0.2.77/32", "198.51.100.200/25",
		"2001:db8:1::/48", "::1", "fe80::/10", "2001:db8:ff::5/127",
	};
	static const struct {
		const char *addr;
		bool want;
	} cases[] = {
		{ "10.0.0.0", true },
		{ "10.255.255.255", true },
		{ "11.0.0.0", false },
		{ "9.255.255.255", false },
		{ "192.0.2.77", true },
		{ "192.0.2.76", false },
		{ "192.0.2.78", false },
		{ "198.51.100.128", true },	/* host bits were masked */
		{ "198.51.100.255", true },
		{ "198.51.100.127", false },
		{ "2001:db8:1::1", true },
		{ "2001:db8:1:ffff:ffff:ffff:ffff:ffff", true },
		{ "2001:db8:2::1", false },
		{ "::1", true },
		{ "::2", false },
		{ "fe80::1", true },
		{ "febf:ffff::1", true },
		{ "fec0::1", false },
		{ "2001:db8:ff::4", true },
		{ "2001:db8:ff::5", true },
		{ "2001:db8:ff::6", false },
		{ "::ffff:10.1.2.3", true },	/* v4-mapped, v4 net */
		{ "::ffff:192.0.2.77", true },
		{ "::ffff:11.1.2.3", false },
		{ "::10.1.2.3", false },	/* v4-compatible is not mapped */
		{ "64:ff9b::10.1.2.3", false },	/* NAT64 is not mapped */
		{ "0.0.0.1", false },		/* not ::1 */
		{ "not-an-address", false },
		{ "", false },
		{ "10.0.0.0/8", false },	/* a network is not an address */
	};
	struct cidr_list *l = cidr_list_new();
	const char *why;

	if (l == NULL)
		return;
	for (size_t i = 0; i < NELEM(nets); i++)
		T_EXPECT(cidr_list_add(l, nets[i], &why) == SG_OK, nets[i]);
	for (size_t i = 0; i < NELEM(cases); i++)
		T_EXPECT(cidr_list_match_text(l, cases[i].addr) == cases[i].want,
			 cases[i].addr);
	cidr_list_free(&l);
}

/* Prefixes 0, 32, 128 and the v4/v6 separation of /0. */
static void test_edges(void)
{
	struct cidr_list *l4 = cidr_list_new(), *l6 = cidr_list_new();
	struct cidr_list *empty = cidr_list_new();
	const char *why;

	if (l4 == NULL || l6 == NULL || empty == NULL)
		goto out;
	T_EXPECT(cidr_list_add(l4, "1.2.3.4/0", &why) == SG_OK, "v4-any");
	T_EXPECT(cidr_list_match_text(l4, "255.255.255.255"), "v4-any-match");
	T_EXPECT(cidr_list_match_text(l4, "0.0.0.0"), "v4-any-zero");
	T_EXPECT(cidr_list_match_text(l4, "::ffff:1.1.1.1"), "v4-any-mapped");
	T_EXPECT(!cidr_list_match_text(l4, "2001:db8::1"), "v4-any-not-v6");

	T_EXPECT(cidr_list_add(l6, "::/0", &why) == SG_OK, "v6-any");
	T_EXPECT(cidr_list_match_text(l6, "2001:db8::1"), "v6-any-match");
	T_EXPECT(cidr_list_match_text(l6, "::ffff:1.1.1.1"),
		 "v6-any-takes-mapped-as-v6");
	T_EXPECT(!cidr_list_match_text(l6, "1.1.1.1"), "v6-any-not-v4");

	T_EXPECT(cidr_list_add(l6, "2001:db8::1/128", &why) == SG_OK, "v6-128");
	T_EXPECT(!cidr_list_match_text(empty, "127.0.0.1"), "empty-list");
	T_EXPECT(!cidr_list_match_text(empty, "::1"), "empty-list-v6");
	T_EXPECT(!cidr_list_match_text(NULL, "::1"), "null-list");
out:
	cidr_list_free(&l4);
	cidr_list_free(&l6);
	cidr_list_free(&empty);
}

static void test_sockaddr(void)
{
	struct cidr_list *l = cidr_list_new();
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr sa;
	const char *why;

	if (l == NULL)
		return;
	T_EXPECT(cidr_list_add(l, "127.0.0.0/8", &why) == SG_OK, "add-lo");
	T_EXPECT(cidr_list_add(l, "2001:db8::/32", &why) == SG_OK, "add-v6");

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.1.2.3", &sin.sin_addr);
	T_EXPECT(cidr_list_match(l, (struct sockaddr *)&sin), "sin-match");
	inet_pton(AF_INET, "128.0.0.1", &sin.sin_addr);
	T_EXPECT(!cidr_list_match(l, (struct sockaddr *)&sin), "sin-miss");

	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:abcd::1", &sin6.sin6_addr);
	T_EXPECT(cidr_list_match(l, (struct sockaddr *)&sin6), "sin6-match");
	inet_pton(AF_INET6, "2001:db9::1", &sin6.sin6_addr);
	T_EXPECT(!cidr_list_match(l, (struct sockaddr *)&sin6), "sin6-miss");
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	T_EXPECT(cidr_list_match(l, (struct sockaddr *)&sin6), "sin6-mapped");
	inet_pton(AF_INET6, "::ffff:8.8.8.8", &sin6.sin6_addr);
	T_EXPECT(!cidr_list_match(l, (struct sockaddr *)&sin6),
		 "sin6-mapped-miss");

	memset(&sa, 0, sizeof sa);
	sa.sa_family = AF_UNIX;
	T_EXPECT(!cidr_list_match(l, &sa), "af-unix");
	T_EXPECT(!cidr_list_match(l, NULL), "null-sockaddr");
	cidr_list_free(&l);
}

/* SG_MAX_CIDRS entries fit; one more is SG_E_TOOBIG. */
static void test_limit(void)
{
	struct cidr_list *l = cidr_list_new();
	char text[64];
	const char *why;
	bool ok = true;

	if (l == NULL)
		return;
	for (unsigned i = 0; i < SG_MAX_CIDRS; i++) {
		snprintf(text, sizeof text, "10.%u.%u.0/24",
			 (i >> 8) & 0xff, i & 0xff);
		if (cidr_list_add(l, text, &why) != SG_OK)
			ok = false;
	}
	T_EXPECT(ok, "fill-to-limit");
	T_EXPECT(cidr_list_add(l, "192.0.2.1", &why) == SG_E_TOOBIG,
		 "over-limit");
	T_EXPECT(cidr_list_match_text(l, "10.15.255.9"), "last-entry");
	T_EXPECT(!cidr_list_match_text(l, "192.0.2.1"), "not-added");
	cidr_list_free(&l);
}

int main(void)
{
	test_add();
	test_match_text();
	test_edges();
	test_sockaddr();
	test_limit();
	return T_DONE("cidr_test");
}
