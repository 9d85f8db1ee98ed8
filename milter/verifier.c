/*
 * milter/verifier.c -- see verifier.h.
 */
#include "verifier.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/authres.h"
#include "common/buf.h"
#include "common/hdr.h"
#include "common/limits.h"
#include "dkim/pubkey.h"
#include "dkim/verify.h"

/* Authentication-Results fields we track per message; an MTA's header
 * limits stop far below this. */
#define MAX_AR_TRACKED 100000u
/* header.b: at least this many characters (RFC 6008 section 4). */
#define HEADER_B_MIN 8
/* Our value: a handful of results of a few hundred bytes each. */
#define AR_VALUE_CAP (64u * 1024)

struct verifier {
	const char *authserv_id;
	struct dns_resolver *resolver;
	struct dkim_verifier *dkim;
	struct buf field;		/* scratch: one "Name: value" */
	unsigned ar_seen;		/* Authentication-Results fields so far */
	unsigned *ours;			/* indexes of those claiming our id */
	size_t nours, aours;
	struct dns_query **queries;	/* per signature, NULL when none needed */
	const struct dns_answer **answers;
	size_t nsigs;
	bool eoh_done;
	bool overflow;			/* header block over the limits: not checked */
	struct buf folded, line;
};

struct verifier *verifier_new(const char *authserv_id,
			      const struct sg_verify_conf *vc,
			      struct dns_resolver *resolver, long long now)
{
	struct verifier *v = calloc(1, sizeof *v);
	struct dkim_verify_opts o = {
		.max_signatures = vc->max_signatures,
		.min_rsa_bits = vc->min_rsa_bits,
		.fail_body_length = vc->fail_body_length,
		.now = now,
		.clock_skew = vc->clock_skew,
	};

	if (v == NULL)
		return NULL;
	v->authserv_id = authserv_id;
	v->resolver = resolver;
	buf_init(&v->field, SG_MAX_HEADER_BYTES);
	buf_init(&v->folded, AR_VALUE_CAP);
	buf_init(&v->line, AR_VALUE_CAP);
	if ((v->dkim = dkim_verifier_new(&o)) == NULL) {
		verifier_free(&v);
		return NULL;
	}
	return v;
}

void verifier_free(struct verifier **vp)
{
	struct verifier *v = *vp;

	if (v == NULL)
		return;
	*vp = NULL;
	for (size_t i = 0; i < v->nsigs; i++) {
		if (v->queries != NULL)
			dns_query_free(&v->queries[i]);
		if (v->answers != NULL)
			dns_answer_release(&v->answers[i]);
	}
	free(v->queries);
	free(v->answers);
	dkim_verifier_free(&v->dkim);
	buf_free(&v->field);
	buf_free(&v->folded);
	buf_free(&v->line);
	free(v->ours);
	free(v);
}

static enum sg_status note_ar(struct verifier *v, const char *value)
{
	if (v->ar_seen >= MAX_AR_TRACKED)
		return SG_E_TOOBIG;
	v->ar_seen++;
	if (!authres_claims(value, strlen(value), v->authserv_id))
		return SG_OK;
	if (v->nours == v->aours) {
		size_t n = v->aours ? v->aours * 2 : 4;
		unsigned *p = realloc(v->ours, n * sizeof *p);

		if (p == NULL)
			return SG_E_NOMEM;
		v->ours = p;
		v->aours = n;
	}
	v->ours[v->nours++] = v->ar_seen;
	return SG_OK;
}

enum sg_status verifier_header(struct verifier *v, const char *name,
			       const char *value, bool leadspc)
{
	enum sg_status st;

	if (v->eoh_done)
		return SG_E_STATE;
	if (strcasecmp(name, "Authentication-Results") == 0 &&
	    (st = note_ar(v, value)) != SG_OK)
		return st;
	if (v->overflow)
		return SG_OK;
	buf_reset(&v->field);
	st = hdr_field_build(&v->field, name, value, leadspc);
	if (st == SG_OK)
		st = dkim_verifier_header(v->dkim, v->field.data, v->field.len);
	/* Over the header limits nothing is checked; the message goes on
	 * with a permerror. */
	if (st == SG_E_TOOBIG)
		v->overflow = true;
	return st == SG_E_TOOBIG ? SG_OK : st;
}

enum sg_status verifier_eoh(struct verifier *v)
{
	enum sg_status st;

	if (v->eoh_done)
		return SG_E_STATE;
	v->eoh_done = true;
	buf_free(&v->field);
	if (v->overflow)
		return SG_OK;
	if ((st = dkim_verifier_eoh(v->dkim)) != SG_OK)
		return st;
	v->nsigs = dkim_verifier_count(v->dkim);
	if (v->nsigs == 0)
		return SG_OK;
	v->queries = calloc(v->nsigs, sizeof *v->queries);
	v->answers = calloc(v->nsigs, sizeof *v->answers);
	if (v->queries == NULL || v->answers == NULL)
		return SG_E_NOMEM;
	for (size_t i = 0; i < v->nsigs && v->resolver != NULL; i++) {
		const char *name = dkim_verifier_key_name(v->dkim, i);

		if (name != NULL &&
		    (v->queries[i] = dns_query_start(v->resolver, name, DNS_T_TXT)) == NULL)
			return SG_E_NOMEM;
	}
	return SG_OK;
}

enum sg_status verifier_body(struct verifier *v, const void *p, size_t n)
{
	return v->overflow ? SG_OK : dkim_verifier_body(v->dkim, p, n);
}

/* The parsed key of a TXT answer, cached with it: the first record that
 * parses, or the first record's problem. */
struct parsed_key {
	struct dkim_pubkey *key;
	enum dkim_key_status st;
	const char *why;
};

static void parsed_key_free(void *p)
{
	struct parsed_key *pk = p;

	dkim_pubkey_free(&pk->key);
	free(pk);
}

static void *parsed_key_make(const struct dns_answer *a, void *arg)
{
	struct parsed_key *pk = calloc(1, sizeof *pk);

	if (pk == NULL)
		return NULL;
	pk->st = DKIM_KEY_NOTFOUND;
	pk->why = "no key record";
	for (size_t i = 0; i < a->n; i++) {
		const char *why = NULL;
		enum sg_status st = dkim_pubkey_parse(a->rr[i].data, a->rr[i].len,
						      &pk->key, &why);

		if (st == SG_OK) {
			pk->st = DKIM_KEY_OK;
			pk->why = NULL;
			break;
		}
		if (st == SG_E_NOMEM) {
			free(pk);
			return NULL;
		}
		if (pk->st != DKIM_KEY_BAD) {
			pk->st = DKIM_KEY_BAD;
			pk->why = why != NULL ? why : "bad key record";
		}
	}
	return pk;
}

static void give_key(struct verifier *v, size_t i)
{
	const struct dns_answer *a;
	const struct parsed_key *pk;

	if (v->queries[i] == NULL) {
		if (dkim_verifier_key_name(v->dkim, i) != NULL)
			dkim_verifier_set_key(v->dkim, i, DKIM_KEY_TEMPFAIL, NULL,
					      "no DNS resolver");
		return;
	}
	a = v->answers[i] = dns_query_wait(v->queries[i]);
	switch (a->result) {
	case DNS_OK:
		pk = dns_answer_parsed(a, parsed_key_make, NULL, parsed_key_free);
		if (pk == NULL)
			dkim_verifier_set_key(v->dkim, i, DKIM_KEY_TEMPFAIL, NULL,
					      "out of memory parsing the key");
		else
			dkim_verifier_set_key(v->dkim, i, pk->st, pk->key, pk->why);
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		dkim_verifier_set_key(v->dkim, i, DKIM_KEY_NOTFOUND, NULL,
				      a->result == DNS_NXDOMAIN ? "no key for signature (NXDOMAIN)" :
				      "no key for signature (no TXT record)");
		break;
	case DNS_PERMFAIL:
		dkim_verifier_set_key(v->dkim, i, DKIM_KEY_BAD, NULL,
				      a->why != NULL ? a->why : "key lookup failed");
		break;
	default:
		dkim_verifier_set_key(v->dkim, i, DKIM_KEY_TEMPFAIL, NULL,
				      a->why != NULL ? a->why : "key lookup failed");
		break;
	}
}

/* Characters of b= enough to tell signature i from the others. */
static size_t b_prefix(const struct dkim_sig_result *r, size_t n, size_t i)
{
	size_t blen = strlen(r[i].b), len = HEADER_B_MIN;

	for (size_t j = 0; j < n; j++) {
		if (j == i || r[j].b == NULL)
			continue;
		while (len < blen && strncmp(r[i].b, r[j].b, len) == 0)
			len++;
	}
	return len < blen ? len : blen;
}

static enum sg_status put_dkim(struct buf *b, const struct dkim_sig_result *r,
			       size_t n, size_t i, bool fold)
{
	const struct dkim_sig_result *s = &r[i];
	char comment[512], bpre[256];
	enum sg_status st;

	comment[0] = '\0';
	if (s->reason != NULL)
		snprintf(comment, sizeof comment, "%s", s->reason);
	if (s->key_testing)
		snprintf(comment + strlen(comment), sizeof comment - strlen(comment),
			 "%skey in testing mode", comment[0] ? "; " : "");
	st = authres_result(b, "dkim", dkim_result_name(s->result),
			    comment[0] ? comment : NULL, fold);
	if (st == SG_OK)
		st = authres_prop(b, "header", "d", s->domain);
	if (st == SG_OK)
		st = authres_prop(b, "header", "i", s->identity);
	if (st == SG_OK)
		st = authres_prop(b, "header", "s", s->selector);
	if (st == SG_OK)
		st = authres_prop(b, "header", "a", s->algorithm);
	if (st == SG_OK && s->b != NULL && s->b[0] != '\0') {
		size_t len = b_prefix(r, n, i);

		if (len >= sizeof bpre)
			len = sizeof bpre - 1;
		memcpy(bpre, s->b, len);
		bpre[len] = '\0';
		st = authres_prop(b, "header", "b", bpre);
	}
	return st;
}

static enum sg_status build_ar(struct verifier *v, struct buf *b, bool fold)
{
	const struct dkim_sig_result *r;
	size_t n;
	enum sg_status st;

	buf_reset(b);
	if (fold && (st = buf_putc(b, ' ')) != SG_OK)
		return st;
	if ((st = authres_begin(b, v->authserv_id)) != SG_OK)
		return st;
	if (v->overflow)
		return authres_result(b, "dkim", "permerror",
				      "header block too large to verify", fold);
	r = dkim_verifier_results(v->dkim, &n);
	if (n == 0)
		return authres_result(b, "dkim", "none", NULL, fold);
	for (size_t i = 0; i < n && st == SG_OK; i++)
		st = put_dkim(b, r, n, i, fold);
	return st;
}

enum sg_status verifier_eom(struct verifier *v, const char **why)
{
	enum sg_status st;

	*why = NULL;
	if (!v->eoh_done && (st = verifier_eoh(v)) != SG_OK) {
		*why = "cannot parse the signatures (out of memory)";
		return st;
	}
	for (size_t i = 0; i < v->nsigs; i++)
		give_key(v, i);
	if (!v->overflow && (st = dkim_verifier_eom(v->dkim)) != SG_OK) {
		*why = "DKIM verification failed internally";
		return st;
	}
	if (build_ar(v, &v->folded, true) != SG_OK ||
	    build_ar(v, &v->line, false) != SG_OK) {
		*why = "cannot build the Authentication-Results field";
		return SG_E_NOMEM;
	}
	return SG_OK;
}

const char *verifier_ar_folded(const struct verifier *v)
{
	return v->folded.data != NULL ? v->folded.data : "";
}

const char *verifier_ar_line(const struct verifier *v)
{
	return v->line.data != NULL ? v->line.data : "";
}

const unsigned *verifier_ar_ours(const struct verifier *v, size_t *n)
{
	*n = v->nours;
	return v->ours;
}
