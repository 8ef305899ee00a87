/* func.bpf.c - counts calls of kernel functions chosen by name pattern, per (function, task
 * name[, pid][, attribution class of the calling process]), through one small program per
 * function: a kprobe, or an fentry (kfunc) program where the kernel has BTF and trampolines. */
#include "common.h"
#include "func.h"

#ifndef FUNC_MAP_ENTRIES
#define FUNC_MAP_ENTRIES 10240
#endif
#ifndef FUNC_COUNT
#define FUNC_COUNT 0
#endif

/* BPF_TABLE, not BPF_PERCPU_HASH: bcc 0.18 (Debian 11) has no such macro */
BPF_TABLE("percpu_hash", struct func_key, struct func_value, func_counts, FUNC_MAP_ENTRIES);

static __always_inline int func_account(__u32 idx)
{
	struct func_key k = {};
	struct func_value *v;
	__u64 w = 1;

	if (em_sample_skip(&w))
		return 0;
	if (em_skip_current())
		return 0;
	k.who = em_who();
	if (em_who_skipped(k.who))
		return 0;
	k.epoch = em_epoch_now();
	k.idx = idx;
#ifdef FUNC_PER_PID
	k.pid = bpf_get_current_pid_tgid() >> 32;
#endif
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
	v = func_counts.lookup(&k);
	if (!v) {
		struct func_value zero = {};

		func_counts.insert(&k, &zero);
		v = func_counts.lookup(&k);
		if (!v) {
			em_count(EM_STAT_MAP_FULL);
			return 0;
		}
	}
	v->count += w; /* per-CPU value: this CPU is the only writer */
	return 0;
}

/* Program i counts function i. The kprobe programs are kp_func_<i>; the fentry ones must be
 * named kfunc__<function> (bcc finds the BTF id from the name), so user space passes each
 * name as FUNC_NAME_<i> and FUNC_KFUNC_ENABLED enables them (only when BTF is there to compile). */
#define FUNC_KPROBE(i)                                                                      \
	int kp_func_##i(struct pt_regs *ctx)                                                \
	{                                                                                   \
		return func_account(i);                                                     \
	}
/* One declared argument, unused (the load of it is dropped): bcc 0.18's KFUNC_PROBE takes no
 * empty argument list. */
#define FUNC_KFUNC_NAMED(name, i)                  \
	KFUNC_PROBE(name, unsigned long func_arg0) \
	{                                          \
		return func_account(i);            \
	}
#define FUNC_KFUNC(name, i) FUNC_KFUNC_NAMED(name, i)

#if FUNC_COUNT > 0
FUNC_KPROBE(0)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_0)
FUNC_KFUNC(FUNC_NAME_0, 0)
#endif
#endif
#if FUNC_COUNT > 1
FUNC_KPROBE(1)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_1)
FUNC_KFUNC(FUNC_NAME_1, 1)
#endif
#endif
#if FUNC_COUNT > 2
FUNC_KPROBE(2)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_2)
FUNC_KFUNC(FUNC_NAME_2, 2)
#endif
#endif
#if FUNC_COUNT > 3
FUNC_KPROBE(3)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_3)
FUNC_KFUNC(FUNC_NAME_3, 3)
#endif
#endif
#if FUNC_COUNT > 4
FUNC_KPROBE(4)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_4)
FUNC_KFUNC(FUNC_NAME_4, 4)
#endif
#endif
#if FUNC_COUNT > 5
FUNC_KPROBE(5)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_5)
FUNC_KFUNC(FUNC_NAME_5, 5)
#endif
#endif
#if FUNC_COUNT > 6
FUNC_KPROBE(6)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_6)
FUNC_KFUNC(FUNC_NAME_6, 6)
#endif
#endif
#if FUNC_COUNT > 7
FUNC_KPROBE(7)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_7)
FUNC_KFUNC(FUNC_NAME_7, 7)
#endif
#endif
#if FUNC_COUNT > 8
FUNC_KPROBE(8)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_8)
FUNC_KFUNC(FUNC_NAME_8, 8)
#endif
#endif
#if FUNC_COUNT > 9
FUNC_KPROBE(9)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_9)
FUNC_KFUNC(FUNC_NAME_9, 9)
#endif
#endif
#if FUNC_COUNT > 10
FUNC_KPROBE(10)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_10)
FUNC_KFUNC(FUNC_NAME_10, 10)
#endif
#endif
#if FUNC_COUNT > 11
FUNC_KPROBE(11)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_11)
FUNC_KFUNC(FUNC_NAME_11, 11)
#endif
#endif
#if FUNC_COUNT > 12
FUNC_KPROBE(12)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_12)
FUNC_KFUNC(FUNC_NAME_12, 12)
#endif
#endif
#if FUNC_COUNT > 13
FUNC_KPROBE(13)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_13)
FUNC_KFUNC(FUNC_NAME_13, 13)
#endif
#endif
#if FUNC_COUNT > 14
FUNC_KPROBE(14)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_14)
FUNC_KFUNC(FUNC_NAME_14, 14)
#endif
#endif
#if FUNC_COUNT > 15
FUNC_KPROBE(15)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_15)
FUNC_KFUNC(FUNC_NAME_15, 15)
#endif
#endif
#if FUNC_COUNT > 16
FUNC_KPROBE(16)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_16)
FUNC_KFUNC(FUNC_NAME_16, 16)
#endif
#endif
#if FUNC_COUNT > 17
FUNC_KPROBE(17)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_17)
FUNC_KFUNC(FUNC_NAME_17, 17)
#endif
#endif
#if FUNC_COUNT > 18
FUNC_KPROBE(18)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_18)
FUNC_KFUNC(FUNC_NAME_18, 18)
#endif
#endif
#if FUNC_COUNT > 19
FUNC_KPROBE(19)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_19)
FUNC_KFUNC(FUNC_NAME_19, 19)
#endif
#endif
#if FUNC_COUNT > 20
FUNC_KPROBE(20)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_20)
FUNC_KFUNC(FUNC_NAME_20, 20)
#endif
#endif
#if FUNC_COUNT > 21
FUNC_KPROBE(21)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_21)
FUNC_KFUNC(FUNC_NAME_21, 21)
#endif
#endif
#if FUNC_COUNT > 22
FUNC_KPROBE(22)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_22)
FUNC_KFUNC(FUNC_NAME_22, 22)
#endif
#endif
#if FUNC_COUNT > 23
FUNC_KPROBE(23)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_23)
FUNC_KFUNC(FUNC_NAME_23, 23)
#endif
#endif
#if FUNC_COUNT > 24
FUNC_KPROBE(24)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_24)
FUNC_KFUNC(FUNC_NAME_24, 24)
#endif
#endif
#if FUNC_COUNT > 25
FUNC_KPROBE(25)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_25)
FUNC_KFUNC(FUNC_NAME_25, 25)
#endif
#endif
#if FUNC_COUNT > 26
FUNC_KPROBE(26)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_26)
FUNC_KFUNC(FUNC_NAME_26, 26)
#endif
#endif
#if FUNC_COUNT > 27
FUNC_KPROBE(27)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_27)
FUNC_KFUNC(FUNC_NAME_27, 27)
#endif
#endif
#if FUNC_COUNT > 28
FUNC_KPROBE(28)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_28)
FUNC_KFUNC(FUNC_NAME_28, 28)
#endif
#endif
#if FUNC_COUNT > 29
FUNC_KPROBE(29)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_29)
FUNC_KFUNC(FUNC_NAME_29, 29)
#endif
#endif
#if FUNC_COUNT > 30
FUNC_KPROBE(30)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_30)
FUNC_KFUNC(FUNC_NAME_30, 30)
#endif
#endif
#if FUNC_COUNT > 31
FUNC_KPROBE(31)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_31)
FUNC_KFUNC(FUNC_NAME_31, 31)
#endif
#endif
#if FUNC_COUNT > 32
FUNC_KPROBE(32)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_32)
FUNC_KFUNC(FUNC_NAME_32, 32)
#endif
#endif
#if FUNC_COUNT > 33
FUNC_KPROBE(33)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_33)
FUNC_KFUNC(FUNC_NAME_33, 33)
#endif
#endif
#if FUNC_COUNT > 34
FUNC_KPROBE(34)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_34)
FUNC_KFUNC(FUNC_NAME_34, 34)
#endif
#endif
#if FUNC_COUNT > 35
FUNC_KPROBE(35)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_35)
FUNC_KFUNC(FUNC_NAME_35, 35)
#endif
#endif
#if FUNC_COUNT > 36
FUNC_KPROBE(36)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_36)
FUNC_KFUNC(FUNC_NAME_36, 36)
#endif
#endif
#if FUNC_COUNT > 37
FUNC_KPROBE(37)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_37)
FUNC_KFUNC(FUNC_NAME_37, 37)
#endif
#endif
#if FUNC_COUNT > 38
FUNC_KPROBE(38)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_38)
FUNC_KFUNC(FUNC_NAME_38, 38)
#endif
#endif
#if FUNC_COUNT > 39
FUNC_KPROBE(39)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_39)
FUNC_KFUNC(FUNC_NAME_39, 39)
#endif
#endif
#if FUNC_COUNT > 40
FUNC_KPROBE(40)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_40)
FUNC_KFUNC(FUNC_NAME_40, 40)
#endif
#endif
#if FUNC_COUNT > 41
FUNC_KPROBE(41)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_41)
FUNC_KFUNC(FUNC_NAME_41, 41)
#endif
#endif
#if FUNC_COUNT > 42
FUNC_KPROBE(42)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_42)
FUNC_KFUNC(FUNC_NAME_42, 42)
#endif
#endif
#if FUNC_COUNT > 43
FUNC_KPROBE(43)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_43)
FUNC_KFUNC(FUNC_NAME_43, 43)
#endif
#endif
#if FUNC_COUNT > 44
FUNC_KPROBE(44)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_44)
FUNC_KFUNC(FUNC_NAME_44, 44)
#endif
#endif
#if FUNC_COUNT > 45
FUNC_KPROBE(45)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_45)
FUNC_KFUNC(FUNC_NAME_45, 45)
#endif
#endif
#if FUNC_COUNT > 46
FUNC_KPROBE(46)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_46)
FUNC_KFUNC(FUNC_NAME_46, 46)
#endif
#endif
#if FUNC_COUNT > 47
FUNC_KPROBE(47)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_47)
FUNC_KFUNC(FUNC_NAME_47, 47)
#endif
#endif
#if FUNC_COUNT > 48
FUNC_KPROBE(48)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_48)
FUNC_KFUNC(FUNC_NAME_48, 48)
#endif
#endif
#if FUNC_COUNT > 49
FUNC_KPROBE(49)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_49)
FUNC_KFUNC(FUNC_NAME_49, 49)
#endif
#endif
#if FUNC_COUNT > 50
FUNC_KPROBE(50)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_50)
FUNC_KFUNC(FUNC_NAME_50, 50)
#endif
#endif
#if FUNC_COUNT > 51
FUNC_KPROBE(51)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_51)
FUNC_KFUNC(FUNC_NAME_51, 51)
#endif
#endif
#if FUNC_COUNT > 52
FUNC_KPROBE(52)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_52)
FUNC_KFUNC(FUNC_NAME_52, 52)
#endif
#endif
#if FUNC_COUNT > 53
FUNC_KPROBE(53)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_53)
FUNC_KFUNC(FUNC_NAME_53, 53)
#endif
#endif
#if FUNC_COUNT > 54
FUNC_KPROBE(54)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_54)
FUNC_KFUNC(FUNC_NAME_54, 54)
#endif
#endif
#if FUNC_COUNT > 55
FUNC_KPROBE(55)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_55)
FUNC_KFUNC(FUNC_NAME_55, 55)
#endif
#endif
#if FUNC_COUNT > 56
FUNC_KPROBE(56)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_56)
FUNC_KFUNC(FUNC_NAME_56, 56)
#endif
#endif
#if FUNC_COUNT > 57
FUNC_KPROBE(57)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_57)
FUNC_KFUNC(FUNC_NAME_57, 57)
#endif
#endif
#if FUNC_COUNT > 58
FUNC_KPROBE(58)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_58)
FUNC_KFUNC(FUNC_NAME_58, 58)
#endif
#endif
#if FUNC_COUNT > 59
FUNC_KPROBE(59)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_59)
FUNC_KFUNC(FUNC_NAME_59, 59)
#endif
#endif
#if FUNC_COUNT > 60
FUNC_KPROBE(60)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_60)
FUNC_KFUNC(FUNC_NAME_60, 60)
#endif
#endif
#if FUNC_COUNT > 61
FUNC_KPROBE(61)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_61)
FUNC_KFUNC(FUNC_NAME_61, 61)
#endif
#endif
#if FUNC_COUNT > 62
FUNC_KPROBE(62)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_62)
FUNC_KFUNC(FUNC_NAME_62, 62)
#endif
#endif
#if FUNC_COUNT > 63
FUNC_KPROBE(63)
#if defined(FUNC_KFUNC_ENABLED) && defined(FUNC_NAME_63)
FUNC_KFUNC(FUNC_NAME_63, 63)
#endif
#endif
