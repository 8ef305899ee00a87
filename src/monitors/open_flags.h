/* open_flags.h - the open monitor's text for open(2) flags (errno names: common/text.h). */
#ifndef EM_OPEN_FLAGS_H
#define EM_OPEN_FLAGS_H

#include <stddef.h>

/* Writes like snprintf: buf is always terminated (len > 0), never overrun, and the return value
 * is the length the whole text needs (>= len means it was cut).
 * "O_WRONLY|O_CREAT|O_TRUNC": the access mode (O_PATH in its place when set), then the known
 * bits in a fixed order, then what is left as "0x...". Values are the kernel's, for the build
 * machine's architecture, not the C library's. */
int open_flags_fmt(unsigned flags, char *buf, size_t len);

#endif
