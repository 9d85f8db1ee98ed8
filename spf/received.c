/*
 * spf/received.c -- the Received-SPF header field value, RFC 7208
 * section 9.1: result, a comment for people, key=value pairs for
 * programs. Every value taken from the SMTP session or DNS is written
 * as a dot-atom when it is one and as a quoted-string otherwise; bytes
 * that may not appear in a header (controls, non-ASCII) become '?'.
 */
#include "spf.h"

#include <stdio.h>
#include <string.h>

static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool dot_atom(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || s[0] == '.' || s[len - 1] == '.' || strstr(s, "..") != NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '.' && !atext((unsigned char)s[i]))
			return false;
	return true;
}

static char safe(unsigned char c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '?';
}

static enum sg_status put_value(struct buf *b, const char *s)
{
	enum sg_status st = SG_OK;

	if (dot_atom(s))
		return buf_puts(b, s);
	st = buf_putc(b, '"');
	for (; *s != '\0' && st == SG_OK; s++) {
		if (*s == '"' || *s == '\\')
			st = buf_putc(b, '\\');
		if (st == SG_OK)
			st = buf_putc(b, safe((unsigned char)*s));
	}
	return st == SG_OK ? buf_putc(b, '"') : st;
}

static enum sg_status put_comment_text(struct buf *b, const char *s)
{
	enum sg_status st = SG_OK;

	for (; *s != '\0' && st == SG_OK; s++) {
		if (*s == '(' || *s == ')' || *s == '\\')
			st = buf_putc(b, '\\');
		if (st == SG_OK)
			st = buf_putc(b, safe((unsigned char)*s));
	}
	return st;
}

static enum sg_status put_pair(struct buf *b, bool fold, bool first,
			       const char *key, const char *value)
{
	enum sg_status st = buf_printf(b, "%s%s%s=", first ? "" : ";",
				       fold ? "\r\n\t" : " ", key);

	return st == SG_OK ? put_value(b, value) : st;
}

/* The comment's sentence (9.1 gives the flavour; the words are ours). */
static void comment(char *out, size_t n, const struct spf_verdict *v,
		    const char *who, const char *ip)
{
	switch (v->result) {
	case SPF_PASS:
		snprintf(out, n, "domain of %s designates %s as permitted sender", who, ip);
		break;
	case SPF_FAIL:
		snprintf(out, n, "domain of %s does not designate %s as permitted sender",
			 who, ip);
		break;
	case SPF_SOFTFAIL:
		snprintf(out, n, "domain of transitioning %s does not designate %s as "
			 "permitted sender", who, ip);
		break;
	case SPF_NEUTRAL:
		snprintf(out, n, "%s is neither permitted nor denied by domain of %s", ip, who);
		break;
	case SPF_NONE:
		snprintf(out, n, "domain of %s does not publish SPF", who);
		break;
	case SPF_TEMPERROR:
		snprintf(out, n, "temporary error checking %s: %s", who, v->reason);
		break;
	case SPF_PERMERROR:
		snprintf(out, n, "permanent error in the SPF policy of %s: %s", who, v->reason);
		break;
	}
}

enum sg_status spf_received_spf(struct buf *b, const struct spf_verdict *v,
				const struct spf_ip *ip, const char *helo,
				const char *mailfrom, const char *receiver,
				bool fold)
{
	char iptext[46], from[SG_MAX_LOCALPART + SG_MAX_DOMAIN + 16], text[1280];
	char who[sizeof from + 16];
	size_t flen = mailfrom != NULL ? strlen(mailfrom) : 0;
	bool first = true;
	enum sg_status st;

	helo = helo != NULL ? helo : "";
	if (flen >= 2 && mailfrom[0] == '<' && mailfrom[flen - 1] == '>')
		snprintf(from, sizeof from, "%.*s", (int)flen - 2, mailfrom + 1);
	else
		snprintf(from, sizeof from, "%s", flen > 0 ? mailfrom : "");
	spf_ip_text(ip, iptext);
	if (v->identity == SPF_ID_HELO)
		snprintf(who, sizeof who, "%s", helo);
	else if (from[0] == '\0')
		snprintf(who, sizeof who, "postmaster@%s", helo);
	else
		snprintf(who, sizeof who, "%s", from);
	comment(text, sizeof text, v, who, iptext);
	if ((st = buf_printf(b, "%s (", spf_result_name(v->result))) != SG_OK ||
	    (receiver != NULL && ((st = put_comment_text(b, receiver)) != SG_OK ||
				  (st = buf_puts(b, ": ")) != SG_OK)) ||
	    (st = put_comment_text(b, text)) != SG_OK ||
	    (st = buf_putc(b, ')')) != SG_OK)
		return st;
	if (receiver != NULL) {
		if ((st = put_pair(b, fold, first, "receiver", receiver)) != SG_OK)
			return st;
		first = false;
	}
	if ((st = put_pair(b, fold, first, "client-ip", iptext)) != SG_OK ||
	    (st = put_pair(b, fold, false, "envelope-from", from)) != SG_OK ||
	    (st = put_pair(b, fold, false, "helo", helo)) != SG_OK ||
	    (st = put_pair(b, fold, false, "identity",
			   v->identity == SPF_ID_HELO ? "helo" : "mailfrom")) != SG_OK)
		return st;
	if (v->result == SPF_TEMPERROR || v->result == SPF_PERMERROR)
		return put_pair(b, fold, false, "problem", v->reason);
	if (v->result != SPF_NONE)
		return put_pair(b, fold, false, "mechanism",
				v->mechanism[0] != '\0' ? v->mechanism : "default");
	return SG_OK;
}
