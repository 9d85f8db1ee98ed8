/*
 * dmarc/policy.c -- DMARC evaluation of one Author Domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/authres.h"
#include "domain.h"
#include "policy.h"

enum align { AL_NO, AL_YES, AL_UNKNOWN };

/* One evaluation's working state. */
struct eval {
	const struct dmarc_opts *o;
	struct dmarc_outcome *out;
	bool org_known;			/* out->org_domain is set */
	size_t walks;			/* alignment walks made */
	size_t n_memo;			/* their results, by identifier */
	struct {
		char id[DNS_MAX_NAME + 1];
		enum align a;
	} memo[DMARC_MAX_ALIGN_WALKS];
};

static void set_str(char dst[DNS_MAX_NAME + 1], const char *src)
{
	snprintf(dst, DNS_MAX_NAME + 1, "%s", src);
}

/* A DNS failure ends the evaluation with temperror or permerror. */
static void dns_error(struct dmarc_outcome *out, enum dns_result r, const char *why)
{
	out->result = r == DNS_TEMPFAIL ? DMARC_RESULT_TEMPERROR : DMARC_RESULT_PERMERROR;
	out->reason = why != NULL ? why : "DNS failure";
}

/* ---- policy discovery ------------------------------------------------- */

/* RFC 9989 4.10.1: the Author Domain's record, else the Organizational
 * Domain's, else the PSD's. *rec NULL when there is none. */
static enum sg_status discover_9989(struct eval *e, struct dmarc_walk *w,
				    const struct dmarc_record **rec)
{
	struct dmarc_outcome *out = e->out;
	const struct dmarc_walk_found *pick = NULL;
	enum sg_status st;

	*rec = NULL;
	if ((st = dmarc_walk(e->o->resolver, out->author, w)) != SG_OK)
		return st;
	out->queries += w->queries;
	if (w->dns != DNS_OK) {
		dns_error(out, w->dns, w->why);
		return SG_OK;
	}
	set_str(out->org_domain, dmarc_walk_org(w));
	e->org_known = true;
	for (size_t i = 0; i < w->n && pick == NULL; i++)
		if (w->found[i].off == 0 || w->found[i].off == w->org_off)
			pick = &w->found[i];	/* the author's, or the org's */
	if (pick == NULL && w->n > 0 && w->found[w->n - 1].set->rec.psd == DMARC_PSD_Y)
		pick = &w->found[w->n - 1];	/* the PSD's */
	if (pick == NULL) {
		out->reason = w->several ? "several DMARC records" : "no DMARC policy record";
		return SG_OK;
	}
	set_str(out->policy_domain, w->start + pick->off);
	*rec = &pick->set->rec;
	if (!(*rec)->usable)
		out->reason = pick->set->why;
	return SG_OK;
}

/* RFC 7489 6.6.3: the Author Domain's record, else the Organizational
 * Domain's (Public Suffix List). held[] keep the records alive. */
static enum sg_status discover_7489(struct eval *e, const struct dns_answer **held,
				    const struct dmarc_record **rec)
{
	struct dmarc_outcome *out = e->out;
	const struct dmarc_txtset *set;
	const char *org = out->author + dmarc_psl_orgdomain(e->o->psl, out->author);
	enum dns_result res;
	enum sg_status st;
	const char *why = NULL;

	*rec = NULL;
	set_str(out->org_domain, org);
	e->org_known = true;
	for (int i = 0; i < 2; i++) {
		const char *d = i == 0 ? out->author : org;

		if (i == 1 && strcmp(org, out->author) == 0)
			break;
		out->queries++;
		if ((st = dmarc_fetch(e->o->resolver, d, &set, &held[i], &res, &why)) != SG_OK)
			return st;
		if (res != DNS_OK) {
			dns_error(out, res, why);
			return SG_OK;
		}
		if (set->count == 1) {
			set_str(out->policy_domain, d);
			*rec = &set->rec;
			if (!set->rec.usable)
				out->reason = set->why;
			return SG_OK;
		}
		if (set->count > 1 && i == 0) {
			out->reason = "several DMARC records";
			return SG_OK;		/* no fallback: the author has records */
		}
	}
	out->reason = "no DMARC policy record";
	return SG_OK;
}

/* ---- alignment --------------------------------------------------------- */

/* Relaxed alignment through Organizational Domains. */
static enum sg_status relaxed(struct eval *e, const char *id, enum align *a)
{
	const char *aorg = e->out->org_domain;
	struct dmarc_walk w;
	enum sg_status st;

	if (!e->org_known) {			/* discovery always finds it */
		*a = AL_UNKNOWN;
		return SG_OK;
	}
	/* Same Organizational Domain means id is at or below the author's;
	 * the author's Organizational Domain itself walks to itself. */
	if (!dmarc_is_under(id, aorg) || strcmp(id, aorg) == 0) {
		*a = strcmp(id, aorg) == 0 ? AL_YES : AL_NO;
		return SG_OK;
	}
	if (e->o->mode == DMARC_MODE_RFC7489) {
		*a = strcmp(id + dmarc_psl_orgdomain(e->o->psl, id), aorg) == 0 ? AL_YES : AL_NO;
		return SG_OK;
	}
	for (size_t i = 0; i < e->n_memo; i++)
		if (strcmp(e->memo[i].id, id) == 0) {
			*a = e->memo[i].a;
			return SG_OK;
		}
	if (e->walks == DMARC_MAX_ALIGN_WALKS) {
		*a = AL_NO;			/* over the limit: not checked */
		return SG_OK;
	}
	e->walks++;
	if ((st = dmarc_walk(e->o->resolver, id, &w)) != SG_OK) {
		dmarc_walk_release(&w);
		return st;
	}
	e->out->queries += w.queries;
	if (w.dns != DNS_OK)
		*a = AL_UNKNOWN;
	else
		*a = strcmp(dmarc_walk_org(&w), aorg) == 0 ? AL_YES : AL_NO;
	dmarc_walk_release(&w);
	set_str(e->memo[e->n_memo].id, id);
	e->memo[e->n_memo++].a = *a;
	return SG_OK;
}

/* Is the authenticated identifier raw aligned with the author? */
static enum sg_status aligned(struct eval *e, const char *raw, bool strict,
			      enum align *a)
{
	char id[DNS_MAX_NAME + 1];
	const char *why;

	*a = AL_NO;
	if (raw == NULL || dmarc_domain_norm(raw, strlen(raw), id, &why) != SG_OK)
		return SG_OK;
	if (strcmp(id, e->out->author) == 0) {
		*a = AL_YES;
		return SG_OK;
	}
	if (strict)
		return SG_OK;
	return relaxed(e, id, a);
}

/* Check every passing identifier; *unknown when one could not be
 * decided for a DNS failure. */
static enum sg_status check_alignment(struct eval *e, const struct dmarc_input *in,
				      const struct dmarc_record *rec, bool *unknown)
{
	struct dmarc_outcome *out = e->out;
	enum sg_status st;
	enum align a;

	*unknown = false;
	for (size_t i = 0; i < in->n_dkim && !out->dkim_aligned; i++) {
		if (!in->dkim[i].pass)
			continue;
		if ((st = aligned(e, in->dkim[i].domain, rec->adkim_strict, &a)) != SG_OK)
			return st;
		if (a == AL_YES) {
			const char *why;

			out->dkim_aligned = true;
			(void)dmarc_domain_norm(in->dkim[i].domain, strlen(in->dkim[i].domain),
						out->dkim_domain, &why);
		}
		*unknown |= a == AL_UNKNOWN;
	}
	if (in->spf != NULL && in->spf->result == DMARC_SPF_PASS) {
		if ((st = aligned(e, in->spf->domain, rec->aspf_strict, &a)) != SG_OK)
			return st;
		out->spf_aligned = a == AL_YES;
		*unknown |= a == AL_UNKNOWN;
	}
	return SG_OK;
}

/* ---- the policy that applies --------------------------------------------- */

/* Does the author exist? 1 yes, 0 no, -1 temporary, -2 permanent DNS
 * failure. RFC 9989 3.2.13: NXDOMAIN says no (RFC 8020). RFC 9091 (with
 * RFC 7489): no A, AAAA or MX record (NXDOMAIN or NODATA for all). */
static int author_exists(struct eval *e)
{
	static const enum dns_type types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX };
	size_t n = e->o->mode == DMARC_MODE_RFC9989 ? 1 : 3;
	struct dns_query *q[3] = { NULL, NULL, NULL };
	int verdict = 0, failed = 0;

	for (size_t i = 0; i < n; i++)
		q[i] = dns_query_start(e->o->resolver, e->out->author, types[i]);
	for (size_t i = 0; i < n; i++) {
		const struct dns_answer *a;

		if (q[i] == NULL) {
			failed = failed == 0 ? -1 : failed;	/* OOM */
			continue;
		}
		a = dns_query_wait(q[i]);
		if (a->result == DNS_OK ||
		    (a->result == DNS_NODATA && e->o->mode == DMARC_MODE_RFC9989))
			verdict = 1;
		else if (a->result == DNS_TEMPFAIL)
			failed = -1;
		else if (a->result == DNS_PERMFAIL && failed == 0)
			failed = -2;
		dns_answer_release(&a);
		dns_query_free(&q[i]);
	}
	return verdict == 1 ? 1 : failed != 0 ? failed : 0;
}

/* The policy for a failing (or passing) message. For a subdomain under
 * np=, the existence check runs only for a failing message. */
static void choose_policy(struct eval *e, const struct dmarc_record *rec, bool failing)
{
	struct dmarc_outcome *out = e->out;
	enum dmarc_req sub = rec->sp != DMARC_REQ_UNSET ? rec->sp : rec->p;
	int ex;

	if (strcmp(out->policy_domain, out->author) == 0) {
		out->policy_tag = DMARC_TAG_P;
		out->policy = rec->p;
		return;
	}
	out->policy_tag = rec->sp != DMARC_REQ_UNSET ? DMARC_TAG_SP : DMARC_TAG_P;
	out->policy = sub;
	if (!failing || rec->np == DMARC_REQ_UNSET || rec->np == sub)
		return;
	if ((ex = author_exists(e)) < 0) {
		dns_error(out, ex == -1 ? DNS_TEMPFAIL : DNS_PERMFAIL,
			  "DNS failure checking that the author domain exists");
		return;
	}
	if (ex == 0) {
		out->policy_tag = DMARC_TAG_NP;
		out->policy = rec->np;
	}
}

static enum dmarc_req lower_one(enum dmarc_req r)
{
	return r == DMARC_REQ_REJECT ? DMARC_REQ_QUARANTINE : DMARC_REQ_NONE;
}

/* t=y and pct= (RFC 9989 4.7; RFC 7489 6.6.4): one level down. */
static void dispose(struct eval *e, const struct dmarc_record *rec)
{
	struct dmarc_outcome *out = e->out;
	unsigned roll;

	out->disposition = out->policy;
	if (out->policy == DMARC_REQ_NONE)
		return;
	if (rec->t) {
		out->testing = true;
		out->disposition = lower_one(out->policy);
		return;
	}
	if (e->o->mode != DMARC_MODE_RFC7489 || rec->pct >= 100)
		return;
	roll = e->o->pct_roll != NULL ? e->o->pct_roll(e->o->pct_arg) % 100
				      : arc4random_uniform(100);
	if (roll >= rec->pct) {
		out->sampled_out = true;
		out->disposition = lower_one(out->policy);
	}
}

/* ---- the whole ----------------------------------------------------------- */

static void outcome_init(struct dmarc_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->result = DMARC_RESULT_NONE;
	out->disposition = DMARC_REQ_NONE;
}

/* Verdict from a usable record. */
static enum sg_status judge(struct eval *e, const struct dmarc_input *in,
			    const struct dmarc_record *rec)
{
	struct dmarc_outcome *out = e->out;
	enum sg_status st;
	bool unknown;

	if ((st = dmarc_record_copy(&out->record, rec)) != SG_OK)
		return st;
	if ((st = check_alignment(e, in, rec, &unknown)) != SG_OK)
		return st;
	if (out->dkim_aligned || out->spf_aligned) {
		out->result = DMARC_RESULT_PASS;
		out->reason = out->dkim_aligned ? "aligned DKIM pass" : "aligned SPF pass";
		choose_policy(e, rec, false);
		return SG_OK;
	}
	if (unknown) {
		out->result = DMARC_RESULT_TEMPERROR;
		out->reason = "DNS failure during alignment checks";
		return SG_OK;
	}
	out->result = DMARC_RESULT_FAIL;
	out->reason = "no aligned DKIM or SPF pass";
	choose_policy(e, rec, true);
	if (out->result != DMARC_RESULT_FAIL) {	/* the existence check failed */
		out->policy_tag = DMARC_TAG_NONE;
		out->policy = DMARC_REQ_UNSET;
		return SG_OK;
	}
	dispose(e, rec);
	return SG_OK;
}

enum sg_status dmarc_policy_eval(const struct dmarc_opts *o,
				 const struct dmarc_input *in,
				 struct dmarc_outcome *out)
{
	struct eval e = { .o = o, .out = out };
	const struct dns_answer *held[2] = { NULL, NULL };
	const struct dmarc_record *rec = NULL;
	struct dmarc_walk w;
	enum sg_status st;
	const char *why;

	outcome_init(out);
	memset(&w, 0, sizeof w);
	if (in->author == NULL ||
	    dmarc_domain_norm(in->author, strlen(in->author), out->author, &why) != SG_OK) {
		out->author[0] = '\0';
		out->result = DMARC_RESULT_PERMERROR;
		out->reason = "unusable author domain";
		return SG_OK;
	}
	if (o->mode == DMARC_MODE_RFC7489 && o->psl == NULL) {
		out->result = DMARC_RESULT_PERMERROR;
		out->reason = "no public suffix list";
		return SG_OK;
	}
	if (o->mode == DMARC_MODE_RFC7489)
		st = discover_7489(&e, held, &rec);
	else
		st = discover_9989(&e, &w, &rec);
	if (st == SG_OK && out->result == DMARC_RESULT_NONE && rec != NULL && rec->usable)
		st = judge(&e, in, rec);
	dmarc_walk_release(&w);
	dns_answer_release(&held[0]);
	dns_answer_release(&held[1]);
	if (st != SG_OK)
		dmarc_outcome_clear(out);
	return st;
}

enum sg_status dmarc_policy_eval_authors(const struct dmarc_opts *o,
					 const struct dmarc_authors *au,
					 const struct dmarc_input *in,
					 struct dmarc_outcome *out)
{
	for (size_t i = 0; i < au->n; i++) {
		struct dmarc_input one_in = *in;
		struct dmarc_outcome one;
		enum sg_status st;

		one_in.author = au->domain[i];
		if ((st = dmarc_policy_eval(o, &one_in, &one)) != SG_OK)
			return st;
		if (i == 0 || dmarc_outcome_worse(&one, out)) {
			dmarc_outcome_clear(out);
			*out = one;		/* takes the record's strings */
		} else {
			dmarc_outcome_clear(&one);
		}
	}
	return SG_OK;
}

void dmarc_outcome_permerror(struct dmarc_outcome *out, const char *author,
			     const char *reason)
{
	outcome_init(out);
	out->result = DMARC_RESULT_PERMERROR;
	out->reason = reason;
	if (author != NULL)
		set_str(out->author, author);
}

void dmarc_outcome_clear(struct dmarc_outcome *o)
{
	dmarc_record_clear(&o->record);
	outcome_init(o);
}

static int rank(const struct dmarc_outcome *o)
{
	switch (o->result) {
	case DMARC_RESULT_FAIL:		return 10 + (int)o->disposition;
	case DMARC_RESULT_TEMPERROR:	return 4;
	case DMARC_RESULT_PERMERROR:	return 3;
	case DMARC_RESULT_NONE:		return 2;
	case DMARC_RESULT_PASS:		return 1;
	}
	return 0;
}

bool dmarc_outcome_worse(const struct dmarc_outcome *a,
			 const struct dmarc_outcome *b)
{
	return rank(a) > rank(b);
}

enum sg_status dmarc_authres(struct buf *b, const struct dmarc_outcome *o,
			     bool fold)
{
	char comment[256];
	const char *c = o->reason;
	enum sg_status st;

	if ((o->result == DMARC_RESULT_PASS || o->result == DMARC_RESULT_FAIL) &&
	    o->policy != DMARC_REQ_UNSET) {
		snprintf(comment, sizeof comment, "p=%s dis=%s%s%s",
			 dmarc_req_name(o->policy), dmarc_req_name(o->disposition),
			 o->local_override != NULL ? "; " : "",
			 o->local_override != NULL ? o->local_override : "");
		c = comment;
	}
	st = authres_result(b, "dmarc", dmarc_result_name(o->result), c, fold);
	if (st == SG_OK && o->author[0] != '\0')
		st = authres_prop(b, "header", "from", o->author);
	return st;
}

const char *dmarc_result_name(enum dmarc_result r)
{
	switch (r) {
	case DMARC_RESULT_NONE:		return "none";
	case DMARC_RESULT_PASS:		return "pass";
	case DMARC_RESULT_FAIL:		return "fail";
	case DMARC_RESULT_TEMPERROR:	return "temperror";
	case DMARC_RESULT_PERMERROR:	return "permerror";
	}
	return "permerror";
}

const char *dmarc_policy_tag_name(enum dmarc_policy_tag t)
{
	switch (t) {
	case DMARC_TAG_P:	return "p";
	case DMARC_TAG_SP:	return "sp";
	case DMARC_TAG_NP:	return "np";
	case DMARC_TAG_NONE:	break;
	}
	return "";
}

bool dmarc_spf_result_parse(const char *s, enum dmarc_spf_result *out)
{
	static const struct { const char *name; enum dmarc_spf_result r; } names[] = {
		{ "none", DMARC_SPF_NONE }, { "neutral", DMARC_SPF_NEUTRAL },
		{ "pass", DMARC_SPF_PASS }, { "fail", DMARC_SPF_FAIL },
		{ "softfail", DMARC_SPF_SOFTFAIL }, { "temperror", DMARC_SPF_TEMPERROR },
		{ "permerror", DMARC_SPF_PERMERROR },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].r;
			return true;
		}
	return false;
}
