/* overhead.c - see overhead.h. */
#define LOG_NAME "ebpf_monitor.budget"

#include "app/overhead.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/runtime.h"
#include "bpf/loader.h"
#include "common/clock.h"
#include "core/config.h"
#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/monitor.h"
#include "monitors/sampling.h"

bool overhead_configured(const struct config *cfg)
{
	if (cfg->overhead_budget > 0)
		return true;
	for (size_t i = 0; i < cfg->nmonitors; i++) {
		if (cfg->monitors[i].sampling)
			return true;
	}
	return false;
}

static double seconds(clockid_t c)
{
	return (double)clock_ns(c) / 1e9;
}

/* Opens a measurement window (statistics on until the next tick); false when they cannot be
 * turned on. */
static bool window_open(struct overhead_state *o)
{
	const char *how = NULL;

	if (o->stats >= 0)
		return true;
	o->stats = loader_stats_enable(&how);
	if (o->stats < 0)
		return false;
	o->stats_how = how;
	return true;
}

static void window_close(struct overhead_state *o)
{
	loader_stats_disable(o->stats);
	o->stats = -1;
}

/* Whether the kernel reports run times (bpf_prog_info.run_time_ns, 5.1+; a kernel may have the
 * sysctl without them, a backport): asked of the first running monitor. */
static bool run_times_reported(struct runtime *rt)
{
	uint64_t ns, cnt;

	for (size_t i = 0; i < rt->nslots; i++) {
		if (runtime_slot_used(rt, i))
			return monitor_prog_stats(&rt->mons[i], &ns, &cnt) == 0;
	}
	return true;
}

void overhead_configure(struct runtime *rt)
{
	struct overhead_state *o = &rt->overhead;

	if (!overhead_configured(rt->cfg)) {
		if (o->configured)
			log_info("no overhead budget any more: its measurements stop");
		window_close(o);
		o->configured = o->primed = false;
		return;
	}
	if (o->configured)
		return; /* already measuring */
	o->configured = true;
	o->ticks = 0;
	o->kernel_stats = window_open(o);
	if (o->kernel_stats && !run_times_reported(rt)) {
		window_close(o);
		o->kernel_stats = false;
	}
	if (o->kernel_stats) {
		log_info("overhead budget: the monitors' cost is measured by the kernel's BPF "
			 "statistics (%s), turned on for one second in %d and after each change "
			 "of a sampling rate (while on they add two clock reads to every run of "
			 "every BPF program on this host)",
			 o->stats_how, MONITOR_WINDOW_EVERY);
		return;
	}
	o->speed = monitor_calibrate() / MONITOR_CALIBRATION_REF_NS;
	log_warn(
		"overhead budget: the kernel keeps no BPF statistics here (they need 5.1+): the "
		"monitors' cost is estimated from their events per second, at this machine's speed "
		"(%.2f x the reference machine's, measured now); the estimate is coarse",
		o->speed);
}

void overhead_tick(struct runtime *rt)
{
	struct overhead_state *o = &rt->overhead;
	struct monitor *ms[RUNTIME_MAX_SLOTS];
	struct monitor_cost_model cm = { .kernel_stats = o->kernel_stats,
					 .window = o->stats >= 0,
					 .speed = o->speed > 0 ? o->speed : 1 };
	double now = seconds(CLOCK_MONOTONIC), cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
	bool changed, was_primed = o->primed;
	size_t n = 0;

	if (!o->configured)
		return;
	for (size_t i = 0; i < rt->nslots; i++) {
		if (runtime_slot_used(rt, i))
			ms[n++] = &rt->mons[i];
	}
	/* The process's own CPU, user and system (what /proc/self/stat's utime and stime count,
	 * read with nanosecond precision instead of clock ticks). */
	o->self = o->primed && now > o->last_now ? (cpu - o->last_cpu) / (now - o->last_now) : 0;
	changed = monitors_budget_step(ms, n, rt->cfg->overhead_budget / 100, o->self, now, &cm,
				       &o->total);
	o->primed = true;
	o->last_now = now;
	o->last_cpu = cpu;
	if (!o->kernel_stats)
		return;
	/* The next second is a window after a change (the new rate's cost), periodically, and
	 * after the priming tick (the first measurement); otherwise statistics are off. */
	if (changed || !was_primed || ++o->ticks >= MONITOR_WINDOW_EVERY) {
		o->ticks = 0;
		if (!window_open(o)) {
			if (!o->window_failed)
				log_warn("overhead budget: the kernel's BPF statistics cannot be "
					 "turned on now; the costs are estimated from the last "
					 "measurement until they can");
			o->window_failed = true;
		} else {
			o->window_failed = false;
		}
	} else {
		window_close(o);
	}
}

void overhead_stop(struct runtime *rt)
{
	window_close(&rt->overhead);
	rt->overhead.configured = false;
}

void overhead_status(const struct runtime *rt, char *buf, size_t len)
{
	const struct overhead_state *o = &rt->overhead;
	size_t off;

	buf[0] = '\0';
	if (!overhead_configured(rt->cfg) || !len)
		return;
	off = (size_t)snprintf(buf, len, "budget=%g\nbudget_own=", rt->cfg->overhead_budget);
	for (size_t i = 0; i < rt->nslots && off < len; i++) {
		const struct monitor *m = &rt->mons[i];

		if (runtime_slot_used(rt, i) && m->sample.on && m->cfg->overhead_budget > 0)
			off += (size_t)snprintf(buf + off, len - off, "%s%s:%g",
						buf[off - 1] == '=' ? "" : ",", m->ops->name,
						m->cfg->overhead_budget);
	}
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off,
					"\noverhead=%.3f\noverhead_self=%.3f\ncost_source=%s\n"
					"sample_rates=",
					o->total * 100, o->self * 100,
					o->kernel_stats ? "kernel" : "estimate");
	for (size_t i = 0; i < rt->nslots && off < len; i++) {
		const struct monitor *m = &rt->mons[i];

		if (runtime_slot_used(rt, i) && m->sample.on)
			off += (size_t)snprintf(buf + off, len - off, "%s%s:%u:%.3f:%.0f",
						buf[off - 1] == '=' ? "" : ",", m->ops->name,
						m->sample.rate, m->sample.cost * 100,
						m->sample.events_per_s);
	}
	if (off < len)
		snprintf(buf + off, len - off, "\n");
}

/* What the running instance (the status file of cfg's PID file, written in the last 5 s) says
 * of monitor `name`: "now 1 in 16 (...)", or "not running". */
static void running_rate(const struct config *cfg, const char *name, char *buf, size_t len)
{
	char path[4200], line[2048], *save = NULL;
	struct stat st;
	FILE *f;

	snprintf(buf, len, "not running now");
	snprintf(path, sizeof(path), "%s.status", cfg->app.pid_file);
	if (stat(path, &st) || time(NULL) - st.st_mtime > 5 || !(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "sample_rates=", 13))
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (char *r = strtok_r(line + 13, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
			char mon[64];
			unsigned n;
			double cost, eps;

			if (sscanf(r, "%63[^:]:%u:%lf:%lf", mon, &n, &cost, &eps) == 4 &&
			    !strcmp(mon, name))
				snprintf(buf, len,
					 "now 1 in %u in the running instance (%.3g %% of one CPU, "
					 "%.0f events/s)",
					 n, cost, eps);
		}
	}
	fclose(f);
}

void overhead_check_report(const struct config *cfg, struct monitor_cfg *const *sel, size_t nsel)
{
	const char *how = "";
	char now[256];
	int h;

	printf("\nOverhead budget:\n");
	if (!overhead_configured(cfg)) {
		printf("  %-16s none (overhead_budget not set): every event is counted\n",
		       "budget");
		return;
	}
	if (cfg->overhead_budget > 0)
		printf("  %-16s %g %% of one CPU for the whole monitor (overhead_budget)\n",
		       "budget", cfg->overhead_budget);
	else
		printf("  %-16s none for the whole monitor; monitors' own below\n", "budget");
	if (!kcheck_privileged()) {
		printf("  %-16s (not root: cannot tell)\n", "cost measured");
	} else if ((h = loader_stats_available(&how)) == 0) {
		printf("  %-16s by the kernel's BPF statistics (%s)\n", "cost measured", how);
	} else {
		printf("  %-16s estimated from events per second (the kernel keeps no BPF "
		       "statistics: %s)\n",
		       "cost measured", strerror(-h));
	}
	for (size_t i = 0; i < nsel; i++) {
		const struct monitor_cfg *mc = sel[i];

		if (!mc->schema->samples) {
			printf("  %-16s never samples (%s); its cost counts toward the budget\n",
			       mc->name,
			       mc->schema->aggregating ? "exact counts" : "rows are events");
			continue;
		}
		running_rate(cfg, mc->name, now, sizeof(now));
		if (mc->overhead_budget > 0)
			printf("  %-16s samples 1 in N over its own budget of %g %% or the whole "
			       "one; %s\n",
			       mc->name, mc->overhead_budget, now);
		else
			printf("  %-16s samples 1 in N over the budget; %s\n", mc->name, now);
	}
}
