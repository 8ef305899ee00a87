/* agg.h - the lossless interval drain shared by aggregating monitors.
 *
 * Every aggregation key starts with a __u32 epoch that the probe copies from em_epoch. At the
 * end of an interval user space flips em_epoch, waits a short grace period so programs that
 * read the old value have finished, then drains every key whose epoch is not the current one:
 * lookup, hand to the monitor, delete. A writer that raced the flip lands in a key that the
 * next drain picks up: late, never lost. */
#ifndef EM_AGG_H
#define EM_AGG_H

#include <stddef.h>
#include <stdint.h>

struct agg_map_ops {
	/* key NULL: first key. 0, or -ENOENT at the end, or -errno. */
	int (*next_key)(void *ctx, const void *key, void *ret_next);
	int (*lookup)(void *ctx, const void *key, void *ret_value);
	int (*delete)(void *ctx, const void *key);
};

struct agg_map {
	const struct agg_map_ops *ops;
	void *ctx;
	size_t key_size;   /* >= 4: the first 4 bytes are the epoch */
	size_t value_size; /* one CPU's value */
	unsigned ncpus;    /* per-CPU map: possible CPUs; plain map: 0 */
	size_t max_entries;
	/* Called every AGG_YIELD_EVERY map operations (may be NULL): a drain of a full map takes
	 * tens of ms, and the one-thread event loop lets the Prometheus endpoint answer meanwhile.
	 * It must not touch this map. */
	void (*yield)(void *yield_ctx);
	void *yield_ctx;
};

#define AGG_YIELD_EVERY 256

/* Per-CPU maps return one value per possible CPU, each padded to 8 bytes. */
static inline size_t agg_value_stride(const struct agg_map *m)
{
	return m->ncpus ? (m->value_size + 7) & ~(size_t)7 : m->value_size;
}

/* values: ncpus (or 1) values, agg_value_stride() apart. */
typedef void (*agg_drain_cb)(void *ctx, const void *key, const void *values, unsigned nvalues);

/* Drains every key whose epoch != keep_epoch. Returns the number of keys drained, or -errno.
 * Keys are collected first and deleted after, so iteration never restarts. */
long agg_drain(const struct agg_map *m, uint32_t keep_epoch, agg_drain_cb cb, void *cb_ctx);

/* Helpers for monitors merging per-CPU values. */
static inline const void *agg_value_at(const struct agg_map *m, const void *values, unsigned i)
{
	return (const char *)values + (size_t)i * agg_value_stride(m);
}

/* Rows collected by one drain, then sorted and emitted. `merge` builds a row from a key and
 * its per-CPU values (the row arrives zeroed). Rows that do not fit in memory are counted in
 * `dropped`, never half-built. */
struct agg_batch {
	void *rows;
	size_t n, cap, size, dropped;
	void (*merge)(void *row, const void *key, const void *values, unsigned nvalues);
};

#define AGG_BATCH(row_type, merge_fn) \
	{ .rows = NULL, .n = 0, .cap = 0, .size = sizeof(row_type), .dropped = 0, .merge = (merge_fn) }

/* An agg_drain_cb: ctx is a struct agg_batch. */
void agg_batch_collect(void *ctx, const void *key, const void *values, unsigned nvalues);
void agg_batch_sort(struct agg_batch *b, int (*cmp)(const void *, const void *));
/* Rows of equal keys become one (a key counted on two paths in one interval, two who values
 * that are one class): sorted with cmp, each run folded into its first row by add(into,
 * from). */
void agg_batch_coalesce(struct agg_batch *b, int (*cmp)(const void *, const void *),
			void (*add)(void *into, const void *from));
static inline const void *agg_batch_at(const struct agg_batch *b, size_t i)
{
	return (const char *)b->rows + i * b->size;
}
void agg_batch_free(struct agg_batch *b);

#endif
