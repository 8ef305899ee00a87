/* test_bio_util.c - the bio monitor's pure logic: io type from rwbs and histogram slots (the
 * code the probe runs), dev_t decoding and device names from a fixture sysfs, per-CPU merge,
 * percentiles against exact nearest-rank values, and the stale sweep. */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "monitors/bio_util.h"
#include "testutil.h"

static __u32 io(const char *rwbs, __u64 bytes)
{
	char buf[BIO_RWBS_MAX] = { 0 };

	memcpy(buf, rwbs, strlen(rwbs)); /* at most 4 letters here */
	return bio_io_type(buf, bytes);
}

START_TEST(test_io_type_from_rwbs)
{
	ck_assert_uint_eq(io("R", 4096), BIO_READ);
	ck_assert_uint_eq(io("RA", 131072), BIO_READ); /* readahead */
	ck_assert_uint_eq(io("RSM", 4096), BIO_READ);  /* sync metadata */
	ck_assert_uint_eq(io("W", 4096), BIO_WRITE);
	ck_assert_uint_eq(io("WS", 1048576), BIO_WRITE);
	ck_assert_uint_eq(io("WFS", 4096), BIO_WRITE); /* FUA after the op is a flag */
	ck_assert_uint_eq(io("FWS", 4096), BIO_WRITE); /* preflush + data: a write */
	ck_assert_uint_eq(io("FWS", 0), BIO_FLUSH);    /* preflush, no data: a flush */
	ck_assert_uint_eq(io("FF", 0), BIO_FLUSH);     /* 5.x+ REQ_OP_FLUSH with preflush */
	ck_assert_uint_eq(io("F", 0), BIO_FLUSH);
	ck_assert_uint_eq(io("FR", 4096), BIO_READ);
	ck_assert_uint_eq(io("D", 1 << 20), BIO_DISCARD);
	ck_assert_uint_eq(io("DE", 1 << 20), BIO_DISCARD); /* secure erase */
	ck_assert_uint_eq(io("FD", 4096), BIO_DISCARD);
	ck_assert_uint_eq(io("W", 0), BIO_WRITE); /* no preflush: still a write */
	ck_assert_uint_eq(io("N", 0), BIO_OTHER);
	ck_assert_uint_eq(io("", 0), BIO_OTHER);
	ck_assert_str_eq(bio_io_type_name(BIO_READ), "READ");
	ck_assert_str_eq(bio_io_type_name(BIO_WRITE), "WRITE");
	ck_assert_str_eq(bio_io_type_name(BIO_DISCARD), "DISCARD");
	ck_assert_str_eq(bio_io_type_name(BIO_FLUSH), "FLUSH");
	ck_assert_str_eq(bio_io_type_name(BIO_OTHER), "OTHER");
	ck_assert_str_eq(bio_io_type_name(99), "OTHER");
}
END_TEST

START_TEST(test_log2_and_hist_slot)
{
	ck_assert_uint_eq(bio_log2(0), 0);
	ck_assert_uint_eq(bio_log2(1), 0);
	ck_assert_uint_eq(bio_log2(2), 1);
	ck_assert_uint_eq(bio_log2(3), 1);
	ck_assert_uint_eq(bio_log2(4), 2);
	ck_assert_uint_eq(bio_log2(1000), 9);
	ck_assert_uint_eq(bio_log2(1ull << 40), 40);
	ck_assert_uint_eq(bio_log2((1ull << 63) + 5), 63);
	for (int k = 0; k < 64; k++) {
		ck_assert_uint_eq(bio_log2(1ull << k), k);
		if (k > 1)
			ck_assert_uint_eq(bio_log2((1ull << k) - 1), k - 1);
	}
	/* slot 0: [0, 1) us; slot k: [2^(k-1), 2^k) us; the last one open-ended */
	ck_assert_uint_eq(bio_hist_slot(0), 0);
	ck_assert_uint_eq(bio_hist_slot(999), 0);
	ck_assert_uint_eq(bio_hist_slot(1000), 1);
	ck_assert_uint_eq(bio_hist_slot(1999), 1);
	ck_assert_uint_eq(bio_hist_slot(2000), 2);
	ck_assert_uint_eq(bio_hist_slot(3999), 2);
	ck_assert_uint_eq(bio_hist_slot(4000), 3);
	ck_assert_uint_eq(bio_hist_slot(1000000), 10); /* 1 ms = 1000 us: [512, 1024) us */
	ck_assert_uint_eq(bio_hist_slot((1ull << 29) * 1000), 30);
	ck_assert_uint_eq(bio_hist_slot((1ull << 30) * 1000 - 1), 30);
	ck_assert_uint_eq(bio_hist_slot((1ull << 30) * 1000), 31);
	ck_assert_uint_eq(bio_hist_slot(~0ull), 31);
}
END_TEST

START_TEST(test_dev_t_and_names_from_sysfs)
{
	char path[256], name[64];
	FILE *f;

	ck_assert_uint_eq(bio_dev_major(254u << 20), 254);
	ck_assert_uint_eq(bio_dev_minor(254u << 20), 0);
	ck_assert_uint_eq(bio_dev_major(8u << 20 | 17), 8);
	ck_assert_uint_eq(bio_dev_minor(8u << 20 | 17), 17);
	ck_assert_uint_eq(bio_dev_major(259u << 20 | 0xfffff), 259);
	ck_assert_uint_eq(bio_dev_minor(259u << 20 | 0xfffff), 0xfffff);

	make_tmpdir("test_bio");
	snprintf(path, sizeof(path), "mkdir -p %s/dev/block/254:0 %s/dev/block/8:16", tmpdir,
		 tmpdir);
	ck_assert_int_eq(system(path), 0);
	snprintf(path, sizeof(path), "%s/dev/block/254:0/uevent", tmpdir);
	f = fopen(path, "w");
	fputs("MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\nDISKSEQ=9\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/dev/block/8:16/uevent", tmpdir);
	f = fopen(path, "w");
	fputs("MAJOR=8\nMINOR=16\nDEVTYPE=disk\n", f); /* no DEVNAME */
	fclose(f);

	ck_assert_int_eq(bio_dev_name(tmpdir, 254u << 20, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "vda");
	ck_assert_int_ne(bio_dev_name(tmpdir, 8u << 20 | 16, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "8:16");
	ck_assert_int_eq(bio_dev_name(tmpdir, 7u << 20 | 3, name, sizeof(name)), -ENOENT);
	ck_assert_str_eq(name, "7:3");
	/* a name that does not fit is not truncated into another device's name */
	ck_assert_int_ne(bio_dev_name(tmpdir, 254u << 20, name, 3), 0);
	rm_tmpdir();
}
END_TEST

START_TEST(test_merge_per_cpu_values)
{
	struct bio_value cpu[3], acc;

	memset(cpu, 0, sizeof(cpu));
	memset(&acc, 0, sizeof(acc));
	/* CPU 0 saw nothing: its zero min must not win */
	cpu[1].count = 2;
	cpu[1].bytes = 8192;
	cpu[1].lat_sum_ns = 14000;
	cpu[1].lat_min_ns = 5000;
	cpu[1].lat_max_ns = 9000;
	cpu[1].hist[3] = 1;
	cpu[1].hist[4] = 1;
	cpu[2].count = 1;
	cpu[2].bytes = 4096;
	cpu[2].lat_sum_ns = 3000;
	cpu[2].lat_min_ns = 3000;
	cpu[2].lat_max_ns = 3000;
	cpu[2].hist[2] = 1;
	for (int c = 0; c < 3; c++)
		bio_value_merge(&acc, &cpu[c]);
	ck_assert_uint_eq(acc.count, 3);
	ck_assert_uint_eq(acc.bytes, 12288);
	ck_assert_uint_eq(acc.lat_sum_ns, 17000);
	ck_assert_uint_eq(acc.lat_min_ns, 3000);
	ck_assert_uint_eq(acc.lat_max_ns, 9000);
	ck_assert_uint_eq(acc.hist[2] + acc.hist[3] + acc.hist[4], 3);
}
END_TEST

static void add_sample(struct bio_value *v, uint64_t ns)
{
	struct bio_value one;

	memset(&one, 0, sizeof(one));
	one.count = 1;
	one.lat_sum_ns = one.lat_min_ns = one.lat_max_ns = ns;
	one.hist[bio_hist_slot(ns)] = 1;
	bio_value_merge(v, &one);
}

START_TEST(test_percentiles_known_answers)
{
	struct bio_value v;

	memset(&v, 0, sizeof(v));
	ck_assert(bio_hist_percentile_ns(&v, 0.5) == 0.0); /* empty */
	/* one sample: exact */
	add_sample(&v, 1500);
	ck_assert(bio_hist_percentile_ns(&v, 0.5) == 1500.0);
	ck_assert(bio_hist_percentile_ns(&v, 0.99) == 1500.0);
	/* all equal: exact */
	for (int i = 0; i < 9; i++)
		add_sample(&v, 1500);
	ck_assert(bio_hist_percentile_ns(&v, 0.99) == 1500.0);

	/* 50 samples in [1, 2) us, 49 in [16, 32) us, 1 at 900 us */
	memset(&v, 0, sizeof(v));
	for (int i = 0; i < 50; i++)
		add_sample(&v, 1000 + (uint64_t)i * 10);
	for (int i = 0; i < 49; i++)
		add_sample(&v, 16000 + (uint64_t)i * 100);
	add_sample(&v, 900000);
	/* p50: rank 50, the last of bucket [1000, 2000) ns: 1000 + 1000 * 49.5 / 50 */
	ck_assert_double_eq_tol(bio_hist_percentile_ns(&v, 0.50), 1990.0, 1e-6);
	/* p99: rank 99, the last of bucket [16000, 32000): 16000 + 16000 * 48.5 / 49 */
	ck_assert_double_eq_tol(bio_hist_percentile_ns(&v, 0.99), 16000.0 + 16000.0 * 48.5 / 49,
				1e-6);
	/* p100: the bucket [512, 1024) us narrowed to [512 us, max] */
	ck_assert_double_eq_tol(bio_hist_percentile_ns(&v, 1.0), 512000.0 + 388000.0 * 0.5, 1e-6);
	/* the narrowing to the exact min: p1 lies at or above it */
	ck_assert(bio_hist_percentile_ns(&v, 0.01) >= 1000.0);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Against exact nearest-rank quantiles of random latencies: same bucket, within [min, max],
 * non-decreasing in p. */
START_TEST(test_percentiles_same_bucket_as_exact)
{
	static uint64_t s[5000];
	const double ps[] = { 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (int round = 0; round < 50; round++) {
		struct bio_value v;
		int n = 1 + round * 97 % 5000;
		double prev = 0;

		memset(&v, 0, sizeof(v));
		for (int i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			/* log-uniform from 100 ns to about 1 s */
			s[i] = 100ull << ((seed >> 33) % 24);
			s[i] += (seed >> 8) % s[i];
			add_sample(&v, s[i]);
		}
		qsort(s, (size_t)n, sizeof(s[0]), cmp_u64);
		for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			size_t rank = (size_t)(ps[k] * n);
			uint64_t exact;
			double est;

			if ((double)rank < ps[k] * n)
				rank++; /* nearest rank: ceil(p * n) */
			exact = s[(rank ? rank : 1) - 1];
			est = bio_hist_percentile_ns(&v, ps[k]);

			ck_assert_msg(bio_hist_slot((uint64_t)est) == bio_hist_slot(exact),
				      "n=%d p=%g: estimate %.1f, exact %llu", n, ps[k], est,
				      (unsigned long long)exact);
			ck_assert(est >= (double)v.lat_min_ns && est <= (double)v.lat_max_ns);
			ck_assert(est >= prev);
			prev = est;
		}
	}
}
END_TEST

/* ---- the stale sweep against an in-memory hash ---- */

struct fake_map {
	struct bio_req_key keys[32];
	struct bio_inflight vals[32];
	int used[32];
	int n;
	int vanish_on_delete; /* index the "kernel" completes just before the sweep deletes it */
};

static int find(struct fake_map *f, const void *key)
{
	for (int i = 0; i < f->n; i++) {
		if (f->used[i] && !memcmp(&f->keys[i], key, sizeof(f->keys[0])))
			return i;
	}
	return -1;
}

static int fake_next(void *ctx, const void *key, void *ret_next)
{
	struct fake_map *f = ctx;
	int start = 0;

	if (key) {
		int i = find(f, key);

		start = i < 0 ? 0 : i + 1; /* like the kernel: a missing key restarts */
	}
	for (int i = start; i < f->n; i++) {
		if (f->used[i]) {
			memcpy(ret_next, &f->keys[i], sizeof(f->keys[0]));
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_lookup(void *ctx, const void *key, void *ret_value)
{
	struct fake_map *f = ctx;
	int i = find(f, key);

	if (i < 0)
		return -ENOENT;
	memcpy(ret_value, &f->vals[i], sizeof(f->vals[0]));
	return 0;
}

static int fake_delete(void *ctx, const void *key)
{
	struct fake_map *f = ctx;
	int i = find(f, key);

	if (i < 0)
		return -ENOENT;
	f->used[i] = 0;
	return i == f->vanish_on_delete ? -ENOENT : 0;
}

static const struct agg_map_ops fake_ops = { fake_next, fake_lookup, fake_delete };

static void add_req(struct fake_map *f, uint64_t sector, uint64_t ts_s)
{
	memset(&f->keys[f->n], 0, sizeof(f->keys[0]));
	memset(&f->vals[f->n], 0, sizeof(f->vals[0]));
	f->keys[f->n].dev = 254u << 20;
	f->keys[f->n].sector = sector;
	f->vals[f->n].ts_ns = ts_s * 1000000000ull;
	f->used[f->n++] = 1;
}

START_TEST(test_sweep_deletes_only_stale_and_counts_own_deletes)
{
	struct fake_map f = { .n = 0, .vanish_on_delete = -1 };
	struct agg_map m = { &fake_ops, &f, sizeof(struct bio_req_key),
			     sizeof(struct bio_inflight), 0, 32 };
	const uint64_t now = 1000ull * 1000000000ull, age = 60ull * 1000000000ull;
	const long off_skip = offsetof(struct bio_inflight, skip);

	add_req(&f, 1ull << 40, 100); /* stale: a sector above 32 bits stays distinct */
	add_req(&f, 1, 939);	      /* 61 s old: stale */
	add_req(&f, 2, 940);	      /* exactly 60 s: kept */
	add_req(&f, 3, 999);	      /* fresh */
	add_req(&f, 4, 500);	      /* stale, but completed by the kernel meanwhile */
	f.vanish_on_delete = 4;
	/* counting leaves everything in place */
	{
		uint64_t oldest = 1;

		ck_assert_int_eq(bio_count_stale(&m, now, age, -1, &oldest), 3);
		ck_assert_uint_eq(oldest, 900ull * 1000000000ull);
		ck_assert_int_eq(bio_count_stale(&m, now, 1000ull * 1000000000ull, -1, &oldest), 0);
		ck_assert_uint_eq(oldest, 0);
		ck_assert_int_eq(bio_count_stale(&m, now, 0, -1, &oldest), 5);
	}
	ck_assert_int_eq(bio_sweep_stale(&m, now, age, -1), 2);
	ck_assert_int_eq(f.used[0] + f.used[1] + f.used[4], 0);
	ck_assert_int_eq(f.used[2] + f.used[3], 2);
	ck_assert_int_eq(bio_sweep_stale(&m, now, age, -1), 0);
	/* early after boot nothing can be that old */
	ck_assert_int_eq(bio_sweep_stale(&m, age / 2, age, -1), 0);
	/* a filtered-out task's entries go, but are no loss */
	add_req(&f, 5, 100);
	add_req(&f, 6, 100);
	f.vals[5].skip = 1;
	{
		uint64_t oldest = 0;

		ck_assert_int_eq(bio_count_stale(&m, now, age, off_skip, &oldest), 1);
		ck_assert_int_eq(bio_count_stale(&m, now, age, -1, &oldest), 2);
	}
	ck_assert_int_eq(bio_sweep_stale(&m, now, age, off_skip), 1);
	ck_assert_int_eq(f.used[5] + f.used[6], 0);
	/* per-CPU maps are not swept */
	m.ncpus = 4;
	ck_assert_int_eq(bio_sweep_stale(&m, now, age, -1), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bio_util");
	TCase *tc = tcase_create("bio");

	tcase_add_test(tc, test_io_type_from_rwbs);
	tcase_add_test(tc, test_log2_and_hist_slot);
	tcase_add_test(tc, test_dev_t_and_names_from_sysfs);
	tcase_add_test(tc, test_merge_per_cpu_values);
	tcase_add_test(tc, test_percentiles_known_answers);
	tcase_add_test(tc, test_percentiles_same_bucket_as_exact);
	tcase_add_test(tc, test_sweep_deletes_only_stale_and_counts_own_deletes);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
