/* render.c - the dispatcher between the report code and the back ends: the out_* functions
 * compute the model (model.c) once and hand it to the back end that the output's mode picks
 * (text.c or html.c, through struct report_out); report_render() writes the common header
 * around a type's render(). */
#include <stdarg.h>
#include <stdlib.h>

#include "analyze/report_out.h"

static const struct report_out *out_backend(const struct out *o)
{
	return o->mode == OUT_HTML ? &report_out_html : &report_out_text;
}

void out_doc_begin(struct out *o, const struct analyze_opts *opts)
{
	if (out_backend(o)->doc_begin)
		out_backend(o)->doc_begin(o, opts);
}

void out_doc_end(struct out *o)
{
	if (out_backend(o)->doc_end)
		out_backend(o)->doc_end(o);
}

void out_section_begin(struct out *o, const struct report_type *t)
{
	out_backend(o)->section_begin(o, t);
}

void out_section_end(struct out *o)
{
	if (out_backend(o)->section_end)
		out_backend(o)->section_end(o);
}

void out_heading(struct out *o, const char *title)
{
	out_backend(o)->heading(o, title);
}

void out_kv(struct out *o, const char *label, const char *fmt, ...)
{
	char value[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	out_backend(o)->kv(o, label, value);
}

void out_note(struct out *o, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	out_backend(o)->note(o, text);
}

void out_kv_keys(struct out *o, const char *label, const struct agg_table *t)
{
	if (agg_table_evicted(t) || agg_table_folded(t))
		out_kv(o, label, "at least %zu (more than --max-keys could hold)",
		       agg_table_size(t));
	else
		out_kv(o, label, "%zu", agg_table_size(t));
}

void out_ranking(struct out *o, const struct ranking *rk)
{
	struct agg_item *items;
	struct rk_rows rows;

	if (rk_compute(rk, &rows, &items) < 0)
		out_note(o, "%s: out of memory", rk->title);
	else
		out_backend(o)->ranking(o, rk, &rows);
	rk_rows_free(&rows, items, rk->ncols);
}

void out_tschart(struct out *o, const struct tschart *c)
{
	struct series g;

	if (!c->s->nb)
		return;
	if (series_regroup(c->s, c->min_width_ms, out_backend(o)->ts_points, &g) < 0) {
		out_note(o, "%s: out of memory", c->title);
		return;
	}
	out_backend(o)->tschart(o, c, &g);
	series_free(&g);
}

void out_heatmap(struct out *o, const struct heatmap *h)
{
	const struct report_out *be = out_backend(o);
	struct heat_rows hr;
	struct series g;
	size_t *rows;

	if (!h->s->nb)
		return;
	if (series_regroup(h->s, h->min_width_ms, be->heat_fit ? be->heat_fit(o, h) : be->heat_cols,
			   &g) < 0)
		return;
	if (heat_rows_compute(&g, &rows, &hr) == 0)
		out_backend(o)->heatmap(o, h, &hr);
	free(rows);
	series_free(&g);
}

/* ---- the report around a type's render() ---- */

void report_render(const struct report_ctx *ctx, void *state, struct out *o)
{
	const struct report_type *t = ctx->type;
	const struct report_stats *st = &ctx->st;
	char a[40], b[40], list[512];
	size_t lo = 0, partial = 0;

	out_section_begin(o, t);
	out_kv(o, "period", "%s", ctx->opts->period.desc);
	if (ctx->opts->hostname)
		out_kv(o, "host", "%s", ctx->opts->hostname);
	out_kv(o, "files", "%zu read%s%s", st->files - st->files_skipped,
	       ctx->file_list[0] ? ": " : "", ctx->file_list);
	if (st->files_skipped)
		out_kv(o, "files skipped", "%zu", st->files_skipped);
	out_kv(o, "rows", "%llu read: %llu used, %llu outside the period, %llu malformed (skipped)",
	       st->rows, st->used, st->outside, st->malformed);
	for (size_t i = 0; i < st->nexamples; i++)
		out_note(o, "%s", st->examples[i]);
	if (st->used) {
		time_format_local(st->first_ms, true, a, sizeof(a));
		time_format_local(st->last_ms, true, b, sizeof(b));
		out_kv(o, "data", "%s .. %s", a, b);
		if (st->interval_ms)
			out_kv(o, "interval", "%.1f s (most common gap between samples)",
			       (double)st->interval_ms / 1000.0);
	}
	/* Optional columns some files lacked: the breakdowns that need them are left out. */
	list[0] = '\0';
	for (size_t c = 0; c < t->ncols; c++) {
		size_t had = st->col_files[c], files = st->files - st->files_skipped;

		if (t->cols[c].required || had == files || !files)
			continue;
		if (had)
			partial++;
		lo += (size_t)snprintf(list + lo, lo < sizeof(list) ? sizeof(list) - lo : 0, "%s%s",
				       lo ? ", " : "", t->cols[c].name);
		if (lo >= sizeof(list))
			break;
	}
	if (list[0])
		out_note(o, "columns missing from %s files (figures needing them are left out): %s",
			 partial ? "some" : "the", list);
	if (st->used) {
		t->render(state, ctx, o);
		report_attrib_render(ctx, state, o);
	} else
		out_note(o, "no rows in the period: nothing to report");
	out_section_end(o);
}
