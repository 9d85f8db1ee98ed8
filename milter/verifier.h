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
 * One verifier per message, one thread. The options, authserv-id and
 * resolver are borrowed until verifier_free (signetd holds the
 * configuration for the whole connection).
 */
#ifndef MILTER_VERIFIER_H
#define MILTER_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include "common/dns.h"
#include "common/status.h"
#include "config.h"

struct verifier;				/* opaque */

/* NULL on OOM. resolver may be NULL (every key lookup is a temperror). */
struct verifier *verifier_new(const char *authserv_id,
			      const struct sg_verify_conf *vc,
			      struct dns_resolver *resolver, long long now);
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
/* 1-based indexes, among Authentication-Results fields, of those that
 * claim our authserv-id, ascending; valid from the end of headers. */
const unsigned *verifier_ar_ours(const struct verifier *v, size_t *n);
void verifier_free(struct verifier **vp);

#endif
