/*
 * milter/zone.h -- print a DKIM public key as a DNS zone-file TXT record,
 * split into quoted strings of at most 255 bytes (RFC 1035 3.3.14).
 */
#ifndef MILTER_ZONE_H
#define MILTER_ZONE_H

#include <stdio.h>

/* "SELECTOR._domainkey.DOMAIN. IN TXT ( "..." "..." )" and a newline. */
void zone_print_txt(FILE *f, const char *selector, const char *domain,
		    const char *txt);

#endif
