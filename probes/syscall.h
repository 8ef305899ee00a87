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

#endif
