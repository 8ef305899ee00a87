/* lifecycle.c - a monitor's common lifecycle: configure (its plan), compile, attach every
 * point, start, read; loss accounting; teardown in reverse. */
#define LOG_NAME "ebpf_monitor.registry"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/loader.h"
#include "common/clock.h"
#include "core/log.h"
#include "monitors/monitor.h"
#include "monitors/attrib.h"
#include "monitors/sampling.h"
#include "output/sink.h"

int cflags_add(struct cflags *cf, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	if (cf->n == (int)(sizeof(cf->v) / sizeof(cf->v[0])))
		return -E2BIG;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	cf->v[cf->n++] = s;
	return 0;
}

static void cflags_free(struct cflags *cf)
{
	for (int i = 0; i < cf->n; i++)
		free(cf->v[i]);
	cf->n = 0;
}

uint64_t monitor_clock_offset(void)
{
	uint64_t real = clock_ns(CLOCK_REALTIME);

	return real - clock_ns(CLOCK_MONOTONIC);
}

void monitor_emit(struct monitor *m, const struct row *r)
{
	struct monitor_host *h = m->host;
	struct cell cells[64];
	struct row with;
	uint64_t count;

	if (m->attrib && !attrib_passes(m, r->who)) {
		m->stats.filtered_rows++;
		return;
	}
	count = m->sample.count_col >= 0 ? r->cells[m->sample.count_col].u : 1;
	m->stats.rows++;
	if (m->sample.count_col >= 0)
		m->sample.counted += count;
	if (m->attrib && r->who == ATTRIB_UNKNOWN)
		m->stats.unattributed += count;
	if (m->ops->key_columns)
		keyset_add(&m->stats.keys,
			   keyset_hash(m->columns, m->nown, r->cells, m->ops->key_columns, r->who));
	if ((m->attrib || m->sample.on) && m->ncolumns <= sizeof(cells) / sizeof(cells[0])) {
		/* the monitor's cells, then the attribution cells, then sample_rate */
		memcpy(cells, r->cells, m->nown * sizeof(*cells));
		attrib_cells(m, r->who, cells + m->nown);
		if (m->sample.on)
			cells[m->nown + m->nattrib].u = m->ops->aggregating ? m->sample.mark :
									      m->sample.rate;
		with = *r;
		with.cells = cells;
		r = &with;
	}
	for (size_t i = 0; i < h->nsinks; i++)
		(void)h->sinks[i]->ops->write_row(h->sinks[i], m->stream, r);
	/* between rows: a scrape sees each row's counters whole */
	if (h->yield && m->stats.rows % AGG_YIELD_EVERY == 0)
		h->yield(h->yield_ctx);
}

void monitor_poll(struct monitor *m)
{
	if (m->ops->poll)
		m->ops->poll(m);
	attrib_poll(m);
}

/* A monitor's columns with extra ones after them. The sinks borrow a stream's columns until
 * they are destroyed, which is after the monitor stops (reloads), so each variant is made once
 * and kept for the life of the process, as the monitors' own tables are. */
static const struct column *columns_with(const struct column *cols, size_t n,
					 const struct column *extra, size_t nextra)
{
	static struct {
		const struct column *cols;
		size_t n, nextra;
		struct column *with;
	} made[64];
	static size_t nmade;
	struct column *with;

	for (size_t i = 0; i < nmade; i++) {
		if (made[i].cols == cols && made[i].n == n && made[i].nextra == nextra &&
		    !memcmp(made[i].with + n, extra, nextra * sizeof(*extra)))
			return made[i].with;
	}
	if (nmade == sizeof(made) / sizeof(made[0]))
		return NULL;
	with = calloc(n + nextra, sizeof(*with));
	if (!with)
		return NULL;
	memcpy(with, cols, n * sizeof(*with));
	memcpy(with + n, extra, nextra * sizeof(*with));
	made[nmade].cols = cols;
	made[nmade].n = n;
	made[nmade].nextra = nextra;
	made[nmade++].with = with;
	return with;
}

/* The row's columns: the plan's, the attribution ones, sample_rate. */
static int plan_columns(struct monitor *m, size_t nplanned)
{
	struct column extra[ATTRIB_NCOLS + 1];
	size_t nx = attrib_columns(m, extra);

	m->nown = nplanned;
	m->nattrib = nx;
	if (m->sample.on)
		extra[nx++] = monitor_sample_rate_column;
	if (!nx)
		return 0;
	if (nplanned + nx > 64)
		return -E2BIG;
	m->columns = columns_with(m->ops->columns, nplanned, extra, nx);
	m->ncolumns = nplanned + nx;
	return m->columns ? 0 : -ENOMEM;
}

/* Filters become -D flags (so an unfiltered probe pays nothing) and map contents. */
static void filter_cflags(const struct filter_cfg *f, struct cflags *cf)
{
	if (f->exclude_self)
		cflags_add(cf, "-DEM_SELF_TGID=%d", (int)getpid());
	if (f->npids)
		cflags_add(cf, "-DEM_FILTER_PIDS=1");
	if (f->nuids)
		cflags_add(cf, "-DEM_FILTER_UIDS=1");
	if (f->ncomms)
		cflags_add(cf, "-DEM_FILTER_COMMS=1");
	if (f->nexclude_comms)
		cflags_add(cf, "-DEM_FILTER_EXCLUDE_COMMS=1");
}

static int fill_filter_map(struct monitor *m, const char *map, const void *keys, size_t n,
			   size_t key_size)
{
	int fd = monitor_map_fd(m, map);
	unsigned char one = 1;

	if (!n)
		return 0;
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < n; i++) {
		int r = monitor_map_update(m, fd, (const char *)keys + i * key_size, &one);

		if (r)
			return r;
	}
	return 0;
}

static int fill_filters(struct monitor *m)
{
	const struct filter_cfg *f = &m->cfg->filters;
	char comms[FILTER_MAX][16];
	int r;

	r = fill_filter_map(m, "em_filter_pids", f->pids, f->npids, sizeof(f->pids[0]));
	if (!r)
		r = fill_filter_map(m, "em_filter_uids", f->uids, f->nuids, sizeof(f->uids[0]));
	/* The kernel compares all 16 bytes: zero-pad each name. */
	memset(comms, 0, sizeof(comms));
	for (size_t i = 0; i < f->ncomms; i++)
		strncpy(comms[i], f->comms[i], 15);
	if (!r)
		r = fill_filter_map(m, "em_filter_comms", comms, f->ncomms, 16);
	memset(comms, 0, sizeof(comms));
	for (size_t i = 0; i < f->nexclude_comms; i++)
		strncpy(comms[i], f->exclude_comms[i], 15);
	if (!r)
		r = fill_filter_map(m, "em_filter_exclude_comms", comms, f->nexclude_comms, 16);
	return r;
}

static void on_perf_event(void *ctx, int cpu, const void *data, int size)
{
	struct monitor *m = ctx;

	if (m->ops->on_event(m, cpu, data, size))
		m->stats.events++;
}

static void on_perf_lost(void *ctx, int cpu, uint64_t lost)
{
	struct monitor *m = ctx;

	m->stats.lost_perf += lost;
}

/* `attach: kprobe` forces the points that have a kprobe alternative; a point without one
 * (exec's parent tracking is tracepoint-only) keeps its own chain. */
static const char *point_force(const struct attach_point *pt, const char *attach)
{
	if (!attach || !strcmp(attach, "auto"))
		return NULL;
	for (const struct attach_alt *a = pt->alts; a->name; a++) {
		if (!strcmp(a->name, attach))
			return attach;
	}
	return NULL;
}

/* The framework's fields from the plan configure() made. */
static int apply_plan(struct monitor *m, const struct monitor_plan *p, char *err, size_t errlen)
{
	if (p->npoints > MONITOR_MAX_POINTS) {
		snprintf(err, errlen, "%s: %zu probe points, at most %d", m->ops->name, p->npoints,
			 MONITOR_MAX_POINTS);
		return -E2BIG;
	}
	if (p->ncolumns > m->ops->ncolumns || p->perf_pages == 0 ||
	    (p->perf_pages & (p->perf_pages - 1))) {
		snprintf(err, errlen, "%s: configure() planned %zu columns and %u perf pages",
			 m->ops->name, p->ncolumns, p->perf_pages);
		return -EINVAL;
	}
	m->points = p->points;
	m->npoints = p->npoints;
	memcpy(m->point_off, p->point_off, sizeof(m->point_off));
	m->ncolumns = p->ncolumns;
	m->perf_pages = p->perf_pages;
	return 0;
}

int monitor_setup_begin(struct monitor *m, const struct monitor_ops *ops, struct monitor_cfg *cfg,
			struct monitor_host *host, char *err, size_t errlen)
{
	struct monitor_plan plan = {
		.points = ops->points,
		.npoints = ops->npoints,
		.ncolumns = ops->ncolumns,
		.perf_pages = 64,
	};
	int r = 0;

	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->cfg = cfg;
	m->opts = cfg->opts;
	m->host = host;
	m->mono_to_real_ns = monitor_clock_offset();
	m->columns = ops->columns;
	filter_cflags(&cfg->filters, &plan.cflags);
	if (ops->configure)
		r = ops->configure(m, &plan, err, errlen);
	if (!r)
		r = attrib_plan(m, &plan, err, errlen);
	if (!r)
		r = apply_plan(m, &plan, err, errlen);
	if (!r && (r = monitor_sampling_plan(m, &plan)) != 0)
		snprintf(err, errlen, "%s: %s", ops->name, strerror(-r));
	if (!r && (r = plan_columns(m, plan.ncolumns)) != 0)
		snprintf(err, errlen, "%s: columns: %s", ops->name, strerror(-r));
	if (!r)
		r = loader_compile_start(ops->name, ops->probe_text,
					 (const char *const *)plan.cflags.v, plan.cflags.n, &m->bpf,
					 err, errlen);
	cflags_free(&plan.cflags);
	if (r)
		monitor_teardown(m); /* configure may have allocated priv */
	return r;
}

int monitor_setup_end(struct monitor *m, char *err, size_t errlen)
{
	const struct monitor_ops *ops = m->ops;
	struct monitor_cfg *cfg = m->cfg;
	size_t attached = 0;
	int r = loader_compile_finish(m->bpf, err, errlen);

	if (r)
		goto err_teardown;
	r = fill_filters(m);
	if (r) {
		snprintf(err, errlen, "%s: setting up filters failed: %s", ops->name, strerror(-r));
		goto err_teardown;
	}

	for (size_t i = 0; i < m->npoints; i++) {
		const struct attach_point *pt = &m->points[i];
		char why[1536];

		if (m->point_off[i])
			continue;
		r = loader_attach_point(m->bpf, pt, point_force(pt, cfg->attach), &m->chosen[i],
					why, sizeof(why));
		if (why[0])
			m->not_chosen[i] = strdup(why);
		if (r == 0) {
			if (why[0])
				log_info("%s: %s attached via %s (not via %s)", ops->name, pt->name,
					 m->chosen[i]->name, why);
			else
				log_info("%s: %s attached via %s", ops->name, pt->name,
					 m->chosen[i]->name);
			/* bookkeeping (task slots, attribution) counts nothing by itself */
			attached += !pt->internal;
			continue;
		}
		if (pt->optional) {
			log_warn("%s: optional probe point %s not attached (%s)", ops->name,
				 pt->name, why);
			continue;
		}
		snprintf(err, errlen, "%s: cannot attach %s: %s", ops->name, pt->name, why);
		goto err_teardown;
	}
	if (!attached) {
		/* Every point optional and none attached: nothing would ever be counted. */
		snprintf(err, errlen, "%s: no probe point could be attached (%s%s%s)", ops->name,
			 m->npoints ? m->points[0].name : "none",
			 m->npoints && m->not_chosen[0] ? ": " : "",
			 m->npoints && m->not_chosen[0] ? m->not_chosen[0] : "");
		r = -ENOENT;
		goto err_teardown;
	}
	r = attrib_start(m);
	if (r) {
		snprintf(err, errlen, "%s: attribution: reading the processes' cgroups failed: %s",
			 ops->name, strerror(-r));
		goto err_teardown;
	}
	if (ops->start) {
		r = ops->start(m);
		if (r) {
			snprintf(err, errlen, "%s: start failed: %s", ops->name, strerror(-r));
			goto err_teardown;
		}
	}
	if (ops->perf_map) {
		r = loader_perf_open(m->bpf, ops->perf_map, m->perf_pages, on_perf_event,
				     on_perf_lost, m);
		if (r) {
			snprintf(err, errlen, "%s: opening perf buffers failed: %s", ops->name,
				 strerror(-r));
			goto err_teardown;
		}
	}
	return 0;

err_teardown:
	monitor_teardown(m);
	return r ? r : -EINVAL;
}

void monitor_check_losses(struct monitor *m)
{
	uint64_t unmatched, total;

	if (m->bpf) {
		m->stats.lost_map_full = monitor_kernel_stat(m, MONITOR_KSTAT_MAP_FULL);
		unmatched = monitor_kernel_stat(m, MONITOR_KSTAT_UNMATCHED);
		if (unmatched > m->stats.lost_unmatched)
			m->stats.lost_unmatched = unmatched;
		/* EM_STAT_PERF_FAIL needs no reading: the kernel counts those in lost_perf too */
		m->stats.lost_recursion = loader_recursion_misses(m->bpf);
	}
	total = m->stats.lost_perf + m->stats.lost_map_full + m->stats.lost_unmatched +
		m->stats.lost_recursion;
	if (total > m->stats.reported_lost) {
		log_warn("%s: %llu events lost since the last report (perf buffer overruns %llu, "
			 "map full %llu, unmatched %llu, skipped by the kernel %llu in total)",
			 m->ops->name, (unsigned long long)(total - m->stats.reported_lost),
			 (unsigned long long)m->stats.lost_perf,
			 (unsigned long long)m->stats.lost_map_full,
			 (unsigned long long)m->stats.lost_unmatched,
			 (unsigned long long)m->stats.lost_recursion);
		m->stats.reported_lost = total;
	}
}

bool monitor_point_attached(const struct monitor *m, size_t i)
{
	return i < m->npoints && m->chosen[i]; /* npoints <= MONITOR_MAX_POINTS: apply_plan() */
}

void monitor_teardown(struct monitor *m)
{
	if (!m || !m->ops)
		return;
	if (m->ops->destroy)
		m->ops->destroy(m);
	m->priv = NULL;
	attrib_free(m);
	keyset_free(&m->stats.keys);
	m->points = NULL; /* configure()'s own points were in priv (func) */
	m->npoints = 0;
	loader_destroy(m->bpf);
	m->bpf = NULL;
	memset(m->chosen, 0, sizeof(m->chosen));
	for (size_t i = 0; i < sizeof(m->not_chosen) / sizeof(m->not_chosen[0]); i++) {
		free(m->not_chosen[i]);
		m->not_chosen[i] = NULL;
	}
}
