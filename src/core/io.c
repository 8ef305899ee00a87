/* io.c - small file-system helpers shared by the log and the sinks: write all of a buffer,
 * create a directory and its parents. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

ssize_t io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		return done ? (ssize_t)done : -errno;
	}
	return (ssize_t)done;
}

/* Creates one component; one that exists must be a directory (or a link to one). */
static int io_mkdir_one(const char *path, mode_t mode)
{
	struct stat sb;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &sb) < 0)
		return -errno;
	return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

int io_mkdir_p(const char *path, mode_t mode)
{
	char copy[PATH_MAX];
	size_t len = path ? strlen(path) : 0, i;
	int err;

	if (!len)
		return -ENOENT;
	if (len >= sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy, path, len + 1);
	/* Each parent in turn ("a", "a/b", ...; the leading '/' of an absolute path is not one). */
	for (i = 1; i < len; i++) {
		if (copy[i] != '/' || copy[i - 1] == '/')
			continue;
		copy[i] = '\0';
		err = io_mkdir_one(copy, mode);
		copy[i] = '/';
		if (err)
			return err;
	}
	return io_mkdir_one(copy, mode);
}
