/*
 * spf/eval.c -- check_host(), RFC 7208 sections 4 to 6, on common/dns.
 *
 * Mechanisms return SPF_MATCH, SPF_NOMATCH or SPF_STOP; SPF_STOP
 * carries the final result (temperror or permerror) out through every
 * include and redirect, with the reason written where it happened. A match writes
 * the verdict's mechanism and reason at its own level; an outer level
 * that decides later writes over them, so the outermost decision shows.
 * The exp= of the record whose "-" term decided is remembered (only at
 * the top level and through redirects: never inside an include, 6.2)
 * and fetched once the result is known.
 */
#include "eval.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../common/limits.h"
#include "record.h"

/* Work space for one expanded domain-spec (see macro.c). */
#define EVAL_SCRATCH	4096u

/* The selected SPF record of a TXT answer, attached to the answer. */
struct txt_spf {
	size_t n_spf;			/* TXT records that are SPF records */
	size_t idx;			/* the (last) one's index in the answer */
	struct spf_record *rec;		/* when exactly one, and it parsed */
	enum sg_status st;
	const char *why;
	char bad[SPF_BAD_TERM_MAX + 1];
};

static enum spf_result check_host(struct spf_eval *ev, const char *domain,
				  unsigned depth, bool top);

static void txt_spf_free(void *p)
{
	struct txt_spf *ts = p;

	if (ts != NULL)
		spf_record_free(&ts->rec);
	free(ts);
}

static void *txt_spf_make(const struct dns_answer *a, void *arg)
{
	struct txt_spf *ts = calloc(1, sizeof *ts);
	const struct dns_rr *one = NULL;

	if (ts == NULL)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		if (spf_record_is_spf(a->rr[i].data, a->rr[i].len)) {
			ts->n_spf++;
			ts->idx = i;
			one = &a->rr[i];
		}
	if (ts->n_spf == 1) {
		ts->st = spf_record_parse(one->data, one->len, &ts->rec, &ts->why, ts->bad);
		if (ts->st == SG_E_NOMEM) {
			free(ts);
			return NULL;
		}
	}
	return ts;
}

/* ---- macros and targets ----------------------------------------------- */

static void macro_ctx(struct spf_eval *ev, const char *domain, struct spf_macro_ctx *c)
{
	*c = (struct spf_macro_ctx){
		.sender = ev->sender, .local = ev->local,
		.sender_domain = ev->sender_domain, .domain = domain,
		.ip = ev->ip_macro, .client = ev->ip_text,
		.ipv6 = ev->ip.family == AF_INET6, .helo = ev->helo,
		.receiver = ev->o->receiver, .now = ev->now,
		.ptr_name = spf_ptr_macro, .ptr_arg = ev,
	};
}

/* The target-name of a term (4.8): 1 usable, 0 not a name we can ask
 * for (the term then finds nothing), SPF_STOP on OOM. */
static int expand_target(struct spf_eval *ev, const char *spec, size_t len,
			 const char *domain, char out[DNS_MAX_NAME + 1],
			 enum spf_result *res)
{
	struct spf_macro_ctx c;
	const char *why = "";
	enum sg_status st;

	if (spec == NULL) {
		snprintf(out, DNS_MAX_NAME + 1, "%s", domain);
		return spf_name_ok(out);
	}
	macro_ctx(ev, domain, &c);
	st = spf_macro_expand(spec, len, SPF_MACRO_DOMAIN, &c, &ev->scratch, NULL, &why);
	if (st != SG_OK) {
		if (st == SG_E_NOMEM)
			ev->oom = true;
		*res = st == SG_E_NOMEM ? SPF_TEMPERROR : SPF_PERMERROR;
		spf_set_reason(ev, "macro expansion in %s: %s", domain, why);
		return SPF_STOP;
	}
	snprintf(out, DNS_MAX_NAME + 1, "%s", ev->scratch.data ? ev->scratch.data : "");
	return spf_name_ok(out);
}

/* ---- mechanisms (section 5) ------------------------------------------- */

static bool count_term(struct spf_eval *ev, const char *term, const char *domain,
		       enum spf_result *res)
{
	if (++ev->dns_terms <= SPF_MAX_DNS_TERMS)
		return true;
	*res = SPF_PERMERROR;
	spf_set_reason(ev, "more than %u DNS-querying terms (at '%s' in %s)",
		       SPF_MAX_DNS_TERMS, term, domain);
	return false;
}

static int mech_include(struct spf_eval *ev, const char *target, unsigned depth,
			enum spf_result *res)
{
	enum spf_result r = check_host(ev, target, depth + 1, false);

	switch (r) {
	case SPF_PASS:
		return SPF_MATCH;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return SPF_NOMATCH;
	case SPF_NONE:
		spf_set_reason(ev, "include:%s found no SPF record", target);
		*res = SPF_PERMERROR;
		return SPF_STOP;
	case SPF_TEMPERROR:
	case SPF_PERMERROR:
		break;
	}
	*res = r;
	return SPF_STOP;
}

static int mech_addr(struct spf_eval *ev, const struct spf_term *t,
		     const char *target, unsigned depth, enum spf_result *res)
{
	const struct dns_answer *a = spf_lookup(ev, depth, target, spf_addr_type(ev));
	int k = spf_answer_usable(ev, a, target, spf_addr_type(ev), res);

	if (k == 1)
		k = spf_addr_in(ev, a, t->cidr4, t->cidr6) ? SPF_MATCH : SPF_NOMATCH;
	dns_answer_release(&a);
	return k;
}

static int mech_exists(struct spf_eval *ev, const char *target, unsigned depth,
		       enum spf_result *res)
{
	const struct dns_answer *a = spf_lookup(ev, depth, target, DNS_T_A);
	int k = spf_answer_usable(ev, a, target, DNS_T_A, res);

	dns_answer_release(&a);
	return k == 1 ? SPF_MATCH : k;
}

/* The k-th pick by (preference, position) after prev (SIZE_MAX: none
 * yet): the MX names in the order a sender would try them. */
static size_t mx_next(const struct dns_answer *a, size_t prev)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < a->n; i++) {
		bool after = prev == SIZE_MAX || a->rr[i].pref > a->rr[prev].pref ||
			     (a->rr[i].pref == a->rr[prev].pref && i > prev);
		bool better = best == SIZE_MAX || a->rr[i].pref < a->rr[best].pref ||
			      (a->rr[i].pref == a->rr[best].pref && i < best);

		if (after && better)
			best = i;
	}
	return best;
}

/* 5.4: the addresses of the first SPF_MAX_MX_NAMES exchanges (by
 * preference); an MX set that would need more lookups than that to
 * reach a verdict is permerror (4.6.4). */
static int mech_mx(struct spf_eval *ev, const struct spf_term *t,
		   const char *target, unsigned depth, enum spf_result *res)
{
	struct dns_query *q[SPF_MAX_MX_NAMES] = { 0 };
	size_t idx[SPF_MAX_MX_NAMES], n = 0, i, prev = SIZE_MAX;
	const struct dns_answer *a = spf_lookup(ev, depth, target, DNS_T_MX), *b;
	int k = spf_answer_usable(ev, a, target, DNS_T_MX, res);

	if (k != 1)
		goto out;
	if (spf_now_ms() >= ev->deadline) {
		ev->late = true;
		k = spf_dns_fail(ev, NULL, target, DNS_T_MX, res);
		goto out;
	}
	while (n < SPF_MAX_MX_NAMES && (prev = mx_next(a, prev)) != SIZE_MAX)
		idx[n++] = prev;
	for (i = 0; i < n; i++) {		/* ask all at once */
		const char *name = a->rr[idx[i]].data;

		if (spf_name_ok(name) &&
		    (q[i] = dns_query_start(ev->o->resolver, name, spf_addr_type(ev))) == NULL) {
			ev->oom = true;
			*res = SPF_TEMPERROR;
			spf_set_reason(ev, "out of memory");
			k = SPF_STOP;
			goto out;
		}
	}
	for (k = SPF_NOMATCH, i = 0; i < n && k == SPF_NOMATCH; i++) {
		const struct dns_rr *mx = &a->rr[idx[i]];

		if (q[i] == NULL)		/* null MX or unusable name */
			continue;
		b = dns_query_wait(q[i]);
		spf_trace(ev, depth, "%s %s (MX %u): %s", spf_dns_type_name(spf_addr_type(ev)),
			  mx->data, mx->pref, dns_result_name(b->result));
		if (b->result == DNS_TEMPFAIL || b->result == DNS_PERMFAIL)
			k = spf_dns_fail(ev, b, mx->data, spf_addr_type(ev), res);
		else if (b->result == DNS_OK && spf_addr_in(ev, b, t->cidr4, t->cidr6))
			k = SPF_MATCH;
		dns_answer_release(&b);
	}
	if (k == SPF_NOMATCH && a->n > SPF_MAX_MX_NAMES) {
		*res = SPF_PERMERROR;
		spf_set_reason(ev, "MX of %s has %zu names: no match in the first %u",
			       target, a->n, SPF_MAX_MX_NAMES);
		k = SPF_STOP;
	}
out:
	for (i = 0; i < SPF_MAX_MX_NAMES; i++)
		dns_query_free(&q[i]);
	dns_answer_release(&a);
	return k;
}

static int mech_ptr(struct spf_eval *ev, const char *target, unsigned depth,
		    enum spf_result *res)
{
	char names[SPF_MAX_PTR_NAMES][DNS_MAX_NAME + 1];
	int n = spf_validated_names(ev, depth, names);

	if (n == SPF_STOP)
		return spf_dns_fail(ev, NULL, target, DNS_T_PTR, res);
	for (int i = 0; i < n; i++)
		if (spf_name_under(names[i], target))
			return SPF_MATCH;
	return SPF_NOMATCH;
}

static int mech_eval(struct spf_eval *ev, const struct spf_term *t,
		     const char *domain, unsigned depth, enum spf_result *res)
{
	char target[DNS_MAX_NAME + 1];
	int k;

	switch (t->mech) {
	case SPF_MECH_ALL:
		return SPF_MATCH;
	case SPF_MECH_IP4:
		return ev->ip.family == AF_INET &&
		       spf_net_match(t->net, ev->ip.addr, 4, t->cidr4) ? SPF_MATCH : SPF_NOMATCH;
	case SPF_MECH_IP6:
		return ev->ip.family == AF_INET6 &&
		       spf_net_match(t->net, ev->ip.addr, 16, t->cidr6) ? SPF_MATCH : SPF_NOMATCH;
	default:
		break;
	}
	if (!count_term(ev, t->text, domain, res))
		return SPF_STOP;
	if ((k = expand_target(ev, t->spec, t->spec_len, domain, target, res)) == SPF_STOP)
		return SPF_STOP;
	if (t->spec != NULL)
		spf_trace(ev, depth, "'%s': target %s", t->text, target);
	if (t->mech == SPF_MECH_INCLUDE)
		return mech_include(ev, target, depth, res);
	if (k == 0) {
		spf_trace(ev, depth, "'%s': \"%s\" is not a name to look up: no match",
			  t->text, target);
		return SPF_NOMATCH;
	}
	switch (t->mech) {
	case SPF_MECH_A:	return mech_addr(ev, t, target, depth, res);
	case SPF_MECH_MX:	return mech_mx(ev, t, target, depth, res);
	case SPF_MECH_PTR:	return mech_ptr(ev, target, depth, res);
	case SPF_MECH_EXISTS:	return mech_exists(ev, target, depth, res);
	default:		return SPF_NOMATCH;
	}
}

/* ---- records and check_host() ----------------------------------------- */

static enum spf_result qualifier_result(char q)
{
	switch (q) {
	case '-': return SPF_FAIL;
	case '~': return SPF_SOFTFAIL;
	case '?': return SPF_NEUTRAL;
	default:  return SPF_PASS;
	}
}

/* Remember the exp= of the record that decided a fail (or forget one). */
static void keep_exp(struct spf_eval *ev, const struct spf_record *rec,
		     const char *domain)
{
	free(ev->exp_spec);
	ev->exp_spec = NULL;
	if (rec->exp == NULL)
		return;
	if ((ev->exp_spec = strndup(rec->exp, rec->exp_len)) == NULL)
		return;				/* no exp: the default is used */
	ev->exp_len = rec->exp_len;
	snprintf(ev->exp_domain, sizeof ev->exp_domain, "%s", domain);
}

static enum spf_result eval_redirect(struct spf_eval *ev, const struct spf_record *rec,
				     const char *domain, unsigned depth, bool top)
{
	char target[DNS_MAX_NAME + 1];
	enum spf_result res;

	if (!count_term(ev, "redirect", domain, &res) ||
	    expand_target(ev, rec->redirect, rec->redirect_len, domain, target, &res) == SPF_STOP)
		return res;
	spf_trace(ev, depth, "no mechanism matched: redirect=%s", target);
	res = check_host(ev, target, depth + 1, top);
	if (res == SPF_NONE) {
		spf_set_reason(ev, "redirect=%s found no SPF record", target);
		res = SPF_PERMERROR;
	}
	return res;
}

static enum spf_result eval_record(struct spf_eval *ev, const struct spf_record *rec,
				   const char *domain, unsigned depth, bool top)
{
	enum spf_result res = SPF_NEUTRAL;

	for (size_t i = 0; i < rec->n_terms; i++) {
		const struct spf_term *t = &rec->terms[i];
		int k = mech_eval(ev, t, domain, depth, &res);

		if (k == SPF_STOP) {
			spf_trace(ev, depth, "'%s': %s (%s)", t->text, spf_result_name(res),
				  ev->v->reason);
			return res;
		}
		if (k == SPF_NOMATCH) {
			spf_trace(ev, depth, "'%s': no match", t->text);
			continue;
		}
		res = qualifier_result(t->qualifier);
		spf_trace(ev, depth, "'%s': match, %s", t->text, spf_result_name(res));
		snprintf(ev->v->mechanism, sizeof ev->v->mechanism, "%s", t->text);
		spf_set_reason(ev, "'%s' matched in the SPF record of %s", t->text, domain);
		if (res == SPF_FAIL && top)
			keep_exp(ev, rec, domain);
		return res;
	}
	if (rec->redirect != NULL)
		return eval_redirect(ev, rec, domain, depth, top);
	spf_trace(ev, depth, "no mechanism matched: neutral");
	ev->v->mechanism[0] = '\0';
	spf_set_reason(ev, "no mechanism matched in the SPF record of %s", domain);
	return SPF_NEUTRAL;
}

static enum spf_result check_host(struct spf_eval *ev, const char *name,
				  unsigned depth, bool top)
{
	const struct dns_answer *a;
	const struct txt_spf *ts;
	enum spf_result res;
	char domain[DNS_MAX_NAME + 1];
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	snprintf(domain, sizeof domain, "%.*s",
		 (int)(len < DNS_MAX_NAME ? len : DNS_MAX_NAME), name);
	spf_trace(ev, depth, "check_host(%s)", domain);
	if (len > DNS_MAX_NAME || !spf_domain_ok(domain)) {
		spf_set_reason(ev, "\"%s\" is not a domain SPF can check", domain);
		return SPF_NONE;
	}
	if (depth > SPF_MAX_DNS_TERMS + 1) {		/* cannot happen: counted */
		spf_set_reason(ev, "includes nested too deep at %s", domain);
		return SPF_PERMERROR;
	}
	a = spf_lookup(ev, depth, domain, DNS_T_TXT);
	if (a == NULL || a->result == DNS_TEMPFAIL || a->result == DNS_PERMFAIL) {
		spf_dns_fail(ev, a, domain, DNS_T_TXT, &res);
		dns_answer_release(&a);
		return res;
	}
	if (a->result != DNS_OK) {
		spf_set_reason(ev, a->result == DNS_NXDOMAIN ? "%s does not exist"
			       : "no SPF record at %s", domain);
		dns_answer_release(&a);
		return SPF_NONE;
	}
	if ((ts = dns_answer_parsed(a, txt_spf_make, NULL, txt_spf_free)) == NULL) {
		ev->oom = true;
		spf_set_reason(ev, "out of memory");
		res = SPF_TEMPERROR;
	} else if (ts->n_spf == 0) {
		spf_set_reason(ev, "no SPF record at %s", domain);
		res = SPF_NONE;
	} else if (ts->n_spf > 1) {
		spf_set_reason(ev, "%zu SPF records at %s", ts->n_spf, domain);
		res = SPF_PERMERROR;
	} else if (ts->st != SG_OK) {
		spf_set_reason(ev, "bad SPF record at %s: %s%s%s%s", domain, ts->why,
			       ts->bad[0] ? " ('" : "", ts->bad, ts->bad[0] ? "')" : "");
		res = SPF_PERMERROR;
	} else {
		spf_trace(ev, depth, "SPF record: %s", a->rr[ts->idx].data);
		res = eval_record(ev, ts->rec, domain, depth, top);
	}
	if (res == SPF_NONE || res == SPF_PERMERROR)
		spf_trace(ev, depth, "%s: %s", spf_result_name(res), ev->v->reason);
	dns_answer_release(&a);
	return res;
}

/* ---- explanation (6.2) ------------------------------------------------ */

/* The exp= text: fetched once, after the result; any problem means the
 * default is used. 1 when v->explanation was written. */
static int fetch_exp(struct spf_eval *ev, struct buf *out)
{
	char target[DNS_MAX_NAME + 1];
	struct spf_macro_ctx c;
	const struct dns_answer *a;
	const char *why = "";
	enum spf_result res;
	int k = 0;

	if (expand_target(ev, ev->exp_spec, ev->exp_len, ev->exp_domain, target, &res) != 1) {
		spf_trace(ev, 0, "exp=: not a usable name, default explanation");
		return 0;
	}
	if ((a = spf_lookup(ev, 0, target, DNS_T_TXT)) == NULL)
		return 0;
	if (a->result != DNS_OK || a->n != 1)
		spf_trace(ev, 0, "exp=%s: no single TXT record, default explanation", target);
	else if (a->rr[0].len > SPF_MAX_EXP_RECORD)
		spf_trace(ev, 0, "exp=%s: TXT record over %u bytes, default explanation",
			  target, SPF_MAX_EXP_RECORD);
	else {
		macro_ctx(ev, ev->exp_domain, &c);
		if (spf_macro_expand(a->rr[0].data, a->rr[0].len, SPF_MACRO_EXP, &c, out,
				     NULL, &why) == SG_OK)
			k = 1;
		else
			spf_trace(ev, 0, "exp=%s: %s, default explanation", target, why);
	}
	dns_answer_release(&a);
	return k;
}

static void explain(struct spf_eval *ev, const char *domain)
{
	const char *dflt = ev->o->default_exp ? ev->o->default_exp : SPF_DEFAULT_EXP;
	struct spf_macro_ctx c;
	const char *why = "";
	char reason[SPF_REASON_SIZE];
	struct buf b;

	memcpy(reason, ev->v->reason, sizeof reason);	/* the fail's, kept */
	buf_init(&b, SPF_MAX_EXPLANATION);
	if (ev->exp_spec == NULL || fetch_exp(ev, &b) != 1) {
		macro_ctx(ev, ev->exp_spec ? ev->exp_domain : domain, &c);
		if (spf_macro_expand(dflt, strlen(dflt), SPF_MACRO_EXP, &c, &b, NULL,
				     &why) != SG_OK) {
			buf_reset(&b);
			(void)buf_append(&b, dflt, strnlen(dflt, SPF_MAX_EXPLANATION));
		}
	}
	snprintf(ev->v->explanation, sizeof ev->v->explanation, "%s", b.data ? b.data : "");
	spf_trace(ev, 0, "explanation: %s", ev->v->explanation);
	memcpy(ev->v->reason, reason, sizeof reason);
	buf_free(&b);
}

/* ---- the entry points ------------------------------------------------- */

void spf_eval_init(struct spf_eval *ev, const struct spf_opts *o,
		   const struct spf_ip *ip, const char *sender, const char *local,
		   const char *sender_domain, const char *helo,
		   struct spf_verdict *v)
{
	memset(ev, 0, sizeof *ev);
	memset(v, 0, sizeof *v);
	ev->o = o;
	ev->ip = *ip;
	ev->sender = sender;
	ev->local = local;
	ev->sender_domain = sender_domain;
	ev->helo = helo != NULL ? helo : "";
	ev->now = o->now != 0 ? o->now : (long long)time(NULL);
	ev->deadline = spf_now_ms() + (o->max_ms != 0 ? o->max_ms : SPF_MAX_EVAL_MS);
	ev->v = v;
	spf_ip_text(ip, ev->ip_text);
	if (ip->family == AF_INET) {
		snprintf(ev->ip_macro, sizeof ev->ip_macro, "%s", ev->ip_text);
	} else {
		static const char hex[] = "0123456789abcdef";
		size_t k = 0;

		for (int i = 0; i < 16; i++) {
			ev->ip_macro[k++] = hex[ip->addr[i] >> 4];
			ev->ip_macro[k++] = '.';
			ev->ip_macro[k++] = hex[ip->addr[i] & 15];
			ev->ip_macro[k++] = i < 15 ? '.' : '\0';
		}
	}
	buf_init(&ev->scratch, EVAL_SCRATCH);
}

enum spf_result spf_eval_run(struct spf_eval *ev, const char *domain)
{
	enum spf_result res = check_host(ev, domain, 0, true);

	if (res == SPF_FAIL && !ev->oom)
		explain(ev, domain);
	spf_trace(ev, 0, "result: %s (%s)", spf_result_name(res), ev->v->reason);
	return res;
}

void spf_eval_done(struct spf_eval *ev)
{
	free(ev->exp_spec);
	ev->exp_spec = NULL;
	buf_free(&ev->scratch);
}
