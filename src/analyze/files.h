/* files.h - finding the CSV files of a monitor for a period: <type>_<YYYYMMDD_HHMMSS>[_N].csv,
 * each holding rows from its name's time until the next file of the same type begins. */
#ifndef EM_ANALYZE_FILES_H
#define EM_ANALYZE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/period.h"

struct file_list {
	char **paths; /* owned */
	size_t n, cap;
};

/* The files of type in dir that can hold rows of p, oldest first. 0, or -errno when dir
 * cannot be read. */
int files_discover(const char *dir, const char *type, const struct period *p,
		   struct file_list *ret);
int file_list_add(struct file_list *l, const char *path); /* 0 or -ENOMEM */
void file_list_free(struct file_list *l);

/* For a base name <type>_YYYYMMDD_HHMMSS[_N].csv: true with the local time of its name and N
 * (0 without). */
bool files_parse_name(const char *base, const char *type, int64_t *ret_ms, unsigned *ret_seq);

#endif
