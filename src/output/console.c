/* console.c - the console sink: one monitor's rows as a live, aligned table; on a terminal the
 * rows fit its width and the header comes back every screenful. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"
#include "output/sink.h"
#include "output/table.h"
#include "output/term.h"

struct console_sink {
	struct sink sink;
	int fd;
	bool broken; /* the reader went away (EPIPE): stay silent from now on */
	bool added;
	bool tty; /* fd is a terminal: rows fit its width, the header comes back each screen */
	int stream;
	const struct column *cols; /* borrowed */
	size_t ncols;
	unsigned width, height; /* the terminal's; 0: not a terminal */
	unsigned since_header;	/* lines written since the header */
	struct table_layout layout;
	struct tline line;
};

/* Writes the built line and a newline in one write(2) (retrying short writes); a closed pipe
 * silences us. */
static int console_emit(struct console_sink *cs)
{
	struct tline *l = &cs->line;
	ssize_t n;
	int err = 0;

	if (strbuf_putc(&l->sb, '\n')) {
		err = -ENOMEM;
	} else if (!cs->broken) {
		n = io_write_all(cs->fd, l->sb.buf, l->sb.len);
		if (n >= 0 && (size_t)n < l->sb.len)
			n = -errno;
		if (n == -EPIPE)
			cs->broken = true;
		else if (n < 0)
			err = (int)n;
		cs->since_header++;
	}
	l->sb.len = l->cols = 0;
	return err;
}

static int console_header(struct console_sink *cs)
{
	int r = table_header(&cs->line, &cs->layout);

	if (r)
		return r;
	r = console_emit(cs);
	cs->since_header = 0;
	return r;
}

/* On a terminal: its size again after a SIGWINCH; a new width is a new layout and header. */
static int console_fit(struct console_sink *cs)
{
	unsigned w = cs->width, h = cs->height;

	if (!cs->tty || !term_resized() || !term_size(cs->fd, &w, &h))
		return 0;
	cs->height = h;
	if (w == cs->width)
		return 0;
	cs->width = w;
	if (table_layout(&cs->layout, cs->cols, cs->ncols, true, w))
		return -EINVAL;
	return console_header(cs);
}

static int console_add_stream(struct sink *s, int stream, const struct stream_desc *d)
{
	const struct column *cols = d ? d->cols : NULL;
	size_t ncols = d ? d->ncols : 0;
	struct console_sink *cs = s->priv;

	if (cs->added)
		return -EBUSY;
	if (stream < 0 || !d || (!cols && ncols))
		return -EINVAL;
	if (table_layout(&cs->layout, cols, ncols, true, cs->width))
		return -EINVAL;
	cs->added = true;
	cs->stream = stream;
	cs->cols = cols;
	cs->ncols = ncols;
	return console_header(cs);
}

static int console_write_row(struct sink *s, int stream, const struct row *r)
{
	struct console_sink *cs = s->priv;
	int err;

	if (!cs->added || stream != cs->stream || !r)
		return -EINVAL;
	if (cs->broken)
		return 0;
	err = console_fit(cs);
	/* as vmstat does: the header again at the top of each screenful */
	if (!err && cs->height > 2 && cs->since_header >= cs->height - 1)
		err = console_header(cs);
	if (!err)
		err = table_row(&cs->line, &cs->layout, r->ts_ns, r->cells);
	if (err) {
		cs->line.sb.len = cs->line.cols = 0;
		return err;
	}
	return console_emit(cs);
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
	tline_free(&cs->line);
	free(cs);
}

/* The monitor shown stopped (a reload restarts it with a new stream): the next one is shown. */
static void console_health(struct sink *s, int stream, const struct stream_health *h)
{
	struct console_sink *cs = s->priv;

	if (cs->added && stream == cs->stream && h && h->stopped)
		cs->added = false;
}

static const struct sink_ops console_ops = {
	.name = "console",
	.add_stream = console_add_stream,
	.write_row = console_write_row,
	.flush = console_flush,
	.tick = console_tick,
	.reopen = NULL,
	.destroy = console_destroy,
	.health = console_health,
};

int console_sink_create_sized(int fd, unsigned width, unsigned height, struct sink **ret)
{
	struct console_sink *cs;

	if (fd < 0)
		return -EBADF;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	cs->fd = fd;
	cs->width = width;
	cs->height = width ? height : 0;
	cs->sink.ops = &console_ops;
	cs->sink.priv = cs;
	*ret = &cs->sink;
	return 0;
}

int console_sink_create(int fd, struct sink **ret)
{
	unsigned w = 0, h = 0;
	bool tty = term_size(fd, &w, &h);
	int r = console_sink_create_sized(fd, w, h, ret);

	if (!r && tty) {
		((struct console_sink *)(*ret)->priv)->tty = true;
		term_watch_resize();
	}
	return r;
}
