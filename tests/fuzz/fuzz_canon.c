/*
 * tests/fuzz/fuzz_canon.c -- libFuzzer harness for dkim/canon.c.
 * Input: 2 bytes choose two cut points, the rest is a body. Both body
 * modes run one-shot and in three pieces; the outputs must be equal
 * and canonical (every LF after a CR; a CRLF at the end unless empty;
 * relaxed: no WSP before a CRLF, no WSP run), and equal to a plain
 * whole-body model of RFC 6376 3.4.3/3.4.4 written here. The input is
 * also canonicalized as a header field in both modes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/canon.h"

static enum sg_status sink(void *arg, const void *p, size_t n)
{
	return buf_append(arg, p, n);
}

static void run(enum dkim_canon_mode m, const uint8_t *p, size_t n,
		size_t cut1, size_t cut2, struct buf *out)
{
	struct dkim_canon *c = dkim_canon_new(m, -1, sink, out);

	if (c == NULL)
		abort();
	if (dkim_canon_body(c, p, cut1) != SG_OK ||
	    dkim_canon_body(c, p + cut1, cut2 - cut1) != SG_OK ||
	    dkim_canon_body(c, p + cut2, n - cut2) != SG_OK ||
	    dkim_canon_final(c) != SG_OK ||
	    dkim_canon_length(c) != out->len)
		abort();
	dkim_canon_free(&c);
}

static void check_canonical(enum dkim_canon_mode m, const struct buf *b)
{
	const char *d = b->data;

	if (b->len == 0) {
		if (m == DKIM_CANON_SIMPLE)
			abort();
		return;
	}
	if (b->len < 2 || memcmp(d + b->len - 2, "\r\n", 2) != 0)
		abort();
	for (size_t i = 0; i < b->len; i++) {
		if (d[i] == '\n' && (i == 0 || d[i - 1] != '\r'))
			abort();
		if (m == DKIM_CANON_RELAXED && i > 0 &&
		    (d[i - 1] == ' ' || d[i - 1] == '\t') &&
		    (d[i] == ' ' || d[i] == '\t' ||
		     (d[i] == '\r' && i + 1 < b->len && d[i + 1] == '\n')))
			abort();
	}
}

/* The rules applied to the whole body, line by line; out has room for
 * 2n + 2 bytes. */
static size_t model(enum dkim_canon_mode m, const uint8_t *p, size_t n,
		    char *out)
{
	size_t o = 0, keep = 0;

	for (size_t i = 0; i < n;) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t j = nl != NULL ? (size_t)(nl - p) : n, end = j;
		size_t start = o;
		int wsp = 0;

		if (nl != NULL && end > i && p[end - 1] == '\r')
			end--;
		for (size_t k = i; k < end; k++) {
			if (m == DKIM_CANON_RELAXED &&
			    (p[k] == ' ' || p[k] == '\t')) {
				wsp = 1;
				continue;
			}
			if (wsp)
				out[o++] = ' ';
			wsp = 0;
			out[o++] = (char)p[k];
		}
		if (o > start || nl != NULL) {
			out[o++] = '\r';
			out[o++] = '\n';
		}
		if (o > start + 2)
			keep = o;
		i = j + 1;
	}
	if (keep == 0 && m == DKIM_CANON_SIMPLE) {
		memcpy(out, "\r\n", 2);
		keep = 2;
	}
	return keep;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dkim_canon_mode modes[] = {
		DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED
	};
	struct buf one, split, hdr;
	size_t n, cut1, cut2;
	const uint8_t *body;
	char *want;
	size_t wn;

	if (size < 2)
		return 0;
	body = data + 2;
	n = size - 2;
	cut1 = data[0] % (n + 1);
	cut2 = cut1 + data[1] % (n - cut1 + 1);
	buf_init(&one, 4 * size + 16);
	buf_init(&split, 4 * size + 16);
	buf_init(&hdr, 4 * size + 16);
	if ((want = malloc(2 * size + 2)) == NULL)
		abort();
	for (size_t i = 0; i < 2; i++) {
		buf_reset(&one);
		buf_reset(&split);
		run(modes[i], body, n, 0, 0, &one);
		run(modes[i], body, n, cut1, cut2, &split);
		if (one.len != split.len ||
		    (one.len > 0 && memcmp(one.data, split.data, one.len) != 0))
			abort();
		check_canonical(modes[i], &one);
		wn = model(modes[i], body, n, want);
		if (wn != one.len || (wn > 0 && memcmp(want, one.data, wn) != 0))
			abort();
		if (dkim_canon_header(modes[i], (const char *)body, n, 0,
				      &hdr) != SG_OK)
			abort();
	}
	buf_free(&one);
	buf_free(&split);
	buf_free(&hdr);
	free(want);
	return 0;
}
