/*
 * tests/lib/dnstest.h -- start tests/lib/dnsserver.py from a C unit test
 * (the resolver, SPF and DMARC tests), in a private mktemp directory.
 *
 *   static struct dnstest dt = DNSTEST_INIT;
 *   dnstest_prepare(&dt, "spf_test");   -- directory and file names
 *   ... write the YAML zone to dt.zone ...
 *   dnstest_start(&dt, false, false);   -- dt.server4 = "127.0.0.1:PORT"
 *   ...
 *   dnstest_stop(&dt);                  -- stop by PID, remove the files
 *
 * Header-only (unit tests link libsignet.a alone). Run from the repo
 * root; the server never outlives the test (PR_SET_PDEATHSIG).
 */
#ifndef SG_DNSTEST_H
#define SG_DNSTEST_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct dnstest {
	pid_t pid;
	char dir[256], zone[300], ports[300], log[300];
	char server4[64], server6[64];	/* "127.0.0.1:PORT", "[::1]:PORT" or "" */
};

#define DNSTEST_INIT { .pid = -1 }

static inline void dnstest_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Make the private directory ($TMPDIR or /tmp, named after tag) and the
 * file names in it; false when mkdtemp fails. */
static inline bool dnstest_prepare(struct dnstest *t, const char *tag)
{
	const char *base = getenv("TMPDIR");

	snprintf(t->dir, sizeof t->dir, "%s/%s.XXXXXX",
		 base != NULL && base[0] != '\0' ? base : "/tmp", tag);
	if (mkdtemp(t->dir) == NULL)
		return false;
	snprintf(t->zone, sizeof t->zone, "%s/zone.yml", t->dir);
	snprintf(t->ports, sizeof t->ports, "%s/port", t->dir);
	snprintf(t->log, sizeof t->log, "%s/queries.log", t->dir);
	return true;
}

/* Start the server on t->zone: 127.0.0.1:0, also [::1]:0 with v6, a
 * query log in t->log with query_log. True once it wrote its port file
 * (10 s at most). */
static inline bool dnstest_start(struct dnstest *t, bool v6, bool query_log)
{
	char *argv[16];
	int argc = 0, p4 = 0, p6 = 0;

	argv[argc++] = "/usr/bin/python3";
	argv[argc++] = "tests/lib/dnsserver.py";
	argv[argc++] = "--zone";
	argv[argc++] = t->zone;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	if (v6) {
		argv[argc++] = "--listen";
		argv[argc++] = "[::1]:0";
	}
	argv[argc++] = "--port-file";
	argv[argc++] = t->ports;
	if (query_log) {
		argv[argc++] = "--query-log";
		argv[argc++] = t->log;
	}
	argv[argc] = NULL;
	t->server4[0] = t->server6[0] = '\0';
	fflush(NULL);
	if ((t->pid = fork()) < 0)
		return false;
	if (t->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlive the test */
		execv(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {		/* 20 ms steps */
		FILE *f = fopen(t->ports, "r");

		if (f != NULL) {
			int n = fscanf(f, "%d %d", &p4, &p6);

			fclose(f);
			if (n >= 1 && p4 > 0) {
				snprintf(t->server4, sizeof t->server4, "127.0.0.1:%d", p4);
				if (v6 && n == 2)
					snprintf(t->server6, sizeof t->server6, "[::1]:%d", p6);
				return true;
			}
		}
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = -1;
			return false;
		}
		dnstest_sleep_ms(20);
	}
	return false;
}

/* Stop the server by its PID and remove the directory. */
static inline void dnstest_stop(struct dnstest *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
		t->pid = -1;
	}
	if (t->dir[0] == '\0')
		return;
	unlink(t->zone);
	unlink(t->ports);
	unlink(t->log);
	rmdir(t->dir);
}

#endif
