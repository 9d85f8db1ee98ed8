/*
 * tests/lib/conformance.h -- the shared conformance data for C unit tests:
 * $SIGNET_CONFORMANCE, or ../shared/conformance from the repo root (where
 * the tests run). Header-only: unit tests link libsignet.a alone.
 */
#ifndef SG_CONFORMANCE_H
#define SG_CONFORMANCE_H

#include <stdio.h>
#include <stdlib.h>

static inline const char *conformance_dir(void)
{
	const char *d = getenv("SIGNET_CONFORMANCE");

	return d != NULL && *d != '\0' ? d : "../shared/conformance";
}

/* The bytes of SUB/NAME under the conformance folder, malloc'd and NUL
 * terminated (*len excludes the NUL); NULL (and a line on stderr) when
 * it cannot be read. */
static inline char *conformance_read(const char *sub, const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *p = NULL;
	long n;

	snprintf(path, sizeof path, "%s/%s/%s", conformance_dir(), sub, name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL &&
	    fread(p, 1, (size_t)n, f) == (size_t)n) {
		p[n] = '\0';
		*len = (size_t)n;
	} else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

#endif
