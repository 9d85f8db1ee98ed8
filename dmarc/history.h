/*
 * dmarc/history.h -- the record of evaluated messages that DMARC aggregate
 * reports are built from (RFC 9989 section 5.5, RFC 7489 section 7.2), kept
 * in an SQLite database file.
 *
 * Mail must never wait for it: dmarc_history_add() deep-copies the record
 * into a bounded in-memory queue and returns; one writer thread per handle
 * drains the queue into the database, one transaction per batch. When the
 * database is slow, busy (a report generator holding a lock) or broken, the
 * queue fills and further records are dropped and counted, never the mail.
 * A batch that meets a busy database is kept and retried; one that meets
 * any other error is counted as failed and logged (both logs rate-limited).
 *
 * The file: created with mode 0640 (an existing file keeps its mode), WAL
 * journal (readers never block the writer), synchronous=NORMAL (a power
 * cut may lose the last batches, never the database). SQLite also creates
 * PATH-wal and PATH-shm beside it, so the directory must be writable by
 * the user the daemon runs as. The schema version is PRAGMA user_version;
 * a database from a newer signet is refused rather than written into.
 *
 * Schema, version 1 (one row per record; NULL strings stay NULL):
 *   messages(id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER, queue_id,
 *            source_ip, header_from, envelope_from, policy_domain, policy,
 *            policy_tag, testing INTEGER, result, disposition, override,
 *            dkim_aligned INTEGER, spf_aligned INTEGER, spf_domain,
 *            spf_scope, spf_result, rua, adkim, aspf, p, sp, np)
 *   dkim(message_id INTEGER -> messages.id, domain, selector, result)
 *   indexes: messages(policy_domain, time)  -- a day's report per domain
 *            messages(time)                 -- pruning old rows
 *            dkim(message_id)
 * Ids are never reused (AUTOINCREMENT), so a report tool may delete old
 * rows of both tables freely.
 *
 * Limits: each string is cut at DMARC_HISTORY_MAX_STR bytes and a record
 * keeps at most DMARC_HISTORY_MAX_DKIM signatures; the queue holds at most
 * queue_max records and DMARC_HISTORY_MAX_QUEUE_BYTES of them, and the
 * writer holds one more such batch at most while it writes.
 *
 * Thread use: dmarc_history_add() and dmarc_history_stats() from any
 * thread at any time between open and close; open, flush and close from
 * one controlling thread. Open after fork() (the writer thread does not
 * survive it) and after dropping privileges (files it creates belong to
 * the user that opened it). Several handles on one file (a reload opening
 * the new one before the old one is closed) work: they take turns.
 */
#ifndef DMARC_HISTORY_H
#define DMARC_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include "common/status.h"

/* Records waiting when dmarc_history_open() is given queue_max 0: a few
 * minutes of a busy MX at a few hundred bytes each. */
#define DMARC_HISTORY_DEFAULT_QUEUE	10000u
/* Bytes of one string kept; longer ones are cut. Domains are at most
 * 255; the longest field is rua=, which fits in a DMARC_MAX_RECORD. */
#define DMARC_HISTORY_MAX_STR		4096u
/* DKIM results kept per record (the verifier checks at most
 * DKIM_MAX_VERIFY_SIGS signatures). */
#define DMARC_HISTORY_MAX_DKIM		64u
/* Memory of queued records, whatever queue_max says. */
#define DMARC_HISTORY_MAX_QUEUE_BYTES	(64u * 1024 * 1024)
/* dmarc_history_close() writes what is queued for at most this long. */
#define DMARC_HISTORY_CLOSE_MS		3000u
/* SQLite waits this long for another connection's lock before the
 * writer backs off and retries the batch. */
#define DMARC_HISTORY_BUSY_MS		1000

/* The schema version this code writes (PRAGMA user_version). */
#define DMARC_HISTORY_SCHEMA		1

struct dmarc_history;			/* opaque */

/* One DKIM signature's outcome; result "pass", "fail", ... */
struct dmarc_history_dkim {
	const char *domain, *selector, *result;
};

/* One evaluated message. Every pointer is borrowed for the call only;
 * any string may be NULL (stored as NULL). */
struct dmarc_history_rec {
	long long time;			/* seconds since 1970 */
	const char *queue_id;		/* MTA queue id or "NOQUEUE" */
	const char *source_ip;		/* client address, text */
	const char *header_from;	/* author domain */
	const char *envelope_from;	/* MAIL FROM domain; "" for the null sender */
	const char *policy_domain;	/* where the DMARC record was found */
	const char *policy;		/* published policy that applied:
					 * none/quarantine/reject */
	const char *policy_tag;		/* "p", "sp", "np" */
	bool testing;			/* t=y */
	const char *result;		/* pass/fail/temperror/permerror */
	const char *disposition;	/* applied: none/quarantine/reject */
	const char *override;		/* NULL, or the local reason enforcement
					 * was lowered ("trusted_forwarder",
					 * "local_policy", ...) */
	bool dkim_aligned, spf_aligned;
	const struct dmarc_history_dkim *dkim;
	size_t n_dkim;
	const char *spf_domain;		/* MAIL FROM domain or HELO name */
	const char *spf_scope;		/* "mfrom" or "helo" */
	const char *spf_result;
	const char *rua;		/* the record's rua= as published, or NULL */
	/* The published record, for the report's <policy_published>;
	 * NULL when the tag is absent. */
	const char *adkim, *aspf, *p, *sp, *np;
};

/* Counters since open. After close (or an idle flush): added == written
 * + dropped + failed. */
struct dmarc_history_stats {
	unsigned long long added;	/* dmarc_history_add() calls on a handle */
	unsigned long long written;	/* committed to the database */
	unsigned long long dropped;	/* queue full or out of memory */
	unsigned long long failed;	/* a write failed, or close gave up */
};

/* Open path (creating the file and schema when needed) and start the
 * writer. queue_max is the most records waiting (0: the default). SG_OK
 * and *out, or: SG_E_NOTFOUND (no such directory), SG_E_PERM, SG_E_IO
 * (SQLite could not open, lock or read it; not a database),
 * SG_E_UNSUPPORTED (a newer schema, or another program's database with
 * tables named like ours), SG_E_NOMEM; *why (whylen bytes) then names the
 * path and the problem. */
enum sg_status dmarc_history_open(const char *path, unsigned queue_max,
				  struct dmarc_history **out,
				  char *why, size_t whylen);

/* Queue a copy of rec for writing. Never waits for SQLite or the disk:
 * when the queue is full (or memory is short) the record is dropped,
 * counted and logged (at most once a minute). h NULL: nothing is kept. */
void dmarc_history_add(struct dmarc_history *h,
		       const struct dmarc_history_rec *rec);

/* Copy the counters into *out (zeros for a NULL h). */
void dmarc_history_stats(struct dmarc_history *h,
			 struct dmarc_history_stats *out);

/* Wait until everything queued so far is written or given up on, for at
 * most timeout_ms. True when the writer is idle with nothing queued. For
 * tests and orderly shutdown; never call it on the mail path. */
bool dmarc_history_flush(struct dmarc_history *h, unsigned timeout_ms);

/* Write what is queued (for at most DMARC_HISTORY_CLOSE_MS; the rest
 * counts as failed), stop the writer, close the database, free *hp and
 * NULL it. Logs a warning when records were dropped or failed. A NULL
 * *hp is fine. No dmarc_history_add() may run during or after it. */
void dmarc_history_close(struct dmarc_history **hp);

#endif
