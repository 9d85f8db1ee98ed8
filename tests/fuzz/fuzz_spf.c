/*
 * tests/fuzz/fuzz_spf.c -- libFuzzer harness for the SPF record parser
 * (spf_record_parse) and the macro checker and expander (all three
 * kinds), no DNS. Checks the contract too: a parsed record's terms
 * hold valid domain-specs, a macro string expands exactly when it
 * checks, a domain expansion is at most 253 bytes, an explanation stays
 * under its cap, and the Received-SPF value built from the bytes holds
 * no line break.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/dns.h"
#include "spf/macro.h"
#include "spf/record.h"
#include "spf/spf.h"

#define EXP_CAP 512u

static const char *ptr_name(void *arg, const char *domain)
{
	return "mx.example.org";
}

static void check_record(const char *s, size_t n)
{
	struct spf_record *r = NULL;
	const char *why = NULL;
	char bad[SPF_BAD_TERM_MAX + 1];
	enum sg_status st = spf_record_parse(s, n, &r, &why, bad);

	if (st != SG_OK) {
		if (r != NULL || why == NULL || strlen(bad) > SPF_BAD_TERM_MAX)
			abort();
		return;
	}
	for (size_t i = 0; i < r->n_terms; i++) {
		const struct spf_term *t = &r->terms[i];

		if (strchr("+-~?", t->qualifier) == NULL || t->text == NULL)
			abort();
		if (t->spec != NULL && spf_domain_spec_check(t->spec, t->spec_len, &why) != SG_OK)
			abort();
		if (t->cidr4 > 32 || t->cidr6 > 128)
			abort();
	}
	if ((r->redirect != NULL &&
	     spf_domain_spec_check(r->redirect, r->redirect_len, &why) != SG_OK) ||
	    (r->exp != NULL && spf_domain_spec_check(r->exp, r->exp_len, &why) != SG_OK))
		abort();
	spf_record_free(&r);
}

static void check_macros(const char *s, size_t n, const char *value)
{
	static const enum spf_macro_kind kinds[] = {
		SPF_MACRO_DOMAIN, SPF_MACRO_EXP, SPF_MACRO_MODIFIER,
	};
	struct spf_macro_ctx c = {
		.sender = value, .local = value, .sender_domain = "example.com",
		.domain = value, .ip = "192.0.2.3", .client = "192.0.2.3", .helo = value,
		.receiver = "mx.example.net", .now = 1700000000, .ptr_name = ptr_name,
	};
	struct buf dom, exp;
	const char *why;
	bool cut;

	buf_init(&dom, 4096);
	buf_init(&exp, EXP_CAP);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		struct buf *b = kinds[k] == SPF_MACRO_DOMAIN ? &dom : &exp;
		bool ok = spf_macro_check(s, n, kinds[k], &why) == SG_OK;
		enum sg_status st = spf_macro_expand(s, n, kinds[k], &c, b, &cut, &why);

		if (st == SG_E_NOMEM)
			continue;
		if (ok != (st == SG_OK))
			abort();
		if (st != SG_OK)
			continue;
		if (kinds[k] == SPF_MACRO_DOMAIN && b->len > DNS_MAX_NAME)
			abort();
		if (b->len > EXP_CAP && b != &dom)
			abort();
	}
	(void)spf_domain_spec_check(s, n, &why);
	buf_free(&dom);
	buf_free(&exp);
}

static void check_header(const char *text)
{
	struct spf_verdict v = { .result = SPF_PERMERROR, .identity = SPF_ID_MAILFROM };
	struct spf_ip ip = { .family = AF_INET, .addr = { 192, 0, 2, 1 } };
	struct buf b;

	strncpy(v.reason, text, sizeof v.reason - 1);
	strncpy(v.mechanism, text, sizeof v.mechanism - 1);
	buf_init(&b, 8192);
	if (spf_received_spf(&b, &v, &ip, text, text, text, false) == SG_OK &&
	    (memchr(b.data, '\n', b.len) != NULL || memchr(b.data, '\r', b.len) != NULL))
		abort();
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *text;
	size_t cut = size < 200 ? size : 200;

	check_record(s, size);
	if ((text = malloc(cut + 1)) == NULL)
		return 0;
	memcpy(text, data, cut);
	text[cut] = '\0';		/* a value taken from the input, too */
	check_macros(s, size, text);
	check_header(text);
	free(text);
	return 0;
}
