/*
 * common/taglist.h -- tag=value lists, RFC 6376 section 3.2: DKIM-Signature
 * fields, DKIM key records, and DMARC records (same syntax).
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *( ALPHA / DIGIT / "_" )
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*( %x21-3A / %x3C-7E )
 *
 * Strict: anything else is SG_E_SYNTAX with a static why. In detail:
 * - FWS is SP, HTAB and CRLF followed by SP or HTAB (a bare CR or LF, or
 *   a CRLF not followed by white space, is an error);
 * - at least one tag-spec: an empty input (or white space only) is not
 *   a tag-list; neither is ";" or "a=1;;b=2" (empty tag-spec);
 * - one ";" may end the list, followed by FWS only;
 * - a tag name given twice makes the whole list invalid (names compare
 *   case-sensitively, as RFC 6376 says; TAGLIST_NOCASE for lists whose
 *   names are case-insensitive);
 * - bytes 0x80-0xFF are errors, unless TAGLIST_UTF8 allows well-formed
 *   UTF-8 in values (RFC 8616: EAI addresses in DKIM i=).
 * - at most TAGLIST_MAX_TAGS tags (SG_E_TOOBIG).
 *
 * Nothing is allocated and nothing is copied: every pointer points into
 * the input, which the caller keeps alive as long as the list is used.
 * A value has FWS at either end trimmed and inner FWS kept as written.
 */
#ifndef SG_TAGLIST_H
#define SG_TAGLIST_H

#include <stdbool.h>
#include <stddef.h>
#include "limits.h"
#include "status.h"

/* taglist_parse flags. */
#define TAGLIST_NOCASE	0x1	/* names are case-insensitive (lookups, duplicates) */
#define TAGLIST_UTF8	0x2	/* well-formed UTF-8 is allowed in values */

struct taglist_tag {
	const char *name;
	size_t name_len;
	const char *value;		/* FWS around it trimmed; may be empty */
	size_t value_len;
	const char *raw;		/* everything between "=" and the ";" (or */
	size_t raw_len;			/* the end), FWS included: RFC 6376 3.7 */
};

struct taglist {
	struct taglist_tag tag[TAGLIST_MAX_TAGS];
	size_t n;			/* tags, in input order */
	unsigned flags;
};

/* Parse len bytes at s into *tl. SG_OK, or SG_E_SYNTAX / SG_E_TOOBIG with
 * a static *why ("duplicate tag", "empty tag-list", ...); *tl is then
 * empty. */
enum sg_status taglist_parse(struct taglist *tl, const char *s, size_t len,
			     unsigned flags, const char **why);

/* The tag called name (NUL-terminated), or NULL if the list has none. */
const struct taglist_tag *taglist_get(const struct taglist *tl,
				      const char *name);

/* The tag's value equals the NUL-terminated s exactly. */
bool taglist_value_is(const struct taglist_tag *t, const char *s);

/* Walk the elements of a list value such as "sha1:sha256" or
 * "from : to" (sep ':'), or a DMARC "a,b" (sep ','). Set *pos to 0 first;
 * each call sets *item and *n to the next element with FWS around it
 * trimmed and returns true, or returns false when the value is used up.
 * An element may be empty ("a::b", "a:"); an empty value has none. */
bool taglist_split(const char *v, size_t len, char sep, size_t *pos,
		   const char **item, size_t *n);

#endif
