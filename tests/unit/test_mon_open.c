/* test_mon_open.c - the open monitor from its config to its rows, over the fake loader: the
 * columns in the user guide's order, the CPUs merged (count, errors, error rate, latencies), the
 * most frequent errno, the path as shown (cut paths end with "..." after whole characters), the
 * flags as names, the operation, sorting, min_count and show_errors_only, a key of the current
 * epoch left for the next interval, the probe's flags from the options and the kernel, and with
 * attribution a row per (key, class): classes from the kernel or resolved from a tgid (this
 * process's own cgroup; "unknown" for a process gone), rows of one class merged.
 * Every row test runs twice: with the 288-byte key (kernels before 4.18) and with the fast
 * path's key and its paths map (open_paths), whatever this kernel is. */
#include <check.h>
#include <errno.h>
#include <linux/types.h>
#include <string.h>
#include <unistd.h>

#include "core/kcheck.h"
#include "montest.h"
#include "monitors/attrib.h"
#include "probes/attrib.h"
#include "probes/open.h"
#include "monitors/syscall_table.h"
#include "testutil.h"

#define NCPUS 4
#define K_WRONLY 01
#define K_CREAT 0100
#define K_TRUNC 01000
#define K_CLOEXEC 02000000

static struct montest t;
static int fast; /* the layout of this test case: the fast path's (1) or the 288-byte key's */

/* The tcases' fixtures: what kcheck says of map helpers taking map memory decides the layout. */
static void layout_fast(void)
{
	fast = 1;
	kcheck_force_bpf(KBPF_PROBE_READ_STR, 1);
	kcheck_force_bpf(KBPF_MAP_VALUE_HELPER_MEM, 1);
	kcheck_force_bpf(KBPF_MAP_VALUE_KEYS, 1);
}

static void layout_288(void)
{
	fast = 0;
	kcheck_force_bpf(KBPF_MAP_VALUE_KEYS, 0);
}

static void layout_kernel(void)
{
	kcheck_force_bpf(KBPF_BOUNDED_LOOPS, -1);
	kcheck_force_bpf(KBPF_PROBE_READ_STR, -1);
	kcheck_force_bpf(KBPF_MAP_VALUE_HELPER_MEM, -1);
	kcheck_force_bpf(KBPF_MAP_VALUE_KEYS, -1);
}

static void declare_maps(void)
{
	fake_bpf_reset();
	fake_bpf_set_cpus(NCPUS);
	fake_bpf_map("open", "open_counts",
		     fast ? sizeof(struct open_fkey) : sizeof(struct open_key),
		     sizeof(struct open_value), 10240, true);
	fake_bpf_map("open", "open_paths", sizeof(struct open_path_key), sizeof(struct open_path),
		     20480, false);
	fake_bpf_map("open", "open_start", 4, sizeof(struct open_start), 10240, false);
}

static void start(const char *options)
{
	declare_maps();
	ck_assert_msg(montest_start(&t, "open", options) == 0, "%s", t.err);
}

static void stop(void)
{
	montest_stop(&t);
}

static struct open_key key(const char *comm, unsigned op, const char *path, __u64 flags)
{
	struct open_key k;

	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.op = (__u8)op;
	k.flags = (__u32)flags;
	k.flags_hi = (flags >> 32) != 0; /* as the probe keeps openat2's upper bits */
	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm)));
	memcpy(k.filename, path, strnlen(path, sizeof(k.filename) - 1));
	return k;
}

/* An id for a path, as the probe's hash gives one (any distinct number does here). */
static __u64 path_id(const char *path)
{
	__u64 h = 1469598103934665603ull;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ull;
	return h;
}

/* The fast path's paths map entry for path in epoch (as the probe inserts it). */
static void put_path(__u32 epoch, __u64 id, const char *path)
{
	struct open_path_key pk = { epoch, 0, id };
	struct open_path p;
	size_t n = strnlen(path, OPEN_PATH_LEN - 1);

	memset(&p, 0, sizeof(p));
	p.len = (__u32)n + 1;
	memcpy(p.path, path, n);
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_paths", &pk, &p), 0);
}

/* One key's values, one per CPU, as the probe leaves them: under the 288-byte key, or (fast)
 * under the path's id with the path in open_paths. */
static void put(const struct open_key *k, const struct open_value v[NCPUS])
{
	struct open_fkey f;
	char path[OPEN_PATH_LEN];

	if (!fast) {
		ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_counts", k, v), 0);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.epoch = k->epoch;
	f.op = k->op;
	f.truncated = k->truncated;
	f.who = k->who;
	f.flags_hi = k->flags_hi;
	f.flags = k->flags;
	memcpy(f.comm, k->comm, sizeof(f.comm));
	memcpy(path, k->filename, sizeof(path));
	path[sizeof(path) - 1] = '\0';
	f.path_id = path_id(path);
	put_path(f.epoch, f.path_id, path);
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_counts", &f, v), 0);
}

/* A key counted on cpu 0 only: n opens of 1 µs, e of them failed with ENOENT. */
static void put_simple(const char *comm, const char *path, __u64 n, __u64 e)
{
	struct open_key k = key(comm, OPEN_OP_OPENAT, path, K_CLOEXEC);
	struct open_value v[NCPUS];

	memset(v, 0, sizeof(v));
	v[0] = (struct open_value){ .count = n,
				    .errors = e,
				    .lat_sum_ns = 1000 * n,
				    .lat_min_ns = 1000,
				    .lat_max_ns = 1000 };
	v[0].err[OPEN_E_NOENT] = (__u32)e;
	put(&k, v);
}

static const char *cell(size_t row, const char *col)
{
	const char *s = montest_cell(&t, row, col);

	ck_assert_msg(s != NULL, "no row %zu or no column %s", row, col);
	return s;
}

/* The user guide's fields in its order, then the most frequent errno. */
START_TEST(columns_in_the_guides_order)
{
	static const char *const names[] = { "timestamp",  "time_str",	 "comm",       "operation",
					     "filename",   "count",	 "errors",     "error_rate",
					     "avg_lat_us", "min_lat_us", "max_lat_us", "flags",
					     "top_errno" };

	start("");
	ck_assert_uint_eq(t.m.ncolumns, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < t.m.ncolumns; i++)
		ck_assert_str_eq(t.m.columns[i].name, names[i]);
	stop();
}
END_TEST

/* CPUs that saw nothing (all zero), before and between busy ones, must not pull the minimum
 * latency to 0; the sums and the maximum cover every CPU. */
START_TEST(cpus_merged_into_one_row)
{
	struct open_key k;
	struct open_value v[NCPUS];

	start("");
	k = key("cat", OPEN_OP_OPENAT, "/etc/passwd", K_CLOEXEC);
	memset(v, 0, sizeof(v));
	v[1] = (struct open_value){ .count = 5,
				    .errors = 2,
				    .lat_sum_ns = 5000,
				    .lat_min_ns = 700,
				    .lat_max_ns = 2000 };
	v[1].err[OPEN_E_NOENT] = 2;
	v[3] = (struct open_value){ .count = 3,
				    .errors = 1,
				    .lat_sum_ns = 3000,
				    .lat_min_ns = 900,
				    .lat_max_ns = 1200 };
	v[3].err[OPEN_E_OTHER] = 1;
	v[3].other_errno = EINVAL;
	put(&k, v);
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_uint_eq(t.row_ts[0], 1700000000000000000ull);
	ck_assert_str_eq(cell(0, "comm"), "cat");
	ck_assert_str_eq(cell(0, "operation"), "openat");
	ck_assert_str_eq(cell(0, "filename"), "/etc/passwd");
	ck_assert_str_eq(cell(0, "count"), "8");
	ck_assert_str_eq(cell(0, "errors"), "3");
	ck_assert_str_eq(cell(0, "error_rate"), "0.3750");
	ck_assert_str_eq(cell(0, "avg_lat_us"), "1.000");
	ck_assert_str_eq(cell(0, "min_lat_us"), "0.700");
	ck_assert_str_eq(cell(0, "max_lat_us"), "2.000");
	ck_assert_str_eq(cell(0, "flags"), "O_RDONLY|O_CLOEXEC");
	ck_assert_str_eq(cell(0, "top_errno"), "ENOENT");
	/* drained: the next interval has nothing */
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "open_counts"), 0);
	montest_clear_rows(&t);
	montest_interval(&t, 1700000001000000000ull);
	ck_assert_uint_eq(t.nrows, 0);

	/* the minimum from a later CPU */
	k = key("cat", OPEN_OP_OPENAT, "/etc/passwd", K_CLOEXEC);
	memset(v, 0, sizeof(v));
	v[0] = (struct open_value){ .count = 1,
				    .lat_sum_ns = 900,
				    .lat_min_ns = 900,
				    .lat_max_ns = 900 };
	v[2] = (struct open_value){ .count = 1,
				    .lat_sum_ns = 400,
				    .lat_min_ns = 400,
				    .lat_max_ns = 400 };
	put(&k, v);
	montest_interval(&t, 1700000002000000000ull);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "min_lat_us"), "0.400");
	ck_assert_str_eq(cell(0, "max_lat_us"), "0.900");
	ck_assert_str_eq(cell(0, "avg_lat_us"), "0.650");
	ck_assert_str_eq(cell(0, "errors"), "0");
	ck_assert_str_eq(cell(0, "error_rate"), "0.0000");
	ck_assert_str_eq(cell(0, "top_errno"), ""); /* no errors: empty */

	/* an "other" errno keeps its name past a later CPU that saw none */
	montest_clear_rows(&t);
	k = key("cat", OPEN_OP_OPENAT, "/etc/passwd", K_CLOEXEC);
	memset(v, 0, sizeof(v));
	v[0] = (struct open_value){ .count = 1, .errors = 1, .other_errno = ENAMETOOLONG };
	v[0].err[OPEN_E_OTHER] = 1;
	v[3] = (struct open_value){ .count = 1 };
	put(&k, v);
	montest_interval(&t, 1700000003000000000ull);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "error_rate"), "0.5000");
	ck_assert_str_eq(cell(0, "top_errno"), "ENAMETOOLONG");
	stop();
}
END_TEST

/* The errno counted most often, the earlier bucket on a tie; "other" by the last one seen. */
START_TEST(most_frequent_errno)
{
	static const struct {
		unsigned noent, acces, nfile, other;
		__u32 other_errno;
		const char *want;
	} cases[] = {
		{ 2, 3, 0, 0, 0, "EACCES" },	  { 3, 3, 0, 0, 0, "ENOENT" },
		{ 3, 3, 4, 0, 0, "ENFILE" },	  { 3, 3, 4, 9, ENAMETOOLONG, "ENAMETOOLONG" },
		{ 0, 0, 0, 1, EINVAL, "EINVAL" },
	};

	start("");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[32];
		struct open_key k;
		struct open_value v[NCPUS];

		snprintf(path, sizeof(path), "/case/%zu", i);
		k = key("t", OPEN_OP_OPEN, path, 0);
		memset(v, 0, sizeof(v));
		v[0].count = 100 - i; /* rows in the cases' order */
		v[0].errors = cases[i].noent + cases[i].acces + cases[i].nfile + cases[i].other;
		v[0].err[OPEN_E_NOENT] = cases[i].noent;
		v[0].err[OPEN_E_ACCES] = cases[i].acces;
		v[0].err[OPEN_E_NFILE] = cases[i].nfile;
		v[0].err[OPEN_E_OTHER] = cases[i].other;
		v[0].other_errno = cases[i].other_errno;
		put(&k, v);
	}
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < t.nrows; i++)
		ck_assert_str_eq(cell(i, "top_errno"), cases[i].want);
	stop();
}
END_TEST

/* A path the probe cut (255 bytes kept) ends with "...", after whole UTF-8 characters. */
START_TEST(paths_plain_and_cut)
{
	char p[OPEN_PATH_LEN], want[OPEN_PATH_LEN + 4];
	struct open_key k;
	struct open_value v[NCPUS];
	long r;

	start("");
	memset(v, 0, sizeof(v));
	v[0].count = 1;
	/* 255 bytes, not cut: as is */
	memset(p, 'a', sizeof(p) - 1);
	p[sizeof(p) - 1] = '\0';
	k = key("a", OPEN_OP_OPENAT, p, 0);
	put(&k, v);
	/* the same, cut: a distinct key, "..." after all 255 bytes */
	k.truncated = 1;
	put(&k, v);
	/* 253 bytes, then the first 2 of the 3 bytes of U+20AC (e2 82 ac): dropped */
	memset(p, 'b', 253);
	p[253] = (char)0xe2;
	p[254] = (char)0x82;
	k = key("b", OPEN_OP_OPENAT, p, 0);
	k.truncated = 1;
	put(&k, v);
	/* 252 bytes and a whole U+20AC: kept */
	memset(p, 'c', 252);
	p[252] = (char)0xe2;
	p[253] = (char)0x82;
	p[254] = (char)0xac;
	k = key("c", OPEN_OP_OPENAT, p, 0);
	k.truncated = 1;
	put(&k, v);
	/* a 2-byte character (U+00E9, c3 a9) cut after its lead byte */
	memset(p, 'd', 254);
	p[254] = (char)0xc3;
	k = key("d", OPEN_OP_OPENAT, p, 0);
	k.truncated = 1;
	put(&k, v);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 5);

	/* equal counts sort by comm, then path, ...: "a" uncut first, then "a" cut */
	memset(want, 'a', 255);
	want[255] = '\0';
	ck_assert_str_eq(cell(0, "filename"), want);
	memcpy(want + 255, "...", 4);
	ck_assert_str_eq(cell(1, "filename"), want);
	r = montest_find(&t, "comm", "b");
	ck_assert_int_ge(r, 0);
	memset(want, 'b', 253);
	memcpy(want + 253, "...", 4);
	ck_assert_str_eq(cell((size_t)r, "filename"), want);
	r = montest_find(&t, "comm", "c");
	ck_assert_int_ge(r, 0);
	ck_assert_uint_eq(strlen(cell((size_t)r, "filename")), 255 + 3);
	ck_assert_int_eq((unsigned char)cell((size_t)r, "filename")[254], 0xac);
	ck_assert_str_eq(cell((size_t)r, "filename") + 255, "...");
	r = montest_find(&t, "comm", "d");
	ck_assert_int_ge(r, 0);
	ck_assert_uint_eq(strlen(cell((size_t)r, "filename")), 254 + 3);
	stop();
}
END_TEST

/* The flags by name (openat2's upper bits, never valid, marked) and the syscall's name. */
START_TEST(flags_and_operation)
{
	struct open_key k;
	struct open_value v[NCPUS];
	char comm[17];

	start("");
	memset(v, 0, sizeof(v));
	v[0].count = 4;
	k = key("sh", OPEN_OP_OPEN, "/tmp/out", K_WRONLY | K_CREAT | K_TRUNC);
	put(&k, v);
	v[0].count = 3;
	k = key("sh", OPEN_OP_OPENAT2, "/tmp/odd", 0x100000000ull | K_WRONLY);
	put(&k, v);
	v[0].count = 2;
	k = key("sh", OPEN_OP_OPENAT, "/", 02000000 | 0200000); /* x86's O_DIRECTORY */
	put(&k, v);
	v[0].count = 1;
	k = key("sh", 7, "/unknown-op", 0);
	memset(k.comm, 'x', sizeof(k.comm)); /* 16 bytes, no terminator */
	put(&k, v);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 4);
	ck_assert_str_eq(cell(0, "operation"), "open");
	ck_assert_str_eq(cell(0, "flags"), "O_WRONLY|O_CREAT|O_TRUNC");
	ck_assert_str_eq(cell(1, "operation"), "openat2");
	ck_assert_str_eq(cell(1, "flags"), "O_WRONLY|bits32-63");
	ck_assert_str_eq(cell(2, "operation"), "openat");
#ifndef __aarch64__
	ck_assert_str_eq(cell(2, "flags"), "O_RDONLY|O_DIRECTORY|O_CLOEXEC");
#endif
	ck_assert_str_eq(cell(3, "operation"), "?");
	memset(comm, 'x', 16);
	comm[16] = '\0';
	ck_assert_str_eq(cell(3, "comm"), comm);
	stop();
}
END_TEST

/* By count, most first; equal counts by comm, path, operation, flags, cut or not. */
START_TEST(sorted_by_count_then_key)
{
	struct open_key k;
	struct open_value v[NCPUS];

	start("");
	memset(v, 0, sizeof(v));
	v[0].count = 2;
	k = key("b", OPEN_OP_OPENAT, "/x", 1);
	put(&k, v);
	k = key("b", OPEN_OP_OPENAT, "/x", 0);
	put(&k, v);
	k = key("b", OPEN_OP_OPEN, "/x", 1);
	put(&k, v);
	k = key("b", OPEN_OP_OPEN, "/a", 1);
	put(&k, v);
	k = key("a", OPEN_OP_OPENAT2, "/z", 1);
	put(&k, v);
	v[0].count = 1;
	v[2].count = 9; /* 10 in all: first */
	k = key("z", OPEN_OP_OPENAT, "/z", 0);
	put(&k, v);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 6);
	ck_assert_str_eq(cell(0, "comm"), "z");
	ck_assert_str_eq(cell(0, "count"), "10");
	ck_assert_str_eq(cell(1, "comm"), "a");
	ck_assert_str_eq(cell(2, "filename"), "/a");
	ck_assert_str_eq(cell(3, "operation"), "open");
	ck_assert_str_eq(cell(3, "filename"), "/x");
	ck_assert_str_eq(cell(4, "operation"), "openat");
	ck_assert_str_eq(cell(4, "flags"), "O_RDONLY");
	ck_assert_str_eq(cell(5, "flags"), "O_WRONLY");
	stop();
}
END_TEST

START_TEST(min_count)
{
	start("    min_count: 3\n");
	put_simple("cat", "/three", 3, 0);
	put_simple("cat", "/two", 2, 0);
	put_simple("cat", "/many", 100, 1);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(cell(0, "filename"), "/many");
	ck_assert_str_eq(cell(1, "filename"), "/three");
	/* the row left out is drained all the same */
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "open_counts"), 0);
	stop();
}
END_TEST

START_TEST(errors_only)
{
	start("    show_errors_only: true\n");
	put_simple("cat", "/fine", 9, 0);
	put_simple("cat", "/missing", 2, 1);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "filename"), "/missing");
	ck_assert_str_eq(cell(0, "error_rate"), "0.5000");
	ck_assert_str_eq(cell(0, "top_errno"), "ENOENT");
	stop();

	start("");
	put_simple("cat", "/fine", 9, 0);
	put_simple("cat", "/missing", 2, 1);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 2);
	stop();
}
END_TEST

/* A key whose every CPU counted nothing makes no row (and no division by zero). */
START_TEST(nothing_counted_no_row)
{
	struct open_key k;
	struct open_value v[NCPUS];

	start("");
	memset(v, 0, sizeof(v));
	k = key("idle", OPEN_OP_OPENAT, "/", 0);
	put(&k, v);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 0);
	stop();
}
END_TEST

/* A key the probe wrote after the flip (the new epoch) waits for the next interval. */
START_TEST(current_epoch_waits)
{
	start("");
	put_simple("early", "/e", 1, 0);
	ck_assert_int_eq(monitor_flip_epoch(&t.m, 1), 0);
	put_simple("late", "/l", 2, 0);
	t.m.ops->collect(&t.m, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "comm"), "early");
	/* the fast path: the old epoch's path drained, the new one's kept for its counts */
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "open_paths"), fast ? 1 : 0);
	montest_clear_rows(&t);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "comm"), "late");
	stop();
}
END_TEST

/* The fast path: rows named from open_paths by id (one path under several keys, the empty
 * path of a bad pointer), a count whose path is missing (never from the probe) shown with an
 * empty path rather than dropped, a key that counted nothing and has no path (the probe lost
 * that open) without a row, and the drained epoch's paths deleted with its counts. */
START_TEST(fast_rows_named_from_open_paths)
{
	struct open_fkey f;
	struct open_value v[NCPUS];
	__u32 e;
	long r;

	start("");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DOPEN_FAST=1"));
	e = montest_epoch(&t);
	memset(v, 0, sizeof(v));
	v[0].count = 3;
	memset(&f, 0, sizeof(f));
	f.epoch = e;
	f.op = OPEN_OP_OPENAT;
	memcpy(f.comm, "one", 3);
	f.path_id = 41;
	put_path(e, 41, "/shared/path");
	put_path(e, 42, "/unused/path"); /* inserted, its count lost (map full): drained too */
	put_path(e, 43, "");
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_counts", &f, v), 0);
	memcpy(f.comm, "two", 3);
	v[0].count = 2;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_counts", &f, v), 0);
	f.path_id = 43;
	v[0].count = 1;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_counts", &f, v), 0);
	f.path_id = 44; /* no such path */
	memcpy(f.comm, "lost", 4);
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_counts", &f, v), 0);
	/* a key the probe inserted before the path's text could not be stored: nothing counted */
	f.path_id = 45;
	memset(v, 0, sizeof(v));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "open_counts", &f, v), 0);
	/* the next epoch's path, written after the flip: kept */
	put_path(e ^ 1, 41, "/shared/path");
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 4);
	ck_assert_str_eq(cell(0, "comm"), "one");
	ck_assert_str_eq(cell(0, "filename"), "/shared/path");
	ck_assert_str_eq(cell(1, "comm"), "two");
	ck_assert_str_eq(cell(1, "filename"), "/shared/path");
	r = montest_find(&t, "comm", "lost");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(cell((size_t)r, "filename"), "");
	ck_assert_str_eq(cell((size_t)r, "count"), "1");
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "open_counts"), 0);
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "open_paths"), 1);
	stop();
}
END_TEST

/* ---- attribution (issue 19) ---- */

/* Row r's cgroup, unit, container_id and pod_uid cells are class c's. */
static void assert_class(size_t r, __u32 c)
{
	const char *why = montest_attrib_mismatch(&t, r, c);

	ck_assert_msg(why == NULL, "%s", why);
}

/* The same (comm, path, flags) opened by processes of two classes: two rows, each with its own
 * counts and its class's four columns after the documented ones. */
START_TEST(attribution_two_classes_two_rows)
{
	static const char *const names[] = { "cgroup", "unit", "container_id", "pod_uid" };
	char own[4096];
	__u32 mine, other;
	struct open_key k;
	struct open_value v[NCPUS];

	start(MONTEST_ATTRIB);
	ck_assert_int_eq((int)t.m.ncolumns, 13 + 4);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(t.m.columns[13 + i].name, names[i]);
	ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB=1") != NULL, "no -DEM_ATTRIB");
	ck_assert_int_eq(montest_own_cgroup(&t, own, sizeof(own)), 0);
	mine = montest_class_of(own);
	ck_assert_msg(mine != 0, "no class for %s", own);
	other = montest_other_class(mine);
	k = key("cat", OPEN_OP_OPENAT, "/etc/passwd", K_CLOEXEC);
	memset(v, 0, sizeof(v));
	v[0] = (struct open_value){ .count = 5,
				    .errors = 1,
				    .lat_sum_ns = 5000,
				    .lat_min_ns = 500,
				    .lat_max_ns = 2000 };
	v[0].err[OPEN_E_NOENT] = 1;
	k.who = mine;
	put(&k, v);
	memset(v, 0, sizeof(v));
	v[2] = (struct open_value){ .count = 3,
				    .lat_sum_ns = 900,
				    .lat_min_ns = 200,
				    .lat_max_ns = 400 };
	k.who = other;
	put(&k, v);
	montest_interval(&t, 1);
	ck_assert_int_eq((int)t.nrows, 2);
	ck_assert_str_eq(cell(0, "comm"), "cat");
	ck_assert_str_eq(cell(0, "filename"), "/etc/passwd");
	ck_assert_str_eq(cell(0, "flags"), "O_RDONLY|O_CLOEXEC");
	ck_assert_str_eq(cell(0, "count"), "5");
	ck_assert_str_eq(cell(0, "errors"), "1");
	ck_assert_str_eq(cell(0, "top_errno"), "ENOENT");
	ck_assert_str_eq(cell(0, "min_lat_us"), "0.500");
	assert_class(0, mine);
	ck_assert_str_eq(cell(1, "comm"), "cat");
	ck_assert_str_eq(cell(1, "filename"), "/etc/passwd");
	ck_assert_str_eq(cell(1, "count"), "3");
	ck_assert_str_eq(cell(1, "errors"), "0");
	ck_assert_str_eq(cell(1, "avg_lat_us"), "0.300");
	ck_assert_str_eq(cell(1, "max_lat_us"), "0.400");
	assert_class(1, other);
	ck_assert_int_eq((int)fake_map_count(montest_mod(&t), "open_counts"), 0);
	stop();
}
END_TEST

/* A process the kernel had no class for is keyed by its tgid: this process resolves to its own
 * cgroup; one gone before it could be read is counted under "unknown" (and in the monitor's
 * unattributed count), never dropped. */
START_TEST(attribution_tgid_resolved_or_unknown)
{
	char own[4096];
	struct open_key k;
	struct open_value v[NCPUS];
	__u32 gone = montest_dead_pid();
	long r;

	ck_assert_msg(gone != 0, "fork failed");
	start(MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, own, sizeof(own)), 0);
	memset(v, 0, sizeof(v));
	v[1] = (struct open_value){ .count = 4,
				    .lat_sum_ns = 400,
				    .lat_min_ns = 100,
				    .lat_max_ns = 100 };
	k = key("self", OPEN_OP_OPENAT, "/proc/self/stat", 0);
	k.who = EM_WHO_TGID | (__u32)getpid();
	put(&k, v);
	v[1].count = 2;
	v[1].errors = 2;
	v[1].err[OPEN_E_ACCES] = 2;
	k = key("gone", OPEN_OP_OPEN, "/etc/shadow", 0);
	k.who = EM_WHO_TGID | gone;
	put(&k, v);
	montest_interval(&t, 1);
	ck_assert_int_eq((int)t.nrows, 2);
	r = montest_find(&t, "comm", "self");
	ck_assert_msg(r >= 0, "no row of this process");
	ck_assert_str_eq(cell((size_t)r, "count"), "4");
	ck_assert_str_eq(cell((size_t)r, "cgroup"), own);
	assert_class((size_t)r, montest_class_of(own));
	r = montest_find(&t, "comm", "gone");
	ck_assert_msg(r >= 0, "no row of the process gone");
	ck_assert_str_eq(cell((size_t)r, "count"), "2");
	ck_assert_str_eq(cell((size_t)r, "errors"), "2");
	ck_assert_str_eq(cell((size_t)r, "top_errno"), "EACCES");
	assert_class((size_t)r, ATTRIB_UNKNOWN);
	ck_assert_int_eq((int)t.m.stats.unattributed, 2);
	stop();
}
END_TEST

/* Two who values of one class (the class the kernel had, and a tgid resolved to it) are one
 * row: counts, errors and latency sums added, the minimum and maximum over both, the errno
 * buckets added (the top errno of the whole); a key of an older epoch (a late writer's) too. */
START_TEST(attribution_equal_classes_merge)
{
	char own[4096];
	__u32 mine;
	struct open_key k;
	struct open_value v[NCPUS];

	start(MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, own, sizeof(own)), 0);
	mine = montest_class_of(own);
	ck_assert_msg(mine != 0, "no class for %s", own);
	k = key("cat", OPEN_OP_OPENAT, "/etc/hosts", K_CLOEXEC);
	memset(v, 0, sizeof(v));
	v[0] = (struct open_value){ .count = 2,
				    .errors = 1,
				    .lat_sum_ns = 400,
				    .lat_min_ns = 100,
				    .lat_max_ns = 300 };
	v[0].err[OPEN_E_NOENT] = 1;
	k.who = mine;
	put(&k, v);
	memset(v, 0, sizeof(v));
	v[1] = (struct open_value){ .count = 3,
				    .errors = 2,
				    .lat_sum_ns = 350,
				    .lat_min_ns = 50,
				    .lat_max_ns = 200 };
	v[1].err[OPEN_E_ACCES] = 2;
	k.who = EM_WHO_TGID | (__u32)getpid();
	put(&k, v);
	memset(v, 0, sizeof(v));
	v[3] = (struct open_value){ .count = 1,
				    .lat_sum_ns = 1000,
				    .lat_min_ns = 1000,
				    .lat_max_ns = 1000 };
	k.epoch ^= 1; /* the epoch after the flip: drained next time */
	put(&k, v);
	montest_interval(&t, 1);
	ck_assert_int_eq((int)t.nrows, 1);
	ck_assert_str_eq(cell(0, "count"), "5");
	ck_assert_str_eq(cell(0, "errors"), "3");
	ck_assert_str_eq(cell(0, "error_rate"), "0.6000");
	ck_assert_str_eq(cell(0, "avg_lat_us"), "0.150");
	ck_assert_str_eq(cell(0, "min_lat_us"), "0.050");
	ck_assert_str_eq(cell(0, "max_lat_us"), "0.300");
	ck_assert_str_eq(cell(0, "top_errno"), "EACCES");
	assert_class(0, mine);
	/* the next interval: the later key alone */
	montest_clear_rows(&t);
	montest_interval(&t, 2);
	ck_assert_int_eq((int)t.nrows, 1);
	ck_assert_str_eq(cell(0, "count"), "1");
	assert_class(0, mine);
	stop();
}
END_TEST

/* Without attribution the rows have no such columns and the probe no EM_ATTRIB. */
START_TEST(attribution_off_no_columns)
{
	start("");
	ck_assert_int_eq((int)t.m.ncolumns, 13);
	ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DEM_ATTRIB") == NULL, "EM_ATTRIB set");
	ck_assert_msg(fake_bpf_attached(montest_mod(&t), "who_fork") == NULL, "who_fork attached");
	stop();
}
END_TEST

/* The probe's flags: the map's size, the native syscall numbers (raw_syscalls), and the LRU
 * in-flight map where this kernel makes LRU hash maps. */
START_TEST(options_and_kernel_become_cflags)
{
	char want[64];

	start("");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DOPEN_MAP_ENTRIES="),
			 "-DOPEN_MAP_ENTRIES=10240");
	snprintf(want, sizeof(want), "-DOPEN_NR_OPENAT=%d", syscall_number("openat"));
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DOPEN_NR_OPENAT="), want);
	snprintf(want, sizeof(want), "-DOPEN_NR_OPEN=%d", syscall_number("open"));
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DOPEN_NR_OPEN="), want);
	snprintf(want, sizeof(want), "-DOPEN_NR_OPENAT2=%d", syscall_number("openat2"));
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DOPEN_NR_OPENAT2="), want);
	if (kcheck_map_supported(KMAP_LRU_HASH))
		ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DOPEN_INFLIGHT_LRU=1"));
	else
		ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DOPEN_INFLIGHT_LRU"));
	stop();
	/* both answers, whatever this kernel says */
	kcheck_force_map(KMAP_LRU_HASH, 1);
	start("");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DOPEN_INFLIGHT_LRU=1"));
	stop();
	kcheck_force_map(KMAP_LRU_HASH, 0);
	start("");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DOPEN_INFLIGHT_LRU"));
	stop();
	kcheck_force_map(KMAP_LRU_HASH, -1);

	/* the fast path where map helpers take map memory (4.18), with a seed of its own, and
	 * loops where the verifier takes them (5.3) */
	layout_fast();
	kcheck_force_bpf(KBPF_BOUNDED_LOOPS, 1);
	start("");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DOPEN_FAST=1"));
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DOPEN_HASH_SEED=0x"));
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DOPEN_LOOPS=1"));
	stop();
	kcheck_force_bpf(KBPF_BOUNDED_LOOPS, 0);
	start("");
	ck_assert_ptr_nonnull(fake_bpf_cflag(montest_mod(&t), "-DOPEN_FAST=1"));
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DOPEN_LOOPS"));
	stop();
	layout_288();
	kcheck_force_bpf(KBPF_BOUNDED_LOOPS, 1);
	start("");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DOPEN_FAST"));
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DOPEN_HASH_SEED"));
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DOPEN_LOOPS"));
	stop();
	layout_kernel();

	start("    map_size: 64\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DOPEN_MAP_ENTRIES="),
			 "-DOPEN_MAP_ENTRIES=64");
	stop();

	declare_maps();
	ck_assert_int_ne(montest_start(&t, "open", "    map_size: 8\n"), 0);
	ck_assert_msg(strstr(t.err, "map_size") != NULL, "%s", t.err);
	stop();
}
END_TEST

/* Syscall tracepoints first, then kprobes, then every syscall's raw record. */
START_TEST(attach_alternatives_in_order)
{
	start("");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "open"), "tracepoint");
	stop();

	declare_maps();
	fake_bpf_refuse_alt("tracepoint");
	ck_assert_msg(montest_start(&t, "open", "") == 0, "%s", t.err);
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "open"), "kprobe");
	stop();

	declare_maps();
	fake_bpf_refuse_alt("tracepoint");
	fake_bpf_refuse_alt("kprobe");
	ck_assert_msg(montest_start(&t, "open", "") == 0, "%s", t.err);
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "open"), "raw_syscalls");
	stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_open");
	TCase *rows[2] = { tcase_create("rows_288_byte_key"), tcase_create("rows_fast_path") };
	TCase *tc = tcase_create("setup");

	tcase_add_unchecked_fixture(rows[0], layout_288, layout_kernel);
	tcase_add_unchecked_fixture(rows[1], layout_fast, layout_kernel);
	for (int i = 0; i < 2; i++) {
		tcase_add_test(rows[i], columns_in_the_guides_order);
		tcase_add_test(rows[i], cpus_merged_into_one_row);
		tcase_add_test(rows[i], most_frequent_errno);
		tcase_add_test(rows[i], paths_plain_and_cut);
		tcase_add_test(rows[i], flags_and_operation);
		tcase_add_test(rows[i], sorted_by_count_then_key);
		tcase_add_test(rows[i], min_count);
		tcase_add_test(rows[i], errors_only);
		tcase_add_test(rows[i], nothing_counted_no_row);
		tcase_add_test(rows[i], current_epoch_waits);
		tcase_add_test(rows[i], attribution_two_classes_two_rows);
		tcase_add_test(rows[i], attribution_tgid_resolved_or_unknown);
		tcase_add_test(rows[i], attribution_equal_classes_merge);
		tcase_add_test(rows[i], attribution_off_no_columns);
		suite_add_tcase(s, rows[i]);
	}
	tcase_add_test(rows[1], fast_rows_named_from_open_paths);
	tcase_add_unchecked_fixture(tc, layout_kernel, layout_kernel);
	tcase_add_test(tc, options_and_kernel_become_cflags);
	tcase_add_test(tc, attach_alternatives_in_order);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
