/* open.bpf.c - counts open(2), openat(2) and openat2(2) per (task name, syscall, flags, path,
 * and with attribution the process's class) with errors by errno and latency from sys_enter to
 * sys_exit. The entry keeps the flags, the path's address and the class by thread id (32
 * bytes); the exit reads the path straight into the key, after the kernel's own copy has
 * faulted its page in (so a path in a page not yet touched is read too), as opensnoop does.
 * Only tracepoint records and user memory are read. */
#include <uapi/asm-generic/errno.h>

#include "common.h"
#include "open.h"

#ifndef OPEN_MAP_ENTRIES
#define OPEN_MAP_ENTRIES 10240
#endif
/* Threads inside an open at the same time. */
#define OPEN_INFLIGHT_ENTRIES 10240

#ifndef OPEN_FAST
#define OPEN_FAST 0
#endif

/* BPF_TABLE, not BPF_PERCPU_HASH: bcc 0.18 (Debian 11) has no such macro */
#if OPEN_FAST
#define OPEN_COUNT_KEY struct open_fkey
BPF_TABLE("percpu_hash", struct open_fkey, struct open_value, open_counts, OPEN_MAP_ENTRIES);
BPF_HASH(open_paths, struct open_path_key, struct open_path, 2 * OPEN_MAP_ENTRIES);
BPF_PERCPU_ARRAY(open_scratch_path, struct open_path, 1);
#else
#define OPEN_COUNT_KEY struct open_key
BPF_TABLE("percpu_hash", struct open_key, struct open_value, open_counts, OPEN_MAP_ENTRIES);
#endif
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
#if !(EM_MAP_KEYS_STACK_ONLY || EM_HELPER_MEM_STACK_ONLY || OPEN_FAST)
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
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct open_start s = {};
	__u64 w = 1;
	__u32 who;

	if (em_sample_skip(&w))
		return 0;
	/* em_skip_current() without a second pid_tgid call */
	if ((EM_SELF_TGID && (id >> 32) == EM_SELF_TGID) || em_filtered_current())
		return 0;
	/* The opening process's attribution, here rather than at the exit (the same process):
	 * a class the filters leave out then costs no in-flight entry. */
	who = em_who();
	if (em_who_skipped(who))
		return 0;
#ifdef OPEN_INFLIGHT_LRU
	struct open_start *old = open_start.lookup(&tid);

	if (old) {
		/* this thread's entry from an earlier open: rewritten in place */
		old->flags = (__u32)flags;
		old->flags_hi = (flags >> 32) != 0;
		old->who = who;
		old->path_ptr = (__u64)path;
		old->op = op;
#ifdef EM_SAMPLING
		old->weight = w;
#endif
		old->ts_ns = bpf_ktime_get_ns();
		return 0;
	}
#endif
	s.flags = (__u32)flags;
	s.flags_hi = (flags >> 32) != 0;
	s.who = who;
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

/* Counts one finished call as w calls (sampling). The errno buckets stay unweighted: they only
 * pick the most frequent errno. */
static __always_inline void open_count_value(struct open_value *v, __u64 d, long ret, __u64 w)
{
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

/* Key k's value, inserted (zero) where it is new; NULL when the map is full. */
static __always_inline struct open_value *open_value_of(OPEN_COUNT_KEY *k)
{
	struct open_value *v = open_counts.lookup(k);

	if (!v) {
		struct open_value fresh = {};

		open_counts.insert(k, &fresh);
		v = open_counts.lookup(k);
	}
	return v;
}

/* Counts one finished call under key k. */
static __always_inline void open_count(OPEN_COUNT_KEY *k, __u64 d, long ret, __u64 w)
{
	struct open_value *v = open_value_of(k);

	if (!v) {
		em_count(EM_STAT_MAP_FULL);
		return;
	}
	open_count_value(v, d, ret, w);
}

/* Fills the key's task name and path (k->filename zeroed by the caller where the path reader
 * needs it). */
static __always_inline void open_fill_key(struct open_key *k, const struct open_start *s, __u8 op)
{
	k->epoch = em_epoch_now();
	k->who = s->who;
	k->op = op;
	k->flags_hi = s->flags_hi;
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

#if OPEN_FAST
/*
 * The fast path (issue 18; kernels whose map helpers take map memory, 4.18+). The 288-byte key
 * cost the per-CPU hash a jhash and a memcmp of 288 bytes per open, and 256 bytes zeroed
 * before each read. Here the path is read into per-CPU scratch (not zeroed: only its len bytes
 * count), hashed here over its own words, and kept once per epoch in open_paths under that
 * hash; the count's key holds the hash instead of the path (40 bytes). A path found under the
 * id is compared word by word, and another path there moves this one to the next id
 * (OPEN_TRIES, then the open is counted as lost, map full): two paths never share an id in an
 * epoch, so no count goes to another path's row. User space names each
 * row from open_paths and drains that epoch's paths with the counts.
 */
#ifndef OPEN_LOOPS
#define OPEN_LOOPS 0
#endif
#ifndef OPEN_HASH_SEED
#define OPEN_HASH_SEED 0x2545f4914f6cdd1dULL
#endif
#ifndef OPEN_HASH_MUL
#define OPEN_HASH_MUL 0x9e3779b97f4a7c15ULL /* 0 makes every path collide (for a check) */
#endif
/* Ids tried per path and epoch (a path whose ids all hold others is counted lost, map full):
 * two where the compares are written out (before 5.3: they are most of the code). */
#if OPEN_LOOPS
#define OPEN_TRIES 4
#else
#define OPEN_TRIES 2
#endif

#define OPEN_WORDS (OPEN_PATH_LEN / 8)

/* clang-format off */
/* Written out, not looped (see em_str_end in common.h). */
#define OPEN_HASH_WORD(i)                                                                   \
	if ((i) >= nw)                                                                      \
		goto hashed;                                                                \
	h = (h ^ w[i]) * OPEN_HASH_MUL;                                                     \
	h ^= h >> 32;
#define OPEN_SAME_WORD(i)                                                                   \
	if ((i) >= nw)                                                                      \
		return 1;                                                                   \
	if (a[i] != b[i])                                                                   \
		return 0;
#define OPEN_X4(m, i) m(i) m(i + 1) m(i + 2) m(i + 3)
#define OPEN_X32(m)                                                                         \
	OPEN_X4(m, 0) OPEN_X4(m, 4) OPEN_X4(m, 8) OPEN_X4(m, 12) OPEN_X4(m, 16) OPEN_X4(m, 20) \
	OPEN_X4(m, 24) OPEN_X4(m, 28)
#define OPEN_HAS_ZERO(x) (((x)-0x0101010101010101ULL) & ~(x)&0x8080808080808080ULL)
/* clang-format on */

static __always_inline __u64 open_hash(const __u64 *w, __u32 nw)
{
	__u64 h = OPEN_HASH_SEED ^ nw;

	OPEN_X32(OPEN_HASH_WORD)
hashed:
	return h;
}

#if OPEN_LOOPS
/*
 * a and b (of the same length) are equal. Where the verifier takes bounded loops (5.3+), a
 * loop: the compares, written out at each place they are used, were most of the code to
 * compile (0.74 s for the probe instead of 0.30 before the fast path; 0.51 s with the loop;
 * the hash loop, tried too, cost 5 % more per open). It stops at the word that holds the
 * terminator (the only one with a zero byte: a path has none before it, and the bytes after
 * it are zeroed), not at a count of words, which would leave the verifier another range for
 * the count after each exit from the loop and make it walk the rest of the program once per
 * range.
 */
static __always_inline int open_same(const __u64 *a, const __u64 *b, __u32 nw)
{
	__u64 x;

	(void)nw;
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < OPEN_WORDS; i++) {
		/* an index, not a pointer clang steps on (which the verifier cannot bound) */
		asm volatile("" : "+r"(i));
		x = a[i & (OPEN_WORDS - 1)];
		if (x != b[i & (OPEN_WORDS - 1)])
			return 0;
		if (OPEN_HAS_ZERO(x))
			break;
	}
	return 1;
}
#else
/* The first nw words of a and b are equal. */
static __always_inline int open_same(const __u64 *a, const __u64 *b, __u32 nw)
{
	OPEN_X32(OPEN_SAME_WORD)
	return 1;
}
#endif

/* Reads the path into p (len, and zeros after the terminator to the end of its word); returns
 * its words. A bad pointer (the call failed with EFAULT) reads as the empty path. */
static __always_inline __u32 open_read_path(struct open_path *p, const char *src, __u8 *truncated)
{
	long n = bpf_probe_read_str(p->path, OPEN_PATH_LEN, src);
	__u32 rem;

	*truncated = 0;
	if (n <= 0) {
		p->path[0] = 0;
		n = 1;
	} else if (n >= OPEN_PATH_LEN) {
		/* The buffer is full: cut unless the string ends exactly there. */
		char next = 0;

		if (bpf_probe_read(&next, 1, src + OPEN_PATH_LEN - 1) || next)
			*truncated = 1;
		n = OPEN_PATH_LEN;
	}
	p->len = (__u32)n;
	rem = (__u32)n & 7;
	if (rem) {
		/* the terminator's word: n is 1..256, so the offset is 0..248 */
		__u64 *last = (__u64 *)(p->path + (((__u32)n - 1) & 0xf8));

		*last &= (1ULL << (rem * 8)) - 1;
	}
	return ((__u32)n + 7) >> 3;
}

/* What id pk holds: 1 p's text, 0 another path's, -1 nothing (free). */
static __always_inline int open_check_id(const struct open_path *p, struct open_path_key *pk,
					 __u32 nw)
{
	struct open_path *q = open_paths.lookup(pk);

	if (!q)
		return -1;
	return q->len == p->len && open_same((const __u64 *)q->path, (const __u64 *)p->path, nw);
}

static __always_inline void open_count_fast(const struct open_start *s, __u8 op, __u64 d, long ret,
					    __u64 w)
{
	int zero = 0;
	struct open_path *p = open_scratch_path.lookup(&zero);
	struct open_path_key pk = {};
	struct open_value *v;
	struct open_fkey k = {};
	struct open_path *q;
	__u32 nw;
	int r;

	if (!p)
		return;
	k.epoch = em_epoch_now();
	k.who = s->who;
	k.op = op;
	k.flags_hi = s->flags_hi;
	k.flags = s->flags;
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
	nw = open_read_path(p, (const char *)s->path_ptr, &k.truncated);
	pk.epoch = k.epoch;
	pk.id = open_hash((const __u64 *)p->path, nw);
	/* The id: the hash, or the next one after ids holding other paths; OPEN_TRIES tried,
	 * written out (see em_str_end). */
	if ((r = open_check_id(p, &pk, nw)) != 0)
		goto tried;
#if OPEN_TRIES > 2
	pk.id++;
	if ((r = open_check_id(p, &pk, nw)) != 0)
		goto tried;
	pk.id++;
	if ((r = open_check_id(p, &pk, nw)) != 0)
		goto tried;
#endif
	pk.id++;
	r = open_check_id(p, &pk, nw);
tried:
	if (r == 0)
		goto lost; /* every id tried holds another path */
	k.path_id = pk.id;
	v = open_value_of(&k);
	if (!v)
		goto lost;
	if (r < 0 && open_paths.insert(&pk, p) != 0) {
		/*
		 * A path new in this epoch: its count's key was inserted first, so that a full
		 * counts map loses the open without storing the path. Another CPU stored a path
		 * under this id in between: the same one, or (a collision at that very moment)
		 * another, whose key the zero one now is; this open is then counted lost.
		 */
		q = open_paths.lookup(&pk);
		if (!q || q->len != p->len ||
		    !open_same((const __u64 *)q->path, (const __u64 *)p->path, nw))
			goto lost;
	}
	open_count_value(v, d, ret, w);
	return;
lost:
	em_count(EM_STAT_MAP_FULL);
}
#endif

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
#if OPEN_FAST
	open_count_fast(s, op, d, ret, w);
	open_start_done(s, tid);
#elif EM_MAP_KEYS_STACK_ONLY || EM_HELPER_MEM_STACK_ONLY
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
