/*
 * common/status.h -- status codes shared by every module.
 * A status says whether an operation reached an answer; a verdict (pass,
 * fail, ...) is data carried elsewhere. Pair each non-OK status with a
 * static "why" string at the call site.
 */
#ifndef SG_STATUS_H
#define SG_STATUS_H

enum sg_status {
	SG_OK = 0,
	SG_E_NOMEM,		/* allocation failed */
	SG_E_TOOBIG,		/* input over a named limit */
	SG_E_SYNTAX,		/* input does not parse */
	SG_E_NOTFOUND,		/* no such item (file, key, entry) */
	SG_E_PERM,		/* unsafe permissions or access denied */
	SG_E_IO,		/* read/write/system call failed */
	SG_E_CRYPTO,		/* OpenSSL reported an error */
	SG_E_UNSUPPORTED,	/* valid but not handled (algorithm, type) */
	SG_E_STATE,		/* call out of order */
};

/* Short lower-case name of a status, for logs. Never NULL. */
const char *sg_status_str(enum sg_status st);

#endif
