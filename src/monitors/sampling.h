/* sampling.h - the overhead budget in the monitors: what each one cost over the last second,
 * its probe's sampling rate, the rows' sample_rate, and the once-a-second step that ties them to
 * the controller (budget.h). src/app calls the step from its 1 s tick. */
#ifndef EM_SAMPLING_H
#define EM_SAMPLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitors/budget.h"

struct monitor;
struct monitor_plan;
struct column;

/* How costs are measured, for every monitor alike.
 *
 * The kernel's BPF statistics (run time and run count per program) cost every BPF program two
 * clock reads per run while they are on: in a VM that is as much as the syscall probe itself
 * (bench/README.md). So they are on only in measurement windows, one tick out of
 * MONITOR_WINDOW_EVERY and the tick after each change of a rate. A window measures each
 * monitor's cost, and its cost per event: at N = 1 what a counted event costs, at N > 1 with
 * that what a skipped one costs. Between windows a sampling monitor's cost is its events per
 * second (the sampling line's exact count of its runs) times the cost per event at its N; a
 * monitor that does not sample is held at its last window's cost.
 *
 * A run's measured time includes the call into the program and part of the clock reads
 * around it (about 30 ns a run in the development VM, for a program that does nothing): the
 * part of a probe's cost that no sampling removes, with the kernel's work before the call,
 * which no measurement here sees. It is kept: the estimate is what the kernel reports.
 *
 * Where the kernel keeps no statistics (before 5.1) nothing is measured: the cost per event is
 * ops->event_cost_ns scaled by `speed` (this machine's time for the calibration loop over the
 * reference machine's, monitor_calibrate), a skipped event MONITOR_SKIP_SHARE of it, and a
 * monitor that does not sample is estimated from its rows' counts. */
struct monitor_cost_model {
	bool kernel_stats; /* the kernel keeps them (whether on now or not) */
	bool window;	   /* they were on since the last step: this step measures */
	double speed;
};

#define MONITOR_WINDOW_EVERY 10

/* The probe's cost per event assumed for a monitor whose ops name none (ns, reference machine). */
#define MONITOR_EVENT_COST_NS 200
/* Under sampling, what a skipped event costs, as a share of a counted one (the estimate). */
#define MONITOR_SKIP_SHARE 0.08

/* When the budget applies to m (its config says so and its probe samples): -DEM_SAMPLING for
 * the probe (the framework adds monitor_sample_rate_column to the rows). 0 or
 * -ENOMEM. Called by monitor_setup_begin() once the plan is made. */
/* The column rows of a sampling monitor end with. */
extern const struct column monitor_sample_rate_column;
int monitor_sampling_plan(struct monitor *m, struct monitor_plan *plan);
/* The epoch flipped: the rows of the interval that ended are marked with the largest N it saw. */
void monitor_sampling_flip(struct monitor *m);

/* Sets the probe's N (a power of two, 1..BUDGET_MAX_RATE). 0, -EINVAL, or the map's -errno. */
int monitor_set_sample_rate(struct monitor *m, unsigned n);
/* The events the probe's sampling line saw on every CPU since the start (0 when it has none). */
uint64_t monitor_sample_seen(struct monitor *m);

/* Reads m's cost since the last call (now: CLOCK_MONOTONIC seconds) into m->sample.cost and
 * .events_per_s, measured in a window, else estimated (see struct monitor_cost_model); the
 * first call only takes the readings (cost 0). */
void monitor_measure_cost(struct monitor *m, double now, const struct monitor_cost_model *cm);
/* The cost per event (ns) m's model gives at rate n; and its two parts: a counted event's
 * (full) and a skipped one's. */
double monitor_ns_per_event(const struct monitor *m, unsigned n,
			    const struct monitor_cost_model *cm);
void monitor_ns_model(const struct monitor *m, const struct monitor_cost_model *cm, double *full,
		      double *skip);

/* One budget step for the running monitors: measure each (monitor_measure_cost), decide the
 * rates (budget_decide), set them and log the changes (a WARNING when sampling starts, an INFO
 * when full counting resumes). global: the top-level budget, a fraction of one CPU (0: none);
 * self: the process's own CPU over the last tick, a fraction. Stores budget_total() (the whole
 * estimate) in *ret_total; returns whether the next tick should measure: a rate changed, or
 * one is to go up if the next step confirms it (a rate goes up when two steps in a row ask). */
bool monitors_budget_step(struct monitor *const *ms, size_t n, double global, double self,
			  double now, const struct monitor_cost_model *cm, double *ret_total);

/* The calibration loop's time on this machine (ns per iteration, a median of a few runs of
 * about a millisecond), and on the reference machine whose event costs the monitors name (the
 * development VM of bench/README.md, RelWithDebInfo: 10.2-12.6 ns). */
double monitor_calibrate(void);
#define MONITOR_CALIBRATION_REF_NS 11.0

#endif
