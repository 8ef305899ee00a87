/* console.c - the console sink: one monitor's rows as a live, aligned table on a terminal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"
#include "output/sink.h"
#include "common/text.h"

#define CONSOLE_TIME_WIDTH 22 /* "[2025-11-21 14:30:00]" and a space, as in the guide */

struct console_sink {
	struct sink sink;
	int fd;
	bool broken; /* the reader went away (EPIPE): stay silent from now on */
	bool added;
	int stream;
	const struct column *cols; /* borrowed */
	size_t ncols;
	char *line; /* the line being built; one write(2) each */
	size_t len, cap;
};

static int console_reserve(struct console_sink *cs, size_t extra)
{
	size_t cap = cs->cap ? cs->cap : 256;
	char *nl;

	if (cs->len + extra <= cs->cap)
		return 0;
	while (cap < cs->len + extra)
		cap *= 2;
	nl = realloc(cs->line, cap);
	if (!nl)
		return -ENOMEM;
	cs->line = nl;
	cs->cap = cap;
	return 0;
}

/* Appends s made safe for a terminal: control characters (C0, DEL, and C1 such as the 8-bit CSI
 * U+009B) and bytes that are not UTF-8 become '?'. Returns the columns it takes (code points). */
static size_t console_put_safe(struct console_sink *cs, const char *s)
{
	size_t n = s ? strlen(s) : 0, i = 0, cols = 0;

	if (console_reserve(cs, n))
		return 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		int l = c < 0x80 ? 1 : fmt_utf8_len(s + i, n - i);
		bool c1 = l == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0;

		if (c < 0x20 || c == 0x7f || l == 0 || c1) {
			cs->line[cs->len++] = '?';
			i += l ? (size_t)l : 1;
		} else {
			memcpy(cs->line + cs->len, s + i, (size_t)l);
			cs->len += (size_t)l;
			i += (size_t)l;
		}
		cols++;
	}
	return cols;
}

/* Pads a cell of `used` columns to `width`, then one space: a long value pushes the rest right
 * rather than running into it. */
static int console_pad(struct console_sink *cs, size_t used, size_t width)
{
	size_t n = used < width ? width - used + 1 : 1;

	if (console_reserve(cs, n))
		return -ENOMEM;
	memset(cs->line + cs->len, ' ', n);
	cs->len += n;
	return 0;
}

static bool console_shown(const struct column *col)
{
	return col->console_width > 0 && col->type != COL_TIMESTAMP && col->type != COL_TIMESTR;
}

static size_t console_last_shown(const struct console_sink *cs)
{
	size_t i, last = cs->ncols;

	for (i = 0; i < cs->ncols; i++)
		if (console_shown(&cs->cols[i]))
			last = i;
	return last;
}

/* Writes the built line in one write(2) (retrying short writes); a closed pipe silences us. */
static int console_emit(struct console_sink *cs)
{
	ssize_t n;
	int err = 0;

	if (console_reserve(cs, 1)) {
		err = -ENOMEM;
	} else if (!cs->broken) {
		cs->line[cs->len++] = '\n';
		n = io_write_all(cs->fd, cs->line, cs->len);
		if (n >= 0 && (size_t)n < cs->len)
			n = -errno;
		if (n == -EPIPE)
			cs->broken = true;
		else if (n < 0)
			err = (int)n;
	}
	cs->len = 0;
	return err;
}

static int console_add_stream(struct sink *s, int stream, const struct stream_desc *d)
{
	const struct column *cols = d ? d->cols : NULL;
	size_t ncols = d ? d->ncols : 0;
	struct console_sink *cs = s->priv;
	size_t i, last, used, start;

	if (cs->added)
		return -EBUSY;
	if (stream < 0 || !d || (!cols && ncols))
		return -EINVAL;
	cs->added = true;
	cs->stream = stream;
	cs->cols = cols;
	cs->ncols = ncols;
	last = console_last_shown(cs);

	cs->len = 0;
	used = console_put_safe(cs, "TIME");
	if (last < ncols && console_pad(cs, used, CONSOLE_TIME_WIDTH))
		return -ENOMEM;
	for (i = 0; i < ncols; i++) {
		if (!console_shown(&cols[i]))
			continue;
		start = cs->len;
		used = console_put_safe(cs, cols[i].name);
		for (; start < cs->len; start++)
			if (cs->line[start] >= 'a' && cs->line[start] <= 'z')
				cs->line[start] -= 'a' - 'A';
		if (i != last && console_pad(cs, used, (size_t)cols[i].console_width))
			return -ENOMEM;
	}
	return console_emit(cs);
}

static int console_write_row(struct sink *s, int stream, const struct row *r)
{
	struct console_sink *cs = s->priv;
	size_t i, last, used;
	char tmp[64];

	if (!cs->added || stream != cs->stream || !r)
		return -EINVAL;
	if (cs->broken)
		return 0;
	last = console_last_shown(cs);
	cs->len = 0;
	fmt_time_str(r->ts_ns, 0, tmp, sizeof(tmp));
	used = console_put_safe(cs, tmp);
	if (last < cs->ncols && console_pad(cs, used, CONSOLE_TIME_WIDTH))
		goto err_nomem;
	for (i = 0; i < cs->ncols; i++) {
		const struct column *col = &cs->cols[i];

		if (!console_shown(col))
			continue;
		if (col->type == COL_STR) {
			used = console_put_safe(cs, r->cells[i].s);
		} else {
			fmt_cell_number(col, &r->cells[i], tmp, sizeof(tmp));
			used = console_put_safe(cs, tmp);
		}
		if (i != last && console_pad(cs, used, (size_t)col->console_width))
			goto err_nomem;
	}
	return console_emit(cs);

err_nomem:
	cs->len = 0;
	return -ENOMEM;
}

/* Rows are written as they come: nothing is pending. */
static int console_flush(struct sink *s, bool sync)
{
	return 0;
}

static int console_tick(struct sink *s, time_t now)
{
	return 0;
}

static void console_destroy(struct sink *s)
{
	struct console_sink *cs;

	if (!s)
		return;
	cs = s->priv;
	free(cs->line);
	free(cs);
}

static const struct sink_ops console_ops = {
	.name = "console",
	.add_stream = console_add_stream,
	.write_row = console_write_row,
	.flush = console_flush,
	.tick = console_tick,
	.reopen = NULL,
	.destroy = console_destroy,
};

int console_sink_create(int fd, struct sink **ret)
{
	struct console_sink *cs;

	if (fd < 0)
		return -EBADF;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	cs->fd = fd;
	cs->sink.ops = &console_ops;
	cs->sink.priv = cs;
	*ret = &cs->sink;
	return 0;
}
