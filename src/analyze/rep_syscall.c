/* rep_syscall.c - the syscall report: calls and errors per syscall, process and process x
 * syscall, error top-N with error rates, latency weighted by calls. */

#include "analyze/report.h"

enum { C_COMM, C_NAME, C_NR, C_CAT, C_COUNT, C_ERRS, C_AVG, C_MAX, C_NCOLS };

static const struct acol sc_cols[C_NCOLS] = {
	[C_COMM] = { "comm", ACOL_STR, true },
	[C_NAME] = { "syscall_name", ACOL_STR, false },
	[C_NR] = { "syscall_nr", ACOL_UINT, false },
	[C_CAT] = { "category", ACOL_STR, false },
	[C_COUNT] = { "count", ACOL_UINT, true },
	[C_ERRS] = { "error_count", ACOL_UINT, false },
	[C_AVG] = { "avg_latency_us", ACOL_NUM, false },
	[C_MAX] = { "max_latency_us", ACOL_NUM, false },
};

/* Sums per key. Latency: the sum of avg * count over rows that have it, and that count. */
enum { V_CALLS, V_ERRS, V_LATW, V_LATSUM, V_LATMAX, V_N };
#define SC_MAX_SLOTS (1u << V_LATMAX) /* maxima, not sums */

/* The state's tables. */
enum { T_SYS, T_COMM, T_PAIR, T_CAT, T_N };

struct sc_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
};

static const char *sc_check(const bool *bound)
{
	return bound[C_NAME] || bound[C_NR] ? NULL :
					      "neither syscall_name nor syscall_nr: file skipped";
}

static void sc_add(double *v, const struct arow *r)
{
	double calls = r->n[C_COUNT];

	v[V_CALLS] += calls;
	v[V_ERRS] += r->n[C_ERRS];
	if (r->has[C_AVG]) {
		v[V_LATW] += calls;
		v[V_LATSUM] += r->n[C_AVG] * calls;
	}
	if (r->has[C_MAX] && r->n[C_MAX] > v[V_LATMAX])
		v[V_LATMAX] = r->n[C_MAX];
}

static void sc_row(void *p, const struct arow *r)
{
	struct sc_state *st = p;
	char key[AGG_KEY_MAX], name[32];
	const char *parts[2];
	size_t lens[2], n;

	if (r->has[C_NAME]) {
		parts[0] = r->s[C_NAME];
		lens[0] = r->len[C_NAME];
	} else {
		lens[0] = (size_t)snprintf(name, sizeof(name), "syscall_%.0f", r->n[C_NR]);
		parts[0] = name;
	}
	parts[1] = r->has[C_CAT] ? r->s[C_CAT] : "-";
	lens[1] = r->has[C_CAT] ? r->len[C_CAT] : 1;
	n = agg_key_join(key, 2, parts, lens);
	sc_add(agg_table_get(st->b.t[T_SYS], key, n), r);
	n = agg_key_join(key, 1, parts + 1, lens + 1);
	sc_add(agg_table_get(st->b.t[T_CAT], key, n), r);
	n = agg_key_join(key, 1, &r->s[C_COMM], &r->len[C_COMM]);
	sc_add(agg_table_get(st->b.t[T_COMM], key, n), r);
	parts[1] = parts[0];
	lens[1] = lens[0];
	parts[0] = r->s[C_COMM];
	lens[0] = r->len[C_COMM];
	n = agg_key_join(key, 2, parts, lens);
	sc_add(agg_table_get(st->b.t[T_PAIR], key, n), r);
	sc_add(st->tot, r);
	series_add(&st->b.ts, r->ts_ms, 0, r->n[C_COUNT]);
	series_add(&st->b.ts, r->ts_ms, 1, r->n[C_ERRS]);
}

static void sc_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct sc_state *st = p;
	bool errs = ctx->st.col_files[C_ERRS] > 0, lat = st->tot[V_LATW] > 0;
	bool cat = ctx->st.col_files[C_CAT] > 0;
	double span = report_span_s(ctx);
	size_t top = ctx->opts->top;
	struct ranking rk;

	out_heading(o, "Overview");
	out_kv(o, "calls", "%.0f", st->tot[V_CALLS]);
	if (errs)
		out_kv(o, "errors", "%.0f (error rate %.2f%%)", st->tot[V_ERRS],
		       st->tot[V_CALLS] > 0 ? 100.0 * st->tot[V_ERRS] / st->tot[V_CALLS] : 0.0);
	out_kv_keys(o, "processes", st->b.t[T_COMM]);
	out_kv_keys(o, "syscalls", st->b.t[T_SYS]);
	if (span > 0)
		out_kv(o, "calls per second", "%.2f (over %.3f s)", st->tot[V_CALLS] / span, span);
	if (lat) {
		out_kv(o, "avg latency", "%.3f us (weighted by calls, %.0f calls measured)",
		       st->tot[V_LATSUM] / st->tot[V_LATW], st->tot[V_LATW]);
		out_kv(o, "max latency", "%.3f us", st->tot[V_LATMAX]);
	}

	out_tschart(
		o, &(struct tschart){
			   .id = "over-time",
			   .title = "calls",
			   .unit = "per second",
			   .s = &st->b.ts,
			   .nlines = errs ? 2 : 1,
			   .min_width_ms = report_min_width(ctx),
			   .lines = { { "calls/s", 0, -1, 1.0, 2 }, { "errors/s", 1, -1, 1.0, 2 } },
		   });

	rk_init(&rk, "top-syscalls", "syscalls by calls", "calls", st->b.t[T_SYS], V_CALLS, top);
	rk.bars = true;
	rk.label_parts = 1;
	rk_add_ranked(&rk, "calls");
	if (errs)
		rk_add_part(&rk, "errors", "err%", V_ERRS, V_CALLS);
	if (lat)
		rk_add_latency(&rk, V_LATSUM, V_LATW, V_LATMAX);
	if (cat)
		rk_add(&rk, "category", RK_KEY, 1, 0, 0);
	rk_add(&rk, "syscall", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	rk_init(&rk, "top-processes", "processes by calls", "calls", st->b.t[T_COMM], V_CALLS, top);
	rk.bars = true;
	rk_add_ranked(&rk, "calls");
	if (errs)
		rk_add_part(&rk, "errors", "err%", V_ERRS, V_CALLS);
	rk_add(&rk, "process", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	rk_init(&rk, "top-pairs", "process x syscall by calls", "calls", st->b.t[T_PAIR], V_CALLS,
		top);
	rk_add_ranked(&rk, "calls");
	if (errs)
		rk_add_part(&rk, "errors", "err%", V_ERRS, V_CALLS);
	if (lat)
		rk_add_latency(&rk, V_LATSUM, V_LATW, -1);
	rk_add(&rk, "process", RK_KEY, 0, 0, 0);
	rk_add(&rk, "syscall", RK_KEY, 1, 0, 0);
	out_ranking(o, &rk);

	if (errs) {
		rk_init(&rk, "top-errors", "errors by process x syscall", "errors", st->b.t[T_PAIR],
			V_ERRS, top);
		rk.skip_zero = true;
		rk.bars = true;
		rk.empty = "no failed calls";
		rk_add_ranked(&rk, "errors");
		rk_add(&rk, "calls", RK_VAL, V_CALLS, 0, 0);
		rk_add(&rk, "err%", RK_PCT, V_ERRS, V_CALLS, 0);
		rk_add(&rk, "process", RK_KEY, 0, 0, 0);
		rk_add(&rk, "syscall", RK_KEY, 1, 0, 0);
		out_ranking(o, &rk);
	}

	if (cat) {
		rk_init(&rk, "categories", "categories by calls", "calls", st->b.t[T_CAT], V_CALLS,
			top);
		rk_add_ranked(&rk, "calls");
		if (errs)
			rk_add_part(&rk, "errors", "err%", V_ERRS, V_CALLS);
		rk_add(&rk, "category", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
	}
}

const struct report_type report_syscall = {
	.name = "syscall",
	.title = "system calls",
	.cols = sc_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct sc_state),
	.ntables = T_N,
	.nvals = V_N,
	.max_mask = SC_MAX_SLOTS,
	.ts_slots = 2,
	.check_columns = sc_check,
	.row = sc_row,
	.render = sc_render,
	.attrib = { { "calls", AM_SUM, C_COUNT, NULL, false },
		    { "errors", AM_SUM, C_ERRS, "err%", false } },
};
