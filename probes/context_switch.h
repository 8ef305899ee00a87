/* context_switch.h - the context_switch monitor's key and value, shared with
 * src/monitors/context_switch.c. */
#ifndef EM_PROBE_CONTEXT_SWITCH_H
#define EM_PROBE_CONTEXT_SWITCH_H

struct cs_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;   /* attribution (probes/attrib.h): the process of the task switched out (prev);
			0 for the idle task and without attribution */
	__u32 cpu;
	__u32 prev_idle; /* prev is the idle task (pid 0) */
	__u32 next_idle;
	__u32 pad; /* 0: the names 8-byte aligned (the probe stores them 8 bytes at a time) */
	char prev_comm[16];
	char next_comm[16];
};

struct cs_value {
	__u64 count;
	__u64 voluntary;   /* prev blocked: the kernel's nvcsw */
	__u64 involuntary; /* prev was preempted or still runnable: nivcsw */
};

/* The fast path's cells (EM_TASK_SLOTS): per CPU, one per (prev, next) pair of task slots, the
 * idle task being slot EM_TASK_SLOTS, in one per-CPU array element, after a record of the probe's
 * own (CS_FAST_HEAD bytes): rows of CS_FAST_COLS cells (a power of two: the cell's offset is a
 * shift, which every verifier bounds), so at most CS_FAST_MAX_SLOTS slots (a per-CPU value is
 * at most 32 KiB). A cell is a u64: the switches in
 * the high 32 bits, the voluntary ones in the low (a switch adds 1 << 32, plus 1 when
 * voluntary), cumulative: user space takes the difference of two reads modulo 2^64, whose
 * halves are exact while fewer than 2^32 switches of a pair pass on a CPU between two reads. */
#define CS_FAST_COLS 64
#define CS_FAST_MAX_SLOTS (CS_FAST_COLS - 2)
#define CS_FAST_ROWS(nslots) ((nslots) + 1)
#define CS_FAST_HEAD 24 /* bytes before the cells: the probe's own record of the CPU's task */
#define CS_FAST_BYTES(nslots) (CS_FAST_HEAD + CS_FAST_ROWS(nslots) * CS_FAST_COLS * 8)
#define CS_FAST_SWITCH (1ULL << 32)

#endif
