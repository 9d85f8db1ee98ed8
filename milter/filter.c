/*
 * milter/filter.c -- see filter.h.
 *
 * Protocol: signet asks the MTA to skip RCPT, DATA and unknown commands
 * and not to wait for replies to connect, HELO, MAIL, each header,
 * end-of-headers and body chunks (SMFIP_NR_*): only end-of-message is
 * answered, so a message costs one round trip instead of one per header.
 * HELO is needed for SPF (the HELO identity, and %{h}).
 */
#include "filter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/limits.h"
#include "common/log.h"
#include "config.h"
#include "signer.h"
#include "verifier.h"

#define WANT_PROTO (SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN | \
		    SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR | \
		    SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC)

static const struct { int stage; const char *names; } want_macros[] = {
	{ SMFIM_CONNECT, "{daemon_name}" },
	{ SMFIM_HELO, "" },
	{ SMFIM_ENVFROM, "{auth_authen}" },
	{ SMFIM_ENVRCPT, "" },
	{ SMFIM_DATA, "" },
	{ SMFIM_EOH, "" },
	{ SMFIM_EOM, "i" },
};

struct conn {
	struct sg_conf *conf;		/* the configuration this connection started with */
	unsigned long proto;		/* negotiated SMFIP_* flags */
	char client[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage addr;	/* the client, when over TCP/IP */
	bool have_addr;
	char *helo;			/* the last HELO/EHLO name, or NULL */
	bool internal;			/* client in internal_hosts, or local submission */
	bool daemon_match;		/* {daemon_name} is a signing daemon */
	struct signer *sig;		/* the message being signed, or NULL */
	struct verifier *ver;		/* the message being verified, or NULL */
	bool failed;			/* an internal error hit this message */
	const char *fail_why;
};

static int active_conns;

int filter_active_connections(void)
{
	return __atomic_load_n(&active_conns, __ATOMIC_RELAXED);
}

static struct conn *conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->conf = conf_current();
	if (c->conf == NULL || smfi_setpriv(ctx, c) != MI_SUCCESS) {
		conf_unref(&c->conf);
		free(c);
		return NULL;
	}
	__atomic_add_fetch(&active_conns, 1, __ATOMIC_RELAXED);
	return c;
}

/* The answer for a step whose reply we may have asked the MTA to skip. */
static sfsistat step_ok(const struct conn *c, unsigned long nr_flag)
{
	return c != NULL && (c->proto & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static const char *queue_id(SMFICTX *ctx)
{
	const char *id = smfi_getsymval(ctx, "i");

	return id != NULL && *id != '\0' ? id : "NOQUEUE";
}

static void message_reset(struct conn *c)
{
	signer_free(&c->sig);
	verifier_free(&c->ver);
	c->failed = false;
	c->fail_why = NULL;
}

static void message_error(struct conn *c, const char *why)
{
	if (!c->failed) {
		c->failed = true;
		c->fail_why = why;
	}
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3,
			     unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = conn_get(ctx);

	if (c == NULL) {
		log_err("cannot set up a connection (out of memory or no configuration)");
		return SMFIS_TEMPFAIL;
	}
	if (!(f0 & SMFIF_ADDHDRS)) {
		log_err("the MTA does not allow adding header fields; cannot sign");
		return SMFIS_REJECT;
	}
	if (!(f0 & SMFIF_CHGHDRS))
		log_warn("the MTA does not allow changing header fields; forged "
			 "Authentication-Results fields cannot be removed");
	if (!(f0 & SMFIF_QUARANTINE))
		log_warn("the MTA does not allow the quarantine action; DMARC "
			 "quarantine policies are only tagged");
	*pf0 = SMFIF_ADDHDRS | (f0 & (SMFIF_CHGHDRS | SMFIF_SETSYMLIST | SMFIF_QUARANTINE));
	*pf1 = f1 & WANT_PROTO;
	*pf2 = 0;
	*pf3 = 0;
	c->proto = *pf1;
	/* Ask only for the macros we read; every other one would cost the MTA
	 * an extra packet (Postfix sends end-of-header macros before every
	 * header field). An MTA that ignores the lists sends them anyway. */
	for (size_t i = 0; i < sizeof want_macros / sizeof want_macros[0]; i++)
		if (smfi_setsymlist(ctx, want_macros[i].stage,
				    (char *)want_macros[i].names) != MI_SUCCESS)
			log_debug("MTA did not take the macro list for stage %d",
				  want_macros[i].stage);
	return SMFIS_CONTINUE;
}

static bool in_list(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcasecmp(list[i], s) == 0)
			return true;
	return false;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	struct conn *c = conn_get(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (sa == NULL || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
		/* Local submission (sendmail(1) through non_smtpd_milters). */
		snprintf(c->client, sizeof c->client, "local");
		c->internal = true;
	} else {
		const void *a = sa->sa_family == AF_INET ?
				(const void *)&((struct sockaddr_in *)sa)->sin_addr :
				(const void *)&((struct sockaddr_in6 *)sa)->sin6_addr;

		if (inet_ntop(sa->sa_family, a, c->client, sizeof c->client) == NULL)
			snprintf(c->client, sizeof c->client, "unknown");
		c->internal = cidr_list_match(c->conf->internal_hosts, sa);
		memcpy(&c->addr, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
							      sizeof(struct sockaddr_in6));
		c->have_addr = true;
	}
	c->daemon_match = in_list(c->conf->daemon_names, c->conf->n_daemon_names,
				  smfi_getsymval(ctx, "{daemon_name}"));
	return step_ok(c, SMFIP_NR_CONN);
}

static sfsistat cb_helo(SMFICTX *ctx, char *name)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	free(c->helo);
	c->helo = name != NULL ? strndup(name, SG_MAX_ENVELOPE_LEN) : NULL;
	return step_ok(c, SMFIP_NR_HELO);
}

static struct verifier *inbound_new(struct conn *c, const char *mailfrom)
{
	const struct verifier_opts o = {
		.authserv_id = c->conf->authserv_id,
		.verify = &c->conf->verify,
		.spf = &c->conf->spf,
		.dmarc = &c->conf->dmarc,
		.resolver = c->conf->resolver,
		.now = (long long)time(NULL),
	};
	struct verifier *v = verifier_new(&o);

	if (v != NULL && verifier_envelope(v, c->have_addr ? (struct sockaddr *)&c->addr : NULL,
					   c->helo, mailfrom) != SG_OK)
		verifier_free(&v);
	return v;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *auth;
	bool sign, authed, verify;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	message_reset(c);
	auth = smfi_getsymval(ctx, "{auth_authen}");
	authed = auth != NULL && *auth != '\0';
	sign = (c->conf->sign_internal && c->internal) ||
	       (c->conf->sign_authenticated && authed) ||
	       c->daemon_match;
	/* Our own users' mail is signed, not verified (unless verify.internal). */
	verify = !(c->internal || authed || c->daemon_match) || c->conf->verify.internal;
	if (sign && (c->sig = signer_new(c->conf)) == NULL)
		message_error(c, "out of memory");
	if (verify && (c->ver = inbound_new(c, argv != NULL ? argv[0] : NULL)) == NULL)
		message_error(c, "out of memory");
	return step_ok(c, SMFIP_NR_MAIL);
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return step_ok(c, SMFIP_NR_HDR);
	if (c->sig != NULL && !c->failed &&
	    signer_header(c->sig, name, value, c->proto & SMFIP_HDR_LEADSPC) != SG_OK)
		message_error(c, "out of memory storing headers");
	/* The verifier also counts Authentication-Results fields, which must
	 * go on after an error so that forged ones are still removed. */
	if (c->ver != NULL &&
	    verifier_header(c->ver, name, value, c->proto & SMFIP_HDR_LEADSPC) != SG_OK)
		message_error(c, "out of memory storing headers");
	return step_ok(c, SMFIP_NR_HDR);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->sig != NULL && !c->failed && signer_eoh(c->sig) != SG_OK)
		message_error(c, "out of memory at end of headers");
	if (c != NULL && c->ver != NULL && !c->failed && verifier_eoh(c->ver) != SG_OK)
		message_error(c, "out of memory at end of headers");
	return step_ok(c, SMFIP_NR_EOH);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->sig != NULL && !c->failed && signer_body(c->sig, p, n) != SG_OK)
		message_error(c, "body hashing failed");
	if (c != NULL && c->ver != NULL && !c->failed && verifier_body(c->ver, p, n) != SG_OK)
		message_error(c, "body hashing failed");
	return step_ok(c, SMFIP_NR_BODY);
}

/* Hand a field value to the MTA: LF line ends, and the leading space only
 * when the MTA keeps values verbatim (SMFIP_HDR_LEADSPC). */
static char *mta_value(const char *v, bool leadspc)
{
	char *out = malloc(strlen(v) + 1), *o = out;

	if (out == NULL)
		return NULL;
	if (!leadspc && *v == ' ')
		v++;
	for (; *v != '\0'; v++)
		if (!(v[0] == '\r' && v[1] == '\n'))
			*o++ = *v;
	*o = '\0';
	return out;
}

static sfsistat fail_safe(SMFICTX *ctx, struct conn *c, const char *qid)
{
	const char *what = c->sig != NULL ? "not signed" : "not verified";

	if (c->conf->on_error == CONF_ON_ERROR_TEMPFAIL) {
		log_err("%s: %s: %s; answering tempfail (on_error = tempfail)",
			qid, what, c->fail_why);
		smfi_setreply(ctx, "451", "4.3.0", "Temporary authentication failure, try again later");
		return SMFIS_TEMPFAIL;
	}
	log_err("%s: %s: %s; message passed on unchanged (on_error = accept)",
		qid, what, c->fail_why);
	return SMFIS_ACCEPT;
}

/* Remove every Authentication-Results field claiming our authserv-id,
 * bottom-most first so the indexes of the others stay put. */
static bool remove_ours(SMFICTX *ctx, struct conn *c, const char *qid)
{
	size_t n;
	const unsigned *idx = verifier_ar_ours(c->ver, &n);

	for (size_t i = n; i-- > 0;)
		if (smfi_chgheader(ctx, "Authentication-Results", (int)idx[i], NULL) != MI_SUCCESS) {
			log_err("%s: the MTA refused to remove a forged Authentication-Results field",
				qid);
			return false;
		}
	if (n > 0)
		log_info("%s: removed %zu Authentication-Results field%s claiming %s",
			 qid, n, n == 1 ? "" : "s", c->conf->authserv_id);
	return true;
}

static bool insert_field(SMFICTX *ctx, struct conn *c, const char *name,
			 const char *value)
{
	char *v = mta_value(value, c->proto & SMFIP_HDR_LEADSPC);
	bool ok = v != NULL && smfi_insheader(ctx, 0, (char *)name, v) == MI_SUCCESS;

	free(v);
	return ok;
}

/* Refuse the message (DMARC reject, malformed From, DMARC tempfail). */
static sfsistat refuse(SMFICTX *ctx, struct conn *c, const char *qid,
		       const struct verifier_verdict *d)
{
	bool temp = d->action == VERIFIER_TEMPFAIL;

	log_info("%s: %s: client=%s helo=%s %s; %s", qid,
		   temp ? "tempfailed" : "rejected", c->client,
		   c->helo != NULL ? c->helo : "", verifier_ar_line(c->ver), d->text);
	if (smfi_setreply(ctx, (char *)d->rcode, (char *)d->xcode, (char *)d->text) != MI_SUCCESS)
		log_warn("%s: the MTA did not take the reply text", qid);
	return temp ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

/* Inbound: verify, act on DMARC, remove forged results, add ours on top. */
static sfsistat verify_eom(SMFICTX *ctx, struct conn *c, const char *qid)
{
	const struct verifier_verdict *d;
	const char *why = NULL, *rspf;

	if (!c->failed && verifier_eom(c->ver, &why) != SG_OK)
		message_error(c, why);
	d = verifier_verdict(c->ver);
	if (!c->failed) {
		verifier_record(c->ver, c->conf->dmarc.history, qid);
		if (d->action == VERIFIER_REJECT || d->action == VERIFIER_TEMPFAIL)
			return refuse(ctx, c, qid, d);
	}
	if (!remove_ours(ctx, c, qid) && c->conf->on_error == CONF_ON_ERROR_TEMPFAIL)
		message_error(c, "forged Authentication-Results could not be removed");
	if (c->failed)
		return fail_safe(ctx, c, qid);
	if (!insert_field(ctx, c, "Authentication-Results", verifier_ar_folded(c->ver)) ||
	    ((rspf = verifier_received_spf(c->ver)) != NULL &&
	     !insert_field(ctx, c, "Received-SPF", rspf))) {
		message_error(c, "the MTA refused the Authentication-Results header");
		return fail_safe(ctx, c, qid);
	}
	if (d->action == VERIFIER_QUARANTINE) {
		if (smfi_quarantine(ctx, (char *)d->text) != MI_SUCCESS)
			log_warn("%s: the MTA refused to quarantine the message "
				 "(%s); delivered with its Authentication-Results",
				 qid, d->text);
		else
			log_info("%s: quarantined: %s", qid, d->text);
	}
	log_info("%s: client=%s helo=%s %s", qid, c->client,
		 c->helo != NULL ? c->helo : "", verifier_ar_line(c->ver));
	return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *qid = queue_id(ctx), *why = NULL;
	const char *const *vals;
	size_t n;

	if (c == NULL) {
		log_err("%s: no connection state; message passed on unchanged", qid);
		return SMFIS_ACCEPT;
	}
	if (c->ver != NULL) {
		sfsistat r = verify_eom(ctx, c, qid);

		if (r != SMFIS_CONTINUE || c->sig == NULL)
			return r == SMFIS_CONTINUE ? SMFIS_ACCEPT : r;
	}
	if (c->sig == NULL) {
		if (c->failed)
			return fail_safe(ctx, c, qid);
		log_info("%s: not signed: client %s is not internal or authenticated",
			 qid, c->client);
		return SMFIS_ACCEPT;
	}
	if (!c->failed && signer_eom(c->sig, (long long)time(NULL), &vals, &n, &why) != SG_OK)
		message_error(c, why);
	if (c->failed)
		return fail_safe(ctx, c, qid);
	if (n == 0) {
		log_info("%s: not signed: %s (from=<%s>, client %s)", qid,
			 signer_skip_reason(c->sig),
			 signer_from(c->sig) ? signer_from(c->sig) : "", c->client);
		return SMFIS_ACCEPT;
	}
	/* Insert bottom-most first so the first signature ends up on top. */
	for (size_t i = n; i-- > 0;) {
		char *v = mta_value(vals[i], c->proto & SMFIP_HDR_LEADSPC);

		if (v == NULL || smfi_insheader(ctx, 0, "DKIM-Signature", v) != MI_SUCCESS) {
			free(v);
			message_error(c, "the MTA refused the DKIM-Signature header");
			return fail_safe(ctx, c, qid);
		}
		free(v);
	}
	log_info("%s: signed from=<%s> client=%s: %s", qid, signer_from(c->sig),
		 c->client, signer_summary(c->sig));
	return SMFIS_ACCEPT;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		message_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	message_reset(c);
	free(c->helo);
	conf_unref(&c->conf);
	free(c);
	/* libmilter ends this thread soon; free OpenSSL's per-thread state
	 * (DRBGs, error queue) now, so a stop right after the last session
	 * cannot race the thread's exit and leave it behind. */
	OPENSSL_thread_stop();
	__atomic_sub_fetch(&active_conns, 1, __ATOMIC_RELAXED);
	return SMFIS_CONTINUE;
}

struct smfiDesc filter_desc = {
	.xxfi_name = "signet",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};
