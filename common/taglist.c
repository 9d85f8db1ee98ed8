/*
 * common/taglist.c -- see taglist.h. RFC 6376 section 3.2.
 *
 * One pass over the input with a cursor; each tag-spec is scanned as
 * name, "=", value, and the value ends at the first byte that is neither
 * a value character nor FWS. Duplicates are found by comparing each new
 * name with the ones before it (at most TAGLIST_MAX_TAGS of them).
 */
#include "taglist.h"

#include <string.h>
#include <strings.h>

struct cur {
	const char *p, *end;
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_alnumpunc(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* %x21-3A / %x3C-7E: printable ASCII except ";". */
static bool is_valchar(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 0x21 && u <= 0x7e && u != ';';
}

/* Length of the well-formed UTF-8 sequence (2 to 4 bytes, RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF) at p, or 0. */
static size_t utf8_len(const char *p, const char *end)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t avail = (size_t)(end - p), n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Skip FWS: runs of WSP, each CRLF followed by WSP. Returns false on a
 * line break that is not part of FWS (bare CR or LF, CRLF without WSP). */
static bool skip_fws(struct cur *c)
{
	while (c->p < c->end) {
		if (is_wsp(*c->p)) {
			c->p++;
		} else if (*c->p == '\r' && c->end - c->p >= 3 &&
			   c->p[1] == '\n' && is_wsp(c->p[2])) {
			c->p += 3;
		} else if (*c->p == '\r' || *c->p == '\n') {
			return false;
		} else {
			break;
		}
	}
	return true;
}

/* Bytes in the value character at the cursor: 1, a UTF-8 sequence when
 * allowed, or 0 for anything else (and at the end). */
static size_t val_len(const struct cur *c, unsigned flags)
{
	if (c->p == c->end)
		return 0;
	if (is_valchar(*c->p))
		return 1;
	return (flags & TAGLIST_UTF8) ? utf8_len(c->p, c->end) : 0;
}

/* tag-value: tval runs separated by FWS; *v and *vn get the value without
 * the FWS around it. Stops at ";", the end, or a byte no value may hold
 * (the caller then reports it). */
static bool scan_value(struct cur *c, unsigned flags, const char **v,
		       size_t *vn)
{
	const char *start = c->p, *last = c->p;

	for (;;) {
		size_t u;

		while ((u = val_len(c, flags)) > 0)
			c->p += u;
		last = c->p;
		if (!skip_fws(c))
			return false;
		if (c->p == last || val_len(c, flags) == 0)
			break;
	}
	*v = start;
	*vn = (size_t)(last - start);
	return true;
}

static bool same_name(unsigned flags, const char *a, size_t an,
		      const char *b, size_t bn)
{
	if (an != bn)
		return false;
	return (flags & TAGLIST_NOCASE) ? strncasecmp(a, b, an) == 0 :
	       memcmp(a, b, an) == 0;
}

/* One tag-spec at c (leading FWS already skipped) into *t. */
static enum sg_status scan_spec(struct cur *c, unsigned flags,
				struct taglist_tag *t, const char **why)
{
	const char *raw;

	if (c->p == c->end || !is_alpha(*c->p)) {
		*why = c->p < c->end && *c->p == ';' ?
		       "empty tag-spec in tag-list" : "bad tag name in tag-list";
		return SG_E_SYNTAX;
	}
	t->name = c->p;
	while (c->p < c->end && is_alnumpunc(*c->p))
		c->p++;
	t->name_len = (size_t)(c->p - t->name);
	if (!skip_fws(c)) {
		*why = "bad line break in tag-list";
		return SG_E_SYNTAX;
	}
	if (c->p == c->end || *c->p != '=') {
		*why = c->p < c->end && is_valchar(*c->p) ?
		       "bad tag name in tag-list" : "tag without \"=\" in tag-list";
		return SG_E_SYNTAX;
	}
	raw = ++c->p;
	if (!skip_fws(c) || !scan_value(c, flags, &t->value, &t->value_len)) {
		*why = "bad line break in tag-list";
		return SG_E_SYNTAX;
	}
	if (c->p < c->end && *c->p != ';') {
		*why = "bad character in tag value";
		return SG_E_SYNTAX;
	}
	t->raw = raw;
	t->raw_len = (size_t)(c->p - raw);
	return SG_OK;
}

enum sg_status taglist_parse(struct taglist *tl, const char *s, size_t len,
			     unsigned flags, const char **why)
{
	struct cur c = { s, s + len };
	enum sg_status st = SG_OK;

	tl->n = 0;
	tl->flags = flags;
	if (!skip_fws(&c)) {
		*why = "bad line break in tag-list";
		return SG_E_SYNTAX;
	}
	if (c.p == c.end) {
		*why = "empty tag-list";
		return SG_E_SYNTAX;
	}
	while (c.p < c.end) {
		struct taglist_tag t;

		if ((st = scan_spec(&c, flags, &t, why)) != SG_OK)
			break;
		for (size_t i = 0; i < tl->n && st == SG_OK; i++)
			if (same_name(flags, tl->tag[i].name, tl->tag[i].name_len,
				      t.name, t.name_len)) {
				*why = "duplicate tag in tag-list";
				st = SG_E_SYNTAX;
			}
		if (st == SG_OK && tl->n == TAGLIST_MAX_TAGS) {
			*why = "too many tags in tag-list";
			st = SG_E_TOOBIG;
		}
		if (st != SG_OK)
			break;
		tl->tag[tl->n++] = t;
		if (c.p == c.end)
			break;
		c.p++;				/* the ";" */
		if (!skip_fws(&c)) {
			*why = "bad line break in tag-list";
			st = SG_E_SYNTAX;
			break;
		}
	}
	if (st != SG_OK)
		tl->n = 0;
	return st;
}

const struct taglist_tag *taglist_get(const struct taglist *tl,
				      const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < tl->n; i++)
		if (same_name(tl->flags, tl->tag[i].name, tl->tag[i].name_len,
			      name, n))
			return &tl->tag[i];
	return NULL;
}

bool taglist_value_is(const struct taglist_tag *t, const char *s)
{
	return strlen(s) == t->value_len && memcmp(t->value, s, t->value_len) == 0;
}

/* FWS bytes, for trimming list elements (the value already parsed). */
static bool is_fws_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool taglist_split(const char *v, size_t len, char sep, size_t *pos,
		   const char **item, size_t *n)
{
	const char *p, *q, *end = v + len;

	if (len == 0 || *pos > len)
		return false;
	p = v + *pos;
	q = memchr(p, sep, (size_t)(end - p));
	if (q == NULL)
		q = end;
	*pos = (size_t)(q - v) + 1;
	while (p < q && is_fws_byte(*p))
		p++;
	while (q > p && is_fws_byte(q[-1]))
		q--;
	*item = p;
	*n = (size_t)(q - p);
	return true;
}
