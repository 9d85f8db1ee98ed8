/*
 * spf/macro.c -- see macro.h. One tokenizer serves the syntax checks and
 * the expansion, so what passes the check is exactly what expands.
 */
#include "macro.h"

#include <stdio.h>
#include <string.h>

#include "../common/dns.h"

/* While expanding a domain, output past this is folded away: only the
 * last KEEP bytes can survive the left-truncation to DNS_MAX_NAME, and
 * KEEP > DNS_MAX_NAME + 1 so a cut window never looks like a whole name. */
#define MACRO_DOMAIN_WORK	4096u
#define MACRO_DOMAIN_KEEP	(DNS_MAX_NAME + 3u)
/* "%{d128}" and "%{d999999}" both mean "every part"; saturate here. */
#define MACRO_MAX_DIGITS	100000u

enum tok_type { TOK_LITERAL, TOK_ESCAPE, TOK_MACRO };

struct tok {
	enum tok_type type;
	char c;			/* the literal byte, the escape's output or the letter */
	bool upper;		/* URL-escape the value */
	bool reverse;
	unsigned keep;		/* parts to keep from the right; 0: all */
	char delims[8];		/* NUL-terminated; empty means "." */
};

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_literal(unsigned char c, enum spf_macro_kind kind)
{
	if (c == ' ')
		return kind == SPF_MACRO_EXP;
	return c >= 0x21 && c <= 0x7e && c != '%';
}

static bool letter_ok(char l, enum spf_macro_kind kind)
{
	if (strchr("slodipvh", l) != NULL)
		return true;
	return strchr("crt", l) != NULL && kind != SPF_MACRO_DOMAIN;
}

/* Read one token at s[*pos]; advances *pos. SG_E_SYNTAX with *why. */
static enum sg_status next_tok(const char *s, size_t len, size_t *pos,
			       enum spf_macro_kind kind, struct tok *t,
			       const char **why)
{
	size_t i = *pos, nd = 0;
	unsigned char c = (unsigned char)s[i];
	char l;

	memset(t, 0, sizeof *t);
	if (c != '%') {
		if (!is_literal(c, kind)) {
			*why = c >= 0x80 ? "non-ASCII byte" :
			       c == ' ' ? "space in a domain-spec" : "control character";
			return SG_E_SYNTAX;
		}
		t->type = TOK_LITERAL;
		t->c = (char)c;
		*pos = i + 1;
		return SG_OK;
	}
	if (i + 1 >= len) {
		*why = "'%' at the end of a macro string";
		return SG_E_SYNTAX;
	}
	switch (s[i + 1]) {
	case '%': t->type = TOK_ESCAPE; t->c = '%'; *pos = i + 2; return SG_OK;
	case '_': t->type = TOK_ESCAPE; t->c = ' '; *pos = i + 2; return SG_OK;
	case '-': t->type = TOK_ESCAPE; t->c = '-'; *pos = i + 2; return SG_OK;
	case '{': break;
	default:
		*why = "'%' not followed by '{', '%', '_' or '-'";
		return SG_E_SYNTAX;
	}
	i += 2;
	if (i >= len || !is_alpha((unsigned char)s[i])) {
		*why = "macro without a letter";
		return SG_E_SYNTAX;
	}
	l = s[i];
	t->upper = l >= 'A' && l <= 'Z';
	l = t->upper ? (char)(l + 32) : l;
	if (!letter_ok(l, kind)) {
		*why = strchr("crt", l) != NULL ? "macro letter c, r or t outside an explanation"
						: "unknown macro letter";
		return SG_E_SYNTAX;
	}
	t->type = TOK_MACRO;
	t->c = l;
	i++;
	for (; i < len && is_digit((unsigned char)s[i]); i++, nd++)
		if (t->keep < MACRO_MAX_DIGITS)
			t->keep = t->keep * 10 + (unsigned)(s[i] - '0');
	if (nd > 0 && t->keep == 0) {
		*why = "macro keeps zero parts";
		return SG_E_SYNTAX;
	}
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		t->reverse = true;
		i++;
	}
	for (nd = 0; i < len && s[i] != '\0' && strchr(".-+,/_=", s[i]) != NULL; i++)
		if (strchr(t->delims, s[i]) == NULL && nd < sizeof t->delims - 1)
			t->delims[nd++] = s[i];
	if (i >= len || s[i] != '}') {
		*why = "bad macro transformer or delimiter, or no '}'";
		return SG_E_SYNTAX;
	}
	*pos = i + 1;
	return SG_OK;
}

enum sg_status spf_macro_check(const char *s, size_t len,
			       enum spf_macro_kind kind, const char **why)
{
	struct tok t;
	size_t pos = 0;
	enum sg_status st;

	while (pos < len)
		if ((st = next_tok(s, len, &pos, kind, &t, why)) != SG_OK)
			return st;
	return SG_OK;
}

bool spf_toplabel_ok(const char *s, size_t len)
{
	bool alpha = false, hyphen = false;

	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_alpha(c))
			alpha = true;
		else if (c == '-')
			hyphen = true;
		else if (!is_digit(c))
			return false;
	}
	return alpha || hyphen;
}

enum sg_status spf_domain_spec_check(const char *s, size_t len,
				     const char **why)
{
	struct tok t = { 0 };
	size_t pos = 0, lit_from = 0, end, dot;
	enum sg_status st;

	if (len == 0) {
		*why = "empty domain-spec";
		return SG_E_SYNTAX;
	}
	while (pos < len) {
		if ((st = next_tok(s, len, &pos, SPF_MACRO_DOMAIN, &t, why)) != SG_OK)
			return st;
		if (t.type != TOK_LITERAL)
			lit_from = pos;		/* literals after the last macro */
	}
	if (t.type != TOK_LITERAL)
		return SG_OK;			/* ends in a macro-expand */
	end = len;
	if (s[end - 1] == '.')
		end--;				/* one trailing dot is allowed */
	for (dot = end; dot > lit_from && s[dot - 1] != '.'; dot--)
		;
	if (dot == lit_from || !spf_toplabel_ok(s + dot, end - dot)) {
		*why = "domain-spec does not end in a macro or a valid top label";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

/* ---- expansion ------------------------------------------------------- */

struct out {
	struct buf *b;
	enum spf_macro_kind kind;
	bool cut;		/* EXP: text dropped at the cap; DOMAIN: folded */
	enum sg_status st;
};

/* Domain output past MACRO_DOMAIN_WORK keeps only its tail. */
static void fold_domain(struct out *o)
{
	struct buf *b = o->b;

	memmove(b->data, b->data + b->len - MACRO_DOMAIN_KEEP, MACRO_DOMAIN_KEEP);
	b->len = MACRO_DOMAIN_KEEP;
	b->data[b->len] = '\0';
	o->cut = true;
}

static void emit(struct out *o, const char *p, size_t n)
{
	if (o->st != SG_OK || n == 0)
		return;
	if (o->kind == SPF_MACRO_DOMAIN) {
		if (n > MACRO_DOMAIN_KEEP) {	/* only its tail can matter */
			p += n - MACRO_DOMAIN_KEEP;
			n = MACRO_DOMAIN_KEEP;
			o->cut = true;
		}
		if (o->b->len + n > MACRO_DOMAIN_WORK)
			fold_domain(o);
	} else if (n > o->b->cap - o->b->len) {
		n = o->b->cap - o->b->len;
		o->cut = true;
	}
	o->st = buf_append(o->b, p, n);
}

static void emit_char(struct out *o, char c, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char u = (unsigned char)c;
	char e[3];

	if (!escape || is_alpha(u) || is_digit(u) || strchr("-._~", c) != NULL) {
		emit(o, &c, 1);
		return;
	}
	e[0] = '%';
	e[1] = hex[u >> 4];
	e[2] = hex[u & 15];
	emit(o, e, 3);
}

static void emit_part(struct out *o, const char *p, size_t n, bool escape)
{
	if (!escape) {
		emit(o, p, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		emit_char(o, p[i], true);
}

/* Split v on the delimiters, keep the right-hand t->keep parts after an
 * optional reversal, join with dots (7.3). Linear in the value. */
static void emit_value(struct out *o, const char *v, const struct tok *t)
{
	const char *dl = t->delims[0] != '\0' ? t->delims : ".";
	size_t len = strlen(v), nparts = 1, keep, i, end, start;

	for (i = 0; i < len; i++)
		if (strchr(dl, v[i]) != NULL)
			nparts++;
	keep = t->keep == 0 || t->keep > nparts ? nparts : t->keep;
	if (!t->reverse) {
		/* the last keep parts, in order */
		size_t skip = nparts - keep;

		for (start = 0; skip > 0 && start < len; start++)
			if (strchr(dl, v[start]) != NULL)
				skip--;
		for (i = start; i < len; i++)
			emit_char(o, strchr(dl, v[i]) != NULL ? '.' : v[i], t->upper);
		return;
	}
	/* reversed: parts keep-1 .. 0 of the original order */
	for (end = 0, i = keep; end < len; end++)
		if (strchr(dl, v[end]) != NULL && --i == 0)
			break;
	for (;;) {
		for (start = end; start > 0 && strchr(dl, v[start - 1]) == NULL; start--)
			;
		emit_part(o, v + start, end - start, t->upper);
		if (start == 0)
			break;
		emit_char(o, '.', false);
		end = start - 1;
	}
}

static const char *letter_value(const struct spf_macro_ctx *c, char l,
				char *tmp, size_t tmpsz)
{
	const char *v = NULL;

	switch (l) {
	case 's': v = c->sender; break;
	case 'l': v = c->local; break;
	case 'o': v = c->sender_domain; break;
	case 'd': v = c->domain; break;
	case 'i': v = c->ip; break;
	case 'c': v = c->client; break;
	case 'v': v = c->ipv6 ? "ip6" : "in-addr"; break;
	case 'h': v = c->helo; break;
	case 'r': v = c->receiver != NULL ? c->receiver : "unknown"; break;
	case 't':
		snprintf(tmp, tmpsz, "%lld", c->now);
		v = tmp;
		break;
	case 'p':
		v = c->ptr_name != NULL ? c->ptr_name(c->ptr_arg, c->domain) : NULL;
		if (v == NULL)
			v = "unknown";
		break;
	}
	return v != NULL ? v : "";
}

/* 7.3: a domain name over DNS_MAX_NAME loses labels on the left. */
static void finish_domain(struct out *o)
{
	struct buf *b = o->b;
	size_t from = 0;

	if (b->len > 0 && b->data[b->len - 1] == '.')
		b->data[--b->len] = '\0';
	if (b->len <= DNS_MAX_NAME && !o->cut)
		return;
	while (from < b->len && (b->data[from] != '.' || b->len - from - 1 > DNS_MAX_NAME))
		from++;
	from = from < b->len ? from + 1 : b->len;	/* no dot fits: nothing left */
	memmove(b->data, b->data + from, b->len - from);
	b->len -= from;
	b->data[b->len] = '\0';
}

enum sg_status spf_macro_expand(const char *s, size_t len,
				enum spf_macro_kind kind,
				const struct spf_macro_ctx *ctx, struct buf *out,
				bool *cut, const char **why)
{
	struct out o = { .b = out, .kind = kind, .st = SG_OK };
	struct tok t;
	size_t pos = 0;
	char tmp[32];
	enum sg_status st;

	buf_reset(out);
	if (kind == SPF_MACRO_DOMAIN && out->cap < MACRO_DOMAIN_WORK) {
		*why = "macro output buffer too small";
		return SG_E_TOOBIG;
	}
	while (pos < len && o.st == SG_OK) {
		if ((st = next_tok(s, len, &pos, kind, &t, why)) != SG_OK)
			return st;
		if (t.type == TOK_LITERAL)
			emit(&o, &t.c, 1);
		else if (t.type == TOK_ESCAPE && t.c == '-')
			emit(&o, "%20", 3);
		else if (t.type == TOK_ESCAPE)
			emit(&o, &t.c, 1);
		else
			emit_value(&o, letter_value(ctx, t.c, tmp, sizeof tmp), &t);
	}
	if (o.st != SG_OK) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	if (kind == SPF_MACRO_DOMAIN)
		finish_domain(&o);
	if (cut != NULL)
		*cut = o.cut;
	return SG_OK;
}
