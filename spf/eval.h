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

#endif
