/* bio_util.c - the bio monitor's pure logic: merge, percentiles, device names, stale sweep. */
#include "monitors/bio_util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bio_io_type_name(unsigned io_type)
{
	static const char *const names[BIO_NTYPES] = {
		[BIO_READ] = "READ",   [BIO_WRITE] = "WRITE", [BIO_DISCARD] = "DISCARD",
		[BIO_FLUSH] = "FLUSH", [BIO_OTHER] = "OTHER",
	};

	return io_type < BIO_NTYPES ? names[io_type] : "OTHER";
}

int bio_dev_name(const char *sysfs_root, uint32_t dev, char *buf, size_t len)
{
	unsigned major = bio_dev_major(dev), minor = bio_dev_minor(dev);
	char path[512], line[256];
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/dev/block/%u:%u/uevent", sysfs_root, major, minor);
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
	} else {
		while (fgets(line, sizeof(line), f)) {
			size_t n;

			if (strncmp(line, "DEVNAME=", 8))
				continue;
			n = strcspn(line + 8, "\r\n");
			if (n && n < len) {
				memcpy(buf, line + 8, n);
				buf[n] = '\0';
				fclose(f);
				return 0;
			}
			break;
		}
		fclose(f);
	}
	snprintf(buf, len, "%u:%u", major, minor);
	return r;
}

void bio_value_merge(struct bio_value *acc, const struct bio_value *v)
{
	if (!v->count)
		return;
	if (!acc->count || v->lat_min_ns < acc->lat_min_ns)
		acc->lat_min_ns = v->lat_min_ns;
	if (v->lat_max_ns > acc->lat_max_ns)
		acc->lat_max_ns = v->lat_max_ns;
	acc->count += v->count;
	acc->bytes += v->bytes;
	acc->lat_sum_ns += v->lat_sum_ns;
	for (int i = 0; i < BIO_HIST_SLOTS; i++)
		acc->hist[i] += v->hist[i];
}

double bio_hist_percentile_ns(const struct bio_value *v, double p)
{
	uint64_t n = 0, rank, below = 0;

	for (int i = 0; i < BIO_HIST_SLOTS; i++)
		n += v->hist[i];
	if (!n)
		return 0.0;
	rank = (uint64_t)(p * (double)n); /* ceil(), without libm */
	if ((double)rank < p * (double)n)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	for (int i = 0; i < BIO_HIST_SLOTS; i++) {
		double lo, hi;

		if (below + v->hist[i] < rank) {
			below += v->hist[i];
			continue;
		}
		/* bio_hist_slot(): slot 0 is [0, 1) us, slot i is [2^(i-1), 2^i) us. */
		lo = i ? (double)(1ull << (i - 1)) * 1000.0 : 0.0;
		hi = i < BIO_HIST_SLOTS - 1 ? (double)(1ull << i) * 1000.0 : (double)v->lat_max_ns;
		if (lo < (double)v->lat_min_ns)
			lo = (double)v->lat_min_ns;
		if (hi > (double)v->lat_max_ns)
			hi = (double)v->lat_max_ns;
		if (hi < lo) /* min/max inconsistent with the histogram: trust min */
			hi = lo;
		/* The k-th of the bucket's c samples sits at (k - 0.5) / c of its width: strictly
		 * inside it, so the estimate never lands in the next bucket. */
		return lo + (hi - lo) * ((double)(rank - below) - 0.5) / (double)v->hist[i];
	}
	return (double)v->lat_max_ns;
}

/* The entry's skip flag (see bio_sweep_stale()). */
static bool bio_skipped(const unsigned char *value, size_t value_size, long skip_off)
{
	uint32_t flag;

	if (skip_off < 0 || (size_t)skip_off + sizeof(flag) > value_size)
		return false;
	memcpy(&flag, value + skip_off, sizeof(flag));
	return flag != 0;
}

/* Walks the map's keys with their values (the first 8 bytes of a value: its start time),
 * calling visit until it returns nonzero or the keys end. The kernel deletes completed
 * requests meanwhile, which restarts get_next_key from the top: the walk is bounded to
 * 4 * cap steps, and what it misses is seen next time. 0 or -errno. */
static int bio_walk(const struct agg_map *m, size_t cap,
		    int (*visit)(void *ctx, const unsigned char *key, const unsigned char *value),
		    void *ctx)
{
	unsigned char *cursor = malloc(2 * m->key_size), *value = malloc(m->value_size);
	bool started = false;
	size_t steps = 0;
	int r = 0;

	if (!cursor || !value) {
		r = -ENOMEM;
		goto out;
	}
	while (steps++ < 4 * cap) {
		unsigned char *next = cursor + m->key_size;

		r = m->ops->next_key(m->ctx, started ? cursor : NULL, next);
		if (r) {
			if (r == -ENOENT)
				r = 0;
			break;
		}
		memcpy(cursor, next, m->key_size);
		started = true;
		if (m->ops->lookup(m->ctx, cursor, value))
			continue; /* gone meanwhile */
		if (visit(ctx, cursor, value))
			break;
	}
out:
	free(cursor);
	free(value);
	return r;
}

static size_t bio_walk_cap(const struct agg_map *m)
{
	return m->max_entries ? m->max_entries + 16 : 4096;
}

struct sweep {
	const struct agg_map *m;
	uint64_t before_ns; /* entries that started before this are stale */
	long skip_off;
	size_t n, cap;
	unsigned char *keys;
	bool *counted;
};

static int sweep_visit(void *ctx, const unsigned char *key, const unsigned char *value)
{
	struct sweep *s = ctx;
	uint64_t ts;

	memcpy(&ts, value, sizeof(ts));
	if (ts < s->before_ns) {
		s->counted[s->n] = !bio_skipped(value, s->m->value_size, s->skip_off);
		memcpy(s->keys + s->n++ * s->m->key_size, key, s->m->key_size);
	}
	return s->n == s->cap;
}

long bio_sweep_stale(const struct agg_map *m, uint64_t now_ns, uint64_t max_age_ns, long skip_off)
{
	struct sweep s = { m, now_ns - max_age_ns, skip_off, 0, bio_walk_cap(m), NULL, NULL };
	long swept = 0;

	if (m->value_size < sizeof(uint64_t) || m->ncpus)
		return -EINVAL;
	if (now_ns < max_age_ns)
		return 0;
	s.keys = malloc(s.cap * m->key_size);
	s.counted = malloc(s.cap * sizeof(*s.counted));
	/* Collect first: deleting while walking makes get_next_key restart from the top. */
	swept = !s.keys || !s.counted ? -ENOMEM : bio_walk(m, s.cap, sweep_visit, &s);
	/* The kernel side deletes before it counts, too: exactly one of us owns each entry. */
	for (size_t i = 0; swept >= 0 && i < s.n; i++) {
		if (m->ops->delete (m->ctx, s.keys + i * m->key_size) == 0 && s.counted[i])
			swept++;
	}
	free(s.keys);
	free(s.counted);
	return swept;
}

struct stale_count {
	uint64_t now_ns, max_age_ns, oldest;
	size_t value_size;
	long skip_off, n;
};

static int count_visit(void *ctx, const unsigned char *key, const unsigned char *value)
{
	struct stale_count *c = ctx;
	uint64_t ts;

	(void)key;
	memcpy(&ts, value, sizeof(ts));
	if (ts < c->now_ns && c->now_ns - ts > c->max_age_ns &&
	    !bio_skipped(value, c->value_size, c->skip_off)) {
		c->n++;
		if (c->now_ns - ts > c->oldest)
			c->oldest = c->now_ns - ts;
	}
	return 0;
}

long bio_count_stale(const struct agg_map *m, uint64_t now_ns, uint64_t max_age_ns, long skip_off,
		     uint64_t *ret_oldest_ns)
{
	struct stale_count c = { now_ns, max_age_ns, 0, m->value_size, skip_off, 0 };
	int r;

	if (m->value_size < sizeof(uint64_t) || m->ncpus)
		return -EINVAL;
	r = bio_walk(m, bio_walk_cap(m), count_visit, &c);
	if (r)
		return r;
	*ret_oldest_ns = c.oldest;
	return c.n;
}
