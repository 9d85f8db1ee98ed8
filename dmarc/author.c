/*
 * dmarc/author.c -- Author Domains from From header fields.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hdr.h"
#include "author.h"
#include "domain.h"

/* Cut a mailbox-list into mailboxes at the commas outside quoted strings,
 * comments, angle brackets (obs-route has commas) and domain literals.
 * Fills starts/lens; returns the count, or DMARC_MAX_FROM_MAILBOXES + 1
 * when there are more. */
static size_t split_mailboxes(const char *v, size_t len, const char **starts,
			      size_t *lens)
{
	size_t n = 0, from = 0, comment = 0, angle = 0;
	bool quoted = false, literal = false;

	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? v[i] : ',';

		if (i + 1 < len && (quoted || comment > 0) && c == '\\') {
			i++;			/* quoted-pair */
			continue;
		}
		if (quoted) {
			quoted = c != '"';
			if (i < len)
				continue;
		} else if (comment > 0) {
			if (c == '(')
				comment++;
			else if (c == ')')
				comment--;
			if (i < len)
				continue;
		} else if (literal) {
			literal = c != ']';
			if (i < len)
				continue;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '(') {
			comment = 1;
		} else if (c == '[') {
			literal = true;
		} else if (c == '<') {
			angle++;
		} else if (c == '>' && angle > 0) {
			angle--;
		}
		if (c != ',' || (angle > 0 && i < len))
			continue;
		if (n == DMARC_MAX_FROM_MAILBOXES)
			return n + 1;
		starts[n] = v + from;
		lens[n++] = i - from;
		from = i + 1;
	}
	return n;
}

/* Parse one mailbox and add its canonical domain to out if new. */
static enum sg_status add_mailbox(const char *s, size_t n, struct dmarc_authors *out)
{
	char *local = NULL, *domain = NULL, canon[DNS_MAX_NAME + 1];
	const char *why;
	enum sg_status st;

	st = hdr_from_address(s, n, &local, &domain, &why);
	if (st == SG_OK && dmarc_domain_norm(domain, strlen(domain), canon, &why) != SG_OK)
		st = SG_E_SYNTAX;
	free(local);
	free(domain);
	if (st != SG_OK) {
		out->why = st == SG_E_NOMEM ? "out of memory" : why;
		return st;
	}
	out->mailboxes++;
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->domain[i], canon) == 0)
			return SG_OK;
	if (out->n == DMARC_MAX_AUTHORS) {
		out->why = "too many author domains in From";
		return SG_E_SYNTAX;
	}
	memcpy(out->domain[out->n++], canon, sizeof canon);
	return SG_OK;
}

enum sg_status dmarc_authors(const char *const *values, const size_t *lens,
			     size_t n_fields, unsigned flags,
			     struct dmarc_authors *out)
{
	const char *starts[DMARC_MAX_FROM_MAILBOXES];
	size_t slens[DMARC_MAX_FROM_MAILBOXES], n;
	enum sg_status st = SG_OK;

	memset(out, 0, sizeof *out);
	out->reject = true;
	if (n_fields != 1) {
		out->why = n_fields == 0 ? "no From field" : "more than one From field";
		return SG_E_SYNTAX;
	}
	if (lens[0] > SG_MAX_FROM_LEN) {
		out->why = "From field too long";
		return SG_E_SYNTAX;
	}
	n = split_mailboxes(values[0], lens[0], starts, slens);
	if (n > DMARC_MAX_FROM_MAILBOXES) {
		out->why = "too many mailboxes in From";
		return SG_E_SYNTAX;
	}
	for (size_t i = 0; i < n && st == SG_OK; i++)
		st = add_mailbox(starts[i], slens[i], out);
	if (st == SG_OK && out->n == 0) {
		out->why = "no address in From";
		st = SG_E_SYNTAX;
	}
	if (st != SG_OK) {
		out->n = 0;
		return st;
	}
	if (out->n > 1)
		out->why = "several author domains in From";
	else if (out->mailboxes > 1)
		out->why = "several mailboxes in From";
	out->reject = out->n > 1 ||
		      (out->mailboxes > 1 && (flags & DMARC_AUTHOR_REJECT_MULTI));
	return SG_OK;
}
