/* sink.h - the interface every output (CSV, JSON lines, console, Prometheus) implements. */
#ifndef EM_SINK_H
#define EM_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "output/metric.h"
#include "output/row.h"

struct sink;

/* How a monitor is doing, for the sinks that export it (Prometheus); the others ignore it. */
struct stream_probe {
	const char *point;     /* attach point, e.g. "sys_exit" */
	const char *mechanism; /* the alternative that attached, e.g. "raw_tracepoint" */
};

struct stream_health {
	bool stopped;			   /* the monitor stopped: forget its probes */
	const struct stream_probe *probes; /* NULL: unchanged since the last call */
	size_t nprobes;
	/* Losses of this stream's monitor since it started (monotonic per stream). */
	uint64_t lost_perf, lost_map_full, lost_unmatched, lost_recursion;
	/* Under an overhead budget, the 1-in-N the monitor counts now; 0: it does not sample. */
	unsigned sample_rate;
	/* Attribution (monitors/attrib.h) is on for the monitor; then unattributed: what it
	 * counted under cgroup "unknown" since it started (monotonic per stream, like lost_*). */
	bool attribution;
	uint64_t unattributed;
};

/* A stream: one monitor's rows, their columns and the metrics they become. */
struct stream_desc {
	const char *monitor;	   /* copied */
	const struct column *cols; /* borrowed: valid until the sink's destroy */
	size_t ncols;
	const struct metric_spec *metrics; /* borrowed, like cols; NULL: none */
	size_t nmetrics;
};

struct sink_ops {
	const char *name;
	/* Declares a stream (one per monitor); stream ids are small, dense, chosen by the caller.
	 * `d` itself may be temporary; what it points to is kept as it says. */
	int (*add_stream)(struct sink *s, int stream, const struct stream_desc *d);
	/* Returns 0 or -errno; a failed row is counted by the sink, never half-written. */
	int (*write_row)(struct sink *s, int stream, const struct row *r);
	/* Writes buffered rows; with sync, also fsync()s. */
	int (*flush)(struct sink *s, bool sync);
	/* Called about once a second: day rollover, retention. */
	int (*tick)(struct sink *s, time_t now);
	/* Reopen files (SIGHUP, external rotation). May be NULL. */
	int (*reopen)(struct sink *s);
	/* Flushes, syncs, closes, frees; NULL-safe at the call site via sink_destroy(). */
	void (*destroy)(struct sink *s);
	/* A stream's monitor's health (attach choices at start, loss counters every second, the
	 * stop). May be NULL. */
	void (*health)(struct sink *s, int stream, const struct stream_health *h);
};

struct sink {
	const struct sink_ops *ops;
	void *priv;
};

static inline void sink_destroy(struct sink *s)
{
	if (s && s->ops && s->ops->destroy)
		s->ops->destroy(s);
}

enum sink_format {
	SINK_FORMAT_CSV,
	SINK_FORMAT_JSONL, /* one JSON object per row (json.h), files named <monitor>_<time>.jsonl */
};

struct csv_sink_options {
	enum sink_format format;
	bool to_stdout;	       /* JSONL only: every stream to stdout (no files) */
	const char *directory; /* created if missing (mode 0750); unused with to_stdout */
	char delimiter;
	bool include_header;
	bool formula_guard;      /* text cells starting with = + - @ TAB CR get a leading ' */
	unsigned buffer_rows;    /* rows kept in memory before a write(2) */
	unsigned retention_days; /* 0: keep forever */
	time_t start;            /* names the first file of each stream */
};

/* A CSV or JSON-lines sink (same naming, rotation and retention; delimiter and header apply to
 * CSV only) in *ret. 0, or -errno: -EINVAL for options that cannot work, the output directory's
 * error (-EROFS, -EACCES, -ENOTDIR...) when it cannot be created or written, -ENOMEM. */
int csv_sink_create(const struct csv_sink_options *o, struct sink **ret);
/* Totals over all streams: rows in the files, rows dropped (memory bound reached while writes
 * failed, or out of memory), failed write attempts. Zeroes when `s` is not a CSV/JSONL sink. */
void csv_sink_stats(struct sink *s, unsigned long long *rows_written,
		    unsigned long long *rows_dropped, unsigned long long *write_errors);

struct csv_health {
	unsigned long long rows_written, rows_dropped, write_errors;
	unsigned long long rows_pending; /* rendered, not in a file yet */
	unsigned long long keep_rows;	 /* the most rows kept per monitor while writes fail */
	bool failing;			 /* some stream's last write (or file creation) failed */
	int last_err;			 /* -errno of that failure */
};
/* The same totals as csv_sink_stats, and whether writing fails right now. */
void csv_sink_health(struct sink *s, struct csv_health *h);
/* A CSV or JSON lines file sink (csv_sink_create)? */
bool csv_sink_is_file(const struct sink *s);

/* Live table on `fd` (normally stdout) for exactly one stream at a time (after its monitor
 * stops, e.g. restarted by a reload, the next stream added), in *ret. 0, -EBADF or -ENOMEM.
 * When fd is a terminal the rows fit its width (again after each resize) and the header is
 * repeated every screenful; otherwise rows are written whole. */
int console_sink_create(int fd, struct sink **ret);
/* The same at a given terminal size (width 0: not a terminal), for tests. */
int console_sink_create_sized(int fd, unsigned width, unsigned height, struct sink **ret);

/* Writes `s` as one RFC 4180 field (quoted only when it holds the delimiter, '"', CR, LF, or
 * leading/trailing space; NULL is empty) to buf: at most len-1 bytes and a NUL. Returns the
 * length of the whole field (like snprintf), so a result >= len means it was cut. */
size_t csv_quote_field(const char *s, char delimiter, char *buf, size_t len);
/* True when a spreadsheet would take s as a formula: it starts with '=', '+', '-', '@', TAB or
 * CR. With output.csv_formula_guard such text cells are written with a leading '. */
bool csv_formula_lead(const char *s);

#endif
