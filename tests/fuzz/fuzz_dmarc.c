/*
 * tests/fuzz/fuzz_dmarc.c -- libFuzzer harness for the DMARC parsers:
 * dmarc_record_parse() on the raw bytes, and on a NUL-terminated copy
 * dmarc_psl_registrable() (Debian's list when installed, else a small
 * built-in one), dmarc_domain_norm() and dmarc_authors() (one From field).
 * Checks the contracts as well as memory safety: a usable record has a
 * policy, URIs are clean, a registrable domain is a label-aligned suffix,
 * a canonical domain is canonical and stays itself when normalized again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/author.h"
#include "dmarc/domain.h"
#include "dmarc/psl.h"
#include "dmarc/record.h"

static void check_record(const uint8_t *data, size_t size)
{
	struct dmarc_record r, c;
	const char *why = NULL;

	if (dmarc_record_parse((const char *)data, size, &r, &why) != SG_OK)
		return;
	if ((r.usable && r.p == DMARC_REQ_UNSET) || (!r.usable && why == NULL) ||
	    r.pct > 100 || r.n_rua > DMARC_MAX_URIS || r.n_ruf > DMARC_MAX_URIS)
		abort();
	for (size_t i = 0; i < r.n_rua + r.n_ruf; i++) {
		const char *u = i < r.n_rua ? r.rua[i] : r.ruf[i - r.n_rua];

		if (strchr(u, ':') == NULL || strpbrk(u, " \t\r\n;,!") != NULL)
			abort();
	}
	if (dmarc_record_copy(&c, &r) == SG_OK) {
		if (c.n_rua != r.n_rua || (c.n_rua > 0 && strcmp(c.rua[0], r.rua[0]) != 0))
			abort();
		dmarc_record_clear(&c);
	}
	dmarc_record_clear(&r);
}

static const struct dmarc_psl *psl(void)
{
	static const char builtin[] = "com\nco.uk\nuk\n*.ck\n!www.ck\n公司.cn\ncn\n";
	static struct dmarc_psl *p;
	char err[256];
	const char *why;

	if (p == NULL && (p = dmarc_psl_load(DMARC_PSL_DEFAULT_PATH, 0, err, sizeof err)) == NULL)
		p = dmarc_psl_from_mem(builtin, sizeof builtin - 1, 0, &why);
	return p;
}

static void check_name(const char *name, size_t len)
{
	char out[DNS_MAX_NAME + 1], again[DNS_MAX_NAME + 1];
	const char *why;
	long off = psl() != NULL ? dmarc_psl_registrable(psl(), name) : -1;

	if (off > (long)len || (off > 0 && name[off - 1] != '.'))
		abort();
	if (dmarc_domain_norm(name, len, out, &why) != SG_OK)
		return;
	if (out[0] == '\0' || out[0] == '.' || out[strlen(out) - 1] == '.' ||
	    strlen(out) > DNS_MAX_NAME || strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(out))
		abort();
	if (dmarc_domain_norm(out, strlen(out), again, &why) != SG_OK || strcmp(out, again) != 0)
		abort();
	if (psl() != NULL && dmarc_psl_orgdomain(psl(), out) > strlen(out))
		abort();
}

static void check_authors(const char *v, size_t len)
{
	struct dmarc_authors au;
	const char *vals[1] = { v };
	size_t lens[1] = { len };
	enum sg_status st = dmarc_authors(vals, lens, 1, 0, &au);

	if ((st == SG_OK) != (au.n > 0) || au.n > DMARC_MAX_AUTHORS || (st != SG_OK && !au.reject))
		abort();
	for (size_t i = 0; i < au.n; i++)
		if (au.domain[i][0] == '\0' || strpbrk(au.domain[i], "@<>()\" \t\r\n") != NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	check_record(data, size);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_name(text, strlen(text));
	check_authors(text, size);
	free(text);
	return 0;
}
