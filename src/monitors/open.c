/* open.c - the open monitor: per interval, opens per (task name, syscall, flags, path, and with
 * attribution the opening process's class) with errors, error rate, the most frequent errno and
 * latency, sorted by count. */
#define LOG_NAME "ebpf_monitor.open"

#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/attrib.h"
#include "monitors/maps.h"
#include "monitors/monitor.h"
#include "probes/open.h"
#include "monitors/open_flags.h"
#include "monitors/open_rows.h"
#include "monitors/syscall_table.h"
#include "common/text.h"

struct open_options {
	long long min_count;
	bool show_errors_only;
	long long map_size;
};

static const struct opt_spec open_option_specs[] = {
	{ "min_count", OPT_INT, offsetof(struct open_options, min_count), 1, 1e12, NULL, "1",
	  "rows only for (task, path, flags) opened at least this often in the interval" },
	{ "show_errors_only", OPT_BOOL, offsetof(struct open_options, show_errors_only), 0, 0, NULL,
	  "false", "rows only for opens that failed at least once in the interval" },
	{ "map_size", OPT_INT, offsetof(struct open_options, map_size), 16, 1048576, NULL, "10240",
	  "distinct (task name, syscall, flags, path) per interval before counting stops" },
	OPT_END,
};

enum {
	C_TS,
	C_TIMESTR,
	C_COMM,
	C_OP,
	C_FILENAME,
	C_COUNT,
	C_ERRORS,
	C_ERROR_RATE,
	C_AVG_LAT,
	C_MIN_LAT,
	C_MAX_LAT,
	C_FLAGS,
	C_TOP_ERRNO,
	C_NCOLS
};

static const struct column open_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_COMM] = { "comm", COL_STR, 0, 16 },
	[C_OP] = { "operation", COL_STR, 0, 9 },
	[C_FILENAME] = { "filename", COL_STR, 0, COL_FLEX(40) },
	[C_COUNT] = { "count", COL_U64, 0, 8 },
	[C_ERRORS] = { "errors", COL_U64, 0, 7 },
	[C_ERROR_RATE] = { "error_rate", COL_F64, 4, 10 },
	[C_AVG_LAT] = { "avg_lat_us", COL_F64, 3, 10 },
	[C_MIN_LAT] = { "min_lat_us", COL_F64, 3, 10 },
	[C_MAX_LAT] = { "max_lat_us", COL_F64, 3, 10 },
	[C_FLAGS] = { "flags", COL_STR, 0, 24 },
	[C_TOP_ERRNO] = { "top_errno", COL_STR, 0, 9 },
};

/* One point: each syscall's enter/exit pair. openat is everywhere; open is absent on arm64
 * and openat2 before 5.6. */
static const struct probe_spec open_tp[] = {
	{ ATTACH_TRACEPOINT, "syscalls:sys_enter_open", "tp_enter_open", true },
	{ ATTACH_TRACEPOINT, "syscalls:sys_exit_open", "tp_exit_open", true },
	{ ATTACH_TRACEPOINT, "syscalls:sys_enter_openat", "tp_enter_openat", false },
	{ ATTACH_TRACEPOINT, "syscalls:sys_exit_openat", "tp_exit_openat", false },
	{ ATTACH_TRACEPOINT, "syscalls:sys_enter_openat2", "tp_enter_openat2", true },
	{ ATTACH_TRACEPOINT, "syscalls:sys_exit_openat2", "tp_exit_openat2", true },
	{ 0 },
};

/* Where syscall tracepoints take no BPF program (before 4.14): the syscalls' entry symbols. */
static const struct probe_spec open_kp[] = {
	{ ATTACH_KPROBE, "syscall:open", "kp_enter_open", true },
	{ ATTACH_KRETPROBE, "syscall:open", "kp_exit_open", true },
	{ ATTACH_KPROBE, "syscall:openat", "kp_enter_openat", false },
	{ ATTACH_KRETPROBE, "syscall:openat", "kp_exit_openat", false },
	{ ATTACH_KPROBE, "syscall:openat2", "kp_enter_openat2", true },
	{ ATTACH_KRETPROBE, "syscall:openat2", "kp_exit_openat2", true },
	{ 0 },
};

/* And without kprobes too: every syscall's raw record, the opens picked by number. Costs a
 * compare on every syscall of the machine: the last resort. */
static const struct probe_spec open_raw[] = {
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_enter", "raw_open_enter", false },
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_exit", "raw_open_exit", false },
	{ 0 },
};

static const struct attach_alt open_alts[] = {
	{ "tracepoint", open_tp },
	{ "kprobe", open_kp },
	{ "raw_syscalls", open_raw },
	{ NULL, NULL },
};

static const struct attach_point open_points[] = {
	{ "open", open_alts, false },
	ATTRIB_POINTS,
};

struct open_priv {
	/* The probe's fast path (OPEN_FAST): counts under struct open_fkey, the paths in
	 * open_paths. */
	bool fast;
};

/* The fast path hands map memory (its per-CPU scratch path) to map helpers (4.18) and reads
 * the path into it with bpf_probe_read_str (4.11). Before that, the 288-byte key. */
static bool open_fast_supported(void)
{
	return kcheck_bpf(KBPF_PROBE_READ_STR) && kcheck_bpf(KBPF_MAP_VALUE_HELPER_MEM) &&
	       kcheck_bpf(KBPF_MAP_VALUE_KEYS);
}

/* The probe's path hash seed: a new one each run, so that no one can make paths that collide
 * in advance (a collision costs nothing but a probe; four in a row lose the open, counted). */
static unsigned long long open_hash_seed(void)
{
	unsigned long long seed = 0, z;
	struct timespec ts;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &seed, sizeof(seed)) != (ssize_t)sizeof(seed))
			seed = 0;
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	z = seed ^ ((unsigned long long)ts.tv_sec << 32) ^ (unsigned long long)ts.tv_nsec ^
	    ((unsigned long long)getpid() << 16);
	/* splitmix64's finalizer */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int open_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct open_options *o = m->opts;
	struct open_priv *p;

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->priv = p;
	p->fast = open_fast_supported();
	if (p->fast) {
		cflags_add(cf, "-DOPEN_FAST=1");
		/* its hash and compares as loops where the verifier takes them (5.3): a fifth of
		 * the code to compile, four ids tried per path instead of two */
		if (kcheck_bpf(KBPF_BOUNDED_LOOPS))
			cflags_add(cf, "-DOPEN_LOOPS=1");
		cflags_add(cf, "-DOPEN_HASH_SEED=0x%llxULL", open_hash_seed());
	} else {
		log_info("open: this kernel's BPF map helpers take no map memory (before 4.18): "
			 "opens are counted under the whole path, the slower way");
	}
	/* LRU hash maps came with 4.10, and backports move that: ask the kernel. */
	if (kcheck_map_supported(KMAP_LRU_HASH))
		cflags_add(cf, "-DOPEN_INFLIGHT_LRU=1");
	else
		log_info(
			"open: this kernel has no LRU hash maps: in-flight opens use a plain hash");
	/* The native ABI's numbers, for the raw_syscalls alternative. */
	cflags_add(cf, "-DOPEN_NR_OPEN=%d", syscall_number("open"));
	cflags_add(cf, "-DOPEN_NR_OPENAT=%d", syscall_number("openat"));
	cflags_add(cf, "-DOPEN_NR_OPENAT2=%d", syscall_number("openat2"));
	return cflags_add(cf, "-DOPEN_MAP_ENTRIES=%lld", o->map_size);
}

static void open_merge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct open_row *r = row;
	const struct open_value *v = values;

	memcpy(&r->key, key, sizeof(r->key));
	/* sizeof(struct open_value) is a multiple of 8: the per-CPU stride. */
	for (unsigned c = 0; c < nvalues; c++)
		open_value_merge(&r->v, &v[c]);
}

static int by_count_desc(const void *a, const void *b)
{
	const struct open_row *x = a, *y = b;

	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	return open_row_key_cmp(x, y);
}

static void open_emit_row(struct monitor *m, const struct open_row *r)
{
	char comm[sizeof(r->key.comm) + 1], path[OPEN_PATH_LEN + 4], flags[256], top[32];
	struct cell cells[C_NCOLS];
	struct row row = { m->interval_end_ns, cells, NULL, r->key.who };
	double n = (double)r->v.count;
	int e = open_top_errno(&r->v);

	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(r->key.comm), r->key.comm);
	open_filename_text(&r->key, path, sizeof(path));
	open_flags_text(r->key.flags, r->key.flags_hi, flags, sizeof(flags));
	top[0] = '\0';
	if (e)
		errno_name_fmt(e, top, sizeof(top));
	memset(cells, 0, sizeof(cells));
	cells[C_COMM].s = comm;
	cells[C_OP].s = open_op_name(r->key.op);
	cells[C_FILENAME].s = path;
	cells[C_COUNT].u = r->v.count;
	cells[C_ERRORS].u = r->v.errors;
	cells[C_ERROR_RATE].f = (double)r->v.errors / n;
	cells[C_AVG_LAT].f = (double)r->v.lat_sum_ns / n / 1e3;
	cells[C_MIN_LAT].f = (double)r->v.lat_min_ns / 1e3;
	cells[C_MAX_LAT].f = (double)r->v.lat_max_ns / 1e3;
	cells[C_FLAGS].s = flags;
	cells[C_TOP_ERRNO].s = top;
	monitor_emit(m, &row);
}

/* A fast-path count as drained: its key names the path by id. */
struct open_frow {
	struct open_fkey key;
	struct open_value v;
};

static void open_fmerge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct open_frow *r = row;
	const struct open_value *v = values;

	memcpy(&r->key, key, sizeof(r->key));
	for (unsigned c = 0; c < nvalues; c++)
		open_value_merge(&r->v, &v[c]);
}

/* The fast path's drain: the counts of the ended epoch, then that epoch's paths (which name
 * them); rows as the 288-byte key's drain makes them, sorted. Returns -errno when the counts
 * could not be drained (they stay for the next drain, and so do their paths). */
static int open_drain_fast(struct monitor *m, struct agg_batch *rows)
{
	struct agg_batch fb = AGG_BATCH(struct open_frow, open_fmerge);
	struct open_paths_table paths;
	size_t unnamed = 0;
	long r;

	memset(&paths, 0, sizeof(paths));
	r = monitor_drain(m, "open_counts", sizeof(struct open_fkey), sizeof(struct open_value),
			  true, agg_batch_collect, &fb);
	if (r < 0) {
		agg_batch_free(&fb);
		return (int)r;
	}
	/* No program writes the old epoch's paths any more (the flip's grace period is over). */
	if (monitor_drain(m, "open_paths", sizeof(struct open_path_key), sizeof(struct open_path),
			  false, open_paths_add, &paths) < 0)
		log_warn("open: draining the paths failed: rows are named from the map");
	rows->dropped = fb.dropped + paths.dropped;
	for (size_t i = 0; i < fb.n; i++) {
		const struct open_frow *f = agg_batch_at(&fb, i);
		struct open_row *o;
		const char *path;
		size_t len = 0;
		struct open_path p;

		/* A key that counted nothing makes no row; the probe leaves one where it lost
		 * the open after inserting the key (its path could not be stored). */
		if (!f->v.count)
			continue;
		path = open_paths_find(&paths, f->key.path_id, &len);
		if (!path) {
			/* not drained (the walk failed): still in the map */
			struct open_path_key pk = { f->key.epoch, 0, f->key.path_id };
			int fd = monitor_map_fd(m, "open_paths");

			if (fd >= 0 && monitor_map_lookup(m, fd, &pk, &p) == 0) {
				path = p.path;
				len = open_path_text_len(&p);
			} else {
				unnamed++;
				path = "";
			}
		}
		if (rows->n == rows->cap) {
			size_t cap = rows->cap ? rows->cap * 2 : 256;
			void *more = realloc(rows->rows, cap * rows->size);

			if (!more) {
				rows->dropped++;
				continue;
			}
			rows->rows = more;
			rows->cap = cap;
		}
		o = (struct open_row *)rows->rows + rows->n++;
		open_key_from_fast(&o->key, &f->key, path, len);
		o->v = f->v;
	}
	if (unnamed)
		log_warn("open: %zu row(s) of this interval have no path (not found in open_paths)",
			 unnamed);
	agg_batch_free(&fb);
	open_paths_free(&paths);
	if (rows->dropped)
		log_warn("open: out of memory: %zu rows of this interval dropped", rows->dropped);
	agg_batch_sort(rows, by_count_desc);
	return 0;
}

static void open_collect(struct monitor *m, uint64_t now_ns)
{
	const struct open_options *o = m->opts;
	const struct open_priv *p = m->priv;
	struct agg_batch b = AGG_BATCH(struct open_row, open_merge);

	(void)now_ns;
	/* On failure the keys stay in the map for the next drain: nothing is emitted twice. */
	if (p && p->fast) {
		if (open_drain_fast(m, &b) < 0)
			return;
	} else if (monitor_drain_rows(m, "open_counts", sizeof(struct open_key),
				      sizeof(struct open_value), true, &b, by_count_desc) < 0) {
		return;
	}
	if (m->attrib) {
		/* a process the kernel had no class for is resolved now: rows may become one */
		monitor_who_rows(m, &b, offsetof(struct open_row, key.who));
		agg_batch_coalesce(&b, open_row_key_cmp, open_row_add);
		agg_batch_sort(&b, by_count_desc);
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct open_row *r = agg_batch_at(&b, i);

		if (!r->v.count || r->v.count < (unsigned long long)o->min_count ||
		    (o->show_errors_only && !r->v.errors))
			continue;
		open_emit_row(m, r);
	}
	agg_batch_free(&b);
}

static void open_destroy(struct monitor *m)
{
	free(m->priv);
	m->priv = NULL;
}

static const struct metric_spec open_metrics[] = {
	{ "ebpf_monitor_file_opens_total",
	  "File opens by task name and result.",
	  false,
	  C_COUNT,
	  C_ERRORS,
	  { METRIC_COL_BOUNDED("comm", C_COMM), METRIC_FIXED("result", "success") } },
	{ "ebpf_monitor_file_opens_total",
	  NULL,
	  false,
	  C_ERRORS,
	  -1,
	  { METRIC_COL_BOUNDED("comm", C_COMM), METRIC_FIXED("result", "error") } },
	{ "ebpf_monitor_file_open_errors_total",
	  "Failed file opens by path and the interval's most frequent errno.",
	  false,
	  C_ERRORS,
	  -1,
	  { METRIC_COL_BOUNDED("path", C_FILENAME), METRIC_COL("errno", C_TOP_ERRNO) } },
};

const struct monitor_ops open_monitor_ops = {
	.name = "open",
	.description = "file opens: count, errors, error rate and latency per task name, path "
		       "and flags each interval",
	.probe_text = em_probe_open,
	.points = open_points,
	.npoints = sizeof(open_points) / sizeof(open_points[0]),
	.columns = open_columns,
	.ncolumns = C_NCOLS,
	.options = open_option_specs,
	.options_size = sizeof(struct open_options),
	.metrics = open_metrics,
	.nmetrics = sizeof(open_metrics) / sizeof(open_metrics[0]),
	.aggregating = true,
	.key_columns = MONITOR_COL(C_COMM) | MONITOR_COL(C_OP) | MONITOR_COL(C_FILENAME),
	.counts = "opens",
	.event_cost_ns = 600,
	.samples = true,
	.configure = open_configure,
	.collect = open_collect,
	.destroy = open_destroy,
};
