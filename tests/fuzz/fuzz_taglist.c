/*
 * tests/fuzz/fuzz_taglist.c -- libFuzzer harness for common/taglist.c.
 * Input: the first byte picks the flags (TAGLIST_NOCASE, TAGLIST_UTF8),
 * the rest is a tag-list. A list that parses must hold what the grammar
 * allows: names ALPHA *(ALNUM / "_"), no duplicates, values and raw
 * spans inside the input without FWS at their ends, every tag found by
 * taglist_get(), and the split of every value staying inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/taglist.h"

static int is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void check_tag(const struct taglist *tl, const struct taglist_tag *t,
		      const char *in, size_t n)
{
	char name[256];

	if (t->name < in || t->name + t->name_len > in + n || t->name_len == 0 ||
	    t->value < in || t->value + t->value_len > in + n ||
	    t->raw < in || t->raw + t->raw_len > in + n ||
	    t->value < t->raw || t->value + t->value_len > t->raw + t->raw_len)
		abort();
	if (!((t->name[0] >= 'a' && t->name[0] <= 'z') ||
	      (t->name[0] >= 'A' && t->name[0] <= 'Z')))
		abort();
	for (size_t i = 0; i < t->value_len; i++)
		if (t->value[i] == ';' || t->value[i] == '\0')
			abort();
	if (t->value_len > 0 &&
	    (is_fws(t->value[0]) || is_fws(t->value[t->value_len - 1])))
		abort();
	if (t->name_len < sizeof name) {
		memcpy(name, t->name, t->name_len);
		name[t->name_len] = '\0';
		if (taglist_get(tl, name) != t)
			abort();
	}
}

static void check_split(const struct taglist_tag *t, char sep)
{
	const char *item;
	size_t pos = 0, n, count = 0;

	while (taglist_split(t->value, t->value_len, sep, &pos, &item, &n)) {
		if (item < t->value || item + n > t->value + t->value_len ||
		    (n > 0 && (is_fws(item[0]) || is_fws(item[n - 1]))))
			abort();
		if (++count > t->value_len + 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taglist tl;
	const char *why = NULL, *in;
	unsigned flags;
	size_t n;

	if (size < 1)
		return 0;
	flags = data[0] & (TAGLIST_NOCASE | TAGLIST_UTF8);
	in = (const char *)data + 1;
	n = size - 1;
	if (taglist_parse(&tl, in, n, flags, &why) != SG_OK) {
		if (why == NULL || tl.n != 0)
			abort();
		return 0;
	}
	if (tl.n == 0 || tl.n > TAGLIST_MAX_TAGS)
		abort();
	for (size_t i = 0; i < tl.n; i++) {
		check_tag(&tl, &tl.tag[i], in, n);
		check_split(&tl.tag[i], ':');
		for (size_t j = 0; j < i; j++)
			if (tl.tag[i].name_len == tl.tag[j].name_len &&
			    ((flags & TAGLIST_NOCASE) ?
			     strncasecmp(tl.tag[i].name, tl.tag[j].name,
					 tl.tag[i].name_len) :
			     memcmp(tl.tag[i].name, tl.tag[j].name,
				    tl.tag[i].name_len)) == 0)
				abort();
	}
	return 0;
}
