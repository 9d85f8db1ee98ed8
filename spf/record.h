/*
 * spf/record.h -- SPF record selection and parsing, RFC 7208 sections
 * 4.5, 4.6.1, 5 and 6 (the ABNF of section 12).
 *
 * A record is parsed whole before anything is evaluated: any syntax
 * error anywhere makes the record permerror (4.6), whether or not the
 * evaluation would have reached the bad term. Domain-specs are checked
 * here and kept unexpanded; the evaluator expands them (spf/macro.h).
 * A parsed record is one allocation, immutable, safe to share between
 * threads (the evaluator attaches it to the cached DNS answer).
 * Input is bytes with a length: a TXT record may hold NUL bytes.
 */
#ifndef SPF_RECORD_H
#define SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include "../common/status.h"

/* Bytes of the offending term kept for messages. */
#define SPF_BAD_TERM_MAX 64

enum spf_mech {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	char qualifier;			/* '+', '-', '~' or '?' */
	const char *text;		/* the term as written, NUL-terminated */
	const char *spec;		/* domain-spec (not NUL-terminated), or
					 * NULL: the current domain */
	size_t spec_len;
	unsigned char net[16];		/* ip4: 4 bytes, ip6: 16 */
	unsigned cidr4, cidr6;		/* a, mx: both; ip4: cidr4; ip6: cidr6 */
};

struct spf_record {
	struct spf_term *terms;		/* the mechanisms, in order */
	size_t n_terms;
	const char *redirect, *exp;	/* domain-specs (NUL-terminated) or NULL */
	size_t redirect_len, exp_len;
	char *text;			/* our copy, terms NUL-separated */
};

/* Is txt an SPF version 1 record: "v=spf1" in any case, then a space or
 * the end (4.5)? */
bool spf_record_is_spf(const char *txt, size_t len);
/* Parse a record (the whole TXT text, "v=spf1 ..."). SG_OK: *out is the
 * caller's. SG_E_SYNTAX: *why says what (static) and bad, when not
 * NULL, gets the offending term (cut to SPF_BAD_TERM_MAX, control and
 * non-ASCII bytes shown as '?'). SG_E_TOOBIG past SPF_MAX_RECORD,
 * SG_E_NOMEM on OOM. */
enum sg_status spf_record_parse(const char *txt, size_t len,
				struct spf_record **out, const char **why,
				char bad[SPF_BAD_TERM_MAX + 1]);
/* Free *rp and set it to NULL; a NULL *rp is fine. */
void spf_record_free(struct spf_record **rp);
/* "all", "include", ... */
const char *spf_mech_name(enum spf_mech m);
/* Does the network (4 or 16 bytes in net) with prefix bits hold addr
 * (same length)? */
bool spf_net_match(const unsigned char *net, const unsigned char *addr,
		   size_t alen, unsigned bits);

#endif
