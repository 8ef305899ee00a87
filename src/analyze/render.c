/* render.c - the output primitives report types render with: rankings (top-N with share and
 * cumulative %, or per-key lists with a balance score), time series and heat maps. Computes
 * them once, then writes plain text here or hands them to html.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TEXT_TS_ROWS 24	   /* rows of an "over time" table */
#define TEXT_HEAT_COLS 60  /* columns of a text heat map */
#define HTML_TS_POINTS 240 /* points of a time-series chart */
#define HTML_HEAT_COLS 96

void rk_add(struct ranking *rk, const char *title, enum rk_kind kind, int a, int b, int prec)
{
	if (rk->ncols >= RK_MAX_COLS)
		return;
	rk->cols[rk->ncols++] = (struct rk_col){ title, kind, a, b, prec, NULL };
}

void rk_add_ranked(struct ranking *rk, const char *title)
{
	rk_add(rk, title, RK_VAL, rk->slot, 0, 0);
	rk_add(rk, "share", RK_SHARE, 0, 0, 0);
	rk_add(rk, "cum", RK_CUM, 0, 0, 0);
}

void rk_add_part(struct ranking *rk, const char *title, const char *pct_title, int part, int whole)
{
	rk_add(rk, title, RK_VAL, part, 0, 0);
	rk_add(rk, pct_title, RK_PCT, part, whole, 0);
}

void out_heading(struct out *o, const char *title)
{
	size_t n = strlen(title);

	if (o->mode == OUT_HTML) {
		html_heading(o, title);
		return;
	}
	fprintf(o->f, "\n%s\n", title);
	for (size_t i = 0; i < n; i++)
		fputc('-', o->f);
	fputc('\n', o->f);
}

void out_kv(struct out *o, const char *label, const char *fmt, ...)
{
	char value[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (o->mode == OUT_HTML)
		html_kv(o, label, value);
	else
		fprintf(o->f, "  %-24s %s\n", label, value);
}

void out_note(struct out *o, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (o->mode == OUT_HTML)
		html_note(o, text);
	else
		fprintf(o->f, "  note: %s\n", text);
}

void out_kv_keys(struct out *o, const char *label, const struct agg_table *t)
{
	if (agg_table_evicted(t) || agg_table_folded(t))
		out_kv(o, label, "at least %zu (more than --max-keys could hold)",
		       agg_table_size(t));
	else
		out_kv(o, label, "%zu", agg_table_size(t));
}

/* ---- rankings ---- */

struct rk_sort_ctx {
	int slot;
	bool by_key_number;
};

static struct rk_sort_ctx rk_sort; /* qsort has no context argument in C11 */

static int rk_cmp(const void *pa, const void *pb)
{
	const struct agg_item *a = pa, *b = pb;
	int c;

	if (rk_sort.by_key_number) {
		unsigned long long x = strtoull(a->key, NULL, 10), y = strtoull(b->key, NULL, 10);

		if (x != y)
			return x < y ? -1 : 1;
	} else if (a->v[rk_sort.slot] != b->v[rk_sort.slot]) {
		return a->v[rk_sort.slot] > b->v[rk_sort.slot] ? -1 : 1;
	}
	c = memcmp(a->key, b->key, a->keylen < b->keylen ? a->keylen : b->keylen);
	if (c)
		return c;
	return a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
}

struct agg_item *rk_sorted(const struct agg_table *t, int slot, size_t *ret_n)
{
	struct agg_item *items = agg_table_items(t, ret_n);

	rk_sort.slot = slot;
	rk_sort.by_key_number = false;
	if (items)
		qsort(items, *ret_n, sizeof(*items), rk_cmp);
	return items;
}

static void rk_format(const struct ranking *rk, const struct rk_col *c, const struct agg_item *it,
		      double total, double cum, char *buf, size_t len)
{
	const char *p;
	size_t plen;
	double x;

	switch (c->kind) {
	case RK_KEY:
		if (!agg_key_part(it->key, it->keylen, (size_t)c->a, &p, &plen))
			snprintf(buf, len, "-");
		else if (!plen)
			snprintf(buf, len, "(empty)");
		else
			text_clean(p, plen, 512, buf, len);
		return;
	case RK_VAL:
		snprintf(buf, len, "%.*f", c->prec, it->v[c->a]);
		return;
	case RK_SHARE:
	case RK_CUM:
		x = c->kind == RK_SHARE ? it->v[rk->slot] : cum;
		if (total > 0)
			snprintf(buf, len, "%.2f%%", 100.0 * x / total);
		else
			snprintf(buf, len, "-");
		return;
	case RK_PCT:
		if (it->v[c->b] > 0)
			snprintf(buf, len, "%.2f%%", 100.0 * it->v[c->a] / it->v[c->b]);
		else
			snprintf(buf, len, "-");
		return;
	case RK_RATIO:
		if (it->v[c->b] > 0)
			snprintf(buf, len, "%.*f", c->prec, it->v[c->a] / it->v[c->b]);
		else
			snprintf(buf, len, "-");
		return;
	case RK_MIB:
		snprintf(buf, len, "%.*f", c->prec, it->v[c->a] / 1048576.0);
		return;
	case RK_IF:
		if (it->v[c->b] > 0)
			snprintf(buf, len, "%.*f", c->prec, it->v[c->a]);
		else
			snprintf(buf, len, "-");
		return;
	case RK_FN:
	case RK_FN_TEXT:
		p = c->fn ? c->fn(rk->fn_ctx, it, buf, len) : "-";
		if (p != buf)
			snprintf(buf, len, "%s", p);
		return;
	}
}

static void rk_rows_free(struct rk_rows *rows, struct agg_item *items, size_t ncols)
{
	if (rows->cells)
		for (size_t i = 0; i < rows->n * ncols; i++)
			free(rows->cells[i]);
	free(rows->cells);
	free(items);
}

/* Fills rows; *ret_items is the array rows->items points into (caller frees via rk_rows_free). */
static int rk_compute(const struct ranking *rk, struct rk_rows *rows, struct agg_item **ret_items)
{
	size_t n, m = 0, plen = rk->prefix ? strlen(rk->prefix) : 0;
	struct agg_item *items = agg_table_items(rk->t, &n);
	const double *other = agg_table_other(rk->t);
	double cum = 0, sq = 0, sum = 0, maxv = 0;
	char cell[1024];

	memset(rows, 0, sizeof(*rows));
	*ret_items = items;
	if (!items && agg_table_size(rk->t))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (plen && (items[i].keylen < plen || memcmp(items[i].key, rk->prefix, plen)))
			continue;
		if (rk->skip_zero && items[i].v[rk->slot] == 0)
			continue;
		items[m++] = items[i];
	}
	rows->nkeys = m;
	for (size_t i = 0; i < m; i++) {
		double x = items[i].v[rk->slot];

		sum += x;
		sq += x * x;
		if (x > maxv)
			maxv = x;
	}
	rows->total = sum;
	if (!plen && other) {
		rows->other = other[rk->slot];
		rows->evicted = agg_table_evicted(rk->t);
		rows->folded = agg_table_folded(rk->t);
		rows->total += rows->other;
	}
	if (rk->balance && m && sq > 0) {
		rows->has_balance = true;
		rows->balance = sum * sum / ((double)m * sq);
		rows->busiest_share = maxv / sum;
	}
	rk_sort.slot = rk->slot;
	rk_sort.by_key_number = rk->by_key_number;
	if (m)
		qsort(items, m, sizeof(*items), rk_cmp);
	/* The busiest key: the first, in the order shown, with the top value. */
	for (size_t i = 0; rows->has_balance && !rows->busiest && i < m; i++)
		if (items[i].v[rk->slot] == maxv)
			rows->busiest = &items[i];
	rows->n = rk->top && rk->top < m ? rk->top : m;
	rows->items = items;
	for (size_t i = rows->n; i < m; i++)
		rows->rest += items[i].v[rk->slot];
	rows->nrest = m - rows->n;
	if (!rows->n)
		return 0;
	rows->cells = calloc(rows->n * rk->ncols, sizeof(*rows->cells));
	if (!rows->cells)
		return -ENOMEM;
	for (size_t i = 0; i < rows->n; i++) {
		cum += items[i].v[rk->slot];
		for (size_t c = 0; c < rk->ncols; c++) {
			rk_format(rk, &rk->cols[c], &items[i], rows->total, cum, cell,
				  sizeof(cell));
			rows->cells[i * rk->ncols + c] = strdup(cell);
			if (!rows->cells[i * rk->ncols + c])
				return -ENOMEM;
		}
	}
	return 0;
}

const char *rk_cell(const struct rk_rows *rows, const struct ranking *rk, size_t i, size_t c)
{
	return rows->cells[i * rk->ncols + c];
}

void rk_label(const struct ranking *rk, const struct agg_item *it, char *buf, size_t len)
{
	size_t o = 0, plen = rk->prefix ? strlen(rk->prefix) : 0;
	const char *key = it->key + plen;
	size_t klen = it->keylen - plen;
	const char *p;
	size_t n;

	o = (size_t)snprintf(buf, len, "%s", rk->label_prefix ? rk->label_prefix : "");
	if (o >= len)
		return;
	for (size_t i = 0; (!rk->label_parts || i < rk->label_parts) &&
			   agg_key_part(key, klen, i, &p, &n) && o + 1 < len;
	     i++) {
		if (i)
			o += (size_t)snprintf(buf + o, len - o, "%s",
					      rk->key_join ? rk->key_join : " / ");
		if (o + 1 >= len)
			break;
		text_clean(p, n, 200, buf + o, len - o);
		o += strlen(buf + o);
	}
}

static bool rk_left(const struct rk_col *c)
{
	return c->kind == RK_KEY || c->kind == RK_FN_TEXT;
}

bool rk_other_text(const struct ranking *rk, const struct rk_rows *rows, char *buf, size_t len)
{
	int n;

	if (!rows->evicted && !rows->folded)
		return false;
	n = snprintf(
		buf, len,
		"(other): %.0f %s (%.2f%%), keys beyond the memory cap (--max-keys):", rows->other,
		rk->value_name, rows->total > 0 ? 100.0 * rows->other / rows->total : 0.0);
	if (n > 0 && (size_t)n < len && rows->evicted)
		n += snprintf(buf + n, len - (size_t)n, " %llu evicted", rows->evicted);
	if (n > 0 && (size_t)n < len && rows->folded)
		snprintf(buf + n, len - (size_t)n, "%s %llu rows found no room",
			 rows->evicted ? "," : "", rows->folded);
	return true;
}

static void rk_text(struct out *o, const struct ranking *rk, const struct rk_rows *rows)
{
	size_t w[RK_MAX_COLS], rankw = 3;
	char head[256], other[256];
	FILE *f = o->f;

	if (rows->n < rows->nkeys)
		snprintf(head, sizeof(head), "Top %s (%zu of %zu)", rk->title, rows->n,
			 rows->nkeys);
	else
		snprintf(head, sizeof(head), "%s%s (%zu)", rk->by_key_number ? "" : "Top ",
			 rk->title, rows->nkeys);
	out_heading(o, head);
	if (!rows->n) {
		fprintf(f, "  %s\n", rk->empty ? rk->empty : "nothing to show");
		return;
	}
	for (size_t c = 0; c < rk->ncols; c++) {
		w[c] = strlen(rk->cols[c].title);
		for (size_t i = 0; i < rows->n; i++) {
			size_t l = strlen(rk_cell(rows, rk, i, c));

			if (l > w[c])
				w[c] = l;
		}
		if (rk_left(&rk->cols[c]) && w[c] > 32)
			w[c] = 32;
	}
	fprintf(f, "  %*s", (int)rankw, "#");
	for (size_t c = 0; c < rk->ncols; c++) {
		bool last = c + 1 == rk->ncols;

		if (rk_left(&rk->cols[c]))
			fprintf(f, "  %-*s", last ? 0 : (int)w[c], rk->cols[c].title);
		else
			fprintf(f, "  %*s", (int)w[c], rk->cols[c].title);
	}
	fputc('\n', f);
	for (size_t i = 0; i < rows->n; i++) {
		fprintf(f, "  %*zu", (int)rankw, i + 1);
		for (size_t c = 0; c < rk->ncols; c++) {
			bool last = c + 1 == rk->ncols;
			const char *s = rk_cell(rows, rk, i, c);

			if (rk_left(&rk->cols[c]))
				fprintf(f, "  %-*s", last ? 0 : (int)w[c], s);
			else
				fprintf(f, "  %*s", (int)w[c], s);
		}
		fputc('\n', f);
	}
	if (rows->nrest)
		fprintf(f, "  ... %zu more: %.0f %s (%.2f%%)\n", rows->nrest, rows->rest,
			rk->value_name, rows->total > 0 ? 100.0 * rows->rest / rows->total : 0.0);
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

void out_ranking(struct out *o, const struct ranking *rk)
{
	struct agg_item *items;
	struct rk_rows rows;

	if (rk_compute(rk, &rows, &items) < 0) {
		out_note(o, "%s: out of memory", rk->title);
	} else if (o->mode == OUT_HTML) {
		html_ranking(o, rk, &rows);
	} else {
		rk_text(o, rk, &rows);
	}
	rk_rows_free(&rows, items, rk->ncols);
}

/* ---- time series ---- */

double ts_line_value(const struct series *g, size_t b, const struct ts_line *l)
{
	double x = series_get(g, b, (size_t)l->slot);

	if (l->den >= 0) {
		double d = series_get(g, b, (size_t)l->den);

		return d > 0 ? x / d * l->scale : NAN;
	}
	return x / ((double)g->width_ms / 1000.0) * l->scale;
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

void out_tschart(struct out *o, const struct tschart *c)
{
	size_t max = o->mode == OUT_HTML ? HTML_TS_POINTS : TEXT_TS_ROWS;
	struct series g;
	char head[256], wtext[32], t[32], cell[32];
	size_t w[4];

	if (!c->s->nb)
		return;
	if (series_regroup(c->s, c->min_width_ms, max, &g) < 0) {
		out_note(o, "%s: out of memory", c->title);
		return;
	}
	if (o->mode == OUT_HTML) {
		html_tschart(o, c, &g);
		series_free(&g);
		return;
	}
	width_text(g.width_ms, wtext, sizeof(wtext));
	snprintf(head, sizeof(head), "%s over time (%s, buckets of %s)", c->title, c->unit, wtext);
	out_heading(o, head);
	fprintf(o->f, "  %-19s", "bucket start");
	for (size_t l = 0; l < c->nlines; l++) {
		w[l] = strlen(c->lines[l].name) < 10 ? 10 : strlen(c->lines[l].name);
		fprintf(o->f, "  %*s", (int)w[l], c->lines[l].name);
	}
	fputc('\n', o->f);
	for (size_t b = 0; b < g.nb; b++) {
		time_format_local(g.start_ms + (int64_t)b * g.width_ms, false, t, sizeof(t));
		fprintf(o->f, "  %-19s", t);
		for (size_t l = 0; l < c->nlines; l++) {
			double x = ts_line_value(&g, b, &c->lines[l]);

			if (isnan(x))
				snprintf(cell, sizeof(cell), "-");
			else
				snprintf(cell, sizeof(cell), "%.*f", c->lines[l].prec, x);
			fprintf(o->f, "  %*s", (int)w[l], cell);
		}
		fputc('\n', o->f);
	}
	series_free(&g);
}

/* ---- heat maps ---- */

void out_heatmap(struct out *o, const struct heatmap *h)
{
	static const char shades[] = " .:-=+*#%@";
	size_t max = o->mode == OUT_HTML ? HTML_HEAT_COLS : TEXT_HEAT_COLS;
	size_t *rows, nrows = 0;
	double top = 0;
	struct series g;
	char head[256], wtext[32], t0[32];

	if (!h->s->nb)
		return;
	if (series_regroup(h->s, h->min_width_ms, max, &g) < 0)
		return;
	rows = calloc(g.nslots, sizeof(*rows));
	if (!rows) {
		series_free(&g);
		return;
	}
	for (size_t r = 0; r < g.nslots; r++) {
		bool any = false;

		for (size_t b = 0; b < g.nb; b++) {
			double x = series_get(&g, b, r);

			if (x != 0)
				any = true;
			if (x > top)
				top = x;
		}
		if (any)
			rows[nrows++] = r;
	}
	top /= (double)g.width_ms / 1000.0;
	if (o->mode == OUT_HTML) {
		html_heatmap(o, h, &g, rows, nrows);
	} else {
		width_text(g.width_ms, wtext, sizeof(wtext));
		time_format_local(g.start_ms, false, t0, sizeof(t0));
		snprintf(head, sizeof(head), "%s (%s; one column per %s from %s; '@' = %.2f)",
			 h->title, h->unit, wtext, t0, top);
		out_heading(o, head);
		for (size_t i = 0; i < nrows; i++) {
			fprintf(o->f, "  %s %4zu |", h->row_name, rows[i]);
			for (size_t b = 0; b < g.nb; b++) {
				double x =
					series_get(&g, b, rows[i]) / ((double)g.width_ms / 1000.0);
				size_t k = top > 0 ? (size_t)(x / top * 9.0 + 0.5) : 0;

				fputc(shades[k > 9 ? 9 : k], o->f);
			}
			fputs("|\n", o->f);
		}
		if (g.dropped)
			fprintf(o->f, "  (%llu rows with a %s beyond the map's %zu left out)\n",
				g.dropped, h->row_name, h->s->max_slots);
	}
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

	if (o->mode == OUT_HTML) {
		html_section_begin(o, t);
	} else {
		char title[128];
		int n = snprintf(title, sizeof(title), "%s report: %s", t->name, t->title);

		fprintf(o->f, "%s\n", title);
		for (int i = 0; i < n; i++)
			fputc('=', o->f);
		fputc('\n', o->f);
	}
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
	if (st->used)
		t->render(state, ctx, o);
	else
		out_note(o, "no rows in the period: nothing to report");
	if (o->mode == OUT_HTML)
		html_section_end(o);
}
