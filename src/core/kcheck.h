/* kcheck.h - what the running kernel offers (BPF, tracefs, headers, kprobes, ...), found by
 * looking and by trying, never by version number alone. */
#ifndef EM_KCHECK_H
#define EM_KCHECK_H

#include <stdbool.h>
#include <stddef.h>

enum kfeature {
	KF_BPF_SYSCALL,
	KF_TRACEFS,
	KF_HEADERS,
	KF_KPROBES,
	KF_TRACEPOINTS,
	KF_SYSCALL_TRACEPOINTS,
	KF_RAW_TRACEPOINTS,
	KF_PERF_EVENTS,
	KF_BTF,
	KF_KERNEL_VERSION,
	KF_BPF_HELPERS, /* the helpers and verifier rules of enum kbpf */
	KF_COUNT,
};

struct kfeature_result {
	bool ok;
	char detail[768]; /* where it was found, or why not and how to fix it */
};

const char *kcheck_name(enum kfeature f);
void kcheck_probe(enum kfeature f, struct kfeature_result *ret);

/* Map kinds whose first kernel a backport may move. */
enum kmap {
	KMAP_LRU_HASH,	       /* BPF_MAP_TYPE_LRU_HASH, 4.10 upstream */
	KMAP_HASH_NO_PREALLOC, /* BPF_MAP_TYPE_HASH with BPF_F_NO_PREALLOC, 4.6 upstream */
	KMAP_PERCPU_ARRAY,     /* BPF_MAP_TYPE_PERCPU_ARRAY, 4.6 upstream */
	KMAP_COUNT,
};

/* True when this kernel creates a map of that kind: a one-entry map is created and closed.
 * Decides map choices that version numbers get wrong on backports (RHEL 7 reports 3.10). */
bool kcheck_map_supported(enum kmap kind);

/* What this kernel's BPF takes, found by loading tiny programs (as `bpftool feature probe`
 * does), never from the version number: backports move all of it (RHEL 7 reports 3.10). Each
 * answer is computed once per process (about a millisecond each). */
enum kbpf {
	KBPF_PROBE_READ_STR,	   /* bpf_probe_read_str (4.11 upstream) */
	KBPF_NUMA_NODE_ID,	   /* bpf_get_numa_node_id (4.10) */
	KBPF_MAP_VALUE_HELPER_MEM, /* a helper's memory argument may point into a map value (4.11) */
	KBPF_MAP_VALUE_KEYS,	   /* a map helper's key/value may point into a map value (4.18) */
	KBPF_SYSCALL_TP,	   /* syscalls:sys_enter_* tracepoints take a BPF program (4.14) */
	KBPF_KPROBE_KERN_VERSION, /* kprobe programs must carry the kernel's version (before 5.0) */
	KBPF_BOUNDED_LOOPS,	  /* the verifier takes a jump backwards: a bounded loop (5.3) */
	KBPF_COUNT,
};

bool kcheck_bpf(enum kbpf f);
const char *kcheck_bpf_name(enum kbpf f);

/* For tests: the answer kcheck_bpf() / kcheck_map_supported() give from now on (1 yes, 0 no),
 * so that both of a monitor's choices are checked on any kernel; -1 asks the kernel again. */
void kcheck_force_bpf(enum kbpf f, int answer);
void kcheck_force_map(enum kmap kind, int answer);

/* True when the process may load BPF: euid 0, or CAP_SYS_ADMIN, or CAP_BPF+CAP_PERFMON. */
bool kcheck_privileged(void);

#endif
