/* top.c - the full-screen view of one aggregating monitor: the last interval's rows, sorted,
 * under a header of totals, redrawn at each interval, on a resize and on a key. */
#include "output/top.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/io.h"
#include "core/log.h"
#include "output/table.h"
#include "output/term.h"

#define TOP_HEAD_LINES 5 /* totals, attach, keys and log, blank, the table's header */

/* An interval's rows: each a copy of its cells, strings in the same block. */
struct top_rows {
	struct cell **v;
	size_t n, cap;
};

struct top_sink {
	struct sink sink;
	int in_fd, out_fd;
	const char *program;
	char *sort_name; /* asked for; resolved when the stream comes */
	bool added, ended;
	int stream;
	char monitor[64];
	const struct column *cols; /* borrowed */
	size_t ncols;
	size_t sortable[TABLE_MAX_COLS], nsortable, sort; /* column indexes; sortable[sort] */
	int count_col;					  /* -1: none */
	struct top_rows pending, shown;
	bool have_shown;
	uint64_t shown_end_ns, prev_end_ns;
	double shown_secs;
	uint64_t shown_sum;
	/* from the health reports */
	char attach[512];
	uint64_t lost, lost_mark, shown_lost;
	unsigned sample_rate;
	unsigned width, height;
	struct table_layout layout;
	struct tline line;
	struct strbuf frame; /* the screen being drawn */
};

bool top_sortable(const struct column *col)
{
	return table_column_shown(col) && col->type != COL_STR;
}

static void top_rows_clear(struct top_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	r->n = 0;
}

static int top_rows_add(struct top_rows *rs, const struct column *cols, size_t ncols,
			const struct cell *cells)
{
	size_t bytes = ncols * sizeof(struct cell), i;
	struct cell *c;
	char *p;

	for (i = 0; i < ncols; i++)
		if (cols[i].type == COL_STR && cells[i].s)
			bytes += strlen(cells[i].s) + 1;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct cell **v = realloc(rs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	c = malloc(bytes);
	if (!c)
		return -ENOMEM;
	memcpy(c, cells, ncols * sizeof(struct cell));
	p = (char *)(c + ncols);
	for (i = 0; i < ncols; i++) {
		if (cols[i].type != COL_STR || !cells[i].s)
			continue;
		strcpy(p, cells[i].s);
		c[i].s = p;
		p += strlen(p) + 1;
	}
	rs->v[rs->n++] = c;
	return 0;
}

static void top_render(struct top_sink *t);

static int top_add_stream(struct sink *s, int stream, const struct stream_desc *d)
{
	struct top_sink *t = s->priv;

	if (t->added)
		return -EBUSY;
	if (stream < 0 || !d || !d->cols || d->ncols > TABLE_MAX_COLS)
		return -EINVAL;
	t->added = true;
	t->stream = stream;
	t->nsortable = t->sort = 0;
	t->cols = d->cols;
	t->ncols = d->ncols;
	snprintf(t->monitor, sizeof(t->monitor), "%s", d->monitor ? d->monitor : "");
	t->count_col = -1;
	for (size_t i = 0; i < d->ncols; i++) {
		if (!strcmp(d->cols[i].name, "count") && d->cols[i].type == COL_U64)
			t->count_col = (int)i;
		if (!top_sortable(&d->cols[i]))
			continue;
		if (t->sort_name ? !strcmp(d->cols[i].name, t->sort_name) :
				   !strcmp(d->cols[i].name, "count"))
			t->sort = t->nsortable;
		t->sortable[t->nsortable++] = i;
	}
	if (table_layout(&t->layout, t->cols, t->ncols, false, t->width))
		return -EINVAL;
	top_render(t); /* "waiting for the first interval" */
	return 0;
}

static int top_write_row(struct sink *s, int stream, const struct row *r)
{
	struct top_sink *t = s->priv;

	if (!t->added || stream != t->stream || !r)
		return -EINVAL;
	return top_rows_add(&t->pending, t->cols, t->ncols, r->cells);
}

static int top_cmp(const void *a, const void *b, void *ctx)
{
	const struct top_sink *t = ctx;
	const struct cell *x = *(struct cell *const *)a, *y = *(struct cell *const *)b;
	size_t c = t->sortable[t->sort];

	switch (t->cols[c].type) {
	case COL_U64:
		if (x[c].u != y[c].u)
			return x[c].u < y[c].u ? 1 : -1;
		break;
	case COL_S64:
		if (x[c].i != y[c].i)
			return x[c].i < y[c].i ? 1 : -1;
		break;
	case COL_F64:
		if (x[c].f != y[c].f)
			return x[c].f < y[c].f ? 1 : -1;
		break;
	default:
		break;
	}
	/* ties in the table's order of its text columns: the same interval, the same order */
	for (size_t i = 0; i < t->ncols; i++) {
		int k;

		if (t->cols[i].type != COL_STR || !table_column_shown(&t->cols[i]))
			continue;
		k = strcmp(x[i].s ? x[i].s : "", y[i].s ? y[i].s : "");
		if (k)
			return k;
	}
	return 0;
}

/* One screen line: l's text cut at the width, the rest of the line cleared. */
static int frame_line(struct top_sink *t, struct tline *l, unsigned *nlines)
{
	int r;

	tline_cut(l, t->width);
	r = strbuf_puts(&t->frame, *nlines ? "\r\n" : "");
	if (!r)
		r = strbuf_add(&t->frame, l->sb.buf ? l->sb.buf : "", l->sb.len);
	if (!r)
		r = strbuf_puts(&t->frame, "\033[K");
	(*nlines)++;
	l->sb.len = l->cols = 0;
	return r;
}

static int frame_text(struct top_sink *t, unsigned *nlines, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int frame_text(struct top_sink *t, unsigned *nlines, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t->line.sb.len = t->line.cols = 0;
	if (tline_put(&t->line, buf, 0))
		return -ENOMEM;
	return frame_line(t, &t->line, nlines);
}

static void top_head(struct top_sink *t, unsigned *nl)
{
	char when[32] = "--:--:--", logline[320] = "";
	time_t sec = (time_t)(t->shown_end_ns / 1000000000ULL);
	unsigned long held = log_console_held(logline + 0, sizeof(logline));
	struct tm tm;

	if (t->have_shown && localtime_r(&sec, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (!t->have_shown)
		frame_text(t, nl, "%s  %s  waiting for the first interval  (%s --top)", t->monitor,
			   when, t->program);
	else if (t->count_col >= 0)
		frame_text(
			t, nl,
			"%s  %s  %.1f s: %llu counted, %.0f/s, %zu rows, lost %llu (%llu in all)",
			t->monitor, when, t->shown_secs, (unsigned long long)t->shown_sum,
			t->shown_secs > 0 ? (double)t->shown_sum / t->shown_secs : 0.0, t->shown.n,
			(unsigned long long)t->shown_lost, (unsigned long long)t->lost);
	else
		frame_text(t, nl, "%s  %s  %.1f s: %zu rows, lost %llu (%llu in all)", t->monitor,
			   when, t->shown_secs, t->shown.n, (unsigned long long)t->shown_lost,
			   (unsigned long long)t->lost);
	if (t->sample_rate > 1)
		frame_text(t, nl, "attach: %s  sampling 1 in %u", t->attach[0] ? t->attach : "-",
			   t->sample_rate);
	else
		frame_text(t, nl, "attach: %s", t->attach[0] ? t->attach : "-");
	if (held)
		frame_text(t, nl,
			   "sort: %s (s/S: next/previous)  q: quit  log: %lu warning(s), "
			   "last: %s",
			   t->nsortable ? t->cols[t->sortable[t->sort]].name : "-", held, logline);
	else
		frame_text(t, nl, "sort: %s (s/S: next/previous)  q: quit",
			   t->nsortable ? t->cols[t->sortable[t->sort]].name : "-");
	frame_text(t, nl, "%s", "");
}

/* The whole screen in one write(2): home, each line cleared to its end, the rest cleared. */
static void top_render(struct top_sink *t)
{
	unsigned nl = 0, room;
	size_t i;

	if (t->ended || !t->added)
		return;
	t->frame.len = 0;
	if (strbuf_puts(&t->frame, "\033[H"))
		return;
	top_head(t, &nl);
	if (!table_header(&t->line, &t->layout))
		frame_line(t, &t->line, &nl);
	room = t->height > nl ? t->height - nl : 0;
	for (i = 0; i < t->shown.n && room; i++, room--) {
		if (room == 1 && i + 1 < t->shown.n) {
			frame_text(t, &nl, "... %zu more row(s) below the screen", t->shown.n - i);
			break;
		}
		if (!table_row(&t->line, &t->layout, 0, t->shown.v[i]))
			frame_line(t, &t->line, &nl);
	}
	if (!strbuf_puts(&t->frame, "\033[J"))
		(void)io_write_all(t->out_fd, t->frame.buf, t->frame.len);
}

void top_sink_interval(struct sink *s, int stream, uint64_t end_ns, double interval_s)
{
	struct top_sink *t = s ? s->priv : NULL;
	struct top_rows tmp;

	if (!t || !t->added || stream != t->stream)
		return;
	tmp = t->shown;
	t->shown = t->pending;
	t->pending = tmp;
	top_rows_clear(&t->pending);
	t->shown_secs = t->prev_end_ns && end_ns > t->prev_end_ns ?
				(double)(end_ns - t->prev_end_ns) / 1e9 :
				interval_s;
	t->prev_end_ns = t->shown_end_ns = end_ns;
	t->shown_sum = 0;
	for (size_t i = 0; t->count_col >= 0 && i < t->shown.n; i++)
		t->shown_sum += t->shown.v[i][t->count_col].u;
	t->shown_lost = t->lost - t->lost_mark;
	t->lost_mark = t->lost;
	t->have_shown = true;
	if (t->nsortable)
		qsort_r(t->shown.v, t->shown.n, sizeof(*t->shown.v), top_cmp, t);
	top_render(t);
}

enum top_key top_sink_input(struct sink *s)
{
	struct top_sink *t = s ? s->priv : NULL;
	char keys[64];
	ssize_t n;

	if (!t)
		return TOP_KEY_EOF;
	n = read(t->in_fd, keys, sizeof(keys));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return TOP_KEY_EOF;
	for (ssize_t i = 0; i < n; i++) {
		if (keys[i] == 'q' || keys[i] == 'Q')
			return TOP_KEY_QUIT;
		if ((keys[i] == 's' || keys[i] == 'S') && t->nsortable) {
			t->sort =
				(t->sort + (keys[i] == 's' ? 1 : t->nsortable - 1)) % t->nsortable;
			qsort_r(t->shown.v, t->shown.n, sizeof(*t->shown.v), top_cmp, t);
			top_render(t);
		}
	}
	return TOP_KEY_NONE;
}

void top_sink_poll(struct sink *s)
{
	struct top_sink *t = s ? s->priv : NULL;

	if (!t || t->ended || !term_resized())
		return;
	(void)term_size(t->out_fd, &t->width, &t->height);
	if (t->added)
		(void)table_layout(&t->layout, t->cols, t->ncols, false, t->width);
	top_render(t);
}

static void top_health(struct sink *s, int stream, const struct stream_health *h)
{
	struct top_sink *t = s->priv;
	size_t off = 0;

	if (!t->added || stream != t->stream || !h)
		return;
	if (h->stopped) { /* a reload restarts it with a new stream: that one is shown next */
		top_rows_clear(&t->pending);
		top_rows_clear(&t->shown);
		t->added = t->have_shown = false;
		t->lost = t->lost_mark = t->prev_end_ns = 0;
		t->attach[0] = '\0';
		return;
	}
	t->lost = h->lost_perf + h->lost_map_full + h->lost_unmatched + h->lost_recursion;
	t->sample_rate = h->sample_rate;
	if (!h->probes)
		return;
	t->attach[0] = '\0';
	for (size_t i = 0; i < h->nprobes && off < sizeof(t->attach); i++) {
		int n = snprintf(t->attach + off, sizeof(t->attach) - off, "%s%s=%s", i ? " " : "",
				 h->probes[i].point, h->probes[i].mechanism);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	top_render(t); /* the attach methods, at once */
}

void top_sink_end(struct sink *s)
{
	struct top_sink *t = s ? s->priv : NULL;

	if (!t || t->ended)
		return;
	t->ended = true;
	term_leave();
}

static int top_flush(struct sink *s, bool sync)
{
	(void)s;
	(void)sync;
	return 0;
}

static int top_tick(struct sink *s, time_t now)
{
	(void)s;
	(void)now;
	return 0;
}

static void top_destroy(struct sink *s)
{
	struct top_sink *t;

	if (!s)
		return;
	t = s->priv;
	top_sink_end(s);
	top_rows_clear(&t->pending);
	top_rows_clear(&t->shown);
	free(t->pending.v);
	free(t->shown.v);
	free(t->sort_name);
	strbuf_free(&t->frame);
	tline_free(&t->line);
	free(t);
}

static const struct sink_ops top_ops = {
	.name = "top",
	.add_stream = top_add_stream,
	.write_row = top_write_row,
	.flush = top_flush,
	.tick = top_tick,
	.reopen = NULL,
	.destroy = top_destroy,
	.health = top_health,
};

int top_sink_create(const struct top_options *o, struct sink **ret)
{
	struct top_sink *t;
	unsigned w, h;
	int r;

	if (!term_size(o->out_fd, &w, &h))
		return -ENOTTY;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->in_fd = o->in_fd;
	t->out_fd = o->out_fd;
	t->width = w;
	t->height = h;
	t->program = o->program ? o->program : "ebpf-monitor";
	t->sort_name = o->sort ? strdup(o->sort) : NULL;
	r = term_enter(o->in_fd, o->out_fd);
	if (r) {
		free(t->sort_name);
		free(t);
		return r;
	}
	t->sink.ops = &top_ops;
	t->sink.priv = t;
	*ret = &t->sink;
	return 0;
}
