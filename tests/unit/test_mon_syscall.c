/* test_mon_syscall.c - the syscall monitor from its config to its rows, over the fake loader:
 * per-CPU sums, names and categories, sorting, show_errors_only, the latency columns and
 * sys_enter only with latency: true, the category filter in the kernel's map, and a key of the
 * current epoch left for the next interval. */
#include <check.h>
#include <linux/types.h>
#include <string.h>

#include "core/kcheck.h"
#include "montest.h"
#include "probes/syscall.h"
#include "probes/task_slots.h"
#include "monitors/syscall_table.h"
#include "testutil.h"

#if defined(__x86_64__) || defined(__aarch64__)
#define SYSCALL_FIRST_ALT "raw_tracepoint"
#else
#define SYSCALL_FIRST_ALT "tracepoint"
#endif

static struct montest t;

static void declare_maps(void)
{
	fake_bpf_reset();
	fake_bpf_map("syscall", "syscall_counts", sizeof(struct syscall_key),
		     sizeof(struct syscall_value), 10240, true);
	fake_bpf_map("syscall", "syscall_allowed", 4, 1, SYSCALL_NR_MAX, false);
	fake_bpf_map("syscall", "syscall_start", 4, 8, 10240, false);
	fake_bpf_array("syscall", "syscall_fast", sizeof(struct syscall_fast_row), 64, true);
	kcheck_force_map(KMAP_PERCPU_ARRAY, 1);
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
	/* the raw tracepoint's probe reads the number from x86_64's or arm64's pt_regs: elsewhere
	 * the tracepoint */
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "sys_enter"), SYSCALL_FIRST_ALT);
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

/* ---- the fast path: task slots ---- */

/* The kernel's hint that a name got hot on the hash path (cpu 1's em_hot). */
static void hint(const char *name)
{
	struct em_hot_names h[2];
	__u32 zero = 0;

	memset(h, 0, sizeof(h));
	h[1].n = 1;
	memcpy(h[1].key[0].name, name, strnlen(name, 16));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "em_hot", &zero, h), 0);
}

/* The slot em_slot_of gives name, or -1. */
static long slot_of(const char *name)
{
	char key[24] = "";
	__u32 slot;

	memcpy(key, name, strnlen(name, 16));
	if (fake_map_get(montest_mod(&t), "em_slot_of", key, 0, &slot))
		return -1;
	return slot;
}

/* The cumulative cells of (slot, syscall) on cpu0 and cpu1, as the probe leaves them. */
static void cells(long slot, const char *syscall, __u64 c0, __u64 e0, __u64 c1, __u64 e1)
{
	static struct syscall_fast_row rows[2];
	__u32 s = (__u32)slot, i = syscall_index(syscall_number(syscall));

	ck_assert_int_ge(slot, 0);
	ck_assert_uint_lt(i, SYSCALL_NIDX);
	memset(rows, 0, sizeof(rows)); /* a cell never written reads as zero */
	for (unsigned c = 0; c < 2; c++)
		(void)fake_map_get(montest_mod(&t), "syscall_fast", &s, c, &rows[c]);
	rows[0].v[i] = (struct syscall_fast_value){ c0, e0 };
	rows[1].v[i] = (struct syscall_fast_value){ c1, e1 };
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "syscall_fast", &s, rows), 0);
}

/* The cells' index of every number the fast path takes, and back. */
START_TEST(fast_path_cell_index)
{
	for (long nr = 0; nr < 600; nr++) {
		__u32 i = syscall_index(nr);

		if (nr < 512) {
			ck_assert_uint_lt(i, SYSCALL_NIDX);
			ck_assert_int_eq(syscall_nr_of_index(i), nr);
		} else {
			ck_assert_uint_eq(i, SYSCALL_NIDX);
		}
	}
}
END_TEST

START_TEST(fast_path_built_and_attached)
{
	start("");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DSYSCALL_FAST=1"));
	/* 2 CPUs: 8 MiB holds 512 names' cells; auto takes at most 64 */
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=64");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "task_fork"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "task_rename"), "tracepoint");
	stop();

	declare_maps();
	fake_bpf_set_cpus(512); /* 8 MiB / (8 KiB x 512 CPUs): 2, raised to the floor of 4 */
	ck_assert_msg(montest_start(&t, "syscall", "") == 0, "%s", t.err);
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=4");
	stop();

	start("    fast_names: 3\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=3");
	stop();

	/* off: by the option, with latency (its fields are the hash path's), on a kernel
	 * without per-CPU arrays */
	const char *off[] = { "    fast_names: 0\n", "    latency: true\n", "" };
	for (unsigned k = 0; k < 3; k++) {
		declare_maps();
		if (k == 2)
			kcheck_force_map(KMAP_PERCPU_ARRAY, 0);
		ck_assert_msg(montest_start(&t, "syscall", off[k]) == 0, "%s", t.err);
		ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DSYSCALL_FAST"));
		ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS"));
		ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "task_fork"));
		ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "task_rename"));
		stop();
	}
	kcheck_force_map(KMAP_PERCPU_ARRAY, -1);
}
END_TEST

START_TEST(fast_names_rejects_bad_values)
{
	const char *bad[] = { "    fast_names: many\n", "    fast_names: -2\n",
			      "    fast_names: 1025\n" };

	for (unsigned k = 0; k < 3; k++) {
		declare_maps();
		ck_assert_int_ne(montest_start(&t, "syscall", bad[k]), 0);
		ck_assert_msg(strstr(t.err, "fast_names") &&
				      strstr(t.err, "must be auto or a number from 0 to 1024"),
			      "%s", t.err);
		stop();
	}
}
END_TEST

/* A name the kernel calls hot gets a slot at the next poll; its rows then sum both paths and
 * the cells' differences; idle for two intervals, it gives the slot back, and what raced that
 * is still its own; the next name in that slot counts from there. */
START_TEST(fast_path_hot_name_lifecycle)
{
	start("");
	ck_assert_int_eq(slot_of("storm"), -1);
	hint("storm");
	montest_poll(&t);
	ck_assert_int_eq(slot_of("storm"), 0);
	{
		struct em_hot_names h;
		__u32 zero = 0;

		ck_assert_int_eq(fake_map_get(montest_mod(&t), "em_hot", &zero, 1, &h), 0);
		ck_assert_uint_eq(h.n, 0); /* read and cleared */
	}
	put("storm", "getppid", 1024, 0, 0, 0); /* before the slot, on the hash path */
	cells(0, "getppid", 100, 0, 20, 3);
	cells(0, "read", 7, 7, 0, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "storm");
	ck_assert_str_eq(montest_cell(&t, 0, "syscall_name"), "getppid");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "1144");
	ck_assert_str_eq(montest_cell(&t, 0, "error_count"), "3");
	ck_assert_str_eq(montest_cell(&t, 1, "syscall_name"), "read");
	ck_assert_str_eq(montest_cell(&t, 1, "error_rate"), "1.0000");

	/* cumulative cells: the next interval shows the difference */
	montest_clear_rows(&t);
	cells(0, "getppid", 150, 0, 20, 3);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "50");
	ck_assert_str_eq(montest_cell(&t, 0, "error_count"), "0");

	/* idle for two intervals: taken back */
	montest_clear_rows(&t);
	montest_interval(&t, 3);
	ck_assert_int_eq(slot_of("storm"), 0);
	montest_interval(&t, 4);
	ck_assert_uint_eq(t.nrows, 0);
	ck_assert_int_eq(slot_of("storm"), -1);
	/* a late increment that raced the change is read under the old name */
	cells(0, "getppid", 151, 0, 20, 3);
	hint("next");
	montest_poll(&t); /* slot 0 is quarantined: next gets slot 1 */
	ck_assert_int_eq(slot_of("next"), 1);
	montest_interval(&t, 5);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "storm");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "1");
	/* free again: the next name there counts from the cells' values, not from zero */
	montest_clear_rows(&t);
	hint("third");
	montest_poll(&t);
	ck_assert_int_eq(slot_of("third"), 0);
	cells(0, "getppid", 161, 0, 20, 3);
	montest_interval(&t, 6);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "third");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "10");
	stop();
}
END_TEST

/* At the end of an interval the hash path's busiest names get the free slots; with none free,
 * a name counting four times a slot's takes it (after the slot's quarantine). */
START_TEST(fast_path_promotes_and_outbids_at_interval_end)
{
	start("    fast_names: 1\n");
	put("warm", "read", 600, 0, 600, 0); /* 1200 >= 1024: worth a slot */
	put("cool", "read", 100, 0, 0, 0);
	montest_interval(&t, 1);
	ck_assert_int_eq(slot_of("warm"), 0);
	ck_assert_int_eq(slot_of("cool"), -1);
	montest_clear_rows(&t);
	cells(0, "read", 1000, 0, 0, 0);       /* warm: 1000 in this interval */
	put("hotter", "write", 4001, 0, 0, 0); /* more than 4 x 1000 */
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_int_eq(slot_of("warm"), -1); /* quarantined */
	ck_assert_int_eq(slot_of("hotter"), -1);
	montest_clear_rows(&t);
	put("hotter", "write", 4001, 0, 0, 0);
	montest_interval(&t, 3);
	ck_assert_int_eq(slot_of("hotter"), 0);
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
	tcase_add_test(tc, fast_path_cell_index);
	tcase_add_test(tc, fast_path_built_and_attached);
	tcase_add_test(tc, fast_names_rejects_bad_values);
	tcase_add_test(tc, fast_path_hot_name_lifecycle);
	tcase_add_test(tc, fast_path_promotes_and_outbids_at_interval_end);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
