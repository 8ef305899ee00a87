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
#ifndef EM_SELF_TGID
#define EM_SELF_TGID 0
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

static __always_inline int em_is_self(__u32 tgid)
{
	return EM_SELF_TGID && tgid == EM_SELF_TGID;
}

/* Loss counters kept in a per-monitor array map, summed by user space. */
#define EM_STAT_MAP_FULL 0
#define EM_STAT_UNMATCHED 1
#define EM_STAT_PERF_FAIL 2
#define EM_NSTATS 4

BPF_ARRAY(em_stats, __u64, EM_NSTATS);

static __always_inline void em_count(int idx)
{
	__u64 *v = em_stats.lookup(&idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

#endif
