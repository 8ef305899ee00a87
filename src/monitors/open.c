/* open.c - the open monitor: per interval, opens per (task name, syscall, flags, path) with
 * errors, error rate, the most frequent errno and latency, sorted by count. */
#define LOG_NAME "ebpf_monitor.open"

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kcheck.h"
#include "core/log.h"
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
	[C_FILENAME] = { "filename", COL_STR, 0, 40 },
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
};

static int open_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct open_options *o = m->opts;

	(void)err;
	(void)errlen;
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

struct open_row {
	struct open_key key;
	struct open_value v;
};

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
	int c;

	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	c = strncmp(x->key.comm, y->key.comm, sizeof(x->key.comm));
	if (c)
		return c;
	c = strncmp(x->key.filename, y->key.filename, sizeof(x->key.filename));
	if (c)
		return c;
	if (x->key.op != y->key.op)
		return x->key.op < y->key.op ? -1 : 1;
	if (x->key.flags != y->key.flags)
		return x->key.flags < y->key.flags ? -1 : 1;
	return (int)x->key.truncated - (int)y->key.truncated;
}

static void open_emit_row(struct monitor *m, const struct open_row *r)
{
	char comm[sizeof(r->key.comm) + 1], path[OPEN_PATH_LEN + 4], flags[256], top[32];
	struct cell cells[C_NCOLS];
	struct row row = { m->interval_end_ns, cells };
	double n = (double)r->v.count;
	int e = open_top_errno(&r->v);

	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(r->key.comm), r->key.comm);
	open_filename_text(&r->key, path, sizeof(path));
	open_flags_text(r->key.flags, flags, sizeof(flags));
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

static void open_collect(struct monitor *m, uint64_t now_ns)
{
	const struct open_options *o = m->opts;
	struct agg_batch b = AGG_BATCH(struct open_row, open_merge);

	(void)now_ns;
	/* On failure the keys stay in the map for the next drain: nothing is emitted twice. */
	if (monitor_drain_rows(m, "open_counts", sizeof(struct open_key), sizeof(struct open_value),
			       true, &b, by_count_desc) < 0)
		return;
	for (size_t i = 0; i < b.n; i++) {
		const struct open_row *r = agg_batch_at(&b, i);

		if (!r->v.count || r->v.count < (unsigned long long)o->min_count ||
		    (o->show_errors_only && !r->v.errors))
			continue;
		open_emit_row(m, r);
	}
	agg_batch_free(&b);
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
	.event_cost_ns = 600,
	.samples = true,
	.configure = open_configure,
	.collect = open_collect,
};
