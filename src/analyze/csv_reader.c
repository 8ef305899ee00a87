/* csv_reader.c - streaming RFC 4180 reader: a state machine over a fixed-size input window (runs
 * of plain bytes copied at once), so memory stays bounded whatever the file size. Accepts LF
 * and CRLF line ends. */
#include "analyze/csv_reader.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum csv_state {
	CSV_FIELD_START,
	CSV_UNQUOTED,
	CSV_QUOTED,
	CSV_QUOTE_SEEN, /* a quote inside a quoted field: an escaped quote or the closing one */
	CSV_CLOSED_CR,	/* CR right after a closing quote: only LF may follow */
};

struct csv_reader {
	int fd;
	bool is_mem;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	char delim;
	struct csv_limits lim;

	unsigned char *chunk; /* fd input: the read(2) buffer */
	const unsigned char *in;
	size_t in_len, in_pos;
	bool eof;
	uint64_t offset;
	unsigned long long line;

	/* The current record: field texts, each NUL-terminated, back to back in buf. */
	char *buf;
	size_t buf_len, buf_cap, buf_max;
	size_t *starts, *lens;
	char **fields;
	size_t nfields;
	size_t text_len; /* field bytes stored, NULs not counted: checked against max_record */
	size_t field_start;
	enum csv_state state;
	const char *error;
	bool overflow;	 /* max_record reached: bytes are no longer stored */
	bool skip;	 /* resyncing: everything up to the next LF is discarded */
	bool quoted_any; /* a quoted field was seen (so "" alone is not a blank line) */
	bool started;	 /* a byte of the record has been consumed */
	unsigned long long rec_line;
};

static struct csv_reader *csv_reader_alloc(char delim, const struct csv_limits *lim)
{
	struct csv_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->delim = delim;
	r->lim.max_record = lim && lim->max_record ? lim->max_record : CSV_DEFAULT_MAX_RECORD;
	r->lim.max_fields = lim && lim->max_fields ? lim->max_fields : CSV_DEFAULT_MAX_FIELDS;
	r->lim.chunk = lim && lim->chunk ? lim->chunk : CSV_DEFAULT_CHUNK;
	r->line = 1;
	/* Room for max_record text bytes plus one NUL per field. */
	r->buf_max = r->lim.max_record + r->lim.max_fields + 1;
	r->buf_cap = r->buf_max < 4096 ? r->buf_max : 4096;
	r->buf = malloc(r->buf_cap);
	r->starts = calloc(r->lim.max_fields, sizeof(*r->starts));
	r->lens = calloc(r->lim.max_fields, sizeof(*r->lens));
	r->fields = calloc(r->lim.max_fields, sizeof(*r->fields));
	if (!r->buf || !r->starts || !r->lens || !r->fields) {
		csv_reader_free(r);
		return NULL;
	}
	return r;
}

struct csv_reader *csv_reader_new_fd(int fd, char delim, const struct csv_limits *lim)
{
	struct csv_reader *r = csv_reader_alloc(delim, lim);

	if (!r)
		return NULL;
	r->fd = fd;
	r->chunk = malloc(r->lim.chunk);
	if (!r->chunk) {
		csv_reader_free(r);
		return NULL;
	}
	return r;
}

struct csv_reader *csv_reader_new_mem(const void *data, size_t len, char delim,
				      const struct csv_limits *lim)
{
	struct csv_reader *r = csv_reader_alloc(delim, lim);

	if (!r)
		return NULL;
	r->is_mem = true;
	r->mem = data;
	r->mem_len = len;
	return r;
}

void csv_reader_free(struct csv_reader *r)
{
	if (!r)
		return;
	free(r->chunk);
	free(r->buf);
	free(r->starts);
	free(r->lens);
	free(r->fields);
	free(r);
}

uint64_t csv_reader_offset(const struct csv_reader *r)
{
	return r->offset;
}

/* Returns 1 with a new window, 0 at the end of the input, -errno. Memory input is handed out a
 * chunk at a time too, so tests and the fuzzer exercise the window boundaries. */
static int csv_refill(struct csv_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->is_mem) {
		size_t left = r->mem_len - r->mem_pos;

		if (!left) {
			r->eof = true;
			return 0;
		}
		r->in = r->mem + r->mem_pos;
		r->in_len = left < r->lim.chunk ? left : r->lim.chunk;
		r->in_pos = 0;
		r->mem_pos += r->in_len;
		return 1;
	}
	do
		n = read(r->fd, r->chunk, r->lim.chunk);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->in = r->chunk;
	r->in_len = (size_t)n;
	r->in_pos = 0;
	return 1;
}

static void csv_mark_bad(struct csv_reader *r, const char *why)
{
	if (!r->error)
		r->error = why;
}

static int csv_reserve(struct csv_reader *r, size_t more)
{
	size_t cap;
	char *p;

	if (r->buf_len + more <= r->buf_cap)
		return 0;
	cap = r->buf_cap * 2;
	if (cap < r->buf_len + more)
		cap = r->buf_len + more;
	if (cap > r->buf_max)
		cap = r->buf_max;
	p = realloc(r->buf, cap);
	if (!p)
		return -ENOMEM;
	r->buf = p;
	r->buf_cap = cap;
	return 0;
}

static int csv_put(struct csv_reader *r, unsigned char c)
{
	if (r->overflow)
		return 0;
	if (r->text_len >= r->lim.max_record) {
		csv_mark_bad(r, "record too long");
		r->overflow = true;
		/* An open quote could swallow the rest of the file: resync at the next line end. */
		if (r->state == CSV_QUOTED)
			r->skip = true;
		return 0;
	}
	if (c == '\0') {
		csv_mark_bad(r, "NUL byte in a field");
		c = '?';
	}
	if (csv_reserve(r, 1) < 0)
		return -ENOMEM;
	r->buf[r->buf_len++] = (char)c;
	r->text_len++;
	return 0;
}

/* Stores n bytes that hold no NUL, as csv_put() would one by one. */
static int csv_put_n(struct csv_reader *r, const unsigned char *p, size_t n)
{
	size_t room;

	if (r->overflow)
		return 0;
	room = r->lim.max_record - r->text_len;
	if (n > room) {
		int err = csv_put_n(r, p, room);

		return err < 0 ? err : csv_put(r, p[room]);
	}
	if (csv_reserve(r, n) < 0)
		return -ENOMEM;
	memcpy(r->buf + r->buf_len, p, n);
	r->buf_len += n;
	r->text_len += n;
	return 0;
}

static int csv_end_field(struct csv_reader *r)
{
	if (r->nfields >= r->lim.max_fields) {
		csv_mark_bad(r, "too many fields");
		r->buf_len = r->field_start;
		return 0;
	}
	if (csv_reserve(r, 1) < 0)
		return -ENOMEM;
	r->starts[r->nfields] = r->field_start;
	r->lens[r->nfields] = r->buf_len - r->field_start;
	r->nfields++;
	r->buf[r->buf_len++] = '\0';
	r->field_start = r->buf_len;
	return 0;
}

static void csv_reset(struct csv_reader *r)
{
	r->buf_len = 0;
	r->text_len = 0;
	r->field_start = 0;
	r->nfields = 0;
	r->state = CSV_FIELD_START;
	r->error = NULL;
	r->overflow = false;
	r->skip = false;
	r->quoted_any = false;
	r->started = false;
	r->rec_line = r->line;
}

/* Fills ret from the finished record; returns 1, -EBADMSG, or 0 for a blank line (skipped). */
static int csv_finish(struct csv_reader *r, struct csv_record *ret)
{
	if (!r->error && r->nfields == 1 && r->lens[0] == 0 && !r->quoted_any)
		return 0;
	for (size_t i = 0; i < r->nfields; i++)
		r->fields[i] = r->buf + r->starts[i];
	ret->nfields = r->nfields;
	ret->field = r->fields;
	ret->len = r->lens;
	ret->line = r->rec_line;
	ret->error = r->error;
	return r->error ? -EBADMSG : 1;
}

/* Feeds one byte; returns 1 at the end of a record, 0 to go on, -ENOMEM. *again: the byte must
 * be fed again (it was only a lookahead). */
static int csv_feed(struct csv_reader *r, unsigned char c, bool *again)
{
	int err = 0;

	r->started = true;
	if (r->skip) {
		if (c != '\n')
			return 0;
		r->line++;
		return 1;
	}
	switch (r->state) {
	case CSV_FIELD_START:
		if (c == '"') {
			r->state = CSV_QUOTED;
			r->quoted_any = true;
		} else if (c == (unsigned char)r->delim) {
			err = csv_end_field(r);
		} else if (c == '\n') {
			r->line++;
			return csv_end_field(r) < 0 ? -ENOMEM : 1;
		} else {
			r->state = CSV_UNQUOTED;
			err = csv_put(r, c);
		}
		break;
	case CSV_UNQUOTED:
		if (c == (unsigned char)r->delim) {
			err = csv_end_field(r);
			r->state = CSV_FIELD_START;
		} else if (c == '\n') {
			/* CRLF: the CR belongs to the line end, not to the field. */
			if (!r->overflow && r->buf_len > r->field_start &&
			    r->buf[r->buf_len - 1] == '\r') {
				r->buf_len--;
				r->text_len--;
			}
			r->line++;
			return csv_end_field(r) < 0 ? -ENOMEM : 1;
		} else {
			if (c == '"')
				csv_mark_bad(r, "quote inside an unquoted field");
			err = csv_put(r, c);
		}
		break;
	case CSV_QUOTED:
		if (c == '"') {
			r->state = CSV_QUOTE_SEEN;
		} else {
			if (c == '\n')
				r->line++;
			err = csv_put(r, c);
		}
		break;
	case CSV_QUOTE_SEEN:
		if (c == '"') {
			r->state = CSV_QUOTED;
			err = csv_put(r, c);
		} else if (c == (unsigned char)r->delim) {
			err = csv_end_field(r);
			r->state = CSV_FIELD_START;
		} else if (c == '\n') {
			r->line++;
			return csv_end_field(r) < 0 ? -ENOMEM : 1;
		} else if (c == '\r') {
			r->state = CSV_CLOSED_CR;
		} else {
			csv_mark_bad(r, "text after a closing quote");
			r->state = CSV_UNQUOTED;
			err = csv_put(r, c);
		}
		break;
	case CSV_CLOSED_CR:
		if (c == '\n') {
			r->line++;
			return csv_end_field(r) < 0 ? -ENOMEM : 1;
		}
		csv_mark_bad(r, "text after a closing quote");
		r->state = CSV_UNQUOTED;
		err = csv_put(r, '\r');
		*again = true;
		break;
	}
	return err < 0 ? err : 0;
}

int csv_reader_next(struct csv_reader *r, struct csv_record *ret)
{
	int rc;

	csv_reset(r);
	for (;;) {
		bool again = false;
		unsigned char c;

		if (r->in_pos == r->in_len) {
			rc = csv_refill(r);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				if (!r->started)
					return 0;
				if (r->state == CSV_QUOTED && !r->skip)
					csv_mark_bad(
						r, "unterminated quoted field (truncated input?)");
				if (!r->skip && csv_end_field(r) < 0)
					return -ENOMEM;
				rc = csv_finish(r, ret);
				return rc ? rc : 0;
			}
		}
		/* Inside a field, runs of plain bytes are copied at once: the state machine only
		 * needs to see the bytes that can change its state. */
		if (!r->skip && (r->state == CSV_UNQUOTED || r->state == CSV_QUOTED)) {
			const unsigned char *p = r->in + r->in_pos, *q = p,
					    *end = r->in + r->in_len;
			unsigned char d = (unsigned char)r->delim;

			if (r->state == CSV_UNQUOTED)
				while (q < end && *q != d && *q != '\n' && *q != '"' && *q)
					q++;
			else
				while (q < end && *q != '"' && *q != '\n' && *q)
					q++;
			if (q > p) {
				if (csv_put_n(r, p, (size_t)(q - p)) < 0)
					return -ENOMEM;
				r->in_pos += (size_t)(q - p);
				r->offset += (uint64_t)(q - p);
				continue;
			}
		}
		c = r->in[r->in_pos++];
		r->offset++;
		rc = csv_feed(r, c, &again);
		if (again) {
			r->in_pos--;
			r->offset--;
		}
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		rc = csv_finish(r, ret);
		if (rc)
			return rc;
		csv_reset(r);
	}
}
