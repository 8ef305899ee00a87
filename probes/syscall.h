/* syscall.h - the syscall monitor's map key and value, shared with src/monitors/syscall.c. */
#ifndef EM_PROBE_SYSCALL_H
#define EM_PROBE_SYSCALL_H

#define SYSCALL_NR_MAX 1024 /* numbers at or above are counted, but not category-filtered */

struct syscall_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 nr;
	char comm[16];
};

/* Per CPU; user space sums the CPUs. */
struct syscall_value {
	__u64 count;
	__u64 errors;     /* returns in [-4095, -1] */
	__u64 lat_count;  /* exits with a matching entry (latency: true) */
	__u64 lat_sum_ns;
	__u64 lat_max_ns;
};

/* The fast path's cells (SYSCALL_FAST): x86_64's and arm64's numbers 0-335 and 424-471 (the
 * calls added since 5.1, the same on every architecture) in 384 cells; others take the hash. */
#define SYSCALL_NIDX 384

static inline __u32 syscall_index(long nr)
{
	if (nr < 336)
		return (__u32)nr;
	if (nr >= 424 && nr < 472)
		return (__u32)(nr - 88);
	return SYSCALL_NIDX;
}

static inline long syscall_nr_of_index(__u32 i)
{
	return i < 336 ? (long)i : (long)i + 88;
}

/* Cumulative per CPU; user space takes the differences between two reads. */
struct syscall_fast_value {
	__u64 count;
	__u64 errors;
};

struct syscall_fast_row {
	struct syscall_fast_value v[SYSCALL_NIDX];
};

#endif
