/*
 * tests/unit/tables_test.c -- dkim/tables.c: KeyTable and SigningTable
 * parsing, every error message with its file:line, matching (wildcards,
 * dual signing, duplicates, case), key creation, and glob speed.
 * Everything lives in a temporary directory: etc/ holds the tables and
 * keys/ the keys made at start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/limits.h"
#include "dkim/tables.h"
#include "tests/lib/test.h"

static char tmpdir[] = "/tmp/signet-tables-test-XXXXXX";
static char kt_path[PATH_MAX], st_path[PATH_MAX];

/* ---- files ---- */

static void put(const char *rel, const char *data, size_t len, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	close(fd);
	chmod(path, mode);
}

static void put_str(const char *rel, const char *text)
{
	put(rel, text, strlen(text), 0644);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

/* Replace @D@ (tmpdir), @KT@ and @ST@ (table paths) in s; malloc'd. */
static char *subst(const char *s)
{
	static const struct { const char *tok; const char *val; } m[] = {
		{ "@D@", tmpdir }, { "@KT@", kt_path }, { "@ST@", st_path },
	};
	char *out = malloc(strlen(s) * 4 + 3 * PATH_MAX + 1), *o = out;

	while (*s != '\0') {
		size_t i;

		for (i = 0; i < NELEM(m); i++)
			if (strncmp(s, m[i].tok, strlen(m[i].tok)) == 0)
				break;
		if (i < NELEM(m)) {
			o = stpcpy(o, m[i].val);
			s += strlen(m[i].tok);
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* ---- callbacks ---- */

struct seen {
	int nwarn, ncreated;
	char warn[4][PATH_MAX + 256];
	char created[4][64];
	char txt[4][1024];
};

static void on_warning(void *arg, const char *msg)
{
	struct seen *s = arg;

	if (s->nwarn < 4)
		snprintf(s->warn[s->nwarn], sizeof s->warn[0], "%s", msg);
	s->nwarn++;
}

static void on_created(void *arg, const struct dkim_keyentry *e,
		       const char *txt)
{
	struct seen *s = arg;

	if (s->ncreated < 4) {
		snprintf(s->created[s->ncreated], sizeof s->created[0], "%s",
			 e->name);
		snprintf(s->txt[s->ncreated], sizeof s->txt[0], "%s", txt);
	}
	s->ncreated++;
}

/* Write both tables (with @D@ replaced) and load them. */
static enum sg_status load(const char *kt, const char *st,
			   const struct dkim_tables_opts *o,
			   struct dkim_tables **t, char *err, size_t errlen)
{
	char *k = subst(kt), *s = subst(st);
	enum sg_status r;

	put_str("etc/KeyTable", k);
	put_str("etc/SigningTable", s);
	free(k);
	free(s);
	r = dkim_tables_load(kt_path, st_path, o, t, err, errlen);
	return r;
}

/* ---- good tables ---- */

static const char good_kt[] =
	"# KeyTable for tests\n"
	"   # indented comment\n"
	"\n"
	"rsa\texample.com:sel-rsa:@D@/keys/rsa.pem\n"
	"ed   example.com:sel-ed:../keys/ed.pem    # trailing comment\n"
	"sub  example.org:s1.sub:../keys/ed.pem\r\n"
	"\t\n"
	"boss example.net:boss:../keys/ed.pem\n"
	"catch example.com:catch:../keys/ed.pem\n"
	"pct  %:any:../keys/rsa.pem";		/* no newline at the end */

static const char good_st[] =
	"# SigningTable\n"
	"*@example.com\trsa\n"
	"*@EXAMPLE.com ed\n"
	"example.com rsa\n"
	"*.example.org sub\n"
	"boss@example.net boss\n"
	"EXAMPLE.NET pct\n"
	"*@*.example.net pct\n";

static void test_good_tables(void)
{
	static const struct { const char *name, *domain, *selector, *path; }
	want[] = {
		{ "rsa", "example.com", "sel-rsa", "@D@/keys/rsa.pem" },
		{ "ed", "example.com", "sel-ed", "@D@/etc/../keys/ed.pem" },
		{ "sub", "example.org", "s1.sub", "@D@/etc/../keys/ed.pem" },
		{ "boss", "example.net", "boss", "@D@/etc/../keys/ed.pem" },
		{ "catch", "example.com", "catch", "@D@/etc/../keys/ed.pem" },
		{ "pct", "%", "any", "@D@/etc/../keys/rsa.pem" },
	};
	struct dkim_tables_opts o = { 0 };
	struct dkim_tables *t = NULL;
	char err[512];

	T_EXPECT(load(good_kt, good_st, &o, &t, err, sizeof err) == SG_OK,
		 "good-load");
	if (t == NULL) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	T_EXPECT(dkim_tables_nkeys(t) == NELEM(want), "good-nkeys");
	for (size_t i = 0; i < NELEM(want) && i < dkim_tables_nkeys(t); i++) {
		const struct dkim_keyentry *e = dkim_tables_key(t, i);
		char *path = subst(want[i].path);

		T_EXPECT_STR(e->name, want[i].name, want[i].name);
		T_EXPECT_STR(e->domain, want[i].domain, want[i].name);
		T_EXPECT_STR(e->selector, want[i].selector, want[i].name);
		T_EXPECT_STR(e->path, path, want[i].name);
		T_EXPECT(e->key != NULL, want[i].name);
		free(path);
	}
	T_EXPECT(dkim_key_alg(dkim_tables_key(t, 0)->key) ==
		 DKIM_ALG_RSA_SHA256, "good-rsa-alg");
	T_EXPECT(dkim_key_alg(dkim_tables_key(t, 1)->key) ==
		 DKIM_ALG_ED25519_SHA256, "good-ed-alg");
	T_EXPECT(dkim_tables_key(t, NELEM(want)) == NULL, "good-key-past-end");
	dkim_tables_free(&t);
	T_EXPECT(t == NULL, "good-free-nulls");
	dkim_tables_free(&t);
}

/* ---- matching ---- */

static void test_match(void)
{
	static const struct {
		const char *label, *local, *domain;
		size_t max;
		const char *want;		/* names, space separated */
	} cases[] = {
		{ "any-at-domain-dual", "alice", "example.com", 8, "rsa ed" },
		{ "case-insensitive", "Alice", "EXAMPLE.COM", 8, "rsa ed" },
		{ "max-1", "alice", "example.com", 1, "rsa" },
		{ "max-0", "alice", "example.com", 0, "" },
		{ "suffix-not-domain", "a", "example.com.evil", 8, "" },
		{ "prefix-not-domain", "a", "notexample.com", 8, "" },
		{ "subdomain-wildcard", "x", "mail.example.org", 8, "sub" },
		{ "deep-subdomain", "x", "a.b.example.org", 8, "sub" },
		{ "star-dot-not-apex", "x", "example.org", 8, "" },
		{ "user-exact", "boss", "example.net", 8, "boss pct" },
		{ "user-exact-case", "BOSS", "example.net", 8, "boss pct" },
		{ "user-other", "other", "example.net", 8, "pct" },
		{ "user-subdomain", "boss", "mx.example.net", 8, "pct" },
		{ "no-match", "a", "example.invalid", 8, "" },
		{ "empty-local", "", "example.com", 8, "rsa ed" },
		{ "null-local", NULL, "example.com", 8, "rsa ed" },
	};
	const struct dkim_keyentry *out[8];
	struct dkim_tables *t = NULL;
	char err[512], got[128];
	char longlocal[SG_MAX_LOCALPART + 300];

	if (load(good_kt, good_st, NULL, &t, err, sizeof err) != SG_OK) {
		T_EXPECT(!"good tables load", err);
		return;
	}
	for (size_t i = 0; i < NELEM(cases); i++) {
		size_t n = dkim_tables_match(t, cases[i].local, cases[i].domain,
					     out, cases[i].max);

		got[0] = '\0';
		for (size_t j = 0; j < n; j++)
			snprintf(got + strlen(got), sizeof got - strlen(got),
				 "%s%s", j ? " " : "", out[j]->name);
		T_EXPECT_STR(got, cases[i].want, cases[i].label);
	}
	/* "%" is passed through for the signer to fill in */
	T_EXPECT(dkim_tables_match(t, "x", "example.net", out, 8) == 1 &&
		 strcmp(out[0]->domain, "%") == 0, "percent-domain");
	/* an over-long local part matches no '@' pattern, domains still do */
	memset(longlocal, 'a', sizeof longlocal - 1);
	longlocal[sizeof longlocal - 1] = '\0';
	T_EXPECT(dkim_tables_match(t, longlocal, "example.com", out, 8) == 1 &&
		 strcmp(out[0]->name, "rsa") == 0, "long-local");
	T_EXPECT(dkim_tables_match(t, "a", NULL, out, 8) == 0, "null-domain");
	dkim_tables_free(&t);
}

static void test_match_catchall(void)
{
	const struct dkim_keyentry *out[8];
	struct dkim_tables *t = NULL;
	char err[512];

	if (load("ed example.com:s:../keys/ed.pem\n"
		 "rsa example.com:s2:../keys/rsa.pem\n",
		 "* ed\n*@* rsa\n*@* ed\n", NULL, &t, err, sizeof err) != SG_OK) {
		T_EXPECT(!"catch-all tables load", err);
		return;
	}
	T_EXPECT(dkim_tables_match(t, "u", "anything.test", out, 8) == 2 &&
		 strcmp(out[0]->name, "ed") == 0 &&
		 strcmp(out[1]->name, "rsa") == 0, "catch-all-dedupe");
	dkim_tables_free(&t);
}

/* ---- errors ---- */

struct errcase {
	const char *label, *kt, *st;
	enum sg_status want;
	const char *err;			/* with @D@, @KT@, @ST@ */
};

static const char ok_kt[] = "rsa example.com:s:../keys/rsa.pem\n";
static const char ok_st[] = "*@example.com rsa\n";

static const struct errcase errcases[] = {
	{ "kt-one-field", "rsa\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: expected NAME DOMAIN:SELECTOR:PATH" },
	{ "kt-three-fields", "# c\nrsa example.com:s:/k extra\n", ok_st,
	  SG_E_SYNTAX, "@KT@:2: expected NAME DOMAIN:SELECTOR:PATH" },
	{ "kt-no-colon", "\n\n\na example.com\n", ok_st, SG_E_SYNTAX,
	  "@KT@:4: expected NAME DOMAIN:SELECTOR:PATH" },
	{ "kt-one-colon", "a example.com:s\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: expected NAME DOMAIN:SELECTOR:PATH" },
	{ "kt-empty-selector", "a example.com::/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: expected NAME DOMAIN:SELECTOR:PATH" },
	{ "kt-empty-path", "a example.com:s:\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: expected NAME DOMAIN:SELECTOR:PATH" },
	{ "kt-empty-domain", "a :s:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: expected NAME DOMAIN:SELECTOR:PATH" },
	{ "kt-domain-underscore", "a exa_mple.com:s:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid domain 'exa_mple.com'" },
	{ "kt-domain-leading-hyphen", "a -bad.com:s:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid domain '-bad.com'" },
	{ "kt-domain-empty-label", "a bad..com:s:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid domain 'bad..com'" },
	{ "kt-domain-trailing-dot", "a bad.com.:s:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid domain 'bad.com.'" },
	{ "kt-domain-percent-plus", "a %x:s:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid domain '%x'" },
	{ "kt-domain-utf8", "a b\xc3\xa4r.de:s:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid domain 'b\xc3\xa4r.de'" },
	{ "kt-selector-dollar", "a example.com:s$l:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid selector 's$l'" },
	{ "kt-selector-trailing-hyphen", "a example.com:sel-:/k\n", ok_st,
	  SG_E_SYNTAX, "@KT@:1: invalid selector 'sel-'" },
	{ "kt-selector-percent", "a %:%:/k\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: invalid selector '%'" },
	{ "kt-duplicate-name",
	  "a example.com:s:../keys/ed.pem\n\nb example.com:t:../keys/ed.pem\n"
	  "a example.com:u:../keys/ed.pem\n", "*@example.com a\n",
	  SG_E_SYNTAX, "@KT@:4: duplicate key name 'a' (first on line 1)" },
	{ "kt-control-char", "a example.com:s:/k\x01\n", ok_st, SG_E_SYNTAX,
	  "@KT@:1: line contains a control character" },
	{ "kt-key-perms", "# x\nloose example.com:s:../keys/loose.pem\n",
	  "*@example.com loose\n", SG_E_PERM,
	  "@KT@:2: @D@/etc/../keys/loose.pem: key file is readable or "
	  "writable by group or others (chmod 600, or set "
	  "allow_unsafe_key_permissions)" },
	{ "kt-key-missing", "rsa example.com:s:../keys/rsa.pem\n"
	  "none example.com:s:../keys/none.pem\n", ok_st, SG_E_NOTFOUND,
	  "@KT@:2: @D@/etc/../keys/none.pem: key file does not exist" },
	{ "kt-key-device", "g example.com:s:/dev/null\n", "", SG_E_IO,
	  "@KT@:1: /dev/null: key file is not a regular file" },
	{ "kt-key-garbage", "g example.com:s:../keys/garbage.pem\n", "",
	  SG_E_SYNTAX, "@KT@:1: @D@/etc/../keys/garbage.pem: key file is "
	  "neither PEM nor base64 of an Ed25519 seed or of a DER private key" },
	{ "st-unknown-name", ok_kt,
	  "\n\n# c\n*@example.com rsa\n\n\nfoo.com foo\n", SG_E_NOTFOUND,
	  "@ST@:7: key name 'foo' is not in the KeyTable" },
	{ "st-name-case-matters", ok_kt, "*@example.com RSA\n", SG_E_NOTFOUND,
	  "@ST@:1: key name 'RSA' is not in the KeyTable" },
	{ "st-one-field", ok_kt, "*@example.com\n", SG_E_SYNTAX,
	  "@ST@:1: expected PATTERN KEYNAME" },
	{ "st-three-fields", ok_kt, "# x\n*@example.com rsa rsa\n",
	  SG_E_SYNTAX, "@ST@:2: expected PATTERN KEYNAME" },
	{ "st-two-ats", ok_kt, "a@b@example.com rsa\n", SG_E_SYNTAX,
	  "@ST@:1: pattern 'a@b@example.com' has more than one '@'" },
	{ "st-control-char", ok_kt, "*@example.com\x7frsa\n", SG_E_SYNTAX,
	  "@ST@:1: line contains a control character" },
};

static void check_err(const char *label, enum sg_status got,
		      enum sg_status want, struct dkim_tables *t,
		      const char *err, const char *want_err)
{
	char *w = subst(want_err);

	T_EXPECT(got == want, label);
	if (got != want)
		fprintf(stderr, "    status %d, err \"%s\"\n", got, err);
	T_EXPECT(t == NULL, label);
	T_EXPECT_STR(err, w, label);
	free(w);
}

static void test_errors(void)
{
	for (size_t i = 0; i < NELEM(errcases); i++) {
		const struct errcase *c = &errcases[i];
		struct dkim_tables *t = (struct dkim_tables *)&t;
		char err[1024];
		enum sg_status st;

		st = load(c->kt, c->st, NULL, &t, err, sizeof err);
		check_err(c->label, st, c->want, t, err, c->err);
		dkim_tables_free(&t);
	}
}

/* Lines longer than the limit, NUL bytes, directories, missing files. */
static void test_file_errors(void)
{
	struct dkim_tables *t = NULL;
	char err[1024], path[PATH_MAX];
	char *line = malloc(SG_MAX_TABLE_LINE + 64);
	enum sg_status st;

	/* a comment of exactly the limit is fine, one byte more is not */
	memset(line, 'x', SG_MAX_TABLE_LINE + 1);
	line[0] = '#';
	line[SG_MAX_TABLE_LINE] = '\n';
	line[SG_MAX_TABLE_LINE + 1] = '\0';
	st = load(line, "", NULL, &t, err, sizeof err);
	T_EXPECT(st == SG_OK, "line-at-limit");
	dkim_tables_free(&t);
	line[SG_MAX_TABLE_LINE] = 'x';
	line[SG_MAX_TABLE_LINE + 1] = '\n';
	line[SG_MAX_TABLE_LINE + 2] = '\0';
	st = load(ok_kt, line, NULL, &t, err, sizeof err);
	check_err("line-over-limit", st, SG_E_TOOBIG, t, err,
		  "@ST@:1: line is longer than 4096 bytes");
	free(line);

	put("etc/KeyTable", "a example.com:s:/k\0\n", 20, 0644);
	put_str("etc/SigningTable", "");
	st = dkim_tables_load(kt_path, st_path, NULL, &t, err, sizeof err);
	check_err("nul-byte", st, SG_E_SYNTAX, t, err,
		  "@KT@:1: line contains a control character");

	snprintf(path, sizeof path, "%s/etc/missing", tmpdir);
	st = dkim_tables_load(path, st_path, NULL, &t, err, sizeof err);
	check_err("kt-missing", st, SG_E_NOTFOUND, t, err,
		  "@D@/etc/missing: cannot open: No such file or directory");

	put_str("etc/KeyTable", ok_kt);
	st = dkim_tables_load(kt_path, path, NULL, &t, err, sizeof err);
	check_err("st-missing", st, SG_E_NOTFOUND, t, err,
		  "@D@/etc/missing: cannot open: No such file or directory");

	snprintf(path, sizeof path, "%s/etc", tmpdir);
	st = dkim_tables_load(path, st_path, NULL, &t, err, sizeof err);
	check_err("kt-is-directory", st, SG_E_IO, t, err,
		  "@D@/etc: cannot read: Is a directory");

	/* a tiny err buffer is truncated, still a string */
	put_str("etc/KeyTable", "rsa\n");
	st = dkim_tables_load(kt_path, st_path, NULL, &t, err, 8);
	T_EXPECT(st == SG_E_SYNTAX && strlen(err) == 7, "err-truncated");
	st = dkim_tables_load(kt_path, st_path, NULL, &t, NULL, 0);
	T_EXPECT(st == SG_E_SYNTAX && t == NULL, "err-null");
}

/* SG_MAX_TABLE_ENTRIES in each table is fine; one more is refused. */
static void test_entry_limits(void)
{
	size_t n = SG_MAX_TABLE_ENTRIES + 1, len = 0;
	char *big = malloc(n * 48), *bigst = malloc(n * 32), err[512];
	const struct dkim_keyentry *out[2];
	struct dkim_tables *t = NULL;
	enum sg_status st;

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(bigst + len, "*@d%zu.example rsa\n", i);
	put("etc/SigningTable", bigst, len, 0644);
	put_str("etc/KeyTable", ok_kt);
	st = dkim_tables_load(kt_path, st_path, NULL, &t, err, sizeof err);
	check_err("st-too-many", st, SG_E_TOOBIG, t, err,
		  "@ST@:100001: more than 100000 entries");
	/* drop the last line: loads, and the last pattern still matches */
	put("etc/SigningTable", bigst, len - strlen(strrchr(bigst, '*')), 0644);
	st = dkim_tables_load(kt_path, st_path, NULL, &t, err, sizeof err);
	T_EXPECT(st == SG_OK, "st-at-limit");
	if (t != NULL)
		T_EXPECT(dkim_tables_match(t, "u", "d99999.example", out, 2)
			 == 1, "st-at-limit-match");
	dkim_tables_free(&t);

	len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(big + len,
				       "k%zu example.com:s:/nonexistent\n", i);
	put("etc/KeyTable", big, len, 0644);
	put_str("etc/SigningTable", "");
	st = dkim_tables_load(kt_path, st_path, NULL, &t, err, sizeof err);
	check_err("kt-too-many", st, SG_E_TOOBIG, t, err,
		  "@KT@:100001: more than 100000 entries");
	free(big);
	free(bigst);
}

/* ---- options ---- */

static void test_options(void)
{
	struct seen seen = { 0 };
	struct dkim_tables_opts o = { .on_warning = on_warning, .arg = &seen };
	struct dkim_tables *t = NULL;
	char err[1024], base[PATH_MAX], cwd[PATH_MAX], *want;

	/* a short RSA key is a warning with file:line */
	T_EXPECT(load("# short key\nold example.com:s:../keys/rsa1024.pem\n",
		      "", &o, &t, err, sizeof err) == SG_OK, "warn-load");
	T_EXPECT(seen.nwarn == 1, "warn-once");
	want = subst("@KT@:2: @D@/etc/../keys/rsa1024.pem: RSA key shorter "
		     "than 2048 bits");
	T_EXPECT_STR(seen.warn[0], want, "warn-text");
	free(want);
	dkim_tables_free(&t);

	/* no callback: fine */
	T_EXPECT(load("old example.com:s:../keys/rsa1024.pem\n", "", NULL, &t,
		      err, sizeof err) == SG_OK, "warn-no-callback");
	dkim_tables_free(&t);

	/* allow_unsafe_perms */
	o.allow_unsafe_perms = true;
	T_EXPECT(load("l example.com:s:../keys/loose.pem\n", "", &o, &t, err,
		      sizeof err) == SG_OK, "unsafe-allowed");
	dkim_tables_free(&t);

	/* base_dir */
	snprintf(base, sizeof base, "%s/keys/", tmpdir);
	o.base_dir = base;
	T_EXPECT(load("e example.com:s:ed.pem\n", "", &o, &t, err,
		      sizeof err) == SG_OK, "base-dir");
	if (t != NULL) {
		want = subst("@D@/keys/ed.pem");
		T_EXPECT_STR(dkim_tables_key(t, 0)->path, want, "base-dir");
		free(want);
	}
	dkim_tables_free(&t);

	/* a KeyTable given without a directory: relative to "." */
	put_str("etc/KeyTable", "e example.com:s:../keys/ed.pem\n");
	put_str("etc/SigningTable", "");
	snprintf(base, sizeof base, "%s/etc", tmpdir);
	if (getcwd(cwd, sizeof cwd) != NULL && chdir(base) == 0) {
		T_EXPECT(dkim_tables_load("KeyTable", "SigningTable", NULL, &t,
					  err, sizeof err) == SG_OK, "cwd-kt");
		if (t != NULL)
			T_EXPECT_STR(dkim_tables_key(t, 0)->path,
				     "./../keys/ed.pem", "cwd-kt");
		dkim_tables_free(&t);
		T_EXPECT(chdir(cwd) == 0, "cwd-back");
	}
}

/* ---- creating keys ---- */

static mode_t mode_of(const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	return stat(path, &sb) == 0 ? sb.st_mode & 07777 : (mode_t)-1;
}

static void test_create(void)
{
	static const char kt[] =
		"new-ed example.com:e:../new/deep/er/dkim-ED25519.pem\n"
		"new-rsa example.com:r:../new/rsa.pem\n"
		"same example.org:r:../new/rsa.pem\n";
	static const char st[] = "*@example.com new-ed\n*@example.com new-rsa\n";
	struct seen seen = { 0 };
	struct dkim_tables_opts o = {
		.create_missing_keys = true, .on_created = on_created,
		.on_warning = on_warning, .arg = &seen,
	};
	struct dkim_tables *t = NULL;
	char err[1024], txt0[1024], txt1[1024];

	/* without the option a missing key is an error */
	T_EXPECT(load(kt, st, NULL, &t, err, sizeof err) == SG_E_NOTFOUND,
		 "create-off");
	T_EXPECT(mode_of("new") == (mode_t)-1, "create-off-no-dir");

	T_EXPECT(load(kt, st, &o, &t, err, sizeof err) == SG_OK, "create");
	if (t == NULL) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	T_EXPECT(seen.ncreated == 2 && seen.nwarn == 0, "create-callbacks");
	T_EXPECT_STR(seen.created[0], "new-ed", "create-first");
	T_EXPECT_STR(seen.created[1], "new-rsa", "create-second");
	T_EXPECT(strncmp(seen.txt[0], "v=DKIM1; k=ed25519; p=", 22) == 0,
		 "create-ed-txt");
	T_EXPECT(strncmp(seen.txt[1], "v=DKIM1; k=rsa; p=MII", 21) == 0,
		 "create-rsa-txt");
	T_EXPECT(dkim_key_alg(dkim_tables_key(t, 0)->key) ==
		 DKIM_ALG_ED25519_SHA256, "create-ed-type");
	T_EXPECT(dkim_key_alg(dkim_tables_key(t, 1)->key) ==
		 DKIM_ALG_RSA_SHA256 &&
		 dkim_key_bits(dkim_tables_key(t, 1)->key) == 2048,
		 "create-rsa-type");
	T_EXPECT(mode_of("new/deep/er/dkim-ED25519.pem") == 0600,
		 "create-ed-mode");
	T_EXPECT(mode_of("new/rsa.pem") == 0600, "create-rsa-mode");
	T_EXPECT(mode_of("new") == 0700 && mode_of("new/deep") == 0700 &&
		 mode_of("new/deep/er") == 0700, "create-dir-modes");
	dkim_tables_free(&t);
	memcpy(txt0, seen.txt[0], sizeof txt0);
	memcpy(txt1, seen.txt[1], sizeof txt1);

	/* second load: nothing new, same keys */
	memset(&seen, 0, sizeof seen);
	T_EXPECT(load(kt, st, &o, &t, err, sizeof err) == SG_OK, "create-again");
	T_EXPECT(seen.ncreated == 0, "create-again-none");
	if (t != NULL) {
		char *a = dkim_key_txt(dkim_tables_key(t, 0)->key);
		char *b = dkim_key_txt(dkim_tables_key(t, 1)->key);

		T_EXPECT_STR(a, txt0, "create-again-same-ed");
		T_EXPECT_STR(b, txt1, "create-again-same-rsa");
		free(a);
		free(b);
	}
	dkim_tables_free(&t);

	/* a directory that cannot be made */
	T_EXPECT(load("x example.com:s:../keys/ed.pem/sub/ed25519.pem\n", "",
		      &o, &t, err, sizeof err) == SG_E_IO, "create-bad-dir");
	{
		char *w = subst("@KT@:1: cannot create directory "
				"@D@/etc/../keys/ed.pem/sub: Not a directory");

		T_EXPECT_STR(err, w, "create-bad-dir");
		free(w);
	}
}

/* ---- glob ---- */

static void test_glob(void)
{
	static const struct { const char *p, *s; bool want; } cases[] = {
		{ "", "", true }, { "", "a", false }, { "*", "", true },
		{ "*", "anything", true }, { "a*", "abc", true },
		{ "*c", "abc", true }, { "a*c", "ac", true },
		{ "a*c", "abdc", true }, { "a*c", "abcd", false },
		{ "*@example.com", "User@Example.COM", true },
		{ "*.example.com", "example.com", false },
		{ "*.example.com", "a.example.com", true },
		{ "**", "x", true }, { "a**b", "ab", true },
		{ "*a*b*c*", "xaybzc", true }, { "*a*b*c*", "xaycbz", false },
		{ "ABC", "abc", true }, { "ab", "abc", false },
		{ "abc", "ab", false }, { "a?c", "abc", false },
		{ "a?c", "a?c", true }, { "*ab", "aab", true },
		{ "*aab", "aaab", true }, { "a*a", "a", false },
	};
	char *s = malloc(20001), pat[256];
	struct timespec t0, t1;
	bool r1, r2, r3;
	double secs;

	for (size_t i = 0; i < NELEM(cases); i++) {
		char label[64];

		snprintf(label, sizeof label, "glob '%s' '%s'", cases[i].p,
			 cases[i].s);
		T_EXPECT(dkim_tables_glob(cases[i].p, cases[i].s) ==
			 cases[i].want, label);
	}
	/* patterns that are exponential for naive backtracking */
	memset(s, 'a', 20000);
	s[20000] = '\0';
	strcpy(pat, "*a*a*a*a*a*a*a*a*a*a*a*a*b");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r1 = dkim_tables_glob(pat, s);
	for (int i = 0; i < 60; i++)
		memcpy(pat + 2 * i, "*a", 2);
	strcpy(pat + 120, "*b");
	r2 = dkim_tables_glob(pat, s);
	s[19999] = 'b';
	r3 = dkim_tables_glob(pat, s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	T_EXPECT(!r1 && !r2 && r3, "glob-pathological-result");
	T_EXPECT(secs < 2.0, "glob-pathological-fast");
	free(s);
}

/* ---- set-up ---- */

static void make_keys(void)
{
	char path[PATH_MAX];
	const char *why;
	EVP_PKEY *pk;
	BIO *bio;
	char *data;
	long n;

	snprintf(path, sizeof path, "%s/etc", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/keys", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/keys/ed.pem", tmpdir);
	if (dkim_key_generate(DKIM_ALG_ED25519_SHA256, 0, path, &why) != SG_OK)
		goto fail;
	snprintf(path, sizeof path, "%s/keys/rsa.pem", tmpdir);
	if (dkim_key_generate(DKIM_ALG_RSA_SHA256, 2048, path, &why) != SG_OK)
		goto fail;
	/* an RSA-1024 key (warning) and a world-readable Ed25519 key */
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	bio = BIO_new(BIO_s_mem());
	if (pk == NULL || bio == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		why = "RSA-1024 key for the warning test";
		goto fail;
	}
	put("keys/rsa1024.pem", data, (size_t)n, 0600);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	snprintf(path, sizeof path, "%s/keys/loose.pem", tmpdir);
	if (dkim_key_generate(DKIM_ALG_ED25519_SHA256, 0, path, &why) != SG_OK)
		goto fail;
	chmod(path, 0644);
	put("keys/garbage.pem", "not a key\n", 10, 0600);
	return;
fail:
	fprintf(stderr, "tables_test: cannot make test keys: %s\n", why);
	exit(2);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(kt_path, sizeof kt_path, "%s/etc/KeyTable", tmpdir);
	snprintf(st_path, sizeof st_path, "%s/etc/SigningTable", tmpdir);
	make_keys();
	test_glob();
	test_good_tables();
	test_match();
	test_match_catchall();
	test_errors();
	test_file_errors();
	test_entry_limits();
	test_options();
	test_create();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return T_DONE("tables_test");
}
