/*
 * spf/eval.c -- check_host(), RFC 7208 sections 4 to 6, on common/dns.
 *
 * Mechanisms return MATCH, NOMATCH or STOP; STOP carries the final
 * result (temperror or permerror) out through every include and
 * redirect, with the reason written where it happened. A match writes
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

#define MATCH	1
#define NOMATCH	0
#define STOP	(-1)

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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void trace(struct spf_eval *ev, unsigned depth, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void trace(struct spf_eval *ev, unsigned depth, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (ev->o->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ev->o->trace(ev->o->trace_arg, depth, line);
}

static void set_reason(struct spf_eval *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_reason(struct spf_eval *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev->v->reason, sizeof ev->v->reason, fmt, ap);
	va_end(ap);
}

static const char *type_name(enum dns_type t)
{
	switch (t) {
	case DNS_T_A: return "A";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_MX: return "MX";
	case DNS_T_PTR: return "PTR";
	case DNS_T_TXT: return "TXT";
	}
	return "?";
}

/* A name we can ask for: 1-253 bytes, labels of 1-63. */
static bool name_ok(const char *n)
{
	size_t len = strlen(n), label = 0;

	if (len == 0 || len > DNS_MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (n[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

bool spf_domain_ok(const char *d)
{
	size_t len = strlen(d), label = 0, labels = 1, top = 0;
	bool digits = true;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_MAX_NAME || d[0] == '[')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c < 0x21 || c > 0x7e)
			return false;
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			labels++;
			top = i + 1;
		} else if (++label > 63) {
			return false;
		}
	}
	for (size_t i = top; i < len; i++)
		if (d[i] < '0' || d[i] > '9')
			digits = false;
	return label > 0 && labels >= 2 && !digits;
}

/* Copy src into dst[n], cut to fit. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* name ends in the labels of suffix (or is it), any case. */
static bool name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (s == 0 || n < s || strcasecmp(name + n - s, suffix) != 0)
		return false;
	return n == s || name[n - s - 1] == '.';
}

/* ---- DNS -------------------------------------------------------------- */

static const struct dns_answer *lookup(struct spf_eval *ev, unsigned depth,
				       const char *name, enum dns_type t)
{
	const struct dns_answer *a;

	if (now_ms() >= ev->deadline) {
		ev->late = true;
		trace(ev, depth, "%s %s: not asked, past the time limit", type_name(t), name);
		return NULL;
	}
	a = dns_lookup(ev->o->resolver, name, t);
	if (a->result == DNS_OK)
		trace(ev, depth, "%s %s: %zu record(s)", type_name(t), name, a->n);
	else
		trace(ev, depth, "%s %s: %s%s%s", type_name(t), name,
		      dns_result_name(a->result), a->why ? ", " : "", a->why ? a->why : "");
	return a;
}

static int dns_fail(struct spf_eval *ev, const struct dns_answer *a,
		    const char *name, enum dns_type t, enum spf_result *res)
{
	*res = SPF_TEMPERROR;
	if (a == NULL)
		set_reason(ev, "SPF evaluation took longer than %llu ms",
			   (unsigned long long)(ev->o->max_ms ? ev->o->max_ms : SPF_MAX_EVAL_MS));
	else
		set_reason(ev, "DNS %s lookup of %s failed: %s", type_name(t), name,
			   a->why != NULL ? a->why : dns_result_name(a->result));
	return STOP;
}

/* 1: records to look at; 0: a void lookup (counted); STOP with *res. */
static int answer_usable(struct spf_eval *ev, const struct dns_answer *a,
			 const char *name, enum dns_type t, enum spf_result *res)
{
	if (a == NULL || a->result == DNS_TEMPFAIL || a->result == DNS_PERMFAIL)
		return dns_fail(ev, a, name, t, res);
	if (a->result == DNS_OK && a->n > 0)
		return 1;
	if (++ev->voids > SPF_MAX_VOID_LOOKUPS) {
		*res = SPF_PERMERROR;
		set_reason(ev, "more than %u void DNS lookups (the last: %s %s)",
			   SPF_MAX_VOID_LOOKUPS, type_name(t), name);
		return STOP;
	}
	return 0;
}

/* Is the client among the addresses of a, with these prefix lengths? */
static bool addr_in(const struct spf_eval *ev, const struct dns_answer *a,
		    unsigned cidr4, unsigned cidr6)
{
	size_t alen = ev->ip.family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < a->n; i++)
		if (a->rr[i].len == alen &&
		    spf_net_match((const unsigned char *)a->rr[i].data, ev->ip.addr, alen,
				  alen == 4 ? cidr4 : cidr6))
			return true;
	return false;
}

static enum dns_type addr_type(const struct spf_eval *ev)
{
	return ev->ip.family == AF_INET ? DNS_T_A : DNS_T_AAAA;
}

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

static const char *ptr_macro(void *arg, const char *domain);

static void macro_ctx(struct spf_eval *ev, const char *domain, struct spf_macro_ctx *c)
{
	*c = (struct spf_macro_ctx){
		.sender = ev->sender, .local = ev->local,
		.sender_domain = ev->sender_domain, .domain = domain,
		.ip = ev->ip_macro, .client = ev->ip_text,
		.ipv6 = ev->ip.family == AF_INET6, .helo = ev->helo,
		.receiver = ev->o->receiver, .now = ev->now,
		.ptr_name = ptr_macro, .ptr_arg = ev,
	};
}

/* The target-name of a term (4.8): 1 usable, 0 not a name we can ask
 * for (the term then finds nothing), STOP on OOM. */
static int expand_target(struct spf_eval *ev, const char *spec, size_t len,
			 const char *domain, char out[DNS_MAX_NAME + 1],
			 enum spf_result *res)
{
	struct spf_macro_ctx c;
	const char *why = "";
	enum sg_status st;

	if (spec == NULL) {
		snprintf(out, DNS_MAX_NAME + 1, "%s", domain);
		return name_ok(out);
	}
	macro_ctx(ev, domain, &c);
	st = spf_macro_expand(spec, len, SPF_MACRO_DOMAIN, &c, &ev->scratch, NULL, &why);
	if (st != SG_OK) {
		if (st == SG_E_NOMEM)
			ev->oom = true;
		*res = st == SG_E_NOMEM ? SPF_TEMPERROR : SPF_PERMERROR;
		set_reason(ev, "macro expansion in %s: %s", domain, why);
		return STOP;
	}
	snprintf(out, DNS_MAX_NAME + 1, "%s", ev->scratch.data ? ev->scratch.data : "");
	return name_ok(out);
}

/* ---- %{p} and ptr: validated names (5.5) ------------------------------- */

static void reverse_name(const struct spf_ip *ip, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	if (ip->family == AF_INET) {
		snprintf(out, n, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3], ip->addr[2],
			 ip->addr[1], ip->addr[0]);
		return;
	}
	for (int i = 15; i >= 0 && k + 4 < n; i--) {
		out[k++] = hex[ip->addr[i] & 15];
		out[k++] = '.';
		out[k++] = hex[ip->addr[i] >> 4];
		out[k++] = '.';
	}
	snprintf(out + k, n - k, "ip6.arpa");
}

/* The names of ip's PTR records (the first SPF_MAX_PTR_NAMES) whose
 * addresses include ip, into names; their count. DNS errors just leave
 * names out (5.5); STOP only past the deadline (no reason written). */
static int validated_names(struct spf_eval *ev, unsigned depth,
			   char names[][DNS_MAX_NAME + 1])
{
	struct dns_query *q[SPF_MAX_PTR_NAMES] = { 0 };
	const struct dns_answer *a, *b;
	char rev[80];
	size_t n;
	int k = 0;

	reverse_name(&ev->ip, rev, sizeof rev);
	if ((a = lookup(ev, depth, rev, DNS_T_PTR)) == NULL)
		return STOP;
	n = a->result == DNS_OK ? a->n : 0;
	if (n > SPF_MAX_PTR_NAMES) {
		trace(ev, depth, "%zu PTR names: only the first %u are looked at",
		      n, SPF_MAX_PTR_NAMES);
		n = SPF_MAX_PTR_NAMES;
	}
	if (n > 0 && now_ms() >= ev->deadline) {
		ev->late = true;
		dns_answer_release(&a);
		return STOP;
	}
	for (size_t i = 0; i < n; i++)		/* ask all at once */
		if (name_ok(a->rr[i].data))
			q[i] = dns_query_start(ev->o->resolver, a->rr[i].data, addr_type(ev));
	for (size_t i = 0; i < n; i++) {
		if (q[i] == NULL)
			continue;
		b = dns_query_wait(q[i]);
		dns_query_free(&q[i]);
		if (b->result == DNS_OK && addr_in(ev, b, 32, 128)) {
			copy_str(names[k++], DNS_MAX_NAME + 1, a->rr[i].data);
			trace(ev, depth, "PTR name %s: validated", a->rr[i].data);
		} else {
			trace(ev, depth, "PTR name %s: %s, not validated", a->rr[i].data,
			      dns_result_name(b->result));
		}
		dns_answer_release(&b);
	}
	dns_answer_release(&a);
	return k;
}

/* %{p} (7.3): the current domain if validated, else a validated name
 * under it, else any validated name, else "unknown". */
static const char *ptr_macro(void *arg, const char *domain)
{
	struct spf_eval *ev = arg;
	char names[SPF_MAX_PTR_NAMES][DNS_MAX_NAME + 1];
	int n, pick = -1;

	if (ev->p_done && strcasecmp(ev->p_domain, domain) == 0)
		return ev->p_value;
	n = validated_names(ev, 0, names);
	for (int i = 0; i < n && pick < 0; i++)
		if (strcasecmp(names[i], domain) == 0)
			pick = i;
	for (int i = 0; i < n && pick < 0; i++)
		if (name_under(names[i], domain))
			pick = i;
	if (pick < 0 && n > 0)
		pick = 0;
	copy_str(ev->p_value, sizeof ev->p_value, pick >= 0 ? names[pick] : "unknown");
	copy_str(ev->p_domain, sizeof ev->p_domain, domain);
	ev->p_done = true;
	return ev->p_value;
}

/* ---- mechanisms (section 5) ------------------------------------------- */

static bool count_term(struct spf_eval *ev, const char *term, const char *domain,
		       enum spf_result *res)
{
	if (++ev->dns_terms <= SPF_MAX_DNS_TERMS)
		return true;
	*res = SPF_PERMERROR;
	set_reason(ev, "more than %u DNS-querying terms (at '%s' in %s)",
		   SPF_MAX_DNS_TERMS, term, domain);
	return false;
}

static int mech_include(struct spf_eval *ev, const char *target, unsigned depth,
			enum spf_result *res)
{
	enum spf_result r = check_host(ev, target, depth + 1, false);

	switch (r) {
	case SPF_PASS:
		return MATCH;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return NOMATCH;
	case SPF_NONE:
		set_reason(ev, "include:%s found no SPF record", target);
		*res = SPF_PERMERROR;
		return STOP;
	case SPF_TEMPERROR:
	case SPF_PERMERROR:
		break;
	}
	*res = r;
	return STOP;
}

static int mech_addr(struct spf_eval *ev, const struct spf_term *t,
		     const char *target, unsigned depth, enum spf_result *res)
{
	const struct dns_answer *a = lookup(ev, depth, target, addr_type(ev));
	int k = answer_usable(ev, a, target, addr_type(ev), res);

	if (k == 1)
		k = addr_in(ev, a, t->cidr4, t->cidr6) ? MATCH : NOMATCH;
	dns_answer_release(&a);
	return k;
}

static int mech_exists(struct spf_eval *ev, const char *target, unsigned depth,
		       enum spf_result *res)
{
	const struct dns_answer *a = lookup(ev, depth, target, DNS_T_A);
	int k = answer_usable(ev, a, target, DNS_T_A, res);

	dns_answer_release(&a);
	return k == 1 ? MATCH : k;
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
	const struct dns_answer *a = lookup(ev, depth, target, DNS_T_MX), *b;
	int k = answer_usable(ev, a, target, DNS_T_MX, res);

	if (k != 1)
		goto out;
	if (now_ms() >= ev->deadline) {
		ev->late = true;
		k = dns_fail(ev, NULL, target, DNS_T_MX, res);
		goto out;
	}
	while (n < SPF_MAX_MX_NAMES && (prev = mx_next(a, prev)) != SIZE_MAX)
		idx[n++] = prev;
	for (i = 0; i < n; i++) {		/* ask all at once */
		const char *name = a->rr[idx[i]].data;

		if (name_ok(name) &&
		    (q[i] = dns_query_start(ev->o->resolver, name, addr_type(ev))) == NULL) {
			ev->oom = true;
			*res = SPF_TEMPERROR;
			set_reason(ev, "out of memory");
			k = STOP;
			goto out;
		}
	}
	for (k = NOMATCH, i = 0; i < n && k == NOMATCH; i++) {
		const struct dns_rr *mx = &a->rr[idx[i]];

		if (q[i] == NULL)		/* null MX or unusable name */
			continue;
		b = dns_query_wait(q[i]);
		trace(ev, depth, "%s %s (MX %u): %s", type_name(addr_type(ev)),
		      mx->data, mx->pref, dns_result_name(b->result));
		if (b->result == DNS_TEMPFAIL || b->result == DNS_PERMFAIL)
			k = dns_fail(ev, b, mx->data, addr_type(ev), res);
		else if (b->result == DNS_OK && addr_in(ev, b, t->cidr4, t->cidr6))
			k = MATCH;
		dns_answer_release(&b);
	}
	if (k == NOMATCH && a->n > SPF_MAX_MX_NAMES) {
		*res = SPF_PERMERROR;
		set_reason(ev, "MX of %s has %zu names: no match in the first %u",
			   target, a->n, SPF_MAX_MX_NAMES);
		k = STOP;
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
	int n = validated_names(ev, depth, names);

	if (n == STOP)
		return dns_fail(ev, NULL, target, DNS_T_PTR, res);
	for (int i = 0; i < n; i++)
		if (name_under(names[i], target))
			return MATCH;
	return NOMATCH;
}

static int mech_eval(struct spf_eval *ev, const struct spf_term *t,
		     const char *domain, unsigned depth, enum spf_result *res)
{
	char target[DNS_MAX_NAME + 1];
	int k;

	switch (t->mech) {
	case SPF_MECH_ALL:
		return MATCH;
	case SPF_MECH_IP4:
		return ev->ip.family == AF_INET &&
		       spf_net_match(t->net, ev->ip.addr, 4, t->cidr4) ? MATCH : NOMATCH;
	case SPF_MECH_IP6:
		return ev->ip.family == AF_INET6 &&
		       spf_net_match(t->net, ev->ip.addr, 16, t->cidr6) ? MATCH : NOMATCH;
	default:
		break;
	}
	if (!count_term(ev, t->text, domain, res))
		return STOP;
	if ((k = expand_target(ev, t->spec, t->spec_len, domain, target, res)) == STOP)
		return STOP;
	if (t->spec != NULL)
		trace(ev, depth, "'%s': target %s", t->text, target);
	if (t->mech == SPF_MECH_INCLUDE)
		return mech_include(ev, target, depth, res);
	if (k == 0) {
		trace(ev, depth, "'%s': \"%s\" is not a name to look up: no match",
		      t->text, target);
		return NOMATCH;
	}
	switch (t->mech) {
	case SPF_MECH_A:	return mech_addr(ev, t, target, depth, res);
	case SPF_MECH_MX:	return mech_mx(ev, t, target, depth, res);
	case SPF_MECH_PTR:	return mech_ptr(ev, target, depth, res);
	case SPF_MECH_EXISTS:	return mech_exists(ev, target, depth, res);
	default:		return NOMATCH;
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
	    expand_target(ev, rec->redirect, rec->redirect_len, domain, target, &res) == STOP)
		return res;
	trace(ev, depth, "no mechanism matched: redirect=%s", target);
	res = check_host(ev, target, depth + 1, top);
	if (res == SPF_NONE) {
		set_reason(ev, "redirect=%s found no SPF record", target);
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

		if (k == STOP) {
			trace(ev, depth, "'%s': %s (%s)", t->text, spf_result_name(res),
			      ev->v->reason);
			return res;
		}
		if (k == NOMATCH) {
			trace(ev, depth, "'%s': no match", t->text);
			continue;
		}
		res = qualifier_result(t->qualifier);
		trace(ev, depth, "'%s': match, %s", t->text, spf_result_name(res));
		snprintf(ev->v->mechanism, sizeof ev->v->mechanism, "%s", t->text);
		set_reason(ev, "'%s' matched in the SPF record of %s", t->text, domain);
		if (res == SPF_FAIL && top)
			keep_exp(ev, rec, domain);
		return res;
	}
	if (rec->redirect != NULL)
		return eval_redirect(ev, rec, domain, depth, top);
	trace(ev, depth, "no mechanism matched: neutral");
	ev->v->mechanism[0] = '\0';
	set_reason(ev, "no mechanism matched in the SPF record of %s", domain);
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
	snprintf(domain, sizeof domain, "%.*s", (int)(len < DNS_MAX_NAME ? len : DNS_MAX_NAME), name);
	trace(ev, depth, "check_host(%s)", domain);
	if (len > DNS_MAX_NAME || !spf_domain_ok(domain)) {
		set_reason(ev, "\"%s\" is not a domain SPF can check", domain);
		return SPF_NONE;
	}
	if (depth > SPF_MAX_DNS_TERMS + 1) {		/* cannot happen: counted */
		set_reason(ev, "includes nested too deep at %s", domain);
		return SPF_PERMERROR;
	}
	a = lookup(ev, depth, domain, DNS_T_TXT);
	if (a == NULL || a->result == DNS_TEMPFAIL || a->result == DNS_PERMFAIL) {
		dns_fail(ev, a, domain, DNS_T_TXT, &res);
		dns_answer_release(&a);
		return res;
	}
	if (a->result != DNS_OK) {
		set_reason(ev, a->result == DNS_NXDOMAIN ? "%s does not exist"
							 : "no SPF record at %s", domain);
		dns_answer_release(&a);
		return SPF_NONE;
	}
	if ((ts = dns_answer_parsed(a, txt_spf_make, NULL, txt_spf_free)) == NULL) {
		ev->oom = true;
		set_reason(ev, "out of memory");
		res = SPF_TEMPERROR;
	} else if (ts->n_spf == 0) {
		set_reason(ev, "no SPF record at %s", domain);
		res = SPF_NONE;
	} else if (ts->n_spf > 1) {
		set_reason(ev, "%zu SPF records at %s", ts->n_spf, domain);
		res = SPF_PERMERROR;
	} else if (ts->st != SG_OK) {
		set_reason(ev, "bad SPF record at %s: %s%s%s%s", domain, ts->why,
			   ts->bad[0] ? " ('" : "", ts->bad, ts->bad[0] ? "')" : "");
		res = SPF_PERMERROR;
	} else {
		trace(ev, depth, "SPF record: %s", a->rr[ts->idx].data);
		res = eval_record(ev, ts->rec, domain, depth, top);
	}
	if (res == SPF_NONE || res == SPF_PERMERROR)
		trace(ev, depth, "%s: %s", spf_result_name(res), ev->v->reason);
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
		trace(ev, 0, "exp=: not a usable name, default explanation");
		return 0;
	}
	if ((a = lookup(ev, 0, target, DNS_T_TXT)) == NULL)
		return 0;
	if (a->result != DNS_OK || a->n != 1)
		trace(ev, 0, "exp=%s: no single TXT record, default explanation", target);
	else if (a->rr[0].len > SPF_MAX_EXP_RECORD)
		trace(ev, 0, "exp=%s: TXT record over %u bytes, default explanation",
		      target, SPF_MAX_EXP_RECORD);
	else {
		macro_ctx(ev, ev->exp_domain, &c);
		if (spf_macro_expand(a->rr[0].data, a->rr[0].len, SPF_MACRO_EXP, &c, out,
				     NULL, &why) == SG_OK)
			k = 1;
		else
			trace(ev, 0, "exp=%s: %s, default explanation", target, why);
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
	trace(ev, 0, "explanation: %s", ev->v->explanation);
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
	ev->deadline = now_ms() + (o->max_ms != 0 ? o->max_ms : SPF_MAX_EVAL_MS);
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
	trace(ev, 0, "result: %s (%s)", spf_result_name(res), ev->v->reason);
	return res;
}

void spf_eval_done(struct spf_eval *ev)
{
	free(ev->exp_spec);
	ev->exp_spec = NULL;
	buf_free(&ev->scratch);
}
