/*
 * milter/config.c -- see config.h.
 */
#include "config.h"

#include <libconfig.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"
#include "common/path.h"
#include "dkim/sign.h"
#include "dmarc/domain.h"
#include "dmarc/history.h"

/* Settings a file may hold; anything else is an error (a typo must not
 * silently fall back to a default). */
static const char *const top_keys[] = {
	"socket", "authserv_id", "internal_hosts", "on_error", "pid_file",
	"user", "log", "milter", "dns", "signing", "dkim", "verify", "spf",
	"dmarc", NULL
};
static const char *const log_keys[] = { "level", "facility", NULL };
static const char *const milter_keys[] = { "timeout", NULL };
static const char *const dns_keys[] = {
	"servers", "timeout_ms", "tries", "cache_entries", "cache_max_ttl",
	"negative_ttl", NULL
};
static const char *const verify_keys[] = {
	"internal", "max_signatures", "min_rsa_bits", "fail_body_length",
	"clock_skew", NULL
};
static const char *const spf_keys[] = {
	"enabled", "received_spf", "timeout_ms", NULL
};
static const char *const dmarc_keys[] = {
	"enabled", "mode", "public_suffix_list", "reject_failures", "quarantine",
	"on_temperror", "malformed_from", "override_domains", "override_hosts",
	"history", NULL
};
static const char *const signing_keys[] = {
	"internal_hosts", "authenticated", "daemon_names", NULL
};
static const char *const dkim_keys[] = {
	"key_table", "signing_table", "canonicalization", "oversign_headers",
	"sign_headers", "expire_after", "allow_unsafe_key_permissions",
	"create_missing_keys", NULL
};

struct loader {
	const char *file;
	char *dir;			/* the config file's directory */
	char *err;
	size_t errlen;
};

static enum sg_status fail(struct loader *ld, const config_setting_t *s,
			   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum sg_status fail(struct loader *ld, const config_setting_t *s,
			   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s != NULL && config_setting_source_line(s) > 0)
		snprintf(ld->err, ld->errlen, "%s:%u: %s", ld->file,
			 config_setting_source_line(s), msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->file, msg);
	return SG_E_SYNTAX;
}

static enum sg_status check_keys(struct loader *ld, const config_setting_t *grp,
				 const char *const *known, const char *where)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, i);
		const char *name = config_setting_name(s);
		size_t k;

		for (k = 0; known[k] != NULL; k++)
			if (name != NULL && strcmp(name, known[k]) == 0)
				break;
		if (known[k] == NULL)
			return fail(ld, s, "unknown setting '%s'%s%s", name ? name : "?",
				    where ? " in " : "", where ? where : "");
	}
	return SG_OK;
}

/* Make a path absolute against the config file's directory. */
static char *abs_path(struct loader *ld, const char *p)
{
	char *out;

	if (p[0] == '/')
		return strdup(p);
	if (asprintf(&out, "%s/%s", ld->dir, p) < 0)
		return NULL;
	return out;
}

static enum sg_status get_string(struct loader *ld, const config_setting_t *grp,
				 const char *name, bool path, char **out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	const char *v;

	if (s == NULL)
		return SG_OK;			/* keep the default */
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(ld, s, "'%s' must be a string", name);
	v = config_setting_get_string(s);
	if (v[0] == '\0')
		return fail(ld, s, "'%s' must not be empty", name);
	free(*out);
	*out = path ? abs_path(ld, v) : strdup(v);
	return *out == NULL ? SG_E_NOMEM : SG_OK;
}

static enum sg_status get_bool(struct loader *ld, const config_setting_t *grp,
			       const char *name, bool *out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);

	if (s == NULL)
		return SG_OK;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail(ld, s, "'%s' must be true or false", name);
	*out = config_setting_get_bool(s);
	return SG_OK;
}

static enum sg_status get_int(struct loader *ld, const config_setting_t *grp,
			      const char *name, long long lo, long long hi,
			      long long *out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	long long v;

	if (s == NULL)
		return SG_OK;
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else
		return fail(ld, s, "'%s' must be a whole number", name);
	if (v < lo || v > hi)
		return fail(ld, s, "'%s' must be between %lld and %lld", name, lo, hi);
	*out = v;
	return SG_OK;
}

/* A list (or array) of strings; a single string is taken as a list of one. */
static enum sg_status get_strings(struct loader *ld, const config_setting_t *grp,
				  const char *name, char ***out, size_t *n,
				  bool *present)
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	int len;

	if (present != NULL)
		*present = s != NULL;
	if (s == NULL)
		return SG_OK;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		len = 1;
	} else if (config_setting_is_aggregate(s)) {
		len = config_setting_length(s);
		if (len > (int)CONF_MAX_LIST)
			return fail(ld, s, "'%s' has more than %u entries", name, CONF_MAX_LIST);
	} else {
		return fail(ld, s, "'%s' must be a list of strings", name);
	}
	char **v = calloc((size_t)len + 1, sizeof *v);

	if (v == NULL)
		return SG_E_NOMEM;
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_type(s) == CONFIG_TYPE_STRING ?
					    s : config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			for (int j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return fail(ld, e, "'%s' must hold strings only", name);
		}
		if ((v[i] = strdup(config_setting_get_string(e))) == NULL) {
			for (int j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return SG_E_NOMEM;
		}
	}
	*out = v;
	*n = (size_t)len;
	return SG_OK;
}

static void free_strings(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool valid_header_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= 32 || *s >= 127 || *s == ':')
			return false;
	return true;
}

/* "inet:PORT@ADDR", "inet6:PORT@ADDR", "unix:/path" (or "local:"). */
static bool valid_socket(const char *s)
{
	const char *p, *at;
	long port;
	char *end;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0)
		return strchr(s, ':')[1] != '\0';
	if (strncmp(s, "inet:", 5) == 0)
		p = s + 5;
	else if (strncmp(s, "inet6:", 6) == 0)
		p = s + 6;
	else
		return false;
	port = strtol(p, &end, 10);
	at = end;
	return end != p && port > 0 && port < 65536 && (*at == '\0' || *at == '@');
}

/* "ADDR:PORT", "[V6]:PORT" or a bare address (port 53). */
static bool valid_dns_server(const char *s)
{
	const char *colon;

	if (s[0] == '[')
		return strstr(s, "]") != NULL;
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return true;			/* bare IPv6 */
	return s[0] != '\0' && s[0] != ':';
}

static int facility_parse(const char *s)
{
	static const struct { const char *name; int fac; } tab[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
		{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcasecmp(s, tab[i].name) == 0)
			return tab[i].fac;
	return -1;
}

static enum sg_status load_top(struct loader *ld, config_t *cf, struct sg_conf *c)
{
	config_setting_t *root = config_root_setting(cf);
	const config_setting_t *s;
	enum sg_status st;
	char *on_error = NULL;
	char **hosts = NULL;
	size_t nhosts = 0;
	bool present;
	const char *why;

	if ((st = check_keys(ld, root, top_keys, NULL)) != SG_OK ||
	    (st = get_string(ld, root, "socket", false, &c->socket)) != SG_OK ||
	    (st = get_string(ld, root, "authserv_id", false, &c->authserv_id)) != SG_OK ||
	    (st = get_string(ld, root, "pid_file", true, &c->pid_file)) != SG_OK ||
	    (st = get_string(ld, root, "user", false, &c->user)) != SG_OK)
		return st;
	if (!valid_socket(c->socket))
		return fail(ld, config_setting_get_member(root, "socket"),
			    "socket '%s' is not inet:PORT@ADDR, inet6:PORT@ADDR or unix:/path",
			    c->socket);
	for (const char *p = c->authserv_id; *p != '\0'; p++)
		if (*p <= 32 || *p >= 127 || *p == ';' || *p == '(' || *p == ')')
			return fail(ld, config_setting_get_member(root, "authserv_id"),
				    "authserv_id must be a host name without spaces, ';' or comments");

	if ((st = get_string(ld, root, "on_error", false, &on_error)) != SG_OK)
		return st;
	if (on_error != NULL) {
		s = config_setting_get_member(root, "on_error");
		if (strcmp(on_error, "accept") == 0)
			c->on_error = CONF_ON_ERROR_ACCEPT;
		else if (strcmp(on_error, "tempfail") == 0)
			c->on_error = CONF_ON_ERROR_TEMPFAIL;
		else
			st = fail(ld, s, "on_error must be \"accept\" or \"tempfail\"");
		free(on_error);
		if (st != SG_OK)
			return st;
	}

	if ((st = get_strings(ld, root, "internal_hosts", &hosts, &nhosts, &present)) != SG_OK)
		return st;
	if (present) {
		cidr_list_free(&c->internal_hosts);
		if ((c->internal_hosts = cidr_list_new()) == NULL) {
			free_strings(hosts, nhosts);
			return SG_E_NOMEM;
		}
		s = config_setting_get_member(root, "internal_hosts");
		for (size_t i = 0; i < nhosts && st == SG_OK; i++)
			if (cidr_list_add(c->internal_hosts, hosts[i], &why) != SG_OK)
				st = fail(ld, s, "internal_hosts: '%s': %s", hosts[i], why);
		free_strings(hosts, nhosts);
	}
	return st;
}

/* A string setting that must be one of two words: *out = (value == yes). */
static enum sg_status get_choice(struct loader *ld, const config_setting_t *grp,
				 const char *name, const char *no, const char *yes,
				 bool *out)
{
	char *v = NULL;
	enum sg_status st = get_string(ld, grp, name, false, &v);

	if (st != SG_OK || v == NULL)
		return st;
	if (strcmp(v, yes) == 0)
		*out = true;
	else if (strcmp(v, no) == 0)
		*out = false;
	else
		st = fail(ld, config_setting_get_member(grp, name),
			  "%s must be \"%s\" or \"%s\"", name, no, yes);
	free(v);
	return st;
}

static enum sg_status load_spf(struct loader *ld, const config_setting_t *g,
			       struct sg_spf_conf *spf)
{
	long long ms = spf->timeout_ms;
	enum sg_status st;

	if ((st = check_keys(ld, g, spf_keys, "spf")) != SG_OK ||
	    (st = get_bool(ld, g, "enabled", &spf->enabled)) != SG_OK ||
	    (st = get_bool(ld, g, "received_spf", &spf->received_spf)) != SG_OK ||
	    (st = get_int(ld, g, "timeout_ms", 100, 120000, &ms)) != SG_OK)
		return st;
	spf->timeout_ms = (unsigned)ms;
	return SG_OK;
}

static enum sg_status dmarc_lists(struct loader *ld, const config_setting_t *g,
				  struct sg_dmarc_conf *d)
{
	char **hosts = NULL;
	size_t nhosts = 0;
	enum sg_status st;
	const char *why;

	if ((st = get_strings(ld, g, "override_domains", &d->override_domains,
			      &d->n_override_domains, NULL)) != SG_OK)
		return st;
	for (size_t i = 0; i < d->n_override_domains; i++) {
		char canon[DNS_MAX_NAME + 1];
		const char *dom = d->override_domains[i];

		if (dmarc_domain_norm(dom, strlen(dom), canon, &why) != SG_OK)
			return fail(ld, config_setting_get_member(g, "override_domains"),
				    "override_domains: '%s': %s", dom, why);
		free(d->override_domains[i]);
		if ((d->override_domains[i] = strdup(canon)) == NULL)
			return SG_E_NOMEM;
	}
	if ((st = get_strings(ld, g, "override_hosts", &hosts, &nhosts, NULL)) != SG_OK)
		return st;
	if (nhosts > 0 && (d->override_hosts = cidr_list_new()) == NULL)
		st = SG_E_NOMEM;
	for (size_t i = 0; i < nhosts && st == SG_OK; i++)
		if (cidr_list_add(d->override_hosts, hosts[i], &why) != SG_OK)
			st = fail(ld, config_setting_get_member(g, "override_hosts"),
				  "override_hosts: '%s': %s", hosts[i], why);
	free_strings(hosts, nhosts);
	return st;
}

static enum sg_status load_dmarc(struct loader *ld, const config_setting_t *g,
				 struct sg_dmarc_conf *d)
{
	bool legacy = d->mode == DMARC_MODE_RFC7489, tag = d->malformed_tag;
	bool tempfail = d->on_temperror == CONF_ON_ERROR_TEMPFAIL;
	bool hold = !d->quarantine_header;
	char *hist = NULL;
	enum sg_status st;

	if ((st = check_keys(ld, g, dmarc_keys, "dmarc")) != SG_OK ||
	    (st = get_bool(ld, g, "enabled", &d->enabled)) != SG_OK ||
	    (st = get_choice(ld, g, "mode", "rfc9989", "rfc7489", &legacy)) != SG_OK ||
	    (st = get_string(ld, g, "public_suffix_list", true, &d->psl_path)) != SG_OK ||
	    (st = get_bool(ld, g, "reject_failures", &d->reject_failures)) != SG_OK ||
	    (st = get_choice(ld, g, "quarantine", "header", "quarantine", &hold)) != SG_OK ||
	    (st = get_choice(ld, g, "on_temperror", "accept", "tempfail", &tempfail)) != SG_OK ||
	    (st = get_choice(ld, g, "malformed_from", "reject", "tag", &tag)) != SG_OK ||
	    (st = dmarc_lists(ld, g, d)) != SG_OK)
		return st;
	d->mode = legacy ? DMARC_MODE_RFC7489 : DMARC_MODE_RFC9989;
	d->quarantine_header = !hold;
	d->on_temperror = tempfail ? CONF_ON_ERROR_TEMPFAIL : CONF_ON_ERROR_ACCEPT;
	d->malformed_tag = tag;
	/* history = "" turns recording off (get_string refuses empty strings). */
	const config_setting_t *h = config_setting_get_member(g, "history");

	if (h != NULL && config_setting_type(h) == CONFIG_TYPE_STRING &&
	    config_setting_get_string(h)[0] == '\0') {
		free(d->history_path);
		d->history_path = NULL;
	} else if ((st = get_string(ld, g, "history", true, &hist)) != SG_OK) {
		return st;
	} else if (hist != NULL) {
		free(d->history_path);
		d->history_path = hist;
	}
	return SG_OK;
}

/* The Public Suffix List, read with the configuration in rfc7489 mode. */
static enum sg_status load_psl(struct loader *ld, config_t *cf, struct sg_dmarc_conf *d)
{
	char err[512];

	if (!d->enabled || d->mode != DMARC_MODE_RFC7489)
		return SG_OK;
	if ((d->psl = dmarc_psl_load(d->psl_path, 0, err, sizeof err)) == NULL)
		return fail(ld, config_setting_lookup(config_root_setting(cf),
						      "dmarc.public_suffix_list"),
			    "dmarc mode rfc7489 needs the Public Suffix List: %s", err);
	return SG_OK;
}

static enum sg_status load_groups(struct loader *ld, config_t *cf, struct sg_conf *c)
{
	config_setting_t *root = config_root_setting(cf);
	const config_setting_t *g;
	enum sg_status st = SG_OK;
	long long v;

	if ((g = config_setting_get_member(root, "log")) != NULL) {
		char *level = NULL, *fac = NULL;

		if ((st = check_keys(ld, g, log_keys, "log")) != SG_OK ||
		    (st = get_string(ld, g, "level", false, &level)) != SG_OK ||
		    (st = get_string(ld, g, "facility", false, &fac)) != SG_OK) {
			free(level);
			free(fac);
			return st;
		}
		if (level != NULL && (c->log_level = log_level_parse(level)) < 0)
			st = fail(ld, config_setting_get_member(g, "level"),
				  "log level must be error, warning, info or debug");
		if (st == SG_OK && fac != NULL && (c->log_facility = facility_parse(fac)) < 0)
			st = fail(ld, config_setting_get_member(g, "facility"),
				  "unknown syslog facility '%s'", fac);
		free(level);
		free(fac);
		if (st != SG_OK)
			return st;
	}
	if ((g = config_setting_get_member(root, "milter")) != NULL) {
		v = c->milter_timeout;
		if ((st = check_keys(ld, g, milter_keys, "milter")) != SG_OK ||
		    (st = get_int(ld, g, "timeout", 1, 86400, &v)) != SG_OK)
			return st;
		c->milter_timeout = (int)v;
	}
	if ((g = config_setting_get_member(root, "dns")) != NULL) {
		char **srv = NULL;
		size_t n = 0;

		long long tries = c->dns_tries, entries = c->dns_cache_entries;
		long long maxttl = c->dns_max_ttl, negttl = c->dns_negative_ttl;

		v = c->dns_timeout_ms;
		if ((st = check_keys(ld, g, dns_keys, "dns")) != SG_OK ||
		    (st = get_int(ld, g, "timeout_ms", 10, 60000, &v)) != SG_OK ||
		    (st = get_int(ld, g, "tries", 1, 10, &tries)) != SG_OK ||
		    (st = get_int(ld, g, "cache_entries", 0, 10000000, &entries)) != SG_OK ||
		    (st = get_int(ld, g, "cache_max_ttl", 1, 7 * 86400, &maxttl)) != SG_OK ||
		    (st = get_int(ld, g, "negative_ttl", 0, 86400, &negttl)) != SG_OK ||
		    (st = get_strings(ld, g, "servers", &srv, &n, NULL)) != SG_OK)
			return st;
		c->dns_timeout_ms = (int)v;
		c->dns_tries = (int)tries;
		c->dns_cache_entries = (unsigned)entries;
		c->dns_max_ttl = (unsigned)maxttl;
		c->dns_negative_ttl = (unsigned)negttl;
		if (n > CONF_MAX_DNS_SERVERS)
			st = fail(ld, config_setting_get_member(g, "servers"),
				  "at most %d DNS servers", CONF_MAX_DNS_SERVERS);
		for (size_t i = 0; i < n && st == SG_OK; i++) {
			if (!valid_dns_server(srv[i]))
				st = fail(ld, config_setting_get_member(g, "servers"),
					  "DNS server '%s' is not ADDR:PORT or [ADDR]:PORT", srv[i]);
			else
				c->dns_servers[c->n_dns_servers++] = srv[i], srv[i] = NULL;
		}
		free_strings(srv, n);
		if (st != SG_OK)
			return st;
	}
	if ((g = config_setting_get_member(root, "signing")) != NULL) {
		if ((st = check_keys(ld, g, signing_keys, "signing")) != SG_OK ||
		    (st = get_bool(ld, g, "internal_hosts", &c->sign_internal)) != SG_OK ||
		    (st = get_bool(ld, g, "authenticated", &c->sign_authenticated)) != SG_OK ||
		    (st = get_strings(ld, g, "daemon_names", &c->daemon_names,
				      &c->n_daemon_names, NULL)) != SG_OK)
			return st;
	}
	if ((g = config_setting_get_member(root, "verify")) != NULL) {
		long long maxsig = c->verify.max_signatures, bits = c->verify.min_rsa_bits;

		if ((st = check_keys(ld, g, verify_keys, "verify")) != SG_OK ||
		    (st = get_bool(ld, g, "internal", &c->verify.internal)) != SG_OK ||
		    (st = get_int(ld, g, "max_signatures", 1, 50, &maxsig)) != SG_OK ||
		    (st = get_int(ld, g, "min_rsa_bits", 1024, 8192, &bits)) != SG_OK ||
		    (st = get_bool(ld, g, "fail_body_length", &c->verify.fail_body_length)) != SG_OK ||
		    (st = get_int(ld, g, "clock_skew", 0, 86400, &c->verify.clock_skew)) != SG_OK)
			return st;
		c->verify.max_signatures = (unsigned)maxsig;
		c->verify.min_rsa_bits = (int)bits;
	}
	if ((g = config_setting_get_member(root, "spf")) != NULL &&
	    (st = load_spf(ld, g, &c->spf)) != SG_OK)
		return st;
	if ((g = config_setting_get_member(root, "dmarc")) != NULL &&
	    (st = load_dmarc(ld, g, &c->dmarc)) != SG_OK)
		return st;
	return load_psl(ld, cf, &c->dmarc);
}

/* A table path as OpenDKIM users write it: "refile:" and "file:" prefixes
 * (OpenDKIM data set types) are accepted and dropped; signet always reads
 * SigningTable patterns with refile: wildcards. */
static enum sg_status get_table(struct loader *ld, const config_setting_t *grp,
				const char *name, char **out)
{
	static const char *const prefixes[] = { "refile:", "file:" };
	enum sg_status st;
	char *raw = NULL;

	if ((st = get_string(ld, grp, name, false, &raw)) != SG_OK || raw == NULL)
		return st;
	const char *p = raw;

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(p, prefixes[i], strlen(prefixes[i])) == 0)
			p += strlen(prefixes[i]);
	if (*p == '\0' || strchr(p, ':') != NULL) {
		st = fail(ld, config_setting_get_member(grp, name),
			  "'%s' must be a file path (refile: or file: prefixes are fine)", name);
	} else {
		free(*out);
		if ((*out = abs_path(ld, p)) == NULL)
			st = SG_E_NOMEM;
	}
	free(raw);
	return st;
}

static enum sg_status load_dkim(struct loader *ld, config_t *cf, struct sg_conf *c)
{
	config_setting_t *g = config_setting_get_member(config_root_setting(cf), "dkim");
	enum sg_status st;
	char *canon = NULL;
	bool present;

	if (g == NULL)
		return fail(ld, NULL, "missing 'dkim' group (key_table and signing_table)");
	if ((st = check_keys(ld, g, dkim_keys, "dkim")) != SG_OK ||
	    (st = get_table(ld, g, "key_table", &c->key_table)) != SG_OK ||
	    (st = get_table(ld, g, "signing_table", &c->signing_table)) != SG_OK ||
	    (st = get_bool(ld, g, "allow_unsafe_key_permissions", &c->allow_unsafe_perms)) != SG_OK ||
	    (st = get_bool(ld, g, "create_missing_keys", &c->create_missing_keys)) != SG_OK ||
	    (st = get_int(ld, g, "expire_after", 0, 10LL * 366 * 86400, &c->expire_after)) != SG_OK ||
	    (st = get_string(ld, g, "canonicalization", false, &canon)) != SG_OK)
		return st;
	if (canon != NULL) {
		st = dkim_canon_parse(canon, &c->hcanon, &c->bcanon);
		free(canon);
		if (st != SG_OK)
			return fail(ld, config_setting_get_member(g, "canonicalization"),
				    "canonicalization must be simple or relaxed, as HEADER/BODY "
				    "(e.g. \"relaxed/relaxed\")");
	}
	if ((st = get_strings(ld, g, "oversign_headers", &c->oversign, &c->n_oversign,
			      &present)) != SG_OK)
		return st;
	if (!present) {
		c->oversign = calloc(2, sizeof *c->oversign);
		if (c->oversign == NULL || (c->oversign[0] = strdup("From")) == NULL)
			return SG_E_NOMEM;
		c->n_oversign = 1;
	}
	if ((st = get_strings(ld, g, "sign_headers", &c->sign_headers,
			      &c->n_sign_headers, NULL)) != SG_OK)
		return st;
	for (size_t i = 0; i < c->n_oversign; i++)
		if (!valid_header_name(c->oversign[i]))
			return fail(ld, config_setting_get_member(g, "oversign_headers"),
				    "'%s' is not a header field name", c->oversign[i]);
	for (size_t i = 0; i < c->n_sign_headers; i++)
		if (!valid_header_name(c->sign_headers[i]))
			return fail(ld, config_setting_get_member(g, "sign_headers"),
				    "'%s' is not a header field name", c->sign_headers[i]);
	if (c->sign_headers != NULL) {
		bool from = false;

		for (size_t i = 0; i < c->n_sign_headers; i++)
			from |= strcasecmp(c->sign_headers[i], "From") == 0;
		if (!from)
			return fail(ld, config_setting_get_member(g, "sign_headers"),
				    "sign_headers must include From (RFC 6376 section 5.4)");
	}
	if (c->key_table == NULL || c->signing_table == NULL)
		return fail(ld, g, "dkim needs both key_table and signing_table");
	return SG_OK;
}

static struct sg_conf *conf_defaults(void)
{
	struct sg_conf *c = calloc(1, sizeof *c);
	char host[256];
	const char *why;

	if (c == NULL)
		return NULL;
	c->refs = 1;
	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	c->socket = strdup("inet:8891@127.0.0.1");
	c->authserv_id = strdup(host);
	c->internal_hosts = cidr_list_new();
	c->log_level = LOG_LVL_INFO;
	c->log_facility = LOG_MAIL;
	c->milter_timeout = 300;
	c->dns_timeout_ms = 3000;
	c->dns_tries = 2;
	c->dns_cache_entries = 10000;
	c->dns_max_ttl = 86400;
	c->dns_negative_ttl = 300;
	conf_verify_defaults(&c->verify);
	c->spf = (struct sg_spf_conf){ .enabled = true, .timeout_ms = SPF_MAX_EVAL_MS };
	c->dmarc.enabled = true;
	c->dmarc.mode = DMARC_MODE_RFC9989;
	c->dmarc.psl_path = strdup(DMARC_PSL_DEFAULT_PATH);
	c->dmarc.reject_failures = true;
	c->dmarc.on_temperror = CONF_ON_ERROR_ACCEPT;
	c->sign_internal = true;
	c->sign_authenticated = true;
	c->hcanon = DKIM_CANON_RELAXED;
	c->bcanon = DKIM_CANON_RELAXED;
	if (c->socket == NULL || c->authserv_id == NULL || c->internal_hosts == NULL ||
	    c->dmarc.psl_path == NULL ||
	    cidr_list_add(c->internal_hosts, "127.0.0.0/8", &why) != SG_OK ||
	    cidr_list_add(c->internal_hosts, "::1/128", &why) != SG_OK) {
		struct sg_conf *tmp = c;

		conf_unref(&tmp);
		return NULL;
	}
	return c;
}

enum sg_status conf_load(const char *path, struct sg_conf **out,
			 char *err, size_t errlen,
			 const struct dkim_tables_opts *hooks)
{
	struct loader ld = { .file = path, .err = err, .errlen = errlen };
	struct dkim_tables_opts topts = { 0 };
	struct sg_conf *c;
	enum sg_status st;
	config_t cf;
	char real[PATH_MAX];

	*out = NULL;
	if (realpath(path, real) == NULL) {
		snprintf(err, errlen, "%s: cannot open configuration file: %m", path);
		return SG_E_NOTFOUND;
	}
	if ((c = conf_defaults()) == NULL || (c->path = strdup(real)) == NULL ||
	    (ld.dir = path_dir(real)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		conf_unref(&c);
		return SG_E_NOMEM;
	}
	config_init(&cf);
	config_set_include_dir(&cf, ld.dir);
	if (config_read_file(&cf, real) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s",
			 config_error_file(&cf) ? config_error_file(&cf) : path,
			 config_error_line(&cf), config_error_text(&cf));
		st = SG_E_SYNTAX;
	} else if ((st = load_top(&ld, &cf, c)) == SG_OK &&
		   (st = load_groups(&ld, &cf, c)) == SG_OK &&
		   (st = load_dkim(&ld, &cf, c)) == SG_OK) {
		if (hooks != NULL)
			topts = *hooks;
		topts.allow_unsafe_perms = c->allow_unsafe_perms;
		topts.create_missing_keys = c->create_missing_keys;
		topts.base_dir = NULL;		/* key paths: relative to the KeyTable */
		st = dkim_tables_load(c->key_table, c->signing_table, &topts,
				      &c->tables, err, errlen);
	}
	if (st == SG_E_NOMEM && err[0] == '\0')
		snprintf(err, errlen, "%s: out of memory", path);
	config_destroy(&cf);
	free(ld.dir);
	if (st != SG_OK) {
		conf_unref(&c);
		return st;
	}
	*out = c;
	return SG_OK;
}

struct sg_conf *conf_ref(struct sg_conf *c)
{
	if (c != NULL)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void conf_unref(struct sg_conf **cp)
{
	struct sg_conf *c = *cp;

	*cp = NULL;
	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	free(c->path);
	free(c->socket);
	free(c->authserv_id);
	cidr_list_free(&c->internal_hosts);
	free(c->pid_file);
	free(c->user);
	for (size_t i = 0; i < c->n_dns_servers; i++)
		free(c->dns_servers[i]);
	free_strings(c->daemon_names, c->n_daemon_names);
	free(c->key_table);
	free(c->signing_table);
	free_strings(c->sign_headers, c->n_sign_headers);
	free_strings(c->oversign, c->n_oversign);
	dkim_tables_free(&c->tables);
	dns_resolver_free(&c->resolver);
	free(c->dmarc.psl_path);
	dmarc_psl_free(&c->dmarc.psl);
	free_strings(c->dmarc.override_domains, c->dmarc.n_override_domains);
	cidr_list_free(&c->dmarc.override_hosts);
	free(c->dmarc.history_path);
	dmarc_history_close(&c->dmarc.history);
	free(c);
}

void conf_verify_defaults(struct sg_verify_conf *v)
{
	*v = (struct sg_verify_conf){
		.internal = false,
		.max_signatures = 5,
		.min_rsa_bits = 1024,
		.fail_body_length = false,
		.clock_skew = 300,
	};
}

void conf_dns_opts(const struct sg_conf *c, struct dns_opts *o)
{
	dns_opts_default(o);
	if (c->n_dns_servers > 0) {
		o->servers = (const char *const *)c->dns_servers;
		o->n_servers = c->n_dns_servers;
	}
	o->timeout_ms = c->dns_timeout_ms;
	o->tries = c->dns_tries;
	o->cache_entries = c->dns_cache_entries;
	o->max_ttl = c->dns_max_ttl;
	o->negative_ttl = c->dns_negative_ttl;
}

enum sg_status conf_start_resolver(struct sg_conf *c, const char **why)
{
	struct dns_opts o;

	if (c->resolver != NULL)
		return SG_OK;
	conf_dns_opts(c, &o);
	c->resolver = dns_resolver_new(&o, why);
	return c->resolver != NULL ? SG_OK : SG_E_IO;
}

enum sg_status conf_start_history(struct sg_conf *c, char *why, size_t whylen)
{
	if (c->dmarc.history != NULL || !c->dmarc.enabled || c->dmarc.history_path == NULL)
		return SG_OK;
	return dmarc_history_open(c->dmarc.history_path, 0, &c->dmarc.history,
				  why, whylen);
}

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sg_conf *live;

struct sg_conf *conf_current(void)
{
	struct sg_conf *c;

	pthread_mutex_lock(&live_lock);
	c = conf_ref(live);
	pthread_mutex_unlock(&live_lock);
	return c;
}

void conf_swap(struct sg_conf *c)
{
	struct sg_conf *old;

	pthread_mutex_lock(&live_lock);
	old = live;
	live = c;
	pthread_mutex_unlock(&live_lock);
	conf_unref(&old);
}
