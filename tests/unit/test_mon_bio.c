/* test_mon_bio.c - the bio monitor from its config to its rows, over the fake loader and a
 * tracefs fixture (tracefs_set_root(): the record layouts of a kernel this test writes, so no
 * root and no particular kernel is needed): the -D flags from the format files, the
 * attribution and requeue points switched off with their fields, layouts refused with their
 * message, per-CPU merge, bytes, counts, throughput over the interval, latency avg/min/max and
 * the p50/p99 estimates from the log2 histogram, io type names, device names, sorting,
 * min_latency_us, the stale sweep of bio_inflight counted as unmatched, and with attribution a
 * row per (key, class), rows of one class merged histograms and all. One check runs on
 * the real tracefs, with what holds on any kernel and for any user. */
#include <check.h>
#include <dirent.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitors/attrib.h"
#include "probes/attrib.h"
#include "probes/bio.h"
#include "montest.h"
#include "testutil.h"
#include "core/tracefs.h"

static struct montest t;

#define MIB (1024ull * 1024ull)
/* A dev_t no machine has in /sys/dev/block: its name stays "MAJ:MIN". */
#define DEV_NONE ((4095u << 20) | 1u)

/* ---- a tracefs fixture: events/block/<event>/format ---- */

static const char hdr[] =
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";

/* 6.18's layouts (from a running kernel). */
static const char issue_6x[] = "\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
			       "\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n"
			       "\tfield:unsigned int nr_sector;\toffset:24;\tsize:4;\tsigned:0;\n"
			       "\tfield:unsigned int bytes;\toffset:28;\tsize:4;\tsigned:0;\n"
			       "\tfield:unsigned short ioprio;\toffset:32;\tsize:2;\tsigned:0;\n"
			       "\tfield:char rwbs[10];\toffset:34;\tsize:10;\tsigned:0;\n"
			       "\tfield:char comm[16];\toffset:44;\tsize:16;\tsigned:0;\n"
			       "\tfield:__data_loc char[] cmd;\toffset:60;\tsize:4;\tsigned:0;\n";
static const char complete_6x[] =
	"\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int nr_sector;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:int error;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned short ioprio;\toffset:32;\tsize:2;\tsigned:0;\n"
	"\tfield:char rwbs[10];\toffset:34;\tsize:10;\tsigned:0;\n"
	"\tfield:__data_loc char[] cmd;\toffset:44;\tsize:4;\tsigned:0;\n";
#define insert_6x issue_6x /* the same layout */
static const char requeue_6x[] = "\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
				 "\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n"
				 "\tfield:unsigned int nr_sector;\toffset:24;\tsize:4;\tsigned:0;\n"
				 "\tfield:unsigned short ioprio;\toffset:28;\tsize:2;\tsigned:0;\n"
				 "\tfield:char rwbs[10];\toffset:30;\tsize:10;\tsigned:0;\n"
				 "\tfield:__data_loc char[] cmd;\toffset:40;\tsize:4;\tsigned:0;\n";
/* An older kernel's: rwbs[8], no bytes, a 4-byte sector_t (32-bit, no LBDAF). */
static const char old_request[] =
	"\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:sector_t sector;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int nr_sector;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:int errors;\toffset:20;\tsize:4;\tsigned:1;\n"
	"\tfield:char rwbs[8];\toffset:24;\tsize:8;\tsigned:1;\n";
/* 6.x's request fields with rwbs[8] (one event differing from the others). */
static const char requeue_rwbs8[] =
	"\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int nr_sector;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:char rwbs[8];\toffset:28;\tsize:8;\tsigned:0;\n";
/* A request event without nr_sector. */
static const char no_nr_sector[] = "\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
				   "\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n"
				   "\tfield:unsigned int bytes;\toffset:28;\tsize:4;\tsigned:0;\n"
				   "\tfield:char rwbs[10];\toffset:34;\tsize:10;\tsigned:0;\n";
static const char rwbs16[] = "\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
			     "\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n"
			     "\tfield:unsigned int nr_sector;\toffset:24;\tsize:4;\tsigned:0;\n"
			     "\tfield:char rwbs[16];\toffset:28;\tsize:16;\tsigned:0;\n";

static void mkdirs(const char *path)
{
	char p[256];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

/* Writes events/block/<event>/format under the fixture (body NULL: no such event). */
static void event(const char *name, const char *body)
{
	char dir[256], path[300];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/events/block/%s", tmpdir, name);
	if (!body)
		return;
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/format", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "name: %s\nID: 1\n%s%s\nprint fmt: \"\"\n", name, hdr, body);
	fclose(f);
}

/* A kernel whose four block events have these layouts. */
static void kernel(const char *issue, const char *complete, const char *insert, const char *requeue)
{
	char events[128];

	rm_tmpdir();
	make_tmpdir("mon_bio");
	snprintf(events, sizeof(events), "%s/events", tmpdir);
	mkdirs(events);
	event("block_rq_issue", issue);
	event("block_rq_complete", complete);
	event("block_rq_insert", insert);
	event("block_rq_requeue", requeue);
	tracefs_set_root(tmpdir);
}

static void kernel_6x(void)
{
	kernel(issue_6x, complete_6x, insert_6x, requeue_6x);
}

static void declare_maps(void)
{
	fake_bpf_reset();
	fake_bpf_map("bio", "bio_stats", sizeof(struct bio_key), sizeof(struct bio_value), 10240,
		     true);
	fake_bpf_map("bio", "bio_inflight", sizeof(struct bio_req_key), sizeof(struct bio_inflight),
		     10240, false);
	fake_bpf_map("bio", "bio_submitters", sizeof(struct bio_req_key),
		     sizeof(struct bio_submitter), 10240, false);
}

static int try_start(const char *options)
{
	declare_maps();
	return montest_start(&t, "bio", options);
}

static void start(const char *options)
{
	ck_assert_msg(try_start(options) == 0, "%s", t.err);
}

static void teardown(void)
{
	montest_stop(&t);
	tracefs_set_root(NULL);
	rm_tmpdir();
}

/* The whole flag the compile got for this macro ("-DBIO_ISSUE_DEV_OFF=8"), or NULL. */
static const char *flag(const char *macro)
{
	char prefix[96];

	snprintf(prefix, sizeof(prefix), "-D%s=", macro);
	return fake_bpf_cflag(montest_mod(&t), prefix);
}

static void assert_flag(const char *macro, const char *value)
{
	char want[128];
	const char *got = flag(macro);

	snprintf(want, sizeof(want), "-D%s=%s", macro, value);
	ck_assert_msg(got && !strcmp(got, want), "want %s, got %s", want, got ? got : "none");
}

/* ---- layouts ---- */

START_TEST(layout_flags_from_tracefs)
{
	kernel_6x();
	start("");
	assert_flag("BIO_ISSUE_DEV_OFF", "8");
	assert_flag("BIO_ISSUE_SECTOR_OFF", "16");
	assert_flag("BIO_ISSUE_NR_SECTOR_OFF", "24");
	assert_flag("BIO_ISSUE_RWBS_OFF", "34");
	assert_flag("BIO_ISSUE_BYTES_OFF", "28");
	assert_flag("BIO_COMPLETE_DEV_OFF", "8");
	assert_flag("BIO_COMPLETE_RWBS_OFF", "34");
	assert_flag("BIO_INSERT_SECTOR_OFF", "16");
	assert_flag("BIO_INSERT_BYTES_OFF", "28");
	assert_flag("BIO_REQUEUE_NR_SECTOR_OFF", "24");
	assert_flag("BIO_REQUEUE_RWBS_OFF", "30");
	assert_flag("BIO_SECTOR_SIZE", "8");
	assert_flag("BIO_RWBS_SIZE", "10");
	assert_flag("BIO_MAP_ENTRIES", "10240");
	ck_assert_ptr_null(flag("BIO_MIN_LAT_NS"));
	/* every point on, each by its tracepoint */
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_complete"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_issue"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_insert"), "tracepoint");
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_requeue"), "tracepoint");
	ck_assert_uint_eq(t.m.ncolumns, 15);
	teardown();

	/* an older kernel: rwbs[8], a 4-byte sector, no bytes field */
	kernel(old_request, old_request, old_request, old_request);
	start("");
	assert_flag("BIO_SECTOR_SIZE", "4");
	assert_flag("BIO_RWBS_SIZE", "8");
	assert_flag("BIO_ISSUE_SECTOR_OFF", "12");
	assert_flag("BIO_REQUEUE_RWBS_OFF", "24");
	ck_assert_ptr_null(flag("BIO_ISSUE_BYTES_OFF"));
	ck_assert_ptr_null(flag("BIO_INSERT_BYTES_OFF"));
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_insert"), "tracepoint");
	teardown();
}
END_TEST

/* An optional group (rq_insert: attribution, rq_requeue) with a field missing or of another
 * size is switched off whole: the point not attached, none of its offsets passed. */
START_TEST(optional_points_off_with_their_fields)
{
	kernel(issue_6x, complete_6x, insert_6x, NULL); /* no block_rq_requeue */
	start("");
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "rq_requeue"));
	ck_assert_ptr_null(flag("BIO_REQUEUE_DEV_OFF"));
	ck_assert_ptr_null(flag("BIO_REQUEUE_RWBS_OFF"));
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_insert"), "tracepoint");
	assert_flag("BIO_INSERT_DEV_OFF", "8");
	teardown();

	kernel(issue_6x, complete_6x, insert_6x, requeue_rwbs8); /* rwbs[8] among rwbs[10]s */
	start("");
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "rq_requeue"));
	ck_assert_ptr_null(flag("BIO_REQUEUE_DEV_OFF"));
	ck_assert_ptr_null(flag("BIO_REQUEUE_SECTOR_OFF"));
	assert_flag("BIO_RWBS_SIZE", "10");
	teardown();

	kernel(issue_6x, complete_6x, no_nr_sector, requeue_6x);
	start("");
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "rq_insert"));
	ck_assert_ptr_null(flag("BIO_INSERT_DEV_OFF"));
	ck_assert_ptr_null(flag("BIO_INSERT_SECTOR_OFF"));
	ck_assert_ptr_null(flag("BIO_INSERT_RWBS_OFF"));
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_requeue"), "tracepoint");
	assert_flag("BIO_REQUEUE_DEV_OFF", "8");
	teardown();
}
END_TEST

static void assert_refused(const char *want)
{
	ck_assert_int_ne(try_start(""), 0);
	ck_assert_msg(strstr(t.err, want) != NULL, "want '%s' in '%s'", want, t.err);
	ck_assert_ptr_null(montest_mod(&t)); /* nothing compiled */
	teardown();
}

/* The issue and completion layouts are required: a kernel this version does not know is
 * refused, saying what it lacks. */
START_TEST(unknown_layouts_refused)
{
	kernel(no_nr_sector, complete_6x, insert_6x, requeue_6x);
	assert_refused("bio: block:block_rq_issue has no field nr_sector in this kernel");
	kernel(issue_6x, NULL, insert_6x, requeue_6x);
	assert_refused("bio: no tracepoint block:block_rq_complete in this kernel");
	kernel(issue_6x, requeue_rwbs8, insert_6x, requeue_6x);
	assert_refused("bio: block:block_rq_complete's field rwbs has size 8, other block "
		       "events 10");
	kernel(rwbs16, complete_6x, insert_6x, requeue_6x);
	assert_refused("bio: block:block_rq_issue's field rwbs has size 16, expected 1..10");
	/* a root without events/: tracefs is not there */
	rm_tmpdir();
	make_tmpdir("mon_bio");
	tracefs_set_root(tmpdir);
	assert_refused("bio: tracefs is not mounted");
}
END_TEST

/* The running kernel's tracefs, as whoever runs the test: started, the optional points are on
 * exactly where their offsets were passed; refused, the message says why (an unprivileged
 * user cannot read tracefs: "not mounted" is what bio says then). */
START_TEST(host_tracefs_relations)
{
	static const char *const groups[][2] = { { "rq_insert", "BIO_INSERT_DEV_OFF" },
						 { "rq_requeue", "BIO_REQUEUE_DEV_OFF" } };

	tracefs_set_root(NULL);
	if (try_start("") != 0) {
		/* where tracefs is readable (root, CI), bio must start on this kernel */
		ck_assert_msg(!tracefs_path(), "bio refused on a readable tracefs: %s", t.err);
		ck_assert_msg(!strncmp(t.err, "bio: ", 5), "%s", t.err);
		ck_assert_msg(strstr(t.err, "tracefs is not mounted") != NULL, "%s", t.err);
		ck_assert_ptr_null(montest_mod(&t));
		teardown();
		return;
	}
	ck_assert_ptr_nonnull(tracefs_path());
	ck_assert_ptr_nonnull(flag("BIO_ISSUE_DEV_OFF"));
	ck_assert_ptr_nonnull(flag("BIO_COMPLETE_RWBS_OFF"));
	ck_assert_str_eq(fake_bpf_attached(montest_mod(&t), "rq_issue"), "tracepoint");
	for (size_t i = 0; i < 2; i++) {
		bool on = fake_bpf_attached(montest_mod(&t), groups[i][0]) != NULL;

		ck_assert_msg(on == (flag(groups[i][1]) != NULL), "%s attached %d, -D%s %s",
			      groups[i][0], on, groups[i][1],
			      flag(groups[i][1]) ? "set" : "absent");
	}
	teardown();
}
END_TEST

START_TEST(options_become_flags)
{
	kernel_6x();
	start("    min_latency_us: 250\n    map_size: 4096\n");
	assert_flag("BIO_MIN_LAT_NS", "250000ULL");
	assert_flag("BIO_MAP_ENTRIES", "4096");
	teardown();

	kernel_6x();
	start("    min_latency_us: 0\n");
	ck_assert_ptr_null(flag("BIO_MIN_LAT_NS"));
	teardown();
}
END_TEST

/* ---- rows ---- */

/* One key's per-CPU values (2 CPUs), written with the current epoch, of the submitter who. */
static void put_who(const char *comm, __u32 dev, __u32 io_type, __u32 who,
		    const struct bio_value v[2])
{
	struct bio_key k;

	memset(&k, 0, sizeof(k));
	k.epoch = montest_epoch(&t);
	k.who = who;
	k.dev = dev;
	k.io_type = io_type;
	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm)));
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "bio_stats", &k, v), 0);
}

static void put(const char *comm, __u32 dev, __u32 io_type, const struct bio_value v[2])
{
	put_who(comm, dev, io_type, 0, v);
}

/* n requests of lat_us each on one CPU's value, bytes each. */
static void requests(struct bio_value *v, unsigned n, __u64 lat_us, __u64 bytes)
{
	__u64 ns = lat_us * 1000;

	if (!v->count || ns < v->lat_min_ns)
		v->lat_min_ns = ns;
	if (ns > v->lat_max_ns)
		v->lat_max_ns = ns;
	v->count += n;
	v->bytes += n * bytes;
	v->lat_sum_ns += n * ns;
	v->hist[bio_hist_slot(ns)] += n;
}

static const char *cell(long row, const char *col)
{
	const char *c = montest_cell(&t, (size_t)row, col);

	ck_assert_msg(c != NULL, "no row %ld or column %s", row, col);
	return c;
}

START_TEST(rows_merge_cpus_and_estimate_latency)
{
	struct bio_value v[2];
	long r;

	kernel_6x();
	start("    interval: 2\n");
	/* dd writes 4 MiB: three 100 us requests on cpu0, one of 3000 us on cpu1 */
	memset(v, 0, sizeof(v));
	requests(&v[0], 3, 100, MIB);
	requests(&v[1], 1, 3000, MIB);
	put("dd", DEV_NONE, BIO_WRITE, v);
	/* cat reads 1 MiB on cpu0 only; cpu1's empty value (min 0) must not become the min */
	memset(v, 0, sizeof(v));
	requests(&v[0], 2, 40, MIB / 2);
	put("cat", DEV_NONE, BIO_READ, v);
	/* same bytes, more requests: sorted before cat */
	memset(v, 0, sizeof(v));
	requests(&v[0], 4, 10, MIB / 4);
	put("jbd2/vda1-8", DEV_NONE, BIO_FLUSH, v);
	/* no request completed: no row */
	memset(v, 0, sizeof(v));
	put("idle", DEV_NONE, BIO_READ, v);
	/* an io type this version does not know is "OTHER" */
	memset(v, 0, sizeof(v));
	requests(&v[0], 1, 1, 512);
	put("x", DEV_NONE, 7, v);
	/* before bio_start()'s clock: the interval's length is the configured one */
	montest_interval(&t, 1000000000ull);
	ck_assert_uint_eq(t.nrows, 4);

	ck_assert_str_eq(cell(0, "comm"), "dd");
	ck_assert_str_eq(cell(0, "io_type"), "1");
	ck_assert_str_eq(cell(0, "io_type_str"), "WRITE");
	ck_assert_str_eq(cell(0, "count"), "4");
	ck_assert_str_eq(cell(0, "total_bytes"), "4194304");
	ck_assert_str_eq(cell(0, "size_mb"), "4.000");
	ck_assert_str_eq(cell(0, "throughput_mbps"), "2.000"); /* 4 MiB over 2 s */
	ck_assert_str_eq(cell(0, "avg_latency_us"), "825.000");
	ck_assert_str_eq(cell(0, "min_latency_us"), "100.000");
	ck_assert_str_eq(cell(0, "max_latency_us"), "3000.000");
	/* p50: rank 2 of 4, the 2nd of 3 in [64, 128) us narrowed to [100, 128): 114 us;
	 * p99: rank 4, alone in [2048, 4096) narrowed to [2048, 3000]: its middle */
	ck_assert_str_eq(cell(0, "p50_latency_us"), "114.000");
	ck_assert_str_eq(cell(0, "p99_latency_us"), "2524.000");
	ck_assert_str_eq(cell(0, "device"), "4095:1");
	ck_assert_uint_eq(t.row_ts[0], 1000000000ull);

	ck_assert_str_eq(cell(1, "comm"), "jbd2/vda1-8");
	ck_assert_str_eq(cell(1, "io_type_str"), "FLUSH");
	ck_assert_str_eq(cell(1, "count"), "4");
	ck_assert_str_eq(cell(2, "comm"), "cat");
	ck_assert_str_eq(cell(2, "io_type_str"), "READ");
	ck_assert_str_eq(cell(2, "count"), "2");
	ck_assert_str_eq(cell(2, "total_bytes"), "1048576");
	ck_assert_str_eq(cell(2, "min_latency_us"), "40.000");
	ck_assert_str_eq(cell(2, "p50_latency_us"), "40.000"); /* all equal: exact */
	ck_assert_str_eq(cell(2, "p99_latency_us"), "40.000");
	ck_assert_str_eq(cell(2, "throughput_mbps"), "0.500");
	r = montest_find(&t, "comm", "x");
	ck_assert_int_eq(r, 3);
	ck_assert_str_eq(cell(r, "io_type"), "7");
	ck_assert_str_eq(cell(r, "io_type_str"), "OTHER");
	ck_assert_int_eq(montest_find(&t, "comm", "idle"), -1);
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "bio_stats"), 0);

	/* the next interval lasts from the last one's end: 0.5 s */
	montest_clear_rows(&t);
	memset(v, 0, sizeof(v));
	requests(&v[0], 1, 100, MIB);
	put("dd", DEV_NONE, BIO_WRITE, v);
	montest_interval(&t, 1500000000ull);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "throughput_mbps"), "2.000"); /* 1 MiB over 0.5 s */
	teardown();
}
END_TEST

/* Ties on bytes and count: device, then io type, then task name. */
START_TEST(rows_sort_ties)
{
	struct bio_value v[2];
	__u32 dev2 = (4095u << 20) | 2;

	kernel_6x();
	start("");
	memset(v, 0, sizeof(v));
	requests(&v[0], 1, 10, 4096);
	put("b", dev2, BIO_READ, v);
	put("b", DEV_NONE, BIO_WRITE, v);
	put("b", DEV_NONE, BIO_READ, v);
	put("a", DEV_NONE, BIO_READ, v);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 4);
	ck_assert_str_eq(cell(0, "comm"), "a");
	ck_assert_str_eq(cell(0, "device"), "4095:1");
	ck_assert_str_eq(cell(1, "comm"), "b");
	ck_assert_str_eq(cell(1, "io_type_str"), "READ");
	ck_assert_str_eq(cell(2, "io_type_str"), "WRITE");
	ck_assert_str_eq(cell(3, "device"), "4095:2");
	teardown();
}
END_TEST

/* A device the machine has is named as its uevent says (where the machine has one). */
START_TEST(device_names_from_sysfs)
{
	struct bio_value v[2];
	char path[512], want[64] = "", *line;
	unsigned maj, min;
	struct dirent *e;
	DIR *d = opendir("/sys/dev/block");

	while (d && (e = readdir(d)) && !want[0]) {
		if (sscanf(e->d_name, "%u:%u", &maj, &min) != 2)
			continue;
		snprintf(path, sizeof(path), "/sys/dev/block/%s/uevent", e->d_name);
		line = strstr(slurp(path), "DEVNAME=");
		if (line)
			sscanf(line + 8, "%63s", want);
	}
	if (d)
		closedir(d);
	if (!want[0])
		return; /* a machine without block devices: nothing to name */
	kernel_6x();
	start("");
	memset(v, 0, sizeof(v));
	requests(&v[0], 1, 10, 4096);
	put("a", (maj << 20) | min, BIO_READ, v);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_str_eq(cell(0, "device"), want);
	teardown();
}
END_TEST

/* ---- attribution (issue 19) ---- */

/* Row r's cgroup, unit, container_id and pod_uid cells are class c's. */
static void assert_class(size_t r, __u32 c)
{
	const char *why = montest_attrib_mismatch(&t, r, c);

	ck_assert_msg(why == NULL, "%s", why);
}

/* The same task name writing to the same device from two classes: two rows, each with its own
 * bytes and latencies and its class's four columns after the documented ones. */
START_TEST(attribution_two_classes_two_rows)
{
	static const char *const names[] = { "cgroup", "unit", "container_id", "pod_uid" };
	struct bio_value v[2];
	char own[4096];
	__u32 mine, other;

	kernel_6x();
	start(MONTEST_ATTRIB);
	ck_assert_int_eq((int)t.m.ncolumns, 15 + 4);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(t.m.columns[15 + i].name, names[i]);
	ck_assert_msg(flag("EM_ATTRIB") != NULL, "no -DEM_ATTRIB");
	ck_assert_int_eq(montest_own_cgroup(&t, own, sizeof(own)), 0);
	mine = montest_class_of(own);
	ck_assert_msg(mine != 0, "no class for %s", own);
	other = montest_other_class(mine);
	memset(v, 0, sizeof(v));
	requests(&v[0], 3, 100, MIB);
	put_who("dd", DEV_NONE, BIO_WRITE, mine, v);
	memset(v, 0, sizeof(v));
	requests(&v[1], 2, 40, MIB / 2);
	put_who("dd", DEV_NONE, BIO_WRITE, other, v);
	montest_interval(&t, 1);
	ck_assert_int_eq((int)t.nrows, 2);
	ck_assert_str_eq(cell(0, "comm"), "dd");
	ck_assert_str_eq(cell(0, "io_type_str"), "WRITE");
	ck_assert_str_eq(cell(0, "count"), "3");
	ck_assert_str_eq(cell(0, "total_bytes"), "3145728");
	ck_assert_str_eq(cell(0, "avg_latency_us"), "100.000");
	assert_class(0, mine);
	ck_assert_str_eq(cell(1, "comm"), "dd");
	ck_assert_str_eq(cell(1, "io_type_str"), "WRITE");
	ck_assert_str_eq(cell(1, "count"), "2");
	ck_assert_str_eq(cell(1, "total_bytes"), "1048576");
	ck_assert_str_eq(cell(1, "max_latency_us"), "40.000");
	assert_class(1, other);
	teardown();
}
END_TEST

/* A submitter the kernel had no class for is keyed by its tgid: this process resolves to its
 * own cgroup; one gone before it could be read is counted under "unknown" (and in the
 * monitor's unattributed count: its requests), never dropped. */
START_TEST(attribution_tgid_resolved_or_unknown)
{
	struct bio_value v[2];
	char own[4096];
	__u32 gone = montest_dead_pid();
	long r;

	ck_assert_msg(gone != 0, "fork failed");
	kernel_6x();
	start(MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, own, sizeof(own)), 0);
	memset(v, 0, sizeof(v));
	requests(&v[0], 2, 100, MIB);
	put_who("self", DEV_NONE, BIO_READ, EM_WHO_TGID | (__u32)getpid(), v);
	memset(v, 0, sizeof(v));
	requests(&v[1], 3, 100, 4096);
	put_who("gone", DEV_NONE, BIO_WRITE, EM_WHO_TGID | gone, v);
	montest_interval(&t, 1);
	ck_assert_int_eq((int)t.nrows, 2);
	r = montest_find(&t, "comm", "self");
	ck_assert_msg(r >= 0, "no row of this process");
	ck_assert_str_eq(cell(r, "total_bytes"), "2097152");
	ck_assert_str_eq(cell(r, "cgroup"), own);
	assert_class(r, montest_class_of(own));
	r = montest_find(&t, "comm", "gone");
	ck_assert_msg(r >= 0, "no row of the process gone");
	ck_assert_str_eq(cell(r, "count"), "3");
	ck_assert_str_eq(cell(r, "total_bytes"), "12288");
	assert_class(r, ATTRIB_UNKNOWN);
	ck_assert_int_eq((int)t.m.stats.unattributed, 3);
	teardown();
}
END_TEST

/* Two who values of one class (the class the kernel had, and a tgid resolved to it) are one
 * row: counts and bytes added, the histograms bucket by bucket (the p50/p99 of the whole), the
 * minimum and maximum over both; the row of another io type stays its own. */
START_TEST(attribution_equal_classes_merge)
{
	struct bio_value v[2];
	char own[4096];
	__u32 mine;
	long r;

	kernel_6x();
	start("    interval: 2\n" MONTEST_ATTRIB);
	ck_assert_int_eq(montest_own_cgroup(&t, own, sizeof(own)), 0);
	mine = montest_class_of(own);
	ck_assert_msg(mine != 0, "no class for %s", own);
	/* as in rows_merge_cpus_and_estimate_latency, but the two CPUs' values under two keys */
	memset(v, 0, sizeof(v));
	requests(&v[0], 3, 100, MIB);
	put_who("dd", DEV_NONE, BIO_WRITE, mine, v);
	memset(v, 0, sizeof(v));
	requests(&v[1], 1, 3000, MIB);
	put_who("dd", DEV_NONE, BIO_WRITE, EM_WHO_TGID | (__u32)getpid(), v);
	memset(v, 0, sizeof(v));
	requests(&v[0], 1, 10, 4096);
	put_who("dd", DEV_NONE, BIO_READ, EM_WHO_TGID | (__u32)getpid(), v);
	montest_interval(&t, 1000000000ull);
	ck_assert_int_eq((int)t.nrows, 2);
	ck_assert_str_eq(cell(0, "io_type_str"), "WRITE");
	ck_assert_str_eq(cell(0, "count"), "4");
	ck_assert_str_eq(cell(0, "total_bytes"), "4194304");
	ck_assert_str_eq(cell(0, "throughput_mbps"), "2.000");
	ck_assert_str_eq(cell(0, "avg_latency_us"), "825.000");
	ck_assert_str_eq(cell(0, "min_latency_us"), "100.000");
	ck_assert_str_eq(cell(0, "max_latency_us"), "3000.000");
	ck_assert_str_eq(cell(0, "p50_latency_us"), "114.000");
	ck_assert_str_eq(cell(0, "p99_latency_us"), "2524.000");
	assert_class(0, mine);
	r = montest_find(&t, "io_type_str", "READ");
	ck_assert_int_eq((int)r, 1);
	ck_assert_str_eq(cell(r, "total_bytes"), "4096");
	assert_class(r, mine);
	teardown();
}
END_TEST

/* Without attribution the rows have no such columns and the probe no EM_ATTRIB. */
START_TEST(attribution_off_no_columns)
{
	kernel_6x();
	start("");
	ck_assert_int_eq((int)t.m.ncolumns, 15);
	ck_assert_msg(flag("EM_ATTRIB") == NULL, "EM_ATTRIB set");
	ck_assert_msg(fake_bpf_attached(montest_mod(&t), "who_fork") == NULL, "who_fork attached");
	teardown();
}
END_TEST

/* ---- the stale sweep ---- */

static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void inflight(__u64 sector, __u64 ts_ns, __u32 skip)
{
	struct bio_req_key k = { DEV_NONE, BIO_READ, sector };
	struct bio_inflight v;

	memset(&v, 0, sizeof(v));
	v.ts_ns = ts_ns;
	v.skip = skip;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "bio_inflight", &k, &v), 0);
}

static void submitter(__u64 sector, __u64 ts_ns)
{
	struct bio_req_key k = { DEV_NONE, BIO_WRITE, sector };
	struct bio_submitter v;

	memset(&v, 0, sizeof(v));
	v.ts_ns = ts_ns;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "bio_submitters", &k, &v), 0);
}

static void kernel_unmatched(__u64 n)
{
	__u32 k = 1; /* EM_STAT_UNMATCHED */

	ck_assert_int_eq(fake_map_put(montest_mod(&t), "em_stats", &k, &n), 0);
}

static bool has_inflight(__u64 sector)
{
	struct bio_req_key k = { DEV_NONE, BIO_READ, sector };
	struct bio_inflight v;

	return fake_map_get(montest_mod(&t), "bio_inflight", &k, 0, &v) == 0;
}

/* Requests issued more than a minute ago (bpf_ktime_get_ns(): CLOCK_MONOTONIC) are deleted
 * and counted as unmatched, on top of the kernel's own count; a filtered-out task's is deleted
 * uncounted; stale submitters go too. The sweep runs at most every 10 s. */
START_TEST(stale_requests_swept_and_counted)
{
	__u64 now = mono_now(), s = 1000000000ull;

	ck_assert_msg(now > 75 * s,
		      "CLOCK_MONOTONIC reads %llu s: a request a minute old needs the machine up "
		      "for longer than 75 s",
		      (unsigned long long)(now / s));
	kernel_6x();
	start("");
	inflight(1, now - 61 * s, 0);
	inflight(2, now - 70 * s, 0);
	inflight(3, now - 61 * s, 1); /* skip: a filtered-out task's */
	inflight(4, now - 50 * s, 0);
	inflight(5, now + 5 * s, 0); /* issued after the sweep reads the clock */
	submitter(1, now - 61 * s);
	submitter(2, now - 1 * s);
	kernel_unmatched(3);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 3 + 2);
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "bio_inflight"), 2);
	ck_assert(has_inflight(4) && has_inflight(5));
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "bio_submitters"), 1);

	/* within 10 s: no sweep; the kernel's count still adds to the swept ones */
	inflight(6, now - 80 * s, 0);
	kernel_unmatched(4);
	montest_interval(&t, 2);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 4 + 2);
	ck_assert(has_inflight(6));
	teardown();
}
END_TEST

/* Without rq_insert attached (no attribution) bio_submitters is left alone. */
START_TEST(no_attribution_no_submitter_sweep)
{
	__u64 now = mono_now(), s = 1000000000ull;

	ck_assert_msg(now > 75 * s, "CLOCK_MONOTONIC reads %llu s: needs more than 75 s",
		      (unsigned long long)(now / s));
	kernel(issue_6x, complete_6x, no_nr_sector, requeue_6x);
	start("");
	ck_assert_ptr_null(fake_bpf_attached(montest_mod(&t), "rq_insert"));
	inflight(1, now - 61 * s, 0);
	submitter(1, now - 61 * s);
	montest_interval(&t, 1);
	ck_assert_uint_eq(t.m.stats.lost_unmatched, 1);
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "bio_inflight"), 0);
	ck_assert_uint_eq(fake_map_count(montest_mod(&t), "bio_submitters"), 1);
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mon_bio");
	TCase *layout = tcase_create("layout");
	TCase *rows = tcase_create("rows");
	TCase *sweep = tcase_create("sweep");

	tcase_add_test(layout, layout_flags_from_tracefs);
	tcase_add_test(layout, optional_points_off_with_their_fields);
	tcase_add_test(layout, unknown_layouts_refused);
	tcase_add_test(layout, host_tracefs_relations);
	tcase_add_test(layout, options_become_flags);
	tcase_add_test(rows, rows_merge_cpus_and_estimate_latency);
	tcase_add_test(rows, rows_sort_ties);
	tcase_add_test(rows, device_names_from_sysfs);
	tcase_add_test(rows, attribution_two_classes_two_rows);
	tcase_add_test(rows, attribution_tgid_resolved_or_unknown);
	tcase_add_test(rows, attribution_equal_classes_merge);
	tcase_add_test(rows, attribution_off_no_columns);
	tcase_add_test(sweep, stale_requests_swept_and_counted);
	tcase_add_test(sweep, no_attribution_no_submitter_sweep);
	suite_add_tcase(s, layout);
	suite_add_tcase(s, rows);
	suite_add_tcase(s, sweep);
	return test_run_suite(s);
}
