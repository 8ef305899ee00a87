/* table.c - the console's aligned table: the columns that fit a terminal and their lines. */
#include "output/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

/* Room for extra bytes and the NUL. */
static int tline_reserve(struct tline *l, size_t extra)
{
	return strbuf_reserve(&l->sb, extra + 1);
}

/* s made safe for a terminal, into l at its end (not counted in l->sb.len yet): its length. */
static size_t tline_sanitize(struct tline *l, const char *s, size_t n)
{
	size_t i = 0, out = 0;
	char *d = l->sb.buf + l->sb.len;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		int k = c < 0x80 ? 1 : fmt_utf8_len(s + i, n - i);
		bool c1 = k == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0;

		if (c < 0x20 || c == 0x7f || k == 0 || c1) {
			d[out++] = '?';
			i += k ? (size_t)k : 1;
		} else {
			memcpy(d + out, s + i, (size_t)k);
			out += (size_t)k;
			i += (size_t)k;
		}
	}
	d[out] = '\0';
	return out;
}

int tline_put(struct tline *l, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0, clean, cols;
	char *tmp;

	/* twice: the clean copy, then (when cut) the cut one in its place */
	if (tline_reserve(l, 2 * n + 4))
		return -ENOMEM;
	clean = tline_sanitize(l, s ? s : "", n);
	cols = text_columns(l->sb.buf + l->sb.len);
	if (max && cols > max) {
		tmp = l->sb.buf + l->sb.len + clean + 1;
		cols = text_fit_middle(l->sb.buf + l->sb.len, max, tmp, n + 3);
		clean = strlen(tmp);
		memmove(l->sb.buf + l->sb.len, tmp, clean + 1);
	}
	l->sb.len += clean;
	l->cols += cols;
	return 0;
}

int tline_pad_to(struct tline *l, size_t col, bool sep)
{
	size_t n = l->cols < col ? col - l->cols : sep ? 1 : 0;

	if (tline_reserve(l, n))
		return -ENOMEM;
	memset(l->sb.buf + l->sb.len, ' ', n);
	l->sb.len += n;
	l->cols += n;
	l->sb.buf[l->sb.len] = '\0';
	return 0;
}

void tline_cut(struct tline *l, size_t width)
{
	size_t i = 0, c = 0;

	if (!width || l->cols <= width)
		return;
	while (i < l->sb.len && c < width) {
		int k = fmt_utf8_len(l->sb.buf + i, l->sb.len - i);

		i += k > 0 ? (size_t)k : 1;
		c++;
	}
	l->sb.len = i;
	l->cols = c;
	l->sb.buf[i] = '\0';
}

void tline_free(struct tline *l)
{
	strbuf_free(&l->sb);
	l->cols = 0;
}

bool table_column_shown(const struct column *col)
{
	return col->console_width != 0 && col->type != COL_TIMESTAMP && col->type != COL_TIMESTR;
}

static size_t column_width(const struct column *col)
{
	return (size_t)(col->console_width < 0 ? -col->console_width : col->console_width);
}

/* A column's width on a terminal: its console width, at least its name's. */
static size_t fit_width(const struct column *col)
{
	size_t w = column_width(col), name = strlen(col->name);

	return w < name ? name : w;
}

/* On a terminal: the least the free-text column (at index flex) gets while columns after it
 * are added: a third of the width, unless that would leave out the column right after it (a
 * path's count); never below TABLE_FLEX_MIN. pos: where the columns before it end. */
static size_t flex_min(const struct column *cols, size_t ncols, size_t flex, size_t pos,
		       size_t width)
{
	size_t want = width / 3, next = 0;

	for (size_t i = flex + 1; i < ncols && !next; i++)
		if (table_column_shown(&cols[i]))
			next = fit_width(&cols[i]) + 1;
	if (pos + want + next > width)
		want = width > pos + next ? width - pos - next : 0;
	return want < TABLE_FLEX_MIN ? TABLE_FLEX_MIN : want;
}

int table_layout(struct table_layout *t, const struct column *cols, size_t ncols, bool time,
		 unsigned width)
{
	size_t pos = time ? TABLE_TIME_WIDTH + 1 : 0, end = 0, i, w;

	if (ncols > TABLE_MAX_COLS)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
	t->time = time;
	t->width = width;
	t->last = t->flex = ncols;
	for (i = 0; i < ncols; i++) {
		if (!table_column_shown(&cols[i]))
			continue;
		w = column_width(&cols[i]);
		if (width) {
			w = cols[i].console_width >= 0 ? fit_width(&cols[i]) :
			    t->flex == ncols	       ? flex_min(cols, ncols, i, pos, width) :
							 TABLE_FLEX_MIN;
			if (pos + w > width)
				break; /* this one and those after it do not fit */
			end = pos + w;
			pos = end + 1;
		}
		t->w[i] = w;
		t->last = i;
		if (cols[i].console_width < 0 && t->flex == ncols)
			t->flex = i;
	}
	if (width && t->flex < ncols)
		t->w[t->flex] += width - end;
	return 0;
}

/* Each shown cell: text (NULL: a number from cells) at most its width on a terminal. */
static int table_cells(struct tline *l, const struct table_layout *t, const char *time,
		       const struct cell *cells, bool header)
{
	char num[64];
	size_t i, start, b;
	int r = 0;

	l->sb.len = l->cols = 0;
	if (tline_reserve(l, 0))
		return -ENOMEM;
	l->sb.buf[0] = '\0';
	if (t->time) {
		r = tline_put(l, time, t->width ? TABLE_TIME_WIDTH : 0);
		if (!r && t->last < t->ncols)
			r = tline_pad_to(l, TABLE_TIME_WIDTH + 1, true);
	}
	for (i = 0; i < t->ncols && !r; i++) {
		const struct column *col = &t->cols[i];
		size_t max = t->width ? t->w[i] : 0;
		const char *s = num;

		if (!t->w[i])
			continue;
		/* the last column may use the rest of the line */
		if (t->width && i == t->last)
			max = l->cols < t->width ? t->width - l->cols : 1;
		start = l->cols;
		b = l->sb.len;
		if (header)
			s = col->name;
		else if (col->type == COL_STR)
			s = cells[i].s;
		else
			fmt_cell_number(col, &cells[i], num, sizeof(num));
		r = tline_put(l, s, max);
		if (header && !r)
			for (size_t k = b; k < l->sb.len; k++)
				if (l->sb.buf[k] >= 'a' && l->sb.buf[k] <= 'z')
					l->sb.buf[k] -= 'a' - 'A';
		if (!r && i != t->last)
			r = tline_pad_to(l, start + t->w[i] + 1, true);
	}
	if (!r)
		tline_cut(l, t->width);
	return r;
}

int table_header(struct tline *l, const struct table_layout *t)
{
	return table_cells(l, t, "TIME", NULL, true);
}

int table_row(struct tline *l, const struct table_layout *t, uint64_t ts_ns,
	      const struct cell *cells)
{
	char time[64];

	if (t->time)
		fmt_time_str(ts_ns, 0, time, sizeof(time));
	return table_cells(l, t, time, cells, false);
}
