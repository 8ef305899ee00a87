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
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/resource.h>
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
#include "prom_http.h"
#include "runtime.h"
#include "sink.h"
#include "daemon.h"

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
	       "  -d, --daemon          run in the background (PID file: app.pid_file)\n"
	       "      --daemon-status   is it running? (exit 0 running, 1 dead but PID file\n"
	       "                        exists, 3 not running)\n"
	       "      --daemon-stop     stop it: SIGTERM, then SIGKILL after 10 s\n"
	       "      --duration SECS   stop cleanly after SECS seconds\n"
	       "      --format LIST     row outputs, comma-separated: csv, jsonl (files beside\n"
	       "                        the CSV ones), jsonl-stdout (JSON lines on stdout);\n"
	       "                        replaces output.format (default csv)\n"
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
	       "  1  runtime failure (BPF load or attach, output error, metrics port taken)\n"
	       "  2  usage or configuration error (nothing was loaded)\n"
	       "  3  missing privilege or kernel support (not root, no BPF, no headers)\n"
	       "  4  already running (the PID file is held by another instance)\n"
	       "  5  output directory unusable (read-only, not writable), or an output, log or\n"
	       "     PID directory unsafe (writable by all users, another user's), see SECURITY\n"
	       "     in ebpf-monitor(8)\n"
	       "SIGTERM/SIGINT stop cleanly (everything flushed); SIGHUP reopens the log and\n"
	       "CSV files and reloads the configuration.\n");
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
	struct monitor *mons;
	char (*errs)[2048];
	bool *begun;
	int unusable = 0;

	printf("Kernel features:\n");
	for (int f = 0; f < KF_COUNT; f++) {
		kcheck_probe((enum kfeature)f, &res[f]);
		printf("  %-20s %-4s %s\n", kcheck_name((enum kfeature)f), res[f].ok ? "yes" : "no",
		       res[f].detail);
	}
	printf("  %-20s %-4s %s: %s\n", "bcc", "yes", EM_BCC_VERSION, loader_bcc_features());
	printf("\nMonitors:\n");
	if (!priv) {
		printf("  (not root: attach alternatives cannot be tried; run as root)\n");
		return EXIT_NOPRIV;
	}
	if (!res[KF_HEADERS].ok || !res[KF_BPF_SYSCALL].ok) {
		printf("  (cannot compile or load probes: fix the items above)\n");
		return EXIT_NOPRIV;
	}
	mons = calloc(nsel ? nsel : 1, sizeof(*mons));
	begun = calloc(nsel ? nsel : 1, sizeof(*begun));
	errs = calloc(nsel ? nsel : 1, sizeof(*errs));
	if (!mons || !begun || !errs) {
		free(mons);
		free(begun);
		free(errs);
		return EXIT_RUNTIME;
	}
	/* Really compile, load and attach, then undo: the only answer that is true. The
	 * compiles run in parallel; the answers are printed in order. */
	for (size_t i = 0; i < nsel; i++)
		begun[i] = monitor_setup_begin(&mons[i], monitor_find(sel[i]->name), sel[i], &host,
					       errs[i], sizeof(errs[i])) == 0;
	for (size_t i = 0; i < nsel; i++) {
		const struct monitor_ops *ops = monitor_find(sel[i]->name);
		struct monitor *m = &mons[i];

		if (!begun[i] || monitor_setup_end(m, errs[i], sizeof(errs[i]))) {
			printf("  %-16s unavailable: %s\n", ops->name, errs[i]);
			unusable++;
			continue;
		}
		for (size_t p = 0; p < m->npoints; p++) {
			if (m->point_off[p])
				continue;
			printf("  %-16s %-10s %s", p ? "" : ops->name, m->points[p].name,
			       m->chosen[p] ? m->chosen[p]->name : "not attached (optional)");
			if (m->not_chosen[p])
				printf(m->chosen[p] ? " (not %s)" : " (%s)", m->not_chosen[p]);
			printf("\n");
		}
		monitor_teardown(m);
	}
	free(mons);
	free(begun);
	free(errs);
	(void)cfg;
	return unusable ? EXIT_NOPRIV : EXIT_OK;
}

static void start_failed(void *ctx, const struct monitor_cfg *mc, const char *err)
{
	(void)ctx;
	log_error("%s", err);
	log_error("%s: skipped; the other monitors keep running", mc->name);
}


static void config_destroy(struct config *c)
{
	config_free(c);
	free(c);
}

/* ---- the event loop ---- */

struct loop {
	struct runtime *rt;
	const struct cli_options *opt;
	const struct monitor_schema *schemas;
	size_t nschemas;
	int sigfd, flush_fd, tick_fd, stop_fd, poll_fd;
	bool stopping;
	time_t started;
	char base_dir[4096]; /* where we started: relative config paths resolve against it */
};

static void drain_timer(int fd)
{
	uint64_t expirations;

	(void)!read(fd, &expirations, sizeof(expirations));
}

static int timer_fd(double seconds, bool repeat)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -1;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (repeat)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* SIGHUP: reopen files (external rotation), then reload the config; a bad one is refused and
 * the running configuration stays. */
static void reload(struct loop *l)
{
	struct runtime *rt = l->rt;
	struct monitor_cfg *sel[CONFIG_MAX_MONITORS];
	struct config *nc = calloc(1, sizeof(*nc));
	char err[1024];
	int nsel, failed;

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
	log_info("SIGHUP: configuration reloaded; %zu monitor(s) running%s", runtime_running(rt),
		 failed ? ", some failed to start (see above)" : "");
}

static void handle_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP received: reopening files and reloading the configuration");
			reload(l);
			continue;
		}
		log_info("%s received: stopping", strsignal((int)si.ssi_signo));
		l->stopping = true;
	}
}

static void tick(struct loop *l)
{
	struct runtime *rt = l->rt;
	unsigned long long rows = 0, lost = 0;
	struct csv_health h;
	uint64_t offset = monitor_clock_offset();
	time_t now = time(NULL);
	char names[256], status[1024];

	for (size_t i = 0; i < rt->host.nsinks; i++) {
		if (rt->host.sinks[i]->ops->tick)
			(void)rt->host.sinks[i]->ops->tick(rt->host.sinks[i], now);
	}
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
	snprintf(status, sizeof(status),
		 "pid=%d\nstarted=%ld\nmonitors=%s\nrows=%llu\nlost=%llu\nrows_dropped=%llu\n"
		 "write_errors=%llu\noutput_failing=%d\n",
		 (int)getpid(), (long)l->started, names, rows, lost, h.rows_dropped, h.write_errors,
		 h.failing ? -h.last_err : 0);
	(void)daemon_status_write(rt->cfg->app.pid_file, status);
}

static int event_loop(struct loop *l)
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
			log_error("epoll_wait: %s", strerror(errno));
			return EXIT_RUNTIME;
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
				tick(l);
				break;
			case TAG_POLL:
				drain_timer(l->poll_fd);
				runtime_poll_perf(rt);
				break;
			case TAG_STOP:
				drain_timer(l->stop_fd);
				log_info("--duration reached: stopping");
				l->stopping = true;
				break;
			case TAG_INTERVAL:
				drain_timer(rt->interval_fd[a]);
				runtime_end_interval(rt, a, now_real_ns());
				break;
			case TAG_DRAIN:
				drain_timer(rt->drain_fd[a]);
				if (m->drain_pending)
					m->ops->collect(m, m->interval_end_ns);
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
	return EXIT_OK;
}

static int add_loop_fd(int epfd, int fd, enum runtime_tag tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = runtime_tagged(tag, 0, 0) };

	return fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -1 : 0;
}

static int setup_loop(struct loop *l, double duration)
{
	struct runtime *rt = l->rt;
	sigset_t mask;

	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rt->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l->flush_fd = timer_fd(rt->cfg->output.flush_interval, true);
	l->tick_fd = timer_fd(1.0, true);
	l->poll_fd = timer_fd(LOADER_PERF_POLL_S, true);
	l->stop_fd = duration > 0 ? timer_fd(duration, false) : -1;
	if (add_loop_fd(rt->epfd, l->sigfd, TAG_SIGNAL) ||
	    add_loop_fd(rt->epfd, l->flush_fd, TAG_FLUSH) ||
	    add_loop_fd(rt->epfd, l->tick_fd, TAG_TICK) ||
	    add_loop_fd(rt->epfd, l->poll_fd, TAG_POLL) ||
	    (duration > 0 && add_loop_fd(rt->epfd, l->stop_fd, TAG_STOP)) ||
	    (rt->http && add_loop_fd(rt->epfd, prom_http_fd(rt->http), TAG_HTTP)))
		return -errno;
	return runtime_register_all(rt);
}

/* Exits 3 (kernel support) with a message when the kernel cannot run any probe at all. */
static int check_kernel(void)
{
	struct kfeature_result kr;

	kcheck_probe(KF_HEADERS, &kr);
	if (!kr.ok) {
		fprintf(stderr, "ebpf-monitor: kernel headers %s\n", kr.detail);
		return EXIT_NOPRIV;
	}
	kcheck_probe(KF_BPF_SYSCALL, &kr);
	if (!kr.ok) {
		fprintf(stderr, "ebpf-monitor: BPF is not usable: %s\n", kr.detail);
		return EXIT_NOPRIV;
	}
	kcheck_probe(KF_TRACEFS, &kr);
	if (!kr.ok)
		log_warn("tracefs %s; tracepoint probes will fail", kr.detail);
	return EXIT_OK;
}

/* Reports the start's outcome to the process that launched the daemon. */
static void notify_started(int *fd, int code)
{
	unsigned char c = (unsigned char)code;

	if (*fd < 0)
		return;
	(void)!write(*fd, &c, 1);
	close(*fd);
	*fd = -1;
}

int main(int argc, char **argv)
{
	static struct runtime rt;
	struct monitor_schema schemas[CONFIG_MAX_MONITORS];
	struct monitor_cfg *sel[CONFIG_MAX_MONITORS];
	struct pidfile pid = { .fd = -1 };
	struct cli_options opt;
	struct loop l;
	char err[1024], logpath[1024];
	size_t nschemas = monitor_schemas(schemas, CONFIG_MAX_MONITORS);
	double t0 = now_mono();
	int nsel, rc, notify = -1;
	pid_t other;
	sigset_t mask;

	runtime_init(&rt);
	rt.cfg = calloc(1, sizeof(*rt.cfg));
	if (!rt.cfg)
		return EXIT_RUNTIME;
	if (cli_parse(argc, argv, &opt, err, sizeof(err))) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		return EXIT_USAGE;
	}
	if (opt.action == CLI_HELP) {
		print_help(schemas, nschemas);
		return EXIT_OK;
	}
	if (opt.action == CLI_VERSION) {
		print_version();
		return EXIT_OK;
	}
	if (opt.verbose)
		log_set_console_level(LOG_DEBUG);
	/* Before 5.11 BPF maps and programs count against RLIMIT_MEMLOCK, per user: root's small
	 * default (64 KiB-8 MiB) is soon spent when other BPF tools run. bcc raises it for its own
	 * loads; the checks and loads here need it too. Unprivileged: no effect. */
	{
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		(void)setrlimit(RLIMIT_MEMLOCK, &rl);
	}

	/* Everything the user can get wrong is checked before any BPF is touched. */
	if (app_load_config(rt.cfg, opt.config_path, schemas, nschemas, err, sizeof(err))) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		/* A broken file must not keep an operator from stopping the running daemon: the
		 * PID file setting read before the error (or the default) is good enough. */
		if (opt.action != CLI_DAEMON_STATUS && opt.action != CLI_DAEMON_STOP) {
			config_destroy(rt.cfg);
			return EXIT_USAGE;
		}
		fprintf(stderr, "ebpf-monitor: using PID file %s\n", rt.cfg->app.pid_file);
	}
	if (opt.action == CLI_DAEMON_STATUS || opt.action == CLI_DAEMON_STOP) {
		rc = opt.action == CLI_DAEMON_STATUS ? daemon_status(rt.cfg->app.pid_file)
						     : daemon_stop(rt.cfg->app.pid_file, 10.0);
		config_destroy(rt.cfg);
		return rc;
	}
	app_apply_cli_filters(rt.cfg, &opt);
	if (opt.daemon && (rt.cfg->output.formats & OUTPUT_JSONL_STDOUT)) {
		fprintf(stderr,
			"ebpf-monitor: the jsonl-stdout format cannot be used with --daemon "
			"(a daemon's stdout is /dev/null); use jsonl (files) instead\n");
		config_destroy(rt.cfg);
		return EXIT_USAGE;
	}
	nsel = app_select_monitors(rt.cfg, opt.monitors, schemas, nschemas, sel,
				   CONFIG_MAX_MONITORS, err, sizeof(err));
	if (nsel < 0) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		config_destroy(rt.cfg);
		return EXIT_USAGE;
	}
	if (opt.action == CLI_CHECK) {
		rc = run_check(rt.cfg, sel, (size_t)nsel);
		config_destroy(rt.cfg);
		return rc;
	}
	if (!kcheck_privileged()) {
		fprintf(stderr, "ebpf-monitor: must run as root (loading BPF programs needs "
				"CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON): try sudo ebpf-monitor\n");
		config_destroy(rt.cfg);
		return EXIT_NOPRIV;
	}
	memset(&l, 0, sizeof(l));
	if (!getcwd(l.base_dir, sizeof(l.base_dir)))
		snprintf(l.base_dir, sizeof(l.base_dir), "/");
	rc = check_kernel();
	if (rc || app_absolute_paths(rt.cfg, l.base_dir)) {
		config_destroy(rt.cfg);
		return rc ? rc : EXIT_RUNTIME;
	}
	/* Where it writes, checked before anything is written: exit 5 names the problem. */
	if (app_prepare_dirs(rt.cfg, err, sizeof(err))) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		config_destroy(rt.cfg);
		return EXIT_OUTPUT;
	}
	/* One instance per PID file; a stale one (kill -9) is taken over. */
	rc = pidfile_acquire(rt.cfg->app.pid_file, &pid, &other, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		config_destroy(rt.cfg);
		return rc == -EEXIST ? EXIT_RUNNING : rc == -ELOOP || rc == -EPERM ? EXIT_OUTPUT
										 : EXIT_RUNTIME;
	}
	if (opt.daemon) {
		if (daemon_detach(&notify)) {
			fprintf(stderr, "ebpf-monitor: cannot start in the background: %s\n",
				strerror(errno));
			pidfile_release(&pid);
			config_destroy(rt.cfg);
			return EXIT_RUNTIME;
		}
		(void)pidfile_write(&pid, getpid());
		if (chdir("/") < 0)
			log_warn("chdir /: %s", strerror(errno));
	}

	if (app_setup_logging(rt.cfg, opt.verbose, !opt.daemon, logpath, sizeof(logpath)))
		log_warn("log file %s could not be opened: %s%s; logging to stderr only", logpath,
			 strerror(errno),
			 errno == ELOOP	  ? " (a symbolic link is in its place: remove it)" :
			 errno == EPERM	  ? " (another user's file or a hard link: remove it)" :
			 errno == EINVAL ? " (not a regular file: remove it)" :
					   "");
	if (other && other != getpid())
		log_info("stale PID file %s (pid %d is gone) replaced", rt.cfg->app.pid_file,
			 (int)other);

	/* Block the signals first: they are read from the signalfd, never delivered. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	l.rt = &rt;
	l.opt = &opt;
	l.schemas = schemas;
	l.nschemas = nschemas;
	l.started = time(NULL);
	l.sigfd = l.flush_fd = l.tick_fd = l.stop_fd = l.poll_fd = -1;

	rc = EXIT_OK;
	switch (runtime_create_sinks(&rt, nsel == 1 && !opt.daemon)) {
	case 0:
		break;
	case RUNTIME_ERR_OUTPUT:
		rc = EXIT_OUTPUT;
		goto out;
	default:
		rc = EXIT_RUNTIME;
		goto out;
	}
	runtime_start_many(&rt, sel, (size_t)nsel, start_failed, NULL);
	if (!runtime_running(&rt)) {
		log_error("no monitor could be attached; see the errors above or run "
			  "ebpf-monitor --check");
		rc = EXIT_NOPRIV;
		goto out_shutdown;
	}
	if (setup_loop(&l, opt.duration)) {
		log_error("setting up the event loop failed: %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out_shutdown;
	}
	log_info("ebpf-monitor %s: %zu monitor(s) attached in %.3f s; writing to %s/",
		 EM_VERSION, runtime_running(&rt), now_mono() - t0, rt.cfg->output.directory);
	notify_started(&notify, EXIT_OK);
	/* Compiling left tens of MB of freed clang/LLVM heap behind: give it back. */
	malloc_trim(0);
	tick(&l);

	rc = event_loop(&l);
out_shutdown:
	runtime_shutdown(&rt);
	log_info("stopped");
out:
	notify_started(&notify, rc);
	pidfile_release(&pid);
	log_shutdown();
	config_destroy(rt.cfg);
	return rc;
}
