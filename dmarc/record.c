/*
 * dmarc/record.c -- DMARC Policy Record parsing (RFC 9989 4.7-4.8).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/taglist.h"
#include "record.h"

/* One tag of the record, as written. */
struct tag {
	const char *name, *value;
	size_t name_len, value_len;
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* dmarc-value: printable ASCII but ";" (split on already), at least one. */
static bool value_ok(const char *v, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return false;
	return true;
}

/* Split "name = value" (FWS around both already trimmed by taglist_split,
 * WSP around "=" trimmed here). False when there is no "=" or the name
 * is not 1*ALPHA. */
static bool split_tag(const char *s, size_t n, struct tag *t)
{
	const char *eq = memchr(s, '=', n);
	size_t nl, vo;

	if (eq == NULL)
		return false;
	nl = (size_t)(eq - s);
	while (nl > 0 && is_wsp(s[nl - 1]))
		nl--;
	if (nl == 0)
		return false;
	for (size_t i = 0; i < nl; i++)
		if (!is_alpha(s[i]))
			return false;
	vo = (size_t)(eq - s) + 1;
	while (vo < n && is_wsp(s[vo]))
		vo++;
	t->name = s;
	t->name_len = nl;
	t->value = s + vo;
	t->value_len = n - vo;
	return true;
}

static bool word_is(const char *v, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(v, w, n) == 0;
}

static bool parse_req(const struct tag *t, enum dmarc_req *out)
{
	if (word_is(t->value, t->value_len, "none"))
		*out = DMARC_REQ_NONE;
	else if (word_is(t->value, t->value_len, "quarantine"))
		*out = DMARC_REQ_QUARANTINE;
	else if (word_is(t->value, t->value_len, "reject"))
		*out = DMARC_REQ_REJECT;
	else
		return false;
	return true;
}

/* 1*DIGIT up to max; false when not a number or over max. */
static bool parse_uint(const struct tag *t, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (t->value_len == 0 || t->value_len > 10)
		return false;
	for (size_t i = 0; i < t->value_len; i++) {
		if (!is_digit(t->value[i]))
			return false;
		v = v * 10 + (unsigned long)(t->value[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* dmarc-fo: elements 0, 1, d, s separated by ":", 0 and 1 exclusive,
 * none repeated. */
static bool parse_fo(const struct tag *t, unsigned *out)
{
	size_t pos = 0, n;
	const char *item;
	unsigned bits = 0, b;

	while (taglist_split(t->value, t->value_len, ':', &pos, &item, &n)) {
		if (n != 1)
			return false;
		switch (item[0]) {
		case '0': b = DMARC_FO_0; break;
		case '1': b = DMARC_FO_1; break;
		case 'd': case 'D': b = DMARC_FO_D; break;
		case 's': case 'S': b = DMARC_FO_S; break;
		default: return false;
		}
		if (bits & b)
			return false;
		bits |= b;
	}
	if (bits == 0 || (bits & (DMARC_FO_0 | DMARC_FO_1)) == (DMARC_FO_0 | DMARC_FO_1))
		return false;
	*out = bits;
	return true;
}

/* A URI as RFC 3986 begins one: scheme ":" and something after it, no
 * white space. The obsolete "!size" suffix is cut off. Returns the
 * length to keep, 0 when invalid. */
static size_t uri_len(const char *u, size_t n)
{
	const char *bang = memchr(u, '!', n);
	size_t i;

	if (bang != NULL) {			/* obs-dmarc-report-size */
		size_t k = (size_t)(bang - u) + 1, d = 0;

		while (k < n && is_digit(u[k]))
			k++, d++;
		if (k < n && strchr("kmgtKMGT", u[k]) != NULL)
			k++;
		if (d == 0 || k != n)
			return 0;
		n = (size_t)(bang - u);
	}
	if (n < 3 || !is_alpha(u[0]))
		return 0;
	for (i = 1; i < n && u[i] != ':'; i++)
		if (!is_alpha(u[i]) && !is_digit(u[i]) && strchr("+-.", u[i]) == NULL)
			return 0;
	if (i >= n - 1)				/* no ":" or nothing after it */
		return 0;
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)u[k] <= 0x20 || (unsigned char)u[k] >= 0x7f)
			return 0;
	return n;
}

/* Copy the valid URIs of a list into buf (NUL-terminated each), set
 * ptrs. Returns the count; *used grows by the bytes taken. */
static size_t take_uris(const struct tag *t, char *buf, size_t *used,
			char **ptrs)
{
	size_t pos = 0, n, count = 0, k;
	const char *item;

	while (count < DMARC_MAX_URIS &&
	       taglist_split(t->value, t->value_len, ',', &pos, &item, &n)) {
		if ((k = uri_len(item, n)) == 0)
			continue;
		ptrs[count++] = buf + *used;
		memcpy(buf + *used, item, k);
		*used += k;
		buf[(*used)++] = '\0';
	}
	return count;
}

/* The known tags, in the order the record struct keeps them. */
enum known { K_P, K_SP, K_NP, K_PSD, K_T, K_ADKIM, K_ASPF, K_PCT, K_FO,
	     K_RI, K_RUA, K_RUF, K_RF, K_COUNT };
static const char *const known_names[K_COUNT] = {
	"p", "sp", "np", "psd", "t", "adkim", "aspf", "pct", "fo", "ri",
	"rua", "ruf", "rf",
};

/* Collect the tags after "v": the first of each known name; a second
 * one marks the name as bad (dup). */
static void collect(const char *txt, size_t len, size_t pos,
		    struct tag *seen, bool *dup)
{
	const char *item;
	size_t n;
	struct tag t;

	while (taglist_split(txt, len, ';', &pos, &item, &n)) {
		if (n == 0 || !split_tag(item, n, &t))
			continue;			/* empty or broken: ignored */
		for (int k = 0; k < K_COUNT; k++) {
			if (!word_is(t.name, t.name_len, known_names[k]))
				continue;
			if (seen[k].name != NULL)
				dup[k] = true;
			else
				seen[k] = t;
			break;
		}
	}
}

/* The tag's value when present, valid and not duplicated. */
static const struct tag *get(const struct tag *seen, const bool *dup, enum known k)
{
	if (seen[k].name == NULL || dup[k] || !value_ok(seen[k].value, seen[k].value_len))
		return NULL;
	return &seen[k];
}

static bool yorn(const struct tag *t, bool *out)
{
	if (word_is(t->value, t->value_len, "y"))
		*out = true;
	else if (word_is(t->value, t->value_len, "n"))
		*out = false;
	else
		return false;
	return true;
}

static bool rors(const struct tag *t, bool *strict)
{
	if (word_is(t->value, t->value_len, "s"))
		*strict = true;
	else if (word_is(t->value, t->value_len, "r"))
		*strict = false;
	else
		return false;
	return true;
}

/* The optional tags: bad values keep the defaults already set. */
static void optional_tags(struct dmarc_record *r, const struct tag *seen,
			  const bool *dup)
{
	const struct tag *t;
	unsigned long v;

	if ((t = get(seen, dup, K_PSD)) != NULL) {
		if (word_is(t->value, t->value_len, "y"))
			r->psd = DMARC_PSD_Y;
		else if (word_is(t->value, t->value_len, "n"))
			r->psd = DMARC_PSD_N;
	}
	if ((t = get(seen, dup, K_T)) != NULL)
		(void)yorn(t, &r->t);
	if ((t = get(seen, dup, K_ADKIM)) != NULL)
		(void)rors(t, &r->adkim_strict);
	if ((t = get(seen, dup, K_ASPF)) != NULL)
		(void)rors(t, &r->aspf_strict);
	if ((t = get(seen, dup, K_PCT)) != NULL && parse_uint(t, 100, &v))
		r->pct = (unsigned)v;
	if ((t = get(seen, dup, K_RI)) != NULL && parse_uint(t, 0xffffffffUL, &v))
		r->ri = v;
	if ((t = get(seen, dup, K_FO)) != NULL)
		(void)parse_fo(t, &r->fo);
}

/* p, sp, np and the rua fallback (RFC 9989 4.10.1, RFC 7489 6.6.3). */
static void policy_tags(struct dmarc_record *r, const struct tag *seen,
			const bool *dup, const char **why)
{
	const struct tag *t;
	bool p_ok, sub_ok = true;

	p_ok = (t = get(seen, dup, K_P)) != NULL && parse_req(t, &r->p);
	if (seen[K_SP].name != NULL)
		sub_ok = (t = get(seen, dup, K_SP)) != NULL && parse_req(t, &r->sp);
	if (sub_ok && seen[K_NP].name != NULL)
		sub_ok = (t = get(seen, dup, K_NP)) != NULL && parse_req(t, &r->np);
	if (p_ok && sub_ok) {
		r->usable = true;
		return;
	}
	*why = !p_ok ? (seen[K_P].name == NULL ? "no p= tag" : "bad p= value")
		     : "bad sp= or np= value";
	r->sp = r->np = DMARC_REQ_UNSET;
	if (r->n_rua > 0) {
		r->p = DMARC_REQ_NONE;
		r->p_assumed = true;
		r->usable = true;
	} else {
		r->p = DMARC_REQ_UNSET;
	}
}

/* "v" "=" "DMARC1" as the first tag; *after is where the rest starts. */
static bool version_first(const char *txt, size_t len, size_t *after)
{
	size_t pos = 0, n;
	const char *item;
	struct tag t;

	if (!taglist_split(txt, len, ';', &pos, &item, &n) || !split_tag(item, n, &t))
		return false;
	if (!word_is(t.name, t.name_len, "v") || t.value_len != 6 ||
	    memcmp(t.value, "DMARC1", 6) != 0)
		return false;
	*after = pos;
	return true;
}

enum sg_status dmarc_record_parse(const char *txt, size_t len,
				  struct dmarc_record *out, const char **why)
{
	struct tag seen[K_COUNT] = { { 0 } };
	bool dup[K_COUNT] = { false };
	size_t pos, used = 0;
	const struct tag *t;

	memset(out, 0, sizeof *out);
	if (len > DMARC_MAX_RECORD) {
		*why = "DMARC record too long";
		return SG_E_NOTFOUND;
	}
	if (!version_first(txt, len, &pos)) {
		*why = "not a DMARC record";
		return SG_E_NOTFOUND;
	}
	collect(txt, len, pos, seen, dup);
	out->pct = 100;
	out->fo = DMARC_FO_0;
	out->ri = 86400;
	if (get(seen, dup, K_RUA) != NULL || get(seen, dup, K_RUF) != NULL) {
		/* Every URI fits in the record's own length plus NULs. */
		if ((out->uris = malloc(len + 2 * DMARC_MAX_URIS + 1)) == NULL) {
			*why = "out of memory";
			return SG_E_NOMEM;
		}
		if ((t = get(seen, dup, K_RUA)) != NULL)
			out->n_rua = take_uris(t, out->uris, &used, out->rua);
		if ((t = get(seen, dup, K_RUF)) != NULL)
			out->n_ruf = take_uris(t, out->uris, &used, out->ruf);
	}
	optional_tags(out, seen, dup);
	policy_tags(out, seen, dup, why);
	return SG_OK;
}

void dmarc_record_clear(struct dmarc_record *r)
{
	free(r->uris);
	memset(r, 0, sizeof *r);
}

enum sg_status dmarc_record_copy(struct dmarc_record *dst,
				 const struct dmarc_record *src)
{
	size_t total = 0;

	*dst = *src;
	dst->uris = NULL;
	for (size_t i = 0; i < src->n_rua; i++)
		total += strlen(src->rua[i]) + 1;
	for (size_t i = 0; i < src->n_ruf; i++)
		total += strlen(src->ruf[i]) + 1;
	if (total == 0)
		return SG_OK;
	if ((dst->uris = malloc(total)) == NULL) {
		memset(dst, 0, sizeof *dst);
		return SG_E_NOMEM;
	}
	/* Same layout as the source: offsets carry over. */
	for (size_t i = 0; i < src->n_rua; i++)
		dst->rua[i] = dst->uris + (src->rua[i] - src->uris);
	for (size_t i = 0; i < src->n_ruf; i++)
		dst->ruf[i] = dst->uris + (src->ruf[i] - src->uris);
	memcpy(dst->uris, src->uris, total);
	return SG_OK;
}

const char *dmarc_req_name(enum dmarc_req r)
{
	switch (r) {
	case DMARC_REQ_NONE:		return "none";
	case DMARC_REQ_QUARANTINE:	return "quarantine";
	case DMARC_REQ_REJECT:		return "reject";
	case DMARC_REQ_UNSET:		break;
	}
	return "";
}

/* ---- the set at one name ------------------------------------------------- */

static void txtset_free(void *p)
{
	struct dmarc_txtset *s = p;

	if (s != NULL)
		dmarc_record_clear(&s->rec);
	free(s);
}

static void *txtset_make(const struct dns_answer *a, void *arg)
{
	struct dmarc_txtset *s = calloc(1, sizeof *s);
	struct dmarc_record rec;
	const char *why = NULL;

	(void)arg;
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		enum sg_status st = dmarc_record_parse(a->rr[i].data, a->rr[i].len,
						       &rec, &why);

		if (st == SG_E_NOTFOUND)
			continue;
		if (st != SG_OK) {
			txtset_free(s);
			return NULL;
		}
		if (++s->count == 1) {
			s->rec = rec;
			s->why = rec.usable ? NULL : why;
		} else {
			dmarc_record_clear(&rec);
		}
	}
	if (s->count > 1) {
		dmarc_record_clear(&s->rec);
		s->why = "several DMARC records";
	}
	return s;
}

const struct dmarc_txtset *dmarc_txtset_get(const struct dns_answer *a)
{
	static const struct dmarc_txtset empty = { .count = 0 };

	if (a->result != DNS_OK || a->type != DNS_T_TXT || a->n == 0)
		return &empty;
	return dns_answer_parsed(a, txtset_make, NULL, txtset_free);
}
