/* runtime.c - the running set of monitors: start/stop one at a time without disturbing the
 * others (what SIGHUP reloads need), and the ordered shutdown that loses no row. */
#define LOG_NAME "ebpf_monitor"

#include "app/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/app.h"
#include "bpf/loader.h"
#include "core/log.h"
#include "output/prom.h"
#include "output/prom_http.h"
#include "output/sink.h"
#include "output/top.h"
#include "output/webcfg.h"

void runtime_init(struct runtime *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->epfd = -1;
	rt->overhead.stats = -1;
	for (size_t i = 0; i < RUNTIME_MAX_SLOTS; i++)
		rt->interval_fd[i] = rt->drain_fd[i] = -1;
}

/* host.yield: a scrape waiting while the loop drains a map or emits its rows is answered. */
static void http_yield(void *ctx)
{
	struct runtime *rt = ctx;

	if (rt->http)
		prom_http_run(rt->http);
}

/* output.prometheus.web_config_file loaded into wc (left zeroed when there is none). */
static int load_webcfg(const struct config *cfg, struct webcfg *wc, char *err, size_t errlen)
{
	const typeof(cfg->output.prometheus) *pc = &cfg->output.prometheus;

	memset(wc, 0, sizeof(*wc));
	if (!pc->web_config_file)
		return 0;
	return webcfg_load(pc->web_config_file, pc->basic_auth_over_http, wc, err, errlen);
}

int runtime_create_endpoint(struct runtime *rt, enum app_step *step)
{
	const typeof(rt->cfg->output.prometheus) *pc = &rt->cfg->output.prometheus;
	struct utsname u;
	struct prom_sink_options po = {
		.max_label_values = (unsigned)pc->max_label_values,
		.max_series = (unsigned)pc->max_series,
		.version = EM_VERSION,
		.bcc_version = EM_BCC_VERSION,
	};
	struct webcfg wc;
	char err[1024];
	int r;

	*step = APP_STEP_RUN;
	if (!pc->enabled)
		return 0;
	r = load_webcfg(rt->cfg, &wc, err, sizeof(err));
	if (r) {
		*step = APP_STEP_WEBCFG;
		log_error("%s", err);
		return r;
	}
	if (uname(&u) == 0)
		po.kernel = u.release;
	r = prom_sink_create(&po, &rt->prom);
	if (r) {
		webcfg_free(&wc);
		log_error("output.prometheus: %s", strerror(-r));
		return r;
	}
	rt->host.sinks[rt->host.nsinks++] = rt->prom;
	r = prom_http_start(pc->listen, pc->path, rt->prom, &wc, &rt->http, err, sizeof(err));
	webcfg_free(&wc);
	if (r) {
		log_error("%s", err);
		return r;
	}
	rt->host.yield = http_yield;
	rt->host.yield_ctx = rt;
	return 0;
}

int runtime_reload_endpoint(struct runtime *rt)
{
	struct webcfg wc;
	char err[1024];
	int r;

	if (!rt->http)
		return 0;
	r = load_webcfg(rt->cfg, &wc, err, sizeof(err));
	if (r) {
		log_error("SIGHUP: %s; the metrics endpoint keeps its TLS and authentication "
			  "settings",
			  err);
		return r;
	}
	r = prom_http_reload(rt->http, &wc, err, sizeof(err));
	webcfg_free(&wc);
	if (r < 0)
		log_error("SIGHUP: metrics endpoint: %s; it keeps its TLS and authentication "
			  "settings",
			  err);
	else if (r > 0)
		log_debug("SIGHUP: the metrics endpoint's web configuration is unchanged");
	return r < 0 ? r : 0;
}

/* One error for an output directory the sinks cannot use, naming the fix. */
static void output_dir_error(const char *dir, int err)
{
	if (err == EROFS)
		log_error("output directory %s is on a read-only file system: remount it "
			  "read-write, or set output.directory to a writable directory",
			  dir);
	else if (err == EACCES || err == EPERM)
		log_error("output directory %s is not writable (%s): fix its permissions, or set "
			  "output.directory to a writable directory",
			  dir, strerror(err));
	else if (err == ENOTDIR || err == EEXIST)
		log_error("output directory %s: a path component is not a directory: remove it, or "
			  "set output.directory to another directory",
			  dir);
	else
		log_error("output directory %s cannot be used: %s (set output.directory to a "
			  "writable directory)",
			  dir, strerror(err));
}

/* The console's sink: the --top view on a terminal, else the table. */
static void create_console(struct runtime *rt, enum runtime_console console, const char *sort)
{
	struct top_options to = { STDIN_FILENO, STDOUT_FILENO, sort, "ebpf-monitor" };
	struct sink *con;
	int r;

	if (console == RUNTIME_CONSOLE_TOP) {
		r = top_sink_create(&to, &con);
		if (!r) {
			rt->top = con;
			rt->host.sinks[rt->host.nsinks++] = con;
			/* the screen is the view's: log records wait for its end */
			log_console_hold(true);
			return;
		}
		log_warn("--top: %s; writing the table instead",
			 r == -ENOTTY ? "stdout is not a terminal" : strerror(-r));
	}
	if (!console_sink_create(STDOUT_FILENO, &con))
		rt->host.sinks[rt->host.nsinks++] = con;
}

void runtime_console_end(struct runtime *rt)
{
	if (!rt->top)
		return;
	top_sink_end(rt->top);
	log_console_hold(false);
}

int runtime_create_sinks(struct runtime *rt, enum runtime_console console, const char *sort)
{
	unsigned formats = rt->cfg->output.formats;
	struct csv_sink_options co = {
		.directory = rt->cfg->output.directory,
		.delimiter = rt->cfg->output.csv_delimiter,
		.include_header = rt->cfg->output.include_header,
		.formula_guard = rt->cfg->output.csv_formula_guard,
		.buffer_rows = (unsigned)rt->cfg->output.buffer_size,
		.retention_days = (unsigned)rt->cfg->output.retention_days,
		.start = time(NULL),
	};
	/* The same file machinery writes CSV and JSON lines; stdout takes JSON lines only. */
	static const struct {
		unsigned bit;
		enum sink_format format;
		bool to_stdout;
	} files[] = {
		{ OUTPUT_CSV, SINK_FORMAT_CSV, false },
		{ OUTPUT_JSONL, SINK_FORMAT_JSONL, false },
		{ OUTPUT_JSONL_STDOUT, SINK_FORMAT_JSONL, true },
	};
	int r;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct sink *k;

		if (!(formats & files[i].bit))
			continue;
		co.format = files[i].format;
		co.to_stdout = files[i].to_stdout;
		r = csv_sink_create(&co, &k);
		if (r) {
			output_dir_error(co.directory, -r);
			return r;
		}
		rt->host.sinks[rt->host.nsinks++] = k;
	}
	/* stdout carries JSON lines then: no table on it */
	if (console != RUNTIME_CONSOLE_NONE && !(formats & OUTPUT_JSONL_STDOUT))
		create_console(rt, console, sort);
	return 0;
}

int runtime_watch(int epfd, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int runtime_timer_fd(double seconds, bool repeat)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (repeat)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static void close_timers(struct runtime *rt, size_t i)
{
	if (rt->interval_fd[i] >= 0)
		close(rt->interval_fd[i]);
	if (rt->drain_fd[i] >= 0)
		close(rt->drain_fd[i]);
	rt->interval_fd[i] = rt->drain_fd[i] = -1;
}

static int register_slot(struct runtime *rt, size_t i)
{
	struct monitor *m = &rt->mons[i];
	int r;

	for (size_t p = 0; p < loader_perf_count(m->bpf); p++) {
		r = runtime_watch(rt->epfd, loader_perf_fd(m->bpf, p),
				  runtime_tagged(TAG_PERF, (unsigned)i, (unsigned)p));
		if (r)
			return r;
	}
	if (!m->ops->aggregating || !m->ops->collect)
		return 0;
	rt->interval_fd[i] = runtime_timer_fd(m->cfg->interval, true);
	if (rt->interval_fd[i] < 0)
		return rt->interval_fd[i];
	rt->drain_fd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (rt->drain_fd[i] < 0)
		return -errno;
	r = runtime_watch(rt->epfd, rt->interval_fd[i],
			  runtime_tagged(TAG_INTERVAL, (unsigned)i, 0));
	if (!r)
		r = runtime_watch(rt->epfd, rt->drain_fd[i],
				  runtime_tagged(TAG_DRAIN, (unsigned)i, 0));
	return r;
}

int runtime_register_all(struct runtime *rt)
{
	for (size_t i = 0; i < rt->nslots; i++) {
		int r = runtime_slot_used(rt, i) ? register_slot(rt, i) : 0;

		if (r)
			return r;
	}
	return 0;
}

static int add_streams(struct runtime *rt, struct monitor *m)
{
	const struct stream_desc d = { m->ops->name, m->columns, m->ncolumns, m->ops->metrics,
				       m->ops->nmetrics };

	for (size_t s = 0; s < rt->host.nsinks; s++) {
		struct sink *k = rt->host.sinks[s];
		int r = k->ops->add_stream(k, m->stream, &d);

		/* The console table shows one monitor; a second one only goes to the files. */
		if (r == -EBUSY)
			continue;
		if (r) {
			log_error("%s output for %s: %s", k->ops->name, m->ops->name, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* First part of a start: a free slot, configure, the compile under way. */
static int start_begin(struct runtime *rt, struct monitor_cfg *mc, size_t *ret_slot, char *err,
		       size_t errlen)
{
	const struct monitor_ops *ops = monitor_find(mc->name);
	size_t slot;
	int r;

	for (slot = 0; slot < RUNTIME_MAX_SLOTS && runtime_slot_used(rt, slot); slot++)
		;
	if (slot == RUNTIME_MAX_SLOTS) {
		snprintf(err, errlen, "%s: too many monitors", mc->name);
		return -E2BIG;
	}
	r = monitor_setup_begin(&rt->mons[slot], ops, mc, &rt->host, err, errlen);
	if (r)
		return r;
	if (slot >= rt->nslots)
		rt->nslots = slot + 1;
	*ret_slot = slot;
	return 0;
}

/* Second part: compiled, attached, given its streams and, once the loop exists, its fds. */
static int start_end(struct runtime *rt, size_t slot, char *err, size_t errlen)
{
	struct monitor *m = &rt->mons[slot];
	const struct monitor_ops *ops = m->ops;
	char f[4096];
	int r = monitor_setup_end(m, err, errlen);

	if (r)
		return r;
	m->stream = rt->next_stream++;
	r = add_streams(rt, m);
	if (!r && rt->epfd >= 0)
		r = register_slot(rt, slot);
	if (r) {
		snprintf(err, errlen, "%s: %s", ops->name, strerror(-r));
		close_timers(rt, slot);
		monitor_teardown(m);
		return r;
	}
	runtime_health(rt, slot, true, false);
	app_describe_filters(&m->cfg->filters, f, sizeof(f));
	log_info("%s: filters: %s", ops->name, f);
	return 0;
}

int runtime_start(struct runtime *rt, struct monitor_cfg *mc, char *err, size_t errlen)
{
	size_t slot;
	int r = start_begin(rt, mc, &slot, err, errlen);

	return r ? r : start_end(rt, slot, err, errlen);
}

void runtime_two_pass(size_t n, runtime_begin_fn begin, runtime_end_fn end, void *ctx)
{
	bool begun[RUNTIME_MAX_SLOTS];

	if (n > RUNTIME_MAX_SLOTS)
		n = RUNTIME_MAX_SLOTS;
	/* every compile under way (compile_parallelism() at a time) before the first is awaited */
	for (size_t i = 0; i < n; i++)
		begun[i] = begin(ctx, i) == 0;
	for (size_t i = 0; i < n; i++)
		end(ctx, i, begun[i]);
}

struct start_many {
	struct runtime *rt;
	struct monitor_cfg **mcs;
	size_t slots[RUNTIME_MAX_SLOTS], started;
	runtime_start_failed_cb failed;
	void *ctx;
	char err[2048];
};

static int start_many_begin(void *ctx, size_t i)
{
	struct start_many *s = ctx;
	int r = start_begin(s->rt, s->mcs[i], &s->slots[i], s->err, sizeof(s->err));

	if (r)
		s->failed(s->ctx, s->mcs[i], s->err);
	return r;
}

static void start_many_end(void *ctx, size_t i, bool begun)
{
	struct start_many *s = ctx;

	if (!begun)
		return;
	if (start_end(s->rt, s->slots[i], s->err, sizeof(s->err)))
		s->failed(s->ctx, s->mcs[i], s->err);
	else
		s->started++;
}

size_t runtime_start_many(struct runtime *rt, struct monitor_cfg **mcs, size_t n,
			  runtime_start_failed_cb failed, void *ctx)
{
	struct start_many s = { .rt = rt, .mcs = mcs, .failed = failed, .ctx = ctx };

	runtime_two_pass(n, start_many_begin, start_many_end, &s);
	return s.started;
}

#define OUTPUT_REPORT_EVERY_S 60

void runtime_health(struct runtime *rt, size_t slot, bool probes, bool stopped)
{
	struct monitor *m = &rt->mons[slot];
	struct stream_probe p[MONITOR_MAX_POINTS];
	struct stream_health h = {
		.stopped = stopped,
		.lost_perf = m->stats.lost_perf,
		.lost_map_full = m->stats.lost_map_full,
		.lost_unmatched = m->stats.lost_unmatched,
		.lost_recursion = m->stats.lost_recursion,
		.sample_rate = m->sample.on ? m->sample.rate : 0,
		.attribution = m->attrib != NULL,
		.unattributed = m->stats.unattributed,
	};

	if (probes) {
		for (size_t i = 0; i < m->npoints && i < MONITOR_MAX_POINTS; i++) {
			if (!m->point_off[i] && m->chosen[i])
				p[h.nprobes++] = (struct stream_probe){ m->points[i].name,
									m->chosen[i]->name };
		}
		h.probes = p;
	}
	for (size_t i = 0; i < rt->host.nsinks; i++) {
		if (rt->host.sinks[i]->ops->health)
			rt->host.sinks[i]->ops->health(rt->host.sinks[i], m->stream, &h);
	}
}

void runtime_flush(struct runtime *rt, bool sync)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < rt->host.nsinks; i++) {
		struct sink *k = rt->host.sinks[i];
		int r = k->ops->flush(k, sync);

		/* Periodic failures of the CSV and JSON lines files are runtime_check_output's to
		 * report (once, not per flush); any other sink's at most once a minute. */
		if (!r || (!sync && csv_sink_is_file(k)))
			continue;
		if (!sync && i < sizeof(rt->sink_err_logged) / sizeof(rt->sink_err_logged[0])) {
			if (rt->sink_err_logged[i] &&
			    now - rt->sink_err_logged[i] < OUTPUT_REPORT_EVERY_S)
				continue;
			rt->sink_err_logged[i] = now;
		}
		log_error("%s output: flush failed: %s", k->ops->name, strerror(-r));
	}
}

void runtime_output_health(struct runtime *rt, struct csv_health *all)
{
	memset(all, 0, sizeof(*all));
	for (size_t i = 0; i < rt->host.nsinks; i++) {
		struct csv_health h;

		csv_sink_health(rt->host.sinks[i], &h);
#define EM_MAX(f) (all->f = h.f > all->f ? h.f : all->f)
		EM_MAX(rows_written);
		EM_MAX(rows_dropped);
		EM_MAX(write_errors);
		EM_MAX(rows_pending);
		EM_MAX(keep_rows);
#undef EM_MAX
		if (h.failing && !all->failing) {
			all->failing = true;
			all->last_err = h.last_err;
		}
	}
}

void runtime_check_output(struct runtime *rt, time_t now)
{
	struct output_watch *w = &rt->outw;
	struct csv_health h;

	runtime_output_health(rt, &h);
	if (h.failing && !w->failing) {
		w->failing = true;
		w->since = w->last_report = now;
		w->dropped0 = h.rows_dropped;
		log_error(
			"CSV output: writing to %s failed: %s; monitoring goes on, up to %llu rows "
			"per monitor wait in memory and are written when it works again (the oldest "
			"are dropped beyond that, and counted)",
			rt->cfg->output.directory, strerror(-h.last_err), h.keep_rows);
	} else if (h.failing && now - w->last_report >= OUTPUT_REPORT_EVERY_S) {
		w->last_report = now;
		log_error("CSV output: still failing after %lld s: %s; %llu row(s) waiting, %llu "
			  "row(s) dropped so far",
			  (long long)(now - w->since), strerror(-h.last_err), h.rows_pending,
			  h.rows_dropped - w->dropped0);
	} else if (!h.failing && w->failing) {
		w->failing = false;
		log_warn(
			"CSV output: writing again after %lld s; %llu row(s) dropped while it failed",
			(long long)(now - w->since), h.rows_dropped - w->dropped0);
	}
}

void runtime_poll_perf(struct runtime *rt)
{
	for (size_t s = 0; s < rt->nslots; s++) {
		struct monitor *m = &rt->mons[s];

		if (!runtime_slot_used(rt, s))
			continue;
		loader_perf_consume_all(m->bpf);
		monitor_poll(m);
	}
}

/* What was lost, by cause: "nothing lost" or "lost 12 (10 perf buffer overruns, 2 ...)". */
static void losses_text(const struct monitor_stats *st, char *buf, size_t len)
{
	const struct {
		uint64_t n;
		const char *what;
	} by[] = {
		{ st->lost_perf, "perf buffer overruns" },
		{ st->lost_map_full, "map full" },
		{ st->lost_unmatched, "unmatched entries or exits" },
		{ st->lost_recursion, "probe runs the kernel skipped" },
	};
	uint64_t total = 0;
	size_t off;

	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		total += by[i].n;
	if (!total) {
		snprintf(buf, len, "nothing lost");
		return;
	}
	off = (size_t)snprintf(buf, len, "lost %llu (", (unsigned long long)total);
	for (size_t i = 0, k = 0; i < sizeof(by) / sizeof(by[0]) && off < len; i++) {
		if (by[i].n)
			off += (size_t)snprintf(buf + off, len - off, "%s%llu %s", k++ ? ", " : "",
						(unsigned long long)by[i].n, by[i].what);
	}
	if (off < len)
		snprintf(buf + off, len - off, ")");
}

/* The stop's totals, in the words of what the monitor saw: an aggregating one counted (the sum
 * of its rows' counts, over so many distinct keys), an event monitor received perf events. */
static void log_totals(const struct monitor *m)
{
	const struct monitor_stats *st = &m->stats;
	char lost[256];

	losses_text(st, lost, sizeof(lost));
	if (m->ops->aggregating && m->sample.count_col >= 0)
		log_info("%s: counted %llu %s under %s%zu distinct keys, in %llu rows; %s",
			 m->ops->name, (unsigned long long)m->sample.counted,
			 m->ops->counts ? m->ops->counts : "events",
			 st->keys.full ? "at least " : "", st->keys.n, (unsigned long long)st->rows,
			 lost);
	else
		log_info("%s: %llu perf events received, %llu rows; %s", m->ops->name,
			 (unsigned long long)st->events, (unsigned long long)st->rows, lost);
}

/* After detach and the grace period: everything the kernel still holds becomes rows. */
static void final_rows(struct monitor *m, uint64_t end)
{
	loader_perf_consume_all(m->bpf);
	if (m->ops->aggregating && m->ops->collect) {
		/* An interval that ended just before the stop, not drained yet... */
		if (m->drain_pending)
			m->ops->collect(m, m->interval_end_ns);
		/* ...and the last, partial one: its rows carry the stop time. */
		if (monitor_flip_epoch(m, end) == 0)
			m->ops->collect(m, m->interval_end_ns);
	}
	monitor_check_losses(m);
	log_totals(m);
	if (m->attrib)
		log_info("%s: attribution: %llu counted under cgroup \"unknown\" (gone before "
			 "their cgroup could be read), %llu rows left out by the unit, container "
			 "and cgroup filters",
			 m->ops->name, (unsigned long long)m->stats.unattributed,
			 (unsigned long long)m->stats.filtered_rows);
}

static void grace(void)
{
	struct timespec t = { 0, (long)(MONITOR_DRAIN_GRACE_S * 1e9) };

	nanosleep(&t, NULL);
}

void runtime_stop(struct runtime *rt, size_t slot)
{
	struct monitor *m = &rt->mons[slot];

	if (!runtime_slot_used(rt, slot))
		return;
	loader_detach(m->bpf);
	grace();
	final_rows(m, clock_ns(CLOCK_REALTIME));
	runtime_health(rt, slot, false, true);
	runtime_flush(rt, false);
	close_timers(rt, slot);
	monitor_teardown(m); /* closes its perf fds: epoll forgets them */
}

void runtime_shutdown(struct runtime *rt)
{
	uint64_t end = clock_ns(CLOCK_REALTIME);
	struct bpf_mod *mods[RUNTIME_MAX_SLOTS];
	size_t n = 0;

	/* Detach all first, together, so the monitors stop at the same instant. */
	for (size_t i = 0; i < rt->nslots; i++) {
		if (runtime_slot_used(rt, i))
			mods[n++] = rt->mons[i].bpf;
	}
	runtime_console_end(rt);
	loader_detach_many(mods, n);
	overhead_stop(rt);
	grace();
	for (size_t i = 0; i < rt->nslots; i++) {
		if (runtime_slot_used(rt, i))
			final_rows(&rt->mons[i], end);
	}
	runtime_flush(rt, true);
	{
		struct csv_health h;

		runtime_output_health(rt, &h);
		if (h.rows_dropped || h.rows_pending)
			log_warn(
				"CSV output: %llu row(s) written, %llu dropped while writing failed, "
				"%llu could not be written at the stop",
				h.rows_written, h.rows_dropped, h.rows_pending);
	}
	rt->host.yield = NULL;
	prom_http_stop(rt->http);
	rt->http = NULL;
	for (size_t i = 0; i < rt->host.nsinks; i++)
		sink_destroy(rt->host.sinks[i]);
	rt->host.nsinks = 0;
	rt->prom = NULL;
	rt->top = NULL;
	for (size_t i = 0; i < rt->nslots; i++) {
		close_timers(rt, i);
		monitor_teardown(&rt->mons[i]);
	}
	rt->nslots = 0;
}

static struct monitor_cfg *selected(struct monitor_cfg **sel, size_t nsel, const char *name)
{
	for (size_t i = 0; i < nsel; i++) {
		if (!strcmp(sel[i]->name, name))
			return sel[i];
	}
	return NULL;
}

static void reload_failed(void *ctx, const struct monitor_cfg *mc, const char *err)
{
	(void)mc;
	log_error("%s", err);
	++*(int *)ctx;
}

int runtime_reload(struct runtime *rt, struct config *newcfg, struct monitor_cfg **sel, size_t nsel)
{
	struct monitor_cfg *todo[RUNTIME_MAX_SLOTS];
	size_t ntodo = 0, started;
	int failed = 0;

	/* The outputs outlive reloads (files stay open, counters keep counting): their own
	 * settings (the core keys marked OPT_RESTART) apply at the next start. */
	if (config_restart_changes(rt->cfg, newcfg, NULL, 0))
		log_warn(
			"SIGHUP: changes to output.format and output.prometheus take effect at the "
			"next restart; the outputs keep running as they are");
	for (size_t i = 0; i < rt->nslots; i++) {
		struct monitor *m = &rt->mons[i];
		struct monitor_cfg *mc;

		if (!runtime_slot_used(rt, i))
			continue;
		mc = selected(sel, nsel, m->ops->name);
		if (mc && config_monitor_equal(m->cfg, mc)) {
			/* Unchanged: keeps running; its settings now live in the new config. */
			m->cfg = mc;
			m->opts = mc->opts;
			continue;
		}
		log_info("%s: %s", m->ops->name,
			 mc ? "configuration changed: restarting it" :
			      "no longer selected: stopping");
		runtime_stop(rt, i);
	}
	for (size_t s = 0; s < nsel; s++) {
		bool running = false;

		for (size_t i = 0; i < rt->nslots && !running; i++)
			running = runtime_slot_used(rt, i) && rt->mons[i].cfg == sel[s];
		if (!running)
			todo[ntodo++] = sel[s];
	}
	started = runtime_start_many(rt, todo, ntodo, reload_failed, &failed);
	for (size_t s = 0; s < ntodo && started; s++) {
		for (size_t i = 0; i < rt->nslots; i++) {
			if (runtime_slot_used(rt, i) && rt->mons[i].cfg == todo[s])
				log_info("%s: started by the reload", todo[s]->name);
		}
	}
	/* Every monitor now points into newcfg: the old one can go. */
	config_destroy(rt->cfg);
	rt->cfg = newcfg;
	return failed;
}

size_t runtime_running(const struct runtime *rt)
{
	size_t n = 0;

	for (size_t i = 0; i < rt->nslots; i++)
		n += runtime_slot_used(rt, i);
	return n;
}

void runtime_names(const struct runtime *rt, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rt->nslots && o < len; i++) {
		if (runtime_slot_used(rt, i))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
					      rt->mons[i].ops->name);
	}
}

void runtime_end_interval(struct runtime *rt, unsigned slot, uint64_t now_ns)
{
	struct itimerspec g = { { 0, 0 }, { 0, (long)(MONITOR_DRAIN_GRACE_S * 1e9) } };
	int r = monitor_flip_epoch(&rt->mons[slot], now_ns);

	if (r) {
		log_error("%s: ending the interval failed: %s", rt->mons[slot].ops->name,
			  strerror(-r));
		return;
	}
	(void)timerfd_settime(rt->drain_fd[slot], 0, &g, NULL);
}
