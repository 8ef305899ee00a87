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

BPF_PERCPU_HASH(open_counts, struct open_key, struct open_value, OPEN_MAP_ENTRIES);
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
/* The key is too big for the 512-byte BPF stack: built in per-CPU scratch instead. */
BPF_PERCPU_ARRAY(open_scratch_key, struct open_key, 1);

/* Reads the user's path into dst, which the caller zeroed (bpf_probe_read_str() stops at the
 * terminator and the key compares all OPEN_PATH_LEN bytes; zeroing the struct member lets
 * clang use 8-byte stores). Returns bpf_probe_read_str()'s result. */
static __always_inline int open_read_path(char *dst, const char *path, __u8 *ret_truncated)
{
	int n;

	*ret_truncated = 0;
	n = bpf_probe_read_str(dst, OPEN_PATH_LEN, path);
	if (n == OPEN_PATH_LEN) {
		/* The buffer is full: truncated unless the path ends exactly there (a failed
		 * read leaves that unknown: marked). */
		char next = 0;

		if (bpf_probe_read(&next, 1, path + OPEN_PATH_LEN - 1) || next)
			*ret_truncated = 1;
	}
	return n;
}

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

	if (em_skip_current())
		return 0;
#ifdef OPEN_INFLIGHT_LRU
	struct open_start *old = open_start.lookup(&tid);

	if (old) {
		/* this thread's entry from an earlier open: rewritten in place */
		old->flags = flags;
		old->path_ptr = (__u64)path;
		old->op = op;
		old->ts_ns = bpf_ktime_get_ns();
		return 0;
	}
#endif
	s.flags = flags;
	s.path_ptr = (__u64)path;
	s.op = op;
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

static __always_inline int open_exit(__u8 op, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns(), d;
	struct open_start *s;
	struct open_key *k;
	struct open_value *v;
	int zero = 0;

	/* No entry: the call began before the probes were attached (or its entry was not
	 * stored, counted there). */
	s = open_start.lookup(&tid);
	if (!s || s->op == OPEN_OP_DONE)
		return 0;
	k = open_scratch_key.lookup(&zero);
	if (!k || s->op != op) {
		/* A stale entry of another syscall: this call's own entry was never stored. */
		open_start_done(s, tid);
		return 0;
	}
	k->epoch = em_epoch_now();
	k->op = op;
	k->pad = 0;
	k->flags = s->flags;
	bpf_get_current_comm(&k->comm, sizeof(k->comm));
	/* A bad pointer (the call failed with EFAULT) leaves the path empty. */
	__builtin_memset(k->filename, 0, sizeof(k->filename));
	open_read_path(k->filename, (const char *)s->path_ptr, &k->truncated);
	d = now - s->ts_ns;
	open_start_done(s, tid);

	v = open_counts.lookup(k);
	if (!v) {
		struct open_value fresh = {};

		open_counts.insert(k, &fresh);
		v = open_counts.lookup(k);
		if (!v) {
			em_count(EM_STAT_MAP_FULL);
			return 0;
		}
	}
	/* Per-CPU value: this CPU is the only writer. */
	v->count++;
	v->lat_sum_ns += d;
	if (v->count == 1 || d < v->lat_min_ns)
		v->lat_min_ns = d;
	if (d > v->lat_max_ns)
		v->lat_max_ns = d;
	if (ret < 0) {
		v->errors++;
		open_count_errno(v, -ret);
	}
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
