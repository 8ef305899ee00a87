/* test_agg.c - the epoch drain against an in-memory map: only old-epoch keys are reported and
 * deleted, per-CPU values arrive intact, and nothing is reported twice. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "monitors/agg.h"
#include "testutil.h"

struct key {
	uint32_t epoch;
	uint32_t id;
};

#define FAKE_MAX 640

struct fake_map {
	struct key keys[FAKE_MAX];
	uint64_t vals[FAKE_MAX][4]; /* up to 4 CPUs */
	int used[FAKE_MAX];
	int n;
	int deletes;
	unsigned ncpus; /* values a lookup returns */
};

static int fake_next(void *ctx, const void *key, void *ret_next)
{
	struct fake_map *f = ctx;
	int start = 0;

	if (key) {
		/* continue after the given key, like the kernel's hash walk */
		for (int i = 0; i < f->n; i++) {
			if (f->used[i] && !memcmp(&f->keys[i], key, sizeof(struct key))) {
				start = i + 1;
				break;
			}
		}
	}
	for (int i = start; i < f->n; i++) {
		if (f->used[i]) {
			memcpy(ret_next, &f->keys[i], sizeof(struct key));
			return 0;
		}
	}
	return -ENOENT;
}

static int find(struct fake_map *f, const void *key)
{
	for (int i = 0; i < f->n; i++) {
		if (f->used[i] && !memcmp(&f->keys[i], key, sizeof(struct key)))
			return i;
	}
	return -1;
}

static int fake_lookup(void *ctx, const void *key, void *ret_value)
{
	struct fake_map *f = ctx;
	int i = find(f, key);

	if (i < 0)
		return -ENOENT;
	memcpy(ret_value, f->vals[i], sizeof(uint64_t) * (f->ncpus ? f->ncpus : 1));
	return 0;
}

static int fake_delete(void *ctx, const void *key)
{
	struct fake_map *f = ctx;
	int i = find(f, key);

	if (i < 0)
		return -ENOENT;
	f->used[i] = 0;
	f->deletes++;
	return 0;
}

static const struct agg_map_ops fake_ops = { fake_next, fake_lookup, fake_delete };

static void add(struct fake_map *f, uint32_t epoch, uint32_t id, uint64_t per_cpu)
{
	f->keys[f->n] = (struct key){ epoch, id };
	for (int c = 0; c < 4; c++)
		f->vals[f->n][c] = per_cpu * (uint64_t)(c + 1);
	f->used[f->n++] = 1;
}

struct seen {
	uint64_t sum[FAKE_MAX];
	int count[FAKE_MAX];
	int calls;
};

static void collect(void *ctx, const void *key, const void *values, unsigned nvalues)
{
	struct seen *s = ctx;
	const struct key *k = key;
	const uint64_t *v = values;

	s->calls++;
	s->count[k->id]++;
	for (unsigned c = 0; c < nvalues; c++)
		s->sum[k->id] += v[c];
}

START_TEST(test_drains_only_old_epoch_and_sums_cpus)
{
	struct fake_map f = { .n = 0, .ncpus = 4 };
	struct seen s = { .calls = 0 };
	struct agg_map m = { &fake_ops, &f, sizeof(struct key), sizeof(uint64_t), 4, 64 };

	add(&f, 0, 1, 10); /* old epoch: 10+20+30+40 = 100 */
	add(&f, 1, 2, 5);  /* current epoch: stays */
	add(&f, 0, 3, 1);  /* old: 10 */
	add(&f, 1, 4, 7);
	ck_assert_int_eq(agg_drain(&m, 1, collect, &s), 2);
	ck_assert_int_eq(s.calls, 2);
	ck_assert_uint_eq(s.sum[1], 100);
	ck_assert_uint_eq(s.sum[3], 10);
	ck_assert_int_eq(s.count[2], 0);
	ck_assert_int_eq(s.count[4], 0);
	ck_assert_int_eq(f.deletes, 2);
	/* the kept keys are still there and a second drain of the same epoch finds nothing */
	ck_assert_int_eq(find(&f, &(struct key){ 1, 2 }), 1);
	ck_assert_int_eq(agg_drain(&m, 1, collect, &s), 0);
	/* next interval: flip, and the other epoch drains */
	ck_assert_int_eq(agg_drain(&m, 0, collect, &s), 2);
	ck_assert_uint_eq(s.sum[2], 50);
	ck_assert_uint_eq(s.sum[4], 70);
	ck_assert_int_eq(s.calls, 4);
}
END_TEST

START_TEST(test_late_writer_lands_in_a_later_drain)
{
	struct fake_map f = { .n = 0, .ncpus = 1 };
	struct seen s = { .calls = 0 };
	struct agg_map m = { &fake_ops, &f, sizeof(struct key), sizeof(uint64_t), 1, 64 };

	add(&f, 0, 1, 3);
	ck_assert_int_eq(agg_drain(&m, 1, collect, &s), 1);
	/* a writer that read epoch 0 before the flip recreates the key after the drain */
	add(&f, 0, 1, 2);
	ck_assert_int_eq(agg_drain(&m, 1, collect, &s), 1);
	ck_assert_uint_eq(s.sum[1], 5); /* 3 then 2, one CPU */
	ck_assert_int_eq(s.count[1], 2);
}
END_TEST

START_TEST(test_plain_map_and_bad_key)
{
	struct fake_map f = { .n = 0 };
	struct seen s = { .calls = 0 };
	struct agg_map m = { &fake_ops, &f, sizeof(struct key), sizeof(uint64_t), 0, 64 };
	struct agg_map bad = { &fake_ops, &f, 2, sizeof(uint64_t), 0, 64 };

	add(&f, 7, 5, 9);
	ck_assert_int_eq(agg_drain(&m, 0, collect, &s), 1);
	ck_assert_uint_eq(s.sum[5], 9); /* one value, not four */
	ck_assert_int_eq(agg_drain(&bad, 0, collect, &s), -EINVAL);
}
END_TEST

struct yields {
	int calls;
	const struct seen *s;
	int rows_at_first; /* rows reported when the first yield came */
};

static void count_yield(void *ctx)
{
	struct yields *y = ctx;

	if (!y->calls++)
		y->rows_at_first = y->s->calls;
}

START_TEST(test_long_drain_yields_and_loses_nothing)
{
	static struct fake_map f; /* big: not on the stack */
	static struct seen s;
	struct yields y = { .calls = 0, .s = &s };
	struct agg_map m = { &fake_ops, &f, sizeof(struct key), sizeof(uint64_t), 0, FAKE_MAX,
			     count_yield, &y };

	f.n = 0;
	f.ncpus = 1;
	for (uint32_t i = 0; i < 600; i++)
		add(&f, i < 500 ? 1 : 2, i, i + 1);
	ck_assert_int_eq(agg_drain(&m, 2, collect, &s), 500);
	/* 601 next_key calls (600 keys, then the end) and 500 lookups: a yield per 256 */
	ck_assert_int_eq(y.calls, (601 + 500) / AGG_YIELD_EVERY);
	ck_assert_int_eq(y.rows_at_first, 0); /* the first came while the keys were collected */
	ck_assert_int_eq(s.calls, 500);
	for (uint32_t i = 0; i < 600; i++) {
		ck_assert_int_eq(s.count[i], i < 500 ? 1 : 0);
		ck_assert_uint_eq(s.sum[i], i < 500 ? i + 1 : 0);
	}
	ck_assert_int_eq(f.deletes, 500);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agg");
	TCase *tc = tcase_create("drain");

	tcase_add_test(tc, test_drains_only_old_epoch_and_sums_cpus);
	tcase_add_test(tc, test_late_writer_lands_in_a_later_drain);
	tcase_add_test(tc, test_plain_map_and_bad_key);
	tcase_add_test(tc, test_long_drain_yields_and_loses_nothing);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
