/*
 * milter/filter.h -- the libmilter callbacks: who gets signed, feeding the
 * signer, inserting DKIM-Signature fields, fail-safe answers.
 * Per-connection state lives in the libmilter context (smfi_setpriv) and
 * is freed in the close callback on every path.
 */
#ifndef MILTER_FILTER_H
#define MILTER_FILTER_H

#include <libmilter/mfapi.h>

/* The filter description to hand to smfi_register. */
extern struct smfiDesc filter_desc;
/* Connections open right now (for a clean stop). */
int filter_active_connections(void);

#endif
