/* bio.c - the bio monitor: per interval, block I/O requests per (task name, io type, device,
 * and with attribution the submitting process's class: see probes/bio.h) with bytes, latency
 * (issue to completion: avg, min, max, p50, p99) and throughput, sorted by bytes. Record
 * layouts come from the running kernel's tracefs format files. */
#define LOG_NAME "ebpf_monitor.bio"

#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "probes/bio.h"
#include "monitors/attrib.h"
#include "monitors/bio_util.h"
#include "core/log.h"
#include "monitors/monitor.h"
#include "core/tracefs.h"

/* An issued request with no completion for this long is counted as unmatched and dropped
 * (its completion was missed); a submitter never issued (merged away) is dropped silently. */
#define BIO_STALE_NS (60ull * 1000000000ull)
/* How often collect() sweeps. Each lookup of the sweep holds off this CPU's tracepoint
 * programs for its duration (the kernel's bpf_prog_active): a completion interrupting it is
 * skipped and counted as lost. So not every interval: stale means a minute old anyway. */
#define BIO_SWEEP_EVERY_NS (10ull * 1000000000ull)
/* At the stop, requests in flight for longer than this are reported (bio_destroy()). */
#define BIO_LATE_AT_STOP_NS 1000000000ull

struct bio_options {
	long long min_latency_us;
	long long map_size;
};

static const struct opt_spec bio_option_specs[] = {
	{ "min_latency_us", OPT_INT, offsetof(struct bio_options, min_latency_us), 0, 3.6e9, NULL,
	  "0",
	  "requests completing faster than this (microseconds, issue to completion) are not "
	  "counted" },
	{ "map_size", OPT_INT, offsetof(struct bio_options, map_size), 16, 1048576, NULL, "10240",
	  "requests in flight, and distinct (task name, io type, device) per interval, before "
	  "counting stops" },
	OPT_END,
};

enum {
	C_TS,
	C_TIMESTR,
	C_COMM,
	C_IO_TYPE,
	C_IO_TYPE_STR,
	C_COUNT,
	C_BYTES,
	C_SIZE_MB,
	C_AVG_LAT,
	C_MIN_LAT,
	C_MAX_LAT,
	C_THROUGHPUT,
	C_DEVICE,
	C_P50_LAT,
	C_P99_LAT,
	C_NCOLS
};

static const struct column bio_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_COMM] = { "comm", COL_STR, 0, 16 },
	[C_IO_TYPE] = { "io_type", COL_U64, 0, 0 },
	[C_IO_TYPE_STR] = { "io_type_str", COL_STR, 0, 11 },
	[C_COUNT] = { "count", COL_U64, 0, 8 },
	[C_BYTES] = { "total_bytes", COL_U64, 0, 0 },
	[C_SIZE_MB] = { "size_mb", COL_F64, 3, 10 },
	[C_AVG_LAT] = { "avg_latency_us", COL_F64, 3, 14 },
	[C_MIN_LAT] = { "min_latency_us", COL_F64, 3, 0 },
	[C_MAX_LAT] = { "max_latency_us", COL_F64, 3, 14 },
	[C_THROUGHPUT] = { "throughput_mbps", COL_F64, 3, 15 },
	[C_DEVICE] = { "device", COL_STR, 0, 8 },
	[C_P50_LAT] = { "p50_latency_us", COL_F64, 3, 0 },
	[C_P99_LAT] = { "p99_latency_us", COL_F64, 3, 0 },
};

/* Completion first: a request issued after issue is attached then always finds it; requeue
 * before issue: a requeued request is never taken for a second one. */
enum { P_COMPLETE, P_REQUEUE, P_ISSUE, P_INSERT };

static const struct probe_spec complete_tp[] = {
	{ ATTACH_TRACEPOINT, "block:block_rq_complete", "tp_rq_complete" },
	{ 0 },
};
static const struct probe_spec issue_tp[] = {
	{ ATTACH_TRACEPOINT, "block:block_rq_issue", "tp_rq_issue" },
	{ 0 },
};
static const struct probe_spec requeue_tp[] = {
	{ ATTACH_TRACEPOINT, "block:block_rq_requeue", "tp_rq_requeue" },
	{ 0 },
};
static const struct probe_spec insert_tp[] = {
	{ ATTACH_TRACEPOINT, "block:block_rq_insert", "tp_rq_insert" },
	{ 0 },
};

/* Raw tracepoints would hand over a struct request *: reading it needs matching kernel
 * headers, which this product does not assume. */
static const struct attach_alt complete_alts[] = { { "tracepoint", complete_tp }, { NULL, NULL } };
static const struct attach_alt issue_alts[] = { { "tracepoint", issue_tp }, { NULL, NULL } };
static const struct attach_alt requeue_alts[] = { { "tracepoint", requeue_tp }, { NULL, NULL } };
static const struct attach_alt insert_alts[] = { { "tracepoint", insert_tp }, { NULL, NULL } };

static const struct attach_point bio_points[] = {
	[P_COMPLETE] = { "rq_complete", complete_alts, false },
	/* Its layout known, it must attach: the probe then relies on it (see bio.bpf.c). */
	[P_REQUEUE] = { "rq_requeue", requeue_alts, false },
	[P_ISSUE] = { "rq_issue", issue_alts, false },
	/* Without it, a request issued from a kworker is charged to the kworker. */
	[P_INSERT] = { "rq_insert", insert_alts, true },
	ATTRIB_POINTS,
};

#define BIO_DEV_CACHE 64

struct bio_priv {
	uint64_t interval_start_ns; /* CLOCK_REALTIME start of the interval being collected */
	uint64_t last_sweep_ns;	    /* CLOCK_MONOTONIC */
	uint64_t swept;		    /* stale requests the sweep dropped, in total */
	struct {
		uint32_t dev;
		char name[64];
	} devs[BIO_DEV_CACHE];
	size_t ndevs;
};

/* The record fields the probe reads. */
enum bio_need {
	BIO_REQUIRED,
	BIO_OPTIONAL,
	BIO_ATTRIBUTION, /* all or none: rq_insert */
	BIO_REQUEUE,	 /* all or none: rq_requeue */
};

static const struct bio_field {
	const char *event, *field, *macro; /* the probe gets -D<macro>_OFF */
	int min_size, max_size;
	const char *size_macro; /* the same size in every event of a kernel: passed once */
	enum bio_need need;
} bio_fields[] = {
/* clang-format off */
#define BIO_REQUEST_FIELDS(ev, EV, need)                                                    \
	{ ev, "dev", "BIO_" EV "_DEV", 4, 4, NULL, need },                                  \
	{ ev, "sector", "BIO_" EV "_SECTOR", 4, 8, "BIO_SECTOR_SIZE", need },               \
	{ ev, "nr_sector", "BIO_" EV "_NR_SECTOR", 4, 4, NULL, need },                      \
	{ ev, "rwbs", "BIO_" EV "_RWBS", 1, BIO_RWBS_MAX, "BIO_RWBS_SIZE", need }
	BIO_REQUEST_FIELDS("block_rq_issue", "ISSUE", BIO_REQUIRED),
	{ "block_rq_issue", "bytes", "BIO_ISSUE_BYTES", 4, 4, NULL, BIO_OPTIONAL },
	BIO_REQUEST_FIELDS("block_rq_complete", "COMPLETE", BIO_REQUIRED),
	BIO_REQUEST_FIELDS("block_rq_insert", "INSERT", BIO_ATTRIBUTION),
	{ "block_rq_insert", "bytes", "BIO_INSERT_BYTES", 4, 4, NULL, BIO_OPTIONAL },
	BIO_REQUEST_FIELDS("block_rq_requeue", "REQUEUE", BIO_REQUEUE),
#undef BIO_REQUEST_FIELDS
	/* clang-format on */
};
#define BIO_NFIELDS (sizeof(bio_fields) / sizeof(bio_fields[0]))

/* Finds f in the running kernel's format file. 0, or -errno with err saying why. */
static int bio_field_find(const struct bio_field *f, int *ret_off, int *ret_size, char *err,
			  size_t errlen)
{
	int r = tracefs_field("block", f->event, f->field, ret_off, ret_size);

	if (r == 0 && (*ret_size < f->min_size || *ret_size > f->max_size)) {
		snprintf(err, errlen,
			 "bio: block:%s's field %s has size %d, expected %d..%d: a record layout "
			 "this version does not know",
			 f->event, f->field, *ret_size, f->min_size, f->max_size);
		return -EPROTO;
	}
	if (r == 0)
		return 0;
	if (!tracefs_path())
		snprintf(err, errlen,
			 "bio: tracefs is not mounted, so the block tracepoints' "
			 "layout is unknown (mount -t tracefs nodev /sys/kernel/tracing)");
	else if (!tracefs_event_exists("block", f->event))
		snprintf(err, errlen, "bio: no tracepoint block:%s in this kernel", f->event);
	else if (r == -ENOENT)
		snprintf(err, errlen, "bio: block:%s has no field %s in this kernel", f->event,
			 f->field);
	else
		snprintf(err, errlen, "bio: reading the format of block:%s failed: %s", f->event,
			 strerror(-r));
	return r;
}

/* Record offsets (and sizes) from tracefs become -D flags for the probe. The required
 * events come first in bio_fields: their sizes are the ones the others must match. */
static int bio_layout_flags(struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	int off[BIO_NFIELDS], size[BIO_NFIELDS], found[BIO_NFIELDS];
	int sector_size = 0, rwbs_size = 0;
	bool group_ok[BIO_REQUEUE + 1] = { true, true, true, true };
	char why[256];

	for (size_t i = 0; i < BIO_NFIELDS; i++) {
		const struct bio_field *f = &bio_fields[i];
		int r = bio_field_find(f, &off[i], &size[i], why, sizeof(why));
		int *shared = NULL;

		if (f->size_macro)
			shared = strcmp(f->size_macro, "BIO_SECTOR_SIZE") ? &rwbs_size :
									    &sector_size;

		if (!r && shared && *shared && size[i] != *shared) {
			snprintf(why, sizeof(why),
				 "bio: block:%s's field %s has size %d, other block events %d: a "
				 "record layout this version does not know",
				 f->event, f->field, size[i], *shared);
			r = -EPROTO;
		}
		if (!r && shared)
			*shared = size[i];
		found[i] = r == 0;
		if (!r || f->need == BIO_OPTIONAL || !group_ok[f->need])
			continue;
		if (f->need == BIO_REQUIRED) {
			snprintf(err, errlen, "%s", why);
			return r;
		}
		group_ok[f->need] = false;
		log_warn("%s; %s", why,
			 f->need == BIO_ATTRIBUTION ?
				 "requests issued from kworkers are charged to the kworker" :
				 "a second request at a sector in flight is taken for a requeue");
	}
	plan->point_off[P_INSERT] = !group_ok[BIO_ATTRIBUTION];
	plan->point_off[P_REQUEUE] = !group_ok[BIO_REQUEUE];
	for (size_t i = 0; i < BIO_NFIELDS; i++) {
		if (found[i] && group_ok[bio_fields[i].need])
			cflags_add(cf, "-D%s_OFF=%d", bio_fields[i].macro, off[i]);
	}
	cflags_add(cf, "-DBIO_SECTOR_SIZE=%d", sector_size);
	return cflags_add(cf, "-DBIO_RWBS_SIZE=%d", rwbs_size) ? -E2BIG : 0;
}

static int bio_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct bio_options *o = m->opts;

	m->priv = calloc(1, sizeof(struct bio_priv));
	if (!m->priv) {
		snprintf(err, errlen, "bio: out of memory");
		return -ENOMEM;
	}
	cflags_add(cf, "-DBIO_MAP_ENTRIES=%lld", o->map_size);
	if (o->min_latency_us > 0)
		cflags_add(cf, "-DBIO_MIN_LAT_NS=%lluULL",
			   (unsigned long long)o->min_latency_us * 1000ull);
	return bio_layout_flags(plan, err, errlen);
}

static int bio_start(struct monitor *m)
{
	struct bio_priv *p = m->priv;

	p->interval_start_ns = clock_ns(CLOCK_REALTIME);
	return 0;
}

static const char *bio_device(struct bio_priv *p, uint32_t dev, char *buf, size_t len)
{
	for (size_t i = 0; i < p->ndevs; i++) {
		if (p->devs[i].dev == dev)
			return p->devs[i].name;
	}
	/* Unresolved names ("254:0") are not cached: the device may show up in sysfs later. */
	if (bio_dev_name("/sys", dev, buf, len) || p->ndevs == BIO_DEV_CACHE)
		return buf;
	p->devs[p->ndevs].dev = dev;
	snprintf(p->devs[p->ndevs].name, sizeof(p->devs[0].name), "%s", buf);
	return p->devs[p->ndevs++].name;
}

/* ---- the stale sweep: bio_util.c's walk over a loaded map ---- */

static long bio_sweep(struct monitor *m, const char *map, size_t value_size, long skip_off,
		      uint64_t now_ns)
{
	struct monitor_map mm;
	struct agg_map a;
	int r = monitor_map_walk(m, map, sizeof(struct bio_req_key), value_size, false, &mm, &a);

	if (r < 0)
		return r;
	return bio_sweep_stale(&a, now_ns, BIO_STALE_NS, skip_off);
}

/* Unmatched requests come from two places: the probe's em_count() (a second request under a
 * key in flight) and the sweep. monitor_check_losses() takes the kernel's count as a floor,
 * so the total is set here, after each sweep, as their sum. */
static void bio_fold_unmatched(struct monitor *m)
{
	const struct bio_priv *p = m->priv;
	uint64_t kernel = monitor_kernel_stat(m, MONITOR_KSTAT_UNMATCHED);

	if (kernel + p->swept > m->stats.lost_unmatched)
		m->stats.lost_unmatched = kernel + p->swept; /* logged by monitor_check_losses() */
}

static void bio_sweep_all(struct monitor *m)
{
	struct bio_priv *p = m->priv;
	uint64_t now;
	long r;

	now = clock_ns(CLOCK_MONOTONIC); /* bpf_ktime_get_ns()'s clock */
	if (now - p->last_sweep_ns < BIO_SWEEP_EVERY_NS)
		return;
	p->last_sweep_ns = now;
	r = bio_sweep(m, "bio_inflight", sizeof(struct bio_inflight),
		      offsetof(struct bio_inflight, skip), now);
	if (r > 0)
		p->swept += (uint64_t)r;
	else if (r < 0)
		log_warn("bio: sweeping bio_inflight failed: %s", strerror((int)-r));
	if (!monitor_point_attached(m, P_INSERT))
		return;
	r = bio_sweep(m, "bio_submitters", sizeof(struct bio_submitter), -1, now);
	if (r > 0)
		log_debug("bio: %ld submitter entries never issued (merged into other requests)",
			  r);
	else if (r < 0)
		log_warn("bio: sweeping bio_submitters failed: %s", strerror((int)-r));
}

/* ---- the interval's rows ---- */

struct bio_row {
	struct bio_key key;
	struct bio_value v;
};

static void bio_merge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct bio_row *r = row;
	const struct bio_value *v = values;

	memcpy(&r->key, key, sizeof(r->key));
	/* sizeof(struct bio_value) is a multiple of 8: the per-CPU stride. */
	for (unsigned c = 0; c < nvalues; c++)
		bio_value_merge(&r->v, &v[c]);
}

/* By key, the epoch aside: device, io type, task name, class. */
static int by_key(const void *a, const void *b)
{
	const struct bio_row *x = a, *y = b;
	int c;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	if (x->key.io_type != y->key.io_type)
		return x->key.io_type < y->key.io_type ? -1 : 1;
	c = strncmp(x->key.comm, y->key.comm, sizeof(x->key.comm));
	if (c)
		return c;
	if (x->key.who != y->key.who)
		return x->key.who < y->key.who ? -1 : 1;
	return 0;
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct bio_row *x = a, *y = b;

	if (x->v.bytes != y->v.bytes)
		return x->v.bytes < y->v.bytes ? 1 : -1;
	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	return by_key(a, b);
}

/* Two rows of one key become one (agg_batch_coalesce): counts, bytes and sums added,
 * histograms bucket by bucket, the minimum of those that saw I/O, the maximum. */
static void bio_add(void *into, const void *from)
{
	bio_value_merge(&((struct bio_row *)into)->v, &((const struct bio_row *)from)->v);
}

static void bio_collect(struct monitor *m, uint64_t now_ns)
{
	struct bio_priv *p = m->priv;
	struct agg_batch b = AGG_BATCH(struct bio_row, bio_merge);
	double seconds;

	bio_sweep_all(m);
	bio_fold_unmatched(m);
	if (monitor_drain_rows(m, "bio_stats", sizeof(struct bio_key), sizeof(struct bio_value),
			       true, &b, by_bytes_desc) < 0)
		return;
	if (m->attrib)
	{
		/* a process the kernel had no class for is resolved now: rows may become one */
		monitor_who_rows(m, &b, offsetof(struct bio_row, key.who));
		agg_batch_coalesce(&b, by_key, bio_add);
		agg_batch_sort(&b, by_bytes_desc);
	}
	/* The interval's wall-clock length: the last one (at stop) is usually shorter. */
	seconds = now_ns > p->interval_start_ns ? (double)(now_ns - p->interval_start_ns) / 1e9 :
						  m->cfg->interval;
	p->interval_start_ns = now_ns;
	for (size_t i = 0; i < b.n; i++) {
		const struct bio_row *r = agg_batch_at(&b, i);
		char comm[sizeof(r->key.comm) + 1], dev[64];
		struct cell cells[C_NCOLS];
		/* The log2 buckets ride along for the Prometheus histogram (not a column). */
		struct row_hist hist = { (const uint64_t *)r->v.hist, BIO_HIST_SLOTS,
					 (double)r->v.lat_sum_ns / 1e9 };
		struct row row = { now_ns, cells, &hist, r->key.who };
		double mib = (double)r->v.bytes / 1048576.0;

		if (!r->v.count)
			continue;
		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(r->key.comm), r->key.comm);
		memset(cells, 0, sizeof(cells));
		cells[C_COMM].s = comm;
		cells[C_IO_TYPE].u = r->key.io_type;
		cells[C_IO_TYPE_STR].s = bio_io_type_name(r->key.io_type);
		cells[C_COUNT].u = r->v.count;
		cells[C_BYTES].u = r->v.bytes;
		cells[C_SIZE_MB].f = mib;
		cells[C_AVG_LAT].f = (double)r->v.lat_sum_ns / (double)r->v.count / 1e3;
		cells[C_MIN_LAT].f = (double)r->v.lat_min_ns / 1e3;
		cells[C_MAX_LAT].f = (double)r->v.lat_max_ns / 1e3;
		/* Throughput: the MiB these requests moved (counted at completion) divided by the
		 * interval's wall-clock length, in MiB/s. Not bytes / latency: requests overlap,
		 * and a device idle most of the interval is not a fast one. */
		cells[C_THROUGHPUT].f = seconds > 0 ? mib / seconds : 0.0;
		cells[C_DEVICE].s = bio_device(p, r->key.dev, dev, sizeof(dev));
		/* Estimated from the log2 histogram; see bio_hist_percentile_ns(). */
		cells[C_P50_LAT].f = bio_hist_percentile_ns(&r->v, 0.50) / 1e3;
		cells[C_P99_LAT].f = bio_hist_percentile_ns(&r->v, 0.99) / 1e3;
		monitor_emit(m, &row);
	}
	agg_batch_free(&b);
}

/* At the stop: requests issued well before it and still not completed. The kernel does not
 * always run a tracepoint program (another one on that CPU; some interrupt paths, seen on
 * 6.18, silently): such a completion is lost, and its request would be counted as unmatched
 * only by the sweep a minute later. Said here, so a short run does not hide it. */
static void bio_report_in_flight(struct monitor *m)
{
	struct monitor_map mm;
	struct agg_map a;
	uint64_t oldest = 0;
	long n;

	if (monitor_map_walk(m, "bio_inflight", sizeof(struct bio_req_key),
			     sizeof(struct bio_inflight), false, &mm, &a) < 0)
		return;
	n = bio_count_stale(&a, clock_ns(CLOCK_MONOTONIC), BIO_LATE_AT_STOP_NS,
			    offsetof(struct bio_inflight, skip), &oldest);
	if (n > 0)
		log_warn("bio: %ld requests issued 1 s or more before the stop (the oldest %.1f s) "
			 "never completed while watched: their completion events were lost in the "
			 "kernel, or the device is stuck; they are not counted",
			 n, (double)oldest / 1e9);
}

static void bio_destroy(struct monitor *m)
{
	if (m->priv)
		bio_report_in_flight(m);
	free(m->priv);
	m->priv = NULL;
}

static const struct metric_spec bio_metrics[] = {
	{ "ebpf_monitor_block_io_bytes_total",
	  "Bytes of completed block I/O requests by submitting task, device and operation.",
	  false,
	  C_BYTES,
	  -1,
	  { METRIC_COL_BOUNDED("comm", C_COMM), METRIC_COL_BOUNDED("device", C_DEVICE),
	    METRIC_COL("op", C_IO_TYPE_STR) } },
	{ "ebpf_monitor_block_io_requests_total",
	  "Completed block I/O requests by submitting task, device and operation.",
	  false,
	  C_COUNT,
	  -1,
	  { METRIC_COL_BOUNDED("comm", C_COMM), METRIC_COL_BOUNDED("device", C_DEVICE),
	    METRIC_COL("op", C_IO_TYPE_STR) } },
	{ "ebpf_monitor_block_io_latency_seconds",
	  "Block I/O latency from issue to completion (in-kernel log2 buckets).",
	  true,
	  -1,
	  -1,
	  { METRIC_COL_BOUNDED("device", C_DEVICE), METRIC_COL("op", C_IO_TYPE_STR) } },
};

const struct monitor_ops bio_monitor_ops = {
	.name = "bio",
	.description = "block I/O: requests, bytes, latency and throughput per task name, io type "
		       "and device each interval",
	.probe_text = em_probe_bio,
	.points = bio_points,
	.npoints = sizeof(bio_points) / sizeof(bio_points[0]),
	.columns = bio_columns,
	.ncolumns = C_NCOLS,
	.options = bio_option_specs,
	.options_size = sizeof(struct bio_options),
	.metrics = bio_metrics,
	.nmetrics = sizeof(bio_metrics) / sizeof(bio_metrics[0]),
	.aggregating = true,
	.key_columns = MONITOR_COL(C_COMM) | MONITOR_COL(C_IO_TYPE) | MONITOR_COL(C_DEVICE),
	.counts = "block I/O requests",
	.event_cost_ns = 3000,
	.configure = bio_configure,
	.start = bio_start,
	.collect = bio_collect,
	.destroy = bio_destroy,
};
