/* test_mon_func.c - the func monitor from its config to its rows, over the fake loader. Its
 * patterns resolve against a fixture's available_filter_functions (tracefs_set_root()), so the
 * functions are known whatever the kernel and user: one probe point per function, kprobe then
 * kfunc, the -D flags, probe_limit, the pid column only with per_pid, rows from func_counts
 * (per-CPU sums, names by index, sorting), and the patterns refused. One check resolves
 * vfs_read on the running kernel (every Linux has it). Attribution (config `attribution:`):
 * attribution's three points after the functions' (off without it), rows with the class's
 * columns, a process the kernel had no class for resolved from /proc (this test's own), a gone
 * one counted under "unknown", and keys that become one class merged. */
#include <check.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitors/attrib.h"
#include "probes/attrib.h"
#include "probes/func.h"
#include "montest.h"
#include "testutil.h"
#include "core/tracefs.h"

static struct montest t;

static const char functions[] = "vfs_read\n"
				"vfs_write\n"
				"vfs_fsync\n"
				"vfs_open\n"
				"tcp_sendmsg\n"
				"tcp_sendpage\n"
				"vfs_dedupe_file_range_one.part.0\n"
				"vfs_read\n"
				"vfs_mod_helper [somemod]\n";

/* A tracefs with these traceable functions. */
static void fixture(void)
{
	char path[128];
	FILE *f;

	make_tmpdir("mon_func");
	snprintf(path, sizeof(path), "%s/events", tmpdir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/available_filter_functions", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(functions, f);
	fclose(f);
	tracefs_set_root(tmpdir);
}

static int try_start(const char *options)
{
	fake_bpf_reset();
	fake_bpf_map("func", "func_counts", sizeof(struct func_key), sizeof(struct func_value),
		     10240, true);
	return montest_start(&t, "func", options);
}

static void start(const char *options)
{
	fixture();
	ck_assert_msg(try_start(options) == 0, "%s", t.err);
}

static void teardown(void)
{
	montest_stop(&t);
	tracefs_set_root(NULL);
	rm_tmpdir();
}

static const char *flag(const char *prefix)
{
	return fake_bpf_cflag(montest_mod(&t), prefix);
}

static void assert_flag(const char *prefix, const char *want)
{
	const char *got = flag(prefix);

	ck_assert_msg(got && !strcmp(got, want), "want %s, got %s", want, got ? got : "none");
}

static const char *cell(size_t row, const char *col)
{
	const char *s = montest_cell(&t, row, col);

	ck_assert_msg(s != NULL, "no row %zu or no column %s", row, col);
	return s;
}

static bool btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

/* Attribution's three points come last (who_fork, who_exit, who_move), internal, and turned off
 * unless attribution is on. */
static void assert_attrib_points(size_t nfuncs, bool on)
{
	static const char *const names[] = { "who_fork", "who_exit", "who_move" };

	ck_assert_int_eq(t.m.npoints, nfuncs + 3);
	for (size_t i = 0; i < 3; i++) {
		const struct attach_point *pt = &t.m.points[nfuncs + i];

		ck_assert_str_eq(pt->name, names[i]);
		ck_assert_msg(pt->internal, "%s is internal", pt->name);
		ck_assert_int_eq(t.m.point_off[nfuncs + i], !on);
	}
	for (size_t i = 0; i < nfuncs; i++)
		ck_assert_int_eq(t.m.point_off[i], 0);
}

static const char *const resolved[] = { "vfs_read",  "vfs_dedupe_file_range_one.part.0",
					"vfs_fsync", "vfs_mod_helper",
					"vfs_open",  "vfs_write" };

/* One optional point per function, named after it: kprobe kp_func_<i>, then kfunc
 * kfunc__<name>; nothing else. */
START_TEST(one_point_per_function)
{
	char name[64], prog[160];

	start("    patterns: [vfs_read, 'vfs_*']\n");
	assert_attrib_points(6, false);
	for (size_t i = 0; i < 6; i++) {
		const struct attach_point *pt = &t.m.points[i];

		ck_assert_str_eq(pt->name, resolved[i]);
		ck_assert(pt->optional);
		ck_assert_str_eq(pt->alts[0].name, "kprobe");
		ck_assert_int_eq(pt->alts[0].probes[0].kind, ATTACH_KPROBE);
		ck_assert_str_eq(pt->alts[0].probes[0].target, resolved[i]);
		snprintf(prog, sizeof(prog), "kp_func_%zu", i);
		ck_assert_str_eq(pt->alts[0].probes[0].prog, prog);
		ck_assert_ptr_null(pt->alts[0].probes[1].prog);
		ck_assert_str_eq(pt->alts[1].name, "kfunc");
		ck_assert_int_eq(pt->alts[1].probes[0].kind, ATTACH_KFUNC);
		ck_assert_str_eq(pt->alts[1].probes[0].target, resolved[i]);
		snprintf(prog, sizeof(prog), "kfunc__%s", resolved[i]);
		ck_assert_str_eq(pt->alts[1].probes[0].prog, prog);
		ck_assert_ptr_null(pt->alts[1].probes[1].prog);
		ck_assert_ptr_null(pt->alts[2].name);
		ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), resolved[i]), "kprobe");
	}
	assert_flag("-DFUNC_COUNT=", "-DFUNC_COUNT=6");
	assert_flag("-DFUNC_MAP_ENTRIES=", "-DFUNC_MAP_ENTRIES=10240");
	ck_assert_ptr_null(flag("-DFUNC_PER_PID"));
	/* fentry only with BTF, and only for names that are C identifiers */
	ck_assert_int_eq(flag("-DFUNC_KFUNC_ENABLED=1") != NULL, btf());
	for (size_t i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "-DFUNC_NAME_%zu=", i);
		if (i == 1 || !btf()) {
			ck_assert_ptr_null(flag(name));
		} else {
			snprintf(prog, sizeof(prog), "-DFUNC_NAME_%zu=%s", i, resolved[i]);
			assert_flag(name, prog);
		}
	}
	/* no pid column unless per_pid */
	ck_assert_uint_eq(t.m.ncolumns, 5);
	ck_assert_str_eq(t.m.columns[4].name, "count");
	teardown();
}
END_TEST

/* A kernel without kprobes for them: the second alternative, fentry. */
START_TEST(kfunc_when_kprobe_fails)
{
	fixture();
	fake_bpf_reset();
	fake_bpf_map("func", "func_counts", sizeof(struct func_key), sizeof(struct func_value),
		     10240, true);
	fake_bpf_refuse_alt("kprobe");
	ck_assert_msg(montest_start(&t, "func", "    patterns: [tcp_*]\n") == 0, "%s", t.err);
	assert_attrib_points(2, false);
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "tcp_sendmsg"), "kfunc");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "tcp_sendpage"), "kfunc");
	teardown();
}
END_TEST

START_TEST(probe_limit_cuts)
{
	start("    patterns: ['vfs_*', 'tcp_*']\n    probe_limit: 3\n    map_size: 512\n");
	assert_attrib_points(3, false);
	ck_assert_str_eq(t.m.points[0].name, "vfs_dedupe_file_range_one.part.0");
	ck_assert_str_eq(t.m.points[1].name, "vfs_fsync");
	ck_assert_str_eq(t.m.points[2].name, "vfs_mod_helper");
	assert_flag("-DFUNC_COUNT=", "-DFUNC_COUNT=3");
	assert_flag("-DFUNC_MAP_ENTRIES=", "-DFUNC_MAP_ENTRIES=512");
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "vfs_open"));
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "tcp_sendmsg"));
	ck_assert_ptr_null(flag("-DFUNC_NAME_3"));
	teardown();
}
END_TEST

/* cpu0 and cpu1's counts of one key with a who value, written with the current epoch. */
static void put_who(__u32 idx, __u32 pid, const char *comm, __u32 who, __u64 c0, __u64 c1)
{
	struct func_key k;
	struct func_value v[2] = { { c0 }, { c1 } };

	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.who = who;
	k.idx = idx;
	k.pid = pid;
	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm)));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "func_counts", &k, v), 0);
}

static void put(__u32 idx, __u32 pid, const char *comm, __u64 c0, __u64 c1)
{
	put_who(idx, pid, comm, 0, c0, c1);
}

START_TEST(rows_sum_cpus_name_and_sort)
{
	start("    patterns: [vfs_read, 'vfs_*']\n");
	put(0, 0, "cat", 3, 4);		     /* vfs_read: 7 */
	put(5, 0, "nginx", 10, 5);	     /* vfs_write: 15 */
	put(4, 0, "cat", 2, 3);		     /* vfs_open: 5 */
	put(2, 0, "sync", 5, 0);	     /* vfs_fsync: 5, a lower index: first */
	put(1, 0, "a-sixteen-chars!", 0, 1); /* a full 16-byte comm */
	put(0, 0, "idle", 0, 0);	     /* nothing counted: no row */
	put(6, 0, "beyond", 9, 9);	     /* no such function: no row */
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_uint_eq(t.nrows, 5);
	ck_assert_str_eq(montest_cell(&t, 0, "func_name"), "vfs_write");
	ck_assert_str_eq(montest_cell(&t, 0, "comm"), "nginx");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "15");
	ck_assert_str_eq(montest_cell(&t, 1, "func_name"), "vfs_read");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "7");
	ck_assert_str_eq(montest_cell(&t, 2, "func_name"), "vfs_fsync");
	ck_assert_str_eq(montest_cell(&t, 2, "comm"), "sync");
	ck_assert_str_eq(montest_cell(&t, 3, "func_name"), "vfs_open");
	ck_assert_str_eq(montest_cell(&t, 3, "count"), "5");
	ck_assert_str_eq(montest_cell(&t, 4, "func_name"), "vfs_dedupe_file_range_one.part.0");
	ck_assert_str_eq(montest_cell(&t, 4, "comm"), "a-sixteen-chars!");
	ck_assert_int_eq(montest_find(&t, "comm", "idle"), -1);
	ck_assert_int_eq(montest_find(&t, "comm", "beyond"), -1);
	ck_assert_ptr_null(montest_cell(&t, 0, "pid"));
	ck_assert_uint_eq(t.row_ts[0], 1700000000000000000ull);
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "func_counts"), 0);
	montest_clear_rows(&t);
	montest_interval(&t, 1700000001000000000ull);
	ck_assert_uint_eq(t.nrows, 0);
	teardown();
}
END_TEST

START_TEST(per_pid_rows)
{
	start("    patterns: [vfs_write]\n    per_pid: true\n");
	ck_assert_ptr_nonnull(flag("-DFUNC_PER_PID=1"));
	ck_assert_uint_eq(t.m.ncolumns, 6);
	put(0, 4242, "nginx", 2, 1);
	put(0, 4243, "nginx", 5, 0);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(montest_cell(&t, 0, "pid"), "4243");
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "5");
	ck_assert_str_eq(montest_cell(&t, 1, "pid"), "4242");
	ck_assert_str_eq(montest_cell(&t, 1, "count"), "3");
	ck_assert_str_eq(montest_cell(&t, 1, "func_name"), "vfs_write");
	teardown();
}
END_TEST

static void assert_refused(const char *options, int want_r, const char *want)
{
	fixture();
	ck_assert_int_eq(try_start(options), want_r);
	ck_assert_msg(strstr(t.err, want) != NULL, "want '%s' in '%s'", want, t.err);
	ck_assert_ptr_null(montest_mod(&t)); /* nothing compiled */
	teardown();
}

START_TEST(patterns_refused)
{
	assert_refused("    patterns: []\n", -EINVAL,
		       "monitors.func.patterns: expected at least one function name or wildcard, "
		       "e.g. [vfs_read, vfs_write]");
	assert_refused("    patterns: ['nosuch_*', do_nothing]\n", -ENOENT,
		       "func: the patterns match no traceable kernel function (check "
		       "monitors.func.patterns)");
}
END_TEST

/* The running kernel's list (available_filter_functions, or /proc/kallsyms where tracefs is
 * unreadable, as for an unprivileged user): vfs_read is on every Linux. */
START_TEST(host_resolves_vfs_read)
{
	tracefs_set_root(NULL);
	ck_assert_msg(try_start("    patterns: [vfs_read]\n") == 0, "%s", t.err);
	assert_attrib_points(1, false);
	ck_assert_str_eq(t.m.points[0].name, "vfs_read");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "vfs_read"), "kprobe");
	assert_flag("-DFUNC_COUNT=", "-DFUNC_COUNT=1");
	teardown();
}
END_TEST

/* ---- attribution ---- */

/* Row r's cgroup, unit, container_id and pod_uid cells are class c's. */
static void assert_class(size_t r, __u32 c)
{
	const char *why = montest_attrib_mismatch(&t, r, c);

	ck_assert_msg(why == NULL, "%s", why);
}

/* The columns after func's own; the points on; rows of a class carry its columns. */
START_TEST(attribution_columns_from_the_class)
{
	static const char *const names[] = { "timestamp", "time_str",	  "comm",
					     "func_name", "count",	  "cgroup",
					     "unit",	  "container_id", "pod_uid" };
	char path[4096];
	__u32 c;

	start("    patterns: [vfs_read, vfs_write]\n" MONTEST_ATTRIB);
	assert_attrib_points(2, true);
	ck_assert_int_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	ck_assert_msg(flag("-DEM_ATTRIB=1") != NULL, "EM_ATTRIB");
	/* the class the start gave this process in em_who_of: what the kernel keys its counts by */
	c = montest_own_class(&t);
	ck_assert_msg(c > ATTRIB_UNKNOWN && c < EM_WHO_SKIP, "class %#x", c);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	ck_assert_str_eq(attrib_class_path(c), path);
	put_who(1, 0, "nginx", c, 4, 3);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "func_name"), "vfs_write");
	ck_assert_str_eq(cell(0, "count"), "7");
	assert_class(0, c);
	ck_assert_int_eq(t.m.stats.unattributed, 0);
	teardown();
}
END_TEST

/* A process the kernel had no class for (EM_WHO_TGID | tgid) is read from /proc when its key
 * is: this test's own process, alive, is in its cgroup; a gone one is "unknown", counted. */
START_TEST(attribution_resolves_tgids)
{
	char path[4096];
	__u32 dead = montest_dead_pid();
	long mine, gone;

	ck_assert_msg(dead != 0, "fork");
	start("    patterns: [vfs_read]\n" MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	put_who(0, 0, "alive", EM_WHO_TGID | (__u32)getpid(), 5, 0);
	put_who(0, 0, "gone", EM_WHO_TGID | dead, 2, 1);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 2);
	mine = montest_find(&t, "comm", "alive");
	gone = montest_find(&t, "comm", "gone");
	ck_assert_msg(mine >= 0 && gone >= 0, "rows %ld %ld", mine, gone);
	ck_assert_str_eq(cell(mine, "count"), "5");
	assert_class(mine, montest_class_of(path));
	ck_assert_str_eq(cell(gone, "count"), "3");
	assert_class(gone, ATTRIB_UNKNOWN);
	ck_assert_int_eq(t.m.stats.unattributed, 3);
	teardown();
}
END_TEST

/* Keys that differ only by who values of one class are one row; other classes stay apart,
 * and with per_pid, other pids too. */
START_TEST(attribution_merges_equal_classes)
{
	__u32 c;

	start("    patterns: [vfs_read, vfs_write]\n    per_pid: true\n" MONTEST_ATTRIB);
	c = montest_own_class(&t);
	ck_assert_msg(c > ATTRIB_UNKNOWN && c < EM_WHO_SKIP, "class %#x", c);
	put_who(0, 7, "nginx", c, 10, 1);
	put_who(0, 7, "nginx", EM_WHO_TGID | (__u32)getpid(), 2, 2);
	put_who(0, 7, "nginx", ATTRIB_UNKNOWN, 1, 0);
	put_who(0, 8, "nginx", c, 3, 0);
	put_who(1, 7, "nginx", c, 0, 4);
	montest_interval(&t, 1);
	ck_assert_int_eq(t.nrows, 4);
	ck_assert_str_eq(cell(0, "count"), "15"); /* 11 + 4: one class */
	ck_assert_str_eq(cell(0, "pid"), "7");
	ck_assert_str_eq(cell(0, "func_name"), "vfs_read");
	ck_assert_str_eq(cell(0, "cgroup"), attrib_class_path(c));
	ck_assert_str_eq(cell(1, "count"), "4");
	ck_assert_str_eq(cell(1, "func_name"), "vfs_write");
	ck_assert_str_eq(cell(2, "count"), "3");
	ck_assert_str_eq(cell(2, "pid"), "8");
	ck_assert_str_eq(cell(3, "count"), "1");
	ck_assert_str_eq(cell(3, "cgroup"), "unknown");
	ck_assert_int_eq(t.m.stats.unattributed, 1);
	teardown();
}
END_TEST

/* With attribution on, its points attach whatever the functions do: none of the functions
 * attached is still no start (the framework counts no internal point). */
START_TEST(attribution_no_function_attached_is_no_start)
{
	fixture();
	fake_bpf_reset();
	fake_bpf_map("func", "func_counts", sizeof(struct func_key), sizeof(struct func_value),
		     10240, true);
	fake_bpf_refuse_alt("kprobe");
	fake_bpf_refuse_alt("kfunc");
	ck_assert_int_eq(montest_start(&t, "func", "    patterns: [tcp_*]\n" MONTEST_ATTRIB),
			 -ENOENT);
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_func");
	TCase *tc = tcase_create("func");

	tcase_add_test(tc, one_point_per_function);
	tcase_add_test(tc, kfunc_when_kprobe_fails);
	tcase_add_test(tc, probe_limit_cuts);
	tcase_add_test(tc, rows_sum_cpus_name_and_sort);
	tcase_add_test(tc, per_pid_rows);
	tcase_add_test(tc, patterns_refused);
	tcase_add_test(tc, host_resolves_vfs_read);
	tcase_add_test(tc, attribution_columns_from_the_class);
	tcase_add_test(tc, attribution_resolves_tgids);
	tcase_add_test(tc, attribution_merges_equal_classes);
	tcase_add_test(tc, attribution_no_function_attached_is_no_start);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
