/* bio_util.h - the bio monitor's pure logic, apart from the BPF glue so unit tests link it
 * without libbcc: per-CPU merge, percentiles from the log2 histogram, dev_t decoding and
 * device names, and the stale-entry sweep of the in-flight maps. */
#ifndef EM_BIO_UTIL_H
#define EM_BIO_UTIL_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "monitors/agg.h"
#include "probes/bio.h"

/* "READ", "WRITE", "DISCARD", "FLUSH", "OTHER" for BIO_READ..BIO_OTHER ("OTHER" beyond). */
const char *bio_io_type_name(unsigned io_type);

/* The block tracepoints' dev is the kernel-internal dev_t: major << 20 | minor. */
static inline unsigned bio_dev_major(uint32_t dev)
{
	return dev >> 20;
}

static inline unsigned bio_dev_minor(uint32_t dev)
{
	return dev & ((1u << 20) - 1);
}

/* The device's name ("vda", "nvme0n1p1") from <sysfs_root>/dev/block/MAJ:MIN/uevent's
 * DEVNAME (sysfs_root is "/sys" outside tests). Returns 0; or -errno with "MAJ:MIN" in buf
 * when the device is gone or has no DEVNAME. */
int bio_dev_name(const char *sysfs_root, uint32_t dev, char *buf, size_t len);

/* Adds one CPU's value to acc (count, bytes, sums, histogram; min over CPUs that saw I/O). */
void bio_value_merge(struct bio_value *acc, const struct bio_value *v);

/* The p-quantile (0 < p <= 1) of the latencies in v, in ns, estimated from the log2
 * histogram: take the bucket holding the sample of rank ceil(p * count) (nearest rank), assume
 * the bucket's samples spread evenly between its bounds narrowed to the exact min and max, and
 * interpolate linearly. The estimate lies in the same power-of-two bucket as the true value (so
 * it is off by less than that bucket's width, at most a factor of 2), never decreases as p
 * grows, and stays within [min, max]; with one sample, or all samples equal, it is exact.
 * 0 when v is empty. */
double bio_hist_percentile_ns(const struct bio_value *v, double p);

/* Deletes every entry of `m` (a plain hash: ncpus 0) whose value starts with a __u64
 * bpf_ktime_get_ns() stamp older than now_ns - max_age_ns. Returns how many this call
 * deleted (an entry deleted by someone else meanwhile is not counted), or -errno. Entries
 * whose __u32 at byte skip_off of the value is non-zero (a filtered-out task's) are deleted
 * but not counted; skip_off -1: none is. */
long bio_sweep_stale(const struct agg_map *m, uint64_t now_ns, uint64_t max_age_ns, long skip_off);

/* Counts the entries of `m` (as for bio_sweep_stale(), skip_off likewise) stamped more than
 * max_age_ns before now_ns, without deleting any; *ret_oldest_ns gets the largest age among
 * them (0 if none). Returns the count, or -errno. */
long bio_count_stale(const struct agg_map *m, uint64_t now_ns, uint64_t max_age_ns, long skip_off,
		     uint64_t *ret_oldest_ns);

#endif
