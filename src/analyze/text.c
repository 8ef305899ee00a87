/* text.c - the text back end of the report: aligned tables, time series as tables of buckets,
 * heat maps in shades of ASCII. On a terminal (or with COLUMNS set) every line fits its width:
 * text cells and long lines lose their middle to an ellipsis, columns that cannot fit are left
 * out and said so. Anywhere else (report files, pipes) the report comes out as it always did. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "analyze/report_out.h"
#include "common/text.h"

#define TEXT_TS_ROWS 24	     /* rows of an "over time" table */
#define TEXT_HEAT_COLS 60    /* columns of a text heat map */
#define TEXT_CELL_MAX 32     /* a text cell pads to this at most (the last one is not padded) */
#define TEXT_CELL_MIN 8	     /* a text cell shortened to fit keeps this much, or its title */
#define TEXT_CELL_BYTES 1024 /* a shortened cell; a longer one is cut further (and padded) */

/* The columns a line may take on f; 0: no limit. COLUMNS, when a positive number, wins on
 * stdout (it lets a pipe or a test ask for a width) and on a terminal; else a terminal's own
 * width. The report files are neither: they keep every line whole. */
static size_t text_width(FILE *f)
{
	const char *env = getenv("COLUMNS");
	int fd = fileno(f);
	bool tty = fd >= 0 && isatty(fd);
	struct winsize ws;
	unsigned long v;
	char *end;

	if (env && env[0] >= '0' && env[0] <= '9' && (f == stdout || tty)) {
		v = strtoul(env, &end, 10);
		if (!*end && v > 0 && v < 100000)
			return v;
	}
	if (tty && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* A line being written: with a width limit it goes through memory, to be fitted whole. */
struct text_ln {
	FILE *f, *m;
	size_t cols;
	char *buf;
	size_t len;
};

static FILE *ln_begin(struct text_ln *l, FILE *f, size_t cols)
{
	*l = (struct text_ln){ .f = f, .cols = cols };
	if (cols)
		l->m = open_memstream(&l->buf, &l->len);
	return l->m ? l->m : f; /* out of memory: the line as it comes */
}

/* Ends the line: its middle becomes an ellipsis where it is wider than the limit. */
static void ln_end(struct text_ln *l)
{
	char *fit;

	if (!l->m) {
		fputc('\n', l->f);
		return;
	}
	if (fclose(l->m) == 0) {
		/* the ellipsis (3 bytes) stands for one code point at least */
		fit = text_columns(l->buf) > l->cols ? malloc(l->len + 4) : NULL;
		if (fit)
			text_fit_middle(l->buf, l->cols, fit, l->len + 4);
		fprintf(l->f, "%s\n", fit ? fit : l->buf);
		free(fit);
	}
	free(l->buf);
}

static void text_line(FILE *f, size_t cols, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line from a format, fitted to cols (0: as it is). */
static void text_line(FILE *f, size_t cols, const char *fmt, ...)
{
	struct text_ln l;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(ln_begin(&l, f, cols), fmt, ap);
	va_end(ap);
	ln_end(&l);
}

/* title, underlined with c. */
static void text_title(FILE *f, size_t cols, const char *title, char c)
{
	char buf[512];
	size_t n = strlen(title);

	if (cols) { /* the underline as long as the title shows */
		n = text_fit_middle(title, cols, buf, sizeof(buf));
		title = buf;
	}
	fprintf(f, "%s\n", title);
	for (size_t i = 0; i < n; i++)
		fputc(c, f);
	fputc('\n', f);
}

static void text_section_begin(struct out *o, const struct report_type *t)
{
	char title[128];

	snprintf(title, sizeof(title), "%s report: %s", t->name, t->title);
	text_title(o->f, text_width(o->f), title, '=');
}

static void text_heading(struct out *o, const char *title)
{
	fputc('\n', o->f);
	text_title(o->f, text_width(o->f), title, '-');
}

static void text_kv(struct out *o, const char *label, const char *value)
{
	size_t cols = text_width(o->f), pre = text_columns(label);
	char buf[1024];

	/* the value gives way, not its label */
	pre = 3 + (pre > 24 ? pre : 24);
	if (cols > pre + TEXT_CELL_MIN && text_columns(value) > cols - pre) {
		text_fit_middle(value, cols - pre, buf, sizeof(buf));
		value = buf;
	}
	text_line(o->f, cols, "  %-24s %s", label, value);
}

static void text_note(struct out *o, const char *text)
{
	text_line(o->f, text_width(o->f), "  note: %s", text);
}

/* How a ranking's table is laid out. cols: the width of the line, 0 for no limit (the table
 * as it always was, widths in bytes). */
struct text_layout {
	size_t cols;
	size_t rankw;		  /* of the "#" column */
	size_t w[RK_MAX_COLS];	  /* each column's width */
	size_t min[RK_MAX_COLS];  /* the narrowest a text column gets */
	bool hidden[RK_MAX_COLS]; /* numeric columns left out for the text to fit */
	size_t nhidden;
	size_t last; /* the last column shown: not padded */
};

static size_t text_len(const struct text_layout *lay, const char *s)
{
	return lay->cols ? text_columns(s) : strlen(s);
}

/* w held to cap, but not under min. */
static size_t text_cap(size_t w, size_t cap, size_t min)
{
	if (w <= cap)
		return w;
	return cap > min ? cap : min;
}

/* Each column as wide as its widest cell; text pads to TEXT_CELL_MAX at most. */
static void text_rank_widths(struct text_layout *lay, const struct ranking *rk,
			     const struct rk_rows *rows)
{
	for (size_t c = 0; c < rk->ncols; c++) {
		size_t t = text_len(lay, rk->cols[c].title), w = t;

		for (size_t i = 0; i < rows->n; i++) {
			size_t l = text_len(lay, rk_cell(rows, rk, i, c));

			if (l > w)
				w = l;
		}
		/* the last column is not padded: only a width limit holds it */
		if (rk_col_is_text(&rk->cols[c]) && w > TEXT_CELL_MAX && c + 1 < rk->ncols)
			w = TEXT_CELL_MAX;
		lay->w[c] = w;
		t = t > TEXT_CELL_MIN ? t : TEXT_CELL_MIN;
		lay->min[c] = t < w ? t : w;
	}
}

/* Columns of the line but for the text cells. */
static size_t text_rank_fixed(const struct text_layout *lay, const struct ranking *rk)
{
	size_t n = 2 + lay->rankw;

	for (size_t c = 0; c < rk->ncols; c++)
		if (!lay->hidden[c])
			n += 2 + (rk_col_is_text(&rk->cols[c]) ? 0 : lay->w[c]);
	return n;
}

/* Columns of the text cells, each held to cap but not under its narrowest. */
static size_t text_rank_capped(const struct text_layout *lay, const struct ranking *rk, size_t cap)
{
	size_t n = 0;

	for (size_t c = 0; c < rk->ncols; c++)
		if (rk_col_is_text(&rk->cols[c]))
			n += text_cap(lay->w[c], cap, lay->min[c]);
	return n;
}

/* Numbers are never cut: while the text cells cannot have their narrowest, numeric columns
 * go, from the right, all but the first (the ranked value). */
static void text_rank_drop(struct text_layout *lay, const struct ranking *rk)
{
	for (size_t c = rk->ncols; c-- > 1;) {
		if (text_rank_fixed(lay, rk) + text_rank_capped(lay, rk, 0) <= lay->cols)
			return;
		if (!rk_col_is_text(&rk->cols[c])) {
			lay->hidden[c] = true;
			lay->nhidden++;
		}
	}
}

/* The room left goes to the text cells: the widest gives way first (a path, a name), none
 * under its narrowest. */
static void text_rank_share(struct text_layout *lay, const struct ranking *rk)
{
	size_t fixed = text_rank_fixed(lay, rk), room = lay->cols > fixed ? lay->cols - fixed : 0;
	size_t lo = 0, hi = 0, mid;

	for (size_t c = 0; c < rk->ncols; c++)
		if (rk_col_is_text(&rk->cols[c]) && lay->w[c] > hi)
			hi = lay->w[c];
	while (lo < hi) { /* the highest cap they fit under */
		mid = lo + (hi - lo + 1) / 2;
		if (text_rank_capped(lay, rk, mid) <= room)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (size_t c = 0; c < rk->ncols; c++)
		if (rk_col_is_text(&rk->cols[c]))
			lay->w[c] = text_cap(lay->w[c], lo, lay->min[c]);
}

static void text_rank_layout(struct text_layout *lay, size_t cols, const struct ranking *rk,
			     const struct rk_rows *rows)
{
	int n = snprintf(NULL, 0, "%zu", rows->n);

	*lay = (struct text_layout){ .cols = cols, .rankw = n > 3 ? (size_t)n : 3 };
	text_rank_widths(lay, rk, rows);
	if (cols) {
		text_rank_drop(lay, rk);
		text_rank_share(lay, rk);
	}
	for (size_t c = 0; c < rk->ncols; c++)
		if (!lay->hidden[c])
			lay->last = c;
}

/* A cell of w columns on a line with a width limit: text left-aligned (padded unless it ends
 * the line) and shortened in its middle when wider, numbers right-aligned. */
static void text_cell(FILE *f, const char *s, size_t w, bool text, bool last)
{
	char buf[TEXT_CELL_BYTES];
	size_t n = text_columns(s);

	if (n > w) {
		n = text_fit_middle(s, w, buf, sizeof(buf));
		s = buf;
	}
	fprintf(f, "  %*s%s%*s", text ? 0 : (int)(w - n), "", s, text && !last ? (int)(w - n) : 0,
		"");
}

/* One line of a ranking's table: the rank (or "#") and the cells shown. */
static void text_rank_line(FILE *f, const struct text_layout *lay, const struct ranking *rk,
			   const char *rank, const char *const *cells)
{
	struct text_ln l;
	FILE *m = ln_begin(&l, f, lay->cols);

	fprintf(m, "  %3s", rank);
	for (size_t c = 0; c < rk->ncols; c++) {
		bool text = rk_col_is_text(&rk->cols[c]), last = c == lay->last;

		if (lay->hidden[c])
			continue;
		if (lay->cols)
			text_cell(m, cells[c], lay->w[c], text, last);
		else if (text)
			fprintf(m, "  %-*s", last ? 0 : (int)lay->w[c], cells[c]);
		else
			fprintf(m, "  %*s", (int)lay->w[c], cells[c]);
	}
	ln_end(&l);
}

static void text_list_add(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
}

/* What a table left out to fit the terminal: n columns, named in names when the line has room. */
static void text_hidden(FILE *f, size_t cols, size_t n, const char *names)
{
	char line[512];

	snprintf(line, sizeof(line),
		 "  (%zu column%s not shown: %s; widen the terminal or use --html)", n,
		 n == 1 ? "" : "s", names);
	if (text_columns(line) > cols)
		snprintf(line, sizeof(line),
			 "  (%zu column%s not shown: widen the terminal or use --html)", n,
			 n == 1 ? "" : "s");
	text_line(f, cols, "%s", line);
}

static void text_rank_table(FILE *f, size_t cols, const struct ranking *rk,
			    const struct rk_rows *rows)
{
	const char *titles[RK_MAX_COLS];
	struct text_layout lay;
	char rank[24], names[256] = "";

	text_rank_layout(&lay, cols, rk, rows);
	for (size_t c = 0; c < rk->ncols; c++) {
		titles[c] = rk->cols[c].title;
		if (lay.hidden[c])
			text_list_add(names, sizeof(names), titles[c]);
	}
	text_rank_line(f, &lay, rk, "#", titles);
	for (size_t i = 0; i < rows->n; i++) {
		snprintf(rank, sizeof(rank), "%zu", i + 1);
		text_rank_line(f, &lay, rk, rank, (const char *const *)&rows->cells[i * rk->ncols]);
	}
	if (lay.nhidden)
		text_hidden(f, cols, lay.nhidden, names);
}

static void text_ranking(struct out *o, const struct ranking *rk, const struct rk_rows *rows)
{
	char head[256], other[256];
	size_t cols = text_width(o->f);
	FILE *f = o->f;

	if (rows->n < rows->nkeys)
		snprintf(head, sizeof(head), "Top %s (%zu of %zu)", rk->title, rows->n,
			 rows->nkeys);
	else
		snprintf(head, sizeof(head), "%s%s (%zu)", rk->by_key_number ? "" : "Top ",
			 rk->title, rows->nkeys);
	text_heading(o, head);
	if (!rows->n) {
		text_line(f, cols, "  %s", rk->empty ? rk->empty : "nothing to show");
		return;
	}
	text_rank_table(f, cols, rk, rows);
	if (rows->nrest)
		text_line(f, cols, "  ... %zu more: %.0f %s (%.2f%%)", rows->nrest, rows->rest,
			  rk->value_name, rk_pct(rows->rest, rows->total));
	if (rk_other_text(rk, rows, other, sizeof(other)))
		text_line(f, cols, "  ... %s", other);
	if (rows->has_balance) {
		char label[128];

		rk_label(rk, rows->busiest, label, sizeof(label));
		text_line(f, cols,
			  "  balance %.3f over %zu %s (Jain's index: 1 = even, %.3f = all on one); "
			  "busiest %s with %.2f%% (%.2fx the mean)",
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

/* One bucket of an over-time table: its start and the first `shown` lines. */
static void text_ts_row(FILE *f, size_t cols, const struct tschart *c, const struct series *g,
			size_t b, const size_t *w, size_t shown)
{
	char t[32], cell[32];
	struct text_ln ln;
	FILE *m = ln_begin(&ln, f, cols);

	time_format_local(g->start_ms + (int64_t)b * g->width_ms, false, t, sizeof(t));
	fprintf(m, "  %-19s", t);
	for (size_t l = 0; l < shown; l++) {
		double x = ts_line_value(g, b, &c->lines[l]);

		if (isnan(x))
			snprintf(cell, sizeof(cell), "-");
		else
			snprintf(cell, sizeof(cell), "%.*f", c->lines[l].prec, x);
		fprintf(m, "  %*s", (int)w[l], cell);
	}
	ln_end(&ln);
}

static void text_tschart(struct out *o, const struct tschart *c, const struct series *g)
{
	char head[256], wtext[32], names[128] = "";
	size_t w[4], cols = text_width(o->f), used = 21, shown = 0;
	struct text_ln ln;
	FILE *m;

	width_text(g->width_ms, wtext, sizeof(wtext));
	snprintf(head, sizeof(head), "%s over time (%s, buckets of %s)", c->title, c->unit, wtext);
	text_heading(o, head);
	/* numbers are not cut: the lines past the width are left out, and named */
	for (size_t l = 0; l < c->nlines; l++) {
		w[l] = strlen(c->lines[l].name) < 10 ? 10 : strlen(c->lines[l].name);
		used += 2 + w[l];
		if (!cols || (used <= cols && shown == l))
			shown++;
		else
			text_list_add(names, sizeof(names), c->lines[l].name);
	}
	m = ln_begin(&ln, o->f, cols);
	fprintf(m, "  %-*s", shown ? 19 : 0, "bucket start"); /* no trailing blanks */
	for (size_t l = 0; l < shown; l++)
		fprintf(m, "  %*s", (int)w[l], c->lines[l].name);
	ln_end(&ln);
	for (size_t b = 0; b < g->nb; b++)
		text_ts_row(o->f, cols, c, g, b, w, shown);
	if (shown < c->nlines)
		text_hidden(o->f, cols, c->nlines - shown, names);
}

/* Columns of h's map that fit the terminal, next to its "  cpu 1023 |" and "|". */
static size_t text_heat_fit(struct out *o, const struct heatmap *h)
{
	size_t cols = text_width(o->f), fixed = strlen(h->row_name) + 10;

	if (!cols)
		return TEXT_HEAT_COLS;
	if (cols <= fixed)
		return 1;
	return cols - fixed < TEXT_HEAT_COLS ? cols - fixed : TEXT_HEAT_COLS;
}

static void text_heatmap(struct out *o, const struct heatmap *h, const struct heat_rows *hr)
{
	static const char shades[] = " .:-=+*#%@";
	const struct series *g = hr->g;
	char head[256], wtext[32], t0[32];
	size_t cols = text_width(o->f);
	struct text_ln ln;

	width_text(g->width_ms, wtext, sizeof(wtext));
	time_format_local(g->start_ms, false, t0, sizeof(t0));
	snprintf(head, sizeof(head), "%s (%s; one column per %s from %s; '@' = %.2f)", h->title,
		 h->unit, wtext, t0, hr->top);
	text_heading(o, head);
	for (size_t i = 0; i < hr->nrows; i++) {
		FILE *m = ln_begin(&ln, o->f, cols);

		fprintf(m, "  %s %4zu |", h->row_name, hr->rows[i]);
		for (size_t b = 0; b < g->nb; b++) {
			double x = series_get(g, b, hr->rows[i]) / ((double)g->width_ms / 1000.0);
			size_t k = hr->top > 0 ? (size_t)(x / hr->top * 9.0 + 0.5) : 0;

			fputc(shades[k > 9 ? 9 : k], m);
		}
		fputc('|', m);
		ln_end(&ln);
	}
	if (g->dropped)
		text_line(o->f, cols, "  (%llu rows with a %s beyond the map's %zu left out)",
			  g->dropped, h->row_name, h->s->max_slots);
}

const struct report_out report_out_text = {
	.ts_points = TEXT_TS_ROWS,
	.heat_cols = TEXT_HEAT_COLS,
	.heat_fit = text_heat_fit,
	.section_begin = text_section_begin,
	.heading = text_heading,
	.kv = text_kv,
	.note = text_note,
	.ranking = text_ranking,
	.tschart = text_tschart,
	.heatmap = text_heatmap,
};
