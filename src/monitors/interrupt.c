/* interrupt.c - the interrupt monitor: hard IRQs and softirqs per CPU, number and interrupted
 * task each interval, with handler names and handling latency. With attribution an interrupt
 * belongs to the cgroup, unit, container and pod of the task it interrupted (the comm's task:
 * see probes/interrupt.bpf.c), not to whoever caused it. */
#define LOG_NAME "ebpf_monitor.interrupt"

#include <linux/types.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/interrupt.h"
#include "core/log.h"
#include "monitors/attrib.h"
#include "monitors/monitor.h"
#include "core/tracefs.h"

struct irq_options {
	long long map_size;
};

static const struct opt_spec irq_option_specs[] = {
	{ "map_size", OPT_INT, offsetof(struct irq_options, map_size), 16, 1048576, NULL, "10240",
	  "distinct (cpu, irq, interrupted task) keys per interval before counting stops" },
	OPT_END,
};

enum {
	C_TS,
	C_TIMESTR,
	C_COMM,
	C_TYPE,
	C_TYPE_STR,
	C_CPU,
	C_COUNT,
	C_IRQ,
	C_NAME,
	C_AVG_LAT,
	C_MAX_LAT,
	C_NCOLS
};

static const struct column irq_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_COMM] = { "comm", COL_STR, 0, 16 },
	[C_TYPE] = { "irq_type", COL_U64, 0, 0 },
	[C_TYPE_STR] = { "irq_type_str", COL_STR, 0, 12 },
	[C_CPU] = { "cpu", COL_U64, 0, 4 },
	[C_COUNT] = { "count", COL_U64, 0, 10 },
	[C_IRQ] = { "irq", COL_U64, 0, 5 },
	[C_NAME] = { "name", COL_STR, 0, COL_FLEX(20) },
	[C_AVG_LAT] = { "avg_latency_us", COL_F64, 3, 14 },
	[C_MAX_LAT] = { "max_latency_us", COL_F64, 3, 1 },
};

static const struct probe_spec irq_tracepoints[] = {
	{ ATTACH_TRACEPOINT, "irq:irq_handler_entry", "tp_irq_entry" },
	{ ATTACH_TRACEPOINT, "irq:irq_handler_exit", "tp_irq_exit" },
	{ ATTACH_TRACEPOINT, "irq:softirq_entry", "tp_softirq_entry" },
	{ ATTACH_TRACEPOINT, "irq:softirq_exit", "tp_softirq_exit" },
	{ 0 },
};

static const struct attach_alt irq_alts[] = {
	{ "tracepoint", irq_tracepoints },
	{ NULL, NULL },
};

static const struct attach_point irq_points[] = {
	{ "irq", irq_alts, false },
	ATTRIB_POINTS,
};

/* "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER",
 * "RCU" (the kernel's softirq_to_name[]); "VEC<n>" in buf for others. */
static const char *softirq_name(unsigned vec, char *buf, size_t len)
{
	/* include/linux/interrupt.h; IRQ_POLL was BLOCK_IOPOLL before 4.5. */
	static const char *const names[] = {
		"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
		"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
	};

	if (vec < sizeof(names) / sizeof(names[0]))
		return names[vec];
	snprintf(buf, len, "VEC%u", vec);
	return buf;
}

/* irq_type 0/1 (IRQ_HARD, IRQ_SOFT) as irq_type_str shows it. */
static const char *irq_type_str(unsigned type)
{
	return type == 0 ? "HARD" : type == 1 ? "SOFT" : "UNKNOWN";
}

static int irq_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct irq_options *o = m->opts;
	int off, size;

	cflags_add(cf, "-DIRQ_MAP_ENTRIES=%lld", o->map_size);
	if (tracefs_field("irq", "irq_handler_entry", "name", &off, &size) == 0)
		cflags_add(cf, "-DIRQ_NAME_OFF=%d", off);
	return 0;
}

struct irq_row {
	struct irq_key key;
	struct irq_value v;
};

static void irq_merge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct irq_row *r = row;

	(void)nvalues; /* a plain hash: one value */
	memcpy(&r->key, key, sizeof(r->key));
	memcpy(&r->v, values, sizeof(r->v));
}

/* Rows of one (cpu, type, number, task name, class) are one row. */
static int irq_by_key(const void *a, const void *b)
{
	const struct irq_row *x = a, *y = b;
	int c = memcmp(x->key.comm, y->key.comm, sizeof(x->key.comm));

	if (c)
		return c;
	if (x->key.cpu != y->key.cpu)
		return x->key.cpu < y->key.cpu ? -1 : 1;
	if (x->key.type != y->key.type)
		return x->key.type < y->key.type ? -1 : 1;
	if (x->key.irq != y->key.irq)
		return x->key.irq < y->key.irq ? -1 : 1;
	return x->key.who < y->key.who ? -1 : x->key.who > y->key.who;
}

static int irq_row_order(const void *a, const void *b)
{
	const struct irq_row *x = a, *y = b;

	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	if (x->key.type != y->key.type)
		return x->key.type < y->key.type ? -1 : 1;
	if (x->key.irq != y->key.irq)
		return x->key.irq < y->key.irq ? -1 : 1;
	return irq_by_key(a, b);
}

/* Two rows of one key become one (agg_batch_coalesce). */
static void irq_add(void *into, const void *from)
{
	struct irq_row *x = into;
	const struct irq_row *y = from;

	x->v.count += y->v.count;
	x->v.lat_count += y->v.lat_count;
	x->v.lat_sum_ns += y->v.lat_sum_ns;
	if (y->v.lat_max_ns > x->v.lat_max_ns)
		x->v.lat_max_ns = y->v.lat_max_ns;
}

static void irq_collect(struct monitor *m, uint64_t now_ns)
{
	struct agg_batch b = AGG_BATCH(struct irq_row, irq_merge);
	int names_fd = monitor_map_fd(m, "irq_names");

	if (monitor_drain_rows(m, "irq_counts", sizeof(struct irq_key), sizeof(struct irq_value),
			       false, &b, irq_row_order) < 0)
		return;
	if (m->attrib)
	{
		/* a process the kernel had no class for is resolved now: rows may become one */
		monitor_who_rows(m, &b, offsetof(struct irq_row, key.who));
		agg_batch_coalesce(&b, irq_by_key, irq_add);
		agg_batch_sort(&b, irq_row_order);
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct irq_row *r = agg_batch_at(&b, i);
		struct irq_name hn = { { 0 } };
		char comm[17], name[sizeof(hn.name) + 1], vec[16];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells, NULL, r->key.who };

		if (!r->v.count)
			continue; /* only an exit landed in this interval */
		snprintf(comm, sizeof(comm), "%.*s", 16, r->key.comm);
		if (r->key.type == IRQ_SOFT)
			snprintf(name, sizeof(name), "%s", softirq_name(r->key.irq, vec, sizeof(vec)));
		else if (names_fd >= 0 && monitor_map_lookup(m, names_fd, &r->key.irq, &hn) == 0)
			snprintf(name, sizeof(name), "%.*s", (int)sizeof(hn.name), hn.name);
		else
			name[0] = '\0';
		memset(cells, 0, sizeof(cells));
		cells[C_COMM].s = comm;
		cells[C_TYPE].u = r->key.type;
		cells[C_TYPE_STR].s = irq_type_str(r->key.type);
		cells[C_CPU].u = r->key.cpu;
		cells[C_COUNT].u = r->v.count;
		cells[C_IRQ].u = r->key.irq;
		cells[C_NAME].s = name;
		/* No entry/exit pair in the interval: no latency, rather than a made-up 0. */
		cells[C_AVG_LAT].f = r->v.lat_count ? (double)r->v.lat_sum_ns /
							      (double)r->v.lat_count / 1e3
						    : NAN;
		cells[C_MAX_LAT].f = r->v.lat_count ? (double)r->v.lat_max_ns / 1e3 : NAN;
		monitor_emit(m, &row);
	}
	agg_batch_free(&b);
}

static const struct metric_spec irq_metrics[] = {
	{ "ebpf_monitor_interrupts_total",
	  "Hard and soft interrupts by type, number, handler name and CPU.",
	  false,
	  C_COUNT,
	  -1,
	  { METRIC_COL("type", C_TYPE_STR), METRIC_COL("irq", C_IRQ),
	    METRIC_COL_BOUNDED("name", C_NAME), METRIC_COL("cpu", C_CPU) } },
};

const struct monitor_ops interrupt_monitor_ops = {
	.name = "interrupt",
	.description = "hard IRQs and softirqs per CPU, number and interrupted task each "
		       "interval, with handling latency",
	.probe_text = em_probe_interrupt,
	.points = irq_points,
	.npoints = sizeof(irq_points) / sizeof(irq_points[0]),
	.columns = irq_columns,
	.ncolumns = C_NCOLS,
	.options = irq_option_specs,
	.options_size = sizeof(struct irq_options),
	.metrics = irq_metrics,
	.nmetrics = sizeof(irq_metrics) / sizeof(irq_metrics[0]),
	.aggregating = true,
	.key_columns = MONITOR_COL(C_COMM) | MONITOR_COL(C_TYPE) | MONITOR_COL(C_CPU) |
		       MONITOR_COL(C_IRQ) | MONITOR_COL(C_NAME),
	.counts = "interrupts",
	.event_cost_ns = 600,
	.configure = irq_configure,
	.collect = irq_collect,
};
