/*
 * tests/bench/loadgen.c -- build/loadgen: drive a milter with many
 * concurrent MTA-like sessions and report throughput, latency and the
 * filter's CPU and memory.
 *
 *   loadgen -s SOCKET [-s SOCKET2 ...] -m MESSAGEFILE -c CONCURRENCY -n TOTAL
 *           [-t SECONDS] [-p FILTER_PID [-p PID2 ...]] [-a auth_authen]
 *           [-i client_ip] [-f mailfrom] [-h helo] [-e HEADER]
 *           [-E TEXT [-N COUNT] [-E TEXT2 [-N COUNT2] ...]] [-b chunksize]
 *           [-w timeout_s]
 *
 * CONCURRENCY threads each loop: open a new connection, negotiate, send
 * one whole message (connect .. eom), read the verdict, QUIT, close; until
 * TOTAL sessions were started or SECONDS passed. Latency is from the
 * connect() to the final verdict.
 *
 * A chain of milters (-s given up to MAX_CHAIN times): one session is one
 * message through every filter in -s order, as Postfix runs several
 * milters -- each later filter sees the header fields the earlier ones
 * inserted, added or changed (OpenDKIM's Authentication-Results reaches
 * OpenDMARC). Body replacements and envelope changes are not passed on.
 * A filter that accepts or continues passes the message to the next one;
 * any other verdict ends the session. Latency is from the first connect()
 * to the last filter's verdict; the checks below look at the fields all
 * filters inserted or added.
 *
 * Counting: a session ending in accept/continue is a message ("msgs"); if
 * no HEADER (default DKIM-Signature; -e "" to not check) was inserted or
 * added it is also "unsigned". With -E, the HEADER fields inserted or
 * added must also contain TEXT, COUNT times in all (default 1; e.g.
 * -e Authentication-Results -E dkim=pass -N 2 for a message with two
 * signatures a verifier must pass); a session whose fields do not is
 * counted as "unsigned" too (the first one is shown on stderr with the
 * values it got). -E may be given up to MAX_EXPECT times, each -N counting
 * for the -E before it: every TEXT must be there (e.g. -E spf=pass
 * -E dkim=pass -E dmarc=pass for an inbound filter). Anything else --
 * reject, tempfail, discard, a protocol or connection error -- is an
 * "error" and not in msgs, rate or the latencies. With -p, the filter's utime+stime from /proc/PID/stat
 * before and after gives cpu_us_per_msg (divided by msgs + errors: every
 * session cost the filter work), and VmRSS/VmHWM from /proc/PID/status are
 * read at the end. With several -p (the filters of a chain), the CPU and
 * memory figures are their sums and cpu_us_each lists each one's CPU per
 * message in -p order. Output: one machine-readable line
 *   msgs=N secs=S rate=R p50_ms=.. p99_ms=.. max_ms=.. cpu_us_per_msg=..
 *   errors=E unsigned=U rss_kb=.. hwm_kb=.. client_cpu_us_per_msg=..
 *   cpu_us_each=A,B,..
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
#define MAX_CHAIN	4		/* milters one message passes through */
#define MAX_EXPECT	8		/* -E texts */

/* A text the added fields must contain, count times in all. */
struct expect {
	const char *text;
	long count;
};

struct shared {
	const char *socks[MAX_CHAIN];	/* the chain, in order */
	int nsocks;
	const struct miltc_msg *msg;
	const struct miltc_env *env;
	const char *expect;		/* header that must be added, or NULL */
	struct expect texts[MAX_EXPECT];	/* ... containing these */
	int ntexts;
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

/* Occurrences of text in the values of the fields named name that the
 * filters of the chain (res[0..n)) inserted or added. */
static long count_text(const struct miltc_result *res, int n, const char *name,
                       const char *text)
{
	size_t tl = strlen(text);
	long count = 0;

	for (int k = 0; k < n; k++)
		for (size_t i = 0; i < res[k].nmods; i++) {
			const struct miltc_mod *m = &res[k].mods[i];
			const char *p;

			if ((m->kind != MILTC_MOD_INSHEADER &&
			     m->kind != MILTC_MOD_ADDHEADER) ||
			    m->name == NULL || strcasecmp(m->name, name) != 0 || tl == 0)
				continue;
			for (p = m->value; (p = strstr(p, text)) != NULL; p += tl)
				count++;
		}
	return count;
}

/* Does every -E text occur often enough? The first one that does not is
 * returned through *missing. */
static int texts_found(const struct shared *sh, const struct miltc_result *res,
                       int n, const char **missing)
{
	for (int i = 0; i < sh->ntexts; i++)
		if (count_text(res, n, sh->expect, sh->texts[i].text) < sh->texts[i].count) {
			*missing = sh->texts[i].text;
			return 0;
		}
	return 1;
}

/* The first session without an expected text: show what came back. */
static void report_mismatch(struct shared *sh, const struct miltc_result *res,
                            int n, const char *missing)
{
	char got[1536] = "", what[128];
	size_t len = 0;

	if (atomic_load(&sh->first_error))
		return;		/* only the first one is shown */
	for (int k = 0; k < n; k++)
		for (size_t i = 0; i < res[k].nmods && len < sizeof got - 1; i++) {
			const struct miltc_mod *m = &res[k].mods[i];
			int w;

			if ((m->kind != MILTC_MOD_INSHEADER &&
			     m->kind != MILTC_MOD_ADDHEADER) ||
			    m->name == NULL || strcasecmp(m->name, sh->expect) != 0)
				continue;
			w = snprintf(got + len, sizeof got - len, "%s[%s:%s]",
			             len ? " " : "", m->name, m->value);
			if (w < 0)
				break;
			len += (size_t)w < sizeof got - len ? (size_t)w : sizeof got - 1 - len;
		}
	for (char *q = got; *q; q++)
		if (*q == '\r' || *q == '\n' || *q == '\t')
			*q = ' ';
	snprintf(what, sizeof what, "expected text missing (%s)", missing);
	report_first(sh, what, len ? got : "(no such field added)");
}

/* Index of the nth (1-based) field named name in h[0..n), or -1. */
static long nth_field(const struct miltc_hdr *h, size_t n, const char *name,
                      unsigned long nth)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0 && --nth == 0)
			return (long)i;
	return -1;
}

/* One header modification applied to the field list h (room for one more
 * field is there). The strings stay the result's: h only points at them. */
static void apply_mod(struct miltc_hdr *h, size_t *n, const struct miltc_mod *m)
{
	size_t at;
	long i;

	switch (m->kind) {
	case MILTC_MOD_INSHEADER:
		at = m->index < *n ? m->index : *n;
		memmove(h + at + 1, h + at, (*n - at) * sizeof *h);
		h[at].name = m->name;
		h[at].value = m->value;
		(*n)++;
		break;
	case MILTC_MOD_ADDHEADER:
		h[*n].name = m->name;
		h[(*n)++].value = m->value;
		break;
	case MILTC_MOD_CHGHEADER:
		i = nth_field(h, *n, m->name, m->index ? m->index : 1);
		if (i >= 0 && m->value[0] == '\0') {
			memmove(h + i, h + i + 1, (*n - (size_t)i - 1) * sizeof *h);
			(*n)--;
		} else if (i >= 0) {
			h[i].value = m->value;
		} else if (m->value[0] != '\0') {
			h[*n].name = m->name;
			h[(*n)++].value = m->value;
		}
		break;
	default:
		break;		/* body and envelope changes are not passed on */
	}
}

/* The message as filter k of the chain sees it: the original header
 * fields with the changes of filters 0..k-1, the original body. The
 * field array is the caller's to free (view->hdrs); everything it points
 * to stays msg's and res's. */
static int chain_view(const struct miltc_msg *msg, const struct miltc_result *res,
                      int k, struct miltc_msg *view)
{
	size_t cap = msg->nhdrs, n = msg->nhdrs;

	for (int j = 0; j < k; j++)
		cap += res[j].nmods;
	if ((view->hdrs = malloc((cap ? cap : 1) * sizeof *view->hdrs)) == NULL)
		return -1;
	memcpy(view->hdrs, msg->hdrs, msg->nhdrs * sizeof *view->hdrs);
	for (int j = 0; j < k; j++)
		for (size_t i = 0; i < res[j].nmods; i++)
			apply_mod(view->hdrs, &n, &res[j].mods[i]);
	view->nhdrs = n;
	view->body = msg->body;
	view->body_len = msg->body_len;
	return 0;
}

/* Filter k of the chain, one whole session; SG_OK once a verdict is in res. */
static enum sg_status chain_step(struct shared *sh, int k, const struct miltc_env *env,
                                 struct miltc_result *res, const char **why)
{
	struct miltc_msg view;
	const struct miltc_msg *m = sh->msg;
	struct miltc_conn *c = NULL;
	enum sg_status st;

	memset(&view, 0, sizeof view);
	if (k > 0) {
		if (chain_view(sh->msg, res, k, &view) != 0) {
			*why = "out of memory";
			return SG_E_NOMEM;
		}
		m = &view;
	}
	if ((st = miltc_open(sh->socks[k], sh->timeout_ms, &c, why)) == SG_OK &&
	    (st = miltc_negotiate(c, why)) == SG_OK)
		st = miltc_message(c, env, m, &res[k], why);
	miltc_close(&c);
	free(view.hdrs);
	return st;
}

/* One session (one message through the whole chain); returns latency in
 * ms via *ms, and 1 ok, 0 unsigned, -1 error. */
static int one_session(struct worker *w, long seq, double *ms)
{
	struct shared *sh = w->sh;
	struct miltc_env env = *sh->env;
	struct miltc_result res[MAX_CHAIN];
	const char *why = "", *missing = "";
	char qid[32];
	double t0 = now_s();
	enum sg_status st = SG_OK;
	int rc = 1, n = 0;

	snprintf(qid, sizeof qid, "LG%02X%08lX", (unsigned)w->id & 0xff, seq);
	env.queue_id = qid;
	memset(res, 0, sizeof res);
	for (int k = 0; k < sh->nsocks; k++) {
		st = chain_step(sh, k, &env, res, &why);
		n = k + 1;
		if (st != SG_OK) {
			report_first(sh, "session failed", why);
			rc = -1;
			break;
		}
		if (res[k].verdict != MILTC_ACCEPT && res[k].verdict != MILTC_CONTINUE) {
			report_first(sh, miltc_verdict_str(res[k].verdict),
			             res[k].reply ? res[k].reply : res[k].stage);
			rc = -1;
			break;
		}
	}
	*ms = (now_s() - t0) * 1000.0;
	if (rc > 0 && sh->expect != NULL) {
		size_t added = 0;

		for (int k = 0; k < n; k++)
			added += miltc_result_added(&res[k], sh->expect);
		if (added == 0 || !texts_found(sh, res, n, &missing)) {
			if (added == 0)
				missing = sh->expect;
			if (sh->ntexts > 0)
				report_mismatch(sh, res, n, missing);
			rc = 0;
		}
	}
	for (int k = 0; k < n; k++)
		miltc_result_free(&res[k]);
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
	        "usage: loadgen -s SOCKET [-s SOCKET ...] -m MESSAGEFILE -c CONCURRENCY\n"
	        "               -n TOTAL [-t SECONDS] [-p FILTER_PID [-p PID ...]]\n"
	        "               [-a auth_authen] [-i client_ip] [-f mailfrom] [-h helo]\n"
	        "               [-e HEADER] [-E TEXT [-N COUNT] ...] [-b chunksize]\n"
	        "               [-w timeout_s]\n");
	exit(1);
}

/* The filters whose CPU and memory are measured (-p). */
struct procs {
	long pid[MAX_CHAIN];
	int n;
	long long cpu0[MAX_CHAIN];
};

/* Options into sh, env, pr; exits through usage() on anything wrong. */
static void parse_args(int argc, char **argv, struct shared *sh,
                       struct miltc_env *env, struct procs *pr,
                       const char **msgfile, long *conc, long *seconds)
{
	int opt;

	while ((opt = getopt(argc, argv, "s:m:c:n:t:p:a:i:f:h:e:E:N:b:w:")) != -1) {
		switch (opt) {
		case 's':
			if (sh->nsocks == MAX_CHAIN)
				usage();
			sh->socks[sh->nsocks++] = optarg;
			break;
		case 'p':
			if (pr->n == MAX_CHAIN)
				usage();
			if ((pr->pid[pr->n++] = strtol(optarg, NULL, 10)) <= 0)
				usage();
			break;
		case 'E':
			if (sh->ntexts == MAX_EXPECT || *optarg == '\0')
				usage();
			sh->texts[sh->ntexts].text = optarg;
			sh->texts[sh->ntexts++].count = 1;
			break;
		case 'N':		/* for the -E before it */
			if (sh->ntexts == 0)
				usage();
			sh->texts[sh->ntexts - 1].count = strtol(optarg, NULL, 10);
			if (sh->texts[sh->ntexts - 1].count < 1 ||
			    sh->texts[sh->ntexts - 1].count > 1000)
				usage();
			break;
		case 'm': *msgfile = optarg; break;
		case 'c': *conc = strtol(optarg, NULL, 10); break;
		case 'n': sh->total = strtol(optarg, NULL, 10); break;
		case 't': *seconds = strtol(optarg, NULL, 10); break;
		case 'a': env->auth_authen = optarg; break;
		case 'i': env->client_ip = optarg; break;
		case 'f': env->mail_from = optarg; break;
		case 'h': env->helo = optarg; break;
		case 'e': sh->expect = *optarg ? optarg : NULL; break;
		case 'b': env->chunk = strtoul(optarg, NULL, 10); break;
		case 'w': sh->timeout_ms = (int)strtol(optarg, NULL, 10) * 1000; break;
		default: usage();
		}
	}
	if (sh->nsocks == 0 || *msgfile == NULL || optind != argc ||
	    *conc < 1 || *conc > MAX_THREADS || sh->total < 1 || sh->total > MAX_TOTAL ||
	    *seconds < 0 || *seconds > MAX_SECONDS ||
	    (sh->ntexts > 0 && sh->expect == NULL) ||
	    sh->timeout_ms < 1000 || sh->timeout_ms > 600000 || env->chunk > MILTC_CHUNK_MAX)
		usage();
}

/* The measured filters' CPU per session into cpu_s (sum) and each_s (each,
 * comma-separated), their memory (sums) into rss_s and hwm_s. */
static void proc_results(const struct procs *pr, size_t sessions,
                         char *cpu_s, char *each_s, char *rss_s, char *hwm_s, size_t len)
{
	long long sum = 0;
	long rss = 0, hwm = 0;
	size_t off = 0;

	if (pr->n == 0 || sessions == 0)
		return;		/* all stay "na" */
	for (int i = 0; i < pr->n; i++) {
		long long c = proc_cpu_us((int)pr->pid[i]);

		if (c < 0)
			return;
		sum += c - pr->cpu0[i];
		off += (size_t)snprintf(each_s + off, off < len ? len - off : 0, "%s%.0f",
		                        i ? "," : "", (double)(c - pr->cpu0[i]) / (double)sessions);
		rss += proc_status_kb((int)pr->pid[i], "VmRSS");
		hwm += proc_status_kb((int)pr->pid[i], "VmHWM");
	}
	snprintf(cpu_s, len, "%.0f", (double)sum / (double)sessions);
	snprintf(rss_s, len, "%ld", rss);
	snprintf(hwm_s, len, "%ld", hwm);
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_THREADS];
	struct shared sh = { .expect = "DKIM-Signature", .timeout_ms = 10000 };
	const char *msgfile = NULL, *why = "";
	struct miltc_env env;
	struct miltc_msg msg;
	struct procs pr = { .n = 0 };
	long conc = 0, seconds = 0, errors = 0, unsig = 0;
	long long self0, self1;
	double t0, secs, *all;
	size_t nall = 0;
	char cpu_s[128] = "na", each_s[128] = "na", rss_s[128] = "na", hwm_s[128] = "na";

	miltc_env_default(&env);
	parse_args(argc, argv, &sh, &env, &pr, &msgfile, &conc, &seconds);
	if (miltc_msg_load(msgfile, &msg, &why) != SG_OK) {
		fprintf(stderr, "loadgen: %s: %s\n", msgfile, why);
		return 1;
	}
	sh.msg = &msg;
	sh.env = &env;
	atomic_init(&sh.next, 0);
	atomic_init(&sh.first_error, 0);
	for (int i = 0; i < pr.n; i++)
		if ((pr.cpu0[i] = proc_cpu_us((int)pr.pid[i])) < 0) {
			fprintf(stderr, "loadgen: cannot read /proc/%ld/stat\n", pr.pid[i]);
			miltc_msg_free(&msg);
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

	for (long i = 0; i < conc; i++) {
		nall += workers[i].nlat;
		errors += workers[i].errors;
		unsig += workers[i].unsigned_msgs;
		if (workers[i].oom)
			fprintf(stderr, "loadgen: out of memory for latencies\n");
	}
	proc_results(&pr, nall + (size_t)errors, cpu_s, each_s, rss_s, hwm_s, sizeof cpu_s);
	if ((all = malloc((nall ? nall : 1) * sizeof *all)) == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 1;
	}
	nall = 0;
	for (long i = 0; i < conc; i++) {
		if (workers[i].nlat > 0)	/* lat is NULL when nothing passed */
			memcpy(all + nall, workers[i].lat, workers[i].nlat * sizeof *all);
		nall += workers[i].nlat;
		free(workers[i].lat);
	}
	qsort(all, nall, sizeof *all, cmp_double);

	printf("msgs=%zu secs=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
	       "cpu_us_per_msg=%s errors=%ld unsigned=%ld rss_kb=%s hwm_kb=%s "
	       "client_cpu_us_per_msg=%.0f cpu_us_each=%s\n",
	       nall, secs, secs > 0 ? (double)nall / secs : 0.0,
	       pct(all, nall, 50), pct(all, nall, 99), nall ? all[nall - 1] : 0.0,
	       cpu_s, errors, unsig, rss_s, hwm_s,
	       nall + (size_t)errors ? (double)(self1 - self0) / (double)(nall + (size_t)errors) : 0.0,
	       each_s);
	printf("# %zu messages in %.2f s over %ld connections (%d filter%s): %.1f msg/s, "
	       "latency p50 %.2f ms p99 %.2f ms max %.2f ms; filter CPU %s us/msg; "
	       "%ld errors, %ld unsigned\n",
	       nall, secs, conc, sh.nsocks, sh.nsocks > 1 ? "s in a chain" : "",
	       secs > 0 ? (double)nall / secs : 0.0,
	       pct(all, nall, 50), pct(all, nall, 99), nall ? all[nall - 1] : 0.0,
	       cpu_s, errors, unsig);
	free(all);
	miltc_msg_free(&msg);
	return errors == 0 && unsig == 0 ? 0 : 2;
}
