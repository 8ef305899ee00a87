/* overhead.h - the overhead budget in the running program: the kernel's BPF statistics on while
 * a budget is configured, the budget step once a second (src/monitors/sampling.h), and what
 * --daemon-status and --check say about it. */
#ifndef EM_OVERHEAD_H
#define EM_OVERHEAD_H

#include <stdbool.h>
#include <stddef.h>

struct runtime;
struct config;
struct monitor_cfg;

/* The runtime's budget state (in struct runtime). */
struct overhead_state {
	bool configured;       /* a budget is configured: measuring */
	bool kernel_stats;     /* the kernel keeps BPF statistics (else: the estimate) */
	int stats;	       /* loader_stats_enable's handle while a window is open; -1: off */
	const char *stats_how; /* how they are turned on */
	double speed;	       /* monitor_calibrate() / the reference, without statistics */
	unsigned ticks;	       /* since the last measurement window */
	bool window_failed;    /* a window could not be opened (said once) */
	bool primed;
	double last_now, last_cpu; /* CLOCK_MONOTONIC and the process's CPU, seconds */
	double self, total;	   /* the last tick: the process's own CPU, everything */
};

/* Whether the configuration has a budget anywhere (top level or a monitor's own). */
bool overhead_configured(const struct config *cfg);
/* After the monitors start and after each reload: statistics on (or the estimate calibrated)
 * when a budget is configured, off when none is; one log line says which. */
void overhead_configure(struct runtime *rt);
/* The once-a-second step (from app_loop_tick); nothing without a budget. */
void overhead_tick(struct runtime *rt);
/* At shutdown: statistics off. */
void overhead_stop(struct runtime *rt);
/* Lines for the status file ("budget=...\n..."), "" without a budget. */
void overhead_status(const struct runtime *rt, char *buf, size_t len);
/* --check: the budget configured and how the cost would be measured, for these monitors. */
void overhead_check_report(const struct config *cfg, struct monitor_cfg *const *sel, size_t nsel);

#endif
