/*
 * tests/unit/milter_config_test.c -- configuration loading (errors name
 * FILE:LINE), defaults, relative paths, and the signer's decisions on
 * odd messages (no From, two From fields, huge headers, bare LF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "dkim/key.h"
#include "milter/config.h"
#include "milter/signer.h"
#include "tests/lib/test.h"

static char dir[256];

static void put(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static const char *good_conf =
	"socket = \"inet:18891@127.0.0.1\";\n"
	"authserv_id = \"mx.test.example\";\n"
	"internal_hosts = [ \"10.0.0.0/8\" ];\n"
	"dkim = {\n"
	"  key_table = \"KeyTable\";\n"
	"  signing_table = \"SigningTable\";\n"
	"  canonicalization = \"simple/relaxed\";\n"
	"};\n";

static void test_good(void)
{
	struct sg_conf *c = NULL;
	char err[512] = "", path[512];

	snprintf(path, sizeof path, "%s/good.conf", dir);
	put("good.conf", good_conf, 0644);
	T_EXPECT(conf_load(path, &c, err, sizeof err, NULL) == SG_OK, err);
	if (c == NULL)
		return;
	T_EXPECT_STR(c->socket, "inet:18891@127.0.0.1", "socket");
	T_EXPECT_STR(c->authserv_id, "mx.test.example", "authserv_id");
	T_EXPECT(c->hcanon == DKIM_CANON_SIMPLE && c->bcanon == DKIM_CANON_RELAXED, "canon");
	T_EXPECT(c->n_oversign == 1 && strcmp(c->oversign[0], "From") == 0, "oversign-default");
	T_EXPECT(c->key_table[0] == '/' && strstr(c->key_table, "/KeyTable") != NULL,
		 "relative-path-made-absolute");
	T_EXPECT(cidr_list_match_text(c->internal_hosts, "10.1.2.3"), "internal-10/8");
	T_EXPECT(!cidr_list_match_text(c->internal_hosts, "127.0.0.1"), "list-replaces-default");
	T_EXPECT(dkim_tables_nkeys(c->tables) == 2, "two-keys");
	T_EXPECT(c->on_error == CONF_ON_ERROR_ACCEPT, "on-error-default");
	T_EXPECT(c->verify.max_signatures == 5 && c->verify.min_rsa_bits == 1024 &&
		 !c->verify.internal && !c->verify.fail_body_length &&
		 c->verify.clock_skew == 300, "verify-defaults");
	T_EXPECT(c->dns_tries == 2 && c->dns_cache_entries == 10000 &&
		 c->dns_negative_ttl == 300 && c->resolver == NULL, "dns-defaults");
	conf_unref(&c);
}

static void test_verify_group(void)
{
	static const char text[] =
		"dns = { servers = [ \"127.0.0.1:5353\", \"[::1]:53\" ]; timeout_ms = 500;\n"
		"  tries = 3; cache_entries = 0; cache_max_ttl = 60; negative_ttl = 5; };\n"
		"verify = { internal = true; max_signatures = 9; min_rsa_bits = 2048;\n"
		"  fail_body_length = true; clock_skew = 0; };\n"
		"dkim = { key_table = \"KeyTable\"; signing_table = \"SigningTable\"; };\n";
	struct sg_conf *c = NULL;
	char err[512] = "", path[512];

	snprintf(path, sizeof path, "%s/verify.conf", dir);
	put("verify.conf", text, 0644);
	T_EXPECT(conf_load(path, &c, err, sizeof err, NULL) == SG_OK, err);
	if (c == NULL)
		return;
	T_EXPECT(c->n_dns_servers == 2 && c->dns_timeout_ms == 500 && c->dns_tries == 3 &&
		 c->dns_cache_entries == 0 && c->dns_max_ttl == 60 &&
		 c->dns_negative_ttl == 5, "dns-group");
	T_EXPECT(c->verify.internal && c->verify.max_signatures == 9 &&
		 c->verify.min_rsa_bits == 2048 && c->verify.fail_body_length &&
		 c->verify.clock_skew == 0, "verify-group");
	conf_unref(&c);
}

static void test_spf_dmarc_groups(void)
{
	static const char text[] =
		"spf = { enabled = false; received_spf = true; timeout_ms = 5000; };\n"
		"dmarc = { mode = \"rfc7489\"; reject_failures = false; quarantine = \"header\";\n"
		"  on_temperror = \"tempfail\"; malformed_from = \"tag\";\n"
		"  override_domains = [ \"Lists.EXAMPLE.org.\" ];\n"
		"  override_hosts = [ \"192.0.2.0/24\", \"2001:db8::/32\" ];\n"
		"  history = \"state/dmarc.db\"; };\n"
		"dkim = { key_table = \"KeyTable\"; signing_table = \"SigningTable\"; };\n";
	struct sg_conf *c = NULL;
	char err[512] = "", path[512], want[600];

	/* Defaults first. */
	snprintf(path, sizeof path, "%s/good.conf", dir);
	T_EXPECT(conf_load(path, &c, err, sizeof err, NULL) == SG_OK, err);
	if (c != NULL) {
		T_EXPECT(c->spf.enabled && !c->spf.received_spf && c->spf.timeout_ms == 20000,
			 "spf-defaults");
		T_EXPECT(c->dmarc.enabled && c->dmarc.mode == DMARC_MODE_RFC9989 &&
			 c->dmarc.reject_failures && !c->dmarc.quarantine_header &&
			 c->dmarc.on_temperror == CONF_ON_ERROR_ACCEPT &&
			 !c->dmarc.malformed_tag && c->dmarc.history_path == NULL &&
			 c->dmarc.psl == NULL, "dmarc-defaults");
		conf_unref(&c);
	}
	snprintf(path, sizeof path, "%s/dmarc.conf", dir);
	put("dmarc.conf", text, 0644);
	T_EXPECT(conf_load(path, &c, err, sizeof err, NULL) == SG_OK, err);
	if (c == NULL)
		return;
	T_EXPECT(!c->spf.enabled && c->spf.received_spf && c->spf.timeout_ms == 5000,
		 "spf-group");
	T_EXPECT(c->dmarc.mode == DMARC_MODE_RFC7489 && c->dmarc.psl != NULL &&
		 !c->dmarc.reject_failures && c->dmarc.quarantine_header &&
		 c->dmarc.on_temperror == CONF_ON_ERROR_TEMPFAIL && c->dmarc.malformed_tag,
		 "dmarc-group");
	T_EXPECT(c->dmarc.n_override_domains == 1 &&
		 strcmp(c->dmarc.override_domains[0], "lists.example.org") == 0,
		 "override-domain-canonical");
	T_EXPECT(cidr_list_match_text(c->dmarc.override_hosts, "192.0.2.77") &&
		 cidr_list_match_text(c->dmarc.override_hosts, "2001:db8::1") &&
		 !cidr_list_match_text(c->dmarc.override_hosts, "198.51.100.1"),
		 "override-hosts");
	snprintf(want, sizeof want, "%s/state/dmarc.db", dir);
	T_EXPECT(c->dmarc.history_path != NULL && strcmp(c->dmarc.history_path, want) == 0,
		 "history-path-relative-to-config");
	conf_unref(&c);
}

static void test_errors(void)
{
	static const struct { const char *label, *text, *want; } cases[] = {
		{ "syntax-error", "socket = \"inet:1@127.0.0.1\"\ndkim = {};\n", "bad.conf:2:" },
		{ "unknown-top", "sockett = \"x\";\n", "bad.conf:1: unknown setting 'sockett'" },
		{ "unknown-in-dkim",
		  "dkim = {\n key_table = \"KeyTable\";\n signing_table = \"SigningTable\";\n"
		  " canonicalisation = \"relaxed\";\n};\n",
		  "bad.conf:4: unknown setting 'canonicalisation' in dkim" },
		{ "bad-socket", "socket = \"tcp:8891\";\n", "bad.conf:1: socket 'tcp:8891'" },
		{ "bad-canon",
		  "dkim = {\n key_table = \"KeyTable\";\n signing_table = \"SigningTable\";\n"
		  " canonicalization = \"loose/relaxed\";\n};\n", "bad.conf:4: canonicalization" },
		{ "bad-cidr", "internal_hosts = [ \"10.0.0.0/33\" ];\n", "bad.conf:1: internal_hosts: '10.0.0.0/33'" },
		{ "bad-on-error", "on_error = \"drop\";\n", "bad.conf:1: on_error" },
		{ "no-dkim", "socket = \"inet:1@127.0.0.1\";\n", "missing 'dkim'" },
		{ "bool-type",
		  "dkim = {\n key_table = \"KeyTable\";\n signing_table = \"SigningTable\";\n"
		  " create_missing_keys = \"yes\";\n};\n", "bad.conf:4: 'create_missing_keys' must be true or false" },
		{ "sign-headers-without-from",
		  "dkim = {\n key_table = \"KeyTable\";\n signing_table = \"SigningTable\";\n"
		  " sign_headers = [ \"Subject\" ];\n};\n", "sign_headers must include From" },
		{ "table-dataset-type",
		  "dkim = {\n key_table = \"db:/etc/kt.db\";\n signing_table = \"SigningTable\";\n};\n",
		  "bad.conf:2: 'key_table' must be a file path" },
		{ "verify-unknown",
		  "verify = { max_sigs = 3; };\n", "bad.conf:1: unknown setting 'max_sigs' in verify" },
		{ "verify-rsa-bits-low",
		  "verify = { min_rsa_bits = 512; };\n", "bad.conf:1: 'min_rsa_bits' must be between 1024" },
		{ "dns-tries-zero",
		  "dns = { tries = 0; };\n", "bad.conf:1: 'tries' must be between 1" },
		{ "spf-unknown", "spf = { helo = true; };\n",
		  "bad.conf:1: unknown setting 'helo' in spf" },
		{ "dmarc-mode", "dmarc = {\n mode = \"rfc7490\";\n};\n",
		  "bad.conf:2: mode must be \"rfc9989\" or \"rfc7489\"" },
		{ "dmarc-quarantine", "dmarc = { quarantine = \"discard\"; };\n",
		  "bad.conf:1: quarantine must be" },
		{ "dmarc-temperror", "dmarc = { on_temperror = \"reject\"; };\n",
		  "bad.conf:1: on_temperror must be \"accept\" or \"tempfail\"" },
		{ "dmarc-override-domain", "dmarc = { override_domains = [ \"bad domain\" ]; };\n",
		  "bad.conf:1: override_domains: 'bad domain'" },
		{ "dmarc-override-host", "dmarc = { override_hosts = [ \"300.1.1.1\" ]; };\n",
		  "bad.conf:1: override_hosts: '300.1.1.1'" },
		{ "dmarc-psl-missing",
		  "dmarc = { mode = \"rfc7489\";\n public_suffix_list = \"/nonexistent/psl.dat\"; };\n",
		  "needs the Public Suffix List" },
		{ "missing-keytable",
		  "dkim = {\n key_table = \"NoSuchTable\";\n signing_table = \"SigningTable\";\n};\n",
		  "NoSuchTable" },
	};
	char path[512];

	snprintf(path, sizeof path, "%s/bad.conf", dir);
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct sg_conf *c = NULL;
		char err[512] = "";

		put("bad.conf", cases[i].text, 0644);
		T_EXPECT(conf_load(path, &c, err, sizeof err, NULL) != SG_OK && c == NULL,
			 cases[i].label);
		if (strstr(err, cases[i].want) == NULL) {
			fprintf(stderr, "  [%s] err=\"%s\" want \"%s\"\n", cases[i].label,
				err, cases[i].want);
			T_EXPECT(0, cases[i].label);
		} else {
			T_EXPECT(1, cases[i].label);
		}
	}
}

static void test_refile_prefix(void)
{
	struct sg_conf *c = NULL;
	char err[512] = "", path[512];

	snprintf(path, sizeof path, "%s/refile.conf", dir);
	put("refile.conf", "dkim = { key_table = \"file:KeyTable\"; "
	    "signing_table = \"refile:SigningTable\"; };\n", 0644);
	T_EXPECT(conf_load(path, &c, err, sizeof err, NULL) == SG_OK, err);
	T_EXPECT(c != NULL && strstr(c->signing_table, "refile:") == NULL &&
		 c->signing_table[0] == '/', "opendkim-refile-prefix-dropped");
	conf_unref(&c);
}

static void test_unsafe_key(void)
{
	struct sg_conf *c = NULL;
	char err[512] = "", path[512], key[512];

	snprintf(key, sizeof key, "%s/rsa.pem", dir);
	chmod(key, 0644);
	snprintf(path, sizeof path, "%s/good.conf", dir);
	T_EXPECT(conf_load(path, &c, err, sizeof err, NULL) == SG_E_PERM, "unsafe-key-refused");
	T_EXPECT(strstr(err, "KeyTable:1:") != NULL, "unsafe-key-names-keytable-line");
	chmod(key, 0600);
}

/* Feed a message through a signer; returns the number of signatures. */
static size_t run_signer(struct sg_conf *c, const char *const *hdrs, size_t nh,
			 const char *body, const char **skip)
{
	struct signer *s = signer_new(c);
	const char *const *vals;
	const char *why = "";
	size_t n = 0;

	for (size_t i = 0; i + 1 < nh * 2; i += 2)
		signer_header(s, hdrs[i], hdrs[i + 1], false);
	signer_eoh(s);
	signer_body(s, body, strlen(body));
	if (signer_eom(s, 1700000000, &vals, &n, &why) != SG_OK)
		n = (size_t)-1;
	*skip = signer_skip_reason(s);
	signer_free(&s);
	return n;
}

static void test_signer(void)
{
	struct sg_conf *c = NULL;
	char err[512] = "", path[512];
	const char *skip;
	static const char *one_from[] = { "From", "A <a@example.com>", "Subject", "hi" };
	static const char *no_from[] = { "Subject", "hi" };
	static const char *two_from[] = { "From", "a@example.com", "From", "b@example.com" };
	static const char *two_addr[] = { "From", "a@example.com, b@example.com" };
	static const char *other_dom[] = { "From", "a@example.org" };
	static const char *bare_lf[] = { "From", "a@example.com", "Subject", "x\n\tfolded" };
	char *big = malloc(5u * 1024 * 1024);
	const char *huge[] = { "From", "a@example.com", "X-Big", big };

	snprintf(path, sizeof path, "%s/good.conf", dir);
	if (conf_load(path, &c, err, sizeof err, NULL) != SG_OK) {
		T_EXPECT(0, err);
		free(big);
		return;
	}
	T_EXPECT(run_signer(c, one_from, 2, "body\r\n", &skip) == 2 && skip == NULL, "dual-signed");
	T_EXPECT(run_signer(c, no_from, 1, "", &skip) == 0 && skip != NULL &&
		 strstr(skip, "no From") != NULL, "no-from-not-signed");
	T_EXPECT(run_signer(c, two_from, 2, "", &skip) == 0 && skip != NULL &&
		 strstr(skip, "more than one From") != NULL, "two-from-not-signed");
	T_EXPECT(run_signer(c, two_addr, 1, "", &skip) == 0 && skip != NULL, "two-addresses-not-signed");
	T_EXPECT(run_signer(c, other_dom, 1, "", &skip) == 0 && skip != NULL &&
		 strstr(skip, "SigningTable") != NULL, "foreign-domain-not-signed");
	T_EXPECT(run_signer(c, bare_lf, 2, "a\nb\n", &skip) == 2, "bare-lf-signed");
	memset(big, 'x', 5u * 1024 * 1024 - 1);
	big[5u * 1024 * 1024 - 1] = '\0';
	T_EXPECT(run_signer(c, huge, 2, "", &skip) == 0 && skip != NULL &&
		 strstr(skip, "limit") != NULL, "huge-header-not-signed");
	free(big);
	conf_unref(&c);
}

int main(void)
{
	char kt[1024], key1[512], key2[512];
	const char *why;

	log_set_level(LOG_LVL_ERR);
	snprintf(dir, sizeof dir, "%s/signet-conf-XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(key1, sizeof key1, "%s/rsa.pem", dir);
	snprintf(key2, sizeof key2, "%s/ed25519.pem", dir);
	if (dkim_key_generate(DKIM_ALG_RSA_SHA256, 2048, key1, &why) != SG_OK ||
	    dkim_key_generate(DKIM_ALG_ED25519_SHA256, 0, key2, &why) != SG_OK) {
		fprintf(stderr, "keygen: %s\n", why);
		return 2;
	}
	snprintf(kt, sizeof kt, "rsa example.com:rsa:rsa.pem\ned example.com:ed:ed25519.pem\n");
	put("KeyTable", kt, 0644);
	put("SigningTable", "*@example.com rsa\n*@example.com ed\n", 0644);

	test_good();
	test_verify_group();
	test_spf_dmarc_groups();
	test_errors();
	test_refile_prefix();
	test_unsafe_key();
	test_signer();

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return T_DONE("milter_config_test");
}
