/* common.h - included by every probe: kernel-convention macros and the stable syscall
 * tracepoint layouts. Probes read only tracepoint records, helpers and pt_regs; never kernel
 * structs, so they stay correct when the headers do not match the running kernel. */
#ifndef EM_PROBE_COMMON_H
#define EM_PROBE_COMMON_H

#include <uapi/linux/ptrace.h>

#define EM_COMM_LEN 16

/* The loader defines these from the running kernel; defaults keep the text compilable. */
#ifndef EM_SYSCALL_WRAPPER
#define EM_SYSCALL_WRAPPER 0
#endif

/* raw_syscalls and syscalls:sys_enter_* / sys_exit_* records: unchanged since 3.x
 * (the 8-byte common header, the syscall number at 8, arguments from 16). */
struct em_syscall_enter_args {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct em_syscall_exit_args {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* Reads syscall argument n (1-based) in a kprobe on the syscall's entry symbol. Since 4.17
 * (x86_64) and 5.x (arm64) those symbols take a pt_regs of the user registers. */
#if EM_SYSCALL_WRAPPER
#define EM_KPROBE_SYSCALL_ARG(ctx, n, dst)                                                  \
	do {                                                                                \
		struct pt_regs *__user_regs = (struct pt_regs *)PT_REGS_PARM1(ctx);        \
		bpf_probe_read(&(dst), sizeof(dst), &PT_REGS_PARM##n(__user_regs));         \
	} while (0)
#else
#define EM_KPROBE_SYSCALL_ARG(ctx, n, dst) ((dst) = (typeof(dst))PT_REGS_PARM##n(ctx))
#endif

/* raw_syscalls:sys_enter/sys_exit: the number is a long there. */
struct em_raw_syscall_args {
	__u64 common;
	__s64 id;
	__s64 arg; /* sys_exit: the return value; sys_enter: args[0] */
};

struct em_comm {
	char name[EM_COMM_LEN];
};

/* Loss counters kept in a per-monitor array map, summed by user space. */
#define EM_STAT_MAP_FULL 0
#define EM_STAT_UNMATCHED 1
#define EM_STAT_PERF_FAIL 2
#define EM_NSTATS 4

#endif /* EM_PROBE_COMMON_H */

/*
 * Below: each probe's own part. It is outside the include guard because a combined compile
 * (src/bpf/bundle.c) puts several probes in one text, each with its own copy: there the
 * identifiers are renamed "<monitor>__em_..." and EM_SELF_TGID is undone after each probe.
 * A new identifier here belongs in bundle.c's renamed_ids, a new macro in per_probe_macros.
 */

#ifndef EM_SELF_TGID
#define EM_SELF_TGID 0
#endif

/* ---- filters (config `filters:`), compiled in only when configured ---- */

#ifdef EM_FILTER_PIDS
BPF_HASH(em_filter_pids, __u32, __u8, 64);
#endif
#ifdef EM_FILTER_UIDS
BPF_HASH(em_filter_uids, __u32, __u8, 64);
#endif
#ifdef EM_FILTER_COMMS
BPF_HASH(em_filter_comms, struct em_comm, __u8, 64);
#endif
#ifdef EM_FILTER_EXCLUDE_COMMS
BPF_HASH(em_filter_exclude_comms, struct em_comm, __u8, 64);
#endif

/* True when the configured filters exclude the current task (the monitor itself aside). */
static __always_inline int em_filtered_current(void)
{
#ifdef EM_FILTER_PIDS
	{
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (!em_filter_pids.lookup(&tgid))
			return 1;
	}
#endif
#ifdef EM_FILTER_UIDS
	{
		__u32 uid = (__u32)bpf_get_current_uid_gid();

		if (!em_filter_uids.lookup(&uid))
			return 1;
	}
#endif
#if defined(EM_FILTER_COMMS) || defined(EM_FILTER_EXCLUDE_COMMS)
	{
		struct em_comm c = {};

		bpf_get_current_comm(&c.name, sizeof(c.name));
#ifdef EM_FILTER_COMMS
		if (!em_filter_comms.lookup(&c))
			return 1;
#endif
#ifdef EM_FILTER_EXCLUDE_COMMS
		if (em_filter_exclude_comms.lookup(&c))
			return 1;
#endif
	}
#endif
	return 0;
}

/* True when the current task is not to be measured: filtered out, or the monitor itself. */
static __always_inline int em_skip_current(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (EM_SELF_TGID && tgid == EM_SELF_TGID)
		return 1;
	return em_filtered_current();
}

/* ---- aggregation: every key starts with the epoch user space flips each interval ---- */

BPF_ARRAY(em_epoch, __u32, 1);

static __always_inline __u32 em_epoch_now(void)
{
	int zero = 0;
	__u32 *e = em_epoch.lookup(&zero);

	return e ? *e : 0;
}

BPF_ARRAY(em_stats, __u64, EM_NSTATS);

static __always_inline void em_count(int idx)
{
	__u64 *v = em_stats.lookup(&idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}
