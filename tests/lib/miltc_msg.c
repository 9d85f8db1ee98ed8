/*
 * tests/lib/miltc_msg.c -- the message side of miltc: parse a message file
 * into header fields and a CRLF body, and apply a filter's modifications
 * to produce the message the MTA would deliver. See miltc.h.
 */
#include "tests/lib/miltc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

/* Length of the field name if line starts a header field (name of
 * printable non-colon characters, optional WSP, colon), else 0;
 * *colon gets the offset of the colon. */
static size_t header_name_len(const char *line, size_t len, size_t *colon)
{
	size_t i = 0, n;

	while (i < len && line[i] > 32 && line[i] < 127 && line[i] != ':')
		i++;
	if (i == 0)
		return 0;
	n = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != ':')
		return 0;
	*colon = i;
	return n;
}

static char *dup_mem(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* Append a continuation line to the last header's value. */
static enum sg_status hdr_continue(struct miltc_hdr *h, const char *line,
                                   size_t len)
{
	size_t old = strlen(h->value);
	char *v = realloc(h->value, old + 2 + len + 1);

	if (v == NULL)
		return SG_E_NOMEM;
	memcpy(v + old, "\r\n", 2);
	memcpy(v + old + 2, line, len);
	v[old + 2 + len] = '\0';
	h->value = v;
	return SG_OK;
}

static enum sg_status hdr_new(struct miltc_msg *m, size_t *alloc,
                              const char *line, size_t len,
                              size_t namelen, size_t colon)
{
	struct miltc_hdr *h;

	if (m->nhdrs == MILTC_MAX_HDRS)
		return SG_E_TOOBIG;
	if (m->nhdrs == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 32;
		struct miltc_hdr *p = realloc(m->hdrs, n * sizeof *p);

		if (p == NULL)
			return SG_E_NOMEM;
		m->hdrs = p;
		*alloc = n;
	}
	h = &m->hdrs[m->nhdrs];
	h->name = dup_mem(line, namelen);
	h->value = dup_mem(line + colon + 1, len - colon - 1);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return SG_E_NOMEM;
	}
	m->nhdrs++;
	return SG_OK;
}

enum sg_status miltc_msg_parse(const char *text, size_t len,
                               struct miltc_msg *out, const char **why)
{
	struct miltc_msg m = { 0 };
	struct buf body;
	size_t alloc = 0, pos = 0;
	int in_hdrs = 1;
	enum sg_status st = SG_OK;

	if (len > MILTC_MAX_MSG) {
		*why = "message too large";
		return SG_E_TOOBIG;
	}
	buf_init(&body, 2 * (size_t)MILTC_MAX_MSG + 2);
	while (pos < len && st == SG_OK) {
		const char *line = text + pos, *nl;
		size_t llen, namelen, colon = 0;

		nl = memchr(line, '\n', len - pos);
		llen = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += llen + (nl != NULL);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (in_hdrs) {
			if (llen == 0) {
				in_hdrs = 0;
				continue;
			}
			if ((line[0] == ' ' || line[0] == '\t') && m.nhdrs > 0) {
				st = hdr_continue(&m.hdrs[m.nhdrs - 1], line, llen);
				continue;
			}
			if ((namelen = header_name_len(line, llen, &colon)) > 0) {
				st = hdr_new(&m, &alloc, line, llen, namelen, colon);
				continue;
			}
			in_hdrs = 0;	/* not a header: the body starts here */
		}
		if ((st = buf_append(&body, line, llen)) == SG_OK)
			st = buf_append(&body, "\r\n", 2);
	}
	if (st != SG_OK) {
		*why = st == SG_E_TOOBIG ? "too many header fields" : "out of memory";
		buf_free(&body);
		miltc_msg_free(&m);
		return st;
	}
	m.body_len = body.len;
	m.body = body.data != NULL ? body.data : calloc(1, 1);
	if (m.body == NULL) {
		miltc_msg_free(&m);
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	*out = m;
	return SG_OK;
}

enum sg_status miltc_msg_load(const char *path, struct miltc_msg *out,
                              const char **why)
{
	struct stat sb;
	char *text;
	size_t got = 0;
	enum sg_status st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*why = "cannot open message file";
		return errno == ENOENT ? SG_E_NOTFOUND : SG_E_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		*why = "message file is not a regular file";
		return SG_E_IO;
	}
	if ((unsigned long long)sb.st_size > MILTC_MAX_MSG) {
		close(fd);
		*why = "message file too large";
		return SG_E_TOOBIG;
	}
	if ((text = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, text + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(text);
		*why = "short read on message file";
		return SG_E_IO;
	}
	st = miltc_msg_parse(text, got, out, why);
	free(text);
	return st;
}

void miltc_msg_free(struct miltc_msg *m)
{
	for (size_t i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	free(m->body);
	memset(m, 0, sizeof *m);
}

/* ---- applying modifications ---- */

/* The header block being edited: whole lines with CRLF, and the length of
 * each line's field name for matching. */
struct hlines {
	char **text;
	size_t *namelen;
	size_t n, alloc;
};

static void hlines_free(struct hlines *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->text[i]);
	free(h->text);
	free(h->namelen);
}

/* Insert line (taking it) at position at (clamped to the end). */
static enum sg_status hlines_insert(struct hlines *h, size_t at, char *line,
                                    size_t namelen)
{
	if (h->n == h->alloc) {
		size_t n = h->alloc ? h->alloc * 2 : 32;
		char **t = realloc(h->text, n * sizeof *t);
		size_t *l;

		if (t == NULL) {
			free(line);
			return SG_E_NOMEM;
		}
		h->text = t;
		if ((l = realloc(h->namelen, n * sizeof *l)) == NULL) {
			free(line);
			return SG_E_NOMEM;
		}
		h->namelen = l;
		h->alloc = n;
	}
	if (at > h->n)
		at = h->n;
	memmove(h->text + at + 1, h->text + at, (h->n - at) * sizeof *h->text);
	memmove(h->namelen + at + 1, h->namelen + at,
	        (h->n - at) * sizeof *h->namelen);
	h->text[at] = line;
	h->namelen[at] = namelen;
	h->n++;
	return SG_OK;
}

/* "Name:" + sep + value + CRLF, with each bare "\n" in value made CRLF
 * (libmilter filters fold with "\n"; Postfix writes record lines). */
static char *format_field(const char *name, const char *sep,
                          const char *value, size_t vlen)
{
	struct buf b;
	enum sg_status st;

	buf_init(&b, MILTC_MAX_MSG);
	st = buf_puts(&b, name);
	if (st == SG_OK)
		st = buf_putc(&b, ':');
	if (st == SG_OK)
		st = buf_puts(&b, sep);
	for (size_t i = 0; i < vlen && st == SG_OK; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			st = buf_putc(&b, '\r');
		if (st == SG_OK)
			st = buf_putc(&b, value[i]);
	}
	if (st == SG_OK)
		st = buf_append(&b, "\r\n", 2);
	if (st != SG_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Position of the index-th (1-based; 0 counts as 1) field called name. */
static int find_field(const struct hlines *h, const char *name,
                      unsigned long index, size_t *at)
{
	size_t nlen = strlen(name);
	unsigned long seen = 0;

	for (size_t i = 0; i < h->n; i++) {
		if (h->namelen[i] != nlen || strncasecmp(h->text[i], name, nlen) != 0)
			continue;
		if (++seen >= (index ? index : 1)) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static enum sg_status apply_one(struct hlines *h, const struct miltc_mod *md,
                                const char *sep)
{
	char *line;
	size_t at;

	switch (md->kind) {
	case MILTC_MOD_INSHEADER:
	case MILTC_MOD_ADDHEADER:
	case MILTC_MOD_CHGHEADER:
		break;
	default:
		return SG_OK;	/* not a header edit */
	}
	if (md->kind == MILTC_MOD_CHGHEADER && find_field(h, md->name, md->index, &at)) {
		if (md->value_len == 0) {		/* delete */
			free(h->text[at]);
			memmove(h->text + at, h->text + at + 1,
			        (h->n - at - 1) * sizeof *h->text);
			memmove(h->namelen + at, h->namelen + at + 1,
			        (h->n - at - 1) * sizeof *h->namelen);
			h->n--;
			return SG_OK;
		}
		if ((line = format_field(md->name, sep, md->value, md->value_len)) == NULL)
			return SG_E_NOMEM;
		free(h->text[at]);
		h->text[at] = line;
		h->namelen[at] = strlen(md->name);
		return SG_OK;
	}
	if (md->kind == MILTC_MOD_CHGHEADER && md->value_len == 0)
		return SG_OK;		/* deleting an absent field */
	if ((line = format_field(md->name, sep, md->value, md->value_len)) == NULL)
		return SG_E_NOMEM;
	at = md->kind == MILTC_MOD_INSHEADER ? md->index : h->n;
	return hlines_insert(h, at, line, strlen(md->name));
}

enum sg_status miltc_apply(const struct miltc_msg *msg,
                           const struct miltc_result *res,
                           struct buf *out, const char **why)
{
	struct hlines h = { 0 };
	const char *sep = (res->proto & SMFIP_HDR_LEADSPC) ? "" : " ";
	enum sg_status st = SG_OK;
	int replaced = 0;

	for (size_t i = 0; i < msg->nhdrs && st == SG_OK; i++) {
		char *line = format_field(msg->hdrs[i].name, "", msg->hdrs[i].value,
		                          strlen(msg->hdrs[i].value));

		st = line == NULL ? SG_E_NOMEM
		     : hlines_insert(&h, h.n, line, strlen(msg->hdrs[i].name));
	}
	for (size_t i = 0; i < res->nmods && st == SG_OK; i++)
		st = apply_one(&h, &res->mods[i], sep);
	for (size_t i = 0; i < h.n && st == SG_OK; i++)
		st = buf_puts(out, h.text[i]);
	if (st == SG_OK)
		st = buf_append(out, "\r\n", 2);
	for (size_t i = 0; i < res->nmods && st == SG_OK; i++) {
		if (res->mods[i].kind != MILTC_MOD_REPLBODY)
			continue;
		replaced = 1;
		st = buf_append(out, res->mods[i].value, res->mods[i].value_len);
	}
	if (!replaced && st == SG_OK)
		st = buf_append(out, msg->body, msg->body_len);
	hlines_free(&h);
	if (st != SG_OK)
		*why = st == SG_E_TOOBIG ? "resulting message too large" : "out of memory";
	return st;
}
