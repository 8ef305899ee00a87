/* page_fault.bpf.c - counts page faults per (task name, major/minor, cpu, node) from the
 * kernel's own software perf events: the same accounting point as a task's majflt/minflt. */
#include "common.h"
#include "page_fault.h"

#ifndef PF_MAP_ENTRIES
#define PF_MAP_ENTRIES 10240
#endif

BPF_HASH(pf_counts, struct pf_key, struct pf_value, PF_MAP_ENTRIES);

static __always_inline int pf_account(__u32 type)
{
	struct pf_key k = {};
	struct pf_value *v;
	__u64 w = 1;

	if (em_sample_skip(&w))
		return 0;
	if (em_skip_current())
		return 0;
	k.epoch = em_epoch_now();
	k.type = type;
	k.cpu = bpf_get_smp_processor_id();
#ifdef PF_NODE_FROM_CPU
	k.node = PF_NODE_UNKNOWN;
#else
	k.node = bpf_get_numa_node_id();
#endif
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
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
