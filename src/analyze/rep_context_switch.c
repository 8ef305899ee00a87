/* rep_context_switch.c - the context_switch report: busiest CPUs with a balance score, the top
 * (prev -> next) process pairs, the voluntary share (the task blocked rather than being
 * preempted), a per-CPU heat map. */

#include "analyze/report.h"

enum { C_CPU, C_COUNT, C_PREV, C_NEXT, C_VOL, C_INVOL, C_NCOLS };

static const struct acol cs_cols[C_NCOLS] = {
	[C_CPU] = { "cpu", ACOL_UINT, true },
	[C_COUNT] = { "count", ACOL_UINT, true },
	[C_PREV] = { "prev_comm", ACOL_STR, false },
	[C_NEXT] = { "next_comm", ACOL_STR, false },
	[C_VOL] = { "voluntary", ACOL_UINT, false },
	[C_INVOL] = { "involuntary", ACOL_UINT, false },
};

/* V_VI: voluntary + involuntary, the base of the voluntary share (rows may lack the split). */
enum { V_CNT, V_VOL, V_INVOL, V_VI, V_N };

/* The state's tables. */
enum { T_CPU, T_PAIR, T_PREV, T_N };

struct cs_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
};

static void cs_add(double *v, const struct arow *r)
{
	v[V_CNT] += r->n[C_COUNT];
	if (r->has[C_VOL] && r->has[C_INVOL]) {
		v[V_VOL] += r->n[C_VOL];
		v[V_INVOL] += r->n[C_INVOL];
		v[V_VI] += r->n[C_VOL] + r->n[C_INVOL];
	}
}

static void cs_row(void *p, const struct arow *r)
{
	static const int pair[] = { C_PREV, C_NEXT };
	struct cs_state *st = p;
	char key[AGG_KEY_MAX];

	cs_add(agg_table_get(st->b.t[T_CPU], key, (size_t)snprintf(key, 32, "%.0f", r->n[C_CPU])),
	       r);
	cs_add(agg_table_get(st->b.t[T_PAIR], key, arow_key(r, key, 2, pair, "-")), r);
	cs_add(agg_table_get(st->b.t[T_PREV], key, arow_key(r, key, 1, pair, "-")), r);
	cs_add(st->tot, r);
	series_add(&st->b.ts, r->ts_ms, 0, r->n[C_COUNT]);
	if (r->has[C_VOL] && r->has[C_INVOL]) {
		series_add(&st->b.ts, r->ts_ms, 1, r->n[C_VOL]);
		series_add(&st->b.ts, r->ts_ms, 2, r->n[C_INVOL]);
	}
	report_heat_add(&st->b, r->ts_ms, r->n[C_CPU], r->n[C_COUNT]);
}

static void cs_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct cs_state *st = p;
	bool vol = st->tot[V_VI] > 0;
	double span = report_span_s(ctx), n = st->tot[V_CNT];
	size_t top = ctx->opts->top;
	struct ranking rk;

	out_heading(o, "Overview");
	out_kv(o, "context switches", "%.0f", n);
	if (vol) {
		out_kv(o, "voluntary", "%.0f (%.2f%% of those split: the task blocked)",
		       st->tot[V_VOL], 100.0 * st->tot[V_VOL] / st->tot[V_VI]);
		out_kv(o, "involuntary", "%.0f (%.2f%%: the task was preempted)", st->tot[V_INVOL],
		       100.0 * st->tot[V_INVOL] / st->tot[V_VI]);
	}
	out_kv_keys(o, "CPUs", st->b.t[T_CPU]);
	if (span > 0)
		out_kv(o, "switches per second", "%.2f (over %.3f s)", n / span, span);

	out_heatmap(o, &(struct heatmap){ .id = "heatmap",
					  .title = "context switches per CPU over time",
					  .unit = "per second",
					  .row_name = "cpu",
					  .s = &st->b.heat,
					  .min_width_ms = report_min_width(ctx) });
	out_tschart(o, &(struct tschart){
			       .id = "over-time",
			       .title = "context switches",
			       .unit = "per second",
			       .s = &st->b.ts,
			       .nlines = vol ? 3 : 1,
			       .min_width_ms = report_min_width(ctx),
			       .lines = { { "switches/s", 0, -1, 1.0, 2 },
					  { "voluntary/s", 1, -1, 1.0, 2 },
					  { "involuntary/s", 2, -1, 1.0, 2 } },
		       });

	rk_init(&rk, "busiest-cpus", "CPUs by switches", "switches", st->b.t[T_CPU], V_CNT, top);
	rk.balance = "CPUs";
	rk.bars = true;
	rk.label_prefix = "cpu ";
	rk_add_ranked(&rk, "switches");
	if (vol)
		rk_add(&rk, "vol%", RK_PCT, V_VOL, V_VI, 0);
	rk_add(&rk, "cpu", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	rk_init(&rk, "top-pairs", "process pairs (prev -> next)", "switches", st->b.t[T_PAIR],
		V_CNT, top);
	rk.bars = true;
	rk.key_join = " -> ";
	rk_add_ranked(&rk, "switches");
	if (vol)
		rk_add(&rk, "vol%", RK_PCT, V_VOL, V_VI, 0);
	rk_add(&rk, "prev", RK_KEY, 0, 0, 0);
	rk_add(&rk, "next", RK_KEY, 1, 0, 0);
	out_ranking(o, &rk);

	rk_init(&rk, "top-switched-out", "processes switched out", "switches", st->b.t[T_PREV],
		V_CNT, top);
	rk_add_ranked(&rk, "switches");
	if (vol)
		rk_add_part(&rk, "voluntary", "vol%", V_VOL, V_VI);
	rk_add(&rk, "process", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);
}

const struct report_type report_context_switch = {
	.name = "context_switch",
	.title = "context switches",
	.cols = cs_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct cs_state),
	.ntables = T_N,
	.nvals = V_N,
	.ts_slots = 3,
	.row = cs_row,
	.render = cs_render,
	.attrib = { { "switches", AM_SUM, C_COUNT, NULL, false } },
};
