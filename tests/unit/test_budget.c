/* test_budget.c - the overhead budget's controller (src/monitors/budget.c), tick by tick: from
 * the costs it is given to the rates it sets, the hysteresis that keeps a load near the budget
 * from switching back and forth, the global budget shared out, and its log lines. */
#include <check.h>
#include <string.h>

#include "monitors/budget.h"
#include "testutil.h"

/* One sampling monitor named `name` costing `cost` (fraction of one CPU) at rate 1. */
static struct budget_entry sampler(const char *name, double budget, double cost)
{
	return (struct budget_entry){ .name = name,
				      .samples = true,
				      .budget = budget,
				      .cost = cost,
				      .rate = 1 };
}

/* The next tick of a load whose cost at N = 1 is full, a share skip of it not sampled away:
 * what the monitor costs at the rate the last tick chose (the model is given too). */
static void tick(struct budget_entry *e, double full, double skip)
{
	e->rate = e->next ? e->next : e->rate;
	e->full = full;
	e->skip = skip;
	e->cost = skip + (full - skip) / e->rate;
}

START_TEST(no_budget_changes_nothing)
{
	struct budget_entry e[2] = { sampler("syscall", 0, 0.5), sampler("open", 0, 0.2) };
	char msg[512];

	budget_decide(0, 0.01, e, 2);
	ck_assert_uint_eq(e[0].next, 1);
	ck_assert_uint_eq(e[1].next, 1);
	ck_assert_int_eq(budget_message(&e[0], 0, 0.71, msg, sizeof(msg)), -1);
	ck_assert_double_eq_tol(budget_total(0.01, e, 2), 0.71, 1e-12);
}
END_TEST

START_TEST(own_budget_raises_to_a_power_of_two_that_fits)
{
	/* 9 % at full count against 1 %: at most 0.8 % projected (cost / N, no model) -> 16 */
	struct budget_entry e = sampler("syscall", 0.01, 0.09);
	char msg[512];

	budget_decide(0, 0, &e, 1);
	ck_assert_uint_eq(e.next, 16);
	ck_assert_int_eq(e.why, BUDGET_OWN);
	ck_assert_int_eq(budget_message(&e, 0, 0.09, msg, sizeof(msg)), LOG_WARNING);
	ck_assert_str_eq(msg, "syscall: overhead estimate 9 % of one CPU is over its budget of 1 % "
			      "of one CPU (monitors.syscall.overhead_budget): sampling 1 in 16 "
			      "events in the kernel from now on, counts scaled by 16 (rows carry "
			      "sample_rate)");
}
END_TEST

START_TEST(model_projection_counts_what_sampling_cannot_remove)
{
	/* full 10 %, 2 % of it the probe's cost for every event: 2 + 8/N <= 4 (0.8 * 5 %) -> 4 */
	struct budget_entry e = sampler("syscall", 0.05, 0.10);

	e.full = 0.10;
	e.skip = 0.02;
	budget_decide(0, 0, &e, 1);
	ck_assert_uint_eq(e.next, 4);
	/* a floor above the target: the ceiling */
	e = sampler("syscall", 0.05, 0.10);
	e.full = 0.10;
	e.skip = 0.06;
	budget_decide(0, 0, &e, 1);
	ck_assert_uint_eq(e.next, BUDGET_MAX_RATE);
}
END_TEST

START_TEST(the_model_is_scaled_to_the_measured_cost)
{
	/* the model says 1 + 9/4 = 3.25 % at N = 4, a window measured 8 %: its projections are
	 * scaled by 8 / 3.25 */
	struct budget_entry e = sampler("syscall", 0.05, 0.08);
	char msg[512];

	e.rate = 4;
	e.full = 0.10;
	e.skip = 0.01;
	budget_decide(0, 0, &e, 1);
	/* 8 / 3.25 * (1 + 9/N) <= 4 (0.8 * 5 %) -> N >= 14.4 -> 16 */
	ck_assert_uint_eq(e.next, 16);
	ck_assert_int_eq(budget_message(&e, 0, 0.08, msg, sizeof(msg)), LOG_DEBUG);
	ck_assert_str_eq(msg,
			 "syscall: overhead estimate 8 % of one CPU at 1 in 4 (its budget of 5 "
			 "% of one CPU (monitors.syscall.overhead_budget)): now 1 in 16");
}
END_TEST

START_TEST(hysteresis_holds_near_the_budget_and_resumes_well_below)
{
	struct budget_entry e = sampler("syscall", 0.02, 0.10);
	char msg[512];
	int ticks;

	/* a storm of 10 % with 0.5 % that sampling cannot remove */
	tick(&e, 0.10, 0.005);
	budget_decide(0, 0, &e, 1);
	ck_assert_uint_gt(e.next, 1);
	for (int i = 0; i < 20; i++) {
		tick(&e, 0.10, 0.005);
		budget_decide(0, 0, &e, 1);
		ck_assert_msg(e.cost <= 0.02, "held under the budget: %g at %u", e.cost, e.rate);
	}
	/* held: the rate does not move while the storm goes on */
	ck_assert_uint_eq(e.next, e.rate);
	/* the load halves: 5 %, at the rate it has it costs less than half the budget, but at
	 * half the rate it would not: it stays */
	for (int i = 0; i < 10; i++) {
		tick(&e, 0.05, 0.0025);
		budget_decide(0, 0, &e, 1);
	}
	ck_assert_uint_gt(e.next, 1);
	/* the storm stops: 0.1 % at full count; 3 calm ticks, then full counting resumes */
	for (ticks = 1; ticks < 10; ticks++) {
		tick(&e, 0.001, 0.0001);
		budget_decide(0, 0, &e, 1);
		if (e.next != e.rate)
			break;
	}
	ck_assert_int_eq(ticks, BUDGET_HOLD_TICKS);
	ck_assert_uint_eq(e.next, 1);
	ck_assert_int_eq(budget_message(&e, 0, e.cost, msg, sizeof(msg)), LOG_INFO);
	ck_assert_msg(strstr(msg, "well under its budget of 2 % of one CPU") &&
			      strstr(msg, "full counting resumes (sample_rate 1)"),
		      "%s", msg);
}
END_TEST

START_TEST(calm_ticks_must_be_in_a_row)
{
	struct budget_entry e = sampler("syscall", 0.02, 0.001);

	e.rate = 64;
	e.next = 64;
	/* calm, calm, a burst that would not fit at a lower rate, calm, calm: not yet */
	const double loads[] = { 0.001, 0.001, 0.5, 0.001, 0.001 };
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		tick(&e, loads[i], loads[i] / 10);
		budget_decide(0, 0, &e, 1);
		if (loads[i] > 0.1)
			ck_assert_uint_ge(e.next, 64);
	}
	ck_assert_uint_eq(e.next, e.rate);
	tick(&e, 0.001, 0.0001);
	budget_decide(0, 0, &e, 1);
	ck_assert_uint_eq(e.next, 1);
}
END_TEST

START_TEST(global_budget_samples_the_expensive_monitor_first)
{
	struct budget_entry e[3] = {
		sampler("syscall", 0, 0.20),
		sampler("page_fault", 0, 0.004),
		{ .name = "exec", .samples = false, .cost = 0.003, .rate = 1 },
	};
	char msg[512];

	/* 5 % for everything: the process 0.5 %, exec 0.3 % and page faults 0.4 % stay exact,
	 * syscall goes to what leaves the total under 4 % */
	budget_decide(0.05, 0.005, e, 3);
	ck_assert_uint_eq(e[0].next, 8); /* 0.5 + 20/8 + 0.4 + 0.3 = 3.7 % */
	ck_assert_int_eq(e[0].why, BUDGET_GLOBAL);
	ck_assert_uint_eq(e[1].next, 1);
	ck_assert_uint_eq(e[2].next, 1);
	ck_assert_int_eq(budget_message(&e[0], 0.05, budget_total(0.005, e, 3), msg, sizeof(msg)),
			 LOG_WARNING);
	ck_assert_str_eq(msg,
			 "syscall: overhead estimate 20 % of one CPU is over the budget of 5 % "
			 "of one CPU for the whole monitor (overhead_budget; all monitors and "
			 "the process now cost 21.2 %): sampling 1 in 8 events in the kernel "
			 "from now on, counts scaled by 8 (rows carry sample_rate)");
	/* a monitor that does not sample is never given a rate */
	ck_assert_int_eq(budget_message(&e[2], 0.05, 0.212, msg, sizeof(msg)), -1);
}
END_TEST

START_TEST(global_budget_shares_out_between_two_storms)
{
	struct budget_entry e[2] = { sampler("syscall", 0, 0.16),
				     sampler("context_switch", 0, 0.16) };

	budget_decide(0.04, 0, e, 2);
	/* 32 % into 3.2 %: each doubled in turn, the one that saves more first */
	ck_assert_uint_ge(e[0].next, 8);
	ck_assert_uint_ge(e[1].next, 8);
	ck_assert_msg(0.16 / e[0].next + 0.16 / e[1].next <= 0.032 + 1e-12, "%u %u", e[0].next,
		      e[1].next);
}
END_TEST

START_TEST(own_and_global_budgets_both_apply)
{
	/* syscall's own 1 % makes it sample even though the whole monitor is under its 50 % */
	struct budget_entry e[2] = { sampler("syscall", 0.01, 0.03), sampler("open", 0, 0.03) };

	budget_decide(0.5, 0, e, 2);
	ck_assert_uint_eq(e[0].next, 4);
	ck_assert_int_eq(e[0].why, BUDGET_OWN);
	ck_assert_uint_eq(e[1].next, 1);
	/* going down needs room under both: 0.2 % (own LOW) */
	e[0].rate = 4;
	e[1].next = 0;
	for (int i = 0; i < 5; i++) {
		e[0].cost = 0.006; /* 0.6 % at N = 4: 2.4 % at 1, over half of its own 1 % */
		e[0].full = 0;
		budget_decide(0.5, 0, e, 2);
		ck_assert_uint_eq(e[0].next, 4);
	}
}
END_TEST

START_TEST(floor_is_reported_once_the_ceiling_is_reached)
{
	struct budget_entry e = sampler("syscall", 0.01, 0.05);
	char msg[512];

	e.rate = BUDGET_MAX_RATE;
	e.full = 0.5;
	e.skip = 0.05;
	budget_decide(0, 0, &e, 1);
	ck_assert_uint_eq(e.next, BUDGET_MAX_RATE);
	ck_assert_int_eq(budget_message(&e, 0, 0.05, msg, sizeof(msg)), -1);
	ck_assert(budget_floor_message(&e, 0, 0.05, msg, sizeof(msg)));
	ck_assert_msg(strstr(msg, "syscall: overhead estimate 5 % of one CPU is still over its "
				  "budget of 1 %") &&
			      strstr(msg, "1 in 1024") && strstr(msg, "sampling cannot remove"),
		      "%s", msg);
	/* under the budget there is nothing to say */
	e.cost = 0.005;
	ck_assert(!budget_floor_message(&e, 0, 0.005, msg, sizeof(msg)));
}
END_TEST

START_TEST(rate_never_passes_the_ceiling_nor_goes_below_one)
{
	struct budget_entry e = sampler("syscall", 0.001, 50.0);

	for (int i = 0; i < 5; i++) {
		budget_decide(0.001, 0, &e, 1);
		ck_assert_uint_le(e.next, BUDGET_MAX_RATE);
		ck_assert_uint_eq(e.next & (e.next - 1), 0);
		e.rate = e.next;
	}
	ck_assert_uint_eq(e.rate, BUDGET_MAX_RATE);
	e.cost = 0;
	e.full = 0;
	for (int i = 0; i < 5; i++) {
		budget_decide(0.001, 0, &e, 1);
		ck_assert_uint_ge(e.next, 1);
		e.rate = e.next;
	}
	ck_assert_uint_eq(e.rate, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("controller");

	tcase_add_test(tc, no_budget_changes_nothing);
	tcase_add_test(tc, own_budget_raises_to_a_power_of_two_that_fits);
	tcase_add_test(tc, model_projection_counts_what_sampling_cannot_remove);
	tcase_add_test(tc, the_model_is_scaled_to_the_measured_cost);
	tcase_add_test(tc, hysteresis_holds_near_the_budget_and_resumes_well_below);
	tcase_add_test(tc, calm_ticks_must_be_in_a_row);
	tcase_add_test(tc, global_budget_samples_the_expensive_monitor_first);
	tcase_add_test(tc, global_budget_shares_out_between_two_storms);
	tcase_add_test(tc, own_and_global_budgets_both_apply);
	tcase_add_test(tc, floor_is_reported_once_the_ceiling_is_reached);
	tcase_add_test(tc, rate_never_passes_the_ceiling_nor_goes_below_one);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
