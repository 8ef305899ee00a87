/* context_switch.h - the context_switch monitor's key and value, shared with
 * src/monitors/context_switch.c. */
#ifndef EM_PROBE_CONTEXT_SWITCH_H
#define EM_PROBE_CONTEXT_SWITCH_H

struct cs_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 cpu;
	__u32 prev_idle; /* prev is the idle task (pid 0) */
	__u32 next_idle;
	char prev_comm[16];
	char next_comm[16];
};

struct cs_value {
	__u64 count;
	__u64 voluntary;   /* prev blocked: the kernel's nvcsw */
	__u64 involuntary; /* prev was preempted or still runnable: nivcsw */
};

/* The fast path's cell (EM_TASK_SLOTS): per CPU, one per (prev, next) pair of task slots, the
 * idle task being index EM_TASK_SLOTS; a row of them per prev (CS_FAST_ROW_BYTES(n) bytes with
 * n slots). Cumulative: user space takes the differences between two reads. */
struct cs_fast_value {
	__u64 count;
	__u64 voluntary; /* involuntary: count - voluntary, except for the idle task (0) */
};

#define CS_FAST_DIM(nslots) ((nslots) + 1)
#define CS_FAST_ROW_BYTES(nslots) (CS_FAST_DIM(nslots) * sizeof(struct cs_fast_value))

#endif
