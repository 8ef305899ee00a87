/* test_open_rows.c - how the open monitor turns drained per-CPU values and keys into row text:
 * merged counts and latencies, the most frequent errno, truncated paths, openat2 flags, and the
 * merge of rows whose keys are equal (attribution). */
#include <check.h>
#include <errno.h>
#include <linux/types.h>
#include <string.h>

#include "probes/open.h"
#include "monitors/agg.h"
#include "monitors/open_rows.h"
#include "testutil.h"

static struct open_key key_with_path(const char *path, int truncated)
{
	struct open_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.filename, path, strnlen(path, sizeof(k.filename) - 1));
	k.truncated = (__u8)truncated;
	return k;
}

static const char *path_text(const struct open_key *k)
{
	static char buf[OPEN_PATH_LEN + 4];
	int n = open_filename_text(k, buf, sizeof(buf));

	ck_assert_int_eq(n, (int)strlen(buf));
	return buf;
}

/* CPUs that saw nothing (all zero), before and between busy ones, must not pull the minimum
 * latency to 0. */
START_TEST(merge_sums_and_keeps_min_of_busy_cpus)
{
	struct open_value cpu[4], sum;

	memset(cpu, 0, sizeof(cpu));
	memset(&sum, 0, sizeof(sum));
	cpu[1] = (struct open_value){ .count = 5,
				      .errors = 2,
				      .lat_sum_ns = 5000,
				      .lat_min_ns = 700,
				      .lat_max_ns = 2000 };
	cpu[1].err[OPEN_E_NOENT] = 2;
	cpu[3] = (struct open_value){ .count = 3,
				      .errors = 1,
				      .lat_sum_ns = 3000,
				      .lat_min_ns = 900,
				      .lat_max_ns = 1200 };
	cpu[3].err[OPEN_E_OTHER] = 1;
	cpu[3].other_errno = EINVAL;
	for (int i = 0; i < 4; i++)
		open_value_merge(&sum, &cpu[i]);
	ck_assert_uint_eq(sum.count, 8);
	ck_assert_uint_eq(sum.errors, 3);
	ck_assert_uint_eq(sum.lat_sum_ns, 8000);
	ck_assert_uint_eq(sum.lat_min_ns, 700);
	ck_assert_uint_eq(sum.lat_max_ns, 2000);
	ck_assert_uint_eq(sum.err[OPEN_E_NOENT], 2);
	ck_assert_uint_eq(sum.err[OPEN_E_OTHER], 1);
	ck_assert_uint_eq(sum.other_errno, EINVAL);
}
END_TEST

START_TEST(merge_min_from_a_later_cpu)
{
	struct open_value a = { .count = 1,
				.lat_sum_ns = 900,
				.lat_min_ns = 900,
				.lat_max_ns = 900 };
	struct open_value b = { .count = 1,
				.lat_sum_ns = 400,
				.lat_min_ns = 400,
				.lat_max_ns = 400 };
	struct open_value sum;

	memset(&sum, 0, sizeof(sum));
	open_value_merge(&sum, &a);
	open_value_merge(&sum, &b);
	ck_assert_uint_eq(sum.lat_min_ns, 400);
	ck_assert_uint_eq(sum.lat_max_ns, 900);
}
END_TEST

START_TEST(top_errno_by_count_ties_to_the_earlier_bucket)
{
	struct open_value v;

	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(open_top_errno(&v), 0);
	v.err[OPEN_E_ACCES] = 3;
	v.err[OPEN_E_NOENT] = 2;
	ck_assert_int_eq(open_top_errno(&v), EACCES);
	v.err[OPEN_E_NOENT] = 3;
	ck_assert_int_eq(open_top_errno(&v), ENOENT);
	v.err[OPEN_E_NFILE] = 4;
	ck_assert_int_eq(open_top_errno(&v), ENFILE);
	v.err[OPEN_E_OTHER] = 9;
	v.other_errno = ENAMETOOLONG;
	ck_assert_int_eq(open_top_errno(&v), ENAMETOOLONG);
}
END_TEST

START_TEST(path_plain_and_truncated)
{
	char long_path[OPEN_PATH_LEN];
	struct open_key k = key_with_path("/etc/passwd", 0);
	const char *t;

	ck_assert_str_eq(path_text(&k), "/etc/passwd");
	/* what the probe keeps of a longer path: 255 bytes, then the marker */
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	k = key_with_path(long_path, 1);
	t = path_text(&k);
	ck_assert_uint_eq(strlen(t), 255 + 3);
	ck_assert_int_eq(strncmp(t, long_path, 255), 0);
	ck_assert_str_eq(t + 255, "...");
	/* exactly 255 bytes and not cut: shown as is */
	k = key_with_path(long_path, 0);
	ck_assert_str_eq(path_text(&k), long_path);
}
END_TEST

/* A cut inside a multi-byte character drops the partial character before the marker. */
START_TEST(truncated_path_ends_on_a_whole_character)
{
	char p[OPEN_PATH_LEN];
	struct open_key k;
	const char *t;

	/* 253 ASCII bytes, then the first 2 of the 3 bytes of U+20AC (e2 82 ac) */
	memset(p, 'b', 253);
	p[253] = (char)0xe2;
	p[254] = (char)0x82;
	p[255] = '\0';
	k = key_with_path(p, 1);
	t = path_text(&k);
	ck_assert_uint_eq(strlen(t), 253 + 3);
	ck_assert_str_eq(t + 253, "...");
	/* 252 ASCII bytes and a whole U+20AC: kept */
	p[252] = (char)0xe2;
	p[253] = (char)0x82;
	p[254] = (char)0xac;
	k = key_with_path(p, 1);
	t = path_text(&k);
	ck_assert_uint_eq(strlen(t), 255 + 3);
	ck_assert_int_eq((unsigned char)t[254], 0xac);
	/* a 2-byte character (U+00E9, c3 a9) cut after its lead byte */
	memset(p, 'c', 254);
	p[254] = (char)0xc3;
	k = key_with_path(p, 1);
	ck_assert_uint_eq(strlen(path_text(&k)), 254 + 3);
}
END_TEST

START_TEST(path_fits_a_small_buffer_like_snprintf)
{
	struct open_key k = key_with_path("/var/log/syslog", 1);
	char small[8];
	int n = open_filename_text(&k, small, sizeof(small));

	ck_assert_int_eq(n, (int)strlen("/var/log/syslog..."));
	ck_assert_str_eq(small, "/var/lo");
}
END_TEST

/* The key keeps the low 32 bits and a mark for any above (openat2 refuses them). */
START_TEST(flags_text_with_openat2_upper_bits)
{
	volatile size_t small = 4;
	char buf[128];

	ck_assert_int_eq(open_flags_text(02000000, 0, buf, sizeof(buf)),
			 (int)strlen("O_RDONLY|O_CLOEXEC"));
	ck_assert_str_eq(buf, "O_RDONLY|O_CLOEXEC");
	open_flags_text(01, 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "O_WRONLY|bits32-63");
	/* volatile: gcc would flag the deliberate cut at compile time */
	ck_assert_int_eq(open_flags_text(0, 1, buf, small), (int)strlen("O_RDONLY|bits32-63"));
	ck_assert_str_eq(buf, "O_R");
}
END_TEST

static struct open_row row(const char *comm, const char *path, __u32 flags, __u32 who, __u64 n,
			   __u64 min_ns, __u64 max_ns)
{
	struct open_row r;

	memset(&r, 0, sizeof(r));
	r.key = key_with_path(path, 0);
	memcpy(r.key.comm, comm, strnlen(comm, sizeof(r.key.comm)));
	r.key.op = OPEN_OP_OPENAT;
	r.key.flags = flags;
	r.key.who = who;
	r.v.count = n;
	r.v.lat_sum_ns = n * min_ns;
	r.v.lat_min_ns = min_ns;
	r.v.lat_max_ns = max_ns;
	return r;
}

/* The rows through agg_batch_coalesce with the open monitor's comparison and addition; how
 * many are left (in r). */
static size_t coalesce(struct open_row *r, size_t n)
{
	struct agg_batch b = { .rows = r, .n = n, .cap = n, .size = sizeof(*r) };

	agg_batch_coalesce(&b, open_row_key_cmp, open_row_add);
	return b.n;
}

/* Attribution: rows of one key (the epoch aside) become one, whatever order they come in;
 * a class, the flags, the upper-bits mark or the cut keep rows apart. */
START_TEST(coalesce_merges_equal_keys_only)
{
	struct open_row r[7];
	size_t n;

	r[0] = row("cat", "/a", 0, 5, 3, 700, 900);
	r[1] = row("cat", "/a", 0, 6, 2, 100, 150); /* another class */
	r[2] = row("cat", "/a", 0, 5, 4, 400, 2000);
	r[2].key.epoch = 1; /* a late writer's key of an older epoch: the same row */
	r[2].v.errors = 1;
	r[2].v.err[OPEN_E_NOENT] = 1;
	r[3] = row("cat", "/a", 1, 5, 1, 100, 100); /* other flags */
	r[4] = row("cat", "/a", 0, 5, 1, 100, 100);
	r[4].key.flags_hi = 1;
	r[5] = row("cat", "/a", 0, 5, 1, 100, 100);
	r[5].key.truncated = 1;
	r[6] = row("cat", "/a", 0, 5, 0, 0, 0); /* counted nothing: the minimum stays */
	n = coalesce(r, 7);
	ck_assert_int_eq((int)n, 5);
	/* by key: flags 0 (class 5, class 6, the cut path, the upper-bits mark), then flags 1 */
	ck_assert_int_eq((int)r[0].key.who, 5);
	ck_assert_int_eq((int)r[0].v.count, 7);
	ck_assert_int_eq((int)r[0].v.errors, 1);
	ck_assert_int_eq((int)r[0].v.err[OPEN_E_NOENT], 1);
	ck_assert_int_eq((int)r[0].v.lat_sum_ns, 3 * 700 + 4 * 400);
	ck_assert_int_eq((int)r[0].v.lat_min_ns, 400);
	ck_assert_int_eq((int)r[0].v.lat_max_ns, 2000);
	ck_assert_int_eq((int)r[1].key.who, 6);
	ck_assert_int_eq((int)r[1].v.count, 2);
	ck_assert_int_eq((int)r[1].v.lat_min_ns, 100);
	ck_assert_int_eq(r[2].key.truncated, 1);
	ck_assert_int_eq(r[3].key.flags_hi, 1);
	ck_assert_int_eq((int)r[4].key.flags, 1);
	for (size_t i = 0; i + 1 < n; i++)
		ck_assert_msg(open_row_key_cmp(&r[i], &r[i + 1]) < 0, "row %zu", i);
	ck_assert_int_eq((int)coalesce(r, 1), 1);
	ck_assert_int_eq((int)coalesce(r, 0), 0);
}
END_TEST

START_TEST(operation_names)
{
	ck_assert_str_eq(open_op_name(OPEN_OP_OPEN), "open");
	ck_assert_str_eq(open_op_name(OPEN_OP_OPENAT), "openat");
	ck_assert_str_eq(open_op_name(OPEN_OP_OPENAT2), "openat2");
	ck_assert_str_eq(open_op_name(7), "?");
}
END_TEST

/* The probe and user space agree on the layout: the epoch first, sizes the drain relies on. */
START_TEST(layout)
{
	ck_assert_uint_eq(offsetof(struct open_key, epoch), 0);
	ck_assert_uint_eq(sizeof(struct open_key) % 8, 0);
	ck_assert_uint_eq(sizeof(struct open_value) % 8, 0);
	ck_assert_uint_eq(sizeof(((struct open_key *)0)->filename), OPEN_PATH_LEN);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("open_rows");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, merge_sums_and_keeps_min_of_busy_cpus);
	tcase_add_test(tc, merge_min_from_a_later_cpu);
	tcase_add_test(tc, top_errno_by_count_ties_to_the_earlier_bucket);
	tcase_add_test(tc, path_plain_and_truncated);
	tcase_add_test(tc, truncated_path_ends_on_a_whole_character);
	tcase_add_test(tc, path_fits_a_small_buffer_like_snprintf);
	tcase_add_test(tc, flags_text_with_openat2_upper_bits);
	tcase_add_test(tc, coalesce_merges_equal_keys_only);
	tcase_add_test(tc, operation_names);
	tcase_add_test(tc, layout);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
