/*
 * common/dns.h -- the DNS resolver every check shares (DKIM keys now,
 * DMARC and SPF next), on c-ares, with one answer cache for all threads.
 *
 * One resolver thread runs the c-ares event loop; callers start a query
 * (never blocks), go on with their work, and wait for the answer when
 * they need it. Lookups of the same (name, type) that are in flight are
 * joined: many messages waiting on one name cause one query. Answers are
 * cached by TTL (capped), NXDOMAIN and empty answers for a shorter time
 * (negative caching); temporary failures are not cached. The cache is
 * bounded in entries (least recently used go first).
 *
 * UDP answers with TC=1 are retried over TCP (c-ares does this). TXT
 * records made of several character-strings are joined without
 * separators (RFC 6376 3.6.2.2, RFC 7208 3.3). A CNAME chain inside the
 * answer is followed: the records of the type for the name it ends at
 * count. Bounded: 1000 records, 64 KB of record data per answer.
 *
 * Answers are immutable and reference-counted: a caller holds one until
 * dns_answer_release(), so an answer evicted from the cache stays valid
 * for whoever still reads it. A parsed form of an answer (a DKIM public
 * key, an SPF record) can be attached once and is then shared by every
 * later reader of the cached answer.
 *
 * A slow or dead server delays only the callers that wait on it: a
 * lookup gets timeout_ms * tries from when it is sent, then it is
 * DNS_TEMPFAIL "timeout"; a waiter gives up one second past that even if
 * the resolver thread never answers ("resolver did not answer").
 *
 * Names are absolute (no search list), with or without the trailing dot,
 * any case; one longer than DNS_MAX_NAME or with an empty label or a
 * label over 63 bytes is DNS_PERMFAIL "bad query name", never sent.
 * Bytes are taken as they are (a backslash is just a byte).
 */
#ifndef SG_DNS_H
#define SG_DNS_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* RFC 1035 2.3.4: 255 octets on the wire, 253 in text without the dot. */
#define DNS_MAX_NAME	253u

enum dns_type {
	DNS_T_A = 1,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
};

enum dns_result {
	DNS_OK,			/* NOERROR with at least one record of the type */
	DNS_NODATA,		/* NOERROR, no record of the type */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_TEMPFAIL,		/* timeout, SERVFAIL/REFUSED/NOTIMP from every server
				 * tried, network error, truncated over TCP */
	DNS_PERMFAIL,		/* FORMERR, malformed answer, bad query name */
};

/* One record. TXT: the joined character-strings in data/len (NUL
 * terminated; may contain NUL bytes, so use len). A/AAAA: 4/16 address
 * bytes in data. MX: exchange name in data, pref set. PTR: name in data.
 * Names are without a trailing dot ("" for the root: a null MX); a name
 * with a '.' or NUL inside a label is left out of the answer. */
struct dns_rr {
	char *data;
	size_t len;
	unsigned pref;
};

struct dns_answer {
	enum dns_result result;
	enum dns_type type;
	size_t n;		/* records (0 unless DNS_OK) */
	struct dns_rr *rr;
	const char *why;	/* static text for a non-OK result, e.g. "timeout" */
	/* the rest is the resolver's */
	int refs;
	void *parsed;
	void (*parsed_free)(void *);
};

/* Start from dns_opts_default(). A timeout_ms, tries, max_ttl or
 * negative_ttl of 0 means the default too; cache_entries 0 means no
 * cache (lookups in flight are still joined). */
struct dns_opts {
	const char *const *servers;	/* "ADDR:PORT", "[v6]:PORT", "ADDR"; NULL: /etc/resolv.conf */
	size_t n_servers;
	int timeout_ms;			/* per try; default 3000 */
	int tries;			/* default 2 */
	unsigned cache_entries;		/* default 10000; 0 disables the cache */
	unsigned max_ttl;		/* seconds, cap on positive TTLs; default 86400 */
	unsigned negative_ttl;		/* seconds for NXDOMAIN/NODATA (an SOA's
					 * shorter negative TTL wins); default 300 */
};

struct dns_resolver;				/* opaque */
struct dns_query;				/* opaque */

/* The defaults above, no servers (/etc/resolv.conf). */
void dns_opts_default(struct dns_opts *o);
/* Start the resolver thread; o NULL means the defaults. NULL on failure
 * with a static *why (bad server syntax, c-ares init failure, no memory). */
struct dns_resolver *dns_resolver_new(const struct dns_opts *o, const char **why);
/* Stop the thread, fail every waiting query with DNS_TEMPFAIL, free the
 * cache (answers still held by callers stay valid); NULL *rp is fine. */
void dns_resolver_free(struct dns_resolver **rp);

/* Start looking up (name, type); answered from the cache when possible.
 * Never blocks on the network. NULL only on OOM. */
struct dns_query *dns_query_start(struct dns_resolver *r, const char *name,
				  enum dns_type type);
/* Wait for the answer (bounded, see above). The returned answer is the
 * caller's reference: release it with dns_answer_release. Never NULL
 * (an OOM while waiting gives a static DNS_TEMPFAIL answer). */
const struct dns_answer *dns_query_wait(struct dns_query *q);
/* Forget a query, waited on or not; NULL *qp is fine. A query may be
 * freed after its resolver (the resolver's memory goes with the last). */
void dns_query_free(struct dns_query **qp);
/* Start + wait + free in one call. */
const struct dns_answer *dns_lookup(struct dns_resolver *r, const char *name,
				    enum dns_type type);

/* Drop a reference; NULL *ap is fine. */
void dns_answer_release(const struct dns_answer **ap);
/* The parsed form attached to a, making it with make(a, arg) the first
 * time (concurrent first calls may both make; one wins, the other's is
 * destroyed). make may return NULL (nothing is attached then; the next
 * call tries again). destroy runs when the answer's last reference goes.
 * Thread-safe. NULL, without calling make, for the static answers an
 * out-of-memory condition gives (DNS_TEMPFAIL "out of memory"). */
void *dns_answer_parsed(const struct dns_answer *a,
			void *(*make)(const struct dns_answer *a, void *arg),
			void *arg, void (*destroy)(void *));

/* Counters, for tests and the benchmark. */
struct dns_stats {
	unsigned long long queries_sent;	/* to the network */
	unsigned long long cache_hits;
	unsigned long long joined;		/* waited on a query already in flight */
	unsigned long long entries;		/* now in the cache */
};
void dns_resolver_stats(struct dns_resolver *r, struct dns_stats *out);

/* "NXDOMAIN" etc., never NULL. */
const char *dns_result_name(enum dns_result r);

#endif
