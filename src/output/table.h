/* table.h - the console's aligned table, shared by the appending table (console.c) and the
 * full-screen view (top.c): which columns fit a terminal's width, how wide each is, and one
 * line of it built with every string made safe for a terminal. */
#ifndef EM_TABLE_H
#define EM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/row.h"
#include "output/strbuf.h"

#define TABLE_TIME_WIDTH 22 /* "[2025-11-21 14:30:00]" and a space, as in the guide */
#define TABLE_FLEX_MIN 16   /* the free-text column (COL_FLEX) is never made narrower */
#define TABLE_MAX_COLS 64

/* One line being built (NUL-terminated in sb); one write(2) each. */
struct tline {
	struct strbuf sb;
	size_t cols; /* columns the line takes so far */
};

struct table_layout {
	const struct column *cols; /* borrowed */
	size_t ncols;
	bool time;	/* a TIME column first (the appending table; not the top view) */
	unsigned width; /* the terminal's columns; 0: not a terminal, rows as long as needed */
	size_t w[TABLE_MAX_COLS]; /* each column's width; 0: not shown */
	size_t last;		  /* the last column shown (ncols: none) */
	size_t flex;		  /* the free-text column shown (ncols: none) */
};

/* Whether the column is one the console shows at all (console_width set, not a time column). */
bool table_column_shown(const struct column *col);
/* The columns shown at `width` terminal columns (0: all, at their console_width, as when
 * writing to a pipe): left to right while they fit, the free-text one at a third of the width
 * (less if the column after it would not fit then; never below TABLE_FLEX_MIN); then the
 * free-text column gets what is left. -EINVAL when there are more than TABLE_MAX_COLS. */
int table_layout(struct table_layout *t, const struct column *cols, size_t ncols, bool time,
		 unsigned width);
/* The header line ("TIME  COMM ...", names upper-cased) into l, replacing what it held. */
int table_header(struct tline *l, const struct table_layout *t);
/* One row's line into l, replacing what it held: cells (one per column, as in struct row), with
 * ts_ns for the TIME column. On a terminal no line is wider than t->width: strings longer than
 * their column lose their middle to an ellipsis, and whatever still overflows is cut. */
int table_row(struct tline *l, const struct table_layout *t, uint64_t ts_ns,
	      const struct cell *cells);
/* Appends s made safe for a terminal (control characters, C1 and bytes that are not UTF-8
 * become '?'), at most `max` columns of it (0: all), shortened in the middle. */
int tline_put(struct tline *l, const char *s, size_t max);
/* Appends spaces up to column `col` (at least one when `sep`). */
int tline_pad_to(struct tline *l, size_t col, bool sep);
/* Cuts the line to `width` columns (0: no limit). */
void tline_cut(struct tline *l, size_t width);
void tline_free(struct tline *l);

#endif
