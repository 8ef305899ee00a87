/* rep_func.c - the func report (the guide's kernel function monitor): hottest functions, the
 * processes calling them, and the hottest functions of each top process. */
#include <stdlib.h>
#include <string.h>

#include "analyze/report.h"

enum { C_COMM, C_FUNC, C_COUNT, C_NCOLS };

static const struct acol fn_cols[C_NCOLS] = {
	[C_COMM] = { "comm", ACOL_STR, true },
	[C_FUNC] = { "func_name", ACOL_STR, true },
	[C_COUNT] = { "count", ACOL_UINT, true },
};

enum { V_CALLS, V_N };

#define FUNC_PER_PROCESS 5

/* The state's tables. */
enum { T_FUNC, T_COMM, T_PAIR, T_N };

struct fn_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
};

static void fn_row(void *p, const struct arow *r)
{
	static const int func[] = { C_FUNC }, comm[] = { C_COMM }, pair[] = { C_COMM, C_FUNC };
	struct fn_state *st = p;
	char key[AGG_KEY_MAX];
	double n = r->n[C_COUNT];

	agg_table_get(st->b.t[T_FUNC], key, arow_key(r, key, 1, func, "-"))[V_CALLS] += n;
	agg_table_get(st->b.t[T_COMM], key, arow_key(r, key, 1, comm, "-"))[V_CALLS] += n;
	agg_table_get(st->b.t[T_PAIR], key, arow_key(r, key, 2, pair, "-"))[V_CALLS] += n;
	st->tot[V_CALLS] += n;
	series_add(&st->b.ts, r->ts_ms, 0, n);
}

static void fn_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct fn_state *st = p;
	double span = report_span_s(ctx);
	size_t top = ctx->opts->top, nproc;
	struct agg_item *procs;
	struct ranking rk;

	out_heading(o, "Overview");
	out_kv(o, "calls", "%.0f", st->tot[V_CALLS]);
	out_kv_keys(o, "functions", st->b.t[T_FUNC]);
	out_kv_keys(o, "processes", st->b.t[T_COMM]);
	if (span > 0)
		out_kv(o, "calls per second", "%.2f (over %.3f s)", st->tot[V_CALLS] / span, span);

	out_tschart(o, &(struct tschart){
			       .id = "over-time",
			       .title = "calls",
			       .unit = "per second",
			       .s = &st->b.ts,
			       .nlines = 1,
			       .min_width_ms = report_min_width(ctx),
			       .lines = { { "calls/s", 0, -1, 1.0, 2 } },
		       });

	rk_init(&rk, "top-functions", "functions by calls", "calls", st->b.t[T_FUNC], V_CALLS, top);
	rk.bars = true;
	rk_add_ranked(&rk, "calls");
	rk_add(&rk, "function", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	rk_init(&rk, "top-processes", "processes by calls", "calls", st->b.t[T_COMM], V_CALLS, top);
	rk.bars = true;
	rk_add_ranked(&rk, "calls");
	rk_add(&rk, "process", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	/* The hottest functions of each of the top processes: shares are of that process. */
	procs = rk_sorted(st->b.t[T_COMM], V_CALLS, &nproc);
	for (size_t i = 0; procs && i < nproc && i < top; i++) {
		char prefix[AGG_KEY_MAX], title[300], id[32], name[200];

		snprintf(prefix, sizeof(prefix), "%s%c", procs[i].key, AGG_KEY_SEP);
		text_clean(procs[i].key, procs[i].keylen, 64, name, sizeof(name));
		snprintf(title, sizeof(title), "functions of %s", name);
		snprintf(id, sizeof(id), "process-%zu", i + 1);
		rk_init(&rk, id, title, "calls", st->b.t[T_PAIR], V_CALLS, FUNC_PER_PROCESS);
		rk.prefix = prefix;
		rk_add_ranked(&rk, "calls");
		rk_add(&rk, "function", RK_KEY, 1, 0, 0);
		out_ranking(o, &rk);
	}
	free(procs);
}

const struct report_type report_func = {
	.name = "func",
	.title = "kernel function calls",
	.cols = fn_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct fn_state),
	.ntables = T_N,
	.nvals = V_N,
	.ts_slots = 1,
	.row = fn_row,
	.render = fn_render,
	.attrib = { { "calls", AM_SUM, C_COUNT, NULL, false } },
};
