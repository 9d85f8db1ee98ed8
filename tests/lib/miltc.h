/*
 * tests/lib/miltc.h -- a milter protocol client that plays the MTA, for
 * tests and the benchmark (build/miltc, build/loadgen).
 *
 * Speaks protocol version 6 the way Postfix does: offers every action and
 * every protocol flag, then honours what the filter asked for -- steps it
 * asked to skip (SMFIP_NO*) are not sent, steps it asked not to answer
 * (SMFIP_NR_*) are not waited for, its macro lists (SETSYMLIST) filter the
 * macros sent, SMFIR_SKIP after a body chunk stops the body.
 *
 * Macros (SMFIC_MACRO, written together with the command they precede):
 * connect: j {daemon_name} v; mail: i {auth_type} {auth_authen} (when
 * authenticated) {mail_addr}; rcpt: i {rcpt_addr}; data, each header, eoh,
 * each body chunk, eom: i. Body chunks are MILTC_CHUNK_MAX bytes (or
 * env->chunk) cut at fixed offsets, not at line ends, as Postfix does.
 *
 * Header fields go to the filter as Postfix sends them: the name, and the
 * value after the colon with continuation lines joined by a bare "\n"
 * (Postfix keeps header lines without CR internally); without
 * SMFIP_HDR_LEADSPC one leading space (not tab) is removed. Header values
 * coming back (insert/add/change) are written "Name: value" without
 * HDR_LEADSPC and "Name:value" with it, "\n" turned back into CRLF -- as
 * Postfix's cleanup does.
 *
 * Ownership: a struct miltc_msg owns its header strings and body; a struct
 * miltc_result owns its modifications and reply text (miltc_result_free).
 * A struct miltc_conn is one socket: one thread at a time.
 *
 * Strictness: a modification whose action was not negotiated, a reply
 * that does not fit the step, or a malformed packet is a protocol error
 * (the test fails), where Postfix would log and carry on.
 *
 * Limits: every read, write and connect waits at most timeout_ms (a
 * blocking socket with SO_RCVTIMEO/SO_SNDTIMEO); reply packets over
 * MILTC_MAX_PACKET are refused; at most MILTC_MAX_MODS modifications per
 * message; message files up to MILTC_MAX_MSG bytes.
 */
#ifndef SG_MILTC_H
#define SG_MILTC_H

#include <stddef.h>

#include "common/buf.h"
#include "common/status.h"

#define MILTC_MAX_PACKET	(1024u * 1024)	/* a reply packet, as libmilter's largest MDS */
#define MILTC_CHUNK_MAX		65535u		/* MILTER_CHUNK_SIZE, the protocol's body chunk */
#define MILTC_TIMEOUT_MS	30000		/* default wait for one read or write */
#define MILTC_MAX_MODS		10000u		/* modifications collected at EOM */
#define MILTC_MAX_RCPTS		1000u		/* recipients of one message */
#define MILTC_MAX_HDRS		10000u		/* header fields parsed from a message file */
#define MILTC_MAX_MSG		(512u * 1024 * 1024)	/* message file; the 100 MB body test fits */

/* One header field of a parsed message. value is everything after the
 * colon, continuation lines joined with CRLF, without the final CRLF. */
struct miltc_hdr {
	char *name;
	char *value;
};

/* A message split into header fields and a body with CRLF line ends. */
struct miltc_msg {
	struct miltc_hdr *hdrs;
	size_t nhdrs;
	char *body;
	size_t body_len;
};

/* The envelope and connection facts the MTA tells the filter. */
struct miltc_env {
	const char *client_ip;		/* "192.0.2.1" or "2001:db8::1"; NULL: family 'U' */
	const char *client_name;	/* NULL: "[client_ip]" */
	unsigned short client_port;
	const char *helo;
	const char *mail_from;		/* without <>; "" is the null sender */
	const char *const *rcpts;	/* without <> */
	size_t nrcpts;
	const char *auth_authen;	/* NULL: not authenticated */
	const char *daemon_name;	/* {daemon_name} */
	const char *mta_name;		/* j */
	const char *queue_id;		/* i */
	size_t chunk;			/* body chunk size 1..MILTC_CHUNK_MAX; 0 = max */
};

enum miltc_verdict {
	MILTC_NONE = 0,		/* no verdict reached (error) */
	MILTC_ACCEPT,
	MILTC_CONTINUE,
	MILTC_REJECT,		/* 'r', or 'y' with a 5xx code */
	MILTC_TEMPFAIL,		/* 't', 'y' with 4xx, shutdown '4', conn fail 'f' */
	MILTC_DISCARD,
};

enum miltc_mod_kind {
	MILTC_MOD_INSHEADER,	/* index, name, value */
	MILTC_MOD_ADDHEADER,	/* name, value */
	MILTC_MOD_CHGHEADER,	/* index, name, value ("" deletes) */
	MILTC_MOD_QUARANTINE,	/* value = reason */
	MILTC_MOD_REPLBODY,	/* value = body chunk */
	MILTC_MOD_ADDRCPT,	/* value = recipient (name = ESMTP args for '2') */
	MILTC_MOD_DELRCPT,	/* value = recipient */
	MILTC_MOD_CHGFROM,	/* value = sender (name = ESMTP args) */
};

struct miltc_mod {
	enum miltc_mod_kind kind;
	unsigned long index;
	char *name;		/* NULL when the kind has none */
	char *value;		/* NUL-terminated; value_len excludes the NUL */
	size_t value_len;
};

struct miltc_result {
	enum miltc_verdict verdict;
	const char *stage;	/* step that decided: "connect" ... "eom" (static) */
	char *reply;		/* SMTP reply from 'y' ("550 5.7.1 ..."), or NULL */
	struct miltc_mod *mods;
	size_t nmods;
	int body_skipped;	/* the filter answered a chunk with SMFIR_SKIP */
	size_t body_sent;	/* body bytes sent */
	unsigned long version, actions, proto;	/* as negotiated */
};

struct miltc_conn;	/* opaque: one socket to one filter */

/* Fill env with defaults (client 127.0.0.1, sender/recipient at
 * example.com, full chunks); strings are static. */
void miltc_env_default(struct miltc_env *env);

/* Parse message text (CRLF or LF line ends). A line that is neither a
 * header field nor a continuation ends the header block (as in Postfix).
 * Blanks between a field name and its colon are dropped (Postfix drops
 * them in what it sends the filter too). The body gets CRLF line ends, a
 * missing final one added. */
enum sg_status miltc_msg_parse(const char *text, size_t len,
                               struct miltc_msg *out, const char **why);
/* Read a file and parse it as above. */
enum sg_status miltc_msg_load(const char *path, struct miltc_msg *out,
                              const char **why);
/* Release a parsed message; it is zeroed and may be freed again. */
void miltc_msg_free(struct miltc_msg *m);

/* Connect to "inet:PORT@HOST", "inet6:PORT@HOST" or "unix:/path" ("local:"
 * or a bare absolute path too); TCP_NODELAY on inet sockets. timeout_ms <= 0
 * means MILTC_TIMEOUT_MS, and bounds the connect and every later wait. */
enum sg_status miltc_open(const char *spec, int timeout_ms,
                          struct miltc_conn **out, const char **why);
/* Option negotiation: offer version 6, all actions, all protocol flags.
 * Fails on a reply that asks for what was not offered. */
enum sg_status miltc_negotiate(struct miltc_conn *c, const char **why);
/* One message: connect, helo, mail, rcpt, data, headers, eoh, body, eom.
 * SG_OK means a verdict was reached (in res, which the caller frees with
 * miltc_result_free even on failure); anything else is a protocol or I/O
 * error and the connection is unusable. Call once per connection. */
enum sg_status miltc_message(struct miltc_conn *c, const struct miltc_env *env,
                             const struct miltc_msg *msg,
                             struct miltc_result *res, const char **why);
/* Send QUIT (best effort), close, free *cp and set it NULL; NULL is fine. */
void miltc_close(struct miltc_conn **cp);

/* miltc_open + miltc_negotiate + miltc_message + miltc_close. */
enum sg_status miltc_session(const char *spec, int timeout_ms,
                             const struct miltc_env *env,
                             const struct miltc_msg *msg,
                             struct miltc_result *res, const char **why);

/* Release what a result holds; it is zeroed afterwards. */
void miltc_result_free(struct miltc_result *res);

/* Lower-case verdict name: "accept", "reject", ... */
const char *miltc_verdict_str(enum miltc_verdict v);
/* Protocol letter name of a modification: "insheader", "chgheader", ... */
const char *miltc_mod_str(enum miltc_mod_kind k);

/* Count header insertions/additions named name (case-insensitive). */
size_t miltc_result_added(const struct miltc_result *res, const char *name);

/* Apply the header and body modifications in res to msg, in the order the
 * filter sent them, and append the resulting message (CRLF) to out:
 * insert at index among the current fields (0 = top, past the end =
 * bottom), add at the bottom, change/delete the index-th (1-based) field of
 * that name, adding it when absent and the value is not empty (as Postfix
 * and Sendmail do); replacement body chunks replace the body. */
enum sg_status miltc_apply(const struct miltc_msg *msg,
                           const struct miltc_result *res,
                           struct buf *out, const char **why);

#endif
