/* io.h - small file-system helpers shared by the log and the sinks: write all of a buffer,
 * create a directory and its parents. */
#ifndef EM_IO_H
#define EM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes all `len` bytes of buf to fd, retrying after EINTR and short writes. Returns len when
 * all of it was written; -errno when a write failed before any byte was (-EIO where write(2)
 * wrote nothing without an error); and when a write failed after some bytes were written, their
 * count (0 < n < len), with errno set to the cause (EIO likewise), so a caller can undo or
 * complete the partial write. */
ssize_t io_write_all(int fd, const void *buf, size_t len);

/* Reads fd to its end into a new NUL-terminated buffer (*buf, free() it; *len bytes before the
 * NUL), retrying after EINTR. 0, -EFBIG when there is more than max bytes, -ENOMEM, or the
 * read's -errno; *buf is untouched on failure. */
int io_read_all(int fd, size_t max, char **buf, size_t *len);

/* mkdir -p: creates path and every missing parent with `mode` (before the umask). Directories
 * that exist already are fine. Returns 0 or -errno (-ENOTDIR when something else is in the
 * way). */
int io_mkdir_p(const char *path, mode_t mode);

/* Is the directory `path` safe to write into as root? Refused (-EPERM, with the reason and the
 * fix in err) when a component of the path is a symbolic link owned by a user other than root
 * (or us), or when the directory or one above it (symbolic links resolved) is owned by another
 * user or writable by every user without the sticky bit. -errno (ENOENT, ...) otherwise. */
int io_dir_check(const char *path, char *err, size_t errlen);

/* An open file we may write to: a regular file owned by root (or us) with one link, or root's
 * character device. 0, -EINVAL (a FIFO, socket, directory, another's device), -EPERM (another
 * user's file, or one hard-linked elsewhere) or -errno. */
int io_file_check(int fd);

#endif
