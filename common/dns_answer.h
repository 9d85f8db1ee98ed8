/*
 * common/dns_answer.h -- making DNS answers, for common/dns.c only (other
 * modules use dns.h). Reads a whole DNS message (RFC 1035 4.1) as c-ares
 * hands it over: follows the CNAME chain of the question inside the
 * answer, keeps the records of the asked type for the name it ends at,
 * joins TXT character-strings, and says how long the answer may be
 * cached (RFC 2181 8, RFC 2308 5). Bounded: DNS_MAX_RRS records,
 * DNS_MAX_DATA bytes of record data, DNS_MAX_CNAMES hops.
 */
#ifndef SG_DNS_ANSWER_H
#define SG_DNS_ANSWER_H

#include <stdint.h>
#include "dns.h"

/* Answer records looked at in one message; real RRsets are far smaller. */
#define DNS_MAX_RRS		1000u
/* Bytes of record data kept per answer (a TCP message is < 64 KB too). */
#define DNS_MAX_DATA		65536u
/* CNAME hops followed inside one answer. */
#define DNS_MAX_CNAMES		8

/* A record-less answer (refs 1); a static one (refs < 0) on OOM. */
const struct dns_answer *dns_answer_fail(enum dns_type t, enum dns_result res,
					 const char *why);
/* The static "out of memory" TEMPFAIL answer of type t. */
const struct dns_answer *dns_answer_oom(enum dns_type t);
/* One more reference (none for static answers); returns a. */
const struct dns_answer *dns_answer_ref(const struct dns_answer *a);
/* The answer to (qname, t) in the message m (NOERROR or NXDOMAIN; other
 * rcodes give TEMPFAIL/PERMFAIL). *ttl: seconds it may be cached, 0 for
 * never: DNS_OK the least TTL of the records and CNAMEs used, capped by
 * max_ttl; NXDOMAIN/NODATA the SOA's negative TTL capped by neg_ttl, or
 * neg_ttl. qname is a checked name (dns.c). Never NULL. */
const struct dns_answer *dns_answer_from_wire(const uint8_t *m, size_t len,
					      const char *qname, enum dns_type t,
					      unsigned max_ttl, unsigned neg_ttl,
					      uint32_t *ttl);

#endif
