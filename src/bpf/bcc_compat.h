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

/* Programs are loaded with bcc_prog_load() (bcc >= 0.9, one signature since; never libbpf's
 * bpf_prog_load, which on Debian has another): see compile.c. */

#endif
