/*
 * tests/fuzz/fuzz_verify.c -- libFuzzer harness for dkim/verify.c and
 * dkim/sig.c: DKIM-Signature parsing, header selection, b= removal,
 * body hashing with l=, key rules.
 * Input: the first byte picks options (body chunk size, fail_body_length,
 * max_signatures, clock); the rest is a message. Lines (LF or CRLF) up to
 * the first empty line are header fields, continuation lines folded in
 * with CRLF; the rest is the body. Keys come from a fixed set: the RFC
 * 8463 A.2 records under their names (so the A.3 message passes), and
 * for any other name an answer picked from the name's bytes (RSA,
 * Ed25519, revoked, t=s, not found, temporary failure, bad, none).
 * Every signature must end with a result; only a pass may lack a reason;
 * the strings the verifier hands out must be clean.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/verify.h"

#define RSA_P "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
#define RSA_REC "v=DKIM1; k=rsa; " RSA_P
#define ED_REC "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

enum { K_RSA, K_ED, K_REVOKED, K_STRICT, K_NKEYS };

static const struct dkim_pubkey *key(int which)
{
	static const char *const recs[K_NKEYS] = {
		RSA_REC, ED_REC, "v=DKIM1; p=", "v=DKIM1; t=s:y; " RSA_P,
	};
	static struct dkim_pubkey *keys[K_NKEYS];
	const char *why;

	if (keys[which] == NULL &&
	    dkim_pubkey_parse(recs[which], strlen(recs[which]), &keys[which],
			      &why) != SG_OK)
		abort();
	return keys[which];
}

static void answer(struct dkim_verifier *v, size_t i, const char *name)
{
	unsigned h = 0;

	if (strcmp(name, "brisbane._domainkey.football.example.com") == 0) {
		dkim_verifier_set_key(v, i, DKIM_KEY_OK, key(K_ED), NULL);
		return;
	}
	if (strcmp(name, "test._domainkey.football.example.com") == 0) {
		dkim_verifier_set_key(v, i, DKIM_KEY_OK, key(K_RSA), NULL);
		return;
	}
	for (const char *p = name; *p != '\0'; p++)
		h = h * 31 + (unsigned char)*p;
	switch (h % 8) {
	case 0: case 1: case 2: case 3:
		dkim_verifier_set_key(v, i, DKIM_KEY_OK, key((int)(h % 4)), NULL);
		break;
	case 4:
		dkim_verifier_set_key(v, i, DKIM_KEY_NOTFOUND, NULL, NULL);
		break;
	case 5:
		dkim_verifier_set_key(v, i, DKIM_KEY_TEMPFAIL, NULL, "timeout");
		break;
	case 6:
		dkim_verifier_set_key(v, i, DKIM_KEY_BAD, NULL, "bad record");
		break;
	default:
		break;				/* never answered */
	}
}

static void check_str(const char *s, int allow_ws)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!allow_ws && (*s == ' ' || *s == '\t' || *s == '\r' ||
				  *s == '\n'))
			abort();
}

static void check_results(const struct dkim_verifier *v, size_t count)
{
	const struct dkim_sig_result *r;
	size_t n = 0;

	r = dkim_verifier_results(v, &n);
	if (n != count || (n > 0 && r == NULL))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (r[i].result == DKIM_R_NONE || r[i].result > DKIM_R_PERMERROR ||
		    (r[i].result != DKIM_R_PASS && r[i].reason == NULL) ||
		    r[i].body_length < -1)
			abort();
		check_str(r[i].domain, 0);
		check_str(r[i].selector, 0);
		check_str(r[i].identity, 0);
		check_str(r[i].b, 0);
		check_str(r[i].algorithm, 0);
		if (r[i].domain != NULL && strpbrk(r[i].domain, "();\"") != NULL)
			abort();
	}
}

/* Split text into fields (written into buf, CRLF between folded lines)
 * and feed them; returns the body. */
static const char *feed_headers(struct dkim_verifier *v, const char *p,
				const char *end, char *buf)
{
	size_t blen = 0, start = 0;
	int open = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		size_t n;

		if (le > p && le[-1] == '\r')
			le--;
		n = (size_t)(le - p);
		if (n == 0) {			/* end of header */
			p = nl != NULL ? nl + 1 : end;
			break;
		}
		if (open && (*p == ' ' || *p == '\t')) {
			memcpy(buf + blen, "\r\n", 2);
			blen += 2;
		} else {
			if (open)
				dkim_verifier_header(v, buf + start, blen - start);
			start = blen;
			open = 1;
		}
		memcpy(buf + blen, p, n);
		blen += n;
		p = nl != NULL ? nl + 1 : end;
	}
	if (open)
		dkim_verifier_header(v, buf + start, blen - start);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 64 };
	struct dkim_verify_opts o = { 0 };
	struct dkim_verifier *v;
	const char *p, *end, *body;
	size_t count, chunk;
	char *buf;

	if (size < 1)
		return 0;
	o.max_signatures = 1 + (data[0] & 3);
	o.fail_body_length = (data[0] & 4) != 0;
	o.now = (data[0] & 8) ? 1528637909 : 1700000000;
	o.clock_skew = 300;
	chunk = chunks[(data[0] >> 4) % 6];
	p = (const char *)data + 1;
	end = (const char *)data + size;
	if ((v = dkim_verifier_new(&o)) == NULL ||
	    (buf = malloc(2 * size + 2)) == NULL)
		abort();
	body = feed_headers(v, p, end, buf);
	if (dkim_verifier_eoh(v) != SG_OK)
		abort();
	count = dkim_verifier_count(v);
	for (size_t i = 0; i < count; i++) {
		const char *name = dkim_verifier_key_name(v, i);

		if (name != NULL && strstr(name, "._domainkey.") == NULL)
			abort();
		if (name != NULL)
			answer(v, i, name);
	}
	if (chunk == 0)
		chunk = (size_t)(end - body) + 1;
	for (const char *b = body; b < end; b += chunk)
		dkim_verifier_body(v, b, (size_t)(end - b) < chunk ?
				   (size_t)(end - b) : chunk);
	if (dkim_verifier_eom(v) != SG_OK)
		abort();
	check_results(v, count);
	dkim_verifier_free(&v);
	free(buf);
	return 0;
}
