/* report_out.h - the output interface between the report model and its back ends. The report
 * code calls the out_* functions of report.h (render.c); they compute the model (a ranking's
 * rows, a chart's regrouped buckets, a heat map's rows) and hand it to the back end that
 * struct out's mode picks: text.c or html.c. The back ends share the model (model.c) and
 * nothing else. */
#ifndef EM_ANALYZE_REPORT_OUT_H
#define EM_ANALYZE_REPORT_OUT_H

#include "analyze/report.h"

/* A computed ranking: the rows shown, their cells, and what was left out. */
struct rk_rows {
	size_t n;		      /* rows shown */
	const struct agg_item *items; /* n rows, in order */
	char **cells;		      /* n * ncols strings */
	double total;		      /* of the ranked value over every key */
	size_t nkeys;		      /* keys that ranked (after prefix and skip_zero) */
	double rest;		      /* ranked value of the keys not shown */
	size_t nrest;
	double other;			    /* the "(other)" bucket's ranked value */
	unsigned long long evicted, folded; /* keys evicted into it, lookups that found no room */
	bool has_balance;
	double balance; /* Jain's index over the keys */
	const struct agg_item *busiest;
	double busiest_share;
};

/* A computed heat map: the regrouped series, the rows (slots) with any value, the top rate. */
struct heat_rows {
	const struct series *g;
	const size_t *rows;
	size_t nrows;
	double top; /* the highest value per second of a cell */
};

struct report_out {
	size_t ts_points; /* buckets a time-series chart is regrouped to, at most */
	size_t heat_cols; /* columns of a heat map, at most */
	/* NULL, or the columns of h's map that fit o: fewer than heat_cols on a narrow terminal */
	size_t (*heat_fit)(struct out *o, const struct heatmap *h);
	void (*doc_begin)(struct out *o, const struct analyze_opts *opts); /* NULL: nothing */
	void (*doc_end)(struct out *o);					   /* NULL: nothing */
	void (*section_begin)(struct out *o, const struct report_type *t);
	void (*section_end)(struct out *o); /* NULL: nothing */
	void (*heading)(struct out *o, const char *title);
	void (*kv)(struct out *o, const char *label, const char *value);
	void (*note)(struct out *o, const char *text);
	void (*ranking)(struct out *o, const struct ranking *rk, const struct rk_rows *rows);
	void (*tschart)(struct out *o, const struct tschart *c, const struct series *g);
	void (*heatmap)(struct out *o, const struct heatmap *h, const struct heat_rows *hr);
};

extern const struct report_out report_out_text; /* text.c */
extern const struct report_out report_out_html; /* html.c */

/* ---- the model (model.c), for the back ends ---- */

const char *rk_cell(const struct rk_rows *rows, const struct ranking *rk, size_t i, size_t c);
/* What "(other)" holds, as a sentence; false when it holds nothing. */
bool rk_other_text(const struct ranking *rk, const struct rk_rows *rows, char *buf, size_t len);
/* Label of a row for charts: its key parts (after the prefix) joined by key_join. */
void rk_label(const struct ranking *rk, const struct agg_item *it, char *buf, size_t len);
/* Whether column c is text (left-aligned). */
bool rk_col_is_text(const struct rk_col *c);
/* The share of x in total, in %: 0 when the total is not positive. */
double rk_pct(double x, double total);
/* Fills rows; *ret_items is the array rows->items points into; rk_rows_free() frees both.
 * 0 or -ENOMEM. */
int rk_compute(const struct ranking *rk, struct rk_rows *rows, struct agg_item **ret_items);
void rk_rows_free(struct rk_rows *rows, struct agg_item *items, size_t ncols);
/* The rows of g (a regrouped heat map) with any value, and the top rate; caller frees
 * *ret_rows. 0 or -ENOMEM. */
int heat_rows_compute(const struct series *g, size_t **ret_rows, struct heat_rows *hr);

#endif
