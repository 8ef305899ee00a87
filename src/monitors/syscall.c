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

#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/attrib.h"
#include "monitors/monitor.h"
#include "probes/syscall.h"
#include "monitors/syscall_table.h"
#include "monitors/task_slots.h"

static const char *const syscall_category_choices[] = {
	"file_io", "network", "memory", "process", "ipc", "signal", "time", "other", NULL,
};

struct syscall_options {
	struct boolmap monitor_categories;
	bool show_errors_only;
	bool latency;
	long long map_size;
	char *fast_names;
};

/* Kernel memory the fast path's cells may take when fast_names is auto, all CPUs together. */
#define SYSCALL_FAST_BUDGET (8u << 20)

static int check_fast_names(const void *value, char *err, size_t errlen)
{
	long long n;

	if (task_slots_parse(*(char *const *)value, &n) == 0)
		return 0;
	snprintf(err, errlen, "must be auto or a number from 0 to %d", TASK_SLOTS_MAX);
	return -EINVAL;
}

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
	{ "fast_names", OPT_STRING, offsetof(struct syscall_options, fast_names), 0, 0, NULL,
	  "auto",
	  "busy task names counted on the fast path (8 KiB of kernel memory per name and CPU); "
	  "auto: as many as fit in 8 MiB, at most 64; 0: none",
	  0, check_fast_names },
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

enum { P_EXIT, P_ENTER, P_TASK_FORK, P_TASK_RENAME };

#if defined(__x86_64__) || defined(__aarch64__)
static const struct probe_spec exit_raw[] = {
	{ ATTACH_RAW_TRACEPOINT, "sys_exit", "raw_sys_exit" },
	{ 0 },
};
static const struct probe_spec enter_raw[] = {
	{ ATTACH_RAW_TRACEPOINT, "sys_enter", "raw_sys_enter" },
	{ 0 },
};
#endif
static const struct probe_spec exit_tp[] = {
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_exit", "tp_sys_exit" },
	{ 0 },
};
static const struct probe_spec enter_tp[] = {
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_enter", "tp_sys_enter" },
	{ 0 },
};

/* Raw tracepoints (4.17+) are cheaper; the probe reads the number from the saved registers, whose
 * layout it knows on x86_64 and arm64. */
static const struct attach_alt exit_alts[] = {
#if defined(__x86_64__) || defined(__aarch64__)
	{ "raw_tracepoint", exit_raw },
#endif
	{ "tracepoint", exit_tp },
	{ NULL, NULL },
};
static const struct attach_alt enter_alts[] = {
#if defined(__x86_64__) || defined(__aarch64__)
	{ "raw_tracepoint", enter_raw },
#endif
	{ "tracepoint", enter_tp },
	{ NULL, NULL },
};

static const struct attach_point syscall_points[] = {
	[P_EXIT] = { "sys_exit", exit_alts, false },
	[P_ENTER] = { "sys_enter", enter_alts, false },
	TASK_SLOTS_POINTS, /* P_TASK_FORK, P_TASK_RENAME */
	ATTRIB_POINTS,
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

/* The fast path (SYSCALL_FAST): names with a task slot count in per-CPU cells; user space
 * keeps the cells' last values to take differences. */
struct syscall_priv {
	unsigned nslots;
	struct task_slots *ts;
	struct syscall_fast_row *buf;	 /* one row per possible CPU, for a lookup */
	struct syscall_fast_value *last; /* per slot and cell: the sums over CPUs last read */
};

static int syscall_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct syscall_options *o = m->opts;
	struct syscall_priv *p;
	long long want = -1;
	unsigned nslots = 0;

	cflags_add(cf, "-DSYSCALL_MAP_ENTRIES=%lld", o->map_size);
	if (!all_categories_counted(o))
		cflags_add(cf, "-DSYSCALL_CAT_FILTER=1");
	(void)task_slots_parse(o->fast_names, &want);
	/* Latency needs the hash path's fields; the fast path needs per-CPU arrays (4.6). */
	if (!o->latency && kcheck_map_supported(KMAP_PERCPU_ARRAY))
		nslots = task_slots_size(want, sizeof(struct syscall_fast_row),
					 monitor_possible_cpus(), SYSCALL_FAST_BUDGET);
	if (nslots) {
		cflags_add(cf, "-DSYSCALL_FAST=1");
		cflags_add(cf, "-DEM_TASK_SLOTS=%u", nslots);
	} else {
		plan->point_off[P_TASK_FORK] = plan->point_off[P_TASK_RENAME] = true;
	}
	if (o->latency) {
		cflags_add(cf, "-DSYSCALL_LATENCY=1");
	} else {
		plan->point_off[P_ENTER] = true;
		plan->ncolumns = C_AVG_LAT; /* no latency columns */
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "syscall: out of memory");
		return -ENOMEM;
	}
	p->nslots = nslots;
	m->priv = p;
	return 0;
}

/* Fills the in-kernel category filter (one byte per syscall number) and opens the fast path. */
static int syscall_start(struct monitor *m)
{
	const struct syscall_options *o = m->opts;
	struct syscall_priv *p = m->priv;
	int fd, r;

	if (p->nslots) {
		p->buf = calloc(monitor_possible_cpus(), sizeof(*p->buf));
		p->last = calloc((size_t)p->nslots * SYSCALL_NIDX, sizeof(*p->last));
		if (!p->buf || !p->last)
			return -ENOMEM;
		r = task_slots_open(m, p->nslots, &p->ts);
		if (r)
			return r;
	}
	if (all_categories_counted(o))
		return 0;
	fd = monitor_map_fd(m, "syscall_allowed");
	if (fd < 0)
		return fd;
	for (__u32 nr = 0; nr < SYSCALL_NR_MAX; nr++) {
		__u8 ok = category_counted(o, syscall_category_of_nr(nr));

		r = monitor_map_update(m, fd, &nr, &ok);
		if (r)
			return r;
	}
	return 0;
}

static void syscall_poll(struct monitor *m)
{
	struct syscall_priv *p = m->priv;

	if (p)
		task_slots_poll(p->ts);
}

static void syscall_destroy(struct monitor *m)
{
	struct syscall_priv *p = m->priv;

	if (!p)
		return;
	task_slots_free(p->ts);
	free(p->buf);
	free(p->last);
	free(p);
	m->priv = NULL;
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

static int by_key(const void *a, const void *b)
{
	const struct syscall_row *x = a, *y = b;
	int c = memcmp(x->key.comm, y->key.comm, sizeof(x->key.comm));

	if (c)
		return c;
	if (x->key.who != y->key.who)
		return x->key.who < y->key.who ? -1 : 1;
	return x->key.nr < y->key.nr ? -1 : x->key.nr > y->key.nr;
}

static int by_count_desc(const void *a, const void *b)
{
	const struct syscall_row *x = a, *y = b;

	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	if (x->key.nr != y->key.nr)
		return x->key.nr < y->key.nr ? -1 : 1;
	return by_key(a, b);
}

/* The fast path's counts since the last read, as rows into b, one per (slot, syscall) that
 * counted; what each slot counted into slot_events. Then hands the interval to task_slots. */
static void syscall_collect_fast(struct monitor *m, struct agg_batch *b)
{
	struct syscall_priv *p = m->priv;
	unsigned ncpus = monitor_possible_cpus();
	size_t nhash = b->n;
	uint64_t *slot_events = calloc(p->nslots, sizeof(*slot_events));
	char(*names)[TASK_KEY_LEN] = calloc(nhash ? nhash : 1, sizeof(*names));
	uint64_t *events = calloc(nhash ? nhash : 1, sizeof(*events));
	int fd = monitor_map_fd(m, "syscall_fast");

	if (!slot_events || !names || !events || fd < 0) {
		/* Nothing read: the cells keep counting, the next interval reads the difference. */
		log_warn("syscall: fast-path counts not read this interval: %s",
			 fd < 0 ? strerror(-fd) : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nhash; i++) {
		const struct syscall_row *r = agg_batch_at(b, i);

		task_slots_key(r->key.comm, r->key.who, names[i]);
		events[i] = r->v.count;
	}
	for (__u32 slot = 0; slot < p->nslots; slot++) {
		const char *name = task_slots_name(p->ts, slot);

		if (!name || monitor_map_lookup(m, fd, &slot, p->buf) < 0)
			continue;
		for (unsigned i = 0; i < SYSCALL_NIDX; i++) {
			struct syscall_fast_value *last = &p->last[(size_t)slot * SYSCALL_NIDX + i];
			struct syscall_fast_value now = { 0, 0 };
			struct syscall_value d = { 0 };
			struct syscall_key k = { 0 };

			for (unsigned c = 0; c < ncpus; c++) {
				now.count += p->buf[c].v[i].count;
				now.errors += p->buf[c].v[i].errors;
			}
			d.count = now.count - last->count;
			d.errors = now.errors - last->errors;
			*last = now;
			if (!d.count)
				continue;
			slot_events[slot] += d.count;
			memcpy(k.comm, name, sizeof(k.comm));
			k.who = task_slots_key_who(name);
			k.nr = (__u32)syscall_nr_of_index(i);
			agg_batch_collect(b, &k, &d, 1);
		}
	}
	task_slots_interval(p->ts, slot_events, (const char(*)[TASK_KEY_LEN])names, events, nhash);
out:
	free(slot_events);
	free(names);
	free(events);
}

/* Two rows of one key become one (agg_batch_coalesce). */
static void syscall_add(void *into, const void *from)
{
	struct syscall_row *x = into;
	const struct syscall_row *y = from;

	x->v.count += y->v.count;
	x->v.errors += y->v.errors;
	x->v.lat_count += y->v.lat_count;
	x->v.lat_sum_ns += y->v.lat_sum_ns;
	if (y->v.lat_max_ns > x->v.lat_max_ns)
		x->v.lat_max_ns = y->v.lat_max_ns;
}

static void syscall_collect(struct monitor *m, uint64_t now_ns)
{
	const struct syscall_options *o = m->opts;
	const struct syscall_priv *p = m->priv;
	struct agg_batch b = AGG_BATCH(struct syscall_row, syscall_merge);

	if (monitor_drain_rows(m, "syscall_counts", sizeof(struct syscall_key),
			       sizeof(struct syscall_value), true, &b, by_count_desc) < 0)
		return;
	if (p && p->ts)
		syscall_collect_fast(m, &b);
	/* a process the kernel had no class for is resolved now: rows may become one */
	if (m->attrib)
		monitor_who_rows(m, &b, offsetof(struct syscall_row, key.who));
	if ((p && p->ts) || m->attrib) {
		agg_batch_coalesce(&b, by_key, syscall_add);
		agg_batch_sort(&b, by_count_desc);
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct syscall_row *r = agg_batch_at(&b, i);
		char comm[sizeof(r->key.comm) + 1], name[32];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells, NULL, r->key.who };

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
	.key_columns = MONITOR_COL(C_COMM) | MONITOR_COL(C_NR),
	.counts = "system calls",
	.event_cost_ns = 80,
	.samples = true,
	.configure = syscall_configure,
	.start = syscall_start,
	.collect = syscall_collect,
	.poll = syscall_poll,
	.destroy = syscall_destroy,
};
