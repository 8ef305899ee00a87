/* runtime.h - the running set of monitors and outputs: start and stop one monitor, register its
 * descriptors with the event loop, reload the configuration, shut everything down in order. */
#ifndef EM_RUNTIME_H
#define EM_RUNTIME_H

#include "app/exit_code.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "app/overhead.h"
#include "core/config.h"
#include "monitors/monitor.h"

struct csv_health;

#define RUNTIME_MAX_SLOTS CONFIG_MAX_MONITORS

/* epoll data: tag << 56 | slot << 24 | index */
enum runtime_tag {
	TAG_PERF = 1,
	TAG_SIGNAL,
	TAG_FLUSH,
	TAG_TICK,
	TAG_STOP,
	TAG_INTERVAL,
	TAG_DRAIN,
	TAG_HTTP, /* the Prometheus endpoint's libmicrohttpd epoll fd */
	TAG_POLL, /* every LOADER_PERF_POLL_S: the perf buffers' events short of a wakeup */
	TAG_KEY,  /* stdin, under the --top view: its keys */
};

static inline uint64_t runtime_tagged(enum runtime_tag t, unsigned a, unsigned b)
{
	return (uint64_t)t << 56 | (uint64_t)(a & 0xffffffu) << 24 | (b & 0xffffffu);
}

/* fd watched by epfd for input, its events tagged `data` (runtime_tagged()): 0 or -errno. */
int runtime_watch(int epfd, int fd, uint64_t data);
/* A timerfd (CLOCK_MONOTONIC, non-blocking) firing after `seconds`, and every `seconds` when
 * repeat: its fd, or -errno. */
int runtime_timer_fd(double seconds, bool repeat);

/* The CSV output's health as last reported: a failure is logged when it starts, then at most
 * once a minute, and its end once. */
struct output_watch {
	bool failing;
	time_t since, last_report;
	unsigned long long dropped0; /* rows dropped before this failure began */
};

struct runtime {
	struct config *cfg;			/* owned; replaced whole by a reload */
	struct monitor mons[RUNTIME_MAX_SLOTS]; /* a slot is in use while mons[i].bpf != NULL */
	size_t nslots;				/* slots ever used: the loops' bound */
	int interval_fd[RUNTIME_MAX_SLOTS];
	int drain_fd[RUNTIME_MAX_SLOTS];
	int next_stream; /* stream ids are never reused */
	struct monitor_host host;
	int epfd; /* -1 until the loop exists */
	struct output_watch outw;
	time_t sink_err_logged[8]; /* last flush error logged, per sink (host.sinks) */
	struct sink *prom;	   /* also in host.sinks; NULL when disabled */
	struct sink *top;	   /* the --top view, also in host.sinks; NULL when not shown */
	struct prom_http *http;	   /* serves prom; lives as long as the sinks */
	struct overhead_state overhead;
};

static inline bool runtime_slot_used(const struct runtime *rt, size_t i)
{
	return rt->mons[i].bpf != NULL;
}

void runtime_init(struct runtime *rt);
/* The outputs of output.format (CSV, JSON lines files or stdout) and the console when `console`
 * asks for one (and stdout is not taken by JSON lines): --top's view sorted by `sort` (NULL:
 * count) when stdout is a terminal, else the table. They live until runtime_shutdown(), across
 * reloads. 0, or -errno after logging one error that names the output directory's problem
 * (read-only, not writable, not a directory) and the fix. */
enum runtime_console {
	RUNTIME_CONSOLE_NONE,
	RUNTIME_CONSOLE_TABLE, /* the appending table */
	RUNTIME_CONSOLE_TOP,   /* the full-screen view (the table when stdout is no terminal) */
};
int runtime_create_sinks(struct runtime *rt, enum runtime_console console, const char *sort);
/* Gives the terminal back from the --top view and writes the log records it held back; at the
 * start of runtime_shutdown(), before the stop's totals. Idempotent. */
void runtime_console_end(struct runtime *rt);
/* The Prometheus sink and its endpoint, when output.prometheus.enabled (after
 * runtime_create_sinks(): the last sink), with TLS and basic authentication from
 * output.prometheus.web_config_file. 0, or -errno after logging one error that names the
 * problem (the metrics port is taken, the address is not on this host, a certificate file is
 * missing, ...) and the fix; *step says which: APP_STEP_WEBCFG for the web configuration file,
 * APP_STEP_RUN for the rest. */
int runtime_create_endpoint(struct runtime *rt, enum app_step *step);
/* SIGHUP, after runtime_reload(): the web configuration file read again (rotated certificates,
 * changed users) and applied to the running endpoint on its open port, if anything changed.
 * A bad file is refused with one error and the endpoint keeps its settings. 0 or -errno. */
int runtime_reload_endpoint(struct runtime *rt);
/* About once a second: logs a CSV write failure (disk full, I/O error) when it starts, a reminder
 * once a minute while it lasts and its end with the rows dropped meanwhile. */
void runtime_check_output(struct runtime *rt, time_t now);
/* The file outputs' health (CSV and JSON lines files alike): failing when any of them fails;
 * the counts are the largest of any one of them (each writes the same rows). */
void runtime_output_health(struct runtime *rt, struct csv_health *h);
/* Sets up one monitor, gives it a stream in every sink and, once the loop exists, registers
 * its descriptors. 0, or -errno with err filled (the other monitors are unaffected). */
int runtime_start(struct runtime *rt, struct monitor_cfg *mc, char *err, size_t errlen);
typedef void (*runtime_start_failed_cb)(void *ctx, const struct monitor_cfg *mc, const char *err);
/* runtime_start() for several monitors, their probes compiled in parallel; calls `failed` for
 * each one that could not start. Returns how many started. */
size_t runtime_start_many(struct runtime *rt, struct monitor_cfg **mcs, size_t n,
			  runtime_start_failed_cb failed, void *ctx);
/* The parallel start's two passes over n monitors (at most RUNTIME_MAX_SLOTS): begin(ctx, i)
 * for each (its compile under way, compile_parallelism() at a time, none awaited), then
 * end(ctx, i, begun) for each in order, `begun` telling whether its begin() returned 0. Used by
 * runtime_start_many() and by --check, which sets monitors up without a runtime. */
typedef int (*runtime_begin_fn)(void *ctx, size_t i);
typedef void (*runtime_end_fn)(void *ctx, size_t i, bool begun);
void runtime_two_pass(size_t n, runtime_begin_fn begin, runtime_end_fn end, void *ctx);
/* Registers every started monitor's descriptors (after runtime_start()s before the loop). */
int runtime_register_all(struct runtime *rt);
/* Stops one monitor losing nothing: detach, drain its perf buffers, emit its pending and last
 * partial intervals, flush the sinks; then frees it. */
void runtime_stop(struct runtime *rt, size_t slot);
/* Stops everything in that order, flushes and fsyncs, destroys the sinks. */
void runtime_shutdown(struct runtime *rt);
/* Applies a new, already validated configuration: monitors no longer selected or changed are
 * stopped, new or changed ones started, unchanged ones keep running untouched. Takes
 * ownership of newcfg (heap-allocated; sel points into it). Returns how many monitors failed
 * to start. */
int runtime_reload(struct runtime *rt, struct config *newcfg, struct monitor_cfg **sel,
		   size_t nsel);
size_t runtime_running(const struct runtime *rt);
/* "exec,syscall" */
void runtime_names(const struct runtime *rt, char *buf, size_t len);

void runtime_flush(struct runtime *rt, bool sync);
/* Reads every running monitor's perf buffers. */
void runtime_poll_perf(struct runtime *rt);
/* Tells the sinks how slot i's monitor is doing (loss counters; probes with `probes`). */
void runtime_health(struct runtime *rt, size_t slot, bool probes, bool stopped);
/* Interval end for slot i: flip the epoch and arm the drain after the grace period. */
void runtime_end_interval(struct runtime *rt, unsigned slot, uint64_t now_ns);

#endif
