/*
 * milter/cli.c -- signet, the administrator's command-line tool.
 *
 *   signet sign -c CONF [-t UNIXTIME] [FILE]   sign a stored message as signetd would
 *   signet keygen -a rsa|ed25519 [-b BITS] -d DOMAIN -s SELECTOR -o KEYFILE
 *   signet dnsrecord -c CONF                    TXT records for every KeyTable key
 *   signet verify [-c CONF] [--dns ADDR:PORT] [--time UNIXTIME]
 *                 [--authserv-id ID] [FILE]     the Authentication-Results
 *                                               value signetd would add
 *   signet version
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/limits.h"
#include "common/log.h"
#include "cli_dmarc.h"
#include "cli_spf.h"
#include "config.h"
#include "dkim/key.h"
#include "signer.h"
#include "verifier.h"
#include "zone.h"

#define SIGNET_VERSION "0.1.0"
#define CLI_MAX_MESSAGE (512u * 1024 * 1024)

static int usage(void)
{
	fprintf(stderr,
		"usage: signet sign -c CONF [-t UNIXTIME] [FILE]\n"
		"       signet keygen -a rsa|ed25519 [-b BITS] -d DOMAIN -s SELECTOR -o KEYFILE\n"
		"       signet dnsrecord -c CONF\n"
		"       signet verify [-c CONF] [--dns ADDR:PORT] [--time UNIXTIME]\n"
		"                     [--authserv-id ID] [--ip CLIENT_IP --helo NAME\n"
		"                     --mailfrom ADDR] [FILE]\n"
		"                     (SPF needs --ip; DMARC runs unless the config turns it off)\n"
		"       signet spf --ip IP --helo NAME --mailfrom ADDR [--dns ADDR:PORT] [-v]\n"
		"       signet dmarc --from-domain DOMAIN [options]   (signet dmarc --help)\n"
		"       signet version\n");
	return 2;
}

static void on_warning(void *arg, const char *msg)
{
	fprintf(stderr, "signet: warning: %s\n", msg);
}

static struct sg_conf *load(const char *path)
{
	struct dkim_tables_opts hooks = { .on_warning = on_warning };
	struct sg_conf *c;
	char err[1024] = "";

	if (conf_load(path, &c, err, sizeof err, &hooks) != SG_OK) {
		fprintf(stderr, "signet: %s\n", err);
		return NULL;
	}
	return c;
}

static int read_all(FILE *f, struct buf *b)
{
	char chunk[65536];
	size_t n;

	buf_init(b, CLI_MAX_MESSAGE);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(b, chunk, n) != SG_OK)
			return -1;
	return ferror(f) ? -1 : 0;
}

typedef enum sg_status header_fn(void *arg, const char *name, const char *value,
				 bool leadspc);

static enum sg_status to_signer(void *arg, const char *name, const char *value,
				bool leadspc)
{
	return signer_header(arg, name, value, leadspc);
}

static enum sg_status to_verifier(void *arg, const char *name, const char *value,
				  bool leadspc)
{
	return verifier_header(arg, name, value, leadspc);
}

/* Feed the header block of msg to fn; returns the body offset. */
static size_t feed_headers(header_fn *fn, void *arg, const char *msg, size_t len,
			   int *err)
{
	size_t pos = 0;

	while (pos < len) {
		const char *line = msg + pos, *nl = memchr(line, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - msg) + 1 : len;

		if (line[0] == '\n' || (line[0] == '\r' && pos + 1 < len && line[1] == '\n'))
			return end;			/* the empty line */
		/* Take continuation lines along. */
		while (end < len && (msg[end] == ' ' || msg[end] == '\t')) {
			const char *n2 = memchr(msg + end, '\n', len - end);

			end = n2 ? (size_t)(n2 - msg) + 1 : len;
		}
		const char *colon = memchr(line, ':', end - pos);

		if (colon == NULL) {
			fprintf(stderr, "signet: header line without a colon, treated as body start\n");
			return pos;
		}
		size_t vlen = end - (size_t)(colon + 1 - msg);
		char *name = strndup(line, (size_t)(colon - line));
		char *value = strndup(colon + 1, vlen);

		if (name == NULL || value == NULL) {
			free(name);
			free(value);
			*err = 1;
			return len;
		}
		/* Strip the field's own line end; inner folds stay. */
		while (vlen > 0 && (value[vlen - 1] == '\n' || value[vlen - 1] == '\r'))
			value[--vlen] = '\0';
		if (fn(arg, name, value, true) != SG_OK)
			*err = 1;
		free(name);
		free(value);
		pos = end;
	}
	return len;
}

static int cmd_sign(int argc, char **argv)
{
	const char *cpath = NULL, *why = "";
	long long now = (long long)time(NULL);
	struct sg_conf *c;
	struct signer *s;
	struct buf msg;
	const char *const *vals;
	size_t n, body;
	int opt, err = 0;
	FILE *in = stdin;

	while ((opt = getopt(argc, argv, "c:t:")) != -1) {
		if (opt == 'c')
			cpath = optarg;
		else if (opt == 't')
			now = strtoll(optarg, NULL, 10);
		else
			return usage();
	}
	if (cpath == NULL || argc - optind > 1)
		return usage();
	if (optind < argc && (in = fopen(argv[optind], "rb")) == NULL) {
		fprintf(stderr, "signet: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if ((c = load(cpath)) == NULL)
		return 1;
	if (read_all(in, &msg) != 0) {
		fprintf(stderr, "signet: cannot read the message (over %u bytes?)\n", CLI_MAX_MESSAGE);
		conf_unref(&c);
		return 1;
	}
	if ((s = signer_new(c)) == NULL) {
		conf_unref(&c);
		buf_free(&msg);
		return 1;
	}
	body = feed_headers(to_signer, s, msg.data ? msg.data : "", msg.len, &err);
	if (err || signer_eoh(s) != SG_OK ||
	    signer_body(s, msg.data + body, msg.len - body) != SG_OK ||
	    signer_eom(s, now, &vals, &n, &why) != SG_OK) {
		fprintf(stderr, "signet: signing failed: %s\n", why);
		err = 1;
	} else if (n == 0) {
		fprintf(stderr, "signet: not signed: %s\n", signer_skip_reason(s));
		err = 3;
	} else {
		const char *nl = memchr(msg.data, '\n', msg.len);
		bool crlf = nl != NULL && nl > msg.data && nl[-1] == '\r';

		for (size_t i = 0; i < n; i++) {
			fputs("DKIM-Signature:", stdout);
			for (const char *p = vals[i]; *p != '\0'; p++)
				if (crlf || *p != '\r')
					putchar(*p);
			fputs(crlf ? "\r\n" : "\n", stdout);
		}
	}
	if (err == 0 || err == 3)
		fwrite(msg.data, 1, msg.len, stdout);
	signer_free(&s);
	conf_unref(&c);
	buf_free(&msg);
	if (in != stdin)
		fclose(in);
	return err;
}

static int cmd_keygen(int argc, char **argv)
{
	const char *alg = "rsa", *domain = NULL, *sel = NULL, *out = NULL, *why, *warn;
	struct dkim_privkey *k;
	int bits = 2048, opt;
	enum dkim_alg a;

	while ((opt = getopt(argc, argv, "a:b:d:s:o:")) != -1) {
		switch (opt) {
		case 'a': alg = optarg; break;
		case 'b': bits = atoi(optarg); break;
		case 'd': domain = optarg; break;
		case 's': sel = optarg; break;
		case 'o': out = optarg; break;
		default: return usage();
		}
	}
	if (domain == NULL || sel == NULL || out == NULL)
		return usage();
	if (strcmp(alg, "rsa") == 0)
		a = DKIM_ALG_RSA_SHA256;
	else if (strcmp(alg, "ed25519") == 0)
		a = DKIM_ALG_ED25519_SHA256;
	else
		return usage();
	if (a == DKIM_ALG_RSA_SHA256 && (bits < 1024 || bits > 8192)) {
		fprintf(stderr, "signet: RSA keys must have 1024 to 8192 bits\n");
		return 1;
	}
	if (dkim_key_generate(a, bits, out, &why) != SG_OK ||
	    dkim_key_load(out, false, &k, &warn, &why) != SG_OK) {
		fprintf(stderr, "signet: %s: %s\n", out, why);
		return 1;
	}
	char *txt = dkim_key_txt(k);

	if (txt == NULL) {
		dkim_key_free(&k);
		return 1;
	}
	fprintf(stderr, "signet: wrote %s (mode 0600); publish:\n", out);
	zone_print_txt(stdout, sel, domain, txt);
	free(txt);
	dkim_key_free(&k);
	return 0;
}

static int cmd_dnsrecord(int argc, char **argv)
{
	const char *cpath = CONF_DEFAULT_PATH;
	struct sg_conf *c;
	int opt;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c')
			return usage();
		cpath = optarg;
	}
	if ((c = load(cpath)) == NULL)
		return 1;
	for (size_t i = 0; i < dkim_tables_nkeys(c->tables); i++) {
		const struct dkim_keyentry *e = dkim_tables_key(c->tables, i);
		char *txt = dkim_key_txt(e->key);

		if (txt == NULL)
			continue;
		printf("; KeyTable %s, %s, %d bits, %s\n", e->name,
		       dkim_alg_name(dkim_key_alg(e->key)), dkim_key_bits(e->key), e->path);
		zone_print_txt(stdout, e->selector,
			       strcmp(e->domain, "%") == 0 ? "YOUR-DOMAIN" : e->domain, txt);
		free(txt);
	}
	conf_unref(&c);
	return 0;
}

/* The configuration verify runs with: -c's, or the defaults. */
struct verify_setup {
	struct sg_conf *conf;
	struct sg_verify_conf vc;
	struct sg_spf_conf spf;
	struct sg_dmarc_conf dmarc;	/* without -c: defaults, rfc9989 */
	const char *ip, *helo, *mailfrom;
	struct sockaddr_storage addr;
	char host[256];
	const char *authserv_id;
	const char *dns;
	struct dns_resolver *resolver;
};

static bool sockaddr_parse(const char *text, struct sockaddr_storage *ss);

static int verify_prepare(struct verify_setup *vs)
{
	const char *servers[1] = { vs->dns }, *why = "";
	struct dns_opts o;

	conf_verify_defaults(&vs->vc);
	vs->spf = (struct sg_spf_conf){ .enabled = true, .timeout_ms = SPF_MAX_EVAL_MS };
	vs->dmarc = (struct sg_dmarc_conf){
		.enabled = true, .mode = DMARC_MODE_RFC9989, .reject_failures = true,
	};
	dns_opts_default(&o);
	if (vs->conf != NULL) {
		vs->vc = vs->conf->verify;
		vs->spf = vs->conf->spf;
		vs->dmarc = vs->conf->dmarc;
		if (vs->authserv_id == NULL)
			vs->authserv_id = vs->conf->authserv_id;
		conf_dns_opts(vs->conf, &o);
	}
	if (vs->authserv_id == NULL) {
		if (gethostname(vs->host, sizeof vs->host) != 0 || vs->host[0] == '\0')
			snprintf(vs->host, sizeof vs->host, "localhost");
		vs->host[sizeof vs->host - 1] = '\0';
		vs->authserv_id = vs->host;
	}
	if (vs->dns != NULL) {
		o.servers = servers;
		o.n_servers = 1;
	}
	if (vs->ip != NULL && !sockaddr_parse(vs->ip, &vs->addr)) {
		fprintf(stderr, "signet: --ip wants an IPv4 or IPv6 address, not '%s'\n", vs->ip);
		return 1;
	}
	if ((vs->resolver = dns_resolver_new(&o, &why)) == NULL) {
		fprintf(stderr, "signet: DNS resolver: %s\n", why);
		return 1;
	}
	return 0;
}

static bool sockaddr_parse(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

static struct verifier *verify_new(struct verify_setup *vs, long long now)
{
	const struct verifier_opts o = {
		.authserv_id = vs->authserv_id, .verify = &vs->vc,
		.spf = &vs->spf, .dmarc = &vs->dmarc,
		.resolver = vs->resolver, .now = now,
	};
	struct verifier *v = verifier_new(&o);

	if (v != NULL && verifier_envelope(v, vs->ip ? (struct sockaddr *)&vs->addr : NULL,
					   vs->helo, vs->mailfrom) != SG_OK)
		verifier_free(&v);
	return v;
}

/* What signetd would answer, when it is not plain acceptance. */
static void print_verdict(const struct verifier *v)
{
	const struct verifier_verdict *d = verifier_verdict(v);

	if (d->action == VERIFIER_QUARANTINE)
		fprintf(stderr, "signet: signetd would quarantine the message: %s\n", d->text);
	else if (d->action != VERIFIER_ACCEPT)
		fprintf(stderr, "signet: signetd would answer: %s %s %s\n",
			d->rcode, d->xcode, d->text);
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dns", required_argument, NULL, 'd' },
		{ "time", required_argument, NULL, 't' },
		{ "authserv-id", required_argument, NULL, 'a' },
		{ "ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'H' },
		{ "mailfrom", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_setup vs = { 0 };
	long long now = (long long)time(NULL);
	const char *cpath = NULL, *why = "";
	struct verifier *v = NULL;
	struct buf msg = { 0 };
	size_t body;
	int opt, err = 0;
	FILE *in = stdin;

	while ((opt = getopt_long(argc, argv, "c:d:t:a:i:H:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cpath = optarg; break;
		case 'd': vs.dns = optarg; break;
		case 't': {
			char *end;

			errno = 0;
			now = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || now < 0) {
				fprintf(stderr, "signet: --time wants a Unix time, not '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'a': vs.authserv_id = optarg; break;
		case 'i': vs.ip = optarg; break;
		case 'H': vs.helo = optarg; break;
		case 'f': vs.mailfrom = optarg; break;
		default: return usage();
		}
	}
	if (argc - optind > 1)
		return usage();
	if (optind < argc && (in = fopen(argv[optind], "rb")) == NULL) {
		fprintf(stderr, "signet: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if ((cpath != NULL && (vs.conf = load(cpath)) == NULL) || verify_prepare(&vs) != 0) {
		err = 1;
	} else if (read_all(in, &msg) != 0) {
		fprintf(stderr, "signet: cannot read the message (over %u bytes?)\n", CLI_MAX_MESSAGE);
		err = 1;
	} else if ((v = verify_new(&vs, now)) == NULL) {
		err = 1;
	} else {
		body = feed_headers(to_verifier, v, msg.data ? msg.data : "", msg.len, &err);
		if (err || verifier_eoh(v) != SG_OK ||
		    verifier_body(v, msg.data + body, msg.len - body) != SG_OK ||
		    verifier_eom(v, &why) != SG_OK) {
			fprintf(stderr, "signet: verification failed: %s\n", why ? why : "");
			err = 1;
		} else {
			printf("%s\n", verifier_ar_line(v));
			print_verdict(v);
		}
	}
	verifier_free(&v);
	dns_resolver_free(&vs.resolver);
	conf_unref(&vs.conf);
	buf_free(&msg);
	if (in != stdin)
		fclose(in);
	return err;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	log_init("signet", true, 0);
	log_set_level(LOG_LVL_WARN);
	optind = 2;
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc, argv);
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc, argv);
	if (strcmp(argv[1], "dnsrecord") == 0)
		return cmd_dnsrecord(argc, argv);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc, argv);
	if (strcmp(argv[1], "spf") == 0)
		return cli_spf(argc, argv);
	if (strcmp(argv[1], "dmarc") == 0)
		return cli_dmarc(argc, argv);
	if (strcmp(argv[1], "version") == 0) {
		printf("signet %s\n", SIGNET_VERSION);
		return 0;
	}
	return usage();
}
