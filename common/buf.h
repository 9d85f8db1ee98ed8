/*
 * common/buf.h -- a growable byte buffer with a hard ceiling.
 * The owner embeds struct buf and calls buf_free(). Data is always kept
 * NUL-terminated (one spare byte past len) so it can be used as a string.
 */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stddef.h>
#include "status.h"

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;		/* len never exceeds cap */
};

/* Start empty; cap is the most bytes the buffer will ever hold. */
void buf_init(struct buf *b, size_t cap);
/* Release memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Drop contents, keep memory. */
void buf_reset(struct buf *b);
/* Append n bytes; SG_E_TOOBIG past cap, SG_E_NOMEM on OOM. */
enum sg_status buf_append(struct buf *b, const void *p, size_t n);
/* Append a NUL-terminated string. */
enum sg_status buf_puts(struct buf *b, const char *s);
/* Append one byte. */
enum sg_status buf_putc(struct buf *b, char c);
/* Append printf-formatted text. */
enum sg_status buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (malloc'd, NUL-terminated) and reset b.
 * Returns NULL on OOM. */
char *buf_steal(struct buf *b);

#endif
