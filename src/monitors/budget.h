/* budget.h - the overhead budget's controller: from what each monitor cost over the last second
 * to the sampling rate N (count 1 event in N) of the monitors that can sample. Pure arithmetic
 * on the numbers it is given (src/monitors/sampling.c measures them, src/app applies the
 * answers), so that the unit tests drive it tick by tick.
 *
 * Costs are fractions of one CPU (0.01 is 1 %). A monitor's cost is its BPF programs' run
 * time; the process's own CPU (reading maps, writing rows) counts toward the global budget.
 * A monitor's cost at rate N is projected from its model, the cost of the same events at N = 1
 * (full) and the part of it that sampling cannot remove (skip: running the probe at all):
 * skip + (full - skip) / N. Without a model (full 0) the projection is bounded by the cost
 * measured at the current rate: at a higher rate at least cost * N / N', at a lower one at most
 * cost * N / N'.
 *
 * A budget is exceeded when the estimate is above it; then (the caller confirms it the next
 * second: monitors_budget_step) the sampling monitors' rates go up
 * until the projected cost is BUDGET_TARGET of the budget (or the ceiling, BUDGET_MAX_RATE); the
 * next tick's measurement corrects a projection that was too hopeful. A rate comes down only
 * when the projected cost at the lower rate stays under BUDGET_LOW of every budget that applies,
 * for BUDGET_HOLD_TICKS ticks in a row: the gap between LOW and 1 is the hysteresis that keeps a
 * load near the budget from switching back and forth.
 */
#ifndef EM_BUDGET_H
#define EM_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/log.h"

#define BUDGET_MAX_RATE 1024u /* probes/sample.h EM_SAMPLE_MAX */
#define BUDGET_TARGET 0.8
#define BUDGET_LOW 0.5
#define BUDGET_HOLD_TICKS 3u

/* Which budget made a rate go up. */
enum budget_reason {
	BUDGET_NONE,
	BUDGET_OWN,    /* the monitor's own monitors.<m>.overhead_budget */
	BUDGET_GLOBAL, /* the top-level overhead_budget (all monitors and the process) */
};

/* One running monitor, as the controller sees it. */
struct budget_entry {
	const char *name;
	bool samples;	   /* can sample (its probe has em_sample_skip compiled in) */
	double budget;	   /* its own budget; 0: none */
	double cost;	   /* over the last tick, at `rate` */
	double full, skip; /* the model of those events' cost (see above); full 0: none */
	unsigned rate;	   /* N in effect (1 for a monitor that does not sample) */
	unsigned calm;	   /* the controller's: ticks in a row a lower rate would have fit */
	/* out: the rate to set, and why it went up (BUDGET_NONE when it did not) */
	unsigned next;
	enum budget_reason why;
};

/* Sets every entry's next (and why, calm) for the next tick. global: the top-level budget (0:
 * none); self: the process's own CPU over the last tick, counted in the global budget only. */
void budget_decide(double global, double self, struct budget_entry *e, size_t n);

/* The total the global budget is compared with: self plus every monitor's cost. */
double budget_total(double self, const struct budget_entry *e, size_t n);

/* The log line for entry e's change of rate (e->rate to e->next), in buf: returns its level,
 * LOG_WARNING when sampling starts (with the estimate, the budget and N), LOG_INFO when full
 * counting resumes, LOG_DEBUG for a change while sampling goes on; -1 when the rate does not
 * change. total: budget_total() of the tick. */
int budget_message(const struct budget_entry *e, double global, double total, char *buf,
		   size_t len);

/* The warning for a sampling monitor already at BUDGET_MAX_RATE whose budget is still exceeded
 * (the hooks' own cost per event, which sampling cannot remove), in buf; false when that is
 * not the case. */
bool budget_floor_message(const struct budget_entry *e, double global, double total, char *buf,
			  size_t len);

#endif
