/* monitor.h - the monitor interface: what a monitor declares and the callbacks the core calls. */
#ifndef EM_MONITOR_H
#define EM_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitors/agg.h"
#include "monitors/keyset.h"
#include "bpf/attach.h"
#include "core/config.h"
#include "monitors/maps.h"
#include "output/metric.h"
#include "core/options.h"
#include "output/row.h"

struct monitor;

#define MONITOR_MAX_POINTS 72
#define MONITOR_COL(c) (1ULL << (c)) /* a column in monitor_ops.key_columns */

/* -D flags a monitor passes to its probe text. */
struct cflags {
	char *v[32];
	int n;
};
int cflags_add(struct cflags *cf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What configure() asks of the framework, which applies it: monitors never write the
 * framework's fields of struct monitor. Preset from the ops (the filters' flags already in
 * cflags) before configure() runs. */
struct monitor_plan {
	/* -D flags for the probe text */
	struct cflags cflags;
	/* the ops' points, or the monitor's own (func) */
	const struct attach_point *points;
	size_t npoints;
	/* points not to attach (a feature switched off) */
	bool point_off[MONITOR_MAX_POINTS];
	/* the ops' columns, or fewer: trailing extras dropped */
	size_t ncolumns;
	/* per CPU, a power of two */
	unsigned perf_pages;
};

struct monitor_ops {
	const char *name;         /* YAML key, CSV stem, log prefix */
	const char *description;  /* one line for --help */
	const char *probe_text;   /* embedded probes/<name>.bpf.c */
	const struct attach_point *points;
	size_t npoints;
	const struct column *columns;
	size_t ncolumns;
	const struct opt_spec *options; /* monitor-specific keys, OPT_END-terminated */
	size_t options_size;
	const struct metric_spec *metrics; /* what its rows become in the Prometheus sink */
	size_t nmetrics;
	bool aggregating;         /* rows at the end of each interval */
	/* Aggregating: the columns that make a row's key (MONITOR_COL bits; with the attribution
	 * class), for the distinct keys the stop reports; and what one count is, plural. */
	uint64_t key_columns;
	const char *counts;
	/* Under an overhead budget its probe samples 1 event in N (em_sample_skip in
	 * probes/common.h, compiled in with EM_SAMPLING) and its rows get a sample_rate column. */
	bool samples;
	/* Its probes' run time per event (ns; measured by the kernel's statistics on the machine
	 * of bench/README.md, 2026-12-06, with a mixed load), for the cost estimate where the
	 * kernel keeps none (monitors/sampling.h); 0: MONITOR_EVENT_COST_NS. */
	unsigned event_cost_ns;
	const char *perf_map;     /* BPF_PERF_OUTPUT map read by on_event, or NULL */

	/* Options -> the plan (flags, points, columns); may reject a combination with a message.
	 * May set priv. Before compiling. */
	int (*configure)(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen);
	/* After load and attach: seed maps etc. May be NULL. */
	int (*start)(struct monitor *m);
	/* One perf record. Returns whether it was an event (stats.events counts those): a record
	 * that is a piece of one (exec before 4.18) returns false, the event counts when whole. */
	bool (*on_event)(struct monitor *m, int cpu, const void *data, int size);
	/* End of an interval (aggregating) or a periodic tick; emits rows. May be NULL. */
	void (*collect)(struct monitor *m, uint64_t now_ns);
	/* Every 0.1 s (the loop's perf-buffer poll), for what cannot wait for the interval's
	 * end; cheap. May be NULL. */
	void (*poll)(struct monitor *m);
	void (*destroy)(struct monitor *m); /* frees priv; NULL-safe on a half-built monitor */
};

struct monitor_stats {
	uint64_t events;          /* perf events received (whole: pieces of one are not counted) */
	uint64_t rows;            /* rows emitted */
	uint64_t lost_perf;       /* perf buffer overruns (lost_cb) */
	uint64_t lost_map_full;   /* kernel map updates that failed */
	uint64_t lost_unmatched;  /* entry/exit pairs that never matched */
	uint64_t lost_recursion;  /* program runs the kernel skipped (another BPF program was
				     running on that CPU, e.g. an IRQ during a softirq probe) */
	uint64_t reported_lost;   /* total already logged */
	uint64_t unattributed;	  /* counted under cgroup "unknown": the process was gone
				     before its cgroup could be read (attribution) */
	uint64_t filtered_rows;	  /* rows the attribution filters kept out in user space */
	struct keyset keys;	  /* aggregating: the distinct keys of the rows emitted */
};

/* The overhead budget's side of a monitor (sampling.c): what it cost, how it samples. */
struct monitor_sampling {
	bool on;	     /* the probe samples (EM_SAMPLING): rows carry sample_rate */
	unsigned rate;	     /* N in the probe's em_sample_n now (1: every event counted) */
	unsigned since_flip; /* the largest N in effect since the epoch last flipped */
	unsigned mark;	     /* the rows being drained: the largest N their interval saw */
	int count_col;	     /* the "count" column, or -1: events for the estimate without stats */
	uint64_t counted;    /* the count column summed over the rows emitted */
	/* the last readings, and what they gave over the last tick */
	bool primed;
	double measured_at, events_at; /* CLOCK_MONOTONIC s: last reading; events last grew */
	uint64_t run_ns, run_cnt, seen, events;
	double cost;	     /* fraction of one CPU */
	double events_per_s; /* runs of the sampling line (sampling), else rows' counts */
	/* the cost model (sampling.c): ns per event when every event is counted, and per event
	 * skipped; from the kernel's statistics when it keeps them (measured: how many times) */
	double ns_full, ns_skip;
	unsigned measured_full, measured_skip;
	double window_cost; /* the last measurement window's cost (a monitor that does not
			       sample is held at it between windows) */
	unsigned calm;	    /* the controller's (budget.h) */
	bool floor_warned;  /* "cannot be held at the lowest rate" said, until it changes */
	bool raise_pending; /* the last step wanted a higher rate: this one confirms it */
};

/* A running monitor. A monitor's callbacks use ops, cfg, opts, priv, columns/ncolumns,
 * interval_end_ns and stats (its loss counters); the rest is the framework's (lifecycle.c,
 * maps.c, the runtime), set from the plan. Maps are reached through maps.h. */
struct monitor {
	const struct monitor_ops *ops;
	struct monitor_cfg *cfg;
	void *opts;               /* cfg->opts, typed by the monitor */
	void *priv;
	struct bpf_mod *bpf;
	int stream;               /* sink stream id */
	const struct column *columns; /* the ops' columns (plan.ncolumns of them), then the
					 attribution columns, then sample_rate when sampling */
	size_t ncolumns;
	size_t nown;		  /* the ops' columns in rows: plan.ncolumns */
	size_t nattrib;		  /* attribution columns after them */
	struct attrib *attrib;	  /* attribution (monitors/attrib.h); NULL when off */
	uint32_t epoch;           /* em_epoch's current value (aggregating monitors) */
	uint64_t interval_end_ns; /* CLOCK_REALTIME end of the interval being drained */
	bool drain_pending;       /* flipped, grace period not over, not drained yet */
	unsigned perf_pages;	  /* per CPU, power of two: the plan's */
	const struct attach_point *points; /* the plan's */
	size_t npoints;
	const struct attach_alt *chosen[MONITOR_MAX_POINTS]; /* per point; NULL: not attached */
	char *not_chosen[MONITOR_MAX_POINTS]; /* per point: why preferred alternatives failed */
	bool point_off[MONITOR_MAX_POINTS];   /* the plan turned the point off (no latency) */
	struct monitor_stats stats;
	uint64_t mono_to_real_ns; /* add to bpf_ktime_get_ns() for CLOCK_REALTIME */
	struct monitor_host *host;
	struct monitor_sampling sample;
};

/* Sends one row to every sink: r's cells are the monitor's own columns; the attribution cells
 * (from r->who) and sample_rate are added here. A row of a class the attribution filters leave
 * out is not sent (counted in stats.filtered_rows). */
void monitor_emit(struct monitor *m, const struct row *r);
/* Every 0.1 s (the loop's perf-buffer poll): the monitor's poll and the framework's. */
void monitor_poll(struct monitor *m);

/* Where rows go; owned by main. */
struct monitor_host {
	struct sink *sinks[8];
	size_t nsinks;
	/* Long loops (draining a map, emitting its rows) call this now and then (may be NULL):
	 * the Prometheus endpoint answers a scrape meanwhile. */
	void (*yield)(void *yield_ctx);
	void *yield_ctx;
};

/* Setting a monitor up: configure -> compile -> attach every point -> start -> perf buffers,
 * in two steps so that several monitors' compiles overlap: begin configures and starts the
 * compile (in a child process), end waits for it and does the rest. After a failed begin the
 * monitor is torn down; after a successful one, end must follow (it tears down on failure,
 * err saying why, with each attach alternative's reason). */
int monitor_setup_begin(struct monitor *m, const struct monitor_ops *ops,
			struct monitor_cfg *cfg, struct monitor_host *host, char *err,
			size_t errlen);
int monitor_setup_end(struct monitor *m, char *err, size_t errlen);
void monitor_teardown(struct monitor *m); /* NULL-safe, idempotent */
/* Whether point i (an index into the plan's points) is attached. */
bool monitor_point_attached(const struct monitor *m, size_t i);
/* Reads the probe's loss counters; logs what is new. */
void monitor_check_losses(struct monitor *m);
/* CLOCK_REALTIME - CLOCK_MONOTONIC, refreshed by the caller now and then (NTP steps). */
uint64_t monitor_clock_offset(void);
/* The config schemas of every built monitor, for config_load(). */
size_t monitor_schemas(struct monitor_schema *out, size_t max);

/* Converts a bpf_ktime_get_ns() value to CLOCK_REALTIME ns. */
static inline uint64_t monitor_ktime_to_real(const struct monitor *m, uint64_t ktime)
{
	return ktime + m->mono_to_real_ns;
}

/* The registry: every built monitor, from monitors.def. */
#define MONITOR(n)                                                                           \
	extern const struct monitor_ops n##_monitor_ops;                                     \
	extern const char em_probe_##n[];
#include "monitors/monitors.def"
#undef MONITOR

extern const struct monitor_ops *const monitor_registry[];
extern const size_t monitor_registry_count;
const struct monitor_ops *monitor_find(const char *name);
/* The values of a monitor's attach: key: "auto", then the distinct names of its points'
 * alternatives in first-seen order; NULL-terminated, computed once per registry monitor.
 * Names past MONITOR_MAX_CHOICES - 2 are left out (the unit tests check none is); a monitor
 * outside the registry gets only "auto". */
#define MONITOR_MAX_CHOICES 16
const char *const *monitor_attach_choices(const struct monitor_ops *o);

#endif
