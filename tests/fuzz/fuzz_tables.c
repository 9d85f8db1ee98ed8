/*
 * tests/fuzz/fuzz_tables.c -- dkim/tables.c: glob, KeyTable and
 * SigningTable parsing. The first byte picks the target; table text goes
 * through a memfd so no file on disk is written. Key files named in a
 * fuzzed KeyTable are only ever opened for reading (no create_missing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dkim/tables.h"

/* A memfd holding data; its /proc path goes to path. */
static int memfile(const uint8_t *data, size_t n, char *path, size_t len)
{
	int fd = memfd_create("fuzz-table", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static void fuzz_glob(const uint8_t *data, size_t n)
{
	char *buf = malloc(n + 1), *s;

	if (buf == NULL)
		return;
	memcpy(buf, data, n);
	buf[n] = '\0';
	s = memchr(buf, '\n', n);
	if (s != NULL)
		*s++ = '\0';
	(void)dkim_tables_glob(buf, s != NULL ? s : "");
	free(buf);
}

static void fuzz_table(const uint8_t *data, size_t n, bool is_keytable)
{
	static const uint8_t kt[] =
		"a example.com:s:/nonexistent/signet-fuzz-a.key\n"
		"b %:t:/nonexistent/signet-fuzz-b.key\n";
	struct dkim_tables_opts o = { .base_dir = "/nonexistent/signet-fuzz" };
	struct dkim_tables *t = NULL;
	char kpath[64], spath[64], err[512];
	int kfd, sfd;

	kfd = is_keytable ? memfile(data, n, kpath, sizeof kpath) :
			    memfile(kt, sizeof kt - 1, kpath, sizeof kpath);
	sfd = is_keytable ? memfile((const uint8_t *)"", 0, spath, sizeof spath) :
			    memfile(data, n, spath, sizeof spath);
	if (kfd >= 0 && sfd >= 0 &&
	    dkim_tables_load(kpath, spath, &o, &t, err, sizeof err) == SG_OK) {
		const struct dkim_keyentry *out[4];

		(void)dkim_tables_match(t, "user", "example.com", out, 4);
		dkim_tables_free(&t);
	}
	if (kfd >= 0)
		close(kfd);
	if (sfd >= 0)
		close(sfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	if (n == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:  fuzz_glob(data + 1, n - 1); break;
	case 1:  fuzz_table(data + 1, n - 1, true); break;
	default: fuzz_table(data + 1, n - 1, false); break;
	}
	return 0;
}
