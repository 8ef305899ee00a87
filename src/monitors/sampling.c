/* sampling.c - see sampling.h. */
#define LOG_NAME "ebpf_monitor.budget"

#include "monitors/sampling.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "core/log.h"
#include "monitors/monitor.h"

#include <linux/types.h>

#include "probes/sample.h"

_Static_assert(BUDGET_MAX_RATE == EM_SAMPLE_MAX, "budget.h and probes/sample.h disagree");

const struct column monitor_sample_rate_column = { "sample_rate", COL_U64, 0, 11 };

int monitor_sampling_plan(struct monitor *m, struct monitor_plan *plan)
{
	struct monitor_sampling *s = &m->sample;

	s->rate = s->since_flip = s->mark = 1;
	s->count_col = -1;
	for (size_t i = 0; i < plan->ncolumns; i++) {
		if (!strcmp(m->ops->columns[i].name, "count") && m->ops->columns[i].type == COL_U64)
			s->count_col = (int)i;
	}
	if (!m->ops->samples || !m->cfg->sampling)
		return 0;
	if (cflags_add(&plan->cflags, "-DEM_SAMPLING=1"))
		return -ENOMEM;
	s->on = true;
	return 0;
}

void monitor_sampling_flip(struct monitor *m)
{
	struct monitor_sampling *s = &m->sample;

	s->mark = s->since_flip > s->rate ? s->since_flip : s->rate;
	s->since_flip = s->rate;
}

int monitor_set_sample_rate(struct monitor *m, unsigned n)
{
	struct monitor_sampling *s = &m->sample;
	int fd, zero = 0, r;
	__u32 v = n;

	if (!s->on || !n || n > BUDGET_MAX_RATE || (n & (n - 1)))
		return -EINVAL;
	fd = monitor_map_fd(m, "em_sample_n");
	if (fd < 0)
		return fd;
	r = monitor_map_update(m, fd, &zero, &v);
	if (r)
		return r;
	s->rate = n;
	if (n > s->since_flip)
		s->since_flip = n;
	/* Events of the interval waiting for its drain may already carry the new weight. */
	if (m->drain_pending && n > s->mark)
		s->mark = n;
	return 0;
}

uint64_t monitor_sample_seen(struct monitor *m)
{
	unsigned ncpus = monitor_possible_cpus();
	struct em_sample_state *v;
	uint64_t seen = 0;
	int fd, zero = 0;

	if (!m->sample.on || (fd = monitor_map_fd(m, "em_sample_cpu")) < 0)
		return 0;
	/* a per-CPU lookup fills one value per possible CPU, 8-byte strided: 16 bytes each */
	v = calloc(ncpus ? ncpus : 1, sizeof(*v));
	if (!v)
		return 0;
	if (!monitor_map_lookup(m, fd, &zero, v)) {
		for (unsigned c = 0; c < ncpus; c++)
			seen += v[c].seen;
	}
	free(v);
	return seen;
}

/* Events per second of a monitor that does not sample, from its rows' counts (and perf events),
 * which an aggregating monitor delivers once an interval: the rate over the time since they
 * last grew. */
static double rows_rate(struct monitor *m, double now, uint64_t events)
{
	struct monitor_sampling *s = &m->sample;
	double since = now - s->events_at;

	if (events != s->events) {
		double r = since > 0 ? (double)(events - s->events) / since : 0;

		s->events_at = now;
		return r;
	}
	/* unchanged: an interval in progress, or nothing happened for two of them */
	return since > 2 * (m->cfg->interval > 1 ? m->cfg->interval : 1) ? 0 : s->events_per_s;
}

void monitor_ns_model(const struct monitor *m, const struct monitor_cost_model *cm, double *full,
		      double *skip)
{
	const struct monitor_sampling *s = &m->sample;

	*full = s->measured_full ?
			s->ns_full :
			(m->ops->event_cost_ns ? m->ops->event_cost_ns : MONITOR_EVENT_COST_NS) *
				cm->speed;
	*skip = s->measured_skip ? s->ns_skip : MONITOR_SKIP_SHARE * *full;
	if (*skip > *full)
		*skip = *full;
}

double monitor_ns_per_event(const struct monitor *m, unsigned n,
			    const struct monitor_cost_model *cm)
{
	double full, skip;

	monitor_ns_model(m, cm, &full, &skip);
	return n <= 1 ? full : skip + (full - skip) / n;
}

/* A window measured ns per event at the rate in effect: the model learns from it. At N = 1 that
 * is a counted event's cost; at N > 1 it is skip + (full - skip) / N, which gives the skipped
 * event's cost from the counted one's. When that does not fit (none known yet, or known from
 * other events: a counted getppid costs less than the average call of an idle system), the
 * counted one's is taken from it instead, with a skipped one at the usual share. */
static void learn(struct monitor_sampling *s, double ns_per_event)
{
	unsigned n = s->rate;
	double skip;

	if (n <= 1) {
		s->ns_full = ns_per_event;
		s->measured_full++;
		return;
	}
	skip = ((double)n * ns_per_event - s->ns_full) / (n - 1);
	if (s->measured_full && skip >= 0 && skip <= ns_per_event) {
		s->ns_skip = skip;
		s->measured_skip++;
		return;
	}
	s->ns_full = ns_per_event / (MONITOR_SKIP_SHARE + (1 - MONITOR_SKIP_SHARE) / n);
	s->ns_skip = MONITOR_SKIP_SHARE * s->ns_full;
	s->measured_full++;
	s->measured_skip++;
}

void monitor_measure_cost(struct monitor *m, double now, const struct monitor_cost_model *cm)
{
	struct monitor_sampling *s = &m->sample;
	uint64_t ns = 0, cnt = 0, seen = monitor_sample_seen(m);
	uint64_t events = s->counted + m->stats.events;
	bool kernel = cm->kernel_stats && monitor_prog_stats(m, &ns, &cnt) == 0;
	double dt = now - s->measured_at;

	if (!s->primed || dt <= 0) {
		s->primed = true;
		s->cost = s->events_per_s = 0;
		s->events_at = now;
	} else {
		s->events_per_s = s->on ? (double)(seen - s->seen) / dt : rows_rate(m, now, events);
		if (kernel && cm->window && ns >= s->run_ns) {
			double run = (double)(ns - s->run_ns);

			s->cost = s->window_cost = run / 1e9 / dt;
			/* a per-event cost from enough events to mean something */
			if (s->on && seen - s->seen >= 1000)
				learn(s, run / (double)(seen - s->seen));
		} else if (s->on || !cm->kernel_stats) {
			s->cost = s->events_per_s *
				  monitor_ns_per_event(m, s->on ? s->rate : 1, cm) / 1e9;
		} else {
			s->cost = s->window_cost;
		}
	}
	s->measured_at = now;
	s->run_ns = ns;
	s->run_cnt = cnt;
	s->seen = seen;
	s->events = events;
}

static void log_at(int level, const char *msg)
{
	if (level == LOG_WARNING)
		log_warn("%s", msg);
	else if (level == LOG_INFO)
		log_info("%s", msg);
	else
		log_debug("%s", msg);
}

bool monitors_budget_step(struct monitor *const *ms, size_t n, double global, double self,
			  double now, const struct monitor_cost_model *cm, double *ret_total)
{
	struct budget_entry e[64] = { { 0 } };
	bool changed = false, measure = false;
	double total;
	char msg[768];

	if (n > sizeof(e) / sizeof(e[0]))
		n = sizeof(e) / sizeof(e[0]);
	for (size_t i = 0; i < n; i++) {
		struct monitor *m = ms[i];

		monitor_measure_cost(m, now, cm);
		e[i] = (struct budget_entry){
			.name = m->ops->name,
			.samples = m->sample.on,
			.budget = m->sample.on ? m->cfg->overhead_budget / 100 : 0,
			.cost = m->sample.cost,
			.rate = m->sample.on ? m->sample.rate : 1,
			.calm = m->sample.calm,
		};
		if (m->sample.on) {
			/* the model behind the estimate, for these events per second */
			double eps = m->sample.events_per_s / 1e9, full, skip;

			monitor_ns_model(m, cm, &full, &skip);
			e[i].full = eps * full;
			e[i].skip = eps * skip;
		}
	}
	total = budget_total(self, e, n);
	for (size_t i = 0; i < n; i++) {
		double full, skip;

		monitor_ns_model(ms[i], cm, &full, &skip);
		log_debug("%s: cost %.3f %% of one CPU at 1 in %u, %.0f events/s, %.0f ns per "
			  "counted event, %.0f per skipped one%s",
			  e[i].name, e[i].cost * 100, e[i].rate, ms[i]->sample.events_per_s, full,
			  skip, cm->window ? " (measured)" : "");
	}
	budget_decide(global, self, e, n);
	for (size_t i = 0; i < n; i++) {
		struct monitor *m = ms[i];
		int level = budget_message(&e[i], global, total, msg, sizeof(msg));
		int r;

		m->sample.calm = e[i].calm;
		if (budget_floor_message(&e[i], global, total, msg, sizeof(msg))) {
			if (!m->sample.floor_warned)
				log_warn("%s", msg);
			m->sample.floor_warned = true;
			continue;
		}
		if (e[i].next < BUDGET_MAX_RATE)
			m->sample.floor_warned = false;
		/* A rate goes up when two steps in a row ask for it (the second one measured: a
		 * window opens for it), not on one second's spike (a vCPU stolen in the middle
		 * of a program, a model from other events). */
		if (e[i].next > e[i].rate && !m->sample.raise_pending) {
			m->sample.raise_pending = true;
			measure = true;
			continue;
		}
		m->sample.raise_pending = false;
		if (level < 0)
			continue;
		r = monitor_set_sample_rate(m, e[i].next);
		if (r) {
			log_error("%s: setting the sampling rate to 1 in %u failed: %s",
				  m->ops->name, e[i].next, strerror(-r));
			continue;
		}
		changed = true;
		log_at(level, msg);
	}
	*ret_total = total;
	return changed || measure;
}

/* What a probe does per event, in user space: a 24-byte key (a counter and a 16-byte name that
 * varies) hashed into an open-addressed table, its slot incremented. */
static uint64_t calibration_loop(unsigned iters)
{
	static uint64_t table[4096][4];
	uint64_t sum = 0;

	for (unsigned i = 0; i < iters; i++) {
		uint64_t k[3] = { i & 63, 0x6c6c61637379735fULL ^ (i % 97), 0x0000000000007374ULL };
		uint64_t h = 1469598103934665603ULL;

		for (int w = 0; w < 3; w++) {
			h ^= k[w];
			h *= 1099511628211ULL;
			h ^= h >> 29;
		}
		for (unsigned p = 0; p < 8; p++) {
			uint64_t *slot = table[(h + p) & 4095];

			if (!slot[3] || (slot[0] == k[0] && slot[1] == k[1] && slot[2] == k[2])) {
				memcpy(slot, k, sizeof(k));
				slot[3]++;
				sum += slot[3];
				break;
			}
		}
	}
	return sum;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double monitor_calibrate(void)
{
	enum { ITERS = 100000, RUNS = 5 };
	volatile uint64_t sink = 0;
	double t[RUNS];

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

		sink += calibration_loop(ITERS);
		t[r] = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / ITERS;
	}
	(void)sink;
	qsort(t, RUNS, sizeof(t[0]), by_value);
	return t[RUNS / 2];
}
