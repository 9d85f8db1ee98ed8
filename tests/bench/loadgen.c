/*
 * tests/bench/loadgen.c -- build/loadgen: drive a milter with many
 * concurrent MTA-like sessions and report throughput, latency and the
 * filter's CPU and memory.
 *
 *   loadgen -s SOCKET -m MESSAGEFILE -c CONCURRENCY -n TOTAL [-t SECONDS]
 *           [-p FILTER_PID] [-a auth_authen] [-i client_ip] [-f mailfrom]
 *           [-e HEADER] [-E TEXT [-N COUNT]] [-b chunksize] [-w timeout_s]
 *
 * CONCURRENCY threads each loop: open a new connection, negotiate, send
 * one whole message (connect .. eom), read the verdict, QUIT, close; until
 * TOTAL sessions were started or SECONDS passed. Latency is from the
 * connect() to the final verdict.
 *
 * Counting: a session ending in accept/continue is a message ("msgs"); if
 * no HEADER (default DKIM-Signature; -e "" to not check) was inserted or
 * added it is also "unsigned". With -E, the HEADER fields inserted or
 * added must also contain TEXT, COUNT times in all (default 1; e.g.
 * -e Authentication-Results -E dkim=pass -N 2 for a message with two
 * signatures a verifier must pass); a session whose fields do not is
 * counted as "unsigned" too (the first one is shown on stderr with the
 * values it got). Anything else -- reject, tempfail, discard,
 * a protocol or connection error -- is an "error" and not in msgs, rate or
 * the latencies. With -p, the filter's utime+stime from /proc/PID/stat
 * before and after gives cpu_us_per_msg (divided by msgs + errors: every
 * session cost the filter work), and VmRSS/VmHWM from /proc/PID/status are
 * read at the end. Output: one machine-readable line
 *   msgs=N secs=S rate=R p50_ms=.. p99_ms=.. max_ms=.. cpu_us_per_msg=..
 *   errors=E unsigned=U rss_kb=.. hwm_kb=.. client_cpu_us_per_msg=..
 * ("na" where not measured) then a human line. Exit 0 if there were no
 * errors and nothing unsigned, 2 otherwise, 1 on bad usage or setup.
 */
#include "tests/lib/miltc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS	1024
#define MAX_TOTAL	10000000L	/* sessions in one run */
#define MAX_SECONDS	3600

struct shared {
	const char *sock;
	const struct miltc_msg *msg;
	const struct miltc_env *env;
	const char *expect;		/* header that must be added, or NULL */
	const char *expect_text;	/* ... containing this, or NULL */
	long expect_count;		/* ... this many times in all */
	int timeout_ms;
	long total;
	double deadline;		/* monotonic seconds; 0 = none */
	atomic_long next;		/* sessions claimed */
	atomic_int first_error;		/* set once, by the thread that reports */
};

struct worker {
	pthread_t tid;
	struct shared *sh;
	int id;
	double *lat;			/* ms, one per message */
	size_t nlat, alat;
	long errors, unsigned_msgs;
	int oom;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report_first(struct shared *sh, const char *what, const char *detail)
{
	if (atomic_exchange(&sh->first_error, 1) == 0)
		fprintf(stderr, "loadgen: first error: %s%s%s\n", what,
		        detail ? ": " : "", detail ? detail : "");
}

/* Occurrences of text in the values of the fields named name that res
 * inserts or adds. */
static long count_text(const struct miltc_result *res, const char *name,
                       const char *text)
{
	size_t tl = strlen(text);
	long n = 0;

	for (size_t i = 0; i < res->nmods; i++) {
		const struct miltc_mod *m = &res->mods[i];
		const char *p;

		if ((m->kind != MILTC_MOD_INSHEADER && m->kind != MILTC_MOD_ADDHEADER) ||
		    m->name == NULL || strcasecmp(m->name, name) != 0 || tl == 0)
			continue;
		for (p = m->value; (p = strstr(p, text)) != NULL; p += tl)
			n++;
	}
	return n;
}

/* The first session without the expected text: show what came back. */
static void report_mismatch(struct shared *sh, const struct miltc_result *res)
{
	char got[1024] = "";
	size_t len = 0;

	if (atomic_load(&sh->first_error))
		return;		/* only the first one is shown */
	for (size_t i = 0; i < res->nmods && len < sizeof got - 1; i++) {
		const struct miltc_mod *m = &res->mods[i];
		int k;

		if ((m->kind != MILTC_MOD_INSHEADER && m->kind != MILTC_MOD_ADDHEADER) ||
		    m->name == NULL || strcasecmp(m->name, sh->expect) != 0)
			continue;
		k = snprintf(got + len, sizeof got - len, "%s[%s:%s]", len ? " " : "",
		             m->name, m->value);
		if (k < 0)
			break;
		len += (size_t)k < sizeof got - len ? (size_t)k : sizeof got - 1 - len;
	}
	for (char *q = got; *q; q++)
		if (*q == '\r' || *q == '\n' || *q == '\t')
			*q = ' ';
	report_first(sh, "expected text missing", len ? got : "(no such field added)");
}

/* One session; returns latency in ms via *ms, and 1 ok, 0 unsigned, -1 error. */
static int one_session(struct worker *w, long seq, double *ms)
{
	struct shared *sh = w->sh;
	struct miltc_env env = *sh->env;
	struct miltc_conn *c = NULL;
	struct miltc_result res;
	const char *why = "";
	char qid[32];
	double t0 = now_s();
	enum sg_status st;
	int rc;

	snprintf(qid, sizeof qid, "LG%02X%08lX", (unsigned)w->id & 0xff, seq);
	env.queue_id = qid;
	memset(&res, 0, sizeof res);
	if ((st = miltc_open(sh->sock, sh->timeout_ms, &c, &why)) == SG_OK &&
	    (st = miltc_negotiate(c, &why)) == SG_OK)
		st = miltc_message(c, &env, sh->msg, &res, &why);
	*ms = (now_s() - t0) * 1000.0;
	miltc_close(&c);
	if (st != SG_OK) {
		report_first(sh, "session failed", why);
		rc = -1;
	} else if (res.verdict != MILTC_ACCEPT && res.verdict != MILTC_CONTINUE) {
		report_first(sh, miltc_verdict_str(res.verdict), res.reply ? res.reply : res.stage);
		rc = -1;
	} else if (sh->expect == NULL) {
		rc = 1;
	} else if (sh->expect_text == NULL) {
		rc = miltc_result_added(&res, sh->expect) > 0;
	} else {
		rc = count_text(&res, sh->expect, sh->expect_text) >= sh->expect_count;
		if (!rc)
			report_mismatch(sh, &res);
	}
	miltc_result_free(&res);
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (;;) {
		long seq;
		double ms;
		int rc;

		if (sh->deadline > 0 && now_s() >= sh->deadline)
			break;
		if ((seq = atomic_fetch_add(&sh->next, 1)) >= sh->total)
			break;
		rc = one_session(w, seq, &ms);
		if (rc < 0) {
			w->errors++;
			continue;
		}
		if (rc == 0)
			w->unsigned_msgs++;
		if (w->nlat == w->alat) {
			size_t n = w->alat ? w->alat * 2 : 1024;
			double *p = realloc(w->lat, n * sizeof *p);

			if (p == NULL) {
				w->oom = 1;
				break;
			}
			w->lat = p;
			w->alat = n;
		}
		w->lat[w->nlat++] = ms;
	}
	return NULL;
}

/* utime+stime of pid in microseconds; -1 if unreadable. */
static long long proc_cpu_us(int pid)
{
	char path[64], line[2048], *p;
	unsigned long long ut, stt;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof line, f);
	fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	/* after ")": state(3) ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime(14) stime(15) */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &ut, &stt) != 2)
		return -1;
	return (long long)((ut + stt) * 1000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/* A "Key:   123 kB" line of /proc/pid/status; -1 if absent. */
static long proc_status_kb(int pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long long self_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k == 0 ? 0 : (k > n ? n : k) - 1];
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: loadgen -s SOCKET -m MESSAGEFILE -c CONCURRENCY -n TOTAL\n"
	        "               [-t SECONDS] [-p FILTER_PID] [-a auth_authen]\n"
	        "               [-i client_ip] [-f mailfrom] [-e HEADER]\n"
	        "               [-E TEXT [-N COUNT]] [-b chunksize] [-w timeout_s]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_THREADS];
	struct shared sh = { .expect = "DKIM-Signature", .expect_count = 1,
	                     .timeout_ms = 10000 };
	const char *msgfile = NULL, *why = "";
	struct miltc_env env;
	struct miltc_msg msg;
	long conc = 0, total = 0, seconds = 0, pid = 0, errors = 0, unsig = 0;
	long long cpu0 = -1, cpu1 = -1, self0, self1;
	double t0, secs, *all;
	size_t nall = 0;
	char cpu_s[32] = "na", rss_s[32] = "na", hwm_s[32] = "na";
	int opt;

	miltc_env_default(&env);
	while ((opt = getopt(argc, argv, "s:m:c:n:t:p:a:i:f:e:E:N:b:w:")) != -1) {
		switch (opt) {
		case 's': sh.sock = optarg; break;
		case 'm': msgfile = optarg; break;
		case 'c': conc = strtol(optarg, NULL, 10); break;
		case 'n': total = strtol(optarg, NULL, 10); break;
		case 't': seconds = strtol(optarg, NULL, 10); break;
		case 'p': pid = strtol(optarg, NULL, 10); break;
		case 'a': env.auth_authen = optarg; break;
		case 'i': env.client_ip = optarg; break;
		case 'f': env.mail_from = optarg; break;
		case 'e': sh.expect = *optarg ? optarg : NULL; break;
		case 'E': sh.expect_text = *optarg ? optarg : NULL; break;
		case 'N': sh.expect_count = strtol(optarg, NULL, 10); break;
		case 'b': env.chunk = strtoul(optarg, NULL, 10); break;
		case 'w': sh.timeout_ms = (int)strtol(optarg, NULL, 10) * 1000; break;
		default: usage();
		}
	}
	if (sh.sock == NULL || msgfile == NULL || optind != argc ||
	    conc < 1 || conc > MAX_THREADS || total < 1 || total > MAX_TOTAL ||
	    seconds < 0 || seconds > MAX_SECONDS || pid < 0 ||
	    sh.expect_count < 1 || sh.expect_count > 1000 ||
	    (sh.expect_text != NULL && sh.expect == NULL) ||
	    sh.timeout_ms < 1000 || sh.timeout_ms > 600000 || env.chunk > MILTC_CHUNK_MAX)
		usage();
	if (miltc_msg_load(msgfile, &msg, &why) != SG_OK) {
		fprintf(stderr, "loadgen: %s: %s\n", msgfile, why);
		return 1;
	}
	sh.msg = &msg;
	sh.env = &env;
	sh.total = total;
	atomic_init(&sh.next, 0);
	atomic_init(&sh.first_error, 0);
	if (pid > 0 && (cpu0 = proc_cpu_us((int)pid)) < 0) {
		fprintf(stderr, "loadgen: cannot read /proc/%ld/stat\n", pid);
		return 1;
	}
	self0 = self_cpu_us();
	t0 = now_s();
	sh.deadline = seconds > 0 ? t0 + (double)seconds : 0;
	for (long i = 0; i < conc; i++) {
		workers[i].sh = &sh;
		workers[i].id = (int)i;
		if (pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]) != 0) {
			fprintf(stderr, "loadgen: cannot start thread %ld\n", i);
			atomic_store(&sh.next, MAX_TOTAL + 1);	/* stop the others */
			conc = i;
			break;
		}
	}
	for (long i = 0; i < conc; i++)
		pthread_join(workers[i].tid, NULL);
	secs = now_s() - t0;
	self1 = self_cpu_us();
	if (pid > 0) {
		cpu1 = proc_cpu_us((int)pid);
		snprintf(rss_s, sizeof rss_s, "%ld", proc_status_kb((int)pid, "VmRSS"));
		snprintf(hwm_s, sizeof hwm_s, "%ld", proc_status_kb((int)pid, "VmHWM"));
	}

	for (long i = 0; i < conc; i++) {
		nall += workers[i].nlat;
		errors += workers[i].errors;
		unsig += workers[i].unsigned_msgs;
		if (workers[i].oom)
			fprintf(stderr, "loadgen: out of memory for latencies\n");
	}
	if ((all = malloc((nall ? nall : 1) * sizeof *all)) == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 1;
	}
	nall = 0;
	for (long i = 0; i < conc; i++) {
		memcpy(all + nall, workers[i].lat, workers[i].nlat * sizeof *all);
		nall += workers[i].nlat;
		free(workers[i].lat);
	}
	qsort(all, nall, sizeof *all, cmp_double);
	if (cpu0 >= 0 && cpu1 >= 0 && nall + (size_t)errors > 0)
		snprintf(cpu_s, sizeof cpu_s, "%.0f",
		         (double)(cpu1 - cpu0) / (double)(nall + (size_t)errors));

	printf("msgs=%zu secs=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
	       "cpu_us_per_msg=%s errors=%ld unsigned=%ld rss_kb=%s hwm_kb=%s "
	       "client_cpu_us_per_msg=%.0f\n",
	       nall, secs, secs > 0 ? (double)nall / secs : 0.0,
	       pct(all, nall, 50), pct(all, nall, 99), nall ? all[nall - 1] : 0.0,
	       cpu_s, errors, unsig, rss_s, hwm_s,
	       nall + (size_t)errors ? (double)(self1 - self0) / (double)(nall + (size_t)errors) : 0.0);
	printf("# %zu messages in %.2f s over %ld connections: %.1f msg/s, "
	       "latency p50 %.2f ms p99 %.2f ms max %.2f ms; filter CPU %s us/msg; "
	       "%ld errors, %ld unsigned\n",
	       nall, secs, conc, secs > 0 ? (double)nall / secs : 0.0,
	       pct(all, nall, 50), pct(all, nall, 99), nall ? all[nall - 1] : 0.0,
	       cpu_s, errors, unsig);
	free(all);
	miltc_msg_free(&msg);
	return errors == 0 && unsig == 0 ? 0 : 2;
}
