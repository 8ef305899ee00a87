/* rep_open.c - the open report: hottest files, busiest processes, failing paths with their
 * errno, errors by errno, latency weighted by opens. */
#include <string.h>

#include "analyze/report.h"

enum { C_COMM, C_OP, C_FILE, C_COUNT, C_ERRS, C_AVG, C_MAX, C_ERRNO, C_NCOLS };

static const struct acol op_cols[C_NCOLS] = {
	[C_COMM] = { "comm", ACOL_STR, true },	     [C_OP] = { "operation", ACOL_STR, false },
	[C_FILE] = { "filename", ACOL_STR, true },   [C_COUNT] = { "count", ACOL_UINT, true },
	[C_ERRS] = { "errors", ACOL_UINT, false },   [C_AVG] = { "avg_lat_us", ACOL_NUM, false },
	[C_MAX] = { "max_lat_us", ACOL_NUM, false }, [C_ERRNO] = { "top_errno", ACOL_STR, false },
};

enum { V_OPENS, V_ERRS, V_LATW, V_LATSUM, V_LATMAX, V_N };
#define OP_MAX_SLOTS (1u << V_LATMAX) /* maxima, not sums */

/* The state's tables. */
enum { T_FILE, T_COMM, T_OP, T_ERRNO, T_FILE_ERRNO, T_N };

/* Which value each table keeps its heaviest keys by. */
static const unsigned op_keep[T_N] = { 0, 0, 0, V_ERRS, V_ERRS };

struct op_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
};

static void op_add(double *v, const struct arow *r)
{
	double n = r->n[C_COUNT];

	v[V_OPENS] += n;
	v[V_ERRS] += r->n[C_ERRS];
	if (r->has[C_AVG]) {
		v[V_LATW] += n;
		v[V_LATSUM] += r->n[C_AVG] * n;
	}
	if (r->has[C_MAX] && r->n[C_MAX] > v[V_LATMAX])
		v[V_LATMAX] = r->n[C_MAX];
}

static void op_row(void *p, const struct arow *r)
{
	static const int file[] = { C_FILE }, comm[] = { C_COMM }, op[] = { C_OP },
			 err[] = { C_ERRNO }, file_err[] = { C_FILE, C_ERRNO };
	struct op_state *st = p;
	char key[AGG_KEY_MAX];
	size_t n;

	op_add(agg_table_get(st->b.t[T_FILE], key, arow_key(r, key, 1, file, "-")), r);
	op_add(agg_table_get(st->b.t[T_COMM], key, arow_key(r, key, 1, comm, "-")), r);
	op_add(agg_table_get(st->b.t[T_OP], key, arow_key(r, key, 1, op, "-")), r);
	/* A row's errors all go to its most frequent errno (the only one the CSV keeps). */
	if (r->n[C_ERRS] > 0) {
		n = arow_key(r, key, 1, err, "?");
		agg_table_get(st->b.t[T_ERRNO], key, n)[V_ERRS] += r->n[C_ERRS];
		n = arow_key(r, key, 2, file_err, "?");
		agg_table_get(st->b.t[T_FILE_ERRNO], key, n)[V_ERRS] += r->n[C_ERRS];
	}
	op_add(st->tot, r);
	series_add(&st->b.ts, r->ts_ms, 0, r->n[C_COUNT]);
	series_add(&st->b.ts, r->ts_ms, 1, r->n[C_ERRS]);
}

/* The errno with the most errors for the file of it (ties: the first by name). */
static const char *op_top_errno(const void *ctx, const struct agg_item *it, char *buf, size_t len)
{
	const struct op_state *st = ctx;
	struct agg_item e;
	size_t pos = 0;
	double best = -1;
	const char *p;
	size_t plen;

	snprintf(buf, len, "-");
	while (agg_table_next(st->b.t[T_FILE_ERRNO], &pos, &e)) {
		if (e.keylen <= it->keylen || memcmp(e.key, it->key, it->keylen) ||
		    e.key[it->keylen] != AGG_KEY_SEP)
			continue;
		if (!agg_key_part(e.key, e.keylen, 1, &p, &plen))
			continue;
		if (e.v[V_ERRS] > best || (e.v[V_ERRS] == best && strncmp(p, buf, plen) < 0)) {
			best = e.v[V_ERRS];
			text_clean(p, plen, 32, buf, len);
		}
	}
	return buf;
}

/* The keys of t by opens, with their errors and latency where the files had them. */
static void op_top_opens(struct out *o, const struct agg_table *t, const char *id,
			 const char *title, const char *key, size_t top, bool errs, bool lat)
{
	struct ranking rk;

	rk_init(&rk, id, title, "opens", t, V_OPENS, top);
	rk.bars = true;
	rk_add_ranked(&rk, "opens");
	if (errs)
		rk_add_part(&rk, "errors", "err%", V_ERRS, V_OPENS);
	if (lat)
		rk_add_latency(&rk, V_LATSUM, V_LATW, -1);
	rk_add(&rk, key, RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);
}

static void op_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct op_state *st = p;
	bool errs = ctx->st.col_files[C_ERRS] > 0, lat = st->tot[V_LATW] > 0;
	bool ops = ctx->st.col_files[C_OP] > 0;
	size_t top = ctx->opts->top;
	double span = report_span_s(ctx);
	struct ranking rk;

	out_heading(o, "Overview");
	out_kv(o, "opens", "%.0f", st->tot[V_OPENS]);
	if (errs)
		out_kv(o, "failed", "%.0f (error rate %.2f%%)", st->tot[V_ERRS],
		       st->tot[V_OPENS] > 0 ? 100.0 * st->tot[V_ERRS] / st->tot[V_OPENS] : 0.0);
	out_kv_keys(o, "files", st->b.t[T_FILE]);
	out_kv_keys(o, "processes", st->b.t[T_COMM]);
	if (span > 0)
		out_kv(o, "opens per second", "%.2f (over %.3f s)", st->tot[V_OPENS] / span, span);
	if (lat) {
		out_kv(o, "avg latency", "%.3f us (weighted by opens, %.0f opens measured)",
		       st->tot[V_LATSUM] / st->tot[V_LATW], st->tot[V_LATW]);
		out_kv(o, "max latency", "%.3f us", st->tot[V_LATMAX]);
	}

	out_tschart(
		o, &(struct tschart){
			   .id = "over-time",
			   .title = "opens",
			   .unit = "per second",
			   .s = &st->b.ts,
			   .nlines = errs ? 2 : 1,
			   .min_width_ms = report_min_width(ctx),
			   .lines = { { "opens/s", 0, -1, 1.0, 2 }, { "errors/s", 1, -1, 1.0, 2 } },
		   });

	op_top_opens(o, st->b.t[T_FILE], "top-files", "files by opens", "file", top, errs, lat);
	op_top_opens(o, st->b.t[T_COMM], "top-processes", "processes by opens", "process", top,
		     errs, lat);

	if (errs) {
		rk_init(&rk, "failing-paths", "failing paths by errors", "errors", st->b.t[T_FILE],
			V_ERRS, top);
		rk.skip_zero = true;
		rk.bars = true;
		rk.fn_ctx = st;
		rk.empty = "no failed opens";
		rk_add_ranked(&rk, "errors");
		rk_add(&rk, "opens", RK_VAL, V_OPENS, 0, 0);
		rk_add(&rk, "err%", RK_PCT, V_ERRS, V_OPENS, 0);
		if (ctx->st.col_files[C_ERRNO]) {
			rk_add(&rk, "errno", RK_FN_TEXT, 0, 0, 0);
			rk.cols[rk.ncols - 1].fn = op_top_errno;
		}
		rk_add(&rk, "file", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
		if (ctx->st.col_files[C_ERRNO]) {
			rk_init(&rk, "errnos", "errors by errno", "errors", st->b.t[T_ERRNO],
				V_ERRS, top);
			rk.skip_zero = true;
			rk.empty = "no failed opens";
			rk_add_ranked(&rk, "errors");
			rk_add(&rk, "errno", RK_KEY, 0, 0, 0);
			out_ranking(o, &rk);
			out_note(o,
				 "top_errno is each row's most frequent errno: a row's errors are "
				 "all counted under it");
		}
	}
	if (ops) {
		rk_init(&rk, "operations", "operations by opens", "opens", st->b.t[T_OP], V_OPENS,
			top);
		rk_add_ranked(&rk, "opens");
		if (errs)
			rk_add_part(&rk, "errors", "err%", V_ERRS, V_OPENS);
		rk_add(&rk, "operation", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
	}
}

const struct report_type report_open = {
	.name = "open",
	.title = "file opens",
	.cols = op_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct op_state),
	.ntables = T_N,
	.nvals = V_N,
	.keep = op_keep,
	.max_mask = OP_MAX_SLOTS,
	.ts_slots = 2,
	.row = op_row,
	.render = op_render,
	.attrib = { { "opens", AM_SUM, C_COUNT, NULL, false },
		    { "errors", AM_SUM, C_ERRS, "err%", false } },
};
