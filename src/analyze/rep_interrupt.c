/* rep_interrupt.c - the interrupt report: per-CPU and per-NUMA-node distributions with a balance
 * score, the busiest IRQs with handling latency weighted by count, a per-CPU heat map. */
#include <string.h>

#include "analyze/report.h"

enum { C_CPU, C_COUNT, C_COMM, C_TYPE_STR, C_TYPE, C_IRQ, C_NAME, C_AVG, C_MAX, C_NODE, C_NCOLS };

static const struct acol irq_cols[C_NCOLS] = {
	[C_CPU] = { "cpu", ACOL_UINT, true },
	[C_COUNT] = { "count", ACOL_UINT, true },
	[C_COMM] = { "comm", ACOL_STR, false },
	[C_TYPE_STR] = { "irq_type_str", ACOL_STR, false },
	[C_TYPE] = { "irq_type", ACOL_UINT, false },
	[C_IRQ] = { "irq", ACOL_STR, false },
	[C_NAME] = { "name", ACOL_STR, false },
	[C_AVG] = { "avg_latency_us", ACOL_NUM, false },
	[C_MAX] = { "max_latency_us", ACOL_NUM, false },
	[C_NODE] = { "numa_node", ACOL_UINT, false },
};

enum { V_CNT, V_HARD, V_SOFT, V_LATW, V_LATSUM, V_LATMAX, V_N };
#define IRQ_MAX_SLOTS (1u << V_LATMAX) /* maxima, not sums */

/* The state's tables. */
enum { T_CPU, T_NODE, T_IRQ, T_COMM, T_N };

struct irq_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
};

/* 'H' hard, 'S' soft, 0 unknown. */
static int irq_kind(const struct arow *r)
{
	static const char *const kinds[] = { "HARD", "SOFT" }; /* irq_type 0, 1 */

	switch (arow_enum(r, C_TYPE_STR, C_TYPE, kinds, 2)) {
	case 0:
		return 'H';
	case 1:
		return 'S';
	default:
		return 0;
	}
}

static void irq_add(double *v, const struct arow *r, int kind)
{
	double n = r->n[C_COUNT];

	v[V_CNT] += n;
	if (kind == 'H')
		v[V_HARD] += n;
	else if (kind == 'S')
		v[V_SOFT] += n;
	if (r->has[C_AVG]) {
		v[V_LATW] += n;
		v[V_LATSUM] += r->n[C_AVG] * n;
	}
	if (r->has[C_MAX] && r->n[C_MAX] > v[V_LATMAX])
		v[V_LATMAX] = r->n[C_MAX];
}

static void irq_row(void *p, const struct arow *r)
{
	static const int comm[] = { C_COMM }, node[] = { C_NODE };
	struct irq_state *st = p;
	int kind = irq_kind(r);
	char key[AGG_KEY_MAX];
	const char *parts[3];
	size_t lens[3];

	irq_add(agg_table_get(st->b.t[T_CPU], key, (size_t)snprintf(key, 32, "%.0f", r->n[C_CPU])),
		r, kind);
	if (r->has[C_NODE])
		irq_add(agg_table_get(st->b.t[T_NODE], key, arow_key(r, key, 1, node, "-")), r,
			kind);
	if (r->has[C_COMM])
		irq_add(agg_table_get(st->b.t[T_COMM], key, arow_key(r, key, 1, comm, "-")), r,
			kind);
	parts[0] = kind == 'H' ? "HARD" : kind == 'S' ? "SOFT" : "-";
	lens[0] = strlen(parts[0]);
	parts[1] = r->has[C_IRQ] ? r->s[C_IRQ] : "-";
	lens[1] = r->has[C_IRQ] ? r->len[C_IRQ] : 1;
	parts[2] = r->has[C_NAME] ? r->s[C_NAME] : "-";
	lens[2] = r->has[C_NAME] ? r->len[C_NAME] : 1;
	irq_add(agg_table_get(st->b.t[T_IRQ], key, agg_key_join(key, 3, parts, lens)), r, kind);
	irq_add(st->tot, r, kind);
	if (kind == 'H')
		series_add(&st->b.ts, r->ts_ms, 0, r->n[C_COUNT]);
	else if (kind == 'S')
		series_add(&st->b.ts, r->ts_ms, 1, r->n[C_COUNT]);
	report_heat_add(&st->b, r->ts_ms, r->n[C_CPU], r->n[C_COUNT]);
}

static void irq_distribution(struct out *o, struct agg_table *t, const char *id, const char *title,
			     const char *what, const char *key, const char *label_prefix)
{
	out_distribution(o, t,
			 &(struct rk_dist){ id,
					    title,
					    "interrupts",
					    what,
					    key,
					    label_prefix,
					    V_CNT,
					    { "hard", "soft" },
					    { V_HARD, V_SOFT } });
}

static void irq_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct irq_state *st = p;
	bool lat = st->tot[V_LATW] > 0, nodes = ctx->st.col_files[C_NODE] > 0;
	bool comms = ctx->st.col_files[C_COMM] > 0;
	double span = report_span_s(ctx), n = st->tot[V_CNT];
	size_t top = ctx->opts->top;
	struct ranking rk;

	out_heading(o, "Overview");
	out_kv(o, "interrupts", "%.0f", n);
	out_kv(o, "hard", "%.0f (%.2f%%)", st->tot[V_HARD],
	       n > 0 ? 100.0 * st->tot[V_HARD] / n : 0.0);
	out_kv(o, "soft", "%.0f (%.2f%%)", st->tot[V_SOFT],
	       n > 0 ? 100.0 * st->tot[V_SOFT] / n : 0.0);
	out_kv_keys(o, "CPUs", st->b.t[T_CPU]);
	if (nodes)
		out_kv_keys(o, "NUMA nodes", st->b.t[T_NODE]);
	if (span > 0)
		out_kv(o, "interrupts per second", "%.2f (over %.3f s)", n / span, span);
	if (lat) {
		out_kv(o, "avg handling latency", "%.3f us (weighted by count, %.0f measured)",
		       st->tot[V_LATSUM] / st->tot[V_LATW], st->tot[V_LATW]);
		out_kv(o, "max handling latency", "%.3f us", st->tot[V_LATMAX]);
	}

	out_cpu_charts(o, ctx, &st->b, "interrupts", "hard/s", "soft/s");

	irq_distribution(o, st->b.t[T_CPU], "per-cpu", "interrupts per CPU", "CPUs", "cpu", "cpu ");
	if (nodes)
		irq_distribution(o, st->b.t[T_NODE], "per-node", "interrupts per NUMA node",
				 "nodes", "node", "node ");
	else
		out_note(o, "no numa_node column: no per-NUMA distribution");

	rk_init(&rk, "top-irqs", "IRQs by count", "interrupts", st->b.t[T_IRQ], V_CNT, top);
	rk.bars = true;
	rk_add_ranked(&rk, "interrupts");
	if (lat)
		rk_add_latency(&rk, V_LATSUM, V_LATW, V_LATMAX);
	rk_add(&rk, "type", RK_KEY, 0, 0, 0);
	rk_add(&rk, "irq", RK_KEY, 1, 0, 0);
	rk_add(&rk, "name", RK_KEY, 2, 0, 0);
	out_ranking(o, &rk);

	if (comms) {
		rk_init(&rk, "top-processes", "interrupted processes by count", "interrupts",
			st->b.t[T_COMM], V_CNT, top);
		rk_add_ranked(&rk, "interrupts");
		rk_add(&rk, "process", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
	}
}

const struct report_type report_interrupt = {
	.name = "interrupt",
	.title = "hard and soft interrupts",
	.cols = irq_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct irq_state),
	.ntables = T_N,
	.nvals = V_N,
	.max_mask = IRQ_MAX_SLOTS,
	.ts_slots = 2,
	.row = irq_row,
	.render = irq_render,
	.attrib = { { "interrupts", AM_SUM, C_COUNT, NULL, false } },
};
