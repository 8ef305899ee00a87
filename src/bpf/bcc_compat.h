/* bcc_compat.h - the bcc C API call whose signature changed across releases, behind one
 * spelling. EM_BCC_VERSION_CODE is major*10000 + minor*100, from pkg-config (CMake). */
#ifndef EM_BCC_COMPAT_H
#define EM_BCC_COMPAT_H

#include <errno.h>
#include <stdio.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>

#ifndef EM_BCC_VERSION_CODE
#error "EM_BCC_VERSION_CODE must be defined by the build"
#endif

/* 0.11 added dev_name to module creation (5 -> 6 arguments); fn: the function, from dlsym. */
#if EM_BCC_VERSION_CODE >= 1100
#define em_bcc_module_create(fn, text, cflags, ncflags) \
	(fn)((text), 0, (cflags), (ncflags), true, NULL)
#else
#define em_bcc_module_create(fn, text, cflags, ncflags) \
	(fn)((text), 0, (cflags), (ncflags), true)
#endif

/* A perf buffer on one CPU that wakes its reader every `wakeup` events (bcc 0.24 added the
 * option; before, every event wakes it). */
#if EM_BCC_VERSION_CODE >= 2400
static inline void *em_open_perf_buffer(perf_reader_raw_cb raw, perf_reader_lost_cb lost,
					void *cookie, int cpu, int pages, int wakeup)
{
	struct bcc_perf_buffer_opts o = { .pid = -1, .cpu = cpu, .wakeup_events = wakeup };

	return bpf_open_perf_buffer_opts(raw, lost, cookie, pages, &o);
}
#else
#define em_open_perf_buffer(raw, lost, cookie, cpu, pages, wakeup) \
	((void)(wakeup), bpf_open_perf_buffer((raw), (lost), (cookie), -1, (cpu), (pages)))
#endif

/* bpf_attach_raw_tracepoint() takes a const name from 0.16; before, a char * it does not
 * change: the name is copied, so no cast is needed. */
static inline int em_attach_raw_tracepoint(int progfd, const char *name)
{
	char tp[128];

	snprintf(tp, sizeof(tp), "%s", name);
	return bpf_attach_raw_tracepoint(progfd, tp);
}

/* fentry attach (bpf_attach_kfunc) came with bcc 0.14 (CMake checks the headers: EM_BCC_HAVE_KFUNC).
 * Without it, a kfunc alternative reports "not in this bcc" and the next one is tried. */
#ifdef EM_BCC_HAVE_KFUNC
#define em_attach_kfunc(progfd) bpf_attach_kfunc(progfd)
#else
#define em_attach_kfunc(progfd) ((void)(progfd), errno = EOPNOTSUPP, -1)
#endif

/* What this bcc offers, for --check: "fentry attach yes, perf wakeup batching no". */
#define EM_BCC_FEATURES                                               \
	"fentry attach " EM_BCC_KFUNC_YN                              \
	" (bcc 0.14+), perf buffer wakeup batching " EM_BCC_WAKEUP_YN \
	" (bcc 0.24+; without it each event wakes the reader)"
#ifdef EM_BCC_HAVE_KFUNC
#define EM_BCC_KFUNC_YN "yes"
#else
#define EM_BCC_KFUNC_YN "no"
#endif
#if EM_BCC_VERSION_CODE >= 2400
#define EM_BCC_WAKEUP_YN "yes"
#else
#define EM_BCC_WAKEUP_YN "no"
#endif

/* Kernel ABI the headers of an older bcc may not name (bcc's compat linux/bpf.h follows the
 * kernel of its day): values from the kernel's uapi, which never change once released. */
#if EM_BCC_VERSION_CODE < 1200
#define BPF_PROG_TYPE_TRACING 26 /* 5.5 */
#endif
/* struct bpf_prog_info.recursion_misses (5.12): its offset, for headers without the field. */
#define EM_PROG_INFO_RECURSION_MISSES_OFF 208
/* struct bpf_prog_info.run_time_ns and run_cnt (5.1), likewise; and the bpf() command that
 * turns those statistics on for as long as its fd is open (5.8). */
#define EM_PROG_INFO_RUN_TIME_NS_OFF 192
#define EM_PROG_INFO_RUN_CNT_OFF 200
#define EM_BPF_ENABLE_STATS 32
#define EM_BPF_STATS_RUN_TIME 0

/* Programs are loaded with bcc_prog_load() (bcc >= 0.9, one signature since; never libbpf's
 * bpf_prog_load, which on Debian has another): see compile.c. */

#endif
