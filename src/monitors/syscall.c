/* syscall.c - the syscall monitor: per interval, calls and errors per (task name, syscall),
 * named from the build's syscall table and sorted by count. */
#define LOG_NAME "ebpf_monitor.syscall"

#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "monitors/monitor.h"
#include "probes/syscall.h"
#include "monitors/syscall_table.h"

static const char *const syscall_category_choices[] = {
	"file_io", "network", "memory", "process", "ipc", "signal", "time", "other", NULL,
};

struct syscall_options {
	struct boolmap monitor_categories;
	bool show_errors_only;
	bool latency;
	long long map_size;
};

static const struct opt_spec syscall_option_specs[] = {
	{ "monitor_categories", OPT_BOOLMAP, offsetof(struct syscall_options, monitor_categories),
	  0, 0, syscall_category_choices, NULL,
	  "categories to count (file_io, network, memory, process, ipc, signal, time, other); "
	  "unlisted ones are counted" },
	{ "show_errors_only", OPT_BOOL, offsetof(struct syscall_options, show_errors_only), 0, 0,
	  NULL, "false", "rows only for syscalls that failed at least once in the interval" },
	{ "latency", OPT_BOOL, offsetof(struct syscall_options, latency), 0, 0, NULL, "false",
	  "also time each call (attaches sys_enter; costs more)" },
	{ "map_size", OPT_INT, offsetof(struct syscall_options, map_size), 16, 1048576, NULL,
	  "10240", "distinct (task name, syscall) pairs per interval before counting stops" },
	OPT_END,
};

enum {
	C_TS,
	C_TIMESTR,
	C_COMM,
	C_NR,
	C_NAME,
	C_CATEGORY,
	C_COUNT,
	C_ERRORS,
	C_ERROR_RATE,
	C_AVG_LAT,
	C_MAX_LAT,
	C_NCOLS
};

static const struct column syscall_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_COMM] = { "comm", COL_STR, 0, 16 },
	[C_NR] = { "syscall_nr", COL_U64, 0, 0 },
	[C_NAME] = { "syscall_name", COL_STR, 0, 20 },
	[C_CATEGORY] = { "category", COL_STR, 0, 9 },
	[C_COUNT] = { "count", COL_U64, 0, 10 },
	[C_ERRORS] = { "error_count", COL_U64, 0, 11 },
	[C_ERROR_RATE] = { "error_rate", COL_F64, 4, 1 },
	[C_AVG_LAT] = { "avg_latency_us", COL_F64, 3, 0 },
	[C_MAX_LAT] = { "max_latency_us", COL_F64, 3, 0 },
};

enum { P_EXIT, P_ENTER };

static const struct probe_spec exit_raw[] = {
	{ ATTACH_RAW_TRACEPOINT, "sys_exit", "raw_sys_exit" },
	{ 0 },
};
static const struct probe_spec exit_tp[] = {
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_exit", "tp_sys_exit" },
	{ 0 },
};
static const struct probe_spec enter_raw[] = {
	{ ATTACH_RAW_TRACEPOINT, "sys_enter", "raw_sys_enter" },
	{ 0 },
};
static const struct probe_spec enter_tp[] = {
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_enter", "tp_sys_enter" },
	{ 0 },
};

/* Raw tracepoints (4.17+) are cheaper; the probe reads the number from x86_64's pt_regs. */
static const struct attach_alt exit_alts[] = {
#if defined(__x86_64__)
	{ "raw_tracepoint", exit_raw },
#endif
	{ "tracepoint", exit_tp },
	{ NULL, NULL },
};
static const struct attach_alt enter_alts[] = {
#if defined(__x86_64__)
	{ "raw_tracepoint", enter_raw },
#endif
	{ "tracepoint", enter_tp },
	{ NULL, NULL },
};

static const struct attach_point syscall_points[] = {
	[P_EXIT] = { "sys_exit", exit_alts, false },
	[P_ENTER] = { "sys_enter", enter_alts, false },
};

static bool category_counted(const struct syscall_options *o, int cat)
{
	unsigned long long bit = 1ull << cat;

	return !(o->monitor_categories.set & bit) || (o->monitor_categories.value & bit);
}

static bool all_categories_counted(const struct syscall_options *o)
{
	for (int c = 0; c < SC_NCATEGORIES; c++) {
		if (!category_counted(o, c))
			return false;
	}
	return true;
}

static int syscall_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct syscall_options *o = m->opts;

	cflags_add(cf, "-DSYSCALL_MAP_ENTRIES=%lld", o->map_size);
	if (!all_categories_counted(o))
		cflags_add(cf, "-DSYSCALL_CAT_FILTER=1");
	if (o->latency) {
		cflags_add(cf, "-DSYSCALL_LATENCY=1");
	} else {
		plan->point_off[P_ENTER] = true;
		plan->ncolumns = C_AVG_LAT; /* no latency columns */
	}
	return 0;
}

/* Fills the in-kernel category filter: one byte per syscall number. */
static int syscall_start(struct monitor *m)
{
	const struct syscall_options *o = m->opts;
	int fd;

	if (all_categories_counted(o))
		return 0;
	fd = monitor_map_fd(m, "syscall_allowed");
	if (fd < 0)
		return fd;
	for (__u32 nr = 0; nr < SYSCALL_NR_MAX; nr++) {
		__u8 ok = category_counted(o, syscall_category_of_nr(nr));
		int r = monitor_map_update(m, fd, &nr, &ok);

		if (r)
			return r;
	}
	return 0;
}

struct syscall_row {
	struct syscall_key key;
	struct syscall_value v;
};

static void syscall_merge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct syscall_row *r = row;
	const struct syscall_value *v = values;

	memcpy(&r->key, key, sizeof(r->key));
	/* sizeof(struct syscall_value) is a multiple of 8: the per-CPU stride. */
	for (unsigned c = 0; c < nvalues; c++) {
		r->v.count += v[c].count;
		r->v.errors += v[c].errors;
		r->v.lat_count += v[c].lat_count;
		r->v.lat_sum_ns += v[c].lat_sum_ns;
		if (v[c].lat_max_ns > r->v.lat_max_ns)
			r->v.lat_max_ns = v[c].lat_max_ns;
	}
}

static int by_count_desc(const void *a, const void *b)
{
	const struct syscall_row *x = a, *y = b;

	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	if (x->key.nr != y->key.nr)
		return x->key.nr < y->key.nr ? -1 : 1;
	return strncmp(x->key.comm, y->key.comm, sizeof(x->key.comm));
}

static void syscall_collect(struct monitor *m, uint64_t now_ns)
{
	const struct syscall_options *o = m->opts;
	struct agg_batch b = AGG_BATCH(struct syscall_row, syscall_merge);

	if (monitor_drain_rows(m, "syscall_counts", sizeof(struct syscall_key),
			       sizeof(struct syscall_value), true, &b, by_count_desc) < 0)
		return;
	for (size_t i = 0; i < b.n; i++) {
		const struct syscall_row *r = agg_batch_at(&b, i);
		char comm[sizeof(r->key.comm) + 1], name[32];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells };

		if (!r->v.count || (o->show_errors_only && !r->v.errors))
			continue;
		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(r->key.comm), r->key.comm);
		syscall_name_fmt(r->key.nr, name, sizeof(name));
		memset(cells, 0, sizeof(cells));
		cells[C_COMM].s = comm;
		cells[C_NR].u = r->key.nr;
		cells[C_NAME].s = name;
		cells[C_CATEGORY].s = syscall_category_name(syscall_category_of_nr(r->key.nr));
		cells[C_COUNT].u = r->v.count;
		cells[C_ERRORS].u = r->v.errors;
		cells[C_ERROR_RATE].f = (double)r->v.errors / (double)r->v.count;
		cells[C_AVG_LAT].f = r->v.lat_count ? (double)r->v.lat_sum_ns / r->v.lat_count / 1e3
						     : 0.0;
		cells[C_MAX_LAT].f = (double)r->v.lat_max_ns / 1e3;
		monitor_emit(m, &row);
	}
	agg_batch_free(&b);
}

static const struct metric_spec syscall_metrics[] = {
	{ "ebpf_monitor_syscalls_total",
	  "System calls that returned, by task name, system call and category.",
	  false,
	  C_COUNT,
	  -1,
	  { METRIC_COL_BOUNDED("comm", C_COMM), METRIC_COL("syscall", C_NAME),
	    METRIC_COL("category", C_CATEGORY) } },
	{ "ebpf_monitor_syscall_errors_total",
	  "System calls that returned an error (-4095..-1).",
	  false,
	  C_ERRORS,
	  -1,
	  { METRIC_COL_BOUNDED("comm", C_COMM), METRIC_COL("syscall", C_NAME),
	    METRIC_COL("category", C_CATEGORY) } },
};

const struct monitor_ops syscall_monitor_ops = {
	.name = "syscall",
	.description = "system calls: calls, errors and error rate per task name and syscall "
		       "each interval",
	.probe_text = em_probe_syscall,
	.points = syscall_points,
	.npoints = sizeof(syscall_points) / sizeof(syscall_points[0]),
	.columns = syscall_columns,
	.ncolumns = C_NCOLS,
	.options = syscall_option_specs,
	.options_size = sizeof(struct syscall_options),
	.metrics = syscall_metrics,
	.nmetrics = sizeof(syscall_metrics) / sizeof(syscall_metrics[0]),
	.aggregating = true,
	.event_cost_ns = 80,
	.samples = true,
	.configure = syscall_configure,
	.start = syscall_start,
	.collect = syscall_collect,
};
