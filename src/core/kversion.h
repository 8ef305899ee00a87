/* kversion.h - the running kernel's LINUX_VERSION_CODE, which kernels before 5.0 compare with a
 * kprobe program's kern_version at load: read from the kernel itself, never from the headers
 * bcc compiled against (they may belong to another kernel, see README "What setup does"). */
#ifndef EM_KVERSION_H
#define EM_KVERSION_H

#include <stddef.h>

/* KERNEL_VERSION(a, b, c) as the kernel computes it (the sublevel capped at 255, as 4.19+ do). */
unsigned kversion_code(unsigned major, unsigned minor, unsigned sub);

/* The "Linux" ELF note (type 0) of a mapped ELF image of `len` bytes (the vDSO): the kernel's own
 * LINUX_VERSION_CODE; 0 when there is none. */
unsigned kversion_from_elf_note(const void *image, size_t len);

/* Ubuntu's /proc/version_signature ("Ubuntu 4.15.0-213.224-generic 4.15.18"): its last field
 * is the upstream version the kernel was built as; 0 when the line does not end in a.b.c. */
unsigned kversion_from_signature(const char *line);

/* uname -r ("6.1.0-57-amd64"): a.b.c, or a.b.0; 0 when unreadable. Distributions' releases may
 * not carry the real sublevel (Debian's 6.1.0-57 is 6.1.192): the last resort. */
unsigned kversion_from_release(const char *release);

/* The running kernel's code: the vDSO's note, else /proc/version_signature, else uname -r; 0 when
 * none can be read. `ret_source`, if not NULL, names where it came from. */
unsigned kversion_running(const char **ret_source);

#endif
