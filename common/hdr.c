/*
 * common/hdr.c -- see hdr.h.
 *
 * Two layers. A lexer yields the RFC 5322 lexical tokens of a From value
 * (atom, quoted-string, domain-literal, one-character specials) and drops
 * CFWS on the way: white space, folding line breaks and nested comments.
 * A recursive-descent parser then reads mailbox-list (section 3.4) and
 * insists on exactly one mailbox. No part of the display name can ever
 * become the address: a name-addr's address is only what sits between
 * '<' and '>', and an addr-spec must be the whole value.
 *
 * Decisions:
 *  - A domain-literal ("user@[192.0.2.1]") is refused with "address
 *    literal in From": DKIM d= and DMARC need a DNS name, and a literal
 *    can neither be signed for nor aligned. For the same reason a domain
 *    whose last label is all digits ("user@192.0.2.1") is refused.
 *  - Domain labels are 1..63 bytes of letters, digits, '-', '_' (seen in
 *    real names) or 8-bit UTF-8; hyphen placement is not policed.
 *  - The obsolete syntax of section 4 is read as that section asks: CFWS
 *    around dots ("john . doe@example . com"), routes in angle addresses
 *    (parsed, then ignored) and null list members ("a@b.example,").
 *  - A dot in an unquoted local-part must sit between two words (no
 *    leading, trailing or doubled dots). The domain may end in one dot,
 *    which is dropped.
 *  - 8-bit bytes (RFC 6532) are atom, quoted-string and comment text. The
 *    local-part and the domain we return must be valid UTF-8; only ASCII
 *    letters of the domain are lower-cased. Encoded-words (RFC 2047) are
 *    plain atoms and are never decoded.
 *  - A line break must be CRLF or a bare LF followed by SP or HTAB
 *    (folding); one at the very end of the value is tolerated.
 */
#include "hdr.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "limits.h"

/* Comments nest; past this depth the value is refused (bounded work). */
#define HDR_MAX_COMMENT_DEPTH	64
/* RFC 1035 section 2.3.4. */
#define HDR_MAX_LABEL		63

enum tok_kind {
	TK_END,			/* no more tokens */
	TK_ATOM,		/* p/n: the atom text */
	TK_QSTR,		/* p/n: raw content between the quotes */
	TK_LITERAL,		/* p/n: raw content between the brackets */
	TK_SPECIAL,		/* c: one of < > @ , : ; . */
};

struct tok {
	enum tok_kind kind;
	const char *p;
	size_t n;
	char c;
};

struct lexer {
	const char *p, *end;
	struct tok tok;		/* the lookahead, valid when peeked */
	bool peeked;
};

/* What the parser builds; both buffers are freed on every path. */
struct parse {
	struct lexer lx;
	struct buf local;	/* local-part, unquoted */
	struct buf domain;	/* domain of the mailbox */
	struct buf scratch;	/* route domains, thrown away */
};

/* ---------------------------------------------------------------- lexer */

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Control characters other than HTAB; CR and LF are handled apart. */
static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* atext of RFC 5322 3.2.3, plus 8-bit bytes (RFC 6532 3.2). */
static bool is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* At a CR or LF: the length of a legal fold (CRLF or LF, then WSP or the
 * end of the value), 0 when the line break is not folding. */
static size_t fold_len(const char *p, const char *end)
{
	size_t n = 0;

	if (p[0] == '\r') {
		if (end - p < 2 || p[1] != '\n')
			return 0;
		n = 2;
	} else if (p[0] == '\n') {
		n = 1;
	} else {
		return 0;
	}
	if (p + n == end || is_wsp((unsigned char)p[n]))
		return n;
	return 0;
}

/* Step over one byte of text inside a comment, quoted string or domain
 * literal at *pp: a quoted-pair, a fold or a plain byte. */
static enum sg_status step_text(const char **pp, const char *end,
				const char **why)
{
	const char *p = *pp;
	unsigned char c = (unsigned char)*p;
	size_t n;

	if (c == '\r' || c == '\n') {
		if ((n = fold_len(p, end)) == 0) {
			*why = "line break not followed by white space in From";
			return SG_E_SYNTAX;
		}
		*pp = p + n;
		return SG_OK;
	}
	if (is_ctl(c)) {
		*why = "control character in From";
		return SG_E_SYNTAX;
	}
	if (c == '\\') {
		if (end - p < 2) {
			*why = "backslash at end of From";
			return SG_E_SYNTAX;
		}
		c = (unsigned char)p[1];
		if (is_ctl(c) || c == '\r' || c == '\n') {
			*why = "control character in From";
			return SG_E_SYNTAX;
		}
		*pp = p + 2;
		return SG_OK;
	}
	*pp = p + 1;
	return SG_OK;
}

/* At '(': skip a comment with everything nested in it. */
static enum sg_status skip_comment(struct lexer *lx, const char **why)
{
	const char *p = lx->p;
	unsigned depth = 0;
	enum sg_status st;

	do {
		if (p == lx->end) {
			*why = "unterminated comment in From";
			return SG_E_SYNTAX;
		}
		if (*p == '(') {
			if (++depth > HDR_MAX_COMMENT_DEPTH) {
				*why = "comments nested too deeply in From";
				return SG_E_SYNTAX;
			}
			p++;
		} else if (*p == ')') {
			depth--;
			p++;
		} else if ((st = step_text(&p, lx->end, why)) != SG_OK) {
			return st;
		}
	} while (depth > 0);
	lx->p = p;
	return SG_OK;
}

/* Skip CFWS: white space, folds and comments. */
static enum sg_status skip_cfws(struct lexer *lx, const char **why)
{
	enum sg_status st;
	size_t n;

	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;

		if (is_wsp(c)) {
			lx->p++;
		} else if (c == '\r' || c == '\n') {
			if ((n = fold_len(lx->p, lx->end)) == 0) {
				*why = "line break not followed by white space in From";
				return SG_E_SYNTAX;
			}
			lx->p += n;
		} else if (c == '(') {
			if ((st = skip_comment(lx, why)) != SG_OK)
				return st;
		} else {
			break;
		}
	}
	return SG_OK;
}

/* At an opening '"' or '[': find the closing byte, check what lies
 * between and make t the raw content. */
static enum sg_status scan_enclosed(struct lexer *lx, char close,
				    const char *unterminated, struct tok *t,
				    const char **why)
{
	const char *p = lx->p + 1;
	enum sg_status st;

	t->p = p;
	for (;;) {
		if (p == lx->end) {
			*why = unterminated;
			return SG_E_SYNTAX;
		}
		if (*p == close)
			break;
		if (close == ']' && *p == '[') {
			*why = "'[' inside domain literal in From";
			return SG_E_SYNTAX;
		}
		if ((st = step_text(&p, lx->end, why)) != SG_OK)
			return st;
	}
	t->n = (size_t)(p - t->p);
	lx->p = p + 1;
	return SG_OK;
}

/* Read the next token into t. */
static enum sg_status lex_scan(struct lexer *lx, struct tok *t,
			       const char **why)
{
	enum sg_status st;
	unsigned char c;

	if ((st = skip_cfws(lx, why)) != SG_OK)
		return st;
	memset(t, 0, sizeof *t);
	if (lx->p == lx->end) {
		t->kind = TK_END;
		return SG_OK;
	}
	c = (unsigned char)*lx->p;
	if (is_atext(c)) {
		t->kind = TK_ATOM;
		t->p = lx->p;
		while (lx->p < lx->end && is_atext((unsigned char)*lx->p))
			lx->p++;
		t->n = (size_t)(lx->p - t->p);
		return SG_OK;
	}
	if (c == '"') {
		t->kind = TK_QSTR;
		return scan_enclosed(lx, '"', "unterminated quoted string in From",
				     t, why);
	}
	if (c == '[') {
		t->kind = TK_LITERAL;
		return scan_enclosed(lx, ']', "unterminated domain literal in From",
				     t, why);
	}
	if (c != '\0' && strchr("<>@,:;.", c) != NULL) {
		t->kind = TK_SPECIAL;
		t->c = (char)c;
		lx->p++;
		return SG_OK;
	}
	if (c == ')')
		*why = "unbalanced ')' in From";
	else if (c == ']')
		*why = "unbalanced ']' in From";
	else if (c == '\\')
		*why = "backslash outside quotes in From";
	else
		*why = "control character in From";
	return SG_E_SYNTAX;
}

/* Look at the next token without taking it. */
static enum sg_status lex_peek(struct lexer *lx, const struct tok **t,
			       const char **why)
{
	enum sg_status st;

	if (!lx->peeked) {
		if ((st = lex_scan(lx, &lx->tok, why)) != SG_OK)
			return st;
		lx->peeked = true;
	}
	*t = &lx->tok;
	return SG_OK;
}

/* Take the token lex_peek() showed. */
static void lex_take(struct lexer *lx)
{
	lx->peeked = false;
}

static bool is_special(const struct tok *t, char c)
{
	return t->kind == TK_SPECIAL && t->c == c;
}

/* ------------------------------------------------------- checks, output */

/* Is s[0..n) well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF)? */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* Append the content of a quoted string, quoted-pairs resolved and
 * folding line breaks removed (RFC 5322 3.2.4). The lexer checked it. */
static enum sg_status append_unquoted(struct buf *b, const char *p, size_t n)
{
	enum sg_status st = SG_OK;

	for (size_t i = 0; i < n && st == SG_OK; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			continue;
		if (p[i] == '\\' && i + 1 < n)
			i++;
		st = buf_putc(b, p[i]);
	}
	return st;
}

/* Is the byte allowed in a domain label? Underscores are tolerated (they
 * occur in real names); 8-bit bytes are U-label text. */
static bool is_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80;
}

/* Is the last label all digits? RFC 3696 section 2: no top-level domain
 * is, so "user@192.0.2.1" is an address in disguise, not a name. */
static bool last_label_numeric(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	return i < n && (i == 0 || s[i - 1] == '.');
}

/* Check the domain assembled in b (dot-separated atoms, perhaps with one
 * trailing dot), drop that dot and lower-case its ASCII letters. */
static enum sg_status domain_finish(struct buf *b, const char **why)
{
	size_t label = 0;

	if (b->len > 0 && b->data[b->len - 1] == '.')
		b->data[--b->len] = '\0';
	if (b->len == 0) {
		*why = "missing domain in From";
		return SG_E_SYNTAX;
	}
	if (b->len > SG_MAX_DOMAIN) {
		*why = "domain too long in From";
		return SG_E_SYNTAX;
	}
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c == '.') {
			label = 0;
			continue;
		}
		if (!is_label_char(c)) {
			*why = "invalid character in From domain";
			return SG_E_SYNTAX;
		}
		if (++label > HDR_MAX_LABEL) {
			*why = "domain label longer than 63 in From";
			return SG_E_SYNTAX;
		}
		if (c >= 'A' && c <= 'Z')
			b->data[i] = (char)(c - 'A' + 'a');
	}
	if (!utf8_valid((const unsigned char *)b->data, b->len)) {
		*why = "invalid UTF-8 in From domain";
		return SG_E_SYNTAX;
	}
	if (last_label_numeric(b->data, b->len)) {
		*why = "numeric top-level label in From domain";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

/* --------------------------------------------------------------- parser */

/* What parse_words() saw: a run of words and dots. */
struct words {
	size_t count;		/* words and dots taken */
	bool local_ok;		/* shaped as word *("." word) */
	bool too_long;		/* would not fit in a local-part */
};

/* Take a run of words (atoms, quoted strings) and dots, appending its
 * text to ps->local in case it turns out to be a local-part; what it is
 * depends on the token that follows. */
static enum sg_status parse_words(struct parse *ps, struct words *w,
				  const char **why)
{
	const struct tok *t;
	enum sg_status st, ast;
	bool want_word = true;

	memset(w, 0, sizeof *w);
	w->local_ok = true;
	buf_reset(&ps->local);
	for (;;) {
		if ((st = lex_peek(&ps->lx, &t, why)) != SG_OK)
			return st;
		if (t->kind == TK_ATOM)
			ast = buf_append(&ps->local, t->p, t->n);
		else if (t->kind == TK_QSTR)
			ast = append_unquoted(&ps->local, t->p, t->n);
		else if (is_special(t, '.'))
			ast = buf_putc(&ps->local, '.');
		else
			break;
		if (ast == SG_E_NOMEM) {
			*why = "out of memory";
			return ast;
		}
		if (ast != SG_OK)
			w->too_long = true;
		if (is_special(t, '.') == want_word)
			w->local_ok = false;
		want_word = is_special(t, '.');
		w->count++;
		lex_take(&ps->lx);
	}
	if (want_word)
		w->local_ok = false;
	return SG_OK;
}

/* After parse_words(): is what it took a usable local-part? */
static enum sg_status local_check(struct parse *ps, const struct words *w,
				  const char **why)
{
	if (w->count == 0) {
		*why = "missing local-part in From";
		return SG_E_SYNTAX;
	}
	if (!w->local_ok) {
		*why = "malformed local-part in From";
		return SG_E_SYNTAX;
	}
	if (w->too_long) {
		*why = "local-part too long in From";
		return SG_E_TOOBIG;
	}
	if (!utf8_valid((const unsigned char *)ps->local.data, ps->local.len)) {
		*why = "invalid UTF-8 in From local-part";
		return SG_E_SYNTAX;
	}
	return SG_OK;
}

/* Append an atom of a domain, or its dot, to b. */
static enum sg_status domain_put(struct buf *b, const char *p, size_t n,
				 const char **why)
{
	enum sg_status st = buf_append(b, p, n);

	if (st == SG_E_TOOBIG)
		*why = "domain too long in From";
	else if (st != SG_OK)
		*why = "out of memory";
	return st == SG_E_TOOBIG ? SG_E_SYNTAX : st;
}

/* domain = dot-atom / obs-domain, after the '@'; a literal is refused.
 * Leaves the checked, lower-cased domain in b. */
static enum sg_status parse_domain(struct parse *ps, struct buf *b,
				   const char **why)
{
	const struct tok *t;
	enum sg_status st;

	buf_reset(b);
	for (;;) {
		if ((st = lex_peek(&ps->lx, &t, why)) != SG_OK)
			return st;
		if (t->kind == TK_LITERAL) {
			*why = "address literal in From";
			return SG_E_SYNTAX;
		}
		if (t->kind != TK_ATOM) {
			*why = b->len == 0 ? "missing domain in From" :
			       "empty label in From domain";
			return SG_E_SYNTAX;
		}
		if ((st = domain_put(b, t->p, t->n, why)) != SG_OK)
			return st;
		lex_take(&ps->lx);
		if ((st = lex_peek(&ps->lx, &t, why)) != SG_OK)
			return st;
		if (!is_special(t, '.'))
			break;
		if ((st = domain_put(b, ".", 1, why)) != SG_OK)
			return st;
		lex_take(&ps->lx);
		/* one trailing dot ends the domain */
		if ((st = lex_peek(&ps->lx, &t, why)) != SG_OK)
			return st;
		if (t->kind != TK_ATOM && t->kind != TK_LITERAL &&
		    !is_special(t, '.'))
			break;
	}
	return domain_finish(b, why);
}

/* obs-route = obs-domain-list ":", right after '<'; parsed and dropped. */
static enum sg_status parse_route(struct parse *ps, const char **why)
{
	const struct tok *t;
	enum sg_status st;
	bool any = false;

	for (;;) {
		if ((st = lex_peek(&ps->lx, &t, why)) != SG_OK)
			return st;
		if (is_special(t, ',')) {
			lex_take(&ps->lx);
		} else if (is_special(t, '@')) {
			lex_take(&ps->lx);
			if ((st = parse_domain(ps, &ps->scratch, why)) != SG_OK)
				return st;
			any = true;
		} else if (is_special(t, ':') && any) {
			lex_take(&ps->lx);
			return SG_OK;
		} else {
			*why = "malformed route in From";
			return SG_E_SYNTAX;
		}
	}
}

/* addr-spec: local-part "@" domain. */
static enum sg_status parse_addr_spec(struct parse *ps, const char **why)
{
	const struct tok *t;
	struct words w;
	enum sg_status st;

	if ((st = parse_words(ps, &w, why)) != SG_OK ||
	    (st = lex_peek(&ps->lx, &t, why)) != SG_OK)
		return st;
	if (!is_special(t, '@')) {
		*why = w.count == 0 ? "missing local-part in From" :
		       "missing '@' in From address";
		return SG_E_SYNTAX;
	}
	if ((st = local_check(ps, &w, why)) != SG_OK)
		return st;
	lex_take(&ps->lx);
	return parse_domain(ps, &ps->domain, why);
}

/* angle-addr / obs-angle-addr, after the '<'. */
static enum sg_status parse_angle_addr(struct parse *ps, const char **why)
{
	const struct tok *t;
	enum sg_status st;

	if ((st = lex_peek(&ps->lx, &t, why)) != SG_OK)
		return st;
	if (is_special(t, '>')) {
		*why = "empty address <> in From";
		return SG_E_SYNTAX;
	}
	if ((is_special(t, '@') || is_special(t, ',')) &&
	    (st = parse_route(ps, why)) != SG_OK)
		return st;
	if ((st = parse_addr_spec(ps, why)) != SG_OK ||
	    (st = lex_peek(&ps->lx, &t, why)) != SG_OK)
		return st;
	if (!is_special(t, '>')) {
		*why = t->kind == TK_END ? "missing '>' in From" :
		       "unexpected text before '>' in From";
		return SG_E_SYNTAX;
	}
	lex_take(&ps->lx);
	return SG_OK;
}

/* The error for the token that stopped a mailbox where none could. */
static const char *mailbox_stop_why(const struct tok *t, size_t words)
{
	if (t->kind == TK_END)
		return words == 0 ? "no address in From" :
		       "missing '@' in From address";
	if (t->kind == TK_LITERAL)
		return "unexpected domain literal in From";
	if (is_special(t, ';'))
		return "group syntax in From";
	if (is_special(t, ','))		/* "Doe, John <j@example.com>" */
		return "more than one address in From";
	return "unexpected character in From";
}

/* mailbox = name-addr / addr-spec; a group is refused. The words that
 * open it are a display name when '<' follows, a local-part when '@'
 * follows, a group's name when ':' follows. */
static enum sg_status parse_mailbox(struct parse *ps, const char **why)
{
	const struct tok *t;
	struct words w;
	enum sg_status st;

	if ((st = parse_words(ps, &w, why)) != SG_OK ||
	    (st = lex_peek(&ps->lx, &t, why)) != SG_OK)
		return st;
	if (is_special(t, '<')) {
		lex_take(&ps->lx);
		return parse_angle_addr(ps, why);
	}
	if (is_special(t, ':')) {
		*why = "group syntax in From";
		return SG_E_SYNTAX;
	}
	if (is_special(t, '@')) {
		if ((st = local_check(ps, &w, why)) != SG_OK)
			return st;
		lex_take(&ps->lx);
		return parse_domain(ps, &ps->domain, why);
	}
	*why = mailbox_stop_why(t, w.count);
	return SG_E_SYNTAX;
}

/* Skip null list members (obs-mbox-list): any run of commas. Returns
 * whether it skipped any. */
static enum sg_status skip_commas(struct parse *ps, bool *any,
				  const char **why)
{
	const struct tok *t;
	enum sg_status st;

	*any = false;
	for (;;) {
		if ((st = lex_peek(&ps->lx, &t, why)) != SG_OK)
			return st;
		if (!is_special(t, ','))
			return SG_OK;
		lex_take(&ps->lx);
		*any = true;
	}
}

/* mailbox-list holding exactly one mailbox. */
static enum sg_status parse_from(struct parse *ps, const char **why)
{
	const struct tok *t;
	enum sg_status st;
	bool commas;

	if ((st = skip_commas(ps, &commas, why)) != SG_OK ||
	    (st = parse_mailbox(ps, why)) != SG_OK ||
	    (st = skip_commas(ps, &commas, why)) != SG_OK ||
	    (st = lex_peek(&ps->lx, &t, why)) != SG_OK)
		return st;
	if (t->kind == TK_END)
		return SG_OK;
	if (commas) {
		*why = "more than one address in From";
		return SG_E_SYNTAX;
	}
	if (is_special(t, ':')) {
		*why = "group syntax in From";
		return SG_E_SYNTAX;
	}
	*why = "trailing text after address in From";
	return SG_E_SYNTAX;
}

static void parse_free(struct parse *ps)
{
	buf_free(&ps->local);
	buf_free(&ps->domain);
	buf_free(&ps->scratch);
}

enum sg_status hdr_from_address(const char *value, size_t len,
				char **local, char **domain,
				const char **why)
{
	struct parse ps;
	enum sg_status st;

	*local = NULL;
	*domain = NULL;
	if (len > SG_MAX_FROM_LEN) {
		*why = "From field too long";
		return SG_E_TOOBIG;
	}
	if (value == NULL || len == 0) {
		*why = "empty From";
		return SG_E_SYNTAX;
	}
	if (memchr(value, '\0', len) != NULL) {
		*why = "NUL byte in From";
		return SG_E_SYNTAX;
	}
	memset(&ps, 0, sizeof ps);
	ps.lx.p = value;
	ps.lx.end = value + len;
	buf_init(&ps.local, SG_MAX_LOCALPART);
	buf_init(&ps.domain, SG_MAX_DOMAIN + 1);	/* + a trailing dot */
	buf_init(&ps.scratch, SG_MAX_DOMAIN + 1);
	if ((st = parse_from(&ps, why)) == SG_OK) {
		*local = buf_steal(&ps.local);
		*domain = buf_steal(&ps.domain);
		if (*local == NULL || *domain == NULL) {
			free(*local);
			free(*domain);
			*local = NULL;
			*domain = NULL;
			*why = "out of memory";
			st = SG_E_NOMEM;
		}
	}
	parse_free(&ps);
	return st;
}

int hdr_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];

		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

/* Append the value, turning each bare LF into CRLF (the MTA may hand us
 * folded fields with LF alone; on the wire they are CRLF). */
static enum sg_status put_wire_value(struct buf *b, const char *v)
{
	enum sg_status st = SG_OK;
	const char *p = v, *nl;

	while (st == SG_OK && (nl = strchr(p, '\n')) != NULL) {
		size_t n = (size_t)(nl - p);

		if (n > 0 && nl[-1] == '\r')
			n--;
		if ((st = buf_append(b, p, n)) == SG_OK)
			st = buf_append(b, "\r\n", 2);
		p = nl + 1;
	}
	return st == SG_OK ? buf_puts(b, p) : st;
}

enum sg_status hdr_field_build(struct buf *b, const char *name,
			       const char *value, bool leadspc)
{
	enum sg_status st = buf_puts(b, name);

	if (st == SG_OK)
		st = buf_append(b, leadspc ? ":" : ": ", leadspc ? 1 : 2);
	return st == SG_OK ? put_wire_value(b, value) : st;
}
