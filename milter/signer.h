/*
 * milter/signer.h -- one outbound message being DKIM-signed, fed the way
 * an MTA hands it over (header fields one by one, body in chunks), with
 * no libmilter in sight so that `signet sign` and the tests use the very
 * same path as signetd.
 *
 * Memory: the header block is kept (bounded by SG_MAX_HEADER_BYTES and
 * SG_MAX_HEADERS); the body is hashed as it streams and never stored.
 * A message that cannot be signed (no or several From addresses, no
 * SigningTable entry, headers over the limits) is not an error: the
 * signer goes quiet and signer_skip_reason() says why. Errors (OOM,
 * crypto failure) are returned as statuses with a static why.
 * One signer per message, one thread at a time; it holds a reference
 * on the configuration it was made with.
 */
#ifndef MILTER_SIGNER_H
#define MILTER_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

struct signer;					/* opaque */

/* NULL on OOM. Takes its own reference on conf. */
struct signer *signer_new(struct sg_conf *conf);
/* One header field as the MTA gives it. leadspc: value keeps the
 * whitespace that followed the colon (SMFIP_HDR_LEADSPC); otherwise one
 * space is assumed. Folded lines may be separated by LF or CRLF. */
enum sg_status signer_header(struct signer *s, const char *name,
			     const char *value, bool leadspc);
/* End of headers: find the From address and the keys that sign it. */
enum sg_status signer_eoh(struct signer *s);
/* A body chunk (ignored when the message is not being signed). */
enum sg_status signer_body(struct signer *s, const void *p, size_t n);
/* End of message: make the signatures. On SG_OK, *n values (at most
 * DKIM_MAX_SIGN) are in vals: DKIM-Signature field values starting with
 * a space, folded with CRLF TAB, in the order they should end up from
 * the top of the message; the signer owns them until signer_free. now
 * is the signing time (t=). */
enum sg_status signer_eom(struct signer *s, long long now,
			  const char *const **vals, size_t *n,
			  const char **why);
/* True while the message is still going to be signed. */
bool signer_active(const struct signer *s);
/* Why the message is not signed (static), or NULL. */
const char *signer_skip_reason(const struct signer *s);
/* "local@domain" of the From address once known, else NULL. */
const char *signer_from(const struct signer *s);
/* A short description of the signatures made, e.g.
 * "d=example.com s=rsa a=rsa-sha256, d=example.com s=ed a=ed25519-sha256". */
const char *signer_summary(const struct signer *s);
void signer_free(struct signer **sp);

#endif
