/*
 * tests/bench/nullmilter.c -- the floor under any libmilter filter: a
 * milter that negotiates exactly what signetd does (same SMFIP_NO* and
 * SMFIP_NR_* flags, same macro lists, TCP_NODELAY, 1 MB packets) and
 * does nothing but insert one constant DKIM-Signature field at end of
 * message. `make bench` runs it beside signetd so the table shows how
 * much of signetd's CPU per message is libmilter and the kernel.
 *
 *   nullmilter inet:PORT@127.0.0.1
 */
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>

#define WANT_PROTO (SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN | \
		    SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | \
		    SMFIP_NR_BODY | SMFIP_HDR_LEADSPC)

static const struct { int stage; const char *names; } macros[] = {
	{ SMFIM_CONNECT, "{daemon_name}" }, { SMFIM_HELO, "" },
	{ SMFIM_ENVFROM, "{auth_authen}" }, { SMFIM_ENVRCPT, "" },
	{ SMFIM_DATA, "" }, { SMFIM_EOH, "" }, { SMFIM_EOM, "i" },
};

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3, unsigned long *pf0,
			     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	*pf0 = SMFIF_ADDHDRS | (f0 & SMFIF_SETSYMLIST);
	*pf1 = f1 & WANT_PROTO;
	*pf2 = 0;
	*pf3 = 0;
	for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
		smfi_setsymlist(ctx, macros[i].stage, (char *)macros[i].names);
	return SMFIS_CONTINUE;
}

static sfsistat on_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	return SMFIS_NOREPLY;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	return SMFIS_NOREPLY;
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	return SMFIS_NOREPLY;
}

static sfsistat on_eoh(SMFICTX *ctx)
{
	return SMFIS_NOREPLY;
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	return SMFIS_NOREPLY;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	smfi_insheader(ctx, 0, "DKIM-Signature", " v=1; a=none; b=");
	return SMFIS_ACCEPT;
}

int main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "nullmilter", .xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS, .xxfi_connect = on_connect,
		.xxfi_envfrom = on_envfrom, .xxfi_header = on_header,
		.xxfi_eoh = on_eoh, .xxfi_body = on_body, .xxfi_eom = on_eom,
		.xxfi_negotiate = on_negotiate,
	};
	int one = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter SOCKET\n");
		return 2;
	}
	smfi_setmaxdatasize(1024 * 1024);
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	for (int fd = 3; fd < 64; fd++)		/* the listener; others ignore it */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
