/* agg.c - the analyzer's bounded hash table: open addressing over entries carved from an arena,
 * so the bytes a table holds are counted exactly and capped. At the cap the lighter half of the
 * keys is evicted into "(other)", and the report says how much went there. */
#include "analyze/agg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AGG_BLOCK_BYTES (64u << 10)

struct agg_entry {
	uint64_t hash;
	uint32_t keylen;
	uint32_t pad;
	double v[]; /* nvals sums, then the key and its NUL */
};

struct agg_block {
	struct agg_block *next;
	size_t used, size;
	_Alignas(8) unsigned char data[];
};

struct agg_table {
	unsigned nvals, keep_slot;
	uint32_t max_mask;
	size_t max_keys, max_bytes, bytes;
	struct agg_entry **slots; /* nslots, a power of two, at most half full */
	size_t nslots, n;
	struct agg_block *blocks;
	double *other;
	bool other_used;
	unsigned long long folded;  /* lookups given "(other)" for want of room */
	unsigned long long evicted; /* keys moved into "(other)" by agg_compact() */
};

static uint64_t agg_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
	uint64_t x;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		h = (h ^ x) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	x = 0;
	memcpy(&x, s, n);
	h = (h ^ x) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 32);
}

struct agg_table *agg_table_new(unsigned nvals, unsigned keep_slot, uint32_t max_mask,
				size_t max_keys, size_t max_bytes)
{
	struct agg_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nvals = nvals;
	t->keep_slot = keep_slot < nvals ? keep_slot : 0;
	t->max_mask = max_mask;
	t->max_keys = max_keys;
	t->max_bytes = max_bytes;
	t->nslots = 64;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->other = calloc(nvals ? nvals : 1, sizeof(*t->other));
	if (!t->slots || !t->other) {
		agg_table_free(t);
		return NULL;
	}
	t->bytes = sizeof(*t) + t->nslots * sizeof(*t->slots);
	return t;
}

static void agg_free_blocks(struct agg_block *b)
{
	struct agg_block *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
}

void agg_table_free(struct agg_table *t)
{
	if (!t)
		return;
	agg_free_blocks(t->blocks);
	free(t->slots);
	free(t->other);
	free(t);
}

static const char *agg_entry_key(const struct agg_table *t, const struct agg_entry *e)
{
	return (const char *)(e->v + t->nvals);
}

static double *agg_fold(struct agg_table *t)
{
	t->other_used = true;
	t->folded++;
	return t->other;
}

/* Doubles the index; false when over the cap or out of memory. */
static bool agg_grow(struct agg_table *t)
{
	size_t nslots = t->nslots * 2, extra = t->nslots * sizeof(*t->slots);
	struct agg_entry **slots;

	if (t->bytes + extra * 2 > t->max_bytes) /* old and new index coexist for a moment */
		return false;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < t->nslots; i++) {
		struct agg_entry *e = t->slots[i];
		size_t j;

		if (!e)
			continue;
		for (j = e->hash & (nslots - 1); slots[j]; j = (j + 1) & (nslots - 1))
			;
		slots[j] = e;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	t->bytes += extra;
	return true;
}

static struct agg_entry *agg_alloc_entry(struct agg_table *t, size_t size)
{
	struct agg_block *b = t->blocks;
	void *p;

	if (!b || b->size - b->used < size) {
		size_t bsize = size > AGG_BLOCK_BYTES ? size : AGG_BLOCK_BYTES;

		if (t->bytes + sizeof(*b) + bsize > t->max_bytes)
			return NULL;
		b = malloc(sizeof(*b) + bsize);
		if (!b)
			return NULL;
		b->next = t->blocks;
		b->used = 0;
		b->size = bsize;
		t->blocks = b;
		t->bytes += sizeof(*b) + bsize;
	}
	p = b->data + b->used;
	b->used += size;
	return p;
}

static void agg_merge(const struct agg_table *t, double *into, const double *v)
{
	for (unsigned i = 0; i < t->nvals; i++)
		if (t->max_mask & (1u << i))
			into[i] = v[i] > into[i] ? v[i] : into[i];
		else
			into[i] += v[i];
}

static size_t agg_entry_size(const struct agg_table *t, size_t keylen)
{
	return (sizeof(struct agg_entry) + t->nvals * sizeof(double) + keylen + 1 + 7) & ~(size_t)7;
}

static const struct agg_table *agg_sort_table; /* qsort has no context argument in C11 */

static int agg_by_keep_slot(const void *pa, const void *pb)
{
	const struct agg_entry *a = *(struct agg_entry *const *)pa;
	const struct agg_entry *b = *(struct agg_entry *const *)pb;
	const struct agg_table *t = agg_sort_table;
	double x = a->v[t->keep_slot], y = b->v[t->keep_slot];
	int c;

	if (x != y)
		return x < y ? -1 : 1;
	c = memcmp(agg_entry_key(t, a), agg_entry_key(t, b),
		   a->keylen < b->keylen ? a->keylen : b->keylen);
	return c ? c : (a->keylen > b->keylen) - (a->keylen < b->keylen);
}

/* Evicts the lighter half of the keys into "(other)" and rebuilds the table from the rest, in
 * fresh blocks so the bytes they held are given back. false when nothing could be evicted. */
static bool agg_compact(struct agg_table *t)
{
	struct agg_table nt;
	struct agg_entry **v;
	size_t n = 0, drop;

	if (t->n < 2)
		return false;
	v = malloc(t->n * sizeof(*v));
	if (!v)
		return false;
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i])
			v[n++] = t->slots[i];
	agg_sort_table = t;
	qsort(v, n, sizeof(*v), agg_by_keep_slot);
	nt = *t;
	nt.blocks = NULL;
	nt.n = 0;
	nt.slots = calloc(t->nslots, sizeof(*nt.slots));
	if (!nt.slots) {
		free(v);
		return false;
	}
	nt.bytes = sizeof(nt) + nt.nslots * sizeof(*nt.slots);
	drop = n / 2;
	for (size_t i = drop; i < n; i++) {
		struct agg_entry *e = agg_alloc_entry(&nt, agg_entry_size(t, v[i]->keylen));
		size_t j;

		if (!e) { /* out of memory: this one goes to "(other)" too */
			agg_merge(t, t->other, v[i]->v);
			t->evicted++;
			continue;
		}
		memcpy(e, v[i], agg_entry_size(t, v[i]->keylen));
		for (j = e->hash & (nt.nslots - 1); nt.slots[j]; j = (j + 1) & (nt.nslots - 1))
			;
		nt.slots[j] = e;
		nt.n++;
	}
	for (size_t i = 0; i < drop; i++)
		agg_merge(t, t->other, v[i]->v);
	t->other_used = true;
	t->evicted += drop;
	free(v);
	agg_free_blocks(t->blocks);
	free(t->slots);
	t->blocks = nt.blocks;
	t->slots = nt.slots;
	t->n = nt.n;
	t->bytes = nt.bytes;
	return true;
}

/* A new entry for key, or NULL when the table has no room. */
static struct agg_entry *agg_insert(struct agg_table *t, const char *key, size_t len, uint64_t h)
{
	struct agg_entry *e;
	size_t i;

	if (t->n >= t->max_keys)
		return NULL;
	if ((t->n + 1) * 2 > t->nslots && !agg_grow(t))
		return NULL;
	e = agg_alloc_entry(t, agg_entry_size(t, len));
	if (!e)
		return NULL;
	for (i = h & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		;
	e->hash = h;
	e->keylen = (uint32_t)len;
	e->pad = 0;
	memset(e->v, 0, t->nvals * sizeof(double));
	memcpy((char *)(e->v + t->nvals), key, len);
	((char *)(e->v + t->nvals))[len] = '\0';
	t->slots[i] = e;
	t->n++;
	return e;
}

double *agg_table_get(struct agg_table *t, const char *key, size_t len)
{
	uint64_t h = agg_hash(key, len);
	struct agg_entry *e;
	size_t i;

	for (i = h & (t->nslots - 1); (e = t->slots[i]); i = (i + 1) & (t->nslots - 1))
		if (e->hash == h && e->keylen == len && !memcmp(agg_entry_key(t, e), key, len))
			return e->v;
	if (len > UINT32_MAX)
		return agg_fold(t);
	e = agg_insert(t, key, len, h);
	if (!e && agg_compact(t))
		e = agg_insert(t, key, len, h);
	return e ? e->v : agg_fold(t);
}

size_t agg_table_size(const struct agg_table *t)
{
	return t->n;
}

unsigned long long agg_table_folded(const struct agg_table *t)
{
	return t->folded;
}

unsigned long long agg_table_evicted(const struct agg_table *t)
{
	return t->evicted;
}

const double *agg_table_other(const struct agg_table *t)
{
	return t->other_used ? t->other : NULL;
}

unsigned agg_table_nvals(const struct agg_table *t)
{
	return t->nvals;
}

double agg_table_total(const struct agg_table *t, unsigned slot)
{
	double sum = t->other_used ? t->other[slot] : 0.0;

	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i])
			sum += t->slots[i]->v[slot];
	return sum;
}

struct agg_item *agg_table_items(const struct agg_table *t, size_t *ret_n)
{
	struct agg_item *items;
	size_t n = 0;

	*ret_n = 0;
	if (!t->n)
		return NULL;
	items = malloc(t->n * sizeof(*items));
	if (!items)
		return NULL;
	for (size_t i = 0; i < t->nslots; i++) {
		const struct agg_entry *e = t->slots[i];

		if (!e)
			continue;
		items[n].key = agg_entry_key(t, e);
		items[n].keylen = e->keylen;
		items[n].v = e->v;
		n++;
	}
	*ret_n = n;
	return items;
}

bool agg_table_next(const struct agg_table *t, size_t *pos, struct agg_item *ret)
{
	for (; *pos < t->nslots; (*pos)++) {
		const struct agg_entry *e = t->slots[*pos];

		if (!e)
			continue;
		ret->key = agg_entry_key(t, e);
		ret->keylen = e->keylen;
		ret->v = e->v;
		(*pos)++;
		return true;
	}
	return false;
}

size_t agg_key_join(char *buf, size_t n, const char *const *parts, const size_t *lens)
{
	size_t o = 0;

	for (size_t i = 0; i < n && i < 4; i++) {
		size_t len = lens[i], cut = len > AGG_KEY_PART_MAX ? AGG_KEY_PART_MAX : len;

		if (i)
			buf[o++] = AGG_KEY_SEP;
		for (size_t j = 0; j < cut; j++)
			buf[o++] = parts[i][j] == AGG_KEY_SEP ? '?' : parts[i][j];
		if (cut < len) {
			memcpy(buf + o, "...", 3);
			o += 3;
		}
	}
	buf[o] = '\0';
	return o;
}

bool agg_key_part(const char *key, size_t len, size_t i, const char **ret_p, size_t *ret_len)
{
	const char *p = key, *end = key + len, *sep;

	for (; i; i--) {
		sep = memchr(p, AGG_KEY_SEP, (size_t)(end - p));
		if (!sep)
			return false;
		p = sep + 1;
	}
	sep = memchr(p, AGG_KEY_SEP, (size_t)(end - p));
	*ret_p = p;
	*ret_len = (size_t)((sep ? sep : end) - p);
	return true;
}
