/* open.bpf.c - counts open(2), openat(2) and openat2(2) per (task name, syscall, flags, path)
 * with errors by errno and latency from sys_enter to sys_exit. The entry keeps the flags and
 * the path's address by thread id (32 bytes); the exit reads the path straight into the key,
 * after the kernel's own copy has faulted its page in (so a path in a page not yet touched is
 * read too), as opensnoop does. Only tracepoint records and user memory are read. */
#include <uapi/asm-generic/errno.h>

#include "common.h"
#include "open.h"

#ifndef OPEN_MAP_ENTRIES
#define OPEN_MAP_ENTRIES 10240
#endif
/* Threads inside an open at the same time. */
#define OPEN_INFLIGHT_ENTRIES 10240

/* BPF_TABLE, not BPF_PERCPU_HASH: bcc 0.18 (Debian 11) has no such macro */
BPF_TABLE("percpu_hash", struct open_key, struct open_value, open_counts, OPEN_MAP_ENTRIES);
/*
 * The in-flight record of each thread. With an LRU hash (4.10+; the loader says so with
 * OPEN_INFLIGHT_LRU) a thread's entry stays after its exit, marked done, and its next open
 * rewrites it in place: a lookup instead of an update at the entry and no delete at the exit,
 * 21 % less added time per open (1064 -> 844 ns, bench/README.md). Threads gone long ago are
 * what the LRU evicts. Before 4.10 each entry is inserted and deleted.
 */
#ifdef OPEN_INFLIGHT_LRU
BPF_TABLE("lru_hash", __u32, struct open_start, open_start, OPEN_INFLIGHT_ENTRIES);
#else
BPF_HASH(open_start, __u32, struct open_start, OPEN_INFLIGHT_ENTRIES);
#endif
#define OPEN_OP_DONE 0xff /* open_start.op of an entry whose exit has been seen */
#if !(EM_MAP_KEYS_STACK_ONLY || EM_HELPER_MEM_STACK_ONLY)
BPF_PERCPU_ARRAY(open_scratch_key, struct open_key, 1);
#endif

/* The exit has been seen: the entry is deleted, or with the LRU hash kept and marked done. */
static __always_inline void open_start_done(struct open_start *s, __u32 tid)
{
#ifdef OPEN_INFLIGHT_LRU
	s->op = OPEN_OP_DONE;
#else
	open_start.delete(&tid);
#endif
}

static __always_inline int open_enter(__u8 op, const char *path, __u64 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_start s = {};
	__u64 w = 1;

	if (em_sample_skip(&w))
		return 0;
	if (em_skip_current())
		return 0;
#ifdef OPEN_INFLIGHT_LRU
	struct open_start *old = open_start.lookup(&tid);

	if (old) {
		/* this thread's entry from an earlier open: rewritten in place */
		old->flags = flags;
		old->path_ptr = (__u64)path;
		old->op = op;
#ifdef EM_SAMPLING
		old->weight = w;
#endif
		old->ts_ns = bpf_ktime_get_ns();
		return 0;
	}
#endif
	s.flags = flags;
	s.path_ptr = (__u64)path;
	s.op = op;
#ifdef EM_SAMPLING
	s.weight = w;
#endif
	s.ts_ns = bpf_ktime_get_ns();
	if (open_start.update(&tid, &s))
		em_count(EM_STAT_MAP_FULL);
	return 0;
}

static __always_inline void open_count_errno(struct open_value *v, long err)
{
	switch (err) {
	case ENOENT:
		v->err[OPEN_E_NOENT]++;
		break;
	case EACCES:
		v->err[OPEN_E_ACCES]++;
		break;
	case EPERM:
		v->err[OPEN_E_PERM]++;
		break;
	case EEXIST:
		v->err[OPEN_E_EXIST]++;
		break;
	case ENOTDIR:
		v->err[OPEN_E_NOTDIR]++;
		break;
	case EISDIR:
		v->err[OPEN_E_ISDIR]++;
		break;
	case ELOOP:
		v->err[OPEN_E_LOOP]++;
		break;
	case EMFILE:
		v->err[OPEN_E_MFILE]++;
		break;
	case ENFILE:
		v->err[OPEN_E_NFILE]++;
		break;
	default:
		v->err[OPEN_E_OTHER]++;
		v->other_errno = (__u32)err;
		break;
	}
}

/* Counts one finished call under key k, as w calls (sampling). The errno buckets stay
 * unweighted: they only pick the most frequent errno. */
static __always_inline void open_count(struct open_key *k, __u64 d, long ret, __u64 w)
{
	struct open_value *v = open_counts.lookup(k);

	if (!v) {
		struct open_value fresh = {};

		open_counts.insert(k, &fresh);
		v = open_counts.lookup(k);
		if (!v) {
			em_count(EM_STAT_MAP_FULL);
			return;
		}
	}
	/* Per-CPU value: this CPU is the only writer. */
	v->count += w;
	v->lat_sum_ns += d * w; /* the average stays lat_sum_ns / count */
	if (v->count == w || d < v->lat_min_ns)
		v->lat_min_ns = d;
	if (d > v->lat_max_ns)
		v->lat_max_ns = d;
	if (ret < 0) {
		v->errors += w;
		open_count_errno(v, -ret);
	}
}

/* Fills the key's task name and path (k->filename zeroed by the caller where the path reader
 * needs it). */
static __always_inline void open_fill_key(struct open_key *k, const struct open_start *s, __u8 op)
{
	k->epoch = em_epoch_now();
	k->op = op;
	k->pad = 0;
	k->flags = s->flags;
	bpf_get_current_comm(&k->comm, sizeof(k->comm));
#if EM_HAVE_PROBE_READ_STR
	/* A bad pointer (the call failed with EFAULT) leaves the path empty. */
	__builtin_memset(k->filename, 0, sizeof(k->filename));
	k->truncated = em_read_str(k->filename, OPEN_PATH_LEN, (const char *)s->path_ptr) == 0;
#else
	k->truncated = em_read_str_clean(k->filename, OPEN_PATH_LEN, (const char *)s->path_ptr) ==
		       0;
#endif
}

static __always_inline int open_exit(__u8 op, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns(), d;
	struct open_start *s;
	__u64 w = 1;

	/* No entry: the call began before the probes were attached (or its entry was not
	 * stored, counted there). */
	s = open_start.lookup(&tid);
	if (!s || s->op == OPEN_OP_DONE)
		return 0;
	if (s->op != op) {
		/* A stale entry of another syscall: this call's own entry was never stored. */
		open_start_done(s, tid);
		return 0;
	}
	d = now - s->ts_ns;
#ifdef EM_SAMPLING
	w = s->weight; /* what the entry was sampled with */
#endif
#if EM_MAP_KEYS_STACK_ONLY || EM_HELPER_MEM_STACK_ONLY
	{
		/* Before 4.18 a map key must be on the stack (288 of its 512 bytes). */
		struct open_key k;

		open_fill_key(&k, s, op);
		open_start_done(s, tid);
		open_count(&k, d, ret, w);
	}
#else
	{
		/* The key is too big for the stack to be cheap: built in per-CPU scratch. */
		int zero = 0;
		struct open_key *k = open_scratch_key.lookup(&zero);

		if (!k)
			return 0;
		open_fill_key(k, s, op);
		open_start_done(s, tid);
		open_count(k, d, ret, w);
	}
#endif
	return 0;
}

/* sys_enter_open: filename, flags, mode. Not on arm64 (optional). */
int tp_enter_open(struct em_syscall_enter_args *ctx)
{
	return open_enter(OPEN_OP_OPEN, (const char *)ctx->args[0], (__u32)ctx->args[1]);
}

int tp_exit_open(struct em_syscall_exit_args *ctx)
{
	return open_exit(OPEN_OP_OPEN, ctx->ret);
}

/* sys_enter_openat: dfd, filename, flags, mode. */
int tp_enter_openat(struct em_syscall_enter_args *ctx)
{
	return open_enter(OPEN_OP_OPENAT, (const char *)ctx->args[1], (__u32)ctx->args[2]);
}

int tp_exit_openat(struct em_syscall_exit_args *ctx)
{
	return open_exit(OPEN_OP_OPENAT, ctx->ret);
}

/* sys_enter_openat2 (5.6+): dfd, filename, how, usize; open_how starts with the u64 flags. */
int tp_enter_openat2(struct em_syscall_enter_args *ctx)
{
	__u64 flags = 0;

	bpf_probe_read(&flags, sizeof(flags), (const void *)ctx->args[2]);
	return open_enter(OPEN_OP_OPENAT2, (const char *)ctx->args[1], flags);
}

int tp_exit_openat2(struct em_syscall_exit_args *ctx)
{
	return open_exit(OPEN_OP_OPENAT2, ctx->ret);
}

/* --- kprobe alternative: the syscalls' entry symbols (kernels whose syscall tracepoints take
 * no BPF program, before 4.14) --- */

int kp_enter_open(struct pt_regs *ctx)
{
	const char *path = NULL;
	long flags = 0;

	EM_KPROBE_SYSCALL_ARG(ctx, 1, path);
	EM_KPROBE_SYSCALL_ARG(ctx, 2, flags);
	return open_enter(OPEN_OP_OPEN, path, (__u32)flags);
}

int kp_exit_open(struct pt_regs *ctx)
{
	return open_exit(OPEN_OP_OPEN, PT_REGS_RC(ctx));
}

int kp_enter_openat(struct pt_regs *ctx)
{
	const char *path = NULL;
	long flags = 0;

	EM_KPROBE_SYSCALL_ARG(ctx, 2, path);
	EM_KPROBE_SYSCALL_ARG(ctx, 3, flags);
	return open_enter(OPEN_OP_OPENAT, path, (__u32)flags);
}

int kp_exit_openat(struct pt_regs *ctx)
{
	return open_exit(OPEN_OP_OPENAT, PT_REGS_RC(ctx));
}

int kp_enter_openat2(struct pt_regs *ctx)
{
	const char *path = NULL;
	const void *how = NULL;
	__u64 flags = 0;

	EM_KPROBE_SYSCALL_ARG(ctx, 2, path);
	EM_KPROBE_SYSCALL_ARG(ctx, 3, how);
	bpf_probe_read(&flags, sizeof(flags), how);
	return open_enter(OPEN_OP_OPENAT2, path, flags);
}

int kp_exit_openat2(struct pt_regs *ctx)
{
	return open_exit(OPEN_OP_OPENAT2, PT_REGS_RC(ctx));
}

/* --- raw_syscalls alternative: every syscall's record, the open ones picked by number (the
 * native ABI's; -1 where the architecture has no such call). Plain tracepoints take BPF from
 * 4.7, so this works where neither syscall tracepoints nor kprobes do. --- */

#ifndef OPEN_NR_OPEN
#define OPEN_NR_OPEN -1
#endif
#ifndef OPEN_NR_OPENAT
#define OPEN_NR_OPENAT -1
#endif
#ifndef OPEN_NR_OPENAT2
#define OPEN_NR_OPENAT2 -1
#endif

int raw_open_enter(struct em_raw_sys_enter_args *ctx)
{
	long nr = EM_RAW_SC_ID(ctx);
	const char *path = (const char *)ctx->args[1];
	__u64 flags = (__u32)ctx->args[2];
	__u8 op = OPEN_OP_OPENAT;

	if (nr == OPEN_NR_OPEN) {
		op = OPEN_OP_OPEN;
		path = (const char *)ctx->args[0];
		flags = (__u32)ctx->args[1];
	} else if (nr == OPEN_NR_OPENAT2) {
		op = OPEN_OP_OPENAT2;
		flags = 0;
		bpf_probe_read(&flags, sizeof(flags), (const void *)ctx->args[2]);
	} else if (nr != OPEN_NR_OPENAT) {
		return 0;
	}
	return open_enter(op, path, flags);
}

int raw_open_exit(void *ctx)
{
	long nr = EM_RAW_SC_ID(ctx);
	__u8 op;

	if (nr == OPEN_NR_OPENAT)
		op = OPEN_OP_OPENAT;
	else if (nr == OPEN_NR_OPEN)
		op = OPEN_OP_OPEN;
	else if (nr == OPEN_NR_OPENAT2)
		op = OPEN_OP_OPENAT2;
	else
		return 0;
	return open_exit(op, EM_RAW_SC_RET(ctx));
}
