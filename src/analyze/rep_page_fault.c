/* rep_page_fault.c - the page_fault report: minor and major faults per CPU and NUMA node with
 * balance scores, the processes that fault most, a per-CPU heat map. */

#include "analyze/report.h"

enum { C_CPU, C_COUNT, C_COMM, C_TYPE_STR, C_TYPE, C_NODE, C_NCOLS };

static const struct acol pf_cols[C_NCOLS] = {
	[C_CPU] = { "cpu", ACOL_UINT, true },
	[C_COUNT] = { "count", ACOL_UINT, true },
	[C_COMM] = { "comm", ACOL_STR, false },
	[C_TYPE_STR] = { "fault_type_str", ACOL_STR, false },
	[C_TYPE] = { "fault_type", ACOL_UINT, false },
	[C_NODE] = { "numa_node", ACOL_UINT, false },
};

enum { V_CNT, V_MINOR, V_MAJOR, V_N };

/* The state's tables. */
enum { T_CPU, T_NODE, T_COMM, T_N };

struct pf_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
};

/* V_MINOR, V_MAJOR, or -1 when the row does not say. */
static int pf_kind(const struct arow *r)
{
	static const char *const kinds[] = { "MINOR", "MAJOR" }; /* fault_type 0, 1 */
	int k = arow_enum(r, C_TYPE_STR, C_TYPE, kinds, 2);

	return k == 0 ? V_MINOR : k == 1 ? V_MAJOR : -1;
}

static void pf_add(double *v, const struct arow *r, int kind)
{
	v[V_CNT] += r->n[C_COUNT];
	if (kind >= 0)
		v[kind] += r->n[C_COUNT];
}

static void pf_row(void *p, const struct arow *r)
{
	static const int comm[] = { C_COMM }, node[] = { C_NODE };
	struct pf_state *st = p;
	int kind = pf_kind(r);
	char key[AGG_KEY_MAX];

	pf_add(agg_table_get(st->b.t[T_CPU], key, (size_t)snprintf(key, 32, "%.0f", r->n[C_CPU])),
	       r, kind);
	if (r->has[C_NODE])
		pf_add(agg_table_get(st->b.t[T_NODE], key, arow_key(r, key, 1, node, "-")), r,
		       kind);
	if (r->has[C_COMM])
		pf_add(agg_table_get(st->b.t[T_COMM], key, arow_key(r, key, 1, comm, "-")), r,
		       kind);
	pf_add(st->tot, r, kind);
	if (kind >= 0)
		series_add(&st->b.ts, r->ts_ms, kind == V_MINOR ? 0 : 1, r->n[C_COUNT]);
	report_heat_add(&st->b, r->ts_ms, r->n[C_CPU], r->n[C_COUNT]);
}

static void pf_distribution(struct out *o, struct agg_table *t, const char *id, const char *title,
			    const char *what, const char *key, const char *label_prefix)
{
	out_distribution(o, t,
			 &(struct rk_dist){ id,
					    title,
					    "faults",
					    what,
					    key,
					    label_prefix,
					    V_CNT,
					    { "minor", "major" },
					    { V_MINOR, V_MAJOR } });
}

static void pf_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct pf_state *st = p;
	bool nodes = ctx->st.col_files[C_NODE] > 0, comms = ctx->st.col_files[C_COMM] > 0;
	double span = report_span_s(ctx), n = st->tot[V_CNT];
	size_t top = ctx->opts->top;
	struct ranking rk;

	out_heading(o, "Overview");
	out_kv(o, "page faults", "%.0f", n);
	out_kv(o, "minor", "%.0f (%.2f%%)", st->tot[V_MINOR],
	       n > 0 ? 100.0 * st->tot[V_MINOR] / n : 0.0);
	out_kv(o, "major", "%.0f (%.2f%%)", st->tot[V_MAJOR],
	       n > 0 ? 100.0 * st->tot[V_MAJOR] / n : 0.0);
	if (comms)
		out_kv_keys(o, "processes", st->b.t[T_COMM]);
	out_kv_keys(o, "CPUs", st->b.t[T_CPU]);
	if (nodes)
		out_kv_keys(o, "NUMA nodes", st->b.t[T_NODE]);
	if (span > 0)
		out_kv(o, "faults per second", "%.2f (over %.3f s)", n / span, span);

	out_cpu_charts(o, ctx, &st->b, "page faults", "minor/s", "major/s");

	pf_distribution(o, st->b.t[T_CPU], "per-cpu", "page faults per CPU", "CPUs", "cpu", "cpu ");
	if (nodes)
		pf_distribution(o, st->b.t[T_NODE], "per-node", "page faults per NUMA node",
				"nodes", "node", "node ");
	if (comms) {
		rk_init(&rk, "top-processes", "processes by faults", "faults", st->b.t[T_COMM],
			V_CNT, top);
		rk.bars = true;
		rk_add_ranked(&rk, "faults");
		rk_add(&rk, "minor", RK_VAL, V_MINOR, 0, 0);
		rk_add_part(&rk, "major", "major%", V_MAJOR, V_CNT);
		rk_add(&rk, "process", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);

		rk_init(&rk, "top-major", "processes by major faults", "major faults",
			st->b.t[T_COMM], V_MAJOR, top);
		rk.skip_zero = true;
		rk.empty = "no major faults";
		rk_add_ranked(&rk, "major");
		rk_add(&rk, "faults", RK_VAL, V_CNT, 0, 0);
		rk_add(&rk, "process", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
	}
}

const struct report_type report_page_fault = {
	.name = "page_fault",
	.title = "page faults",
	.cols = pf_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct pf_state),
	.ntables = T_N,
	.nvals = V_N,
	.ts_slots = 2,
	.row = pf_row,
	.render = pf_render,
	.attrib = { { "faults", AM_SUM, C_COUNT, NULL, false } },
};
