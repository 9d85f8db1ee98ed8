/*
 * dmarc/record.h -- DMARC Policy Records: RFC 9989 sections 4.7-4.8
 * (RFC 7489 section 6.3 for pct, ri, rf), and picking the one record at a
 * _dmarc name (RFC 9989 4.10 steps 2 and 6).
 *
 * Lenient the way the RFCs ask: "v=DMARC1" must be the first tag (else
 * the text is not a DMARC record at all); unknown tags are ignored; a
 * known tag with a bad value, or given twice, is discarded in favour of
 * its default. p is special (RFC 9989 4.10.1, RFC 7489 6.6.3): a missing
 * or bad p, or a bad sp or np, makes the record act as "p=none" when rua
 * holds a valid URI, and unusable (no DMARC processing) otherwise.
 * Tag names and keyword values are case-insensitive (ABNF strings); the
 * version "DMARC1" is case-sensitive.
 *
 * A record owns its rua/ruf strings; dmarc_record_clear() frees them.
 * The set parsed from a TXT answer is attached to the cached DNS answer
 * (dns_answer_parsed), so every message reading that answer shares one
 * parse; it is immutable from then on. Length: DMARC_MAX_RECORD; URIs
 * per list: DMARC_MAX_URIS.
 */
#ifndef DMARC_RECORD_H
#define DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include "common/dns.h"
#include "common/limits.h"
#include "common/status.h"

/* A Domain Owner Assessment Policy value (p, sp, np). */
enum dmarc_req {
	DMARC_REQ_UNSET = 0,		/* tag absent */
	DMARC_REQ_NONE,
	DMARC_REQ_QUARANTINE,
	DMARC_REQ_REJECT,
};

enum dmarc_psd {
	DMARC_PSD_U = 0,		/* default: use the tree walk */
	DMARC_PSD_Y,			/* a Public Suffix Domain */
	DMARC_PSD_N,			/* an Organizational Domain */
};

/* fo= bits. */
#define DMARC_FO_0	0x1
#define DMARC_FO_1	0x2
#define DMARC_FO_D	0x4
#define DMARC_FO_S	0x8

struct dmarc_record {
	bool usable;			/* false: bad/missing p (or bad sp/np)
					 * and no valid rua: apply no DMARC */
	bool p_assumed;			/* p=none assumed (RFC 9989 4.10.1) */
	enum dmarc_req p;		/* never UNSET when usable */
	enum dmarc_req sp, np;		/* UNSET when absent */
	enum dmarc_psd psd;
	bool t;				/* t=y: testing */
	bool adkim_strict, aspf_strict;
	unsigned pct;			/* 0-100, default 100 (RFC 7489 only) */
	unsigned fo;			/* DMARC_FO_* bits, default DMARC_FO_0 */
	unsigned long ri;		/* default 86400 (RFC 7489 only) */
	size_t n_rua, n_ruf;		/* valid URIs, "!size" suffix removed */
	char *rua[DMARC_MAX_URIS];	/* point into uris */
	char *ruf[DMARC_MAX_URIS];
	char *uris;			/* owned */
};

/* Parse one TXT string. SG_OK: a DMARC record (check ->usable), the
 * caller's until dmarc_record_clear(). SG_E_NOTFOUND: not a DMARC record
 * (does not start with v=DMARC1; longer than DMARC_MAX_RECORD).
 * SG_E_NOMEM. *why is static on failure and for an unusable record. */
enum sg_status dmarc_record_parse(const char *txt, size_t len,
				  struct dmarc_record *out, const char **why);
/* Free the strings; the record is zeroed. */
void dmarc_record_clear(struct dmarc_record *r);
/* Deep copy; SG_E_NOMEM leaves *dst zeroed. */
enum sg_status dmarc_record_copy(struct dmarc_record *dst,
				 const struct dmarc_record *src);

/* "none", "quarantine", "reject", "" for UNSET. */
const char *dmarc_req_name(enum dmarc_req r);

/* The records at one _dmarc name, after discarding non-DMARC TXT:
 * exactly one, none, or several (which counts as none, RFC 9989 4.10). */
struct dmarc_txtset {
	size_t count;			/* DMARC records found */
	struct dmarc_record rec;	/* valid when count == 1 */
	const char *why;		/* the record's why, static */
};

/* The set for a TXT answer (any result: only DNS_OK has records),
 * parsed once and shared through the answer. NULL only on OOM. The
 * pointer lives as long as the caller's reference to a. */
const struct dmarc_txtset *dmarc_txtset_get(const struct dns_answer *a);

#endif
