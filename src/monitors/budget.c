/* budget.c - see budget.h. */
#include "monitors/budget.h"

#include <stdio.h>

double budget_total(double self, const struct budget_entry *e, size_t n)
{
	double t = self;

	for (size_t i = 0; i < n; i++)
		t += e[i].cost;
	return t;
}

/* The projected cost of x's events at rate n: the model, scaled to agree with the cost measured
 * at the current rate; without one, cost * rate / n (a lower bound for n above the rate, an
 * upper one below). */
static double cost_at(const struct budget_entry *x, unsigned n)
{
	double now = x->skip + (x->full - x->skip) / x->rate;

	if (x->full > 0 && now > 0)
		return (x->skip + (x->full - x->skip) / n) * (x->cost > 0 ? x->cost / now : 1);
	return x->cost * x->rate / n;
}

/* The smallest power of two n >= x->rate whose projection fits target (at most the ceiling). */
static unsigned raise_to(const struct budget_entry *x, double target)
{
	unsigned n = x->rate;

	while (n < BUDGET_MAX_RATE && cost_at(x, n) > target)
		n *= 2;
	return n;
}

/* Own budgets first: each over its budget goes up until its projection fits. */
static void raise_own(struct budget_entry *e, size_t n, double *proj)
{
	for (size_t i = 0; i < n; i++) {
		struct budget_entry *x = &e[i];

		if (!x->samples || x->budget <= 0 || x->cost <= x->budget)
			continue;
		x->next = raise_to(x, BUDGET_TARGET * x->budget);
		if (x->next == x->rate)
			continue; /* at the ceiling already */
		proj[i] = cost_at(x, x->next);
		x->why = BUDGET_OWN;
	}
}

/* Then the global one: the sampling monitor whose doubling saves most is doubled, again and
 * again, until the projected total fits (cheap monitors keep exact counts as long as
 * possible). */
static void raise_global(double global, double self, struct budget_entry *e, size_t n, double *proj)
{
	double total = self;

	for (size_t i = 0; i < n; i++)
		total += proj[i];
	if (global <= 0 || total <= global)
		return;
	while (total > BUDGET_TARGET * global) {
		double best_saving = 0;
		long best = -1;

		for (size_t i = 0; i < n; i++) {
			double saving;

			if (!e[i].samples || e[i].next >= BUDGET_MAX_RATE)
				continue;
			saving = proj[i] - cost_at(&e[i], e[i].next * 2);
			if (saving > best_saving) {
				best_saving = saving;
				best = (long)i;
			}
		}
		if (best < 0)
			return; /* all at the ceiling, or nothing left to save */
		e[best].next *= 2;
		total -= best_saving;
		proj[best] -= best_saving;
		if (e[best].why == BUDGET_NONE)
			e[best].why = BUDGET_GLOBAL;
	}
}

/* The lowest rate below x->rate whose projection fits every budget with room, or x->rate.
 * others: the projected total of everything else (self included). */
static unsigned lowest_fitting(const struct budget_entry *x, double global, double others)
{
	for (unsigned n = 1; n < x->rate; n *= 2) {
		double c = cost_at(x, n);

		if (x->budget > 0 && c > BUDGET_LOW * x->budget)
			continue;
		if (global > 0 && others + c > BUDGET_LOW * global)
			continue;
		return n;
	}
	return x->rate;
}

void budget_decide(double global, double self, struct budget_entry *e, size_t n)
{
	double proj[64], total;

	if (n > sizeof(proj) / sizeof(proj[0]))
		n = sizeof(proj) / sizeof(proj[0]);
	for (size_t i = 0; i < n; i++) {
		e[i].rate = e[i].rate ? e[i].rate : 1;
		e[i].next = e[i].rate;
		e[i].why = BUDGET_NONE;
		proj[i] = e[i].cost;
	}
	raise_own(e, n, proj);
	raise_global(global, self, e, n, proj);
	total = self;
	for (size_t i = 0; i < n; i++)
		total += proj[i];
	/* Down, one monitor after the other (the projection of those lowered first counts for
	 * the next), each only after BUDGET_HOLD_TICKS calm ticks in a row. */
	for (size_t i = 0; i < n; i++) {
		struct budget_entry *x = &e[i];
		unsigned to;

		if (x->why != BUDGET_NONE || x->rate <= 1) {
			x->calm = 0;
			continue;
		}
		to = lowest_fitting(x, global, total - proj[i]);
		if (to >= x->rate) {
			x->calm = 0;
			continue;
		}
		if (++x->calm < BUDGET_HOLD_TICKS)
			continue;
		x->calm = 0;
		x->next = to;
		total += cost_at(x, to) - proj[i];
		proj[i] = cost_at(x, to);
	}
}

/* "1 % of one CPU (the global budget: all monitors and the process, now 14.2 %)" */
static void which_budget(const struct budget_entry *e, double global, double total, char *buf,
			 size_t len)
{
	if (e->why == BUDGET_OWN || (e->why == BUDGET_NONE && e->budget > 0))
		snprintf(buf, len, "its budget of %.3g %% of one CPU (monitors.%s.overhead_budget)",
			 e->budget * 100, e->name);
	else
		snprintf(buf, len,
			 "the budget of %.3g %% of one CPU for the whole monitor (overhead_budget; "
			 "all monitors and the process now cost %.3g %%)",
			 global * 100, total * 100);
}

int budget_message(const struct budget_entry *e, double global, double total, char *buf, size_t len)
{
	char b[256];

	if (e->next == e->rate)
		return -1;
	which_budget(e, global, total, b, sizeof(b));
	if (e->rate <= 1) {
		snprintf(buf, len,
			 "%s: overhead estimate %.3g %% of one CPU is over %s: sampling 1 in %u "
			 "events in the kernel from now on, counts scaled by %u (rows carry "
			 "sample_rate)",
			 e->name, e->cost * 100, b, e->next, e->next);
		return LOG_WARNING;
	}
	if (e->next <= 1) {
		snprintf(buf, len,
			 "%s: overhead estimate %.3g %% of one CPU at 1 in %u, well under %s: full "
			 "counting resumes (sample_rate 1)",
			 e->name, e->cost * 100, e->rate, b);
		return LOG_INFO;
	}
	snprintf(buf, len, "%s: overhead estimate %.3g %% of one CPU at 1 in %u (%s): now 1 in %u",
		 e->name, e->cost * 100, e->rate, b, e->next);
	return LOG_DEBUG;
}

bool budget_floor_message(const struct budget_entry *e, double global, double total, char *buf,
			  size_t len)
{
	char b[256];
	bool over = (e->budget > 0 && e->cost > e->budget) || (global > 0 && total > global);

	if (!e->samples || e->rate < BUDGET_MAX_RATE || e->next < BUDGET_MAX_RATE || !over)
		return false;
	which_budget(e, global, total, b, sizeof(b));
	snprintf(buf, len,
		 "%s: overhead estimate %.3g %% of one CPU is still over %s at the lowest sampling "
		 "rate, 1 in %u: what is left is the cost of running the probe at all for each "
		 "event, which sampling cannot remove (raise the budget, or filter the traced "
		 "tasks with filters:)",
		 e->name, e->cost * 100, b, BUDGET_MAX_RATE);
	return true;
}
