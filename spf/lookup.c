/*
 * spf/lookup.c -- the evaluator's DNS side (see eval.h): lookups bounded
 * by the deadline and traced, void-lookup counting, address matching,
 * name checks, and validated PTR names for the ptr mechanism (RFC 7208
 * 5.5) and the %{p} macro (7.3).
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

uint64_t spf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void spf_trace(struct spf_eval *ev, unsigned depth, const char *fmt, ...)
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

void spf_set_reason(struct spf_eval *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev->v->reason, sizeof ev->v->reason, fmt, ap);
	va_end(ap);
}

const char *spf_dns_type_name(enum dns_type t)
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
bool spf_name_ok(const char *n)
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
bool spf_name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (s == 0 || n < s || strcasecmp(name + n - s, suffix) != 0)
		return false;
	return n == s || name[n - s - 1] == '.';
}

/* ---- DNS -------------------------------------------------------------- */

/* "A name: 2 record(s): 192.0.2.1 192.0.2.2" (the first few). */
static void trace_answer(struct spf_eval *ev, unsigned depth, const char *name,
			 const struct dns_answer *a)
{
	char list[300] = "", one[DNS_MAX_NAME + 16];
	size_t used = 0;

	if (ev->o->trace == NULL)
		return;
	for (size_t i = 0; i < a->n && i < 4 && a->type != DNS_T_TXT; i++) {
		const struct dns_rr *rr = &a->rr[i];

		if (a->type == DNS_T_A || a->type == DNS_T_AAAA)
			inet_ntop(rr->len == 4 ? AF_INET : AF_INET6, rr->data, one, sizeof one);
		else if (a->type == DNS_T_MX)
			snprintf(one, sizeof one, "%u %s", rr->pref, rr->data[0] ? rr->data : ".");
		else
			copy_str(one, sizeof one, rr->data);
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
					 i == 0 ? ": " : ", ", one);
		if (used >= sizeof list)
			break;
	}
	spf_trace(ev, depth, "%s %s: %zu record(s)%s%s", spf_dns_type_name(a->type), name,
		  a->n, list, a->n > 4 && a->type != DNS_T_TXT ? ", ..." : "");
}

const struct dns_answer *spf_lookup(struct spf_eval *ev, unsigned depth,
				    const char *name, enum dns_type t)
{
	const struct dns_answer *a;

	if (spf_now_ms() >= ev->deadline) {
		ev->late = true;
		spf_trace(ev, depth, "%s %s: not asked, past the time limit",
			  spf_dns_type_name(t), name);
		return NULL;
	}
	a = dns_lookup(ev->o->resolver, name, t);
	if (a->result == DNS_OK)
		trace_answer(ev, depth, name, a);
	else
		spf_trace(ev, depth, "%s %s: %s%s%s", spf_dns_type_name(t), name,
			  dns_result_name(a->result), a->why ? ", " : "", a->why ? a->why : "");
	return a;
}

int spf_dns_fail(struct spf_eval *ev, const struct dns_answer *a,
		 const char *name, enum dns_type t, enum spf_result *res)
{
	*res = SPF_TEMPERROR;
	if (a == NULL)
		spf_set_reason(ev, "SPF evaluation took longer than %u ms",
			       ev->o->max_ms != 0 ? ev->o->max_ms : SPF_MAX_EVAL_MS);
	else
		spf_set_reason(ev, "DNS %s lookup of %s failed: %s", spf_dns_type_name(t), name,
			       a->why != NULL ? a->why : dns_result_name(a->result));
	return SPF_STOP;
}

/* 1: records to look at; 0: a void lookup (counted); SPF_STOP with *res. */
int spf_answer_usable(struct spf_eval *ev, const struct dns_answer *a,
		      const char *name, enum dns_type t, enum spf_result *res)
{
	if (a == NULL || a->result == DNS_TEMPFAIL || a->result == DNS_PERMFAIL)
		return spf_dns_fail(ev, a, name, t, res);
	if (a->result == DNS_OK && a->n > 0)
		return 1;
	if (++ev->voids > SPF_MAX_VOID_LOOKUPS) {
		*res = SPF_PERMERROR;
		spf_set_reason(ev, "more than %u void DNS lookups (the last: %s %s)",
			       SPF_MAX_VOID_LOOKUPS, spf_dns_type_name(t), name);
		return SPF_STOP;
	}
	return 0;
}

/* Is the client among the addresses of a, with these prefix lengths? */
bool spf_addr_in(const struct spf_eval *ev, const struct dns_answer *a,
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

enum dns_type spf_addr_type(const struct spf_eval *ev)
{
	return ev->ip.family == AF_INET ? DNS_T_A : DNS_T_AAAA;
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
 * names out (5.5); SPF_STOP only past the deadline (no reason written). */
int spf_validated_names(struct spf_eval *ev, unsigned depth,
			char names[][DNS_MAX_NAME + 1])
{
	struct dns_query *q[SPF_MAX_PTR_NAMES] = { 0 };
	const struct dns_answer *a, *b;
	char rev[80];
	size_t n;
	int k = 0;

	reverse_name(&ev->ip, rev, sizeof rev);
	if ((a = spf_lookup(ev, depth, rev, DNS_T_PTR)) == NULL)
		return SPF_STOP;
	n = a->result == DNS_OK ? a->n : 0;
	if (n > SPF_MAX_PTR_NAMES) {
		spf_trace(ev, depth, "%zu PTR names: only the first %u are looked at",
			  n, SPF_MAX_PTR_NAMES);
		n = SPF_MAX_PTR_NAMES;
	}
	if (n > 0 && spf_now_ms() >= ev->deadline) {
		ev->late = true;
		dns_answer_release(&a);
		return SPF_STOP;
	}
	for (size_t i = 0; i < n; i++)		/* ask all at once */
		if (spf_name_ok(a->rr[i].data))
			q[i] = dns_query_start(ev->o->resolver, a->rr[i].data, spf_addr_type(ev));
	for (size_t i = 0; i < n; i++) {
		if (q[i] == NULL)
			continue;
		b = dns_query_wait(q[i]);
		dns_query_free(&q[i]);
		if (b->result == DNS_OK && spf_addr_in(ev, b, 32, 128)) {
			copy_str(names[k++], DNS_MAX_NAME + 1, a->rr[i].data);
			spf_trace(ev, depth, "PTR name %s: validated", a->rr[i].data);
		} else {
			spf_trace(ev, depth, "PTR name %s: %s, not validated", a->rr[i].data,
				  dns_result_name(b->result));
		}
		dns_answer_release(&b);
	}
	dns_answer_release(&a);
	return k;
}

/* %{p} (7.3): the current domain if validated, else a validated name
 * under it, else any validated name, else "unknown". */
const char *spf_ptr_macro(void *arg, const char *domain)
{
	struct spf_eval *ev = arg;
	char names[SPF_MAX_PTR_NAMES][DNS_MAX_NAME + 1];
	int n, pick = -1;

	if (ev->p_done && strcasecmp(ev->p_domain, domain) == 0)
		return ev->p_value;
	n = spf_validated_names(ev, 0, names);
	for (int i = 0; i < n && pick < 0; i++)
		if (strcasecmp(names[i], domain) == 0)
			pick = i;
	for (int i = 0; i < n && pick < 0; i++)
		if (spf_name_under(names[i], domain))
			pick = i;
	if (pick < 0 && n > 0)
		pick = 0;
	copy_str(ev->p_value, sizeof ev->p_value, pick >= 0 ? names[pick] : "unknown");
	copy_str(ev->p_domain, sizeof ev->p_domain, domain);
	ev->p_done = true;
	return ev->p_value;
}
