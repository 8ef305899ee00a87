/* context_switch.bpf.c - counts sched_switch per (cpu, prev task name, next task name), split
 * into voluntary and involuntary the way the kernel's nvcsw/nivcsw counters are.
 *
 * Attribution (EM_ATTRIB): a switch is the task switched out's (prev, which is current here, as
 * the filters already have it), so the key carries prev's who value (em_who()); the idle task
 * is no process: who 0, no class. With attribution filters (CS_IDLE_SKIPPED) its switches out
 * are not counted at all: they would be no unit's, and user space would drop their rows. */
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
#define CS_LOAD(dst, off)                                                         \
	do {                                                                      \
		if ((off) % sizeof(dst) == 0)                                     \
			(dst) = *(__typeof__(dst) *)((char *)ctx + (off));        \
		else                                                              \
			bpf_probe_read(&(dst), sizeof(dst), (char *)ctx + (off)); \
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

#ifdef EM_TASK_SLOTS
/*
 * The fast path (the task slots of common.h). At a switch on a CPU, prev is the task that was
 * next at that CPU's previous switch, so a small per-CPU cache of tasks by pid, written when a
 * task is switched in, answers for both: its slot (its name and who value's, from user space's
 * em_slot_of) and, learned the first time it is switched out (it is current then), whether the
 * filters skip it. An entry is valid while the generation (em_gen: forks, renames, slot
 * changes, cgroup moves) is the one it was filled in. A pair of tasks with slots counts in its
 * per-CPU cell of cs_fast (context_switch.h); a pair with a task without a slot takes the hash
 * path below.
 *
 * With attribution, a slot is a (name, who) pair's, and a task's entry holds its who value. A
 * task switched in is not current, so its who is looked up by its pid in em_who_of (a thread
 * born while monitoring has its own entry there; one that ran before has none and keeps the
 * value its entry had): a hint, which picks the slot it is counted under as next, where only the
 * name is shown, so whatever who that slot carries the row is exact. The first time the task is
 * switched out its who is read as the current process's (em_who()), and the slot looked up again
 * if that differs: as prev, the slot (the matrix's row) always carries the task's own who value,
 * and so does the hash path's key.
 * Kernel memory: CS_PIDS * 24 bytes and (EM_TASK_SLOTS + 1) * 512 bytes per possible CPU.
 */
#ifndef CS_PIDS
#define CS_PIDS 256 /* a power of two */
#endif
#if EM_TASK_SLOTS > CS_FAST_MAX_SLOTS
#error "context_switch: at most CS_FAST_MAX_SLOTS task slots"
#endif
#define CS_IDLE EM_TASK_SLOTS /* the idle task's row and cell */
#define CS_ROWS CS_FAST_ROWS(EM_TASK_SLOTS)

#define CS_UNCHECKED 0 /* the filters' verdict, once the task was current */
#define CS_COUNTED 1
#define CS_SKIPPED 2

struct cs_task {
	__u32 pid;
	__u32 gen;   /* em_gen when this was filled */
	__u32 slot;  /* the slot of its name and who, or EM_SLOT_NONE */
	__u32 check; /* CS_UNCHECKED, CS_COUNTED, CS_SKIPPED */
	__u32 who;   /* its process's who value (a hint until checked); 0 without attribution */
	__u32 pad;
};

struct cs_fast_cells {
	struct cs_task cur; /* the task running on this CPU: next at its last switch */
	__u64 c[CS_ROWS][CS_FAST_COLS];
};

BPF_PERCPU_ARRAY(cs_pids, struct cs_task, CS_PIDS);
/* One element: its lookup has a constant key (the cheapest), and user space reads it at once. */
BPF_PERCPU_ARRAY(cs_fast, struct cs_fast_cells, 1);

/* Fills t for the task pid, whose name is at comm_off in the record, of who value who. */
static __always_inline void cs_fill(void *ctx, struct cs_task *t, __u32 pid, int comm_off,
				    __u32 gen, __u32 who)
{
	/* The key goes through the stack (before 4.18 keys only from there). */
	struct em_task_key c;
	__u32 *s;

	cs_read_comm(ctx, comm_off, c.name);
	c.who = who;
	c.pad = 0;
	s = em_slot_of.lookup(&c);
	t->pid = pid;
	t->gen = gen;
	t->slot = s ? *s : EM_SLOT_NONE;
	t->check = CS_UNCHECKED;
	t->who = who;
}

/* The who value of the task pid switched in (not current): its entry in em_who_of, or, for a
 * thread without one, what t (the entry being refilled) had for it. 0 without attribution. */
static __always_inline __u32 cs_who_hint(const struct cs_task *t, __u32 pid)
{
#ifdef EM_ATTRIB
	__u32 *c = em_who_of.lookup(&pid);

	if (c)
		return *c;
	return t->pid == pid ? t->who : (EM_WHO_TGID | pid);
#else
	return 0;
#endif
}
#endif

int tp_sched_switch(void *ctx)
{
	struct cs_key k = {};
	struct cs_value *v;
	__s32 prev_pid = 0, next_pid = 0;
	__s64 state = 0;
	int voluntary;
	__u64 w = 1;
	__u32 pwho = 0; /* prev's who value; 0 for the idle task */
#ifdef EM_TASK_SLOTS
	/* 64-bit: a 32-bit index is widened after its bounds check, which the verifier forgets */
	__u64 ps = CS_IDLE, ns = CS_IDLE;
	__u32 nwho = 0; /* next's (a hint: see above), for its hot note */
#endif

	if (em_sample_skip(&w))
		return 0;
	CS_LOAD(prev_pid, CS_PREV_PID_OFF);
#ifdef CS_IDLE_SKIPPED
	if (!prev_pid)
		return 0;
#endif
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
	/* __schedule(): nvcsw when not preempted and prev's state is not RUNNING, else nivcsw.
	 * The idle task's switches are neither: it is not a real task. */
	voluntary = state != 0 && !(state & CS_PREEMPT_BIT);
	/* The switching-out task is current here: filters apply to it. The idle task is never
	 * filtered out by them (it is nobody's process). */
#ifdef EM_TASK_SLOTS
	{
		int zero = 0;
		__u32 *g = em_gen.lookup(&zero), gen, check, i;
		struct cs_fast_cells *f = cs_fast.lookup(&zero);
		struct cs_task *t;

		if (!g || !f)
			return 0;
		gen = *g;
		if (prev_pid) {
			/* prev is, most often, the task this CPU switched to last time */
			if (f->cur.pid == prev_pid && f->cur.gen == gen &&
			    f->cur.check != CS_UNCHECKED) {
				ps = f->cur.slot;
				check = f->cur.check;
				pwho = f->cur.who;
			} else {
				i = prev_pid & (CS_PIDS - 1);
				t = cs_pids.lookup(&i);
				if (!t)
					return 0;
				if (t->pid != prev_pid || t->gen != gen ||
				    t->check == CS_UNCHECKED) {
					/* current: its own who value, its slot for that */
					__u32 who = em_who();

					if (t->pid != prev_pid || t->gen != gen || t->who != who)
						cs_fill(ctx, t, prev_pid, CS_PREV_COMM_OFF, gen,
							who);
					t->check = em_skip_current() || em_who_skipped(who) ?
							   CS_SKIPPED :
							   CS_COUNTED;
				}
				ps = t->slot;
				check = t->check;
				pwho = t->who;
			}
			if (check == CS_SKIPPED || em_filtered_uid())
				return 0;
		}
		if (next_pid) {
			i = next_pid & (CS_PIDS - 1);
			t = cs_pids.lookup(&i);
			if (!t)
				return 0;
			if (t->pid != next_pid || t->gen != gen)
				cs_fill(ctx, t, next_pid, CS_NEXT_COMM_OFF, gen,
					cs_who_hint(t, next_pid));
			f->cur = *t;
			ns = t->slot;
			nwho = t->who;
		}
		if (ps < CS_ROWS && ns < CS_ROWS) {
			/* One index, bounded by one compare on the register that indexes: with
			 * two, the 6.1 verifier lost a bound the compiler kept on the stack. */
			__u64 cell = ps * CS_FAST_COLS + ns;

			EM_BARRIER_VAR(cell);
			if (cell < CS_ROWS * CS_FAST_COLS) {
				/* Per-CPU value: this CPU is the only writer. */
				(&f->c[0][0])[cell] += w * (CS_FAST_SWITCH | (prev_pid && voluntary));
				return 0;
			}
		}
	}
#else
	if (prev_pid) {
		if (em_skip_current())
			return 0;
		pwho = em_who();
		if (em_who_skipped(pwho))
			return 0;
	}
#endif
	k.epoch = em_epoch_now();
	k.who = pwho;
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
	if (prev_pid) {
		if (voluntary)
			v->voluntary += w;
		else
			v->involuntary += w;
	}
#ifdef EM_TASK_SLOTS
	/* The names without a slot that got busy here: user space may give them one. */
	if (v->count >= EM_HOT_AT && v->count - w < EM_HOT_AT) {
		if (ps == EM_SLOT_NONE)
			em_task_note_hot(k.prev_comm, pwho);
		if (ns == EM_SLOT_NONE)
			em_task_note_hot(k.next_comm, nwho);
	}
#endif
	return 0;
}
