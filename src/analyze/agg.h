/* agg.h - bounded aggregation for the analyzer: a string-keyed hash table of sums with a memory
 * cap (keys beyond it fold into one "(other)" bucket), a weighted-quantile sketch, and a time
 * series whose bucket width grows so the bucket count stays bounded. */
#ifndef EM_ANALYZE_AGG_H
#define EM_ANALYZE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Composite keys join their parts with this byte; agg_key_join() keeps it out of the parts. */
#define AGG_KEY_SEP '\x1f'
#define AGG_KEY_PART_MAX 1024 /* longer parts are cut (and end in "...") */
#define AGG_KEY_MAX (4 * (AGG_KEY_PART_MAX + 4))

struct agg_table;

struct agg_item {
	const char *key; /* NUL-terminated */
	size_t keylen;
	const double *v;
};

/* A table of nvals values per key, holding at most max_keys keys and max_bytes bytes (entries
 * and index together). Values are sums, except the slots in max_mask (bit i: slot i), which
 * are maxima. When a new key finds the table full, the half of the keys with the smallest
 * keep_slot value are evicted into "(other)" (lossy counting: heavy keys stay, whenever they
 * first came). NULL on OOM. */
struct agg_table *agg_table_new(unsigned nvals, unsigned keep_slot, uint32_t max_mask,
				size_t max_keys, size_t max_bytes);

/* The values of key (zeroed when new): never NULL. When no room can be made, or memory runs
 * out, the caller gets the "(other)" bucket's values instead. */
double *agg_table_get(struct agg_table *t, const char *key, size_t len);

size_t agg_table_size(const struct agg_table *t);
/* Lookups answered with "(other)" for want of room (a key too big, out of memory). */
unsigned long long agg_table_folded(const struct agg_table *t);
/* Keys evicted into "(other)": 0 while the table held every key it was given. */
unsigned long long agg_table_evicted(const struct agg_table *t);
/* The "(other)" bucket's sums, NULL while nothing was folded. */
const double *agg_table_other(const struct agg_table *t);
unsigned agg_table_nvals(const struct agg_table *t);
/* Sum of slot over every key, "(other)" included. */
double agg_table_total(const struct agg_table *t, unsigned slot);
/* Every key (not "(other)"), in no order; caller frees the array. NULL with *ret_n 0 when empty
 * or on OOM. */
struct agg_item *agg_table_items(const struct agg_table *t, size_t *ret_n);
/* Iterates over the keys: start with *pos 0; false at the end. */
bool agg_table_next(const struct agg_table *t, size_t *pos, struct agg_item *ret);
/* NULL-safe. */
void agg_table_free(struct agg_table *t);

/* Joins n parts into buf (AGG_KEY_MAX bytes) with AGG_KEY_SEP; returns the length. */
size_t agg_key_join(char *buf, size_t n, const char *const *parts, const size_t *lens);
/* Part i of key (len bytes): *ret_p, *ret_len; false when the key has fewer parts. */
bool agg_key_part(const char *key, size_t len, size_t i, const char **ret_p, size_t *ret_len);

/* Weighted values for quantiles: exact while it holds at most cap distinct values, then
 * neighbours are merged (weighted mean) to stay within cap. */
struct wdigest {
	struct wdigest_point {
		double v, w;
	} * p;
	size_t n, cap;
	double weight;
	bool sorted;
};

void wdigest_init(struct wdigest *d, size_t cap);
void wdigest_add(struct wdigest *d, double v, double w);
/* The smallest value with at least q of the weight at or below it; NAN when empty. */
double wdigest_quantile(struct wdigest *d, double q);
void wdigest_free(struct wdigest *d);

/* Sums per time bucket, nslots values per bucket. Bucket starts are multiples of the width;
 * the width steps through 1 s, 2 s, 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 2 h, 6 h,
 * 12 h, 1 day, then doubles: each a multiple of the one before, so buckets merge exactly. */
struct series {
	int64_t start_ms;
	int64_t width_ms;
	size_t nb;	  /* buckets from start_ms to the last one touched */
	size_t nslots;	  /* values per bucket */
	size_t max_slots; /* slots may grow up to this (per-CPU series) */
	size_t max_nb;
	double *v;		    /* [max_nb][nslots] */
	unsigned long long dropped; /* adds to a slot beyond max_slots, or lost to OOM */
};

#define SERIES_MAX_BUCKETS 720

void series_init(struct series *s, size_t nslots, size_t max_slots, size_t max_nb);
void series_add(struct series *s, int64_t ts_ms, size_t slot, double x);
static inline double series_get(const struct series *s, size_t b, size_t slot)
{
	return slot < s->nslots ? s->v[b * s->nslots + slot] : 0.0;
}
/* *ret: a copy of s at the smallest width >= min_width_ms that fits max_nb buckets. 0, -ENOMEM. */
int series_regroup(const struct series *s, int64_t min_width_ms, size_t max_nb, struct series *ret);
/* The width after w on the ladder. */
int64_t series_next_width(int64_t w);
void series_free(struct series *s);

#endif
