/*
 * milter/main.c -- signetd: options, configuration, socket, daemon,
 * privileges, signals, then libmilter's main loop.
 *
 * Signals: libmilter's own signal thread waits for SIGHUP, SIGTERM and
 * SIGINT and stops the milter on any of them. signetd wants SIGHUP to
 * reload instead, so it supplies sigwait() itself (the executable's
 * definition is the one libmilter binds to): SIGHUP is handled right
 * there, on libmilter's signal thread, and never reaches libmilter;
 * SIGTERM and SIGINT are passed back and stop the milter as usual.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "config.h"
#include "filter.h"
#include "zone.h"

#define STOP_GRACE_SECONDS 30
/* Stack for libmilter's per-connection threads. signet keeps message data
 * on the heap; the deepest path (OpenSSL signing under a callback) uses a
 * few tens of KB. */
#define THREAD_STACK_BYTES (512 * 1024)

static const char *conf_path = CONF_DEFAULT_PATH;
static char conf_abs[4096];
static bool foreground;

static void usage(void)
{
	fprintf(stderr,
		"usage: signetd [-f] [-t] [-d] [-c FILE]\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -t       check the configuration and every key, then exit\n"
		"  -d       log at debug level\n", CONF_DEFAULT_PATH);
	exit(2);
}

static void on_warning(void *arg, const char *msg)
{
	log_warn("%s", msg);
}

static void on_created(void *arg, const struct dkim_keyentry *e, const char *txt)
{
	log_warn("created development key %s (%s, selector %s); publish this DNS record:",
		 e->path, e->domain, e->selector);
	fprintf(stderr, "\n");
	zone_print_txt(stderr, e->selector, e->domain, txt);
	fprintf(stderr, "\n");
}

static const struct dkim_tables_opts hooks = {
	.on_warning = on_warning,
	.on_created = on_created,
};

/* The DMARC aggregate history: a database that cannot be opened is
 * logged, and mail flows on without it (recording must never cost a
 * message). */
static void start_history(struct sg_conf *c)
{
	char why[512];

	why[0] = '\0';
	if (conf_start_history(c, why, sizeof why) != SG_OK)
		log_err("DMARC history disabled: %s", why[0] ? why : "cannot open the database");
	else if (c->dmarc.history != NULL)
		log_info("DMARC history: recording to %s", c->dmarc.history_path);
}

static void reload(void)
{
	struct sg_conf *c, *old;
	char err[1024] = "";
	const char *why = "";

	log_info("SIGHUP: reloading %s", conf_path);
	old = conf_current();
	if (conf_load(conf_path, &c, err, sizeof err, &hooks) != SG_OK) {
		log_err("reload failed, keeping the previous configuration: %s", err);
		conf_unref(&old);
		return;
	}
	if (conf_start_resolver(c, &why) != SG_OK) {
		log_err("reload failed, keeping the previous configuration: DNS resolver: %s", why);
		conf_unref(&c);
		conf_unref(&old);
		return;
	}
	start_history(c);
	if (old != NULL && strcmp(old->socket, c->socket) != 0)
		log_warn("socket changed to %s; that takes a restart (still on %s)",
			 c->socket, old->socket);
	conf_unref(&old);
	log_set_level(c->log_level);
	log_info("configuration reloaded: %zu keys", dkim_tables_nkeys(c->tables));
	conf_swap(c);
}

/* See the comment at the top: libmilter's signal thread calls this. */
int sigwait(const sigset_t *set, int *sig)
{
	for (;;) {
		int s = sigwaitinfo(set, NULL);

		if (s < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (s == SIGHUP) {
			reload();
			continue;
		}
		*sig = s;
		return 0;
	}
}

/* libmilter does not set TCP_NODELAY; without it, an end-of-message
 * answer sent as several packets waits for the MTA's delayed ACK (up to
 * 40 ms). Accepted sockets inherit the option from the listener, which
 * is ours to find among the open descriptors. */
static void set_nodelay(void)
{
	int one = 1;

	for (int fd = 3; fd < 256; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int acc = 0;
		socklen_t alen = sizeof acc;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) != 0 || !acc)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
			log_warn("cannot set TCP_NODELAY on the milter socket: %m");
	}
}

/* libmilter starts one thread per connection with default attributes. The
 * default 8 MB stack is more than glibc's stack cache keeps for long, so
 * connections would keep mapping and unmapping stacks (page faults, TLB
 * shootdowns on every core); smaller stacks stay cached. */
static void set_thread_stack(void)
{
	pthread_attr_t attr;

	if (pthread_attr_init(&attr) != 0)
		return;
	if (pthread_attr_setstacksize(&attr, THREAD_STACK_BYTES) != 0 ||
	    pthread_setattr_default_np(&attr) != 0)
		log_warn("cannot set the thread stack size; using the default");
	pthread_attr_destroy(&attr);
}

static int write_pid_file(const char *path)
{
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "w")) == NULL) {
		log_err("cannot write pid file %s: %m", path);
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

static int drop_privileges(const struct sg_conf *c)
{
	struct passwd *pw;

	if (c->user == NULL)
		return 0;
	if ((pw = getpwnam(c->user)) == NULL) {
		log_err("%s: user '%s' does not exist", c->path, c->user);
		return -1;
	}
	if (strncmp(c->socket, "unix:", 5) == 0 || strncmp(c->socket, "local:", 6) == 0) {
		const char *p = strchr(c->socket, ':') + 1;

		if (chown(p, pw->pw_uid, pw->pw_gid) != 0)
			log_warn("cannot hand socket %s to %s: %m", p, c->user);
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_err("cannot switch to user %s: %m", c->user);
		return -1;
	}
	if (setuid(0) == 0) {
		log_err("privileges could be regained after switching to %s; stopping", c->user);
		return -1;
	}
	log_info("running as user %s", c->user);
	return 0;
}

int main(int argc, char **argv)
{
	struct sg_conf *conf;
	char err[1024] = "";
	bool check = false, debug = false;
	sigset_t sigs;
	int opt;

	while ((opt = getopt(argc, argv, "c:fdth")) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'f': foreground = true; break;
		case 't': check = true; break;
		case 'd': debug = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	/* Before any thread exists: the signals wait for libmilter's thread. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_init("signetd", true, LOG_MAIL);
	if (conf_load(conf_path, &conf, err, sizeof err, &hooks) != SG_OK) {
		fprintf(stderr, "signetd: %s\n", err);
		return 1;
	}
	/* Reloads read the same file even after a daemon's chdir("/"). */
	snprintf(conf_abs, sizeof conf_abs, "%s", conf->path);
	conf_path = conf_abs;
	if (check) {
		printf("signetd: configuration %s is ok: %zu keys, socket %s\n",
		       conf->path, dkim_tables_nkeys(conf->tables), conf->socket);
		conf_unref(&conf);
		return 0;
	}
	log_init("signetd", foreground, conf->log_facility);
	log_set_level(debug ? LOG_LVL_DEBUG : conf->log_level);

	/* Accept command packets up to 1 MB (libmilter's default is 64 KB):
	 * an MTA sends each header field as one packet, and a long field
	 * must not end the session. Body chunks stay as the MTA sends them. */
	smfi_setmaxdatasize(1024 * 1024);
	if (smfi_register(filter_desc) != MI_SUCCESS ||
	    smfi_setconn(conf->socket) != MI_SUCCESS ||
	    smfi_settimeout(conf->milter_timeout) != MI_SUCCESS) {
		log_err("cannot set up libmilter for %s", conf->socket);
		conf_unref(&conf);
		return 1;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_err("cannot listen on %s (in use, or no permission?)", conf->socket);
		conf_unref(&conf);
		return 1;
	}
	set_nodelay();
	if (!foreground && daemonize() != 0) {
		log_err("cannot become a daemon: %m");
		conf_unref(&conf);
		return 1;
	}
	if (!foreground && write_pid_file(conf->pid_file) != 0) {
		conf_unref(&conf);
		return 1;
	}
	if (drop_privileges(conf) != 0) {
		conf_unref(&conf);
		return 1;
	}
	set_thread_stack();
	{
		const char *why = "";

		/* After daemonizing: the resolver's thread must live in the
		 * process that serves. */
		if (conf_start_resolver(conf, &why) != SG_OK) {
			log_err("cannot start the DNS resolver: %s", why);
			conf_unref(&conf);
			return 1;
		}
		start_history(conf);
	}
	log_info("signetd listening on %s with %zu keys (%s)", conf->socket,
		 dkim_tables_nkeys(conf->tables), conf->path);
	conf_swap(conf);			/* the live configuration owns it now */

	int rc = smfi_main() == MI_SUCCESS ? 0 : 1;

	/* libmilter has stopped listening; let open sessions finish. */
	for (int i = 0; i < STOP_GRACE_SECONDS * 10 && filter_active_connections() > 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	{
		/* The last sessions' threads are past their close callback;
		 * give them a moment to finish exiting. */
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if ((conf = conf_current()) != NULL && !foreground && conf->pid_file != NULL)
		unlink(conf->pid_file);
	conf_unref(&conf);
	conf_swap(NULL);
	log_info("signetd stopped");
	return rc;
}
