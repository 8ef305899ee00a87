/* csv.c - the line-file sinks: CSV (one RFC 4180 file per monitor) and JSON lines (one object
 * per row), whole rows buffered and written with write(2), a new file each local day, old files
 * removed after retention_days; JSON lines may go to stdout instead. Both formats share all of
 * this file's machinery; only the row renderer, the header and the file extension differ. Rows
 * end in LF, not RFC 4180's CRLF: the guide's cut/awk/grep examples expect plain lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/io.h"
#include "output/json.h"
#include "output/sink.h"
#include "output/strbuf.h"
#include "common/text.h"

#define CSV_FLUSH_BYTES (1UL << 20) /* write when this much is pending, whatever buffer_rows */
#define CSV_KEEP_BYTES (4UL << 20)  /* most kept in memory while writes fail */
#define CSV_KEEP_FACTOR 4	    /* ... and at most this many times buffer_rows rows */
#define CSV_MAX_SUFFIX 1000	    /* <monitor>_<time>_<n>.csv when the name is taken */
#define CSV_MAX_STREAMS 1024
/* O_NONBLOCK: a FIFO planted under a file's name must not block the open (it is refused). */
#define CSV_FILE_FLAGS (O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)

struct csv_stream {
	char *monitor;
	const struct column *cols; /* borrowed: must outlive the sink */
	size_t ncols;
	char *header;		 /* rendered header line, NULL without include_header */
	int fd;			 /* -1: no file open (retried at the next flush) */
	char name[NAME_MAX + 1]; /* current file, relative to the sink's directory */
	int day;		 /* local date the current file belongs to, YYYYMMDD */
	bool need_header;	 /* the header is not in the file yet */

	struct strbuf out; /* rendered rows not yet in the file, oldest first */
	size_t *row_len; /* length of each pending row */
	size_t nrows, rows_cap;
	bool head_partial; /* row 0 is the tail of a row whose start is already written */
	size_t flush_rows; /* pending rows / bytes that make write_row write */
	size_t flush_bytes;

	unsigned long long rows_written, rows_dropped, write_errors;
	bool failing; /* the last flush failed (last_err); rows wait in memory */
	int last_err;
};

struct csv_sink {
	struct sink sink;
	enum sink_format format;
	const char *ext; /* ".csv", ".jsonl" */
	bool to_stdout;	 /* every stream writes to stdout: no files, rotation or retention */
	int dirfd;
	char delimiter;
	bool include_header;
	bool formula_guard; /* text cells starting with = + - @ TAB CR get a leading ' */
	unsigned buffer_rows;
	unsigned retention_days;
	time_t start;
	time_t now;		  /* from the last tick; names files and dates retention */
	long long retention_hour; /* hour (now / 3600) of the last retention pass */
	struct csv_stream **streams;
	size_t nstreams;
};

/* Spreadsheet applications evaluate a cell that starts with one of these as a formula. */
bool csv_formula_lead(const char *s)
{
	return s && *s && strchr("=+-@\t\r", *s) != NULL;
}

/* csv_quote_field of `prefix` (0: none) followed by s. */
static size_t csv_quote(char prefix, const char *s, char delimiter, char *buf, size_t len)
{
	size_t n, i, need, o = 0;
	bool quote;

	if (!s)
		s = "";
	n = strlen(s);
	/* Leading/trailing spaces are quoted so that trimming readers keep them. */
	quote = n && (s[0] == ' ' || s[n - 1] == ' ');
	need = n + (prefix ? 1 : 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '"') {
			quote = true;
			need++;
		} else if (s[i] == delimiter || s[i] == '\r' || s[i] == '\n') {
			quote = true;
		}
	}
	if (quote)
		need += 2;
	if (!len)
		return need;

#define CSV_PUT(ch)                    \
	do {                           \
		if (o + 1 < len)       \
			buf[o] = (ch); \
		o++;                   \
	} while (0)
	if (quote)
		CSV_PUT('"');
	if (prefix)
		CSV_PUT(prefix);
	for (i = 0; i < n && o + 1 < len; i++) {
		if (s[i] == '"')
			CSV_PUT('"');
		CSV_PUT(s[i]);
	}
	if (quote)
		CSV_PUT('"');
#undef CSV_PUT
	buf[o < len ? o : len - 1] = '\0';
	return need;
}

size_t csv_quote_field(const char *s, char delimiter, char *buf, size_t len)
{
	return csv_quote(0, s, delimiter, buf, len);
}

static int csv_local_day(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int csv_append_field(struct csv_stream *st, char delimiter, char prefix, const char *s)
{
	size_t n = csv_quote(prefix, s, delimiter, st->out.buf + st->out.len, st->out.cap - st->out.len);

	if (n >= st->out.cap - st->out.len) {
		if (strbuf_reserve(&st->out, n + 1))
			return -ENOMEM;
		csv_quote(prefix, s, delimiter, st->out.buf + st->out.len, st->out.cap - st->out.len);
	}
	st->out.len += n;
	return 0;
}

/* Removes `bytes` from the front of the pending data: whole rows count as written; a rest that
 * ends inside a row leaves that row's tail as the new, partial, row 0. */
static void csv_consume(struct csv_stream *st, size_t bytes)
{
	size_t i = 0, left = bytes;

	while (i < st->nrows && left >= st->row_len[i])
		left -= st->row_len[i++];
	st->rows_written += i;
	if (i)
		st->head_partial = false;
	if (left) {
		st->row_len[i] -= left;
		st->head_partial = true;
	}
	memmove(st->out.buf, st->out.buf + bytes, st->out.len - bytes);
	st->out.len -= bytes;
	memmove(st->row_len, st->row_len + i, (st->nrows - i) * sizeof(*st->row_len));
	st->nrows -= i;
}

/* After failed writes, bounds memory by dropping the oldest whole rows (never a partial row 0,
 * whose start is in the file already). */
static void csv_trim(struct csv_sink *cs, struct csv_stream *st)
{
	size_t max_rows = (size_t)cs->buffer_rows * CSV_KEEP_FACTOR;
	size_t first = st->head_partial ? 1 : 0, k = 0, off = 0, bytes = 0, nrows = st->nrows;
	size_t len = st->out.len, i;

	for (i = 0; i < first; i++)
		off += st->row_len[i];
	while (first + k < nrows && (nrows > max_rows || len > CSV_KEEP_BYTES)) {
		bytes += st->row_len[first + k];
		len -= st->row_len[first + k];
		nrows--;
		k++;
	}
	if (!k)
		return;
	memmove(st->out.buf + off, st->out.buf + off + bytes, st->out.len - off - bytes);
	st->out.len -= bytes;
	memmove(st->row_len + first, st->row_len + first + k,
		(st->nrows - first - k) * sizeof(*st->row_len));
	st->nrows -= k;
	st->rows_dropped += k;
}

/* Appends the header all-or-nothing: a failed part is truncated away and retried later. */
static int csv_write_header(struct csv_stream *st)
{
	size_t len = strlen(st->header);
	off_t start = lseek(st->fd, 0, SEEK_END);
	ssize_t n;
	int err;

	if (start < 0)
		return -errno;
	n = io_write_all(st->fd, st->header, len);
	if (n < 0)
		return (int)n;
	if ((size_t)n < len) {
		err = -errno;
		(void)!ftruncate(st->fd, start);
		return err;
	}
	st->need_header = false;
	return 0;
}

static int csv_open_named(struct csv_sink *cs, struct csv_stream *st, const char *name, int flags)
{
	int fd = openat(cs->dirfd, name, CSV_FILE_FLAGS | flags, 0640), err;
	struct stat sb;

	if (fd < 0)
		return -errno;
	/* O_NOFOLLOW refuses a planted symbolic link; this a planted hard link or FIFO. */
	err = io_file_check(fd);
	if (err || fstat(fd, &sb) < 0) {
		close(fd);
		return err ? err : -EIO;
	}
	st->fd = fd;
	snprintf(st->name, sizeof(st->name), "%s", name);
	st->need_header = st->header && sb.st_size == 0;
	if (st->need_header)
		(void)csv_write_header(st);
	return 0;
}

/* Starts a new file <monitor>_<YYYYMMDD_HHMMSS>[_n].<ext> named from local time t; never reuses
 * a name that exists (a restart within the same second gets a suffix). On stdout: just that. */
static int csv_open_new(struct csv_sink *cs, struct csv_stream *st, time_t t)
{
	char stamp[32], name[NAME_MAX + 1];
	struct tm tm;
	int i, err = -EEXIST;

	if (cs->to_stdout) {
		st->fd = STDOUT_FILENO;
		st->day = csv_local_day(t);
		return 0;
	}
	if (!localtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm))
		return -EINVAL;
	for (i = 0; i < CSV_MAX_SUFFIX && err == -EEXIST; i++) {
		int n = i ? snprintf(name, sizeof(name), "%s_%s_%d%s", st->monitor, stamp, i,
				     cs->ext) :
			    snprintf(name, sizeof(name), "%s_%s%s", st->monitor, stamp, cs->ext);

		if (n < 0 || (size_t)n >= sizeof(name))
			return -ENAMETOOLONG;
		err = csv_open_named(cs, st, name, O_CREAT | O_EXCL);
	}
	if (!err)
		st->day = csv_local_day(t);
	return err;
}

static void csv_close(struct csv_stream *st, bool sync)
{
	if (st->fd < 0)
		return;
	/* stdout is shared by the streams and not ours to close (fsync of a pipe: EINVAL) */
	if (st->fd != STDOUT_FILENO) {
		if (sync)
			(void)fsync(st->fd);
		close(st->fd);
	}
	st->fd = -1;
}

/* Writes the pending rows; a row is either wholly in the file or still pending. */
static int csv_stream_flush(struct csv_sink *cs, struct csv_stream *st)
{
	size_t done, good = 0, i;
	off_t start;
	ssize_t n;
	int err;

	if (st->fd < 0 && !st->out.len && !st->failing)
		return 0;
	if (st->fd < 0) {
		err = csv_open_new(cs, st, cs->now);
		if (err)
			goto err_keep;
	}
	if (st->need_header) {
		err = csv_write_header(st);
		if (err)
			goto err_keep;
	}
	if (!st->out.len) {
		st->failing = false;
		return 0;
	}
	/* A pipe has no end to seek to or truncate: there, a cut row is completed next time. */
	start = cs->to_stdout ? 0 : lseek(st->fd, 0, SEEK_END);
	if (start < 0) {
		err = -errno;
		goto err_keep;
	}
	n = io_write_all(st->fd, st->out.buf, st->out.len);
	if (n < 0) {
		err = (int)n;
		done = 0;
	} else {
		err = (size_t)n < st->out.len ? -errno : 0;
		done = (size_t)n;
	}
	if (err) {
		for (i = 0; i < st->nrows && good + st->row_len[i] <= done; i++)
			good += st->row_len[i];
		/* If the cut cannot be undone, the row's rest goes first next time, completing it. */
		if (done > good && !cs->to_stdout && ftruncate(st->fd, start + (off_t)good) == 0)
			done = good;
	}
	csv_consume(st, done);
	if (err)
		goto err_keep;
	st->failing = false;
	st->flush_rows = cs->buffer_rows;
	st->flush_bytes = CSV_FLUSH_BYTES;
	return 0;

err_keep:
	/* Retry at the next explicit flush or after another buffer's worth, not at every row. */
	st->write_errors++;
	st->failing = true;
	st->last_err = err;
	csv_trim(cs, st);
	st->flush_rows = st->nrows + cs->buffer_rows;
	st->flush_bytes = st->out.len + CSV_FLUSH_BYTES;
	return err;
}

static int csv_render_row(struct csv_sink *cs, struct csv_stream *st, const struct row *r)
{
	char tmp[64];
	size_t i, start = st->out.len;
	const char *s;
	char prefix;

	if (cs->format == SINK_FORMAT_JSONL)
		return json_append_row(&st->out, st->cols, st->ncols, r);

	for (i = 0; i < st->ncols; i++) {
		const struct column *col = &st->cols[i];

		/* Room for the delimiter, and a buffer that exists before fields are quoted into it. */
		if (strbuf_reserve(&st->out, 64))
			goto err_nomem;
		if (i)
			st->out.buf[st->out.len++] = cs->delimiter;
		prefix = 0;
		switch (col->type) {
		case COL_TIMESTAMP:
			fmt_timestamp(r->ts_ns, tmp, sizeof(tmp));
			s = tmp;
			break;
		case COL_TIMESTR:
			fmt_time_str(r->ts_ns, 1, tmp, sizeof(tmp));
			s = tmp;
			break;
		case COL_STR:
			s = r->cells[i].s;
			/* Only text cells: a negative number is data, not a formula. */
			if (cs->formula_guard && csv_formula_lead(s))
				prefix = '\'';
			break;
		default:
			fmt_cell_number(col, &r->cells[i], tmp, sizeof(tmp));
			s = tmp;
			break;
		}
		/* Everything goes through quoting: a ':' or '.' delimiter can occur in any cell. */
		if (csv_append_field(st, cs->delimiter, prefix, s))
			goto err_nomem;
	}
	if (strbuf_reserve(&st->out, 1))
		goto err_nomem;
	st->out.buf[st->out.len++] = '\n';
	return 0;

err_nomem:
	st->out.len = start;
	return -ENOMEM;
}

static int csv_write_row(struct sink *s, int stream, const struct row *r)
{
	struct csv_sink *cs = s->priv;
	struct csv_stream *st;
	size_t start;

	if (stream < 0 || (size_t)stream >= cs->nstreams || !cs->streams[stream] || !r)
		return -EINVAL;
	st = cs->streams[stream];
	if (st->nrows == st->rows_cap) {
		size_t ncap = st->rows_cap ? st->rows_cap * 2 : 64;
		size_t *nl = realloc(st->row_len, ncap * sizeof(*nl));

		if (!nl) {
			st->rows_dropped++;
			return -ENOMEM;
		}
		st->row_len = nl;
		st->rows_cap = ncap;
	}
	start = st->out.len;
	if (csv_render_row(cs, st, r)) {
		st->rows_dropped++;
		return -ENOMEM;
	}
	st->row_len[st->nrows++] = st->out.len - start;
	if (st->nrows >= st->flush_rows || st->out.len >= st->flush_bytes)
		return csv_stream_flush(cs, st);
	return 0;
}

static int csv_flush(struct sink *s, bool sync)
{
	struct csv_sink *cs = s->priv;
	int ret = 0;
	size_t i;

	for (i = 0; i < cs->nstreams; i++) {
		struct csv_stream *st = cs->streams[i];
		int err;

		if (!st)
			continue;
		err = csv_stream_flush(cs, st);
		if (!err && sync && st->fd >= 0 && fsync(st->fd) < 0)
			err = -errno;
		if (err && !ret)
			ret = err;
	}
	return ret;
}

static bool csv_is_open_name(struct csv_sink *cs, const char *name)
{
	size_t i;

	for (i = 0; i < cs->nstreams; i++)
		if (cs->streams[i] && cs->streams[i]->fd >= 0 &&
		    !strcmp(cs->streams[i]->name, name))
			return true;
	return false;
}

/* The YYYYMMDD of a name <monitor>_YYYYMMDD_HHMMSS*<ext>, or -1 when it is not one of ours. */
static int csv_name_day(const char *name, const char *monitor, const char *ext)
{
	size_t ml = strlen(monitor), nl = strlen(name), el = strlen(ext), i;
	const char *p = name + ml + 1;
	int day = 0;

	if (nl < ml + 1 + 15 + el || strncmp(name, monitor, ml) || name[ml] != '_' ||
	    strcmp(name + nl - el, ext))
		return -1;
	for (i = 0; i < 15; i++) {
		if (i == 8 ? p[i] != '_' : (p[i] < '0' || p[i] > '9'))
			return -1;
		if (i < 8)
			day = day * 10 + (p[i] - '0');
	}
	return day;
}

/* Deletes this sink's files dated more than retention_days local days before `now`: only
 * regular files owned by root (or us), never a symbolic link or what it points to, never a file
 * being written. */
static void csv_retention(struct csv_sink *cs, time_t now)
{
	struct dirent *de;
	struct stat sb;
	struct tm tm;
	int cutoff, fd;
	DIR *d;
	size_t i;

	if (!cs->retention_days || cs->to_stdout || !localtime_r(&now, &tm))
		return;
	tm.tm_mday -= (int)cs->retention_days;
	tm.tm_hour = 12; /* away from DST edges */
	tm.tm_isdst = -1;
	now = mktime(&tm);
	cutoff = csv_local_day(now);

	fd = openat(cs->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		for (i = 0; i < cs->nstreams; i++) {
			int day;

			if (!cs->streams[i])
				continue;
			day = csv_name_day(de->d_name, cs->streams[i]->monitor, cs->ext);
			if (day < 0)
				continue;
			if (day < cutoff && !csv_is_open_name(cs, de->d_name) &&
			    fstatat(cs->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(sb.st_mode) && (sb.st_uid == 0 || sb.st_uid == geteuid()))
				(void)unlinkat(cs->dirfd, de->d_name, 0);
			break;
		}
	}
	closedir(d);
}

static int csv_tick(struct sink *s, time_t now)
{
	struct csv_sink *cs = s->priv;
	int day = csv_local_day(now), ret = 0;
	size_t i;

	cs->now = now;
	for (i = 0; i < cs->nstreams; i++) {
		struct csv_stream *st = cs->streams[i];
		int err;

		if (!st || st->day == day || cs->to_stdout)
			continue;
		/* The old day's rows end in the old file, synced; a failure keeps them pending. */
		(void)csv_stream_flush(cs, st);
		csv_close(st, true);
		err = csv_open_new(cs, st, now);
		if (err && !ret)
			ret = err;
	}
	if (cs->retention_days && now / 3600 != cs->retention_hour) {
		cs->retention_hour = now / 3600;
		csv_retention(cs, now);
	}
	return ret;
}

static int csv_reopen(struct sink *s)
{
	struct csv_sink *cs = s->priv;
	int ret = 0;
	size_t i;

	for (i = 0; i < cs->nstreams; i++) {
		struct csv_stream *st = cs->streams[i];
		char name[NAME_MAX + 1];
		int err;

		if (!st)
			continue;
		(void)csv_stream_flush(cs, st);
		if (st->fd < 0 || cs->to_stdout)
			continue;
		csv_close(st, true);
		/* A file moved away (logrotate) is created again, with a header. */
		snprintf(name, sizeof(name), "%s", st->name);
		err = csv_open_named(cs, st, name, O_CREAT);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

static void csv_stream_free(struct csv_stream *st)
{
	if (!st)
		return;
	csv_close(st, true);
	free(st->monitor);
	free(st->header);
	free(st->out.buf);
	free(st->row_len);
	free(st);
}

static char *csv_render_header(const struct column *cols, size_t ncols, char delimiter)
{
	size_t i, len = 0, need = 2;
	char *h;

	for (i = 0; i < ncols; i++)
		need += csv_quote_field(cols[i].name, delimiter, NULL, 0) + 1;
	h = malloc(need);
	if (!h)
		return NULL;
	for (i = 0; i < ncols; i++) {
		if (i)
			h[len++] = delimiter;
		len += csv_quote_field(cols[i].name, delimiter, h + len, need - len);
	}
	h[len++] = '\n';
	h[len] = '\0';
	return h;
}

static int csv_add_stream(struct sink *s, int stream, const struct stream_desc *d)
{
	const char *monitor = d ? d->monitor : NULL;
	const struct column *cols = d ? d->cols : NULL;
	size_t ncols = d ? d->ncols : 0;
	struct csv_sink *cs = s->priv;
	struct csv_stream *st;
	int err;

	if (stream < 0 || stream >= CSV_MAX_STREAMS || !monitor || !*monitor ||
	    strchr(monitor, '/') || !cols || !ncols)
		return -EINVAL;
	if ((size_t)stream >= cs->nstreams) {
		struct csv_stream **ns = realloc(cs->streams, (stream + 1) * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		memset(ns + cs->nstreams, 0, (stream + 1 - cs->nstreams) * sizeof(*ns));
		cs->streams = ns;
		cs->nstreams = stream + 1;
	}
	if (cs->streams[stream])
		return -EEXIST;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fd = -1;
	st->cols = cols;
	st->ncols = ncols;
	st->flush_rows = cs->buffer_rows;
	st->flush_bytes = CSV_FLUSH_BYTES;
	st->monitor = strdup(monitor);
	if (cs->include_header && cs->format == SINK_FORMAT_CSV)
		st->header = csv_render_header(cols, ncols, cs->delimiter);
	if (!st->monitor || (cs->include_header && cs->format == SINK_FORMAT_CSV && !st->header)) {
		err = -ENOMEM;
		goto err_free;
	}
	err = csv_open_new(cs, st, cs->start);
	/* A full disk is no reason not to monitor: the file is created at the next flush. */
	if (err == -ENOSPC || err == -EDQUOT || err == -EIO) {
		st->failing = true;
		st->last_err = err;
		st->write_errors++;
		err = 0;
	}
	if (err)
		goto err_free;
	cs->streams[stream] = st;
	csv_retention(cs, cs->now);
	return 0;

err_free:
	csv_stream_free(st);
	return err;
}

static void csv_destroy(struct sink *s)
{
	struct csv_sink *cs;
	size_t i;

	if (!s)
		return;
	cs = s->priv;
	(void)csv_flush(s, false);
	for (i = 0; i < cs->nstreams; i++)
		csv_stream_free(cs->streams[i]);
	free(cs->streams);
	if (cs->dirfd >= 0)
		close(cs->dirfd);
	free(cs);
}

/* One file machinery, two formats: the name is what logs and the status file call it. */
#define FILE_SINK_OPS(format_name)                                                          \
	{                                                                                   \
		.name = format_name, .add_stream = csv_add_stream, .write_row = csv_write_row, \
		.flush = csv_flush, .tick = csv_tick, .reopen = csv_reopen,                  \
		.destroy = csv_destroy,                                                      \
	}
static const struct sink_ops csv_ops = FILE_SINK_OPS("csv");
static const struct sink_ops jsonl_ops = FILE_SINK_OPS("jsonl");

bool csv_sink_is_file(const struct sink *s)
{
	return s && (s->ops == &csv_ops || s->ops == &jsonl_ops);
}

int csv_sink_create(const struct csv_sink_options *o, struct sink **ret)
{
	bool jsonl = o && o->format == SINK_FORMAT_JSONL;
	struct csv_sink *cs;
	int r;

	if (!o || (!o->to_stdout && (!o->directory || !*o->directory)) ||
	    (o->to_stdout && !jsonl) || o->delimiter == '"' || o->delimiter == '\r' ||
	    o->delimiter == '\n')
		return -EINVAL;
	r = o->to_stdout ? 0 : io_mkdir_p(o->directory, 0750);
	if (r)
		return r;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	cs->dirfd = o->to_stdout ? -1 : open(o->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Refused now, not at the first row: a read-only file system (EROFS) or no permission. */
	if (!o->to_stdout &&
	    (cs->dirfd < 0 || faccessat(cs->dirfd, ".", W_OK | X_OK, AT_EACCESS) < 0)) {
		r = errno ? -errno : -EIO;
		if (cs->dirfd >= 0)
			close(cs->dirfd);
		free(cs);
		return r;
	}
	cs->format = jsonl ? SINK_FORMAT_JSONL : SINK_FORMAT_CSV;
	cs->ext = jsonl ? ".jsonl" : ".csv";
	cs->to_stdout = o->to_stdout;
	cs->sink.ops = jsonl ? &jsonl_ops : &csv_ops;
	cs->sink.priv = cs;
	cs->delimiter = o->delimiter ? o->delimiter : ',';
	cs->include_header = o->include_header;
	cs->formula_guard = o->formula_guard;
	cs->buffer_rows = o->buffer_rows ? o->buffer_rows : 1;
	cs->retention_days = o->retention_days;
	cs->start = o->start ? o->start : time(NULL);
	cs->now = cs->start;
	cs->retention_hour = cs->now / 3600;
	*ret = &cs->sink;
	return 0;
}

void csv_sink_health(struct sink *s, struct csv_health *h)
{
	struct csv_sink *cs;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (!csv_sink_is_file(s))
		return;
	cs = s->priv;
	for (i = 0; i < cs->nstreams; i++) {
		const struct csv_stream *st = cs->streams[i];

		if (!st)
			continue;
		h->rows_written += st->rows_written;
		h->rows_dropped += st->rows_dropped;
		h->write_errors += st->write_errors;
		h->rows_pending += st->nrows;
		if (st->failing && !h->failing) {
			h->failing = true;
			h->last_err = st->last_err;
		}
	}
	h->keep_rows = (unsigned long long)cs->buffer_rows * CSV_KEEP_FACTOR;
}

void csv_sink_stats(struct sink *s, unsigned long long *rows_written,
		    unsigned long long *rows_dropped, unsigned long long *write_errors)
{
	struct csv_health h;

	csv_sink_health(s, &h);
	if (rows_written)
		*rows_written = h.rows_written;
	if (rows_dropped)
		*rows_dropped = h.rows_dropped;
	if (write_errors)
		*write_errors = h.write_errors;
}
