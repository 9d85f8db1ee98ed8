/*
 * dmarc/psl.c -- the Public Suffix List as an immutable hash table.
 *
 * A rule is stored under its domain part with flags: NORMAL ("a.b"),
 * WILD ("*.a.b" is stored under "a.b"), EXCEPT ("!a.b"). Keys live in
 * one arena; slots hold offsets, so the table is a few flat arrays.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "domain.h"
#include "psl.h"

#define F_NORMAL	0x1
#define F_WILD		0x2
#define F_EXCEPT	0x4

/* Longest name we look up (U-labels take up to 4 octets per character,
 * so allow more than DNS_MAX_NAME); longer names have no suffix. */
#define PSL_MAX_NAME	1024u

struct slot {
	uint32_t hash;
	uint32_t off;			/* key in the arena; 0 = empty slot */
	uint16_t len;
	uint8_t flags;
};

struct dmarc_psl {
	int refs;
	size_t n_rules;			/* rules as written */
	size_t n_keys;			/* slots used */
	size_t mask;			/* slots - 1, a power of two minus one */
	struct slot *slots;
	char *arena;			/* keys, not NUL-terminated; [0] unused */
	size_t arena_len, arena_cap;
	size_t max_labels;		/* of any key, plus one for wildcards */
};

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static struct slot *find(const struct dmarc_psl *p, const char *key, size_t n,
			 uint32_t h)
{
	for (size_t i = h & p->mask;; i = (i + 1) & p->mask) {
		struct slot *s = &p->slots[i];

		if (s->off == 0)
			return s;
		if (s->hash == h && s->len == n && memcmp(p->arena + s->off, key, n) == 0)
			return s;
	}
}

static bool grow_table(struct dmarc_psl *p)
{
	size_t cap = p->slots == NULL ? 1024 : (p->mask + 1) * 2;
	struct slot *old = p->slots, *ns = calloc(cap, sizeof *ns);
	size_t oldcap = old == NULL ? 0 : p->mask + 1;

	if (ns == NULL)
		return false;
	p->slots = ns;
	p->mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].off != 0)
			*find(p, p->arena + old[i].off, old[i].len, old[i].hash) = old[i];
	free(old);
	return true;
}

/* Add flags to key (lower-case already). */
static bool insert(struct dmarc_psl *p, const char *key, size_t n, uint8_t flags)
{
	uint32_t h = fnv1a(key, n);
	struct slot *s;
	size_t labels = 1;

	if ((p->n_keys + 1) * 2 > p->mask + 1 && !grow_table(p))
		return false;
	s = find(p, key, n, h);
	if (s->off == 0) {
		if (p->arena_len + n > p->arena_cap) {
			size_t cap = p->arena_cap * 2 + n + 4096;
			char *a;

			if (cap > UINT32_MAX || (a = realloc(p->arena, cap)) == NULL)
				return false;
			p->arena = a;
			p->arena_cap = cap;
		}
		memcpy(p->arena + p->arena_len, key, n);
		s->off = (uint32_t)p->arena_len;
		s->len = (uint16_t)n;
		s->hash = h;
		p->arena_len += n;
		p->n_keys++;
	}
	s->flags |= flags;
	for (size_t i = 0; i < n; i++)
		labels += key[i] == '.';
	if (flags & F_WILD)
		labels++;
	if (labels > p->max_labels)
		p->max_labels = labels;
	return true;
}

/* One rule as written on a line; silently skips what we do not support
 * (a "*" inside a rule, empty labels). False on OOM. */
static bool add_rule(struct dmarc_psl *p, const char *r, size_t n)
{
	char key[PSL_MAX_NAME], alabel[DNS_MAX_NAME + 1];
	uint8_t flags = F_NORMAL;
	bool ascii = true;
	const char *why;

	if (n > 0 && r[0] == '!')
		flags = F_EXCEPT, r++, n--;
	else if (n > 1 && r[0] == '*' && r[1] == '.')
		flags = F_WILD, r += 2, n -= 2;
	if (n == 0 || n >= sizeof key || memchr(r, '*', n) != NULL ||
	    r[0] == '.' || r[n - 1] == '.' || memmem(r, n, "..", 2) != NULL)
		return true;
	for (size_t i = 0; i < n; i++) {
		key[i] = lower(r[i]);
		if ((unsigned char)r[i] >= 0x80)
			ascii = false;
	}
	if (!insert(p, key, n, flags))
		return false;
	p->n_rules++;
	if (!ascii && dmarc_domain_norm(key, n, alabel, &why) == SG_OK)
		return insert(p, alabel, strlen(alabel), flags);
	return true;
}

struct dmarc_psl *dmarc_psl_from_mem(const char *data, size_t len,
				     unsigned flags, const char **why)
{
	struct dmarc_psl *p = calloc(1, sizeof *p);
	const char *line = data, *end = data + len;

	if (p == NULL || !grow_table(p)) {
		free(p);
		*why = "out of memory";
		return NULL;
	}
	p->refs = 1;
	p->arena_len = 1;			/* offset 0 means empty */
	p->max_labels = 1;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl != NULL ? nl : end, *q;

		while (line < eol && (*line == ' ' || *line == '\t'))
			line++;
		if (eol - line >= 2 && line[0] == '/' && line[1] == '/') {
			static const char private[] = "===BEGIN PRIVATE DOMAINS===";

			if ((flags & DMARC_PSL_ICANN_ONLY) &&
			    memmem(line, (size_t)(eol - line), private, sizeof private - 1) != NULL)
				break;
		} else if (line < eol) {
			for (q = line; q < eol && *q != ' ' && *q != '\t' && *q != '\r'; q++)
				;
			if (p->n_rules >= DMARC_PSL_MAX_RULES) {
				*why = "too many rules in the public suffix list";
				dmarc_psl_free(&p);
				return NULL;
			}
			if (!add_rule(p, line, (size_t)(q - line))) {
				*why = "out of memory";
				dmarc_psl_free(&p);
				return NULL;
			}
		}
		line = eol + 1;
	}
	return p;
}

struct dmarc_psl *dmarc_psl_load(const char *path, unsigned flags,
				 char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	struct dmarc_psl *p = NULL;
	char *data = NULL;
	size_t len = 0, n;
	const char *why;

	if (f == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((data = malloc(DMARC_PSL_MAX_FILE + 1)) == NULL) {
		snprintf(err, errsz, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	while ((n = fread(data + len, 1, DMARC_PSL_MAX_FILE + 1 - len, f)) > 0)
		if ((len += n) > DMARC_PSL_MAX_FILE)
			break;
	if (ferror(f))
		snprintf(err, errsz, "%s: read error", path);
	else if (len > DMARC_PSL_MAX_FILE)
		snprintf(err, errsz, "%s: larger than %u bytes", path, DMARC_PSL_MAX_FILE);
	else if ((p = dmarc_psl_from_mem(data, len, flags, &why)) == NULL)
		snprintf(err, errsz, "%s: %s", path, why);
	else if (p->n_rules == 0) {
		snprintf(err, errsz, "%s: no rules in the file", path);
		dmarc_psl_free(&p);
	}
	fclose(f);
	free(data);
	return p;
}

struct dmarc_psl *dmarc_psl_ref(struct dmarc_psl *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void dmarc_psl_free(struct dmarc_psl **pp)
{
	struct dmarc_psl *p = *pp;

	*pp = NULL;
	if (p == NULL || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(p->slots);
	free(p->arena);
	free(p);
}

size_t dmarc_psl_rules(const struct dmarc_psl *p)
{
	return p->n_rules;
}

static uint8_t flags_of(const struct dmarc_psl *p, const char *key, size_t n)
{
	return find(p, key, n, fnv1a(key, n))->flags;
}

long dmarc_psl_registrable(const struct dmarc_psl *p, const char *name)
{
	char low[PSL_MAX_NAME];
	size_t len = strlen(name), labels = 1, ps = 1, off;

	if (len == 0 || len >= sizeof low || name[0] == '.' || name[len - 1] == '.')
		return -1;
	for (size_t i = 0; i < len; i++) {
		low[i] = lower(name[i]);
		if (name[i] == '.' && (labels++, name[i + 1] == '.'))
			return -1;
	}
	low[len] = '\0';
	/* Suffixes from one label up, as far as any rule reaches. */
	for (size_t k = 1; k <= labels && k <= p->max_labels; k++) {
		uint8_t f;

		off = dmarc_suffix_off(low, k);
		f = flags_of(p, low + off, len - off);
		if (f & F_EXCEPT) {			/* the exception prevails */
			ps = k - 1;
			break;
		}
		if ((f & F_NORMAL) && k > ps)
			ps = k;
		if ((f & F_WILD) && k + 1 > ps && k < labels)
			ps = k + 1;
	}
	if (ps >= labels)
		return -1;
	return (long)dmarc_suffix_off(name, ps + 1);
}

size_t dmarc_psl_orgdomain(const struct dmarc_psl *p, const char *name)
{
	long off = dmarc_psl_registrable(p, name);

	return off < 0 ? 0 : (size_t)off;
}
