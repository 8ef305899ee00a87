/* page_fault.h - the page_fault monitor's key and value, shared with src/monitors/page_fault.c. */
#ifndef EM_PROBE_PAGE_FAULT_H
#define EM_PROBE_PAGE_FAULT_H

#define PF_MINOR 0
#define PF_MAJOR 1

struct pf_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;   /* attribution (probes/attrib.h): the faulting task's process; 0 without */
	__u32 type;  /* PF_MINOR, PF_MAJOR */
	__u32 cpu;
	__u32 node; /* NUMA node of the CPU (bpf_get_numa_node_id), or PF_NODE_UNKNOWN */
	char comm[16];
};

struct pf_value {
	__u64 count;
};

/* Kernels before 4.10 have no bpf_get_numa_node_id: user space finds the CPU's node. */
#define PF_NODE_UNKNOWN 0xffffffffu

/* The fast path's cell (EM_TASK_SLOTS): one per task slot in a per-CPU array, so the CPU is
 * the array's and the node the CPU's (user space finds it). Cumulative: user space takes the
 * differences between two reads. */
struct pf_fast_value {
	__u64 count[2]; /* [PF_MINOR], [PF_MAJOR] */
};

#endif
