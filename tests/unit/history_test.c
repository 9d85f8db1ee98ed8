/*
 * tests/unit/history_test.c -- dmarc/history: records round-trip through
 * the SQLite file exactly (NULLs, quotes, hostile bytes), the file's mode
 * and schema version, reopening appends, a newer or foreign database is
 * refused, adders never wait for a locked database (the queue drops and
 * counts instead), failed writes are counted, close gives up in bounded
 * time, and several threads may add at once. Everything happens in a
 * private mkdtemp directory; every wait is bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dmarc/history.h"
#include "tests/lib/test.h"

static char tmpdir[256];	/* short: paths under it must fit */

/* name inside the private directory, in buf (PATH_MAX bytes). */
static const char *db_path(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- records made from a number ----------------------------------------- */

/* One record and the storage its strings live in. */
struct sample {
	char qid[24], ip[48], hfrom[48], efrom[48], pdom[48], spfd[48];
	char dd[3][48], ds[3][24];
	struct dmarc_history_dkim dk[3];
	struct dmarc_history_rec r;
};

/* Record i: every field varies with i; some are NULL, some quoted. */
static void sample_make(int i, struct sample *x)
{
	static const char *const req[] = { "none", "quarantine", "reject" };
	static const char *const tag[] = { "p", "sp", "np" };
	static const char *const res[] = { "pass", "fail", "temperror", "permerror" };
	static const char *const ovr[] = { NULL, "trusted_forwarder", "local_policy", NULL };
	struct dmarc_history_rec *r = &x->r;

	memset(x, 0, sizeof *x);
	snprintf(x->qid, sizeof x->qid, "Q%05d", i);
	if (i % 2)
		snprintf(x->ip, sizeof x->ip, "192.0.2.%d", i % 256);
	else
		snprintf(x->ip, sizeof x->ip, "2001:db8::%x", i);
	snprintf(x->hfrom, sizeof x->hfrom, "from%d.example", i);
	snprintf(x->efrom, sizeof x->efrom, i % 7 ? "env%d.example" : "", i);
	snprintf(x->pdom, sizeof x->pdom, "example%d.test", i % 10);
	snprintf(x->spfd, sizeof x->spfd, i % 7 ? "env%d.example" : "helo%d.test", i);
	r->time = 1700000000LL + i;
	r->queue_id = x->qid;
	r->source_ip = x->ip;
	r->header_from = x->hfrom;
	r->envelope_from = x->efrom;
	r->policy_domain = x->pdom;
	r->policy = req[i % 3];
	r->policy_tag = tag[i % 3];
	r->testing = i % 5 == 0;
	r->result = res[i % 4];
	r->disposition = req[(i + 1) % 3];
	r->override = ovr[i % 4];
	r->dkim_aligned = i % 2;
	r->spf_aligned = i % 3 == 0;
	r->n_dkim = (size_t)(i % 4);
	for (int j = 0; j < 3; j++) {
		snprintf(x->dd[j], sizeof x->dd[j], "d%d-%d.example", i, j);
		snprintf(x->ds[j], sizeof x->ds[j], "sel%d", j);
		x->dk[j].domain = x->dd[j];
		x->dk[j].selector = j == 2 ? NULL : x->ds[j];
		x->dk[j].result = j % 2 ? "fail" : "pass";
	}
	r->dkim = r->n_dkim > 0 ? x->dk : NULL;
	r->spf_domain = x->spfd;
	r->spf_scope = i % 7 ? "mfrom" : "helo";
	r->spf_result = i % 3 ? "softfail" : "pass";
	r->rua = i % 3 ? "mailto:rua@x.test, mailto:'q'@y.test; \"dq\"" : NULL;
	r->adkim = i % 2 ? "r" : NULL;
	r->aspf = "s";
	r->p = "reject";
	r->sp = NULL;
	r->np = i % 2 ? "none" : NULL;
}

/* ---- reading the file back with plain SQLite ---------------------------- */

static sqlite3 *db_open_ro(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "  cannot open %s: %s\n", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	return db;
}

/* The first column of the first row of sql, as an integer; -1 on error. */
static long long db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static long long file_int(const char *path, const char *sql)
{
	sqlite3 *db = db_open_ro(path);
	long long v = db != NULL ? db_int(db, sql) : -1;

	sqlite3_close(db);
	return v;
}

/* Column col holds exactly want (NULL: holds NULL). */
static bool col_is(sqlite3_stmt *s, int col, const char *want, const char *what)
{
	const unsigned char *got = sqlite3_column_text(s, col);
	int n = sqlite3_column_bytes(s, col);

	if (want == NULL ? sqlite3_column_type(s, col) == SQLITE_NULL :
	    sqlite3_column_type(s, col) == SQLITE_TEXT &&
	    (size_t)n == strlen(want) && memcmp(got, want, (size_t)n) == 0)
		return true;
	fprintf(stderr, "  column %s: got %s%.60s%s, want %s%.60s%s\n", what,
		got ? "\"" : "", got ? (const char *)got : "NULL", got ? "\"" : "",
		want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
	return false;
}

static bool int_is(sqlite3_stmt *s, int col, long long want, const char *what)
{
	if (sqlite3_column_type(s, col) == SQLITE_INTEGER &&
	    sqlite3_column_int64(s, col) == want)
		return true;
	fprintf(stderr, "  column %s: got %lld, want %lld\n", what,
		sqlite3_column_int64(s, col), want);
	return false;
}

static bool dkim_rows_are(sqlite3 *db, long long id,
			  const struct dmarc_history_rec *r)
{
	sqlite3_stmt *s;
	size_t n = 0;
	bool ok = true;

	if (sqlite3_prepare_v2(db, "SELECT domain, selector, result FROM dkim "
			       "WHERE message_id = ? ORDER BY rowid", -1, &s,
			       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(s, 1, id);
	while (ok && sqlite3_step(s) == SQLITE_ROW) {
		ok = n < r->n_dkim &&
		     col_is(s, 0, r->dkim[n].domain, "dkim.domain") &&
		     col_is(s, 1, r->dkim[n].selector, "dkim.selector") &&
		     col_is(s, 2, r->dkim[n].result, "dkim.result");
		n++;
	}
	sqlite3_finalize(s);
	if (ok && n != r->n_dkim)
		fprintf(stderr, "  %zu dkim rows, want %zu\n", n, r->n_dkim);
	return ok && n == r->n_dkim;
}

/* The row whose queue_id is r->queue_id holds r exactly. */
static bool row_is(sqlite3 *db, const struct dmarc_history_rec *r)
{
	static const char sql[] =
		"SELECT id, time, testing, dkim_aligned, spf_aligned, queue_id, "
		"source_ip, header_from, envelope_from, policy_domain, policy, "
		"policy_tag, result, disposition, override, spf_domain, spf_scope, "
		"spf_result, rua, adkim, aspf, p, sp, np FROM messages "
		"WHERE queue_id = ?";
	const char *want[] = {
		r->queue_id, r->source_ip, r->header_from, r->envelope_from,
		r->policy_domain, r->policy, r->policy_tag, r->result,
		r->disposition, r->override, r->spf_domain, r->spf_scope,
		r->spf_result, r->rua, r->adkim, r->aspf, r->p, r->sp, r->np,
	};
	sqlite3_stmt *s;
	long long id = -1;
	bool ok;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, r->queue_id, -1, SQLITE_STATIC);
	ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok) {
		id = sqlite3_column_int64(s, 0);
		ok = int_is(s, 1, r->time, "time") &&
		     int_is(s, 2, r->testing, "testing") &&
		     int_is(s, 3, r->dkim_aligned, "dkim_aligned") &&
		     int_is(s, 4, r->spf_aligned, "spf_aligned");
		for (size_t k = 0; ok && k < NELEM(want); k++)
			ok = col_is(s, 5 + (int)k, want[k],
				    sqlite3_column_name(s, 5 + (int)k));
		/* exactly one row per queue id here */
		ok = ok && sqlite3_step(s) == SQLITE_DONE;
	} else {
		fprintf(stderr, "  no row for %s\n", r->queue_id);
	}
	sqlite3_finalize(s);
	return ok && dkim_rows_are(db, id, r);
}

static bool stats_are(struct dmarc_history *h, unsigned long long added,
		      unsigned long long written, unsigned long long dropped,
		      unsigned long long failed)
{
	struct dmarc_history_stats st;

	dmarc_history_stats(h, &st);
	if (st.added == added && st.written == written &&
	    st.dropped == dropped && st.failed == failed)
		return true;
	fprintf(stderr, "  stats: added %llu written %llu dropped %llu failed %llu\n",
		st.added, st.written, st.dropped, st.failed);
	return false;
}

static struct dmarc_history *open_ok(const char *path, unsigned queue_max,
				     const char *label)
{
	struct dmarc_history *h = NULL;
	char why[512] = "";
	enum sg_status st = dmarc_history_open(path, queue_max, &h, why, sizeof why);

	if (st != SG_OK)
		fprintf(stderr, "  open %s: %s\n", path, why);
	T_EXPECT(st == SG_OK && h != NULL, label);
	return h;
}

/* ---- cases --------------------------------------------------------------- */

static void test_roundtrip(void)
{
	char path[PATH_MAX], wal[PATH_MAX];
	struct dmarc_history *h;
	struct sample x;
	struct stat sb;
	sqlite3 *db;
	mode_t old = umask(0);		/* the mode must not come from umask */
	double t0, t1;
	int bad = 0;

	db_path(path, "main.db");
	h = open_ok(path, 0, "roundtrip: open");
	umask(old);
	if (h == NULL)
		return;
	T_EXPECT(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0640,
		 "roundtrip: file mode 0640");
	t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		sample_make(i, &x);
		dmarc_history_add(h, &x.r);
	}
	t1 = now_ms();
	/* generous: valgrind on a loaded machine */
	T_EXPECT(dmarc_history_flush(h, 60000), "roundtrip: flush");
	printf("history_test: 1000 adds %.1f ms, all written %.1f ms later\n",
	       t1 - t0, now_ms() - t1);
	T_EXPECT(stats_are(h, 1000, 1000, 0, 0), "roundtrip: stats");
	T_EXPECT(stat(db_path(wal, "main.db-wal"), &sb) == 0 &&
		 (sb.st_mode & 07777) == 0640, "roundtrip: WAL file mode 0640");
	dmarc_history_close(&h);
	T_EXPECT(h == NULL, "roundtrip: close nulls the handle");

	if ((db = db_open_ro(path)) == NULL) {
		T_EXPECT(false, "roundtrip: reopen with sqlite3");
		return;
	}
	T_EXPECT(db_int(db, "SELECT count(*) FROM messages") == 1000,
		 "roundtrip: 1000 messages");
	/* i % 4 DKIM rows each: 250 * (0 + 1 + 2 + 3) */
	T_EXPECT(db_int(db, "SELECT count(*) FROM dkim") == 1500,
		 "roundtrip: 1500 dkim rows");
	T_EXPECT(db_int(db, "PRAGMA user_version") == DMARC_HISTORY_SCHEMA,
		 "roundtrip: schema version");
	T_EXPECT(db_int(db, "SELECT count(*) FROM sqlite_master WHERE "
			"name = 'messages_policy_time'") == 1,
		 "roundtrip: report index");
	T_EXPECT(db_int(db, "SELECT count(*) FROM pragma_journal_mode "
			"WHERE journal_mode = 'wal'") == 1, "roundtrip: WAL");
	for (int i = 0; i < 1000; i++) {
		sample_make(i, &x);
		bad += !row_is(db, &x.r);
	}
	T_EXPECT(bad == 0, "roundtrip: every row and its dkim rows exact");
	sqlite3_close(db);
}

static void test_append(void)
{
	char path[PATH_MAX];
	struct dmarc_history *h;
	struct sample x;
	sqlite3 *db;

	h = open_ok(db_path(path, "main.db"), 0, "append: reopen");
	if (h == NULL)
		return;
	for (int i = 1000; i < 1010; i++) {
		sample_make(i, &x);
		dmarc_history_add(h, &x.r);
	}
	dmarc_history_close(&h);
	T_EXPECT(file_int(path, "SELECT count(*) FROM messages") == 1010,
		 "append: 1010 messages");
	T_EXPECT(file_int(path, "SELECT max(id) FROM messages") == 1010,
		 "append: ids go on");
	if ((db = db_open_ro(path)) == NULL)
		return;
	sample_make(1005, &x);
	T_EXPECT(row_is(db, &x.r), "append: new row exact");
	sample_make(3, &x);
	T_EXPECT(row_is(db, &x.r), "append: old row kept");
	sqlite3_close(db);
}

static bool exec_file(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	bool ok = sqlite3_open(path, &db) == SQLITE_OK &&
		  sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;

	sqlite3_close(db);
	return ok;
}

/* Opening fails with want; why names the path and holds needle. */
static void expect_refused(const char *path, enum sg_status want,
			   const char *needle, const char *label)
{
	struct dmarc_history *h = (struct dmarc_history *)&h;	/* not NULL */
	char why[512] = "";
	enum sg_status st = dmarc_history_open(path, 0, &h, why, sizeof why);

	T_EXPECT(st == want, label);
	T_EXPECT(h == NULL, label);
	T_EXPECT(strstr(why, path) != NULL && strstr(why, needle) != NULL, label);
	if (st != want || strstr(why, needle) == NULL)
		fprintf(stderr, "  %s: status %s, why \"%s\"\n", label,
			sg_status_str(st), why);
	if (st == SG_OK)
		dmarc_history_close(&h);
}

static void test_refused(void)
{
	char newer[PATH_MAX], path[PATH_MAX];
	FILE *f;

	db_path(newer, "newer.db");
	T_EXPECT(exec_file(newer, "CREATE TABLE t(x); PRAGMA user_version = 2"),
		 "refused: make newer db");
	expect_refused(newer, SG_E_UNSUPPORTED, "newer", "refused: newer schema");
	T_EXPECT(file_int(newer, "PRAGMA user_version") == 2 &&
		 file_int(newer, "SELECT count(*) FROM sqlite_master WHERE "
			  "name = 'messages'") == 0,
		 "refused: newer db untouched");

	db_path(path, "foreign.db");
	T_EXPECT(exec_file(path, "CREATE TABLE messages(a, b)"),
		 "refused: make foreign db");
	expect_refused(path, SG_E_UNSUPPORTED, "not a signet history database",
		       "refused: foreign messages table");
	T_EXPECT(file_int(path, "SELECT count(*) FROM "
			  "pragma_journal_mode WHERE journal_mode = 'delete'") == 1,
		 "refused: foreign db keeps its journal mode");

	db_path(path, "text.db");
	if ((f = fopen(path, "w")) != NULL) {
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite database at all\n", f);
		fclose(f);
	}
	expect_refused(path, SG_E_IO, "not a database", "refused: not a database");

	db_path(path, "no/such/dir.db");
	expect_refused(path, SG_E_NOTFOUND, "No such file", "refused: no directory");

	if (geteuid() != 0) {		/* root may write anything */
		db_path(path, "ro.db");
		T_EXPECT(exec_file(path, "PRAGMA user_version = 0; CREATE TABLE t(x)"),
			 "refused: make read-only db");
		chmod(path, 0440);
		expect_refused(path, SG_E_PERM, "not writable", "refused: read-only file");
	}
}

/* Every byte but NUL, quotes, semicolons, newlines, SQL and format text. */
static void hostile_fill(char *s, size_t len, int seed)
{
	static const char bits[] = "'\";\n\r\\%s%n'); DROP TABLE messages; --\t\"";
	size_t n = 0;

	while (n < len) {
		if (n % 97 < sizeof bits - 1)
			s[n] = bits[n % 97];
		else
			s[n] = (char)(1 + (n * 7 + (size_t)seed) % 255);
		n++;
	}
	s[len] = '\0';
}

static void test_hostile(void)
{
	char path[PATH_MAX];
	static char v[26][2049], longer[DMARC_HISTORY_MAX_STR + 1000];
	struct dmarc_history_dkim dk[2];
	struct dmarc_history_rec r = { 0 }, cut;
	struct dmarc_history *h;
	sqlite3 *db;
	size_t k = 0;

	db_path(path, "hostile.db");
	for (int i = 0; i < 26; i++)
		hostile_fill(v[i], 2048, i);
	v[0][0] = 'H';			/* queue_id, the row's key */
	r.time = -1;
	r.queue_id = v[k++]; r.source_ip = v[k++]; r.header_from = v[k++];
	r.envelope_from = v[k++]; r.policy_domain = v[k++]; r.policy = v[k++];
	r.policy_tag = v[k++]; r.result = v[k++]; r.disposition = v[k++];
	r.override = v[k++]; r.spf_domain = v[k++]; r.spf_scope = v[k++];
	r.spf_result = v[k++]; r.rua = v[k++]; r.adkim = v[k++]; r.aspf = v[k++];
	r.p = v[k++]; r.sp = v[k++]; r.np = v[k++];
	for (int j = 0; j < 2; j++) {
		dk[j].domain = v[k++];
		dk[j].selector = v[k++];
		dk[j].result = v[k++];
	}
	r.dkim = dk;
	r.n_dkim = 2;
	r.testing = r.dkim_aligned = r.spf_aligned = true;

	/* A string past DMARC_HISTORY_MAX_STR is cut there. */
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	memcpy(longer, "LONG", 4);
	cut = (struct dmarc_history_rec){ .queue_id = longer, .rua = longer };

	if ((h = open_ok(path, 0, "hostile: open")) == NULL)
		return;
	dmarc_history_add(h, &r);
	dmarc_history_add(h, &cut);
	dmarc_history_close(&h);
	if ((db = db_open_ro(path)) == NULL)
		return;
	T_EXPECT(row_is(db, &r), "hostile: 2 KB hostile strings verbatim");
	T_EXPECT(db_int(db, "SELECT length(CAST(rua AS BLOB)) FROM messages "
			"WHERE queue_id LIKE 'LONG%'") == DMARC_HISTORY_MAX_STR,
		 "hostile: long string cut at DMARC_HISTORY_MAX_STR");
	T_EXPECT(db_int(db, "SELECT count(*) FROM messages") == 2,
		 "hostile: tables still there");
	sqlite3_close(db);
}

/* Another connection holds the write lock: adders must not wait. */
static void test_locked(void)
{
	char path[PATH_MAX];
	struct dmarc_history_stats st;
	struct dmarc_history *h;
	sqlite3 *lock = NULL;
	struct sample x;
	double t0, slowest = 0, total;

	db_path(path, "locked.db");
	if ((h = open_ok(path, 4, "locked: open")) == NULL)
		return;
	T_EXPECT(sqlite3_open(path, &lock) == SQLITE_OK &&
		 sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK,
		 "locked: take the lock");
	t0 = now_ms();
	for (int i = 0; i < 100; i++) {
		double t1 = now_ms();

		sample_make(i, &x);
		dmarc_history_add(h, &x.r);
		if (now_ms() - t1 > slowest)
			slowest = now_ms() - t1;
	}
	total = now_ms() - t0;
	printf("history_test: 100 adds against a locked database: %.2f ms "
	       "(slowest add %.3f ms)\n", total, slowest);
	T_EXPECT(total < 1000, "locked: 100 adds under 1 s");
	dmarc_history_stats(h, &st);
	T_EXPECT(st.added == 100 && st.dropped > 0 && st.written == 0,
		 "locked: queue full, records dropped");
	T_EXPECT(!dmarc_history_flush(h, 300), "locked: flush times out");

	T_EXPECT(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL) == SQLITE_OK,
		 "locked: release");
	sqlite3_close(lock);
	T_EXPECT(dmarc_history_flush(h, 30000), "locked: flush after release");
	dmarc_history_stats(h, &st);
	printf("history_test: locked: added %llu written %llu dropped %llu "
	       "failed %llu\n", st.added, st.written, st.dropped, st.failed);
	T_EXPECT(st.written + st.dropped == st.added && st.failed == 0 &&
		 st.written > 0, "locked: written + dropped == added");
	dmarc_history_close(&h);
	T_EXPECT(file_int(path, "SELECT count(*) FROM messages") ==
		 (long long)st.written, "locked: rows == written");
}

/* close gives up on a database that stays locked, in bounded time. */
static void test_close_bounded(void)
{
	char path[PATH_MAX];
	struct dmarc_history *h;
	sqlite3 *lock = NULL;
	struct sample x;
	double t0, took;

	db_path(path, "stuck.db");
	if ((h = open_ok(path, 0, "close-bounded: open")) == NULL)
		return;
	T_EXPECT(sqlite3_open(path, &lock) == SQLITE_OK &&
		 sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK,
		 "close-bounded: take the lock");
	for (int i = 0; i < 3; i++) {
		sample_make(i, &x);
		dmarc_history_add(h, &x.r);
	}
	t0 = now_ms();
	dmarc_history_close(&h);
	took = now_ms() - t0;
	printf("history_test: close against a locked database: %.0f ms\n", took);
	T_EXPECT(took < DMARC_HISTORY_CLOSE_MS + 2.5 * DMARC_HISTORY_BUSY_MS,
		 "close-bounded: close gives up in time");
	sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(lock);
	T_EXPECT(file_int(path, "SELECT count(*) FROM messages") == 0,
		 "close-bounded: nothing written");
}

/* A write that fails is counted, and the handle carries on. */
static void test_failed_write(void)
{
	char path[PATH_MAX];
	struct dmarc_history *h;
	struct sample x;

	db_path(path, "broken.db");
	if ((h = open_ok(path, 0, "failed-write: open")) == NULL)
		return;
	T_EXPECT(exec_file(path, "DROP TABLE dkim; DROP TABLE messages"),
		 "failed-write: drop the tables");
	for (int i = 0; i < 3; i++) {
		sample_make(i, &x);
		dmarc_history_add(h, &x.r);
		T_EXPECT(dmarc_history_flush(h, 30000), "failed-write: flush");
	}
	T_EXPECT(stats_are(h, 3, 0, 0, 3), "failed-write: 3 failed");
	dmarc_history_close(&h);
}

struct adder {
	struct dmarc_history *h;
	int first, n;
};

static void *adder_main(void *arg)
{
	struct adder *a = arg;
	struct sample x;

	for (int i = a->first; i < a->first + a->n; i++) {
		sample_make(i, &x);
		dmarc_history_add(a->h, &x.r);
	}
	return NULL;
}

static void test_threads(void)
{
	char path[PATH_MAX];
	struct adder a[4];
	pthread_t t[4];
	struct dmarc_history *h;
	sqlite3 *db;
	int started = 0, bad = 0;

	db_path(path, "threads.db");
	if ((h = open_ok(path, 0, "threads: open")) == NULL)
		return;
	for (int i = 0; i < 4; i++) {
		a[i] = (struct adder){ h, i * 500, 500 };
		if (pthread_create(&t[i], NULL, adder_main, &a[i]) == 0)
			started++;
	}
	T_EXPECT(started == 4, "threads: started");
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	T_EXPECT(dmarc_history_flush(h, 60000), "threads: flush");
	T_EXPECT(stats_are(h, 2000, 2000, 0, 0), "threads: all written");
	dmarc_history_close(&h);
	if ((db = db_open_ro(path)) == NULL)
		return;
	T_EXPECT(db_int(db, "SELECT count(*) FROM messages") == 2000,
		 "threads: 2000 rows");
	for (int i = 0; i < 2000; i += 37) {
		struct sample x;

		sample_make(i, &x);
		bad += !row_is(db, &x.r);
	}
	T_EXPECT(bad == 0, "threads: rows exact");
	sqlite3_close(db);
}

static void test_null_handle(void)
{
	struct dmarc_history *h = NULL;
	struct dmarc_history_stats st = { 1, 1, 1, 1 };
	struct sample x;

	sample_make(1, &x);
	dmarc_history_add(NULL, &x.r);
	dmarc_history_stats(NULL, &st);
	T_EXPECT(st.added == 0 && st.written == 0, "null: zero stats");
	T_EXPECT(dmarc_history_flush(NULL, 10), "null: flush");
	dmarc_history_close(&h);
	T_EXPECT(h == NULL, "null: close");
}

/* ---- the private directory ------------------------------------------------ */

static bool dir_make(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s/history_test.XXXXXX",
		 base != NULL && *base != '\0' ? base : "/tmp");
	return mkdtemp(tmpdir) != NULL;
}

static void dir_remove(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[PATH_MAX];

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlink(db_path(path, de->d_name));
	if (d != NULL)
		closedir(d);
	if (rmdir(tmpdir) != 0)
		fprintf(stderr, "history_test: cannot remove %s: %s\n", tmpdir,
			strerror(errno));
}

int main(void)
{
	if (!dir_make()) {
		fprintf(stderr, "history_test: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_null_handle();
	test_roundtrip();
	test_append();
	test_refused();
	test_hostile();
	test_locked();
	test_close_bounded();
	test_failed_write();
	test_threads();
	dir_remove();
	return T_DONE("history_test");
}
