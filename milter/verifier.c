/*
 * milter/verifier.c -- see verifier.h.
 */
#include "verifier.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/authres.h"
#include "common/buf.h"
#include "common/hdr.h"
#include "common/limits.h"
#include "dkim/pubkey.h"
#include "dkim/verify.h"
#include "dmarc/author.h"
#include "dmarc/domain.h"
#include "dmarc/history.h"
#include "dmarc/policy.h"
#include "spf/spf.h"

/* Authentication-Results fields we track per message; an MTA's header
 * limits stop far below this. */
#define MAX_AR_TRACKED 100000u
/* DKIM results kept in one aggregate-history record. */
#define DKIM_MAX_RECORDED 16
/* header.b: at least this many characters (RFC 6008 section 4). */
#define HEADER_B_MIN 8
/* Our value: a handful of results of a few hundred bytes each. */
#define AR_VALUE_CAP (64u * 1024)

struct override;

struct verifier {
	const char *authserv_id;
	struct dns_resolver *resolver;
	const struct sg_spf_conf *spf;		/* NULL: no SPF */
	const struct sg_dmarc_conf *dmarc;	/* NULL: no DMARC */
	long long now;
	struct dkim_verifier *dkim;
	struct buf field;		/* scratch: one "Name: value" */
	unsigned ar_seen;		/* Authentication-Results fields so far */
	unsigned *ours;			/* indexes of those claiming our id */
	size_t nours, aours;
	struct dns_query **queries;	/* per signature, NULL when none needed */
	const struct dns_answer **answers;
	size_t nsigs;
	bool eoh_done;
	bool overflow;			/* header block over the limits: not checked */
	struct buf folded, line;

	/* The envelope. */
	bool have_ip;
	struct spf_ip ip;
	char *helo, *mailfrom;		/* NULL: unknown */
	/* From fields: how many, and the first one's value. */
	unsigned n_from;
	char *from;
	size_t from_len;

	bool spf_done;
	struct spf_smtp_verdicts spfv;
	struct buf rspf;		/* Received-SPF value */

	bool dmarc_done;
	bool from_bad;			/* no usable Author Domain */
	const char *from_why;
	struct dmarc_authors authors;
	struct dns_query *prefetch;	/* _dmarc.<author>, warming the cache */
	struct dmarc_outcome outcome;
	const struct override *override;	/* lowered the disposition, or NULL */
	struct verifier_verdict verdict;
};

struct verifier *verifier_new(const struct verifier_opts *vo)
{
	struct verifier *v = calloc(1, sizeof *v);
	struct dkim_verify_opts o = {
		.max_signatures = vo->verify->max_signatures,
		.min_rsa_bits = vo->verify->min_rsa_bits,
		.fail_body_length = vo->verify->fail_body_length,
		.now = vo->now,
		.clock_skew = vo->verify->clock_skew,
	};

	if (v == NULL)
		return NULL;
	v->authserv_id = vo->authserv_id;
	v->resolver = vo->resolver;
	v->now = vo->now;
	if (vo->spf != NULL && vo->spf->enabled)
		v->spf = vo->spf;
	if (vo->dmarc != NULL && vo->dmarc->enabled)
		v->dmarc = vo->dmarc;
	buf_init(&v->field, SG_MAX_HEADER_BYTES);
	buf_init(&v->folded, AR_VALUE_CAP);
	buf_init(&v->line, AR_VALUE_CAP);
	buf_init(&v->rspf, AR_VALUE_CAP);
	if ((v->dkim = dkim_verifier_new(&o)) == NULL) {
		verifier_free(&v);
		return NULL;
	}
	return v;
}

void verifier_free(struct verifier **vp)
{
	struct verifier *v = *vp;

	if (v == NULL)
		return;
	*vp = NULL;
	for (size_t i = 0; i < v->nsigs; i++) {
		if (v->queries != NULL)
			dns_query_free(&v->queries[i]);
		if (v->answers != NULL)
			dns_answer_release(&v->answers[i]);
	}
	free(v->queries);
	free(v->answers);
	dkim_verifier_free(&v->dkim);
	buf_free(&v->field);
	buf_free(&v->folded);
	buf_free(&v->line);
	buf_free(&v->rspf);
	free(v->ours);
	free(v->helo);
	free(v->mailfrom);
	free(v->from);
	dns_query_free(&v->prefetch);
	dmarc_outcome_clear(&v->outcome);
	free(v);
}

enum sg_status verifier_envelope(struct verifier *v, const struct sockaddr *client,
				 const char *helo, const char *mailfrom)
{
	if (v->eoh_done)
		return SG_E_STATE;
	v->have_ip = client != NULL && spf_ip_from_sockaddr(client, &v->ip);
	free(v->helo);
	free(v->mailfrom);
	v->helo = v->mailfrom = NULL;
	if ((helo != NULL && (v->helo = strndup(helo, SG_MAX_ENVELOPE_LEN)) == NULL) ||
	    (mailfrom != NULL && (v->mailfrom = strndup(mailfrom, SG_MAX_ENVELOPE_LEN)) == NULL))
		return SG_E_NOMEM;
	return SG_OK;
}

/* Keep the first From field's value (DMARC) and count them all. The
 * copy is cut just past SG_MAX_FROM_LEN, which dmarc_authors refuses. */
static enum sg_status note_from(struct verifier *v, const char *value)
{
	if (v->n_from++ > 0)
		return SG_OK;
	v->from_len = strnlen(value, SG_MAX_FROM_LEN + 1);
	v->from = strndup(value, v->from_len);
	return v->from != NULL ? SG_OK : SG_E_NOMEM;
}

static enum sg_status note_ar(struct verifier *v, const char *value)
{
	if (v->ar_seen >= MAX_AR_TRACKED)
		return SG_E_TOOBIG;
	v->ar_seen++;
	if (!authres_claims(value, strlen(value), v->authserv_id))
		return SG_OK;
	if (v->nours == v->aours) {
		size_t n = v->aours ? v->aours * 2 : 4;
		unsigned *p = realloc(v->ours, n * sizeof *p);

		if (p == NULL)
			return SG_E_NOMEM;
		v->ours = p;
		v->aours = n;
	}
	v->ours[v->nours++] = v->ar_seen;
	return SG_OK;
}

enum sg_status verifier_header(struct verifier *v, const char *name,
			       const char *value, bool leadspc)
{
	enum sg_status st;

	if (v->eoh_done)
		return SG_E_STATE;
	if (strcasecmp(name, "Authentication-Results") == 0 &&
	    (st = note_ar(v, value)) != SG_OK)
		return st;
	if (v->dmarc != NULL && strcasecmp(name, "From") == 0 &&
	    (st = note_from(v, value)) != SG_OK)
		return st;
	if (v->overflow)
		return SG_OK;
	buf_reset(&v->field);
	st = hdr_field_build(&v->field, name, value, leadspc);
	if (st == SG_OK)
		st = dkim_verifier_header(v->dkim, v->field.data, v->field.len);
	/* Over the header limits nothing is checked; the message goes on
	 * with a permerror. */
	if (st == SG_E_TOOBIG)
		v->overflow = true;
	return st == SG_E_TOOBIG ? SG_OK : st;
}

static enum sg_status start_key_lookups(struct verifier *v)
{
	enum sg_status st;

	if ((st = dkim_verifier_eoh(v->dkim)) != SG_OK)
		return st;
	v->nsigs = dkim_verifier_count(v->dkim);
	if (v->nsigs == 0)
		return SG_OK;
	v->queries = calloc(v->nsigs, sizeof *v->queries);
	v->answers = calloc(v->nsigs, sizeof *v->answers);
	if (v->queries == NULL || v->answers == NULL)
		return SG_E_NOMEM;
	for (size_t i = 0; i < v->nsigs && v->resolver != NULL; i++) {
		const char *name = dkim_verifier_key_name(v->dkim, i);

		if (name != NULL &&
		    (v->queries[i] = dns_query_start(v->resolver, name, DNS_T_TXT)) == NULL)
			return SG_E_NOMEM;
	}
	return SG_OK;
}

/* The Author Domain(s); the first one's policy lookup starts now so it
 * runs while SPF is evaluated and the body comes in. */
static enum sg_status find_authors(struct verifier *v)
{
	const char *vals[2] = { v->from, v->from };
	size_t lens[2] = { v->from_len, v->from_len };
	char name[DNS_MAX_NAME + 8];
	enum sg_status st;

	st = dmarc_authors(vals, lens, v->n_from > 2 ? 2 : v->n_from,
			   DMARC_AUTHOR_REJECT_MULTI, &v->authors);
	if (st == SG_E_NOMEM)
		return st;
	if (st != SG_OK || v->authors.reject) {
		v->from_bad = true;
		v->from_why = v->authors.why != NULL ? v->authors.why : "unusable From";
		return SG_OK;
	}
	if (v->resolver == NULL ||
	    (size_t)snprintf(name, sizeof name, "_dmarc.%s", v->authors.domain[0]) >= sizeof name)
		return SG_OK;
	v->prefetch = dns_query_start(v->resolver, name, DNS_T_TXT);
	return v->prefetch != NULL ? SG_OK : SG_E_NOMEM;
}

static enum sg_status check_spf(struct verifier *v)
{
	struct spf_opts o;
	const char *why;
	enum sg_status st;

	spf_opts_default(&o);
	o.resolver = v->resolver;
	o.receiver = v->authserv_id;
	o.now = v->now;
	o.max_ms = v->spf->timeout_ms;
	st = spf_check_smtp(&o, &v->ip, v->helo, v->mailfrom, &v->spfv, &why);
	if (st != SG_OK)
		return st;
	v->spf_done = true;
	return SG_OK;
}

enum sg_status verifier_eoh(struct verifier *v)
{
	enum sg_status st;

	if (v->eoh_done)
		return SG_E_STATE;
	v->eoh_done = true;
	buf_free(&v->field);
	if (!v->overflow && (st = start_key_lookups(v)) != SG_OK)
		return st;
	if (v->dmarc != NULL && (st = find_authors(v)) != SG_OK)
		return st;
	if (v->spf != NULL && v->have_ip && v->resolver != NULL &&
	    (st = check_spf(v)) != SG_OK)
		return st;
	return SG_OK;
}

enum sg_status verifier_body(struct verifier *v, const void *p, size_t n)
{
	return v->overflow ? SG_OK : dkim_verifier_body(v->dkim, p, n);
}

/* The parsed key of a TXT answer, cached with it: the first record that
 * parses, or the first record's problem. */
struct parsed_key {
	struct dkim_pubkey *key;
	enum dkim_key_status st;
	const char *why;
};

static void parsed_key_free(void *p)
{
	struct parsed_key *pk = p;

	dkim_pubkey_free(&pk->key);
	free(pk);
}

static void *parsed_key_make(const struct dns_answer *a, void *arg)
{
	struct parsed_key *pk = calloc(1, sizeof *pk);

	if (pk == NULL)
		return NULL;
	pk->st = DKIM_KEY_NOTFOUND;
	pk->why = "no key record";
	for (size_t i = 0; i < a->n; i++) {
		const char *why = NULL;
		enum sg_status st = dkim_pubkey_parse(a->rr[i].data, a->rr[i].len,
						      &pk->key, &why);

		if (st == SG_OK) {
			pk->st = DKIM_KEY_OK;
			pk->why = NULL;
			break;
		}
		if (st == SG_E_NOMEM) {
			free(pk);
			return NULL;
		}
		if (pk->st != DKIM_KEY_BAD) {
			pk->st = DKIM_KEY_BAD;
			pk->why = why != NULL ? why : "bad key record";
		}
	}
	return pk;
}

static void give_key(struct verifier *v, size_t i)
{
	const struct dns_answer *a;
	const struct parsed_key *pk;

	if (v->queries[i] == NULL) {
		if (dkim_verifier_key_name(v->dkim, i) != NULL)
			dkim_verifier_set_key(v->dkim, i, DKIM_KEY_TEMPFAIL, NULL,
					      "no DNS resolver");
		return;
	}
	a = v->answers[i] = dns_query_wait(v->queries[i]);
	switch (a->result) {
	case DNS_OK:
		pk = dns_answer_parsed(a, parsed_key_make, NULL, parsed_key_free);
		if (pk == NULL)
			dkim_verifier_set_key(v->dkim, i, DKIM_KEY_TEMPFAIL, NULL,
					      "out of memory parsing the key");
		else
			dkim_verifier_set_key(v->dkim, i, pk->st, pk->key, pk->why);
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		dkim_verifier_set_key(v->dkim, i, DKIM_KEY_NOTFOUND, NULL,
				      a->result == DNS_NXDOMAIN ? "no key for signature (NXDOMAIN)" :
				      "no key for signature (no TXT record)");
		break;
	case DNS_PERMFAIL:
		dkim_verifier_set_key(v->dkim, i, DKIM_KEY_BAD, NULL,
				      a->why != NULL ? a->why : "key lookup failed");
		break;
	default:
		dkim_verifier_set_key(v->dkim, i, DKIM_KEY_TEMPFAIL, NULL,
				      a->why != NULL ? a->why : "key lookup failed");
		break;
	}
}

/* Characters of b= enough to tell signature i from the others. */
static size_t b_prefix(const struct dkim_sig_result *r, size_t n, size_t i)
{
	size_t blen = strlen(r[i].b), len = HEADER_B_MIN;

	for (size_t j = 0; j < n; j++) {
		if (j == i || r[j].b == NULL)
			continue;
		while (len < blen && strncmp(r[i].b, r[j].b, len) == 0)
			len++;
	}
	return len < blen ? len : blen;
}

static enum sg_status put_dkim(struct buf *b, const struct dkim_sig_result *r,
			       size_t n, size_t i, bool fold)
{
	const struct dkim_sig_result *s = &r[i];
	char comment[512], bpre[256];
	enum sg_status st;

	comment[0] = '\0';
	if (s->reason != NULL)
		snprintf(comment, sizeof comment, "%s", s->reason);
	if (s->key_testing)
		snprintf(comment + strlen(comment), sizeof comment - strlen(comment),
			 "%skey in testing mode", comment[0] ? "; " : "");
	st = authres_result(b, "dkim", dkim_result_name(s->result),
			    comment[0] ? comment : NULL, fold);
	if (st == SG_OK)
		st = authres_prop(b, "header", "d", s->domain);
	if (st == SG_OK)
		st = authres_prop(b, "header", "i", s->identity);
	if (st == SG_OK)
		st = authres_prop(b, "header", "s", s->selector);
	if (st == SG_OK)
		st = authres_prop(b, "header", "a", s->algorithm);
	if (st == SG_OK && s->b != NULL && s->b[0] != '\0') {
		size_t len = b_prefix(r, n, i);

		if (len >= sizeof bpre)
			len = sizeof bpre - 1;
		memcpy(bpre, s->b, len);
		bpre[len] = '\0';
		st = authres_prop(b, "header", "b", bpre);
	}
	return st;
}

/* The reverse-path of MAIL FROM into out ("" for the null path). */
static const char *envelope_addr(const char *mailfrom, char *out, size_t outsz)
{
	out[0] = '\0';
	spf_mailfrom_path(mailfrom, out, outsz);
	return out;
}

static enum sg_status put_spf(struct verifier *v, struct buf *b, bool fold)
{
	const struct spf_verdict *s[2] = { &v->spfv.mailfrom, &v->spfv.helo };
	char addr[SG_MAX_ENVELOPE_LEN + 1];
	enum sg_status st = SG_OK;

	envelope_addr(v->mailfrom, addr, sizeof addr);
	/* A null reverse-path is checked as the HELO identity alone. */
	for (size_t i = addr[0] == '\0' ? 1 : 0; i < 2 && st == SG_OK; i++) {
		bool err = s[i]->result == SPF_TEMPERROR || s[i]->result == SPF_PERMERROR;

		if (i == 1 && (v->helo == NULL || v->helo[0] == '\0'))
			break;
		st = authres_result(b, "spf", spf_result_name(s[i]->result),
				    err ? s[i]->reason : NULL, fold);
		if (st == SG_OK)
			st = authres_prop(b, "smtp", i == 0 ? "mailfrom" : "helo",
					  i == 0 ? addr : v->helo);
	}
	return st;
}

static enum sg_status build_ar(struct verifier *v, struct buf *b, bool fold)
{
	const struct dkim_sig_result *r;
	size_t n;
	enum sg_status st;

	buf_reset(b);
	if (fold && (st = buf_putc(b, ' ')) != SG_OK)
		return st;
	if ((st = authres_begin(b, v->authserv_id)) != SG_OK)
		return st;
	if (v->spf_done && (st = put_spf(v, b, fold)) != SG_OK)
		return st;
	if (v->overflow) {
		st = authres_result(b, "dkim", "permerror",
				    "header block too large to verify", fold);
	} else {
		r = dkim_verifier_results(v->dkim, &n);
		if (n == 0)
			st = authres_result(b, "dkim", "none", NULL, fold);
		for (size_t i = 0; i < n && st == SG_OK; i++)
			st = put_dkim(b, r, n, i, fold);
	}
	if (st == SG_OK && v->dmarc_done)
		st = dmarc_authres(b, &v->outcome, fold);
	return st;
}

static enum dmarc_spf_result spf_for_dmarc(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:		return DMARC_SPF_NONE;
	case SPF_NEUTRAL:	return DMARC_SPF_NEUTRAL;
	case SPF_PASS:		return DMARC_SPF_PASS;
	case SPF_FAIL:		return DMARC_SPF_FAIL;
	case SPF_SOFTFAIL:	return DMARC_SPF_SOFTFAIL;
	case SPF_TEMPERROR:	return DMARC_SPF_TEMPERROR;
	case SPF_PERMERROR:	return DMARC_SPF_PERMERROR;
	}
	return DMARC_SPF_NONE;
}

/* Evaluate every Author Domain; the worst outcome is the message's. */
static enum sg_status run_dmarc(struct verifier *v)
{
	const struct dkim_sig_result *r;
	struct dmarc_dkim_in *dk;
	struct dmarc_spf_in spf;
	struct dmarc_input in;
	struct dmarc_opts o = {
		.mode = v->dmarc->mode, .resolver = v->resolver, .psl = v->dmarc->psl,
	};
	size_t n = 0;
	enum sg_status st;

	v->dmarc_done = true;
	if (v->from_bad) {
		dmarc_outcome_permerror(&v->outcome, NULL, v->from_why);
		return SG_OK;
	}
	if (v->resolver == NULL) {
		dmarc_outcome_permerror(&v->outcome, v->authors.domain[0], "no DNS resolver");
		v->outcome.result = DMARC_RESULT_TEMPERROR;
		return SG_OK;
	}
	r = v->overflow ? NULL : dkim_verifier_results(v->dkim, &n);
	if ((dk = calloc(n + 1, sizeof *dk)) == NULL)
		return SG_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		dk[i].domain = r[i].domain;
		dk[i].pass = r[i].result == DKIM_R_PASS;
	}
	spf.domain = v->spfv.mailfrom.domain;
	spf.result = spf_for_dmarc(v->spfv.mailfrom.result);
	in = (struct dmarc_input){
		.dkim = dk, .n_dkim = n, .spf = v->spf_done ? &spf : NULL,
	};
	st = dmarc_policy_eval_authors(&o, &v->authors, &in, &v->outcome);
	free(dk);
	return st;
}

static bool override_domain(const struct sg_dmarc_conf *d, const char *author)
{
	for (size_t i = 0; i < d->n_override_domains; i++)
		if (dmarc_is_under(author, d->override_domains[i]))
			return true;
	return false;
}

/* Local policy that lowers an enforced disposition: the A-R comment and
 * the aggregate report's reason (RFC 7489 PolicyOverrideType). */
struct override {
	const char *text, *code;
};

static const struct override OVERRIDE_FORWARDER = {
	"local override: trusted forwarder", "trusted_forwarder"
};
static const struct override OVERRIDE_DOMAIN = {
	"local override: local policy", "local_policy"
};
static const struct override OVERRIDE_REPORT_ONLY = { "reporting only", "local_policy" };

/* The override that applies to this message, or NULL. */
static const struct override *local_override(const struct verifier *v)
{
	const struct sg_dmarc_conf *d = v->dmarc;
	char ip[46];

	if (d->override_hosts != NULL && v->have_ip &&
	    cidr_list_match_text(d->override_hosts, spf_ip_text(&v->ip, ip)))
		return &OVERRIDE_FORWARDER;
	if (override_domain(d, v->outcome.author))
		return &OVERRIDE_DOMAIN;
	if (!d->reject_failures)
		return &OVERRIDE_REPORT_ONLY;
	return NULL;
}

static void reply(struct verifier_verdict *d, enum verifier_action a,
		  const char *rcode, const char *xcode, const char *fmt,
		  const char *arg)
{
	d->action = a;
	d->rcode = rcode;
	d->xcode = xcode;
	snprintf(d->text, sizeof d->text, fmt, arg);
}

/* What the DMARC outcome and the local configuration make of the message. */
static void decide(struct verifier *v)
{
	struct dmarc_outcome *o = &v->outcome;
	struct verifier_verdict *d = &v->verdict;

	d->action = VERIFIER_ACCEPT;
	if (!v->dmarc_done)
		return;
	if (v->from_bad) {
		if (!v->dmarc->malformed_tag)
			reply(d, VERIFIER_REJECT, "550", "5.7.1",
			      "Rejected: malformed From header field (%s)", v->from_why);
		return;
	}
	if (o->result == DMARC_RESULT_TEMPERROR) {
		if (v->dmarc->on_temperror == CONF_ON_ERROR_TEMPFAIL)
			reply(d, VERIFIER_TEMPFAIL, "451", "4.7.1",
			      "DMARC evaluation of %s failed temporarily, try again later",
			      o->author);
		return;
	}
	if (o->result != DMARC_RESULT_FAIL || o->disposition == DMARC_REQ_NONE)
		return;
	if ((v->override = local_override(v)) != NULL) {
		o->local_override = v->override->text;
		o->disposition = DMARC_REQ_NONE;
		return;
	}
	if (o->disposition == DMARC_REQ_REJECT)
		reply(d, VERIFIER_REJECT, "550", "5.7.1",
		      "Rejected by the DMARC policy of %s", o->author);
	else if (!v->dmarc->quarantine_header)
		reply(d, VERIFIER_QUARANTINE, NULL, NULL,
		      "DMARC policy of %s: quarantine", o->author);
}

enum sg_status verifier_eom(struct verifier *v, const char **why)
{
	enum sg_status st;

	*why = NULL;
	if (!v->eoh_done && (st = verifier_eoh(v)) != SG_OK) {
		*why = "cannot parse the signatures (out of memory)";
		return st;
	}
	for (size_t i = 0; i < v->nsigs; i++)
		give_key(v, i);
	if (!v->overflow && (st = dkim_verifier_eom(v->dkim)) != SG_OK) {
		*why = "DKIM verification failed internally";
		return st;
	}
	if (v->dmarc != NULL && (st = run_dmarc(v)) != SG_OK) {
		*why = "DMARC evaluation failed (out of memory)";
		return st;
	}
	decide(v);
	if (build_ar(v, &v->folded, true) != SG_OK ||
	    build_ar(v, &v->line, false) != SG_OK ||
	    (v->spf_done && v->spf->received_spf &&
	     (buf_putc(&v->rspf, ' ') != SG_OK ||
	      spf_received_spf(&v->rspf, &v->spfv.mailfrom, &v->ip, v->helo,
			       v->mailfrom, v->authserv_id, true) != SG_OK))) {
		*why = "cannot build the Authentication-Results field";
		return SG_E_NOMEM;
	}
	return SG_OK;
}

const struct verifier_verdict *verifier_verdict(const struct verifier *v)
{
	return &v->verdict;
}

const char *verifier_received_spf(const struct verifier *v)
{
	return v->rspf.len > 0 ? v->rspf.data : NULL;
}

static const char *req_or_null(enum dmarc_req r)
{
	return r == DMARC_REQ_UNSET ? NULL : dmarc_req_name(r);
}

void verifier_record(const struct verifier *v, struct dmarc_history *h,
		     const char *queue_id)
{
	const struct dmarc_outcome *o = &v->outcome;
	const struct dkim_sig_result *r = NULL;
	struct dmarc_history_dkim dk[DKIM_MAX_RECORDED];
	struct dmarc_history_rec rec;
	char ip[46], addr[SG_MAX_ENVELOPE_LEN + 1], rua[1024];
	const char *at;
	size_t n = 0, nd = 0, len = 0;

	if (h == NULL || !v->dmarc_done ||
	    (o->result != DMARC_RESULT_PASS && o->result != DMARC_RESULT_FAIL))
		return;
	if (!v->overflow)
		r = dkim_verifier_results(v->dkim, &n);
	for (size_t i = 0; i < n && nd < DKIM_MAX_RECORDED; i++, nd++)
		dk[nd] = (struct dmarc_history_dkim){
			.domain = r[i].domain, .selector = r[i].selector,
			.result = dkim_result_name(r[i].result),
		};
	rua[0] = '\0';
	for (size_t i = 0; i < o->record.n_rua && len < sizeof rua; i++)
		len += (size_t)snprintf(rua + len, sizeof rua - len, "%s%s",
					i > 0 ? "," : "", o->record.rua[i]);
	envelope_addr(v->mailfrom, addr, sizeof addr);
	at = strrchr(addr, '@');
	rec = (struct dmarc_history_rec){
		.time = v->now,
		.queue_id = queue_id,
		.source_ip = v->have_ip ? spf_ip_text(&v->ip, ip) : "",
		.header_from = o->author,
		.envelope_from = at != NULL ? at + 1 : "",
		.policy_domain = o->policy_domain,
		.policy = dmarc_req_name(o->policy),
		.policy_tag = dmarc_policy_tag_name(o->policy_tag),
		.testing = o->testing,
		.result = dmarc_result_name(o->result),
		.disposition = dmarc_req_name(o->disposition),
		.override = v->override != NULL ? v->override->code : NULL,
		.dkim_aligned = o->dkim_aligned,
		.spf_aligned = o->spf_aligned,
		.dkim = dk,
		.n_dkim = nd,
		.spf_domain = v->spf_done ? v->spfv.mailfrom.domain : NULL,
		.spf_scope = v->spf_done ? (addr[0] == '\0' ? "helo" : "mfrom") : NULL,
		.spf_result = v->spf_done ? spf_result_name(v->spfv.mailfrom.result) : NULL,
		.rua = rua[0] != '\0' ? rua : NULL,
		.adkim = o->record.adkim_strict ? "s" : "r",
		.aspf = o->record.aspf_strict ? "s" : "r",
		.p = req_or_null(o->record.p),
		.sp = req_or_null(o->record.sp),
		.np = req_or_null(o->record.np),
	};
	dmarc_history_add(h, &rec);
}

const char *verifier_author(const struct verifier *v)
{
	return v->dmarc_done ? v->outcome.author : "";
}

const char *verifier_ar_folded(const struct verifier *v)
{
	return v->folded.data != NULL ? v->folded.data : "";
}

const char *verifier_ar_line(const struct verifier *v)
{
	return v->line.data != NULL ? v->line.data : "";
}

const unsigned *verifier_ar_ours(const struct verifier *v, size_t *n)
{
	*n = v->nours;
	return v->ours;
}
