/*
 * milter/config.h -- signetd's configuration: one libconfig file, checked
 * completely at load (unknown settings, bad values and every key file are
 * errors naming FILE:LINE), then immutable and refcounted.
 *
 * Relative paths in the file are taken relative to the directory the
 * configuration file is in, and stored absolute, so a daemon that has
 * chdir'd to / still finds them.
 *
 * The live configuration is swapped on SIGHUP (conf_swap); every
 * connection takes a reference when it starts (conf_current) and keeps
 * that configuration until it closes.
 */
#ifndef MILTER_CONFIG_H
#define MILTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "common/cidr.h"
#include "common/dns.h"
#include "common/status.h"
#include "dkim/canon.h"
#include "dkim/tables.h"
#include "dmarc/orgdomain.h"
#include "dmarc/psl.h"

struct dmarc_history;

#define CONF_DEFAULT_PATH	"/etc/signet/signetd.conf"
#define CONF_MAX_DNS_SERVERS	8
#define CONF_MAX_LIST		256

enum conf_on_error { CONF_ON_ERROR_ACCEPT, CONF_ON_ERROR_TEMPFAIL };

/* The verify group: inbound DKIM checks. */
struct sg_verify_conf {
	bool internal;			/* also verify mail that we sign */
	unsigned max_signatures;	/* checked per message */
	int min_rsa_bits;
	bool fail_body_length;		/* content after l= fails the signature */
	long long clock_skew;		/* seconds, for x= and t= */
};

/* The spf group: RFC 7208 checks of MAIL FROM and HELO for inbound mail. */
struct sg_spf_conf {
	bool enabled;
	bool received_spf;		/* add a Received-SPF field */
	unsigned timeout_ms;		/* wall-time bound of one evaluation */
};

/* The dmarc group: RFC 9989 evaluation and enforcement. */
struct sg_dmarc_conf {
	bool enabled;
	enum dmarc_mode mode;
	char *psl_path;			/* rfc7489 mode */
	struct dmarc_psl *psl;		/* loaded with the configuration (rfc7489) */
	bool reject_failures;		/* false: report only */
	bool quarantine_header;		/* quarantine = "header": no milter quarantine */
	enum conf_on_error on_temperror;
	bool malformed_tag;		/* malformed From: tag instead of reject */
	char **override_domains;	/* canonical author domains, never enforced */
	size_t n_override_domains;
	struct cidr_list *override_hosts;	/* clients never enforced */
	char *history_path;		/* NULL: no aggregate history */
	struct dmarc_history *history;	/* conf_start_history; NULL until then */
};

struct sg_conf {
	int refs;			/* atomic; see conf_ref/conf_unref */
	char *path;			/* the file, absolute */
	char *socket;			/* inet:PORT@ADDR, inet6:PORT@ADDR, unix:/path */
	char *authserv_id;
	struct cidr_list *internal_hosts;
	enum conf_on_error on_error;
	char *pid_file;			/* NULL: none */
	char *user;			/* NULL: keep the starting user */
	int log_level;			/* enum log_level */
	int log_facility;		/* LOG_MAIL ... */
	int milter_timeout;		/* seconds, smfi_settimeout */

	char *dns_servers[CONF_MAX_DNS_SERVERS];
	size_t n_dns_servers;
	int dns_timeout_ms;
	int dns_tries;
	unsigned dns_cache_entries;
	unsigned dns_max_ttl, dns_negative_ttl;
	struct dns_resolver *resolver;	/* conf_start_resolver; NULL until then */

	struct sg_verify_conf verify;
	struct sg_spf_conf spf;
	struct sg_dmarc_conf dmarc;

	bool sign_internal;		/* sign for clients in internal_hosts */
	bool sign_authenticated;	/* sign when {auth_authen} is set */
	char **daemon_names;		/* sign when {daemon_name} is one of these */
	size_t n_daemon_names;

	char *key_table, *signing_table;
	enum dkim_canon_mode hcanon, bcanon;
	char **sign_headers;		/* NULL: dkim_default_sign_headers */
	size_t n_sign_headers;
	char **oversign;
	size_t n_oversign;
	long long expire_after;		/* x= seconds after t=; 0: no x= */
	bool allow_unsafe_perms;
	bool create_missing_keys;
	struct dkim_tables *tables;
};

/* Read and check path (the file and every key it names). On failure err
 * holds "FILE:LINE: problem" and NULL is stored. warn(arg, msg) is told
 * each warning; created(arg, entry, txt) each development key made. */
enum sg_status conf_load(const char *path, struct sg_conf **out,
			 char *err, size_t errlen,
			 const struct dkim_tables_opts *hooks);
/* Start the configuration's DNS resolver (dns group); call it in the
 * process that serves (after daemonizing). *why is static on failure. */
enum sg_status conf_start_resolver(struct sg_conf *c, const char **why);
/* Open the dmarc group's history database, when it names one (signetd
 * only, after dropping privileges). Failing leaves history NULL and
 * *why set: the caller logs it, mail still flows. */
enum sg_status conf_start_history(struct sg_conf *c, char *why, size_t whylen);
/* The resolver options of the dns group (servers NULL: resolv.conf). */
void conf_dns_opts(const struct sg_conf *c, struct dns_opts *o);
/* Defaults of the verify group. */
void conf_verify_defaults(struct sg_verify_conf *v);

/* Take another reference. */
struct sg_conf *conf_ref(struct sg_conf *c);
/* Drop a reference (freeing on the last) and NULL *cp. */
void conf_unref(struct sg_conf **cp);

/* The live configuration, with a reference for the caller; NULL before
 * the first conf_swap. */
struct sg_conf *conf_current(void);
/* Install c as the live configuration (takes the caller's reference)
 * and drop the live one's. */
void conf_swap(struct sg_conf *c);

#endif
