/*
 * tests/unit/sign_test.c -- body hashes (RFC 6376 A.1), header choice
 * (5.4.2, oversigning), the tag list (order, folding, optional tags),
 * request checks, and RFC 8463 A.3: its bh= and both of its b= values
 * reproduced from its key and message, and our own signatures of that
 * message checked by an independent verifier written here.
 * Vectors come from $SIGNET_CONFORMANCE (default ../shared/conformance).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#include "common/b64.h"
#include "common/limits.h"
#include "dkim/sign.h"
#include "tests/lib/test.h"

#define MAX_FIELDS 128

static char *read_file(const char *name, size_t *len)
{
	const char *dir = getenv("SIGNET_CONFORMANCE");
	char path[1024];
	FILE *f;
	char *p;
	long n;

	snprintf(path, sizeof path, "%s/dkim-rfc/%s",
		 dir != NULL ? dir : "../shared/conformance", name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	if (p != NULL) {
		p[n] = '\0';
		*len = (size_t)n;
	}
	return p;
}

/* A message split into header fields (pointing into text) and body. */
struct msg {
	char *text;
	struct dkim_hdr f[MAX_FIELDS];
	size_t nf;
	const char *body;
	size_t bodylen;
};

static int msg_load(struct msg *m, const char *name)
{
	size_t len = 0;
	char *p, *end;

	memset(m, 0, sizeof *m);
	if ((m->text = read_file(name, &len)) == NULL)
		return -1;
	p = m->text;
	end = p + len;
	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		char *q = p;

		do {			/* a field and its continuation lines */
			q = strstr(q, "\r\n");
			q += 2;
		} while (q < end && (*q == ' ' || *q == '\t'));
		if (m->nf < MAX_FIELDS) {
			m->f[m->nf].field = p;
			m->f[m->nf].len = (size_t)(q - 2 - p);
			m->nf++;
		}
		p = q;
	}
	m->body = p + 2;
	m->bodylen = (size_t)(end - m->body);
	return 0;
}

/* Drop the fields named name (case-insensitive). */
static void msg_drop(struct msg *m, const char *name)
{
	size_t k = 0, n = strlen(name);

	for (size_t i = 0; i < m->nf; i++)
		if (!(strncasecmp(m->f[i].field, name, n) == 0 &&
		      m->f[i].field[n] == ':'))
			m->f[k++] = m->f[i];
	m->nf = k;
}

static struct dkim_privkey *load_key(const char *name)
{
	struct dkim_privkey *k = NULL;
	const char *warn = NULL, *why = NULL;
	size_t len = 0;
	char *data = read_file(name, &len);

	if (data == NULL || dkim_key_parse(data, len, &k, &warn, &why) != SG_OK)
		fprintf(stderr, "cannot load key %s: %s\n", name,
			why ? why : "?");
	free(data);
	return k;
}

static void b64(const unsigned char *p, size_t n, char *out, size_t sz)
{
	char *s = NULL;

	b64_encode(p, n, &s);
	snprintf(out, sz, "%s", s ? s : "");
	free(s);
}

/* ---- tag list helpers (a reader independent of the signer) ------------- */

/* Value of tag name in a tag list with all white space removed, or "" if
 * absent; *order gets the tag names in order, ';'-separated. */
static void tag_get(const char *list, const char *name, char *out, size_t sz,
		    char *order, size_t osz)
{
	const char *p = list;

	out[0] = '\0';
	if (order != NULL)
		order[0] = '\0';
	while (*p != '\0') {
		char tag[32], val[4096];
		size_t tn = 0, vn = 0;
		const char *eq = strchr(p, '='), *semi = strchr(p, ';');

		if (semi == NULL)
			semi = p + strlen(p);
		if (eq == NULL || eq > semi)
			break;
		for (const char *q = p; q < eq; q++)
			if (!isspace((unsigned char)*q) && tn < sizeof tag - 1)
				tag[tn++] = *q;
		tag[tn] = '\0';
		for (const char *q = eq + 1; q < semi; q++)
			if (!isspace((unsigned char)*q) && vn < sizeof val - 1)
				val[vn++] = *q;
		val[vn] = '\0';
		if (strcmp(tag, name) == 0)
			snprintf(out, sz, "%s", val);
		if (order != NULL && strlen(order) + tn + 2 < osz) {
			strcat(order, tag);
			strcat(order, ";");
		}
		p = *semi != '\0' ? semi + 1 : semi;
	}
}

/* The field "DKIM-Signature:" + value with the b= value (and white
 * space around it) removed, as a verifier makes it (RFC 6376 3.7). */
static void strip_b(const char *value, char *out, size_t sz)
{
	const char *p = value, *b = NULL;

	for (; *p != '\0'; p++) {
		const char *q = p;

		if (p != value && p[-1] != ';')
			continue;
		while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			q++;
		if (q[0] == 'b' && q[1] == '=') {
			b = q + 2;
			break;
		}
	}
	if (b == NULL) {
		out[0] = '\0';
		return;
	}
	p = strchr(b, ';');
	snprintf(out, sz, "DKIM-Signature:%.*s%s", (int)(b - value), value,
		 p != NULL ? p : "");
}

/* Canonical header data a verifier hashes for signature value sig. */
static int header_data(const struct msg *m, const char *sig,
		       enum dkim_canon_mode hc, struct buf *data)
{
	char h[4096], field[8192];
	int used[MAX_FIELDS] = { 0 };
	char *save = NULL;

	tag_get(sig, "h", h, sizeof h, NULL, 0);
	for (char *name = strtok_r(h, ":", &save); name != NULL;
	     name = strtok_r(NULL, ":", &save)) {
		size_t n = strlen(name);

		for (size_t i = m->nf; i-- > 0;) {	/* bottom-up */
			const struct dkim_hdr *f = &m->f[i];
			size_t k = n;

			if (used[i] || strncasecmp(f->field, name, n) != 0)
				continue;
			while (k < f->len && (f->field[k] == ' ' ||
					      f->field[k] == '\t'))
				k++;
			if (k >= f->len || f->field[k] != ':')
				continue;
			used[i] = 1;
			dkim_canon_header(hc, f->field, f->len, 0, data);
			break;
		}
	}
	strip_b(sig, field, sizeof field);
	return dkim_canon_header(hc, field, strlen(field), 1, data) == SG_OK ?
	       0 : -1;
}

/* The fields a verifier picks for signature value sig (bottom-up by h=). */
static size_t pick_by_h(const struct msg *m, const char *sig,
			const struct dkim_hdr **out, size_t max)
{
	char h[4096];
	int used[MAX_FIELDS] = { 0 };
	char *save = NULL;
	size_t n_out = 0;

	tag_get(sig, "h", h, sizeof h, NULL, 0);
	for (char *name = strtok_r(h, ":", &save); name != NULL && n_out < max;
	     name = strtok_r(NULL, ":", &save)) {
		size_t n = strlen(name);

		for (size_t i = m->nf; i-- > 0;) {
			const struct dkim_hdr *f = &m->f[i];
			size_t k = n;

			if (used[i] || strncasecmp(f->field, name, n) != 0)
				continue;
			while (k < f->len && (f->field[k] == ' ' || f->field[k] == '\t'))
				k++;
			if (k >= f->len || f->field[k] != ':')
				continue;
			used[i] = 1;
			out[n_out++] = f;
			break;
		}
	}
	return n_out;
}

/* Sign or verify header data the way RFC 6376 / RFC 8463 say, without
 * the signer's code: rsa over the data, ed25519 over its SHA-256. */
static int crypto(EVP_PKEY *pk, int ed25519, const struct buf *data,
		  unsigned char *sig, size_t *siglen, int verify)
{
	unsigned char dg[32];
	const unsigned char *p = (const unsigned char *)data->data;
	size_t n = data->len;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (ed25519) {
		EVP_Digest(data->data, data->len, dg, NULL, EVP_sha256(), NULL);
		p = dg;
		n = sizeof dg;
	}
	if (verify)
		ok = EVP_DigestVerifyInit(md, NULL, ed25519 ? NULL : EVP_sha256(),
					  NULL, pk) == 1 &&
		     EVP_DigestVerify(md, sig, *siglen, p, n) == 1;
	else
		ok = EVP_DigestSignInit(md, NULL, ed25519 ? NULL : EVP_sha256(),
					NULL, pk) == 1 &&
		     EVP_DigestSign(md, sig, siglen, p, n) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* Verify signature value sig over m with key k (public half). */
static int verify(const struct msg *m, const char *sig,
		  enum dkim_canon_mode hc, const struct dkim_privkey *k)
{
	char b[2048];
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	struct buf data;
	int r = -1;

	buf_init(&data, 1 << 20);
	tag_get(sig, "b", b, sizeof b, NULL, 0);
	if (header_data(m, sig, hc, &data) == 0 &&
	    b64_decode(b, strlen(b), &raw, &rawlen) == SG_OK)
		r = crypto(dkim_key_pkey(k),
			   dkim_key_alg(k) == DKIM_ALG_ED25519_SHA256, &data,
			   raw, &rawlen, 1);
	free(raw);
	buf_free(&data);
	return r;
}

/* ---- body hash ---------------------------------------------------------------- */

static void body_hash(enum dkim_canon_mode mode, const char *p, size_t n,
		      size_t step, char *out, size_t sz)
{
	struct dkim_bodyhash *bh = dkim_bodyhash_new(mode, -1);
	unsigned char d[DKIM_BH_LEN];

	for (size_t at = 0; at < n; at += step)
		dkim_bodyhash_update(bh, p + at, n - at < step ? n - at : step);
	dkim_bodyhash_final(bh, d);
	dkim_bodyhash_free(&bh);
	b64(d, sizeof d, out, sz);
}

static void test_bodyhash(void)
{
	static const struct {
		const char *label;
		enum dkim_canon_mode m;
		size_t step;
		const char *want;
	} cases[] = {
		{ "rfc6376-A1-simple-bh", DKIM_CANON_SIMPLE, 1 << 20,
		  "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=" },
		{ "rfc6376-A1-relaxed-bh", DKIM_CANON_RELAXED, 1 << 20,
		  "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=" },
		{ "rfc6376-A1-simple-bh-byte-at-a-time", DKIM_CANON_SIMPLE, 1,
		  "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=" },
		{ "rfc6376-A1-relaxed-bh-byte-at-a-time", DKIM_CANON_RELAXED, 1,
		  "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=" },
	};
	struct msg m;
	char got[64];

	if (msg_load(&m, "rfc6376-A1-unsigned.eml") != 0) {
		T_EXPECT(0, "rfc6376-A1-readable");
		return;
	}
	for (size_t i = 0; i < NELEM(cases); i++) {
		body_hash(cases[i].m, m.body, m.bodylen, cases[i].step, got,
			  sizeof got);
		T_EXPECT_STR(got, cases[i].want, cases[i].label);
	}
	free(m.text);

	/* empty bodies: SHA-256 of "\r\n" and of "" */
	body_hash(DKIM_CANON_SIMPLE, "", 0, 1, got, sizeof got);
	T_EXPECT_STR(got, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
		     "empty-body-simple-bh");
	body_hash(DKIM_CANON_RELAXED, "", 0, 1, got, sizeof got);
	T_EXPECT_STR(got, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		     "empty-body-relaxed-bh");
}

static void test_bodyhash_state(void)
{
	struct dkim_bodyhash *bh = dkim_bodyhash_new(DKIM_CANON_SIMPLE, 2);
	unsigned char a[DKIM_BH_LEN], b[DKIM_BH_LEN], want[DKIM_BH_LEN];

	T_EXPECT(dkim_bodyhash_update(bh, "abc\r\n", 5) == SG_OK, "bh-update");
	T_EXPECT(dkim_bodyhash_final(bh, a) == SG_OK, "bh-final");
	T_EXPECT(dkim_bodyhash_final(bh, b) == SG_OK, "bh-final-again");
	T_EXPECT(memcmp(a, b, sizeof a) == 0, "bh-final-same-digest");
	T_EXPECT(dkim_bodyhash_update(bh, "x", 1) == SG_E_STATE,
		 "bh-update-after-final");
	EVP_Digest("ab", 2, want, NULL, EVP_sha256(), NULL);
	T_EXPECT(memcmp(a, want, sizeof a) == 0, "bh-body-limit-l=2");
	dkim_bodyhash_free(&bh);
	T_EXPECT(bh == NULL, "bh-free-nulls");
	dkim_bodyhash_free(&bh);
}

static void test_default_list(void)
{
	size_t n = 0;
	int from = 0, ct = 0;

	while (dkim_default_sign_headers[n] != NULL) {
		from |= strcasecmp(dkim_default_sign_headers[n], "from") == 0;
		ct |= strcasecmp(dkim_default_sign_headers[n],
				 "content-description") == 0;
		n++;
	}
	T_EXPECT(n == 25, "default-list-rfc6376-5.4.1-size");
	T_EXPECT(from && ct, "default-list-has-from-and-content-description");
}

/* ---- the tag list ------------------------------------------------------------ */

static const char *const synth_fields[] = {
	"Received: from a by b",
	"From: A <a@example.com>",
	"To: b@example.net",
	"X-A: one",
	"Subject: first\r\n\tsubject",
	"X-A:  two  ",
	"SUBJECT : second",
};

static void synth_msg(struct msg *m)
{
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < NELEM(synth_fields); i++) {
		m->f[i].field = synth_fields[i];
		m->f[i].len = strlen(synth_fields[i]);
	}
	m->nf = NELEM(synth_fields);
}

/* Longest line of "DKIM-Signature:" + value; -1 if a line break is not
 * CRLF TAB or a line ends in white space. */
static int fold_check(const char *value)
{
	int col = 15, max = 0;

	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n') {
			if (p[0] != '\r' || p[1] != '\n' || p[2] != '\t' ||
			    p[-1] == ' ' || p[-1] == '\t')
				return -1;
			max = col > max ? col : max;
			col = 0;
			p++;
			continue;
		}
		col++;
	}
	return col > max ? col : max;
}

static void test_tag_list(const struct dkim_privkey *k)
{
	static const char *const l_fxs[] = { "from", "x-a", "subject" };
	static const char *const l_ft[] = { "from", "to" };
	static const char *const l_fx[] = { "from", "x-a" };
	static const char *const l_twice[] = { "from", "FROM", "to", "From" };
	static const char *const l_case[] = { "FROM", "To" };
	static const struct {
		const char *label, *identity;
		long long t, x;
		const char *const *sign;
		size_t nsign;
		const char *const *over;
		size_t nover;
		const char *order, *h, *tval, *xval;
	} cases[] = {
		{ "tags-minimal-order", NULL, -1, 0, l_ft, 2, NULL, 0,
		  "v;a;c;d;s;h;bh;b;", "from:to", "", "" },
		{ "tags-i-t-x-order", "@mail.example.com", 1000, 3600, l_ft, 2,
		  NULL, 0, "v;a;c;d;s;i;t;x;h;bh;b;", "from:to", "1000", "4600" },
		{ "tags-t-without-x", NULL, 0, 0, l_ft, 2, NULL, 0,
		  "v;a;c;d;s;t;h;bh;b;", "from:to", "0", "" },
		{ "tags-x-zero-omitted", "user@example.com", 7, -5, l_ft, 2,
		  NULL, 0, "v;a;c;d;s;i;t;h;bh;b;", "from:to", "7", "" },
		{ "h-all-instances-bottom-up", NULL, -1, 0, l_fxs, 3, NULL, 0,
		  "v;a;c;d;s;h;bh;b;", "from:x-a:x-a:subject:subject", "", "" },
		{ "h-oversign-extra-entry", NULL, -1, 0, l_ft, 2, l_fx, 2,
		  "v;a;c;d;s;h;bh;b;", "from:to:x-a:x-a:from:x-a", "", "" },
		{ "h-default-list-present-only", NULL, -1, 0, NULL, 0, NULL, 0,
		  "v;a;c;d;s;h;bh;b;", "From:Subject:Subject:To", "", "" },
		{ "h-name-listed-twice-signed-once", NULL, -1, 0, l_twice, 4,
		  l_twice, 4, "v;a;c;d;s;h;bh;b;", "from:to:from:to", "", "" },
		{ "h-names-as-given", NULL, -1, 0, l_case, 2, NULL, 0,
		  "v;a;c;d;s;h;bh;b;", "FROM:To", "", "" },
	};
	static const unsigned char bh[DKIM_BH_LEN] = { 1, 2, 3 };
	struct msg m;

	synth_msg(&m);
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_sign_req rq = {
			.key = k, .domain = "example.com", .selector = "sel",
			.identity = cases[i].identity,
			.hcanon = DKIM_CANON_RELAXED, .bcanon = DKIM_CANON_SIMPLE,
			.sign_headers = cases[i].sign,
			.n_sign_headers = cases[i].nsign,
			.oversign = cases[i].over, .n_oversign = cases[i].nover,
			.timestamp = cases[i].t, .expire_after = cases[i].x,
		};
		char *out = NULL, order[128], v[512];
		const char *why = NULL;
		int w;

		T_EXPECT(dkim_sign(&rq, m.f, m.nf, bh, &out, &why) == SG_OK,
			 cases[i].label);
		if (out == NULL)
			continue;
		tag_get(out, "h", v, sizeof v, order, sizeof order);
		T_EXPECT_STR(order, cases[i].order, cases[i].label);
		T_EXPECT_STR(v, cases[i].h, cases[i].label);
		tag_get(out, "t", v, sizeof v, NULL, 0);
		T_EXPECT_STR(v, cases[i].tval, cases[i].label);
		tag_get(out, "x", v, sizeof v, NULL, 0);
		T_EXPECT_STR(v, cases[i].xval, cases[i].label);
		tag_get(out, "c", v, sizeof v, NULL, 0);
		T_EXPECT_STR(v, "relaxed/simple", cases[i].label);
		T_EXPECT(out[0] == ' ' && strncmp(out, " v=1; a=", 8) == 0,
			 cases[i].label);
		w = fold_check(out);
		T_EXPECT(w > 0 && w <= 78, cases[i].label);
		T_EXPECT(verify(&m, out, DKIM_CANON_RELAXED, k) == 0,
			 cases[i].label);
		free(out);
	}
}

/* All four c= combinations sign verifiably; simple header
 * canonicalization hashes the folded signature field exactly as
 * written (only the b= value removed). */
static void test_canon_modes(const struct dkim_privkey *k)
{
	static const enum dkim_canon_mode modes[] = {
		DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED
	};
	static const unsigned char bh[DKIM_BH_LEN] = { 9 };
	struct msg m;

	synth_msg(&m);
	for (size_t i = 0; i < 4; i++) {
		struct dkim_sign_req rq = {
			.key = k, .domain = "example.com", .selector = "sel",
			.identity = "@example.com",
			.hcanon = modes[i / 2], .bcanon = modes[i % 2],
			.timestamp = 1700000000, .expire_after = 600,
		};
		char *out = NULL, c[32], want[32], label[64];
		const char *why = NULL;

		snprintf(want, sizeof want, "%s/%s", dkim_canon_name(rq.hcanon),
			 dkim_canon_name(rq.bcanon));
		snprintf(label, sizeof label, "canon-%s-verifies", want);
		T_EXPECT(dkim_sign(&rq, m.f, m.nf, bh, &out, &why) == SG_OK,
			 label);
		if (out == NULL)
			continue;
		tag_get(out, "c", c, sizeof c, NULL, 0);
		T_EXPECT_STR(c, want, label);
		T_EXPECT(verify(&m, out, rq.hcanon, k) == 0, label);
		T_EXPECT(verify(&m, out, !rq.hcanon, k) != 0,
			 "wrong-header-canon-fails");
		free(out);
	}
}

/* A long h= and a long RSA b= are folded within 78 columns. */
static void test_folding(const struct dkim_privkey *ed,
			 const struct dkim_privkey *rsa)
{
	static char names[100][32], fields[100][48];
	const char *list[100];
	struct msg m;
	static const unsigned char bh[DKIM_BH_LEN] = { 7 };

	memset(&m, 0, sizeof m);
	m.f[0].field = "From: x@example.com";
	m.f[0].len = strlen(m.f[0].field);
	list[0] = "from";
	for (size_t i = 1; i < NELEM(list); i++) {
		snprintf(names[i], sizeof names[i], "X-Header-%zu", i * 37);
		snprintf(fields[i], sizeof fields[i], "%s: value %zu",
			 names[i], i);
		m.f[i].field = fields[i];
		m.f[i].len = strlen(fields[i]);
		list[i] = names[i];
	}
	m.nf = NELEM(list);
	for (int r = 0; r < 2; r++) {
		const struct dkim_privkey *k = r ? rsa : ed;
		struct dkim_sign_req rq = {
			.key = k, .domain = "a-rather-long-subdomain.example.com",
			.selector = "selector-2024-01",
			.identity = "someone@a-rather-long-subdomain.example.com",
			.hcanon = r ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
			.bcanon = DKIM_CANON_RELAXED,
			.sign_headers = list, .n_sign_headers = NELEM(list),
			.oversign = list, .n_oversign = 3,
			.timestamp = 1700000000, .expire_after = 86400 * 7,
		};
		char *out = NULL;
		const char *why = NULL;
		int w;

		T_EXPECT(dkim_sign(&rq, m.f, m.nf, bh, &out, &why) == SG_OK,
			 "fold-long-h");
		if (out == NULL)
			continue;
		w = fold_check(out);
		T_EXPECT(w > 60 && w <= 78, r ? "fold-rsa-b-width" :
			 "fold-long-h-width");
		T_EXPECT(verify(&m, out, rq.hcanon, k) == 0,
			 r ? "fold-rsa-simple-verifies" :
			 "fold-ed25519-relaxed-verifies");
		free(out);
	}
}

static void test_bad_requests(const struct dkim_privkey *k)
{
	static const char *const no_from[] = { "to", "subject" };
	static const char *const bad_name[] = { "from", "x:y" };
	static const unsigned char bh[DKIM_BH_LEN] = { 0 };
	static const struct {
		const char *label, *domain, *selector, *identity;
		const char *const *sign;
		size_t nsign;
		long long t, x;
		size_t nf;
		enum sg_status st;
	} cases[] = {
		{ "bad-domain-semicolon", "exa;mple.com", "s", NULL, NULL, 0,
		  -1, 0, 3, SG_E_SYNTAX },
		{ "bad-domain-space", "exa mple.com", "s", NULL, NULL, 0,
		  -1, 0, 3, SG_E_SYNTAX },
		{ "bad-empty-selector", "example.com", "", NULL, NULL, 0,
		  -1, 0, 3, SG_E_SYNTAX },
		{ "bad-identity-no-at", "example.com", "s", "example.com", NULL,
		  0, -1, 0, 3, SG_E_SYNTAX },
		{ "bad-x-without-t", "example.com", "s", NULL, NULL, 0,
		  -1, 60, 3, SG_E_SYNTAX },
		{ "bad-x-overflow", "example.com", "s", NULL, NULL, 0,
		  10, 0x7fffffffffffffffLL, 3, SG_E_SYNTAX },
		{ "bad-header-name-colon", "example.com", "s", NULL, bad_name, 2,
		  -1, 0, 3, SG_E_SYNTAX },
		{ "from-must-be-signed", "example.com", "s", NULL, no_from, 2,
		  -1, 0, 3, SG_E_SYNTAX },
		{ "no-from-field", "example.com", "s", NULL, NULL, 0,
		  -1, 0, 1, SG_E_SYNTAX },
		{ "too-many-fields", "example.com", "s", NULL, NULL, 0,
		  -1, 0, SG_MAX_HEADERS + 1, SG_E_TOOBIG },
	};
	struct msg m;

	synth_msg(&m);
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_sign_req rq = {
			.key = k, .domain = cases[i].domain,
			.selector = cases[i].selector,
			.identity = cases[i].identity,
			.sign_headers = cases[i].sign,
			.n_sign_headers = cases[i].nsign,
			.timestamp = cases[i].t, .expire_after = cases[i].x,
		};
		char *out = NULL;
		const char *why = NULL;

		T_EXPECT(dkim_sign(&rq, m.f, cases[i].nf, bh, &out,
				   &why) == cases[i].st, cases[i].label);
		T_EXPECT(out == NULL && why != NULL, cases[i].label);
	}
}

static void test_sign(void)
{
	struct dkim_privkey *ed = load_key("rfc8463-A1-ed25519-seed.b64");
	struct dkim_privkey *rsa = load_key("rfc8463-A1-rsa-private.pem");

	if (ed == NULL || rsa == NULL) {
		T_EXPECT(0, "keys-load");
	} else {
		test_tag_list(ed);
		test_tag_list(rsa);
		test_canon_modes(ed);
		test_canon_modes(rsa);
		test_folding(ed, rsa);
		test_bad_requests(ed);
	}
	dkim_key_free(&ed);
	dkim_key_free(&rsa);
}

/* ---- RFC 8463 A.3 ---------------------------------------------------------------- */

static const char *const rfc8463_sign[] = {
	"from", "to", "subject", "date", "message-id"
};
static const char *const rfc8463_over[] = { "from", "subject", "date" };

struct a3 {
	struct msg m;		/* all fields, signatures included */
	struct msg unsigned_m;	/* DKIM-Signature fields dropped */
	const char *sig_ed, *sig_rsa;	/* values after "DKIM-Signature:" */
	char sig_ed_buf[2048], sig_rsa_buf[2048];
	struct dkim_privkey *ed, *rsa;
};

static int a3_load(struct a3 *a)
{
	memset(a, 0, sizeof *a);
	if (msg_load(&a->m, "rfc8463-A3-signed.eml") != 0 || a->m.nf < 2)
		return -1;
	snprintf(a->sig_ed_buf, sizeof a->sig_ed_buf, "%.*s",
		 (int)a->m.f[0].len - 15, a->m.f[0].field + 15);
	snprintf(a->sig_rsa_buf, sizeof a->sig_rsa_buf, "%.*s",
		 (int)a->m.f[1].len - 15, a->m.f[1].field + 15);
	a->sig_ed = a->sig_ed_buf;
	a->sig_rsa = a->sig_rsa_buf;
	a->unsigned_m = a->m;
	a->unsigned_m.text = NULL;
	msg_drop(&a->unsigned_m, "DKIM-Signature");
	a->ed = load_key("rfc8463-A1-ed25519-seed.b64");
	a->rsa = load_key("rfc8463-A1-rsa-private.pem");
	return a->ed != NULL && a->rsa != NULL ? 0 : -1;
}

static void a3_free(struct a3 *a)
{
	free(a->m.text);
	dkim_key_free(&a->ed);
	dkim_key_free(&a->rsa);
}

/* The RFC's signatures verify here (checks our header canonicalization
 * and this file's verifier), and re-signing the RFC's own header data
 * with the RFC's keys gives its b= values byte for byte (Ed25519 and
 * RSASSA-PKCS1-v1_5 are deterministic). */
static void test_rfc8463_reproduce(struct a3 *a)
{
	static const struct { const char *label; int ed; } cases[] = {
		{ "rfc8463-A3-ed25519-b-reproduced", 1 },
		{ "rfc8463-A3-rsa-b-reproduced", 0 },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		const char *sig = cases[i].ed ? a->sig_ed : a->sig_rsa;
		struct dkim_privkey *k = cases[i].ed ? a->ed : a->rsa;
		unsigned char raw[512];
		size_t rawlen = sizeof raw;
		char want[1024], got[1024];
		struct buf data;

		T_EXPECT(verify(&a->unsigned_m, sig, DKIM_CANON_RELAXED, k) == 0,
			 cases[i].label);
		buf_init(&data, 1 << 20);
		header_data(&a->unsigned_m, sig, DKIM_CANON_RELAXED, &data);
		T_EXPECT(crypto(dkim_key_pkey(k), cases[i].ed, &data, raw,
				&rawlen, 0) == 0, cases[i].label);
		b64(raw, rawlen, got, sizeof got);
		tag_get(sig, "b", want, sizeof want, NULL, 0);
		T_EXPECT_STR(got, want, cases[i].label);
		buf_free(&data);

		/* The same through the production signing step. */
		const struct dkim_hdr *fields[MAX_FIELDS];
		size_t nf = pick_by_h(&a->unsigned_m, sig, fields, MAX_FIELDS);
		char field[8192], *prod = NULL;
		const char *why = "";

		strip_b(sig, field, sizeof field);
		T_EXPECT(dkim_sign_fields(k, DKIM_CANON_RELAXED, fields, nf, field,
					  strlen(field), &prod, &why) == SG_OK, why);
		T_EXPECT_STR(prod, want, cases[i].ed ?
			     "rfc8463-A3-ed25519-b-by-dkim_sign_fields" :
			     "rfc8463-A3-rsa-b-by-dkim_sign_fields");
		free(prod);
	}
}

/* Our signer on the A.3 message and parameters. Its tag list differs
 * from the RFC's (order; the RFC also has q= and i=), so b= differs;
 * bh= and h= must match, the signature must verify, and the output is
 * pinned (it was checked once with dkimpy 1.1.4). */
static void test_rfc8463_sign(struct a3 *a)
{
	static const struct {
		const char *label;
		int ed;
		const char *selector, *want;
	} cases[] = {
		{ "rfc8463-A3-ed25519-sign", 1, "brisbane",
		  " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
		  "\td=football.example.com; s=brisbane; t=1528637909;\r\n"
		  "\th=from:to:subject:date:message-id:from:subject:date;\r\n"
		  "\tbh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=EFapKz/mJk00xzomLavuJXaC0b\r\n"
		  "\t8boeGk3UjuDvDeBIXuJZYwK6ok7tpV+ll8VMPxHN2V//hGGmC55P0/ZC+dBw==" },
		{ "rfc8463-A3-rsa-sign", 0, "test",
		  " v=1; a=rsa-sha256; c=relaxed/relaxed; d=football.example.com;\r\n"
		  "\ts=test; t=1528637909; h=from:to:subject:date:message-id:from:subject:date;\r\n"
		  "\tbh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=kW7f0o4NHnc0eMX6YjgrEW1hPc\r\n"
		  "\tdPCv/UcrShoaAnLeYlJdLPg8Yi2Zh7xMPsFBZKIqpbTakHcCA/+mmogDG2M769vLTJN/tr20HuSGJ\r\n"
		  "\tTCJj8wHLPVjUrgwQAdjvZLPY17GvrwU+YnWkjYPYRbSK2uYrNYsf6sg/aXSDye3UL8BQ=" },
	};
	unsigned char bh[DKIM_BH_LEN];
	struct dkim_bodyhash *h = dkim_bodyhash_new(DKIM_CANON_RELAXED, -1);

	dkim_bodyhash_update(h, a->m.body, a->m.bodylen);
	dkim_bodyhash_final(h, bh);
	dkim_bodyhash_free(&h);
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct dkim_sign_req rq = {
			.key = cases[i].ed ? a->ed : a->rsa,
			.domain = "football.example.com",
			.selector = cases[i].selector,
			.hcanon = DKIM_CANON_RELAXED,
			.bcanon = DKIM_CANON_RELAXED,
			.sign_headers = rfc8463_sign,
			.n_sign_headers = NELEM(rfc8463_sign),
			.oversign = rfc8463_over,
			.n_oversign = NELEM(rfc8463_over),
			.timestamp = 1528637909,
		};
		const char *rfc = cases[i].ed ? a->sig_ed : a->sig_rsa;
		char *out = NULL, got[4096], want[4096];
		const char *why = NULL;

		T_EXPECT(dkim_sign(&rq, a->unsigned_m.f, a->unsigned_m.nf, bh,
				   &out, &why) == SG_OK, cases[i].label);
		if (out == NULL)
			continue;
		tag_get(out, "bh", got, sizeof got, NULL, 0);
		tag_get(rfc, "bh", want, sizeof want, NULL, 0);
		T_EXPECT_STR(got, want, cases[i].label);
		tag_get(out, "h", got, sizeof got, NULL, 0);
		T_EXPECT_STR(got, "from:to:subject:date:message-id:from:subject:date",
			     cases[i].label);
		T_EXPECT(verify(&a->unsigned_m, out, DKIM_CANON_RELAXED,
				rq.key) == 0, cases[i].label);
		T_EXPECT_STR(out, cases[i].want, cases[i].label);
		free(out);
	}
}

static void test_rfc8463(void)
{
	struct a3 a;

	if (a3_load(&a) != 0) {
		T_EXPECT(0, "rfc8463-A3-files-load");
		a3_free(&a);
		return;
	}
	test_rfc8463_reproduce(&a);
	test_rfc8463_sign(&a);
	a3_free(&a);
}

int main(void)
{
	test_bodyhash();
	test_bodyhash_state();
	test_default_list();
	test_sign();
	test_rfc8463();
	return T_DONE("sign_test");
}
