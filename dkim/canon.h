/*
 * dkim/canon.h -- DKIM canonicalization, RFC 6376 section 3.4.
 * Body: streaming. Takes body chunks as the MTA sends them (any split,
 * including CR|LF and trailing blank lines across chunk boundaries) and
 * writes canonical bytes to a sink in blocks. A bare LF counts as a line
 * end (the MTA sends CRLF on the wire); a bare CR is data. Memory use is
 * constant: pending blank lines are counted, not stored.
 * Header: one field at a time, into a buf.
 * One body canonicalizer per message and signature setting; not shared
 * between threads. Borrows every buffer it is given.
 */
#ifndef DKIM_CANON_H
#define DKIM_CANON_H

#include <stddef.h>
#include "../common/buf.h"
#include "../common/status.h"

enum dkim_canon_mode { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };

/* Receives canonical body bytes; returns SG_OK to go on. */
typedef enum sg_status dkim_canon_sink(void *arg, const void *p, size_t n);

struct dkim_canon;				/* opaque */

/* NULL on OOM; body_limit < 0 means the whole body (l= stops output after
 * body_limit canonical bytes). */
struct dkim_canon *dkim_canon_new(enum dkim_canon_mode mode,
				  long long body_limit,
				  dkim_canon_sink *sink, void *sink_arg);
/* Feed n body bytes; SG_OK or the sink's status. */
enum sg_status dkim_canon_body(struct dkim_canon *c, const void *p, size_t n);
/* End of body: flush, apply the empty-body and final-CRLF rules. */
enum sg_status dkim_canon_final(struct dkim_canon *c);
/* Canonical bytes written to the sink so far (before l= truncation). */
unsigned long long dkim_canon_length(const struct dkim_canon *c);
/* Free *cp and set it to NULL; a NULL *cp is fine. */
void dkim_canon_free(struct dkim_canon **cp);

/* Canonicalize one header field "Name: value" (folded with CRLF, no
 * final CRLF) and append it to out followed by CRLF, unless no_crlf
 * (used for the DKIM-Signature field itself, RFC 6376 section 3.7). */
enum sg_status dkim_canon_header(enum dkim_canon_mode mode,
				 const char *field, size_t len,
				 int no_crlf, struct buf *out);

/* Parse "relaxed/simple" style text (a missing body part means simple,
 * RFC 6376 3.5 c=). Returns SG_E_SYNTAX on anything else. */
enum sg_status dkim_canon_parse(const char *s, enum dkim_canon_mode *hdr,
				enum dkim_canon_mode *body);
/* "simple" or "relaxed". */
const char *dkim_canon_name(enum dkim_canon_mode mode);

#endif
