/*
 * dmarc/author.h -- the Author Domain(s) of a message from its From
 * header fields (RFC 9989 5.3.1, RFC 7489 6.6.1), with the header shapes
 * used to spoof it ("Composition Kills", espoofer) refused.
 *
 * Exactly one From field with one mailbox gives one Author Domain. What
 * RFC 5322 forbids -- no From field, several From fields, a value that
 * is not a mailbox list (encoded-words standing for addresses, quoted-
 * pairs outside quotes, trailing garbage, groups), a domain that does
 * not survive dmarc_domain_norm (a non-ASCII space after the domain) --
 * gives no Author Domain: the caller reports permerror and should refuse
 * the message (reject is set). A From with several mailboxes gives each
 * distinct domain, to be evaluated one by one (the worst outcome wins,
 * dmarc_outcome_worse); reject is set when they differ, or always with
 * DMARC_AUTHOR_REJECT_MULTI.
 *
 * Field values are network data, bounded by SG_MAX_FROM_LEN each,
 * DMARC_MAX_FROM_MAILBOXES and DMARC_MAX_AUTHORS. Mailboxes are parsed by
 * hdr_from_address (common/hdr.h).
 */
#ifndef DMARC_AUTHOR_H
#define DMARC_AUTHOR_H

#include <stdbool.h>
#include <stddef.h>
#include "common/dns.h"
#include "common/limits.h"
#include "common/status.h"

/* dmarc_authors flags. */
#define DMARC_AUTHOR_REJECT_MULTI	0x1	/* refuse any From with several mailboxes */

struct dmarc_authors {
	size_t n;			/* distinct Author Domains (canonical) */
	char domain[DMARC_MAX_AUTHORS][DNS_MAX_NAME + 1];
	size_t mailboxes;		/* mailboxes in the From field */
	bool reject;			/* header structure to refuse */
	const char *why;		/* static: why reject / why none */
};

/* Read the From field values (what follows "From:", one per field, as
 * many as the message has). SG_OK with out->n >= 1; SG_E_SYNTAX when no
 * Author Domain can be had (out->why says why; out->reject is set);
 * SG_E_NOMEM. */
enum sg_status dmarc_authors(const char *const *values, const size_t *lens,
			     size_t n_fields, unsigned flags,
			     struct dmarc_authors *out);

#endif
