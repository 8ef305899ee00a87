/* io.c - small file-system helpers shared by the log and the sinks: write all of a buffer,
 * create a directory and its parents. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/io.h"

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

int io_read_all(int fd, size_t max, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nbuf;

	for (;;) {
		ssize_t n;

		if (len == cap || !buf) {
			cap = buf ? cap * 2 : cap;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno ? errno : EIO;

			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
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

/* Root and we may own what we write through; anyone else could redirect or replace it. */
static bool io_trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Calls fn on each prefix of path ("/", "/a", "/a/b", ...; a relative path's start with its
 * first component). Stops at the first non-zero result. */
static int io_each_prefix(const char *path, int (*fn)(const char *p, void *ctx), void *ctx)
{
	char copy[PATH_MAX];
	size_t len = strlen(path), i;
	int r;

	if (len >= sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy, path, len + 1);
	if (copy[0] == '/' && (r = fn("/", ctx)))
		return r;
	for (i = 1; i <= len; i++) {
		if (copy[i] != '/' && copy[i] != '\0')
			continue;
		if (copy[i - 1] == '/')
			continue;
		copy[i] = '\0';
		r = fn(copy, ctx);
		copy[i] = path[i];
		if (r)
			return r;
	}
	return 0;
}

struct io_check {
	char *err;
	size_t errlen;
};

static int io_check_link(const char *p, void *ctx)
{
	struct io_check *c = ctx;
	struct stat sb;

	if (lstat(p, &sb) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(sb.st_mode) && !io_trusted_uid(sb.st_uid)) {
		snprintf(
			c->err, c->errlen,
			"%s is a symbolic link owned by uid %u, not root: that user could point it "
			"anywhere; replace it with a real directory or use another path",
			p, (unsigned)sb.st_uid);
		return -EPERM;
	}
	return 0;
}

static int io_check_dir(const char *p, void *ctx)
{
	struct io_check *c = ctx;
	struct stat sb;

	if (stat(p, &sb) < 0)
		return -errno;
	if (!io_trusted_uid(sb.st_uid)) {
		snprintf(c->err, c->errlen,
			 "%s is owned by uid %u, not root: that user could replace what is written "
			 "there; chown root %s, or use another directory",
			 p, (unsigned)sb.st_uid, p);
		return -EPERM;
	}
	if ((sb.st_mode & S_IWOTH) && !(sb.st_mode & S_ISVTX)) {
		snprintf(c->err, c->errlen,
			 "%s is writable by every user (mode %04o) without the sticky bit: anyone "
			 "could plant or swap files there; chmod o-w %s, or use another directory",
			 p, (unsigned)(sb.st_mode & 07777), p);
		return -EPERM;
	}
	return 0;
}

int io_dir_check(const char *path, char *err, size_t errlen)
{
	struct io_check c = { err, errlen };
	char *real;
	int r;

	err[0] = '\0';
	r = io_each_prefix(path, io_check_link, &c);
	if (r)
		return r;
	real = realpath(path, NULL);
	if (!real) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = io_each_prefix(real, io_check_dir, &c);
	free(real);
	return r;
}

int io_file_check(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	/* A device node of root's (/dev/null, /dev/full) is a deliberate choice, never planted. */
	if (S_ISCHR(sb.st_mode) && sb.st_uid == 0)
		return 0;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	/* Another user's file, or a hard link to a file elsewhere: not ours to write. */
	if (!io_trusted_uid(sb.st_uid) || sb.st_nlink > 1)
		return -EPERM;
	return 0;
}
