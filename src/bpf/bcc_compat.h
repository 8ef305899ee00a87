/* bcc_compat.h - the bcc C API call whose signature changed across releases, behind one
 * spelling. EM_BCC_VERSION_CODE is major*10000 + minor*100, from pkg-config (CMake). */
#ifndef EM_BCC_COMPAT_H
#define EM_BCC_COMPAT_H

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
	bpf_open_perf_buffer((raw), (lost), (cookie), -1, (cpu), (pages))
#endif

/* Programs are loaded with bcc_prog_load() (bcc >= 0.9, one signature since; never libbpf's
 * bpf_prog_load, which on Debian has another): see compile.c. */

#endif
