/*
 * tests/lib/test.h -- a tiny unit-test harness.
 * Each T_EXPECT* records a pass or a failure (with file:line and a case
 * label) and carries on; T_DONE() prints "N passed, N failed" and returns
 * the exit status for main().
 */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <stdio.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int t_pass, t_fail;

static inline void t_hexdump(const char *tag, const void *p, size_t n)
{
	const unsigned char *c = p;

	fprintf(stderr, "    %s (%zu): \"", tag, n);
	for (size_t i = 0; i < n && i < 400; i++) {
		if (c[i] >= 0x20 && c[i] < 0x7f && c[i] != '\\')
			fputc(c[i], stderr);
		else
			fprintf(stderr, "\\x%02x", c[i]);
	}
	fprintf(stderr, "%s\"\n", n > 400 ? "..." : "");
}

#define T_EXPECT(cond, label) do { \
	if (cond) t_pass++; \
	else { t_fail++; fprintf(stderr, "FAIL %s:%d [%s]: %s\n", \
				 __FILE__, __LINE__, (label), #cond); } \
} while (0)

#define T_EXPECT_STR(got, want, label) do { \
	const char *t_g = (got), *t_w = (want); \
	if (t_g != NULL && t_w != NULL && strcmp(t_g, t_w) == 0) t_pass++; \
	else { t_fail++; fprintf(stderr, "FAIL %s:%d [%s]: got \"%s\" want \"%s\"\n", \
				 __FILE__, __LINE__, (label), \
				 t_g ? t_g : "(null)", t_w ? t_w : "(null)"); } \
} while (0)

#define T_EXPECT_MEM(got, glen, want, wlen, label) do { \
	size_t t_gl = (glen), t_wl = (wlen); \
	if (t_gl == t_wl && memcmp((got), (want), t_gl) == 0) t_pass++; \
	else { t_fail++; fprintf(stderr, "FAIL %s:%d [%s]\n", __FILE__, __LINE__, (label)); \
	       t_hexdump("got ", (got), t_gl); t_hexdump("want", (want), t_wl); } \
} while (0)

#define T_DONE(name) \
	(printf("%s: %d passed, %d failed\n", (name), t_pass, t_fail), t_fail ? 1 : 0)

#endif
