/* page_fault.c - the page_fault monitor: major and minor faults per task name, CPU and NUMA
 * node each interval, from PERF_COUNT_SW_PAGE_FAULTS_MAJ/_MIN (every architecture, RHEL 7.6+).
 * With attribution, per cgroup too: a fault is the faulting task's (it is current when the
 * event fires), so rows of one name in two cgroups are two rows. */
#define LOG_NAME "ebpf_monitor.page_fault"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/attrib.h"
#include "monitors/monitor.h"
#include "monitors/task_slots.h"
#include "probes/attrib.h"
#include "probes/page_fault.h"

struct pf_options {
	long long map_size;
	char *fast_names;
};

/* Kernel memory the fast path's cells may take when fast_names is auto, all CPUs together. */
#define PF_FAST_BUDGET (1u << 20)

static int check_fast_names(const void *value, char *err, size_t errlen)
{
	long long n;

	if (task_slots_parse(*(char *const *)value, &n) == 0)
		return 0;
	snprintf(err, errlen, "must be auto or a number from 0 to %d", TASK_SLOTS_MAX);
	return -EINVAL;
}

static const struct opt_spec pf_option_specs[] = {
	{ "map_size", OPT_INT, offsetof(struct pf_options, map_size), 16, 1048576, NULL, "10240",
	  "distinct (task, type, cpu, node) keys per interval before counting stops" },
	{ "fast_names", OPT_STRING, offsetof(struct pf_options, fast_names), 0, 0, NULL, "auto",
	  "busy task names counted on the fast path (16 bytes of kernel memory per name and CPU); "
	  "auto: as many as fit in 1 MiB, at most 64; 0: none",
	  0, check_fast_names },
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

enum { P_FAULTS, P_TASK_FORK, P_TASK_RENAME };

static const struct attach_point pf_points[] = {
	[P_FAULTS] = { "page_faults", pf_alts, false },
	TASK_SLOTS_POINTS, /* P_TASK_FORK, P_TASK_RENAME */
	ATTRIB_POINTS,
};

/* The fast path (EM_TASK_SLOTS): names with a task slot count in per-CPU cells; user space
 * keeps the cells' last values, per CPU (the CPU is a column), to take differences. */
struct pf_priv {
	unsigned nslots;
	struct task_slots *ts;
	struct pf_fast_value *buf;  /* one value per possible CPU, for a lookup */
	struct pf_fast_value *last; /* per slot and CPU: the values last read */
};

static int pf_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct pf_options *o = m->opts;
	struct pf_priv *p;
	long long want = -1;
	unsigned nslots = 0;

	cflags_add(cf, "-DPF_MAP_ENTRIES=%lld", o->map_size);
	/* The fast path needs per-CPU arrays (4.6); without it, the hash path alone (as before
	 * the fast path existed). */
	(void)task_slots_parse(o->fast_names, &want);
	if (kcheck_map_supported(KMAP_PERCPU_ARRAY))
		nslots = task_slots_size(want, sizeof(struct pf_fast_value),
					 monitor_possible_cpus(), PF_FAST_BUDGET);
	if (nslots)
		cflags_add(cf, "-DEM_TASK_SLOTS=%u", nslots);
	else
		plan->point_off[P_TASK_FORK] = plan->point_off[P_TASK_RENAME] = true;
	/* bpf_get_numa_node_id came with 4.10: without it the probe leaves the node to user
	 * space, which has the same answer (the node of the CPU in the key). The fast path's
	 * cells have no node: there the hash path leaves it to user space too (a helper call
	 * less). */
	if (nslots || !kcheck_bpf(KBPF_NUMA_NODE_ID))
		cflags_add(cf, "-DPF_NODE_FROM_CPU=1");
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "page_fault: out of memory");
		return -ENOMEM;
	}
	p->nslots = nslots;
	m->priv = p;
	return 0;
}

static int pf_start(struct monitor *m)
{
	struct pf_priv *p = m->priv;
	unsigned ncpus = monitor_possible_cpus();

	if (!p->nslots)
		return 0;
	p->buf = calloc(ncpus, sizeof(*p->buf));
	p->last = calloc((size_t)p->nslots * ncpus, sizeof(*p->last));
	if (!p->buf || !p->last)
		return -ENOMEM;
	return task_slots_open(m, p->nslots, &p->ts);
}

static void pf_poll(struct monitor *m)
{
	struct pf_priv *p = m->priv;

	if (p)
		task_slots_poll(p->ts);
}

static void pf_destroy(struct monitor *m)
{
	struct pf_priv *p = m->priv;

	if (!p)
		return;
	task_slots_free(p->ts);
	free(p->buf);
	free(p->last);
	free(p);
	m->priv = NULL;
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
	if (r->key.node == PF_NODE_UNKNOWN)
		r->key.node = cpu_node(r->key.cpu);
}

/* Every field of the key but the epoch (rows of one interval). */
static int pf_by_key(const void *a, const void *b)
{
	const struct pf_key *x = &((const struct pf_row *)a)->key,
			    *y = &((const struct pf_row *)b)->key;
	int c = memcmp(x->comm, y->comm, sizeof(x->comm));

	if (c)
		return c;
	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* The busiest first; equal counts by CPU, then by key (one order for every run). */
static int pf_by_count_desc(const void *a, const void *b)
{
	const struct pf_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->key.cpu != y->key.cpu)
		return x->key.cpu < y->key.cpu ? -1 : 1;
	return pf_by_key(a, b);
}

/* The fast path's counts since the last read, as rows into b, one per (slot, type, CPU) that
 * counted, the node left to user space as the hash path's; then hands the interval to
 * task_slots. */
static void pf_collect_fast(struct monitor *m, struct agg_batch *b)
{
	struct pf_priv *p = m->priv;
	unsigned ncpus = monitor_possible_cpus();
	size_t nhash = b->n, nnames = 0;
	uint64_t *slot_events = calloc(p->nslots, sizeof(*slot_events));
	char(*names)[TASK_KEY_LEN] = calloc(nhash ? nhash : 1, sizeof(*names));
	uint64_t *events = calloc(nhash ? nhash : 1, sizeof(*events));
	int fd = monitor_map_fd(m, "pf_fast");

	if (!slot_events || !names || !events || fd < 0) {
		/* Nothing read: the cells keep counting, the next interval reads the difference. */
		log_warn("page_fault: fast-path counts not read this interval: %s",
			 fd < 0 ? strerror(-fd) : "out of memory");
		goto out;
	}
	/* The hash path's keys, with the kernel's who values. A process the kernel had no class
	 * for (EM_WHO_TGID) cannot have a slot: its key is left out (it would outbid a slot that
	 * it could not take). */
	for (size_t i = 0; i < nhash; i++) {
		const struct pf_row *r = agg_batch_at(b, i);

		if (r->key.who & EM_WHO_TGID)
			continue;
		task_slots_key(r->key.comm, r->key.who, names[nnames]);
		events[nnames++] = r->count;
	}
	for (__u32 slot = 0; slot < p->nslots; slot++) {
		const char *name = task_slots_name(p->ts, slot);

		if (!name || monitor_map_lookup(m, fd, &slot, p->buf) < 0)
			continue;
		for (unsigned c = 0; c < ncpus; c++) {
			struct pf_fast_value *last = &p->last[(size_t)slot * ncpus + c];

			for (unsigned type = PF_MINOR; type <= PF_MAJOR; type++) {
				struct pf_key k = { 0 };
				struct pf_value d = { p->buf[c].count[type] - last->count[type] };

				if (!d.count)
					continue;
				slot_events[slot] += d.count;
				memcpy(k.comm, name, sizeof(k.comm));
				k.who = task_slots_key_who(name);
				k.type = type;
				k.cpu = c;
				k.node = PF_NODE_UNKNOWN;
				agg_batch_collect(b, &k, &d, 1);
			}
			*last = p->buf[c];
		}
	}
	task_slots_interval(p->ts, slot_events, (const char(*)[TASK_KEY_LEN])names, events, nnames);
out:
	free(slot_events);
	free(names);
	free(events);
}

/* Two rows of one key become one (agg_batch_coalesce). */
static void pf_add(void *into, const void *from)
{
	((struct pf_row *)into)->count += ((const struct pf_row *)from)->count;
}

static void pf_collect(struct monitor *m, uint64_t now_ns)
{
	const struct pf_priv *p = m->priv;
	struct agg_batch b = AGG_BATCH(struct pf_row, pf_merge);

	if (monitor_drain_rows(m, "pf_counts", sizeof(struct pf_key), sizeof(struct pf_value),
			       false, &b, pf_by_count_desc) < 0)
		return;
	if (p && p->ts)
		pf_collect_fast(m, &b);
	/* who values into classes: a process the kernel had no class for is resolved now, so
	 * rows of two who values may be one */
	if (m->attrib)
		monitor_who_rows(m, &b, offsetof(struct pf_row, key.who));
	if ((p && p->ts) || m->attrib) {
		agg_batch_coalesce(&b, pf_by_key, pf_add);
		agg_batch_sort(&b, pf_by_count_desc);
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct pf_row *r = agg_batch_at(&b, i);
		char comm[17];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells, NULL, r->key.who };

		snprintf(comm, sizeof(comm), "%.*s", 16, r->key.comm);
		memset(cells, 0, sizeof(cells));
		cells[C_COMM].s = comm;
		cells[C_TYPE].u = r->key.type;
		cells[C_TYPE_STR].s = page_fault_type_str(r->key.type);
		cells[C_CPU].u = r->key.cpu;
		cells[C_NODE].u = r->key.node;
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
		       "interval (attribution: the faulting task's cgroup)",
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
	.key_columns = MONITOR_COL(C_COMM) | MONITOR_COL(C_TYPE) | MONITOR_COL(C_CPU) |
		       MONITOR_COL(C_NODE),
	.counts = "page faults",
	.event_cost_ns = 70,
	.samples = true,
	.configure = pf_configure,
	.start = pf_start,
	.collect = pf_collect,
	.poll = pf_poll,
	.destroy = pf_destroy,
};
