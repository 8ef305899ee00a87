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
	KF_COUNT,
};

struct kfeature_result {
	bool ok;
	char detail[768]; /* where it was found, or why not and how to fix it */
};

const char *kcheck_name(enum kfeature f);
void kcheck_probe(enum kfeature f, struct kfeature_result *ret);

/* True when the process may load BPF: euid 0, or CAP_SYS_ADMIN, or CAP_BPF+CAP_PERFMON. */
bool kcheck_privileged(void);

#endif
