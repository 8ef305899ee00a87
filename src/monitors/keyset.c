/* keyset.c - distinct row keys over a run, as 64-bit hashes (FNV-1a): a collision among the
 * 2^17 keys it keeps at most has odds of about 2^-30. */
#include "monitors/keyset.h"

#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

uint64_t keyset_hash(const struct column *cols, size_t ncols, const struct cell *cells,
		     uint64_t mask, uint32_t who)
{
	uint64_t h = fnv(FNV_OFFSET, &who, sizeof(who));

	for (size_t i = 0; i < ncols && i < 64; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		if (cols[i].type == COL_STR)
			/* with its NUL: "ab","c" and "a","bc" differ */
			h = fnv(h, cells[i].s ? cells[i].s : "",
				cells[i].s ? strlen(cells[i].s) + 1 : 1);
		else
			h = fnv(h, &cells[i].u, sizeof(cells[i].u));
	}
	return h ? h : 1;
}

static void keyset_put(uint64_t *slots, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (slots[i] && slots[i] != h)
		i = (i + 1) & (cap - 1);
	slots[i] = h;
}

static bool keyset_has(const struct keyset *k, uint64_t h)
{
	size_t i = (size_t)h & (k->cap - 1);

	while (k->slots[i]) {
		if (k->slots[i] == h)
			return true;
		i = (i + 1) & (k->cap - 1);
	}
	return false;
}

/* Twice the room, at most half full after. */
static bool keyset_grow(struct keyset *k)
{
	size_t cap = k->cap ? k->cap * 2 : 256;
	uint64_t *s = calloc(cap, sizeof(*s));

	if (!s)
		return false;
	for (size_t i = 0; i < k->cap; i++)
		if (k->slots[i])
			keyset_put(s, cap, k->slots[i]);
	free(k->slots);
	k->slots = s;
	k->cap = cap;
	return true;
}

void keyset_add(struct keyset *k, uint64_t hash)
{
	if (!hash)
		hash = 1;
	if (k->cap && keyset_has(k, hash))
		return;
	if (k->full)
		return;
	if (k->n >= KEYSET_MAX || ((k->n + 1) * 2 > k->cap && !keyset_grow(k))) {
		k->full = true;
		return;
	}
	keyset_put(k->slots, k->cap, hash);
	k->n++;
}

void keyset_free(struct keyset *k)
{
	free(k->slots);
	memset(k, 0, sizeof(*k));
}
