/* csv_reader.h - a streaming RFC 4180 reader with bounded memory: one record at a time, limits on
 * record size and field count, malformed records reported (and skipped past) instead of fatal. */
#ifndef EM_ANALYZE_CSV_READER_H
#define EM_ANALYZE_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#define CSV_DEFAULT_MAX_RECORD (1u << 20) /* bytes of field text in one record */
#define CSV_DEFAULT_MAX_FIELDS 256u
#define CSV_DEFAULT_CHUNK (256u << 10) /* bytes asked of read(2) at a time */

struct csv_limits {
	size_t max_record;
	size_t max_fields;
	size_t chunk;
};

/* One record; the strings are owned by the reader and valid until its next call. */
struct csv_record {
	size_t nfields;
	char **field; /* NUL-terminated; a field holding a NUL byte makes the record bad */
	size_t *len;
	unsigned long long line; /* physical line (1-based) the record starts on */
	const char *error;	 /* why the record is malformed (csv_reader_next() == -EBADMSG) */
};

struct csv_reader;

/* A reader over fd (not closed by the reader) or over len bytes at data (not copied: they must
 * outlive the reader). delim is the field separator. lim NULL: the defaults. NULL on OOM. */
struct csv_reader *csv_reader_new_fd(int fd, char delim, const struct csv_limits *lim);
struct csv_reader *csv_reader_new_mem(const void *data, size_t len, char delim,
				      const struct csv_limits *lim);

/* Reads the next record into *ret. Returns 1 for a record, 0 at the end of the input,
 * -EBADMSG for a malformed record (ret->line and ret->error say where and why; the reader has
 * already moved past it, so the next call goes on), or -errno when reading fails. Blank lines
 * are skipped. */
int csv_reader_next(struct csv_reader *r, struct csv_record *ret);

/* Bytes consumed so far. */
uint64_t csv_reader_offset(const struct csv_reader *r);

/* NULL-safe. */
void csv_reader_free(struct csv_reader *r);

#endif
