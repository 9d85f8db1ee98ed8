/*
 * milter/cli_spf.c -- `signet spf`, see cli_spf.h.
 *
 *   signet spf --ip IP [--helo NAME] [--mailfrom ADDR] [--dns ADDR:PORT]
 *              [--dns-timeout MS] [--receiver NAME] [--time UNIXTIME]
 *              [--default-exp TEXT] [--identity mailfrom|helo] [-v]
 *
 * Prints three lines: the result ("pass", "fail", ...); the explanation
 * for a fail (exp= text or the default) or else the reason; the
 * Received-SPF field signetd would add. -v traces every step (terms,
 * DNS lookups and their answers) to stderr. --mailfrom "" (or none) is
 * the null sender: postmaster@HELO is checked (RFC 7208 2.4).
 */
#include "cli_spf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/dns.h"
#include "../spf/macro.h"
#include "../spf/spf.h"

/* Per-try DNS timeout the tool uses unless told otherwise. */
#define CLI_SPF_TIMEOUT_MS	3000
#define CLI_SPF_MAX_TIMEOUT_MS	60000
/* The Received-SPF value: long inputs are quoted and escaped. */
#define CLI_SPF_HEADER_MAX	8192u

static int usage(void)
{
	fprintf(stderr,
		"usage: signet spf --ip IP [--helo NAME] [--mailfrom ADDR]\n"
		"                  [--dns ADDR:PORT] [--dns-timeout MS] [--receiver NAME]\n"
		"                  [--time UNIXTIME] [--default-exp TEXT]\n"
		"                  [--identity mailfrom|helo] [-v]\n"
		"  prints the result, then the explanation (fail) or the reason,\n"
		"  then the Received-SPF field; -v traces the evaluation to stderr\n");
	return 2;
}

/* Trace lines hold bytes from DNS: show them safely. */
static void print_trace(void *arg, unsigned depth, const char *line)
{
	FILE *f = arg;

	fprintf(f, "spf: %*s", (int)(2 * depth), "");
	for (const unsigned char *p = (const unsigned char *)line; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			fputc(*p, f);
		else
			fprintf(f, "\\x%02x", *p);
	}
	fputc('\n', f);
}

static bool parse_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

struct spf_args {
	const char *ip, *helo, *mailfrom, *dns, *receiver, *default_exp;
	long long now, timeout_ms;
	bool helo_identity, verbose;
};

static int parse_args(int argc, char **argv, struct spf_args *a)
{
	static const struct option opts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'H' },
		{ "mailfrom", required_argument, NULL, 'm' },
		{ "dns", required_argument, NULL, 'd' },
		{ "dns-timeout", required_argument, NULL, 'T' },
		{ "receiver", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "default-exp", required_argument, NULL, 'e' },
		{ "identity", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 2;
	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': a->ip = optarg; break;
		case 'H': a->helo = optarg; break;
		case 'm': a->mailfrom = optarg; break;
		case 'd': a->dns = optarg; break;
		case 'r': a->receiver = optarg; break;
		case 'e': a->default_exp = optarg; break;
		case 'v': a->verbose = true; break;
		case 'T':
			if (!parse_num(optarg, 1, CLI_SPF_MAX_TIMEOUT_MS, &a->timeout_ms))
				return usage();
			break;
		case 't':
			if (!parse_num(optarg, 1, 1LL << 40, &a->now))
				return usage();
			break;
		case 'I':
			if (strcmp(optarg, "helo") != 0 && strcmp(optarg, "mailfrom") != 0)
				return usage();
			a->helo_identity = strcmp(optarg, "helo") == 0;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || a->ip == NULL)
		return usage();
	return 0;
}

static int run(const struct spf_args *a, struct dns_resolver *r, const struct spf_ip *ip)
{
	struct spf_opts o;
	struct spf_verdict v;
	struct buf hdr;
	const char *why = "";
	enum sg_status st;
	int rc = 0;

	spf_opts_default(&o);
	o.resolver = r;
	o.receiver = a->receiver;
	o.now = a->now;
	o.default_exp = a->default_exp;
	if (a->verbose) {
		o.trace = print_trace;
		o.trace_arg = stderr;
	}
	if (a->helo_identity)
		st = spf_check_helo(&o, ip, a->helo, &v, &why);
	else
		st = spf_check_mailfrom(&o, ip, a->helo, a->mailfrom, &v, &why);
	if (st != SG_OK) {
		fprintf(stderr, "signet: SPF evaluation failed: %s\n", why);
		return 1;
	}
	printf("%s\n%s\n", spf_result_name(v.result),
	       v.result == SPF_FAIL ? v.explanation : v.reason);
	buf_init(&hdr, CLI_SPF_HEADER_MAX);
	if (spf_received_spf(&hdr, &v, ip, a->helo, a->mailfrom, a->receiver,
			     false) == SG_OK)
		printf("Received-SPF: %s\n", hdr.data);
	else
		rc = 1;
	buf_free(&hdr);
	return rc;
}

int cli_spf(int argc, char **argv)
{
	struct spf_args a = { .timeout_ms = CLI_SPF_TIMEOUT_MS };
	const char *servers[1], *why = "";
	struct dns_opts o;
	struct dns_resolver *r;
	struct spf_ip ip;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc;
	if (!spf_ip_parse(a.ip, &ip)) {
		fprintf(stderr, "signet: --ip %s: not an IPv4 or IPv6 address\n", a.ip);
		return 2;
	}
	if (a.default_exp != NULL &&
	    spf_macro_check(a.default_exp, strlen(a.default_exp), SPF_MACRO_EXP, &why) != SG_OK) {
		fprintf(stderr, "signet: --default-exp: %s\n", why);
		return 2;
	}
	dns_opts_default(&o);
	o.timeout_ms = (int)a.timeout_ms;
	o.cache_entries = 1000;
	if (a.dns != NULL) {
		servers[0] = a.dns;
		o.servers = servers;
		o.n_servers = 1;
	}
	if ((r = dns_resolver_new(&o, &why)) == NULL) {
		fprintf(stderr, "signet: DNS resolver: %s\n", why);
		return 1;
	}
	rc = run(&a, r, &ip);
	dns_resolver_free(&r);
	return rc;
}
