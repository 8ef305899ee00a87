/* test_mon_interrupt.c - the interrupt monitor from its config to its rows, over the fake
 * loader: one row per (cpu, type, irq, interrupted task), hard IRQ names from irq_names and
 * softirq names from the kernel's table, type strings, latency in microseconds (empty without
 * an entry/exit pair), rows of an exit alone skipped, the sort order, the epoch rule, and the
 * cflags configure passes. Attribution (config `attribution:`): its points (off without it),
 * rows of an interrupted task's class with its columns, a process the kernel had no class for
 * resolved from /proc (this test's own), a gone one counted under "unknown", keys of one class
 * merged with their latencies, and one task name in two classes two rows. */
#include <check.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitors/attrib.h"
#include "probes/attrib.h"
#include "probes/interrupt.h"
#include "montest.h"
#include "testutil.h"
#include "core/tracefs.h"

static struct montest t;

static void declare_maps(bool names)
{
	fake_bpf_reset();
	fake_bpf_map("interrupt", "irq_counts", sizeof(struct irq_key), sizeof(struct irq_value),
		     10240, false);
	if (names)
		fake_bpf_map("interrupt", "irq_names", 4, sizeof(struct irq_name), 1024, false);
}

static void start_with(bool names, const char *options)
{
	declare_maps(names);
	ck_assert_msg(montest_start(&t, "interrupt", options) == 0, "%s", t.err);
}

static void start(const char *options)
{
	start_with(true, options);
}

static void put_who(unsigned cpu, unsigned type, unsigned irq, const char *comm, __u32 who,
		    __u64 count, __u64 lat_count, __u64 lat_sum, __u64 lat_max)
{
	struct irq_key k;
	struct irq_value v = { count, lat_count, lat_sum, lat_max };

	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.who = who;
	k.cpu = cpu;
	k.type = type;
	k.irq = irq;
	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm)));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "irq_counts", &k, &v), 0);
}

static void put(unsigned cpu, unsigned type, unsigned irq, const char *comm, __u64 count,
		__u64 lat_count, __u64 lat_sum, __u64 lat_max)
{
	put_who(cpu, type, irq, comm, 0, count, lat_count, lat_sum, lat_max);
}

/* What the probe writes once per IRQ number: the handler's name. */
static void put_name(__u32 irq, const char *name)
{
	struct irq_name n;

	memset(&n, 0, sizeof(n));
	memcpy(n.name, name, strnlen(name, sizeof(n.name)));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "irq_names", &irq, &n), 0);
}

static const char *cell(size_t row, const char *col)
{
	const char *s = montest_cell(&t, row, col);

	ck_assert_msg(s != NULL, "no row %zu or no column %s", row, col);
	return s;
}

START_TEST(columns)
{
	static const char *const names[] = { "timestamp",      "time_str",	"comm",
					     "irq_type",       "irq_type_str",	"cpu",
					     "count",	       "irq",		"name",
					     "avg_latency_us", "max_latency_us" };

	start("");
	ck_assert_uint_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "irq"), "tracepoint");
	montest_stop(&t);
}
END_TEST

/* Hard IRQs named from irq_names, softirqs from the kernel's softirq_to_name[]. */
START_TEST(hard_and_soft_rows)
{
	long r;

	start("");
	put_name(24, "nvme0q1");
	put_name(30, "0123456789abcdef0123456789abcdef"); /* 32 bytes, no NUL */
	put(0, IRQ_HARD, 24, "swapper/0", 5, 5, 50000, 20000);
	put(1, IRQ_HARD, 25, "bash", 4, 0, 0, 0); /* no name in irq_names */
	put(1, IRQ_HARD, 30, "bash", 3, 3, 3000, 1000);
	put(0, IRQ_SOFT, 1, "swapper/0", 100, 100, 250000, 9000);
	put(0, IRQ_SOFT, 3, "nginx", 50, 50, 100000, 4000);
	put(1, IRQ_SOFT, 9, "0123456789abcdefXX", 20, 20, 20000, 1500);
	put(1, IRQ_SOFT, 12, "kworker/1:1", 7, 7, 7000, 1000);
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_uint_eq(t.nrows, 7);

	ck_assert_str_eq(montest_cell(&t, 0, "irq_type"), "1");
	ck_assert_str_eq(montest_cell(&t, 0, "irq_type_str"), "SOFT");
	ck_assert_str_eq(montest_cell(&t, 0, "name"), "TIMER");
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "swapper/0");
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "100");
	ck_assert_str_eq(montest_cell(&t, 0, "irq"), "1");
	ck_assert_str_eq(montest_cell(&t, 0, "avg_latency_us"), "2.500");
	ck_assert_str_eq(montest_cell(&t, 0, "max_latency_us"), "9.000");
	ck_assert_uint_eq(t.row_ts[0], 1700000000000000000ull);

	ck_assert_str_eq(montest_cell(&t, 1, "name"), "NET_RX");
	ck_assert_str_eq(montest_cell(&t, 1, "comm"), "nginx");
	ck_assert_str_eq(montest_cell(&t, 2, "name"), "RCU");
	ck_assert_str_eq(montest_cell(&t, 2, "comm"), "0123456789abcdef"); /* 16 bytes */
	ck_assert_str_eq(montest_cell(&t, 3, "name"), "VEC12");		   /* past RCU */

	r = montest_find(&t, "irq", "24");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "irq_type"), "0");
	ck_assert_str_eq(montest_cell(&t, r, "irq_type_str"), "HARD");
	ck_assert_str_eq(montest_cell(&t, r, "name"), "nvme0q1");
	ck_assert_str_eq(montest_cell(&t, r, "avg_latency_us"), "10.000");
	ck_assert_str_eq(montest_cell(&t, r, "max_latency_us"), "20.000");
	r = montest_find(&t, "irq", "25");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "name"), "");
	/* no entry/exit pair in the interval: empty latency cells, not 0 */
	ck_assert_str_eq(montest_cell(&t, r, "avg_latency_us"), "");
	ck_assert_str_eq(montest_cell(&t, r, "max_latency_us"), "");
	r = montest_find(&t, "irq", "30");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "name"), "0123456789abcdef0123456789abcdef");

	/* drained; the names stay for the next intervals */
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "irq_counts"), 0);
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "irq_names"), 2);
	montest_clear_rows(&t);
	put(2, IRQ_HARD, 24, "cc1", 1, 1, 1500, 1500);
	montest_interval(&t, 1700000001000000000ull);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "name"), "nvme0q1");
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "2");
	ck_assert_str_eq(montest_cell(&t, 0, "avg_latency_us"), "1.500");
	montest_stop(&t);
}
END_TEST

/* By count, then hard before soft, then by number; the CPU is part of the key. */
START_TEST(sort_order_and_cpus)
{
	start("");
	put(0, IRQ_SOFT, 7, "a", 10, 0, 0, 0);
	put(0, IRQ_HARD, 40, "a", 10, 0, 0, 0);
	put(0, IRQ_HARD, 33, "a", 10, 0, 0, 0);
	put(1, IRQ_HARD, 33, "a", 11, 0, 0, 0);
	put(0, IRQ_SOFT, 2, "a", 12, 0, 0, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 5);
	ck_assert_str_eq(montest_cell(&t, 0, "name"), "NET_TX");
	ck_assert_str_eq(montest_cell(&t, 1, "irq"), "33");
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "11");
	ck_assert_str_eq(montest_cell(&t, 2, "irq"), "33");
	ck_assert_str_eq(montest_cell(&t, 2, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 3, "irq"), "40");
	ck_assert_str_eq(montest_cell(&t, 4, "irq_type_str"), "SOFT");
	ck_assert_str_eq(montest_cell(&t, 4, "name"), "SCHED");
	montest_stop(&t);
}
END_TEST

/* A key with no count: only the handler's exit landed in this interval (its entry was in
 * the last one). No row. An unknown type reads UNKNOWN. */
START_TEST(exit_only_and_unknown_type)
{
	start("");
	put(0, IRQ_HARD, 24, "a", 0, 1, 5000, 5000);
	put(0, 2, 24, "a", 1, 0, 0, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "irq_type"), "2");
	ck_assert_str_eq(montest_cell(&t, 0, "irq_type_str"), "UNKNOWN");
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "irq_counts"), 0);
	montest_stop(&t);
}
END_TEST

/* Without an irq_names map hard IRQs have an empty name, softirqs still theirs. */
START_TEST(no_names_map)
{
	start_with(false, "");
	put(0, IRQ_HARD, 24, "a", 2, 0, 0, 0);
	put(0, IRQ_SOFT, 0, "a", 1, 0, 0, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(montest_cell(&t, 0, "name"), "");
	ck_assert_str_eq(montest_cell(&t, 1, "name"), "HI");
	montest_stop(&t);
}
END_TEST

START_TEST(current_epoch_waits)
{
	start("");
	put(0, IRQ_SOFT, 1, "early", 1, 0, 0, 0);
	ck_assert_int_eq(monitor_flip_epoch(&t.m, 1), 0);
	put(0, IRQ_SOFT, 1, "late", 2, 0, 0, 0);
	t.m.ops->collect(&t.m, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "early");
	montest_clear_rows(&t);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "late");
	montest_stop(&t);
}
END_TEST

/* map_size sizes the kernel's map; the name field's offset comes from this kernel's format
 * file, where it can be read (root, tracefs mounted), else the probe's default. */
START_TEST(cflags)
{
	int off = -1, size = -1;
	char want[64];
	const char *f;

	start("");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DIRQ_MAP_ENTRIES="),
			 "-DIRQ_MAP_ENTRIES=10240");
	f = fake_bpf_cflag(montest_mod(&t), "-DIRQ_NAME_OFF=");
	if (tracefs_field("irq", "irq_handler_entry", "name", &off, &size) == 0) {
		snprintf(want, sizeof(want), "-DIRQ_NAME_OFF=%d", off);
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f, want);
		ck_assert_int_ge(off, 8); /* after the common fields */
	} else {
		ck_assert_ptr_null(f);
	}
	montest_stop(&t);

	start("    map_size: 64\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DIRQ_MAP_ENTRIES="),
			 "-DIRQ_MAP_ENTRIES=64");
	montest_stop(&t);

	declare_maps(true);
	ck_assert_int_ne(montest_start(&t, "interrupt", "    map_size: 8\n"), 0);
	ck_assert_msg(strstr(t.err, "map_size") != NULL, "%s", t.err);
	montest_stop(&t);
}
END_TEST

/* ---- attribution ---- */

/* Row r's cgroup, unit, container_id and pod_uid cells are class c's. */
static void assert_class(size_t r, __u32 c)
{
	const char *why = montest_attrib_mismatch(&t, r, c);

	ck_assert_msg(why == NULL, "%s", why);
}

/* Attribution's points after the irq point (off without it); its columns after the
 * monitor's; rows of a class carry its columns. */
START_TEST(attribution_columns_from_the_class)
{
	static const char *const names[] = {
		"timestamp", "time_str",     "comm",   "irq_type",	 "irq_type_str",   "cpu",
		"count",     "irq",	     "name",   "avg_latency_us", "max_latency_us", "cgroup",
		"unit",	     "container_id", "pod_uid"
	};
	static const char *const points[] = { "who_fork", "who_exit", "who_move" };
	char path[4096];
	__u32 c;

	start("");
	ck_assert_int_eq(t.m.npoints, 4);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(t.m.points[1 + i].name, points[i]);
		ck_assert_int_eq(t.m.point_off[1 + i], 1);
	}
	montest_stop(&t);

	start(MONTEST_ATTRIB);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(t.m.point_off[1 + i], 0);
		ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), points[i]), "tracepoint");
	}
	ck_assert_int_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	/* the class the start gave this process in em_who_of: what the kernel keys its counts by */
	c = montest_own_class(&t);
	ck_assert_msg(c > ATTRIB_UNKNOWN && c < EM_WHO_SKIP, "class %#x", c);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	ck_assert_str_eq(attrib_class_path(c), path);
	put_name(24, "nvme0q1");
	put_who(1, IRQ_HARD, 24, "postgres", c, 6, 6, 60000, 30000);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "comm"), "postgres");
	ck_assert_str_eq(cell(0, "name"), "nvme0q1");
	ck_assert_str_eq(cell(0, "count"), "6");
	assert_class(0, c);
	ck_assert_int_eq(t.m.stats.unattributed, 0);
	montest_stop(&t);
}
END_TEST

/* An interrupted process the kernel had no class for is read from /proc when its key is:
 * this test's own, alive, is in its cgroup; a gone one is "unknown", its count counted. */
START_TEST(attribution_resolves_tgids)
{
	char path[4096];
	__u32 dead = montest_dead_pid();
	long mine, gone;

	ck_assert_msg(dead != 0, "fork");
	start(MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	put_who(0, IRQ_SOFT, 3, "alive", EM_WHO_TGID | (__u32)getpid(), 9, 9, 9000, 2000);
	put_who(0, IRQ_SOFT, 3, "gone", EM_WHO_TGID | dead, 4, 4, 4000, 1000);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 2);
	mine = montest_find(&t, "comm", "alive");
	gone = montest_find(&t, "comm", "gone");
	ck_assert_msg(mine >= 0 && gone >= 0, "rows %ld %ld", mine, gone);
	ck_assert_str_eq(cell(mine, "count"), "9");
	assert_class(mine, montest_class_of(path));
	ck_assert_str_eq(cell(gone, "count"), "4");
	assert_class(gone, ATTRIB_UNKNOWN);
	ck_assert_int_eq(t.m.stats.unattributed, 4);
	montest_stop(&t);
}
END_TEST

/* Keys of one (cpu, type, irq, task name) whose who values are one class are one row, their
 * counts and latencies summed (the maximum of the maxima); the same task name in another
 * class is another row. */
START_TEST(attribution_merges_equal_classes)
{
	__u32 c;
	long other;

	start(MONTEST_ATTRIB);
	c = montest_own_class(&t);
	ck_assert_msg(c > ATTRIB_UNKNOWN && c < EM_WHO_SKIP, "class %#x", c);
	put_who(0, IRQ_SOFT, 3, "nginx", c, 10, 10, 30000, 5000);
	put_who(0, IRQ_SOFT, 3, "nginx", EM_WHO_TGID | (__u32)getpid(), 5, 5, 15000, 8000);
	put_who(0, IRQ_SOFT, 3, "nginx", ATTRIB_UNKNOWN, 2, 2, 2000, 1000);
	put_who(1, IRQ_SOFT, 3, "nginx", c, 1, 1, 1000, 1000);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 3);
	ck_assert_str_eq(cell(0, "count"), "15");
	ck_assert_str_eq(cell(0, "cpu"), "0");
	ck_assert_str_eq(cell(0, "avg_latency_us"), "3.000");
	ck_assert_str_eq(cell(0, "max_latency_us"), "8.000");
	ck_assert_str_eq(cell(0, "cgroup"), attrib_class_path(c));
	other = montest_find(&t, "cgroup", "unknown");
	ck_assert_msg(other > 0, "row %ld", other);
	ck_assert_str_eq(cell(other, "comm"), "nginx");
	ck_assert_str_eq(cell(other, "count"), "2");
	ck_assert_str_eq(cell(other, "cpu"), "0");
	ck_assert_int_eq(t.m.stats.unattributed, 2);
	montest_stop(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_interrupt");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, columns);
	tcase_add_test(tc, hard_and_soft_rows);
	tcase_add_test(tc, sort_order_and_cpus);
	tcase_add_test(tc, exit_only_and_unknown_type);
	tcase_add_test(tc, no_names_map);
	tcase_add_test(tc, current_epoch_waits);
	tcase_add_test(tc, cflags);
	tcase_add_test(tc, attribution_columns_from_the_class);
	tcase_add_test(tc, attribution_resolves_tgids);
	tcase_add_test(tc, attribution_merges_equal_classes);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
