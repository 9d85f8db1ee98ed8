/*
 * common/cidr.h -- lists of IPv4/IPv6 networks ("10.0.0.0/8", "::1/128",
 * a bare address means a single host). IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) match IPv4 networks. Immutable after building; safe
 * to share between threads.
 */
#ifndef SG_CIDR_H
#define SG_CIDR_H

#include <stdbool.h>
#include <sys/socket.h>
#include "status.h"

struct cidr_list;				/* opaque */

/* NULL on OOM. */
struct cidr_list *cidr_list_new(void);
/* Add one network in text form; SG_E_SYNTAX with *why on bad text,
 * SG_E_TOOBIG past SG_MAX_CIDRS. */
enum sg_status cidr_list_add(struct cidr_list *l, const char *text,
			     const char **why);
/* Does the address (AF_INET or AF_INET6 sockaddr) fall in the list? */
bool cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa);
/* Same for an address in text form; false when it does not parse. */
bool cidr_list_match_text(const struct cidr_list *l, const char *addr);
void cidr_list_free(struct cidr_list **lp);

#endif
