/* page_fault.bpf.c - counts page faults per (task name, major/minor, cpu, node) from the
 * kernel's own software perf events: the same accounting point as a task's majflt/minflt.
 * With attribution (EM_ATTRIB), per who value too: the faulting task is current here, so a
 * fault is its process's (em_who(); the task cache's who on the fast path, whose slots are per
 * name and who). */
#include "common.h"
#include "page_fault.h"

#ifndef PF_MAP_ENTRIES
#define PF_MAP_ENTRIES 10240
#endif

BPF_HASH(pf_counts, struct pf_key, struct pf_value, PF_MAP_ENTRIES);

#ifdef EM_TASK_SLOTS
/* The fast path (the task-slot cache of common.h): while the same thread keeps faulting on a
 * CPU and its name has a slot, a fault is one increment in this per-CPU array: no helper call
 * but bpf_get_current_pid_tgid, no hash lookup, no epoch; the node is the CPU's, which user
 * space finds (configure passes PF_NODE_FROM_CPU with the fast path, for the hash path too).
 * The hash path below takes the other names, with the cached name. */
BPF_PERCPU_ARRAY(pf_fast, struct pf_fast_value, EM_TASK_SLOTS);
#endif

static __always_inline int pf_account(__u32 type)
{
	struct pf_key k = {};
	struct pf_value *v;
	__u64 w = 1;
#ifdef EM_TASK_SLOTS
	struct em_task *t;
	__u32 slot;
#endif

	if (em_sample_skip(&w))
		return 0;
#ifdef EM_TASK_SLOTS
	t = em_task_current();
	if (!t || em_task_skipped(t))
		return 0;
	slot = t->slot;
	if (slot < EM_TASK_SLOTS) {
		struct pf_fast_value *f = pf_fast.lookup(&slot);

		if (f) {
			/* Per-CPU value: this CPU is the only writer. */
			f->count[type] += w;
			return 0;
		}
	}
	__builtin_memcpy(k.comm, t->comm, sizeof(k.comm));
	k.who = t->who;
#else
	if (em_skip_current())
		return 0;
	k.who = em_who();
	if (em_who_skipped(k.who))
		return 0;
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
#endif
	k.epoch = em_epoch_now();
	k.type = type;
	k.cpu = bpf_get_smp_processor_id();
#ifdef PF_NODE_FROM_CPU
	k.node = PF_NODE_UNKNOWN;
#else
	k.node = bpf_get_numa_node_id();
#endif
	v = pf_counts.lookup(&k);
	if (!v) {
		struct pf_value zero = {};

		pf_counts.insert(&k, &zero);
		v = pf_counts.lookup(&k);
		if (!v) {
			em_count(EM_STAT_MAP_FULL);
			return 0;
		}
	}
	/* A plain increment: the key holds this CPU, and a perf event program never runs twice
	 * at once on one CPU (the kernel skips a nested run), so nobody else writes this value. */
	v->count += w;
#ifdef EM_TASK_SLOTS
	if (v->count >= EM_HOT_AT && v->count - w < EM_HOT_AT) /* crossed it just now */
		em_task_note_hot(k.comm, k.who);
#endif
	return 0;
}

/* The context (struct bpf_perf_event_data) is not read: declaring it would include
 * <uapi/linux/bpf_perf_event.h>, which costs 1.6 s of clang time per start (bench/). */
int pe_fault_minor(void *ctx)
{
	return pf_account(PF_MINOR);
}

int pe_fault_major(void *ctx)
{
	return pf_account(PF_MAJOR);
}
