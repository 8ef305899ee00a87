/* exec.bpf.c - one event per execve/execveat: stashed at entry, completed with the return
 * value at exit, sent through a perf buffer. Parent pids come from sched_process_fork. With
 * attribution the event carries the process's who value, taken at entry by every attach chain
 * (exec_fill_header): an exec changes neither the tgid nor the cgroup. */
#include "common.h"
#include "exec.h"

#ifndef EXEC_INFLIGHT_ENTRIES
#define EXEC_INFLIGHT_ENTRIES 10240
#endif
#ifndef EXEC_PPID_ENTRIES
#define EXEC_PPID_ENTRIES 32768
#endif
#ifndef FORK_CHILD_PID_OFF
#define FORK_CHILD_PID_OFF 44 /* 3.x-6.x layout; the loader passes the real offset */
#endif

BPF_PERF_OUTPUT(exec_events);
BPF_HASH(exec_ppid, __u32, __u32, EXEC_PPID_ENTRIES);

/* The event's fields that need no helper memory: the same on every kernel. who: em_who() of
 * the exec'ing process (attribution; 0 without). */
static __always_inline void exec_fill_header(struct exec_event *e, __u64 id, __u32 flags, __u32 who)
{
	__u32 tgid = id >> 32;
	__u64 ugid = bpf_get_current_uid_gid();
	__u32 *ppid = exec_ppid.lookup(&tgid);

	e->ts_ns = bpf_ktime_get_ns();
	e->pid = tgid;
	e->tid = (__u32)id;
	e->ppid = ppid ? *ppid : 0;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->retval = 0;
	e->argc = 0;
	e->flags = flags;
	e->who = who;
}

#if EM_MAP_KEYS_STACK_ONLY || EM_HELPER_MEM_STACK_ONLY
/*
 * Kernels before 4.18: a map value cannot be another map's key or value, and before 4.11 no
 * helper writes into a map value or sends one: every helper works on the stack, whose 512
 * bytes do not hold the 1.3 KiB event. The entry fills a slot of an array (no insert needed),
 * picked by thread id, through stack buffers; the exit sends the event in pieces from the stack
 * (see exec.h). Arguments keep fixed 128-byte places; at most 8 of them.
 */
#define EXEC_NSLOTS 1024 /* execs in flight at once, by thread id: 1.4 MB */
#if EXEC_MAX_ARGS > EXEC_ARGS_SIZE / EXEC_ARG_LEN
#define EXEC_SLOT_ARGS (EXEC_ARGS_SIZE / EXEC_ARG_LEN)
#else
#define EXEC_SLOT_ARGS EXEC_MAX_ARGS
#endif
BPF_ARRAY(exec_slots, struct exec_event, EXEC_NSLOTS);

/* Copies n bytes (a constant multiple of 8, at most 320) between 8-aligned places, a word at
 * a time, written out: a "#pragma unroll" loop is not unrolled in every compile, and clang
 * copies a struct of unknown alignment byte by byte; kernels before 5.3 refuse loops. */
/* clang-format off */
#define EXEC_W(d, s, n, i)                                               \
	if ((i) < (n) / 8)                                               \
		((__u64 *)(d))[i] = ((const __u64 *)(s))[i];
#define EXEC_W8(d, s, n, i)                                              \
	EXEC_W(d, s, n, i) EXEC_W(d, s, n, i + 1) EXEC_W(d, s, n, i + 2)  \
	EXEC_W(d, s, n, i + 3) EXEC_W(d, s, n, i + 4) EXEC_W(d, s, n, i + 5) \
	EXEC_W(d, s, n, i + 6) EXEC_W(d, s, n, i + 7)
#define exec_copy(dst, src, n)                                                     \
	do {                                                                       \
		EXEC_W8(dst, src, n, 0) EXEC_W8(dst, src, n, 8)                    \
		EXEC_W8(dst, src, n, 16) EXEC_W8(dst, src, n, 24)                  \
		EXEC_W8(dst, src, n, 32)                                           \
	} while (0)
/* clang-format on */

static __always_inline int exec_enter(const char *filename, const char *const *argv, __u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 idx = (__u32)id & (EXEC_NSLOTS - 1), who;
	struct exec_event *e;

	if (em_skip_current())
		return 0;
	who = em_who();
	if (em_who_skipped(who))
		return 0;
	/* map values are 8-aligned; said so, clang copies words, not bytes */
	e = __builtin_assume_aligned(exec_slots.lookup(&idx), 8);
	if (!e)
		return 0;
	if ((e->flags & EXEC_F_INFLIGHT) && e->tid != (__u32)id)
		em_count(EM_STAT_MAP_FULL); /* another thread's exec in this slot is lost */
	exec_fill_header(e, id, flags | EXEC_F_PARTS, who);
	{
		struct em_comm c = {};

		bpf_get_current_comm(&c.name, sizeof(c.name));
		exec_copy(e->comm, c.name, sizeof(c.name));
	}
	{
		__u64 buf[EXEC_FILENAME_LEN / 8] = {};

		em_read_str_bounded(buf, EXEC_FILENAME_LEN, filename);
		exec_copy(e->filename, buf, EXEC_FILENAME_LEN);
	}
#pragma unroll
	for (int i = 0; i < EXEC_SLOT_ARGS; i++) {
		const char *argp = NULL;
		__u64 buf[EXEC_ARG_LEN / 8] = {};

		bpf_probe_read(&argp, sizeof(argp), &argv[i]);
		if (!argp)
			goto done;
		em_read_str_bounded(buf, EXEC_ARG_LEN, argp);
		exec_copy(&e->args[i * EXEC_ARG_LEN], buf, EXEC_ARG_LEN);
		e->argc = i + 1;
	}
	{
		/* Was there an argument beyond the last one captured? */
		const char *argp = NULL;

		bpf_probe_read(&argp, sizeof(argp), &argv[EXEC_SLOT_ARGS]);
		if (argp)
			e->flags |= EXEC_F_ARGS_TRUNCATED;
	}
done:
	e->args_size = e->argc * EXEC_ARG_LEN;
	e->flags |= EXEC_F_INFLIGHT;
	return 0;
}

static __always_inline int exec_exit(void *ctx, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 idx = (__u32)id & (EXEC_NSLOTS - 1), argc;
	/* One buffer for every piece: the header is the largest (offsetof args: 320 bytes). */
	__u64 buf[offsetof(struct exec_event, args) / 8];
	struct exec_event *e = __builtin_assume_aligned(exec_slots.lookup(&idx), 8);

	if (!e || !(e->flags & EXEC_F_INFLIGHT) || e->tid != (__u32)id)
		return 0;
	e->flags &= ~EXEC_F_INFLIGHT;
	e->retval = (__s32)ret;
	argc = e->argc;
#pragma unroll
	for (int i = 0; i < EXEC_SLOT_ARGS; i++) {
		struct exec_arg_part *p = (struct exec_arg_part *)buf;

		if (i < argc) {
			p->kind = EXEC_PART_ARG;
			p->tid = (__u32)id;
			p->index = i;
			p->pad = 0;
			exec_copy(p->data, &e->args[i * EXEC_ARG_LEN], EXEC_ARG_LEN);
			if (exec_events.perf_submit(ctx, buf, sizeof(struct exec_arg_part)))
				em_count(EM_STAT_PERF_FAIL);
		}
	}
	exec_copy(buf, e, sizeof(buf));
	if (exec_events.perf_submit(ctx, buf, sizeof(buf)))
		em_count(EM_STAT_PERF_FAIL);
	return 0;
}

#else /* 4.18+: the event in per-CPU scratch, stashed by thread id in a hash */

BPF_PERCPU_ARRAY(exec_scratch, struct exec_event, 1);
#ifdef EXEC_INFLIGHT_PREALLOC
/* Before 4.6 every hash map is preallocated. */
BPF_HASH(exec_inflight, __u64, struct exec_event, EXEC_INFLIGHT_ENTRIES);
#else
/* Not preallocated: an entry lives from an exec's entry to its exit, a handful at a time, and
 * 10240 preallocated 1.3 KiB entries would hold 14 MB of kernel memory for nothing. */
BPF_F_TABLE("hash", __u64, struct exec_event, exec_inflight, EXEC_INFLIGHT_ENTRIES,
	    BPF_F_NO_PREALLOC);
#endif
static __always_inline int exec_enter(const char *filename, const char *const *argv, __u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0, off = 0, who;
	struct exec_event *e;

	if (em_skip_current())
		return 0;
	who = em_who();
	if (em_who_skipped(who))
		return 0;
	e = exec_scratch.lookup(&zero);
	if (!e)
		return 0;
	exec_fill_header(e, id, flags, who);
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_probe_read_str(e->filename, sizeof(e->filename), filename);

#pragma unroll
	for (int i = 0; i < EXEC_MAX_ARGS; i++) {
		const char *argp = NULL;
		int n;

		bpf_probe_read(&argp, sizeof(argp), &argv[i]);
		if (!argp)
			goto done;
		if (off > EXEC_ARGS_SIZE - EXEC_ARG_LEN)
			goto truncated;
		n = bpf_probe_read_str(&e->args[off & (EXEC_ARGS_SIZE - 1)], EXEC_ARG_LEN, argp);
		if (n <= 0)
			goto done;
		off += n;
		e->argc++;
	}
	{
		/* Was there an argument beyond the last one captured? */
		const char *argp = NULL;

		bpf_probe_read(&argp, sizeof(argp), &argv[EXEC_MAX_ARGS]);
		if (!argp)
			goto done;
	}
truncated:
	e->flags |= EXEC_F_ARGS_TRUNCATED;
done:
	e->args_size = off;
	if (exec_inflight.update(&id, e))
		em_count(EM_STAT_MAP_FULL);
	return 0;
}

static __always_inline int exec_exit(void *ctx, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct exec_event *e = exec_inflight.lookup(&id);
	__u32 size;

	if (!e)
		return 0;
	e->retval = (__s32)ret;
	size = e->args_size;
	if (size > EXEC_ARGS_SIZE)
		size = EXEC_ARGS_SIZE;
	size += offsetof(struct exec_event, args);
	if (exec_events.perf_submit(ctx, e, size & 0xffff))
		em_count(EM_STAT_PERF_FAIL);
	exec_inflight.delete(&id);
	return 0;
}

#endif

/* --- tracepoint alternative --- */

int tp_execve_enter(struct em_syscall_enter_args *ctx)
{
	return exec_enter((const char *)ctx->args[0], (const char *const *)ctx->args[1], 0);
}

int tp_execveat_enter(struct em_syscall_enter_args *ctx)
{
	return exec_enter((const char *)ctx->args[1], (const char *const *)ctx->args[2],
			  EXEC_F_EXECVEAT);
}

int tp_exec_exit(struct em_syscall_exit_args *ctx)
{
	return exec_exit(ctx, ctx->ret);
}

/* --- kprobe alternative (RHEL 7 and any kernel without syscall tracepoints) --- */

int kp_execve_enter(struct pt_regs *ctx)
{
	const char *filename = NULL;
	const char *const *argv = NULL;

	EM_KPROBE_SYSCALL_ARG(ctx, 1, filename);
	EM_KPROBE_SYSCALL_ARG(ctx, 2, argv);
	return exec_enter(filename, argv, 0);
}

int kp_execveat_enter(struct pt_regs *ctx)
{
	const char *filename = NULL;
	const char *const *argv = NULL;

	EM_KPROBE_SYSCALL_ARG(ctx, 2, filename);
	EM_KPROBE_SYSCALL_ARG(ctx, 3, argv);
	return exec_enter(filename, argv, EXEC_F_EXECVEAT);
}

int kp_exec_exit(struct pt_regs *ctx)
{
	return exec_exit(ctx, PT_REGS_RC(ctx));
}

/* --- parent tracking: child -> parent tgid, without reading task_struct --- */

int tp_sched_fork(void *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 child = 0;

	bpf_probe_read(&child, sizeof(child), (char *)ctx + FORK_CHILD_PID_OFF);
	/* A full map only costs a /proc lookup in user space; not an event lost. */
	exec_ppid.update(&child, &parent);
	return 0;
}

int tp_sched_exit(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	exec_ppid.delete(&tid);
	return 0;
}

/* --- raw_syscalls alternative (no kprobes, no BPF on syscall tracepoints): every syscall's
 * record, execve and execveat picked by the native ABI's numbers --- */

#ifndef EXEC_NR_EXECVE
#define EXEC_NR_EXECVE -1
#endif
#ifndef EXEC_NR_EXECVEAT
#define EXEC_NR_EXECVEAT -1
#endif

int raw_exec_enter(struct em_raw_sys_enter_args *ctx)
{
	long nr = EM_RAW_SC_ID(ctx);
	const char *filename = (const char *)ctx->args[0];
	const char *const *argv = (const char *const *)ctx->args[1];
	__u32 flags = 0;

	if (nr == EXEC_NR_EXECVEAT) {
		filename = (const char *)ctx->args[1];
		argv = (const char *const *)ctx->args[2];
		flags = EXEC_F_EXECVEAT;
	} else if (nr != EXEC_NR_EXECVE) {
		return 0;
	}
	return exec_enter(filename, argv, flags);
}

int raw_exec_exit(void *ctx)
{
	long nr = EM_RAW_SC_ID(ctx);

	if (nr != EXEC_NR_EXECVE && nr != EXEC_NR_EXECVEAT)
		return 0;
	return exec_exit(ctx, EM_RAW_SC_RET(ctx));
}
