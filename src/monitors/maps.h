/* maps.h - a monitor's loaded BPF maps: found by name, read and written, walked and drained.
 * The one adapter between agg.c's (and bio_util.c's) map walks and the loader; monitors use
 * this, never the loader or the module behind it. Tests link a fake loader under it
 * (tests/unit/fake_loader.c), so every call here works without BPF. */
#ifndef EM_MAPS_H
#define EM_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitors/agg.h"

struct monitor;

/* The map's fd in this monitor's module, or -errno (-ENOENT: no such map). */
int monitor_map_fd(struct monitor *m, const char *map);
/* 0 or -errno. A per-CPU map's lookup fills one value per possible CPU, 8-byte strided. */
int monitor_map_update(struct monitor *m, int fd, const void *key, const void *value);
int monitor_map_lookup(struct monitor *m, int fd, const void *key, void *value);
int monitor_map_delete(struct monitor *m, int fd, const void *key);
/* The key after key (NULL: the first) into ret_next: 0, -ENOENT at the end, or -errno. */
int monitor_map_next_key(struct monitor *m, int fd, const void *key, void *ret_next,
			 size_t key_size);
/* The probe's own loss counters (em_stats in probes/common.h, where these are EM_STAT_*): what
 * the kernel side counted since the start; 0 where the module has none. */
enum monitor_kstat {
	MONITOR_KSTAT_MAP_FULL = 0,  /* EM_STAT_MAP_FULL */
	MONITOR_KSTAT_UNMATCHED = 1, /* EM_STAT_UNMATCHED */
};
uint64_t monitor_kernel_stat(struct monitor *m, enum monitor_kstat which);
/* The kernel's run time and run count of the monitor's programs, summed (while its BPF
 * statistics are on): 0, or -EOPNOTSUPP where it keeps none. */
int monitor_prog_stats(struct monitor *m, uint64_t *ret_run_ns, uint64_t *ret_run_cnt);
/* Possible CPUs: how many values a per-CPU map's lookup returns. */
unsigned monitor_possible_cpus(void);

/* What an agg_map built by monitor_map_walk() points at; it must outlive the agg_map. */
struct monitor_map {
	struct monitor *m;
	int fd;
	size_t key_size;
};

/* Fills *a (and *mm, its context) for agg.c's walks over the named map: per CPU or not, with
 * the monitor's yield hook. 0, or -errno when the map is not in the module. */
int monitor_map_walk(struct monitor *m, const char *map, size_t key_size, size_t value_size,
		     bool percpu, struct monitor_map *mm, struct agg_map *a);

/* Aggregating monitors: end the interval (flip em_epoch) ... */
int monitor_flip_epoch(struct monitor *m, uint64_t interval_end_ns);
/* ... and, after a short grace period, drain every key of an older epoch from `map`. */
long monitor_drain(struct monitor *m, const char *map, size_t key_size, size_t value_size,
		   bool percpu, agg_drain_cb cb, void *ctx);
/* monitor_drain() into rows (b), sorted with cmp; rows dropped for lack of memory are logged.
 * Returns the number of rows or -errno (then b is empty and the keys wait for the next
 * drain). The caller frees b with agg_batch_free(). */
long monitor_drain_rows(struct monitor *m, const char *map, size_t key_size, size_t value_size,
			bool percpu, struct agg_batch *b, int (*cmp)(const void *, const void *));
/* Grace period between the flip and the drain: programs that read the old epoch are done. */
#define MONITOR_DRAIN_GRACE_S 0.02

#endif
