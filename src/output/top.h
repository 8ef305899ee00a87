/* top.h - the full-screen view of one aggregating monitor (--top), as top and biotop show
 * theirs: each interval's rows sorted by a column, at most a screenful, under a header of
 * totals; keys q (quit) and s/S (the next or previous sort column). */
#ifndef EM_TOP_H
#define EM_TOP_H

#include <stdbool.h>
#include <stdint.h>

#include "output/sink.h"

enum top_key {
	TOP_KEY_NONE, /* nothing that ends the view */
	TOP_KEY_QUIT, /* q: stop the program */
	TOP_KEY_EOF,  /* the input is gone (or not a terminal): stop watching it */
};

struct top_options {
	int in_fd, out_fd;   /* normally stdin and stdout; out_fd must be a terminal */
	const char *sort;    /* the column to sort by; NULL or unknown: "count" */
	const char *program; /* shown top left, e.g. "ebpf-monitor" */
};

/* The view as a sink in *ret (it takes the first stream added, -EBUSY for others), the
 * terminal taken (term_enter()). 0, -ENOTTY (out_fd is not a terminal), -ENOMEM. */
int top_sink_create(const struct top_options *o, struct sink **ret);
/* An interval of the stream ended (its rows all written): they become the view, redrawn.
 * interval_s: its length when it is the first. */
void top_sink_interval(struct sink *s, int stream, uint64_t end_ns, double interval_s);
/* The keys typed (in_fd readable). */
enum top_key top_sink_input(struct sink *s);
/* Every 0.1 s: redraws after a resize or a continue (Ctrl-Z, fg). */
void top_sink_poll(struct sink *s);
/* Gives the terminal back (idempotent; destroy does it too). */
void top_sink_end(struct sink *s);
/* Whether a column (by its static description) can sort the view: a number the table shows. */
bool top_sortable(const struct column *col);

#endif
