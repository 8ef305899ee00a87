/* loop.c - the event loop: one thread, epoll over perf buffers, timerfds and a signalfd. */
#define LOG_NAME "ebpf_monitor"

#include "app/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/app.h"
#include "core/daemon.h"
#include "bpf/loader.h"
#include "core/log.h"
#include "monitors/monitor.h"
#include "output/prom_http.h"
#include "output/sink.h"
#include "output/top.h"

/* The signals the loop takes through its signalfd: stop (INT, TERM) and reload (HUP). */
static void loop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

void app_loop_block_signals(void)
{
	sigset_t mask;

	loop_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void app_loop_init(struct app_loop *l, struct runtime *rt, const struct cli_options *opt,
		   const struct monitor_schema *schemas, size_t nschemas)
{
	l->rt = rt;
	l->opt = opt;
	l->schemas = schemas;
	l->nschemas = nschemas;
	l->stopping = false;
	l->started = time(NULL);
	l->sigfd = l->flush_fd = l->tick_fd = l->stop_fd = l->poll_fd = -1;
}

static void drain_timer(int fd)
{
	uint64_t expirations;

	(void)!read(fd, &expirations, sizeof(expirations));
}

/* SIGHUP: reopen files (external rotation), then reload the config; a bad one is refused and
 * the running configuration stays. */
static void reload(struct app_loop *l)
{
	struct runtime *rt = l->rt;
	struct monitor_cfg *sel[CONFIG_MAX_MONITORS];
	struct config *nc = calloc(1, sizeof(*nc));
	char err[1024];
	int nsel, failed, w;

	(void)log_reopen();
	for (size_t i = 0; i < rt->host.nsinks; i++) {
		if (rt->host.sinks[i]->ops->reopen)
			(void)rt->host.sinks[i]->ops->reopen(rt->host.sinks[i]);
	}
	if (!nc) {
		log_error("SIGHUP: out of memory; the running configuration stays");
		return;
	}
	if (app_load_config(nc, rt->cfg->path, l->schemas, l->nschemas, err, sizeof(err)) ||
	    (app_absolute_paths(nc, l->base_dir) &&
	     snprintf(err, sizeof(err), "out of memory") > 0) ||
	    (app_apply_cli_filters(nc, l->opt),
	     (nsel = app_select_monitors(nc, l->opt->monitors, l->schemas, l->nschemas, sel,
					 CONFIG_MAX_MONITORS, err, sizeof(err))) < 0)) {
		log_error("SIGHUP: new configuration rejected, the running one stays: %s", err);
		config_destroy(nc);
		return;
	}
	failed = runtime_reload(rt, nc, sel, (size_t)nsel);
	overhead_configure(rt);
	(void)runtime_reload_endpoint(rt);
	/* A restarted endpoint has a new epoll fd (the old one closed and left our set; the new
	 * one may even have its number): watch whatever it has now. */
	if (prom_http_fd(rt->http) >= 0) {
		w = runtime_watch(rt->epfd, prom_http_fd(rt->http), runtime_tagged(TAG_HTTP, 0, 0));
		if (w && w != -EEXIST)
			log_error("SIGHUP: the metrics endpoint's descriptor could not be watched: %s",
				  strerror(-w));
	}
	log_info("SIGHUP: configuration reloaded; %zu monitor(s) running%s", runtime_running(rt),
		 failed ? ", some failed to start (see above)" : "");
}

static void handle_signals(struct app_loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info(
				"SIGHUP received: reopening files and reloading the configuration");
			reload(l);
			continue;
		}
		log_info("%s received: stopping", strsignal((int)si.ssi_signo));
		l->stopping = true;
	}
}

/* Under the --top view: q stops like SIGTERM; input gone (EOF), it is no longer watched. */
static void handle_keys(struct app_loop *l)
{
	switch (top_sink_input(l->rt->top)) {
	case TOP_KEY_QUIT:
		log_info("q pressed in the --top view: stopping");
		l->stopping = true;
		break;
	case TOP_KEY_EOF:
		(void)epoll_ctl(l->rt->epfd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
		break;
	case TOP_KEY_NONE:
		break;
	}
}

void app_loop_tick(struct app_loop *l)
{
	struct runtime *rt = l->rt;
	unsigned long long rows = 0, lost = 0;
	struct csv_health h;
	uint64_t offset = monitor_clock_offset();
	time_t now = time(NULL);
	char names[256], status[2048], budget[1024];

	for (size_t i = 0; i < rt->host.nsinks; i++) {
		if (rt->host.sinks[i]->ops->tick)
			(void)rt->host.sinks[i]->ops->tick(rt->host.sinks[i], now);
	}
	overhead_tick(rt);
	for (size_t i = 0; i < rt->nslots; i++) {
		if (!runtime_slot_used(rt, i))
			continue;
		rt->mons[i].mono_to_real_ns = offset;
		monitor_check_losses(&rt->mons[i]);
		runtime_health(rt, i, false, false);
		rows += rt->mons[i].stats.rows;
		lost += rt->mons[i].stats.reported_lost;
	}
	runtime_check_output(rt, now);
	runtime_output_health(rt, &h);
	/* For --daemon-status: what an operator asks first. */
	runtime_names(rt, names, sizeof(names));
	overhead_status(rt, budget, sizeof(budget));
	snprintf(status, sizeof(status),
		 "pid=%d\nstarted=%ld\nmonitors=%s\nrows=%llu\nlost=%llu\nrows_dropped=%llu\n"
		 "write_errors=%llu\noutput_failing=%d\n%s",
		 (int)getpid(), (long)l->started, names, rows, lost, h.rows_dropped, h.write_errors,
		 h.failing ? -h.last_err : 0, budget);
	(void)daemon_status_write(rt->cfg->app.pid_file, status);
}

int app_loop_run(struct app_loop *l)
{
	struct runtime *rt = l->rt;
	struct epoll_event evs[64];

	while (!l->stopping) {
		/* libmicrohttpd may need a turn without new readiness (a response not fully sent,
		 * an idle connection to time out): its timeout bounds the wait. */
		int timeout = prom_http_timeout_ms(rt->http);
		int n = epoll_wait(rt->epfd, evs, 64, timeout);
		bool http_due = n == 0 && rt->http;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			log_error("epoll_wait: %s", strerror(e));
			return -e;
		}
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			unsigned tag = (unsigned)(d >> 56), a = (unsigned)(d >> 24) & 0xffffffu,
				 b = (unsigned)d & 0xffffffu;
			struct monitor *m = a < RUNTIME_MAX_SLOTS ? &rt->mons[a] : NULL;

			/* A reload in this batch may have stopped the monitor an event was for. */
			if ((tag == TAG_PERF || tag == TAG_INTERVAL || tag == TAG_DRAIN) &&
			    (!m || !runtime_slot_used(rt, a)))
				continue;
			switch (tag) {
			case TAG_PERF:
				if (b < loader_perf_count(m->bpf))
					loader_perf_consume(m->bpf, b);
				break;
			case TAG_SIGNAL:
				handle_signals(l);
				break;
			case TAG_FLUSH:
				drain_timer(l->flush_fd);
				runtime_flush(rt, false);
				break;
			case TAG_TICK:
				drain_timer(l->tick_fd);
				app_loop_tick(l);
				break;
			case TAG_POLL:
				drain_timer(l->poll_fd);
				runtime_poll_perf(rt);
				top_sink_poll(rt->top);
				break;
			case TAG_KEY:
				handle_keys(l);
				break;
			case TAG_STOP:
				drain_timer(l->stop_fd);
				log_info("--duration reached: stopping");
				l->stopping = true;
				break;
			case TAG_INTERVAL:
				drain_timer(rt->interval_fd[a]);
				runtime_end_interval(rt, a, clock_ns(CLOCK_REALTIME));
				break;
			case TAG_DRAIN:
				drain_timer(rt->drain_fd[a]);
				if (m->drain_pending) {
					m->ops->collect(m, m->interval_end_ns);
					top_sink_interval(rt->top, m->stream, m->interval_end_ns,
							  m->cfg->interval);
				}
				break;
			case TAG_HTTP:
				http_due = true;
				break;
			}
		}
		/* After the batch: a scrape sees the rows this batch produced. */
		if (http_due)
			prom_http_run(rt->http);
	}
	return 0;
}

static int add_loop_fd(int epfd, int fd, enum runtime_tag tag)
{
	return runtime_watch(epfd, fd, runtime_tagged(tag, 0, 0));
}

/* A runtime_timer_fd(seconds, repeat) in *ret_fd, watched by epfd as tag: 0 or -errno
 * (*ret_fd is left as it was when the timer cannot be made). */
static int add_loop_timer(int epfd, int *ret_fd, double seconds, bool repeat, enum runtime_tag tag)
{
	int fd = runtime_timer_fd(seconds, repeat);

	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return add_loop_fd(epfd, fd, tag);
}

int app_loop_setup(struct app_loop *l, double duration)
{
	struct runtime *rt = l->rt;
	sigset_t mask;
	int r;

	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rt->epfd < 0)
		return -errno;
	loop_signals(&mask);
	l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		return -errno;
	r = add_loop_fd(rt->epfd, l->sigfd, TAG_SIGNAL);
	if (!r)
		r = add_loop_timer(rt->epfd, &l->flush_fd, rt->cfg->output.flush_interval, true,
				   TAG_FLUSH);
	if (!r)
		r = add_loop_timer(rt->epfd, &l->tick_fd, 1.0, true, TAG_TICK);
	if (!r)
		r = add_loop_timer(rt->epfd, &l->poll_fd, LOADER_PERF_POLL_S, true, TAG_POLL);
	if (!r && duration > 0)
		r = add_loop_timer(rt->epfd, &l->stop_fd, duration, false, TAG_STOP);
	if (!r && rt->http)
		r = add_loop_fd(rt->epfd, prom_http_fd(rt->http), TAG_HTTP);
	/* keys for the view: only from a terminal (a file or /dev/null would read as EOF) */
	if (!r && rt->top && isatty(STDIN_FILENO))
		r = add_loop_fd(rt->epfd, STDIN_FILENO, TAG_KEY);
	return r ? r : runtime_register_all(rt);
}
