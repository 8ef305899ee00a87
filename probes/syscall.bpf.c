/* syscall.bpf.c - counts system calls per (task name, syscall) at sys_exit, with errors and,
 * when asked, latency from sys_enter. Per-CPU map: the hottest path in the product. */
#include "common.h"
#include "syscall.h"

#ifndef SYSCALL_MAP_ENTRIES
#define SYSCALL_MAP_ENTRIES 10240
#endif

/* BPF_TABLE, not BPF_PERCPU_HASH: bcc 0.18 (Debian 11) has no such macro */
BPF_TABLE("percpu_hash", struct syscall_key, struct syscall_value, syscall_counts,
	  SYSCALL_MAP_ENTRIES);
#ifdef SYSCALL_CAT_FILTER
BPF_ARRAY(syscall_allowed, __u8, SYSCALL_NR_MAX); /* 1: the number's category is monitored */
#endif
#ifdef SYSCALL_LATENCY
BPF_HASH(syscall_start, __u32, __u64, SYSCALL_MAP_ENTRIES);
#endif

#ifdef SYSCALL_FAST
/* The fast path (EM_TASK_SLOTS: the task-slot cache of common.h): a name with a slot counts in
 * a row of this per-CPU array, one cell per syscall number below SYSCALL_NIDX, cumulative: user
 * space takes the differences, so nothing is zeroed and no epoch is read. */
BPF_PERCPU_ARRAY(syscall_fast, struct syscall_fast_row, EM_TASK_SLOTS);
#endif

static __always_inline int syscall_account(long nr, long ret, __u64 w)
{
	struct syscall_key k = {};
	struct syscall_value *v;
#ifdef SYSCALL_FAST
	struct em_task *t = em_task_current();

	if (nr < 0 || !t || em_task_skipped(t))
		return 0;
#else
	if (nr < 0 || em_skip_current())
		return 0;
	k.who = em_who();
	if (em_who_skipped(k.who))
		return 0;
#endif
#ifdef SYSCALL_CAT_FILTER
	if (nr < SYSCALL_NR_MAX) {
		__u32 i = (__u32)nr;
		__u8 *ok = syscall_allowed.lookup(&i);

		if (!ok || !*ok)
			return 0;
	}
#endif
#ifdef SYSCALL_FAST
	{
		__u32 slot = t->slot;
		__u64 i = (__u64)nr; /* nr >= 0 here */

		EM_BARRIER_VAR(i);
		if (slot < EM_TASK_SLOTS && i < SYSCALL_NIDX) {
			struct syscall_fast_row *r = syscall_fast.lookup(&slot);

			if (r) {
				/* Per-CPU value: this CPU is the only writer. */
				r->v[i].count += w;
				if (ret < 0 && ret >= -4095)
					r->v[i].errors += w;
				return 0;
			}
		}
	}
	__builtin_memcpy(k.comm, t->comm, sizeof(k.comm));
	k.who = t->who;
#else
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
#endif
	k.epoch = em_epoch_now();
	k.nr = (__u32)nr;
	v = syscall_counts.lookup(&k);
	if (!v) {
		struct syscall_value zero = {};

		syscall_counts.insert(&k, &zero);
		v = syscall_counts.lookup(&k);
		if (!v) {
			em_count(EM_STAT_MAP_FULL);
			return 0;
		}
	}
	/* Per-CPU value: this CPU is the only writer. */
	v->count += w;
	if (ret < 0 && ret >= -4095)
		v->errors += w;
#ifdef SYSCALL_FAST
	if (v->count >= EM_HOT_AT && v->count - w < EM_HOT_AT) /* crossed it just now */
		em_task_note_hot(k.comm, k.who);
#endif
#ifdef SYSCALL_LATENCY
	{
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u64 *t0 = syscall_start.lookup(&tid);

		if (t0) {
			__u64 d = bpf_ktime_get_ns() - *t0;

			v->lat_count++;
			v->lat_sum_ns += d;
			if (d > v->lat_max_ns)
				v->lat_max_ns = d;
			syscall_start.delete(&tid);
		}
	}
#endif
	return 0;
}

#ifdef SYSCALL_LATENCY
static __always_inline int syscall_enter(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	if (em_skip_current())
		return 0;
	if (syscall_start.update(&tid, &now))
		em_count(EM_STAT_MAP_FULL);
	return 0;
}

int tp_sys_enter(void *ctx)
{
	return syscall_enter();
}
#endif

int tp_sys_exit(void *ctx)
{
	__u64 w = 1;

	if (em_sample_skip(&w))
		return 0;
	return syscall_account(EM_RAW_SC_ID(ctx), EM_RAW_SC_RET(ctx), w);
}

#if defined(EM_ARCH_X86_64) || defined(EM_ARCH_ARM64)
/* Raw tracepoints skip the trace buffer copy; sys_exit's arguments are (regs, ret), and the
 * syscall number is in the registers the kernel saved: pt_regs->orig_ax on x86_64,
 * pt_regs->syscallno on arm64 (an s32 since 4.15, a u64 before: read at the width the running
 * kernel's headers give it). */
int raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = -1;
	__u64 w = 1;

	if (em_sample_skip(&w))
		return 0;
#ifdef EM_ARCH_X86_64
	bpf_probe_read(&nr, sizeof(nr), &regs->orig_ax);
#else
	{
		__typeof__(regs->syscallno) no = -1;

		bpf_probe_read(&no, sizeof(no), &regs->syscallno);
		nr = (long)no;
	}
#endif
	return syscall_account(nr, (long)ctx->args[1], w);
}

#ifdef SYSCALL_LATENCY
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	return syscall_enter();
}
#endif
#endif
