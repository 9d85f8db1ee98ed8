/*
 * tests/fuzz/fuzz_from.c -- libFuzzer harness for hdr_from_address() and,
 * on a NUL-terminated copy of the same bytes, cidr_list_add() and
 * cidr_list_match_text(). Checks the contract as well as memory safety:
 * outputs are set exactly on success and the domain is in canonical form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/hdr.h"
#include "common/limits.h"

static void check_from(const uint8_t *data, size_t size)
{
	char *local = NULL, *domain = NULL;
	const char *why = NULL;
	enum sg_status st;

	st = hdr_from_address((const char *)data, size, &local, &domain, &why);
	if (st != SG_OK) {
		if (local != NULL || domain != NULL || why == NULL)
			abort();
		return;
	}
	if (local == NULL || domain == NULL ||
	    strlen(local) > SG_MAX_LOCALPART ||
	    strlen(domain) == 0 || strlen(domain) > SG_MAX_DOMAIN)
		abort();
	for (const char *p = domain; *p != '\0'; p++)
		if ((*p >= 'A' && *p <= 'Z') || strchr("@<>()\"[] \t\r\n", *p))
			abort();
	if (domain[0] == '.' || domain[strlen(domain) - 1] == '.')
		abort();
	free(local);
	free(domain);
}

static void check_cidr(const uint8_t *data, size_t size)
{
	struct cidr_list *l;
	const char *why;
	char *text;

	if ((text = malloc(size + 1)) == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((l = cidr_list_new()) != NULL) {
		if (cidr_list_add(l, text, &why) == SG_OK &&
		    !cidr_list_match_text(l, text) && strchr(text, '/') == NULL)
			abort();	/* a host must match itself */
		(void)cidr_list_match_text(l, text);
		cidr_list_free(&l);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_from(data, size);
	check_cidr(data, size);
	return 0;
}
