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
};

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

#endif
