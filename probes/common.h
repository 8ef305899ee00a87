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

/* What the running kernel's BPF takes (the loader defines these from kcheck's probes; the
 * defaults are a new kernel's):
 *   EM_HAVE_PROBE_READ_STR     bpf_probe_read_str (4.11);
 *   EM_HELPER_MEM_STACK_ONLY   helpers write and read only stack memory of a constant size
 *                              (before 4.11): no helper may fill a map value directly;
 *   EM_MAP_KEYS_STACK_ONLY     map helpers' keys and values only on the stack (before 4.18). */
#ifndef EM_HAVE_PROBE_READ_STR
#define EM_HAVE_PROBE_READ_STR 1
#endif
#ifndef EM_HELPER_MEM_STACK_ONLY
#define EM_HELPER_MEM_STACK_ONLY 0
#endif
#ifndef EM_MAP_KEYS_STACK_ONLY
#define EM_MAP_KEYS_STACK_ONLY 0
#endif

/* Syscall record layouts, from the format files (the loader defines the offsets); the defaults
 * are the 8-byte common header of every kernel from 3.10 to 6.x. */
#ifndef EM_SC_NR_OFF
#define EM_SC_NR_OFF 8 /* syscalls:sys_*: int __syscall_nr */
#endif
#ifndef EM_SC_ARGS_OFF
#define EM_SC_ARGS_OFF 16 /* syscalls:sys_enter_*: the arguments, 8 bytes each */
#endif
#ifndef EM_SC_RET_OFF
#define EM_SC_RET_OFF 16 /* syscalls:sys_exit_*: long ret */
#endif
#ifndef EM_RAW_SC_ID_OFF
#define EM_RAW_SC_ID_OFF 8 /* raw_syscalls:sys_enter/sys_exit: long id */
#endif
#ifndef EM_RAW_SC_ARGS_OFF
#define EM_RAW_SC_ARGS_OFF 16 /* raw_syscalls:sys_enter: unsigned long args[6] */
#endif
#ifndef EM_RAW_SC_RET_OFF
#define EM_RAW_SC_RET_OFF 16 /* raw_syscalls:sys_exit: long ret */
#endif

struct em_syscall_enter_args {
	char common[EM_SC_ARGS_OFF];
	__u64 args[6];
};

struct em_syscall_exit_args {
	char common[EM_SC_RET_OFF];
	__s64 ret;
};

struct em_raw_sys_enter_args {
	char common[EM_RAW_SC_ARGS_OFF];
	__u64 args[6];
};

/* raw_syscalls:sys_exit: the number is a long there. */
#define EM_RAW_SC_ID(ctx) (*(__s64 *)((char *)(ctx) + EM_RAW_SC_ID_OFF))
#define EM_RAW_SC_RET(ctx) (*(__s64 *)((char *)(ctx) + EM_RAW_SC_RET_OFF))

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

struct em_comm {
	char name[EM_COMM_LEN];
};

/*
 * em_read_str(dst, size, src): reads a NUL-terminated string of at most `size` bytes (a
 * constant, a multiple of 8) into dst. Returns 1 when the string ended within them, 0 when it
 * was cut, -1 when nothing could be read; the bytes after the terminator are not defined.
 * With bpf_probe_read_str (4.11+) that helper does it. Before, a fixed-size bpf_probe_read,
 * halved until it succeeds (a string near the end of readable memory), and a word-wise search
 * for the terminator; dst must then be on the stack (EM_HELPER_MEM_STACK_ONLY) and 8-aligned.
 * Without bpf_probe_read_str, em_read_str_clean() also zeroes every byte after the terminator
 * (for map keys; with it, the caller zeroes the buffer first through its struct type, which lets
 * clang use 8-byte stores: open_fill_key()).
 */
#if EM_HAVE_PROBE_READ_STR
static __always_inline int em_read_str(void *dst, const int size, const void *src)
{
	int n = bpf_probe_read_str(dst, size, src);

	if (n <= 0)
		return -1;
	if (n < size)
		return 1;
	{
		/* The buffer is full: cut unless the string ends exactly there. */
		char next = 0;

		if (bpf_probe_read(&next, 1, (const char *)src + size - 1) || next)
			return 0;
	}
	return 1;
}
#else
/* Bytes read into dst by the largest fixed-size read that succeeds (the whole, a half, a
 * quarter, an eighth, 8 bytes); 0 when none does. Written out: clang leaves a loop over an
 * inlined function's argument rolled, and kernels before 5.3 refuse loops. */
static __always_inline int em_read_fixed(void *dst, const int size, const void *src)
{
	if (bpf_probe_read(dst, size, src) == 0)
		return size;
	if (size / 2 >= 8 && bpf_probe_read(dst, size / 2, src) == 0)
		return size / 2;
	if (size / 4 >= 8 && bpf_probe_read(dst, size / 4, src) == 0)
		return size / 4;
	if (size / 8 >= 8 && bpf_probe_read(dst, size / 8, src) == 0)
		return size / 8;
	if (size > 8 && bpf_probe_read(dst, 8, src) == 0)
		return 8;
	return 0;
}

#define EM_STR_MAX 256 /* the longest string em_str_end searches */

/* clang-format off */
/* One word of em_str_end: written out 32 times, not looped (clang leaves a "#pragma unroll"
 * loop rolled in some translation units, and kernels before 5.3 refuse loops). */
#define EM_STR_WORD(i)                                                                  \
	if ((i) < size / 8) {                                                           \
		__u64 v = w[i], z;                                                      \
		if (state) {                                                            \
			if (clean)                                                      \
				w[i] = 0;                                               \
		} else {                                                                \
			z = (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL;   \
			if (z) {                                                        \
				/* the lowest flagged byte is the first zero (LE) */    \
				if (clean)                                              \
					w[i] = v & (z ^ (z - 1));                       \
				state = (i) * 8 < got ? 1 : 2;                          \
			}                                                               \
		}                                                                       \
	}
#define EM_STR_WORDS4(i) EM_STR_WORD(i) EM_STR_WORD(i + 1) EM_STR_WORD(i + 2) EM_STR_WORD(i + 3)

/* Finds the terminator in the first `got` bytes of w (size bytes, at most EM_STR_MAX, on the
 * stack, 8-aligned), keeping the bytes up to it; with `clean`, zeroes everything after it.
 * 1 found, 0 not (then the last byte becomes the terminator, as bpf_probe_read_str leaves it). */
static __always_inline int em_str_end(__u64 *w, const int size, int got, const int clean)
{
	int state = 0; /* 0 searching, 1 found within the read, 2 found only after it */

	EM_STR_WORDS4(0) EM_STR_WORDS4(4) EM_STR_WORDS4(8) EM_STR_WORDS4(12)
	EM_STR_WORDS4(16) EM_STR_WORDS4(20) EM_STR_WORDS4(24) EM_STR_WORDS4(28)
	if (state != 1)
		((char *)w)[size - 1] = 0;
	return state == 1;
}
/* clang-format on */

static __always_inline int em_read_str(void *dst, const int size, const void *src)
{
	int got = em_read_fixed(dst, size, src);

	if (!got)
		return -1;
	return em_str_end((__u64 *)dst, size, got, 0);
}

static __always_inline int em_read_str_clean(void *dst, const int size, const void *src)
{
	int got = em_read_fixed(dst, size, src);

	if (!got)
		return -1;
	return em_str_end((__u64 *)dst, size, got, 1);
}
#endif

/* Reads at most `size` bytes (a constant multiple of 8) of a string into dst, 8-aligned (on
 * the stack before 4.11) and zeroed by the caller; the bytes after the terminator are not
 * defined, and before 4.11 a string that fills dst has no terminator: the reader bounds it. */
static __always_inline void em_read_str_bounded(void *dst, const int size, const void *src)
{
#if EM_HAVE_PROBE_READ_STR
	bpf_probe_read_str(dst, size, src);
#else
	em_read_fixed(dst, size, src);
#endif
}

/* Loss counters kept in a per-monitor array map, summed by user space. */
#define EM_STAT_MAP_FULL 0
#define EM_STAT_UNMATCHED 1
/* Makes the compiler forget what it knows about v: a bounds check after it is emitted as
 * written, on the register that is then used. Without it clang folds a check it can prove into
 * the computation of v (a range test as one unsigned compare of v - base), and verifiers before
 * ~6.8, which do not carry bounds across that subtraction, refuse the access. */
#define EM_BARRIER_VAR(v) asm volatile("" : "+r"(v))

#define EM_STAT_PERF_FAIL 2
#define EM_STAT_WHO_GONE_FULL 3 /* an exit's mark did not fit in em_who_gone (attribution) */
#define EM_NSTATS 4

#include "task_slots.h"
#include "attrib.h"
#include "sample.h"

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

/* True when the uid filter excludes the current task. */
static __always_inline int em_filtered_uid(void)
{
#ifdef EM_FILTER_UIDS
	__u32 uid = (__u32)bpf_get_current_uid_gid();

	if (!em_filter_uids.lookup(&uid))
		return 1;
#endif
	return 0;
}

/* True when the filters on what stays fixed while a thread keeps its name (its process, its
 * name) exclude the current task. */
static __always_inline int em_filtered_task(void)
{
#ifdef EM_FILTER_PIDS
	{
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (!em_filter_pids.lookup(&tgid))
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

/* True when the configured filters exclude the current task (the monitor itself aside). */
static __always_inline int em_filtered_current(void)
{
	return em_filtered_task() || em_filtered_uid();
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

/* ---- attribution (EM_ATTRIB defined: config `attribution`; src/monitors/attrib.h) ----
 *
 * em_who_of maps a process (its tgid) to its attribution class, which user space gives every
 * process it resolves from /proc/<pid>/cgroup (all of them at start). The kernel keeps it right
 * as processes come and go, in the order things happen: a child inherits its parent's class on
 * sched:sched_process_fork, before it first runs (a 1 ms process is attributed without user
 * space: its cgroup is its parent's until it moves); the entry goes when the task is freed,
 * after its last switch (sched:sched_process_free; the next owner of the pid gets the entry of
 * its own parent at its fork); a move to another cgroup of the hierarchy
 * (cgroup:cgroup_attach_task, where the kernel has it) removes the entry and notes the task in
 * em_moved, which user space resolves at its next 0.1 s poll. A process without an entry is
 * counted under EM_WHO_TGID | tgid and resolved when its key is read; if it exited unresolved,
 * em_who_gone says so and its counts go to "unknown", never to whoever has its pid by then.
 * Thread creations go through the fork tracepoint too: their entries (by thread id, never
 * looked up as a tgid) go when the thread is freed. */
#ifdef EM_ATTRIB
#ifndef EM_ATTRIB_TASKS
#define EM_ATTRIB_TASKS 32768
#endif
#ifndef EM_WHO_ROOT
#define EM_WHO_ROOT 0
#endif
#ifndef EM_FORK_CHILD_OFF
#define EM_FORK_CHILD_OFF 44 /* sched_process_fork's child_pid with char[16] names (3.10-6.x) */
#endif
#ifndef EM_FREE_PID_OFF
#define EM_FREE_PID_OFF 24 /* sched_process_free's pid with a char[16] name (3.10-6.x) */
#endif
#ifndef EM_CGATTACH_ROOT_OFF
#define EM_CGATTACH_ROOT_OFF 8
#endif
#ifndef EM_CGATTACH_PID_OFF
#define EM_CGATTACH_PID_OFF 24
#endif
BPF_HASH(em_who_of, __u32, __u32, EM_ATTRIB_TASKS);
BPF_HASH(em_who_gone, __u32, __u64, EM_ATTRIB_TASKS / 4); /* tgid -> exit time */
#if EM_ATTRIB_PERCPU
BPF_PERCPU_ARRAY(em_moved, struct em_moved, 1);
#else
BPF_ARRAY(em_moved, struct em_moved, 1); /* no per-CPU arrays (before 4.6): one shared list */
#endif

/* The current process's who value (see probes/attrib.h). */
static __always_inline __u32 em_who(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *c = em_who_of.lookup(&tgid);

	return c ? *c : (EM_WHO_TGID | tgid);
}

/* True when the who value is a class the filters leave out. */
static __always_inline int em_who_skipped(__u32 who)
{
	return (who & (EM_WHO_TGID | EM_WHO_SKIP)) == EM_WHO_SKIP;
}

struct em_fork_rec {
	char common[EM_FORK_CHILD_OFF];
	__s32 child_pid;
};

int em_tp_who_fork(struct em_fork_rec *a)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 child = (__u32)a->child_pid;
	__u32 *c = em_who_of.lookup(&parent);

	if (c) {
		__u32 v = *c; /* before 4.18 a map helper's value comes from the stack */

		em_who_of.update(&child, &v);
	}
	return 0;
}

/* sched:sched_process_exit: a process that exits without a class leaves a mark (its counts
 * cannot be resolved once it is gone). The entry of one with a class stays until the task is
 * freed: it still faults and is switched out on its way out. */
int em_tp_who_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, tgid = id >> 32;

	if (tid == tgid && !em_who_of.lookup(&tgid)) {
		__u64 now = bpf_ktime_get_ns();

		if (em_who_gone.update(&tgid, &now) != 0)
			em_count(EM_STAT_WHO_GONE_FULL);
	}
	return 0;
}

struct em_free_rec {
	char common[EM_FREE_PID_OFF];
	__s32 pid;
};

/* sched:sched_process_free: the task is gone (after its last switch). Its pid may be in use
 * again already (the tracepoint runs an RCU grace period after the pid was freed): then this
 * removes the new process's inherited entry, which user space reads again (its own cgroup),
 * never a wrong one. */
int em_tp_who_free(struct em_free_rec *a)
{
	__u32 pid = (__u32)a->pid;

	em_who_of.delete(&pid);
	return 0;
}

#else
static __always_inline __u32 em_who(void)
{
	return 0;
}

static __always_inline int em_who_skipped(__u32 who)
{
	return 0;
}
#endif

/* ---- task slots (EM_TASK_SLOTS defined: a monitor's fast path; src/monitors/task_slots.h) ----
 *
 * The running thread's name without a helper call or a hash lookup while the same thread keeps
 * running on a CPU: a per-CPU entry holds the thread's pid_tgid, its name and the slot user
 * space gave that name (an index into the monitor's per-CPU count arrays), valid while em_gen
 * is unchanged. em_gen is bumped by the kernel where a name can change or a thread id can be
 * reused (em_tp_task_fork on sched:sched_process_fork, which runs before the child first does;
 * em_tp_task_rename on task:task_rename, which exec and prctl(PR_SET_NAME) both pass), and by
 * user space when it (re)assigns slots and once a second (a rename of another, running thread
 * through /proc/<pid>/comm passes the tracepoint just before the name is copied: a refresh in
 * between keeps the old name until the next bump). Names without a slot take the monitor's
 * hash path with the cached name; a name that gets hot there is noted in em_hot for user space
 * to promote. The filters on the process and the name are evaluated when the entry is
 * refreshed; the uid filter (setuid changes it without an exec) on every event. */
#ifdef EM_TASK_SLOTS
BPF_PERCPU_ARRAY(em_task_cache, struct em_task, 1);
BPF_ARRAY(em_gen, __u32, 1);
BPF_HASH(em_slot_of, struct em_task_key, __u32, EM_TASK_SLOTS);
BPF_PERCPU_ARRAY(em_hot, struct em_hot_names, 1);

static __always_inline int em_task_names_changed(void)
{
	int zero = 0;
	__u32 *g = em_gen.lookup(&zero);

	if (g)
		__sync_fetch_and_add(g, 1);
	return 0;
}

int em_tp_task_fork(void *ctx)
{
	return em_task_names_changed();
}

int em_tp_task_rename(void *ctx)
{
	return em_task_names_changed();
}

/* The running thread's entry, refreshed when stale; NULL only if a map is missing. */
static __always_inline struct em_task *em_task_current(void)
{
	int zero = 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct em_task *t = em_task_cache.lookup(&zero);
	__u32 *g = em_gen.lookup(&zero);

	if (!t || !g)
		return 0;
	if (t->pid_tgid != id || t->gen != *g) {
		/* The name goes through the stack: before 4.11 helpers write only there, before
		 * 4.18 map keys are read only from there. */
		struct em_task_key c = {};
		__u32 *s;

		t->pid_tgid = id;
		t->gen = *g;
		bpf_get_current_comm(&c.name, sizeof(c.name));
		__builtin_memcpy(t->comm, c.name, sizeof(t->comm));
		c.who = t->who = em_who();
		if ((EM_SELF_TGID && (id >> 32) == EM_SELF_TGID) || em_filtered_task() ||
		    em_who_skipped(c.who)) {
			t->slot = EM_SLOT_SKIP;
			return t;
		}
		s = em_slot_of.lookup(&c);
		t->slot = s ? *s : EM_SLOT_NONE;
	}
	return t;
}

/* True when the event of the thread t is not to be counted. */
static __always_inline int em_task_skipped(const struct em_task *t)
{
	return t->slot == EM_SLOT_SKIP || em_filtered_uid();
}

/* A hash-path count reached EM_HOT_AT: the name (and who) is worth a slot (a hint; user space
 * decides). */
static __always_inline void em_task_note_hot(const char *name, __u32 who)
{
	int zero = 0;
	struct em_hot_names *h = em_hot.lookup(&zero);

	if (h) {
		__u32 i = h->n;

		if (i < EM_HOT_N) {
			__builtin_memcpy(h->key[i].name, name, EM_COMM_LEN);
			h->key[i].who = who;
			h->n = i + 1;
		}
	}
}
#endif

/* attribution: a task moved to another cgroup (see the attribution part above) */
#ifdef EM_ATTRIB
struct em_cgattach_rec {
	char common[EM_CGATTACH_ROOT_OFF];
	__s32 dst_root;
};
struct em_cgattach_pid {
	char common[EM_CGATTACH_PID_OFF];
	__s32 pid;
};

/* The task pid's cgroup may have changed: user space reads it again (within 0.1 s); with
 * moved, the kernel saw it move and its entry goes now. */
static __always_inline int em_who_changed(__u32 pid, int moved)
{
	int zero = 0;
	struct em_moved *mv;

	if (moved)
		em_who_of.delete(&pid);
	mv = em_moved.lookup(&zero);
	if (mv) {
		__u32 i = mv->n;

		if (i < EM_MOVED_N) {
			mv->pid[i] = pid;
			mv->n = i + 1;
		}
	}
#ifdef EM_TASK_SLOTS
	{
		__u32 *g = em_gen.lookup(&zero);

		if (g)
			__sync_fetch_and_add(g, 1);
	}
#endif
	return 0;
}

int em_tp_who_move(void *ctx)
{
	__s32 root = ((struct em_cgattach_rec *)ctx)->dst_root;
	__u32 pid = (__u32)((struct em_cgattach_pid *)ctx)->pid;

	return root == EM_WHO_ROOT ? em_who_changed(pid, 1) : 0;
}

/* Where the kernel has no cgroup tracepoints (before 4.9: RHEL 7) it cannot see a move: a
 * process that was moved before it exec'd (systemd, runc, cgexec start services and containers
 * so) keeps the class it inherited until user space reads its cgroup, within 0.1 s of the exec;
 * and user space reads every process again every 2 s (a move without an exec). Its entry stays
 * meanwhile: a short-lived program keeps its parent's class, which is right unless it moved. */
int em_tp_who_exec(void *ctx)
{
	return em_who_changed(bpf_get_current_pid_tgid() >> 32, 0);
}
#endif

/* ---- sampling under an overhead budget (config `overhead_budget`), compiled in only then ----
 *
 * A hot aggregating probe starts with
 *	__u64 w = 1;
 *	if (em_sample_skip(&w))
 *		return 0;
 * and adds w where it added 1 (v->count += w): the counts come out already scaled, and stay
 * right when N changes in the middle of an interval. Without EM_SAMPLING em_sample_skip() is
 * a constant 0 and w the constant 1: the compiler emits the same code as without the lines.
 *
 * With it, user space writes N (1, 2, 4, ... EM_SAMPLE_MAX) into em_sample_n; 1 counts every
 * event. A per-CPU countdown picks the events counted: after each counted one, the next is
 * 1 to 2N-1 events later (N on average, from bpf_get_prandom_u32: a fixed period would line
 * up with a traced program's own loop, e.g. read+write counted as reads only), and it carries
 * the N its gap was drawn with, so a higher N biases nothing. When N comes down below a gap's,
 * the rest of that gap is dropped and counting goes on at the new N at once: the interval the
 * change fell in (marked with the old N) is a little short, and a row marked sample_rate 1 is
 * exact. The random number is drawn once per counted event; a skipped event costs two array
 * lookups, a compare and a decrement.
 */
#ifdef EM_SAMPLING
BPF_ARRAY(em_sample_n, __u32, 1);
BPF_PERCPU_ARRAY(em_sample_cpu, struct em_sample_state, 1);

/* 1: skip this event; 0: count it, adding *w (left at 1 when nothing is sampled). */
static __always_inline int em_sample_skip(__u64 *w)
{
	int zero = 0;
	struct em_sample_state *c = em_sample_cpu.lookup(&zero);
	__u32 *np = em_sample_n.lookup(&zero);
	__u32 n;

	if (!c || !np)
		return 0;
	n = *np;
	if (n > EM_SAMPLE_MAX)
		n = EM_SAMPLE_MAX;
	c->seen++;
	if (c->left > 1 && n >= c->weight) {
		c->left--;
		return 1;
	}
	/* counted: the last of its gap stands for all of it */
	if (c->left <= 1 && c->weight > 1)
		*w = c->weight;
	if (n <= 1) {
		c->left = 0;
		c->weight = 1;
		return 0;
	}
	c->left = 1 + bpf_get_prandom_u32() % (2 * n - 1);
	c->weight = n;
	return 0;
}
#else
static __always_inline int em_sample_skip(__u64 *w)
{
	return 0;
}
#endif
