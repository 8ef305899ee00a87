/* page_fault.c - the page_fault monitor: major and minor faults per task name, CPU and NUMA
 * node each interval, from PERF_COUNT_SW_PAGE_FAULTS_MAJ/_MIN (every architecture, RHEL 7.6+). */
#define LOG_NAME "ebpf_monitor.page_fault"

#include <dirent.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/monitor.h"
#include "probes/page_fault.h"

struct pf_options {
	long long map_size;
};

static const struct opt_spec pf_option_specs[] = {
	{ "map_size", OPT_INT, offsetof(struct pf_options, map_size), 16, 1048576, NULL, "10240",
	  "distinct (task, type, cpu, node) keys per interval before counting stops" },
	OPT_END,
};

enum { C_TS, C_TIMESTR, C_COMM, C_TYPE, C_TYPE_STR, C_CPU, C_NODE, C_COUNT, C_NCOLS };

static const struct column pf_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_COMM] = { "comm", COL_STR, 0, 16 },
	[C_TYPE] = { "fault_type", COL_U64, 0, 0 },
	[C_TYPE_STR] = { "fault_type_str", COL_STR, 0, 14 },
	[C_CPU] = { "cpu", COL_U64, 0, 4 },
	[C_NODE] = { "numa_node", COL_U64, 0, 9 },
	[C_COUNT] = { "count", COL_U64, 0, 1 },
};

/* sample_period 1: the program runs for every fault, so counts are exact. */
static const struct probe_spec pf_perf_events[] = {
	{ ATTACH_PERF_EVENT, "page-faults-min", "pe_fault_minor", false, PERF_TYPE_SOFTWARE,
	  PERF_COUNT_SW_PAGE_FAULTS_MIN, 1 },
	{ ATTACH_PERF_EVENT, "page-faults-maj", "pe_fault_major", false, PERF_TYPE_SOFTWARE,
	  PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1 },
	{ 0 },
};

static const struct attach_alt pf_alts[] = {
	{ "perf_event", pf_perf_events },
	{ NULL, NULL },
};

static const struct attach_point pf_points[] = {
	{ "page_faults", pf_alts, false },
};

static int pf_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct pf_options *o = m->opts;

	cflags_add(cf, "-DPF_MAP_ENTRIES=%lld", o->map_size);
	/* bpf_get_numa_node_id came with 4.10: without it the probe leaves the node to user
	 * space, which has the same answer (the node of the CPU in the key). */
	if (!kcheck_bpf(KBPF_NUMA_NODE_ID))
		cflags_add(cf, "-DPF_NODE_FROM_CPU=1");
	return 0;
}

/* The NUMA node of a CPU, as bpf_get_numa_node_id() gives it: the "nodeN" link in the CPU's
 * sysfs directory, 0 without one (a kernel without NUMA). Read once per CPU. */
static unsigned cpu_node(unsigned cpu)
{
	static int cache[1024]; /* node + 1; 0 not read yet */
	unsigned node = 0;
	struct dirent *d;
	char path[64];
	DIR *dir;

	if (cpu < 1024 && cache[cpu])
		return (unsigned)cache[cpu] - 1;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u", cpu);
	dir = opendir(path);
	while (dir && (d = readdir(dir)))
		if (sscanf(d->d_name, "node%u", &node) == 1)
			break;
	if (dir)
		closedir(dir);
	if (cpu < 1024)
		cache[cpu] = (int)node + 1;
	return node;
}

/* fault_type 0/1 (PF_MINOR, PF_MAJOR) as fault_type_str shows it. */
static const char *page_fault_type_str(unsigned type)
{
	return type == 1 ? "MAJOR" : type == 0 ? "MINOR" : "UNKNOWN";
}

struct pf_row {
	struct pf_key key;
	uint64_t count;
};

static void pf_merge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct pf_row *r = row;
	const struct pf_value *v = values;

	(void)nvalues; /* a plain hash: one value */
	memcpy(&r->key, key, sizeof(r->key));
	r->count = v->count;
}

static int pf_by_count_desc(const void *a, const void *b)
{
	const struct pf_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->key.cpu < y->key.cpu ? -1 : x->key.cpu > y->key.cpu;
}

static void pf_collect(struct monitor *m, uint64_t now_ns)
{
	struct agg_batch b = AGG_BATCH(struct pf_row, pf_merge);

	if (monitor_drain_rows(m, "pf_counts", sizeof(struct pf_key), sizeof(struct pf_value),
			       false, &b, pf_by_count_desc) < 0)
		return;
	for (size_t i = 0; i < b.n; i++) {
		const struct pf_row *r = agg_batch_at(&b, i);
		char comm[17];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells };

		snprintf(comm, sizeof(comm), "%.*s", 16, r->key.comm);
		memset(cells, 0, sizeof(cells));
		cells[C_COMM].s = comm;
		cells[C_TYPE].u = r->key.type;
		cells[C_TYPE_STR].s = page_fault_type_str(r->key.type);
		cells[C_CPU].u = r->key.cpu;
		cells[C_NODE].u = r->key.node == PF_NODE_UNKNOWN ? cpu_node(r->key.cpu) :
								   r->key.node;
		cells[C_COUNT].u = r->count;
		monitor_emit(m, &row);
	}
	agg_batch_free(&b);
}

static const struct metric_spec pf_metrics[] = {
	{ "ebpf_monitor_page_faults_total",
	  "Page faults by type (MINOR, MAJOR), CPU and the CPU's NUMA node.",
	  false,
	  C_COUNT,
	  -1,
	  { METRIC_COL("type", C_TYPE_STR), METRIC_COL("cpu", C_CPU),
	    METRIC_COL("node", C_NODE) } },
};

const struct monitor_ops page_fault_monitor_ops = {
	.name = "page_fault",
	.description = "page faults: major and minor per task name, CPU and NUMA node each "
		       "interval",
	.probe_text = em_probe_page_fault,
	.points = pf_points,
	.npoints = sizeof(pf_points) / sizeof(pf_points[0]),
	.columns = pf_columns,
	.ncolumns = C_NCOLS,
	.options = pf_option_specs,
	.options_size = sizeof(struct pf_options),
	.metrics = pf_metrics,
	.nmetrics = sizeof(pf_metrics) / sizeof(pf_metrics[0]),
	.aggregating = true,
	.event_cost_ns = 70,
	.samples = true,
	.configure = pf_configure,
	.collect = pf_collect,
};
