/*
 * spf/eval.h -- the check_host() engine behind spf.h (internal to spf/).
 * One struct spf_eval per evaluation, on the caller's stack: it holds
 * the inputs, the counters of section 4.6.4 (shared by every include and
 * redirect), the deadline and the verdict being written.
 */
#ifndef SPF_EVAL_H
#define SPF_EVAL_H

#include <stdint.h>
#include "macro.h"
#include "spf.h"

struct spf_eval {
	const struct spf_opts *o;
	struct spf_ip ip;
	char ip_macro[72];		/* %{i} */
	char ip_text[46];		/* %{c} */
	const char *sender, *local, *sender_domain, *helo;
	long long now;
	unsigned dns_terms, voids;
	uint64_t deadline;		/* monotonic ms */
	bool late;			/* the deadline passed */
	bool oom;
	struct spf_verdict *v;
	/* exp= of the record whose fail decided, copied (NULL: none) */
	char *exp_spec;
	size_t exp_len;
	char exp_domain[DNS_MAX_NAME + 1];
	/* %{p}, computed once per current domain */
	bool p_done;
	char p_domain[DNS_MAX_NAME + 1];
	char p_value[DNS_MAX_NAME + 1];
	struct buf scratch;		/* macro expansion of domain-specs */
};

/* What a mechanism, or a step of one, comes to; SPF_STOP means the
 * evaluation ends with the result in *res (reason already written). */
#define SPF_MATCH	1
#define SPF_NOMATCH	0
#define SPF_STOP	(-1)

/* Set up ev for one evaluation (inputs borrowed, verdict v cleared). */
void spf_eval_init(struct spf_eval *ev, const struct spf_opts *o,
		   const struct spf_ip *ip, const char *sender, const char *local,
		   const char *sender_domain, const char *helo,
		   struct spf_verdict *v);
/* check_host(domain) at the top: the result, with v's reason and
 * mechanism written; for a fail, also its explanation. */
enum spf_result spf_eval_run(struct spf_eval *ev, const char *domain);
/* Release what ev holds. */
void spf_eval_done(struct spf_eval *ev);
/* Does d work as the <domain> of check_host() (4.3): a multi-label name
 * within DNS limits, printable ASCII, not a literal, a top label that is
 * not all digits? A trailing dot is allowed. */
bool spf_domain_ok(const char *d);

/* ---- spf/lookup.c, for spf/eval.c ---- */

uint64_t spf_now_ms(void);
/* A line to opts.trace (if any), indented by depth. */
void spf_trace(struct spf_eval *ev, unsigned depth, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write the verdict's reason. */
void spf_set_reason(struct spf_eval *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *spf_dns_type_name(enum dns_type t);
/* A name we can ask for: 1-253 bytes, labels of 1-63. */
bool spf_name_ok(const char *n);
/* name is suffix or under it (whole labels, any case). */
bool spf_name_under(const char *name, const char *suffix);
/* dns_lookup, traced; NULL (and ev->late) past the deadline. */
const struct dns_answer *spf_lookup(struct spf_eval *ev, unsigned depth,
				    const char *name, enum dns_type t);
/* temperror for a failed lookup (a NULL: the deadline); SPF_STOP. */
int spf_dns_fail(struct spf_eval *ev, const struct dns_answer *a,
		 const char *name, enum dns_type t, enum spf_result *res);
/* 1: records to look at; 0: a void lookup (counted); SPF_STOP with
 * *res for a DNS error or past the void limit. */
int spf_answer_usable(struct spf_eval *ev, const struct dns_answer *a,
		      const char *name, enum dns_type t, enum spf_result *res);
/* Is the client among a's addresses, with these prefix lengths? */
bool spf_addr_in(const struct spf_eval *ev, const struct dns_answer *a,
		 unsigned cidr4, unsigned cidr6);
/* A or AAAA, after the client's family. */
enum dns_type spf_addr_type(const struct spf_eval *ev);
/* The client's PTR names (the first SPF_MAX_PTR_NAMES) that resolve
 * back to it, into names; their count, or SPF_STOP past the deadline
 * (no reason written). DNS errors just leave names out (5.5). */
int spf_validated_names(struct spf_eval *ev, unsigned depth,
			char names[][DNS_MAX_NAME + 1]);
/* The %{p} callback of struct spf_macro_ctx (arg: the spf_eval). */
const char *spf_ptr_macro(void *arg, const char *domain);

#endif
