/* test_mon_syscall.c - the syscall monitor from its config to its rows, over the fake loader:
 * per-CPU sums, names and categories, sorting, show_errors_only, the latency columns and
 * sys_enter only with latency: true, the category filter in the kernel's map, and a key of the
 * current epoch left for the next interval. */
#include <check.h>
#include <linux/types.h>
#include <string.h>

#include "montest.h"
#include "probes/syscall.h"
#include "monitors/syscall_table.h"
#include "testutil.h"

static struct montest t;

static void declare_maps(void)
{
	fake_bpf_reset();
	fake_bpf_map("syscall", "syscall_counts", sizeof(struct syscall_key),
		     sizeof(struct syscall_value), 10240, true);
	fake_bpf_map("syscall", "syscall_allowed", 4, 1, SYSCALL_NR_MAX, false);
	fake_bpf_map("syscall", "syscall_start", 4, 8, 10240, false);
}

static void start(const char *options)
{
	declare_maps();
	ck_assert_msg(montest_start(&t, "syscall", options) == 0, "%s", t.err);
}

static void stop(void)
{
	montest_stop(&t);
}

/* cpu0 and cpu1's values of one key, as the probe leaves them. */
static void put(const char *comm, const char *syscall, __u64 c0, __u64 e0, __u64 c1, __u64 e1)
{
	struct syscall_key k;
	struct syscall_value v[2];

	memset(&k, 0, sizeof(k));
	memset(v, 0, sizeof(v));
	k.epoch = montest_epoch(&t);
	k.nr = (__u32)syscall_number(syscall);
	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm)));
	v[0] = (struct syscall_value){ .count = c0, .errors = e0 };
	v[1] = (struct syscall_value){ .count = c1, .errors = e1 };
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "syscall_counts", &k, v), 0);
}

START_TEST(rows_sum_cpus_and_sort_by_count)
{
	long r;

	start("");
	put("cat", "read", 3, 1, 4, 1);	  /* 7 calls, 2 errors */
	put("cat", "openat", 1, 0, 0, 0); /* 1 */
	put("nginx", "write", 10, 0, 5, 0);
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_uint_eq(t.nrows, 3);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "nginx");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "15");
	ck_assert_str_eq(montest_cell(&t, 1, "syscall_name"), "read");
	ck_assert_str_eq(montest_cell(&t, 1, "category"), "file_io");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "7");
	ck_assert_str_eq(montest_cell(&t, 1, "error_count"), "2");
	ck_assert_str_eq(montest_cell(&t, 1, "error_rate"), "0.2857");
	r = montest_find(&t, "syscall_name", "openat");
	ck_assert_int_eq(r, 2);
	ck_assert_str_eq(montest_cell(&t, 2, "error_rate"), "0.0000");
	ck_assert_uint_eq(t.row_ts[0], 1700000000000000000ull);
	/* no latency columns unless asked for */
	ck_assert_ptr_null(montest_cell(&t, 0, "avg_latency_us"));
	ck_assert_uint_eq(t.m.ncolumns, 9);
	/* drained: the map is empty, the next interval has no rows */
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "syscall_counts"), 0);
	montest_clear_rows(&t);
	montest_interval(&t, 1700000001000000000ull);
	ck_assert_uint_eq(t.nrows, 0);
	stop();
}
END_TEST

/* A key the probe wrote after the flip (the new epoch) waits for the next interval. */
START_TEST(current_epoch_waits)
{
	start("");
	put("early", "read", 1, 0, 0, 0);
	ck_assert_int_eq(monitor_flip_epoch(&t.m, 1), 0);
	put("late", "read", 2, 0, 0, 0); /* written with the flipped epoch */
	t.m.ops->collect(&t.m, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "early");
	montest_clear_rows(&t);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "late");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "2");
	stop();
}
END_TEST

START_TEST(errors_only)
{
	start("    show_errors_only: true\n");
	put("cat", "read", 3, 1, 0, 0);
	put("cat", "write", 9, 0, 0, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "syscall_name"), "read");
	stop();
}
END_TEST

START_TEST(latency_adds_sys_enter_and_columns)
{
	struct syscall_key k;
	struct syscall_value v[2];

	start("    latency: true\n");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DSYSCALL_LATENCY=1"));
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "sys_enter"), "raw_tracepoint");
	memset(&k, 0, sizeof(k));
	memset(v, 0, sizeof(v));
	k.nr = (__u32)syscall_number("read");
	strcpy(k.comm, "dd");
	v[0] = (struct syscall_value){ .count = 2, .lat_count = 2, .lat_sum_ns = 3000,
				       .lat_max_ns = 2500 };
	v[1] = (struct syscall_value){ .count = 1, .lat_count = 1, .lat_sum_ns = 3000,
				       .lat_max_ns = 3000 };
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "syscall_counts", &k, v), 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "avg_latency_us"), "2.000");
	ck_assert_str_eq(montest_cell(&t, 0, "max_latency_us"), "3.000");
	stop();

	start("");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DSYSCALL_LATENCY"));
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "sys_enter"));
	stop();
}
END_TEST

/* Unlisted categories count; a listed false one is switched off in the kernel's table. */
START_TEST(category_filter_fills_the_kernel_table)
{
	__u32 read_nr = (__u32)syscall_number("read"), mmap_nr = (__u32)syscall_number("mmap");
	__u8 ok = 9;

	start("    monitor_categories:\n      memory: false\n");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DSYSCALL_CAT_FILTER=1"));
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "syscall_allowed"), SYSCALL_NR_MAX);
	ck_assert_int_eq(fake_map_get(montest_mod(&t), "syscall_allowed", &read_nr, 0, &ok), 0);
	ck_assert_uint_eq(ok, 1);
	ck_assert_int_eq(fake_map_get(montest_mod(&t), "syscall_allowed", &mmap_nr, 0, &ok), 0);
	ck_assert_uint_eq(ok, 0);
	stop();

	start("");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DSYSCALL_CAT_FILTER"));
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "syscall_allowed"), 0);
	stop();
}
END_TEST

/* An older kernel without raw tracepoints: the tracepoint alternative. */
START_TEST(falls_back_to_tracepoint)
{
	declare_maps();
	fake_bpf_refuse_alt("raw_tracepoint");
	ck_assert_msg(montest_start(&t, "syscall", "") == 0, "%s", t.err);
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "sys_exit"), "tracepoint");
	stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_syscall");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, rows_sum_cpus_and_sort_by_count);
	tcase_add_test(tc, current_epoch_waits);
	tcase_add_test(tc, errors_only);
	tcase_add_test(tc, latency_adds_sys_enter_and_columns);
	tcase_add_test(tc, category_filter_fills_the_kernel_table);
	tcase_add_test(tc, falls_back_to_tracepoint);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
