/*
 * common/limits.h -- every ceiling on input, with its reason.
 */
#ifndef SG_LIMITS_H
#define SG_LIMITS_H

/* Headers kept per message: Postfix's header_size_limit is 100 KB by
 * default; we allow far more so a site that raised it still gets signed
 * mail, but never unbounded memory. Past this the message is not signed. */
#define SG_MAX_HEADER_BYTES	(4u * 1024 * 1024)
/* HELO name and MAIL FROM argument kept for SPF and DMARC: RFC 5321
 * allows 256 octets for a path and 255 for a domain; a longer one is cut
 * here (and then fails to parse, which SPF reports as none). */
#define SG_MAX_ENVELOPE_LEN	1024u
/* Number of header fields kept; Postfix stops at 1000 by default too. */
#define SG_MAX_HEADERS		2000u
/* One KeyTable/SigningTable line; OpenDKIM files are short lines. */
#define SG_MAX_TABLE_LINE	4096u
/* Entries in a KeyTable or SigningTable. */
#define SG_MAX_TABLE_ENTRIES	100000u
/* Signatures added to one message (every SigningTable match signs). */
#define DKIM_MAX_SIGN		8u
/* A key file larger than this is not a DKIM key (RSA-8192 PEM ~ 6.5 KB). */
#define DKIM_MAX_KEYFILE	65536u
/* RSA signing keys: RFC 8301 section 3.2 requires at least 1024 bits;
 * below 2048 we warn. Above 8192 is a mistake or an attack on CPU. */
#define DKIM_RSA_MIN_BITS	1024
#define DKIM_RSA_WARN_BITS	2048
#define DKIM_RSA_MAX_BITS	8192
/* Length of a From header value we parse for its address. */
#define SG_MAX_FROM_LEN		(64u * 1024)
/* Local-part and domain as RFC 5321 section 4.5.3.1 bounds them (we allow
 * a little more for the local-part, which MUAs sometimes exceed). */
#define SG_MAX_LOCALPART	256u
#define SG_MAX_DOMAIN		255u
/* Entries in internal_hosts and similar address lists. */
#define SG_MAX_CIDRS		4096u

/* Tags in one tag-list (DKIM-Signature, key record, DMARC record): a
 * signature has about 15, a key record fewer; unknown tags are allowed,
 * so leave room, but a list is scanned for duplicates (n^2 compares). */
#define TAGLIST_MAX_TAGS	64u
/* A DKIM key TXT record: an RSA-8192 p= is about 1.4 KB of base64; the
 * rest is a few short tags. */
#define DKIM_MAX_KEY_RECORD	16384u
/* Ceiling on dkim_verify_opts.max_signatures: each checked signature may
 * cost a DNS lookup, a body hasher fed with every chunk and a public-key
 * operation. */
#define DKIM_MAX_VERIFY_SIGS	64u
/* One DKIM-Signature field (its h= list is scanned against every header
 * field); real ones are well under 4 KB. */
#define DKIM_MAX_SIG_FIELD	(64u * 1024)
/* Names in one h= (each is looked up bottom-up among the header fields). */
#define DKIM_MAX_SIG_HNAMES	1024u
/* b= text: an RSA-8192 signature is 1368 base64 characters, plus FWS. */
#define DKIM_MAX_SIG_B		8192u

/* DMARC (RFC 9989; RFC 7489 in legacy mode). */
/* A DMARC TXT record we parse: real ones are a few hundred bytes; long
 * rua/ruf lists stay well under this. A longer record is discarded. */
#define DMARC_MAX_RECORD	4096u
/* URIs kept per rua or ruf list; the rest are ignored. */
#define DMARC_MAX_URIS		16u
/* Queries of one DNS Tree Walk: RFC 9989 section 4.10 caps it at eight. */
#define DMARC_WALK_MAX_QUERIES	8u
/* Tree walks for relaxed alignment per author domain (one per distinct
 * authenticated identifier under the author's organizational domain);
 * each may cost DMARC_WALK_MAX_QUERIES queries. */
#define DMARC_MAX_ALIGN_WALKS	8u
/* Mailboxes read from one From field, and distinct author domains
 * evaluated per message (RFC 7489 6.6.1 allows evaluating each). */
#define DMARC_MAX_FROM_MAILBOXES 32u
#define DMARC_MAX_AUTHORS	8u
/* The Public Suffix List file (Debian's is 246 KB, ~9,700 rules). */
#define DMARC_PSL_MAX_FILE	(16u * 1024 * 1024)
#define DMARC_PSL_MAX_RULES	200000u

/* SPF, RFC 7208 section 4.6.4: terms that query DNS (include, a, mx,
 * ptr, exists, redirect) counted over one whole check_host(), includes
 * and redirects too; past 10 the check is permerror. Keeps one message
 * from making a domain's record fan out into unbounded queries. */
#define SPF_MAX_DNS_TERMS	10u
/* Names taken from one MX answer (by preference; no match among them
 * with more left is permerror) or one PTR answer (the rest are
 * ignored): each costs an address lookup (4.6.4). */
#define SPF_MAX_MX_NAMES	10u
#define SPF_MAX_PTR_NAMES	10u
/* Lookups answering NXDOMAIN or no records; past 2 the check is
 * permerror (4.6.4, the RFC's recommended default). */
#define SPF_MAX_VOID_LOOKUPS	2u
/* Wall time for one check_host() with all its includes and redirects;
 * section 4.6.4 asks for at least 20 s before temperror. */
#define SPF_MAX_EVAL_MS		20000u
/* A TXT record's RDATA is at most 65535 bytes, so no SPF record from DNS
 * is longer; the parser refuses anything past it. */
#define SPF_MAX_RECORD		65535u
/* An exp= TXT record longer than this is ignored (the default text is
 * used): the expanded text ends up in an SMTP reply, whose lines are at
 * most 512 bytes (RFC 5321 4.5.3.1.5); a few lines' worth is plenty. */
#define SPF_MAX_EXP_RECORD	1024u
/* Expanded explanation text is cut here (macros can multiply a short
 * record many times over). */
#define SPF_MAX_EXPLANATION	1024u

#endif
