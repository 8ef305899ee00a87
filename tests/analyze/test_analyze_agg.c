/* test_analyze_agg.c - the analyzer's bounded aggregation: the key and byte caps, eviction into
 * "(other)" (sums and maxima kept, heavy keys kept), composite keys, weighted quantiles, and
 * time series whose buckets coarsen without losing a count. */
#include <math.h>

#include "analyze/agg.h"
#include "testutil.h"

START_TEST(test_table_sums)
{
	struct agg_table *t = agg_table_new(2, 0, 0, 100, 1 << 20);
	double *a = agg_table_get(t, "read", 4);

	a[0] += 10;
	a[1] += 1;
	ck_assert_ptr_eq(agg_table_get(t, "read", 4), a);
	agg_table_get(t, "write", 5)[0] += 5;
	agg_table_get(t, "read", 4)[0] += 2;
	ck_assert_uint_eq(agg_table_size(t), 2);
	ck_assert_double_eq(agg_table_get(t, "read", 4)[0], 12);
	ck_assert_double_eq(agg_table_total(t, 0), 17);
	ck_assert_ptr_null(agg_table_other(t));
	/* Keys are bytes, not C strings: "rea" is another key. */
	ck_assert_double_eq(agg_table_get(t, "rea", 3)[0], 0);
	agg_table_free(t);
	agg_table_free(NULL);
}
END_TEST

/* A new key finding the table full evicts the lighter half into "(other)": sums add up, maxima
 * stay maxima, nothing is lost from the totals. */
START_TEST(test_table_eviction)
{
	struct agg_table *t = agg_table_new(2, 0, 1u << 1, 4, 1 << 20);
	size_t n, pos = 0, seen = 0;
	struct agg_item *items, it;
	const char *keys = "abcde";

	for (int i = 0; i < 5; i++) {
		double *v = agg_table_get(t, keys + i, 1);

		v[0] += 1 << i;	   /* a 1, b 2, c 4, d 8, e 16 */
		if (v[1] < 10 * i) /* a maximum: 0, 10, 20, 30, 40 */
			v[1] = 10 * i;
	}
	/* e found a, b, c, d: a and b (the lightest) went to "(other)". */
	ck_assert_uint_eq(agg_table_size(t), 3);
	ck_assert_uint_eq(agg_table_evicted(t), 2);
	ck_assert_uint_eq(agg_table_folded(t), 0);
	ck_assert_ptr_nonnull(agg_table_other(t));
	ck_assert_double_eq(agg_table_other(t)[0], 3);
	ck_assert_double_eq(agg_table_other(t)[1], 10);
	ck_assert_double_eq(agg_table_get(t, "d", 1)[0], 8);
	ck_assert_double_eq(agg_table_total(t, 0), 31);
	items = agg_table_items(t, &n);
	ck_assert_uint_eq(n, 3);
	free(items);
	while (agg_table_next(t, &pos, &it))
		seen++;
	ck_assert_uint_eq(seen, 3);
	agg_table_free(t);
}
END_TEST

/* A key that turns heavy late, among a stream of one-off keys, is still there at the end with
 * every count it got since it came. */
START_TEST(test_table_keeps_heavy_keys)
{
	struct agg_table *t = agg_table_new(1, 0, 0, 16, 1 << 20);
	char key[16];

	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "once%d", i);
		agg_table_get(t, key, strlen(key))[0] += 1;
		if (i >= 500)
			agg_table_get(t, "hot", 3)[0] += 1;
	}
	ck_assert_uint_le(agg_table_size(t), 16);
	ck_assert_double_eq(agg_table_get(t, "hot", 3)[0], 500);
	ck_assert_double_eq(agg_table_total(t, 0), 1500);
	agg_table_free(t);
}
END_TEST

/* The byte cap holds whatever the key count: 200 KiB of 1000-byte keys cannot all fit. */
START_TEST(test_table_byte_cap)
{
	struct agg_table *t = agg_table_new(4, 0, 0, 1000000, 200 << 10);
	char key[1000];

	for (int i = 0; i < 1000; i++) {
		memset(key, 'a' + i % 26, sizeof(key));
		snprintf(key, 16, "%d", i);
		agg_table_get(t, key, sizeof(key))[0] += 1;
	}
	ck_assert_uint_lt(agg_table_size(t), 200);
	ck_assert_uint_gt(agg_table_size(t), 50);
	ck_assert_uint_eq(agg_table_size(t) + agg_table_evicted(t), 1000);
	ck_assert_double_eq(agg_table_total(t, 0), 1000);
	agg_table_free(t);
}
END_TEST

START_TEST(test_key_join)
{
	const char *parts[2] = { "bash", "re\x1f"
					 "ad" };
	size_t lens[2] = { 4, 5 }, plen;
	char buf[AGG_KEY_MAX], long_part[AGG_KEY_PART_MAX + 50];
	const char *p;
	size_t n = agg_key_join(buf, 2, parts, lens);

	/* The separator inside a part is replaced, so the parts come back as they went in. */
	ck_assert_uint_eq(n, 10);
	ck_assert(agg_key_part(buf, n, 0, &p, &plen));
	ck_assert_uint_eq(plen, 4);
	ck_assert(!strncmp(p, "bash", 4));
	ck_assert(agg_key_part(buf, n, 1, &p, &plen));
	ck_assert_uint_eq(plen, 5);
	ck_assert(!strncmp(p, "re?ad", 5));
	ck_assert(!agg_key_part(buf, n, 2, &p, &plen));

	memset(long_part, 'x', sizeof(long_part));
	parts[0] = long_part;
	lens[0] = sizeof(long_part);
	n = agg_key_join(buf, 1, parts, lens);
	ck_assert_uint_eq(n, AGG_KEY_PART_MAX + 3);
	ck_assert(!strcmp(buf + AGG_KEY_PART_MAX, "..."));
}
END_TEST

START_TEST(test_wdigest_exact)
{
	struct wdigest d;

	wdigest_init(&d, 64);
	ck_assert(isnan(wdigest_quantile(&d, 0.5)));
	/* The bio fixture's per-interval p50s with their request counts. */
	wdigest_add(&d, 150, 100);
	wdigest_add(&d, 90, 50);
	wdigest_add(&d, 900, 10);
	wdigest_add(&d, 80, 300);
	ck_assert_double_eq(wdigest_quantile(&d, 0.5), 80);
	ck_assert_double_eq(wdigest_quantile(&d, 0.70), 90);
	ck_assert_double_eq(wdigest_quantile(&d, 0.99), 900);
	ck_assert_double_eq(wdigest_quantile(&d, 0), 80);
	ck_assert_double_eq(wdigest_quantile(&d, 1), 900);
	/* Weight 0, NaN and infinity are ignored. */
	wdigest_add(&d, 1, 0);
	wdigest_add(&d, NAN, 5);
	wdigest_add(&d, INFINITY, 5);
	ck_assert_double_eq(d.weight, 460);
	wdigest_free(&d);
}
END_TEST

/* Past cap the sketch merges neighbours: bounded, weight kept, quantiles near the truth. */
START_TEST(test_wdigest_bounded)
{
	struct wdigest d;

	wdigest_init(&d, 256);
	for (int i = 10000; i >= 1; i--)
		wdigest_add(&d, i, 1);
	ck_assert_uint_le(d.n, 256);
	ck_assert_double_eq(d.weight, 10000);
	/* Clusters hold at most 1/64 of the weight: within 10000/64 of the true rank. */
	ck_assert_double_eq_tol(wdigest_quantile(&d, 0.5), 5000, 160);
	ck_assert_double_eq_tol(wdigest_quantile(&d, 0.99), 9900, 160);
	wdigest_free(&d);
}
END_TEST

static double series_sum(const struct series *s, size_t slot)
{
	double sum = 0;

	for (size_t b = 0; b < s->nb; b++)
		sum += series_get(s, b, slot);
	return sum;
}

/* Ten points 1 s apart into 4 buckets: the width steps 1 s -> 2 s -> 10 s and nothing is lost. */
START_TEST(test_series_coarsens)
{
	struct series s;

	series_init(&s, 1, 1, 4);
	for (int i = 0; i < 4; i++)
		series_add(&s, 1000000 + i * 1000, 0, 1);
	ck_assert_int_eq(s.width_ms, 1000);
	ck_assert_uint_eq(s.nb, 4);
	series_add(&s, 1004000, 0, 1);
	ck_assert_int_eq(s.width_ms, 2000);
	ck_assert_int_eq(s.start_ms, 1000000);
	ck_assert_double_eq(series_get(&s, 0, 0), 2);
	for (int i = 5; i < 10; i++)
		series_add(&s, 1000000 + i * 1000, 0, 1);
	ck_assert_int_eq(s.width_ms, 10000);
	ck_assert_uint_eq(s.nb, 1);
	ck_assert_double_eq(series_get(&s, 0, 0), 10);
	/* A point before the start moves the start back (aligned to the width). */
	series_add(&s, 985500, 0, 5);
	ck_assert_int_eq(s.start_ms, 980000);
	ck_assert_uint_eq(s.nb, 3);
	ck_assert_double_eq(series_get(&s, 0, 0), 5);
	ck_assert_double_eq(series_get(&s, 2, 0), 10);
	ck_assert_double_eq(series_sum(&s, 0), 15);
	series_free(&s);
}
END_TEST

START_TEST(test_series_regroup_and_slots)
{
	struct series s, g;

	series_init(&s, 2, 8, 100);
	series_add(&s, 0, 0, 1);
	series_add(&s, 1000, 1, 2);
	series_add(&s, 3000, 5, 4); /* slots grow to fit */
	ck_assert_uint_ge(s.nslots, 6);
	series_add(&s, 3000, 8, 4); /* beyond max_slots: dropped and counted */
	ck_assert_uint_eq(s.dropped, 1);
	ck_assert_double_eq(series_get(&s, 3, 5), 4);
	ck_assert_double_eq(series_get(&s, 1, 1), 2);
	/* At least 2 s wide: buckets [0,2) and [2,4). */
	ck_assert_int_eq(series_regroup(&s, 2000, 100, &g), 0);
	ck_assert_int_eq(g.width_ms, 2000);
	ck_assert_uint_eq(g.nb, 2);
	ck_assert_double_eq(series_get(&g, 0, 0), 1);
	ck_assert_double_eq(series_get(&g, 0, 1), 2);
	ck_assert_double_eq(series_get(&g, 1, 5), 4);
	series_free(&g);
	/* At most one bucket: the ladder climbs to 10 s. */
	ck_assert_int_eq(series_regroup(&s, 0, 1, &g), 0);
	ck_assert_int_eq(g.width_ms, 10000);
	ck_assert_uint_eq(g.nb, 1);
	ck_assert_double_eq(series_sum(&g, 0) + series_sum(&g, 1) + series_sum(&g, 5), 7);
	series_free(&g);
	series_free(&s);
	ck_assert_int_eq(series_next_width(86400000), 172800000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("analyze_agg");
	TCase *tc = tcase_create("agg");

	tcase_add_test(tc, test_table_sums);
	tcase_add_test(tc, test_table_eviction);
	tcase_add_test(tc, test_table_keeps_heavy_keys);
	tcase_add_test(tc, test_table_byte_cap);
	tcase_add_test(tc, test_key_join);
	tcase_add_test(tc, test_wdigest_exact);
	tcase_add_test(tc, test_wdigest_bounded);
	tcase_add_test(tc, test_series_coarsens);
	tcase_add_test(tc, test_series_regroup_and_slots);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
