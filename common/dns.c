/*
 * common/dns.c -- see dns.h.
 *
 * Threads and locks: r->mu guards the entry table, the LRU list, the send
 * queue, the stats, r->refs and every entry's refs, answer and links.
 * The resolver thread alone touches the c-ares channel, the socket list
 * and the in-flight list (sorted by deadline: every lookup gets the same
 * time budget); it never calls c-ares with r->mu held, because c-ares
 * callbacks take it. Answers are refcounted with atomics.
 *
 * An entry is one (name, type): pending while its query is in flight
 * (waiters sleep on its condition variable), then cached until its TTL
 * runs out or the LRU evicts it. References: the table, each query that
 * joined it, the resolver thread from queueing until the c-ares callback.
 */
#include "dns.h"
#include "dns_answer.h"

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* RFC 1035 2.3.4: 63 octets per label. */
#define DNS_MAX_LABEL		63u
/* Servers in the configuration. */
#define DNS_MAX_SERVERS		32u
/* Hash buckets: cache_entries rounded up, within these bounds. */
#define DNS_MIN_BUCKETS		1024u
#define DNS_MAX_BUCKETS		(1u << 20)
/* Past its own budget a waiter gives up after this much more. */
#define DNS_WAIT_SLACK_MS	1000u

#define DNS_CLASS_IN		1

struct entry {
	struct entry *hnext;		/* hash chain */
	struct entry *lprev, *lnext;	/* LRU list, while cached */
	struct entry *qnext;		/* send queue */
	struct entry *fprev, *fnext;	/* in flight (resolver thread) */
	struct dns_resolver *r;
	const struct dns_answer *ans;	/* NULL while pending */
	pthread_cond_t cond;		/* broadcast when ans is set */
	uint64_t expires;		/* cached: monotonic ms */
	uint64_t deadline;		/* in flight: monotonic ms */
	unsigned hash;
	int refs;
	bool in_table, cached, in_flight;
	enum dns_type type;
	char name[];			/* lower case, no trailing dot */
};

struct sock {
	int fd;
	bool rd, wr;
};

struct dns_resolver {
	pthread_mutex_t mu;
	pthread_condattr_t cattr;	/* CLOCK_MONOTONIC */
	int refs;			/* the owner's + one per live query */
	bool stopping;
	struct entry **tab;
	size_t nbuckets;
	struct entry *lru_head, *lru_tail;
	unsigned n_cached, cap;
	struct entry *sendq, *sendq_tail;
	struct dns_stats st;
	unsigned max_ttl, neg_ttl;
	uint64_t budget_ms;		/* timeout_ms * tries */
	int evfd;			/* wakes the resolver thread */
	pthread_t thread;
	/* resolver thread only */
	ares_channel ch;
	bool ch_live;
	struct sock *socks;
	size_t nsocks, socks_alloc;
	struct pollfd *pfd;
	size_t pfd_alloc;
	struct entry *fl_head, *fl_tail;
};

struct dns_query {
	struct dns_resolver *r;
	struct entry *e;		/* joined or started; NULL if answered */
	const struct dns_answer *ans;	/* answered at start */
	enum dns_type type;
	uint64_t t0;
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_rc = -1;

static void ares_once_init(void)
{
	ares_init_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the table, the LRU, completion (r->mu held) ---------------------- */

static unsigned name_hash(const char *name, enum dns_type t)
{
	unsigned h = 2166136261u ^ (unsigned)t;		/* FNV-1a */

	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static void entry_unref(struct entry *e)
{
	if (--e->refs > 0)
		return;
	dns_answer_release(&e->ans);
	pthread_cond_destroy(&e->cond);
	free(e);
}

static void lru_unlink(struct dns_resolver *r, struct entry *e)
{
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else
		r->lru_head = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	else
		r->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_push(struct dns_resolver *r, struct entry *e)
{
	e->lprev = NULL;
	e->lnext = r->lru_head;
	if (r->lru_head != NULL)
		r->lru_head->lprev = e;
	else
		r->lru_tail = e;
	r->lru_head = e;
}

/* Take e out of the table (and the LRU); drops the table's reference. */
static void table_remove(struct dns_resolver *r, struct entry *e)
{
	struct entry **pp = &r->tab[e->hash & (r->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	e->in_table = false;
	if (e->cached) {
		lru_unlink(r, e);
		e->cached = false;
		r->n_cached--;
	}
	entry_unref(e);
}

static struct entry *table_find(struct dns_resolver *r, const char *key,
				enum dns_type t, unsigned h)
{
	struct entry *e = r->tab[h & (r->nbuckets - 1)];

	while (e != NULL && (e->hash != h || e->type != t || strcmp(e->name, key) != 0))
		e = e->hnext;
	return e;
}

/* Give e its answer (the first one wins; takes a's reference), wake the
 * waiters, then cache it for ttl seconds or drop it from the table. */
static void complete(struct dns_resolver *r, struct entry *e,
		     const struct dns_answer *a, uint32_t ttl)
{
	if (e->ans != NULL) {
		dns_answer_release(&a);
		return;
	}
	e->ans = a;
	pthread_cond_broadcast(&e->cond);
	if (!e->in_table)
		return;
	if (ttl == 0 || r->cap == 0 || r->stopping) {
		table_remove(r, e);
		return;
	}
	e->expires = now_ms() + (uint64_t)ttl * 1000;
	e->cached = true;
	lru_push(r, e);
	if (++r->n_cached > r->cap)
		table_remove(r, r->lru_tail);
}

/* ---- the resolver thread ---------------------------------------------- */

static void wake(struct dns_resolver *r)
{
	uint64_t one = 1;
	ssize_t n = write(r->evfd, &one, sizeof one);

	(void)n;	/* EAGAIN: the counter is non-zero, it wakes anyway */
}

/* c-ares tells which sockets to watch (ARES_OPT_SOCK_STATE_CB). */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver *r = data;
	size_t i;

	for (i = 0; i < r->nsocks && r->socks[i].fd != fd; i++)
		;
	if (!readable && !writable) {
		if (i < r->nsocks)
			r->socks[i] = r->socks[--r->nsocks];
		return;
	}
	if (i == r->nsocks) {
		if (r->nsocks == r->socks_alloc) {
			size_t n = r->socks_alloc ? r->socks_alloc * 2 : 8;
			struct sock *s = realloc(r->socks, n * sizeof *s);

			if (s == NULL)
				return;		/* its query times out */
			r->socks = s;
			r->socks_alloc = n;
		}
		r->nsocks++;
	}
	r->socks[i] = (struct sock){ fd, readable != 0, writable != 0 };
}

static void flight_unlink(struct dns_resolver *r, struct entry *e)
{
	if (e->fprev != NULL)
		e->fprev->fnext = e->fnext;
	else
		r->fl_head = e->fnext;
	if (e->fnext != NULL)
		e->fnext->fprev = e->fprev;
	else
		r->fl_tail = e->fprev;
	e->fprev = e->fnext = NULL;
	e->in_flight = false;
}

static const struct dns_answer *answer_from_status(enum dns_type t, int status)
{
	switch (status) {
	case ARES_ETIMEOUT:	 return dns_answer_fail(t, DNS_TEMPFAIL, "timeout");
	case ARES_ESERVFAIL:	 return dns_answer_fail(t, DNS_TEMPFAIL, "SERVFAIL");
	/* c-ares 1.18 ends a query whose every try got SERVFAIL, REFUSED or
	 * NOTIMP (it tries the other servers on those) with ECONNREFUSED. */
	case ARES_ECONNREFUSED:	 return dns_answer_fail(t, DNS_TEMPFAIL,
							"server failure or connection refused");
	case ARES_ENOMEM:	 return dns_answer_fail(t, DNS_TEMPFAIL, "out of memory");
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:	 return dns_answer_fail(t, DNS_TEMPFAIL, "resolver stopped");
	case ARES_ENOTFOUND:	 return dns_answer_fail(t, DNS_NXDOMAIN, NULL);
	case ARES_ENODATA:	 return dns_answer_fail(t, DNS_NODATA, NULL);
	case ARES_EREFUSED:	 return dns_answer_fail(t, DNS_PERMFAIL, "REFUSED");
	case ARES_EFORMERR:	 return dns_answer_fail(t, DNS_PERMFAIL, "FORMERR");
	case ARES_ENOTIMP:	 return dns_answer_fail(t, DNS_PERMFAIL, "NOTIMP");
	case ARES_EBADRESP:	 return dns_answer_fail(t, DNS_PERMFAIL, "malformed answer");
	case ARES_EBADNAME:	 return dns_answer_fail(t, DNS_PERMFAIL, "bad query name");
	}
	return dns_answer_fail(t, DNS_TEMPFAIL, "network error");
}

/* The c-ares callback, always on the resolver thread. */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
		      int alen)
{
	struct entry *e = arg;
	struct dns_resolver *r = e->r;
	const struct dns_answer *a = NULL;
	uint32_t ttl = 0;

	if (e->in_flight) {		/* else its deadline answered it */
		flight_unlink(r, e);
		if ((status == ARES_SUCCESS || status == ARES_ENODATA ||
		     status == ARES_ENOTFOUND) && abuf != NULL && alen > 0) {
			a = dns_answer_from_wire(abuf, (size_t)alen, e->name, e->type,
						 r->max_ttl, r->neg_ttl, &ttl);
		} else {
			a = answer_from_status(e->type, status);
			if (a->result == DNS_NXDOMAIN || a->result == DNS_NODATA)
				ttl = r->neg_ttl;
		}
	}
	pthread_mutex_lock(&r->mu);
	if (a != NULL)
		complete(r, e, a, a->result <= DNS_NXDOMAIN ? ttl : 0);
	entry_unref(e);			/* the resolver's reference */
	pthread_mutex_unlock(&r->mu);
}

/* The name for ares_query: a backslash is c-ares' escape, so double it. */
static void send_one(struct dns_resolver *r, struct entry *e)
{
	char qname[2 * DNS_MAX_NAME + 1];
	size_t n = 0;

	for (const char *p = e->name; *p != '\0'; p++) {
		if (*p == '\\')
			qname[n++] = '\\';
		qname[n++] = *p;
	}
	qname[n] = '\0';
	e->deadline = now_ms() + r->budget_ms;
	e->in_flight = true;
	e->fprev = r->fl_tail;
	e->fnext = NULL;
	if (r->fl_tail != NULL)
		r->fl_tail->fnext = e;
	else
		r->fl_head = e;
	r->fl_tail = e;
	ares_query(r->ch, qname, DNS_CLASS_IN, (int)e->type, on_answer, e);
}

/* Lookups past their budget fail now; c-ares may still be retrying them
 * (its exponential backoff outlasts the budget), which is harmless. */
static void expire_flights(struct dns_resolver *r)
{
	uint64_t now = now_ms();

	while (r->fl_head != NULL && r->fl_head->deadline <= now) {
		struct entry *e = r->fl_head;
		const struct dns_answer *a = dns_answer_fail(e->type, DNS_TEMPFAIL,
							 "timeout");

		flight_unlink(r, e);
		pthread_mutex_lock(&r->mu);
		complete(r, e, a, 0);
		pthread_mutex_unlock(&r->mu);
	}
}

/* One round: poll the wake-up fd and c-ares' sockets, then let c-ares
 * read, write and time out whatever is due. */
static void poll_once(struct dns_resolver *r)
{
	struct timeval tv, *tvp;
	size_t n = 1 + r->nsocks;
	int ms = -1;
	bool any = false;

	if (n > r->pfd_alloc) {
		struct pollfd *p = realloc(r->pfd, n * 2 * sizeof *p);

		if (p == NULL)
			n = r->pfd_alloc;	/* watch fewer; they time out */
		else {
			r->pfd = p;
			r->pfd_alloc = n * 2;
		}
	}
	r->pfd[0] = (struct pollfd){ .fd = r->evfd, .events = POLLIN };
	for (size_t i = 1; i < n; i++)
		r->pfd[i] = (struct pollfd){
			.fd = r->socks[i - 1].fd,
			.events = (short)((r->socks[i - 1].rd ? POLLIN : 0) |
					  (r->socks[i - 1].wr ? POLLOUT : 0)),
		};
	if ((tvp = ares_timeout(r->ch, NULL, &tv)) != NULL)
		ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
	if (r->fl_head != NULL) {
		uint64_t now = now_ms(), d = r->fl_head->deadline;
		int left = d > now ? (int)(d - now) : 0;

		if (ms < 0 || left < ms)
			ms = left;
	}
	if (poll(r->pfd, n, ms) < 0)
		return;
	if (r->pfd[0].revents != 0) {
		uint64_t v;
		ssize_t got = read(r->evfd, &v, sizeof v);

		(void)got;		/* only to reset the counter */
	}
	for (size_t i = 1; i < n; i++) {
		short ev = r->pfd[i].revents;

		if (ev == 0)
			continue;
		any = true;
		ares_process_fd(r->ch,
				ev & (POLLIN | POLLERR | POLLHUP) ? r->pfd[i].fd : ARES_SOCKET_BAD,
				ev & POLLOUT ? r->pfd[i].fd : ARES_SOCKET_BAD);
	}
	if (!any)
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void *resolver_main(void *arg)
{
	struct dns_resolver *r = arg;

	for (;;) {
		struct entry *batch;
		unsigned long long k = 0;

		pthread_mutex_lock(&r->mu);
		if (r->stopping) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		batch = r->sendq;
		r->sendq = r->sendq_tail = NULL;
		for (struct entry *e = batch; e != NULL; e = e->qnext)
			k++;
		r->st.queries_sent += k;
		pthread_mutex_unlock(&r->mu);
		while (batch != NULL) {
			struct entry *e = batch;

			batch = e->qnext;
			e->qnext = NULL;
			send_one(r, e);
		}
		poll_once(r);
		expire_flights(r);
	}
	/* Every query left gets its callback (ARES_EDESTRUCTION) here. */
	ares_destroy(r->ch);
	r->ch_live = false;
	return NULL;
}

/* ---- setup and teardown ----------------------------------------------- */

void dns_opts_default(struct dns_opts *o)
{
	*o = (struct dns_opts){
		.timeout_ms = 3000, .tries = 2, .cache_entries = 10000,
		.max_ttl = 86400, .negative_ttl = 300,
	};
}

/* "ADDR", "ADDR:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 address. */
static bool server_parse(const char *s, struct ares_addr_port_node *n,
			 const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *h = s, *c;
	size_t hlen;
	unsigned long p = 53;

	if (s[0] == '[') {
		if ((c = strchr(s, ']')) == NULL || (c[1] != '\0' && c[1] != ':')) {
			*why = "bad DNS server (want ADDR, ADDR:PORT or [IPV6]:PORT)";
			return false;
		}
		h = s + 1;
		hlen = (size_t)(c - h);
		port = c[1] == ':' ? c + 2 : NULL;
	} else if ((c = strchr(s, ':')) != NULL && strchr(c + 1, ':') == NULL) {
		hlen = (size_t)(c - s);
		port = c + 1;
	} else {
		hlen = strlen(s);
	}
	if (hlen == 0 || hlen >= sizeof host) {
		*why = "bad DNS server address";
		return false;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &n->addr.addr4) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, host, &n->addr.addr6) == 1)
		n->family = AF_INET6;
	else {
		*why = "bad DNS server address";
		return false;
	}
	if (port != NULL) {
		size_t len = strlen(port);

		if (len == 0 || len > 5 || strspn(port, "0123456789") != len ||
		    (p = strtoul(port, NULL, 10)) == 0 || p > 65535) {
			*why = "bad DNS server port";
			return false;
		}
	}
	n->udp_port = n->tcp_port = (int)p;
	return true;
}

static void resolver_destroy(struct dns_resolver *r)
{
	pthread_mutex_destroy(&r->mu);
	pthread_condattr_destroy(&r->cattr);
	free(r->tab);
	free(r);
}

/* Undo a partly built resolver (no thread, no entries). */
static void resolver_abort(struct dns_resolver *r)
{
	if (r->ch_live)
		ares_destroy(r->ch);
	if (r->evfd >= 0)
		close(r->evfd);
	free(r->pfd);
	resolver_destroy(r);
}

static bool set_servers(struct dns_resolver *r, const struct dns_opts *o,
			const char **why)
{
	struct ares_addr_port_node *nodes;
	bool ok = true;

	if (o->servers == NULL || o->n_servers == 0)
		return true;
	if (o->n_servers > DNS_MAX_SERVERS) {
		*why = "too many DNS servers";
		return false;
	}
	if ((nodes = calloc(o->n_servers, sizeof *nodes)) == NULL) {
		*why = "out of memory";
		return false;
	}
	for (size_t i = 0; ok && i < o->n_servers; i++) {
		ok = o->servers[i] != NULL && server_parse(o->servers[i], &nodes[i], why);
		if (o->servers[i] == NULL)
			*why = "bad DNS server address";
		nodes[i].next = i + 1 < o->n_servers ? &nodes[i + 1] : NULL;
	}
	if (ok && ares_set_servers_ports(r->ch, nodes) != ARES_SUCCESS) {
		*why = "c-ares refused the DNS servers";
		ok = false;
	}
	free(nodes);
	return ok;
}

struct dns_resolver *dns_resolver_new(const struct dns_opts *o, const char **why)
{
	struct dns_opts d;
	struct ares_options ao;
	struct dns_resolver *r;
	size_t nb = DNS_MIN_BUCKETS;

	dns_opts_default(&d);
	if (o == NULL)
		o = &d;
	pthread_once(&ares_once, ares_once_init);
	if (ares_init_rc != ARES_SUCCESS) {
		*why = "c-ares library init failed";
		return NULL;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	r->evfd = -1;
	r->refs = 1;
	r->cap = o->cache_entries;
	r->max_ttl = o->max_ttl ? o->max_ttl : d.max_ttl;
	r->neg_ttl = o->negative_ttl ? o->negative_ttl : d.negative_ttl;
	memset(&ao, 0, sizeof ao);
	ao.timeout = o->timeout_ms > 0 ? o->timeout_ms : d.timeout_ms;
	ao.tries = o->tries > 0 ? o->tries : d.tries;
	ao.sock_state_cb = sock_state;
	ao.sock_state_cb_data = r;
	r->budget_ms = (uint64_t)ao.timeout * (uint64_t)ao.tries;
	while (nb < r->cap && nb < DNS_MAX_BUCKETS)
		nb *= 2;
	r->nbuckets = nb;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&r->cattr);
	pthread_condattr_setclock(&r->cattr, CLOCK_MONOTONIC);
	*why = "out of memory";
	if ((r->tab = calloc(nb, sizeof *r->tab)) == NULL)
		goto fail;
	if ((r->pfd = calloc(16, sizeof *r->pfd)) == NULL)
		goto fail;
	r->pfd_alloc = 16;
	*why = "cannot make an eventfd";
	if ((r->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto fail;
	*why = "c-ares init failed";
	if (ares_init_options(&r->ch, &ao, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
			      ARES_OPT_SOCK_STATE_CB) != ARES_SUCCESS)
		goto fail;
	r->ch_live = true;
	if (!set_servers(r, o, why))
		goto fail;
	*why = "cannot start the resolver thread";
	if (pthread_create(&r->thread, NULL, resolver_main, r) != 0)
		goto fail;
	*why = NULL;
	return r;
fail:
	resolver_abort(r);
	return NULL;
}

void dns_resolver_free(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;
	bool last;

	if (r == NULL)
		return;
	*rp = NULL;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_mutex_unlock(&r->mu);
	wake(r);
	pthread_join(r->thread, NULL);	/* it destroyed the channel */

	pthread_mutex_lock(&r->mu);
	while (r->sendq != NULL) {	/* queued, never sent */
		struct entry *e = r->sendq;

		r->sendq = e->qnext;
		complete(r, e, dns_answer_fail(e->type, DNS_TEMPFAIL, "resolver stopped"), 0);
		entry_unref(e);
	}
	for (size_t i = 0; i < r->nbuckets; i++)
		while (r->tab[i] != NULL)
			table_remove(r, r->tab[i]);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	close(r->evfd);
	free(r->socks);
	free(r->pfd);
	if (last)
		resolver_destroy(r);	/* else the last dns_query_free does */
}

/* ---- queries ------------------------------------------------------------ */

/* Lower-cased copy of name without its trailing dot; false for a name we
 * will not send (too long, empty label, label over 63). */
static bool name_key(const char *name, char key[DNS_MAX_NAME + 1])
{
	size_t n = strnlen(name, DNS_MAX_NAME + 2), label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > DNS_MAX_LABEL) {
			return false;
		}
		key[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
	}
	if (label == 0)
		return false;		/* "a.b.." */
	key[n] = '\0';
	return true;
}

static bool type_ok(enum dns_type t)
{
	return t == DNS_T_A || t == DNS_T_AAAA || t == DNS_T_MX ||
	       t == DNS_T_PTR || t == DNS_T_TXT;
}

/* A new pending entry, in the table and the send queue (r->mu held). */
static struct entry *entry_start(struct dns_resolver *r, const char *key,
				 enum dns_type t, unsigned h, bool *wake_it)
{
	size_t len = strlen(key);
	struct entry *e = calloc(1, sizeof *e + len + 1);

	if (e == NULL)
		return NULL;
	memcpy(e->name, key, len + 1);
	e->r = r;
	e->type = t;
	e->hash = h;
	e->refs = 2;			/* the table's, the resolver's */
	pthread_cond_init(&e->cond, &r->cattr);
	e->hnext = r->tab[h & (r->nbuckets - 1)];
	r->tab[h & (r->nbuckets - 1)] = e;
	e->in_table = true;
	*wake_it = r->sendq == NULL;
	if (r->sendq_tail != NULL)
		r->sendq_tail->qnext = e;
	else
		r->sendq = e;
	r->sendq_tail = e;
	return e;
}

struct dns_query *dns_query_start(struct dns_resolver *r, const char *name,
				  enum dns_type type)
{
	char key[DNS_MAX_NAME + 1];
	struct dns_query *q = calloc(1, sizeof *q);
	struct entry *e;
	unsigned h;
	bool wake_it = false;

	if (q == NULL)
		return NULL;
	q->r = r;
	q->type = type;
	q->t0 = now_ms();
	if (!type_ok(type))
		q->ans = dns_answer_fail(type, DNS_PERMFAIL, "unsupported query type");
	else if (name == NULL || !name_key(name, key))
		q->ans = dns_answer_fail(type, DNS_PERMFAIL, "bad query name");
	pthread_mutex_lock(&r->mu);
	if (q->ans != NULL)
		goto out;
	h = name_hash(key, type);
	if ((e = table_find(r, key, type, h)) != NULL && e->cached) {
		if (q->t0 < e->expires) {
			q->ans = dns_answer_ref(e->ans);
			lru_unlink(r, e);
			lru_push(r, e);
			r->st.cache_hits++;
			goto out;
		}
		table_remove(r, e);	/* expired */
		e = NULL;
	}
	if (e != NULL) {
		r->st.joined++;
	} else if (r->stopping ||
		   (e = entry_start(r, key, type, h, &wake_it)) == NULL) {
		pthread_mutex_unlock(&r->mu);
		free(q);
		return NULL;
	}
	e->refs++;
	q->e = e;
out:
	r->refs++;
	pthread_mutex_unlock(&r->mu);
	if (wake_it)
		wake(r);
	return q;
}

const struct dns_answer *dns_query_wait(struct dns_query *q)
{
	struct dns_resolver *r = q->r;
	const struct dns_answer *a;
	uint64_t dl = q->t0 + r->budget_ms + DNS_WAIT_SLACK_MS;
	struct timespec ts = { .tv_sec = (time_t)(dl / 1000),
			       .tv_nsec = (long)(dl % 1000) * 1000000 };

	if (q->ans != NULL)
		return dns_answer_ref(q->ans);
	pthread_mutex_lock(&r->mu);
	for (int rc = 0; q->e->ans == NULL && rc == 0; )
		rc = pthread_cond_timedwait(&q->e->cond, &r->mu, &ts);
	a = q->e->ans != NULL ? dns_answer_ref(q->e->ans) : NULL;
	pthread_mutex_unlock(&r->mu);
	if (a == NULL)
		a = dns_answer_fail(q->type, DNS_TEMPFAIL, "resolver did not answer");
	return a;
}

void dns_query_free(struct dns_query **qp)
{
	struct dns_query *q = *qp;
	struct dns_resolver *r;
	bool last;

	if (q == NULL)
		return;
	*qp = NULL;
	r = q->r;
	dns_answer_release(&q->ans);
	pthread_mutex_lock(&r->mu);
	if (q->e != NULL)
		entry_unref(q->e);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (last)
		resolver_destroy(r);
	free(q);
}

const struct dns_answer *dns_lookup(struct dns_resolver *r, const char *name,
				    enum dns_type type)
{
	struct dns_query *q = dns_query_start(r, name, type);
	const struct dns_answer *a;

	if (q == NULL)
		return dns_answer_oom(type);
	a = dns_query_wait(q);
	dns_query_free(&q);
	return a;
}

void dns_resolver_stats(struct dns_resolver *r, struct dns_stats *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->st;
	out->entries = r->n_cached;
	pthread_mutex_unlock(&r->mu);
}
