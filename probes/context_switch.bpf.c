/* context_switch.bpf.c - counts sched_switch per (cpu, prev task name, next task name), split
 * into voluntary and involuntary the way the kernel's nvcsw/nivcsw counters are. */
#include "common.h"
#include "context_switch.h"

#ifndef CS_MAP_ENTRIES
#define CS_MAP_ENTRIES 10240
#endif
/* Record offsets from the running kernel's format file (defaults: 4.x-6.x layout). */
#ifndef CS_PREV_COMM_OFF
#define CS_PREV_COMM_OFF 8
#endif
#ifndef CS_PREV_PID_OFF
#define CS_PREV_PID_OFF 24
#endif
#ifndef CS_PREV_STATE_OFF
#define CS_PREV_STATE_OFF 32
#endif
#ifndef CS_PREV_STATE_SIZE
#define CS_PREV_STATE_SIZE 8
#endif
#ifndef CS_NEXT_COMM_OFF
#define CS_NEXT_COMM_OFF 40
#endif
#ifndef CS_NEXT_PID_OFF
#define CS_NEXT_PID_OFF 56
#endif
/* The bit sched_switch sets in prev_state when prev was preempted: TASK_REPORT_MAX (0x100)
 * since 4.14, TASK_STATE_MAX before. User space passes the running kernel's value. */
#ifndef CS_PREEMPT_BIT
#define CS_PREEMPT_BIT 0x100
#endif

BPF_HASH(cs_counts, struct cs_key, struct cs_value, CS_MAP_ENTRIES);

/* A tracepoint program may load its record directly (the verifier checks the offsets against
 * the record's size; loads must be aligned to their size): five bpf_probe_read calls cost
 * ~100 ns more per switch (bench/, variants). An odd layout falls back to the helper. */
#define CS_LOAD(dst, off)                                                                 \
	do {                                                                              \
		if ((off) % sizeof(dst) == 0)                                             \
			(dst) = *(__typeof__(dst) *)((char *)ctx + (off));                \
		else                                                                      \
			bpf_probe_read(&(dst), sizeof(dst), (char *)ctx + (off));         \
	} while (0)

static __always_inline void cs_read_comm(void *ctx, int off, char *dst)
{
	if (off % 8 == 0) {
		((__u64 *)dst)[0] = *(__u64 *)((char *)ctx + off);
		((__u64 *)dst)[1] = *(__u64 *)((char *)ctx + off + 8);
	} else {
		bpf_probe_read(dst, 16, (char *)ctx + off);
	}
}

int tp_sched_switch(void *ctx)
{
	struct cs_key k = {};
	struct cs_value *v;
	__s32 prev_pid = 0, next_pid = 0;
	__s64 state = 0;
	int voluntary;
	__u64 w = 1;

	if (em_sample_skip(&w))
		return 0;
	CS_LOAD(prev_pid, CS_PREV_PID_OFF);
	CS_LOAD(next_pid, CS_NEXT_PID_OFF);
#if CS_PREV_STATE_SIZE == 8
	CS_LOAD(state, CS_PREV_STATE_OFF);
#else
	{
		__s32 s32 = 0;

		CS_LOAD(s32, CS_PREV_STATE_OFF);
		state = s32;
	}
#endif
	/* The switching-out task is current here: filters apply to it. The idle task is never
	 * filtered out (it is nobody's process). */
	if (prev_pid && em_skip_current())
		return 0;
	k.epoch = em_epoch_now();
	k.cpu = bpf_get_smp_processor_id();
	k.prev_idle = prev_pid == 0;
	k.next_idle = next_pid == 0;
	cs_read_comm(ctx, CS_PREV_COMM_OFF, k.prev_comm);
	cs_read_comm(ctx, CS_NEXT_COMM_OFF, k.next_comm);

	v = cs_counts.lookup(&k);
	if (!v) {
		struct cs_value zero = {};

		cs_counts.insert(&k, &zero);
		v = cs_counts.lookup(&k);
		if (!v) {
			em_count(EM_STAT_MAP_FULL);
			return 0;
		}
	}
	/* Plain increments: the key holds this CPU, and a program never runs twice at once on
	 * one CPU, so nobody else writes this value (an atomic add costs ~20 ns each). */
	v->count += w;
	/* __schedule(): nvcsw when not preempted and prev's state is not RUNNING, else nivcsw.
	 * The idle task's switches are neither: it is not a real task. */
	if (prev_pid == 0)
		return 0;
	voluntary = state != 0 && !(state & CS_PREEMPT_BIT);
	if (voluntary)
		v->voluntary += w;
	else
		v->involuntary += w;
	return 0;
}
