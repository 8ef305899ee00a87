/* row.h - typed rows and column descriptions shared by monitors and sinks. */
#ifndef EM_ROW_H
#define EM_ROW_H

#include <stddef.h>
#include <stdint.h>

enum col_type {
	COL_TIMESTAMP, /* epoch seconds with milliseconds, rendered from row.ts_ns */
	COL_TIMESTR,   /* "[YYYY-MM-DD HH:MM:SS.mmm]" local time, from row.ts_ns */
	COL_STR,
	COL_U64,
	COL_S64,
	COL_F64,
};

struct column {
	const char *name;   /* CSV header, JSON key */
	enum col_type type;
	int precision;      /* COL_F64: digits after the point */
	int console_width;  /* 0: not shown in the console table; COL_FLEX(n): the free-text
			       column (path, name): n wide in a pipe, on a terminal what the
			       other columns leave (output/table.h) */
};

#define COL_FLEX(n) (-(n))

/* One cell per column, in column order; TIMESTAMP/TIMESTR cells are unused. */
struct cell {
	union {
		const char *s; /* borrowed; NULL renders as empty */
		uint64_t u;
		int64_t i;
		double f;
	};
};

/* A latency histogram riding along with a row (bio's in-kernel log2 buckets): not a column, so
 * CSV and JSON lines do not show it; the Prometheus sink turns it into a histogram. Slot 0 counts
 * values below 1 us, slot k (1..nslots-2) values in [2^(k-1), 2^k) us, the last slot the rest. */
struct row_hist {
	const uint64_t *slots; /* borrowed, like the cells */
	unsigned nslots;
	double sum_seconds; /* of all the values counted */
};

struct row {
	uint64_t ts_ns; /* CLOCK_REALTIME nanoseconds */
	const struct cell *cells;
	const struct row_hist *hist; /* NULL for most monitors */
	uint32_t who; /* attribution class (monitors/attrib.h), 0: none; monitor_emit() adds
			 the cells */
};

/* Renders a non-string cell as text (COL_F64: NaN/inf as ""); returns the length, like snprintf,
 * or -1 for COL_TIMESTAMP/COL_TIMESTR/COL_STR. */
int fmt_cell_number(const struct column *col, const struct cell *c, char *buf, size_t len);

#endif
