/* run.c - the sequence after argument parsing: configuration, monitor selection, the PID file,
 * daemon mode, start, the event loop, shutdown; each failure's exit code from app_exit_code(). */
#define LOG_NAME "ebpf_monitor"

#include "app/run.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/app.h"
#include "app/check_report.h"
#include "core/config.h"
#include "core/daemon.h"
#include "app/exit_code.h"
#include "core/kcheck.h"
#include "core/log.h"
#include "app/loop.h"
#include "app/overhead.h"
#include "monitors/monitor.h"
#include "output/top.h"
#include "app/runtime.h"
#include "app/usage.h"

struct app {
	const struct cli_options *opt;
	struct runtime *rt;
	struct monitor_schema schemas[CONFIG_MAX_MONITORS];
	size_t nschemas;
	struct monitor_cfg *sel[CONFIG_MAX_MONITORS];
	size_t nsel;
	struct pidfile pid;
	pid_t other; /* the pid of a stale PID file taken over, else 0 or ours */
	int notify;  /* daemon mode: the pipe to the process that launched it, else -1 */
	uint64_t t0; /* when it started (CLOCK_MONOTONIC ns) */
	struct app_loop loop;
};

static void start_failed(void *ctx, const struct monitor_cfg *mc, const char *err)
{
	(void)ctx;
	log_error("%s", err);
	log_error("%s: skipped; the other monitors keep running", mc->name);
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

/* The configuration file. 0, or -errno with the error printed; --daemon-status and
 * --daemon-stop go on with the PID file read before the error (or the default): a broken file
 * must not keep an operator from stopping the running daemon. */
static int load_config(struct app *a)
{
	char err[1024];
	int r = app_load_config(a->rt->cfg, a->opt->config_path, a->schemas, a->nschemas, err,
				sizeof(err));

	if (!r)
		return 0;
	fprintf(stderr, "ebpf-monitor: %s\n", err);
	if (a->opt->action != CLI_DAEMON_STATUS && a->opt->action != CLI_DAEMON_STOP)
		return r < 0 ? r : -EINVAL;
	fprintf(stderr, "ebpf-monitor: using PID file %s\n", a->rt->cfg->app.pid_file);
	return 0;
}

/* --top and --sort asked for something the run can show. 0 or -EINVAL (printed). */
static int check_top(const struct app *a)
{
	const struct monitor_ops *ops;
	char names[256] = "";
	size_t off = 0;

	if (!a->opt->top)
		return 0;
	if (a->nsel != 1) {
		fprintf(stderr,
			"ebpf-monitor: --top shows one monitor and %zu are selected: choose one "
			"with -m (e.g. -m syscall --top)\n",
			a->nsel);
		return -EINVAL;
	}
	if (a->rt->cfg->output.formats & OUTPUT_JSONL_STDOUT) {
		fprintf(stderr,
			"ebpf-monitor: --top needs stdout for its view and the jsonl-stdout "
			"format writes there: use jsonl (files) with --top\n");
		return -EINVAL;
	}
	ops = monitor_find(a->sel[0]->name);
	if (!a->opt->sort || !ops)
		return 0;
	for (size_t i = 0; i < ops->ncolumns; i++) {
		if (!top_sortable(&ops->columns[i]))
			continue;
		if (!strcmp(ops->columns[i].name, a->opt->sort))
			return 0;
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						off ? ", " : "", ops->columns[i].name);
	}
	fprintf(stderr,
		"ebpf-monitor: --sort %s: not a column the %s view sorts by; choose one of: %s\n",
		a->opt->sort, ops->name, names);
	return -EINVAL;
}

/* The command line's filters and formats, then the monitors to run. 0 or -errno (printed). */
static int select_monitors(struct app *a)
{
	struct config *cfg = a->rt->cfg;
	char err[1024];
	int n;

	app_apply_cli_filters(cfg, a->opt);
	if (a->opt->daemon && (cfg->output.formats & OUTPUT_JSONL_STDOUT)) {
		fprintf(stderr,
			"ebpf-monitor: the jsonl-stdout format cannot be used with --daemon "
			"(a daemon's stdout is /dev/null); use jsonl (files) instead\n");
		return -EINVAL;
	}
	n = app_select_monitors(cfg, a->opt->monitors, a->schemas, a->nschemas, a->sel,
				CONFIG_MAX_MONITORS, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		return n;
	}
	a->nsel = (size_t)n;
	return check_top(a);
}

/* Root, and a kernel that can compile and load probes at all. 0 or -errno (printed). */
static int check_support(void)
{
	struct kfeature_result kr;

	if (!kcheck_privileged()) {
		fprintf(stderr,
			"ebpf-monitor: must run as root (loading BPF programs needs "
			"CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON): try sudo ebpf-monitor\n");
		return -EPERM;
	}
	kcheck_probe(KF_HEADERS, &kr);
	if (!kr.ok) {
		fprintf(stderr, "ebpf-monitor: kernel headers %s\n", kr.detail);
		return -ENOENT;
	}
	kcheck_probe(KF_BPF_SYSCALL, &kr);
	if (!kr.ok) {
		fprintf(stderr, "ebpf-monitor: BPF is not usable: %s\n", kr.detail);
		return -EOPNOTSUPP;
	}
	kcheck_probe(KF_TRACEFS, &kr);
	if (!kr.ok)
		log_warn("tracefs %s; tracepoint probes will fail", kr.detail);
	return 0;
}

/* Where it writes, checked before anything is written (exit 5 names the problem), then the PID
 * file: one instance per PID file; a stale one (kill -9) is taken over. */
static int take_places(struct app *a, enum app_step *step)
{
	char err[1024];
	int r;

	*step = APP_STEP_DIRS;
	r = app_prepare_dirs(a->rt->cfg, err, sizeof(err));
	if (!r) {
		*step = APP_STEP_PIDFILE;
		r = pidfile_acquire(a->rt->cfg->app.pid_file, &a->pid, &a->other, err, sizeof(err));
	}
	if (r)
		fprintf(stderr, "ebpf-monitor: %s\n", err);
	return r;
}

/* --daemon: into the background (the launcher waits for notify_started()), the PID file
 * rewritten with the daemon's pid, the working directory /. 0 or -errno (printed). */
static int detach(struct app *a)
{
	if (daemon_detach(&a->notify)) {
		int e = errno;

		fprintf(stderr, "ebpf-monitor: cannot start in the background: %s\n", strerror(e));
		return e ? -e : -ECHILD;
	}
	(void)pidfile_write(&a->pid, getpid());
	if (chdir("/") < 0)
		log_warn("chdir /: %s", strerror(errno));
	return 0;
}

static void setup_logging(struct app *a)
{
	char logpath[1024];
	/* the returned errno: the file checks (io_file_check) do not set errno */
	int e = -app_setup_logging(a->rt->cfg, a->opt->verbose, !a->opt->daemon, logpath,
				   sizeof(logpath));

	if (e > 0)
		log_warn("log file %s could not be opened: %s%s; logging to stderr only", logpath,
			 strerror(e),
			 e == ELOOP  ? " (a symbolic link is in its place: remove it)" :
			 e == EPERM  ? " (another user's file or a hard link: remove it)" :
			 e == EINVAL ? " (not a regular file: remove it)" :
				       "");
	if (a->other && a->other != getpid())
		log_info("stale PID file %s (pid %d is gone) replaced", a->rt->cfg->app.pid_file,
			 (int)a->other);
}

/* The console: with one monitor in the foreground, the table, or --top's view of an aggregating
 * one (a monitor of single events, exec, has no intervals to show: the table, said once). */
static enum runtime_console console_mode(const struct app *a)
{
	const struct monitor_ops *ops;

	if (a->nsel != 1 || a->opt->daemon)
		return RUNTIME_CONSOLE_NONE;
	if (!a->opt->top)
		return RUNTIME_CONSOLE_TABLE;
	ops = monitor_find(a->sel[0]->name);
	if (ops && ops->aggregating)
		return RUNTIME_CONSOLE_TOP;
	log_warn("--top shows monitors that count per interval; %s writes one row per event: "
		 "writing the table instead",
		 a->sel[0]->name);
	return RUNTIME_CONSOLE_TABLE;
}

/* The outputs, the monitors, the loop; until stopped. The exit code. */
static int run_started(struct app *a)
{
	struct runtime *rt = a->rt;
	enum app_step step;
	int r;

	r = runtime_create_sinks(rt, console_mode(a), a->opt->sort);
	if (r)
		return app_exit_code(APP_STEP_OUTPUT, r);
	r = runtime_create_endpoint(rt, &step);
	if (r)
		return app_exit_code(step, r);
	runtime_start_many(rt, a->sel, a->nsel, start_failed, NULL);
	overhead_configure(rt);
	if (!runtime_running(rt)) {
		log_error("no monitor could be attached; see the errors above or run "
			  "ebpf-monitor --check");
		r = app_exit_code(APP_STEP_SUPPORT, -ENODEV);
		goto out_shutdown;
	}
	r = app_loop_setup(&a->loop, a->opt->duration);
	if (r) {
		log_error("setting up the event loop failed: %s", strerror(-r));
		r = app_exit_code(APP_STEP_RUN, r);
		goto out_shutdown;
	}
	log_info("ebpf-monitor %s: %zu monitor(s) attached in %.3f s; writing to %s/", EM_VERSION,
		 runtime_running(rt), (double)(clock_ns(CLOCK_MONOTONIC) - a->t0) / 1e9,
		 rt->cfg->output.directory);
	notify_started(&a->notify, EXIT_OK);
	/* Compiling left tens of MB of freed clang/LLVM heap behind: give it back. */
	malloc_trim(0);
	app_loop_tick(&a->loop);
	r = app_exit_code(APP_STEP_RUN, app_loop_run(&a->loop));
out_shutdown:
	runtime_shutdown(rt);
	log_info("stopped");
	return r;
}

/* The monitor itself, its configuration loaded and its monitors selected. */
static int run_monitors(struct app *a)
{
	enum app_step step;
	int r, rc;

	r = check_support();
	if (r)
		return app_exit_code(APP_STEP_SUPPORT, r);
	if (!getcwd(a->loop.base_dir, sizeof(a->loop.base_dir)))
		snprintf(a->loop.base_dir, sizeof(a->loop.base_dir), "/");
	r = app_absolute_paths(a->rt->cfg, a->loop.base_dir);
	if (r)
		return app_exit_code(APP_STEP_RUN, r < 0 ? r : -ENOMEM);
	r = take_places(a, &step);
	if (r)
		return app_exit_code(step, r);
	if (a->opt->daemon) {
		r = detach(a);
		if (r) {
			pidfile_release(&a->pid);
			return app_exit_code(APP_STEP_RUN, r);
		}
	}
	setup_logging(a);
	app_loop_block_signals();
	app_loop_init(&a->loop, a->rt, a->opt, a->schemas, a->nschemas);
	rc = run_started(a);
	notify_started(&a->notify, rc);
	pidfile_release(&a->pid);
	log_shutdown();
	return rc;
}

/* The configuration, then the action asked for. The exit code. */
static int dispatch(struct app *a)
{
	const struct cli_options *opt = a->opt;
	int r;

	r = load_config(a);
	if (r)
		return app_exit_code(APP_STEP_CONFIG, r);
	if (opt->action == CLI_DAEMON_STATUS)
		return daemon_status(a->rt->cfg->app.pid_file);
	if (opt->action == CLI_DAEMON_STOP)
		return daemon_stop(a->rt->cfg->app.pid_file, 10.0);
	r = select_monitors(a);
	if (r)
		return app_exit_code(APP_STEP_CONFIG, r);
	if (opt->action == CLI_CHECK) {
		r = app_check_report(a->sel, a->nsel);
		overhead_check_report(a->rt->cfg, a->sel, a->nsel);
		return app_exit_code(APP_STEP_SUPPORT, r);
	}
	return run_monitors(a);
}

int app_run(const struct cli_options *opt)
{
	static struct runtime rt;
	static struct app a;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int rc;

	if (opt->action == CLI_HELP) {
		app_print_help();
		return EXIT_OK;
	}
	if (opt->action == CLI_VERSION) {
		app_print_version();
		return EXIT_OK;
	}
	if (opt->verbose)
		log_set_console_level(LOG_DEBUG);
	/* Before 5.11 BPF maps and programs count against RLIMIT_MEMLOCK, per user: root's small
	 * default (64 KiB-8 MiB) is soon spent when other BPF tools run. bcc raises it for its own
	 * loads; the checks and loads here need it too. Unprivileged: no effect. */
	(void)setrlimit(RLIMIT_MEMLOCK, &rl);

	memset(&a, 0, sizeof(a));
	a.opt = opt;
	a.rt = &rt;
	a.pid.fd = -1;
	a.notify = -1;
	a.t0 = clock_ns(CLOCK_MONOTONIC);
	a.nschemas = monitor_schemas(a.schemas, CONFIG_MAX_MONITORS);
	runtime_init(&rt);
	/* The configuration's one owner: replaced whole by a reload, freed here. */
	rt.cfg = calloc(1, sizeof(*rt.cfg));
	rc = rt.cfg ? dispatch(&a) : EXIT_RUNTIME;
	config_destroy(rt.cfg);
	return rc;
}
