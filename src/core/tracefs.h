/* tracefs.h - where tracefs is mounted and what its event format files say. */
#ifndef EM_TRACEFS_H
#define EM_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>

/* "/sys/kernel/tracing" or "/sys/kernel/debug/tracing" (the first with an events/ dir), or
 * NULL when tracefs is not mounted. */
const char *tracefs_path(void);
/* For tests (a fixture tree instead of the running kernel's): tracefs_path() looks at `root`
 * alone from now on, NULL when it has no events/ dir; NULL: the usual places again. The
 * string is copied. */
void tracefs_set_root(const char *root);

bool tracefs_event_exists(const char *category, const char *event);

/* Offset and size of `field` in the event's record, from its format file. 0 or -errno. */
/* The whole format file of an event into buf (terminated, cut at len - 1). 0 or -errno. */
int tracefs_format(const char *category, const char *event, char *buf, size_t len);
int tracefs_field(const char *category, const char *event, const char *field, int *ret_offset,
		  int *ret_size);

/* Parses the text of a format file (exposed for tests). */
int tracefs_parse_field(const char *format_text, const char *field, int *ret_offset,
			int *ret_size);

#endif
