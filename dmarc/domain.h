/*
 * dmarc/domain.h -- domain names as DMARC compares them: one canonical
 * form (RFC 9989 5.3.1: U-labels become A-labels, RFC 5890 2.3; names
 * compare case-insensitively, RFC 4343), and label arithmetic for the
 * DNS Tree Walk.
 *
 * The A-label conversion is RFC 3492 Punycode of each non-ASCII label,
 * with ASCII lower-cased; there is no IDNA2008 mapping or NFC step, so a
 * U-label is expected in the form a registry would accept. Code points
 * that can never be part of a domain (controls, white space and
 * invisible formatting such as U+2000-U+200F, U+2028-U+202F, U+FEFF),
 * bad UTF-8 and surrogates are rejected: a name that merely looks like
 * another must not turn into a different, policy-less domain.
 *
 * Pure functions on caller buffers; no allocation; thread-safe.
 */
#ifndef DMARC_DOMAIN_H
#define DMARC_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include "common/dns.h"
#include "common/status.h"

/* Canonical form of a domain (Author Domain, DKIM d=, SPF domain): ASCII
 * lower case, A-labels, no trailing dot; labels of 1-63 octets of
 * letters, digits, "-" and "_"; at most DNS_MAX_NAME octets. SG_OK with
 * out filled, or SG_E_SYNTAX with a static *why. */
enum sg_status dmarc_domain_norm(const char *in, size_t len,
				 char out[DNS_MAX_NAME + 1], const char **why);

/* RFC 3492 Punycode of one label given as UTF-8 (no "xn--" prefix is
 * added). SG_OK with *outlen set, SG_E_SYNTAX on bad UTF-8 or a code
 * point listed above, SG_E_TOOBIG when out is too small. */
enum sg_status dmarc_punycode(const char *label, size_t len, char *out,
			      size_t outsz, size_t *outlen);

/* Labels in a name ("a.b.c" has 3; "" has 0). */
size_t dmarc_labels(const char *name);
/* The offset in name of its last n labels (the whole name when it has n
 * or fewer). */
size_t dmarc_suffix_off(const char *name, size_t n);
/* a equals d or is a subdomain of d (both canonical). */
bool dmarc_is_under(const char *a, const char *d);

#endif
