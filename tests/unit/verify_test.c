/*
 * tests/unit/verify_test.c -- the DKIM verifier (dkim/verify.h).
 *
 * - round trips: messages signed with dkim_sign() (RSA keys loaded and
 *   generated here, an Ed25519 key generated here; records from
 *   dkim_key_txt() parsed with dkim_pubkey_parse()), every c=, the body
 *   whole and byte by byte; then tampering: body, signed header, an
 *   added From with and without oversigning;
 * - signatures written here tag by tag ("crafted") and signed with
 *   dkim_sign_fields(), so each one is valid except for the one thing
 *   under test: l=, t=/x=, a=, missing and duplicate tags, d=, s=, i=,
 *   h=, q=, c=, b= placement;
 * - key answers and key rules, the signature budget, header limits,
 *   call order;
 * - published messages: RFC 8463 A.3 (both pass at its t=), RFC 6376
 *   A.2 (body hash fails), dkimpy's Gmail, Exim and attack messages,
 *   and Mail::DKIM's corpus with its fake DNS (only the one message a
 *   strict RFC 6376 + RFC 8301 verifier can pass passes; none crashes).
 * Data comes from $SIGNET_CONFORMANCE (default ../shared/conformance).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/b64.h"
#include "common/limits.h"
#include "dkim/key.h"
#include "dkim/pubkey.h"
#include "dkim/sign.h"
#include "dkim/verify.h"
#include "tests/lib/conformance.h"
#include "tests/lib/test.h"

#define MAX_FIELDS	128
#define NOW		1700000000LL

/* ---- messages (test-only splitter) --------------------------------------- */

/* Header fields (each malloc'd, continuation lines kept with their CRLF,
 * no final CRLF) and the body. */
struct msg {
	char *f[MAX_FIELDS];
	size_t flen[MAX_FIELDS];
	size_t nf;
	char *body;
	size_t bodylen;
};

static void msg_free(struct msg *m)
{
	for (size_t i = 0; i < m->nf; i++)
		free(m->f[i]);
	free(m->body);
	memset(m, 0, sizeof *m);
}

/* Insert a copy of field (n bytes) before position pos. */
static void msg_insert(struct msg *m, size_t pos, const char *field, size_t n)
{
	char *c = malloc(n + 1);

	if (c == NULL || m->nf == MAX_FIELDS || pos > m->nf)
		abort();
	memcpy(c, field, n);
	c[n] = '\0';
	memmove(&m->f[pos + 1], &m->f[pos], (m->nf - pos) * sizeof m->f[0]);
	memmove(&m->flen[pos + 1], &m->flen[pos], (m->nf - pos) * sizeof m->flen[0]);
	m->f[pos] = c;
	m->flen[pos] = n;
	m->nf++;
}

/* p may point into the old body. */
static void msg_set_body(struct msg *m, const char *p, size_t n)
{
	char *b = malloc(n + 1);

	if (b == NULL)
		abort();
	memcpy(b, p, n);
	b[n] = '\0';
	free(m->body);
	m->body = b;
	m->bodylen = n;
}

/* Split a raw message; bare LF line ends become CRLF first (dkimpy's
 * files use LF). A line starting with SP or HTAB continues the field
 * above it. Returns -1 on a line that is no field. */
static int msg_parse(struct msg *m, const char *raw, size_t len)
{
	char *t = malloc(2 * len + 1), *p, *end;
	size_t n = 0;

	memset(m, 0, sizeof *m);
	if (t == NULL)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			t[n++] = '\r';
		t[n++] = raw[i];
	}
	p = t;
	end = t + n;
	while (p < end && !(end - p >= 2 && p[0] == '\r' && p[1] == '\n')) {
		char *q = p;

		if (*p == ' ' || *p == '\t' || memchr(p, ':', (size_t)(end - p)) == NULL)
			break;
		do {
			char *nl = memmem(q, (size_t)(end - q), "\r\n", 2);

			q = nl != NULL ? nl + 2 : end;
		} while (q < end && (*q == ' ' || *q == '\t'));
		msg_insert(m, m->nf, p, (size_t)(q - p) - (q[-1] == '\n' ? 2 : 0));
		p = q;
	}
	if (end - p >= 2)
		p += 2;
	msg_set_body(m, p, (size_t)(end - p));
	free(t);
	return 0;
}

static int msg_load(struct msg *m, const char *sub, const char *name)
{
	size_t len = 0;
	char *raw = conformance_read(sub, name, &len);
	int r;

	if (raw == NULL)
		return -1;
	r = msg_parse(m, raw, len);
	free(raw);
	return r;
}

static const char base_msg[] =
	"From: Joe SixPack <joe@football.example.com>\r\n"
	"To: Suzie Q <suzie@shopping.example.net>\r\n"
	"Subject:  Is dinner   ready?\r\n"
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
	"X-Folded: first line\r\n"
	"\tsecond line\r\n"
	"\r\n"
	"Hi.\r\n"
	"\r\n"
	"We lost the game.  Are you hungry yet?  \r\n"
	"\r\n"
	"Joe.\r\n"
	"\r\n"
	"\r\n";

static void base(struct msg *m)
{
	msg_parse(m, base_msg, strlen(base_msg));
}

/* Index of the first field named name, or m->nf. */
static size_t msg_find(const struct msg *m, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < m->nf; i++)
		if (strncasecmp(m->f[i], name, n) == 0 && m->f[i][n] == ':')
			return i;
	return m->nf;
}

static void msg_replace(struct msg *m, const char *name, const char *field)
{
	size_t i = msg_find(m, name);

	if (i == m->nf)
		abort();
	free(m->f[i]);
	m->f[i] = strdup(field);
	m->flen[i] = strlen(field);
}

/* ---- keys ------------------------------------------------------------------ */

struct tkey {
	struct dkim_privkey *priv;
	struct dkim_pubkey *pub;
};

static struct tkey rsa1024, rsa2048, ed;

static int tkey_from_pem(struct tkey *k, const char *pem, size_t len)
{
	const char *warn, *why;
	char *txt;

	if (dkim_key_parse(pem, len, &k->priv, &warn, &why) != SG_OK ||
	    (txt = dkim_key_txt(k->priv)) == NULL)
		return -1;
	if (dkim_pubkey_parse(txt, strlen(txt), &k->pub, &why) != SG_OK) {
		free(txt);
		return -1;
	}
	free(txt);
	return 0;
}

static int tkey_load(struct tkey *k, const char *sub, const char *file)
{
	size_t len = 0;
	char *pem = conformance_read(sub, file, &len);
	int r = pem != NULL ? tkey_from_pem(k, pem, len) : -1;

	free(pem);
	return r;
}

/* A new key, through PEM as a key file would hold it. */
static int tkey_generate(struct tkey *k, const char *type, size_t bits)
{
	EVP_PKEY *pk = bits > 0 ? EVP_PKEY_Q_keygen(NULL, NULL, type, bits) :
		       EVP_PKEY_Q_keygen(NULL, NULL, type);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;
	int r = -1;

	if (pk != NULL && bio != NULL &&
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(bio, &pem)) > 0)
		r = tkey_from_pem(k, pem, (size_t)n);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return r;
}

static void tkey_free(struct tkey *k)
{
	dkim_key_free(&k->priv);
	dkim_pubkey_free(&k->pub);
}

/* A key record parsed from text; aborts if it does not parse. */
static struct dkim_pubkey *pub_of(const char *txt)
{
	struct dkim_pubkey *k = NULL;
	const char *why;

	if (dkim_pubkey_parse(txt, strlen(txt), &k, &why) != SG_OK) {
		fprintf(stderr, "record does not parse: %s\n", why);
		abort();
	}
	return k;
}

/* ---- running the verifier ---------------------------------------------------- */

struct keyent {
	const char *name;
	enum dkim_key_status st;
	const struct dkim_pubkey *k;
	const char *why;
};

struct run {
	struct dkim_verifier *v;
	const struct dkim_sig_result *r;
	size_t n;
	enum sg_status hst;		/* worst dkim_verifier_header status */
};

static struct dkim_verify_opts opts(void)
{
	struct dkim_verify_opts o = {
		.max_signatures = 5, .min_rsa_bits = 1024,
		.fail_body_length = false, .now = NOW, .clock_skew = 300,
	};
	return o;
}

/* Feed m (body in chunks of chunk bytes, 0 = whole) and answer each key
 * lookup from keys (names compared without case; a name not there is
 * never answered). */
static void run(struct run *out, const struct msg *m,
		const struct dkim_verify_opts *o, const struct keyent *keys,
		size_t nkeys, size_t chunk)
{
	struct dkim_verify_opts def = opts();

	memset(out, 0, sizeof *out);
	if ((out->v = dkim_verifier_new(o != NULL ? o : &def)) == NULL)
		abort();
	for (size_t i = 0; i < m->nf; i++) {
		enum sg_status st = dkim_verifier_header(out->v, m->f[i], m->flen[i]);

		if (st != SG_OK)
			out->hst = st;
	}
	if (dkim_verifier_eoh(out->v) != SG_OK)
		abort();
	for (size_t i = 0; i < dkim_verifier_count(out->v); i++) {
		const char *name = dkim_verifier_key_name(out->v, i);

		for (size_t k = 0; name != NULL && k < nkeys; k++)
			if (strcasecmp(keys[k].name, name) == 0)
				dkim_verifier_set_key(out->v, i, keys[k].st,
						      keys[k].k, keys[k].why);
	}
	if (chunk == 0)
		chunk = m->bodylen > 0 ? m->bodylen : 1;
	for (size_t at = 0; at < m->bodylen; at += chunk)
		dkim_verifier_body(out->v, m->body + at,
				   m->bodylen - at < chunk ? m->bodylen - at : chunk);
	if (dkim_verifier_eom(out->v) != SG_OK)
		abort();
	out->r = dkim_verifier_results(out->v, &out->n);
}

static void run_free(struct run *r)
{
	dkim_verifier_free(&r->v);
	T_EXPECT(r->v == NULL, "verifier-free-nulls");
}

/* Result i is res with reason why (NULL: none). */
static void expect(const struct run *r, size_t i, enum dkim_result res,
		   const char *why, const char *label)
{
	if (i >= r->n) {
		T_EXPECT(!"result exists", label);
		return;
	}
	if (r->r[i].result != res)
		fprintf(stderr, "    %s: got %s (%s)\n", label,
			dkim_result_name(r->r[i].result),
			r->r[i].reason ? r->r[i].reason : "-");
	T_EXPECT(r->r[i].result == res, label);
	if (why == NULL)
		T_EXPECT(r->r[i].reason == NULL, label);
	else
		T_EXPECT_STR(r->r[i].reason, why, label);
}

/* ---- signing ------------------------------------------------------------------ */

static void body_hash64(const struct msg *m, enum dkim_canon_mode bc,
			long long l, char *out, size_t sz)
{
	struct dkim_bodyhash *bh = dkim_bodyhash_new(bc, l);
	unsigned char d[DKIM_BH_LEN];
	char *s = NULL;

	if (bh == NULL || dkim_bodyhash_update(bh, m->body, m->bodylen) != SG_OK ||
	    dkim_bodyhash_final(bh, d) != SG_OK || b64_encode(d, sizeof d, &s) != SG_OK)
		abort();
	snprintf(out, sz, "%s", s);
	free(s);
	dkim_bodyhash_free(&bh);
}

/* Sign m with dkim_sign and put the DKIM-Signature field on top. */
static void sign_top(struct msg *m, const struct dkim_privkey *k,
		     const char *selector, enum dkim_canon_mode hc,
		     enum dkim_canon_mode bc, const char *const *over, size_t nover)
{
	static const char *const names[] = { "From", "To", "Subject", "Date",
					     "Message-ID", "X-Folded" };
	struct dkim_hdr h[MAX_FIELDS];
	struct dkim_sign_req rq = {
		.key = k, .domain = "example.com", .selector = selector,
		.identity = "joe@mail.example.com", .hcanon = hc, .bcanon = bc,
		.sign_headers = names, .n_sign_headers = NELEM(names),
		.oversign = over, .n_oversign = nover,
		.timestamp = NOW - 60, .expire_after = 3600,
	};
	unsigned char bh[DKIM_BH_LEN];
	struct dkim_bodyhash *b = dkim_bodyhash_new(bc, -1);
	char *val = NULL, *field;
	const char *why = NULL;

	if (b == NULL || dkim_bodyhash_update(b, m->body, m->bodylen) != SG_OK ||
	    dkim_bodyhash_final(b, bh) != SG_OK)
		abort();
	dkim_bodyhash_free(&b);
	for (size_t i = 0; i < m->nf; i++) {
		h[i].field = m->f[i];
		h[i].len = m->flen[i];
	}
	if (dkim_sign(&rq, h, m->nf, bh, &val, &why) != SG_OK) {
		fprintf(stderr, "dkim_sign: %s\n", why);
		abort();
	}
	if ((field = malloc(strlen(val) + 16)) == NULL)
		abort();
	sprintf(field, "DKIM-Signature:%s", val);
	msg_insert(m, 0, field, strlen(field));
	free(field);
	free(val);
}

/* Replace every "{name}" in tpl by val; malloc'd. */
static char *subst(const char *tpl, const char *name, const char *val)
{
	size_t nlen = strlen(name), vlen = strlen(val), cnt = 0;
	const char *p;
	char *out, *o;

	for (p = tpl; (p = strstr(p, name)) != NULL; p += nlen)
		cnt++;
	if ((out = malloc(strlen(tpl) + cnt * vlen + 1)) == NULL)
		abort();
	for (o = out, p = tpl; *p != '\0';) {
		if (strncmp(p, name, nlen) == 0) {
			memcpy(o, val, vlen);
			o += vlen;
			p += nlen;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* The fields h (colon list) selects from m, bottom-up, each once. */
static size_t select_fields(const struct msg *m, const char *h,
			    struct dkim_hdr *store, const struct dkim_hdr **out)
{
	char list[1024], *save = NULL;
	bool used[MAX_FIELDS] = { false };
	size_t n = 0;

	snprintf(list, sizeof list, "%s", h);
	for (char *name = strtok_r(list, ":", &save); name != NULL;
	     name = strtok_r(NULL, ":", &save)) {
		size_t len = strlen(name);

		for (size_t i = m->nf; i-- > 0;) {
			if (used[i] || strncasecmp(m->f[i], name, len) != 0 ||
			    m->f[i][len] != ':')
				continue;
			used[i] = true;
			store[n].field = m->f[i];
			store[n].len = m->flen[i];
			out[n] = &store[n];
			n++;
			break;
		}
	}
	return n;
}

/* A DKIM-Signature field written from tpl ("DKIM-Signature: v=1; ...")
 * and put on top of m: "{bh}" becomes the body hash (bc, l), "{h}" the
 * colon list h (which also picks the fields to sign), "{b}" the
 * signature (folded). The signed text has all between "b=" and the next
 * ";" (or the end) removed, as RFC 6376 3.7 says. */
static void craft(struct msg *m, const struct dkim_privkey *k,
		  enum dkim_canon_mode hc, enum dkim_canon_mode bc, long long l,
		  const char *h, const char *tpl)
{
	char bh[64], *t1, *t2, *signed_text, *b64 = NULL, *folded, *field;
	struct dkim_hdr store[MAX_FIELDS];
	const struct dkim_hdr *sel[MAX_FIELDS];
	const char *why = NULL, *b, *eq, *semi;
	size_t n, o = 0;

	body_hash64(m, bc, l, bh, sizeof bh);
	t1 = subst(tpl, "{bh}", bh);
	t2 = subst(t1, "{h}", h);
	if ((b = strstr(t2, "{b}")) == NULL)
		abort();
	for (eq = b; eq > t2 && eq[-1] != '='; eq--)
		;
	semi = strchr(b, ';');
	semi = semi != NULL ? semi : b + strlen(b);
	if ((signed_text = malloc(strlen(t2) + 1)) == NULL)
		abort();
	sprintf(signed_text, "%.*s%s", (int)(eq - t2), t2, semi);
	n = select_fields(m, h, store, sel);
	if (dkim_sign_fields(k, hc, sel, n, signed_text, strlen(signed_text),
			     &b64, &why) != SG_OK) {
		fprintf(stderr, "dkim_sign_fields: %s\n", why);
		abort();
	}
	if ((folded = malloc(strlen(b64) * 2 + 1)) == NULL)
		abort();
	for (size_t i = 0; b64[i] != '\0'; i++) {	/* FWS inside b= */
		if (i > 0 && i % 50 == 0) {
			memcpy(folded + o, "\r\n\t", 3);
			o += 3;
		}
		folded[o++] = b64[i];
	}
	folded[o] = '\0';
	field = subst(t2, "{b}", folded);
	msg_insert(m, 0, field, strlen(field));
	free(field);
	free(folded);
	free(b64);
	free(signed_text);
	free(t1);
	free(t2);
}

/* The standard crafted RSA signature, with extra tags in the middle. */
#define TPL(extra) "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; " \
	"d=example.com; s=rsa;" extra " h={h}; bh={bh}; b={b}"
#define H_STD "from:to:subject"

/* ---- round trips ---------------------------------------------------------------- */

static struct keyent keys_std[3];

static void set_std_keys(void)
{
	keys_std[0] = (struct keyent){ "rsa._domainkey.example.com", DKIM_KEY_OK,
				       rsa1024.pub, NULL };
	keys_std[1] = (struct keyent){ "rsa2048._domainkey.example.com",
				       DKIM_KEY_OK, rsa2048.pub, NULL };
	keys_std[2] = (struct keyent){ "ed._domainkey.example.com", DKIM_KEY_OK,
				       ed.pub, NULL };
}

static void test_round_trip(void)
{
	static const enum dkim_canon_mode modes[] = {
		DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED
	};
	static const struct {
		const char *sel, *alg;
		struct tkey *k;
		int bits;
	} keys[] = {
		{ "rsa", "rsa-sha256", &rsa1024, 1024 },
		{ "rsa2048", "rsa-sha256", &rsa2048, 2048 },
		{ "ed", "ed25519-sha256", &ed, 256 },
	};

	for (size_t k = 0; k < NELEM(keys); k++) {
		for (size_t c = 0; c < 4; c++) {
			for (size_t chunk = 0; chunk < 2; chunk++) {
				struct msg m;
				struct run r;
				char label[96], *bplain = NULL;
				const char *bv;

				snprintf(label, sizeof label, "pass-%s-%s/%s%s",
					 keys[k].alg, dkim_canon_name(modes[c / 2]),
					 dkim_canon_name(modes[c % 2]),
					 chunk ? "-1-byte-chunks" : "");
				base(&m);
				sign_top(&m, keys[k].k->priv, keys[k].sel, modes[c / 2],
					 modes[c % 2], NULL, 0);
				run(&r, &m, NULL, keys_std, NELEM(keys_std), chunk);
				T_EXPECT(r.n == 1, label);
				expect(&r, 0, DKIM_R_PASS, NULL, label);
				if (r.n == 1) {
					T_EXPECT_STR(r.r[0].domain, "example.com", label);
					T_EXPECT_STR(r.r[0].selector, keys[k].sel, label);
					T_EXPECT_STR(r.r[0].identity,
						     "joe@mail.example.com", label);
					T_EXPECT_STR(r.r[0].algorithm, keys[k].alg, label);
					T_EXPECT(r.r[0].key_bits == keys[k].bits, label);
					T_EXPECT(r.r[0].body_length == -1, label);
					T_EXPECT(!r.r[0].key_testing, label);
					/* b= without its folding */
					bv = strstr(m.f[0], " b=");
					if (bv != NULL) {
						size_t o = 0;

						bplain = strdup(bv + 3);
						for (size_t i = 0; bplain[i]; i++)
							if (bplain[i] > ' ')
								bplain[o++] = bplain[i];
						bplain[o] = '\0';
					}
					T_EXPECT_STR(r.r[0].b, bplain, label);
					T_EXPECT(r.r[0].b != NULL &&
						 strpbrk(r.r[0].b, " \t\r\n") == NULL,
						 label);
				}
				free(bplain);
				run_free(&r);
				msg_free(&m);
			}
		}
	}
}

static void test_tamper(void)
{
	static const enum dkim_canon_mode modes[] = {
		DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED
	};

	for (size_t c = 0; c < 4; c++) {
		enum dkim_canon_mode hc = modes[c / 2], bc = modes[c % 2];
		struct msg m;
		struct run r;

		/* a changed body word */
		base(&m);
		sign_top(&m, ed.priv, "ed", hc, bc, NULL, 0);
		msg_set_body(&m, "Hi.\r\n\r\nWe won the game.\r\n", 25);
		run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
		expect(&r, 0, DKIM_R_FAIL, "body hash did not verify",
		       "tampered-body");
		run_free(&r);
		msg_free(&m);

		/* a changed signed header */
		base(&m);
		sign_top(&m, rsa1024.priv, "rsa", hc, bc, NULL, 0);
		msg_replace(&m, "Subject", "Subject: Is lunch ready?");
		run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
		expect(&r, 0, DKIM_R_FAIL, "signature did not verify",
		       "tampered-signed-header");
		run_free(&r);
		msg_free(&m);

		/* white space changed in a signed header and the body:
		 * relaxed does not care, simple does */
		base(&m);
		sign_top(&m, rsa1024.priv, "rsa", hc, bc, NULL, 0);
		msg_replace(&m, "Subject", "Subject: Is dinner ready?");
		run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
		if (hc == DKIM_CANON_RELAXED)
			expect(&r, 0, DKIM_R_PASS, NULL, "relaxed-header-wsp");
		else
			expect(&r, 0, DKIM_R_FAIL, "signature did not verify",
			       "simple-header-wsp");
		run_free(&r);
		msg_free(&m);

		base(&m);
		sign_top(&m, rsa1024.priv, "rsa", hc, bc, NULL, 0);
		msg_set_body(&m, m.body, m.bodylen - 4);	/* drop 2 blank lines */
		run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
		expect(&r, 0, DKIM_R_PASS, NULL, "trailing-blank-lines-ignored");
		run_free(&r);
		msg_free(&m);

		/* unsigned header added anywhere: still passes */
		base(&m);
		sign_top(&m, rsa1024.priv, "rsa", hc, bc, NULL, 0);
		msg_insert(&m, 3, "X-Spam: yes", 11);
		msg_insert(&m, m.nf, "Received: by mx", 15);
		run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
		expect(&r, 0, DKIM_R_PASS, NULL, "unsigned-header-added");
		run_free(&r);
		msg_free(&m);
	}
}

/* RFC 6376 5.4.2 / 8.15: the verifier takes the bottom-most From; a
 * From added on top is outside the signature, so a message with two From
 * fields never passes ("more than one From field"). */
static void test_second_from(void)
{
	static const char *const over_from[] = { "From" };
	static const struct {
		const char *label;
		bool oversign, top;
		enum dkim_result want;
	} cases[] = {
		{ "second-from-on-top-not-oversigned-fails", false, true, DKIM_R_FAIL },
		{ "second-from-at-bottom-not-oversigned-fails", false, false, DKIM_R_FAIL },
		{ "second-from-on-top-oversigned-fails", true, true, DKIM_R_FAIL },
		{ "second-from-at-bottom-oversigned-fails", true, false, DKIM_R_FAIL },
		{ "no-second-from-oversigned-passes", true, true, DKIM_R_PASS },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg m;
		struct run r;
		bool add = i < 4;

		base(&m);
		sign_top(&m, rsa1024.priv, "rsa", DKIM_CANON_RELAXED,
			 DKIM_CANON_RELAXED, cases[i].oversign ? over_from : NULL,
			 cases[i].oversign ? 1 : 0);
		if (add)
			msg_insert(&m, cases[i].top ? 0 : m.nf,
				   "From: Evil <ceo@bank.example>", 29);
		run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
		expect(&r, 0, cases[i].want,
		       cases[i].want == DKIM_R_PASS ? NULL :
		       i == 0 ? "more than one From field" :
		       "signature did not verify", cases[i].label);
		run_free(&r);
		msg_free(&m);
	}
}

/* A message without a From field, signed over its absence (h= names
 * From): the signature verifies, but must not pass -- there is no
 * author for it to vouch for. */
static void test_no_from(void)
{
	struct msg m;
	struct run r;

	base(&m);
	msg_replace(&m, "From", "X-Was-From: Joe <joe@example.com>");
	craft(&m, rsa1024.priv, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, -1, H_STD, TPL(""));
	run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
	expect(&r, 0, DKIM_R_FAIL, "no From field", "no-from-field-fails");
	run_free(&r);
	msg_free(&m);
}

/* ---- crafted signatures ------------------------------------------------------------ */

struct crafted {
	const char *label, *tpl;
	enum dkim_result want;
	const char *why;
};

static void run_crafted(const struct crafted *c, size_t n,
			const struct dkim_verify_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		struct msg m;
		struct run r;

		base(&m);
		craft(&m, rsa1024.priv, strstr(c[i].tpl, "c=relaxed") != NULL ?
		      DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE,
		      -1, H_STD, c[i].tpl);
		run(&r, &m, o, keys_std, NELEM(keys_std), 0);
		expect(&r, 0, c[i].want, c[i].why, c[i].label);
		if (c[i].want != DKIM_R_PASS && c[i].want != DKIM_R_FAIL && r.n > 0)
			T_EXPECT(dkim_verifier_key_name(r.v, 0) == NULL, c[i].label);
		run_free(&r);
		msg_free(&m);
	}
}

static void test_crafted_tags(void)
{
	static const struct crafted c[] = {
		{ "crafted-plain-passes", TPL(""), DKIM_R_PASS, NULL },
		{ "q=dns/txt", TPL(" q=dns/txt;"), DKIM_R_PASS, NULL },
		{ "q=list-with-dns/txt", TPL(" q=http/well-known : dns/txt;"),
		  DKIM_R_PASS, NULL },
		{ "q=dns-unsupported", TPL(" q=dns;"), DKIM_R_PERMERROR,
		  "q= has no supported query method" },
		{ "unknown-tags-ignored", TPL(" zz=top; z=From:x|To:y; n_1=;"),
		  DKIM_R_PASS, NULL },
		{ "missing-v",
		  "DKIM-Signature: a=rsa-sha256; d=example.com; s=rsa; h={h}; bh={bh}; b={b}",
		  DKIM_R_PERMERROR, "missing v= tag" },
		{ "v=2", "DKIM-Signature: v=2; a=rsa-sha256; d=example.com; s=rsa; "
		  "h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "unsupported signature version (v=)" },
		{ "V=1-is-not-v", "DKIM-Signature: V=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR, "missing v= tag" },
		{ "missing-a", "DKIM-Signature: v=1; d=example.com; s=rsa; h={h}; "
		  "bh={bh}; b={b}", DKIM_R_PERMERROR, "missing a= tag" },
		{ "missing-bh", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; h={h}; b={b}", DKIM_R_PERMERROR, "missing bh= tag" },
		{ "missing-d", "DKIM-Signature: v=1; a=rsa-sha256; s=rsa; h={h}; "
		  "bh={bh}; b={b}", DKIM_R_PERMERROR, "missing d= tag" },
		{ "missing-h", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; bh={bh}; b={b}", DKIM_R_PERMERROR, "missing h= tag" },
		{ "missing-s", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR, "missing s= tag" },
		{ "duplicate-tag", TPL(" s=rsa;"), DKIM_R_PERMERROR,
		  "duplicate tag in tag-list" },
		{ "rsa-sha1", "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=rsa; "
		  "h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "rsa-sha1 is not accepted (RFC 8301)" },
		{ "unknown-algorithm", "DKIM-Signature: v=1; a=rsa-sha512; "
		  "d=example.com; s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "unknown signature algorithm (a=)" },
		{ "bad-c", "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/fancy; "
		  "d=example.com; s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "bad c= tag" },
		{ "bad-d-paren-attack", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=legitimate.com(.attacker.com; s=rsa; h={h}; bh={bh}; b={b}",
		  DKIM_R_PERMERROR, "d= is not a valid domain name" },
		{ "bad-d-one-label", "DKIM-Signature: v=1; a=rsa-sha256; d=com; "
		  "s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "d= is not a valid domain name" },
		{ "bad-d-empty-label", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=example..com; s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "d= is not a valid domain name" },
		{ "bad-d-hyphen-start", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=-x.example.com; s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "d= is not a valid domain name" },
		{ "bad-d-trailing-dot", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=example.com.; s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "d= is not a valid domain name" },
		{ "bad-s-underscore", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=example.com; s=rsa_1; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "s= is not a valid selector" },
		{ "bad-s-empty", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=example.com; s=; h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "s= is not a valid selector" },
		{ "i-equals-d", TPL(" i=@example.com;"), DKIM_R_PASS, NULL },
		{ "i-subdomain", TPL(" i=joe@a.b.example.com;"), DKIM_R_PASS, NULL },
		{ "i-case-insensitive", TPL(" i=joe@EXAMPLE.Com;"), DKIM_R_PASS, NULL },
		{ "i-outside-d", TPL(" i=joe@example.net;"), DKIM_R_PERMERROR,
		  "i= is not in the d= domain" },
		{ "i-suffix-not-label", TPL(" i=joe@badexample.com;"),
		  DKIM_R_PERMERROR, "i= is not in the d= domain" },
		{ "i-parent-of-d", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=mail.example.com; s=rsa; i=@example.com; h={h}; bh={bh}; b={b}",
		  DKIM_R_PERMERROR, "i= is not in the d= domain" },
		{ "i-no-at", TPL(" i=example.com;"), DKIM_R_PERMERROR,
		  "i= is not a valid identity" },
		{ "i-utf8-local-part", TPL(" i=j\xc3\xb6rg@example.com;"),
		  DKIM_R_PASS, NULL },
		{ "8bit-not-utf8", TPL(" i=j\xf6rg@example.com;"), DKIM_R_PERMERROR,
		  "bad character in tag value" },
		{ "bad-l-letters", TPL(" l=12a;"), DKIM_R_PERMERROR, "bad l= tag" },
		{ "bad-l-empty", TPL(" l=;"), DKIM_R_PERMERROR, "bad l= tag" },
		{ "bad-l-77-digits", TPL(" l=1234567890123456789012345678901234567890"
		  "1234567890123456789012345678901234567;"), DKIM_R_PERMERROR,
		  "bad l= tag" },
		{ "bad-t", TPL(" t=-5;"), DKIM_R_PERMERROR, "bad t= tag" },
		{ "bad-x-13-digits", TPL(" x=1234567890123;"), DKIM_R_PERMERROR,
		  "bad x= tag" },
		{ "h-without-from", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; h=to:subject; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "h= does not include From" },
		{ "h-empty-name", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; h=from::to; bh={bh}; b={b}", DKIM_R_PERMERROR, "bad h= tag" },
		{ "h-from-any-case", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "c=relaxed/simple; d=example.com; s=rsa; h=FROM : To : subject; "
		  "bh={bh}; b={b}",
		  DKIM_R_PASS, NULL },
		{ "bh-wrong-length", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; h={h}; bh=AAAA; b={b}", DKIM_R_PERMERROR,
		  "bh= is not a SHA-256 digest" },
		{ "bh-not-base64", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; h={h}; bh=!!!!; b={b}", DKIM_R_PERMERROR,
		  "bh= is not base64" },
		{ "b-in-the-middle", "DKIM-Signature: v=1; a=rsa-sha256; b={b}; "
		  "c=relaxed/simple; d=example.com; s=rsa; h={h}; bh={bh}", DKIM_R_PASS, NULL },
		{ "b-with-fws-around", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "c=relaxed/simple; d=example.com; s=rsa; h={h}; bh={bh}; b= \r\n {b} ;", DKIM_R_PASS, NULL },
		{ "folded-everywhere", "DKIM-Signature:\r\n v = 1 ;\r\n\ta=rsa-sha256; c=relaxed/simple;"
		  " d=example.com;\r\n s=rsa; h=from\r\n :to: subject; bh={bh}; b={b}",
		  DKIM_R_PASS, NULL },
		{ "trailing-semicolon", TPL("") ";", DKIM_R_PASS, NULL },
		{ "key-name-too-long", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=example.com; s=" "a123456789b123456789c123456789d123456789e123456789f123456789."
		  "a123456789b123456789c123456789d123456789e123456789f123456789."
		  "a123456789b123456789c123456789d123456789e123456789f123456789."
		  "a123456789b123456789c123456789d123456789e123456789f123456789;"
		  " h={h}; bh={bh}; b={b}", DKIM_R_PERMERROR,
		  "key record name is too long" },
		{ "simple-b-in-the-middle", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "b={b}; d=example.com; s=rsa; h={h}; bh={bh}", DKIM_R_PASS, NULL },
		{ "simple-b-with-fws-around", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=example.com; s=rsa; h={h}; bh={bh}; b=\r\n\t{b}\r\n ;",
		  DKIM_R_PASS, NULL },
		{ "simple-folded-everywhere", "DKIM-Signature:\r\n v = 1 ;\r\n\t"
		  "a=rsa-sha256; d=example.com;\r\n s=rsa; h=from\r\n :to: subject;"
		  "  bh={bh};\r\n\tb={b}", DKIM_R_PASS, NULL },
		{ "simple-c-explicit", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "c=simple/simple; d=example.com; s=rsa; h={h}; bh={bh}; b={b}",
		  DKIM_R_PASS, NULL },
		{ "simple-c-header-only", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "c=simple; d=example.com; s=rsa; h={h}; bh={bh}; b={b}",
		  DKIM_R_PASS, NULL },
		{ "simple-bh-before-b", "DKIM-Signature: v=1; a=rsa-sha256; "
		  "d=example.com; s=rsa; h={h}; b={b}; bh={bh};", DKIM_R_PASS, NULL },
		{ "name-with-space-before-colon", "DKIM-Signature : v=1; "
		  "a=rsa-sha256; c=relaxed/simple; d=example.com; s=rsa; h={h}; bh={bh}; b={b}",
		  DKIM_R_PASS, NULL },
		{ "lower-case-field-name", "dkim-signature: v=1; a=rsa-sha256; "
		  "c=relaxed/simple; d=example.com; s=rsa; h={h}; bh={bh}; b={b}", DKIM_R_PASS, NULL },
	};

	run_crafted(c, NELEM(c), NULL);
}

static void test_b_not_base64(void)
{
	static const char field[] = "DKIM-Signature: v=1; a=rsa-sha256; "
		"d=example.com; s=rsa; h=from; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; b=ab*d";
	static const char empty[] = "DKIM-Signature: v=1; a=rsa-sha256; "
		"d=example.com; s=rsa; h=from; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; b=";
	struct msg m;
	struct run r;

	base(&m);
	msg_insert(&m, 0, field, strlen(field));
	msg_insert(&m, 0, empty, strlen(empty));
	run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
	expect(&r, 0, DKIM_R_PERMERROR, "b= is empty", "b-empty");
	expect(&r, 1, DKIM_R_PERMERROR, "b= is not base64", "b-not-base64");
	run_free(&r);
	msg_free(&m);
}

static void test_times(void)
{
	struct dkim_verify_opts o = opts();
	static const struct crafted c[] = {
		{ "x-in-future", TPL(" t=1699990000; x=1700003600;"), DKIM_R_PASS, NULL },
		{ "x-expired", TPL(" t=1699990000; x=1699999000;"), DKIM_R_PERMERROR,
		  "signature expired" },
		{ "x-expired-within-skew", TPL(" t=1699990000; x=1699999800;"),
		  DKIM_R_PASS, NULL },
		{ "x-without-t-expired", TPL(" x=1600000000;"), DKIM_R_PERMERROR,
		  "signature expired" },
		{ "x-not-after-t", TPL(" t=1699999999; x=1699999999;"),
		  DKIM_R_PERMERROR, "x= is not after t=" },
		{ "t-in-future-not-held-against", TPL(" t=1700090000;"), DKIM_R_PASS, NULL },
		{ "t-future-within-skew", TPL(" t=1700000200;"), DKIM_R_PASS, NULL },
		{ "t-far-past", TPL(" t=1;"), DKIM_R_PASS, NULL },
	};

	run_crafted(c, NELEM(c), &o);
	o.clock_skew = 0;
	{
		static const struct crafted c0[] = {
			{ "x-expired-no-skew", TPL(" t=1699990000; x=1699999800;"),
			  DKIM_R_PERMERROR, "signature expired" },
			{ "x-equals-now-not-expired", TPL(" t=1699990000; x=1700000000;"),
			  DKIM_R_PASS, NULL },
		};

		run_crafted(c0, NELEM(c0), &o);
	}
}

static void test_body_length(void)
{
	static const struct {
		const char *label;
		long long l;		/* < -1: body length + (-l - 2) */
		const char *lval;	/* l= text when not the number */
		const char *append;	/* added to the body after signing */
		bool fail_opt;
		enum dkim_result want;
		const char *why;
	} cases[] = {
		{ "l-whole-body", -2, NULL, NULL, false, DKIM_R_PASS, NULL },
		{ "l-part", 10, NULL, NULL, false, DKIM_R_PASS,
		  "l= covers only part of the body" },
		{ "l-part-fail-option", 10, NULL, NULL, true, DKIM_R_FAIL,
		  "content after l=" },
		{ "l-appended-content", -2, NULL, "Buy cheap stuff!\r\n", false,
		  DKIM_R_PASS, "l= covers only part of the body" },
		{ "l-appended-content-fail-option", -2, NULL, "Buy now\r\n", true,
		  DKIM_R_FAIL, "content after l=" },
		{ "l-zero", 0, NULL, NULL, false, DKIM_R_PASS,
		  "l= covers only part of the body" },
		{ "l-longer-than-body", -7, NULL, NULL, false, DKIM_R_FAIL,
		  "l= is longer than the body" },
		{ "l-huge-saturates", 0, "99999999999999999999999999999999", NULL,
		  false, DKIM_R_FAIL, "l= is longer than the body" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_verify_opts o = opts();
		struct msg m;
		struct run r;
		char tpl[512], num[64];
		long long l = cases[i].l;

		base(&m);
		if (l < -1) {
			/* canonical simple length of the base body: its CRLF
			 * lines without the trailing empty ones */
			long long len = (long long)m.bodylen - 4;

			l = len + (-l - 2);
		}
		snprintf(num, sizeof num, "%lld", l);
		snprintf(tpl, sizeof tpl, TPL(" l=%s;"),
			 cases[i].lval ? cases[i].lval : num);
		craft(&m, rsa1024.priv, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
		      l, H_STD, tpl);
		if (cases[i].append != NULL) {
			size_t n = strlen(cases[i].append);
			char *b = malloc(m.bodylen + n);

			memcpy(b, m.body, m.bodylen - 4);
			memcpy(b + m.bodylen - 4, cases[i].append, n);
			msg_set_body(&m, b, m.bodylen - 4 + n);
			free(b);
		}
		o.fail_body_length = cases[i].fail_opt;
		run(&r, &m, &o, keys_std, NELEM(keys_std), 7);
		expect(&r, 0, cases[i].want, cases[i].why, cases[i].label);
		if (r.n > 0 && cases[i].lval == NULL)
			T_EXPECT(r.r[0].body_length == l, cases[i].label);
		run_free(&r);
		msg_free(&m);
	}
}

/* h= listing dkim-signature signs the signatures below, never itself
 * (RFC 6376 3.5 h=); the extra entry must not pick the new field. */
static void test_signs_other_signature(void)
{
	struct msg m;
	struct run r;

	base(&m);
	sign_top(&m, ed.priv, "ed", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
		 NULL, 0);
	craft(&m, rsa1024.priv, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, -1,
	      "from:dkim-signature:dkim-signature",
	      "DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com;"
	      " s=rsa; h={h}; bh={bh}; b={b}");
	run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
	T_EXPECT(r.n == 2, "signs-other-signature");
	expect(&r, 0, DKIM_R_PASS, NULL, "signs-other-signature-outer");
	expect(&r, 1, DKIM_R_PASS, NULL, "signs-other-signature-inner");
	run_free(&r);

	/* the signed inner signature changed: the outer one fails */
	free(m.f[1]);
	m.f[1] = strdup("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
			"s=rsa; h=from; bh=AAAA; b=AAAA");
	m.flen[1] = strlen(m.f[1]);
	run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
	expect(&r, 0, DKIM_R_FAIL, "signature did not verify",
	       "signed-signature-changed");
	run_free(&r);
	msg_free(&m);
}

/* ---- keys --------------------------------------------------------------------------- */

static void test_key_answers(void)
{
	struct dkim_pubkey *revoked = pub_of("v=DKIM1; p=");
	struct dkim_pubkey *sha1 = NULL, *tlsrpt = NULL, *testing = NULL;
	struct dkim_pubkey *strict = NULL;
	char rec[1024];
	const char *p = NULL;
	char *txt = dkim_key_txt(rsa1024.priv);

	if (txt == NULL || (p = strstr(txt, "p=")) == NULL)
		abort();
	snprintf(rec, sizeof rec, "v=DKIM1; h=sha1; %s", p);
	sha1 = pub_of(rec);
	snprintf(rec, sizeof rec, "v=DKIM1; s=tlsrpt; %s", p);
	tlsrpt = pub_of(rec);
	snprintf(rec, sizeof rec, "v=DKIM1; t=y; %s", p);
	testing = pub_of(rec);
	snprintf(rec, sizeof rec, "v=DKIM1; t=s; %s", p);
	strict = pub_of(rec);
	{
		const char *name = "rsa._domainkey.example.com";
		const struct {
			const char *label;
			struct keyent k;
			const char *itag;
			int min_bits;
			enum dkim_result want;
			const char *why;
		} cases[] = {
			{ "key-never-answered", { "none", DKIM_KEY_OK, NULL, NULL },
			  "", 0, DKIM_R_TEMPERROR, "no key answer" },
			{ "key-ok-but-null", { name, DKIM_KEY_OK, NULL, NULL },
			  "", 0, DKIM_R_TEMPERROR, "no key answer" },
			{ "key-tempfail", { name, DKIM_KEY_TEMPFAIL, NULL, NULL },
			  "", 0, DKIM_R_TEMPERROR, "key lookup failed" },
			{ "key-tempfail-why", { name, DKIM_KEY_TEMPFAIL, NULL,
			  "DNS timeout" }, "", 0, DKIM_R_TEMPERROR, "DNS timeout" },
			{ "key-notfound", { name, DKIM_KEY_NOTFOUND, NULL, "NXDOMAIN" },
			  "", 0, DKIM_R_PERMERROR, "no key for signature" },
			{ "key-bad", { name, DKIM_KEY_BAD, NULL, "v= is not DKIM1" },
			  "", 0, DKIM_R_PERMERROR, "v= is not DKIM1" },
			{ "key-bad-no-why", { name, DKIM_KEY_BAD, NULL, NULL },
			  "", 0, DKIM_R_PERMERROR, "bad key record" },
			{ "key-revoked", { name, DKIM_KEY_OK, revoked, NULL },
			  "", 0, DKIM_R_PERMERROR, "key revoked" },
			{ "key-type-mismatch", { name, DKIM_KEY_OK, ed.pub, NULL },
			  "", 0, DKIM_R_PERMERROR, "key type does not match algorithm" },
			{ "key-h-sha1-only", { name, DKIM_KEY_OK, sha1, NULL },
			  "", 0, DKIM_R_PERMERROR, "key does not allow sha256 (h=)" },
			{ "key-not-for-email", { name, DKIM_KEY_OK, tlsrpt, NULL },
			  "", 0, DKIM_R_PERMERROR, "key is not for email (s=)" },
			{ "key-testing-passes", { name, DKIM_KEY_OK, testing, NULL },
			  "", 0, DKIM_R_PASS, NULL },
			{ "key-t=s-same-domain", { name, DKIM_KEY_OK, strict, NULL },
			  " i=joe@example.com;", 0, DKIM_R_PASS, NULL },
			{ "key-t=s-no-i", { name, DKIM_KEY_OK, strict, NULL },
			  "", 0, DKIM_R_PASS, NULL },
			{ "key-t=s-subdomain", { name, DKIM_KEY_OK, strict, NULL },
			  " i=joe@mail.example.com;", 0, DKIM_R_PERMERROR,
			  "i= is a subdomain of d= but the key says t=s" },
			{ "key-too-short", { name, DKIM_KEY_OK, rsa1024.pub, NULL },
			  "", 2048, DKIM_R_PERMERROR, "key too short" },
			{ "min-bits-below-1024-means-1024", { name, DKIM_KEY_OK,
			  rsa1024.pub, NULL }, "", 512, DKIM_R_PASS, NULL },
		};

		for (size_t i = 0; i < NELEM(cases); i++) {
			struct dkim_verify_opts o = opts();
			struct msg m;
			struct run r;
			char tpl[256];

			snprintf(tpl, sizeof tpl, TPL("%s"), cases[i].itag);
			base(&m);
			craft(&m, rsa1024.priv, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
			      -1, H_STD, tpl);
			if (cases[i].min_bits != 0)
				o.min_rsa_bits = cases[i].min_bits;
			run(&r, &m, &o, &cases[i].k, 1, 0);
			expect(&r, 0, cases[i].want, cases[i].why, cases[i].label);
			if (r.n > 0 && cases[i].k.k == testing)
				T_EXPECT(r.r[0].key_testing, cases[i].label);
			if (r.n > 0 && cases[i].k.k == rsa1024.pub)
				T_EXPECT(r.r[0].key_bits == 1024, cases[i].label);
			run_free(&r);
			msg_free(&m);
		}
	}
	free(txt);
	dkim_pubkey_free(&revoked);
	dkim_pubkey_free(&sha1);
	dkim_pubkey_free(&tlsrpt);
	dkim_pubkey_free(&testing);
	dkim_pubkey_free(&strict);
}

/* Ed25519 key for an rsa signature and the other way round. */
static void test_key_type_ed(void)
{
	struct keyent k = { "ed._domainkey.example.com", DKIM_KEY_OK, rsa1024.pub,
			    NULL };
	struct msg m;
	struct run r;

	base(&m);
	sign_top(&m, ed.priv, "ed", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0);
	run(&r, &m, NULL, &k, 1, 0);
	expect(&r, 0, DKIM_R_PERMERROR, "key type does not match algorithm",
	       "ed25519-sig-rsa-key");
	run_free(&r);
	/* another Ed25519 key: the signature does not verify */
	k.k = pub_of("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	run(&r, &m, NULL, &k, 1, 0);
	expect(&r, 0, DKIM_R_FAIL, "signature did not verify", "ed25519-wrong-key");
	run_free(&r);
	dkim_pubkey_free((struct dkim_pubkey **)&k.k);
	msg_free(&m);
}

/* ---- counts, limits, call order ------------------------------------------------------ */

static void test_budget(void)
{
	struct dkim_verify_opts o = opts();
	struct msg m;
	struct run r;

	base(&m);
	for (int i = 0; i < 7; i++)
		sign_top(&m, i % 2 ? ed.priv : rsa1024.priv, i % 2 ? "ed" : "rsa",
			 DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, NULL, 0);
	run(&r, &m, &o, keys_std, NELEM(keys_std), 0);
	T_EXPECT(r.n == 7, "budget-count");
	for (size_t i = 0; i < 5; i++)
		expect(&r, i, DKIM_R_PASS, NULL, "budget-first-five-pass");
	for (size_t i = 5; i < 7; i++) {
		expect(&r, i, DKIM_R_POLICY, "not checked: too many signatures",
		       "budget-rest-not-checked");
		T_EXPECT(dkim_verifier_key_name(r.v, i) == NULL, "budget-no-key-name");
		T_EXPECT_STR(r.r[i].domain, "example.com", "budget-still-reported");
	}
	run_free(&r);

	/* a signature that does not parse uses none of the budget */
	msg_insert(&m, 0, "DKIM-Signature: garbage", 23);
	o.max_signatures = 2;
	run(&r, &m, &o, keys_std, NELEM(keys_std), 0);
	T_EXPECT(r.n == 8, "budget-garbage-count");
	expect(&r, 0, DKIM_R_PERMERROR, "tag without \"=\" in tag-list",
	       "budget-garbage-permerror");
	if (r.n > 0)
		T_EXPECT(r.r[0].domain == NULL && r.r[0].selector == NULL &&
			 r.r[0].identity == NULL && r.r[0].b == NULL &&
			 r.r[0].algorithm == NULL && r.r[0].body_length == -1,
			 "budget-garbage-fields-null");
	expect(&r, 1, DKIM_R_PASS, NULL, "budget-garbage-then-pass");
	expect(&r, 2, DKIM_R_PASS, NULL, "budget-garbage-then-pass");
	expect(&r, 3, DKIM_R_POLICY, "not checked: too many signatures",
	       "budget-two");
	run_free(&r);

	/* 0 means the default (5) */
	o.max_signatures = 0;
	run(&r, &m, &o, keys_std, NELEM(keys_std), 0);
	expect(&r, 5, DKIM_R_PASS, NULL, "budget-default-5");
	expect(&r, 6, DKIM_R_POLICY, "not checked: too many signatures",
	       "budget-default-5");
	run_free(&r);
	msg_free(&m);

	/* more than the ceiling is capped at DKIM_MAX_VERIFY_SIGS */
	base(&m);
	sign_top(&m, ed.priv, "ed", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, NULL, 0);
	for (unsigned i = 1; i < DKIM_MAX_VERIFY_SIGS + 2; i++)
		msg_insert(&m, 0, m.f[0], m.flen[0]);
	o.max_signatures = 1000;
	run(&r, &m, &o, keys_std, NELEM(keys_std), 0);
	T_EXPECT(r.n == DKIM_MAX_VERIFY_SIGS + 2, "budget-ceiling-count");
	expect(&r, DKIM_MAX_VERIFY_SIGS - 1, DKIM_R_PASS, NULL, "budget-ceiling");
	expect(&r, DKIM_MAX_VERIFY_SIGS, DKIM_R_POLICY,
	       "not checked: too many signatures", "budget-ceiling");
	run_free(&r);
	msg_free(&m);
}

static void test_unparsable(void)
{
	static const char *const fields[] = {
		"DKIM-Signature:",
		"DKIM-Signature: ;",
		"DKIM-Signature: v=1; v=1",
		"DKIM-Signature: v=1; a=rsa-sha256; d=exa(mple.com; s=x; h=from; "
		"bh=AAAA; b=AAAA",
	};
	static const char *const why[] = {
		"empty tag-list", "empty tag-spec in tag-list",
		"duplicate tag in tag-list", "d= is not a valid domain name",
	};
	struct msg m;
	struct run r;

	base(&m);
	for (size_t i = 0; i < NELEM(fields); i++)
		msg_insert(&m, m.nf, fields[i], strlen(fields[i]));
	run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
	T_EXPECT(r.n == NELEM(fields), "unparsable-all-reported");
	for (size_t i = 0; i < NELEM(fields) && i < r.n; i++) {
		expect(&r, i, DKIM_R_PERMERROR, why[i], fields[i]);
		T_EXPECT(r.r[i].domain == NULL, fields[i]);
	}
	if (r.n == NELEM(fields)) {
		T_EXPECT_STR(r.r[3].selector, "x", "unparsable-selector-kept");
		T_EXPECT_STR(r.r[3].algorithm, "rsa-sha256", "unparsable-alg-kept");
		T_EXPECT_STR(r.r[3].b, "AAAA", "unparsable-b-kept");
	}
	run_free(&r);
	msg_free(&m);
}

/* Bounds on one signature field, and what is reported as a=. */
static void test_sig_limits(void)
{
	static const char head[] = "DKIM-Signature: v=1; a=rsa-sha256; "
		"d=example.com; s=rsa; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; ";
	struct msg m;
	struct run r;
	char *f = malloc(DKIM_MAX_SIG_FIELD + 256);
	size_t n;

	if (f == NULL)
		abort();
	base(&m);
	/* 1: h= with one name too many */
	n = (size_t)sprintf(f, "%sb=AAAA; h=from", head);
	for (unsigned i = 1; i < DKIM_MAX_SIG_HNAMES + 1; i++)
		n += (size_t)sprintf(f + n, ":x");
	msg_insert(&m, m.nf, f, n);
	/* 2: b= too long */
	n = (size_t)sprintf(f, "%sh=from; b=", head);
	memset(f + n, 'A', DKIM_MAX_SIG_B + 4);
	n += DKIM_MAX_SIG_B + 4;
	msg_insert(&m, m.nf, f, n);
	/* 3: the whole field too long */
	n = (size_t)sprintf(f, "%sh=from; b=AAAA; n=", head);
	memset(f + n, 'x', DKIM_MAX_SIG_FIELD);
	n += DKIM_MAX_SIG_FIELD;
	msg_insert(&m, m.nf, f, n);
	/* 4, 5: a= reported as written when it looks like a name */
	n = (size_t)sprintf(f, "DKIM-Signature: v=1; a=rsa-sha512; d=example.com;"
			    " s=rsa; h=from; bh=AAAA; b=AAAA");
	msg_insert(&m, m.nf, f, n);
	n = (size_t)sprintf(f, "DKIM-Signature: v=1; a=rsa(sha)\"x; d=example.com;"
			    " s=rsa; h=from; bh=AAAA; b=AAAA");
	msg_insert(&m, m.nf, f, n);
	run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
	T_EXPECT(r.n == 5, "sig-limits-count");
	expect(&r, 0, DKIM_R_PERMERROR, "h= lists too many fields", "h-too-many");
	expect(&r, 1, DKIM_R_PERMERROR, "b= is too long", "b-too-long");
	expect(&r, 2, DKIM_R_PERMERROR, "signature field is too long",
	       "field-too-long");
	expect(&r, 3, DKIM_R_PERMERROR, "unknown signature algorithm (a=)",
	       "alg-unknown");
	expect(&r, 4, DKIM_R_PERMERROR, "unknown signature algorithm (a=)",
	       "alg-junk");
	if (r.n == 5) {
		T_EXPECT(r.r[2].domain == NULL, "field-too-long-nothing-read");
		T_EXPECT_STR(r.r[3].algorithm, "rsa-sha512", "alg-unknown-copied");
		T_EXPECT(r.r[4].algorithm == NULL, "alg-junk-not-copied");
	}
	run_free(&r);
	msg_free(&m);
	free(f);
}

/* A b= that is base64 but not a signature of the right size fails
 * like any other bad signature. */
static void test_malformed_b(void)
{
	static const struct {
		const char *label, *tpl;
	} cases[] = {
		{ "rsa-b-short", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		  "s=rsa; h={h}; bh={bh}; b=AAAA" },
		{ "ed25519-b-short", "DKIM-Signature: v=1; a=ed25519-sha256; "
		  "d=example.com; s=ed; h={h}; bh={bh}; b=AAAA" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg m;
		struct run r;
		char bh[64], *f1, *f2;

		base(&m);
		body_hash64(&m, DKIM_CANON_SIMPLE, -1, bh, sizeof bh);
		f1 = subst(cases[i].tpl, "{h}", H_STD);
		f2 = subst(f1, "{bh}", bh);
		msg_insert(&m, 0, f2, strlen(f2));
		free(f1);
		free(f2);
		run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
		expect(&r, 0, DKIM_R_FAIL, "signature did not verify", cases[i].label);
		run_free(&r);
		msg_free(&m);
	}
}

static void test_unsigned(void)
{
	struct msg m;
	struct run r;

	base(&m);
	run(&r, &m, NULL, keys_std, NELEM(keys_std), 0);
	T_EXPECT(r.n == 0 && dkim_verifier_count(r.v) == 0, "unsigned-none");
	run_free(&r);
	msg_free(&m);
}

static void test_header_limits(void)
{
	struct msg m;
	struct dkim_verify_opts o = opts();
	struct dkim_verifier *v;
	const struct dkim_sig_result *r;
	size_t n = 0;
	enum sg_status st = SG_OK;
	char *big;

	base(&m);
	sign_top(&m, rsa1024.priv, "rsa", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
		 NULL, 0);
	/* too many fields: a signature before and one after the limit */
	if ((v = dkim_verifier_new(&o)) == NULL)
		abort();
	for (size_t i = 0; i < m.nf; i++)
		dkim_verifier_header(v, m.f[i], m.flen[i]);
	for (unsigned i = 0; i < SG_MAX_HEADERS && st == SG_OK; i++)
		st = dkim_verifier_header(v, "Received: x", 11);
	T_EXPECT(st == SG_E_TOOBIG, "too-many-fields-toobig");
	T_EXPECT(dkim_verifier_header(v, m.f[0], m.flen[0]) == SG_E_TOOBIG,
		 "too-many-fields-sig-after");
	T_EXPECT(dkim_verifier_eoh(v) == SG_OK, "too-many-fields-eoh");
	T_EXPECT(dkim_verifier_count(v) == 2, "too-many-fields-count");
	T_EXPECT(dkim_verifier_key_name(v, 0) == NULL, "too-many-fields-no-key");
	T_EXPECT(dkim_verifier_eom(v) == SG_OK, "too-many-fields-eom");
	r = dkim_verifier_results(v, &n);
	T_EXPECT(n == 2, "too-many-fields-results");
	for (size_t i = 0; i < n; i++) {
		T_EXPECT(r[i].result == DKIM_R_PERMERROR, "too-many-fields-permerror");
		T_EXPECT_STR(r[i].reason, "header block too large",
			     "too-many-fields-reason");
	}
	if (n == 2) {
		T_EXPECT_STR(r[0].domain, "example.com", "too-many-fields-kept-sig");
		T_EXPECT(r[1].domain == NULL, "too-many-fields-lost-sig");
	}
	dkim_verifier_free(&v);

	/* too many bytes */
	if ((big = malloc(SG_MAX_HEADER_BYTES)) == NULL || (v = dkim_verifier_new(&o)) == NULL)
		abort();
	memcpy(big, "X-Big: ", 7);
	memset(big + 7, 'a', SG_MAX_HEADER_BYTES - 7);
	T_EXPECT(dkim_verifier_header(v, m.f[0], m.flen[0]) == SG_OK, "big-sig");
	T_EXPECT(dkim_verifier_header(v, big, SG_MAX_HEADER_BYTES) == SG_E_TOOBIG,
		 "big-field-toobig");
	T_EXPECT(dkim_verifier_eom(v) == SG_OK, "big-eom-without-eoh");
	r = dkim_verifier_results(v, &n);
	T_EXPECT(n == 1 && r[0].result == DKIM_R_PERMERROR, "big-permerror");
	dkim_verifier_free(&v);
	free(big);
	msg_free(&m);
}

static void test_call_order(void)
{
	struct dkim_verify_opts o = opts();
	struct dkim_verifier *v = dkim_verifier_new(&o);
	size_t n = 99;

	if (v == NULL)
		abort();
	T_EXPECT(dkim_verifier_body(v, "x", 1) == SG_E_STATE, "body-before-eoh");
	T_EXPECT(dkim_verifier_header(v, "From: a@b.c", 11) == SG_OK, "header");
	T_EXPECT(dkim_verifier_results(v, &n) == NULL && n == 0,
		 "results-before-eom");
	T_EXPECT(dkim_verifier_eoh(v) == SG_OK, "eoh");
	T_EXPECT(dkim_verifier_eoh(v) == SG_E_STATE, "eoh-twice");
	T_EXPECT(dkim_verifier_header(v, "To: x@y.z", 9) == SG_E_STATE,
		 "header-after-eoh");
	T_EXPECT(dkim_verifier_key_name(v, 0) == NULL, "key-name-out-of-range");
	dkim_verifier_set_key(v, 3, DKIM_KEY_OK, NULL, NULL);	/* ignored */
	T_EXPECT(dkim_verifier_eom(v) == SG_OK, "eom");
	T_EXPECT(dkim_verifier_eom(v) == SG_E_STATE, "eom-twice");
	T_EXPECT(dkim_verifier_body(v, "x", 1) == SG_E_STATE, "body-after-eom");
	T_EXPECT(dkim_verifier_results(v, &n) != NULL || n == 0, "results");
	T_EXPECT(n == 0, "results-unsigned");
	dkim_verifier_free(&v);
	dkim_verifier_free(&v);
	dkim_verifier_free(NULL);
}

static void test_result_names(void)
{
	static const struct {
		enum dkim_result r;
		const char *name;
	} cases[] = {
		{ DKIM_R_NONE, "none" }, { DKIM_R_PASS, "pass" },
		{ DKIM_R_FAIL, "fail" }, { DKIM_R_NEUTRAL, "neutral" },
		{ DKIM_R_POLICY, "policy" }, { DKIM_R_TEMPERROR, "temperror" },
		{ DKIM_R_PERMERROR, "permerror" },
	};

	for (size_t i = 0; i < NELEM(cases); i++)
		T_EXPECT_STR(dkim_result_name(cases[i].r), cases[i].name,
			     cases[i].name);
}

/* ---- published messages --------------------------------------------------------------- */

/* The TXT value of name in a YAML zone file of the conformance folder
 * ("NAME:" then "- TXT: value", quoted or not); malloc'd or NULL. */
static char *zone_txt(const char *sub, const char *name)
{
	size_t len = 0, n = strlen(name);
	char *zone = conformance_read(sub, "zone.yml", &len), *save = NULL, *out = NULL;
	bool in = false;

	if (zone == NULL)
		return NULL;
	for (char *line = strtok_r(zone, "\n", &save); line != NULL && out == NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v;

		if (line[0] != ' ' && line[0] != '-' && line[0] != '#') {
			in = strncmp(line, name, n) == 0 && line[n] == ':' &&
			     line[n + 1] == '\0';
			continue;
		}
		if (!in || (v = strstr(line, "TXT: ")) == NULL)
			continue;
		v += 5;
		if (*v == '"') {
			char *end = strrchr(++v, '"');

			if (end != NULL)
				*end = '\0';
		}
		out = strdup(v);
	}
	free(zone);
	return out;
}

/* Verify a conformance message with keys from the zone file; names are
 * "selector._domainkey.domain". */
static void verify_published(const char *sub, const char *file,
			     const char *const *names, size_t nnames,
			     long long now, struct run *r, struct msg *m,
			     struct dkim_pubkey **keys)
{
	struct keyent ke[4];
	struct dkim_verify_opts o = opts();

	o.now = now;
	for (size_t i = 0; i < nnames; i++) {
		char *txt = zone_txt(sub, names[i]);

		keys[i] = txt != NULL ? pub_of(txt) : NULL;
		T_EXPECT(txt != NULL, names[i]);
		ke[i] = (struct keyent){ names[i], DKIM_KEY_OK, keys[i], NULL };
		free(txt);
	}
	memset(r, 0, sizeof *r);
	if (msg_load(m, sub, file) != 0) {
		T_EXPECT(!"message readable", file);
		return;
	}
	run(r, m, &o, ke, nnames, 0);
}

static void done_published(struct run *r, struct msg *m,
			   struct dkim_pubkey **keys, size_t n)
{
	if (r->v != NULL)
		run_free(r);
	msg_free(m);
	for (size_t i = 0; i < n; i++)
		dkim_pubkey_free(&keys[i]);
}

static void test_rfc8463_a3(void)
{
	static const char *const names[] = {
		"brisbane._domainkey.football.example.com",
		"test._domainkey.football.example.com",
	};
	struct dkim_pubkey *keys[2];
	struct msg m;
	struct run r;

	/* RFC 8463 A.2 records (dkim-rfc/zone.yml), A.3 message, its t= */
	verify_published("dkim-rfc", "rfc8463-A3-signed.eml", names, 2,
			 1528637909, &r, &m, keys);
	T_EXPECT(r.n == 2, "rfc8463-A3-two-signatures");
	expect(&r, 0, DKIM_R_PASS, NULL, "rfc8463-A3-ed25519");
	expect(&r, 1, DKIM_R_PASS, NULL, "rfc8463-A3-rsa");
	if (r.n == 2) {
		T_EXPECT_STR(r.r[0].algorithm, "ed25519-sha256", "rfc8463-A3-alg");
		T_EXPECT_STR(r.r[0].selector, "brisbane", "rfc8463-A3-selector");
		T_EXPECT_STR(r.r[0].identity, "@football.example.com",
			     "rfc8463-A3-identity");
		T_EXPECT_STR(r.r[0].b, "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQ"
			     "ehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
			     "rfc8463-A3-b");
		T_EXPECT_STR(r.r[1].algorithm, "rsa-sha256", "rfc8463-A3-alg");
		T_EXPECT(r.r[1].key_bits == 1024 && r.r[0].key_bits == 256,
			 "rfc8463-A3-bits");
	}
	if (r.v != NULL)
		run_free(&r);

	/* a byte at a time, too */
	if (m.nf > 0) {
		struct keyent ke[2] = {
			{ names[0], DKIM_KEY_OK, keys[0], NULL },
			{ names[1], DKIM_KEY_OK, keys[1], NULL },
		};
		struct dkim_verify_opts o = opts();

		o.now = 1528637909;
		run(&r, &m, &o, ke, 2, 1);
		expect(&r, 0, DKIM_R_PASS, NULL, "rfc8463-A3-ed25519-bytewise");
		expect(&r, 1, DKIM_R_PASS, NULL, "rfc8463-A3-rsa-bytewise");
		run_free(&r);
		/* years later, without x=: still passes */
		o.now = NOW;
		run(&r, &m, &o, ke, 2, 0);
		expect(&r, 0, DKIM_R_PASS, NULL, "rfc8463-A3-later");
		run_free(&r);
		/* before its t= (a sender's clock ahead): still passes */
		o.now = 1528637909 - 3600;
		run(&r, &m, &o, ke, 2, 0);
		expect(&r, 0, DKIM_R_PASS, NULL, "rfc8463-A3-before-t");
		run_free(&r);
	}
	done_published(&r, &m, keys, 2);
}

static void test_rfc6376_a2(void)
{
	static const char *const names[] = { "brisbane._domainkey.example.com" };
	struct dkim_pubkey *keys[1];
	struct msg m;
	struct run r;

	verify_published("dkim-rfc", "rfc6376-A2-signed.eml", names, 1, NOW,
			 &r, &m, keys);
	T_EXPECT(r.n == 1, "rfc6376-A2-one-signature");
	expect(&r, 0, DKIM_R_FAIL, "body hash did not verify", "rfc6376-A2");
	if (r.n == 1)
		T_EXPECT_STR(r.r[0].identity, "joe@football.example.com",
			     "rfc6376-A2-identity-below-d");
	done_published(&r, &m, keys, 1);
}

static void test_dkimpy_messages(void)
{
	static const struct {
		const char *file, *names[2];
		size_t nnames;
		enum dkim_result want[2];
		const char *why;
	} cases[] = {
		{ "test2.message", { "20120113._domainkey.gmail.com" }, 1,
		  { DKIM_R_PASS }, NULL },
		{ "ed25519test2.msg", { "sed._domainkey.test.ex" }, 1,
		  { DKIM_R_PASS }, NULL },
		{ "rfc6376.signed.msg", { "brisbane._domainkey.football.example.com",
		  "test._domainkey.football.example.com" }, 2,
		  { DKIM_R_PASS, DKIM_R_PASS }, NULL },
		{ "rfc6376.signed.rsa.msg", { "test._domainkey.football.example.com" },
		  1, { DKIM_R_PASS }, NULL },
		{ "test.message.baddomain",
		  { "test._domainkey.legitimate.com(.attacker.com" }, 1,
		  { DKIM_R_PERMERROR }, "d= is not a valid domain name" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_pubkey *keys[2] = { NULL, NULL };
		struct msg m;
		struct run r;

		verify_published("dkim-dkimpy", cases[i].file, cases[i].names,
				 cases[i].nnames, NOW, &r, &m, keys);
		T_EXPECT(r.n == cases[i].nnames, cases[i].file);
		for (size_t k = 0; k < cases[i].nnames; k++)
			expect(&r, k, cases[i].want[k], cases[i].why, cases[i].file);
		done_published(&r, &m, keys, cases[i].nnames);
	}
}

/* Mail::DKIM's corpus and FAKE_DNS.dat: a strict verifier passes only
 * goodkey_ed25519.txt (see dkim-mail-dkim/SOURCE.md); nothing crashes. */
static char *fake_dns(const char *all, const char *name, enum dkim_key_status *st)
{
	size_t n = strlen(name);

	for (const char *line = all; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);

		if (len > n && strncasecmp(line, name, n) == 0 &&
		    (line[n] == ' ' || line[n] == '\t')) {
			const char *v = line + n;
			char *out;

			while (*v == ' ' || *v == '\t')
				v++;
			len -= (size_t)(v - line);
			*st = DKIM_KEY_OK;
			if (strncmp(v, "NXDOMAIN", 8) == 0)
				*st = DKIM_KEY_NOTFOUND;
			else if (strncmp(v, "~~", 2) == 0)
				*st = DKIM_KEY_TEMPFAIL;
			if (strncmp(v, "\"\"", 2) == 0)
				len = 0;
			out = strndup(v, len);
			return out;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	*st = DKIM_KEY_NOTFOUND;
	return NULL;
}

static void corpus_one(const char *dns, const char *file, int *passes)
{
	struct dkim_verify_opts o = opts();
	struct dkim_pubkey *pk[16] = { NULL };
	struct dkim_verifier *v;
	const struct dkim_sig_result *r;
	struct msg m;
	size_t n = 0;

	if (msg_load(&m, "dkim-mail-dkim/corpus", file) != 0 ||
	    (v = dkim_verifier_new(&o)) == NULL) {
		T_EXPECT(!"corpus message readable", file);
		return;
	}
	for (size_t i = 0; i < m.nf; i++)
		dkim_verifier_header(v, m.f[i], m.flen[i]);
	dkim_verifier_eoh(v);
	for (size_t i = 0; i < dkim_verifier_count(v) && i < 16; i++) {
		const char *name = dkim_verifier_key_name(v, i), *why = NULL;
		enum dkim_key_status st;
		char *txt;

		if (name == NULL)
			continue;
		txt = fake_dns(dns, name, &st);
		if (st == DKIM_KEY_OK &&
		    dkim_pubkey_parse(txt, strlen(txt), &pk[i], &why) != SG_OK)
			st = DKIM_KEY_BAD;
		dkim_verifier_set_key(v, i, st, pk[i], why);
		free(txt);
	}
	dkim_verifier_body(v, m.body, m.bodylen);
	T_EXPECT(dkim_verifier_eom(v) == SG_OK, file);
	r = dkim_verifier_results(v, &n);
	for (size_t i = 0; i < n; i++) {
		T_EXPECT(r[i].reason != NULL || r[i].result == DKIM_R_PASS, file);
		if (r[i].result == DKIM_R_PASS) {
			(*passes)++;
			T_EXPECT_STR(file, "goodkey_ed25519.txt", "corpus-only-pass");
		}
	}
	dkim_verifier_free(&v);
	for (size_t i = 0; i < 16; i++)
		dkim_pubkey_free(&pk[i]);
	msg_free(&m);
}

static void test_maildkim_corpus(void)
{
	char path[1024];
	size_t len = 0;
	char *dns = conformance_read("dkim-mail-dkim", "FAKE_DNS.dat", &len);
	struct dirent *e;
	DIR *d;
	int files = 0, passes = 0;

	snprintf(path, sizeof path, "%s/dkim-mail-dkim/corpus", conformance_dir());
	if (dns == NULL || (d = opendir(path)) == NULL) {
		T_EXPECT(!"Mail::DKIM corpus readable", "maildkim-corpus");
		free(dns);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0)
			continue;
		corpus_one(dns, e->d_name, &passes);
		files++;
	}
	closedir(d);
	T_EXPECT(files == 79, "maildkim-corpus-79-files");
	T_EXPECT(passes == 1, "maildkim-corpus-one-pass");
	free(dns);
}

int main(void)
{
	if (tkey_load(&rsa1024, "dkim-dkimpy", "test.private") != 0 ||
	    tkey_generate(&rsa2048, "RSA", 2048) != 0 ||
	    tkey_generate(&ed, "ED25519", 0) != 0) {
		fprintf(stderr, "verify_test: cannot load or make the test keys "
			"(conformance data at %s? set SIGNET_CONFORMANCE)\n",
			conformance_dir());
		T_EXPECT(0, "keys");
		return T_DONE("verify_test");
	}
	set_std_keys();
	test_round_trip();
	test_tamper();
	test_second_from();
	test_no_from();
	test_crafted_tags();
	test_b_not_base64();
	test_times();
	test_body_length();
	test_signs_other_signature();
	test_key_answers();
	test_key_type_ed();
	test_budget();
	test_unparsable();
	test_sig_limits();
	test_malformed_b();
	test_unsigned();
	test_header_limits();
	test_call_order();
	test_result_names();
	test_rfc8463_a3();
	test_rfc6376_a2();
	test_dkimpy_messages();
	test_maildkim_corpus();
	tkey_free(&rsa1024);
	tkey_free(&rsa2048);
	tkey_free(&ed);
	return T_DONE("verify_test");
}
