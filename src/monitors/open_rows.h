/* open_rows.h - how the open monitor turns a drained key and its per-CPU values into row text:
 * the merge of the CPUs, the most frequent errno, the path, the flags and the syscall's name. */
#ifndef EM_OPEN_ROWS_H
#define EM_OPEN_ROWS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "probes/open.h"

/* "open", "openat", "openat2"; "?" for anything else. */
const char *open_op_name(unsigned op);
/* Adds one CPU's value to *sum; a CPU that counted nothing leaves the minimum alone. */
void open_value_merge(struct open_value *sum, const struct open_value *cpu);
/* The most frequent errno (the earlier bucket on a tie), positive; 0 without errors. The
 * "other" bucket is named by the last such errno seen. */
int open_top_errno(const struct open_value *v);
/* The path as the row shows it: a truncated one ends with "..." (after whole characters).
 * Writes like snprintf; returns the length the text needs. */
int open_filename_text(const struct open_key *k, char *buf, size_t len);
/* open_flags_fmt() for the flags (their low 32 bits); hi non-zero (the key's flags_hi: openat2's
 * how.flags had bits above 31, which the kernel refuses) adds "|bits32-63". Writes like
 * snprintf. */
int open_flags_text(__u32 flags, unsigned hi, char *buf, size_t len);

/* A drained count: its key (the path whole) and its CPUs merged. */
struct open_row {
	struct open_key key;
	struct open_value v;
};
/* Two struct open_row in order by key, the epoch aside: comm, path, operation, flags, cut or
 * not, class (a qsort and agg_batch_coalesce comparison). */
int open_row_key_cmp(const void *a, const void *b);
/* Adds the row from into the row into, of the same key (agg_batch_coalesce: for attribution,
 * two who values of a drain may turn out to be one class): open_value_merge(), sums, the
 * minimum of those that counted, the maximum, the errno buckets. */
void open_row_add(void *into, const void *from);

/* The fast path's paths (struct open_path in open_paths) of one drained epoch, by id. */
struct open_path_ref {
	__u64 id;
	size_t off; /* into the table's text */
	size_t len; /* without the terminator */
};
struct open_paths_table {
	struct open_path_ref *refs;
	size_t n, cap;
	char *text;
	size_t used, text_cap;
	bool sorted;
	size_t dropped; /* paths that did not fit in memory */
};
/* An agg_drain_cb (ctx: the table): keeps a drained open_paths entry. */
void open_paths_add(void *ctx, const void *key, const void *values, unsigned nvalues);
/* The path of id (its length in *len), or NULL. */
const char *open_paths_find(struct open_paths_table *t, __u64 id, size_t *len);
void open_paths_free(struct open_paths_table *t);
/* The length of an open_path's text, the terminator excluded (at most OPEN_PATH_LEN - 1). */
size_t open_path_text_len(const struct open_path *p);
/* The full key of a fast-path count: f's fields and the path (len bytes, not terminated). */
void open_key_from_fast(struct open_key *k, const struct open_fkey *f, const char *path,
			size_t len);

#endif
