/*
 * common/b64.h -- base64 (RFC 4648 section 4), as DKIM uses it.
 */
#ifndef SG_B64_H
#define SG_B64_H

#include <stddef.h>
#include "status.h"

/* Encode n bytes; *out is malloc'd and NUL-terminated. */
enum sg_status b64_encode(const unsigned char *p, size_t n, char **out);
/* Decode text, skipping whitespace (RFC 6376 allows FWS inside b=, p=);
 * SG_E_SYNTAX on other junk or bad padding. *out is malloc'd, *outlen
 * its length. */
enum sg_status b64_decode(const char *s, size_t len, unsigned char **out,
			  size_t *outlen);

#endif
