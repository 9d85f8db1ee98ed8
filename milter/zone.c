/*
 * milter/zone.c -- see zone.h.
 */
#include "zone.h"

#include <string.h>

#define TXT_STRING_MAX 255

void zone_print_txt(FILE *f, const char *selector, const char *domain,
		    const char *txt)
{
	size_t len = strlen(txt);

	fprintf(f, "%s._domainkey.%s. IN TXT (", selector, domain);
	for (size_t off = 0; off < len; off += TXT_STRING_MAX) {
		size_t n = len - off < TXT_STRING_MAX ? len - off : TXT_STRING_MAX;

		fprintf(f, " \"%.*s\"", (int)n, txt + off);
	}
	fprintf(f, " )\n");
}
