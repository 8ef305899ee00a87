/* open.h - the open monitor's in-flight record, map key and value, shared by
 * probes/open.bpf.c and src/monitors/open.c (whose row text is src/monitors/open_rows.c). */
#ifndef EM_PROBE_OPEN_H
#define EM_PROBE_OPEN_H

#define OPEN_PATH_LEN 256 /* bytes read of the path, terminator included */

/* Which syscall: the row's `operation`. */
enum open_op { OPEN_OP_OPEN = 0, OPEN_OP_OPENAT = 1, OPEN_OP_OPENAT2 = 2, OPEN_NOPS };

/* Errno buckets of struct open_value; anything else lands in OPEN_E_OTHER. */
enum open_errno_bucket {
	OPEN_E_NOENT,
	OPEN_E_ACCES,
	OPEN_E_PERM,
	OPEN_E_EXIST,
	OPEN_E_NOTDIR,
	OPEN_E_ISDIR,
	OPEN_E_LOOP,
	OPEN_E_MFILE,
	OPEN_E_NFILE,
	OPEN_E_OTHER,
	OPEN_NERRNO
};

/* sys_enter -> sys_exit, keyed by thread id: what the call was given, not yet the path (read
 * at the exit, once the kernel has copied it and faulted its page in). */
struct open_start {
	__u64 ts_ns;	/* bpf_ktime_get_ns() at entry */
	__u64 path_ptr; /* the user's pointer */
	__u32 flags;	/* open(2)/openat(2) flags, or open_how.flags's low 32 bits (openat2(2)) */
	__u32 who;	/* the opening process's attribution (em_who() at entry); 0 without */
	__u8 op;	/* enum open_op */
	__u8 flags_hi;	/* open_how.flags had bits above 31 (see struct open_key) */
	__u8 pad[2];
	__u32 weight; /* what the call adds to the counts: 1, or N under sampling (em_sample_skip) */
};

/*
 * Every byte is set by the probe (the map compares all of them). The flags are 32 bits:
 * open(2) and openat(2) take an int, and openat2(2) refuses (EINVAL) any bit of its u64
 * how.flags above 31 (the kernel's VALID_OPEN_FLAGS all lie below; build_open_flags()), so
 * such bits only mark a call that failed; flags_hi says there were some (the row shows
 * "|bits32-63"). That keeps the 288-byte key and the fast path's 40-byte one at their size
 * with `who` added (a u64 flags would make them 296 and 48).
 */
struct open_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;   /* attribution (probes/attrib.h): the opening process's; 0 without */
	__u8 op;
	__u8 truncated;
	__u8 flags_hi; /* 1: openat2's how.flags had bits above 31 (refused by the kernel) */
	__u8 pad;
	__u32 flags; /* the low 32 bits */
	char comm[16];
	char filename[OPEN_PATH_LEN];
};

/* The fast path's key (OPEN_FAST: kernels whose map helpers take map memory, 4.18+): the path
 * replaced by path_id, under which its text is in open_paths for the epoch. 40 bytes instead
 * of 288; the fields before comm as in struct open_key. */
struct open_fkey {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;
	__u8 op;
	__u8 truncated;
	__u8 flags_hi;
	__u8 pad;
	__u32 flags;
	char comm[16];
	__u64 path_id; /* the path's hash, + 1 per other path found under it (open_paths) */
};

/* open_paths' key: the epoch first (user space drains it as it drains the counts). */
struct open_path_key {
	__u32 epoch;
	__u32 pad;
	__u64 id;
};

/* A path as the probe read it (open_paths' value): len bytes, the terminator included, then
 * zeros to the end of the last 8-byte word; the words after that are not defined. */
struct open_path {
	__u32 len;
	__u32 pad;
	char path[OPEN_PATH_LEN];
};

/* Per CPU; user space merges the CPUs. Every counted call has a matching entry, so the
 * latency fields cover `count` calls. */
struct open_value {
	__u64 count;
	__u64 errors; /* returns < 0 */
	__u64 lat_sum_ns;
	__u64 lat_min_ns; /* meaningful when count > 0 */
	__u64 lat_max_ns;
	__u32 err[OPEN_NERRNO]; /* errors per enum open_errno_bucket */
	__u32 other_errno;	/* the last errno counted in OPEN_E_OTHER */
	__u32 pad;
};

#endif
