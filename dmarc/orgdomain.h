/*
 * dmarc/orgdomain.h -- finding DMARC Policy Records and Organizational
 * Domains: the RFC 9989 section 4.10 DNS Tree Walk, and the RFC 7489
 * section 3.2 Public Suffix List method (dmarc/psl.h) for legacy mode.
 *
 * Tree Walk: query _dmarc.<start>; then, if start has 8 or more labels,
 * jump to its last 7 labels, else drop one label; then one label at a
 * time up to the TLD. At most DMARC_WALK_MAX_QUERIES (8) queries. A
 * name holding one DMARC record with psd=y or psd=n stops the walk;
 * several records at one name count as none. The Organizational Domain
 * (4.10.2) is, from the records found, longest name first: the one with
 * psd=n; else the name one label below a psd=y record (unless that
 * record is at the start); else the record with the fewest labels;
 * else, with no record at all, the start itself.
 *
 * Every lookup goes through the shared resolver (common/dns.h) and its
 * cache, so the walks of one message, and of later messages, mostly hit
 * the cache. A walk holds references to the DNS answers its records
 * live in until dmarc_walk_release(). One walk, one thread.
 */
#ifndef DMARC_ORGDOMAIN_H
#define DMARC_ORGDOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include "common/dns.h"
#include "common/limits.h"
#include "common/status.h"
#include "psl.h"
#include "record.h"

/* Which specification finds Organizational Domains and policies. */
enum dmarc_mode {
	DMARC_MODE_RFC9989 = 0,		/* DNS Tree Walk, psd=, t=, np= */
	DMARC_MODE_RFC7489,		/* Public Suffix List, pct=, np= (RFC 9091) */
};

struct dmarc_walk_found {
	size_t off;			/* the name: start + off */
	const struct dmarc_txtset *set;	/* set->count == 1 */
};

struct dmarc_walk {
	char start[DNS_MAX_NAME + 1];	/* canonical (dmarc/domain.h) */
	size_t n;			/* records found, longest name first */
	struct dmarc_walk_found found[DMARC_WALK_MAX_QUERIES];
	size_t org_off;			/* Organizational Domain: start + org_off */
	unsigned queries;		/* TXT lookups made */
	enum dns_result dns;		/* DNS_OK, or DNS_TEMPFAIL / DNS_PERMFAIL
					 * that cut the walk short (then org_off
					 * and found[] are not to be used) */
	const char *why;		/* static, with a DNS failure */
	bool several;			/* a name held several DMARC records */
	/* the resolver's answers the records live in */
	size_t n_held;
	const struct dns_answer *held[DMARC_WALK_MAX_QUERIES];
};

/* Walk from the canonical name start (at most DNS_MAX_NAME octets).
 * SG_OK when the walk ran (a DNS failure is w->dns, not a status);
 * SG_E_NOMEM. Always dmarc_walk_release() afterwards. */
enum sg_status dmarc_walk(struct dns_resolver *r, const char *start,
			  struct dmarc_walk *w);
/* Drop the answers; the walk's records are gone after this. */
void dmarc_walk_release(struct dmarc_walk *w);
/* The Organizational Domain a finished walk found (points into w). */
const char *dmarc_walk_org(const struct dmarc_walk *w);

/* One TXT lookup at _dmarc.<domain>: *set is the records there (count 0
 * for NXDOMAIN/NODATA and for a name too long to query), *held the
 * answer to release with dns_answer_release (may be NULL). SG_OK with
 * *res DNS_OK (records or none), DNS_TEMPFAIL or DNS_PERMFAIL; SG_E_NOMEM. */
enum sg_status dmarc_fetch(struct dns_resolver *r, const char *domain,
			   const struct dmarc_txtset **set,
			   const struct dns_answer **held,
			   enum dns_result *res, const char **why);

#endif
