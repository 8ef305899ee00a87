/* syscall.h - the syscall monitor's map key and value, shared with src/monitors/syscall.c. */
#ifndef EM_PROBE_SYSCALL_H
#define EM_PROBE_SYSCALL_H

#define SYSCALL_NR_MAX 1024 /* numbers at or above are counted, but not category-filtered */

struct syscall_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;   /* attribution (probes/attrib.h); 0 without */
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

/* The fast path's cells (SYSCALL_FAST): one per syscall number below 512 (x86_64's and arm64's
 * numbers all are); others take the hash. A power of two: the index is bounded by one compare
 * on the register that indexes, which every verifier follows. */
#define SYSCALL_NIDX 512

static inline __u32 syscall_index(long nr)
{
	return nr >= 0 && nr < SYSCALL_NIDX ? (__u32)nr : SYSCALL_NIDX;
}

static inline long syscall_nr_of_index(__u32 i)
{
	return (long)i;
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
