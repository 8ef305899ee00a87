/* context_switch.c - the context_switch monitor: switches per (cpu, previous task, next task)
 * each interval, with the voluntary/involuntary split of /proc/<pid>/status. */
#define LOG_NAME "ebpf_monitor.context_switch"

#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/context_switch.h"
#include "monitors/context_switch_rules.h"
#include "core/kversion.h"
#include "core/log.h"
#include "monitors/monitor.h"
#include "core/tracefs.h"

/* The idle task (pid 0) is shown under this name in both comm columns. */
#define CS_IDLE_NAME "<idle>"

struct cs_options {
	long long min_switches;
	long long map_size;
};

static const struct opt_spec cs_option_specs[] = {
	{ "min_switches", OPT_INT, offsetof(struct cs_options, min_switches), 0, 1e12, NULL, "10",
	  "rows only for pairs that switched at least this often in the interval" },
	{ "map_size", OPT_INT, offsetof(struct cs_options, map_size), 16, 1048576, NULL, "10240",
	  "distinct (cpu, prev, next) triples per interval before counting stops" },
	OPT_END,
};

enum { C_TS, C_TIMESTR, C_PREV, C_NEXT, C_CPU, C_COUNT, C_VOL, C_INVOL, C_NCOLS };

static const struct column cs_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_PREV] = { "prev_comm", COL_STR, 0, 16 },
	[C_NEXT] = { "next_comm", COL_STR, 0, 16 },
	[C_CPU] = { "cpu", COL_U64, 0, 4 },
	[C_COUNT] = { "count", COL_U64, 0, 10 },
	[C_VOL] = { "voluntary", COL_U64, 0, 10 },
	[C_INVOL] = { "involuntary", COL_U64, 0, 1 },
};

static const struct probe_spec cs_tracepoints[] = {
	{ ATTACH_TRACEPOINT, "sched:sched_switch", "tp_sched_switch" },
	{ 0 },
};

static const struct attach_alt cs_alts[] = {
	{ "tracepoint", cs_tracepoints },
	{ NULL, NULL },
};

static const struct attach_point cs_points[] = {
	{ "sched_switch", cs_alts, false },
};

static void cs_field_flag(struct cflags *cf, const char *field, const char *macro, bool size)
{
	int off, sz;

	if (tracefs_field("sched", "sched_switch", field, &off, &sz))
		return;
	cflags_add(cf, "-DCS_%s_OFF=%d", macro, off);
	if (size)
		cflags_add(cf, "-DCS_%s_SIZE=%d", macro, sz);
}

static int cs_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct cs_options *o = m->opts;
	unsigned major = 0, minor = 0;

	cflags_add(cf, "-DCS_MAP_ENTRIES=%lld", o->map_size);
	cs_field_flag(cf, "prev_comm", "PREV_COMM", false);
	cs_field_flag(cf, "prev_pid", "PREV_PID", false);
	cs_field_flag(cf, "prev_state", "PREV_STATE", true);
	cs_field_flag(cf, "next_comm", "NEXT_COMM", false);
	cs_field_flag(cf, "next_pid", "NEXT_PID", false);
	{
		/* The marker from the event's format, as the kernel prints it; the version rule
		 * only where that cannot be read (backports move the states). */
		static char fmt[8192];
		unsigned long bit;

		if (tracefs_format("sched", "sched_switch", fmt, sizeof(fmt)) ||
		    !context_switch_preempt_bit_from_format(fmt, &bit)) {
			unsigned v = kversion_running(NULL); /* unreadable: 0.0, the oldest */

			major = v >> 16;
			minor = (v >> 8) & 0xff;
			bit = context_switch_preempt_bit(major, minor);
			log_info("context_switch: the preemption marker is not in sched_switch's "
				 "format; by kernel version %u.%u it is %#lx",
				 major, minor, bit);
		}
		cflags_add(cf, "-DCS_PREEMPT_BIT=%#lx", bit);
	}
	return 0;
}

struct cs_row {
	struct cs_key key;
	struct cs_value v;
};

static void cs_merge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct cs_row *r = row;

	(void)nvalues; /* a plain hash: one value */
	memcpy(&r->key, key, sizeof(r->key));
	memcpy(&r->v, values, sizeof(r->v));
}

static int cs_by_count_desc(const void *a, const void *b)
{
	const struct cs_row *x = a, *y = b;

	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	return x->key.cpu < y->key.cpu ? -1 : x->key.cpu > y->key.cpu;
}

static void cs_comm(char *dst, size_t len, const char *comm, bool idle)
{
	if (idle)
		snprintf(dst, len, "%s", CS_IDLE_NAME);
	else
		snprintf(dst, len, "%.*s", 16, comm);
}

static void cs_collect(struct monitor *m, uint64_t now_ns)
{
	const struct cs_options *o = m->opts;
	struct agg_batch b = AGG_BATCH(struct cs_row, cs_merge);

	if (monitor_drain_rows(m, "cs_counts", sizeof(struct cs_key), sizeof(struct cs_value),
			       false, &b, cs_by_count_desc) < 0)
		return;
	for (size_t i = 0; i < b.n; i++) {
		const struct cs_row *r = agg_batch_at(&b, i);
		char prev[17], next[17];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells };

		if (r->v.count < (uint64_t)o->min_switches)
			continue;
		cs_comm(prev, sizeof(prev), r->key.prev_comm, r->key.prev_idle);
		cs_comm(next, sizeof(next), r->key.next_comm, r->key.next_idle);
		memset(cells, 0, sizeof(cells));
		cells[C_PREV].s = prev;
		cells[C_NEXT].s = next;
		cells[C_CPU].u = r->key.cpu;
		cells[C_COUNT].u = r->v.count;
		cells[C_VOL].u = r->v.voluntary;
		cells[C_INVOL].u = r->v.involuntary;
		monitor_emit(m, &row);
	}
	agg_batch_free(&b);
}

static const struct metric_spec cs_metrics[] = {
	{ "ebpf_monitor_context_switches_total",
	  "Context switches by CPU and kind (the task switched out blocked: voluntary).",
	  false,
	  C_VOL,
	  -1,
	  { METRIC_COL("cpu", C_CPU), METRIC_FIXED("kind", "voluntary") } },
	{ "ebpf_monitor_context_switches_total",
	  NULL,
	  false,
	  C_INVOL,
	  -1,
	  { METRIC_COL("cpu", C_CPU), METRIC_FIXED("kind", "involuntary") } },
};

const struct monitor_ops context_switch_monitor_ops = {
	.name = "context_switch",
	.description = "context switches per CPU and task pair each interval, voluntary and "
		       "involuntary",
	.probe_text = em_probe_context_switch,
	.points = cs_points,
	.npoints = sizeof(cs_points) / sizeof(cs_points[0]),
	.columns = cs_columns,
	.ncolumns = C_NCOLS,
	.options = cs_option_specs,
	.options_size = sizeof(struct cs_options),
	.metrics = cs_metrics,
	.nmetrics = sizeof(cs_metrics) / sizeof(cs_metrics[0]),
	.aggregating = true,
	.event_cost_ns = 60,
	.samples = true,
	.configure = cs_configure,
	.collect = cs_collect,
};
