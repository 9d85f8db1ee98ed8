/*
 * dkim/verify.c -- DKIM verification, see verify.h. RFC 6376 section 6,
 * RFC 8301, RFC 8463.
 *
 * Life of a message:
 * - header: each field is copied into one buffer (offsets kept, so the
 *   buffer may grow); past SG_MAX_HEADER_BYTES or SG_MAX_HEADERS nothing
 *   more is kept, later DKIM-Signature fields are only counted, and every
 *   signature ends as permerror "header block too large".
 * - eoh: every DKIM-Signature is parsed (dkim/sig.c) and checked against
 *   the clock; those still open get a key name and a body hasher, in
 *   message order, while the max_signatures budget lasts (a signature
 *   already decided by its syntax uses none of it); the rest end as
 *   policy "not checked: too many signatures". Signatures with the same
 *   body canonicalization and l= share one hasher.
 * - body: each chunk goes to every hasher (canonicalizer + SHA-256).
 * - eom: for each open signature, in order: the key answer, the key's
 *   own rules, l= against the body length, bh=, then the header hash
 *   and the public-key check.
 *
 * Option defaults: max_signatures 0 means 5 (at most
 * DKIM_MAX_VERIFY_SIGS); min_rsa_bits below 1024 means 1024 (RFC 8301);
 * now <= 0 means the clock at dkim_verifier_new(); a negative
 * clock_skew means 0.
 */
#include "verify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "../common/buf.h"
#include "../common/hdr.h"
#include "../common/limits.h"
#include "canon.h"
#include "sig.h"

#define SIG_FIELD	"DKIM-Signature"
#define DEFAULT_SIGS	5u
#define MAX_KEY_NAME	253		/* a DNS name in text form */
#define KEY_INFIX	"._domainkey."

#define R_TOOLARGE	"header block too large"
#define R_NOTCHECKED	"not checked: too many signatures"

struct field {
	size_t off, len;
	size_t name_len;		/* SIZE_MAX when there is no colon */
};

/* One body hash: canonical body -> SHA-256. */
struct bodyh {
	enum dkim_canon_mode mode;
	long long limit;
	EVP_MD_CTX *md;
	struct dkim_canon *canon;
	enum sg_status st;		/* sticky error while hashing */
	unsigned char digest[DKIM_BH_LEN];
	unsigned long long total;	/* canonical body bytes, past l= too */
};

struct vsig {
	size_t field;			/* SIZE_MAX: past the header limit */
	struct dkim_sig sig;
	bool decided;
	char *key_name;
	struct bodyh *body;
	bool key_set;
	enum dkim_key_status kst;
	const struct dkim_pubkey *key;	/* borrowed until eom returns */
	const char *kwhy;
	char *alg_copy;			/* an a= we do not know, as written */
};

struct dkim_verifier {
	struct dkim_verify_opts o;
	struct buf hdrs;
	struct field *f;
	size_t nf, af;
	size_t lost;			/* DKIM-Signature fields not kept */
	bool toobig, eoh, eom;
	enum sg_status fatal;		/* OOM in eoh: no verdicts */
	struct vsig *s;
	struct dkim_sig_result *res;
	size_t ns;
	struct bodyh *bh[DKIM_MAX_VERIFY_SIGS];
	size_t nbh;
};

/* ---- body hashers ------------------------------------------------------ */

static enum sg_status bh_sink(void *arg, const void *p, size_t n)
{
	return EVP_DigestUpdate(arg, p, n) == 1 ? SG_OK : SG_E_CRYPTO;
}

static void bodyh_free(struct bodyh **bp)
{
	if (*bp == NULL)
		return;
	dkim_canon_free(&(*bp)->canon);
	EVP_MD_CTX_free((*bp)->md);
	free(*bp);
	*bp = NULL;
}

static struct bodyh *bodyh_new(enum dkim_canon_mode mode, long long limit)
{
	struct bodyh *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	b->mode = mode;
	b->limit = limit;
	if ((b->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(b->md, dkim_sha256(), NULL) != 1 ||
	    (b->canon = dkim_canon_new(mode, limit, bh_sink, b->md)) == NULL)
		bodyh_free(&b);
	return b;
}

static void bodyh_final(struct bodyh *b)
{
	unsigned int n = 0;

	if (b->st == SG_OK)
		b->st = dkim_canon_final(b->canon);
	if (b->st == SG_OK &&
	    (EVP_DigestFinal_ex(b->md, b->digest, &n) != 1 || n != DKIM_BH_LEN))
		b->st = SG_E_CRYPTO;
	b->total = dkim_canon_length(b->canon);
}

/* The hasher for (mode, limit), shared or new; NULL on OOM. */
static struct bodyh *bodyh_get(struct dkim_verifier *v,
			       enum dkim_canon_mode mode, long long limit)
{
	for (size_t i = 0; i < v->nbh; i++)
		if (v->bh[i]->mode == mode && v->bh[i]->limit == limit)
			return v->bh[i];
	if (v->nbh == DKIM_MAX_VERIFY_SIGS)	/* bug: the budget caps it */
		abort();
	if ((v->bh[v->nbh] = bodyh_new(mode, limit)) == NULL)
		return NULL;
	return v->bh[v->nbh++];
}

/* ---- new, header, free ---------------------------------------------------- */

struct dkim_verifier *dkim_verifier_new(const struct dkim_verify_opts *o)
{
	struct dkim_verifier *v = calloc(1, sizeof *v);

	if (v == NULL)
		return NULL;
	v->o = *o;
	if (v->o.max_signatures == 0)
		v->o.max_signatures = DEFAULT_SIGS;
	if (v->o.max_signatures > DKIM_MAX_VERIFY_SIGS)
		v->o.max_signatures = DKIM_MAX_VERIFY_SIGS;
	if (v->o.min_rsa_bits < DKIM_RSA_MIN_BITS)
		v->o.min_rsa_bits = DKIM_RSA_MIN_BITS;
	if (v->o.now <= 0)
		v->o.now = (long long)time(NULL);
	if (v->o.clock_skew < 0)
		v->o.clock_skew = 0;
	buf_init(&v->hdrs, SG_MAX_HEADER_BYTES);
	return v;
}

/* Length of the field name (before ':', trailing WSP dropped), or
 * SIZE_MAX without a colon. */
static size_t name_len(const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);
	size_t n;

	if (colon == NULL)
		return SIZE_MAX;
	n = (size_t)(colon - field);
	while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\t'))
		n--;
	return n;
}

static bool is_sig_field(const char *field, size_t nlen)
{
	return nlen != SIZE_MAX &&
	       hdr_name_cmp(field, nlen, SIG_FIELD, sizeof SIG_FIELD - 1) == 0;
}

static enum sg_status store(struct dkim_verifier *v, const char *field,
			    size_t len, size_t nlen)
{
	size_t off = v->hdrs.len;
	enum sg_status st;

	if (v->nf == SG_MAX_HEADERS)
		return SG_E_TOOBIG;
	if (v->nf == v->af) {
		size_t n = v->af != 0 ? v->af * 2 : 32;
		struct field *f;

		if (n > SG_MAX_HEADERS)
			n = SG_MAX_HEADERS;
		if ((f = realloc(v->f, n * sizeof *f)) == NULL)
			return SG_E_NOMEM;
		v->f = f;
		v->af = n;
	}
	if ((st = buf_append(&v->hdrs, field, len)) != SG_OK)
		return st;
	v->f[v->nf++] = (struct field){ off, len, nlen };
	return SG_OK;
}

enum sg_status dkim_verifier_header(struct dkim_verifier *v, const char *field,
				    size_t len)
{
	size_t nlen = name_len(field, len);
	enum sg_status st;

	if (v->eoh)
		return SG_E_STATE;
	if (!v->toobig) {
		if ((st = store(v, field, len, nlen)) != SG_E_TOOBIG)
			return st;
		v->toobig = true;
	}
	if (is_sig_field(field, nlen) && v->lost < SG_MAX_HEADERS)
		v->lost++;
	return SG_E_TOOBIG;
}

static void free_result(struct dkim_sig_result *r)
{
	free(r->domain);
	free(r->selector);
	free(r->identity);
	free(r->b);
}

void dkim_verifier_free(struct dkim_verifier **vp)
{
	struct dkim_verifier *v;

	if (vp == NULL || (v = *vp) == NULL)
		return;
	for (size_t i = 0; i < v->ns; i++) {
		dkim_sig_clear(&v->s[i].sig);
		free(v->s[i].key_name);
		free(v->s[i].alg_copy);
		free_result(&v->res[i]);
	}
	for (size_t i = 0; i < v->nbh; i++)
		bodyh_free(&v->bh[i]);
	free(v->s);
	free(v->res);
	free(v->f);
	buf_free(&v->hdrs);
	free(v);
	*vp = NULL;
}

/* ---- end of headers -------------------------------------------------------- */

static void decide(struct vsig *s, struct dkim_sig_result *r,
		   enum dkim_result res, const char *reason)
{
	s->decided = true;
	r->result = res;
	r->reason = reason;
}

/* A malloc'd copy of p without FWS bytes; *ok false on OOM. */
static char *copy_nofws(const char *p, size_t n, bool *ok)
{
	char *s = malloc(n + 1);
	size_t k = 0;

	if (s == NULL) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			s[k++] = p[i];
	s[k] = '\0';
	return s;
}

/* sig-a-tag-alg: letters, digits, hyphens (RFC 6376 3.5). */
static bool alg_word(const char *p, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return false;
	return true;
}

/* A static name for the algorithms we know, a copy of any other a=
 * that looks like an algorithm name, else NULL. */
static const char *alg_name(const struct dkim_sig *sig, char **copy, bool *ok)
{
	static const char *const known[] = {
		"rsa-sha256", "ed25519-sha256", "rsa-sha1"
	};

	if (sig->a == NULL || !alg_word(sig->a, sig->a_len))
		return NULL;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i]) == sig->a_len &&
		    memcmp(known[i], sig->a, sig->a_len) == 0)
			return known[i];
	return *copy = copy_nofws(sig->a, sig->a_len, ok);
}

/* The verifier's copies of what the signature says. */
static enum sg_status report(struct vsig *s, struct dkim_sig_result *r)
{
	const struct dkim_sig *g = &s->sig;
	bool ok = true;

	r->body_length = g->l;
	if (g->d != NULL)
		r->domain = copy_nofws(g->d, g->d_len, &ok);
	if (g->s != NULL)
		r->selector = copy_nofws(g->s, g->s_len, &ok);
	if (g->i != NULL)
		r->identity = copy_nofws(g->i, g->i_len, &ok);
	if (g->b != NULL)
		r->b = copy_nofws(g->b, g->b_len, &ok);
	r->algorithm = alg_name(g, &s->alg_copy, &ok);
	return ok ? SG_OK : SG_E_NOMEM;
}

/* t= in the future, x= in the past (beyond the skew): RFC 6376 3.5. */
static const char *clock_check(const struct dkim_verify_opts *o,
			       const struct dkim_sig *g)
{
	/* A t= in the future is not held against the signature: RFC 6376
	 * 3.5 lets verifiers ignore such signatures but does not ask them
	 * to, senders' clocks drift, and x= (which must follow t=) is what
	 * limits a signature's life. */
	if (g->x >= 0 && g->x < o->now && o->now - g->x > o->clock_skew)
		return "signature expired";
	return NULL;
}

/* "selector._domainkey.domain", or NULL (*ok false on OOM). */
static char *key_name(const struct dkim_sig *g, bool *ok)
{
	size_t n = g->s_len + sizeof KEY_INFIX - 1 + g->d_len;
	char *k;

	if (n > MAX_KEY_NAME)
		return NULL;
	if ((k = malloc(n + 1)) == NULL) {
		*ok = false;
		return NULL;
	}
	memcpy(k, g->s, g->s_len);
	memcpy(k + g->s_len, KEY_INFIX, sizeof KEY_INFIX - 1);
	memcpy(k + g->s_len + sizeof KEY_INFIX - 1, g->d, g->d_len);
	k[n] = '\0';
	return k;
}

/* Parse one stored signature field and decide what can be decided. */
static enum sg_status setup_sig(struct dkim_verifier *v, size_t idx,
				struct vsig *s, struct dkim_sig_result *r,
				unsigned *budget)
{
	const struct field *f = &v->f[idx];
	const char *field = v->hdrs.data + f->off;
	const char *why = NULL;
	size_t vstart = f->name_len;
	enum sg_status st;
	bool ok = true;

	s->field = idx;
	while (field[vstart] != ':')		/* the colon exists */
		vstart++;
	vstart++;
	st = dkim_sig_parse(field + vstart, f->len - vstart, &s->sig, &why);
	if (st == SG_E_NOMEM || report(s, r) != SG_OK)
		return SG_E_NOMEM;
	if (st != SG_OK)
		decide(s, r, DKIM_R_PERMERROR, why);
	else if (v->toobig)
		decide(s, r, DKIM_R_PERMERROR, R_TOOLARGE);
	else if ((why = clock_check(&v->o, &s->sig)) != NULL)
		decide(s, r, DKIM_R_PERMERROR, why);
	else if ((s->key_name = key_name(&s->sig, &ok)) == NULL)
		decide(s, r, DKIM_R_PERMERROR, "key record name is too long");
	else if (*budget == 0)
		decide(s, r, DKIM_R_POLICY, R_NOTCHECKED);
	else if ((s->body = bodyh_get(v, s->sig.bcanon, s->sig.l)) != NULL)
		(*budget)--;
	else
		ok = false;
	if (s->decided) {		/* reported already: keep no more */
		dkim_sig_clear(&s->sig);
		free(s->key_name);
		s->key_name = NULL;
	}
	return ok ? SG_OK : SG_E_NOMEM;
}

/* Every signature field, in message order. */
static enum sg_status setup_all(struct dkim_verifier *v)
{
	unsigned budget;
	size_t n = 0, j = 0;
	enum sg_status st;

	for (size_t i = 0; i < v->nf; i++)
		n += is_sig_field(v->hdrs.data + v->f[i].off, v->f[i].name_len);
	if (n + v->lost == 0)
		return SG_OK;
	v->s = calloc(n + v->lost, sizeof *v->s);
	v->res = calloc(n + v->lost, sizeof *v->res);
	if (v->s == NULL || v->res == NULL)
		return SG_E_NOMEM;
	budget = v->o.max_signatures;
	for (size_t i = 0; i < v->nf; i++) {
		if (!is_sig_field(v->hdrs.data + v->f[i].off, v->f[i].name_len))
			continue;
		v->ns = j + 1;		/* so free sees what setup made */
		v->res[j].body_length = -1;
		if ((st = setup_sig(v, i, &v->s[j], &v->res[j], &budget)) != SG_OK)
			return st;
		j++;
	}
	for (; j < n + v->lost; j++) {
		v->s[j].field = SIZE_MAX;
		v->res[j].body_length = -1;
		decide(&v->s[j], &v->res[j], DKIM_R_PERMERROR, R_TOOLARGE);
	}
	v->ns = j;
	return SG_OK;
}

enum sg_status dkim_verifier_eoh(struct dkim_verifier *v)
{
	enum sg_status st;

	if (v->eoh)
		return SG_E_STATE;
	v->eoh = true;
	if ((st = setup_all(v)) != SG_OK)
		v->fatal = st;
	return st;
}

size_t dkim_verifier_count(const struct dkim_verifier *v)
{
	return v->ns;
}

const char *dkim_verifier_key_name(const struct dkim_verifier *v, size_t i)
{
	if (!v->eoh || i >= v->ns || v->s[i].decided)
		return NULL;
	return v->s[i].key_name;
}

/* ---- body, keys ---------------------------------------------------------- */

enum sg_status dkim_verifier_body(struct dkim_verifier *v, const void *p,
				  size_t n)
{
	if (!v->eoh || v->eom)
		return SG_E_STATE;
	for (size_t i = 0; i < v->nbh; i++)
		if (v->bh[i]->st == SG_OK)
			v->bh[i]->st = dkim_canon_body(v->bh[i]->canon, p, n);
	return SG_OK;
}

void dkim_verifier_set_key(struct dkim_verifier *v, size_t i,
			   enum dkim_key_status st,
			   const struct dkim_pubkey *key, const char *why)
{
	struct vsig *s;

	if (!v->eoh || v->eom || i >= v->ns || v->s[i].decided)
		return;
	s = &v->s[i];
	s->key_set = true;
	s->kst = st;
	s->key = st == DKIM_KEY_OK ? key : NULL;
	s->kwhy = why;
}

/* ---- end of message --------------------------------------------------------- */

/* Header hash state: rsa-sha256 streams into EVP_DigestVerify; Ed25519
 * (RFC 8463 section 3) hashes with SHA-256 here and verifies the digest
 * with PureEdDSA at the end, as dkim/sign.c signs it. */
struct hhash {
	EVP_MD_CTX *md;
	EVP_PKEY *pkey;
	enum dkim_alg alg;
	struct buf tmp;
};

static bool hh_update(struct hhash *hh, enum dkim_canon_mode m,
		      const char *p, size_t n, int no_crlf)
{
	buf_reset(&hh->tmp);
	if (dkim_canon_header(m, p, n, no_crlf, &hh->tmp) != SG_OK)
		return false;
	return (hh->alg == DKIM_ALG_ED25519_SHA256 ?
		EVP_DigestUpdate(hh->md, hh->tmp.data, hh->tmp.len) :
		EVP_DigestVerifyUpdate(hh->md, hh->tmp.data, hh->tmp.len)) == 1;
}

/* RFC 6376 5.4.2: for each h= name, the last instance not yet used,
 * from the bottom; a name with none left adds nothing. The signature's
 * own field is never one of them. */
static bool hash_fields(const struct dkim_verifier *v, const struct vsig *s,
			struct hhash *hh, bool *used)
{
	used[s->field] = true;
	for (size_t k = 0; k < s->sig.nh; k++) {
		const struct dkim_sig_hname *h = &s->sig.h[k];

		for (size_t j = v->nf; j-- > 0;) {
			const struct field *f = &v->f[j];
			const char *p = v->hdrs.data + f->off;

			if (used[j] || f->name_len == SIZE_MAX ||
			    hdr_name_cmp(p, f->name_len, h->name, h->len) != 0)
				continue;
			used[j] = true;
			if (!hh_update(hh, s->sig.hcanon, p, f->len, 0))
				return false;
			break;
		}
	}
	return true;
}

/* The signature field with the b= value (and FWS around it) taken out
 * (RFC 6376 3.7), canonicalized without its final CRLF. */
static bool hash_self(const struct dkim_verifier *v, const struct vsig *s,
		      struct hhash *hh, struct buf *self)
{
	const struct field *f = &v->f[s->field];
	const char *p = v->hdrs.data + f->off;
	size_t cut = (size_t)(s->sig.b_raw - p);

	if (buf_append(self, p, cut) != SG_OK ||
	    buf_append(self, p + cut + s->sig.b_raw_len,
		       f->len - cut - s->sig.b_raw_len) != SG_OK)
		return false;
	return hh_update(hh, s->sig.hcanon, self->data, self->len, 1);
}

/* 1: verified, 0: did not (OpenSSL says no for a bad or malformed
 * signature alike), -1: could not check. */
static int hh_final(struct hhash *hh, const struct dkim_sig *g)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dglen = 0;
	EVP_MD_CTX *ed;
	int ok = -1;

	if (hh->alg != DKIM_ALG_ED25519_SHA256)
		return EVP_DigestVerifyFinal(hh->md, g->sig, g->sig_len) == 1;
	if (EVP_DigestFinal_ex(hh->md, dg, &dglen) != 1 ||
	    (ed = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestVerifyInit(ed, NULL, NULL, NULL, hh->pkey) == 1)
		ok = EVP_DigestVerify(ed, g->sig, g->sig_len, dg, dglen) == 1;
	EVP_MD_CTX_free(ed);
	return ok;
}

/* 1: verified, 0: did not, -1: could not check (OOM, OpenSSL). */
static int check_header(const struct dkim_verifier *v, const struct vsig *s,
			EVP_PKEY *pkey)
{
	struct hhash hh = { NULL, pkey, s->sig.alg, { 0 } };
	EVP_PKEY_CTX *pctx = NULL;
	struct buf self;
	bool *used = calloc(v->nf, sizeof *used);
	int r = -1;

	buf_init(&hh.tmp, SG_MAX_HEADER_BYTES + 2);
	buf_init(&self, SG_MAX_HEADER_BYTES);
	ERR_set_mark();
	if (used == NULL || (hh.md = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (hh.alg == DKIM_ALG_ED25519_SHA256 ?
	    EVP_DigestInit_ex(hh.md, dkim_sha256(), NULL) != 1 :
	    (EVP_DigestVerifyInit(hh.md, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0))
		goto out;
	if (hash_fields(v, s, &hh, used) && hash_self(v, s, &hh, &self))
		r = hh_final(&hh, &s->sig);
out:
	ERR_pop_to_mark();
	EVP_MD_CTX_free(hh.md);
	buf_free(&hh.tmp);
	buf_free(&self);
	free(used);
	return r;
}

/* The key answer and the key's own rules (RFC 6376 3.6.1, 6.1.2). */
static const char *key_problem(const struct dkim_verifier *v,
			       const struct vsig *s, struct dkim_sig_result *r,
			       enum dkim_result *res)
{
	const struct dkim_pubkey *k = s->key;

	*res = DKIM_R_PERMERROR;
	if (!s->key_set || (s->kst == DKIM_KEY_OK && k == NULL)) {
		*res = DKIM_R_TEMPERROR;
		return "no key answer";
	}
	switch (s->kst) {
	case DKIM_KEY_TEMPFAIL:
		*res = DKIM_R_TEMPERROR;
		return s->kwhy != NULL ? s->kwhy : "key lookup failed";
	case DKIM_KEY_NOTFOUND:
		return "no key for signature";
	case DKIM_KEY_BAD:
		return s->kwhy != NULL ? s->kwhy : "bad key record";
	case DKIM_KEY_OK:
		break;
	}
	r->key_testing = dkim_pubkey_testing(k);
	r->key_bits = dkim_pubkey_bits(k);
	if (dkim_pubkey_revoked(k))
		return "key revoked";
	if (dkim_pubkey_type(k) != s->sig.alg)
		return "key type does not match algorithm";
	if (!dkim_pubkey_allows_hash(k, "sha256"))
		return "key does not allow sha256 (h=)";
	if (!dkim_pubkey_for_email(k))
		return "key is not for email (s=)";
	if (dkim_pubkey_strict(k) && s->sig.i_below_d)
		return "i= is a subdomain of d= but the key says t=s";
	if (s->sig.alg == DKIM_ALG_RSA_SHA256 &&
	    dkim_pubkey_bits(k) < v->o.min_rsa_bits)
		return "key too short";
	return NULL;
}

/* From fields in the message. RFC 6376 section 8.15: a signature over
 * one of several From fields says nothing about the one a reader sees. */
static size_t count_from(const struct dkim_verifier *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nf; i++)
		if (v->f[i].name_len != SIZE_MAX &&
		    hdr_name_cmp(v->hdrs.data + v->f[i].off, v->f[i].name_len, "From", 4) == 0)
			n++;
	return n;
}

static void check_sig(const struct dkim_verifier *v, struct vsig *s,
		      struct dkim_sig_result *r)
{
	const struct bodyh *b = s->body;
	enum dkim_result res;
	const char *why = key_problem(v, s, r, &res);
	long long l = s->sig.l;
	size_t nfrom;
	int ok;

	if (why != NULL) {
		decide(s, r, res, why);
	} else if (b->st != SG_OK) {
		decide(s, r, DKIM_R_TEMPERROR, "body hash failed");
	} else if (l >= 0 && (unsigned long long)l > b->total) {
		decide(s, r, DKIM_R_FAIL, "l= is longer than the body");
	} else if (memcmp(b->digest, s->sig.bh, DKIM_BH_LEN) != 0) {
		decide(s, r, DKIM_R_FAIL, "body hash did not verify");
	} else if ((ok = check_header(v, s, dkim_pubkey_pkey(s->key))) < 0) {
		decide(s, r, DKIM_R_TEMPERROR, "signature check failed (internal error)");
	} else if (ok == 0) {
		decide(s, r, DKIM_R_FAIL, "signature did not verify");
	} else if ((nfrom = count_from(v)) > 1) {
		decide(s, r, DKIM_R_FAIL, "more than one From field");
	} else if (nfrom == 0) {
		/* RFC 5322 requires one; a signature over its absence must
		 * not vouch for an author (RFC 6376 5.4, 8.15). */
		decide(s, r, DKIM_R_FAIL, "no From field");
	} else if (l >= 0 && (unsigned long long)l < b->total) {
		if (v->o.fail_body_length)
			decide(s, r, DKIM_R_FAIL, "content after l=");
		else
			decide(s, r, DKIM_R_PASS, "l= covers only part of the body");
	} else {
		decide(s, r, DKIM_R_PASS, NULL);
	}
}

enum sg_status dkim_verifier_eom(struct dkim_verifier *v)
{
	enum sg_status st;

	if (!v->eoh && (st = dkim_verifier_eoh(v)) != SG_OK)
		return st;
	if (v->eom)
		return SG_E_STATE;
	if (v->fatal != SG_OK)
		return v->fatal;
	v->eom = true;
	for (size_t i = 0; i < v->nbh; i++)
		bodyh_final(v->bh[i]);
	for (size_t i = 0; i < v->ns; i++) {
		if (!v->s[i].decided)
			check_sig(v, &v->s[i], &v->res[i]);
		v->s[i].key = NULL;		/* borrowed no longer */
		v->s[i].kwhy = NULL;
	}
	return SG_OK;
}

const struct dkim_sig_result *dkim_verifier_results(const struct dkim_verifier *v,
						    size_t *n)
{
	*n = v->eom ? v->ns : 0;
	return v->eom ? v->res : NULL;
}

const char *dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_R_NONE:	return "none";
	case DKIM_R_PASS:	return "pass";
	case DKIM_R_FAIL:	return "fail";
	case DKIM_R_NEUTRAL:	return "neutral";
	case DKIM_R_POLICY:	return "policy";
	case DKIM_R_TEMPERROR:	return "temperror";
	case DKIM_R_PERMERROR:	return "permerror";
	}
	return "permerror";
}
