/* open_rows.h - how the open monitor turns a drained key and its per-CPU values into row text:
 * the merge of the CPUs, the most frequent errno, the path, the flags and the syscall's name. */
#ifndef EM_OPEN_ROWS_H
#define EM_OPEN_ROWS_H

#include <linux/types.h>
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
/* open_flags_fmt() for the low 32 bits; openat2's upper bits (never valid) as hex. Writes like
 * snprintf. */
int open_flags_text(__u64 flags, char *buf, size_t len);

#endif
