/*
 * dkim/sign.c -- see sign.h. RFC 6376 sections 3.5, 3.7, 5.4; RFC 8463.
 *
 * dkim_sign() works in four steps: pick the header instances to sign
 * (5.4.2: each present instance, bottom-up, plus one empty entry per
 * oversigned name), write the tag list up to "b=" folded to
 * SIGN_WIDTH columns, hash the canonical picked fields and then the
 * canonical DKIM-Signature field itself (that text, ending in an empty
 * b=, no CRLF: 3.7), and append the folded base64 signature.
 * rsa-sha256 signs the header data with RSASSA-PKCS1-v1_5/SHA-256;
 * ed25519-sha256 (RFC 8463 section 3) signs the SHA-256 digest of the
 * header data with PureEdDSA. The key is shared read-only; every
 * OpenSSL context here is made and freed per call.
 */
#include "sign.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/rsa.h>

#include "../common/b64.h"
#include "../common/limits.h"

#define SIGN_WIDTH	78		/* RFC 5322 2.1.1 line length */
#define SIGN_HDR_NAME	"DKIM-Signature:"
#define SIGN_MAX_SIG	1024		/* RSA-8192 signature is 1024 bytes */
#define SIGN_TAGS_CAP	(1024u * 1024)	/* h= of SG_MAX_HEADERS names */

/* ---- body hash ---------------------------------------------------------- */

struct dkim_bodyhash {
	EVP_MD_CTX *md;
	struct dkim_canon *canon;
	bool done;
	unsigned char digest[DKIM_BH_LEN];
};

static enum sg_status bh_sink(void *arg, const void *p, size_t n)
{
	return EVP_DigestUpdate(arg, p, n) == 1 ? SG_OK : SG_E_CRYPTO;
}

struct dkim_bodyhash *dkim_bodyhash_new(enum dkim_canon_mode mode,
					long long body_limit)
{
	struct dkim_bodyhash *bh = calloc(1, sizeof *bh);

	if (bh == NULL)
		return NULL;
	if ((bh->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(bh->md, dkim_sha256(), NULL) != 1 ||
	    (bh->canon = dkim_canon_new(mode, body_limit, bh_sink,
					bh->md)) == NULL) {
		dkim_bodyhash_free(&bh);
		return NULL;
	}
	return bh;
}

enum sg_status dkim_bodyhash_update(struct dkim_bodyhash *bh,
				    const void *p, size_t n)
{
	if (bh->done)
		return SG_E_STATE;
	return dkim_canon_body(bh->canon, p, n);
}

enum sg_status dkim_bodyhash_final(struct dkim_bodyhash *bh,
				   unsigned char out[DKIM_BH_LEN])
{
	enum sg_status st;
	unsigned int n = 0;

	if (!bh->done) {
		if ((st = dkim_canon_final(bh->canon)) != SG_OK)
			return st;
		if (EVP_DigestFinal_ex(bh->md, bh->digest, &n) != 1 ||
		    n != DKIM_BH_LEN)
			return SG_E_CRYPTO;
		bh->done = true;
	}
	memcpy(out, bh->digest, DKIM_BH_LEN);
	return SG_OK;
}

void dkim_bodyhash_free(struct dkim_bodyhash **bhp)
{
	struct dkim_bodyhash *bh;

	if (bhp == NULL || (bh = *bhp) == NULL)
		return;
	dkim_canon_free(&bh->canon);
	EVP_MD_CTX_free(bh->md);
	free(bh);
	*bhp = NULL;
}

/* ---- which fields ------------------------------------------------------- */

const char *const dkim_default_sign_headers[] = {
	"From", "Reply-To", "Subject", "Date", "To", "Cc",
	"Resent-Date", "Resent-From", "Resent-To", "Resent-Cc",
	"In-Reply-To", "References",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive",
	"Message-ID", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Content-ID", "Content-Description",
	NULL
};

/* One h= entry: the name as listed and the field signed (NULL for the
 * extra entry of an oversigned name, which matches no field). */
struct pick {
	const char *name;
	const struct dkim_hdr *hdr;
};

struct picks {
	struct pick *v;
	size_t n, max;
};

/* Length of the field name of h (before ':', trailing WSP dropped), or
 * SIZE_MAX if there is no colon. */
static size_t field_name_len(const struct dkim_hdr *h)
{
	const char *colon = memchr(h->field, ':', h->len);
	size_t n;

	if (colon == NULL)
		return SIZE_MAX;
	n = (size_t)(colon - h->field);
	while (n > 0 && (h->field[n - 1] == ' ' || h->field[n - 1] == '\t'))
		n--;
	return n;
}

static bool name_is(const struct dkim_hdr *h, size_t hlen, const char *name)
{
	return hlen != SIZE_MAX && strlen(name) == hlen &&
	       strncasecmp(h->field, name, hlen) == 0;
}

static bool listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

static void pick_add(struct picks *pk, const char *name,
		     const struct dkim_hdr *h)
{
	if (pk->n >= pk->max)		/* bug: pick_fields sized it */
		abort();
	pk->v[pk->n].name = name;
	pk->v[pk->n].hdr = h;
	pk->n++;
}

/* Every instance of name, bottom-up. */
static void pick_all(struct picks *pk, const char *name,
		     const struct dkim_hdr *hdrs, const size_t *nlen,
		     size_t n_hdrs)
{
	for (size_t i = n_hdrs; i-- > 0;)
		if (name_is(&hdrs[i], nlen[i], name))
			pick_add(pk, name, &hdrs[i]);
}

/* Names listed twice are signed once: "all instances" already covers
 * them. Capacity: each field is picked at most once, plus one entry
 * per oversigned name. */
static enum sg_status pick_fields(const struct dkim_sign_req *rq,
				  const char *const *sign, size_t n_sign,
				  const struct dkim_hdr *hdrs, size_t n_hdrs,
				  struct picks *pk)
{
	size_t *nlen = malloc((n_hdrs + 1) * sizeof *nlen);

	pk->max = n_hdrs + rq->n_oversign;
	pk->n = 0;
	if (nlen == NULL ||
	    (pk->v = malloc((pk->max + 1) * sizeof *pk->v)) == NULL) {
		free(nlen);
		return SG_E_NOMEM;
	}
	for (size_t i = 0; i < n_hdrs; i++)
		nlen[i] = field_name_len(&hdrs[i]);
	for (size_t i = 0; i < n_sign; i++)
		if (!listed(sign, i, sign[i]))
			pick_all(pk, sign[i], hdrs, nlen, n_hdrs);
	for (size_t i = 0; i < rq->n_oversign; i++) {
		const char *name = rq->oversign[i];

		if (!listed(sign, n_sign, name) &&
		    !listed(rq->oversign, i, name))
			pick_all(pk, name, hdrs, nlen, n_hdrs);
	}
	for (size_t i = 0; i < rq->n_oversign; i++)
		if (!listed(rq->oversign, i, rq->oversign[i]))
			pick_add(pk, rq->oversign[i], NULL);
	free(nlen);
	return SG_OK;
}

/* ---- checking the request ----------------------------------------------- */

/* Tag values we write verbatim: printable ASCII without ';' (which would
 * end the tag) and, for header names, without ':'. */
static bool tag_safe(const char *s, bool hdr_name)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == ';' || (hdr_name && c == ':'))
			return false;
	}
	return true;
}

static bool names_safe(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!tag_safe(names[i], true))
			return false;
	return true;
}

static enum sg_status check_req(const struct dkim_sign_req *rq,
				size_t n_sign, size_t n_hdrs,
				const char **why)
{
	*why = NULL;
	if (rq->key == NULL)
		*why = "no signing key";
	else if (!tag_safe(rq->domain, false))
		*why = "bad signing domain (d=)";
	else if (!tag_safe(rq->selector, false))
		*why = "bad selector (s=)";
	else if (rq->identity != NULL && (!tag_safe(rq->identity, false) ||
					   strchr(rq->identity, '@') == NULL))
		*why = "bad signing identity (i=)";
	else if (rq->expire_after > 0 && rq->timestamp < 0)
		*why = "signature expiry (x=) needs a timestamp (t=)";
	else if (rq->expire_after > 0 &&
		 rq->expire_after > LLONG_MAX - rq->timestamp)
		*why = "signature expiry (x=) out of range";
	if (*why != NULL)
		return SG_E_SYNTAX;
	if (n_hdrs > SG_MAX_HEADERS || n_sign > SG_MAX_HEADERS ||
	    rq->n_oversign > SG_MAX_HEADERS) {
		*why = "too many header fields to sign";
		return SG_E_TOOBIG;
	}
	if (!names_safe(rq->sign_headers, rq->sign_headers ? n_sign : 0) ||
	    !names_safe(rq->oversign, rq->n_oversign)) {
		*why = "bad header field name in the sign list";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

/* ---- the tag list --------------------------------------------------------- */

struct fold {
	struct buf *b;
	size_t col;			/* characters on the current line */
	enum sg_status st;
};

static void fold_raw(struct fold *f, const char *s, size_t n)
{
	if (f->st == SG_OK)
		f->st = buf_append(f->b, s, n);
	f->col += n;
}

static void fold_break(struct fold *f)
{
	fold_raw(f, "\r\n\t", 3);
	f->col = 1;
}

/* A tag (or other unit) after a space, on a new line if it would pass
 * the width (a unit longer than a line gets a line of its own). */
static void fold_unit(struct fold *f, const char *s)
{
	size_t n = strlen(s);

	if (f->col + 1 + n > SIGN_WIDTH && f->col > 1)
		fold_break(f);
	else
		fold_raw(f, " ", 1);
	fold_raw(f, s, n);
}

/* Text with no space before it (breaks, FWS, are allowed in front);
 * after it comes one more character (a separator). */
static void fold_join(struct fold *f, const char *s, size_t n)
{
	if (f->col + n + 1 > SIGN_WIDTH && f->col > 1)
		fold_break(f);
	fold_raw(f, s, n);
}

static void fold_tagf(struct fold *f, const char *tag, const char *val)
{
	char tmp[320];
	int n = snprintf(tmp, sizeof tmp, "%s=%s;", tag, val);

	if (n < 0 || (size_t)n >= sizeof tmp) {		/* rare: long d= or i= */
		fold_unit(f, tag);
		fold_raw(f, "=", 1);
		fold_raw(f, val, strlen(val));
		fold_raw(f, ";", 1);
		return;
	}
	fold_unit(f, tmp);
}

/* h=name:name:...; on a line of its own if it fits on one, else
 * folded after a colon where needed. */
static void fold_h(struct fold *f, const struct picks *pk)
{
	size_t all = 2, first = 2 + strlen(pk->v[0].name) + 1;

	for (size_t i = 0; i < pk->n; i++)
		all += strlen(pk->v[i].name) + 1;
	if (f->col > 1 && f->col + 1 + all > SIGN_WIDTH &&
	    (1 + all <= SIGN_WIDTH || f->col + 1 + first > SIGN_WIDTH))
		fold_break(f);
	else
		fold_raw(f, " ", 1);
	for (size_t i = 0; i < pk->n; i++) {
		const char *name = pk->v[i].name;
		size_t n = strlen(name);

		if (i == 0) {		/* "h=" stays with the first name */
			fold_raw(f, "h=", 2);
			fold_raw(f, name, n);
		} else {
			fold_join(f, name, n);
		}
		fold_raw(f, i + 1 < pk->n ? ":" : ";", 1);
	}
}

/* Everything up to and including "b=" (the text that is hashed). */
static enum sg_status write_tags(const struct dkim_sign_req *rq,
				 const struct picks *pk,
				 const unsigned char bh[DKIM_BH_LEN],
				 struct fold *f)
{
	char num[32], c[32], *bh64 = NULL;
	enum sg_status st;

	if ((st = b64_encode(bh, DKIM_BH_LEN, &bh64)) != SG_OK)
		return st;
	fold_unit(f, "v=1;");
	fold_tagf(f, "a", dkim_alg_name(dkim_key_alg(rq->key)));
	snprintf(c, sizeof c, "%s/%s", dkim_canon_name(rq->hcanon),
		 dkim_canon_name(rq->bcanon));
	fold_tagf(f, "c", c);
	fold_tagf(f, "d", rq->domain);
	fold_tagf(f, "s", rq->selector);
	if (rq->identity != NULL)
		fold_tagf(f, "i", rq->identity);
	if (rq->timestamp >= 0) {
		snprintf(num, sizeof num, "%lld", rq->timestamp);
		fold_tagf(f, "t", num);
	}
	if (rq->timestamp >= 0 && rq->expire_after > 0) {
		snprintf(num, sizeof num, "%lld",
			 rq->timestamp + rq->expire_after);
		fold_tagf(f, "x", num);
	}
	if (pk->n > 0)
		fold_h(f, pk);
	fold_tagf(f, "bh", bh64);
	/* keep "b=" with a few characters of its value */
	if (f->col + 1 + 2 + 8 > SIGN_WIDTH)
		fold_break(f);
	else
		fold_raw(f, " ", 1);
	fold_raw(f, "b=", 2);
	free(bh64);
	return f->st;
}

/* Base64 of the signature, filling each line to the width. */
static enum sg_status write_b(struct fold *f, const char *b64)
{
	size_t left = strlen(b64);

	while (left > 0 && f->st == SG_OK) {
		size_t room = f->col < SIGN_WIDTH ? SIGN_WIDTH - f->col : 0;
		size_t n = left < room ? left : room;

		if (n == 0) {
			fold_break(f);
			continue;
		}
		fold_raw(f, b64, n);
		b64 += n;
		left -= n;
	}
	return f->st;
}

/* ---- header hash and signature ------------------------------------------ */

/* ed25519-sha256 hashes here and signs the digest at the end; rsa-sha256
 * streams into EVP_DigestSign. */
struct hhash {
	EVP_MD_CTX *md;
	EVP_PKEY *pkey;
	enum dkim_alg alg;
};

static enum sg_status hh_init(struct hhash *hh, const struct dkim_privkey *k)
{
	EVP_PKEY_CTX *pctx = NULL;

	hh->alg = dkim_key_alg(k);
	hh->pkey = dkim_key_pkey(k);
	if (hh->pkey == NULL || (hh->md = EVP_MD_CTX_new()) == NULL)
		return SG_E_CRYPTO;
	if (hh->alg == DKIM_ALG_ED25519_SHA256)
		return EVP_DigestInit_ex(hh->md, dkim_sha256(), NULL) == 1 ?
		       SG_OK : SG_E_CRYPTO;
	if (EVP_DigestSignInit(hh->md, &pctx, EVP_sha256(), NULL,
			       hh->pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		return SG_E_CRYPTO;
	return SG_OK;
}

static enum sg_status hh_update(struct hhash *hh, const void *p, size_t n)
{
	int ok = hh->alg == DKIM_ALG_ED25519_SHA256 ?
		 EVP_DigestUpdate(hh->md, p, n) :
		 EVP_DigestSignUpdate(hh->md, p, n);

	return ok == 1 ? SG_OK : SG_E_CRYPTO;
}

static enum sg_status ed25519_sign(EVP_PKEY *pkey,
				   const unsigned char *dg, size_t dglen,
				   unsigned char *sig, size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL &&
		 EVP_DigestSignInit(md, NULL, NULL, NULL, pkey) == 1 &&
		 EVP_DigestSign(md, sig, siglen, dg, dglen) == 1;

	EVP_MD_CTX_free(md);
	return ok ? SG_OK : SG_E_CRYPTO;
}

/* sig has room for SIGN_MAX_SIG bytes. */
static enum sg_status hh_final(struct hhash *hh, unsigned char *sig,
			       size_t *siglen)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dglen = 0;
	size_t need = 0;

	if (hh->alg == DKIM_ALG_ED25519_SHA256) {
		if (EVP_DigestFinal_ex(hh->md, dg, &dglen) != 1)
			return SG_E_CRYPTO;
		*siglen = SIGN_MAX_SIG;
		return ed25519_sign(hh->pkey, dg, dglen, sig, siglen);
	}
	if (EVP_DigestSignFinal(hh->md, NULL, &need) != 1 ||
	    need > SIGN_MAX_SIG)
		return SG_E_CRYPTO;
	*siglen = need;
	return EVP_DigestSignFinal(hh->md, sig, siglen) == 1 ?
	       SG_OK : SG_E_CRYPTO;
}

/* Canonicalize one field into tmp and hash it. */
static enum sg_status hash_field(struct hhash *hh, enum dkim_canon_mode m,
				 const char *field, size_t len, int no_crlf,
				 struct buf *tmp)
{
	enum sg_status st;

	buf_reset(tmp);
	if ((st = dkim_canon_header(m, field, len, no_crlf, tmp)) != SG_OK)
		return st;
	return hh_update(hh, tmp->data, tmp->len);
}

/* Hash the fields and then the signature field itself, and sign. */
static enum sg_status sign_fields(const struct dkim_privkey *key,
				  enum dkim_canon_mode hcanon,
				  const struct dkim_hdr *const *fields, size_t n,
				  const char *sigfield, size_t siglen_in,
				  unsigned char *sig, size_t *siglen,
				  const char **why)
{
	struct hhash hh = { 0 };
	struct buf tmp;
	enum sg_status st;

	buf_init(&tmp, SG_MAX_HEADER_BYTES + 2);
	if ((st = hh_init(&hh, key)) != SG_OK) {
		*why = "cannot start signing (OpenSSL)";
		goto out;
	}
	for (size_t i = 0; i < n && st == SG_OK; i++)
		st = hash_field(&hh, hcanon, fields[i]->field, fields[i]->len, 0, &tmp);
	if (st == SG_OK)
		st = hash_field(&hh, hcanon, sigfield, siglen_in, 1, &tmp);
	if (st != SG_OK) {
		*why = st == SG_E_CRYPTO ? "header hash failed (OpenSSL)" :
		       "header fields too large to sign";
		goto out;
	}
	if ((st = hh_final(&hh, sig, siglen)) != SG_OK)
		*why = "signing failed (OpenSSL)";
out:
	EVP_MD_CTX_free(hh.md);
	buf_free(&tmp);
	return st;
}

/* The picked fields that exist, then "DKIM-Signature:" + tags. */
static enum sg_status sign_data(const struct dkim_sign_req *rq,
				const struct picks *pk, const struct buf *tags,
				unsigned char *sig, size_t *siglen,
				const char **why)
{
	const struct dkim_hdr **fields = calloc(pk->n + 1, sizeof *fields);
	struct buf self;
	enum sg_status st;
	size_t n = 0;

	buf_init(&self, SIGN_TAGS_CAP + sizeof SIGN_HDR_NAME);
	if (fields == NULL || (st = buf_puts(&self, SIGN_HDR_NAME)) != SG_OK ||
	    (st = buf_append(&self, tags->data, tags->len)) != SG_OK) {
		*why = "out of memory";
		st = SG_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < pk->n; i++)
		if (pk->v[i].hdr != NULL)
			fields[n++] = pk->v[i].hdr;
	st = sign_fields(rq->key, rq->hcanon, fields, n, self.data, self.len,
			 sig, siglen, why);
out:
	free(fields);
	buf_free(&self);
	return st;
}

enum sg_status dkim_sign_fields(const struct dkim_privkey *key,
				enum dkim_canon_mode hcanon,
				const struct dkim_hdr *const *fields, size_t n,
				const char *sigfield, size_t sigfield_len,
				char **b64, const char **why)
{
	unsigned char sig[SIGN_MAX_SIG];
	size_t siglen = 0;
	enum sg_status st;

	if ((st = sign_fields(key, hcanon, fields, n, sigfield, sigfield_len,
			      sig, &siglen, why)) != SG_OK)
		return st;
	if ((st = b64_encode(sig, siglen, b64)) != SG_OK)
		*why = "out of memory";
	return st;
}

/* RFC 6376 5.4: the From field must be signed. */
static bool signs_from(const struct picks *pk)
{
	for (size_t i = 0; i < pk->n; i++)
		if (pk->v[i].hdr != NULL && strcasecmp(pk->v[i].name, "from") == 0)
			return true;
	return false;
}

static size_t count_names(const char *const *names)
{
	size_t n = 0;

	while (names[n] != NULL && n <= SG_MAX_HEADERS)
		n++;
	return n;
}

enum sg_status dkim_sign(const struct dkim_sign_req *rq,
			 const struct dkim_hdr *hdrs, size_t n_hdrs,
			 const unsigned char bh[DKIM_BH_LEN],
			 char **out, const char **why)
{
	const char *const *sign = rq->sign_headers;
	size_t n_sign = rq->n_sign_headers;
	struct picks pk = { 0 };
	unsigned char sig[SIGN_MAX_SIG];
	size_t siglen = 0;
	char *sig64 = NULL;
	struct buf b;
	struct fold f = { &b, sizeof SIGN_HDR_NAME - 1, SG_OK };
	enum sg_status st;

	if (sign == NULL) {
		sign = dkim_default_sign_headers;
		n_sign = count_names(sign);
	}
	if ((st = check_req(rq, n_sign, n_hdrs, why)) != SG_OK)
		return st;
	buf_init(&b, SIGN_TAGS_CAP);
	if ((st = pick_fields(rq, sign, n_sign, hdrs, n_hdrs, &pk)) != SG_OK) {
		*why = "out of memory";
		goto out;
	}
	if (!signs_from(&pk)) {
		st = SG_E_SYNTAX;
		*why = "no From field to sign";
		goto out;
	}
	if ((st = write_tags(rq, &pk, bh, &f)) != SG_OK) {
		*why = st == SG_E_NOMEM ? "out of memory" : "tag list too long";
		goto out;
	}
	if ((st = sign_data(rq, &pk, &b, sig, &siglen, why)) != SG_OK)
		goto out;
	if ((st = b64_encode(sig, siglen, &sig64)) != SG_OK ||
	    (st = write_b(&f, sig64)) != SG_OK ||
	    (*out = buf_steal(&b)) == NULL) {
		st = st != SG_OK ? st : SG_E_NOMEM;
		*why = "out of memory";
	}
out:
	free(sig64);
	free(pk.v);
	buf_free(&b);
	return st;
}
