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

#endif
