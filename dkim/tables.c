/*
 * dkim/tables.c -- OpenDKIM-style KeyTable and SigningTable. See tables.h.
 *
 * Loading runs in three passes so a broken configuration is reported
 * before any key is read or created: parse the KeyTable (syntax, names),
 * parse the SigningTable (syntax, names it refers to), then load every
 * key. A field that starts with '#' begins a comment, as a whole-line
 * '#' does.
 */
#include "tables.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/path.h"
#include "../common/limits.h"

#define MAX_FIELDS	3	/* we need 2; a third means a bad line */

struct sigline {
	char *pattern;		/* lower case */
	size_t key;		/* index into keys */
	bool at;		/* has '@': match local@domain */
};

struct dkim_tables {
	struct dkim_keyentry *keys;
	unsigned *kline;	/* KeyTable line of each key */
	size_t nkeys, akeys;
	struct sigline *sigs;
	size_t nsigs, asigs;
	size_t *slots;		/* name hash: key index + 1, 0 = empty */
	size_t nslots;
};

/* One table file being read. */
struct tfile {
	const char *path;
	FILE *fp;
	unsigned lineno;
	enum sg_status st;	/* why read_line() returned -1 */
	char *err;
	size_t errlen;
	char line[SG_MAX_TABLE_LINE + 1];
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ---- glob ---- */

/* Greedy match that, on a mismatch, goes back only to the last '*' and
 * lets it take one more character: O(len(pattern) * len(s)) at worst,
 * never exponential. */
bool dkim_tables_glob(const char *pattern, const char *s)
{
	const char *p = pattern, *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (*p != '\0' && ascii_lower(*p) == ascii_lower(*s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* ---- reading lines ---- */

/* Read the next line into tf->line. 1: a line; 0: end of file; -1: an
 * error, reported in tf->err and tf->st. */
static int read_line(struct tfile *tf)
{
	size_t n = 0;
	int c;

	if (feof(tf->fp))
		return 0;
	tf->lineno++;
	while ((c = getc(tf->fp)) != EOF && c != '\n') {
		if (n == SG_MAX_TABLE_LINE) {
			seterr(tf->err, tf->errlen, "%s:%u: line is longer "
			       "than %u bytes", tf->path, tf->lineno,
			       SG_MAX_TABLE_LINE);
			tf->st = SG_E_TOOBIG;
			return -1;
		}
		tf->line[n++] = (char)c;
	}
	if (ferror(tf->fp)) {
		seterr(tf->err, tf->errlen, "%s: cannot read: %s", tf->path,
		       strerror(errno));
		tf->st = SG_E_IO;
		return -1;
	}
	if (c == EOF && n == 0)
		return 0;
	if (n > 0 && tf->line[n - 1] == '\r')	/* CRLF file */
		n--;
	tf->line[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char u = (unsigned char)tf->line[i];

		if ((u < 0x20 && u != '\t') || u == 0x7f) {
			seterr(tf->err, tf->errlen, "%s:%u: line contains a "
			       "control character", tf->path, tf->lineno);
			tf->st = SG_E_SYNTAX;
			return -1;
		}
	}
	return 1;
}

/* Split line into blank-separated fields, stopping at a field that
 * starts with '#'. Stores up to max; returns how many there were. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n < max)
			f[n] = p;
		n++;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

static enum sg_status tfile_open(struct tfile *tf, const char *path,
				 char *err, size_t errlen)
{
	tf->path = path;
	tf->lineno = 0;
	tf->st = SG_OK;
	tf->err = err;
	tf->errlen = errlen;
	if ((tf->fp = fopen(path, "re")) == NULL) {
		int e = errno;

		seterr(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return e == ENOENT ? SG_E_NOTFOUND :
		       e == EACCES ? SG_E_PERM : SG_E_IO;
	}
	return SG_OK;
}

typedef enum sg_status line_fn(struct dkim_tables *t, struct tfile *tf,
			       char **f, size_t nf, const char *arg);

/* Open path and hand each non-empty line's fields to fn. */
static enum sg_status each_line(struct dkim_tables *t, struct tfile *tf,
				const char *path, line_fn *fn,
				const char *arg, char *err, size_t errlen)
{
	char *f[MAX_FIELDS];
	enum sg_status st;
	size_t nf;
	int r;

	if ((st = tfile_open(tf, path, err, errlen)) != SG_OK)
		return st;
	while (st == SG_OK && (r = read_line(tf)) != 0) {
		if (r < 0)
			st = tf->st;
		else if ((nf = split_fields(tf->line, f, MAX_FIELDS)) > 0)
			st = fn(t, tf, f, nf, arg);
	}
	fclose(tf->fp);
	return st;
}

/* ---- names ---- */

/* A domain name or selector as RFC 6376 sub-domain *("." sub-domain):
 * labels of letters, digits and '-', not starting or ending with '-'. */
static bool valid_dname(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > SG_MAX_DOMAIN)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (label == 0 && c == '-')
			return false;
		label++;
	}
	return true;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The slot for name: empty or holding that name. */
static size_t *name_slot(const struct dkim_tables *t, const char *name)
{
	size_t mask = t->nslots - 1, i = (size_t)name_hash(name) & mask;

	while (t->slots[i] != 0 &&
	       strcmp(t->keys[t->slots[i] - 1].name, name) != 0)
		i = (i + 1) & mask;
	return &t->slots[i];
}

/* Index of the key called name, or SIZE_MAX. */
static size_t find_key(const struct dkim_tables *t, const char *name)
{
	size_t *slot = name_slot(t, name);

	return *slot == 0 ? SIZE_MAX : *slot - 1;
}

/* Hash every key name; a name twice is an error. */
static enum sg_status index_names(struct dkim_tables *t, const char *kt,
				  char *err, size_t errlen)
{
	size_t n = 16;

	while (n < 2 * t->nkeys)
		n *= 2;
	if ((t->slots = calloc(n, sizeof *t->slots)) == NULL) {
		seterr(err, errlen, "%s: out of memory", kt);
		return SG_E_NOMEM;
	}
	t->nslots = n;
	for (size_t i = 0; i < t->nkeys; i++) {
		size_t *slot = name_slot(t, t->keys[i].name);

		if (*slot != 0) {
			seterr(err, errlen, "%s:%u: duplicate key name '%s' "
			       "(first on line %u)", kt, t->kline[i],
			       t->keys[i].name, t->kline[*slot - 1]);
			return SG_E_SYNTAX;
		}
		*slot = i + 1;
	}
	return SG_OK;
}

/* ---- KeyTable ---- */

/* path as is if absolute, else base/path; malloc'd. */
static char *resolve(const char *base, const char *path)
{
	size_t bl = strlen(base), pl = strlen(path);
	bool slash = bl > 0 && base[bl - 1] == '/';
	char *s;

	if (path[0] == '/')
		return strdup(path);
	if ((s = malloc(bl + 1 + pl + 1)) == NULL)
		return NULL;
	memcpy(s, base, bl);
	if (!slash)
		s[bl++] = '/';
	memcpy(s + bl, path, pl + 1);
	return s;
}

static bool grow(void **arr, size_t *alloc, size_t used, size_t size)
{
	size_t n = *alloc == 0 ? 16 : *alloc * 2;
	void *p;

	if (used < *alloc)
		return true;
	if ((p = realloc(*arr, n * size)) == NULL)
		return false;
	*arr = p;
	*alloc = n;
	return true;
}

/* Room for one more key entry (and its line number). */
static bool grow_keys(struct dkim_tables *t)
{
	size_t a = t->akeys;

	if (!grow((void **)&t->keys, &a, t->nkeys, sizeof *t->keys))
		return false;
	if (a != t->akeys) {
		unsigned *l = realloc(t->kline, a * sizeof *l);

		if (l == NULL)
			return false;	/* keys grew; akeys stays: harmless */
		t->kline = l;
		t->akeys = a;
	}
	return true;
}

/* Split "DOMAIN:SELECTOR:PATH" in place; false if malformed. */
static bool split_value(char *v, char **dom, char **sel, char **path)
{
	char *c1 = strchr(v, ':'), *c2;

	if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
		return false;
	*c1 = *c2 = '\0';
	*dom = v;
	*sel = c1 + 1;
	*path = c2 + 1;
	return **dom != '\0' && **sel != '\0' && **path != '\0';
}

/* Check one KeyTable line's fields and add its entry. */
static enum sg_status add_key(struct dkim_tables *t, struct tfile *tf,
			      char **f, size_t nf, const char *base)
{
	struct dkim_keyentry *e;
	char *dom, *sel, *path;

	if (nf != 2 || !split_value(f[1], &dom, &sel, &path)) {
		seterr(tf->err, tf->errlen, "%s:%u: expected NAME "
		       "DOMAIN:SELECTOR:PATH", tf->path, tf->lineno);
		return SG_E_SYNTAX;
	}
	if (strcmp(dom, "%") != 0 && !valid_dname(dom)) {
		seterr(tf->err, tf->errlen, "%s:%u: invalid domain '%s'",
		       tf->path, tf->lineno, dom);
		return SG_E_SYNTAX;
	}
	if (!valid_dname(sel)) {
		seterr(tf->err, tf->errlen, "%s:%u: invalid selector '%s'",
		       tf->path, tf->lineno, sel);
		return SG_E_SYNTAX;
	}
	if (t->nkeys == SG_MAX_TABLE_ENTRIES) {
		seterr(tf->err, tf->errlen, "%s:%u: more than %u entries",
		       tf->path, tf->lineno, SG_MAX_TABLE_ENTRIES);
		return SG_E_TOOBIG;
	}
	if (!grow_keys(t))
		goto nomem;
	e = &t->keys[t->nkeys];
	memset(e, 0, sizeof *e);
	t->kline[t->nkeys] = tf->lineno;
	t->nkeys++;			/* freed with the tables from here */
	if ((e->name = strdup(f[0])) == NULL ||
	    (e->domain = strdup(dom)) == NULL ||
	    (e->selector = strdup(sel)) == NULL ||
	    (e->path = resolve(base, path)) == NULL)
		goto nomem;
	return SG_OK;
nomem:
	seterr(tf->err, tf->errlen, "%s: out of memory", tf->path);
	return SG_E_NOMEM;
}

static enum sg_status parse_keytable(struct dkim_tables *t, const char *kt,
				     const struct dkim_tables_opts *opts,
				     char *err, size_t errlen)
{
	struct tfile *tf = malloc(sizeof *tf);
	enum sg_status st;
	char *base = NULL;

	if (tf == NULL ||
	    (base = opts->base_dir != NULL ? strdup(opts->base_dir) :
					      path_dir(kt)) == NULL) {
		free(tf);
		seterr(err, errlen, "%s: out of memory", kt);
		return SG_E_NOMEM;
	}
	st = each_line(t, tf, kt, add_key, base, err, errlen);
	free(base);
	free(tf);
	return st;
}

/* ---- SigningTable ---- */

static enum sg_status add_sig(struct dkim_tables *t, struct tfile *tf,
			      char **f, size_t nf, const char *unused)
{
	struct sigline *s;
	const char *at;
	char *pat;
	size_t k;

	if (nf != 2) {
		seterr(tf->err, tf->errlen, "%s:%u: expected PATTERN KEYNAME",
		       tf->path, tf->lineno);
		return SG_E_SYNTAX;
	}
	if ((at = strchr(f[0], '@')) != NULL && strchr(at + 1, '@') != NULL) {
		seterr(tf->err, tf->errlen, "%s:%u: pattern '%s' has more "
		       "than one '@'", tf->path, tf->lineno, f[0]);
		return SG_E_SYNTAX;
	}
	if ((k = find_key(t, f[1])) == SIZE_MAX) {
		seterr(tf->err, tf->errlen, "%s:%u: key name '%s' is not in "
		       "the KeyTable", tf->path, tf->lineno, f[1]);
		return SG_E_NOTFOUND;
	}
	if (t->nsigs == SG_MAX_TABLE_ENTRIES) {
		seterr(tf->err, tf->errlen, "%s:%u: more than %u entries",
		       tf->path, tf->lineno, SG_MAX_TABLE_ENTRIES);
		return SG_E_TOOBIG;
	}
	if (!grow((void **)&t->sigs, &t->asigs, t->nsigs, sizeof *t->sigs) ||
	    (pat = strdup(f[0])) == NULL) {
		seterr(tf->err, tf->errlen, "%s: out of memory", tf->path);
		return SG_E_NOMEM;
	}
	s = &t->sigs[t->nsigs++];
	s->pattern = pat;
	for (char *p = s->pattern; *p != '\0'; p++)
		*p = ascii_lower(*p);
	s->key = k;
	s->at = at != NULL;
	return SG_OK;
}

static enum sg_status parse_signingtable(struct dkim_tables *t,
					 const char *st_path,
					 char *err, size_t errlen)
{
	struct tfile *tf = malloc(sizeof *tf);
	enum sg_status st;

	if (tf == NULL) {
		seterr(err, errlen, "%s: out of memory", st_path);
		return SG_E_NOMEM;
	}
	st = each_line(t, tf, st_path, add_sig, NULL, err, errlen);
	free(tf);
	return st;
}

/* ---- keys ---- */

/* mkdir -p dir, new directories mode 0700. */
static bool make_dirs(const char *dir)
{
	char *d = strdup(dir);
	bool ok = d != NULL;

	for (char *p = d + 1; ok && *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ok = mkdir(d, 0700) == 0 || errno == EEXIST;
		*p = '/';
	}
	ok = ok && (mkdir(d, 0700) == 0 || errno == EEXIST);
	free(d);
	return ok;
}

static bool name_says_ed25519(const char *path)
{
	const char *slash = strrchr(path, '/');

	return strcasestr(slash != NULL ? slash + 1 : path, "ed25519") != NULL;
}

/* Create the missing key file of entry i (and its directory). */
static enum sg_status create_key(const struct dkim_tables *t, size_t i,
				 const char *kt, char *err, size_t errlen)
{
	const struct dkim_keyentry *e = &t->keys[i];
	enum dkim_alg alg = name_says_ed25519(e->path) ?
			    DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256;
	char *dir = path_dir(e->path);
	enum sg_status st;
	const char *why;

	if (dir == NULL) {
		seterr(err, errlen, "%s: out of memory", kt);
		return SG_E_NOMEM;
	}
	if (!make_dirs(dir)) {
		seterr(err, errlen, "%s:%u: cannot create directory %s: %s",
		       kt, t->kline[i], dir, strerror(errno));
		free(dir);
		return SG_E_IO;
	}
	free(dir);
	st = dkim_key_generate(alg, DKIM_RSA_WARN_BITS, e->path, &why);
	if (st != SG_OK)
		seterr(err, errlen, "%s:%u: %s: cannot create key: %s", kt,
		       t->kline[i], e->path, why);
	return st;
}

/* Tell on_created about a new key and its DNS record. */
static enum sg_status announce(const struct dkim_tables *t, size_t i,
			       const struct dkim_tables_opts *opts,
			       const char *kt, char *err, size_t errlen)
{
	char *txt;

	if (opts->on_created == NULL)
		return SG_OK;
	if ((txt = dkim_key_txt(t->keys[i].key)) == NULL) {
		seterr(err, errlen, "%s:%u: %s: cannot make the public key "
		       "record", kt, t->kline[i], t->keys[i].path);
		return SG_E_CRYPTO;
	}
	opts->on_created(opts->arg, &t->keys[i], txt);
	free(txt);
	return SG_OK;
}

/* Load (or create, then load) the key of entry i. */
static enum sg_status load_key(struct dkim_tables *t, size_t i,
			       const struct dkim_tables_opts *opts,
			       const char *kt, char *err, size_t errlen)
{
	struct dkim_keyentry *e = &t->keys[i];
	const char *warn = NULL, *why = NULL;
	bool created = false;
	enum sg_status st;

	st = dkim_key_load(e->path, opts->allow_unsafe_perms, &e->key,
			   &warn, &why);
	if (st == SG_E_NOTFOUND && opts->create_missing_keys) {
		if ((st = create_key(t, i, kt, err, errlen)) != SG_OK)
			return st;
		created = true;
		st = dkim_key_load(e->path, opts->allow_unsafe_perms, &e->key,
				   &warn, &why);
	}
	if (st != SG_OK) {
		seterr(err, errlen, "%s:%u: %s: %s", kt, t->kline[i], e->path,
		       why);
		return st;
	}
	if (warn != NULL && opts->on_warning != NULL) {
		char msg[PATH_MAX + 512];

		snprintf(msg, sizeof msg, "%s:%u: %s: %s", kt, t->kline[i],
			 e->path, warn);
		opts->on_warning(opts->arg, msg);
	}
	return created ? announce(t, i, opts, kt, err, errlen) : SG_OK;
}

/* ---- public ---- */

enum sg_status dkim_tables_load(const char *keytable, const char *signingtable,
				const struct dkim_tables_opts *opts,
				struct dkim_tables **out,
				char *err, size_t errlen)
{
	static const struct dkim_tables_opts defaults;
	struct dkim_tables *t = calloc(1, sizeof *t);
	enum sg_status st;

	*out = NULL;
	seterr(err, errlen, "%s", "");
	if (opts == NULL)
		opts = &defaults;
	if (t == NULL) {
		seterr(err, errlen, "%s: out of memory", keytable);
		return SG_E_NOMEM;
	}
	st = parse_keytable(t, keytable, opts, err, errlen);
	if (st == SG_OK)
		st = index_names(t, keytable, err, errlen);
	if (st == SG_OK)
		st = parse_signingtable(t, signingtable, err, errlen);
	for (size_t i = 0; st == SG_OK && i < t->nkeys; i++)
		st = load_key(t, i, opts, keytable, err, errlen);
	if (st != SG_OK) {
		dkim_tables_free(&t);
		return st;
	}
	*out = t;
	return SG_OK;
}

/* "local@domain" into buf; false if it does not fit. */
static bool make_addr(char *buf, size_t size, const char *local,
		      const char *domain)
{
	int n = snprintf(buf, size, "%s@%s", local != NULL ? local : "",
			 domain);

	return n >= 0 && (size_t)n < size;
}

static bool already(const struct dkim_keyentry **out, size_t n,
		    const struct dkim_keyentry *e)
{
	for (size_t i = 0; i < n; i++)
		if (out[i] == e)
			return true;
	return false;
}

size_t dkim_tables_match(const struct dkim_tables *t, const char *local,
			 const char *domain,
			 const struct dkim_keyentry **out, size_t max)
{
	char addr[SG_MAX_LOCALPART + 1 + SG_MAX_DOMAIN + 1];
	bool have_addr;
	size_t n = 0;

	if (domain == NULL)
		return 0;
	/* An address past the RFC 5321 sizes matches no '@' pattern. */
	have_addr = make_addr(addr, sizeof addr, local, domain);
	for (size_t i = 0; i < t->nsigs && n < max; i++) {
		const struct sigline *s = &t->sigs[i];
		const struct dkim_keyentry *e = &t->keys[s->key];

		if (s->at && !have_addr)
			continue;
		if (dkim_tables_glob(s->pattern, s->at ? addr : domain) &&
		    !already(out, n, e))
			out[n++] = e;
	}
	return n;
}

size_t dkim_tables_nkeys(const struct dkim_tables *t)
{
	return t->nkeys;
}

const struct dkim_keyentry *dkim_tables_key(const struct dkim_tables *t,
					    size_t i)
{
	return i < t->nkeys ? &t->keys[i] : NULL;
}

void dkim_tables_free(struct dkim_tables **tp)
{
	struct dkim_tables *t = *tp;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nkeys; i++) {
		free(t->keys[i].name);
		free(t->keys[i].domain);
		free(t->keys[i].selector);
		free(t->keys[i].path);
		dkim_key_free(&t->keys[i].key);
	}
	for (size_t i = 0; i < t->nsigs; i++)
		free(t->sigs[i].pattern);
	free(t->keys);
	free(t->kline);
	free(t->sigs);
	free(t->slots);
	free(t);
	*tp = NULL;
}
