/*
 * common/hdr.h -- header field helpers: the RFC 5322 From address.
 * Input is network data: every length is bounded (SG_MAX_FROM_LEN,
 * SG_MAX_LOCALPART, SG_MAX_DOMAIN) and no input can crash or hang it.
 */
#ifndef SG_HDR_H
#define SG_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include "buf.h"
#include "status.h"

/* Extract the single mailbox of a From field value (RFC 5322 3.4 and
 * 3.6.2): display names, quoted strings, comments (nested), angle
 * addresses, obsolete route syntax, folding and odd spacing are handled;
 * the domain part is returned lower-cased, without a trailing dot,
 * comments removed. A quoted local-part is returned unquoted.
 * Fails with SG_E_SYNTAX and a static *why when the value holds no
 * address, more than one ("more than one address in From"), a group, an
 * unterminated quote/comment/angle, or an invalid domain. On success
 * *local and *domain are malloc'd and the caller's. */
enum sg_status hdr_from_address(const char *value, size_t len,
				char **local, char **domain,
				const char **why);

/* Case-insensitive comparison of two header names; 0 when equal. */
int hdr_name_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Append one field as it stands on the wire, "Name: value", from what
 * an MTA hands a milter: leadspc means value keeps the whitespace that
 * followed the colon (SMFIP_HDR_LEADSPC), otherwise one space is put
 * back; folded lines separated by a bare LF get CRLF. No final CRLF. */
enum sg_status hdr_field_build(struct buf *b, const char *name,
			       const char *value, bool leadspc);

#endif
