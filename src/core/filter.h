/* filter.h - the `filters:` keys, shared by config.c's loader (config_filter_add in config.h is the
 * command line's way in). */
#ifndef EM_FILTER_H
#define EM_FILTER_H

#include <stdbool.h>
#include <stddef.h>

struct filter_cfg;
struct ydoc;

/* The keys of a `filters:` section; bit i of a set of keys is filter_keys[i]. */
enum {
	FK_PIDS,
	FK_UIDS,
	FK_COMMS,
	FK_EXCLUDE_COMMS,
	FK_UNITS, /* these three: matched in user space (core/cgroup.h) */
	FK_CONTAINERS,
	FK_CGROUPS,
	FK_EXCLUDE_SELF,
	FK_COUNT
};
extern const char *const filter_keys[]; /* NULL-terminated */

/* The FK_* of key, or -1. */
int filter_key(const char *key);
/* A list key fk (not FK_EXCLUDE_SELF) from node vi: one value or a sequence of them; null or []
 * is the empty list (no restriction); it replaces f's list. 0, or -EINVAL with err set. */
int filter_set_list(struct filter_cfg *f, int fk, struct ydoc *d, size_t vi, const char *path,
		    char *err, size_t errlen);
/* dst's keys in `set` (bits of filter_keys) become src's. */
void filter_override(struct filter_cfg *dst, const struct filter_cfg *src, unsigned set);
bool filter_equal(const struct filter_cfg *a, const struct filter_cfg *b);

#endif
