/*
 * tests/unit/psl_test.c -- the Public Suffix List: the list project's own
 * test vectors (test_psl.txt, shipped with Debian's publicsuffix and
 * copied to conformance/dmarc/) against Debian's list, and our own table
 * of rule shapes on a small list in memory.
 *
 * Files: DMARC_PSL (default /usr/share/publicsuffix/public_suffix_list.dat)
 * and DMARC_PSL_TESTS (default: conformance/dmarc/test_psl.txt beside the
 * repository, then Debian's copy).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/psl.h"
#include "tests/lib/test.h"

static bool readable(const char *path)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return false;
	fclose(f);
	return true;
}

static const char *find_tests(void)
{
	static const char *const paths[] = {
		"../shared/conformance/dmarc/test_psl.txt",
		"shared/conformance/dmarc/test_psl.txt",
		"/work/shared/conformance/dmarc/test_psl.txt",
		"/usr/share/doc/publicsuffix/examples/test_psl.txt",
	};
	static char buf[512];
	const char *env = getenv("DMARC_PSL_TESTS"), *shared = getenv("SIGNET_SHARED");

	if (env != NULL)
		return env;
	if (shared != NULL) {
		snprintf(buf, sizeof buf, "%s/conformance/dmarc/test_psl.txt", shared);
		if (readable(buf))
			return buf;
	}
	for (size_t i = 0; i < NELEM(paths); i++)
		if (readable(paths[i]))
			return paths[i];
	return NULL;
}

/* One argument of checkPublicSuffix(...): 'text' or null. */
static const char *arg(const char *p, char *out, size_t outsz, bool *null)
{
	size_t n = 0;

	while (*p == ' ' || *p == ',' || *p == '(')
		p++;
	if (strncmp(p, "null", 4) == 0) {
		*null = true;
		return p + 4;
	}
	*null = false;
	if (*p++ != '\'')
		return NULL;
	while (*p != '\0' && *p != '\'' && n + 1 < outsz)
		out[n++] = *p++;
	out[n] = '\0';
	return *p == '\'' ? p + 1 : NULL;
}

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* The upstream vectors: checkPublicSuffix('input', 'registrable'|null). */
static void test_upstream(const struct dmarc_psl *psl)
{
	const char *path = find_tests();
	char line[1024], in[512], want[512], label[1100];
	int checks = 0;
	FILE *f;

	T_EXPECT(path != NULL, "test_psl.txt found");
	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		const char *p = line;
		bool in_null, want_null;
		long off;

		if (strncmp(p, "checkPublicSuffix(", 18) != 0)
			continue;		/* comments, commented-out checks */
		p += 17;
		if ((p = arg(p, in, sizeof in, &in_null)) == NULL ||
		    arg(p, want, sizeof want, &want_null) == NULL) {
			T_EXPECT(false, line);
			continue;
		}
		if (in_null)
			in[0] = '\0';		/* no name: no registrable domain */
		snprintf(label, sizeof label, "%s -> %s", in_null ? "null" : in,
			 want_null ? "null" : want);
		off = dmarc_psl_registrable(psl, in);
		if (want_null) {
			T_EXPECT(off < 0, label);
		} else {
			char got[512];

			snprintf(got, sizeof got, "%s", off >= 0 ? in + off : "(none)");
			lower(got);
			T_EXPECT_STR(got, want, label);
		}
		checks++;
	}
	fclose(f);
	printf("psl_test: %d upstream checks from %s\n", checks, path);
	T_EXPECT(checks == 78, "78 active checks in test_psl.txt");
}

static const char small_list[] =
	"// a comment\r\n"
	"// ===BEGIN ICANN DOMAINS===\n"
	"tld\n"
	"co.tld\r\n"
	"  spaced.tld   trailing words are ignored\n"
	"*.wild.tld\n"
	"!ok.wild.tld\n"
	"a.*.bad.tld\n"			/* inner wildcard: not supported, skipped */
	"..broken\n"
	"公司.cn\n"
	"Upper.TLD\n"
	"// ===END ICANN DOMAINS===\n"
	"// ===BEGIN PRIVATE DOMAINS===\n"
	"blog.tld\n"
	"// ===END PRIVATE DOMAINS===\n";

static void test_rules(void)
{
	static const struct {
		const char *name, *want;	/* want NULL: none */
		bool icann_only;
	} cases[] = {
		{ "tld", NULL, false },
		{ "x.tld", "x.tld", false },
		{ "a.b.x.tld", "x.tld", false },
		{ "co.tld", NULL, false },
		{ "x.co.tld", "x.co.tld", false },
		{ "y.x.co.tld", "x.co.tld", false },
		{ "x.spaced.tld", "x.spaced.tld", false },
		{ "wild.tld", "wild.tld", false },	/* *.wild.tld says nothing of wild.tld */
		{ "any.wild.tld", NULL, false },
		{ "x.any.wild.tld", "x.any.wild.tld", false },
		{ "ok.wild.tld", "ok.wild.tld", false },	/* exception */
		{ "x.ok.wild.tld", "ok.wild.tld", false },
		{ "x.y.bad.tld", "bad.tld", false },	/* skipped rule: default */
		{ "x.upper.tld", "x.upper.tld", false },	/* rules fold case */
		{ "X.UPPER.TLD", "X.UPPER.TLD", false },
		{ "x.blog.tld", "x.blog.tld", false },
		{ "x.blog.tld", "blog.tld", true },	/* PRIVATE skipped */
		{ "食狮.公司.cn", "食狮.公司.cn", false },
		{ "xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn", false },
		{ "公司.cn", NULL, false },
		{ "xn--55qx5d.cn", NULL, false },
		{ "unlisted", NULL, false },
		{ "a.unlisted", "a.unlisted", false },
		{ "", NULL, false },
		{ ".tld", NULL, false },
		{ "x.tld.", NULL, false },
		{ "x..tld", NULL, false },
		{ ".", NULL, false },
	};
	struct dmarc_psl *all, *icann;
	const char *why = NULL;
	char label[256];

	all = dmarc_psl_from_mem(small_list, sizeof small_list - 1, 0, &why);
	icann = dmarc_psl_from_mem(small_list, sizeof small_list - 1,
				   DMARC_PSL_ICANN_ONLY, &why);
	T_EXPECT(all != NULL && icann != NULL, "small list loads");
	if (all == NULL || icann == NULL)
		goto out;
	T_EXPECT(dmarc_psl_rules(all) == 8, "rules counted (skipped ones not)");
	T_EXPECT(dmarc_psl_rules(icann) == 7, "ICANN-only rules");
	for (size_t i = 0; i < NELEM(cases); i++) {
		long off = dmarc_psl_registrable(cases[i].icann_only ? icann : all,
						 cases[i].name);

		snprintf(label, sizeof label, "%s%s", cases[i].name,
			 cases[i].icann_only ? " (icann)" : "");
		if (cases[i].want == NULL)
			T_EXPECT(off < 0, label);
		else
			T_EXPECT_STR(off >= 0 ? cases[i].name + off : "(none)",
				     cases[i].want, label);
	}
	/* The Organizational Domain of a public suffix is itself. */
	T_EXPECT(dmarc_psl_orgdomain(all, "co.tld") == 0, "org of a suffix");
	T_EXPECT_STR("a.b.x.co.tld" + dmarc_psl_orgdomain(all, "a.b.x.co.tld"),
		     "x.co.tld", "org of a deep name");
	/* References. */
	struct dmarc_psl *ref = dmarc_psl_ref(all);

	T_EXPECT(ref == all, "ref is the same list");
	dmarc_psl_free(&ref);
	T_EXPECT(ref == NULL, "free nulls");
	T_EXPECT(dmarc_psl_registrable(all, "x.tld") == 0, "still usable after one free");
out:
	dmarc_psl_free(&all);
	dmarc_psl_free(&icann);
	dmarc_psl_free(&all);			/* NULL is fine */
}

static void test_load_errors(void)
{
	char err[256] = "";
	struct dmarc_psl *p = dmarc_psl_load("/nonexistent/psl.dat", 0, err, sizeof err);

	T_EXPECT(p == NULL && strstr(err, "/nonexistent/psl.dat") != NULL, "missing file named");
	p = dmarc_psl_load("/dev/null", 0, err, sizeof err);
	T_EXPECT(p == NULL && strstr(err, "no rules") != NULL, "empty file refused");
}

int main(void)
{
	const char *path = getenv("DMARC_PSL");
	char err[512];
	struct dmarc_psl *psl;

	if (path == NULL)
		path = DMARC_PSL_DEFAULT_PATH;
	psl = dmarc_psl_load(path, 0, err, sizeof err);
	T_EXPECT(psl != NULL, "load Debian's public suffix list (package publicsuffix)");
	if (psl == NULL)
		fprintf(stderr, "psl_test: %s\n", err);
	else
		test_upstream(psl);
	dmarc_psl_free(&psl);
	test_rules();
	test_load_errors();
	return T_DONE("psl_test");
}
