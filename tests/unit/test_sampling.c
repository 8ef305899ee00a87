/* test_sampling.c - the overhead budget in the monitors (src/monitors/sampling.c), over the
 * fake loader: which probes are built to sample, the sample_rate column (appended, only under a
 * budget), the rate written for the probe, the rows' mark across rate changes, the cost read
 * from the kernel's statistics or estimated, and the budget step's log lines. */
#include <check.h>
#include <linux/types.h>
#include <string.h>

#include "core/log.h"
#include "montest.h"
#include "monitors/sampling.h"
#include "monitors/syscall_table.h"
#include "probes/sample.h"
#include "probes/syscall.h"
#include "testutil.h"

static struct montest t;
static int logp[2] = { -1, -1 };

static void start(const char *name, const char *options)
{
	fake_bpf_reset();
	fake_bpf_map("syscall", "syscall_counts", sizeof(struct syscall_key),
		     sizeof(struct syscall_value), 10240, true);
	ck_assert_msg(montest_start(&t, name, options) == 0, "%s", t.err);
}

static void stop(void)
{
	montest_stop(&t);
	if (logp[0] >= 0) {
		log_shutdown();
		close(logp[0]);
		close(logp[1]);
		logp[0] = logp[1] = -1;
	}
}

/* Log lines from now on go to a pipe: "LEVEL: message". */
static void capture_log(void)
{
	struct log_options o = { .console_level = LOG_INFO,
				 .console_format = "%(levelname)s: %(message)s" };

	ck_assert_int_eq(pipe(logp), 0);
	o.console_fd = logp[1];
	ck_assert_int_eq(log_setup(&o), 0);
}

static void put(const char *comm, const char *syscall, __u64 c0, __u64 c1)
{
	struct syscall_key k;
	struct syscall_value v[2];

	memset(&k, 0, sizeof(k));
	memset(v, 0, sizeof(v));
	k.epoch = montest_epoch(&t);
	k.nr = (__u32)syscall_number(syscall);
	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm)));
	v[0].count = c0;
	v[1].count = c1;
	ck_assert_int_eq(fake_map_put(montest_mod(&t), "syscall_counts", &k, v), 0);
}

/* What the probes' sampling line saw on each CPU so far. */
static void seen(__u64 c0, __u64 c1)
{
	struct em_sample_state s[2] = { { .seen = c0 }, { .seen = c1 } };
	int zero = 0;

	ck_assert_int_eq(fake_map_put(montest_mod(&t), "em_sample_cpu", &zero, s), 0);
}

static unsigned probe_rate(void)
{
	__u32 n = 0;
	int zero = 0;

	ck_assert_int_eq(fake_map_get(montest_mod(&t), "em_sample_n", &zero, 0, &n), 0);
	return n;
}

static const char *last_column(void)
{
	return t.m.columns[t.m.ncolumns - 1].name;
}

START_TEST(no_budget_no_sampling_no_column)
{
	start("syscall", "");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DEM_SAMPLING"));
	ck_assert_str_eq(last_column(), "error_rate");
	ck_assert(!t.m.sample.on);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 2), -EINVAL);
	put("cat", "read", 3, 4);
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_uint_eq(t.nrows, 1);
	ck_assert_ptr_null(montest_cell(&t, 0, "sample_rate"));
	stop();
}
END_TEST

START_TEST(budget_builds_the_probe_to_sample_and_appends_the_column)
{
	start("syscall", "overhead_budget: 2\n");
	ck_assert_str_eq(fake_bpf_cflag(montest_mod(&t), "-DEM_SAMPLING"), "-DEM_SAMPLING=1");
	ck_assert_uint_eq(t.m.ncolumns, 10);
	ck_assert_str_eq(t.m.columns[8].name, "error_rate"); /* the documented ones first */
	ck_assert_str_eq(last_column(), "sample_rate");
	put("cat", "read", 3, 4);
	montest_interval(&t, 1700000000000000000ull);
	ck_assert_str_eq(montest_cell(&t, 0, "count"), "7");
	ck_assert_str_eq(montest_cell(&t, 0, "sample_rate"), "1");
	stop();
	/* latency columns dropped by configure(): sample_rate still comes last */
	start("syscall", "    latency: true\noverhead_budget: 2\n");
	ck_assert_str_eq(t.m.columns[t.m.ncolumns - 2].name, "max_latency_us");
	ck_assert_str_eq(last_column(), "sample_rate");
	stop();
}
END_TEST

START_TEST(own_budget_of_one_monitor)
{
	start("syscall", "    overhead_budget: 0.5%\n");
	ck_assert(t.m.sample.on);
	ck_assert_double_eq(t.m.cfg->overhead_budget, 0.5);
	stop();
}
END_TEST

/* Which monitors sample under a budget (the README's table): the hot aggregating ones do, the
 * event monitor and the paired ones (interrupt, bio) never. */
START_TEST(which_monitors_sample)
{
	static const struct {
		const char *name;
		bool samples;
	} all[] = { { "syscall", true },    { "context_switch", true },
		    { "page_fault", true }, { "open", true },
		    { "func", true },	    { "exec", false },
		    { "interrupt", false }, { "bio", false } };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct monitor_ops *ops = monitor_find(all[i].name);

		ck_assert_msg(ops != NULL, "%s", all[i].name);
		ck_assert_msg(ops->samples == all[i].samples, "%s", all[i].name);
		ck_assert_msg(!ops->samples || ops->aggregating, "%s", all[i].name);
	}
	/* and those that sample are built to, with the column, under a budget */
	static const char *const monitors[] = { "context_switch", "page_fault", "open" };
	for (size_t i = 0; i < sizeof(monitors) / sizeof(monitors[0]); i++) {
		start(monitors[i], "overhead_budget: 5%\n");
		ck_assert_msg(fake_bpf_cflag(montest_mod(&t), "-DEM_SAMPLING") != NULL, "%s",
			      monitors[i]);
		ck_assert_str_eq(last_column(), "sample_rate");
		stop();
	}
}
END_TEST

START_TEST(event_monitors_never_sample)
{
	start("exec", "overhead_budget: 2\n");
	ck_assert_ptr_null(fake_bpf_cflag(montest_mod(&t), "-DEM_SAMPLING"));
	ck_assert(!t.m.sample.on);
	ck_assert_str_ne(last_column(), "sample_rate");
	stop();
}
END_TEST

START_TEST(rate_is_written_for_the_probe)
{
	start("syscall", "overhead_budget: 2\n");
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 64), 0);
	ck_assert_uint_eq(probe_rate(), 64);
	ck_assert_uint_eq(t.m.sample.rate, 64);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 3), -EINVAL);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 0), -EINVAL);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, BUDGET_MAX_RATE * 2), -EINVAL);
	ck_assert_uint_eq(probe_rate(), 64);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 1), 0);
	ck_assert_uint_eq(probe_rate(), 1);
	stop();
}
END_TEST

START_TEST(rows_carry_the_largest_rate_their_interval_saw)
{
	start("syscall", "overhead_budget: 2\n");
	/* interval 1: counted fully, then 1 in 16 */
	put("cat", "read", 10, 0);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 16), 0);
	put("dd", "read", 160, 0);
	montest_interval(&t, 1700000001000000000ull);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(montest_cell(&t, 0, "sample_rate"), "16");
	ck_assert_str_eq(montest_cell(&t, 1, "sample_rate"), "16");
	montest_clear_rows(&t);
	/* interval 2: 1 in 16, back to full counting before it ends */
	put("dd", "read", 320, 0);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 1), 0);
	montest_interval(&t, 1700000002000000000ull);
	ck_assert_str_eq(montest_cell(&t, 0, "sample_rate"), "16");
	montest_clear_rows(&t);
	/* interval 3: all of it at 1 */
	put("dd", "read", 5, 0);
	montest_interval(&t, 1700000003000000000ull);
	ck_assert_str_eq(montest_cell(&t, 0, "sample_rate"), "1");
	montest_clear_rows(&t);
	/* a rate set between the flip and the drain: those rows may carry it */
	put("dd", "read", 5, 0);
	ck_assert_int_eq(monitor_flip_epoch(&t.m, 1700000004000000000ull), 0);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 4), 0);
	t.m.ops->collect(&t.m, t.m.interval_end_ns);
	ck_assert_str_eq(montest_cell(&t, 0, "sample_rate"), "4");
	stop();
}
END_TEST

START_TEST(seen_sums_the_cpus)
{
	start("syscall", "overhead_budget: 2\n");
	ck_assert_uint_eq(monitor_sample_seen(&t.m), 0);
	seen(1000, 234);
	ck_assert_uint_eq(monitor_sample_seen(&t.m), 1234);
	stop();
}
END_TEST

START_TEST(cost_from_a_window_and_between_windows)
{
	struct monitor_cost_model cm = { .kernel_stats = true, .window = true, .speed = 1 };

	start("syscall", "overhead_budget: 2\n");
	fake_bpf_prog_stats(montest_mod(&t), 1000000, 10000);
	seen(5000, 5000);
	monitor_measure_cost(&t.m, 100.0, &cm); /* primes */
	ck_assert_double_eq(t.m.sample.cost, 0);
	/* 0.5 s: 1 000 000 runs took 70 ms */
	fake_bpf_prog_stats(montest_mod(&t), 71000000, 1010000);
	seen(505000, 505000);
	monitor_measure_cost(&t.m, 100.5, &cm);
	ck_assert_double_eq_tol(t.m.sample.cost, 0.070 / 0.5, 1e-9);
	ck_assert_double_eq_tol(t.m.sample.events_per_s, 2000000, 1e-6);
	/* at N = 1: a counted event costs 70 ns */
	ck_assert_double_eq_tol(t.m.sample.ns_full, 70, 1e-9);
	ck_assert_double_eq_tol(monitor_ns_per_event(&t.m, 1, &cm), 70, 1e-9);
	/* between windows (statistics off, the kernel's totals stand still): events per second
	 * times the model */
	cm.window = false;
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 16), 0);
	seen(1005000, 1005000);
	monitor_measure_cost(&t.m, 101.0, &cm);
	ck_assert_double_eq_tol(t.m.sample.cost,
				2000000 * monitor_ns_per_event(&t.m, 16, &cm) / 1e9, 1e-12);
	/* a window at N = 16: 20 ns per event -> a skipped one (16 * 20 - 70) / 15 = 16.7 ns */
	cm.window = true;
	fake_bpf_prog_stats(montest_mod(&t), 71000000 + 20000000, 1010000 + 1000000);
	seen(1505000, 1505000);
	monitor_measure_cost(&t.m, 101.5, &cm);
	ck_assert_double_eq_tol(t.m.sample.ns_skip, (16 * 20.0 - 70) / 15, 1e-9);
	ck_assert_double_eq_tol(monitor_ns_per_event(&t.m, 16, &cm), 20, 1e-9);
	/* a window whose per-event cost does not fit the model (other events: cheaper than the
	 * counted ones measured before): the counted cost is taken from it at the usual share */
	fake_bpf_prog_stats(montest_mod(&t), 91000000 + 2000000, 2010000 + 1000000);
	seen(2005000, 2005000);
	monitor_measure_cost(&t.m, 102.0, &cm);
	ck_assert_double_eq_tol(monitor_ns_per_event(&t.m, 16, &cm), 2, 1e-9);
	ck_assert_double_eq_tol(t.m.sample.ns_skip, MONITOR_SKIP_SHARE * t.m.sample.ns_full, 1e-9);
	stop();
}
END_TEST

START_TEST(cost_estimated_without_kernel_statistics)
{
	struct monitor_cost_model cm = { .kernel_stats = false, .speed = 2 };
	double per;

	start("syscall", "overhead_budget: 2\n");
	seen(0, 0);
	monitor_measure_cost(&t.m, 10.0, &cm);
	seen(50000, 50000);
	monitor_measure_cost(&t.m, 11.0, &cm);
	per = (t.m.ops->event_cost_ns ? t.m.ops->event_cost_ns : MONITOR_EVENT_COST_NS) * 2.0;
	ck_assert_double_eq_tol(t.m.sample.cost, 100000 * per / 1e9, 1e-12);
	ck_assert_int_eq(monitor_set_sample_rate(&t.m, 8), 0);
	seen(100000, 100000);
	monitor_measure_cost(&t.m, 12.0, &cm);
	ck_assert_double_eq_tol(
		t.m.sample.cost,
		100000 * per * (MONITOR_SKIP_SHARE + (1 - MONITOR_SKIP_SHARE) / 8) / 1e9, 1e-12);
	stop();
}
END_TEST

START_TEST(step_starts_sampling_with_a_warning_and_resumes_with_info)
{
	struct monitor_cost_model cm = { .kernel_stats = true, .window = true, .speed = 1 };
	struct monitor *ms[1];
	const char *out;
	double total, now = 50;
	__u64 runs = 0, ns = 0, n = 0;
	int ticks;

	start("syscall", "overhead_budget: 2\n");
	ms[0] = &t.m;
	capture_log();
	fake_bpf_prog_stats(montest_mod(&t), 0, 0);
	seen(0, 0);
	ck_assert(!monitors_budget_step(ms, 1, 0.02, 0, now, &cm, &total));
	/* one second's spike: the step asks for a measurement, the rate stays */
	ns += 100000000;
	n += 1000;
	fake_bpf_prog_stats(montest_mod(&t), ns, runs += 2000);
	seen(n, n);
	ck_assert(monitors_budget_step(ms, 1, 0.02, 0.001, now += 1, &cm, &total));
	ck_assert_uint_eq(t.m.sample.rate, 1);
	n += 1000;
	fake_bpf_prog_stats(montest_mod(&t), ns += 200000, runs += 2000);
	seen(n, n);
	ck_assert(!monitors_budget_step(ms, 1, 0.02, 0.001, now += 1, &cm, &total));
	ck_assert_uint_eq(t.m.sample.rate, 1);
	ck_assert_str_eq(drain(logp[0]), "");
	/* a storm: 2 M events a second at 50 ns each, 10 % of a CPU, two seconds in a row */
	for (int i = 0; i < 2; i++) {
		runs += 2000000;
		ns += 100000000;
		n += 1000000;
		fake_bpf_prog_stats(montest_mod(&t), ns, runs);
		seen(n, n);
		ck_assert(monitors_budget_step(ms, 1, 0.02, 0.001, now += 1, &cm, &total));
		ck_assert_double_eq_tol(total, 0.101, 1e-9);
		ck_assert_uint_eq(t.m.sample.rate > 1, i == 1);
	}
	ck_assert_uint_eq(probe_rate(), t.m.sample.rate);
	out = drain(logp[0]);
	ck_assert_msg(strstr(out, "WARNING: syscall: overhead estimate 10 % of one CPU is over the "
				  "budget of 2 % of one CPU for the whole monitor") &&
			      strstr(out, "sampling 1 in "),
		      "%s", out);
	/* quiet again: after the calm ticks full counting resumes, said once at INFO */
	cm.window = false;
	for (ticks = 0; ticks < 10 && t.m.sample.rate > 1; ticks++) {
		n += 100;
		seen(n, n);
		monitors_budget_step(ms, 1, 0.02, 0.001, now += 1, &cm, &total);
	}
	ck_assert_uint_eq(t.m.sample.rate, 1);
	ck_assert_uint_eq(probe_rate(), 1);
	out = drain(logp[0]);
	ck_assert_msg(strstr(out, "INFO: syscall: overhead estimate") &&
			      strstr(out, "full counting resumes (sample_rate 1)"),
		      "%s", out);
	ck_assert_uint_eq(count_lines(out), 1);
	stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sampling");
	TCase *tc = tcase_create("monitors");

	tcase_add_test(tc, no_budget_no_sampling_no_column);
	tcase_add_test(tc, budget_builds_the_probe_to_sample_and_appends_the_column);
	tcase_add_test(tc, own_budget_of_one_monitor);
	tcase_add_test(tc, which_monitors_sample);
	tcase_add_test(tc, event_monitors_never_sample);
	tcase_add_test(tc, rate_is_written_for_the_probe);
	tcase_add_test(tc, rows_carry_the_largest_rate_their_interval_saw);
	tcase_add_test(tc, seen_sums_the_cpus);
	tcase_add_test(tc, cost_from_a_window_and_between_windows);
	tcase_add_test(tc, cost_estimated_without_kernel_statistics);
	tcase_add_test(tc, step_starts_sampling_with_a_warning_and_resumes_with_info);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
