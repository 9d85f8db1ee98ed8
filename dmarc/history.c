/*
 * dmarc/history.c -- see history.h.
 *
 * Adders and the writer meet at one mutex that guards the queue and the
 * counters and is never held across SQLite or a log line. An adder
 * allocates its copy before taking the mutex; the writer takes the whole
 * queue at once and writes it with the mutex released.
 */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* A warning about dropped or failed records at most this often. */
#define HIST_LOG_EVERY_S	60
/* Pause before retrying a batch that met a busy database (SQLite has
 * already waited DMARC_HISTORY_BUSY_MS by then). */
#define HIST_RETRY_MS		200u

/* The string fields of a record, in the order of HIST_STR_COLS. */
#define HIST_NSTR		19
#define HIST_STR_COLS \
	"queue_id, source_ip, header_from, envelope_from, policy_domain, " \
	"policy, policy_tag, result, disposition, override, spf_domain, " \
	"spf_scope, spf_result, rua, adkim, aspf, p, sp, np"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS messages ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL,"
	" queue_id TEXT, source_ip TEXT, header_from TEXT, envelope_from TEXT,"
	" policy_domain TEXT, policy TEXT, policy_tag TEXT,"
	" testing INTEGER NOT NULL,"
	" result TEXT, disposition TEXT, override TEXT,"
	" dkim_aligned INTEGER NOT NULL, spf_aligned INTEGER NOT NULL,"
	" spf_domain TEXT, spf_scope TEXT, spf_result TEXT,"
	" rua TEXT, adkim TEXT, aspf TEXT, p TEXT, sp TEXT, np TEXT);"
	"CREATE TABLE IF NOT EXISTS dkim ("
	" message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	" domain TEXT, selector TEXT, result TEXT);"
	"CREATE INDEX IF NOT EXISTS messages_policy_time"
	" ON messages(policy_domain, time);"
	"CREATE INDEX IF NOT EXISTS messages_time ON messages(time);"
	"CREATE INDEX IF NOT EXISTS dkim_message ON dkim(message_id);";

static const char insert_msg_sql[] =
	"INSERT INTO messages (time, testing, dkim_aligned, spf_aligned, "
	HIST_STR_COLS ") VALUES (?, ?, ?, ?, "
	"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static const char insert_dkim_sql[] =
	"INSERT INTO dkim (message_id, domain, selector, result) "
	"VALUES (?, ?, ?, ?)";

/* One queued record; its strings and DKIM array live in the same block,
 * right behind it. */
struct hist_entry {
	struct hist_entry *next;
	size_t size;			/* of the whole block */
	struct dmarc_history_rec rec;
};

/* Log the first event, then at most one line per HIST_LOG_EVERY_S. */
struct ratelimit {
	bool logged;
	long long last;			/* monotonic seconds of the last line */
	unsigned long long count;	/* events since then */
};

struct dmarc_history {
	char *path;
	sqlite3 *db;			/* the writer's, once it runs */
	sqlite3_stmt *begin, *commit, *rollback, *ins_msg, *ins_dkim;

	pthread_t writer;
	bool sync_ready;		/* mu, cattr, wake, idle made */
	pthread_mutex_t mu;		/* guards everything below */
	pthread_condattr_t cattr;	/* CLOCK_MONOTONIC */
	pthread_cond_t wake;		/* writer: records queued, or stop */
	pthread_cond_t idle;		/* flush: the writer finished a batch */
	struct hist_entry *head, *tail;
	size_t queued, queued_bytes, queue_max;
	size_t inflight;		/* records the writer holds */
	bool stopping;
	struct timespec deadline;	/* close gives up then */
	struct dmarc_history_stats st;
	struct ratelimit drop_rl;
	struct ratelimit fail_rl;	/* the writer's alone */
};

/* ---- small helpers ------------------------------------------------------- */

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool past(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec ||
	       (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* Count one event; true when a line may be logged now, with *n the
 * events it reports (this one and those not logged before it). */
static bool rl_hit(struct ratelimit *rl, unsigned long long *n)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	rl->count++;
	if (rl->logged && now.tv_sec - rl->last < HIST_LOG_EVERY_S)
		return false;
	rl->logged = true;
	rl->last = now.tv_sec;
	*n = rl->count;
	rl->count = 0;
	return true;
}

static bool is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* ---- records ------------------------------------------------------------- */

/* Point f[] at the string fields of r, in the order of HIST_STR_COLS. */
static void rec_fields(struct dmarc_history_rec *r, const char **f[HIST_NSTR])
{
	const char **all[HIST_NSTR] = {
		&r->queue_id, &r->source_ip, &r->header_from, &r->envelope_from,
		&r->policy_domain, &r->policy, &r->policy_tag, &r->result,
		&r->disposition, &r->override, &r->spf_domain, &r->spf_scope,
		&r->spf_result, &r->rua, &r->adkim, &r->aspf, &r->p, &r->sp,
		&r->np,
	};

	memcpy(f, all, sizeof all);
}

static size_t str_size(const char *s)
{
	return s == NULL ? 0 : strnlen(s, DMARC_HISTORY_MAX_STR) + 1;
}

/* Copy s (cut at DMARC_HISTORY_MAX_STR) to *cur and move *cur past it. */
static const char *str_put(char **cur, const char *s)
{
	char *d = *cur;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strnlen(s, DMARC_HISTORY_MAX_STR);
	memcpy(d, s, n);
	d[n] = '\0';
	*cur += n + 1;
	return d;
}

/* A deep copy of rec in one block; NULL on OOM. */
static struct hist_entry *entry_new(const struct dmarc_history_rec *rec)
{
	struct dmarc_history_rec r = *rec;
	const struct dmarc_history_dkim *src = rec->dkim;
	size_t n_dkim = src != NULL ? rec->n_dkim : 0;
	const char **f[HIST_NSTR];
	struct dmarc_history_dkim *dk;
	struct hist_entry *e;
	size_t size;
	char *cur;

	if (n_dkim > DMARC_HISTORY_MAX_DKIM)
		n_dkim = DMARC_HISTORY_MAX_DKIM;
	/* Bounded: (HIST_NSTR + 3 * MAX_DKIM) strings of MAX_STR at most. */
	size = sizeof *e + n_dkim * sizeof *dk;
	rec_fields(&r, f);
	for (size_t i = 0; i < HIST_NSTR; i++)
		size += str_size(*f[i]);
	for (size_t i = 0; i < n_dkim; i++)
		size += str_size(src[i].domain) + str_size(src[i].selector) +
			str_size(src[i].result);
	if ((e = malloc(size)) == NULL)
		return NULL;
	/* sizeof *e is a multiple of its (pointer) alignment. */
	dk = (struct dmarc_history_dkim *)(e + 1);
	cur = (char *)(dk + n_dkim);
	e->next = NULL;
	e->size = size;
	e->rec = r;
	rec_fields(&e->rec, f);
	for (size_t i = 0; i < HIST_NSTR; i++)
		*f[i] = str_put(&cur, *f[i]);
	for (size_t i = 0; i < n_dkim; i++) {
		dk[i].domain = str_put(&cur, src[i].domain);
		dk[i].selector = str_put(&cur, src[i].selector);
		dk[i].result = str_put(&cur, src[i].result);
	}
	e->rec.dkim = n_dkim > 0 ? dk : NULL;
	e->rec.n_dkim = n_dkim;
	return e;
}

static void entries_free(struct hist_entry *e)
{
	while (e != NULL) {
		struct hist_entry *next = e->next;

		free(e);
		e = next;
	}
}

void dmarc_history_add(struct dmarc_history *h,
		       const struct dmarc_history_rec *rec)
{
	struct hist_entry *e;
	unsigned long long n = 0, total = 0;
	bool queued = false, say = false;

	if (h == NULL || rec == NULL)
		return;
	e = entry_new(rec);
	pthread_mutex_lock(&h->mu);
	h->st.added++;
	if (e != NULL && h->queued < h->queue_max &&
	    e->size <= DMARC_HISTORY_MAX_QUEUE_BYTES - h->queued_bytes) {
		if (h->tail != NULL)
			h->tail->next = e;
		else
			h->head = e;
		h->tail = e;
		h->queued++;
		h->queued_bytes += e->size;
		queued = true;
		pthread_cond_signal(&h->wake);
	} else {
		h->st.dropped++;
		total = h->st.dropped;
		say = rl_hit(&h->drop_rl, &n);
	}
	pthread_mutex_unlock(&h->mu);
	if (queued)
		return;
	if (say)
		log_warn("dmarc history %s: %s, %llu record(s) dropped "
			 "(%llu since start)", h->path,
			 e != NULL ? "queue full" : "out of memory", n, total);
	free(e);
}

void dmarc_history_stats(struct dmarc_history *h,
			 struct dmarc_history_stats *out)
{
	memset(out, 0, sizeof *out);
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	*out = h->st;
	pthread_mutex_unlock(&h->mu);
}

/* ---- the writer ---------------------------------------------------------- */

/* Step a statement that returns no rows and reset it: SQLITE_DONE or an
 * error code. */
static int stmt_run(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc;
}

static int bind_str(sqlite3_stmt *s, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(s, i) :
			   sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* Insert one record and its DKIM rows: SQLITE_DONE or an error code. */
static int insert_rec(struct dmarc_history *h, struct dmarc_history_rec *r)
{
	sqlite3_stmt *s = h->ins_msg;
	const char **f[HIST_NSTR];
	sqlite3_int64 id;
	int rc = SQLITE_OK, i = 1;

	rc |= sqlite3_bind_int64(s, i++, r->time);
	rc |= sqlite3_bind_int(s, i++, r->testing);
	rc |= sqlite3_bind_int(s, i++, r->dkim_aligned);
	rc |= sqlite3_bind_int(s, i++, r->spf_aligned);
	rec_fields(r, f);
	for (size_t k = 0; k < HIST_NSTR; k++)
		rc |= bind_str(s, i++, *f[k]);
	if (rc != SQLITE_OK)
		return SQLITE_ERROR;
	if ((rc = stmt_run(s)) != SQLITE_DONE)
		return rc;
	id = sqlite3_last_insert_rowid(h->db);
	s = h->ins_dkim;
	for (size_t k = 0; k < r->n_dkim; k++) {
		rc = sqlite3_bind_int64(s, 1, id);
		rc |= bind_str(s, 2, r->dkim[k].domain);
		rc |= bind_str(s, 3, r->dkim[k].selector);
		rc |= bind_str(s, 4, r->dkim[k].result);
		if (rc != SQLITE_OK)
			return SQLITE_ERROR;
		if ((rc = stmt_run(s)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_DONE;
}

/* Write a batch in one transaction: SQLITE_OK, or an error code with
 * SQLite's message in err and nothing written. */
static int batch_write(struct dmarc_history *h, struct hist_entry *batch,
		       char *err, size_t errlen)
{
	int rc = stmt_run(h->begin);

	if (rc == SQLITE_DONE) {
		for (struct hist_entry *e = batch; e != NULL; e = e->next)
			if ((rc = insert_rec(h, &e->rec)) != SQLITE_DONE)
				break;
		if (rc == SQLITE_DONE && (rc = stmt_run(h->commit)) == SQLITE_DONE)
			return SQLITE_OK;
	}
	snprintf(err, errlen, "%s", sqlite3_errmsg(h->db));
	/* Some errors end the transaction by themselves. */
	if (!sqlite3_get_autocommit(h->db))
		stmt_run(h->rollback);
	return rc;
}

/* Log a batch that was not written (rate-limited): retried when busy. */
static void note_trouble(struct dmarc_history *h, size_t n, int rc,
			 const char *err)
{
	unsigned long long count;

	if (!rl_hit(&h->fail_rl, &count))
		return;
	if (is_busy(rc))
		log_warn("dmarc history %s: database busy, will retry %zu "
			 "record(s): %s", h->path, n, err);
	else
		log_warn("dmarc history %s: cannot write %zu record(s): %s "
			 "(%llu problem(s) since the last warning)", h->path, n,
			 err, count);
}

/* Called with h->mu held: take the whole queue as the next batch. */
static struct hist_entry *take_queue(struct dmarc_history *h, size_t *n)
{
	struct hist_entry *batch = h->head;

	*n = h->queued;
	h->head = h->tail = NULL;
	h->queued = h->queued_bytes = 0;
	h->inflight = *n;
	return batch;
}

static void *writer_main(void *arg)
{
	struct dmarc_history *h = arg;
	struct hist_entry *batch = NULL;
	char err[256];
	size_t n = 0;
	int rc;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (batch == NULL) {
			while (h->head == NULL && !h->stopping)
				pthread_cond_wait(&h->wake, &h->mu);
			if (h->head == NULL)
				break;
			batch = take_queue(h, &n);
		}
		if (h->stopping && past(&h->deadline))
			break;
		pthread_mutex_unlock(&h->mu);
		rc = batch_write(h, batch, err, sizeof err);
		if (rc != SQLITE_OK)
			note_trouble(h, n, rc, err);
		pthread_mutex_lock(&h->mu);
		if (is_busy(rc)) {
			/* Keep the batch; new records queue up meanwhile. A
			 * flush, a close or an add may cut the pause short. */
			struct timespec ts;

			deadline_in(&ts, HIST_RETRY_MS);
			pthread_cond_timedwait(&h->wake, &h->mu, &ts);
			continue;
		}
		if (rc == SQLITE_OK)
			h->st.written += n;
		else
			h->st.failed += n;
		pthread_mutex_unlock(&h->mu);
		entries_free(batch);
		batch = NULL;
		pthread_mutex_lock(&h->mu);
		h->inflight = 0;
		pthread_cond_broadcast(&h->idle);
	}
	/* Stopped: whatever is left was given up on at the deadline. */
	h->st.failed += (batch != NULL ? n : 0) + h->queued;
	entries_free(batch);
	entries_free(take_queue(h, &n));
	h->inflight = 0;
	pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

bool dmarc_history_flush(struct dmarc_history *h, unsigned timeout_ms)
{
	struct timespec deadline;
	bool idle;

	if (h == NULL)
		return true;
	deadline_in(&deadline, timeout_ms);
	pthread_mutex_lock(&h->mu);
	pthread_cond_signal(&h->wake);		/* cut a retry pause short */
	while ((h->head != NULL || h->inflight > 0) &&
	       pthread_cond_timedwait(&h->idle, &h->mu, &deadline) != ETIMEDOUT)
		;
	idle = h->head == NULL && h->inflight == 0;
	pthread_mutex_unlock(&h->mu);
	return idle;
}

/* ---- open and close ------------------------------------------------------ */

static enum sg_status errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return SG_E_NOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return SG_E_PERM;
	case ENOMEM:
		return SG_E_NOMEM;
	default:
		return SG_E_IO;
	}
}

/* Create path with mode 0640 whatever the umask; an existing file is left
 * as it is. */
static enum sg_status file_create(const char *path, char *why, size_t whylen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		      0640);
	int e;

	if (fd < 0 && errno == EEXIST)
		return SG_OK;
	if (fd < 0 || fchmod(fd, 0640) != 0) {
		e = errno;
		snprintf(why, whylen, "%s: cannot create: %s", path,
			 strerror(e));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return errno_status(e);
	}
	close(fd);
	return SG_OK;
}

/* SQLite's view of a failure, as a status and a why naming the path. */
static enum sg_status db_fail(struct dmarc_history *h, const char *what,
			      char *why, size_t whylen)
{
	int rc = sqlite3_errcode(h->db), e = sqlite3_system_errno(h->db);

	snprintf(why, whylen, "%s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
	if (rc == SQLITE_NOMEM)
		return SG_E_NOMEM;
	if (rc == SQLITE_PERM || rc == SQLITE_READONLY || rc == SQLITE_AUTH ||
	    (rc == SQLITE_CANTOPEN && (e == EACCES || e == EPERM || e == EROFS)))
		return SG_E_PERM;
	return SG_E_IO;
}

/* PRAGMA user_version into *v: SQLITE_OK or an error code. */
static int schema_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static enum sg_status too_new(struct dmarc_history *h, int v, char *why,
			      size_t whylen)
{
	snprintf(why, whylen, "%s: schema version %d is newer than this "
		 "signet's (%d); refusing to write into it", h->path, v,
		 DMARC_HISTORY_SCHEMA);
	return SG_E_UNSUPPORTED;
}

/* WAL journal, so report readers never hold the writer up. */
static enum sg_status db_journal(struct dmarc_history *h, char *why,
				 size_t whylen)
{
	sqlite3_stmt *s;
	bool wal = false;

	if (sqlite3_prepare_v2(h->db, "PRAGMA journal_mode=WAL", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(h, "cannot set the journal mode", why, whylen);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(s, 0);

		wal = m != NULL && strcmp((const char *)m, "wal") == 0;
	} else {
		sqlite3_finalize(s);
		return db_fail(h, "cannot set the journal mode", why, whylen);
	}
	sqlite3_finalize(s);
	/* Some file systems cannot do WAL: still usable, only slower. */
	if (!wal)
		log_warn("dmarc history %s: WAL journal not available, "
			 "report readers may delay writes", h->path);
	if (sqlite3_exec(h->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
			 NULL) != SQLITE_OK)
		return db_fail(h, "cannot set synchronous mode", why, whylen);
	return SG_OK;
}

/* Our tables in a database without a schema version: another program's
 * file, which we must not write into. */
static enum sg_status not_foreign(struct dmarc_history *h, char *why,
				  size_t whylen)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(h->db, "SELECT count(*) FROM sqlite_master "
				    "WHERE name IN ('messages', 'dkim')", -1,
				    &s, NULL);
	int n = -1;

	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (n < 0)
		return db_fail(h, "cannot read", why, whylen);
	if (n > 0) {
		snprintf(why, whylen, "%s: not a signet history database (it has "
			 "a messages or dkim table but no schema version)",
			 h->path);
		return SG_E_UNSUPPORTED;
	}
	return SG_OK;
}

/* Create the schema of a fresh database, under the write lock so two
 * processes opening it at once do not both do it. */
static enum sg_status db_create_schema(struct dmarc_history *h, char *why,
				       size_t whylen)
{
	enum sg_status st;
	char sql[64];
	int v = 0;

	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(h, "cannot lock the database", why, whylen);
	if (schema_version(h->db, &v) != SQLITE_OK)
		goto fail;
	if (v > DMARC_HISTORY_SCHEMA) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		return too_new(h, v, why, whylen);
	}
	if (v == 0 && (st = not_foreign(h, why, whylen)) != SG_OK) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		return st;
	}
	/* Versions 1 .. DMARC_HISTORY_SCHEMA - 1 would be migrated here. */
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
		 DMARC_HISTORY_SCHEMA);
	if (v == 0 &&
	    (sqlite3_exec(h->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	     sqlite3_exec(h->db, sql, NULL, NULL, NULL) != SQLITE_OK))
		goto fail;
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return SG_OK;
fail:
	st = db_fail(h, "cannot create the schema", why, whylen);
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static enum sg_status db_prepare(struct dmarc_history *h, char *why,
				 size_t whylen)
{
	const struct { sqlite3_stmt **s; const char *sql; } st[] = {
		{ &h->begin, "BEGIN IMMEDIATE" },
		{ &h->commit, "COMMIT" },
		{ &h->rollback, "ROLLBACK" },
		{ &h->ins_msg, insert_msg_sql },
		{ &h->ins_dkim, insert_dkim_sql },
	};

	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
		if (sqlite3_prepare_v3(h->db, st[i].sql, -1,
				       SQLITE_PREPARE_PERSISTENT, st[i].s,
				       NULL) != SQLITE_OK)
			return db_fail(h, "the database does not fit this signet",
				       why, whylen);
	return SG_OK;
}

static enum sg_status db_open(struct dmarc_history *h, char *why,
			      size_t whylen)
{
	enum sg_status st;
	int v = 0;

	/* The writer thread alone uses the connection once it runs. */
	if (sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		if (h->db == NULL) {
			snprintf(why, whylen, "%s: out of memory", h->path);
			return SG_E_NOMEM;
		}
		return db_fail(h, "cannot open", why, whylen);
	}
	sqlite3_busy_timeout(h->db, DMARC_HISTORY_BUSY_MS);
	/* SQLite falls back to read-only for a file it cannot write. */
	if (sqlite3_db_readonly(h->db, "main") == 1) {
		snprintf(why, whylen, "%s: not writable", h->path);
		return SG_E_PERM;
	}
	if (schema_version(h->db, &v) != SQLITE_OK)
		return db_fail(h, "cannot read", why, whylen);
	if (v > DMARC_HISTORY_SCHEMA)
		return too_new(h, v, why, whylen);
	/* An up-to-date database needs no write lock to open. */
	if (v != DMARC_HISTORY_SCHEMA &&
	    (st = db_create_schema(h, why, whylen)) != SG_OK)
		return st;
	/* Only now: a file we refuse keeps its journal mode. */
	if ((st = db_journal(h, why, whylen)) != SG_OK)
		return st;
	return db_prepare(h, why, whylen);
}

static void history_free(struct dmarc_history *h)
{
	sqlite3_finalize(h->begin);
	sqlite3_finalize(h->commit);
	sqlite3_finalize(h->rollback);
	sqlite3_finalize(h->ins_msg);
	sqlite3_finalize(h->ins_dkim);
	if (h->db != NULL && sqlite3_close(h->db) != SQLITE_OK)
		log_warn("dmarc history %s: close: %s", h->path,
			 sqlite3_errmsg(h->db));
	if (h->sync_ready) {
		pthread_cond_destroy(&h->wake);
		pthread_cond_destroy(&h->idle);
		pthread_condattr_destroy(&h->cattr);
		pthread_mutex_destroy(&h->mu);
	}
	entries_free(h->head);
	free(h->path);
	free(h);
}

/* The writer, with every signal blocked: they are the main thread's. */
static bool writer_start(struct dmarc_history *h)
{
	sigset_t all, old;
	bool ok;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(&h->writer, NULL, writer_main, h) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

enum sg_status dmarc_history_open(const char *path, unsigned queue_max,
				  struct dmarc_history **out,
				  char *why, size_t whylen)
{
	struct dmarc_history *h;
	enum sg_status st;

	*out = NULL;
	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->path = strdup(path)) == NULL) {
		free(h);
		snprintf(why, whylen, "%s: out of memory", path);
		return SG_E_NOMEM;
	}
	h->queue_max = queue_max > 0 ? queue_max : DMARC_HISTORY_DEFAULT_QUEUE;
	if ((st = file_create(path, why, whylen)) != SG_OK ||
	    (st = db_open(h, why, whylen)) != SG_OK) {
		history_free(h);
		return st;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&h->cattr);
	pthread_condattr_setclock(&h->cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &h->cattr);
	pthread_cond_init(&h->idle, &h->cattr);
	h->sync_ready = true;
	if (!writer_start(h)) {
		snprintf(why, whylen, "%s: cannot start the writer thread", path);
		history_free(h);
		return SG_E_NOMEM;
	}
	*out = h;
	return SG_OK;
}

void dmarc_history_close(struct dmarc_history **hp)
{
	struct dmarc_history *h = *hp;
	struct dmarc_history_stats s;

	if (h == NULL)
		return;
	*hp = NULL;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	deadline_in(&h->deadline, DMARC_HISTORY_CLOSE_MS);
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->mu);
	/* Bounded: past the deadline the writer finishes at most the batch
	 * in hand (SQLite waits DMARC_HISTORY_BUSY_MS at most per lock). */
	pthread_join(h->writer, NULL);
	s = h->st;
	if (s.dropped > 0 || s.failed > 0)
		log_warn("dmarc history %s: %llu of %llu record(s) written, "
			 "%llu dropped, %llu failed", h->path, s.written,
			 s.added, s.dropped, s.failed);
	history_free(h);
}
