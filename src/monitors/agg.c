/* agg.c - drains aggregation maps by epoch; map access goes through agg_map_ops so the logic
 * is tested without a kernel. */
#include "monitors/agg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

long agg_drain(const struct agg_map *m, uint32_t keep_epoch, agg_drain_cb cb, void *cb_ctx)
{
	size_t cap = m->max_entries ? m->max_entries * 2 + 16 : 4096, n = 0;
	size_t nvals = m->ncpus ? m->ncpus : 1;
	unsigned char *keys, *cursor, *values;
	bool started = false;
	long drained = 0;
	size_t ops = 0;

	if (m->key_size < sizeof(uint32_t))
		return -EINVAL;
	keys = malloc(cap * m->key_size);
	cursor = malloc(2 * m->key_size);
	values = malloc(nvals * agg_value_stride(m));
	if (!keys || !cursor || !values) {
		drained = -ENOMEM;
		goto out;
	}
	/* Collect first: deleting while walking makes get_next_key restart from the top. */
	while (n < cap) {
		unsigned char *next = cursor + m->key_size;
		uint32_t epoch;
		int r = m->ops->next_key(m->ctx, started ? cursor : NULL, next);

		if (m->yield && ++ops % AGG_YIELD_EVERY == 0)
			m->yield(m->yield_ctx);
		if (r == -ENOENT)
			break;
		if (r) {
			drained = r;
			goto out;
		}
		memcpy(cursor, next, m->key_size);
		started = true;
		memcpy(&epoch, cursor, sizeof(epoch));
		if (epoch != keep_epoch)
			memcpy(keys + n++ * m->key_size, cursor, m->key_size);
	}
	/* After the flip and its grace period no program writes these keys any more, so
	 * lookup-then-delete cannot lose an update. */
	for (size_t i = 0; i < n; i++) {
		const unsigned char *k = keys + i * m->key_size;

		if (m->yield && ++ops % AGG_YIELD_EVERY == 0)
			m->yield(m->yield_ctx);
		if (m->ops->lookup(m->ctx, k, values))
			continue;
		(void)m->ops->delete(m->ctx, k);
		cb(cb_ctx, k, values, (unsigned)nvals);
		drained++;
	}
out:
	free(keys);
	free(cursor);
	free(values);
	return drained;
}

void agg_batch_collect(void *ctx, const void *key, const void *values, unsigned nvalues)
{
	struct agg_batch *b = ctx;
	void *row;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		void *rows = realloc(b->rows, cap * b->size);

		if (!rows) {
			b->dropped++;
			return;
		}
		b->rows = rows;
		b->cap = cap;
	}
	row = (char *)b->rows + b->n++ * b->size;
	memset(row, 0, b->size);
	b->merge(row, key, values, nvalues);
}

void agg_batch_sort(struct agg_batch *b, int (*cmp)(const void *, const void *))
{
	if (b->n) /* qsort(NULL, 0) is undefined */
		qsort(b->rows, b->n, b->size, cmp);
}

void agg_batch_coalesce(struct agg_batch *b, int (*cmp)(const void *, const void *),
			void (*add)(void *into, const void *from))
{
	size_t n = 0;

	agg_batch_sort(b, cmp);
	for (size_t i = 0; i < b->n; i++) {
		void *r = (char *)b->rows + i * b->size;
		void *prev = n ? (char *)b->rows + (n - 1) * b->size : NULL;

		if (prev && !cmp(prev, r)) {
			add(prev, r);
			continue;
		}
		if (n != i)
			memcpy((char *)b->rows + n * b->size, r, b->size);
		n++;
	}
	b->n = n;
}

void agg_batch_free(struct agg_batch *b)
{
	free(b->rows);
	b->rows = NULL;
	b->n = b->cap = 0;
}
