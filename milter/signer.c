/*
 * milter/signer.c -- see signer.h.
 */
#include "signer.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hdr.h"
#include "common/limits.h"
#include "dkim/sign.h"

struct field {
	size_t off, len;		/* in hdrs.data: "Name: value" */
	size_t name_len;
};

struct signer {
	struct sg_conf *conf;
	struct buf hdrs;		/* every field, back to back */
	struct field *fields;
	size_t nfields, afields;
	const char *skip;		/* why we stopped, or NULL */
	bool eoh;
	char *from, *local, *domain;
	const struct dkim_keyentry *keys[DKIM_MAX_SIGN];
	size_t nkeys;
	struct dkim_bodyhash *bh;
	char *vals[DKIM_MAX_SIGN];
	size_t nvals;
	struct buf summary;
};

struct signer *signer_new(struct sg_conf *conf)
{
	struct signer *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->conf = conf_ref(conf);
	buf_init(&s->hdrs, SG_MAX_HEADER_BYTES);
	buf_init(&s->summary, 4096);
	return s;
}

void signer_free(struct signer **sp)
{
	struct signer *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	conf_unref(&s->conf);
	buf_free(&s->hdrs);
	buf_free(&s->summary);
	free(s->fields);
	free(s->from);
	free(s->local);
	free(s->domain);
	dkim_bodyhash_free(&s->bh);
	for (size_t i = 0; i < s->nvals; i++)
		free(s->vals[i]);
	free(s);
}

bool signer_active(const struct signer *s)
{
	return s->skip == NULL;
}

const char *signer_skip_reason(const struct signer *s)
{
	return s->skip;
}

const char *signer_from(const struct signer *s)
{
	return s->from;
}

const char *signer_summary(const struct signer *s)
{
	return s->summary.data != NULL ? s->summary.data : "";
}

enum sg_status signer_header(struct signer *s, const char *name,
			     const char *value, bool leadspc)
{
	size_t start = s->hdrs.len, nlen = strlen(name);
	enum sg_status st;

	if (s->skip != NULL || s->eoh)
		return SG_OK;
	if (s->nfields >= SG_MAX_HEADERS) {
		s->skip = "too many header fields";
		return SG_OK;
	}
	if (s->nfields == s->afields) {
		size_t n = s->afields ? s->afields * 2 : 32;
		struct field *f = realloc(s->fields, n * sizeof *f);

		if (f == NULL)
			return SG_E_NOMEM;
		s->fields = f;
		s->afields = n;
	}
	st = hdr_field_build(&s->hdrs, name, value, leadspc);
	if (st == SG_E_TOOBIG) {
		s->skip = "header block larger than the signing limit";
		return SG_OK;
	}
	if (st != SG_OK)
		return st;
	s->fields[s->nfields++] = (struct field){ start, s->hdrs.len - start, nlen };
	return SG_OK;
}

static bool is_field(const struct signer *s, const struct field *f, const char *name)
{
	return hdr_name_cmp(s->hdrs.data + f->off, f->name_len, name, strlen(name)) == 0;
}

/* The one From field's address, or a reason not to sign. */
static enum sg_status find_from(struct signer *s)
{
	const struct field *from = NULL;
	const char *why;
	enum sg_status st;

	for (size_t i = 0; i < s->nfields; i++) {
		if (!is_field(s, &s->fields[i], "From"))
			continue;
		if (from != NULL) {
			s->skip = "more than one From header";
			return SG_OK;
		}
		from = &s->fields[i];
	}
	if (from == NULL) {
		s->skip = "no From header";
		return SG_OK;
	}
	st = hdr_from_address(s->hdrs.data + from->off + from->name_len + 1,
			      from->len - from->name_len - 1,
			      &s->local, &s->domain, &why);
	if (st == SG_E_NOMEM)
		return st;
	if (st != SG_OK) {
		s->skip = why;
		return SG_OK;
	}
	if (asprintf(&s->from, "%s@%s", s->local, s->domain) < 0) {
		s->from = NULL;
		return SG_E_NOMEM;
	}
	return SG_OK;
}

enum sg_status signer_eoh(struct signer *s)
{
	enum sg_status st;

	if (s->eoh)
		return SG_OK;
	s->eoh = true;
	if (s->skip != NULL)
		return SG_OK;
	if ((st = find_from(s)) != SG_OK || s->skip != NULL)
		return st;
	s->nkeys = dkim_tables_match(s->conf->tables, s->local, s->domain,
				     s->keys, DKIM_MAX_SIGN);
	if (s->nkeys == 0) {
		s->skip = "no SigningTable entry matches the From address";
		return SG_OK;
	}
	if ((s->bh = dkim_bodyhash_new(s->conf->bcanon, -1)) == NULL)
		return SG_E_NOMEM;
	return SG_OK;
}

enum sg_status signer_body(struct signer *s, const void *p, size_t n)
{
	if (s->skip != NULL || s->bh == NULL)
		return SG_OK;
	return dkim_bodyhash_update(s->bh, p, n);
}

static enum sg_status sign_one(struct signer *s, const struct dkim_keyentry *e,
			       const struct dkim_hdr *hdrs,
			       const unsigned char bh[DKIM_BH_LEN],
			       long long now, const char **why)
{
	const struct sg_conf *c = s->conf;
	struct dkim_sign_req rq = {
		.key = e->key,
		.domain = strcmp(e->domain, "%") == 0 ? s->domain : e->domain,
		.selector = e->selector,
		.hcanon = c->hcanon,
		.bcanon = c->bcanon,
		.sign_headers = (const char *const *)c->sign_headers,
		.n_sign_headers = c->n_sign_headers,
		.oversign = (const char *const *)c->oversign,
		.n_oversign = c->n_oversign,
		.timestamp = now,
		.expire_after = c->expire_after,
	};
	enum sg_status st;
	char *val;

	if ((st = dkim_sign(&rq, hdrs, s->nfields, bh, &val, why)) != SG_OK)
		return st;
	s->vals[s->nvals++] = val;
	if ((st = buf_printf(&s->summary, "%sd=%s s=%s a=%s", s->nvals > 1 ? ", " : "",
			     rq.domain, rq.selector,
			     dkim_alg_name(dkim_key_alg(e->key)))) == SG_E_TOOBIG)
		st = SG_OK;			/* the summary is only for the log */
	return st;
}

enum sg_status signer_eom(struct signer *s, long long now,
			  const char *const **vals, size_t *n,
			  const char **why)
{
	unsigned char bh[DKIM_BH_LEN];
	struct dkim_hdr *hdrs;
	enum sg_status st = SG_OK;

	*n = 0;
	*vals = NULL;
	if (!s->eoh && (st = signer_eoh(s)) != SG_OK) {
		*why = "out of memory";
		return st;
	}
	if (s->skip != NULL)
		return SG_OK;
	if (s->nvals > 0)
		goto done;			/* already signed */
	if ((st = dkim_bodyhash_final(s->bh, bh)) != SG_OK) {
		*why = "body hash failed";
		return st;
	}
	if ((hdrs = calloc(s->nfields, sizeof *hdrs)) == NULL) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	for (size_t i = 0; i < s->nfields; i++)
		hdrs[i] = (struct dkim_hdr){ s->hdrs.data + s->fields[i].off, s->fields[i].len };
	for (size_t i = 0; i < s->nkeys && st == SG_OK; i++)
		st = sign_one(s, s->keys[i], hdrs, bh, now, why);
	free(hdrs);
	if (st != SG_OK)
		return st;
done:
	*vals = (const char *const *)s->vals;
	*n = s->nvals;
	return SG_OK;
}
