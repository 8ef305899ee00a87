/* main.c - ebpf-monitor's entry point and its event loop (one thread, epoll over perf buffers,
 * timerfds and a signalfd). */
#define LOG_NAME "ebpf_monitor"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cli.h"
#include "config.h"
#include "kcheck.h"
#include "loader.h"
#include "log.h"
#include "monitor.h"
#include "sink.h"

#define MAX_RUNNING CONFIG_MAX_MONITORS

enum tag { TAG_PERF = 1, TAG_SIGNAL, TAG_FLUSH, TAG_TICK, TAG_STOP, TAG_INTERVAL, TAG_DRAIN };

struct runtime {
	struct config cfg;
	struct monitor mons[MAX_RUNNING];
	size_t nmons;
	struct monitor_host host;
	int epfd, sigfd, flush_fd, tick_fd, stop_fd;
	int interval_fd[MAX_RUNNING];
	int drain_fd[MAX_RUNNING];
	bool stopping;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void print_help(const struct monitor_schema *schemas, size_t n)
{
	printf("Usage: ebpf-monitor [OPTIONS]\n"
	       "Low-overhead Linux system monitor: BPF probes, CSV files, a live console table.\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config PATH     config file (default: ./config/monitor_config.yaml, then\n"
	       "                        /etc/ebpf-monitor/monitor_config.yaml, else built-in "
	       "defaults)\n"
	       "  -m, --monitors LIST   run exactly these monitors, comma-separated\n"
	       "  -v, --verbose         debug logging on the console\n"
	       "  -p, --pid PID[,PID]   only measure these processes (tgids); repeatable;\n"
	       "                        replaces filters.pids of the config for every monitor\n"
	       "  -u, --uid USER[,USER] only measure tasks of these users (names or UIDs);\n"
	       "                        repeatable; replaces filters.uids for every monitor\n"
	       "      --comm NAME[,NAME] only measure tasks with exactly these names (at most\n"
	       "                        15 bytes, as the kernel keeps them); repeatable\n"
	       "  -d, --daemon          run in the background (not implemented yet)\n"
	       "      --daemon-status   report the daemon's state (not implemented yet)\n"
	       "      --daemon-stop     stop the daemon (not implemented yet)\n"
	       "      --duration SECS   stop cleanly after SECS seconds\n"
	       "      --check           report what this kernel supports and how each monitor\n"
	       "                        would attach; loads nothing permanently\n"
	       "  -V, --version         print the version\n"
	       "  -h, --help            this help\n"
	       "\n"
	       "Monitors:\n");
	for (size_t i = 0; i < n; i++) {
		const struct monitor_ops *o = monitor_find(schemas[i].name);

		printf("  %-16s %s\n", o->name, o->description);
	}
	printf("\n"
	       "Exit status:\n"
	       "  0  success\n"
	       "  1  runtime failure (BPF load or attach, output error)\n"
	       "  2  usage or configuration error (nothing was loaded)\n"
	       "  3  missing privilege or kernel support (not root, no BPF, no headers)\n");
}

static void print_version(void)
{
	struct utsname u;

	uname(&u);
	printf("ebpf-monitor %s (libbcc %s, kernel %s)\n", EM_VERSION, EM_BCC_VERSION, u.release);
}

/* ---- --check ---- */

static int run_check(struct config *cfg, struct monitor_cfg **sel, size_t nsel)
{
	struct kfeature_result res[KF_COUNT];
	struct monitor_host host = { .nsinks = 0 };
	bool priv = kcheck_privileged();
	int unusable = 0;

	printf("Kernel features:\n");
	for (int f = 0; f < KF_COUNT; f++) {
		kcheck_probe((enum kfeature)f, &res[f]);
		printf("  %-20s %-4s %s\n", kcheck_name((enum kfeature)f), res[f].ok ? "yes" : "no",
		       res[f].detail);
	}
	printf("\nMonitors:\n");
	if (!priv) {
		printf("  (not root: attach alternatives cannot be tried; run as root)\n");
		return EXIT_NOPRIV;
	}
	if (!res[KF_HEADERS].ok || !res[KF_BPF_SYSCALL].ok) {
		printf("  (cannot compile or load probes: fix the items above)\n");
		return EXIT_NOPRIV;
	}
	for (size_t i = 0; i < nsel; i++) {
		const struct monitor_ops *ops = monitor_find(sel[i]->name);
		struct monitor m;
		char err[2048];

		/* Really compile, load and attach, then undo: the only answer that is true. */
		if (monitor_setup(&m, ops, sel[i], &host, err, sizeof(err))) {
			printf("  %-16s unavailable: %s\n", ops->name, err);
			unusable++;
			continue;
		}
		for (size_t p = 0; p < m.npoints; p++) {
			if (m.point_off[p])
				continue;
			printf("  %-16s %-10s %s", p ? "" : ops->name, m.points[p].name,
			       m.chosen[p] ? m.chosen[p]->name : "not attached (optional)");
			if (m.not_chosen[p])
				printf(m.chosen[p] ? " (not %s)" : " (%s)", m.not_chosen[p]);
			printf("\n");
		}
		monitor_teardown(&m);
	}
	(void)cfg;
	return unusable ? EXIT_NOPRIV : EXIT_OK;
}

/* ---- event loop ---- */

static int add_fd(int epfd, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int make_timer(double seconds, bool repeat)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -1;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (repeat)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drain_timer(int fd)
{
	uint64_t expirations;

	(void)!read(fd, &expirations, sizeof(expirations));
}

static void flush_sinks(struct runtime *rt, bool sync)
{
	for (size_t i = 0; i < rt->host.nsinks; i++) {
		int r = rt->host.sinks[i]->ops->flush(rt->host.sinks[i], sync);

		if (r)
			log_error("%s output: flush failed: %s", rt->host.sinks[i]->ops->name,
				  strerror(-r));
	}
}

static void drain_perf(struct monitor *m)
{
	for (size_t i = 0; i < loader_perf_count(m->bpf); i++)
		loader_perf_consume(m->bpf, i);
}

static void handle_signal(struct runtime *rt)
{
	struct signalfd_siginfo si;

	while (read(rt->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reopening log and output files");
			(void)log_reopen();
			for (size_t i = 0; i < rt->host.nsinks; i++) {
				if (rt->host.sinks[i]->ops->reopen)
					(void)rt->host.sinks[i]->ops->reopen(rt->host.sinks[i]);
			}
			continue;
		}
		log_info("%s received: stopping", strsignal((int)si.ssi_signo));
		rt->stopping = true;
	}
}

static void tick(struct runtime *rt)
{
	time_t now = time(NULL);
	uint64_t offset = monitor_clock_offset();

	for (size_t i = 0; i < rt->host.nsinks; i++) {
		if (rt->host.sinks[i]->ops->tick)
			(void)rt->host.sinks[i]->ops->tick(rt->host.sinks[i], now);
	}
	for (size_t i = 0; i < rt->nmons; i++) {
		rt->mons[i].mono_to_real_ns = offset;
		monitor_check_losses(&rt->mons[i]);
	}
}

/* The interval ends now: flip the epoch; the drain follows after the grace period. */
static void end_interval(struct runtime *rt, unsigned i)
{
	struct itimerspec grace = { { 0, 0 }, { 0, (long)(MONITOR_DRAIN_GRACE_S * 1e9) } };
	int r = monitor_flip_epoch(&rt->mons[i], now_real_ns());

	if (r) {
		log_error("%s: ending the interval failed: %s", rt->mons[i].ops->name,
			  strerror(-r));
		return;
	}
	(void)timerfd_settime(rt->drain_fd[i], 0, &grace, NULL);
}

static int event_loop(struct runtime *rt)
{
	struct epoll_event evs[64];

	while (!rt->stopping) {
		int n = epoll_wait(rt->epfd, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			unsigned tag = (unsigned)(d >> 56), a = (unsigned)(d >> 24) & 0xffffffu,
				 b = (unsigned)d & 0xffffffu;

			switch (tag) {
			case TAG_PERF:
				loader_perf_consume(rt->mons[a].bpf, b);
				break;
			case TAG_SIGNAL:
				handle_signal(rt);
				break;
			case TAG_FLUSH:
				drain_timer(rt->flush_fd);
				flush_sinks(rt, false);
				break;
			case TAG_TICK:
				drain_timer(rt->tick_fd);
				tick(rt);
				break;
			case TAG_STOP:
				drain_timer(rt->stop_fd);
				log_info("--duration reached: stopping");
				rt->stopping = true;
				break;
			case TAG_INTERVAL:
				drain_timer(rt->interval_fd[a]);
				end_interval(rt, a);
				break;
			case TAG_DRAIN:
				drain_timer(rt->drain_fd[a]);
				rt->mons[a].ops->collect(&rt->mons[a], rt->mons[a].interval_end_ns);
				break;
			}
		}
	}
	return EXIT_OK;
}

static uint64_t tagged(enum tag t, unsigned a, unsigned b)
{
	return (uint64_t)t << 56 | (uint64_t)(a & 0xffffffu) << 24 | (b & 0xffffffu);
}

static int setup_loop(struct runtime *rt, double duration)
{
	sigset_t mask;

	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rt->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	rt->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (rt->sigfd < 0 || add_fd(rt->epfd, rt->sigfd, tagged(TAG_SIGNAL, 0, 0)))
		return -errno;
	rt->flush_fd = make_timer(rt->cfg.output.flush_interval, true);
	rt->tick_fd = make_timer(1.0, true);
	if (rt->flush_fd < 0 || rt->tick_fd < 0 ||
	    add_fd(rt->epfd, rt->flush_fd, tagged(TAG_FLUSH, 0, 0)) ||
	    add_fd(rt->epfd, rt->tick_fd, tagged(TAG_TICK, 0, 0)))
		return -errno;
	if (duration > 0) {
		rt->stop_fd = make_timer(duration, false);
		if (rt->stop_fd < 0 || add_fd(rt->epfd, rt->stop_fd, tagged(TAG_STOP, 0, 0)))
			return -errno;
	}
	for (size_t i = 0; i < rt->nmons; i++) {
		struct monitor *m = &rt->mons[i];

		for (size_t p = 0; p < loader_perf_count(m->bpf); p++) {
			if (add_fd(rt->epfd, loader_perf_fd(m->bpf, p),
				   tagged(TAG_PERF, (unsigned)i, (unsigned)p)))
				return -errno;
		}
		if (m->ops->aggregating && m->ops->collect) {
			rt->interval_fd[i] = make_timer(m->cfg->interval, true);
			rt->drain_fd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
			if (rt->interval_fd[i] < 0 || rt->drain_fd[i] < 0 ||
			    add_fd(rt->epfd, rt->interval_fd[i], tagged(TAG_INTERVAL, (unsigned)i, 0)) ||
			    add_fd(rt->epfd, rt->drain_fd[i], tagged(TAG_DRAIN, (unsigned)i, 0)))
				return -errno;
		}
	}
	return 0;
}

/* Stop order matters: detach (no new events), read what the perf buffers still hold, emit the
 * last partial interval, then flush and fsync every sink. */
static void shutdown_all(struct runtime *rt)
{
	struct timespec grace = { 0, (long)(MONITOR_DRAIN_GRACE_S * 1e9) };
	uint64_t end = now_real_ns();

	for (size_t i = 0; i < rt->nmons; i++)
		loader_detach(rt->mons[i].bpf);
	/* Detached: after the grace period no program is running any more. */
	nanosleep(&grace, NULL);
	for (size_t i = 0; i < rt->nmons; i++) {
		struct monitor *m = &rt->mons[i];

		drain_perf(m);
		if (m->ops->aggregating && m->ops->collect) {
			/* An interval that ended just before the stop, not drained yet... */
			if (m->drain_pending)
				m->ops->collect(m, m->interval_end_ns);
			/* ...and the last, partial one: its rows carry the stop time. */
			if (monitor_flip_epoch(m, end) == 0)
				m->ops->collect(m, m->interval_end_ns);
		}
		monitor_check_losses(m);
		log_info("%s: %llu events, %llu rows, %llu lost", m->ops->name,
			 (unsigned long long)m->stats.events, (unsigned long long)m->stats.rows,
			 (unsigned long long)m->stats.reported_lost);
	}
	flush_sinks(rt, true);
	for (size_t i = 0; i < rt->host.nsinks; i++)
		sink_destroy(rt->host.sinks[i]);
	rt->host.nsinks = 0;
	for (size_t i = 0; i < rt->nmons; i++)
		monitor_teardown(&rt->mons[i]);
	rt->nmons = 0;
}

static int create_sinks(struct runtime *rt, bool console)
{
	struct csv_sink_options co = {
		.directory = rt->cfg.output.directory,
		.delimiter = rt->cfg.output.csv_delimiter,
		.include_header = rt->cfg.output.include_header,
		.buffer_rows = (unsigned)rt->cfg.output.buffer_size,
		.retention_days = (unsigned)rt->cfg.output.retention_days,
		.start = time(NULL),
	};
	struct sink *csv = csv_sink_create(&co);

	if (!csv) {
		log_error("output directory %s: %s (check output.directory and its permissions)",
			  co.directory, strerror(errno));
		return -1;
	}
	rt->host.sinks[rt->host.nsinks++] = csv;
	if (console) {
		struct sink *con = console_sink_create(STDOUT_FILENO);

		if (con)
			rt->host.sinks[rt->host.nsinks++] = con;
	}
	return 0;
}

static int start_monitors(struct runtime *rt, struct monitor_cfg **sel, size_t nsel)
{
	for (size_t i = 0; i < nsel; i++) {
		const struct monitor_ops *ops = monitor_find(sel[i]->name);
		struct monitor *m = &rt->mons[rt->nmons];
		char err[2048];

		if (monitor_setup(m, ops, sel[i], &rt->host, err, sizeof(err))) {
			log_error("%s", err);
			log_error("%s: skipped; the other monitors keep running", ops->name);
			continue;
		}
		m->stream = (int)rt->nmons;
		rt->nmons++;
		{
			char f[4096];

			app_describe_filters(&sel[i]->filters, f, sizeof(f));
			log_info("%s: filters: %s", ops->name, f);
		}
	}
	return (int)rt->nmons;
}

static int add_streams(struct runtime *rt)
{
	for (size_t s = 0; s < rt->host.nsinks; s++) {
		struct sink *k = rt->host.sinks[s];

		for (size_t i = 0; i < rt->nmons; i++) {
			const struct monitor_ops *o = rt->mons[i].ops;
			int r = k->ops->add_stream(k, rt->mons[i].stream, o->name,
						   rt->mons[i].columns, rt->mons[i].ncolumns);

			if (r) {
				log_error("%s output for %s: %s", k->ops->name, o->name,
					  strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct runtime rt;
	struct monitor_schema schemas[CONFIG_MAX_MONITORS];
	struct monitor_cfg *sel[CONFIG_MAX_MONITORS];
	struct cli_options opt;
	char err[1024], logpath[1024];
	size_t nschemas = monitor_schemas(schemas, CONFIG_MAX_MONITORS);
	double t0 = now_mono();
	int nsel, rc;
	sigset_t mask;

	if (cli_parse(argc, argv, &opt, err, sizeof(err))) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		return EXIT_USAGE;
	}
	switch (opt.action) {
	case CLI_HELP:
		print_help(schemas, nschemas);
		return EXIT_OK;
	case CLI_VERSION:
		print_version();
		return EXIT_OK;
	case CLI_DAEMON_STATUS:
	case CLI_DAEMON_STOP:
		fprintf(stderr, "ebpf-monitor: %s is not implemented yet\n",
			opt.action == CLI_DAEMON_STOP ? "--daemon-stop" : "--daemon-status");
		return EXIT_RUNTIME;
	default:
		break;
	}
	if (opt.daemon) {
		fprintf(stderr, "ebpf-monitor: --daemon is not implemented yet; run in the "
				"foreground (or under systemd)\n");
		return EXIT_RUNTIME;
	}
	if (opt.verbose)
		log_set_console_level(LOG_DEBUG);

	/* Everything the user can get wrong is checked before any BPF is touched. */
	if (app_load_config(&rt.cfg, opt.config_path, schemas, nschemas, err, sizeof(err))) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		config_free(&rt.cfg);
		return EXIT_USAGE;
	}
	app_apply_cli_filters(&rt.cfg, &opt);
	nsel = app_select_monitors(&rt.cfg, opt.monitors, schemas, nschemas, sel,
				   CONFIG_MAX_MONITORS, err, sizeof(err));
	if (nsel < 0) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		config_free(&rt.cfg);
		return EXIT_USAGE;
	}
	if (opt.action == CLI_CHECK) {
		rc = run_check(&rt.cfg, sel, (size_t)nsel);
		config_free(&rt.cfg);
		return rc;
	}
	if (!kcheck_privileged()) {
		fprintf(stderr, "ebpf-monitor: must run as root (loading BPF programs needs "
				"CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON): try sudo ebpf-monitor\n");
		config_free(&rt.cfg);
		return EXIT_NOPRIV;
	}
	{
		struct kfeature_result kr;

		kcheck_probe(KF_HEADERS, &kr);
		if (!kr.ok) {
			fprintf(stderr, "ebpf-monitor: kernel headers %s\n", kr.detail);
			config_free(&rt.cfg);
			return EXIT_NOPRIV;
		}
		kcheck_probe(KF_BPF_SYSCALL, &kr);
		if (!kr.ok) {
			fprintf(stderr, "ebpf-monitor: BPF is not usable: %s\n", kr.detail);
			config_free(&rt.cfg);
			return EXIT_NOPRIV;
		}
		kcheck_probe(KF_TRACEFS, &kr);
		if (!kr.ok)
			log_warn("tracefs %s; tracepoint probes will fail", kr.detail);
	}

	if (app_setup_logging(&rt.cfg, opt.verbose, true, logpath, sizeof(logpath)))
		log_warn("log file %s could not be opened: %s; logging to stderr only", logpath,
			 strerror(errno));

	/* Block the signals first: they are read from the signalfd, never delivered. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (create_sinks(&rt, nsel == 1)) {
		config_free(&rt.cfg);
		return EXIT_RUNTIME;
	}
	if (start_monitors(&rt, sel, (size_t)nsel) == 0) {
		log_error("no monitor could be attached; see the errors above or run "
			  "ebpf-monitor --check");
		shutdown_all(&rt);
		config_free(&rt.cfg);
		return EXIT_NOPRIV;
	}
	if (add_streams(&rt) || setup_loop(&rt, opt.duration)) {
		log_error("setting up the event loop failed: %s", strerror(errno));
		shutdown_all(&rt);
		config_free(&rt.cfg);
		return EXIT_RUNTIME;
	}
	log_info("ebpf-monitor %s: %zu monitor(s) attached in %.3f s; writing to %s/",
		 EM_VERSION, rt.nmons, now_mono() - t0, rt.cfg.output.directory);
	/* Compiling left tens of MB of freed clang/LLVM heap behind: give it back. */
	malloc_trim(0);

	rc = event_loop(&rt);
	shutdown_all(&rt);
	log_info("stopped");
	log_shutdown();
	config_free(&rt.cfg);
	return rc;
}
