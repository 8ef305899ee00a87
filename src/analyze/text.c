/* text.c - the text back end of the report: aligned tables, time series as tables of buckets,
 * heat maps in shades of ASCII. */
#include <math.h>
#include <string.h>

#include "analyze/report_out.h"

#define TEXT_TS_ROWS 24	  /* rows of an "over time" table */
#define TEXT_HEAT_COLS 60 /* columns of a text heat map */

/* title, underlined with c. */
static void text_title(FILE *f, const char *title, char c)
{
	size_t n = strlen(title);

	fprintf(f, "%s\n", title);
	for (size_t i = 0; i < n; i++)
		fputc(c, f);
	fputc('\n', f);
}

static void text_section_begin(struct out *o, const struct report_type *t)
{
	char title[128];

	snprintf(title, sizeof(title), "%s report: %s", t->name, t->title);
	text_title(o->f, title, '=');
}

static void text_heading(struct out *o, const char *title)
{
	fputc('\n', o->f);
	text_title(o->f, title, '-');
}

static void text_kv(struct out *o, const char *label, const char *value)
{
	fprintf(o->f, "  %-24s %s\n", label, value);
}

static void text_note(struct out *o, const char *text)
{
	fprintf(o->f, "  note: %s\n", text);
}

/* One line of a ranking's table: the rank (or "#") and the cells. */
static void text_rank_line(FILE *f, const struct ranking *rk, const size_t *w, const char *rank,
			   const char *const *cells)
{
	fprintf(f, "  %3s", rank);
	for (size_t c = 0; c < rk->ncols; c++) {
		bool last = c + 1 == rk->ncols;

		if (rk_col_is_text(&rk->cols[c]))
			fprintf(f, "  %-*s", last ? 0 : (int)w[c], cells[c]);
		else
			fprintf(f, "  %*s", (int)w[c], cells[c]);
	}
	fputc('\n', f);
}

static void text_rank_table(FILE *f, const struct ranking *rk, const struct rk_rows *rows)
{
	const char *titles[RK_MAX_COLS];
	size_t w[RK_MAX_COLS];
	char rank[24];

	for (size_t c = 0; c < rk->ncols; c++) {
		titles[c] = rk->cols[c].title;
		w[c] = strlen(rk->cols[c].title);
		for (size_t i = 0; i < rows->n; i++) {
			size_t l = strlen(rk_cell(rows, rk, i, c));

			if (l > w[c])
				w[c] = l;
		}
		if (rk_col_is_text(&rk->cols[c]) && w[c] > 32)
			w[c] = 32;
	}
	text_rank_line(f, rk, w, "#", titles);
	for (size_t i = 0; i < rows->n; i++) {
		snprintf(rank, sizeof(rank), "%zu", i + 1);
		text_rank_line(f, rk, w, rank, (const char *const *)&rows->cells[i * rk->ncols]);
	}
}

static void text_ranking(struct out *o, const struct ranking *rk, const struct rk_rows *rows)
{
	char head[256], other[256];
	FILE *f = o->f;

	if (rows->n < rows->nkeys)
		snprintf(head, sizeof(head), "Top %s (%zu of %zu)", rk->title, rows->n,
			 rows->nkeys);
	else
		snprintf(head, sizeof(head), "%s%s (%zu)", rk->by_key_number ? "" : "Top ",
			 rk->title, rows->nkeys);
	text_heading(o, head);
	if (!rows->n) {
		fprintf(f, "  %s\n", rk->empty ? rk->empty : "nothing to show");
		return;
	}
	text_rank_table(f, rk, rows);
	if (rows->nrest)
		fprintf(f, "  ... %zu more: %.0f %s (%.2f%%)\n", rows->nrest, rows->rest,
			rk->value_name, rk_pct(rows->rest, rows->total));
	if (rk_other_text(rk, rows, other, sizeof(other)))
		fprintf(f, "  ... %s\n", other);
	if (rows->has_balance) {
		char label[128];

		rk_label(rk, rows->busiest, label, sizeof(label));
		fprintf(f,
			"  balance %.3f over %zu %s (Jain's index: 1 = even, %.3f = all on one); "
			"busiest %s with %.2f%% (%.2fx the mean)\n",
			rows->balance, rows->nkeys, rk->balance, 1.0 / (double)rows->nkeys, label,
			100.0 * rows->busiest_share, rows->busiest_share * (double)rows->nkeys);
	}
}

static void width_text(int64_t ms, char *buf, size_t len)
{
	if (ms % 86400000 == 0)
		snprintf(buf, len, "%lld d", (long long)(ms / 86400000));
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%lld h", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%lld min", (long long)(ms / 60000));
	else
		snprintf(buf, len, "%lld s", (long long)(ms / 1000));
}

static void text_tschart(struct out *o, const struct tschart *c, const struct series *g)
{
	char head[256], wtext[32], t[32], cell[32];
	size_t w[4];

	width_text(g->width_ms, wtext, sizeof(wtext));
	snprintf(head, sizeof(head), "%s over time (%s, buckets of %s)", c->title, c->unit, wtext);
	text_heading(o, head);
	fprintf(o->f, "  %-19s", "bucket start");
	for (size_t l = 0; l < c->nlines; l++) {
		w[l] = strlen(c->lines[l].name) < 10 ? 10 : strlen(c->lines[l].name);
		fprintf(o->f, "  %*s", (int)w[l], c->lines[l].name);
	}
	fputc('\n', o->f);
	for (size_t b = 0; b < g->nb; b++) {
		time_format_local(g->start_ms + (int64_t)b * g->width_ms, false, t, sizeof(t));
		fprintf(o->f, "  %-19s", t);
		for (size_t l = 0; l < c->nlines; l++) {
			double x = ts_line_value(g, b, &c->lines[l]);

			if (isnan(x))
				snprintf(cell, sizeof(cell), "-");
			else
				snprintf(cell, sizeof(cell), "%.*f", c->lines[l].prec, x);
			fprintf(o->f, "  %*s", (int)w[l], cell);
		}
		fputc('\n', o->f);
	}
}

static void text_heatmap(struct out *o, const struct heatmap *h, const struct heat_rows *hr)
{
	static const char shades[] = " .:-=+*#%@";
	const struct series *g = hr->g;
	char head[256], wtext[32], t0[32];

	width_text(g->width_ms, wtext, sizeof(wtext));
	time_format_local(g->start_ms, false, t0, sizeof(t0));
	snprintf(head, sizeof(head), "%s (%s; one column per %s from %s; '@' = %.2f)", h->title,
		 h->unit, wtext, t0, hr->top);
	text_heading(o, head);
	for (size_t i = 0; i < hr->nrows; i++) {
		fprintf(o->f, "  %s %4zu |", h->row_name, hr->rows[i]);
		for (size_t b = 0; b < g->nb; b++) {
			double x = series_get(g, b, hr->rows[i]) / ((double)g->width_ms / 1000.0);
			size_t k = hr->top > 0 ? (size_t)(x / hr->top * 9.0 + 0.5) : 0;

			fputc(shades[k > 9 ? 9 : k], o->f);
		}
		fputs("|\n", o->f);
	}
	if (g->dropped)
		fprintf(o->f, "  (%llu rows with a %s beyond the map's %zu left out)\n", g->dropped,
			h->row_name, h->s->max_slots);
}

const struct report_out report_out_text = {
	.ts_points = TEXT_TS_ROWS,
	.heat_cols = TEXT_HEAT_COLS,
	.section_begin = text_section_begin,
	.heading = text_heading,
	.kv = text_kv,
	.note = text_note,
	.ranking = text_ranking,
	.tschart = text_tschart,
	.heatmap = text_heatmap,
};
