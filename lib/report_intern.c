/*
 * report_intern.c - string interning: an open-addressing hash table
 * (multiplicative word hash, linear probing, load <= 1/2) over an arena
 * of NUL-terminated copies, so each distinct string costs its bytes plus
 * 16 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cilkit_hash.h"
#include "report.h"

#define ARENA_CHUNK	((size_t)64 << 10)

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct report_intern {
	uint32_t *slots;	/* id + 1; 0 empty */
	uint32_t *hashes;	/* per slot */
	size_t nslots;
	const char **strs;	/* id -> string */
	uint32_t *lens;		/* id -> its length */
	size_t n, cap;
	struct chunk *chunks;
	size_t bytes, max_bytes;
};

struct report_intern *
report_intern_new(size_t max_bytes)
{
	struct report_intern *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->max_bytes = max_bytes != 0 ? max_bytes : (size_t)256 << 20;
	in->nslots = 256;
	in->slots = calloc(in->nslots, sizeof(*in->slots));
	in->hashes = calloc(in->nslots, sizeof(*in->hashes));
	if (in->slots == NULL || in->hashes == NULL) {
		report_intern_free(in);
		return NULL;
	}
	return in;
}

void
report_intern_free(struct report_intern *in)
{
	struct chunk *c, *next;

	if (in == NULL)
		return;
	for (c = in->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(in->slots);
	free(in->hashes);
	free(in->strs);
	free(in->lens);
	free(in);
}

static char *
arena_copy(struct report_intern *in, const char *s, size_t len)
{
	struct chunk *c = in->chunks;
	size_t sz;
	char *p;

	if (c == NULL || c->size - c->used < len + 1) {
		sz = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;
		c = malloc(sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = in->chunks;
		in->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static int
grow(struct report_intern *in)
{
	size_t ns = in->nslots * 2, i, j;
	uint32_t *slots, *hashes;

	slots = calloc(ns, sizeof(*slots));
	hashes = calloc(ns, sizeof(*hashes));
	if (slots == NULL || hashes == NULL) {
		free(slots);
		free(hashes);
		return CILKIT_ENOMEM;
	}
	for (i = 0; i < in->nslots; i++) {
		if (in->slots[i] == 0)
			continue;
		j = in->hashes[i] & (ns - 1);
		while (slots[j] != 0)
			j = (j + 1) & (ns - 1);
		slots[j] = in->slots[i];
		hashes[j] = in->hashes[i];
	}
	free(in->slots);
	free(in->hashes);
	in->slots = slots;
	in->hashes = hashes;
	in->nslots = ns;
	return 0;
}

int64_t
report_intern_id(struct report_intern *in, const char *s, size_t len)
{
	const char **strs;
	uint32_t h, *lens;
	size_t i, ncap;
	char *copy;
	const char *cur;

	if (len == (size_t)-1)
		len = strlen(s);
	/* Keep the load at most 1/2, so probing always ends. */
	if ((in->n + 1) * 2 > in->nslots && grow(in) != 0)
		return CILKIT_ENOMEM;
	h = cilkit_hash_bytes(s, len);
	i = h & (in->nslots - 1);
	while (in->slots[i] != 0) {
		if (in->hashes[i] == h &&
		    in->lens[in->slots[i] - 1] == len) {
			cur = in->strs[in->slots[i] - 1];
			if (memcmp(cur, s, len) == 0)
				return in->slots[i] - 1;
		}
		i = (i + 1) & (in->nslots - 1);
	}
	if (in->bytes + len + 1 + 16 > in->max_bytes || in->n >= UINT32_MAX - 1)
		return CILKIT_ETOOBIG;
	if (len > UINT32_MAX)
		return CILKIT_ETOOBIG;
	if (in->n == in->cap) {
		ncap = in->cap == 0 ? 64 : in->cap * 2;
		strs = realloc(in->strs, ncap * sizeof(*strs));
		if (strs == NULL)
			return CILKIT_ENOMEM;
		in->strs = strs;
		lens = realloc(in->lens, ncap * sizeof(*lens));
		if (lens == NULL)
			return CILKIT_ENOMEM;
		in->lens = lens;
		in->cap = ncap;
	}
	copy = arena_copy(in, s, len);
	if (copy == NULL)
		return CILKIT_ENOMEM;
	in->strs[in->n] = copy;
	in->lens[in->n] = (uint32_t)len;
	in->slots[i] = (uint32_t)in->n + 1;
	in->hashes[i] = h;
	in->n++;
	in->bytes += len + 1 + 16;
	return (int64_t)in->n - 1;
}

const char *
report_intern_str(const struct report_intern *in, int64_t id)
{
	if (id < 0 || (size_t)id >= in->n)
		return NULL;
	return in->strs[id];
}

size_t
report_intern_count(const struct report_intern *in)
{
	return in->n;
}
