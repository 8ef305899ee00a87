/* bcc_compat.h - the two bcc C API calls whose signatures changed across releases, behind one
 * spelling. EM_BCC_VERSION_CODE is major*10000 + minor*100, from pkg-config (CMake). */
#ifndef EM_BCC_COMPAT_H
#define EM_BCC_COMPAT_H

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>

#ifndef EM_BCC_VERSION_CODE
#error "EM_BCC_VERSION_CODE must be defined by the build"
#endif

/* 0.11 added dev_name to module creation (5 -> 6 arguments). */
#if EM_BCC_VERSION_CODE >= 1100
#define em_bcc_module_create(text, cflags, ncflags) \
	bpf_module_create_c_from_string((text), 0, (cflags), (ncflags), true, NULL)
#else
#define em_bcc_module_create(text, cflags, ncflags) \
	bpf_module_create_c_from_string((text), 0, (cflags), (ncflags), true)
#endif

/* bcc_func_load: 10 arguments up to 0.10, 11 (dev_name) from 0.11, 12 (attach_type) from 0.25.
 * Never bpf_prog_load: on Debian that symbol is libbpf's, with another signature. */
#if EM_BCC_VERSION_CODE >= 2500
#define em_bcc_func_load(mod, type, name, insns, len, lic, kver, lvl, buf, bufsz) \
	bcc_func_load((mod), (type), (name), (insns), (len), (lic), (kver), (lvl), (buf), \
		      (bufsz), NULL, -1)
#elif EM_BCC_VERSION_CODE >= 1100
#define em_bcc_func_load(mod, type, name, insns, len, lic, kver, lvl, buf, bufsz) \
	bcc_func_load((mod), (type), (name), (insns), (len), (lic), (kver), (lvl), (buf), \
		      (bufsz), NULL)
#else
#define em_bcc_func_load(mod, type, name, insns, len, lic, kver, lvl, buf, bufsz) \
	bcc_func_load((mod), (type), (name), (insns), (len), (lic), (kver), (lvl), (buf), (bufsz))
#endif

#endif
