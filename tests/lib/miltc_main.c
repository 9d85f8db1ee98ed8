/*
 * tests/lib/miltc_main.c -- build/miltc: send one message file to a milter
 * as an MTA would, print the verdict, write the resulting message.
 *
 *   miltc -s SOCKET [-c client_ip] [-n client_name] [-h helo] [-f mailfrom]
 *         [-r rcpt]... [-a auth_authen] [-d daemon_name] [-q queueid]
 *         [-b chunksize] [-t timeout_s] [-o outfile] [-v] MESSAGEFILE
 *
 * stderr gets "verdict: accept" or "verdict: reject 550 5.7.1 ..." (with
 * -v also the negotiated options and each modification); the message with
 * the modifications applied goes to -o or stdout. Exit status: 0 accept or
 * continue, 2 reject, 3 tempfail, 4 discard, 1 protocol/connection/usage
 * error. -c "" sends an unknown ('U') client family.
 */
#include "tests/lib/miltc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
	        "usage: miltc -s SOCKET [-c client_ip] [-n client_name] [-h helo]\n"
	        "             [-f mailfrom] [-r rcpt]... [-a auth_authen]\n"
	        "             [-d daemon_name] [-q queueid] [-b chunksize]\n"
	        "             [-t timeout_s] [-o outfile] [-v] MESSAGEFILE\n"
	        "  SOCKET: inet:PORT@HOST, inet6:PORT@HOST or unix:/path\n"
	        "  exit: 0 accept/continue, 2 reject, 3 tempfail, 4 discard, 1 error\n");
	exit(1);
}

/* Print a value with control characters escaped, so folds stay visible. */
static void print_escaped(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && i < 4096; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\r')
			fputs("\\r", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	if (n > 4096)
		fputs("...", f);
}

static void dump(const struct miltc_result *res)
{
	fprintf(stderr, "negotiated: version %lu actions 0x%lx protocol 0x%lx\n",
	        res->version, res->actions, res->proto);
	if (res->body_skipped)
		fprintf(stderr, "body: skipped by the filter after %zu bytes\n",
		        res->body_sent);
	for (size_t i = 0; i < res->nmods; i++) {
		const struct miltc_mod *m = &res->mods[i];

		fprintf(stderr, "mod: %s", miltc_mod_str(m->kind));
		if (m->kind == MILTC_MOD_INSHEADER || m->kind == MILTC_MOD_CHGHEADER)
			fprintf(stderr, " %lu", m->index);
		if (m->name != NULL)
			fprintf(stderr, " %s", m->name);
		fputs(" \"", stderr);
		print_escaped(stderr, m->value, m->value_len);
		fputs("\"\n", stderr);
	}
}

static int write_all(FILE *f, const char *p, size_t n)
{
	return fwrite(p, 1, n, f) == n && fflush(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const char *rcpts[MILTC_MAX_RCPTS];
	const char *sock = NULL, *outfile = NULL, *why = "";
	struct miltc_env env;
	struct miltc_msg msg;
	struct miltc_result res;
	struct buf out;
	enum sg_status st;
	int opt, verbose = 0, timeout_s = 30, rc;
	size_t nrcpts = 0;
	FILE *f;

	miltc_env_default(&env);
	while ((opt = getopt(argc, argv, "s:c:n:h:f:r:a:d:q:b:t:o:v")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'c': env.client_ip = *optarg ? optarg : NULL; break;
		case 'n': env.client_name = optarg; break;
		case 'h': env.helo = optarg; break;
		case 'f': env.mail_from = optarg; break;
		case 'r':
			if (nrcpts == MILTC_MAX_RCPTS) {
				fprintf(stderr, "miltc: too many recipients\n");
				return 1;
			}
			rcpts[nrcpts++] = optarg;
			break;
		case 'a': env.auth_authen = optarg; break;
		case 'd': env.daemon_name = optarg; break;
		case 'q': env.queue_id = optarg; break;
		case 'b':
			env.chunk = strtoul(optarg, NULL, 10);
			if (env.chunk < 1 || env.chunk > MILTC_CHUNK_MAX) {
				fprintf(stderr, "miltc: -b must be 1..%u\n", MILTC_CHUNK_MAX);
				return 1;
			}
			break;
		case 't':
			timeout_s = atoi(optarg);
			if (timeout_s < 1 || timeout_s > 3600)
				usage();
			break;
		case 'o': outfile = optarg; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (sock == NULL || optind != argc - 1)
		usage();
	if (nrcpts > 0) {
		env.rcpts = rcpts;
		env.nrcpts = nrcpts;
	}
	if ((st = miltc_msg_load(argv[optind], &msg, &why)) != SG_OK) {
		fprintf(stderr, "miltc: %s: %s\n", argv[optind], why);
		return 1;
	}
	st = miltc_session(sock, timeout_s * 1000, &env, &msg, &res, &why);
	if (st != SG_OK) {
		fprintf(stderr, "miltc: %s: %s\n", sock, why);
		miltc_result_free(&res);
		miltc_msg_free(&msg);
		return 1;
	}
	fprintf(stderr, "verdict: %s%s%s", miltc_verdict_str(res.verdict),
	        res.reply ? " " : "", res.reply ? res.reply : "");
	if (verbose)
		fprintf(stderr, " (at %s)", res.stage ? res.stage : "?");
	fputc('\n', stderr);
	if (verbose)
		dump(&res);

	buf_init(&out, 2 * (size_t)MILTC_MAX_MSG);
	rc = 0;
	if (miltc_apply(&msg, &res, &out, &why) != SG_OK) {
		fprintf(stderr, "miltc: applying modifications: %s\n", why);
		rc = 1;
	} else if ((f = outfile ? fopen(outfile, "wb") : stdout) == NULL) {
		fprintf(stderr, "miltc: cannot open %s\n", outfile);
		rc = 1;
	} else {
		if (write_all(f, out.data, out.len) != 0) {
			fprintf(stderr, "miltc: write failed\n");
			rc = 1;
		}
		if (outfile != NULL && fclose(f) != 0)
			rc = 1;
	}
	if (rc == 0) {
		switch (res.verdict) {
		case MILTC_ACCEPT: case MILTC_CONTINUE: rc = 0; break;
		case MILTC_REJECT: rc = 2; break;
		case MILTC_TEMPFAIL: rc = 3; break;
		case MILTC_DISCARD: rc = 4; break;
		default: rc = 1; break;
		}
	}
	buf_free(&out);
	miltc_result_free(&res);
	miltc_msg_free(&msg);
	return rc;
}
