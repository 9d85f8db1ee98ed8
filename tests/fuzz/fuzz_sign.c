/*
 * tests/fuzz/fuzz_sign.c -- libFuzzer harness for the signing path that
 * sees message headers: header field selection, oversigning, tag-list
 * folding and header canonicalization in dkim_sign(), and the From
 * address parser in front of it.
 * Input: the first byte picks canonicalization and options; the rest is
 * a message whose lines up to the first empty line are header fields
 * ("Name: value", continuation lines folded in with CRLF).
 * Every signature made must be a tag list that starts " v=1; a=" and
 * holds no bare LF or CR (the MTA would mangle it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hdr.h"
#include "dkim/sign.h"

#define MAX_FIELDS 64

/* RFC 8032 7.1 test 1 secret, base64: a key for the harness only. */
static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static struct dkim_privkey *key(void)
{
	static struct dkim_privkey *k;
	const char *warn, *why;

	if (k == NULL && dkim_key_parse(seed, strlen(seed), &k, &warn, &why) != SG_OK)
		abort();
	return k;
}

static void check_value(const char *v)
{
	if (strncmp(v, " v=1; a=", 8) != 0)
		abort();
	for (const char *p = v; *p != '\0'; p++)
		if ((*p == '\n' && (p == v || p[-1] != '\r')) ||
		    (*p == '\r' && p[1] != '\n'))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const over[] = { "From", "Subject" };
	struct dkim_hdr f[MAX_FIELDS];
	unsigned char bh[DKIM_BH_LEN] = { 0 };
	const char *p, *end, *why = NULL;
	size_t nf = 0;
	char *text, *val = NULL, *local = NULL, *domain = NULL;
	uint8_t opt;

	if (size < 1)
		return 0;
	opt = data[0];
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	p = text;
	end = text + size - 1;
	while (p < end && nf < MAX_FIELDS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;

		if (e == p || (e == p + 1 && *p == '\r'))
			break;			/* end of headers */
		while (nl != NULL && nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t')) {
			nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
			e = nl != NULL ? nl : end;
		}
		f[nf].field = p;
		f[nf].len = (size_t)(e - p);
		if (f[nf].len > 0 && p[f[nf].len - 1] == '\r')
			f[nf].len--;
		nf++;
		p = nl != NULL ? nl + 1 : end;
	}
	/* The From parser sees whatever follows the first field's colon. */
	if (nf > 0) {
		const char *colon = memchr(f[0].field, ':', f[0].len);

		if (colon != NULL &&
		    hdr_from_address(colon + 1, f[0].len - (size_t)(colon + 1 - f[0].field),
				     &local, &domain, &why) == SG_OK &&
		    (local == NULL || domain == NULL || domain[0] == '\0'))
			abort();
	}
	struct dkim_sign_req rq = {
		.key = key(),
		.domain = "example.com",
		.selector = "fuzz",
		.identity = (opt & 4) ? "@example.com" : NULL,
		.hcanon = (opt & 1) ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE,
		.bcanon = (opt & 2) ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE,
		.oversign = over,
		.n_oversign = (opt & 8) ? 2 : 0,
		.timestamp = (opt & 16) ? -1 : 1700000000,
		.expire_after = (opt & 32) ? 3600 : 0,
	};
	if (dkim_sign(&rq, f, nf, bh, &val, &why) == SG_OK)
		check_value(val);
	free(val);
	free(local);
	free(domain);
	free(text);
	return 0;
}
