/*
 * dkim/tables.h -- OpenDKIM-style KeyTable and SigningTable.
 *
 * KeyTable lines:     NAME  DOMAIN:SELECTOR:/path/to/keyfile
 * SigningTable lines: PATTERN  NAME
 * Blank lines and lines whose first non-blank is '#' are ignored; fields
 * are separated by blanks or tabs. DOMAIN "%" means the signing address's
 * domain. PATTERN is matched case-insensitively with '*' as a wildcard
 * (any run of characters, as OpenDKIM's refile: reads it): a pattern with
 * '@' is matched against "local@domain", one without against the domain
 * alone (so "*.example.com" covers subdomains, "example.com" the domain).
 * Every matching SigningTable line signs, in file order, each KeyTable
 * name at most once (dual signing: one RSA and one Ed25519 line).
 *
 * Loading reads and checks every key; all keys are owned by the tables
 * object, which is immutable afterwards and shared by threads.
 */
#ifndef DKIM_TABLES_H
#define DKIM_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include "key.h"

struct dkim_keyentry {
	char *name;
	char *domain;			/* "%" = the From domain */
	char *selector;
	char *path;			/* absolute or as written */
	struct dkim_privkey *key;
};

struct dkim_tables;			/* opaque */

struct dkim_tables_opts {
	bool allow_unsafe_perms;	/* accept group/other readable keys */
	/* A KeyTable key file that does not exist is created (development
	 * set-up): Ed25519 when its file name contains "ed25519", else
	 * RSA-2048. on_created is told about each one. */
	bool create_missing_keys;
	/* Relative key paths are taken relative to this directory (NULL:
	 * the KeyTable's own directory). */
	const char *base_dir;
	/* Told each warning ("file:line: ...") and each created key with
	 * its public TXT record; either may be NULL. */
	void (*on_warning)(void *arg, const char *msg);
	void (*on_created)(void *arg, const struct dkim_keyentry *e,
			   const char *txt);
	void *arg;
};

/* Load both files and every key. On failure err holds
 * "FILE:LINE: problem" (or "FILE: problem") and NULL is stored. */
enum sg_status dkim_tables_load(const char *keytable, const char *signingtable,
				const struct dkim_tables_opts *opts,
				struct dkim_tables **out,
				char *err, size_t errlen);
/* Find the entries that sign mail from local@domain (domain lower case);
 * up to max are stored in out, in SigningTable order, no duplicates.
 * Returns the number found. */
size_t dkim_tables_match(const struct dkim_tables *t, const char *local,
			 const char *domain,
			 const struct dkim_keyentry **out, size_t max);
/* Number of KeyTable entries, and entry i (for listing / checks). */
size_t dkim_tables_nkeys(const struct dkim_tables *t);
const struct dkim_keyentry *dkim_tables_key(const struct dkim_tables *t,
					    size_t i);
/* Glob match used for patterns: '*' any run, case-insensitive. */
bool dkim_tables_glob(const char *pattern, const char *s);
void dkim_tables_free(struct dkim_tables **tp);

#endif
