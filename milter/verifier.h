/*
 * milter/verifier.h -- one inbound message being checked, fed the way an
 * MTA hands it over, with no libmilter in sight: signetd and `signet
 * verify` use this very path.
 *
 * DKIM: every signature is verified (dkim/verify.h); key lookups start at
 * the end of the headers on the shared resolver, so DNS runs while the
 * body streams in, and parsed keys are cached with their DNS answer.
 * Authentication-Results: the one field value signet adds, and the
 * existing fields that claim our authserv-id (to be removed, RFC 8601
 * section 5), counted among the Authentication-Results fields from the
 * top (the index smfi_chgheader takes).
 *
 * SPF (spf/spf.h): MAIL FROM and HELO of the envelope, evaluated at the
 * end of the headers (the DKIM key and DMARC policy lookups are already
 * under way then). DMARC (dmarc/): the Author Domain from the one From
 * field, the DKIM and SPF results, the policy and what local
 * configuration makes of it: the verdict (accept, reject, quarantine,
 * tempfail) with its SMTP reply.
 *
 * One verifier per message, one thread. The options, authserv-id and
 * resolver are borrowed until verifier_free (signetd holds the
 * configuration for the whole connection).
 */
#ifndef MILTER_VERIFIER_H
#define MILTER_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "common/dns.h"
#include "common/status.h"
#include "config.h"

struct verifier;				/* opaque */

struct verifier_opts {
	const char *authserv_id;
	const struct sg_verify_conf *verify;
	const struct sg_spf_conf *spf;		/* NULL or !enabled: no SPF */
	const struct sg_dmarc_conf *dmarc;	/* NULL or !enabled: no DMARC */
	struct dns_resolver *resolver;		/* NULL: every lookup is a temperror */
	long long now;
};

/* What to do with the message. */
enum verifier_action {
	VERIFIER_ACCEPT,
	VERIFIER_REJECT,		/* reply code/xcode/text set */
	VERIFIER_TEMPFAIL,		/* reply code/xcode/text set */
	VERIFIER_QUARANTINE,		/* quarantine reason in text */
};

struct verifier_verdict {
	enum verifier_action action;
	const char *rcode, *xcode;	/* "550", "5.7.1" */
	char text[512];			/* reply text, or quarantine reason */
};

/* NULL on OOM. Options and what they point to are borrowed. */
struct verifier *verifier_new(const struct verifier_opts *o);
/* The SMTP envelope, for SPF and DMARC; before verifier_eoh. client NULL
 * (local submission): SPF is not checked. helo and mailfrom as the MTA
 * gives them, NULL when unknown. Copied. */
enum sg_status verifier_envelope(struct verifier *v, const struct sockaddr *client,
				 const char *helo, const char *mailfrom);
/* One header field as the MTA gives it (see signer_header). */
enum sg_status verifier_header(struct verifier *v, const char *name,
			       const char *value, bool leadspc);
/* End of headers: parse signatures and start the key lookups. */
enum sg_status verifier_eoh(struct verifier *v);
enum sg_status verifier_body(struct verifier *v, const void *p, size_t n);
/* End of message: wait for keys, verify, build the A-R value. *why is
 * static on failure. */
enum sg_status verifier_eom(struct verifier *v, const char **why);
/* The Authentication-Results value after eom: folded with CRLF TAB for
 * the header field (starts with a space), or on one line (no leading
 * space) for logs and `signet verify`. */
const char *verifier_ar_folded(const struct verifier *v);
const char *verifier_ar_line(const struct verifier *v);
/* After eom: what to do, and the Received-SPF value to add (folded,
 * starting with a space) or NULL when none is wanted. */
const struct verifier_verdict *verifier_verdict(const struct verifier *v);
const char *verifier_received_spf(const struct verifier *v);
/* After eom: add the message's DMARC evaluation to the aggregate
 * history h (when it had a policy: pass or fail); never blocks. */
struct dmarc_history;
void verifier_record(const struct verifier *v, struct dmarc_history *h,
		     const char *queue_id);
/* After eom, for logs: the Author Domain ("" when none). */
const char *verifier_author(const struct verifier *v);
/* 1-based indexes, among Authentication-Results fields, of those that
 * claim our authserv-id, ascending; valid from the end of headers. */
const unsigned *verifier_ar_ours(const struct verifier *v, size_t *n);
void verifier_free(struct verifier **vp);

#endif
