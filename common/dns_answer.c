/*
 * common/dns_answer.c -- see dns_answer.h. Answers are one allocation
 * each (the struct, its records, their data) and immutable once made,
 * but for the reference count and the attach-once parsed form, which
 * are atomics.
 */
#include "dns_answer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Compression pointers followed in one name; stops pointer loops. */
#define DNS_MAX_JUMPS		64

#define DNS_CLASS_IN		1
#define DNS_TYPE_CNAME		5
#define DNS_TYPE_SOA		6

#define OOM_ANSWER(t) { .result = DNS_TEMPFAIL, .type = (t), \
			.why = "out of memory", .refs = -1 }
static const struct dns_answer oom_answers[] = {
	OOM_ANSWER(DNS_T_A), OOM_ANSWER(DNS_T_PTR), OOM_ANSWER(DNS_T_MX),
	OOM_ANSWER(DNS_T_TXT), OOM_ANSWER(DNS_T_AAAA),
};

const struct dns_answer *dns_answer_oom(enum dns_type t)
{
	for (size_t i = 0; i < sizeof oom_answers / sizeof oom_answers[0]; i++)
		if (oom_answers[i].type == t)
			return &oom_answers[i];
	return &oom_answers[0];
}

/* One block: the answer, n records, data bytes (NULs included). */
static struct dns_answer *answer_alloc(enum dns_type t, enum dns_result res,
				       const char *why, size_t n, size_t data)
{
	struct dns_answer *a = calloc(1, sizeof *a + n * sizeof(struct dns_rr) + data);

	if (a == NULL)
		return NULL;
	a->result = res;
	a->type = t;
	a->why = why;
	a->refs = 1;
	a->rr = n > 0 ? (struct dns_rr *)(a + 1) : NULL;
	return a;
}

const struct dns_answer *dns_answer_fail(enum dns_type t, enum dns_result res,
					 const char *why)
{
	const struct dns_answer *a = answer_alloc(t, res, why, 0, 0);

	return a != NULL ? a : dns_answer_oom(t);
}

const struct dns_answer *dns_answer_ref(const struct dns_answer *a)
{
	struct dns_answer *m = (struct dns_answer *)a;

	if (__atomic_load_n(&m->refs, __ATOMIC_RELAXED) >= 0)
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	return a;
}

void dns_answer_release(const struct dns_answer **ap)
{
	struct dns_answer *a = (struct dns_answer *)*ap;

	*ap = NULL;
	if (a == NULL || __atomic_load_n(&a->refs, __ATOMIC_RELAXED) < 0)
		return;
	if (__atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (a->parsed != NULL && a->parsed_free != NULL)
		a->parsed_free(a->parsed);
	free(a);
}

void *dns_answer_parsed(const struct dns_answer *a,
			void *(*make)(const struct dns_answer *a, void *arg),
			void *arg, void (*destroy)(void *))
{
	struct dns_answer *m = (struct dns_answer *)a;
	void *p, *none = NULL;

	if ((p = __atomic_load_n(&m->parsed, __ATOMIC_ACQUIRE)) != NULL)
		return p;
	if (__atomic_load_n(&m->refs, __ATOMIC_RELAXED) < 0 || (p = make(a, arg)) == NULL)
		return NULL;		/* static answers take nothing */
	if (__atomic_compare_exchange_n(&m->parsed, &none, p, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Read only by the last release, which our reference orders. */
		m->parsed_free = destroy;
		return p;
	}
	if (destroy != NULL)
		destroy(p);
	return none;			/* the winner's */
}

const char *dns_result_name(enum dns_result r)
{
	switch (r) {
	case DNS_OK:		return "OK";
	case DNS_NODATA:	return "NODATA";
	case DNS_NXDOMAIN:	return "NXDOMAIN";
	case DNS_TEMPFAIL:	return "TEMPFAIL";
	case DNS_PERMFAIL:	return "PERMFAIL";
	}
	return "UNKNOWN";
}

/* ---- the wire: reading an answer (RFC 1035 4.1) ----------------------- */

struct rrpos {
	size_t owner, rd;		/* offsets of the owner name, the rdata */
	uint32_t ttl;
	uint16_t type, rdlen;
};

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get_ttl(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		     (uint32_t)p[2] << 8 | p[3];

	return v > 0x7fffffffu ? 0 : v;		/* RFC 2181 8 */
}

/* Read the name at *off into out (uncompressed wire form, <= 255 bytes)
 * and move *off past it. False if malformed. */
static bool wire_name(const uint8_t *m, size_t len, size_t *off,
		      uint8_t out[256], size_t *olen)
{
	size_t pos = *off, n = 0;
	bool jumped = false;
	int jumps = 0;

	for (;;) {
		unsigned c;

		if (pos >= len)
			return false;
		c = m[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > DNS_MAX_JUMPS)
				return false;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = (size_t)(c & 0x3f) << 8 | m[pos + 1];
			continue;
		}
		if ((c & 0xc0) != 0 || n + 1 + c > 255)
			return false;
		out[n++] = (uint8_t)c;
		if (c == 0)
			break;
		if (c > len - pos - 1)
			return false;
		memcpy(out + n, m + pos + 1, c);
		n += c;
		pos += 1 + c;
	}
	if (!jumped)
		*off = pos + 1;
	*olen = n;
	return true;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Wire names equal, ignoring ASCII case (length bytes are < 64: safe). */
static bool name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Wire name to text ("a.b", root ""); false if a label holds '.' or NUL,
 * which no text name could ask for again. out needs 256 bytes. */
static bool name_text(const uint8_t *w, size_t wlen, char *out, size_t *tlen)
{
	size_t i = 0, n = 0;

	while (i < wlen && w[i] != 0) {
		unsigned l = w[i++];

		if (n > 0)
			out[n++] = '.';
		for (unsigned k = 0; k < l; k++, i++) {
			if (w[i] == '.' || w[i] == 0)
				return false;
			out[n++] = (char)w[i];
		}
	}
	out[n] = '\0';
	*tlen = n;
	return true;
}

/* The text name (already checked) in wire form. */
static size_t name_wire(const char *name, uint8_t out[256])
{
	size_t n = 0, lenpos = 0;

	out[n++] = 0;
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '.') {
			lenpos = n;
			out[n++] = 0;
		} else {
			out[n++] = lower((uint8_t)*p);
			out[lenpos]++;
		}
	}
	out[n++] = 0;
	return n;
}

/* Read count records from *off into rp. A record of another class than
 * IN gets type 0, which matches nothing. */
static bool read_rrs(const uint8_t *m, size_t len, size_t *off, unsigned count,
		     struct rrpos *rp)
{
	uint8_t nm[256];
	size_t nlen;

	for (unsigned i = 0; i < count; i++) {
		struct rrpos *p = &rp[i];
		bool in;

		p->owner = *off;
		if (!wire_name(m, len, off, nm, &nlen) || len - *off < 10)
			return false;
		in = get16(m + *off + 2) == DNS_CLASS_IN;
		p->type = in ? (uint16_t)get16(m + *off) : 0;
		p->ttl = get_ttl(m + *off + 4);
		p->rdlen = (uint16_t)get16(m + *off + 8);
		p->rd = *off + 10;
		if (p->rdlen > len - p->rd)
			return false;
		*off = p->rd + p->rdlen;
	}
	return true;
}

/* One record's data: writes it to dst (if not NULL) and its size to *need.
 * 1 ok, 0 skip this record, -1 malformed. */
static int rr_data(const uint8_t *m, size_t len, const struct rrpos *p,
		   enum dns_type t, char *dst, size_t *need, unsigned *pref)
{
	const uint8_t *rd = m + p->rd;
	uint8_t w[256];
	char text[256];
	size_t off = p->rd, wlen, n = 0;

	switch (t) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (p->rdlen != (t == DNS_T_A ? 4 : 16))
			return -1;
		if (dst != NULL)
			memcpy(dst, rd, p->rdlen);
		*need = p->rdlen;
		return 1;
	case DNS_T_TXT:
		for (size_t i = 0; i < p->rdlen; i += 1 + rd[i]) {
			if (rd[i] > p->rdlen - i - 1)
				return -1;
			if (dst != NULL)
				memcpy(dst + n, rd + i + 1, rd[i]);
			n += rd[i];
		}
		*need = n;
		return 1;
	case DNS_T_MX:
		if (p->rdlen < 3)
			return -1;
		*pref = get16(rd);
		off += 2;
		/* fall through */
	case DNS_T_PTR:
		if (!wire_name(m, len, &off, w, &wlen) || off != p->rd + p->rdlen)
			return -1;
		if (!name_text(w, wlen, text, &n))
			return 0;
		if (dst != NULL)
			memcpy(dst, text, n);
		*need = n;
		return 1;
	}
	return -1;
}

/* Negative TTL from the SOA in the authority section (RFC 2308 5). */
static uint32_t soa_ttl(const uint8_t *m, size_t len, const struct rrpos *ns,
			unsigned n_ns, uint32_t cap)
{
	uint8_t w[256];
	size_t wlen;

	for (unsigned i = 0; i < n_ns; i++) {
		size_t off = ns[i].rd, end = ns[i].rd + ns[i].rdlen;
		uint32_t min;

		if (ns[i].type != DNS_TYPE_SOA)
			continue;
		if (!wire_name(m, len, &off, w, &wlen) ||
		    !wire_name(m, len, &off, w, &wlen) || off + 20 != end)
			return cap;
		min = get_ttl(m + off + 16);
		min = ns[i].ttl < min ? ns[i].ttl : min;
		return min < cap ? min : cap;
	}
	return cap;
}

/* Find the end of the CNAME chain from qname inside the answer records:
 * the name the records of the type belong to. Lowers *ttl. */
static bool follow_cnames(const uint8_t *m, size_t len, const struct rrpos *an,
			  unsigned n_an, uint8_t cur[256], size_t *clen,
			  uint32_t *ttl)
{
	uint8_t w[256];
	size_t wlen, rd;

	for (int hop = 0; hop < DNS_MAX_CNAMES; hop++) {
		unsigned i;

		for (i = 0; i < n_an; i++) {
			size_t off = an[i].owner;

			if (an[i].type != DNS_TYPE_CNAME)
				continue;
			if (!wire_name(m, len, &off, w, &wlen))
				return false;
			if (name_eq(w, wlen, cur, *clen))
				break;
		}
		if (i == n_an)
			break;
		rd = an[i].rd;
		if (!wire_name(m, len, &rd, cur, clen))
			return false;
		*ttl = an[i].ttl < *ttl ? an[i].ttl : *ttl;
	}
	return true;
}

/* Records of type t owned by the wire name cur: pass 1 (a == NULL) counts
 * them into *n and their data bytes (NULs included) into *total; pass 2
 * fills a, made for the *n records pass 1 found. False if one of them is
 * malformed. */
static bool collect(const uint8_t *m, size_t len, const struct rrpos *an,
		    unsigned n_an, const uint8_t *cur, size_t clen,
		    enum dns_type t, struct dns_answer *a, unsigned *n,
		    size_t *total, uint32_t *ttl)
{
	char *d = a != NULL ? (char *)(a->rr + *n) : NULL;
	uint8_t w[256];
	size_t wlen, need;
	unsigned pref = 0;

	for (unsigned i = 0; i < n_an; i++) {
		size_t o = an[i].owner;
		int k;

		if (an[i].type != t || !wire_name(m, len, &o, w, &wlen) ||
		    !name_eq(w, wlen, cur, clen))
			continue;
		if ((k = rr_data(m, len, &an[i], t, d, &need, &pref)) < 0)
			return false;
		if (k == 0)
			continue;		/* a name we could not ask for */
		if (a == NULL) {
			(*n)++;
			*total += need + 1;
			*ttl = an[i].ttl < *ttl ? an[i].ttl : *ttl;
			continue;
		}
		a->rr[a->n] = (struct dns_rr){ .data = d, .len = need,
					       .pref = t == DNS_T_MX ? pref : 0 };
		a->n++;
		d += need + 1;			/* calloc left the NUL */
	}
	return true;
}

const struct dns_answer *dns_answer_from_wire(const uint8_t *m, size_t len,
					      const char *qname, enum dns_type t,
					      unsigned max_ttl, unsigned neg_ttl,
					      uint32_t *ttl)
{
	struct rrpos *rp = NULL;
	struct dns_answer *a = NULL;
	uint8_t cur[256], w[256];
	size_t clen, wlen, off = 12, total = 0;
	unsigned qd, an, ns, n = 0, rcode;
	enum dns_result res = DNS_PERMFAIL;
	const char *why = "malformed answer";

	*ttl = 0;
	if (len < 12)
		goto fail;
	rcode = m[3] & 0x0f;
	qd = get16(m + 4);
	an = get16(m + 6);
	ns = get16(m + 8);
	if (m[2] & 0x02) {		/* TC=1 even over TCP */
		res = DNS_TEMPFAIL;
		why = "truncated answer";
		goto fail;
	}
	if (rcode == 2) {		/* c-ares maps the others itself */
		res = DNS_TEMPFAIL;
		why = "SERVFAIL";
	}
	if (rcode != 0 && rcode != 3)
		goto fail;
	if (an > DNS_MAX_RRS || ns > DNS_MAX_RRS) {
		why = "too many records";
		goto fail;
	}
	for (unsigned i = 0; i < qd; i++) {
		if (!wire_name(m, len, &off, w, &wlen) || len - off < 4)
			goto fail;
		off += 4;
	}
	if ((rp = calloc((size_t)an + ns + 1, sizeof *rp)) == NULL)
		return dns_answer_oom(t);
	if (!read_rrs(m, len, &off, an, rp) || !read_rrs(m, len, &off, ns, rp + an))
		goto fail;
	clen = name_wire(qname, cur);
	*ttl = max_ttl;
	if (rcode == 0 &&
	    (!follow_cnames(m, len, rp, an, cur, &clen, ttl) ||
	     !collect(m, len, rp, an, cur, clen, t, NULL, &n, &total, ttl)))
		goto fail;
	if (total > DNS_MAX_DATA) {
		why = "answer too large";
		goto fail;
	}
	if (n == 0) {
		*ttl = soa_ttl(m, len, rp + an, ns, neg_ttl);
		free(rp);
		return dns_answer_fail(t, rcode == 3 ? DNS_NXDOMAIN : DNS_NODATA, NULL);
	}
	if ((a = answer_alloc(t, DNS_OK, NULL, n, total)) == NULL) {
		free(rp);
		return dns_answer_oom(t);
	}
	collect(m, len, rp, an, cur, clen, t, a, &n, &total, ttl);
	free(rp);
	return a;
fail:
	free(rp);
	*ttl = 0;
	return dns_answer_fail(t, res, why);
}
