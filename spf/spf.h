/*
 * spf/spf.h -- signet's SPF evaluator, RFC 7208: check_host() (section 4)
 * on the shared resolver (common/dns.h), the two SMTP identities
 * (section 2.3, 2.4) and the Received-SPF header field (section 9.1).
 *
 * A verdict is data (struct spf_verdict); a function returns non-OK only
 * when it could not reach one (SG_E_NOMEM). Everything is bounded by
 * section 4.6.4: 10 DNS-querying terms (include, a, mx, ptr, exists,
 * redirect) over the whole evaluation, includes and redirects counted,
 * else permerror; 2 void lookups (NXDOMAIN or no records), else
 * permerror; 10 names per MX answer (looked up by preference; when
 * none of those matches and there are more, permerror) or PTR answer
 * (the rest ignored); and a wall-time bound (opts.max_ms) checked before
 * every lookup, past which the result is temperror (a lookup under way
 * then still has the resolver's own bound, timeout_ms * tries). exp= is
 * fetched only for a fail, once, after the evaluation; a TXT record over
 * SPF_MAX_EXP_RECORD or any other failure gives the default text, and
 * the expanded text is cut at SPF_MAX_EXPLANATION.
 *
 * Thread use: no global state; any number of evaluations may run at
 * once on one resolver. Parsed records are attached to the resolver's
 * cached answers and shared. Nothing here logs: opts.trace, when set,
 * receives a line per step (the `signet spf -v` trace).
 */
#ifndef SPF_SPF_H
#define SPF_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "../common/buf.h"
#include "../common/dns.h"
#include "../common/limits.h"
#include "../common/status.h"

enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

enum spf_identity { SPF_ID_MAILFROM, SPF_ID_HELO };

/* The client address; an IPv4-mapped IPv6 address is stored as IPv4
 * (section 5: it MUST be treated as IPv4). */
struct spf_ip {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* 4 or 16 bytes used */
};

/* Sizes of the verdict's text fields (with the NUL). */
#define SPF_REASON_SIZE		256
#define SPF_MECH_SIZE		128

struct spf_verdict {
	enum spf_result result;
	enum spf_identity identity;
	char domain[DNS_MAX_NAME + 1];		/* where the check started ("" if none) */
	char mechanism[SPF_MECH_SIZE];		/* the term that matched, as written;
						 * "" when none did (the default) */
	char reason[SPF_REASON_SIZE];		/* one line saying why, for logs and
						 * the Received-SPF comment */
	char explanation[SPF_MAX_EXPLANATION + 1];	/* fail only: exp= text or
						 * the default; "" otherwise */
};

/* Start from spf_opts_default(). */
struct spf_opts {
	struct dns_resolver *resolver;	/* required */
	const char *receiver;		/* %{r}: this host's name; NULL: "unknown" */
	long long now;			/* %{t}, seconds since 1970; 0: time(NULL) */
	unsigned max_ms;		/* wall-time bound; 0: SPF_MAX_EVAL_MS */
	const char *default_exp;	/* explanation for a fail without a usable
					 * exp= (a macro-string, as in exp TXT);
					 * NULL: SPF_DEFAULT_EXP */
	/* One line per evaluation step (depth = include/redirect nesting),
	 * or NULL. Lines may hold any bytes taken from DNS. */
	void (*trace)(void *arg, unsigned depth, const char *line);
	void *trace_arg;
};

#define SPF_DEFAULT_EXP "%{o} does not designate %{c} as a permitted sender"

void spf_opts_default(struct spf_opts *o);

/* Parse an address ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1");
 * false when it is not one. */
bool spf_ip_parse(const char *text, struct spf_ip *out);
/* From an AF_INET / AF_INET6 sockaddr (as libmilter gives it). */
bool spf_ip_from_sockaddr(const struct sockaddr *sa, struct spf_ip *out);
/* Text form: dotted quad or RFC 5952. buf needs 46 bytes. */
const char *spf_ip_text(const struct spf_ip *ip, char buf[46]);

/* check_host(ip, domain, sender, helo), section 4: the raw function.
 * sender is "local@domain" (a missing local-part becomes "postmaster"
 * for %{l}); helo is only used for %{h} (NULL: ""). SG_OK with *out
 * filled (out->identity is SPF_ID_MAILFROM); SG_E_NOMEM with a static
 * *why. */
enum sg_status spf_check_host(const struct spf_opts *o, const struct spf_ip *ip,
			      const char *domain, const char *sender,
			      const char *helo, struct spf_verdict *out,
			      const char **why);
/* The MAIL FROM identity (2.4): mailfrom as the MTA gives it, with or
 * without <>; NULL, "" or "<>" is the null sender, checked as
 * postmaster@helo. A MAIL FROM without '@', with a domain literal or
 * an unusable domain is "none". */
enum sg_status spf_check_mailfrom(const struct spf_opts *o, const struct spf_ip *ip,
				  const char *helo, const char *mailfrom,
				  struct spf_verdict *out, const char **why);
/* The reverse-path of a MAIL FROM argument, without surrounding blanks
 * and one pair of angle brackets, into buf. false for the null path
 * (NULL, "", "<>"); true with buf left as it was for a path too long
 * for buf (give buf a "" first). */
bool spf_mailfrom_path(const char *mf, char *buf, size_t size);
/* The HELO identity (2.3): postmaster@helo; "none" when helo is not a
 * fully qualified domain name (a literal, one label, ...). */
enum sg_status spf_check_helo(const struct spf_opts *o, const struct spf_ip *ip,
			      const char *helo, struct spf_verdict *out,
			      const char **why);

/* Both identities for the milter. With a null MAIL FROM the mailfrom
 * verdict is a copy of the HELO check's (postmaster@HELO is the same
 * check: one evaluation), its identity SPF_ID_MAILFROM. */
struct spf_smtp_verdicts {
	struct spf_verdict helo;
	struct spf_verdict mailfrom;
};
enum sg_status spf_check_smtp(const struct spf_opts *o, const struct spf_ip *ip,
			      const char *helo, const char *mailfrom,
			      struct spf_smtp_verdicts *out, const char **why);

/* Append the value of a Received-SPF field (9.1) for v to b: result,
 * a comment, then receiver, client-ip, envelope-from, helo, identity,
 * mechanism or problem as key=value pairs. fold puts CRLF TAB before
 * each pair instead of a space. receiver NULL leaves it out; mailfrom
 * NULL or "" is written as the empty envelope-from. */
enum sg_status spf_received_spf(struct buf *b, const struct spf_verdict *v,
				const struct spf_ip *ip, const char *helo,
				const char *mailfrom, const char *receiver,
				bool fold);

/* "pass", "fail", ... never NULL. */
const char *spf_result_name(enum spf_result r);

#endif
