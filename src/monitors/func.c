/* func.c - the func monitor: calls of kernel functions chosen by name patterns, per function
 * and task name (and, with attribution, the calling process's cgroup) each interval. Each
 * function is its own probe point (kprobe, else fentry), so one that cannot be probed is
 * reported and the others still count. */
#define LOG_NAME "ebpf_monitor.func"

#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/func.h"
#include "monitors/func_resolve.h"
#include "core/log.h"
#include "monitors/attrib.h"
#include "monitors/monitor.h"

struct func_options {
	struct strlist patterns;
	long long probe_limit;
	bool per_pid;
	long long map_size;
};

static const struct opt_spec func_option_specs[] = {
	{ "patterns", OPT_STRLIST, offsetof(struct func_options, patterns), 0, 0, NULL,
	  "[vfs_read, vfs_write]", "kernel function names or shell wildcards (vfs_*, tcp_*send*)" },
	{ "probe_limit", OPT_INT, offsetof(struct func_options, probe_limit), 1,
	  FUNC_PROBE_CEILING, NULL, "10", "most functions probed; matches beyond are logged" },
	{ "per_pid", OPT_BOOL, offsetof(struct func_options, per_pid), 0, 0, NULL, "false",
	  "one row per process rather than per task name" },
	{ "map_size", OPT_INT, offsetof(struct func_options, map_size), 16, 1048576, NULL, "10240",
	  "distinct (function, task) keys per interval before counting stops" },
	OPT_END,
};

enum { C_TS, C_TIMESTR, C_COMM, C_FUNC, C_COUNT, C_PID, C_NCOLS };

static const struct column func_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_COMM] = { "comm", COL_STR, 0, 16 },
	[C_FUNC] = { "func_name", COL_STR, 0, COL_FLEX(24) },
	[C_COUNT] = { "count", COL_U64, 0, 1 },
	[C_PID] = { "pid", COL_U64, 0, 0 },
};

/* Attribution's points, after the functions' (the framework turns them off when it is off). */
static const struct attach_point func_attrib_points[] = { ATTRIB_POINTS };
#define FUNC_NATTRIB (sizeof(func_attrib_points) / sizeof(func_attrib_points[0]))

/* The probe points are built at configure time, one per resolved function, then attribution's
 * three. */
struct func_priv {
	struct func_resolution res;
	char kprobe_prog[FUNC_PROBE_CEILING][32];
	char kfunc_prog[FUNC_PROBE_CEILING][160];
	struct probe_spec kprobe_spec[FUNC_PROBE_CEILING][2];
	struct probe_spec kfunc_spec[FUNC_PROBE_CEILING][2];
	struct attach_alt alts[FUNC_PROBE_CEILING][3];
	struct attach_point points[FUNC_PROBE_CEILING + FUNC_NATTRIB];
};

static void log_names(const char *what, const struct func_names *n, size_t total)
{
	char list[1024];
	size_t o = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n->n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", n->v[i]);
	log_info("%s %zu: %s%s", what, total, list, total > n->n ? ", ..." : "");
}

static int func_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct func_options *o = m->opts;
	struct func_priv *p;
	bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	int r;

	if (!o->patterns.n) {
		snprintf(err, errlen, "monitors.func.patterns: expected at least one function name "
			 "or wildcard, e.g. [vfs_read, vfs_write]");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	m->priv = p;
	r = func_resolve_system((const char *const *)o->patterns.v, o->patterns.n,
				(size_t)o->probe_limit, &p->res);
	if (r) {
		snprintf(err, errlen, "func: reading the kernel's functions failed: %s",
			 strerror(-r));
		return r;
	}
	log_info("patterns resolved against %s", p->res.source);
	if (!p->res.chosen.n) {
		snprintf(err, errlen, "func: the patterns match no traceable kernel function "
			 "(check monitors.func.patterns)");
		return -ENOENT;
	}
	if (p->res.unmatched_patterns)
		log_warn("%zu pattern(s) match no traceable function", p->res.unmatched_patterns);
	log_names("probing", &p->res.chosen, p->res.chosen.n);
	if (p->res.ncut)
		log_names("cut by probe_limit", &p->res.cut, p->res.ncut);

	for (size_t i = 0; i < p->res.chosen.n; i++) {
		const char *fn = p->res.chosen.v[i];

		snprintf(p->kprobe_prog[i], sizeof(p->kprobe_prog[i]), "kp_func_%zu", i);
		snprintf(p->kfunc_prog[i], sizeof(p->kfunc_prog[i]), "kfunc__%s", fn);
		p->kprobe_spec[i][0] = (struct probe_spec){ ATTACH_KPROBE, fn, p->kprobe_prog[i] };
		p->kfunc_spec[i][0] = (struct probe_spec){ ATTACH_KFUNC, fn, p->kfunc_prog[i] };
		p->alts[i][0] = (struct attach_alt){ "kprobe", p->kprobe_spec[i] };
		/* Listed even without BTF: forcing it then says why it cannot work. */
		p->alts[i][1] = (struct attach_alt){ "kfunc", p->kfunc_spec[i] };
		p->points[i] = (struct attach_point){ fn, p->alts[i], true };
		/* fentry needs the name as a C identifier (kfunc__<name>): a compiler's local
		 * copy ("vfs_dedupe_file_range_one.part.0") has no BTF entry anyway. */
		if (btf && strspn(fn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_") == strlen(fn))
			cflags_add(cf, "-DFUNC_NAME_%zu=%s", i, fn);
	}
	/* attrib_plan() knows them by their alts: copies will do */
	memcpy(&p->points[p->res.chosen.n], func_attrib_points, sizeof(func_attrib_points));
	plan->points = p->points;
	plan->npoints = p->res.chosen.n + FUNC_NATTRIB;
	cflags_add(cf, "-DFUNC_COUNT=%zu", p->res.chosen.n);
	cflags_add(cf, "-DFUNC_MAP_ENTRIES=%lld", o->map_size);
	if (btf)
		cflags_add(cf, "-DFUNC_KFUNC_ENABLED=1");
	if (o->per_pid)
		cflags_add(cf, "-DFUNC_PER_PID=1");
	else
		plan->ncolumns = C_PID; /* no pid column */
	return 0;
}

struct func_row {
	struct func_key key;
	uint64_t count;
};

static void func_merge(void *row, const void *key, const void *values, unsigned nvalues)
{
	struct func_row *r = row;
	const struct func_value *v = values;

	memcpy(&r->key, key, sizeof(r->key));
	for (unsigned c = 0; c < nvalues; c++)
		r->count += v[c].count;
}

/* Rows of one (function, task name, pid, class) are one row. */
static int func_by_key(const void *a, const void *b)
{
	const struct func_row *x = a, *y = b;
	int c = memcmp(x->key.comm, y->key.comm, sizeof(x->key.comm));

	if (c)
		return c;
	if (x->key.idx != y->key.idx)
		return x->key.idx < y->key.idx ? -1 : 1;
	if (x->key.pid != y->key.pid)
		return x->key.pid < y->key.pid ? -1 : 1;
	return x->key.who < y->key.who ? -1 : x->key.who > y->key.who;
}

static int func_by_count_desc(const void *a, const void *b)
{
	const struct func_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->key.idx != y->key.idx)
		return x->key.idx < y->key.idx ? -1 : 1;
	return func_by_key(a, b);
}

/* Two rows of one key become one (agg_batch_coalesce). */
static void func_add(void *into, const void *from)
{
	((struct func_row *)into)->count += ((const struct func_row *)from)->count;
}

static void func_collect(struct monitor *m, uint64_t now_ns)
{
	const struct func_priv *p = m->priv;
	struct agg_batch b = AGG_BATCH(struct func_row, func_merge);

	if (monitor_drain_rows(m, "func_counts", sizeof(struct func_key), sizeof(struct func_value),
			       true, &b, func_by_count_desc) < 0)
		return;
	if (m->attrib)
	{
		/* a process the kernel had no class for is resolved now: rows may become one */
		monitor_who_rows(m, &b, offsetof(struct func_row, key.who));
		agg_batch_coalesce(&b, func_by_key, func_add);
		agg_batch_sort(&b, func_by_count_desc);
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct func_row *r = agg_batch_at(&b, i);
		char comm[17];
		struct cell cells[C_NCOLS];
		struct row row = { now_ns, cells, NULL, r->key.who };

		if (!r->count || r->key.idx >= p->res.chosen.n)
			continue;
		snprintf(comm, sizeof(comm), "%.*s", 16, r->key.comm);
		memset(cells, 0, sizeof(cells));
		cells[C_COMM].s = comm;
		cells[C_FUNC].s = p->res.chosen.v[r->key.idx];
		cells[C_COUNT].u = r->count;
		cells[C_PID].u = r->key.pid;
		monitor_emit(m, &row);
	}
	agg_batch_free(&b);
}

static void func_destroy(struct monitor *m)
{
	struct func_priv *p = m->priv;

	if (!p)
		return;
	func_resolution_free(&p->res);
	free(p);
	m->priv = NULL;
}

static const struct metric_spec func_metrics[] = {
	{ "ebpf_monitor_kernel_function_calls_total",
	  "Calls of traced kernel functions.",
	  false,
	  C_COUNT,
	  -1,
	  { METRIC_COL_BOUNDED("function", C_FUNC) } },
};

/* Not attached as such: configure() builds one point per resolved function, each with these
 * alternatives (what the config's attach: may name). */
static const struct probe_spec func_no_probes[] = { { .prog = NULL } };
static const struct attach_alt func_template_alts[] = {
	{ "kprobe", func_no_probes },
	{ "kfunc", func_no_probes },
	{ NULL, NULL },
};
static const struct attach_point func_template_points[] = {
	{ "function", func_template_alts, true },
};

const struct monitor_ops func_monitor_ops = {
	.name = "func",
	.description = "kernel function calls by name pattern, per function and task name each "
		       "interval (needs kprobes or fentry)",
	.probe_text = em_probe_func,
	.points = func_template_points,
	.npoints = sizeof(func_template_points) / sizeof(func_template_points[0]),
	.columns = func_columns,
	.ncolumns = C_NCOLS,
	.options = func_option_specs,
	.options_size = sizeof(struct func_options),
	.metrics = func_metrics,
	.nmetrics = sizeof(func_metrics) / sizeof(func_metrics[0]),
	.aggregating = true,
	.key_columns = MONITOR_COL(C_COMM) | MONITOR_COL(C_FUNC) | MONITOR_COL(C_PID),
	.counts = "function calls",
	.event_cost_ns = 80,
	.samples = true,
	.configure = func_configure,
	.collect = func_collect,
	.destroy = func_destroy,
};
