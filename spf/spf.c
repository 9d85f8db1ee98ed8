/*
 * spf/spf.c -- see spf.h: the entry points, the identities (RFC 7208
 * sections 2.3, 2.4, 4.3) and client addresses. The evaluation itself is
 * spf/eval.c; the Received-SPF field is spf/received.c.
 */
#include "spf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "eval.h"

static const char *const result_names[] = {
	[SPF_NONE] = "none",		[SPF_NEUTRAL] = "neutral",
	[SPF_PASS] = "pass",		[SPF_FAIL] = "fail",
	[SPF_SOFTFAIL] = "softfail",	[SPF_TEMPERROR] = "temperror",
	[SPF_PERMERROR] = "permerror",
};

const char *spf_result_name(enum spf_result r)
{
	if ((unsigned)r < sizeof result_names / sizeof result_names[0])
		return result_names[r];
	return "unknown";
}

void spf_opts_default(struct spf_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_ms = SPF_MAX_EVAL_MS;
}

static void from_v6(const unsigned char *a, struct spf_ip *out)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, sizeof *out);
	if (memcmp(a, mapped, sizeof mapped) == 0) {
		out->family = AF_INET;
		memcpy(out->addr, a + 12, 4);
	} else {
		out->family = AF_INET6;
		memcpy(out->addr, a, 16);
	}
}

bool spf_ip_parse(const char *text, struct spf_ip *out)
{
	unsigned char a[16];

	if (text == NULL)
		return false;
	if (inet_pton(AF_INET, text, a) == 1) {
		memset(out, 0, sizeof *out);
		out->family = AF_INET;
		memcpy(out->addr, a, 4);
		return true;
	}
	if (inet_pton(AF_INET6, text, a) == 1) {
		from_v6(a, out);
		return true;
	}
	return false;
}

bool spf_ip_from_sockaddr(const struct sockaddr *sa, struct spf_ip *out)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		memset(out, 0, sizeof *out);
		out->family = AF_INET;
		memcpy(out->addr, &s4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		from_v6(s6->sin6_addr.s6_addr, out);
		return true;
	}
	return false;
}

const char *spf_ip_text(const struct spf_ip *ip, char buf[46])
{
	if (inet_ntop(ip->family == AF_INET ? AF_INET : AF_INET6, ip->addr, buf, 46) == NULL)
		snprintf(buf, 46, "unknown");
	return buf;
}

static void none_verdict(struct spf_verdict *v, enum spf_identity id,
			 const char *domain, const char *reason)
{
	memset(v, 0, sizeof *v);
	v->result = SPF_NONE;
	v->identity = id;
	snprintf(v->domain, sizeof v->domain, "%s", domain);
	snprintf(v->reason, sizeof v->reason, "%s", reason);
}

/* check_host() with sender split into local-part and domain (4.3). */
static enum sg_status run(const struct spf_opts *o, const struct spf_ip *ip,
			  const char *domain, const char *sender, const char *helo,
			  enum spf_identity id, struct spf_verdict *out,
			  const char **why)
{
	char s[SG_MAX_LOCALPART + SG_MAX_DOMAIN + 2];
	char local[SG_MAX_LOCALPART + 1];
	const char *at = sender != NULL ? strrchr(sender, '@') : NULL;
	const char *odom = at != NULL ? at + 1 : domain;
	size_t llen = at != NULL ? (size_t)(at - sender) : 0;
	struct spf_eval ev;
	enum spf_result res;

	if (llen > SG_MAX_LOCALPART || strlen(odom) > SG_MAX_DOMAIN ||
	    strlen(domain) > SG_MAX_DOMAIN) {
		none_verdict(out, id, "", "sender address too long to check");
		return SG_OK;
	}
	if (llen == 0)
		snprintf(local, sizeof local, "postmaster");
	else
		snprintf(local, sizeof local, "%.*s", (int)llen, sender);
	snprintf(s, sizeof s, "%s@%s", local, odom);
	spf_eval_init(&ev, o, ip, s, local, odom, helo, out);
	res = spf_eval_run(&ev, domain);
	spf_eval_done(&ev);
	out->result = res;
	out->identity = id;
	snprintf(out->domain, sizeof out->domain, "%s", domain);
	if (ev.oom) {
		*why = "out of memory";
		return SG_E_NOMEM;
	}
	return SG_OK;
}

enum sg_status spf_check_host(const struct spf_opts *o, const struct spf_ip *ip,
			      const char *domain, const char *sender,
			      const char *helo, struct spf_verdict *out,
			      const char **why)
{
	return run(o, ip, domain != NULL ? domain : "", sender, helo,
		   SPF_ID_MAILFROM, out, why);
}

enum sg_status spf_check_helo(const struct spf_opts *o, const struct spf_ip *ip,
			      const char *helo, struct spf_verdict *out,
			      const char **why)
{
	if (helo == NULL || helo[0] == '\0') {
		none_verdict(out, SPF_ID_HELO, "", "no HELO name");
		return SG_OK;
	}
	return run(o, ip, helo, NULL, helo, SPF_ID_HELO, out, why);
}

bool spf_mailfrom_path(const char *mf, char *buf, size_t size)
{
	size_t len;

	if (mf == NULL)
		return false;
	while (*mf == ' ' || *mf == '\t')
		mf++;
	len = strlen(mf);
	while (len > 0 && (mf[len - 1] == ' ' || mf[len - 1] == '\t'))
		len--;
	if (len >= 2 && mf[0] == '<' && mf[len - 1] == '>') {
		mf++;
		len -= 2;
	}
	if (len == 0 || len >= size)
		return len >= size;
	memcpy(buf, mf, len);
	buf[len] = '\0';
	return true;
}

enum sg_status spf_check_mailfrom(const struct spf_opts *o, const struct spf_ip *ip,
				  const char *helo, const char *mailfrom,
				  struct spf_verdict *out, const char **why)
{
	char path[SG_MAX_LOCALPART + SG_MAX_DOMAIN + 2] = "";
	const char *at;
	enum sg_status st;

	if (!spf_mailfrom_path(mailfrom, path, sizeof path)) {	/* null: 2.4 */
		st = spf_check_helo(o, ip, helo, out, why);
		out->identity = SPF_ID_MAILFROM;
		return st;
	}
	if (path[0] == '\0') {
		none_verdict(out, SPF_ID_MAILFROM, "", "MAIL FROM address too long to check");
		return SG_OK;
	}
	if ((at = strrchr(path, '@')) == NULL) {
		none_verdict(out, SPF_ID_MAILFROM, "", "MAIL FROM has no domain");
		return SG_OK;
	}
	return run(o, ip, at + 1, path, helo, SPF_ID_MAILFROM, out, why);
}

enum sg_status spf_check_smtp(const struct spf_opts *o, const struct spf_ip *ip,
			      const char *helo, const char *mailfrom,
			      struct spf_smtp_verdicts *out, const char **why)
{
	char path[SG_MAX_LOCALPART + SG_MAX_DOMAIN + 2];
	enum sg_status st;

	if ((st = spf_check_helo(o, ip, helo, &out->helo, why)) != SG_OK)
		return st;
	if (!spf_mailfrom_path(mailfrom, path, sizeof path)) {
		out->mailfrom = out->helo;	/* postmaster@HELO: the same check */
		out->mailfrom.identity = SPF_ID_MAILFROM;
		return SG_OK;
	}
	return spf_check_mailfrom(o, ip, helo, mailfrom, &out->mailfrom, why);
}
