/* report.h - what a report type is (columns it reads by header name, its aggregation state,
 * one render function for both the text and the HTML report) and the output primitives
 * it renders with: the model it describes, never a back end. */
#ifndef EM_ANALYZE_REPORT_H
#define EM_ANALYZE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/agg.h"
#include "analyze/analyze.h"
#include "analyze/csv_reader.h"

#define ACOL_MAX 16
#define REPORT_MAX_EXAMPLES 5

enum acol_kind {
	ACOL_STR,
	ACOL_UINT, /* non-negative integer */
	ACOL_INT,  /* integer, may be negative */
	ACOL_NUM,  /* finite decimal number */
};

/* A column a report reads, found by its header name. */
struct acol {
	const char *name;
	enum acol_kind kind;
	bool required; /* a file without it is skipped; a row with an empty number is malformed */
};

/* One row: cells of the type's columns, in the order of its acol array. */
struct arow {
	int64_t ts_ms;
	const char *s[ACOL_MAX];
	size_t len[ACOL_MAX];
	double n[ACOL_MAX];
	bool has[ACOL_MAX]; /* the file has the column and the cell is not empty */
};

/* Attribution (ebpf-monitor's `attribution:`): a file with a `unit` column gets a per-unit
 * ranking of its type's measures, one with non-empty `container_id` cells a per-container one
 * (attrib.c). Those columns are found by header name like the type's own but are not among
 * them: a file without them reports exactly as it did before they existed. */
enum attrib_measure_kind {
	AM_SUM,	    /* the sum of column col */
	AM_ROWS,    /* one per row (event monitors: exec) */
	AM_NONZERO, /* rows whose column col is there and not 0 (a failed exec's ret) */
};

struct attrib_measure {
	const char *title; /* "calls"; NULL: none (past the last) */
	enum attrib_measure_kind kind;
	int col;	       /* the type's column (AM_SUM, AM_NONZERO) */
	const char *pct_title; /* non-NULL: also as a % of the first measure ("err%") */
	bool mib;	       /* bytes, shown in MiB */
};

#define ATTRIB_MEASURES 2
enum { ATTRIB_UNIT, ATTRIB_CONTAINER, ATTRIB_NKEYS };

/* Its state, in struct report_base: a table per key (made at the first row that has the
 * column), and what rows outside any container add up to. */
struct report_attrib {
	struct agg_table *t[ATTRIB_NKEYS];
	double outside[ATTRIB_MEASURES]; /* rows with an empty container_id */
};

/* What reading the files saw, for the report header. */
struct report_stats {
	size_t files, files_skipped;
	unsigned long long rows, used, outside, malformed;
	int64_t first_ms, last_ms; /* used rows only; first_ms > last_ms when none */
	int64_t interval_ms;	   /* most common gap between timestamps, 0 when unknown */
	struct report_gap {
		int64_t ms; /* to 100 ms */
		unsigned long long n;
	} gaps[8];
	size_t ngaps;
	size_t col_files[ACOL_MAX];	   /* files that had column i */
	size_t attrib_files[ATTRIB_NKEYS]; /* files that had unit, container_id */
	char examples[REPORT_MAX_EXAMPLES][160];
	size_t nexamples;
};

struct out;
struct report_ctx;

#define REPORT_MAX_TABLES 8
#define REPORT_HEAT_CPUS 1024 /* rows of a per-CPU heat map; higher CPUs are counted as left out */
#define REPORT_HEAT_BUCKETS 240 /* time columns kept for it (fewer are drawn) */

/* The start of every type's state: its tables (indexed by the type's own enum), its time series,
 * and one slot per CPU over time for the types with a heat map (memory only once used). */
struct report_base {
	struct agg_table *t[REPORT_MAX_TABLES];
	struct series ts;
	struct series heat;
	struct report_attrib attrib; /* attrib.c's */
};

struct report_type {
	const char *name;  /* as in --type and the CSV file names */
	const char *title; /* "system calls" */
	bool events;	   /* one row per event (exec), not per interval */
	const struct acol *cols;
	size_t ncols;
	/* NULL, or why a file whose header binds these columns cannot be used. */
	const char *(*check_columns)(const bool *bound);
	/* The state: state_size bytes starting with struct report_base, ntables tables of nvals
	 * values (keep, max_mask: see agg_table_new(); keep NULL: slot 0), ts_slots values per
	 * time bucket. */
	size_t state_size, ntables;
	unsigned nvals;
	const unsigned *keep;
	uint32_t max_mask;
	size_t ts_slots;
	void (*init)(void *state);    /* optional: what calloc does not set up */
	void (*release)(void *state); /* optional: frees what init allocated */
	void (*row)(void *state, const struct arow *r);
	void (*render)(void *state, const struct report_ctx *ctx, struct out *o);
	/* Per unit / per container: what is summed per key, ranked by the first measure. */
	struct attrib_measure attrib[ATTRIB_MEASURES];
};

struct report_ctx {
	const struct analyze_opts *opts;
	const struct report_type *type;
	struct report_stats st;
	char file_list[512]; /* the first files' names, for the header */
};

/* report_types[] in --type order, NULL-terminated. */
extern const struct report_type *const report_types[];
const struct report_type *report_type_find(const char *name);
int report_type_index(const struct report_type *t);

/* Reading: one stream of CSV records (a file) into state. name is for messages. Returns 0, or
 * -errno when reading failed (rows before the failure are kept). */
int report_read_stream(struct report_ctx *ctx, void *state, struct csv_reader *r, const char *name);
void report_ctx_init(struct report_ctx *ctx, const struct report_type *t,
		     const struct analyze_opts *o);

/* A new state for type t, NULL on OOM; report_state_free() is NULL-safe. */
void *report_state_new(const struct report_type *t, const struct analyze_opts *o);
void report_state_free(const struct report_type *t, void *state);

/* Helpers for types. */
/* Adds x at ts to the heat map row of cpu. */
void report_heat_add(struct report_base *b, int64_t ts_ms, double cpu, double x);
/* Seconds the used rows cover (intervals: first to last plus one interval), 0 when unknown. */
double report_span_s(const struct report_ctx *ctx);
/* The narrowest chart bucket worth drawing: the sampling interval, to 100 ms. */
int64_t report_min_width(const struct report_ctx *ctx);
/* The keys of t by slot, largest first (ties by key); caller frees. */
struct agg_item *rk_sorted(const struct agg_table *t, int slot, size_t *ret_n);
/* The key of columns cols[n] of r in buf (AGG_KEY_MAX bytes), dflt for an empty cell; returns its
 * length. */
size_t arow_key(const struct arow *r, char *buf, size_t n, const int *cols, const char *dflt);
const char *errno_label(long err, char *buf, size_t len); /* "ENOENT", "errno 200" */
/* Which of names[n] the row's type is: from the text column s_col, else from the number column
 * n_col (the monitor's enum, in names' order); -1 when neither says. */
int arow_enum(const struct arow *r, int s_col, int n_col, const char *const *names, size_t n);

/* ---- Output: one render function, text or HTML (report_out.h: the back ends) ---- */

enum out_mode { OUT_TEXT, OUT_HTML };

struct out {
	FILE *f;
	enum out_mode mode;
	const char *type; /* prefix for element ids */
	int seq;
	bool in_kv; /* HTML: inside the overview table */
};

enum rk_kind {
	RK_KEY,	    /* key part a */
	RK_VAL,	    /* v[a] */
	RK_SHARE,   /* v[slot] / the total of slot, in % */
	RK_CUM,	    /* cumulative share, in % */
	RK_PCT,	    /* 100 * v[a] / v[b] */
	RK_RATIO,   /* v[a] / v[b]: e.g. latency sum over the count it was measured on */
	RK_MIB,	    /* v[a] / 2^20 */
	RK_IF,	    /* v[a] where v[b] > 0, else "-" (a maximum over measured rows only) */
	RK_FN,	    /* fn(fn_ctx, item), a number */
	RK_FN_TEXT, /* fn(fn_ctx, item), text (left-aligned) */
};

struct agg_item;
struct rk_col {
	const char *title;
	enum rk_kind kind;
	int a, b;
	int prec;
	const char *(*fn)(const void *ctx, const struct agg_item *it, char *buf, size_t len);
};

#define RK_MAX_COLS 12

struct ranking {
	const char *id;		/* element id suffix, e.g. "top-syscalls" */
	const char *title;	/* "syscalls by calls" */
	const char *value_name; /* the ranked value: "calls" */
	const struct agg_table *t;
	int slot;
	struct rk_col cols[RK_MAX_COLS];
	size_t ncols;
	size_t top;		  /* 0: every key */
	bool skip_zero;		  /* keys whose ranked value is 0 are left out */
	bool by_key_number;	  /* ordered by key (a number: CPUs, nodes), not by value */
	const char *balance;	  /* non-NULL: a balance score over the keys, named so ("CPUs") */
	bool bars;		  /* HTML: a bar chart of the ranked value */
	const char *prefix;	  /* only keys starting with it (a key part and AGG_KEY_SEP) */
	const char *key_join;	  /* between key parts in chart labels: " / " */
	size_t label_parts;	  /* key parts in chart labels, 0: all */
	const char *label_prefix; /* before chart labels: "cpu " */
	const char *empty;	  /* said when nothing ranks */
	const void *fn_ctx;
};

/* A time-series line: the sum of slot per second of bucket, or with den >= 0 the ratio of the
 * sums of slot and den (an average), times scale. */
struct ts_line {
	const char *name;
	int slot, den;
	double scale;
	int prec; /* digits after the point in the text report */
};

struct tschart {
	const char *id, *title, *unit;
	const struct series *s;
	struct ts_line lines[4];
	size_t nlines;
	int64_t min_width_ms;
};

struct heatmap {
	const char *id, *title, *unit, *row_name; /* row_name: "cpu" */
	const struct series *s;			  /* one slot per row */
	int64_t min_width_ms;
};

/* The document around the sections (HTML: head and navigation; text: nothing). */
void out_doc_begin(struct out *o, const struct analyze_opts *opts);
void out_doc_end(struct out *o);
/* A type's section: its title; report_render() writes both ends. */
void out_section_begin(struct out *o, const struct report_type *t);
void out_section_end(struct out *o);
void out_heading(struct out *o, const char *title);
void out_kv(struct out *o, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void out_note(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A count of distinct keys: "12", or "at least 12" when keys were evicted (--max-keys). */
void out_kv_keys(struct out *o, const char *label, const struct agg_table *t);
void out_ranking(struct out *o, const struct ranking *rk);
void out_tschart(struct out *o, const struct tschart *c);
void out_heatmap(struct out *o, const struct heatmap *h);

/* rk as a ranking of t by slot, at most top rows (0: every key), its value named value_name
 * (in "... more" and chart titles): no columns yet, every other field 0. */
void rk_init(struct ranking *rk, const char *id, const char *title, const char *value_name,
	     const struct agg_table *t, int slot, size_t top);
/* Appends a column to rk. */
void rk_add(struct ranking *rk, const char *title, enum rk_kind kind, int a, int b, int prec);
/* Appends the ranked value (titled so), its share and the cumulative share. */
void rk_add_ranked(struct ranking *rk, const char *title);
/* Appends "avg_us" (v[sum] / v[weight]) and, with max >= 0, "max_us" (v[max] where measured). */
void rk_add_latency(struct ranking *rk, int sum, int weight, int max);
/* Appends v[part] and 100 * v[part] / v[whole]: "errors", "err%". */
void rk_add_part(struct ranking *rk, const char *title, const char *pct_title, int part, int whole);
/* A per-key distribution (CPUs, NUMA nodes): the keys of t by key number with their count,
 * share and two parts of it, a balance score over the keys (named what) and bars. */
struct rk_dist {
	const char *id, *title, *value_name, *what, *key, *label_prefix;
	int slot;
	const char *part_title[2];
	int part_slot[2];
};
void out_distribution(struct out *o, const struct agg_table *t, const struct rk_dist *d);
/* The per-CPU heat map of b and its two-line chart over time (slots 0 and 1 of b's series),
 * both of what ("interrupts"): the heat map types'. */
void out_cpu_charts(struct out *o, const struct report_ctx *ctx, const struct report_base *b,
		    const char *what, const char *line0, const char *line1);
/* Line l of a time series chart at bucket b of g: a rate per second, or a ratio; NAN for none. */
double ts_line_value(const struct series *g, size_t b, const struct ts_line *l);

/* The common header (period, files, rows, malformed) and the report around render(). */
void report_render(const struct report_ctx *ctx, void *state, struct out *o);

/* attrib.c: the attribution columns' positions in a header (-1: none) into idx, counted in
 * ctx's stats when count; one used row into b's per-unit and per-container tables (0 or
 * -ENOMEM: the tables could not be made); the sections, after the type's own (nothing when no
 * file had the columns); the tables freed. */
void report_attrib_bind(struct report_ctx *ctx, const struct csv_record *rec, int *idx, bool count);
int report_attrib_row(const struct report_ctx *ctx, struct report_base *b, const int *idx,
		      const struct csv_record *rec, const struct arow *row);
void report_attrib_render(const struct report_ctx *ctx, const struct report_base *b, struct out *o);
void report_attrib_free(struct report_base *b);

/* Text sanitised for output: control bytes as '?', at most max bytes ("..." when cut). */
void text_clean(const char *s, size_t len, size_t max, char *buf, size_t buflen);

#endif
