/* test_mon_context_switch.c - the context_switch monitor from its config to its rows, over the
 * fake loader: one row per (cpu, prev, next) with the probe's voluntary/involuntary split, the
 * idle task's name, min_switches, the sort order, the epoch rule, and the cflags configure
 * passes (record offsets and the preemption bit, as this kernel's tracefs gives them), and the
 * fast path (task slots): per-CPU cells of name pairs merged with the hash path's rows; with
 * attribution, rows per class of the task switched out, from either path, the idle task's of
 * none. The rules behind the preemption bit: test_context_switch_rules.c. */
#include <check.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probes/context_switch.h"
#include "probes/task_slots.h"
#include "monitors/context_switch_rules.h"
#include "core/kcheck.h"
#include "core/kversion.h"
#include "monitors/attrib.h"
#include "montest.h"
#include "testutil.h"
#include "core/tracefs.h"

static struct montest t;

/* The maps of a probe built with nslots task slots (its cells: one element, a row per prev slot
 * and the idle task); fast: whether this kernel is taken to have per-CPU arrays (the fast
 * path's need). */
static void declare_maps(unsigned nslots, bool fast)
{
	fake_bpf_reset();
	fake_bpf_map("context_switch", "cs_counts", sizeof(struct cs_key), sizeof(struct cs_value),
		     10240, false);
	fake_bpf_array("context_switch", "cs_fast", CS_FAST_BYTES(nslots), 1, true);
	kcheck_force_map(KMAP_PERCPU_ARRAY, fast);
}

static void start_with(bool fast, const char *options)
{
	declare_maps(62, fast);
	ck_assert_msg(montest_start(&t, "context_switch", options) == 0, "%s", t.err);
}

static void start(const char *options)
{
	start_with(true, options);
}

static void stop(void)
{
	montest_stop(&t);
	kcheck_force_map(KMAP_PERCPU_ARRAY, -1);
}

/* prev or next NULL: the idle task (pid 0), its comm as the kernel has it ("swapper/N"); who:
 * prev's who value (probes/attrib.h: a class, or 0x80000000 | a tgid; 0 for the idle task). */
static void put_raw(unsigned cpu, const char *prev, const char *next, __u64 count, __u64 vol,
		    __u64 invol, __u32 who)
{
	struct cs_key k;
	struct cs_value v = { count, vol, invol };

	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.who = who;
	k.cpu = cpu;
	k.prev_idle = !prev;
	k.next_idle = !next;
	prev = prev ? prev : "swapper/0";
	next = next ? next : "swapper/0";
	memcpy(k.prev_comm, prev, strnlen(prev, sizeof(k.prev_comm)));
	memcpy(k.next_comm, next, strnlen(next, sizeof(k.next_comm)));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "cs_counts", &k, &v), 0);
}

static void put_who(unsigned cpu, const char *prev, const char *next, __u64 vol, __u64 invol,
		    __u32 who)
{
	put_raw(cpu, prev, next, vol + invol, vol, invol, who);
}

static void put(unsigned cpu, const char *prev, const char *next, __u64 vol, __u64 invol)
{
	put_who(cpu, prev, next, vol, invol, 0);
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
	stop();
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
	stop();
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
	stop();
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
	stop();

	start("    min_switches: 0\n");
	put(0, "a", "b", 1, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	stop();

	start("    min_switches: 100\n");
	put(0, "a", "b", 99, 0);
	put(0, "c", "d", 0, 100);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "c");
	stop();

	ck_assert_int_ne(montest_start(&t, "context_switch", "    min_switches: -1\n"), 0);
	ck_assert_msg(strstr(t.err, "min_switches") != NULL, "%s", t.err);
	stop();
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
	stop();
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
	stop();
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
	stop();

	start("    map_size: 16\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DCS_MAP_ENTRIES="),
			 "-DCS_MAP_ENTRIES=16");
	stop();

	ck_assert_int_ne(montest_start(&t, "context_switch", "    map_size: 15\n"), 0);
	ck_assert_msg(strstr(t.err, "map_size") != NULL, "%s", t.err);
	stop();
}
END_TEST

/* The fast path: EM_TASK_SLOTS (auto: as many as fit in 4 MiB at 512 bytes per name and CPU, at
 * most 62), the two task-slot points; off by the option or on a kernel without per-CPU arrays
 * (today's probe: the hash path alone). */
START_TEST(fast_path_built_and_attached)
{
	start("");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=62");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "sched_switch"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "task_fork"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "task_rename"), "tracepoint");
	stop();

	declare_maps(62, true);
	fake_bpf_set_cpus(512); /* 4 MiB / (512 B x 512 CPUs) */
	ck_assert_msg(montest_start(&t, "context_switch", "") == 0, "%s", t.err);
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=16");
	stop();

	declare_maps(62, true);
	fake_bpf_set_cpus(100000); /* never fewer than 4 */
	ck_assert_msg(montest_start(&t, "context_switch", "") == 0, "%s", t.err);
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=4");
	stop();

	declare_maps(62, true);
	ck_assert_msg(montest_start(&t, "context_switch", "    fast_names: 62\n") == 0, "%s",
		      t.err);
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=62");
	stop();

	for (unsigned k = 0; k < 2; k++) {
		declare_maps(62, k == 1);
		ck_assert_msg(montest_start(&t, "context_switch",
					    k == 1 ? "    fast_names: 0\n" : "") == 0,
			      "%s", t.err);
		ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS"));
		ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "sched_switch"), "tracepoint");
		ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "task_fork"));
		ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "task_rename"));
		/* the hash path's rows as before */
		put(0, "bash", "cc1", 30, 12);
		montest_interval(&t, 1);
		ck_assert_uint_eq(t.nrows, 1);
		ck_assert_str_eq(montest_cell(&t, 0, "count"), "42");
		stop();
	}
}
END_TEST

/* At most 62 names: the cells of one CPU are one per-CPU value, at most 32 KiB. */
START_TEST(fast_names_rejects_bad_values)
{
	const char *bad[] = { "    fast_names: many\n", "    fast_names: -1\n",
			      "    fast_names: 63\n" };

	for (unsigned k = 0; k < 3; k++) {
		declare_maps(62, true);
		ck_assert_int_ne(montest_start(&t, "context_switch", bad[k]), 0);
		ck_assert_msg(strstr(t.err, "fast_names") &&
				      strstr(t.err, "must be auto or a number from 0 to 62"),
			      "%s", t.err);
		stop();
	}
}
END_TEST

/* The kernel notes names (with who values) hot on the hash path (cpu0's em_hot). */
static void hint_who(const char *a, __u32 who_a, const char *b, __u32 who_b)
{
	struct em_hot_names h[2];
	__u32 zero = 0;

	memset(h, 0, sizeof(h));
	h[0].n = 2;
	memcpy(h[0].key[0].name, a, strnlen(a, 16));
	h[0].key[0].who = who_a;
	memcpy(h[0].key[1].name, b, strnlen(b, 16));
	h[0].key[1].who = who_b;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "em_hot", &zero, h), 0);
}

static void hint(const char *a, const char *b)
{
	hint_who(a, 0, b, 0);
}

/* The slot em_slot_of gives (name, who), or -1. */
static long slot_of_who(const char *name, __u32 who)
{
	struct em_task_key key;
	__u32 slot;

	memset(&key, 0, sizeof(key));
	memcpy(key.name, name, strnlen(name, 16));
	key.who = who;
	if (fake_map_get(montest_mod(&t), "em_slot_of", &key, 0, &slot))
		return -1;
	return slot;
}

static long slot_of(const char *name)
{
	return slot_of_who(name, 0);
}

#define NS 2 /* the slots of the fast-path tests; index NS is the idle task */

/* The cumulative cell (prev, next) of cpu0 and cpu1 as the probe leaves it, raw; the probe's own
 * record before the cells is not the monitor's to read: ones here. */
static void cell_raw(unsigned prev, unsigned next, __u64 c0, __u64 c1)
{
	static struct {
		unsigned char head[CS_FAST_HEAD];
		__u64 c[CS_FAST_ROWS(NS)][CS_FAST_COLS];
	} cells[2];
	__u32 zero = 0;

	/* what the map holds (zeros before the first write: not a previous test's cells) */
	memset(cells, 0, sizeof(cells));
	for (unsigned c = 0; c < 2; c++)
		(void)fake_map_get(montest_mod(&t), "cs_fast", &zero, c, &cells[c]);
	for (unsigned c = 0; c < 2; c++)
		memset(cells[c].head, 0xff, sizeof(cells[c].head));
	cells[0].c[prev][next] = c0;
	cells[1].c[prev][next] = c1;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "cs_fast", &zero, cells), 0);
}

/* The same with switches in the high half, voluntary ones in the low (the probe counts none
 * for the idle task). */
static void cell(unsigned prev, unsigned next, __u64 n0, __u64 v0, __u64 n1, __u64 v1)
{
	cell_raw(prev, next, n0 << 32 | v0, n1 << 32 | v1);
}

/* Two hot names get slots at the next poll; the cells' differences become rows per CPU and
 * pair (involuntary: the rest of count; none for the idle task), merged with what the hash
 * path counted for the same pair (the idle task one whatever its comm); cumulative cells: the
 * next interval shows only what is new; a slot taken back keeps its name until the cells were
 * read once more. */
START_TEST(fast_path_pairs_merged)
{
	long r;

	declare_maps(NS, true);
	ck_assert_msg(montest_start(&t, "context_switch",
				    "    fast_names: 2\n    min_switches: 1\n") == 0,
		      "%s", t.err);
	hint("a", "b");
	montest_poll(&t);
	ck_assert_int_eq(slot_of("a"), 0);
	ck_assert_int_eq(slot_of("b"), 1);
	put(0, "a", "b", 8, 2);	   /* the hash path, before the slots */
	put(0, NULL, "a", 0, 0);   /* from the idle task ("swapper/0"): count 0 here */
	cell(0, 1, 30, 20, 5, 5);  /* a -> b */
	cell(0, NS, 12, 12, 0, 0); /* a -> idle */
	cell(NS, 0, 40, 0, 0, 0);  /* idle -> a */
	cell(1, 1, 0, 0, 7, 3);	   /* b -> b (two threads of one name) */
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 5);
	ck_assert_str_eq(montest_cell(&t, 0, "prev_comm"), "a");
	ck_assert_str_eq(montest_cell(&t, 0, "next_comm"), "b");
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "40");
	ck_assert_str_eq(montest_cell(&t, 0, "voluntary"), "28");
	ck_assert_str_eq(montest_cell(&t, 0, "involuntary"), "12");
	r = montest_find(&t, "prev_comm", "<idle>");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "next_comm"), "a");
	ck_assert_str_eq(montest_cell(&t, r, "count"), "40");
	ck_assert_str_eq(montest_cell(&t, r, "voluntary"), "0");
	ck_assert_str_eq(montest_cell(&t, r, "involuntary"), "0");
	r = montest_find(&t, "next_comm", "<idle>");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "prev_comm"), "a");
	ck_assert_str_eq(montest_cell(&t, r, "count"), "12");
	ck_assert_str_eq(montest_cell(&t, r, "voluntary"), "12");
	ck_assert_str_eq(montest_cell(&t, r, "involuntary"), "0");
	/* b -> b, cpu1: 7 */
	ck_assert_str_eq(montest_cell(&t, 3, "prev_comm"), "b");
	ck_assert_str_eq(montest_cell(&t, 3, "next_comm"), "b");
	ck_assert_str_eq(montest_cell(&t, 3, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 3, "count"), "7");
	ck_assert_str_eq(montest_cell(&t, 3, "involuntary"), "4");
	/* a -> b, cpu1: 5 */
	ck_assert_str_eq(montest_cell(&t, 4, "prev_comm"), "a");
	ck_assert_str_eq(montest_cell(&t, 4, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 4, "count"), "5");

	montest_clear_rows(&t);
	cell(0, 1, 31, 20, 5, 5);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "1");
	ck_assert_str_eq(montest_cell(&t, 0, "voluntary"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "involuntary"), "1");

	/* b idle for two intervals (a keeps switching to the idle task): b's slot is taken
	 * back; what raced that is still b's */
	montest_clear_rows(&t);
	cell(0, NS, 13, 13, 0, 0);
	montest_interval(&t, 3);
	cell(0, NS, 14, 14, 0, 0);
	montest_interval(&t, 4);
	ck_assert_int_eq(slot_of("a"), 0);
	ck_assert_int_eq(slot_of("b"), -1);
	montest_clear_rows(&t);
	cell(0, NS, 15, 15, 0, 0);
	cell(0, 1, 32, 20, 5, 5);
	montest_interval(&t, 5);
	ck_assert_uint_eq(t.nrows, 2);
	r = montest_find(&t, "next_comm", "b");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "1");
	stop();
}
END_TEST

/* A cell is two counters in one u64: their differences stay exact when the low half carries into
 * the high one and when the whole wraps (modulo 2^64). */
START_TEST(fast_path_cells_wrap)
{
	declare_maps(NS, true);
	ck_assert_msg(montest_start(&t, "context_switch",
				    "    fast_names: 2\n    min_switches: 1\n") == 0,
		      "%s", t.err);
	hint("a", "b");
	montest_poll(&t);
	cell_raw(0, 1, 0xfffffffe00000000ull | 0xfffffffeu, 0x00000005fffffffdull);
	montest_interval(&t, 1);
	montest_clear_rows(&t);
	/* cpu0: +3 switches, 2 of them voluntary, wrapping the whole; cpu1: +4, 4 voluntary,
	 * the low half carrying */
	cell_raw(0, 1, 0xfffffffe00000000ull + 0xfffffffeu + (3ull << 32) + 2,
		 0x00000005fffffffdull + (4ull << 32) + 4);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "4");
	ck_assert_str_eq(montest_cell(&t, 0, "voluntary"), "4");
	ck_assert_str_eq(montest_cell(&t, 0, "involuntary"), "0");
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "3");
	ck_assert_str_eq(montest_cell(&t, 1, "voluntary"), "2");
	ck_assert_str_eq(montest_cell(&t, 1, "involuntary"), "1");
	stop();
}
END_TEST

/* ---- attribution ---- */

#define WHO_TGID 0x80000000u

/* Row r's cgroup, unit, container_id and pod_uid cells are class c's. */
static void assert_class(size_t r, __u32 c)
{
	const char *why = montest_attrib_mismatch(&t, r, c);

	ck_assert_msg(why == NULL, "%s", why);
}

/* The row of (cpu, prev, next) in class cls' cgroup ("" for none), or -1. */
static long find_row(unsigned cpu, const char *prev, const char *next, __u32 cls)
{
	const char *path = cls == ATTRIB_NONE ? "" : attrib_class_path(cls);
	char c[16];

	snprintf(c, sizeof(c), "%u", cpu);
	for (size_t i = 0; i < t.nrows; i++)
		if (!strcmp(montest_cell(&t, i, "cpu"), c) &&
		    !strcmp(montest_cell(&t, i, "prev_comm"), prev) &&
		    !strcmp(montest_cell(&t, i, "next_comm"), next) &&
		    !strcmp(montest_cell(&t, i, "cgroup"), path))
			return (long)i;
	return -1;
}

/* Four columns after the documented ones, the attribution points attached, the probe built
 * with EM_ATTRIB; none of it without attribution. The idle task's switches out are counted,
 * except under attribution filters (CS_IDLE_SKIPPED: they would be nobody's rows). */
START_TEST(attrib_columns_and_points)
{
	static const char *const extra[] = { "cgroup", "unit", "container_id", "pod_uid" };

	start(MONTEST_ATTRIB);
	ck_assert_int_eq(t.m.ncolumns, 12);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(t.m.columns[8 + i].name, extra[i]);
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB="), "-DEM_ATTRIB=1");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "who_fork"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "who_exit"), "tracepoint");
	ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DCS_IDLE_SKIPPED") == NULL, "idle");
	stop();

	start("    filters:\n      units: [a.service]\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB="), "-DEM_ATTRIB=1");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DCS_IDLE_SKIPPED="),
			 "-DCS_IDLE_SKIPPED=1");
	stop();

	start("");
	ck_assert_int_eq(t.m.ncolumns, 8);
	ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB") == NULL, "EM_ATTRIB");
	ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DCS_IDLE_SKIPPED") == NULL, "idle");
	ck_assert_msg(fake_bpf_attached(montest_mod(&t), "who_fork") == NULL, "who_fork");
	stop();
}
END_TEST

/* A pair whose prev tasks are of two classes: two rows, each with its class's columns and its
 * own counts; a key of this process's tgid (the kernel had no class for it) resolves to its own
 * cgroup; a key of a process gone unresolved counts under "unknown" (stats.unattributed); the
 * idle task's switches out have no class: empty columns, not "unknown". */
START_TEST(attrib_rows_per_class)
{
	char path[4096];
	__u32 a, b, dead;
	long r;

	start_with(false, "    min_switches: 1\n" MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	a = montest_class_of(path);
	ck_assert_msg(a >= 2, "no class for %s", path);
	b = montest_other_class(a);
	dead = montest_dead_pid();
	ck_assert_msg(dead != 0, "fork");

	put_who(0, "w", "x", 30, 12, a);
	put_who(0, "w", "x", 8, 2, b);
	put_who(1, "self", "x", 5, 0, WHO_TGID | (__u32)getpid());
	put_who(1, "gone", "x", 3, 1, WHO_TGID | dead);
	put_raw(1, NULL, "w", 25, 0, 0, 0);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 5);
	r = find_row(0, "w", "x", a);
	assert_class(r, a);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "42");
	ck_assert_str_eq(montest_cell(&t, r, "voluntary"), "30");
	r = find_row(0, "w", "x", b);
	assert_class(r, b);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "10");
	ck_assert_str_eq(montest_cell(&t, r, "voluntary"), "8");
	r = montest_find(&t, "prev_comm", "self");
	assert_class(r, a); /* this process's cgroup */
	ck_assert_str_eq(montest_cell(&t, r, "count"), "5");
	r = montest_find(&t, "prev_comm", "gone");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "cgroup"), "unknown");
	ck_assert_str_eq(montest_cell(&t, r, "unit"), "unknown");
	ck_assert_str_eq(montest_cell(&t, r, "count"), "4");
	r = find_row(1, "<idle>", "w", ATTRIB_NONE);
	assert_class(r, ATTRIB_NONE);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "25");
	/* where every process shares one cgroup, b is "unknown" too */
	ck_assert_int_eq(t.m.stats.unattributed, 4 + (b == ATTRIB_UNKNOWN ? 10 : 0));
	stop();
}
END_TEST

/* The fast path with attribution: a slot is a (name, who) pair's. A cell's row carries its prev
 * slot's class (next's slot stands for its name only: whatever class it has, the row shows the
 * name) and merges with the hash path's rows of that class, a key of a tgid of that class
 * included; a row of the same pair with prev of another class stays its own; the idle task's
 * row and cell have no class. */
START_TEST(attrib_fast_and_hash_merge)
{
	char path[4096];
	__u32 a, b, self = WHO_TGID | (__u32)getpid();
	long r;

	declare_maps(NS, true);
	ck_assert_msg(montest_start(&t, "context_switch",
				    "    fast_names: 2\n    min_switches: 1\n" MONTEST_ATTRIB) == 0,
		      "%s", t.err);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	a = montest_class_of(path);
	ck_assert_msg(a >= 2, "no class for %s", path);
	b = montest_other_class(a);
	hint_who("a", a, "b", b);
	montest_poll(&t);
	ck_assert_int_eq(slot_of_who("a", a), 0);
	ck_assert_int_eq(slot_of_who("b", b), 1);
	put_who(0, "a", "b", 8, 2, self);  /* the hash path, before the slots */
	put_who(0, "a", "b", 1, 0, b);	   /* prev a of class b */
	put_raw(0, NULL, "a", 3, 0, 0, 0); /* from the idle task */
	cell(0, 1, 30, 20, 5, 5);	   /* a (class a) -> b */
	cell(1, NS, 4, 4, 0, 0);	   /* b (class b) -> idle */
	cell(NS, 0, 40, 0, 0, 0);	   /* idle -> a */
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 5);
	r = find_row(0, "a", "b", a);
	assert_class(r, a);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "40");
	ck_assert_str_eq(montest_cell(&t, r, "voluntary"), "28");
	ck_assert_str_eq(montest_cell(&t, r, "involuntary"), "12");
	r = find_row(1, "a", "b", a);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "5");
	r = find_row(0, "a", "b", b);
	assert_class(r, b);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "1");
	r = find_row(0, "b", "<idle>", b);
	assert_class(r, b);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "4");
	r = find_row(0, "<idle>", "a", ATTRIB_NONE);
	assert_class(r, ATTRIB_NONE);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "43");
	ck_assert_str_eq(montest_cell(&t, r, "voluntary"), "0");
	stop();
}
END_TEST

/* The hash path's names that task_slots may give slots to, with attribution: prev's (name,
 * who) only (the key has no who for next), each switch counted twice (its switch in as well);
 * never a process the kernel had no class for (it cannot take a slot, so it must not outbid
 * one). */
START_TEST(attrib_hash_names_for_slots)
{
	char path[4096];
	__u32 a;

	declare_maps(NS, true);
	ck_assert_msg(montest_start(&t, "context_switch",
				    "    fast_names: 2\n    min_switches: 1\n" MONTEST_ATTRIB) == 0,
		      "%s", t.err);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	a = montest_class_of(path);
	hint_who("busy", a, "x", WHO_TGID | 1);
	montest_poll(&t);
	ck_assert_int_eq(slot_of_who("busy", a), 0);
	ck_assert_int_eq(slot_of_who("x", WHO_TGID | 1), -1);
	cell(0, NS, 100, 100, 0, 0);
	put_who(0, "c", "d", 600, 0, a);			   /* 1200 >= EM_HOT_AT */
	put_who(0, "e", "f", 5000, 0, WHO_TGID | (__u32)getpid()); /* would outbid busy */
	montest_interval(&t, 1);
	ck_assert_int_eq(slot_of_who("c", a), 1);
	ck_assert_int_eq(slot_of_who("busy", a), 0);
	ck_assert_int_eq(slot_of_who("d", 0), -1);
	ck_assert_int_eq(slot_of_who("e", WHO_TGID | (__u32)getpid()), -1);
	stop();
}
END_TEST

/* Whether cgroup path is prefix or below it. */
static bool below(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strcmp(prefix, "/") ||
	       (!strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/'));
}

/* Attribution filters: rows of the classes they keep; the others' and the idle task's (no
 * class) are left out, counted in stats.filtered_rows. */
START_TEST(attrib_filters)
{
	char path[4096], opts[4400];
	__u32 a, b;

	/* before the start: the hierarchy the config's default (auto) picks */
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	snprintf(opts, sizeof(opts),
		 "    min_switches: 1\n    filters:\n      cgroups: [\"%s\"]\n" MONTEST_ATTRIB,
		 path);
	start_with(false, opts);
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DCS_IDLE_SKIPPED="),
			 "-DCS_IDLE_SKIPPED=1");
	a = montest_class_of(path);
	b = montest_other_class(a);
	put_who(0, "w", "x", 3, 0, a);
	put_who(0, "w", "x", 4, 0, b);
	put_raw(0, NULL, "w", 5, 0, 0, 0);
	montest_interval(&t, 1);
	/* b: "unknown" where every process shares one cgroup, or another cgroup, kept when it is
	 * below this one */
	ck_assert_int_eq(t.nrows, b != ATTRIB_UNKNOWN && below(attrib_class_path(b), path) ? 2 : 1);
	assert_class(find_row(0, "w", "x", a), a);
	ck_assert_int_eq(find_row(0, "<idle>", "w", ATTRIB_NONE), -1);
	ck_assert_int_ge(t.m.stats.filtered_rows, 1);
	stop();
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
	tcase_add_test(tc, fast_path_built_and_attached);
	tcase_add_test(tc, fast_names_rejects_bad_values);
	tcase_add_test(tc, fast_path_pairs_merged);
	tcase_add_test(tc, fast_path_cells_wrap);
	tcase_add_test(tc, attrib_columns_and_points);
	tcase_add_test(tc, attrib_rows_per_class);
	tcase_add_test(tc, attrib_fast_and_hash_merge);
	tcase_add_test(tc, attrib_hash_names_for_slots);
	tcase_add_test(tc, attrib_filters);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
