/* rep_exec.c - the exec report (one row per exec): most executed programs, busiest parents,
 * failed execs by program and errno, execs per user. */
#include <string.h>

#include "analyze/report.h"

enum { C_COMM, C_FILE, C_UID, C_PPID, C_RET, C_NCOLS };

static const struct acol ex_cols[C_NCOLS] = {
	[C_COMM] = { "comm", ACOL_STR, true }, [C_FILE] = { "filename", ACOL_STR, true },
	[C_UID] = { "uid", ACOL_STR, false },  [C_PPID] = { "ppid", ACOL_STR, false },
	[C_RET] = { "ret", ACOL_INT, false },
};

enum { V_N_EXECS, V_FAIL, V_N };

/* The state's tables. */
enum { T_FILE, T_PARENT, T_FAIL, T_UID, T_COMM, T_N };

struct ex_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
};

static void ex_add(double *v, bool failed)
{
	v[V_N_EXECS] += 1;
	if (failed)
		v[V_FAIL] += 1;
}

static void ex_row(void *p, const struct arow *r)
{
	static const int file[] = { C_FILE }, parent[] = { C_PPID, C_COMM }, uid[] = { C_UID },
			 comm[] = { C_COMM };
	struct ex_state *st = p;
	bool failed = r->has[C_RET] && r->n[C_RET] != 0;
	char key[AGG_KEY_MAX], ebuf[32];

	ex_add(agg_table_get(st->b.t[T_FILE], key, arow_key(r, key, 1, file, "(empty)")), failed);
	ex_add(agg_table_get(st->b.t[T_PARENT], key, arow_key(r, key, 2, parent, "-")), failed);
	ex_add(agg_table_get(st->b.t[T_UID], key, arow_key(r, key, 1, uid, "-")), failed);
	ex_add(agg_table_get(st->b.t[T_COMM], key, arow_key(r, key, 1, comm, "-")), failed);
	if (failed) {
		const char *parts[2];
		size_t lens[2];

		parts[0] = r->has[C_FILE] ? r->s[C_FILE] : "(empty)";
		lens[0] = r->has[C_FILE] ? r->len[C_FILE] : strlen(parts[0]);
		/* -errno, as the monitor writes it; anything else is shown as it is. */
		if (r->n[C_RET] < 0 && r->n[C_RET] >= -4095) {
			parts[1] = errno_label((long)-r->n[C_RET], ebuf, sizeof(ebuf));
		} else {
			snprintf(ebuf, sizeof(ebuf), "ret %.0f", r->n[C_RET]);
			parts[1] = ebuf;
		}
		lens[1] = strlen(parts[1]);
		ex_add(agg_table_get(st->b.t[T_FAIL], key, agg_key_join(key, 2, parts, lens)),
		       true);
	}
	ex_add(st->tot, failed);
	series_add(&st->b.ts, r->ts_ms, 0, 1);
	if (failed)
		series_add(&st->b.ts, r->ts_ms, 1, 1);
}

static void ex_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct ex_state *st = p;
	bool ret = ctx->st.col_files[C_RET] > 0, ppid = ctx->st.col_files[C_PPID] > 0;
	bool uid = ctx->st.col_files[C_UID] > 0;
	double span = report_span_s(ctx), n = st->tot[V_N_EXECS];
	size_t top = ctx->opts->top;
	struct ranking rk;

	out_heading(o, "Overview");
	out_kv(o, "execs", "%.0f", n);
	if (ret)
		out_kv(o, "failed", "%.0f (%.2f%%)", st->tot[V_FAIL],
		       n > 0 ? 100.0 * st->tot[V_FAIL] / n : 0.0);
	out_kv_keys(o, "programs", st->b.t[T_FILE]);
	out_kv_keys(o, "calling process names", st->b.t[T_COMM]);
	if (span > 0)
		out_kv(o, "execs per second", "%.3f (over %.3f s)", n / span, span);

	out_tschart(
		o, &(struct tschart){
			   .id = "over-time",
			   .title = "execs",
			   .unit = "per second",
			   .s = &st->b.ts,
			   .nlines = ret ? 2 : 1,
			   .min_width_ms = report_min_width(ctx),
			   .lines = { { "execs/s", 0, -1, 1.0, 3 }, { "failed/s", 1, -1, 1.0, 3 } },
		   });

	rk_init(&rk, "top-programs", "programs by execs", "execs", st->b.t[T_FILE], V_N_EXECS, top);
	rk.bars = true;
	rk_add_ranked(&rk, "execs");
	if (ret)
		rk_add(&rk, "failed", RK_VAL, V_FAIL, 0, 0);
	rk_add(&rk, "program", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	rk_init(&rk, "top-parents", "parents by execs", "execs", st->b.t[T_PARENT], V_N_EXECS, top);
	rk.bars = true;
	rk.key_join = " ";
	rk_add_ranked(&rk, "execs");
	if (ret)
		rk_add(&rk, "failed", RK_VAL, V_FAIL, 0, 0);
	if (ppid)
		rk_add(&rk, "ppid", RK_KEY, 0, 0, 0);
	rk_add(&rk, "name", RK_KEY, 1, 0, 0);
	out_ranking(o, &rk);

	if (ret) {
		rk_init(&rk, "failed", "failed execs", "failures", st->b.t[T_FAIL], V_N_EXECS, top);
		rk.empty = "no failed execs";
		rk_add_ranked(&rk, "failures");
		rk_add(&rk, "errno", RK_KEY, 1, 0, 0);
		rk_add(&rk, "program", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
	}
	if (uid) {
		rk_init(&rk, "users", "users by execs", "execs", st->b.t[T_UID], V_N_EXECS, top);
		rk_add_ranked(&rk, "execs");
		rk_add(&rk, "uid", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
	}
}

const struct report_type report_exec = {
	.name = "exec",
	.title = "process executions",
	.events = true,
	.cols = ex_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct ex_state),
	.ntables = T_N,
	.nvals = V_N,
	.ts_slots = 2,
	.row = ex_row,
	.render = ex_render,
	.attrib = { { "execs", AM_ROWS, 0, NULL, false },
		    { "failed", AM_NONZERO, C_RET, "fail%", false } },
};
