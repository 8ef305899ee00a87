/* metric.h - the metrics a monitor's rows become (the Prometheus sink): each monitor declares
 * them beside its columns, by column index, and hands them to the sinks with its stream. */
#ifndef EM_METRIC_H
#define EM_METRIC_H

#include <stdbool.h>

#define METRIC_MAX_LABELS 4

enum metric_label_kind {
	ML_COLUMN, /* a column's value (numbers as text) */
	ML_FIXED,  /* a constant */
	ML_RESULT, /* "success" when the (COL_S64) column is 0, else "error" */
};

struct metric_label {
	const char *name; /* NULL: no more labels */
	enum metric_label_kind kind;
	int col;	   /* ML_COLUMN, ML_RESULT: the column's index */
	const char *value; /* ML_FIXED: the constant */
	bool bounded;	   /* free text (task names, paths): max_label_values applies */
};

struct metric_spec {
	const char *family; /* metrics sharing a family add to the same series */
	const char *help;   /* on the first metric of a family; NULL on the others */
	bool histogram;	    /* from row.hist; value and minus unused (-1) */
	int value;	    /* column added to the counter; -1: 1 per row */
	int minus;	    /* column subtracted from it; -1: none */
	struct metric_label labels[METRIC_MAX_LABELS];
};

/* A metric whose columns a stream lacks (an index >= its ncols: configure() dropped trailing
 * columns) is left out. */

#define METRIC_COL(n, c)                                   \
	{                                                  \
		.name = (n), .kind = ML_COLUMN, .col = (c) \
	}
#define METRIC_COL_BOUNDED(n, c)                                            \
	{                                                                   \
		.name = (n), .kind = ML_COLUMN, .col = (c), .bounded = true \
	}
#define METRIC_FIXED(n, v)                                             \
	{                                                              \
		.name = (n), .kind = ML_FIXED, .col = -1, .value = (v) \
	}
#define METRIC_RESULT(n, c)                                \
	{                                                  \
		.name = (n), .kind = ML_RESULT, .col = (c) \
	}

#endif
