/*
 * spf/macro.h -- SPF macro strings, RFC 7208 section 7: syntax checks of
 * macro-string, domain-spec and explain-string, and their expansion.
 *
 * No DNS here: the one letter that needs it, %{p}, asks a callback the
 * caller supplies (the evaluator does the PTR work). The context borrows
 * every string. Expansion is bounded: a domain keeps at most its last
 * DNS_MAX_NAME bytes by dropping whole labels on the left (7.3), an
 * explanation is cut at the buffer's cap. Stateless; thread-safe.
 */
#ifndef SPF_MACRO_H
#define SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include "../common/buf.h"
#include "../common/status.h"

/* Where a macro string stands; decides the letters allowed (c, r and t
 * only in explanations, section 7.2) and whether spaces are. */
enum spf_macro_kind {
	SPF_MACRO_DOMAIN,	/* domain-spec of a mechanism, redirect=, exp= */
	SPF_MACRO_EXP,		/* explain-string: the exp= TXT record */
	SPF_MACRO_MODIFIER,	/* value of an unknown modifier: every letter */
};

struct spf_macro_ctx {
	const char *sender;		/* s: <sender>, "local@domain" */
	const char *local;		/* l: its local-part */
	const char *sender_domain;	/* o: its domain */
	const char *domain;		/* d: the current <domain> */
	const char *ip;			/* i: dotted quad, or 32 dot-separated nibbles */
	const char *client;		/* c: dotted quad or RFC 5952 IPv6 text */
	bool ipv6;			/* v: "ip6" or "in-addr" */
	const char *helo;		/* h */
	const char *receiver;		/* r; NULL: "unknown" */
	long long now;			/* t */
	/* p: the validated name of <ip> for the current domain; NULL (or a
	 * NULL callback) means "unknown". */
	const char *(*ptr_name)(void *arg, const char *domain);
	void *ptr_arg;
};

/* Check a macro-string (7.1) of kind; SG_E_SYNTAX with a static *why. */
enum sg_status spf_macro_check(const char *s, size_t len,
			       enum spf_macro_kind kind, const char **why);
/* Check a domain-spec: a macro-string ending in a macro-expand or in
 * "." toplabel ["."] (7.1). SG_E_SYNTAX with a static *why. */
enum sg_status spf_domain_spec_check(const char *s, size_t len,
				     const char **why);
/* Is this a toplabel (7.1): letters, digits, inner hyphens, not all
 * digits unless it has a hyphen? */
bool spf_toplabel_ok(const char *s, size_t len);

/* Expand s into out (emptied first). SPF_MACRO_DOMAIN: the result has
 * no trailing dot and is at most DNS_MAX_NAME bytes, labels dropped from
 * the left when longer (it may still hold empty or over-long labels:
 * the caller decides what a non-name means). SPF_MACRO_EXP: cut at
 * out's cap, *cut set. SG_E_SYNTAX (static *why) when s is not a valid
 * macro-string of that kind, SG_E_NOMEM on OOM. cut may be NULL. */
enum sg_status spf_macro_expand(const char *s, size_t len,
				enum spf_macro_kind kind,
				const struct spf_macro_ctx *ctx, struct buf *out,
				bool *cut, const char **why);

#endif
