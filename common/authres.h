/*
 * common/authres.h -- Authentication-Results header fields, RFC 8601.
 *
 * Reading: which authserv-id an existing field claims, so that every
 * field claiming ours can be removed before ours is added (section 5).
 * The field value is network data: comments (nested, with quoted-pairs),
 * folding, odd spacing and a quoted authserv-id are all understood, and
 * nothing in it can crash or hang the reader.
 *
 * Writing: one field value built result by result into a buf:
 *   authres_begin(b, "mx.example.com");
 *   authres_result(b, "dkim", "fail", "body hash did not verify");
 *   authres_prop(b, "header", "d", "example.com");
 * gives "mx.example.com; dkim=fail (body hash did not verify)
 * header.d=example.com". Property values that are not a token or a
 * domain/addr-spec are written as quoted-strings; comments are escaped.
 */
#ifndef SG_AUTHRES_H
#define SG_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>
#include "buf.h"
#include "status.h"

/* Longest authserv-id we read or write. */
#define AUTHRES_MAX_ID 255

/* Extract the authserv-id of a field value (everything after the colon).
 * SG_OK with id (NUL terminated, unquoted) filled; SG_E_SYNTAX when the
 * value does not start with one (after CFWS), SG_E_TOOBIG when it is
 * longer than AUTHRES_MAX_ID. */
enum sg_status authres_id(const char *value, size_t len,
			  char id[AUTHRES_MAX_ID + 1]);
/* True when the field claims authserv_id: equal ignoring case and a
 * trailing dot on either side. */
bool authres_claims(const char *value, size_t len, const char *authserv_id);

/* Start a value: the authserv-id (written quoted if it needs to be). */
enum sg_status authres_begin(struct buf *b, const char *authserv_id);
/* "; method=result" and, when reason is not NULL, " (reason)". fold
 * puts CRLF TAB before each result instead of a space. */
enum sg_status authres_result(struct buf *b, const char *method,
			      const char *result, const char *reason, bool fold);
/* " ptype.property=value"; nothing when value is NULL. */
enum sg_status authres_prop(struct buf *b, const char *ptype,
			    const char *property, const char *value);
/* "; none" for a field with no result at all (section 2.2). */
enum sg_status authres_none(struct buf *b);

#endif
