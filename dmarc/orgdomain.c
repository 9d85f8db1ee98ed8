/*
 * dmarc/orgdomain.c -- the DNS Tree Walk (RFC 9989 section 4.10).
 */
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "orgdomain.h"

enum sg_status dmarc_fetch(struct dns_resolver *r, const char *domain,
			   const struct dmarc_txtset **set,
			   const struct dns_answer **held,
			   enum dns_result *res, const char **why)
{
	static const struct dmarc_txtset empty = { .count = 0 };
	char qname[DNS_MAX_NAME + 8];
	const struct dns_answer *a;

	*held = NULL;
	*set = &empty;
	*res = DNS_OK;
	/* A _dmarc name past the DNS limit cannot hold a record. */
	if (strlen(domain) + 7 > DNS_MAX_NAME)
		return SG_OK;
	snprintf(qname, sizeof qname, "_dmarc.%s", domain);
	a = dns_lookup(r, qname, DNS_T_TXT);
	switch (a->result) {
	case DNS_OK:
		if ((*set = dmarc_txtset_get(a)) == NULL) {
			dns_answer_release(&a);
			*set = &empty;
			*why = "out of memory";
			return SG_E_NOMEM;
		}
		*held = a;
		return SG_OK;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		break;
	case DNS_TEMPFAIL:
	case DNS_PERMFAIL:
		*res = a->result;
		*why = a->why != NULL ? a->why : dns_result_name(a->result);
		break;
	}
	dns_answer_release(&a);
	return SG_OK;
}

/* The walk's next target after the name at off (RFC 9989 4.10 steps 4
 * and 7): past 7 labels jump to the last 7, else drop one label. Returns
 * false when no label is left. */
static bool next_target(const char *start, size_t *off)
{
	const char *name = start + *off, *dot;
	size_t labels = dmarc_labels(name);

	if (labels >= 8) {
		*off += dmarc_suffix_off(name, 7);
		return true;
	}
	if ((dot = strchr(name, '.')) == NULL)
		return false;
	*off += (size_t)(dot - name) + 1;
	return true;
}

/* RFC 9989 4.10.2: pick the Organizational Domain from the records. */
static size_t pick_org(const struct dmarc_walk *w)
{
	const struct dmarc_walk_found *last;

	if (w->n == 0)
		return 0;			/* nothing found: the start itself */
	last = &w->found[w->n - 1];		/* a psd= record ends the walk */
	if (last->set->rec.psd == DMARC_PSD_N)
		return last->off;
	if (last->set->rec.psd == DMARC_PSD_Y && last->off != 0) {
		/* One label below the PSD, on the way down to the start. */
		size_t labels = dmarc_labels(w->start + last->off);

		return dmarc_suffix_off(w->start, labels + 1);
	}
	return last->off;			/* the fewest labels */
}

enum sg_status dmarc_walk(struct dns_resolver *r, const char *start,
			  struct dmarc_walk *w)
{
	size_t off = 0;
	enum sg_status st;

	memset(w, 0, sizeof *w);
	w->dns = DNS_OK;
	snprintf(w->start, sizeof w->start, "%s", start);
	do {
		const struct dmarc_txtset *set;
		const struct dns_answer *a;
		enum dns_result res;

		if (w->queries == DMARC_WALK_MAX_QUERIES)
			break;			/* cannot happen: 1 + 7 names */
		w->queries++;
		st = dmarc_fetch(r, w->start + off, &set, &a, &res, &w->why);
		if (a != NULL)
			w->held[w->n_held++] = a;
		if (st != SG_OK)
			return st;
		if (res != DNS_OK) {
			w->dns = res;
			return SG_OK;
		}
		if (set->count != 1) {		/* none, or several: none */
			w->several |= set->count > 1;
			continue;
		}
		w->found[w->n].off = off;
		w->found[w->n].set = set;
		w->n++;
		if (set->rec.psd != DMARC_PSD_U)
			break;
	} while (next_target(w->start, &off));
	w->org_off = pick_org(w);
	return SG_OK;
}

void dmarc_walk_release(struct dmarc_walk *w)
{
	for (size_t i = 0; i < w->n_held; i++)
		dns_answer_release(&w->held[i]);
	w->n_held = 0;
	w->n = 0;
}

const char *dmarc_walk_org(const struct dmarc_walk *w)
{
	return w->start + w->org_off;
}
