/*
 * tests/lib/miltc.c -- the protocol side of miltc: connect, negotiate,
 * walk one message through the steps an MTA sends, collect the replies.
 * See miltc.h. Packets are 4-byte big-endian length (command byte
 * included), command byte, data; the constants come from libmilter's
 * public <libmilter/mfdef.h>.
 */
#include "tests/lib/miltc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

/* Action flags (SMFIF_*): the wire values libmilter's mfapi.h gives them;
 * a modification is accepted only if its action was negotiated. */
#define ACT_ADDHDRS	0x001UL
#define ACT_CHGBODY	0x002UL
#define ACT_ADDRCPT	0x004UL
#define ACT_DELRCPT	0x008UL
#define ACT_CHGHDRS	0x010UL
#define ACT_QUARANTINE	0x020UL
#define ACT_CHGFROM	0x040UL
#define ACT_ADDRCPT_PAR	0x080UL

/* Macro stages of SMFIR_SETSYMLIST (SMFIM_*). */
enum stage { ST_CONNECT, ST_HELO, ST_ENVFROM, ST_ENVRCPT, ST_DATA, ST_EOM,
             ST_EOH, ST_NSTAGES };

#define MAX_SYMLIST	4096	/* one stage's macro list from the filter */
#define RBUF_SIZE	8192

struct miltc_conn {
	int fd;
	int timeout_ms;
	unsigned long version, actions, proto;
	char *symlist[ST_NSTAGES];	/* NULL: send every macro we have */
	struct buf out;			/* one packet being built */
	struct buf held;		/* macros to send with the next command */
	char *pkt;			/* last reply packet: data after the command */
	size_t pkt_len, pkt_alloc;
	char rbuf[RBUF_SIZE];
	size_t rpos, rlen;
};

struct macro {
	const char *name, *value;
};

/* ---- raw I/O ---- */

/* Write every byte of iov[0..n). The socket is blocking with SO_SNDTIMEO,
 * so each write waits at most the timeout. */
static enum sg_status send_all(struct miltc_conn *c, struct iovec *iov, int n,
                               const char **why)
{
	while (n > 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			*why = errno == EAGAIN || errno == EWOULDBLOCK
			       ? "timeout writing to filter" : "write to filter failed";
			return SG_E_IO;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return SG_OK;
}

/* Read exactly n bytes into p through the read buffer. Blocking socket
 * with SO_RCVTIMEO: each read waits at most the timeout. Reads big
 * enough go straight to p. */
static enum sg_status recv_exact(struct miltc_conn *c, char *p, size_t n,
                                 const char **why)
{
	while (n > 0) {
		ssize_t r;

		if (c->rpos < c->rlen) {
			size_t k = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;

			memcpy(p, c->rbuf + c->rpos, k);
			c->rpos += k;
			p += k;
			n -= k;
			continue;
		}
		c->rpos = c->rlen = 0;
		if (n >= sizeof c->rbuf)
			r = recv(c->fd, p, n, 0);
		else
			r = recv(c->fd, c->rbuf, sizeof c->rbuf, 0);
		if (r > 0) {
			if (n >= sizeof c->rbuf) {
				p += r;
				n -= (size_t)r;
			} else {
				c->rlen = (size_t)r;
			}
			continue;
		}
		if (r == 0) {
			*why = "filter closed the connection";
			return SG_E_IO;
		}
		if (errno == EINTR)
			continue;
		*why = errno == EAGAIN || errno == EWOULDBLOCK
		       ? "timeout waiting for the filter" : "read from filter failed";
		return SG_E_IO;
	}
	return SG_OK;
}

/* Read one packet: its command into *cmd, its data into c->pkt
 * (NUL-terminated past pkt_len). */
static enum sg_status read_packet(struct miltc_conn *c, char *cmd,
                                  const char **why)
{
	unsigned char hdr[4];
	uint32_t len;
	enum sg_status st;

	if ((st = recv_exact(c, (char *)hdr, 4, why)) != SG_OK)
		return st;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	      (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0) {
		*why = "empty reply packet";
		return SG_E_SYNTAX;
	}
	if (len > MILTC_MAX_PACKET) {
		*why = "reply packet over 1 MB";
		return SG_E_TOOBIG;
	}
	if (len > c->pkt_alloc) {		/* len - 1 data bytes + NUL */
		char *p = realloc(c->pkt, len);

		if (p == NULL) {
			*why = "out of memory";
			return SG_E_NOMEM;
		}
		c->pkt = p;
		c->pkt_alloc = len;
	}
	if ((st = recv_exact(c, cmd, 1, why)) != SG_OK ||
	    (st = recv_exact(c, c->pkt, len - 1, why)) != SG_OK)
		return st;
	c->pkt_len = len - 1;
	c->pkt[c->pkt_len] = '\0';
	return SG_OK;
}

static void packet_header(unsigned char hdr[5], size_t len, char cmd)
{
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	hdr[4] = (unsigned char)cmd;
}

/* Send one packet: cmd, the data built in c->out, then extra (borrowed);
 * a macro packet held for this command goes out in the same write. */
static enum sg_status send_packet(struct miltc_conn *c, char cmd,
                                  const char *extra, size_t extra_len,
                                  const char **why)
{
	unsigned char hdr[5];
	struct iovec iov[4] = {
		{ c->held.data, c->held.len },
		{ hdr, sizeof hdr },
		{ c->out.data, c->out.len },
		{ (void *)extra, extra_len },
	};
	enum sg_status st;

	packet_header(hdr, 1 + c->out.len + extra_len, cmd);
	st = c->held.len > 0 ? send_all(c, iov, 4, why) : send_all(c, iov + 1, 3, why);
	buf_reset(&c->held);
	return st;
}

/* Keep the packet built in c->out to go out with the next command. */
static enum sg_status hold_packet(struct miltc_conn *c, char cmd, const char **why)
{
	unsigned char hdr[5];
	enum sg_status st;

	packet_header(hdr, 1 + c->out.len, cmd);
	buf_reset(&c->held);
	if ((st = buf_append(&c->held, hdr, sizeof hdr)) != SG_OK ||
	    (st = buf_append(&c->held, c->out.data, c->out.len)) != SG_OK)
		*why = "macro packet too large";
	return st;
}

/* Append a NUL-terminated string with its NUL to the packet being built. */
static enum sg_status put_str(struct miltc_conn *c, const char *s)
{
	return buf_append(&c->out, s, strlen(s) + 1);
}

/* ---- connecting and negotiating ---- */

/* A blocking socket whose reads, writes and connect() wait at most
 * timeout_ms (Linux bounds connect() by SO_SNDTIMEO). */
static int timed_socket(int family, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
	                      .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
	    (family != AF_UNIX &&
	     setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fill *ss from a numeric host (brackets allowed for IPv6) or, failing
 * that, a name lookup. */
static int inet_address(const char *host, const char *port, int family,
                        struct sockaddr_storage *ss, socklen_t *sl,
                        const char **why)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char h[256];
	size_t hl = strlen(host);
	char *end;
	unsigned long pn = strtoul(port, &end, 10);

	if (hl >= sizeof h || *end != '\0' || pn == 0 || pn > 65535) {
		*why = "bad host or port in socket";
		return -1;
	}
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {	/* [::1] */
		memcpy(h, host + 1, hl - 2);
		h[hl - 2] = '\0';
	} else {
		memcpy(h, host, hl + 1);
	}
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)pn);
		*sl = sizeof *in;
		if (inet_pton(AF_INET, h, &in->sin_addr) == 1)
			return 0;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)pn);
		*sl = sizeof *in6;
		if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1)
			return 0;
	}
	if (getaddrinfo(h, port, &hints, &ai) != 0 || ai == NULL ||
	    ai->ai_addrlen > sizeof *ss) {
		if (ai != NULL)
			freeaddrinfo(ai);
		*why = "cannot resolve the filter's address";
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int open_inet(const char *host, const char *port, int family,
                     int timeout_ms, const char **why)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (inet_address(host, port, family, &ss, &sl, why) != 0)
		return -1;
	if ((fd = timed_socket(family, timeout_ms)) < 0) {
		*why = "socket() failed";
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		close(fd);
		*why = "cannot connect to the filter";
		return -1;
	}
	return fd;
}

static int open_unix(const char *path, int timeout_ms, const char **why)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		*why = "socket path too long";
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = timed_socket(AF_UNIX, timeout_ms)) < 0) {
		*why = "socket() failed";
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		*why = "cannot connect to the filter";
		return -1;
	}
	return fd;
}

enum sg_status miltc_open(const char *spec, int timeout_ms,
                          struct miltc_conn **out, const char **why)
{
	struct miltc_conn *c;
	int fd = -1;

	if (timeout_ms <= 0)
		timeout_ms = MILTC_TIMEOUT_MS;
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		int v6 = spec[4] == '6';
		const char *p = spec + (v6 ? 6 : 5), *at = strchr(p, '@');
		char port[16];

		if (at == NULL || at == p || (size_t)(at - p) >= sizeof port) {
			*why = "socket must be inet:PORT@HOST";
			return SG_E_SYNTAX;
		}
		memcpy(port, p, (size_t)(at - p));
		port[at - p] = '\0';
		fd = open_inet(at + 1, port, v6 ? AF_INET6 : AF_INET, timeout_ms, why);
	} else if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		fd = open_unix(strchr(spec, ':') + 1, timeout_ms, why);
	} else if (spec[0] == '/') {
		fd = open_unix(spec, timeout_ms, why);
	} else {
		*why = "socket must be inet:, inet6: or unix:";
		return SG_E_SYNTAX;
	}
	if (fd < 0)
		return SG_E_IO;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	buf_init(&c->out, MILTC_MAX_PACKET);
	buf_init(&c->held, MILTC_MAX_PACKET + 5);
	*out = c;
	return SG_OK;
}

static uint32_t get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static enum sg_status put32(struct buf *b, uint32_t v)
{
	char p[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v };

	return buf_append(b, p, 4);
}

/* The macro lists after the 12 option bytes: (stage, "names\0") pairs. */
static enum sg_status parse_symlists(struct miltc_conn *c, const char *p,
                                     size_t n, const char **why)
{
	while (n > 0) {
		uint32_t stage;
		const char *nul;

		if (n < 5 || (nul = memchr(p + 4, '\0', n - 4)) == NULL) {
			*why = "malformed macro list in negotiation";
			return SG_E_SYNTAX;
		}
		stage = get32(p);
		if (stage < ST_NSTAGES && (size_t)(nul - (p + 4)) < MAX_SYMLIST) {
			free(c->symlist[stage]);
			if ((c->symlist[stage] = strdup(p + 4)) == NULL) {
				*why = "out of memory";
				return SG_E_NOMEM;
			}
		}
		n -= (size_t)(nul + 1 - p);
		p = nul + 1;
	}
	return SG_OK;
}

enum sg_status miltc_negotiate(struct miltc_conn *c, const char **why)
{
	const unsigned long offer_prot = SMFI_CURR_PROT;
	enum sg_status st;
	char cmd;

	buf_reset(&c->out);
	if (put32(&c->out, SMFI_PROT_VERSION) != SG_OK ||
	    put32(&c->out, SMFI_CURR_ACTS) != SG_OK ||
	    put32(&c->out, (uint32_t)offer_prot) != SG_OK) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	if ((st = send_packet(c, SMFIC_OPTNEG, NULL, 0, why)) != SG_OK ||
	    (st = read_packet(c, &cmd, why)) != SG_OK)
		return st;
	if (cmd != SMFIC_OPTNEG || c->pkt_len < MILTER_OPTLEN) {
		*why = "bad reply to option negotiation";
		return SG_E_SYNTAX;
	}
	c->version = get32(c->pkt);
	c->actions = get32(c->pkt + 4);
	c->proto = get32(c->pkt + 8) & ~(unsigned long)SMFI_INTERNAL;
	if (c->version < 2 || c->version > SMFI_PROT_VERSION) {
		*why = "filter wants an unsupported protocol version";
		return SG_E_UNSUPPORTED;
	}
	if ((c->actions & ~(unsigned long)SMFI_CURR_ACTS) != 0 ||
	    (c->proto & ~offer_prot) != 0) {
		*why = "filter asked for actions or protocol flags not offered";
		return SG_E_UNSUPPORTED;
	}
	return parse_symlists(c, c->pkt + MILTER_OPTLEN,
	                      c->pkt_len - MILTER_OPTLEN, why);
}

void miltc_close(struct miltc_conn **cp)
{
	struct miltc_conn *c = *cp;
	const char *why;

	if (c == NULL)
		return;
	buf_reset(&c->out);
	(void)send_packet(c, SMFIC_QUIT, NULL, 0, &why);
	close(c->fd);
	for (int i = 0; i < ST_NSTAGES; i++)
		free(c->symlist[i]);
	buf_free(&c->out);
	buf_free(&c->held);
	free(c->pkt);
	free(c);
	*cp = NULL;
}

/* ---- one message ---- */

void miltc_env_default(struct miltc_env *env)
{
	static const char *const rcpt[] = { "bob@example.org" };

	memset(env, 0, sizeof *env);
	env->client_ip = "127.0.0.1";
	env->client_port = 40000;
	env->helo = "client.example.com";
	env->mail_from = "alice@example.com";
	env->rcpts = rcpt;
	env->nrcpts = 1;
	env->daemon_name = "smtpd";
	env->mta_name = "mta.example.com";
	env->queue_id = "4MILTCQ0001";
}

/* Is name in the filter's list for this stage (with or without braces)? */
static int macro_wanted(const struct miltc_conn *c, enum stage s, const char *name)
{
	const char *list = c->symlist[s], *p;
	size_t n = strlen(name);

	if (list == NULL)
		return 1;
	if (n > 2 && name[0] == '{') {		/* compare the bare name */
		name++;
		n -= 2;
	}
	for (p = list; *p != '\0';) {
		size_t k;

		while (*p == ' ' || *p == ',')
			p++;
		k = strcspn(p, " ,");
		if (k > 2 && p[0] == '{' && k - 2 == n && strncmp(p + 1, name, n) == 0)
			return 1;
		if (k == n && k > 0 && strncmp(p, name, n) == 0)
			return 1;
		p += k;
	}
	return 0;
}

/* SMFIC_MACRO for command cmd: the pairs with a value that the filter wants,
 * held to go out in one write with the command; none left, nothing sent. */
static enum sg_status send_macros(struct miltc_conn *c, char cmd, enum stage s,
                                  const struct macro *m, size_t n,
                                  const char **why)
{
	enum sg_status st;
	size_t sent = 0;

	buf_reset(&c->out);
	st = buf_putc(&c->out, cmd);
	for (size_t i = 0; i < n && st == SG_OK; i++) {
		if (m[i].value == NULL || !macro_wanted(c, s, m[i].name))
			continue;
		if ((st = put_str(c, m[i].name)) == SG_OK)
			st = put_str(c, m[i].value);
		sent++;
	}
	if (st != SG_OK) {
		*why = "macro too large";
		return st;
	}
	return sent > 0 ? hold_packet(c, SMFIC_MACRO, why) : SG_OK;
}

static enum sg_status add_mod(struct miltc_result *res, enum miltc_mod_kind kind,
                              unsigned long index, const char *name,
                              const char *value, size_t vlen, const char **why)
{
	struct miltc_mod *m;

	if (res->nmods == MILTC_MAX_MODS) {
		*why = "too many modifications";
		return SG_E_TOOBIG;
	}
	if ((res->nmods & (res->nmods - 1)) == 0) {	/* 0, 1, 2, 4, ...: grow */
		size_t n = res->nmods ? res->nmods * 2 : 4;

		if ((m = realloc(res->mods, n * sizeof *m)) == NULL)
			goto nomem;
		res->mods = m;
	}
	m = &res->mods[res->nmods];
	memset(m, 0, sizeof *m);
	m->kind = kind;
	m->index = index;
	m->value_len = vlen;
	if ((m->value = malloc(vlen + 1)) == NULL)
		goto nomem;
	memcpy(m->value, value, vlen);
	m->value[vlen] = '\0';
	if (name != NULL && (m->name = strdup(name)) == NULL) {
		free(m->value);
		goto nomem;
	}
	res->nmods++;
	return SG_OK;
nomem:
	*why = "out of memory";
	return SG_E_NOMEM;
}

/* Split packet data into up to n NUL-terminated strings; 0 if short. */
static int split_strings(const char *data, size_t len, size_t skip,
                         const char **s, size_t n)
{
	const char *p = data + skip, *end = data + len;

	if (len < skip)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			return 0;
		s[i] = p;
		p = nul + 1;
	}
	return 1;
}

/* A modification packet at end of message into res. */
static enum sg_status take_mod(struct miltc_conn *c, char cmd,
                               struct miltc_result *res, const char **why)
{
	static const struct { char cmd; enum miltc_mod_kind kind; unsigned long act;
	                      int indexed, nstr; } tab[] = {
		{ SMFIR_INSHEADER,   MILTC_MOD_INSHEADER,  ACT_ADDHDRS,    1, 2 },
		{ SMFIR_ADDHEADER,   MILTC_MOD_ADDHEADER,  ACT_ADDHDRS,    0, 2 },
		{ SMFIR_CHGHEADER,   MILTC_MOD_CHGHEADER,  ACT_CHGHDRS,    1, 2 },
		{ SMFIR_QUARANTINE,  MILTC_MOD_QUARANTINE, ACT_QUARANTINE, 0, 1 },
		{ SMFIR_ADDRCPT,     MILTC_MOD_ADDRCPT,    ACT_ADDRCPT,    0, 1 },
		{ SMFIR_ADDRCPT_PAR, MILTC_MOD_ADDRCPT,    ACT_ADDRCPT_PAR, 0, 2 },
		{ SMFIR_DELRCPT,     MILTC_MOD_DELRCPT,    ACT_DELRCPT,    0, 1 },
		{ SMFIR_CHGFROM,     MILTC_MOD_CHGFROM,    ACT_CHGFROM,    0, 2 },
	};
	const char *s[2] = { NULL, NULL };
	size_t skip;

	if (cmd == SMFIR_REPLBODY) {
		if (!(c->actions & ACT_CHGBODY)) {
			*why = "filter replaced the body without negotiating it";
			return SG_E_SYNTAX;
		}
		return add_mod(res, MILTC_MOD_REPLBODY, 0, NULL, c->pkt,
		               c->pkt_len, why);
	}
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		if (tab[i].cmd != cmd)
			continue;
		if (!(c->actions & tab[i].act)) {
			*why = "filter sent a modification it did not negotiate";
			return SG_E_SYNTAX;
		}
		skip = tab[i].indexed ? 4 : 0;
		/* CHGFROM and ADDRCPT_PAR: the ESMTP args string may be absent */
		if (!split_strings(c->pkt, c->pkt_len, skip, s, (size_t)tab[i].nstr) &&
		    !((cmd == SMFIR_CHGFROM || cmd == SMFIR_ADDRCPT_PAR) &&
		      split_strings(c->pkt, c->pkt_len, skip, s, 1))) {
			*why = "malformed modification packet";
			return SG_E_SYNTAX;
		}
		if (tab[i].nstr == 2 && cmd != SMFIR_CHGFROM && cmd != SMFIR_ADDRCPT_PAR)
			return add_mod(res, tab[i].kind,
			               tab[i].indexed ? get32(c->pkt) : 0,
			               s[0], s[1], strlen(s[1]), why);
		return add_mod(res, tab[i].kind, 0, s[1], s[0], strlen(s[0]), why);
	}
	*why = "unexpected reply at end of message";
	return SG_E_SYNTAX;
}

/* A verdict reply into res; 1 if cmd was one, 0 if not, -1 if malformed. */
static int take_verdict(struct miltc_conn *c, char cmd, struct miltc_result *res)
{
	switch (cmd) {
	case SMFIR_ACCEPT:	res->verdict = MILTC_ACCEPT; return 1;
	case SMFIR_CONTINUE:	res->verdict = MILTC_CONTINUE; return 1;
	case SMFIR_REJECT:	res->verdict = MILTC_REJECT; return 1;
	case SMFIR_TEMPFAIL:
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL:	res->verdict = MILTC_TEMPFAIL; return 1;
	case SMFIR_DISCARD:	res->verdict = MILTC_DISCARD; return 1;
	case SMFIR_REPLYCODE:
		if (c->pkt_len < 3 || (c->pkt[0] != '4' && c->pkt[0] != '5'))
			return -1;
		free(res->reply);
		if ((res->reply = strdup(c->pkt)) == NULL)
			return -1;
		res->verdict = c->pkt[0] == '5' ? MILTC_REJECT : MILTC_TEMPFAIL;
		return 1;
	default:
		return 0;
	}
}

/* Outcome of one step for the message walk. */
enum step { STEP_NEXT, STEP_DONE, STEP_SKIP };

/* Send cmd (data already built in c->out, plus extra) unless the filter
 * asked to skip it (noflag), then wait for the reply unless it asked not
 * to answer (nrflag). */
static enum sg_status step(struct miltc_conn *c, char cmd, const char *extra,
                           size_t extra_len, unsigned long nrflag,
                           const char *stage, struct miltc_result *res,
                           enum step *out, const char **why)
{
	enum sg_status st;
	char rc;
	int v;

	*out = STEP_NEXT;
	if ((st = send_packet(c, cmd, extra, extra_len, why)) != SG_OK)
		return st;
	if (c->proto & nrflag)
		return SG_OK;
	for (;;) {
		if ((st = read_packet(c, &rc, why)) != SG_OK)
			return st;
		if (rc == SMFIR_PROGRESS)
			continue;
		if (rc == SMFIR_SKIP && cmd == SMFIC_BODY && (c->proto & SMFIP_SKIP)) {
			*out = STEP_SKIP;
			return SG_OK;
		}
		if ((v = take_verdict(c, rc, res)) < 0) {
			*why = "malformed reply code";
			return SG_E_SYNTAX;
		}
		if (v == 0) {
			*why = "unexpected reply from the filter";
			return SG_E_SYNTAX;
		}
		if (res->verdict == MILTC_CONTINUE) {
			res->verdict = MILTC_NONE;	/* on to the next step */
			return SG_OK;
		}
		res->stage = stage;
		*out = STEP_DONE;
		return SG_OK;
	}
}

/* The end-of-message exchange: modifications until the final verdict. */
static enum sg_status end_of_message(struct miltc_conn *c,
                                     struct miltc_result *res, const char **why)
{
	enum sg_status st;
	char rc;
	int v;

	buf_reset(&c->out);
	if ((st = send_packet(c, SMFIC_BODYEOB, NULL, 0, why)) != SG_OK)
		return st;
	for (;;) {
		if ((st = read_packet(c, &rc, why)) != SG_OK)
			return st;
		if (rc == SMFIR_PROGRESS)
			continue;
		if ((v = take_verdict(c, rc, res)) < 0) {
			*why = "malformed reply code";
			return SG_E_SYNTAX;
		}
		if (v == 1) {
			res->stage = "eom";
			return SG_OK;
		}
		if ((st = take_mod(c, rc, res, why)) != SG_OK)
			return st;
	}
}

static enum sg_status send_connect(struct miltc_conn *c, const struct miltc_env *env,
                                   struct miltc_result *res, enum step *out,
                                   const char **why)
{
	const struct macro m[] = {
		{ "j", env->mta_name }, { "{daemon_name}", env->daemon_name },
		{ "v", "miltc" },
	};
	char name[300], fam = SMFIA_UNKNOWN;
	unsigned char a6[16];
	enum sg_status st;

	*out = STEP_NEXT;
	if (c->proto & SMFIP_NOCONNECT)
		return SG_OK;
	if (env->client_ip != NULL && inet_pton(AF_INET, env->client_ip, a6) == 1)
		fam = SMFIA_INET;
	else if (env->client_ip != NULL && inet_pton(AF_INET6, env->client_ip, a6) == 1)
		fam = SMFIA_INET6;
	if (env->client_name != NULL)
		snprintf(name, sizeof name, "%s", env->client_name);
	else
		snprintf(name, sizeof name, "[%s]", env->client_ip ? env->client_ip : "unknown");
	if ((st = send_macros(c, SMFIC_CONNECT, ST_CONNECT, m, 3, why)) != SG_OK)
		return st;
	buf_reset(&c->out);
	st = put_str(c, name);
	if (st == SG_OK)
		st = buf_putc(&c->out, fam);
	if (st == SG_OK && fam != SMFIA_UNKNOWN) {
		char port[2] = { (char)(env->client_port >> 8), (char)env->client_port };

		if ((st = buf_append(&c->out, port, 2)) == SG_OK)
			st = put_str(c, env->client_ip);
	}
	if (st != SG_OK) {
		*why = "out of memory";
		return st;
	}
	return step(c, SMFIC_CONNECT, NULL, 0, SMFIP_NR_CONN, "connect", res, out, why);
}

/* Build "<addr>" as the command's data. */
static enum sg_status put_addr(struct miltc_conn *c, const char *addr)
{
	enum sg_status st = buf_putc(&c->out, '<');

	if (st == SG_OK)
		st = buf_puts(&c->out, addr);
	if (st == SG_OK)
		st = put_str(c, ">");
	return st;
}

static enum sg_status send_envelope(struct miltc_conn *c, const struct miltc_env *env,
                                    struct miltc_result *res, enum step *out,
                                    const char **why)
{
	const struct macro mm[] = {
		{ "i", env->queue_id },
		{ "{auth_type}", env->auth_authen ? "PLAIN" : NULL },
		{ "{auth_authen}", env->auth_authen },
		{ "{mail_addr}", env->mail_from },
	};
	enum sg_status st;

	*out = STEP_NEXT;
	if (!(c->proto & SMFIP_NOHELO)) {
		buf_reset(&c->out);
		if ((st = put_str(c, env->helo ? env->helo : "")) != SG_OK ||
		    (st = step(c, SMFIC_HELO, NULL, 0, SMFIP_NR_HELO, "helo", res,
		               out, why)) != SG_OK || *out == STEP_DONE)
			return st;
	}
	if (!(c->proto & SMFIP_NOMAIL)) {
		if ((st = send_macros(c, SMFIC_MAIL, ST_ENVFROM, mm, 4, why)) != SG_OK)
			return st;
		buf_reset(&c->out);
		if ((st = put_addr(c, env->mail_from ? env->mail_from : "")) != SG_OK ||
		    (st = step(c, SMFIC_MAIL, NULL, 0, SMFIP_NR_MAIL, "mail", res,
		               out, why)) != SG_OK || *out == STEP_DONE)
			return st;
	}
	for (size_t i = 0; i < env->nrcpts && !(c->proto & SMFIP_NORCPT); i++) {
		const struct macro rm[] = { { "i", env->queue_id },
		                            { "{rcpt_addr}", env->rcpts[i] } };

		if ((st = send_macros(c, SMFIC_RCPT, ST_ENVRCPT, rm, 2, why)) != SG_OK)
			return st;
		buf_reset(&c->out);
		if ((st = put_addr(c, env->rcpts[i])) != SG_OK ||
		    (st = step(c, SMFIC_RCPT, NULL, 0, SMFIP_NR_RCPT, "rcpt", res,
		               out, why)) != SG_OK || *out == STEP_DONE)
			return st;
	}
	return SG_OK;
}

/* One header field: the name, and the value as Postfix sends it (with
 * the end-of-header macros before it, as Postfix does). */
static enum sg_status send_header(struct miltc_conn *c, const struct miltc_env *env,
                                  const struct miltc_hdr *h,
                                  struct miltc_result *res, enum step *out,
                                  const char **why)
{
	const struct macro im[] = { { "i", env->queue_id } };
	const char *v = h->value;
	enum sg_status st;

	if ((st = send_macros(c, SMFIC_HEADER, ST_EOH, im, 1, why)) != SG_OK)
		return st;
	buf_reset(&c->out);
	if (!(c->proto & SMFIP_HDR_LEADSPC) && *v == ' ')
		v++;
	st = put_str(c, h->name);
	for (; *v != '\0' && st == SG_OK; v++)
		if (!(v[0] == '\r' && v[1] == '\n'))	/* CRLF -> LF */
			st = buf_putc(&c->out, *v);
	if (st == SG_OK)
		st = buf_putc(&c->out, '\0');
	if (st != SG_OK) {
		*why = "header field too large";
		return st;
	}
	return step(c, SMFIC_HEADER, NULL, 0, SMFIP_NR_HDR, "header", res, out, why);
}

static enum sg_status send_content(struct miltc_conn *c, const struct miltc_env *env,
                                   const struct miltc_msg *msg,
                                   struct miltc_result *res, enum step *out,
                                   const char **why)
{
	const struct macro im[] = { { "i", env->queue_id } };
	size_t chunk = env->chunk > 0 && env->chunk <= MILTC_CHUNK_MAX
	               ? env->chunk : MILTC_CHUNK_MAX;
	enum sg_status st;

	*out = STEP_NEXT;
	if (!(c->proto & SMFIP_NODATA)) {
		if ((st = send_macros(c, SMFIC_DATA, ST_DATA, im, 1, why)) != SG_OK)
			return st;
		buf_reset(&c->out);
		if ((st = step(c, SMFIC_DATA, NULL, 0, SMFIP_NR_DATA, "data", res,
		               out, why)) != SG_OK || *out == STEP_DONE)
			return st;
	}
	for (size_t i = 0; i < msg->nhdrs && !(c->proto & SMFIP_NOHDRS); i++)
		if ((st = send_header(c, env, &msg->hdrs[i], res, out, why)) != SG_OK ||
		    *out == STEP_DONE)
			return st;
	if (!(c->proto & SMFIP_NOEOH)) {
		if ((st = send_macros(c, SMFIC_EOH, ST_EOH, im, 1, why)) != SG_OK)
			return st;
		buf_reset(&c->out);
		if ((st = step(c, SMFIC_EOH, NULL, 0, SMFIP_NR_EOH, "eoh", res,
		               out, why)) != SG_OK || *out == STEP_DONE)
			return st;
	}
	for (size_t off = 0; off < msg->body_len && !(c->proto & SMFIP_NOBODY);) {
		size_t n = msg->body_len - off < chunk ? msg->body_len - off : chunk;

		if ((st = send_macros(c, SMFIC_BODY, ST_EOM, im, 1, why)) != SG_OK)
			return st;
		buf_reset(&c->out);
		if ((st = step(c, SMFIC_BODY, msg->body + off, n, SMFIP_NR_BODY,
		               "body", res, out, why)) != SG_OK || *out == STEP_DONE)
			return st;
		off += n;
		res->body_sent = off;
		if (*out == STEP_SKIP) {
			res->body_skipped = 1;
			*out = STEP_NEXT;
			break;
		}
	}
	return send_macros(c, SMFIC_BODYEOB, ST_EOM, im, 1, why);
}

enum sg_status miltc_message(struct miltc_conn *c, const struct miltc_env *env,
                             const struct miltc_msg *msg,
                             struct miltc_result *res, const char **why)
{
	enum sg_status st;
	enum step s;

	memset(res, 0, sizeof *res);
	res->version = c->version;
	res->actions = c->actions;
	res->proto = c->proto;
	if (env->nrcpts > MILTC_MAX_RCPTS) {
		*why = "too many recipients";
		return SG_E_TOOBIG;
	}
	if ((st = send_connect(c, env, res, &s, why)) != SG_OK || s == STEP_DONE ||
	    (st = send_envelope(c, env, res, &s, why)) != SG_OK || s == STEP_DONE ||
	    (st = send_content(c, env, msg, res, &s, why)) != SG_OK || s == STEP_DONE)
		return st;
	return end_of_message(c, res, why);
}

enum sg_status miltc_session(const char *spec, int timeout_ms,
                             const struct miltc_env *env,
                             const struct miltc_msg *msg,
                             struct miltc_result *res, const char **why)
{
	struct miltc_conn *c = NULL;
	enum sg_status st;

	memset(res, 0, sizeof *res);
	if ((st = miltc_open(spec, timeout_ms, &c, why)) != SG_OK)
		return st;
	if ((st = miltc_negotiate(c, why)) == SG_OK)
		st = miltc_message(c, env, msg, res, why);
	miltc_close(&c);
	return st;
}

void miltc_result_free(struct miltc_result *res)
{
	for (size_t i = 0; i < res->nmods; i++) {
		free(res->mods[i].name);
		free(res->mods[i].value);
	}
	free(res->mods);
	free(res->reply);
	memset(res, 0, sizeof *res);
}

const char *miltc_verdict_str(enum miltc_verdict v)
{
	switch (v) {
	case MILTC_ACCEPT:	return "accept";
	case MILTC_CONTINUE:	return "continue";
	case MILTC_REJECT:	return "reject";
	case MILTC_TEMPFAIL:	return "tempfail";
	case MILTC_DISCARD:	return "discard";
	default:		return "none";
	}
}

const char *miltc_mod_str(enum miltc_mod_kind k)
{
	switch (k) {
	case MILTC_MOD_INSHEADER:	return "insheader";
	case MILTC_MOD_ADDHEADER:	return "addheader";
	case MILTC_MOD_CHGHEADER:	return "chgheader";
	case MILTC_MOD_QUARANTINE:	return "quarantine";
	case MILTC_MOD_REPLBODY:	return "replbody";
	case MILTC_MOD_ADDRCPT:		return "addrcpt";
	case MILTC_MOD_DELRCPT:		return "delrcpt";
	case MILTC_MOD_CHGFROM:		return "chgfrom";
	}
	return "?";
}

size_t miltc_result_added(const struct miltc_result *res, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < res->nmods; i++)
		if ((res->mods[i].kind == MILTC_MOD_INSHEADER ||
		     res->mods[i].kind == MILTC_MOD_ADDHEADER) &&
		    strcasecmp(res->mods[i].name, name) == 0)
			n++;
	return n;
}
