/* test_mon_page_fault.c - the page_fault monitor from its config to its rows, over the fake
 * loader: one row per (task, type, cpu, node), MINOR/MAJOR, the NUMA node from the key or,
 * where the probe leaves it to user space (PF_NODE_FROM_CPU: kernels before 4.10, and the fast
 * path), from the CPU's sysfs directory, the sort order, the epoch rule, the cflags configure
 * passes, and the fast path (task slots): per-CPU cells merged with the hash path's rows; with
 * attribution, rows per class (the faulting process's cgroup), from either path. */
#include <check.h>
#include <glob.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/kcheck.h"
#include "monitors/attrib.h"
#include "montest.h"
#include "probes/page_fault.h"
#include "probes/task_slots.h"
#include "testutil.h"

static struct montest t;

/* fast: whether this kernel is taken to have per-CPU arrays (the fast path's need) */
static void declare_maps(bool fast)
{
	fake_bpf_reset();
	fake_bpf_map("page_fault", "pf_counts", sizeof(struct pf_key), sizeof(struct pf_value),
		     10240, false);
	fake_bpf_array("page_fault", "pf_fast", sizeof(struct pf_fast_value), 64, true);
	kcheck_force_map(KMAP_PERCPU_ARRAY, fast);
}

static void start_with(bool fast, const char *options)
{
	declare_maps(fast);
	ck_assert_msg(montest_start(&t, "page_fault", options) == 0, "%s", t.err);
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

/* who: the key's who value (probes/attrib.h): a class, or 0x80000000 | a tgid */
static void put_who(const char *comm, unsigned type, unsigned cpu, unsigned node, __u64 count,
		    __u32 who)
{
	struct pf_key k;
	struct pf_value v = { count };

	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.who = who;
	k.type = type;
	k.cpu = cpu;
	k.node = node;
	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm)));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "pf_counts", &k, &v), 0);
}

static void put(const char *comm, unsigned type, unsigned cpu, unsigned node, __u64 count)
{
	put_who(comm, type, cpu, node, count, 0);
}

/* The node sysfs links a CPU to ("/sys/devices/system/cpu/cpuN/nodeM"), found here by glob;
 * 0 on a kernel without NUMA or for a CPU that does not exist. */
static unsigned sysfs_node(unsigned cpu)
{
	char pattern[96];
	unsigned node = 0;
	glob_t g;

	snprintf(pattern, sizeof(pattern), "/sys/devices/system/cpu/cpu%u/node[0-9]*", cpu);
	if (glob(pattern, 0, NULL, &g) == 0) {
		ck_assert_int_eq(sscanf(strrchr(g.gl_pathv[0], '/') + 1, "node%u", &node), 1);
		globfree(&g);
	}
	return node;
}

START_TEST(columns)
{
	static const char *const names[] = { "timestamp",  "time_str",	     "comm",
					     "fault_type", "fault_type_str", "cpu",
					     "numa_node",  "count" };

	start("");
	ck_assert_uint_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "page_faults"), "perf_event");
	stop();
}
END_TEST

START_TEST(rows_by_type_cpu_and_node)
{
	long r;

	start("");
	put("cc1", PF_MINOR, 0, 0, 500);
	put("cc1", PF_MINOR, 1, 0, 300); /* the same task on another CPU: its own row */
	put("cc1", PF_MAJOR, 1, 0, 7);
	put("0123456789abcdefXX", PF_MINOR, 0, 3, 40); /* node 3 from the kernel: kept */
	put("odd", 7, 0, 0, 1);
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_uint_eq(t.nrows, 5);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "cc1");
	ck_assert_str_eq(montest_cell(&t, 0, "fault_type"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "fault_type_str"), "MINOR");
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "numa_node"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "500");
	ck_assert_uint_eq(t.row_ts[0], 1700000000000000000ull);
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "300");
	ck_assert_str_eq(montest_cell(&t, 2, "comm"), "0123456789abcdef");
	ck_assert_str_eq(montest_cell(&t, 2, "numa_node"), "3");
	ck_assert_str_eq(montest_cell(&t, 3, "fault_type"), "1");
	ck_assert_str_eq(montest_cell(&t, 3, "fault_type_str"), "MAJOR");
	ck_assert_str_eq(montest_cell(&t, 3, "count"), "7");
	r = montest_find(&t, "comm", "odd");
	ck_assert_int_eq(r, 4);
	ck_assert_str_eq(montest_cell(&t, r, "fault_type_str"), "UNKNOWN");
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "pf_counts"), 0);
	montest_clear_rows(&t);
	montest_interval(&t, 1700000001000000000ull);
	ck_assert_uint_eq(t.nrows, 0);
	stop();
}
END_TEST

/* Equal counts: by CPU. */
START_TEST(ties_by_cpu)
{
	start("");
	put("a", PF_MINOR, 3, 0, 5);
	put("b", PF_MINOR, 1, 0, 5);
	put("c", PF_MINOR, 2, 0, 5);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 3);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "b");
	ck_assert_str_eq(montest_cell(&t, 1, "comm"), "c");
	ck_assert_str_eq(montest_cell(&t, 2, "comm"), "a");
	stop();
}
END_TEST

/* The probe without bpf_get_numa_node_id writes PF_NODE_UNKNOWN: the row has the CPU's node
 * as sysfs links it, 0 for a CPU sysfs does not know. */
START_TEST(node_from_sysfs)
{
	char want[16];

	start("");
	put("a", PF_MINOR, 0, PF_NODE_UNKNOWN, 9);
	put("b", PF_MINOR, 4000, PF_NODE_UNKNOWN, 8); /* no such CPU, past the cache too */
	put("c", PF_MAJOR, 0, PF_NODE_UNKNOWN, 7);    /* cpu0 again, from the cache */
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 3);
	snprintf(want, sizeof(want), "%u", sysfs_node(0));
	ck_assert_str_eq(montest_cell(&t, 0, "numa_node"), want);
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "4000");
	ck_assert_str_eq(montest_cell(&t, 1, "numa_node"), "0");
	ck_assert_str_eq(montest_cell(&t, 2, "numa_node"), want);
	stop();
}
END_TEST

START_TEST(current_epoch_waits)
{
	start("");
	put("early", PF_MINOR, 0, 0, 1);
	ck_assert_int_eq(monitor_flip_epoch(&t.m, 1), 0);
	put("late", PF_MINOR, 0, 0, 2);
	t.m.ops->collect(&t.m, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "early");
	montest_clear_rows(&t);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "late");
	stop();
}
END_TEST

/* map_size sizes the kernel's map; PF_NODE_FROM_CPU with the fast path, and without it exactly
 * where this kernel's BPF has no bpf_get_numa_node_id for us, which includes any unprivileged
 * run (no BPF at all). */
START_TEST(cflags)
{
	const char *f;

	start_with(false, "");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DPF_MAP_ENTRIES="),
			 "-DPF_MAP_ENTRIES=10240");
	f = fake_bpf_cflag(montest_mod(&t), "-DPF_NODE_FROM_CPU");
	if (kcheck_bpf(KBPF_NUMA_NODE_ID)) {
		ck_assert_ptr_null(f);
	} else {
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f, "-DPF_NODE_FROM_CPU=1");
	}
	if (!kcheck_privileged())
		ck_assert_ptr_nonnull(f);
	stop();

	/* both answers, whatever this kernel says; the fast path always leaves it to us */
	kcheck_force_bpf(KBPF_NUMA_NODE_ID, 1);
	start_with(false, "");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DPF_NODE_FROM_CPU"));
	stop();
	start("");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DPF_NODE_FROM_CPU"),
			 "-DPF_NODE_FROM_CPU=1");
	stop();
	kcheck_force_bpf(KBPF_NUMA_NODE_ID, 0);
	start_with(false, "");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DPF_NODE_FROM_CPU"),
			 "-DPF_NODE_FROM_CPU=1");
	stop();
	kcheck_force_bpf(KBPF_NUMA_NODE_ID, -1);

	start("    map_size: 1048576\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DPF_MAP_ENTRIES="),
			 "-DPF_MAP_ENTRIES=1048576");
	stop();

	declare_maps(true);
	ck_assert_int_ne(montest_start(&t, "page_fault", "    map_size: 1048577\n"), 0);
	ck_assert_msg(strstr(t.err, "map_size") != NULL, "%s", t.err);
	stop();
}
END_TEST

/* The fast path: EM_TASK_SLOTS (auto: 64, the most auto gives; 16 bytes per name and CPU fit
 * 1 MiB up to 1024 CPUs) and the two task-slot points; off by the option or on a kernel
 * without per-CPU arrays (today's probe: the hash path alone). */
START_TEST(fast_path_built_and_attached)
{
	start("");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=64");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "page_faults"), "perf_event");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "task_fork"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "task_rename"), "tracepoint");
	stop();

	declare_maps(true);
	fake_bpf_set_cpus(4096); /* 1 MiB / (16 B x 4096 CPUs): 16 */
	ck_assert_msg(montest_start(&t, "page_fault", "") == 0, "%s", t.err);
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=16");
	stop();

	start("    fast_names: 5\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS="), "-DEM_TASK_SLOTS=5");
	stop();

	for (unsigned k = 0; k < 2; k++) {
		start_with(k == 1, k == 1 ? "    fast_names: 0\n" : "");
		ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DEM_TASK_SLOTS"));
		ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "page_faults"), "perf_event");
		ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "task_fork"));
		ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "task_rename"));
		/* the hash path's rows as before */
		put("cc1", PF_MAJOR, 1, 0, 3);
		montest_interval(&t, 1);
		ck_assert_uint_eq(t.nrows, 1);
		ck_assert_str_eq(montest_cell(&t, 0, "count"), "3");
		stop();
	}
}
END_TEST

START_TEST(fast_names_rejects_bad_values)
{
	const char *bad[] = { "    fast_names: lots\n", "    fast_names: -1\n",
			      "    fast_names: 1025\n" };

	for (unsigned k = 0; k < 3; k++) {
		declare_maps(true);
		ck_assert_int_ne(montest_start(&t, "page_fault", bad[k]), 0);
		ck_assert_msg(strstr(t.err, "fast_names") &&
				      strstr(t.err, "must be auto or a number from 0 to 1024"),
			      "%s", t.err);
		stop();
	}
}
END_TEST

/* The kernel notes a name (and who value) hot on the hash path (cpu1's em_hot). */
static void hint_who(const char *name, __u32 who)
{
	struct em_hot_names h[2];
	__u32 zero = 0;

	memset(h, 0, sizeof(h));
	h[1].n = 1;
	memcpy(h[1].key[0].name, name, strnlen(name, 16));
	h[1].key[0].who = who;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "em_hot", &zero, h), 0);
}

static void hint(const char *name)
{
	hint_who(name, 0);
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

/* The cumulative cells of slot on cpu0 and cpu1, as the probe leaves them. */
static void cells(long slot, __u64 min0, __u64 maj0, __u64 min1, __u64 maj1)
{
	struct pf_fast_value v[2] = { { { min0, maj0 } }, { { min1, maj1 } } };
	__u32 s = (__u32)slot;

	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "pf_fast", &s, v), 0);
}

/* A hot name gets a slot at the next poll; its cells' differences become rows per CPU and
 * type, the node the CPU's, merged with what the hash path counted for the same key (before
 * the slot); cumulative cells: the next interval shows only what is new. */
START_TEST(fast_path_rows_per_cpu_merged)
{
	char node0[16];

	snprintf(node0, sizeof(node0), "%u", sysfs_node(0));
	start("");
	hint("storm");
	montest_poll(&t);
	ck_assert_int_eq(slot_of("storm"), 0);
	put("storm", PF_MINOR, 0, PF_NODE_UNKNOWN, 1024); /* the hash path, before the slot */
	put("other", PF_MINOR, 0, PF_NODE_UNKNOWN, 5);
	cells(0, 100, 2, 30, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 4);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "storm");
	ck_assert_str_eq(montest_cell(&t, 0, "fault_type_str"), "MINOR");
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "numa_node"), node0);
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "1124");
	ck_assert_str_eq(montest_cell(&t, 1, "comm"), "storm");
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "30");
	ck_assert_str_eq(montest_cell(&t, 2, "comm"), "other");
	ck_assert_str_eq(montest_cell(&t, 3, "comm"), "storm");
	ck_assert_str_eq(montest_cell(&t, 3, "fault_type_str"), "MAJOR");
	ck_assert_str_eq(montest_cell(&t, 3, "fault_type"), "1");
	ck_assert_str_eq(montest_cell(&t, 3, "count"), "2");

	montest_clear_rows(&t);
	cells(0, 150, 2, 30, 4);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(montest_cell(&t, 0, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, 0, "fault_type_str"), "MINOR");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "50");
	ck_assert_str_eq(montest_cell(&t, 1, "cpu"), "1");
	ck_assert_str_eq(montest_cell(&t, 1, "fault_type_str"), "MAJOR");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "4");

	/* idle two intervals: taken back; a free slot's cells are not read, and the next name
	 * there counts from their values, not from zero */
	montest_clear_rows(&t);
	montest_interval(&t, 3);
	montest_interval(&t, 4);
	ck_assert_int_eq(slot_of("storm"), -1);
	montest_interval(&t, 5); /* out of quarantine */
	ck_assert_uint_eq(t.nrows, 0);
	hint("next");
	montest_poll(&t);
	ck_assert_int_eq(slot_of("next"), 0);
	cells(0, 151, 2, 30, 4);
	montest_interval(&t, 6);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "next");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "1");
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

/* The first row of comm and class cls' cgroup, or -1. */
static long find_row(const char *comm, __u32 cls)
{
	for (size_t i = 0; i < t.nrows; i++)
		if (!strcmp(montest_cell(&t, i, "comm"), comm) &&
		    !strcmp(montest_cell(&t, i, "cgroup"), attrib_class_path(cls)))
			return (long)i;
	return -1;
}

/* The four columns after the documented ones, the attribution points attached, the probe
 * built with EM_ATTRIB; none of it without attribution. */
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
	stop();

	start("");
	ck_assert_int_eq(t.m.ncolumns, 8);
	ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB") == NULL, "EM_ATTRIB");
	ck_assert_msg(fake_bpf_attached(montest_mod(&t), "who_fork") == NULL, "who_fork");
	stop();
}
END_TEST

/* One name in two classes: two rows, each with its class's columns and its own count; a key of
 * this process's tgid (the kernel had no class for it) resolves to its own cgroup; a key of a
 * process gone unresolved counts under "unknown", in stats.unattributed too. */
START_TEST(attrib_rows_per_class)
{
	char path[4096];
	__u32 a, b, dead;
	long r;

	start_with(false, MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	a = montest_class_of(path);
	ck_assert_msg(a >= 2, "no class for %s", path);
	b = montest_other_class(a);
	dead = montest_dead_pid();
	ck_assert_msg(dead != 0, "fork");

	put_who("cc1", PF_MINOR, 0, 0, 500, a);
	put_who("cc1", PF_MINOR, 0, 0, 300, b);
	put_who("self", PF_MAJOR, 1, 0, 70, WHO_TGID | (__u32)getpid());
	put_who("gone", PF_MINOR, 1, 0, 9, WHO_TGID | dead);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 4);
	r = find_row("cc1", a);
	assert_class(r, a);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "500");
	r = find_row("cc1", b);
	assert_class(r, b);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "300");
	r = montest_find(&t, "comm", "self");
	assert_class(r, a); /* this process's cgroup */
	ck_assert_str_eq(montest_cell(&t, r, "fault_type_str"), "MAJOR");
	ck_assert_str_eq(montest_cell(&t, r, "count"), "70");
	r = montest_find(&t, "comm", "gone");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(montest_cell(&t, r, "cgroup"), "unknown");
	ck_assert_str_eq(montest_cell(&t, r, "unit"), "unknown");
	ck_assert_str_eq(montest_cell(&t, r, "container_id"), "");
	ck_assert_str_eq(montest_cell(&t, r, "count"), "9");
	/* where every process shares one cgroup, b is "unknown" too */
	ck_assert_int_eq(t.m.stats.unattributed, 9 + (b == ATTRIB_UNKNOWN ? 300 : 0));
	stop();
}
END_TEST

/* Keys of two who values that are one class (a class, and a tgid of a process of that class)
 * are one row, on the hash path alone and with the fast path: a slot is a (name, who) pair's,
 * its cells' rows carry the slot's class and merge with the hash path's rows of that class;
 * a row of the same name in another class stays its own. */
START_TEST(attrib_fast_and_hash_merge)
{
	char path[4096];
	__u32 a, b, self = WHO_TGID | (__u32)getpid();
	long r;

	start_with(false, MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	a = montest_class_of(path);
	ck_assert_msg(a >= 2, "no class for %s", path);
	put_who("w", PF_MINOR, 0, 0, 10, a);
	put_who("w", PF_MINOR, 0, 0, 5, self);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 1);
	assert_class(0, a);
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "15");
	stop();

	start(MONTEST_ATTRIB);
	a = montest_class_of(path);
	b = montest_other_class(a);
	/* a hint of a process the kernel had no class for gets no slot: its who is no class */
	hint_who("storm", self);
	montest_poll(&t);
	ck_assert_int_eq(slot_of_who("storm", self), -1);
	hint_who("storm", a);
	montest_poll(&t);
	ck_assert_int_eq(slot_of_who("storm", a), 0);
	ck_assert_int_eq(slot_of("storm"), -1);
	/* before the slot; a process without a class in the kernel: 1024 would outbid the slot's
	 * 100 if it could take a slot, which it cannot */
	put_who("storm", PF_MINOR, 0, PF_NODE_UNKNOWN, 1024, self);
	put_who("storm", PF_MINOR, 0, PF_NODE_UNKNOWN, 6, a);
	put_who("storm", PF_MINOR, 0, PF_NODE_UNKNOWN, 7, b); /* another class: its own row */
	cells(0, 100, 0, 0, 0);
	montest_interval(&t, 2);
	ck_assert_int_eq(t.nrows, 2);
	r = find_row("storm", a);
	assert_class(r, a);
	ck_assert_str_eq(montest_cell(&t, r, "cpu"), "0");
	ck_assert_str_eq(montest_cell(&t, r, "count"), "1130");
	r = find_row("storm", b);
	assert_class(r, b);
	ck_assert_str_eq(montest_cell(&t, r, "count"), "7");
	/* the busiest hash-path key of another class earns a slot of its own at the interval's
	 * end, with the kernel's who value */
	montest_clear_rows(&t);
	put_who("storm", PF_MINOR, 1, PF_NODE_UNKNOWN, 5000, b);
	montest_interval(&t, 3);
	ck_assert_int_eq(slot_of_who("storm", b), 1);
	ck_assert_int_eq(slot_of_who("storm", a), 0);
	stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_page_fault");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, columns);
	tcase_add_test(tc, rows_by_type_cpu_and_node);
	tcase_add_test(tc, ties_by_cpu);
	tcase_add_test(tc, node_from_sysfs);
	tcase_add_test(tc, current_epoch_waits);
	tcase_add_test(tc, cflags);
	tcase_add_test(tc, fast_path_built_and_attached);
	tcase_add_test(tc, fast_names_rejects_bad_values);
	tcase_add_test(tc, fast_path_rows_per_cpu_merged);
	tcase_add_test(tc, attrib_columns_and_points);
	tcase_add_test(tc, attrib_rows_per_class);
	tcase_add_test(tc, attrib_fast_and_hash_merge);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
