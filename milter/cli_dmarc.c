/*
 * milter/cli_dmarc.c -- `signet dmarc` (see cli_dmarc.h).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/dns.h"
#include "dmarc/author.h"
#include "dmarc/policy.h"
#include "dmarc/psl.h"
#include "cli_dmarc.h"

#define CLI_MAX_DKIM	DKIM_MAX_VERIFY_SIGS
#define CLI_MAX_FROM	8

struct args {
	const char *from_domain;
	const char *from[CLI_MAX_FROM];
	size_t n_from;
	bool no_from;
	struct dmarc_dkim_in dkim[CLI_MAX_DKIM];
	size_t n_dkim;
	struct dmarc_spf_in spf;
	bool have_spf;
	const char *dns, *psl;
	int timeout_ms;
	enum dmarc_mode mode;
	unsigned author_flags;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: signet dmarc (--from-domain D | --from VALUE [--from VALUE]...\n"
		"                    | --no-from)\n"
		"                    [--dkim [d=]DOMAIN:pass|fail]... [--spf DOMAIN:RESULT]\n"
		"                    [--dns ADDR:PORT] [--timeout MS] [--mode rfc9989|rfc7489]\n"
		"                    [--psl FILE] [--reject-multi-from]\n");
	return 2;
}

/* "DOMAIN:WORD": the part after the last colon into *word. */
static char *split_last_colon(char *s, char **word)
{
	char *c = strrchr(s, ':');

	if (c == NULL || c == s || c[1] == '\0')
		return NULL;
	*c = '\0';
	*word = c + 1;
	return s;
}

static bool add_dkim(struct args *a, char *arg)
{
	char *word, *d;

	if (a->n_dkim == CLI_MAX_DKIM)
		return false;
	if (strncmp(arg, "d=", 2) == 0)
		arg += 2;
	if ((d = split_last_colon(arg, &word)) == NULL)
		return false;
	if (strcmp(word, "pass") != 0 && strcmp(word, "fail") != 0)
		return false;
	a->dkim[a->n_dkim].domain = d;
	a->dkim[a->n_dkim++].pass = strcmp(word, "pass") == 0;
	return true;
}

static bool set_spf(struct args *a, char *arg)
{
	char *word, *d;

	if ((d = split_last_colon(arg, &word)) == NULL ||
	    !dmarc_spf_result_parse(word, &a->spf.result))
		return false;
	a->spf.domain = d;
	a->have_spf = true;
	return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "from-domain", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "no-from", no_argument, NULL, 'n' },
		{ "dkim", required_argument, NULL, 'k' },
		{ "spf", required_argument, NULL, 's' },
		{ "dns", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'm' },
		{ "psl", required_argument, NULL, 'p' },
		{ "reject-multi-from", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 2;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'D': a->from_domain = optarg; break;
		case 'f':
			if (a->n_from == CLI_MAX_FROM)
				return -1;
			a->from[a->n_from++] = optarg;
			break;
		case 'n': a->no_from = true; break;
		case 'k': if (!add_dkim(a, optarg)) return -1; break;
		case 's': if (!set_spf(a, optarg)) return -1; break;
		case 'd': a->dns = optarg; break;
		case 't': a->timeout_ms = atoi(optarg); break;
		case 'p': a->psl = optarg; break;
		case 'r': a->author_flags |= DMARC_AUTHOR_REJECT_MULTI; break;
		case 'm':
			if (strcmp(optarg, "rfc9989") == 0)
				a->mode = DMARC_MODE_RFC9989;
			else if (strcmp(optarg, "rfc7489") == 0)
				a->mode = DMARC_MODE_RFC7489;
			else
				return -1;
			break;
		default: return -1;
		}
	}
	/* Exactly one way of giving the author. */
	if (optind != argc || (a->from_domain != NULL) + (a->n_from > 0) + a->no_from != 1)
		return -1;
	return 0;
}

static const char *aligned_name(const struct dmarc_outcome *o)
{
	if (o->dkim_aligned && o->spf_aligned)
		return "dkim+spf";
	return o->dkim_aligned ? "dkim" : o->spf_aligned ? "spf" : "neither";
}

static int print_outcome(const struct dmarc_outcome *o, const struct dmarc_authors *au)
{
	struct buf b;
	int rc = 0;

	printf("result=%s\n", dmarc_result_name(o->result));
	printf("policy=%s\n", o->policy != DMARC_REQ_UNSET ? dmarc_req_name(o->policy) : "-");
	printf("policy-tag=%s\n", o->policy_tag != DMARC_TAG_NONE ?
				  dmarc_policy_tag_name(o->policy_tag) : "-");
	printf("disposition=%s\n", dmarc_req_name(o->disposition));
	printf("author=%s\n", o->author);
	printf("authors=");
	for (size_t i = 0; i < au->n; i++)
		printf("%s%s", i > 0 ? "," : "", au->domain[i]);
	printf("\norg-domain=%s\n", o->org_domain);
	printf("policy-domain=%s\n", o->policy_domain);
	printf("aligned=%s\n", aligned_name(o));
	printf("testing=%s\n", o->testing ? "yes" : "no");
	printf("reject-message=%s\n", au->reject ? "yes" : "no");
	printf("reason=%s\n", au->reject && au->why != NULL ? au->why : o->reason ? o->reason : "");
	for (size_t i = 0; i < o->record.n_rua; i++)
		printf("rua=%s\n", o->record.rua[i]);
	for (size_t i = 0; i < o->record.n_ruf; i++)
		printf("ruf=%s\n", o->record.ruf[i]);
	printf("queries=%u\n", o->queries);
	buf_init(&b, 4096);
	if (dmarc_authres(&b, o, false) != SG_OK) {
		fprintf(stderr, "signet: out of memory\n");
		rc = 1;
	} else {
		printf("authres=%s\n", b.data + 2);	/* after "; " */
	}
	buf_free(&b);
	return rc;
}

static struct dns_resolver *resolver(const struct args *a)
{
	const char *servers[1] = { a->dns };
	struct dns_opts o;
	struct dns_resolver *r;
	const char *why = "";

	dns_opts_default(&o);
	if (a->dns != NULL) {
		o.servers = servers;
		o.n_servers = 1;
	}
	if (a->timeout_ms > 0) {
		o.timeout_ms = a->timeout_ms;
		o.tries = 1;
	}
	if ((r = dns_resolver_new(&o, &why)) == NULL)
		fprintf(stderr, "signet: resolver: %s\n", why);
	return r;
}

/* Evaluate every author domain; *worst is the outcome to report. */
static int evaluate(const struct args *a, const struct dmarc_authors *au,
		    struct dmarc_outcome *worst)
{
	struct dmarc_opts o = { .mode = a->mode };
	const struct dmarc_input in = {
		.dkim = a->dkim, .n_dkim = a->n_dkim, .spf = a->have_spf ? &a->spf : NULL,
	};
	struct dmarc_psl *psl = NULL;
	char err[512];
	int rc = 0;

	if (a->mode == DMARC_MODE_RFC7489 &&
	    (psl = dmarc_psl_load(a->psl ? a->psl : DMARC_PSL_DEFAULT_PATH, 0,
				  err, sizeof err)) == NULL) {
		fprintf(stderr, "signet: %s\n", err);
		return 1;
	}
	o.psl = psl;
	if ((o.resolver = resolver(a)) == NULL) {
		dmarc_psl_free(&psl);
		return 1;
	}
	if (dmarc_policy_eval_authors(&o, au, &in, worst) != SG_OK) {
		fprintf(stderr, "signet: out of memory\n");
		rc = 1;
	}
	dns_resolver_free(&o.resolver);
	dmarc_psl_free(&psl);
	return rc;
}

int cli_dmarc(int argc, char **argv)
{
	struct args a = { .mode = DMARC_MODE_RFC9989 };
	struct dmarc_authors au;
	struct dmarc_outcome out;
	size_t lens[CLI_MAX_FROM];
	enum sg_status st;
	int rc;

	if (parse_args(argc, argv, &a) != 0)
		return usage();
	dmarc_outcome_permerror(&out, NULL, "");
	if (a.from_domain != NULL) {
		const char *v = a.from_domain;
		size_t n = strlen(v);

		/* A bare domain: as the one mailbox of one From field. */
		memset(&au, 0, sizeof au);
		au.n = 1;
		au.mailboxes = 1;
		if (n > DNS_MAX_NAME) {
			st = SG_E_SYNTAX;
			au.n = 0;
		} else {
			memcpy(au.domain[0], v, n + 1);
			st = SG_OK;
		}
	} else {
		for (size_t i = 0; i < a.n_from; i++)
			lens[i] = strlen(a.from[i]);
		st = dmarc_authors(a.from, lens, a.n_from, a.author_flags, &au);
	}
	if (st == SG_E_NOMEM) {
		fprintf(stderr, "signet: out of memory\n");
		return 1;
	}
	if (st != SG_OK)
		dmarc_outcome_permerror(&out, NULL, au.why != NULL ? au.why : "bad From domain");
	else if ((rc = evaluate(&a, &au, &out)) != 0)
		return rc;
	rc = print_outcome(&out, &au);
	dmarc_outcome_clear(&out);
	return rc;
}
