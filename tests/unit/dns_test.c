/*
 * tests/unit/dns_test.c -- the shared resolver against a real DNS server:
 * tests/lib/dnsserver.py on 127.0.0.1 (and ::1 when the host has it),
 * with its zone, port file and query log in a private temp dir. The query
 * log tells how many queries reached the server: one for many waiters,
 * none for a cache hit. Every wait in here is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/dns.h"
#include "common/dns_answer.h"
#include "tests/lib/dnstest.h"
#include "tests/lib/test.h"

#define BIG_TXT_LEN	800		/* an RSA-4096 key record's size */
#define N_JOIN		16

static struct dnstest dt = DNSTEST_INIT;
static char big_txt[BIG_TXT_LEN + 1];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the server ---------------------------------------------------------- */

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static bool write_zone(void)
{
	FILE *f = fopen(dt.zone, "w");

	if (f == NULL)
		return false;
	for (size_t i = 0; i < BIG_TXT_LEN; i++)
		big_txt[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
	memcpy(big_txt, "v=DKIM1; k=rsa; p=", 18);
	fprintf(f,
		"txt1.test: [ {TXT: \"v=DKIM1; p=single\"} ]\n"
		"txtmulti.test: [ {TXT: [\"v=DKIM1; \", \"k=rsa; \", \"p=joined\"]} ]\n"
		"txttwo.test: [ {TXT: \"first\"}, {TXT: [\"sec\", \"ond\"]} ]\n"
		"big.test: [ {TXT: \"%s\"} ]\n"
		"host.test:\n"
		"  - A: 192.0.2.1\n"
		"  - A: 192.0.2.2\n"
		"  - AAAA: \"2001:db8::1\"\n"
		"  - MX: [10, mx1.test]\n"
		"  - MX: [20, mx2.test.]\n"
		"1.2.0.192.in-addr.arpa: [ {PTR: host.test} ]\n"
		"alias.test: [ {CNAME: txt1.test} ]\n"
		"nodata.test: [ {A: 192.0.2.9} ]\n"
		"nodata2.test: [ {A: 192.0.2.9} ]\n"
		"servfail.test: [ {SERVFAIL: true} ]\n"
		"dead.test: [ {TIMEOUT: true} ]\n"
		"dead2.test: [ {TIMEOUT: true} ]\n"
		"ttl1.test: [ {TXT: \"short-lived\"}, {TTL: 1} ]\n"
		"capped.test: [ {TXT: \"capped\"} ]\n"
		"slow.test: [ {TXT: \"slow answer\"}, {DELAY: 400} ]\n"
		"slow2.test: [ {TXT: \"slow answer 2\"}, {DELAY: 300} ]\n"
		"cache.test: [ {TXT: \"cached\"} ]\n"
		"case.test: [ {TXT: \"any case\"} ]\n"
		"e1.test: [ {TXT: \"e1\"} ]\n"
		"e2.test: [ {TXT: \"e2\"} ]\n"
		"e3.test: [ {TXT: \"e3\"} ]\n"
		"e4.test: [ {TXT: \"e4\"} ]\n"
		"good.test: [ {TXT: \"good\"} ]\n"
		"ok6.test: [ {TXT: \"over v6\"} ]\n"
		"parsed.test: [ {TXT: \"parse me\"} ]\n"
		"parsed2.test: [ {TXT: \"parse me too\"} ]\n"
		"held.test: [ {TXT: \"still here\"} ]\n",
		big_txt);
	return fclose(f) == 0;
}

/* Start dnsserver.py with a query log; true once it listens. */
static bool server_start(bool v6)
{
	return dnstest_prepare(&dt, "dns_test") && write_zone() &&
	       dnstest_start(&dt, v6, true);
}

static void server_stop(void)
{
	dnstest_stop(&dt);
}

/* Queries for (name, type) the server has seen, over UDP and TCP, or
 * over proto alone. */
static int queries(const char *name, const char *type, const char *proto)
{
	FILE *f = fopen(dt.log, "r");
	char line[600], n[300], t[16], p[8];
	int count = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%299s %15s %7s", n, t, p) == 3 &&
		    strcmp(n, name) == 0 && strcmp(t, type) == 0 &&
		    (proto == NULL || strcmp(p, proto) == 0))
			count++;
	fclose(f);
	return count;
}

/* ---- helpers -------------------------------------------------------------- */

static struct dns_resolver *resolver(const char *srv, int timeout_ms, int tries,
				     unsigned cache)
{
	static const char *servers[1];
	struct dns_opts o;
	struct dns_resolver *r;
	const char *why = NULL;

	dns_opts_default(&o);
	servers[0] = srv;
	o.servers = servers;
	o.n_servers = 1;
	o.timeout_ms = timeout_ms;
	o.tries = tries;
	o.cache_entries = cache;
	r = dns_resolver_new(&o, &why);
	T_EXPECT(r != NULL, why != NULL ? why : "resolver-new");
	return r;
}

/* One record with exactly this data (any position). */
static bool has_rr(const struct dns_answer *a, const void *data, size_t len)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->rr[i].len == len && memcmp(a->rr[i].data, data, len) == 0 &&
		    a->rr[i].data[len] == '\0')
			return true;
	return false;
}

static void expect_txt(struct dns_resolver *r, const char *name,
		       const char *const *want, size_t n, const char *label)
{
	const struct dns_answer *a = dns_lookup(r, name, DNS_T_TXT);

	T_EXPECT(a->result == DNS_OK, label);
	T_EXPECT(a->type == DNS_T_TXT, label);
	T_EXPECT(a->n == n, label);
	for (size_t i = 0; i < n && a->n == n; i++)
		T_EXPECT(has_rr(a, want[i], strlen(want[i])), label);
	dns_answer_release(&a);
	T_EXPECT(a == NULL, label);
}

static void expect_result(struct dns_resolver *r, const char *name,
			  enum dns_type t, enum dns_result want,
			  const char *why, const char *label)
{
	const struct dns_answer *a = dns_lookup(r, name, t);

	T_EXPECT(a->result == want, label);
	if (a->result != want)
		fprintf(stderr, "    %s: got %s (%s)\n", label,
			dns_result_name(a->result), a->why ? a->why : "-");
	T_EXPECT(a->n == 0 && a->rr == NULL, label);
	if (why != NULL && strcmp(why, "SERVFAIL") == 0 && a->why != NULL &&
	    strcmp(a->why, "server failure or connection refused") == 0)
		why = a->why;		/* c-ares 1.18 cannot tell them apart */
	if (why != NULL)
		T_EXPECT_STR(a->why, why, label);
	dns_answer_release(&a);
}

/* ---- the wire parser, on crafted messages -------------------------------- */

struct msg {
	uint8_t b[600];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (m->n + n <= sizeof m->b) {
		memcpy(m->b + m->n, p, n);
		m->n += n;
	}
}

static void put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "a.test" in wire form; "@12" is a compression pointer to offset 12. */
static void put_name(struct msg *m, const char *name)
{
	if (name[0] == '@') {
		put16(m, 0xc000 | (unsigned)atoi(name + 1));
		return;
	}
	while (*name != '\0') {
		size_t l = strcspn(name, ".");
		uint8_t lb = (uint8_t)l;

		put(m, &lb, 1);
		put(m, name, l);
		name += l + (name[l] == '.');
	}
	put(m, "", 1);
}

static void put_header(struct msg *m, unsigned flags, unsigned an, unsigned ns)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180 | flags);		/* QR RD RA | flags (TC, rcode) */
	put16(m, 1);
	put16(m, an);
	put16(m, ns);
	put16(m, 0);
	put_name(m, "a.test");			/* at offset 12 */
	put16(m, DNS_T_TXT);
	put16(m, 1);
}

static void put_rr(struct msg *m, const char *owner, unsigned type, unsigned cls,
		   uint32_t ttl, const void *rd, size_t rdlen)
{
	put_name(m, owner);
	put16(m, type);
	put16(m, cls);
	put32(m, ttl);
	put16(m, (unsigned)rdlen);
	put(m, rd, rdlen);
}

/* TXT rdata of one string. */
static size_t txt_rd(uint8_t *out, const char *s)
{
	out[0] = (uint8_t)strlen(s);
	memcpy(out + 1, s, out[0]);
	return 1 + out[0];
}

static const uint8_t SOA_RD[] = {
	2, 'n', 's', 0, 4, 'h', 'o', 's', 't', 0,	/* mname, rname */
	0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,	/* serial..expire */
	0, 0, 0, 120,					/* minimum */
};

static void expect_wire(const struct msg *m, enum dns_type t,
			enum dns_result want, size_t n, const char *data,
			uint32_t want_ttl, const char *label)
{
	uint32_t ttl = 12345;
	const struct dns_answer *a = dns_answer_from_wire(m->b, m->n, "a.test", t,
							  86400, 300, &ttl);

	T_EXPECT(a->result == want, label);
	if (a->result != want)
		fprintf(stderr, "    %s: got %s (%s)\n", label,
			dns_result_name(a->result), a->why ? a->why : "-");
	T_EXPECT(a->n == n, label);
	if (data != NULL && a->n > 0)
		T_EXPECT_STR(a->rr[0].data, data, label);
	T_EXPECT(ttl == want_ttl, label);
	if (ttl != want_ttl)
		fprintf(stderr, "    %s: ttl %u want %u\n", label, ttl, want_ttl);
	dns_answer_release(&a);
}

static void test_wire(void)
{
	struct msg m;
	uint8_t rd[300];
	size_t n;

	n = txt_rd(rd, "v=spf1 -all");
	put_header(&m, 0, 1, 0);
	put_rr(&m, "@12", DNS_T_TXT, 1, 60, rd, n);
	expect_wire(&m, DNS_T_TXT, DNS_OK, 1, "v=spf1 -all", 60, "wire-txt-ttl");

	put_header(&m, 0, 1, 0);
	put_rr(&m, "@12", DNS_T_TXT, 1, 100000, rd, n);
	expect_wire(&m, DNS_T_TXT, DNS_OK, 1, "v=spf1 -all", 86400, "wire-max-ttl");

	put_header(&m, 0, 1, 0);
	put_rr(&m, "@12", DNS_T_TXT, 1, 0x80000001u, rd, n);
	expect_wire(&m, DNS_T_TXT, DNS_OK, 1, "v=spf1 -all", 0, "wire-ttl-msb-is-0");

	/* The CNAME's shorter TTL counts; its target owns the record. */
	put_header(&m, 0, 2, 0);
	put_rr(&m, "@12", 5, 1, 30, "\1b\4test", 8);
	put_rr(&m, "B.TEST", DNS_T_TXT, 1, 100, rd, n);
	expect_wire(&m, DNS_T_TXT, DNS_OK, 1, "v=spf1 -all", 30, "wire-cname");

	put_header(&m, 0, 1, 0);
	put_rr(&m, "other.test", DNS_T_TXT, 1, 60, rd, n);
	expect_wire(&m, DNS_T_TXT, DNS_NODATA, 0, NULL, 300, "wire-other-owner-ignored");

	put_header(&m, 0, 1, 0);
	put_rr(&m, "@12", DNS_T_TXT, 3, 60, rd, n);
	expect_wire(&m, DNS_T_TXT, DNS_NODATA, 0, NULL, 300, "wire-class-ch-ignored");

	/* Negative TTL: min(SOA TTL, minimum), capped by negative_ttl. */
	put_header(&m, 3, 0, 1);
	put_rr(&m, "test", 6, 1, 600, SOA_RD, sizeof SOA_RD);
	expect_wire(&m, DNS_T_TXT, DNS_NXDOMAIN, 0, NULL, 120, "wire-nxdomain-soa");
	put_header(&m, 0, 0, 1);
	put_rr(&m, "test", 6, 1, 60, SOA_RD, sizeof SOA_RD);
	expect_wire(&m, DNS_T_TXT, DNS_NODATA, 0, NULL, 60, "wire-nodata-soa-ttl");
	put_header(&m, 3, 0, 0);
	expect_wire(&m, DNS_T_TXT, DNS_NXDOMAIN, 0, NULL, 300, "wire-nxdomain-no-soa");

	put_header(&m, 0x200, 0, 0);
	expect_wire(&m, DNS_T_TXT, DNS_TEMPFAIL, 0, NULL, 0, "wire-tc-over-tcp");
	put_header(&m, 2, 0, 0);
	expect_wire(&m, DNS_T_TXT, DNS_TEMPFAIL, 0, NULL, 0, "wire-servfail");

	/* Malformed: each is PERMFAIL, never cached. */
	put_header(&m, 0, 1, 0);
	put_rr(&m, "@12", DNS_T_TXT, 1, 60, "\x09short", 6);
	expect_wire(&m, DNS_T_TXT, DNS_PERMFAIL, 0, NULL, 0, "wire-txt-string-overruns");
	put_header(&m, 0, 1, 0);
	put_rr(&m, "@24", DNS_T_TXT, 1, 60, rd, n);	/* points at itself */
	expect_wire(&m, DNS_T_TXT, DNS_PERMFAIL, 0, NULL, 0, "wire-pointer-loop");
	put_header(&m, 0, 2, 0);
	put_rr(&m, "@12", DNS_T_TXT, 1, 60, rd, n);
	expect_wire(&m, DNS_T_TXT, DNS_PERMFAIL, 0, NULL, 0, "wire-ancount-lies");
	put_header(&m, 0, 1, 0);
	put_rr(&m, "@12", DNS_T_A, 1, 60, "\1\2\3\4\5", 5);
	expect_wire(&m, DNS_T_A, DNS_PERMFAIL, 0, NULL, 0, "wire-a-rdlen-5");
	put_header(&m, 0, 1001, 0);
	expect_wire(&m, DNS_T_TXT, DNS_PERMFAIL, 0, NULL, 0, "wire-too-many-records");
	m.n = 5;
	expect_wire(&m, DNS_T_TXT, DNS_PERMFAIL, 0, NULL, 0, "wire-short");

	/* An MX exchange with a '.' inside a label is left out. */
	put_header(&m, 0, 2, 0);
	put_rr(&m, "@12", DNS_T_MX, 1, 60, "\0\5\3a.b\4test\0", 12);
	put_rr(&m, "@12", DNS_T_MX, 1, 60, "\0\7\2mx\4test\0", 11);
	expect_wire(&m, DNS_T_MX, DNS_OK, 1, "mx.test", 60, "wire-mx-dot-in-label");
}

/* ---- cases ---------------------------------------------------------------- */

static void test_server_syntax(void)
{
	static const struct {
		const char *label, *server;
		bool ok;
	} cases[] = {
		{ "v6-bracket-port",	"[::1]:53",		true },
		{ "v6-bracket",		"[::1]",		true },
		{ "v6-bare",		"::1",			true },
		{ "v6-bare-long",	"2001:db8::53",		true },
		{ "v4",			"127.0.0.1",		true },
		{ "v4-port",		"127.0.0.1:5353",	true },
		{ "v4-port-max",	"192.0.2.1:65535",	true },
		{ "port-too-big",	"1.2.3.4:99999",	false },
		{ "port-65536",		"1.2.3.4:65536",	false },
		{ "port-zero",		"1.2.3.4:0",		false },
		{ "port-empty",		"1.2.3.4:",		false },
		{ "port-junk",		"1.2.3.4:53x",		false },
		{ "port-sign",		"1.2.3.4:+53",		false },
		{ "garbage",		"garbage",		false },
		{ "hostname-port",	"ns.example:53",	false },
		{ "empty",		"",			false },
		{ "v4-five-parts",	"1.2.3.4.5",		false },
		{ "v6-unclosed",	"[::1",			false },
		{ "v6-trailing-junk",	"[::1]x",		false },
		{ "v6-empty-port",	"[::1]:",		false },
		{ "v6-empty",		"[]:53",		false },
		{ "v4-in-brackets-bad",	"[1.2.3]:53",		false },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dns_opts o;
		struct dns_resolver *r;
		const char *why = NULL;

		dns_opts_default(&o);
		o.servers = &cases[i].server;
		o.n_servers = 1;
		r = dns_resolver_new(&o, &why);
		T_EXPECT((r != NULL) == cases[i].ok, cases[i].label);
		if (!cases[i].ok)
			T_EXPECT(why != NULL && why[0] != '\0', cases[i].label);
		dns_resolver_free(&r);
		T_EXPECT(r == NULL, cases[i].label);
	}

	/* Several servers; and none at all: /etc/resolv.conf. */
	const char *two[] = { "127.0.0.1:53", "[::1]:53" };
	const char *one_bad[] = { "127.0.0.1:53", "nonsense" };
	struct dns_opts o;
	struct dns_resolver *r;
	const char *why = NULL;

	dns_opts_default(&o);
	o.servers = two;
	o.n_servers = 2;
	r = dns_resolver_new(&o, &why);
	T_EXPECT(r != NULL, "two-servers");
	dns_resolver_free(&r);
	o.servers = one_bad;
	r = dns_resolver_new(&o, &why);
	T_EXPECT(r == NULL && why != NULL, "second-server-bad");
	r = dns_resolver_new(NULL, &why);
	T_EXPECT(r != NULL, "resolv-conf-defaults");
	dns_resolver_free(&r);
	dns_resolver_free(&r);			/* NULL is fine */
}

static void test_records(void)
{
	static const char *const single[] = { "v=DKIM1; p=single" };
	static const char *const joined[] = { "v=DKIM1; k=rsa; p=joined" };
	static const char *const two[] = { "first", "second" };
	static const uint8_t a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	uint8_t a6[16];
	struct dns_resolver *r = resolver(dt.server4, 2000, 2, 100);
	const struct dns_answer *a;

	if (r == NULL)
		return;
	expect_txt(r, "txt1.test", single, 1, "txt-single");
	expect_txt(r, "txtmulti.test", joined, 1, "txt-multi-string-joined");
	expect_txt(r, "txttwo.test", two, 2, "txt-two-records");
	expect_txt(r, "alias.test", single, 1, "txt-through-cname");

	/* 800 bytes: UDP says TC=1, the answer comes over TCP. */
	a = dns_lookup(r, "big.test", DNS_T_TXT);
	T_EXPECT(a->result == DNS_OK && a->n == 1, "txt-big");
	if (a->n == 1)
		T_EXPECT_MEM(a->rr[0].data, a->rr[0].len, big_txt, BIG_TXT_LEN, "txt-big");
	T_EXPECT(queries("big.test", "TXT", "udp") == 1, "txt-big-udp-first");
	T_EXPECT(queries("big.test", "TXT", "tcp") == 1, "txt-big-tcp-fallback");
	dns_answer_release(&a);

	a = dns_lookup(r, "host.test", DNS_T_A);
	T_EXPECT(a->result == DNS_OK && a->n == 2 && a->type == DNS_T_A, "a");
	T_EXPECT(has_rr(a, a1, 4) && has_rr(a, a2, 4), "a-addresses");
	dns_answer_release(&a);

	inet_pton(AF_INET6, "2001:db8::1", a6);
	a = dns_lookup(r, "host.test", DNS_T_AAAA);
	T_EXPECT(a->result == DNS_OK && a->n == 1, "aaaa");
	T_EXPECT(has_rr(a, a6, 16), "aaaa-address");
	dns_answer_release(&a);

	a = dns_lookup(r, "host.test", DNS_T_MX);
	T_EXPECT(a->result == DNS_OK && a->n == 2, "mx");
	for (size_t i = 0; i < a->n; i++) {
		bool one = strcmp(a->rr[i].data, "mx1.test") == 0 && a->rr[i].pref == 10;
		bool two_ = strcmp(a->rr[i].data, "mx2.test") == 0 && a->rr[i].pref == 20;

		T_EXPECT(one || two_, "mx-exchange-pref");
		T_EXPECT(a->rr[i].len == strlen(a->rr[i].data), "mx-len");
	}
	dns_answer_release(&a);

	a = dns_lookup(r, "1.2.0.192.in-addr.arpa", DNS_T_PTR);
	T_EXPECT(a->result == DNS_OK && a->n == 1, "ptr");
	if (a->n == 1)
		T_EXPECT_STR(a->rr[0].data, "host.test", "ptr-name");
	dns_answer_release(&a);

	expect_result(r, "missing.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, "nxdomain");
	expect_result(r, "nodata.test", DNS_T_TXT, DNS_NODATA, NULL, "nodata");
	expect_result(r, "alias.test", DNS_T_MX, DNS_NODATA, NULL, "nodata-after-cname");
	expect_result(r, "servfail.test", DNS_T_TXT, DNS_TEMPFAIL, "SERVFAIL",
		      "servfail-is-tempfail");

	/* Case and the trailing dot do not matter: one query, then a hit. */
	static const char *const anycase[] = { "any case" };
	expect_txt(r, "CaSe.TeSt.", anycase, 1, "case-insensitive");
	expect_txt(r, "case.test", anycase, 1, "case-insensitive-hit");
	T_EXPECT(queries("case.test", "TXT", NULL) == 1, "case-one-query");

	T_EXPECT_STR(dns_result_name(DNS_OK), "OK", "result-name");
	T_EXPECT_STR(dns_result_name(DNS_NXDOMAIN), "NXDOMAIN", "result-name");
	T_EXPECT_STR(dns_result_name((enum dns_result)99), "UNKNOWN", "result-name");
	dns_resolver_free(&r);
}

static void test_bad_names(void)
{
	char label64[80], long253[300], long254[320], long253dot[320];
	struct dns_resolver *r = resolver(dt.server4, 2000, 2, 100);
	struct dns_stats before, after;
	const struct dns_answer *a;

	if (r == NULL)
		return;
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".test");
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	memset(long253, 'b', 253);
	long253[63] = long253[127] = long253[191] = '.';
	long253[253] = '\0';
	snprintf(long253dot, sizeof long253dot, "%s.", long253);
	snprintf(long254, sizeof long254, "c%s", long253);

	const struct { const char *label, *name; } bad[] = {
		{ "empty", "" }, { "root", "." }, { "empty-label", "a..test" },
		{ "leading-dot", ".a.test" }, { "two-trailing-dots", "a.test.." },
		{ "label-64", label64 }, { "name-254", long254 },
	};

	dns_resolver_stats(r, &before);
	for (size_t i = 0; i < NELEM(bad); i++)
		expect_result(r, bad[i].name, DNS_T_TXT, DNS_PERMFAIL,
			      "bad query name", bad[i].label);
	expect_result(r, NULL, DNS_T_TXT, DNS_PERMFAIL, "bad query name", "null-name");
	a = dns_lookup(r, "txt1.test", (enum dns_type)99);
	T_EXPECT(a->result == DNS_PERMFAIL, "unsupported-type");
	dns_answer_release(&a);
	dns_resolver_stats(r, &after);
	T_EXPECT(after.queries_sent == before.queries_sent, "bad-names-not-sent");

	/* The longest names are fine (and absent). */
	expect_result(r, long253, DNS_T_TXT, DNS_NXDOMAIN, NULL, "name-253");
	expect_result(r, long253dot, DNS_T_TXT, DNS_NXDOMAIN, NULL, "name-253-dot");
	dns_resolver_stats(r, &after);
	T_EXPECT(after.queries_sent == before.queries_sent + 1, "name-253-one-query");
	/* A backslash is a byte like any other. */
	expect_result(r, "back\\slash.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, "backslash");
	dns_resolver_free(&r);
}

static void test_timeouts(void)
{
	struct dns_resolver *r1 = resolver(dt.server4, 300, 1, 100);
	struct dns_resolver *r2 = resolver(dt.server4, 300, 2, 100);
	struct dns_stats st;
	uint64_t t0, ms;

	if (r1 == NULL || r2 == NULL)
		goto out;
	t0 = now_ms();
	expect_result(r1, "dead.test", DNS_T_TXT, DNS_TEMPFAIL, "timeout", "timeout-1-try");
	ms = now_ms() - t0;
	T_EXPECT(ms >= 250 && ms < 300 + 1000, "timeout-1-try-bounded");

	t0 = now_ms();
	expect_result(r2, "dead.test", DNS_T_TXT, DNS_TEMPFAIL, "timeout", "timeout-2-tries");
	ms = now_ms() - t0;
	T_EXPECT(ms >= 550 && ms < 600 + 1000, "timeout-2-tries-bounded");

	/* Not cached: the next lookup goes out again. */
	expect_result(r1, "dead.test", DNS_T_TXT, DNS_TEMPFAIL, "timeout", "timeout-again");
	dns_resolver_stats(r1, &st);
	T_EXPECT(st.queries_sent == 2 && st.cache_hits == 0, "tempfail-not-cached");
out:
	dns_resolver_free(&r1);
	dns_resolver_free(&r2);
}

static void test_refused(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	char srv[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct dns_resolver *r;

	/* A port nobody listens on: take a free one and let it go. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		T_EXPECT(false, "refused-setup");
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	snprintf(srv, sizeof srv, "127.0.0.1:%u", ntohs(sa.sin_port));
	if ((r = resolver(srv, 500, 1, 100)) == NULL)
		return;
	expect_result(r, "txt1.test", DNS_T_TXT, DNS_TEMPFAIL, NULL, "refused-is-tempfail");
	dns_resolver_free(&r);
}

static void test_cache(void)
{
	struct dns_resolver *r = resolver(dt.server4, 2000, 2, 100);
	struct dns_resolver *rc = NULL;
	const struct dns_answer *a, *b;
	struct dns_opts o;
	const char *srv[1] = { dt.server4 }, *why;
	struct dns_stats st;
	int n;

	if (r == NULL)
		return;
	a = dns_lookup(r, "cache.test", DNS_T_TXT);
	b = dns_lookup(r, "cache.test", DNS_T_TXT);
	T_EXPECT(a->result == DNS_OK && a == b, "cache-same-answer");
	T_EXPECT(queries("cache.test", "TXT", NULL) == 1, "cache-one-query");
	dns_resolver_stats(r, &st);
	T_EXPECT(st.cache_hits == 1 && st.queries_sent == 1 && st.entries == 1,
		 "cache-stats");
	dns_answer_release(&a);
	dns_answer_release(&b);

	/* Negative answers are cached too. */
	expect_result(r, "neg.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, "neg-nxdomain");
	expect_result(r, "neg.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, "neg-nxdomain-hit");
	T_EXPECT(queries("neg.test", "TXT", NULL) == 1, "neg-nxdomain-one-query");
	expect_result(r, "nodata2.test", DNS_T_TXT, DNS_NODATA, NULL, "neg-nodata");
	expect_result(r, "nodata2.test", DNS_T_TXT, DNS_NODATA, NULL, "neg-nodata-hit");
	T_EXPECT(queries("nodata2.test", "TXT", NULL) == 1, "neg-nodata-one-query");
	/* Another type of a cached name is another entry. */
	expect_result(r, "nodata2.test", DNS_T_MX, DNS_NODATA, NULL, "other-type");
	T_EXPECT(queries("nodata2.test", "MX", NULL) == 1, "other-type-query");

	/* SERVFAIL is not cached. */
	expect_result(r, "servfail.test", DNS_T_A, DNS_TEMPFAIL, "SERVFAIL", "servfail-1");
	n = queries("servfail.test", "A", NULL);
	expect_result(r, "servfail.test", DNS_T_A, DNS_TEMPFAIL, "SERVFAIL", "servfail-2");
	T_EXPECT(n >= 1 && queries("servfail.test", "A", NULL) > n, "servfail-not-cached");

	/* TTLs: the record's own 1 s; max_ttl and negative_ttl of 1 s. */
	dns_opts_default(&o);
	o.servers = srv;
	o.n_servers = 1;
	o.max_ttl = 1;
	o.negative_ttl = 1;
	rc = dns_resolver_new(&o, &why);
	T_EXPECT(rc != NULL, "capped-resolver");
	if (rc == NULL)
		goto out;
	static const char *const short_lived[] = { "short-lived" };
	static const char *const capped[] = { "capped" };
	expect_txt(r, "ttl1.test", short_lived, 1, "ttl1");
	expect_txt(r, "ttl1.test", short_lived, 1, "ttl1-hit");
	expect_txt(rc, "capped.test", capped, 1, "max-ttl");
	expect_txt(rc, "capped.test", capped, 1, "max-ttl-hit");
	expect_result(rc, "neg2.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, "neg-ttl");
	expect_result(rc, "neg2.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, "neg-ttl-hit");
	T_EXPECT(queries("ttl1.test", "TXT", NULL) == 1, "ttl1-one-query");
	T_EXPECT(queries("capped.test", "TXT", NULL) == 1, "max-ttl-one-query");
	T_EXPECT(queries("neg2.test", "TXT", NULL) == 1, "neg-ttl-one-query");
	dnstest_sleep_ms(1200);
	expect_txt(r, "ttl1.test", short_lived, 1, "ttl1-expired");
	expect_txt(rc, "capped.test", capped, 1, "max-ttl-expired");
	expect_result(rc, "neg2.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, "neg-ttl-expired");
	T_EXPECT(queries("ttl1.test", "TXT", NULL) == 2, "ttl1-expired-new-query");
	T_EXPECT(queries("capped.test", "TXT", NULL) == 2, "max-ttl-expired-new-query");
	T_EXPECT(queries("neg2.test", "TXT", NULL) == 2, "neg-ttl-expired-new-query");
	/* The longer-lived entry in r is still there. */
	a = dns_lookup(r, "cache.test", DNS_T_TXT);
	T_EXPECT(a->result == DNS_OK && queries("cache.test", "TXT", NULL) == 1,
		 "ttl-300-still-cached");
	dns_answer_release(&a);
out:
	dns_resolver_free(&rc);
	dns_resolver_free(&r);
}

static void test_eviction(void)
{
	static const char *const e1[] = { "e1" }, *const e3[] = { "e3" },
			  *const e4[] = { "e4" };
	struct dns_resolver *r = resolver(dt.server4, 2000, 2, 2);
	struct dns_resolver *r0 = resolver(dt.server4, 2000, 2, 0);
	const struct dns_answer *held;
	struct dns_stats st;

	if (r == NULL || r0 == NULL)
		goto out;
	expect_txt(r, "e1.test", e1, 1, "evict-e1");
	held = dns_lookup(r, "e2.test", DNS_T_TXT);
	expect_txt(r, "e3.test", e3, 1, "evict-e3");	/* e1 goes */
	dns_resolver_stats(r, &st);
	T_EXPECT(st.entries == 2, "evict-bounded");
	expect_txt(r, "e1.test", e1, 1, "evict-e1-again");	/* e2 goes */
	T_EXPECT(queries("e1.test", "TXT", NULL) == 2, "evicted-e1-asked-again");
	expect_txt(r, "e3.test", e3, 1, "evict-e3-hit");
	T_EXPECT(queries("e3.test", "TXT", NULL) == 1, "recent-e3-kept");
	dns_resolver_stats(r, &st);
	T_EXPECT(st.entries == 2, "evict-still-bounded");
	/* The evicted answer is still the holder's. */
	T_EXPECT(held->result == DNS_OK && held->n == 1 &&
		 strcmp(held->rr[0].data, "e2") == 0, "evicted-answer-valid");
	dns_answer_release(&held);

	/* No cache at all: every lookup asks. */
	expect_txt(r0, "e4.test", e4, 1, "nocache-1");
	expect_txt(r0, "e4.test", e4, 1, "nocache-2");
	T_EXPECT(queries("e4.test", "TXT", NULL) == 2, "nocache-two-queries");
	dns_resolver_stats(r0, &st);
	T_EXPECT(st.entries == 0 && st.cache_hits == 0, "nocache-stats");
out:
	dns_resolver_free(&r);
	dns_resolver_free(&r0);
}

struct join_arg {
	struct dns_resolver *r;
	pthread_barrier_t *bar;
	const char *name, *want;
	bool ok;
};

static void *join_thread(void *p)
{
	struct join_arg *j = p;
	const struct dns_answer *a;

	pthread_barrier_wait(j->bar);
	a = dns_lookup(j->r, j->name, DNS_T_TXT);
	j->ok = a->result == DNS_OK && a->n == 1 && strcmp(a->rr[0].data, j->want) == 0;
	dns_answer_release(&a);
	return NULL;
}

/* N_JOIN threads ask for one slow name at once: one query. */
static void join_case(unsigned cache, const char *name, const char *want,
		      const char *label)
{
	struct dns_resolver *r = resolver(dt.server4, 2000, 2, cache);
	struct join_arg args[N_JOIN];
	pthread_t th[N_JOIN];
	pthread_barrier_t bar;
	struct dns_stats st;
	int started = 0;
	bool all_ok = true;

	if (r == NULL)
		return;
	pthread_barrier_init(&bar, NULL, N_JOIN);
	for (int i = 0; i < N_JOIN; i++) {
		args[i] = (struct join_arg){ r, &bar, name, want, false };
		if (pthread_create(&th[i], NULL, join_thread, &args[i]) != 0)
			break;
		started++;
	}
	T_EXPECT(started == N_JOIN, label);
	if (started < N_JOIN)
		abort();			/* the barrier would never open */
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		all_ok = all_ok && args[i].ok;
	}
	pthread_barrier_destroy(&bar);
	T_EXPECT(all_ok, label);
	T_EXPECT(queries(name, "TXT", NULL) == 1, label);
	dns_resolver_stats(r, &st);
	T_EXPECT(st.queries_sent == 1 && st.joined == N_JOIN - 1, label);
	dns_resolver_free(&r);
}

static void test_join(void)
{
	join_case(100, "slow.test", "slow answer", "join-16-one-query");
	join_case(0, "slow2.test", "slow answer 2", "join-without-cache");
}

/* A dead name holds up no other lookup: good and slow names are answered
 * long before the dead one's 3 s budget runs out. */
static void test_dead_does_not_block(void)
{
	static const char *const good[] = { "good" };
	struct dns_resolver *r = resolver(dt.server4, 3000, 1, 100);
	struct dns_query *dead, *slow;
	const struct dns_answer *a, *again;
	uint64_t t0;

	if (r == NULL)
		return;
	dead = dns_query_start(r, "dead2.test", DNS_T_TXT);
	slow = dns_query_start(r, "slow.test", DNS_T_TXT);
	T_EXPECT(dead != NULL && slow != NULL, "dead-start");
	t0 = now_ms();
	expect_txt(r, "good.test", good, 1, "good-while-dead");
	T_EXPECT(now_ms() - t0 < 1000, "good-not-delayed");
	a = dns_query_wait(slow);
	T_EXPECT(a->result == DNS_OK, "slow-while-dead");
	T_EXPECT(now_ms() - t0 < 2000, "slow-not-delayed");
	/* Waiting twice gives the answer twice. */
	again = dns_query_wait(slow);
	T_EXPECT(again == a, "wait-twice");
	dns_answer_release(&again);
	dns_answer_release(&a);
	dns_query_free(&dead);			/* never waited on */
	dns_query_free(&slow);
	T_EXPECT(dead == NULL, "query-free-nulls");
	dns_query_free(&dead);			/* NULL is fine */
	dns_resolver_free(&r);
}

static void test_ipv6(void)
{
	static const char *const v6[] = { "over v6" };
	struct dns_resolver *r;

	if (dt.server6[0] == '\0') {
		printf("dns_test: no ::1 here, IPv6 server case skipped\n");
		return;
	}
	if ((r = resolver(dt.server6, 2000, 2, 100)) == NULL)
		return;
	expect_txt(r, "ok6.test", v6, 1, "ipv6-server");
	dns_resolver_free(&r);
}

static int n_made, n_destroyed;

static void *make_len(const struct dns_answer *a, void *arg)
{
	size_t *p = malloc(sizeof *p);

	if (arg != NULL)
		dnstest_sleep_ms(20);			/* widen the race */
	if (p != NULL)
		*p = a->n == 1 ? a->rr[0].len : 0;
	__atomic_add_fetch(&n_made, 1, __ATOMIC_RELAXED);
	return p;
}

static void *make_nothing(const struct dns_answer *a, void *arg)
{
	return NULL;
}

static void destroy_len(void *p)
{
	__atomic_add_fetch(&n_destroyed, 1, __ATOMIC_RELAXED);
	free(p);
}

struct parsed_arg {
	const struct dns_answer *a;
	pthread_barrier_t *bar;
	void *got;
};

static void *parsed_thread(void *p)
{
	struct parsed_arg *pa = p;

	pthread_barrier_wait(pa->bar);
	pa->got = dns_answer_parsed(pa->a, make_len, pa, destroy_len);
	return NULL;
}

static void test_parsed(void)
{
	struct dns_resolver *r = resolver(dt.server4, 2000, 2, 100);
	const struct dns_answer *a, *b, *bad;
	struct parsed_arg pa[8];
	pthread_t th[8];
	pthread_barrier_t bar;
	size_t *p1, *p2;
	bool same = true;

	if (r == NULL)
		return;
	a = dns_lookup(r, "parsed.test", DNS_T_TXT);
	T_EXPECT(dns_answer_parsed(a, make_nothing, NULL, destroy_len) == NULL,
		 "parsed-null-attaches-nothing");
	p1 = dns_answer_parsed(a, make_len, NULL, destroy_len);
	p2 = dns_answer_parsed(a, make_len, NULL, destroy_len);
	T_EXPECT(p1 != NULL && p1 == p2 && *p1 == strlen("parse me"), "parsed-once");
	T_EXPECT(n_made == 1, "parsed-made-once");
	b = dns_lookup(r, "parsed.test", DNS_T_TXT);	/* from the cache */
	T_EXPECT(b == a && dns_answer_parsed(b, make_len, NULL, destroy_len) == p1,
		 "parsed-shared-by-cache-hit");
	T_EXPECT(n_made == 1, "parsed-made-once-still");
	dns_answer_release(&a);
	dns_answer_release(&b);

	/* Eight threads at once: one object wins, the losers' are destroyed. */
	a = dns_lookup(r, "parsed2.test", DNS_T_TXT);
	pthread_barrier_init(&bar, NULL, 8);
	for (int i = 0; i < 8; i++) {
		pa[i] = (struct parsed_arg){ a, &bar, NULL };
		if (pthread_create(&th[i], NULL, parsed_thread, &pa[i]) != 0)
			abort();
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		same = same && pa[i].got != NULL && pa[i].got == pa[0].got;
	}
	pthread_barrier_destroy(&bar);
	T_EXPECT(same, "parsed-race-one-winner");
	T_EXPECT(n_made - n_destroyed == 2, "parsed-race-losers-destroyed");
	dns_answer_release(&a);

	/* A failed lookup's answer takes a parsed form too. */
	bad = dns_lookup(r, "bad..name", DNS_T_TXT);
	T_EXPECT(dns_answer_parsed(bad, make_len, NULL, destroy_len) != NULL, "parsed-on-fail");
	dns_answer_release(&bad);
	/* The cache held the last references: freeing it destroys them. */
	dns_resolver_free(&r);
	T_EXPECT(n_made == n_destroyed, "parsed-destroyed-with-answer");
}

struct waiter_arg {
	struct dns_query *q;
	pthread_barrier_t *bar;
	enum dns_result res;
	const char *why;
	uint64_t ms;
};

static void *waiter_thread(void *p)
{
	struct waiter_arg *w = p;
	const struct dns_answer *a;
	uint64_t t0;

	pthread_barrier_wait(w->bar);
	t0 = now_ms();
	a = dns_query_wait(w->q);
	w->ms = now_ms() - t0;
	w->res = a->result;
	w->why = a->why;			/* static text */
	dns_answer_release(&a);
	dns_query_free(&w->q);			/* after the resolver is gone */
	return NULL;
}

/* Freeing the resolver answers everyone still waiting, at once. */
static void test_free_with_waiters(void)
{
	struct dns_resolver *r = resolver(dt.server4, 3000, 1, 100);
	struct waiter_arg w[4];
	pthread_t th[4];
	pthread_barrier_t bar;
	struct dns_query *unwaited;
	const struct dns_answer *held, *a;

	if (r == NULL)
		return;
	held = dns_lookup(r, "held.test", DNS_T_TXT);
	pthread_barrier_init(&bar, NULL, 5);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct waiter_arg){
			dns_query_start(r, i % 2 ? "dead.test" : "dead2.test", DNS_T_TXT),
			&bar, DNS_OK, NULL, 0 };
		if (w[i].q == NULL || pthread_create(&th[i], NULL, waiter_thread, &w[i]) != 0)
			abort();
	}
	unwaited = dns_query_start(r, "slow.test", DNS_T_TXT);
	pthread_barrier_wait(&bar);
	dnstest_sleep_ms(200);
	dns_resolver_free(&r);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_EXPECT(w[i].res == DNS_TEMPFAIL, "free-waiter-tempfail");
		T_EXPECT_STR(w[i].why, "resolver stopped", "free-waiter-why");
		T_EXPECT(w[i].ms < 1000, "free-waiter-prompt");
	}
	pthread_barrier_destroy(&bar);
	a = dns_query_wait(unwaited);
	T_EXPECT(a->result == DNS_TEMPFAIL, "free-unwaited-tempfail");
	dns_answer_release(&a);
	dns_query_free(&unwaited);
	T_EXPECT(held->result == DNS_OK && held->n == 1 &&
		 strcmp(held->rr[0].data, "still here") == 0, "held-answer-outlives");
	dns_answer_release(&held);
}

int main(void)
{
	bool v6 = have_ipv6_loopback();

	signal(SIGPIPE, SIG_IGN);
	if (!server_start(v6)) {
		fprintf(stderr, "dns_test: cannot start tests/lib/dnsserver.py\n");
		T_EXPECT(false, "server-start");
		server_stop();
		return T_DONE("dns_test");
	}
	test_wire();
	test_server_syntax();
	test_records();
	test_bad_names();
	test_timeouts();
	test_refused();
	test_cache();
	test_eviction();
	test_join();
	test_dead_does_not_block();
	test_ipv6();
	test_parsed();
	test_free_with_waiters();
	server_stop();
	return T_DONE("dns_test");
}
