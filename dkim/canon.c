/*
 * dkim/canon.c -- see canon.h. RFC 6376 section 3.4.
 *
 * Body: both modes keep a few flags between chunks instead of bytes:
 * - cr: the previous chunk ended in CR; the next byte decides whether
 *   it was a line end (CRLF) or data (bare CR);
 * - blanks: empty lines seen and not yet written; they are written when
 *   data follows and dropped at the end (trailing empty lines);
 * - data: the current line has written data (so a line end is a CRLF
 *   to write, not one more empty line);
 * - wsp (relaxed): a run of SP/HTAB is pending; it becomes one SP if
 *   data follows on the same line and disappears at the line end.
 * Output goes through a 16 KB block; the sink sees few large writes.
 * dkim_canon_length() counts every canonical byte, also past l=.
 *
 * Speed: most body text is canonical as it stands (lines of data ending
 * in CRLF; relaxed: with single SPs between words), so canon_run()
 * finds the longest such stretch, across lines, 64 bytes per step, and
 * it goes out as one block. Only the exceptions (blank lines, bare LF,
 * a CR at the end of a chunk; relaxed: WSP runs, WSP before a line end,
 * bare CR) take the byte-wise state machine. Relaxed, byte by byte,
 * every SP was a branch the CPU could not predict: 100 KB of text took
 * some 200 us, more than its SHA-256.
 */
#include "canon.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CANON_BLOCK	16384		/* bytes handed to the sink at once */

struct dkim_canon {
	enum dkim_canon_mode mode;
	long long limit;		/* l=, or < 0 */
	dkim_canon_sink *sink;
	void *sink_arg;
	enum sg_status st;		/* sticky sink error */
	unsigned long long total;	/* canonical bytes produced */
	unsigned long long sent;	/* of which passed on (<= l=) */
	unsigned long long blanks;	/* pending empty lines */
	bool cr, data, wsp, ended;
	size_t olen;
	unsigned char out[CANON_BLOCK];
};

struct dkim_canon *dkim_canon_new(enum dkim_canon_mode mode,
				  long long body_limit,
				  dkim_canon_sink *sink, void *sink_arg)
{
	struct dkim_canon *c = malloc(sizeof *c);

	if (c == NULL)
		return NULL;
	memset(c, 0, offsetof(struct dkim_canon, out));
	c->mode = mode;
	c->limit = body_limit;
	c->sink = sink;
	c->sink_arg = sink_arg;
	c->st = SG_OK;
	return c;
}

void dkim_canon_free(struct dkim_canon **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	free(*cp);
	*cp = NULL;
}

unsigned long long dkim_canon_length(const struct dkim_canon *c)
{
	return c->total;
}

/* ---- output ---------------------------------------------------------- */

static void flush(struct dkim_canon *c)
{
	if (c->olen > 0 && c->st == SG_OK)
		c->st = c->sink(c->sink_arg, c->out, c->olen);
	c->olen = 0;
}

/* Write n canonical bytes, cut at l=. */
static void emit(struct dkim_canon *c, const void *p, size_t n)
{
	const unsigned char *s = p;

	c->total += n;
	if (c->limit >= 0) {
		unsigned long long room = (unsigned long long)c->limit - c->sent;

		if (n > room)
			n = (size_t)room;
	}
	c->sent += n;
	if (n > sizeof c->out - c->olen) {
		flush(c);
		if (n >= sizeof c->out) {	/* long run: no copy */
			if (c->st == SG_OK)
				c->st = c->sink(c->sink_arg, s, n);
			return;
		}
	}
	memcpy(c->out + c->olen, s, n);
	c->olen += n;
}

static void emit_crlf(struct dkim_canon *c)
{
	if (c->olen + 2 <= sizeof c->out && (c->limit < 0 ||
	    c->sent + 2 <= (unsigned long long)c->limit)) {
		c->out[c->olen++] = '\r';	/* the common case, inline */
		c->out[c->olen++] = '\n';
		c->total += 2;
		c->sent += 2;
		return;
	}
	emit(c, "\r\n", 2);
}

/* Data is about to go on the current line: write held-back empty lines
 * first (they were not trailing after all). */
static void line_start(struct dkim_canon *c)
{
	if (c->data)
		return;
	c->data = true;
	for (; c->blanks > 0; c->blanks--)
		emit_crlf(c);
}

static void line_end(struct dkim_canon *c)
{
	c->wsp = false;			/* WSP before a line end goes */
	if (c->data) {
		emit_crlf(c);
		c->data = false;
	} else {
		c->blanks++;
	}
}

/* ---- runs: stretches that are canonical as they stand ----------------- */

static bool is_wsp(unsigned char b)
{
	return b == ' ' || b == '\t';
}

/* Bytes that are plain data in relaxed mode: not SP, HTAB, CR or LF. */
static bool is_plain(unsigned char b)
{
	return b > ' ' || (b != ' ' && b != '\t' && b != '\r' && b != '\n');
}

/* Whether q, inside a run that began at p, is still canonical as it
 * stands. Both modes: the CR of a CRLF ending a line that has data (a
 * blank line may be trailing: held back) and the LF of such a CRLF.
 * Simple: any other byte but LF (a bare CR is data). Relaxed: plain
 * data, and a single SP with data after it. At p itself no CR or LF
 * (whether the line has data is not known there) and, relaxed, no SP
 * (it may continue a WSP run from before). */
static bool run_byte(bool relaxed, const unsigned char *p,
		     const unsigned char *q, const unsigned char *end)
{
	switch (*q) {
	case ' ':
		return !relaxed || (q > p && q + 1 < end && is_plain(q[1]));
	case '\t':
		return !relaxed;
	case '\r':
		if (q == p || q + 1 == end)
			return false;
		if (q[1] == '\n')
			return q[-1] != '\n';
		return !relaxed;
	case '\n':
		return q > p && q[-1] == '\r';
	default:
		return true;
	}
}

/* SP, HTAB, CR and LF among the 64 bytes at p: bit i is byte p[i]. */
struct run_bits {
	uint64_t sp, tab, cr, lf;
};

#if defined(__SSE2__)
/* Bit i set where byte i of v is b. */
static uint64_t eq16(__m128i v, char b)
{
	return (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b)));
}

static void run_classify(const unsigned char *p, struct run_bits *k)
{
	*k = (struct run_bits){ 0, 0, 0, 0 };
	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const void *)(p + 16 * i));

		k->sp |= eq16(v, ' ') << 16 * i;
		k->tab |= eq16(v, '\t') << 16 * i;
		k->cr |= eq16(v, '\r') << 16 * i;
		k->lf |= eq16(v, '\n') << 16 * i;
	}
}
#else
static void run_classify(const unsigned char *p, struct run_bits *k)
{
	*k = (struct run_bits){ 0, 0, 0, 0 };
	for (int i = 0; i < 64; i++) {
		k->sp |= (uint64_t)(p[i] == ' ') << i;
		k->tab |= (uint64_t)(p[i] == '\t') << i;
		k->cr |= (uint64_t)(p[i] == '\r') << i;
		k->lf |= (uint64_t)(p[i] == '\n') << i;
	}
}
#endif

/* run_byte() for the 64 bytes at q at once (q[-1] and q[64] exist, and
 * q > p): bit i set where q[i] is not taken. */
static uint64_t block_stops(bool relaxed, const unsigned char *q)
{
	struct run_bits k;
	uint64_t special, next, lf_next, lf_prev, cr_prev, ok;

	run_classify(q, &k);
	lf_next = k.lf >> 1 | (uint64_t)(q[64] == '\n') << 63;
	lf_prev = k.lf << 1 | (uint64_t)(q[-1] == '\n');
	cr_prev = k.cr << 1 | (uint64_t)(q[-1] == '\r');
	ok = (k.cr & lf_next & ~lf_prev) | (k.lf & cr_prev);
	if (!relaxed) {
		special = k.cr | k.lf;
		return special & ~(ok | (k.cr & ~lf_next));
	}
	special = k.sp | k.tab | k.cr | k.lf;
	next = special >> 1 | (uint64_t)!is_plain(q[64]) << 63;
	return special & ~(ok | (k.sp & ~next));
}

/* The end of the canonical run at p (p itself when there is none). */
static const unsigned char *canon_run(bool relaxed, const unsigned char *p,
				      const unsigned char *end)
{
	const unsigned char *q = p;

	if (q == end || !run_byte(relaxed, p, q, end))
		return q;
	q++;
	while (end - q > 64) {
		uint64_t stops = block_stops(relaxed, q);

		if (stops != 0)
			return q + __builtin_ctzll(stops);
		q += 64;
	}
	while (q < end && run_byte(relaxed, p, q, end))
		q++;
	return q;
}

/* Write n canonical bytes (a run, or one byte of data): after held-back
 * empty lines and, relaxed, a pending WSP run as one SP. A run that ends
 * in LF ends the line. */
static void put_run(struct dkim_canon *c, const unsigned char *p, size_t n)
{
	line_start(c);
	if (c->wsp) {
		c->wsp = false;
		emit(c, " ", 1);
	}
	emit(c, p, n);
	if (p[n - 1] == '\n')
		c->data = false;
}

/* ---- both modes ------------------------------------------------------- */

/* Runs go out whole; whatever stops one is taken here one step at a
 * time. Lines end at LF; a CR just before the LF belongs to the line
 * end; any other CR is data. */
static void body_chunk(struct dkim_canon *c, const unsigned char *p,
		       const unsigned char *end)
{
	bool relaxed = c->mode == DKIM_CANON_RELAXED;

	while (p < end) {
		const unsigned char *q = canon_run(relaxed, p, end);

		if (q > p) {
			put_run(c, p, (size_t)(q - p));
			p = q;
		} else if (is_wsp(*p)) {		/* relaxed only */
			c->wsp = true;
			p++;
		} else if (*p == '\n') {
			line_end(c);
			p++;
		} else if (p + 1 == end) {		/* CR, decided next time */
			c->cr = true;
			p++;
		} else if (p[1] == '\n') {		/* CRLF */
			line_end(c);
			p += 2;
		} else {				/* bare CR: data */
			put_run(c, p, 1);
			p++;
		}
	}
}

/* ---- body API ---------------------------------------------------------- */

/* A CR ended the previous chunk: settle it with the byte after it (or
 * with none at the end of the body: then it was data). */
static size_t settle_cr(struct dkim_canon *c, const unsigned char *p,
			size_t n)
{
	static const unsigned char cr = '\r';

	c->cr = false;
	if (n > 0 && p[0] == '\n') {
		line_end(c);
		return 1;
	}
	put_run(c, &cr, 1);
	return 0;
}

enum sg_status dkim_canon_body(struct dkim_canon *c, const void *p, size_t n)
{
	const unsigned char *s = p;

	if (c->ended)
		return SG_E_STATE;
	if (n == 0 || c->st != SG_OK)
		return c->st;
	if (c->cr) {
		size_t used = settle_cr(c, s, n);

		s += used;
		n -= used;
	}
	body_chunk(c, s, s + n);
	return c->st;
}

enum sg_status dkim_canon_final(struct dkim_canon *c)
{
	if (c->ended)
		return c->st;
	c->ended = true;
	if (c->cr)
		settle_cr(c, NULL, 0);
	c->wsp = false;
	if (c->data)
		line_end(c);		/* missing final CRLF */
	if (c->total == 0 && c->mode == DKIM_CANON_SIMPLE)
		emit_crlf(c);		/* empty body is one CRLF */
	c->blanks = 0;			/* trailing empty lines go */
	flush(c);
	return c->st;
}

/* ---- headers ----------------------------------------------------------- */

static enum sg_status put_lower(struct buf *out, const char *p, size_t n)
{
	char tmp[256];
	enum sg_status st = SG_OK;

	while (n > 0 && st == SG_OK) {
		size_t k = n < sizeof tmp ? n : sizeof tmp;

		for (size_t i = 0; i < k; i++)
			tmp[i] = (p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i];
		st = buf_append(out, tmp, k);
		p += k;
		n -= k;
	}
	return st;
}

/* Relaxed header white space: a line break (CRLF, or a bare LF as in the
 * body) is removed (unfolding), a run of SP/HTAB becomes one SP, none at
 * either end of the value. A CR without an LF after it is data. */
static size_t hdr_break(const char *p, const char *end)
{
	if (*p == '\n')
		return 1;
	return *p == '\r' && p + 1 < end && p[1] == '\n' ? 2 : 0;
}

static bool is_hsep(const char *p, const char *end)
{
	return *p == ' ' || *p == '\t' || hdr_break(p, end) > 0;
}

static enum sg_status relaxed_value(struct buf *out, const char *p,
				    const char *end)
{
	enum sg_status st = SG_OK;
	bool space = false, started = false;

	while (p < end && st == SG_OK) {
		const char *q = p;
		size_t brk = hdr_break(p, end);

		if (brk > 0) {
			p += brk;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			space = started;
			p++;
			continue;
		}
		if (space)
			st = buf_putc(out, ' ');
		space = false;
		started = true;
		while (q < end && !is_hsep(q, end))
			q++;
		if (st == SG_OK)
			st = buf_append(out, p, (size_t)(q - p));
		p = q;
	}
	return st;
}

static enum sg_status relaxed_header(const char *f, size_t len,
				     struct buf *out)
{
	const char *end = f + len, *colon = memchr(f, ':', len);
	const char *name_end = colon != NULL ? colon : end;
	enum sg_status st;

	while (name_end > f && is_hsep(name_end - 1, end))
		name_end--;
	st = put_lower(out, f, (size_t)(name_end - f));
	if (st != SG_OK || colon == NULL)
		return st;
	if ((st = buf_putc(out, ':')) != SG_OK)
		return st;
	return relaxed_value(out, colon + 1, end);
}

enum sg_status dkim_canon_header(enum dkim_canon_mode mode,
				 const char *field, size_t len,
				 int no_crlf, struct buf *out)
{
	enum sg_status st;

	if (mode == DKIM_CANON_SIMPLE)
		st = buf_append(out, field, len);
	else
		st = relaxed_header(field, len, out);
	if (st == SG_OK && !no_crlf)
		st = buf_append(out, "\r\n", 2);
	return st;
}

/* ---- names ------------------------------------------------------------- */

static bool canon_word(const char *s, size_t n, enum dkim_canon_mode *m)
{
	if (n == 6 && memcmp(s, "simple", 6) == 0)
		*m = DKIM_CANON_SIMPLE;
	else if (n == 7 && memcmp(s, "relaxed", 7) == 0)
		*m = DKIM_CANON_RELAXED;
	else
		return false;
	return true;
}

enum sg_status dkim_canon_parse(const char *s, enum dkim_canon_mode *hdr,
				enum dkim_canon_mode *body)
{
	const char *slash = strchr(s, '/');
	enum dkim_canon_mode h, b = DKIM_CANON_SIMPLE;

	if (slash == NULL) {
		if (!canon_word(s, strlen(s), &h))
			return SG_E_SYNTAX;
	} else if (!canon_word(s, (size_t)(slash - s), &h) ||
		   !canon_word(slash + 1, strlen(slash + 1), &b)) {
		return SG_E_SYNTAX;
	}
	*hdr = h;
	*body = b;
	return SG_OK;
}

const char *dkim_canon_name(enum dkim_canon_mode mode)
{
	return mode == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}
