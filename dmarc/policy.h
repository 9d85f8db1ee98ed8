/*
 * dmarc/policy.h -- DMARC evaluation of one Author Domain: policy
 * discovery (RFC 9989 4.10.1, or RFC 7489 6.6.3 in legacy mode),
 * Identifier Alignment (RFC 9989 4.4, 4.10.2), the verdict (5.3.5) and
 * the disposition the Domain Owner asks for, and the Authentication-
 * Results piece for it (RFC 8601). Disposition: p for the Author Domain's
 * own record, else sp (existing) or np (non-existent) with p as the
 * fallback; t=y lowers it one level (reject -> quarantine -> none) in
 * both modes; pct= sampling (RFC 7489 6.6.4) in RFC 7489 mode only.
 *
 * Inputs are plain structs: the caller hands over the Author Domain (from
 * dmarc/author.h or hdr_from_address), each DKIM signature's d= and
 * whether it verified, and the SPF result for the MAIL FROM identity.
 * Nothing here knows about DKIM, SPF, libmilter or configuration files.
 *
 * The verdict is data: dmarc_policy_eval() fails only on OOM. A DNS
 * failure that keeps the verdict open is DMARC_RESULT_TEMPERROR (or
 * PERMERROR for a permanent DNS error), with disposition none: never
 * reject on it (RFC 9989 5.3.6). Alignment that already passed needs no
 * further lookups, so a DNS failure there does not spoil a pass.
 *
 * Thread use: any number of evaluations at once on one resolver and one
 * PSL (both shared, read-only here); an outcome belongs to its caller.
 * Costs: one policy discovery walk (<= 8 TXT queries), one walk per
 * distinct passing identifier under the author's Organizational Domain
 * when alignment is relaxed (<= DMARC_MAX_ALIGN_WALKS), and one A query
 * (RFC 9989) or A+AAAA+MX (RFC 7489 + RFC 9091) for np= when the message
 * fails under a subdomain policy that sets np=. Mostly cache hits.
 */
#ifndef DMARC_POLICY_H
#define DMARC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "common/buf.h"
#include "common/dns.h"
#include "common/status.h"
#include "author.h"
#include "orgdomain.h"
#include "psl.h"
#include "record.h"

enum dmarc_result {
	DMARC_RESULT_NONE = 0,		/* no policy record: DMARC does not apply */
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR,
	DMARC_RESULT_PERMERROR,
};

/* The SPF result of the MAIL FROM identity (RFC 7208 2.6). */
enum dmarc_spf_result {
	DMARC_SPF_NONE = 0,
	DMARC_SPF_NEUTRAL,
	DMARC_SPF_PASS,
	DMARC_SPF_FAIL,
	DMARC_SPF_SOFTFAIL,
	DMARC_SPF_TEMPERROR,
	DMARC_SPF_PERMERROR,
};

/* Which tag the applied policy came from. */
enum dmarc_policy_tag {
	DMARC_TAG_NONE = 0,		/* no policy applied */
	DMARC_TAG_P,
	DMARC_TAG_SP,
	DMARC_TAG_NP,
};

/* One verified DKIM signature: its d= and whether it passed. */
struct dmarc_dkim_in {
	const char *domain;
	bool pass;
};

/* SPF for the MAIL FROM identity: domain is the reverse-path's domain,
 * or the HELO name when the reverse-path is null (RFC 7208 2.4). The
 * result of a separate HELO check must not be handed in: DMARC uses the
 * MAIL FROM identity only (RFC 9989 4.4.2). */
struct dmarc_spf_in {
	const char *domain;
	enum dmarc_spf_result result;
};

struct dmarc_input {
	const char *author;		/* the RFC5322.From domain: any case,
					 * U- or A-labels, a trailing dot is ok */
	const struct dmarc_dkim_in *dkim;
	size_t n_dkim;
	const struct dmarc_spf_in *spf;	/* NULL: SPF not checked */
};

struct dmarc_opts {
	enum dmarc_mode mode;
	struct dns_resolver *resolver;	/* required */
	const struct dmarc_psl *psl;	/* required in DMARC_MODE_RFC7489 */
	/* pct= sampling (RFC 7489 mode): a number 0-99 per failing message;
	 * NULL uses arc4random_uniform(100). */
	unsigned (*pct_roll)(void *arg);
	void *pct_arg;
};

struct dmarc_outcome {
	enum dmarc_result result;
	const char *reason;		/* static, short: why this result */
	char author[DNS_MAX_NAME + 1];	/* canonical ("" if unusable) */
	char org_domain[DNS_MAX_NAME + 1];	/* the author's ("" unknown) */
	char policy_domain[DNS_MAX_NAME + 1];	/* where the record is */
	enum dmarc_policy_tag policy_tag;
	enum dmarc_req policy;		/* the published value that applies */
	enum dmarc_req disposition;	/* after t=y / pct; NONE unless fail */
	bool testing;			/* t=y lowered the disposition */
	bool sampled_out;		/* pct lowered it (RFC 7489 mode) */
	bool dkim_aligned, spf_aligned;
	/* Set by the caller when local policy lowered the disposition
	 * (static text, e.g. "local override: trusted forwarder"); shown
	 * in the Authentication-Results comment. NULL: none. */
	const char *local_override;
	char dkim_domain[DNS_MAX_NAME + 1];	/* the first aligned d= */
	unsigned queries;		/* _dmarc TXT queries made (tests) */
	struct dmarc_record record;	/* the policy record (rua, ruf, fo,
					 * ...); zeroed when there is none */
};

/* Evaluate one Author Domain into *out (which the caller clears with
 * dmarc_outcome_clear). SG_OK with a verdict, or SG_E_NOMEM. */
enum sg_status dmarc_policy_eval(const struct dmarc_opts *o,
				 const struct dmarc_input *in,
				 struct dmarc_outcome *out);
/* Every Author Domain of au (RFC 9989 5.3.1: a From with several
 * mailboxes) with in's DKIM and SPF inputs (in->author is not read):
 * *out gets the worst outcome (dmarc_outcome_worse), replacing what it
 * held. SG_OK, or SG_E_NOMEM. */
enum sg_status dmarc_policy_eval_authors(const struct dmarc_opts *o,
					 const struct dmarc_authors *au,
					 const struct dmarc_input *in,
					 struct dmarc_outcome *out);
/* A permerror outcome for a message whose From gives no usable author
 * (dmarc/author.h); author may be NULL. */
void dmarc_outcome_permerror(struct dmarc_outcome *out, const char *author,
			     const char *reason);
/* Free what the outcome owns; it is zeroed (result none). */
void dmarc_outcome_clear(struct dmarc_outcome *o);
/* a is a worse outcome than b for the message (several author domains:
 * report and act on the worst): fail (stricter disposition first) >
 * temperror > permerror > none > pass. */
bool dmarc_outcome_worse(const struct dmarc_outcome *a,
			 const struct dmarc_outcome *b);

/* Append the Authentication-Results result for o through common/authres:
 * "; dmarc=fail (p=reject dis=reject) header.from=example.com", with
 * "; LOCAL_OVERRIDE" added inside the comment when set; for none and
 * errors the comment is the reason. fold as in authres_result. */
enum sg_status dmarc_authres(struct buf *b, const struct dmarc_outcome *o,
			     bool fold);

/* "none", "pass", "fail", "temperror", "permerror". */
const char *dmarc_result_name(enum dmarc_result r);
/* "p", "sp", "np", "" */
const char *dmarc_policy_tag_name(enum dmarc_policy_tag t);
/* Parse an SPF result word ("pass", "softfail", ...; case-insensitive);
 * false when unknown. */
bool dmarc_spf_result_parse(const char *s, enum dmarc_spf_result *out);

#endif
