/* io.h - small file-system helpers shared by the log and the sinks: write all of a buffer,
 * create a directory and its parents. */
#ifndef EM_IO_H
#define EM_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all `len` bytes of buf to fd, retrying after EINTR and short writes. Returns len when
 * all of it was written; -errno when a write failed before any byte was (-EIO where write(2)
 * wrote nothing without an error); and when a write failed after some bytes were written, their
 * count (0 < n < len), with errno set to the cause (EIO likewise), so a caller can undo or
 * complete the partial write. */
ssize_t io_write_all(int fd, const void *buf, size_t len);

/* mkdir -p: creates path and every missing parent with `mode` (before the umask). Directories
 * that exist already are fine. Returns 0 or -errno (-ENOTDIR when something else is in the
 * way). */
int io_mkdir_p(const char *path, mode_t mode);

#endif
