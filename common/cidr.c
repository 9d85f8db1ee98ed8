/*
 * common/cidr.c -- see cidr.h.
 *
 * Networks are kept per family, host bits masked off when added. An
 * AF_INET address is tried against the IPv4 networks only; an AF_INET6
 * address against the IPv6 networks and, when it is IPv4-mapped
 * (::ffff:a.b.c.d), against the IPv4 networks as well. So "::/0" does not
 * take in every IPv4 client, while "10.0.0.0/8" does match a client that
 * reached a dual-stack socket as ::ffff:10.1.2.3.
 * Text is taken exactly: no surrounding space, no zone ("%eth0"), a
 * prefix of decimal digits only.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

/* Longest text we hand to inet_pton: an IPv6 address with a dotted quad
 * tail is at most 45 characters (INET6_ADDRSTRLEN - 1). */
#define CIDR_MAX_ADDR_TEXT	INET6_ADDRSTRLEN

struct cidr_net {
	int family;			/* AF_INET or AF_INET6 */
	unsigned prefix;		/* 0..32 or 0..128 */
	unsigned char addr[16];		/* network address, host bits zero */
};

struct cidr_list {
	struct cidr_net *nets;
	size_t n, alloc;
};

struct cidr_list *cidr_list_new(void)
{
	return calloc(1, sizeof(struct cidr_list));
}

void cidr_list_free(struct cidr_list **lp)
{
	if (lp == NULL || *lp == NULL)
		return;
	free((*lp)->nets);
	free(*lp);
	*lp = NULL;
}

/* Zero the bits of addr (len bytes) past the first prefix bits. */
static void mask_host_bits(unsigned char *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		addr[i] &= (unsigned char)(0xff00u >> prefix);
		prefix = 0;
	}
}

/* Do the first prefix bits of a and b agree? */
static bool prefix_equal(const unsigned char *a, const unsigned char *b,
			 unsigned prefix)
{
	size_t whole = prefix / 8;
	unsigned rest = prefix % 8;
	unsigned char m;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	m = (unsigned char)(0xff00u >> rest);
	return (a[whole] & m) == (b[whole] & m);
}

/* Parse a prefix length: 1-3 decimal digits, at most max. */
static enum sg_status parse_prefix(const char *s, unsigned max,
				   unsigned *out, const char **why)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3) {
			*why = "bad prefix length";
			return SG_E_SYNTAX;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (i == 0) {
		*why = "empty prefix length";
		return SG_E_SYNTAX;
	}
	if (v > max) {
		*why = "prefix length too large";
		return SG_E_SYNTAX;
	}
	*out = v;
	return SG_OK;
}

/* Parse "address" or "address/prefix" into net. */
static enum sg_status parse_net(const char *text, struct cidr_net *net,
				const char **why)
{
	char addr[CIDR_MAX_ADDR_TEXT];
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	if (alen == 0 || alen >= sizeof addr) {
		*why = alen == 0 ? "missing address" : "address too long";
		return SG_E_SYNTAX;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	memset(net, 0, sizeof *net);
	if (inet_pton(AF_INET, addr, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return SG_E_SYNTAX;
	}
	net->prefix = max;
	if (slash != NULL &&
	    parse_prefix(slash + 1, max, &net->prefix, why) != SG_OK)
		return SG_E_SYNTAX;
	mask_host_bits(net->addr, max / 8, net->prefix);
	return SG_OK;
}

enum sg_status cidr_list_add(struct cidr_list *l, const char *text,
			     const char **why)
{
	struct cidr_net net;
	enum sg_status st;

	if (text == NULL) {
		*why = "missing address";
		return SG_E_SYNTAX;
	}
	if ((st = parse_net(text, &net, why)) != SG_OK)
		return st;
	if (l->n >= SG_MAX_CIDRS) {
		*why = "too many networks in list";
		return SG_E_TOOBIG;
	}
	if (l->n == l->alloc) {
		size_t na = l->alloc == 0 ? 8 : l->alloc * 2;
		struct cidr_net *p;

		if (na > SG_MAX_CIDRS)
			na = SG_MAX_CIDRS;
		if ((p = realloc(l->nets, na * sizeof *p)) == NULL) {
			*why = "out of memory";
			return SG_E_NOMEM;
		}
		l->nets = p;
		l->alloc = na;
	}
	l->nets[l->n++] = net;
	return SG_OK;
}

/* Is the address (4 or 16 bytes of family) in one of the networks? */
static bool match_bytes(const struct cidr_list *l, int family,
			const unsigned char *addr)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cidr_net *net = &l->nets[i];

		if (net->family == family &&
		    prefix_equal(net->addr, addr, net->prefix))
			return true;
	}
	return false;
}

/* An IPv6 address, and its IPv4 form when it is IPv4-mapped. */
static bool match_v6(const struct cidr_list *l, const struct in6_addr *a)
{
	if (match_bytes(l, AF_INET6, a->s6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(a) &&
	       match_bytes(l, AF_INET, a->s6_addr + 12);
}

bool cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa)
{
	if (l == NULL || sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		return match_bytes(l, AF_INET,
				   (const unsigned char *)&sin->sin_addr);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
			(const struct sockaddr_in6 *)sa;

		return match_v6(l, &sin6->sin6_addr);
	}
	return false;
}

bool cidr_list_match_text(const struct cidr_list *l, const char *addr)
{
	unsigned char a4[4];
	struct in6_addr a6;

	if (l == NULL || addr == NULL)
		return false;
	if (inet_pton(AF_INET, addr, a4) == 1)
		return match_bytes(l, AF_INET, a4);
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return match_v6(l, &a6);
	return false;
}
