/*
 * dmarc/psl.h -- the Public Suffix List (publicsuffix.org), for the RFC
 * 7489 section 3.2 Organizational Domain (the legacy mode; RFC 9989
 * uses the DNS Tree Walk instead, dmarc/orgdomain.h).
 *
 * Loaded once from a file (Debian: /usr/share/publicsuffix/
 * public_suffix_list.dat, package publicsuffix) into an immutable hash
 * table; after that any number of threads read it without locks. It is
 * reference-counted so a configuration reload can swap lists while old
 * messages still use theirs.
 *
 * Matching follows the list's own algorithm: the longest matching rule
 * wins, an exception rule ("!") beats all, wildcards ("*.") match one
 * label, and an unlisted TLD is a public suffix (the implicit "*" rule).
 * Rules with U-labels are kept both as written and as A-labels, so
 * "食狮.公司.cn" and "xn--85x722f.xn--55qx5d.cn" both match. Only ASCII
 * is case-folded. Limits: DMARC_PSL_MAX_FILE, DMARC_PSL_MAX_RULES.
 */
#ifndef DMARC_PSL_H
#define DMARC_PSL_H

#include <stdbool.h>
#include <stddef.h>
#include "common/status.h"

#define DMARC_PSL_DEFAULT_PATH	"/usr/share/publicsuffix/public_suffix_list.dat"

/* dmarc_psl_load flags. */
#define DMARC_PSL_ICANN_ONLY	0x1	/* skip the PRIVATE DOMAINS section */

struct dmarc_psl;				/* opaque, immutable */

/* Load the list at path. NULL on failure with err holding a message
 * that names the file (and line) and the problem. */
struct dmarc_psl *dmarc_psl_load(const char *path, unsigned flags,
				 char *err, size_t errsz);
/* The same from len bytes in memory (tests, fuzzing); NULL on OOM or a
 * list over the limits, with *why static. */
struct dmarc_psl *dmarc_psl_from_mem(const char *data, size_t len,
				     unsigned flags, const char **why);
/* Another reference to p (the same pointer). */
struct dmarc_psl *dmarc_psl_ref(struct dmarc_psl *p);
/* Drop a reference; the last frees. NULL *pp is fine; *pp is nulled. */
void dmarc_psl_free(struct dmarc_psl **pp);
/* Rules loaded (the A-label copies of U-label rules not counted). */
size_t dmarc_psl_rules(const struct dmarc_psl *p);

/* Where in name its registrable domain (public suffix plus one label)
 * starts, as an offset, or -1 when there is none: name is itself a
 * public suffix, is empty, or has an empty label (leading dot, ".."). A
 * trailing dot is not allowed either. ASCII case does not matter. */
long dmarc_psl_registrable(const struct dmarc_psl *p, const char *name);

/* The RFC 7489 3.2 Organizational Domain of a canonical name: its
 * registrable domain, or name itself when it has none (a public suffix
 * such as a PSD sending mail as itself; RFC 7489 leaves this open).
 * Returns the offset in name. */
size_t dmarc_psl_orgdomain(const struct dmarc_psl *p, const char *name);

#endif
