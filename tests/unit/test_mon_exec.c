/* test_mon_exec.c - the exec monitor from its config to its rows, over the fake loader: the
 * columns in the user guide's order, one row per event as the probe sends it (4.18+: the whole
 * event, its arguments NUL-separated; before 4.18: each argument ahead of the event as its own
 * record, consecutive on one CPU), the arguments joined with spaces and cut with " ...", the
 * parent from the kernel's map or /proc, pieces lost or out of order and perf losses counted,
 * the parent map seeded from /proc at the start, and perf_buffer_pages checked. Attribution
 * (config `attribution:`): its points after exec's own (off without it), the event's who value
 * on both kinds of event, resolved at once (a class, or this test's own process read from
 * /proc), a gone process or one whose pid was reused counted under "unknown". */
#include <check.h>
#include <linux/types.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "core/kcheck.h"
#include "monitors/attrib.h"
#include "probes/attrib.h"
#include "probes/exec.h"
#include "montest.h"
#include "monitors/syscall_table.h"
#include "testutil.h"

static struct montest t;

static void declare_maps(void)
{
	fake_bpf_reset();
	fake_bpf_map("exec", "exec_ppid", 4, 4, 32768, false);
}

static void start(const char *options)
{
	declare_maps();
	ck_assert_msg(montest_start(&t, "exec", options) == 0, "%s", t.err);
}

static void stop(void)
{
	montest_stop(&t);
}

/* An event's fixed part as exec_fill_header and the exit leave it. */
static struct exec_event header(__u32 pid, __u32 ppid, const char *comm, const char *filename,
				__s32 ret)
{
	struct exec_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = 5000000000ull;
	e.pid = pid;
	e.tid = pid;
	e.ppid = ppid;
	e.uid = 1000;
	e.gid = 1000;
	e.retval = ret;
	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	memcpy(e.filename, filename, strnlen(filename, sizeof(e.filename)));
	return e;
}

/* 4.18+: the event with `len` bytes of NUL-separated arguments, sent as exec_exit does (the
 * header and the bytes used, perf padding the record by `pad`). */
static void send_whole(int cpu, struct exec_event *e, const char *args, size_t len, __u32 argc,
		       int pad)
{
	memcpy(e->args, args, len);
	e->args_size = (__u32)len;
	e->argc = argc;
	montest_event(&t, cpu, e, (int)(offsetof(struct exec_event, args) + len) + pad);
}

/* Before 4.18: one argument's piece (128 bytes, unterminated when full). */
static void send_part(int cpu, __u32 tid, __u32 index, const char *arg, size_t len)
{
	struct exec_arg_part p;

	memset(&p, 0, sizeof(p));
	p.kind = EXEC_PART_ARG;
	p.tid = tid;
	p.index = index;
	memcpy(p.data, arg, len);
	montest_event(&t, cpu, &p, (int)sizeof(p));
}

/* ... and the event after its pieces: the header only. */
static void send_parts_event(int cpu, struct exec_event *e, __u32 argc)
{
	e->flags |= EXEC_F_PARTS;
	e->argc = argc;
	e->args_size = argc * EXEC_ARG_LEN;
	montest_event(&t, cpu, e, (int)offsetof(struct exec_event, args));
}

static const char *cell(size_t row, const char *col)
{
	const char *s = montest_cell(&t, row, col);

	ck_assert_msg(s != NULL, "no row %zu or no column %s", row, col);
	return s;
}

/* The user guide's order (its `cut -f5` counts comms, `cut -f6` files). */
START_TEST(columns_in_the_guides_order)
{
	static const char *const names[] = { "timestamp", "time_str", "uid", "pid", "comm",
					     "filename",  "ppid",     "ret", "argv" };

	start("");
	ck_assert_uint_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	ck_assert_str_eq(t.m.columns[4].name, "comm");
	ck_assert_str_eq(t.m.columns[5].name, "filename");
	stop();
}
END_TEST

START_TEST(one_row_per_event)
{
	struct exec_event e = header(4242, 4200, "bash", "/usr/bin/ls", 0);
	static const char args[] = "ls\0-l\0/tmp"; /* the last NUL is the literal's */

	start("");
	send_whole(0, &e, args, sizeof(args), 3, 0);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "uid"), "1000");
	ck_assert_str_eq(cell(0, "pid"), "4242");
	ck_assert_str_eq(cell(0, "comm"), "bash");
	ck_assert_str_eq(cell(0, "filename"), "/usr/bin/ls");
	ck_assert_str_eq(cell(0, "ppid"), "4200");
	ck_assert_str_eq(cell(0, "ret"), "0");
	ck_assert_str_eq(cell(0, "argv"), "ls -l /tmp");
	/* the kernel's clock turned into the wall clock */
	ck_assert_uint_eq(t.row_ts[0], e.ts_ns + t.m.mono_to_real_ns);
	ck_assert_uint_eq(t.m.stats.events, 1);
	ck_assert_uint_eq(t.m.stats.rows, 1);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 0);

	/* a failed exec: -errno; perf padding after the arguments changes nothing */
	montest_clear_rows(&t);
	e = header(4243, 4200, "sh", "/nonexistent", -2);
	send_whole(1, &e, "x\0", 2, 1, 4);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "ret"), "-2");
	ck_assert_str_eq(cell(0, "filename"), "/nonexistent");
	ck_assert_str_eq(cell(0, "argv"), "x");
	stop();
}
END_TEST

/* Arguments joined with single spaces, nothing quoted by the monitor (the CSV quotes the cell
 * where it needs to); an empty argument leaves two spaces; " ..." when there were more. */
START_TEST(arguments_joined_and_cut)
{
	struct exec_event e = header(10, 1, "make", "/bin/sh", 0);
	char buf[256];

	start("");
	send_whole(0, &e, "sh\0-c\0echo a, \"b\"\0", 18, 3, 0);
	ck_assert_str_eq(cell(0, "argv"), "sh -c echo a, \"b\"");
	csv_quote_field(cell(0, "argv"), ',', buf, sizeof(buf));
	ck_assert_str_eq(buf, "\"sh -c echo a, \"\"b\"\"\"");

	montest_clear_rows(&t);
	send_whole(0, &e, "a\0\0b\0", 5, 3, 0);
	ck_assert_str_eq(cell(0, "argv"), "a  b");

	montest_clear_rows(&t);
	e.flags = EXEC_F_ARGS_TRUNCATED;
	send_whole(0, &e, "a\0b\0", 4, 2, 0);
	ck_assert_str_eq(cell(0, "argv"), "a b ...");

	/* no arguments at all (argv[0] NULL) */
	montest_clear_rows(&t);
	e.flags = 0;
	send_whole(0, &e, "", 0, 0, 0);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "argv"), "");
	stop();
}
END_TEST

/* The probe's buffers full: a 16-byte comm and a 256-byte path without a terminator, 8
 * arguments of 127 bytes filling the 1 KiB; a record shorter than args_size says. */
START_TEST(full_buffers_and_short_records)
{
	struct exec_event e = header(11, 1, "", "", 0);
	char args[EXEC_ARGS_SIZE], want[EXEC_ARGS_SIZE + 8];
	size_t o = 0;

	start("");
	memset(e.comm, 'c', sizeof(e.comm));
	memset(e.filename, 'f', sizeof(e.filename));
	for (int i = 0; i < 8; i++) {
		memset(args + i * EXEC_ARG_LEN, 'a' + i, EXEC_ARG_LEN - 1);
		args[i * EXEC_ARG_LEN + EXEC_ARG_LEN - 1] = '\0';
		memset(want + o, 'a' + i, EXEC_ARG_LEN - 1);
		o += EXEC_ARG_LEN - 1;
		want[o++] = ' ';
	}
	memcpy(want + o, "...", 4);
	e.flags = EXEC_F_ARGS_TRUNCATED;
	send_whole(0, &e, args, sizeof(args), 8, 0);
	ck_assert_uint_eq(strlen(cell(0, "comm")), 16);
	ck_assert_uint_eq(strlen(cell(0, "filename")), EXEC_FILENAME_LEN);
	ck_assert_uint_eq(strspn(cell(0, "filename"), "f"), EXEC_FILENAME_LEN);
	ck_assert_str_eq(cell(0, "argv"), want);

	/* an args_size beyond the buffer reads the buffer only, padding or not */
	montest_clear_rows(&t);
	e.args_size = 50000;
	montest_event(&t, 0, &e, (int)sizeof(e));
	ck_assert_str_eq(cell(0, "argv"), want);
	{
		struct {
			struct exec_event e;
			char pad[8];
		} padded;

		padded.e = e;
		memset(padded.pad, 'P', sizeof(padded.pad));
		montest_event(&t, 0, &padded, (int)sizeof(padded));
		ck_assert_str_eq(cell(1, "argv"), want);
	}

	/* a record that ends before args_size: what it holds */
	montest_clear_rows(&t);
	e.flags = 0;
	memcpy(e.args, "ab\0cd\0", 6);
	e.args_size = 6;
	montest_event(&t, 0, &e, (int)offsetof(struct exec_event, args) + 4);
	ck_assert_str_eq(cell(0, "argv"), "ab c");

	/* shorter than the header: no row, counted */
	montest_clear_rows(&t);
	montest_event(&t, 0, &e, (int)offsetof(struct exec_event, args) - 8);
	ck_assert_uint_eq(t.nrows, 0);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 1);
	stop();
}
END_TEST

/* ppid 0: the kernel's map had no parent; /proc has it while the process lives. */
START_TEST(parent_from_proc_when_the_kernel_has_none)
{
	struct exec_event e = header((__u32)getpid(), 0, "x", "/bin/x", 0);

	start("");
	send_whole(0, &e, "", 0, 0, 0);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_uint_eq(strtoull(cell(0, "ppid"), NULL, 10), (unsigned long long)getppid());
	/* a process already gone (beyond any pid_max): 0 */
	e = header(0x7ffffff0u, 0, "x", "/bin/x", 0);
	send_whole(0, &e, "", 0, 0, 0);
	ck_assert_str_eq(cell(1, "ppid"), "0");
	stop();
}
END_TEST

/* Before 4.18: the arguments arrive ahead of their event, one record each, and are joined by
 * CPU and thread; a full piece has no terminator and shows 127 bytes. */
START_TEST(pieces_joined_by_cpu_and_thread)
{
	struct exec_event a = header(100, 1, "bash", "/bin/echo", 0);
	struct exec_event b = header(200, 1, "zsh", "/bin/cat", 0);
	char full[EXEC_ARG_LEN], want[EXEC_ARG_LEN + 8];

	start("");
	memset(full, 'z', sizeof(full));
	/* two execs at once on two CPUs, their pieces interleaved in time */
	send_part(0, 100, 0, "echo", 4);
	send_part(1, 200, 0, "cat", 3);
	send_part(0, 100, 1, "hello world", 11);
	send_part(1, 200, 1, full, sizeof(full));
	send_parts_event(1, &b, 2);
	send_parts_event(0, &a, 2);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(cell(0, "pid"), "200");
	memcpy(want, "cat ", 4);
	memset(want + 4, 'z', EXEC_ARG_LEN - 1);
	want[4 + EXEC_ARG_LEN - 1] = '\0';
	ck_assert_str_eq(cell(0, "argv"), want);
	ck_assert_str_eq(cell(1, "pid"), "100");
	ck_assert_str_eq(cell(1, "comm"), "bash");
	ck_assert_str_eq(cell(1, "filename"), "/bin/echo");
	ck_assert_str_eq(cell(1, "argv"), "echo hello world");
	/* pieces are not execs */
	ck_assert_uint_eq(t.m.stats.events, 2);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 0);

	/* the pieces' order within one exec does not matter; a cut is marked as before */
	montest_clear_rows(&t);
	a.flags = EXEC_F_ARGS_TRUNCATED;
	send_part(0, 100, 1, "-n", 2);
	send_part(0, 100, 0, "echo", 4);
	send_parts_event(0, &a, 2);
	ck_assert_str_eq(cell(0, "argv"), "echo -n ...");
	/* perf pads records: a padded piece is still a piece */
	montest_clear_rows(&t);
	a.flags = 0;
	{
		struct {
			struct exec_arg_part p;
			char pad[8];
		} padded;

		memset(&padded, 0, sizeof(padded));
		padded.p.kind = EXEC_PART_ARG;
		padded.p.tid = 100;
		memcpy(padded.p.data, "true", 4);
		montest_event(&t, 0, &padded, (int)sizeof(padded.p) + 4);
	}
	send_parts_event(0, &a, 1);
	ck_assert_str_eq(cell(0, "argv"), "true");
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 0);
	stop();
}
END_TEST

/* A piece lost in the buffer, pieces of another thread or CPU, the event before its pieces, a
 * bad index: what arrived in order is shown up to the gap, and each loss is counted. */
START_TEST(pieces_lost_or_out_of_order)
{
	struct exec_event a = header(100, 1, "bash", "/bin/echo", 0);

	start("");
	/* the middle piece lost: the arguments before it */
	send_part(0, 100, 0, "a0", 2);
	send_part(0, 100, 2, "a2", 2);
	send_parts_event(0, &a, 3);
	ck_assert_str_eq(cell(0, "argv"), "a0");
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 1);

	/* pieces taken once: the same event again has none */
	send_parts_event(0, &a, 1);
	ck_assert_str_eq(cell(1, "argv"), "");
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 2);

	/* the pieces came on another CPU */
	send_part(1, 100, 0, "x", 1);
	send_parts_event(0, &a, 1);
	ck_assert_str_eq(cell(2, "argv"), "");
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 3);

	/* another thread's pieces start over: its stale pieces are not taken */
	send_part(0, 300, 0, "old0", 4);
	send_part(0, 300, 1, "old1", 4);
	send_part(0, 100, 0, "new0", 4);
	send_parts_event(0, &a, 2);
	ck_assert_str_eq(cell(3, "argv"), "new0");
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 4);

	/* the event before its pieces; the late piece waits for nobody */
	send_parts_event(0, &a, 1);
	ck_assert_str_eq(cell(4, "argv"), "");
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 5);
	send_part(0, 100, 0, "late", 4);
	ck_assert_uint_eq(t.nrows, 5);

	/* an index beyond the 8 places, a CPU beyond the possible ones */
	send_part(0, 100, EXEC_ARGS_SIZE / EXEC_ARG_LEN, "bad", 3);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 6);
	send_part(7, 100, 0, "bad", 3);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 7);
	ck_assert_uint_eq(t.nrows, 5);
	stop();
}
END_TEST

/* Records the kernel could not write into the perf buffer. */
START_TEST(perf_losses_counted)
{
	start("");
	fake_perf_lost(montest_mod(&t), 0, 3);
	fake_perf_lost(montest_mod(&t), 1, 4);
	ck_assert_uint_eq(t.m.stats.lost_perf, 7);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 0);
	ck_assert_uint_eq(t.nrows, 0);
	stop();
}
END_TEST

/* The start seeds the kernel's child -> parent map with the processes alive now. */
START_TEST(parent_map_seeded_from_proc)
{
	__u32 self = (__u32)getpid(), one = 1, v = 0;

	start("");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "parent"), "tracepoint");
	ck_assert_uint_ge(fake_map_count(montest_mod(&t), "exec_ppid"), 1);
	ck_assert_int_eq(fake_map_get(montest_mod(&t), "exec_ppid", &self, 0, &v), 0);
	ck_assert_uint_eq(v, (__u32)getppid());
	/* init has no parent: no entry */
	ck_assert_int_eq(fake_map_get(montest_mod(&t), "exec_ppid", &one, 0, &v), -ENOENT);
	stop();

	/* without fork tracking the map would go stale: not seeded */
	declare_maps();
	fake_bpf_refuse_alt("tracepoint");
	ck_assert_msg(montest_start(&t, "exec", "") == 0, "%s", t.err);
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "parent"));
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "execve"), "kprobe");
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "exec_ppid"), 0);
	stop();
}
END_TEST

START_TEST(options_become_the_plan)
{
	char want[64];

	start("");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEXEC_MAX_ARGS="), "-DEXEC_MAX_ARGS=8");
	ck_assert_uint_eq(t.m.perf_pages, 256);
	snprintf(want, sizeof(want), "-DEXEC_NR_EXECVE=%d", syscall_number("execve"));
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEXEC_NR_EXECVE="), want);
	snprintf(want, sizeof(want), "-DEXEC_NR_EXECVEAT=%d", syscall_number("execveat"));
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEXEC_NR_EXECVEAT="), want);
	stop();

	start("    max_args: 12\n    perf_buffer_pages: 512\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEXEC_MAX_ARGS="), "-DEXEC_MAX_ARGS=12");
	ck_assert_uint_eq(t.m.perf_pages, 512);
	stop();

	/* a kernel without BPF_F_NO_PREALLOC hash maps (before 4.6) gets a preallocated one */
	kcheck_force_map(KMAP_HASH_NO_PREALLOC, 0);
	start("");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DEXEC_INFLIGHT_PREALLOC=1"));
	stop();
	kcheck_force_map(KMAP_HASH_NO_PREALLOC, 1);
	start("");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DEXEC_INFLIGHT_PREALLOC"));
	stop();
	kcheck_force_map(KMAP_HASH_NO_PREALLOC, -1);
}
END_TEST

START_TEST(perf_buffer_pages_must_be_a_power_of_two)
{
	declare_maps();
	ck_assert_int_eq(montest_start(&t, "exec", "    perf_buffer_pages: 100\n"), -EINVAL);
	ck_assert_str_eq(t.err,
			 "monitors.exec.perf_buffer_pages: expected a power of two, got 100");
	ck_assert_ptr_null(fake_bpf_last()); /* refused before compiling */
	stop();

	/* below the option's range: the config refuses it */
	declare_maps();
	ck_assert_int_ne(montest_start(&t, "exec", "    perf_buffer_pages: 4\n"), 0);
	ck_assert_msg(strstr(t.err, "perf_buffer_pages") != NULL, "%s", t.err);
	stop();
}
END_TEST

/* ---- attribution ---- */

/* Row r's cgroup, unit, container_id and pod_uid cells are class c's. */
static void assert_class(size_t r, __u32 c)
{
	const char *why = montest_attrib_mismatch(&t, r, c);

	ck_assert_msg(why == NULL, "%s", why);
}

/* Attribution's points after exec's own: off without it, on with it; its columns after
 * exec's. */
START_TEST(attribution_points_and_columns)
{
	static const char *const names[] = { "timestamp", "time_str", "uid",  "pid",
					     "comm",	  "filename", "ppid", "ret",
					     "argv",	  "cgroup",   "unit", "container_id",
					     "pod_uid" };
	static const char *const points[] = { "who_fork", "who_exit", "who_move" };

	start("");
	ck_assert_int_eq(t.m.npoints, 5);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(t.m.points[2 + i].name, points[i]);
		ck_assert_int_eq(t.m.point_off[2 + i], 1);
		ck_assert_msg(fake_bpf_attached(montest_mod(&t), points[i]) == NULL, "%s",
			      points[i]);
	}
	ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB=") == NULL, "no EM_ATTRIB");
	stop();

	start(MONTEST_ATTRIB);
	ck_assert_int_eq(t.m.npoints, 5);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(t.m.point_off[2 + i], 0);
		ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), points[i]), "tracepoint");
	}
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB="), "-DEM_ATTRIB=1");
	ck_assert_int_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	stop();
}
END_TEST

/* The class in the event becomes the row's columns, whichever way the event came: whole
 * (4.18+) or after its pieces (before 4.18). */
START_TEST(attribution_class_of_both_kinds_of_event)
{
	struct exec_event e = header(4242, 4200, "bash", "/usr/bin/ls", 0);
	static const char args[] = "ls\0-l";
	char path[4096];
	__u32 c;

	start(MONTEST_ATTRIB);
	/* the class the start gave this process in em_who_of: what the kernel puts in its events */
	c = montest_own_class(&t);
	ck_assert_msg(c > ATTRIB_UNKNOWN && c < EM_WHO_SKIP, "class %#x", c);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	ck_assert_str_eq(attrib_class_path(c), path);
	e.who = c;
	send_whole(0, &e, args, sizeof(args), 2, 0);
	e = header(4243, 4200, "sh", "/usr/bin/id", 0);
	e.tid = 4243;
	e.who = c;
	send_part(1, 4243, 0, "id", 3);
	send_parts_event(1, &e, 1);
	ck_assert_int_eq(t.nrows, 2);
	ck_assert_str_eq(cell(0, "filename"), "/usr/bin/ls");
	assert_class(0, c);
	ck_assert_str_eq(cell(1, "filename"), "/usr/bin/id");
	ck_assert_str_eq(cell(1, "argv"), "id");
	assert_class(1, c);
	ck_assert_int_eq(t.m.stats.unattributed, 0);
	stop();
}
END_TEST

/* A process the kernel had no class for is read from /proc when its event comes (this test's
 * own process, alive: its cgroup, and the kernel told); one already gone is "unknown" and
 * counted. */
START_TEST(attribution_resolved_at_once)
{
	struct exec_event e = header((__u32)getpid(), 1, "bash", "/usr/bin/ls", 0);
	__u32 dead = montest_dead_pid(), pid = (__u32)getpid(), v = 0;
	char path[4096];

	ck_assert_msg(dead != 0, "fork");
	start(MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, path, sizeof(path)), 0);
	/* as if the process was not resolved at the start */
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "em_who_of", &pid, &(__u32){ 0 }), 0);
	e.who = EM_WHO_TGID | pid;
	send_whole(0, &e, "ls", 3, 1, 0);
	e = header(dead, 1, "bash", "/usr/bin/true", 0);
	e.who = EM_WHO_TGID | dead;
	send_whole(0, &e, "true", 5, 1, 0);
	ck_assert_int_eq(t.nrows, 2);
	assert_class(0, montest_class_of(path));
	ck_assert_int_eq(fake_map_get(montest_mod(&t), "em_who_of", &pid, 0, &v), 0);
	ck_assert_str_eq(attrib_class_path(v), path);
	ck_assert_str_eq(cell(1, "filename"), "/usr/bin/true");
	assert_class(1, ATTRIB_UNKNOWN);
	ck_assert_int_eq(t.m.stats.unattributed, 1);
	stop();
}
END_TEST

/* PID reuse: the event's process exited (the kernel marked its tgid gone) and its pid is
 * another process's now (this test's): the row is "unknown", not the new owner's. */
START_TEST(attribution_reused_pid_is_unknown)
{
	struct exec_event e = header((__u32)getpid(), 1, "bash", "/usr/bin/ls", 0);
	__u32 pid = (__u32)getpid();
	__u64 exited = 1;

	start(MONTEST_ATTRIB);
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "em_who_gone", &pid, &exited), 0);
	e.who = EM_WHO_TGID | pid;
	send_whole(0, &e, "ls", 3, 1, 0);
	ck_assert_int_eq(t.nrows, 1);
	assert_class(0, ATTRIB_UNKNOWN);
	ck_assert_int_eq(t.m.stats.unattributed, 1);
	stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_exec");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, columns_in_the_guides_order);
	tcase_add_test(tc, one_row_per_event);
	tcase_add_test(tc, arguments_joined_and_cut);
	tcase_add_test(tc, full_buffers_and_short_records);
	tcase_add_test(tc, parent_from_proc_when_the_kernel_has_none);
	tcase_add_test(tc, pieces_joined_by_cpu_and_thread);
	tcase_add_test(tc, pieces_lost_or_out_of_order);
	tcase_add_test(tc, perf_losses_counted);
	tcase_add_test(tc, parent_map_seeded_from_proc);
	tcase_add_test(tc, options_become_the_plan);
	tcase_add_test(tc, perf_buffer_pages_must_be_a_power_of_two);
	tcase_add_test(tc, attribution_points_and_columns);
	tcase_add_test(tc, attribution_class_of_both_kinds_of_event);
	tcase_add_test(tc, attribution_resolved_at_once);
	tcase_add_test(tc, attribution_reused_pid_is_unknown);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
