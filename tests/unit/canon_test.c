/*
 * tests/unit/canon_test.c -- DKIM canonicalization (RFC 6376 3.4):
 * body rules of both modes, the RFC 3.4.6 example, chunking at every
 * split point against one-shot output, l=, large inputs, header fields,
 * and c= parsing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/canon.h"
#include "tests/lib/test.h"

#define S(x) x, sizeof(x) - 1		/* literal with its length (NULs too) */

struct sinkbuf {
	struct buf out;
	size_t calls;
	enum sg_status fail_with;	/* returned from the first call on */
};

static enum sg_status sink(void *arg, const void *p, size_t n)
{
	struct sinkbuf *s = arg;

	s->calls++;
	if (s->fail_with != SG_OK)
		return s->fail_with;
	return buf_append(&s->out, p, n);
}

static void sink_init(struct sinkbuf *s)
{
	buf_init(&s->out, 64u * 1024 * 1024);
	buf_append(&s->out, "", 0);	/* data never NULL, even if empty */
	s->calls = 0;
	s->fail_with = SG_OK;
}

/* Canonicalize in (n bytes) fed as pieces cut at cuts[0..ncut-1]
 * (ascending offsets); the result replaces s->out. Returns the status
 * of the last call. */
static enum sg_status run_cuts(enum dkim_canon_mode m, long long limit,
			       const char *in, size_t n, const size_t *cuts,
			       size_t ncut, struct sinkbuf *s,
			       unsigned long long *length)
{
	struct dkim_canon *c = dkim_canon_new(m, limit, sink, s);
	enum sg_status st = SG_OK;
	size_t at = 0;

	buf_reset(&s->out);
	if (c == NULL)
		return SG_E_NOMEM;
	for (size_t i = 0; i <= ncut && st == SG_OK; i++) {
		size_t to = i < ncut ? cuts[i] : n;

		st = dkim_canon_body(c, in + at, to - at);
		at = to;
	}
	if (st == SG_OK)
		st = dkim_canon_final(c);
	if (length != NULL)
		*length = dkim_canon_length(c);
	dkim_canon_free(&c);
	return st;
}

static enum sg_status run_once(enum dkim_canon_mode m, long long limit,
			       const char *in, size_t n, struct sinkbuf *s)
{
	return run_cuts(m, limit, in, n, NULL, 0, s, NULL);
}

/* Feed in pieces of size step. */
static enum sg_status run_step(enum dkim_canon_mode m, long long limit,
			       const char *in, size_t n, size_t step,
			       struct sinkbuf *s)
{
	struct dkim_canon *c = dkim_canon_new(m, limit, sink, s);
	enum sg_status st = SG_OK;

	buf_reset(&s->out);
	if (c == NULL)
		return SG_E_NOMEM;
	for (size_t at = 0; at < n && st == SG_OK; at += step)
		st = dkim_canon_body(c, in + at, n - at < step ? n - at : step);
	if (st == SG_OK)
		st = dkim_canon_final(c);
	dkim_canon_free(&c);
	return st;
}

struct body_case {
	const char *label;
	const char *in;
	size_t inlen;
	const char *want;
	size_t wantlen;
};

static const struct body_case simple_cases[] = {
	{ "simple-empty-body-is-crlf",		S(""),		S("\r\n") },
	{ "simple-only-crlf",			S("\r\n"),	S("\r\n") },
	{ "simple-only-blank-lines",		S("\r\n\r\n\r\n"), S("\r\n") },
	{ "simple-trailing-blank-lines",	S("a\r\n\r\n\r\n"), S("a\r\n") },
	{ "simple-no-final-crlf",		S("a"),		S("a\r\n") },
	{ "simple-no-final-crlf-after-blank",	S("a\r\n\r\nb"), S("a\r\n\r\nb\r\n") },
	{ "simple-bare-lf-is-line-end",		S("a\nb\n\n"),	S("a\r\nb\r\n") },
	{ "simple-bare-lf-only",		S("\n\n"),	S("\r\n") },
	{ "simple-bare-cr-is-data",		S("a\rb\r\n"),	S("a\rb\r\n") },
	{ "simple-cr-at-end-is-data",		S("a\r"),	S("a\r\r\n") },
	{ "simple-lone-cr",			S("\r"),	S("\r\r\n") },
	{ "simple-cr-cr-lf",			S("a\r\r\n"),	S("a\r\r\n") },
	{ "simple-cr-line-not-blank",		S("a\r\n\r\r\n"), S("a\r\n\r\r\n") },
	{ "simple-whitespace-kept",		S(" a  b \t\r\n"), S(" a  b \t\r\n") },
	{ "simple-wsp-line-is-not-empty",	S("a\r\n \r\n"), S("a\r\n \r\n") },
	{ "simple-inner-blank-lines-kept",	S("a\r\n\r\n\r\nb\r\n"),
						S("a\r\n\r\n\r\nb\r\n") },
	{ "simple-leading-blank-lines-kept",	S("\r\n\r\na\r\n"), S("\r\n\r\na\r\n") },
	{ "simple-8bit-and-nul",		S("\xe9t\xe9\x00\xff\r\n\x80"),
						S("\xe9t\xe9\x00\xff\r\n\x80\r\n") },
	{ "rfc6376-3.4.6-simple-body",		S(" C \r\nD \t E\r\n\r\n\r\n"),
						S(" C \r\nD \t E\r\n") },
};

static const struct body_case relaxed_cases[] = {
	{ "relaxed-empty-body-is-empty",	S(""),		S("") },
	{ "relaxed-only-crlf",			S("\r\n"),	S("") },
	{ "relaxed-only-blank-and-wsp-lines",	S("\r\n \r\n\t\r\n\n"), S("") },
	{ "relaxed-only-wsp",			S("  \t "),	S("") },
	{ "relaxed-single-sp-kept",		S("a b c d\r\n"), S("a b c d\r\n") },
	{ "relaxed-single-sp-before-end",	S("a b \r\nc d \nx y "),
						S("a b\r\nc d\r\nx y\r\n") },
	{ "relaxed-single-tab-becomes-sp",	S("a\tb \tc\r\n"), S("a b c\r\n") },
	{ "relaxed-wsp-runs-one-sp",		S("a  \t b\r\n"), S("a b\r\n") },
	{ "relaxed-line-end-wsp-removed",	S("a \t\r\n"),	S("a\r\n") },
	{ "relaxed-leading-wsp-one-sp",		S(" \t a\r\n"),	S(" a\r\n") },
	{ "relaxed-trailing-blank-lines",	S("a\r\n\r\n\r\n"), S("a\r\n") },
	{ "relaxed-trailing-wsp-lines",		S("a\r\n \r\n\t\t\r\n"), S("a\r\n") },
	{ "relaxed-no-final-crlf",		S("a"),		S("a\r\n") },
	{ "relaxed-no-final-crlf-wsp",		S("a b  "),	S("a b\r\n") },
	{ "relaxed-bare-lf-is-line-end",	S("a \nb\n\n"),	S("a\r\nb\r\n") },
	{ "relaxed-bare-cr-is-data",		S("a \r b\r\n"), S("a \r b\r\n") },
	{ "relaxed-cr-at-end-is-data",		S("a \r"),	S("a \r\r\n") },
	{ "relaxed-cr-wsp-line-end",		S("a\r \r\n"),	S("a\r\r\n") },
	{ "relaxed-cr-cr-lf",			S("a\r\r\n"),	S("a\r\r\n") },
	{ "relaxed-inner-wsp-line-emptied",	S("a\r\n  \r\nb\r\n"),
						S("a\r\n\r\nb\r\n") },
	{ "relaxed-leading-blank-lines-kept",	S("\r\n\r\n b\r\n"), S("\r\n\r\n b\r\n") },
	{ "relaxed-8bit-and-nul",		S("\xe9  \x00\t\xff \r\n"),
						S("\xe9 \x00 \xff\r\n") },
	{ "relaxed-vt-ff-are-not-wsp",		S("a\v \f\r\n"), S("a\v \f\r\n") },
	{ "rfc6376-3.4.6-relaxed-body",		S(" C \r\nD \t E\r\n\r\n\r\n"),
						S(" C\r\nD E\r\n") },
};

static void check_table(enum dkim_canon_mode m, const struct body_case *tc,
			size_t n)
{
	struct sinkbuf s;

	sink_init(&s);
	for (size_t i = 0; i < n; i++) {
		T_EXPECT(run_once(m, -1, tc[i].in, tc[i].inlen, &s) == SG_OK,
			 tc[i].label);
		T_EXPECT_MEM(s.out.data, s.out.len, tc[i].want, tc[i].wantlen,
			     tc[i].label);
	}
	buf_free(&s.out);
}

/* ---- chunk boundaries --------------------------------------------------- */

/* Inputs whose interesting bytes (CR|LF, WSP runs, blank lines) fall on
 * every possible boundary when split at all points. */
static const struct { const char *label, *in; size_t len; } split_inputs[] = {
	{ "split-crlf-pairs",	S("a\r\nb\r\n") },
	{ "split-wsp-runs",	S("a \t  b\t \r\n  c  \r\n") },
	{ "split-trailing-blanks", S("x\r\n\r\n\r\n \r\n\n\r\n") },
	{ "split-inner-blanks",	S("\r\n\r\nx\r\n\r\n \r\ny") },
	{ "split-bare-cr",	S("a\r\rb\r\r\n\r") },
	{ "split-mixed",	S(" C \r\nD \t E\r\n\r\n\r\n") },
	{ "split-8bit",		S("\xc3\xa9 \xff\r\n\x00\t\r") },
	{ "split-lf-only",	S("a\n\n b \n\n") },
};

static const char *mode_label(enum dkim_canon_mode m, const char *label,
			      char *tmp, size_t sz)
{
	snprintf(tmp, sz, "%s %s", dkim_canon_name(m), label);
	return tmp;
}

/* Every 2-way and 3-way split, and byte-at-a-time, equals one-shot. */
static void check_splits(enum dkim_canon_mode m, const char *label,
			 const char *in, size_t n)
{
	struct sinkbuf once, s;
	char lab[128];
	size_t bad2 = 0, bad3 = 0;

	sink_init(&once);
	sink_init(&s);
	run_once(m, -1, in, n, &once);
	mode_label(m, label, lab, sizeof lab);
	for (size_t i = 0; i <= n; i++) {
		run_cuts(m, -1, in, n, &i, 1, &s, NULL);
		bad2 += s.out.len != once.out.len ||
			memcmp(s.out.data, once.out.data, once.out.len) != 0;
		for (size_t j = i; j <= n; j++) {
			size_t cuts[2] = { i, j };

			run_cuts(m, -1, in, n, cuts, 2, &s, NULL);
			bad3 += s.out.len != once.out.len ||
				memcmp(s.out.data, once.out.data,
				       once.out.len) != 0;
		}
	}
	T_EXPECT(bad2 == 0, lab);
	T_EXPECT(bad3 == 0, lab);
	run_step(m, -1, in, n, 1, &s);
	T_EXPECT_MEM(s.out.data, s.out.len, once.out.data, once.out.len, lab);
	buf_free(&once.out);
	buf_free(&s.out);
}

static void test_splits(void)
{
	static const enum dkim_canon_mode modes[] = {
		DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED
	};

	for (size_t k = 0; k < NELEM(modes); k++) {
		for (size_t i = 0; i < NELEM(split_inputs); i++)
			check_splits(modes[k], split_inputs[i].label,
				     split_inputs[i].in, split_inputs[i].len);
		for (size_t i = 0; i < NELEM(simple_cases); i++)
			check_splits(modes[k], simple_cases[i].label,
				     simple_cases[i].in, simple_cases[i].inlen);
		for (size_t i = 0; i < NELEM(relaxed_cases); i++)
			check_splits(modes[k], relaxed_cases[i].label,
				     relaxed_cases[i].in, relaxed_cases[i].inlen);
	}
}

/* ---- l= -------------------------------------------------------------------- */

static void test_limit(void)
{
	static const struct {
		const char *label;
		enum dkim_canon_mode m;
		long long limit;
		const char *in;
		const char *want;
		unsigned long long total;
	} cases[] = {
		{ "limit-zero", DKIM_CANON_SIMPLE, 0, "abc\r\n", "", 5 },
		{ "limit-mid-line", DKIM_CANON_SIMPLE, 2, "abc\r\n", "ab", 5 },
		{ "limit-mid-crlf", DKIM_CANON_SIMPLE, 4, "abc\r\n", "abc\r", 5 },
		{ "limit-exact", DKIM_CANON_SIMPLE, 5, "abc\r\n", "abc\r\n", 5 },
		{ "limit-past-end", DKIM_CANON_SIMPLE, 99, "abc\r\n", "abc\r\n", 5 },
		{ "limit-inside-blank-lines", DKIM_CANON_SIMPLE, 4,
		  "a\r\n\r\nb\r\n", "a\r\n\r", 8 },
		{ "limit-empty-body-simple", DKIM_CANON_SIMPLE, 1, "", "\r", 2 },
		{ "limit-relaxed-counts-canonical", DKIM_CANON_RELAXED, 3,
		  "a    b  \r\n", "a b", 5 },
		{ "limit-relaxed-dropped-trailing", DKIM_CANON_RELAXED, 100,
		  "a\r\n\r\n\r\n", "a\r\n", 3 },
	};
	struct sinkbuf s;

	sink_init(&s);
	for (size_t i = 0; i < NELEM(cases); i++) {
		const char *in = cases[i].in;
		size_t n = strlen(in);
		unsigned long long total = 0;

		for (size_t cut = 0; cut <= n; cut++) {
			run_cuts(cases[i].m, cases[i].limit, in, n, &cut, 1, &s,
				 &total);
			if (s.out.len != strlen(cases[i].want) ||
			    memcmp(s.out.data, cases[i].want, s.out.len) != 0)
				break;
		}
		T_EXPECT_MEM(s.out.data, s.out.len, cases[i].want,
			     strlen(cases[i].want), cases[i].label);
		T_EXPECT(total == cases[i].total, cases[i].label);
	}
	buf_free(&s.out);
}

/* ---- large inputs ----------------------------------------------------------- */

/* A 1 MB line with WSP runs: relaxed squeezes, simple keeps it whole;
 * fed at once, in 4 KB pieces and in odd-sized pieces. */
static void test_long_line(void)
{
	size_t n = 1024 * 1024, i;
	char *in = malloc(n + 2), *rwant = malloc(n + 2);
	size_t rn = 0;
	struct sinkbuf s;
	static const size_t steps[] = { 1 << 20, 4096, 7919, 3 };

	for (i = 0; i < n; i++)
		in[i] = (i % 10 == 7 || i % 10 == 8) ? ' ' : 'a' + i % 7;
	for (i = 0; i < n; i++)
		if (in[i] != ' ' || in[i + 1] != ' ')
			rwant[rn++] = in[i];
	if (rn > 0 && rwant[rn - 1] == ' ')
		rn--;
	memcpy(rwant + rn, "\r\n", 2);
	rn += 2;
	sink_init(&s);
	for (size_t k = 0; k < NELEM(steps); k++) {
		run_step(DKIM_CANON_SIMPLE, -1, in, n, steps[k], &s);
		T_EXPECT(s.out.len == n + 2 && memcmp(s.out.data, in, n) == 0 &&
			 memcmp(s.out.data + n, "\r\n", 2) == 0,
			 "simple-1mb-line");
		run_step(DKIM_CANON_RELAXED, -1, in, n, steps[k], &s);
		T_EXPECT_MEM(s.out.data, s.out.len, rwant, rn,
			     "relaxed-1mb-line");
	}
	free(in);
	free(rwant);
	buf_free(&s.out);
}

/* 200000 trailing empty lines (CRLF, LF, WSP-only) are dropped, kept
 * when data follows; byte at a time too. Memory stays constant. */
static void test_many_blank_lines(void)
{
	size_t lines = 200000, n = 0;
	char *in = malloc(lines * 2 + 16);
	struct sinkbuf s;

	n += (size_t)sprintf(in, "x\r\n");
	for (size_t i = 0; i < lines; i++) {
		memcpy(in + n, i % 3 == 0 ? "\n" : "\r\n", i % 3 == 0 ? 1 : 2);
		n += i % 3 == 0 ? 1 : 2;
	}
	sink_init(&s);
	run_step(DKIM_CANON_SIMPLE, -1, in, n, 1, &s);
	T_EXPECT_MEM(s.out.data, s.out.len, "x\r\n", 3,
		     "simple-many-trailing-blank-lines");
	run_step(DKIM_CANON_RELAXED, -1, in, n, 3, &s);
	T_EXPECT_MEM(s.out.data, s.out.len, "x\r\n", 3,
		     "relaxed-many-trailing-blank-lines");
	memcpy(in + n, "y", 1);
	run_step(DKIM_CANON_SIMPLE, -1, in, n + 1, 5, &s);
	T_EXPECT(s.out.len == 3 + lines * 2 + 3 &&
		 memcmp(s.out.data + s.out.len - 5, "\r\ny\r\n", 5) == 0,
		 "simple-many-blank-lines-then-data");
	buf_free(&s.out);
	free(in);
}

/* Short lines still reach the sink in blocks, not line by line. */
static void test_sink_blocks(void)
{
	size_t n = 1024 * 1024;
	char *in = malloc(n);
	struct sinkbuf s;

	for (size_t i = 0; i < n; i++)
		in[i] = i % 8 == 7 ? '\n' : 'q';
	sink_init(&s);
	run_once(DKIM_CANON_SIMPLE, -1, in, n, &s);
	T_EXPECT(s.out.len == n / 8 * 9 && s.calls <= s.out.len / 8192 + 2,
		 "simple-sink-gets-blocks");
	s.calls = 0;
	run_step(DKIM_CANON_RELAXED, -1, in, n, 100, &s);
	T_EXPECT(s.out.len == n / 8 * 9 && s.calls <= s.out.len / 8192 + 2,
		 "relaxed-sink-gets-blocks");
	free(in);
	buf_free(&s.out);
}

/* The rules applied to the whole body, line by line (RFC 6376 3.4.3,
 * 3.4.4), to check the streaming code against; out has room for 2n + 2
 * bytes. Returns the canonical length. */
static size_t model(enum dkim_canon_mode m, const char *p, size_t n, char *out)
{
	size_t o = 0, keep = 0;

	for (size_t i = 0; i < n;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t j = nl != NULL ? (size_t)(nl - p) : n, end = j, start = o;
		bool wsp = false;

		if (nl != NULL && end > i && p[end - 1] == '\r')
			end--;
		for (size_t k = i; k < end; k++) {
			if (m == DKIM_CANON_RELAXED && (p[k] == ' ' || p[k] == '\t')) {
				wsp = true;
				continue;
			}
			if (wsp)
				out[o++] = ' ';
			wsp = false;
			out[o++] = p[k];
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

/* The fast path takes 64 bytes per step and looks one byte back and one
 * ahead: every special sequence at every offset of a 300-byte body of
 * canonical lines, fed whole, byte by byte, and cut next to a 64-byte
 * step, must give what the model gives. */
static void test_block_positions(void)
{
	static const struct { const char *s; size_t n; } pats[] = {
		{ S("  ") }, { S(" \t") }, { S("\t") }, { S(" \r\n") },
		{ S("\r\n\r\n") }, { S("\n") }, { S("\r") }, { S("\rx") },
		{ S("\r\r\n") }, { S("\n\n") }, { S("\r\n \r\n") },
		{ S(" x") }, { S("\0") },
	};
	static const enum dkim_canon_mode modes[] = {
		DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED
	};
	static const char line[] = "abcd efg hi\r\n";
	char in[400], want[802], lab[64];
	struct sinkbuf s;
	size_t bad = 0, base = 300;

	for (size_t i = 0; i < base; i++)
		in[i] = line[i % (sizeof line - 1)];
	sink_init(&s);
	for (size_t k = 0; k < NELEM(modes); k++) {
		for (size_t pi = 0; pi < NELEM(pats); pi++) {
			for (size_t at = 0; at + pats[pi].n <= base; at++) {
				char body[400];
				size_t n = base, wn, cuts[2] = { 65, 129 + at % 3 };

				memcpy(body, in, base);
				memcpy(body + at, pats[pi].s, pats[pi].n);
				wn = model(modes[k], body, n, want);
				run_once(modes[k], -1, body, n, &s);
				bad += s.out.len != wn || memcmp(s.out.data, want, wn) != 0;
				run_step(modes[k], -1, body, n, 1, &s);
				bad += s.out.len != wn || memcmp(s.out.data, want, wn) != 0;
				run_cuts(modes[k], -1, body, n, cuts, 2, &s, NULL);
				bad += s.out.len != wn || memcmp(s.out.data, want, wn) != 0;
			}
		}
		snprintf(lab, sizeof lab, "%s block positions",
			 dkim_canon_name(modes[k]));
		T_EXPECT(bad == 0, lab);
		bad = 0;
	}
	/* Blank lines at the end, as many as fill more than a step, after
	 * text of every length modulo 64: held back, then dropped; kept
	 * when data follows. */
	for (size_t k = 0; k < NELEM(modes); k++) {
		for (size_t blank = 1; blank <= 40; blank++) {
			for (size_t tail = 0; tail < 128; tail++) {
				char body[400];
				size_t n = 100 + tail / 2, wn;
				size_t cuts[2] = { 64, 65 + blank };

				memcpy(body, in, n);
				for (size_t b = 0; b < blank; b++, n += 2)
					memcpy(body + n, b % 5 == 4 && modes[k] ==
					       DKIM_CANON_RELAXED ? " \n" : "\r\n", 2);
				if (tail % 2)
					body[n++] = 'x';
				wn = model(modes[k], body, n, want);
				run_once(modes[k], -1, body, n, &s);
				bad += s.out.len != wn || memcmp(s.out.data, want, wn) != 0;
				run_cuts(modes[k], -1, body, n, cuts, 2, &s, NULL);
				bad += s.out.len != wn || memcmp(s.out.data, want, wn) != 0;
			}
		}
		snprintf(lab, sizeof lab, "%s trailing blank lines in steps",
			 dkim_canon_name(modes[k]));
		T_EXPECT(bad == 0, lab);
		bad = 0;
	}
	buf_free(&s.out);
}

/* A sink error comes back and sticks; feeding after final is a bug. */
static void test_errors(void)
{
	struct sinkbuf s;
	struct dkim_canon *c;
	char big[40000];

	memset(big, 'z', sizeof big);
	sink_init(&s);
	s.fail_with = SG_E_IO;
	c = dkim_canon_new(DKIM_CANON_SIMPLE, -1, sink, &s);
	T_EXPECT(dkim_canon_body(c, big, sizeof big) == SG_E_IO,
		 "sink-error-returned");
	T_EXPECT(dkim_canon_body(c, "a", 1) == SG_E_IO, "sink-error-sticks");
	T_EXPECT(dkim_canon_final(c) == SG_E_IO, "sink-error-at-final");
	dkim_canon_free(&c);
	T_EXPECT(c == NULL, "free-nulls-pointer");
	dkim_canon_free(&c);

	s.fail_with = SG_OK;
	c = dkim_canon_new(DKIM_CANON_RELAXED, -1, sink, &s);
	T_EXPECT(dkim_canon_body(c, "a", 1) == SG_OK, "body-ok");
	T_EXPECT(dkim_canon_final(c) == SG_OK, "final-ok");
	T_EXPECT(dkim_canon_final(c) == SG_OK, "final-twice-ok");
	T_EXPECT(dkim_canon_body(c, "b", 1) == SG_E_STATE, "body-after-final");
	T_EXPECT(dkim_canon_length(c) == 3, "length-after-final");
	dkim_canon_free(&c);
	buf_free(&s.out);
}

/* ---- headers ------------------------------------------------------------------ */

static void test_headers(void)
{
	static const struct {
		const char *label;
		enum dkim_canon_mode m;
		int no_crlf;
		const char *in, *want;
	} cases[] = {
		{ "rfc6376-3.4.6-relaxed-A", DKIM_CANON_RELAXED, 0,
		  "A: X", "a:X\r\n" },
		{ "rfc6376-3.4.6-relaxed-B", DKIM_CANON_RELAXED, 0,
		  "B : Y\t\r\n\tZ  ", "b:Y Z\r\n" },
		{ "rfc6376-3.4.6-simple-A", DKIM_CANON_SIMPLE, 0,
		  "A: X", "A: X\r\n" },
		{ "rfc6376-3.4.6-simple-B", DKIM_CANON_SIMPLE, 0,
		  "B : Y\t\r\n\tZ  ", "B : Y\t\r\n\tZ  \r\n" },
		{ "relaxed-name-lowercased", DKIM_CANON_RELAXED, 0,
		  "SUBJECT:Hi There", "subject:Hi There\r\n" },
		{ "relaxed-wsp-around-colon", DKIM_CANON_RELAXED, 0,
		  "To \t:  \t a@b", "to:a@b\r\n" },
		{ "relaxed-empty-value", DKIM_CANON_RELAXED, 0,
		  "X-Empty:", "x-empty:\r\n" },
		{ "relaxed-wsp-only-value", DKIM_CANON_RELAXED, 0,
		  "X-Empty: \t ", "x-empty:\r\n" },
		{ "relaxed-fold-at-start", DKIM_CANON_RELAXED, 0,
		  "Subject:\r\n hello", "subject:hello\r\n" },
		{ "relaxed-many-folds", DKIM_CANON_RELAXED, 0,
		  "H: a\r\n\t\r\n b \r\n c", "h:a b c\r\n" },
		{ "relaxed-crlf-removed-not-spaced", DKIM_CANON_RELAXED, 0,
		  "H: a\r\nb", "h:ab\r\n" },
		{ "relaxed-bare-lf-fold", DKIM_CANON_RELAXED, 0,
		  "H: a\n\tb", "h:a b\r\n" },
		{ "relaxed-bare-cr-is-data", DKIM_CANON_RELAXED, 0,
		  "H: a\rb \r", "h:a\rb \r\r\n" },
		{ "relaxed-colon-in-value-kept", DKIM_CANON_RELAXED, 0,
		  "Date: 12:00 : x", "date:12:00 : x\r\n" },
		{ "relaxed-8bit-value", DKIM_CANON_RELAXED, 0,
		  "Subject: caf\xc3\xa9  ol\xc3\xa9", "subject:caf\xc3\xa9 ol\xc3\xa9\r\n" },
		{ "relaxed-no-colon", DKIM_CANON_RELAXED, 0,
		  "Broken Field ", "broken field\r\n" },
		{ "relaxed-no-crlf-for-signature", DKIM_CANON_RELAXED, 1,
		  "DKIM-Signature: v=1;\r\n\tb=", "dkim-signature:v=1; b=" },
		{ "simple-no-crlf-for-signature", DKIM_CANON_SIMPLE, 1,
		  "DKIM-Signature: v=1;\r\n\tb=", "DKIM-Signature: v=1;\r\n\tb=" },
	};
	struct buf out;

	buf_init(&out, 4096);
	for (size_t i = 0; i < NELEM(cases); i++) {
		buf_reset(&out);
		T_EXPECT(dkim_canon_header(cases[i].m, cases[i].in,
					   strlen(cases[i].in),
					   cases[i].no_crlf, &out) == SG_OK,
			 cases[i].label);
		T_EXPECT_MEM(out.data, out.len, cases[i].want,
			     strlen(cases[i].want), cases[i].label);
	}
	buf_free(&out);

	buf_init(&out, 8);
	T_EXPECT(dkim_canon_header(DKIM_CANON_RELAXED, "Subject: too long",
				   17, 0, &out) == SG_E_TOOBIG,
		 "header-respects-buf-cap");
	buf_free(&out);
}

/* ---- c= ---------------------------------------------------------------------------- */

static void test_parse(void)
{
	static const struct {
		const char *in;
		enum sg_status st;
		enum dkim_canon_mode h, b;
	} cases[] = {
		{ "relaxed/relaxed", SG_OK, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED },
		{ "simple/simple", SG_OK, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE },
		{ "relaxed/simple", SG_OK, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE },
		{ "simple/relaxed", SG_OK, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED },
		{ "simple", SG_OK, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE },
		{ "relaxed", SG_OK, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE },
		{ "", SG_E_SYNTAX, 0, 0 },
		{ "relaxed/", SG_E_SYNTAX, 0, 0 },
		{ "/simple", SG_E_SYNTAX, 0, 0 },
		{ "relaxed/simple/simple", SG_E_SYNTAX, 0, 0 },
		{ "relaxed /simple", SG_E_SYNTAX, 0, 0 },
		{ "nofws", SG_E_SYNTAX, 0, 0 },
		{ "simplex", SG_E_SYNTAX, 0, 0 },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		enum dkim_canon_mode h = 9, b = 9;
		enum sg_status st = dkim_canon_parse(cases[i].in, &h, &b);

		T_EXPECT(st == cases[i].st, cases[i].in);
		if (st == SG_OK)
			T_EXPECT(h == cases[i].h && b == cases[i].b,
				 cases[i].in);
		else
			T_EXPECT(h == 9 && b == 9, cases[i].in);
	}
	T_EXPECT_STR(dkim_canon_name(DKIM_CANON_SIMPLE), "simple", "name-simple");
	T_EXPECT_STR(dkim_canon_name(DKIM_CANON_RELAXED), "relaxed",
		     "name-relaxed");
}

int main(void)
{
	check_table(DKIM_CANON_SIMPLE, simple_cases, NELEM(simple_cases));
	check_table(DKIM_CANON_RELAXED, relaxed_cases, NELEM(relaxed_cases));
	test_splits();
	test_limit();
	test_long_line();
	test_many_blank_lines();
	test_sink_blocks();
	test_block_positions();
	test_errors();
	test_headers();
	test_parse();
	return T_DONE("canon_test");
}
