/*
 * common/authres.c -- see authres.h.
 */
#include "authres.h"

#include <string.h>
#include <strings.h>

/* Comments may nest; deeper than this is an attack, not a header. */
#define AUTHRES_MAX_NEST 64

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token characters: CHAR except SPACE, CTLs and tspecials; we
 * also take 8-bit bytes (RFC 6532 UTF-8) so they end up in the id and
 * make it differ from ours rather than end it early. */
static bool is_token(unsigned char c)
{
	if (c <= 0x20 || c == 0x7f)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skip whitespace and comments from *i; false on an unterminated comment
 * or one nested too deep. */
static bool skip_cfws(const char *s, size_t len, size_t *i)
{
	while (*i < len) {
		if (is_wsp((unsigned char)s[*i])) {
			(*i)++;
			continue;
		}
		if (s[*i] != '(')
			return true;
		for (int depth = 0; ; (*i)++) {
			if (*i >= len)
				return false;
			if (s[*i] == '\\') {
				(*i)++;		/* quoted-pair */
			} else if (s[*i] == '(') {
				if (++depth > AUTHRES_MAX_NEST)
					return false;
			} else if (s[*i] == ')' && --depth == 0) {
				(*i)++;
				break;
			}
		}
	}
	return true;
}

enum sg_status authres_id(const char *value, size_t len,
			  char id[AUTHRES_MAX_ID + 1])
{
	size_t i = 0, n = 0;

	if (!skip_cfws(value, len, &i) || i >= len)
		return SG_E_SYNTAX;
	if (value[i] == '"') {
		for (i++; ; i++) {
			if (i >= len)
				return SG_E_SYNTAX;
			if (value[i] == '"')
				break;
			if (value[i] == '\\' && ++i >= len)
				return SG_E_SYNTAX;
			if (value[i] == '\0')
				return SG_E_SYNTAX;	/* no NUL in an id */
			if (value[i] == '\r' || value[i] == '\n')
				continue;	/* folding inside the quotes */
			if (n >= AUTHRES_MAX_ID)
				return SG_E_TOOBIG;
			id[n++] = value[i];
		}
	} else {
		for (; i < len && is_token((unsigned char)value[i]); i++) {
			if (n >= AUTHRES_MAX_ID)
				return SG_E_TOOBIG;
			id[n++] = value[i];
		}
	}
	if (n == 0)
		return SG_E_SYNTAX;
	id[n] = '\0';
	return SG_OK;
}

static size_t trim_dot(const char *s, size_t n)
{
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

bool authres_claims(const char *value, size_t len, const char *authserv_id)
{
	char id[AUTHRES_MAX_ID + 1];
	size_t a, b;

	if (authserv_id == NULL || authres_id(value, len, id) != SG_OK)
		return false;
	a = trim_dot(id, strlen(id));
	b = trim_dot(authserv_id, strlen(authserv_id));
	return a == b && a > 0 && strncasecmp(id, authserv_id, a) == 0;
}

/* A value that may stand bare: a token, or local@domain of tokens. */
static bool bare_ok(const char *v)
{
	const char *at = strchr(v, '@');

	if (*v == '\0')
		return false;
	for (const char *p = v; *p != '\0'; p++)
		if (p != at && !is_token((unsigned char)*p))
			return false;
	return at == NULL || (strchr(at + 1, '@') == NULL && at[1] != '\0');
}

static enum sg_status put_quoted(struct buf *b, const char *v)
{
	enum sg_status st = buf_putc(b, '"');

	for (; st == SG_OK && *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '\r' || c == '\n')
			continue;
		if (c == '"' || c == '\\')
			st = buf_putc(b, '\\');
		if (st == SG_OK)
			st = buf_putc(b, (char)c);
	}
	return st == SG_OK ? buf_putc(b, '"') : st;
}

static enum sg_status put_value(struct buf *b, const char *v)
{
	return bare_ok(v) ? buf_puts(b, v) : put_quoted(b, v);
}

enum sg_status authres_begin(struct buf *b, const char *authserv_id)
{
	for (const char *p = authserv_id; *p != '\0'; p++)
		if (!is_token((unsigned char)*p))
			return put_quoted(b, authserv_id);
	return *authserv_id != '\0' ? buf_puts(b, authserv_id) : put_quoted(b, "");
}

enum sg_status authres_result(struct buf *b, const char *method,
			      const char *result, const char *reason, bool fold)
{
	enum sg_status st = buf_printf(b, ";%s%s=%s", fold ? "\r\n\t" : " ",
				       method, result);

	if (st != SG_OK || reason == NULL)
		return st;
	st = buf_puts(b, " (");
	for (const char *p = reason; st == SG_OK && *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (*p == '(' || *p == ')' || *p == '\\')
			st = buf_putc(b, '\\');
		if (st == SG_OK)
			st = buf_putc(b, *p);
	}
	return st == SG_OK ? buf_putc(b, ')') : st;
}

enum sg_status authres_prop(struct buf *b, const char *ptype,
			    const char *property, const char *value)
{
	enum sg_status st;

	if (value == NULL)
		return SG_OK;
	if ((st = buf_printf(b, " %s.%s=", ptype, property)) != SG_OK)
		return st;
	return put_value(b, value);
}

enum sg_status authres_none(struct buf *b)
{
	return buf_puts(b, "; none");
}
