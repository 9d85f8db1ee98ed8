/*
 * common/buf.c -- see buf.h.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static enum sg_status buf_grow(struct buf *b, size_t need)
{
	size_t n = b->alloc < 64 ? 64 : b->alloc;
	char *p;

	while (n < need + 1)
		n *= 2;
	if ((p = realloc(b->data, n)) == NULL)
		return SG_E_NOMEM;
	b->data = p;
	b->alloc = n;
	return SG_OK;
}

enum sg_status buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len)		/* cannot wrap: len <= cap */
		return SG_E_TOOBIG;
	if (b->len + n + 1 > b->alloc && buf_grow(b, b->len + n) != SG_OK)
		return SG_E_NOMEM;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return SG_OK;
}

enum sg_status buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum sg_status buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum sg_status buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SG_E_SYNTAX;
	if ((size_t)n < sizeof small)
		return buf_append(b, small, (size_t)n);

	char *big = malloc((size_t)n + 1);
	enum sg_status st;

	if (big == NULL)
		return SG_E_NOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	st = buf_append(b, big, (size_t)n);
	free(big);
	return st;
}

char *buf_steal(struct buf *b)
{
	char *p;

	if (b->data == NULL && buf_grow(b, 0) != SG_OK)
		return NULL;
	b->data[b->len] = '\0';
	p = b->data;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
