/*
 * tests/fuzz/fuzz_authres.c -- libFuzzer harness for the removal decision
 * on Authentication-Results fields: authres_id() and authres_claims()
 * over arbitrary field values, and the writer over arbitrary strings.
 * Checks the contract too: an id that parses is non-empty, bounded and
 * claimed by itself; whatever the writer produced reads back as ours.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[AUTHRES_MAX_ID + 1], *text;
	struct buf b;

	if (authres_id((const char *)data, size, id) == SG_OK) {
		size_t n = strlen(id);

		if (n == 0 || n > AUTHRES_MAX_ID)
			abort();
		if (strchr(id, '.') == NULL || id[n - 1] != '.') {
			if (!authres_claims((const char *)data, size, id))
				abort();
		}
	}
	(void)authres_claims((const char *)data, size, "mx.example.com");

	/* The writer, with the input as authserv-id and as values. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	buf_init(&b, 1u << 20);
	if (authres_begin(&b, text) == SG_OK &&
	    authres_result(&b, "dkim", "pass", text, size & 1) == SG_OK &&
	    authres_prop(&b, "header", "d", text) == SG_OK) {
		size_t tl = strlen(text);

		/* A non-empty id without line breaks or NULs reads back. */
		if (tl > 0 && tl <= AUTHRES_MAX_ID && strpbrk(text, "\r\n") == NULL &&
		    text[tl - 1] != '.' && !authres_claims(b.data, b.len, text))
			abort();
	}
	buf_free(&b);
	free(text);
	return 0;
}
