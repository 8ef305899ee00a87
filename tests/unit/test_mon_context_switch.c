/* test_mon_context_switch.c - the context_switch monitor from its config to its rows, over the
 * fake loader: one row per (cpu, prev, next) with the probe's voluntary/involuntary split, the
 * idle task's name, min_switches, the sort order, the epoch rule, and the cflags configure
 * passes (record offsets and the preemption bit, as this kernel's tracefs gives them). The
 * rules behind the preemption bit: test_context_switch_rules.c. */
#include <check.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>

#include "probes/context_switch.h"
#include "monitors/context_switch_rules.h"
#include "core/kversion.h"
#include "montest.h"
#include "testutil.h"
#include "core/tracefs.h"

static struct montest t;

static void start(const char *options)
{
	fake_bpf_reset();
	fake_bpf_map("context_switch", "cs_counts", sizeof(struct cs_key), sizeof(struct cs_value),
		     10240, false);
	ck_assert_msg(montest_start(&t, "context_switch", options) == 0, "%s", t.err);
}

/* prev or next NULL: the idle task (pid 0), its comm as the kernel has it ("swapper/N"). */
static void put(unsigned cpu, const char *prev, const char *next, __u64 vol, __u64 invol)
{
	struct cs_key k;
	struct cs_value v = { vol + invol, vol, invol };

	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.cpu = cpu;
	k.prev_idle = !prev;
	k.next_idle = !next;
	prev = prev ? prev : "swapper/0";
	next = next ? next : "swapper/0";
	memcpy(k.prev_comm, prev, strnlen(prev, sizeof(k.prev_comm)));
	memcpy(k.next_comm, next, strnlen(next, sizeof(k.next_comm)));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "cs_counts", &k, &v), 0);
}

START_TEST(columns)
{
	static const char *const names[] = { "timestamp", "time_str", "prev_comm", "next_comm",
					     "cpu",	  "count",    "voluntary", "involuntary" };

	start("");
	ck_assert_uint_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "sched_switch"), "tracepoint");
	montest_stop(&t);
}
END_TEST

START_TEST(rows_per_cpu_and_pair)
{
	long r;

	start("");
	put(0, "bash", "cc1", 30, 12);		     /* 42 */
	put(1, "bash", "cc1", 10, 5);		     /* the same pair on cpu1: its own row */
	put(1, NULL, "kworker/1:1", 0, 0);	     /* count 0 from idle: below min */
	put(0, "cc1", NULL, 60, 40);		     /* 100, to idle */
	put(1, "0123456789abcdefXX", "sshd", 0, 11); /* 16-byte comm, no NUL */
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_uint_eq(t.nrows, 4);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "cc1");
	ck_assert_str_eq(montest_cell(&t, 0, "next_comm"), "<idle>");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "100");
	ck_assert_str_eq(montest_cell(&t, 0, "voluntary"), "60");
	ck_assert_str_eq(montest_cell(&t, 0, "involuntary"), "40");
	ck_assert_uint_eq(t.row_ts[0], 1700000000000000000ull);
	ck_assert_str_eq(montest_cell(&t, 1, "prev_comm"), "bash");
	ck_assert_str_eq(montest_cell(&t, 1, "next_comm"), "cc1");
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "42");
	ck_assert_str_eq(montest_cell(&t, 1, "voluntary"), "30");
	ck_assert_str_eq(montest_cell(&t, 1, "involuntary"), "12");
	ck_assert_str_eq(montest_cell(&t, 2, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 2, "count"), "15");
	r = montest_find(&t, "next_comm", "sshd");
	ck_assert_int_eq(r, 3);
	ck_assert_str_eq(montest_cell(&t, r, "prev_comm"), "0123456789abcdef");
	ck_assert_str_eq(montest_cell(&t, r, "voluntary"), "0");
	ck_assert_str_eq(montest_cell(&t, r, "involuntary"), "11");
	/* drained, the row below min_switches too */
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "cs_counts"), 0);
	montest_clear_rows(&t);
	montest_interval(&t, 1700000001000000000ull);
	ck_assert_uint_eq(t.nrows, 0);
	montest_stop(&t);
}
END_TEST

/* The idle task is "<idle>" on either side, whatever its comm; neither split (the probe counts
 * its switches out in count only). */
START_TEST(idle_names)
{
	struct cs_key k;
	struct cs_value v = { 25, 0, 0 };

	start("");
	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.cpu = 3;
	k.prev_idle = 1;
	strcpy(k.prev_comm, "swapper/3");
	strcpy(k.next_comm, "rcu_sched");
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "cs_counts", &k, &v), 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "<idle>");
	ck_assert_str_eq(montest_cell(&t, 0, "next_comm"), "rcu_sched");
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "3");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "25");
	ck_assert_str_eq(montest_cell(&t, 0, "voluntary"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "involuntary"), "0");
	montest_stop(&t);
}
END_TEST

/* min_switches: rows for pairs that switched at least this often (10 by default). */
START_TEST(min_switches)
{
	start("");
	put(0, "a", "b", 9, 0);
	put(0, "c", "d", 5, 5);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "c");
	montest_stop(&t);

	start("    min_switches: 0\n");
	put(0, "a", "b", 1, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	montest_stop(&t);

	start("    min_switches: 100\n");
	put(0, "a", "b", 99, 0);
	put(0, "c", "d", 0, 100);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "c");
	montest_stop(&t);

	ck_assert_int_ne(montest_start(&t, "context_switch", "    min_switches: -1\n"), 0);
	ck_assert_msg(strstr(t.err, "min_switches") != NULL, "%s", t.err);
	montest_stop(&t);
}
END_TEST

/* Equal counts: by CPU. */
START_TEST(ties_by_cpu)
{
	start("    min_switches: 1\n");
	put(2, "x", "y", 3, 0);
	put(0, "x", "y", 3, 0);
	put(1, "x", "y", 3, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 3);
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 2, "cpu"), "2");
	montest_stop(&t);
}
END_TEST

START_TEST(current_epoch_waits)
{
	start("");
	put(0, "early", "b", 10, 0);
	ck_assert_int_eq(monitor_flip_epoch(&t.m, 1), 0);
	put(0, "late", "b", 20, 0);
	t.m.ops->collect(&t.m, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "early");
	montest_clear_rows(&t);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "late");
	montest_stop(&t);
}
END_TEST

/* A field's -DCS_<macro>_OFF (and _SIZE) flag: exactly this kernel's offset where its format
 * file can be read (root, tracefs mounted), else none (the probe's defaults). */
static void check_field_flag(const char *field, const char *macro, bool size)
{
	char prefix[64], want[96];
	int off, sz;
	const char *f;

	snprintf(prefix, sizeof(prefix), "-DCS_%s_OFF=", macro);
	f = fake_bpf_cflag(montest_mod(&t), prefix);
	if (tracefs_field("sched", "sched_switch", field, &off, &sz) == 0) {
		snprintf(want, sizeof(want), "%s%d", prefix, off);
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f, want);
		ck_assert_int_ge(off, 8); /* after the common fields */
	} else {
		ck_assert_ptr_null(f);
	}
	snprintf(prefix, sizeof(prefix), "-DCS_%s_SIZE=", macro);
	f = fake_bpf_cflag(montest_mod(&t), prefix);
	if (size && tracefs_field("sched", "sched_switch", field, &off, &sz) == 0) {
		snprintf(want, sizeof(want), "%s%d", prefix, sz);
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f, want);
		ck_assert(sz == 4 || sz == 8);
	} else {
		ck_assert_ptr_null(f);
	}
}

START_TEST(cflags)
{
	static char fmt[8192];
	unsigned long bit, want;
	const char *f;
	char *end;

	start("");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DCS_MAP_ENTRIES="),
			 "-DCS_MAP_ENTRIES=10240");
	check_field_flag("prev_comm", "PREV_COMM", false);
	check_field_flag("prev_pid", "PREV_PID", false);
	check_field_flag("prev_state", "PREV_STATE", true);
	check_field_flag("next_comm", "NEXT_COMM", false);
	check_field_flag("next_pid", "NEXT_PID", false);
	/* The preemption bit is always passed: one bit, from the format file where it reads,
	 * else by the running kernel's version. */
	f = fake_bpf_cflag(montest_mod(&t), "-DCS_PREEMPT_BIT=");
	ck_assert_ptr_nonnull(f);
	bit = strtoul(f + strlen("-DCS_PREEMPT_BIT="), &end, 0);
	ck_assert_msg(*end == '\0', "%s", f);
	ck_assert_msg(bit && !(bit & (bit - 1)), "%s is not one bit", f);
	if (tracefs_format("sched", "sched_switch", fmt, sizeof(fmt)) == 0 &&
	    context_switch_preempt_bit_from_format(fmt, &want)) {
		ck_assert_uint_eq(bit, want);
	} else {
		unsigned v = kversion_running(NULL);

		ck_assert_uint_eq(bit, context_switch_preempt_bit(v >> 16, (v >> 8) & 0xff));
	}
	montest_stop(&t);

	start("    map_size: 16\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DCS_MAP_ENTRIES="),
			 "-DCS_MAP_ENTRIES=16");
	montest_stop(&t);

	ck_assert_int_ne(montest_start(&t, "context_switch", "    map_size: 15\n"), 0);
	ck_assert_msg(strstr(t.err, "map_size") != NULL, "%s", t.err);
	montest_stop(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_context_switch");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, columns);
	tcase_add_test(tc, rows_per_cpu_and_pair);
	tcase_add_test(tc, idle_names);
	tcase_add_test(tc, min_switches);
	tcase_add_test(tc, ties_by_cpu);
	tcase_add_test(tc, current_epoch_waits);
	tcase_add_test(tc, cflags);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
