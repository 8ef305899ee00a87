/* analyze.h - ebpf-monitor-analyze's options and its two commands: the report run and split. */
#ifndef EM_ANALYZE_H
#define EM_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>

#include "analyze/period.h"

/* Exit codes, also in --help and the man page. */
#define ANALYZE_EXIT_OK 0
#define ANALYZE_EXIT_ERROR 1   /* a report or output file could not be written, input unreadable */
#define ANALYZE_EXIT_USAGE 2   /* bad command line */
#define ANALYZE_EXIT_NO_DATA 3 /* no input file for the type(s) and period asked for */

#define ANALYZE_DEFAULT_TOP 10
#define ANALYZE_DEFAULT_MAX_KEYS 20000
/* Bytes one aggregation table may hold; a report has at most eight. */
#define ANALYZE_TABLE_BYTES (4u << 20)

struct analyze_opts {
	struct period period;
	const char *input_dir;	 /* "output" */
	const char *hostname;	 /* NULL, or a subdirectory of input_dir (and of reports_dir) */
	const char *reports_dir; /* NULL: no report files */
	const char *html_path;	 /* NULL: no HTML report */
	size_t top;
	size_t max_keys;
	char delim;
	bool quiet;	     /* nothing on stdout */
	unsigned types;	     /* bit i: report_types[i] */
	bool types_explicit; /* --type named them (a missing one is an error) */
	char *const *files;  /* explicit input files instead of scanning input_dir */
	size_t nfiles;
};

/* Runs the reports; returns an ANALYZE_EXIT_* code. Messages go to stderr. */
int analyze_run(const struct analyze_opts *o);

struct split_opts {
	const char *input_dir;
	const char *output_dir; /* NULL: <input_dir>/by-day */
	char delim;
	bool force;
	bool quiet;
	char *const *files;
	size_t nfiles;
};

/* Cuts CSV files into one file per local day; returns an ANALYZE_EXIT_* code. */
int split_run(const struct split_opts *o);

#endif
