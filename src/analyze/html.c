/* html.c - the HTML report: one self-contained file (inline CSS and SVG, no script, nothing
 * fetched) that is also well-formed XML, so a test can parse it; every chart element carries
 * its value in a data- attribute. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/report_out.h"

#define SVG_W 900
#define BAR_LABEL_W 300
#define BAR_H 18
#define BAR_GAP 6
#define TS_H 260
#define TS_X0 70
#define TS_X1 (SVG_W - 20)
#define TS_Y0 20
#define TS_Y1 (TS_H - 50)
#define HEAT_X0 80
#define HEAT_ROW_MIN 12 /* px per CPU; few CPUs get taller rows, up to */
#define HEAT_ROW_MAX 36
#define HTML_TS_POINTS 240 /* points of a time-series chart */
#define HTML_HEAT_COLS 96

static const char *const html_colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e" };

/* Writes s as XML text: markup characters escaped, control bytes and invalid UTF-8 replaced,
 * so arbitrary bytes in a file name still give a parseable document. */
static void html_esc_n(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		size_t n = 0;

		if (c < 0x80) {
			if (c == '&')
				fputs("&amp;", f);
			else if (c == '<')
				fputs("&lt;", f);
			else if (c == '>')
				fputs("&gt;", f);
			else if (c == '"')
				fputs("&quot;", f);
			else if (c == '\'')
				fputs("&#39;", f);
			else if (c < 0x20 || c == 0x7f)
				fputc('?', f);
			else
				fputc(c, f);
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		if (n && (size_t)(end - p) >= n) {
			bool ok = true;

			for (size_t i = 1; i < n; i++)
				if ((p[i] & 0xc0) != 0x80)
					ok = false;
			/* Overlong forms, surrogates and code points past U+10FFFF. */
			if (ok && n == 3 &&
			    ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f)))
				ok = false;
			if (ok && n == 4 &&
			    ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)))
				ok = false;
			/* U+FFFE and U+FFFF are not XML characters. */
			if (ok && n == 3 && c == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
				ok = false;
			if (ok) {
				fwrite(p, 1, n, f);
				p += n;
				continue;
			}
		}
		fputs("\xef\xbf\xbd", f); /* U+FFFD */
		p++;
	}
}

static void html_esc(FILE *f, const char *s)
{
	html_esc_n(f, s, strlen(s));
}

/* A number as the data- attributes carry it: shortest exact-enough text, "" for NaN. */
static void html_num(FILE *f, double x)
{
	if (isnan(x) || isinf(x))
		return;
	fprintf(f, "%.15g", x == 0 ? 0.0 : x);
}

static void html_close_kv(struct out *o)
{
	if (o->in_kv) {
		fputs("</table>\n", o->f);
		o->in_kv = false;
	}
}

static void html_doc_begin(struct out *out, const struct analyze_opts *o)
{
	FILE *f = out->f;
	char now[40];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S", &tm);
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n<title>ebpf-monitor report ",
	      f);
	html_esc(f, o->period.label);
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:24px auto;max-width:960px;color:#222}\n"
	      "h1{font-size:22px}h2{font-size:19px;border-bottom:2px solid #1f77b4;"
	      "padding-bottom:4px;margin-top:36px}h3{font-size:15px;margin:22px 0 6px}\n"
	      "table{border-collapse:collapse;font-size:13px;margin:4px 0}\n"
	      "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}\n"
	      "th{background:#f2f4f7}td.k,th.k{text-align:left;font-family:monospace;"
	      "word-break:break-all}\n"
	      "table.kv td{text-align:left;border:none}table.kv td:first-child{color:#555;"
	      "width:180px}\n"
	      "p.note{color:#8a4b00;font-size:13px;margin:3px 0}p.rest,p.balance{color:#555;"
	      "font-size:12px}\n"
	      "svg{display:block;margin:6px 0}svg text{font-family:sans-serif;font-size:11px;"
	      "fill:#333}\n"
	      "nav a{margin-right:12px}.meta{color:#555;font-size:13px}\n"
	      "</style>\n</head>\n<body>\n<h1>ebpf-monitor report</h1>\n<p class=\"meta\">",
	      f);
	fputs("Period: ", f);
	html_esc(f, o->period.desc);
	if (o->hostname) {
		fputs(" &#183; host: ", f);
		html_esc(f, o->hostname);
	}
	fputs(" &#183; generated ", f);
	html_esc(f, now);
	fputs(" by ebpf-monitor-analyze " EM_VERSION "</p>\n<nav>", f);
	for (size_t i = 0; report_types[i]; i++)
		if (o->types & (1u << i))
			fprintf(f, "<a href=\"#report-%s\">%s</a>", report_types[i]->name,
				report_types[i]->name);
	fputs("</nav>\n", f);
}

static void html_doc_end(struct out *o)
{
	fputs("</body>\n</html>\n", o->f);
}

static void html_section_begin(struct out *o, const struct report_type *t)
{
	fprintf(o->f,
		"<section class=\"report\" id=\"report-%s\" data-type=\"%s\">\n<h2>%s: ", t->name,
		t->name, t->name);
	html_esc(o->f, t->title);
	fputs("</h2>\n", o->f);
}

static void html_section_end(struct out *o)
{
	html_close_kv(o);
	fputs("</section>\n", o->f);
}

static void html_heading(struct out *o, const char *title)
{
	html_close_kv(o);
	fputs("<h3>", o->f);
	html_esc(o->f, title);
	fputs("</h3>\n", o->f);
}

static void html_kv(struct out *o, const char *label, const char *value)
{
	if (!o->in_kv) {
		fputs("<table class=\"kv\">\n", o->f);
		o->in_kv = true;
	}
	fputs("<tr data-key=\"", o->f);
	html_esc(o->f, label);
	fputs("\"><td>", o->f);
	html_esc(o->f, label);
	fputs("</td><td>", o->f);
	html_esc(o->f, value);
	fputs("</td></tr>\n", o->f);
}

static void html_note(struct out *o, const char *text)
{
	html_close_kv(o);
	fputs("<p class=\"note\">", o->f);
	html_esc(o->f, text);
	fputs("</p>\n", o->f);
}

static void html_bars(struct out *o, const struct ranking *rk, const struct rk_rows *rows)
{
	int h = (int)rows->n * (BAR_H + BAR_GAP) + BAR_GAP;
	double top = 0;
	FILE *f = o->f;
	char label[256];

	for (size_t i = 0; i < rows->n; i++)
		if (rows->items[i].v[rk->slot] > top)
			top = rows->items[i].v[rk->slot];
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bars\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" data-value-name=\"",
		SVG_W, h, SVG_W, h);
	html_esc(f, rk->value_name);
	fputs("\">\n", f);
	for (size_t i = 0; i < rows->n; i++) {
		const struct agg_item *it = &rows->items[i];
		double x = it->v[rk->slot];
		int y = BAR_GAP + (int)i * (BAR_H + BAR_GAP);
		double w = top > 0 ? x / top * (SVG_W - BAR_LABEL_W - 110) : 0;

		rk_label(rk, it, label, sizeof(label));
		fputs("<g class=\"bar\" data-label=\"", f);
		html_esc(f, label);
		fputs("\" data-value=\"", f);
		html_num(f, x);
		fputs("\"><title>", f);
		html_esc(f, label);
		fprintf(f, ": %.15g ", x);
		html_esc(f, rk->value_name);
		fputs("</title>", f);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", BAR_LABEL_W - 8,
			y + BAR_H - 5);
		text_clean(label, strlen(label), 44, label, sizeof(label));
		html_esc(f, label);
		fprintf(f,
			"</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%d\">%.15g</text></g>\n",
			BAR_LABEL_W, y, w, BAR_H, html_colors[0], BAR_LABEL_W + w + 6,
			y + BAR_H - 5, x);
	}
	fputs("</svg>\n", f);
}

static void html_ranking(struct out *o, const struct ranking *rk, const struct rk_rows *rows)
{
	char other[256];
	FILE *f = o->f;

	html_close_kv(o);
	fprintf(f, "<div class=\"ranking\" id=\"%s-%s\">\n<h3>", o->type, rk->id);
	if (!rk->by_key_number)
		fprintf(f, "Top ");
	html_esc(f, rk->title);
	if (rows->n < rows->nkeys)
		fprintf(f, " (%zu of %zu)</h3>\n", rows->n, rows->nkeys);
	else
		fprintf(f, " (%zu)</h3>\n", rows->nkeys);
	if (!rows->n) {
		fputs("<p class=\"rest\">", f);
		html_esc(f, rk->empty ? rk->empty : "nothing to show");
		fputs("</p>\n</div>\n", f);
		return;
	}
	if (rk->bars)
		html_bars(o, rk, rows);
	fputs("<table class=\"rank\">\n<tr><th>#</th>", f);
	for (size_t c = 0; c < rk->ncols; c++) {
		bool k = rk_col_is_text(&rk->cols[c]);

		fputs(k ? "<th class=\"k\">" : "<th>", f);
		html_esc(f, rk->cols[c].title);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t i = 0; i < rows->n; i++) {
		fprintf(f, "<tr><td>%zu</td>", i + 1);
		for (size_t c = 0; c < rk->ncols; c++) {
			bool k = rk_col_is_text(&rk->cols[c]);

			fputs(k ? "<td class=\"k\">" : "<td>", f);
			html_esc(f, rk_cell(rows, rk, i, c));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	if (rows->nrest)
		fprintf(f, "<p class=\"rest\">%zu more: %.0f (%.2f%%)</p>\n", rows->nrest,
			rows->rest, rk_pct(rows->rest, rows->total));
	if (rk_other_text(rk, rows, other, sizeof(other))) {
		fputs("<p class=\"rest\">", f);
		html_esc(f, other);
		fputs("</p>\n", f);
	}
	if (rows->has_balance) {
		char label[128];

		rk_label(rk, rows->busiest, label, sizeof(label));
		fprintf(f, "<p class=\"balance\" data-balance=\"%.6f\">balance %.3f over %zu ",
			rows->balance, rows->balance, rows->nkeys);
		html_esc(f, rk->balance);
		fputs(" (Jain's index: 1 = even); busiest ", f);
		html_esc(f, label);
		fprintf(f, " with %.2f%%</p>\n", 100.0 * rows->busiest_share);
	}
	fputs("</div>\n", f);
}

/* A "nice" axis top above x: 1, 2 or 5 times a power of ten. */
static double html_nice(double x)
{
	double p;

	if (!(x > 0))
		return 1;
	p = pow(10, floor(log10(x)));
	if (x <= p)
		return p;
	if (x <= 2 * p)
		return 2 * p;
	if (x <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static void html_tschart(struct out *o, const struct tschart *c, const struct series *g)
{
	FILE *f = o->f;
	double top = 0;
	char t[40];

	html_close_kv(o);
	for (size_t l = 0; l < c->nlines; l++)
		for (size_t b = 0; b < g->nb; b++) {
			double x = ts_line_value(g, b, &c->lines[l]);

			if (!isnan(x) && x > top)
				top = x;
		}
	top = html_nice(top);
	fprintf(f, "<div class=\"chart\" id=\"%s-%s\">\n<h3>", o->type, c->id);
	html_esc(f, c->title);
	fputs(" (", f);
	html_esc(f, c->unit);
	fprintf(f, ", buckets of %lld s)</h3>\n", (long long)(g->width_ms / 1000));
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeseries\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" data-start=\"%lld\" data-width-ms=\"%lld\" "
		"data-buckets=\"%zu\" data-unit=\"",
		SVG_W, TS_H, SVG_W, TS_H, (long long)g->start_ms, (long long)g->width_ms, g->nb);
	html_esc(f, c->unit);
	fputs("\">\n", f);
	/* Axes, three horizontal grid lines with their values, first/last bucket times. */
	for (int i = 0; i <= 2; i++) {
		double y = TS_Y1 - (TS_Y1 - TS_Y0) * i / 2.0;

		fprintf(f,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ccc\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.6g</text>\n",
			TS_X0, y, TS_X1, y, TS_X0 - 6, y + 4, top * i / 2.0);
	}
	time_format_local(g->start_ms, false, t, sizeof(t));
	fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", TS_X0, TS_Y1 + 16, t);
	time_format_local(g->start_ms + (int64_t)g->nb * g->width_ms, false, t, sizeof(t));
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", TS_X1, TS_Y1 + 16, t);
	for (size_t l = 0; l < c->nlines; l++) {
		const struct ts_line *ln = &c->lines[l];
		bool pen = false;

		fputs("<path class=\"line\" fill=\"none\" stroke-width=\"1.8\" data-name=\"", f);
		html_esc(f, ln->name);
		fprintf(f, "\" stroke=\"%s\" data-values=\"", html_colors[l % 4]);
		for (size_t b = 0; b < g->nb; b++) {
			if (b)
				fputc(' ', f);
			html_num(f, ts_line_value(g, b, ln));
		}
		fputs("\" d=\"", f);
		for (size_t b = 0; b < g->nb; b++) {
			double x = ts_line_value(g, b, ln);
			double px = TS_X0 + (TS_X1 - TS_X0) * (b + 0.5) / (double)g->nb;

			if (isnan(x)) {
				pen = false;
				continue;
			}
			fprintf(f, "%s%.1f %.1f ", pen ? "L" : "M", px,
				TS_Y1 - (TS_Y1 - TS_Y0) * x / top);
			pen = true;
		}
		fputs("\"/>\n", f);
		if (g->nb == 1 && !isnan(ts_line_value(g, 0, ln)))
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
				(TS_X0 + TS_X1) / 2.0,
				TS_Y1 - (TS_Y1 - TS_Y0) * ts_line_value(g, 0, ln) / top,
				html_colors[l % 4]);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>",
			TS_X0 + 180 * (int)l, TS_H - 16, html_colors[l % 4]);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", TS_X0 + 180 * (int)l + 16, TS_H - 11);
		html_esc(f, ln->name);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n</div>\n", f);
}

static void html_heatmap(struct out *o, const struct heatmap *h, const struct heat_rows *hr)
{
	const struct series *g = hr->g;
	const size_t *rows = hr->rows;
	size_t nrows = hr->nrows;
	double secs = (double)g->width_ms / 1000.0, top = hr->top;
	double cw = (double)(SVG_W - HEAT_X0 - 20) / (double)(g->nb ? g->nb : 1);
	int rh = nrows ? 240 / (int)nrows : HEAT_ROW_MAX;
	int height;
	FILE *f = o->f;
	char t[40];

	html_close_kv(o);
	rh = rh < HEAT_ROW_MIN ? HEAT_ROW_MIN : rh > HEAT_ROW_MAX ? HEAT_ROW_MAX : rh;
	height = (int)nrows * rh + 40;
	fprintf(f, "<div class=\"chart\" id=\"%s-%s\">\n<h3>", o->type, h->id);
	html_esc(f, h->title);
	fputs(" (", f);
	html_esc(f, h->unit);
	fprintf(f, ", darkest = %.2f)</h3>\n", top);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" data-start=\"%lld\" data-width-ms=\"%lld\" "
		"data-max=\"",
		SVG_W, height, SVG_W, height, (long long)g->start_ms, (long long)g->width_ms);
	html_num(f, top);
	fputs("\">\n", f);
	for (size_t i = 0; i < nrows; i++) {
		int y = 10 + (int)i * rh;

		fprintf(f,
			"<g class=\"row\" data-row=\"%zu\"><text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">%s %zu</text>\n",
			rows[i], HEAT_X0 - 6, y + rh / 2 + 4, h->row_name, rows[i]);
		for (size_t b = 0; b < g->nb; b++) {
			double x = series_get(g, b, rows[i]) / secs, k = top > 0 ? x / top : 0;
			int64_t ts = g->start_ms + (int64_t)b * g->width_ms;

			/* White to dark red. */
			fprintf(f, "<rect class=\"cell\" data-t=\"%lld\" data-value=\"",
				(long long)ts);
			html_num(f, x);
			fprintf(f,
				"\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
				"fill=\"rgb(%d,%d,%d)\">",
				HEAT_X0 + cw * (double)b, y, cw + 0.05, rh - 1, (int)(255 - 76 * k),
				(int)(255 - 255 * k), (int)(255 - 255 * k));
			if (x != 0) {
				time_format_local(ts, false, t, sizeof(t));
				fprintf(f, "<title>%s %zu, %s: %.15g</title>", h->row_name, rows[i],
					t, x);
			}
			fputs("</rect>\n", f);
		}
		fputs("</g>\n", f);
	}
	time_format_local(g->start_ms, false, t, sizeof(t));
	fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", HEAT_X0, height - 10, t);
	time_format_local(g->start_ms + (int64_t)g->nb * g->width_ms, false, t, sizeof(t));
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", SVG_W - 20,
		height - 10, t);
	fputs("</svg>\n</div>\n", f);
}

const struct report_out report_out_html = {
	.ts_points = HTML_TS_POINTS,
	.heat_cols = HTML_HEAT_COLS,
	.doc_begin = html_doc_begin,
	.doc_end = html_doc_end,
	.section_begin = html_section_begin,
	.section_end = html_section_end,
	.heading = html_heading,
	.kv = html_kv,
	.note = html_note,
	.ranking = html_ranking,
	.tschart = html_tschart,
	.heatmap = html_heatmap,
};
