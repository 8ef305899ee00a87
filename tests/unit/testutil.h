/* testutil.h - what the unit tests share: running a suite, a temporary directory removed after
 * each test, reading files and pipes. Header only (static inline): each test_*.c is its own
 * executable. */
#ifndef EM_TESTUTIL_H
#define EM_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Check 0.9.9 (EPEL 7's check-devel) has the int and str assertions only; these are the later
 * ones the tests use, where the installed Check lacks them (they are macros there too). */
#ifndef ck_assert_ptr_nonnull
#define ck_assert_ptr_nonnull(p) ck_assert_msg((p) != NULL, "%s is NULL", #p)
#endif
#ifndef ck_assert_ptr_null
#define ck_assert_ptr_null(p) ck_assert_msg((p) == NULL, "%s is not NULL", #p)
#endif
#ifndef ck_assert_ptr_eq
#define ck_assert_ptr_eq(a, b) \
	ck_assert_msg((const void *)(a) == (const void *)(b), "%s != %s", #a, #b)
#endif
#ifndef ck_assert_uint_eq
#define EM_CK_UINT(a, op, b)                                                          \
	do {                                                                          \
		unsigned long long _a = (a), _b = (b);                                \
		ck_assert_msg(_a op _b, "%s %s %s: %llu, %llu", #a, #op, #b, _a, _b); \
	} while (0)
#define ck_assert_uint_eq(a, b) EM_CK_UINT(a, ==, b)
#define ck_assert_uint_ne(a, b) EM_CK_UINT(a, !=, b)
#define ck_assert_uint_lt(a, b) EM_CK_UINT(a, <, b)
#define ck_assert_uint_le(a, b) EM_CK_UINT(a, <=, b)
#define ck_assert_uint_gt(a, b) EM_CK_UINT(a, >, b)
#define ck_assert_uint_ge(a, b) EM_CK_UINT(a, >=, b)
#endif
#ifndef ck_assert_double_eq
#define ck_assert_double_eq(a, b)                                                          \
	ck_assert_msg((double)(a) == (double)(b), "%s == %s: %g, %g", #a, #b, (double)(a), \
		      (double)(b))
#endif
#ifndef ck_assert_double_eq_tol
#define ck_assert_double_eq_tol(a, b, t)                              \
	ck_assert_msg(fabs((double)(a) - (double)(b)) <= (double)(t), \
		      "%s == %s within %s: %g, %g", #a, #b, #t, (double)(a), (double)(b))
#endif

/* Runs every test of s and frees it; returns main()'s exit status. */
static inline int test_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Times are rendered in UTC, whatever the machine's zone. */
static inline void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* The current test's temporary directory, made by make_tmpdir(); "" when there is none. */
static char tmpdir[64] __attribute__((unused));

/* Creates /tmp/<name>.XXXXXX as tmpdir; returns it. */
static inline char *make_tmpdir(const char *name)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	return tmpdir;
}

static inline int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Removes tmpdir and everything in it (a fixture's teardown). */
static inline void rm_tmpdir(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

/* The whole file (up to 64 KiB), in a buffer the next call reuses. */
static inline char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* What the pipe holds now, without waiting (fd is made non-blocking). */
static inline char *drain(int fd)
{
	static char buf[8192];
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static inline size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#endif
