/* context_switch.c - the context_switch monitor: switches per (cpu, previous task, next task)
 * each interval, with the voluntary/involuntary split of /proc/<pid>/status.
 *
 * Attribution: a switch is the task switched out's (prev: its voluntary/involuntary split is
 * prev's, as /proc/<prev>/status counts it, and prev is the task the filters judge), so rows
 * carry prev's cgroup, unit, container and pod; a pair whose prev tasks are of two cgroups is two
 * rows. The idle task is no process: its rows (prev_comm <idle>) have no class, their columns
 * are empty, and attribution filters leave them out (the probe does not count them then). */
#define LOG_NAME "ebpf_monitor.context_switch"

#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/attrib.h"
#include "probes/context_switch.h"
#include "monitors/context_switch_rules.h"
#include "core/kversion.h"
#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/attrib.h"
#include "monitors/monitor.h"
#include "monitors/task_slots.h"
#include "core/tracefs.h"

/* The idle task (pid 0) is shown under this name in both comm columns. */
#define CS_IDLE_NAME "<idle>"

struct cs_options {
	long long min_switches;
	long long map_size;
	char *fast_names;
};

/* The fast path's cells are a matrix of slot pairs, a row of 64 cells of 8 bytes per slot and
 * CPU (512 bytes; one more row for the idle task), at most 62 slots (32 KiB per CPU). Auto sizes
 * it to this, all CPUs together. */
#define CS_FAST_BUDGET (4u << 20)

static int check_fast_names(const void *value, char *err, size_t errlen)
{
	long long n;

	if (task_slots_parse(*(char *const *)value, &n) == 0 && n <= CS_FAST_MAX_SLOTS)
		return 0;
	snprintf(err, errlen, "must be auto or a number from 0 to %d", CS_FAST_MAX_SLOTS);
	return -EINVAL;
}

static const struct opt_spec cs_option_specs[] = {
	{ "min_switches", OPT_INT, offsetof(struct cs_options, min_switches), 0, 1e12, NULL, "10",
	  "rows only for pairs that switched at least this often in the interval" },
	{ "map_size", OPT_INT, offsetof(struct cs_options, map_size), 16, 1048576, NULL, "10240",
	  "distinct (cpu, prev, next) triples per interval before counting stops" },
	{ "fast_names", OPT_STRING, offsetof(struct cs_options, fast_names), 0, 0, NULL, "auto",
	  "busy task names whose switches are counted on the fast path (512 bytes of kernel "
	  "memory per name and CPU); auto: as many as fit in 4 MiB, at most 62; 0: none",
	  0, check_fast_names },
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

enum { P_SWITCH, P_TASK_FORK, P_TASK_RENAME };

static const struct attach_point cs_points[] = {
	[P_SWITCH] = { "sched_switch", cs_alts, false },
	TASK_SLOTS_POINTS, /* P_TASK_FORK, P_TASK_RENAME */
	ATTRIB_POINTS,
};

/* The fast path (EM_TASK_SLOTS): pairs of names with task slots count in per-CPU cells
 * (probes/context_switch.h); user space keeps every cell's last value, per CPU (the CPU is a
 * column), to take differences. Slot nslots is the idle task's, in rows and cells. */
struct cs_priv {
	unsigned nslots;
	struct task_slots *ts;
	uint64_t *buf;	/* the cells of every possible CPU, for a lookup */
	uint64_t *last; /* the same: the values last read */
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

	struct cs_priv *p;
	long long want = -1;
	unsigned nslots = 0;

	cflags_add(cf, "-DCS_MAP_ENTRIES=%lld", o->map_size);
	/* The idle task's switches out are no unit's, container's or cgroup's: with those
	 * filters their rows would all be left out, so the probe does not count them. */
	if (m->cfg->filters.nunits || m->cfg->filters.ncontainers || m->cfg->filters.ncgroups)
		cflags_add(cf, "-DCS_IDLE_SKIPPED=1");
	/* The fast path needs per-CPU arrays (4.6); without it, the hash path alone (as before
	 * the fast path existed). */
	(void)task_slots_parse(o->fast_names, &want);
	if (kcheck_map_supported(KMAP_PERCPU_ARRAY))
		nslots = task_slots_size(want, CS_FAST_COLS * sizeof(uint64_t),
					 monitor_possible_cpus(), CS_FAST_BUDGET);
	if (nslots > CS_FAST_MAX_SLOTS)
		nslots = CS_FAST_MAX_SLOTS;
	if (nslots)
		cflags_add(cf, "-DEM_TASK_SLOTS=%u", nslots);
	else
		plan->point_off[P_TASK_FORK] = plan->point_off[P_TASK_RENAME] = true;
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
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "context_switch: out of memory");
		return -ENOMEM;
	}
	p->nslots = nslots;
	m->priv = p;
	return 0;
}

static int cs_start(struct monitor *m)
{
	struct cs_priv *p = m->priv;
	size_t ncpus = monitor_possible_cpus();

	if (!p->nslots)
		return 0;
	p->buf = calloc(ncpus, CS_FAST_BYTES(p->nslots));
	p->last = calloc(ncpus, CS_FAST_BYTES(p->nslots));
	if (!p->buf || !p->last)
		return -ENOMEM;
	return task_slots_open(m, p->nslots, &p->ts);
}

static void cs_poll(struct monitor *m)
{
	struct cs_priv *p = m->priv;

	if (p)
		task_slots_poll(p->ts);
}

static void cs_destroy(struct monitor *m)
{
	struct cs_priv *p = m->priv;

	if (!p)
		return;
	task_slots_free(p->ts);
	free(p->buf);
	free(p->last);
	free(p);
	m->priv = NULL;
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
	/* The idle task is one whatever its comm ("swapper/N"): the rows of both paths meet. */
	if (r->key.prev_idle)
		memset(r->key.prev_comm, 0, sizeof(r->key.prev_comm));
	if (r->key.next_idle)
		memset(r->key.next_comm, 0, sizeof(r->key.next_comm));
}

/* Every field of the key but the epoch (rows of one interval). */
static int cs_by_key(const void *a, const void *b)
{
	const struct cs_key *x = &((const struct cs_row *)a)->key,
			    *y = &((const struct cs_row *)b)->key;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	if (x->prev_idle != y->prev_idle)
		return x->prev_idle < y->prev_idle ? -1 : 1;
	if (x->next_idle != y->next_idle)
		return x->next_idle < y->next_idle ? -1 : 1;
	if (memcmp(x->prev_comm, y->prev_comm, sizeof(x->prev_comm)))
		return memcmp(x->prev_comm, y->prev_comm, sizeof(x->prev_comm));
	return memcmp(x->next_comm, y->next_comm, sizeof(x->next_comm));
}

/* The busiest first; equal counts by CPU, then by key (one order for every run). */
static int cs_by_count_desc(const void *a, const void *b)
{
	const struct cs_row *x = a, *y = b;

	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	if (x->key.cpu != y->key.cpu)
		return x->key.cpu < y->key.cpu ? -1 : 1;
	return cs_by_key(a, b);
}

/* The name of slot i in the fast path's cells: NULL for a free slot; "" for the idle task (*idle
 * set). */
static const char *cs_fast_name(const struct cs_priv *p, unsigned i, bool *idle)
{
	*idle = i == p->nslots;
	return *idle ? "" : task_slots_name(p->ts, i);
}

/* The fast path's counts since the last read, as rows into b, one per (prev, next, CPU) that
 * switched, of prev's who value (its slot's); then hands the interval to task_slots, with what
 * each slot took part in.
 *
 * The hash path's names, for task_slots to give slots to: without attribution both sides of
 * each pair, as a slot counts both (a slot's events are its switches out and in). With it, a
 * slot is a (name, who) pair's and the key has no who for next: prev's side alone, each switch
 * counted twice (a task without a slot is switched in on the hash path as often as it is
 * switched out there, about), so that the two compare as before. A process the kernel had no
 * class for (EM_WHO_TGID) cannot have a slot: its name is left out (it would outbid a slot that
 * it could not take). */
static void cs_collect_fast(struct monitor *m, struct agg_batch *b)
{
	struct cs_priv *p = m->priv;
	unsigned ncpus = monitor_possible_cpus(), rows = CS_FAST_ROWS(p->nslots);
	size_t nhash = b->n, nnames = 0, cpu_cells = CS_FAST_BYTES(p->nslots) / sizeof(uint64_t);
	uint64_t *slot_events = calloc(rows, sizeof(*slot_events));
	__u32 zero = 0;
	char(*names)[TASK_KEY_LEN] = calloc(nhash ? 2 * nhash : 1, sizeof(*names));
	uint64_t *events = calloc(nhash ? 2 * nhash : 1, sizeof(*events));
	int fd = monitor_map_fd(m, "cs_fast"), rc = 0;

	if (!slot_events || !names || !events || fd < 0 ||
	    (rc = monitor_map_lookup(m, fd, &zero, p->buf)) < 0) {
		/* Nothing read: the cells keep counting, the next interval reads the difference. */
		log_warn("context_switch: fast-path counts not read this interval: %s",
			 fd < 0 ? strerror(-fd) :
			 rc < 0 ? strerror(-rc) :
				  "out of memory");
		goto out;
	}
	/* The hash path's names (the idle task is nobody's name), with the kernel's who values. */
	for (size_t i = 0; i < nhash; i++) {
		const struct cs_row *r = agg_batch_at(b, i);

		if (!r->key.prev_idle && !(r->key.who & EM_WHO_TGID)) {
			task_slots_key(r->key.prev_comm, r->key.who, names[nnames]);
			events[nnames++] = m->attrib ? 2 * r->v.count : r->v.count;
		}
		if (!r->key.next_idle && !m->attrib) {
			task_slots_key(r->key.next_comm, 0, names[nnames]);
			events[nnames++] = r->v.count;
		}
	}
	for (unsigned ps = 0; ps < rows; ps++) {
		bool prev_idle, next_idle;
		const char *prev = cs_fast_name(p, ps, &prev_idle);

		for (unsigned ns = 0; prev && ns < rows; ns++) {
			const char *next = cs_fast_name(p, ns, &next_idle);

			for (unsigned c = 0; next && c < ncpus; c++) {
				size_t i = c * cpu_cells + CS_FAST_HEAD / sizeof(uint64_t) +
					   (size_t)ps * CS_FAST_COLS + ns;
				/* modulo 2^64: see probes/context_switch.h */
				uint64_t d = p->buf[i] - p->last[i];
				struct cs_key k = { 0 };
				struct cs_value v = { d >> 32, (uint32_t)d, 0 };

				p->last[i] = p->buf[i];
				if (!v.count)
					continue;
				if (!prev_idle)
					v.involuntary = v.count - v.voluntary;
				else
					v.voluntary = 0; /* never counted: not a real task */
				slot_events[ps] += v.count;
				if (ns != ps)
					slot_events[ns] += v.count;
				k.cpu = c;
				k.who = prev_idle ? 0 : task_slots_key_who(prev);
				k.prev_idle = prev_idle;
				k.next_idle = next_idle;
				memcpy(k.prev_comm, prev, prev_idle ? 0 : sizeof(k.prev_comm));
				memcpy(k.next_comm, next, next_idle ? 0 : sizeof(k.next_comm));
				agg_batch_collect(b, &k, &v, 1);
			}
		}
	}
	task_slots_interval(p->ts, slot_events, (const char(*)[TASK_KEY_LEN])names, events, nnames);
out:
	free(slot_events);
	free(names);
	free(events);
}

/* Two rows of one key become one (agg_batch_coalesce). */
static void cs_add(void *into, const void *from)
{
	struct cs_row *x = into;
	const struct cs_row *y = from;

	x->v.count += y->v.count;
	x->v.voluntary += y->v.voluntary;
	x->v.involuntary += y->v.involuntary;
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
	const struct cs_priv *p = m->priv;
	struct agg_batch b = AGG_BATCH(struct cs_row, cs_merge);

	if (monitor_drain_rows(m, "cs_counts", sizeof(struct cs_key), sizeof(struct cs_value),
			       false, &b, cs_by_count_desc) < 0)
		return;
	if (p && p->ts)
		cs_collect_fast(m, &b);
	if (m->attrib) {
		/* prev's who value into its class (a process the kernel had no class for is
		 * resolved now, so rows of two who values may be one); the idle task has none */
		for (size_t i = 0; i < b.n; i++) {
			struct cs_row *r = (struct cs_row *)agg_batch_at(&b, i);

			r->key.who = r->key.prev_idle ? ATTRIB_NONE : monitor_who(m, r->key.who);
		}
	}
	if ((p && p->ts) || m->attrib) {
		agg_batch_coalesce(&b, cs_by_key, cs_add);
		agg_batch_sort(&b, cs_by_count_desc);
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct cs_row *r = agg_batch_at(&b, i);
		char prev[17], next[17];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells, NULL, r->key.who };

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
		       "involuntary (attribution: the cgroup of the task switched out)",
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
	.key_columns = MONITOR_COL(C_PREV) | MONITOR_COL(C_NEXT) | MONITOR_COL(C_CPU),
	.counts = "context switches",
	.event_cost_ns = 60,
	.samples = true,
	.configure = cs_configure,
	.start = cs_start,
	.collect = cs_collect,
	.poll = cs_poll,
	.destroy = cs_destroy,
};
