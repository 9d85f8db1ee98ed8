/*
 * common/status.c -- names of status codes.
 */
#include "status.h"

const char *sg_status_str(enum sg_status st)
{
	switch (st) {
	case SG_OK:		return "ok";
	case SG_E_NOMEM:	return "out of memory";
	case SG_E_TOOBIG:	return "too big";
	case SG_E_SYNTAX:	return "syntax error";
	case SG_E_NOTFOUND:	return "not found";
	case SG_E_PERM:		return "permission problem";
	case SG_E_IO:		return "i/o error";
	case SG_E_CRYPTO:	return "crypto error";
	case SG_E_UNSUPPORTED:	return "unsupported";
	case SG_E_STATE:	return "bad state";
	}
	return "unknown status";
}
