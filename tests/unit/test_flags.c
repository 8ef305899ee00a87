/* test_flags.c - open(2) flags and errno numbers as the report shows them, from the raw values
 * the kernel hands the probes. */
#include <check.h>
#include <fcntl.h>
#include <string.h>

#include "monitors/open_flags.h"
#include "common/text.h"
#include "testutil.h"

/* The kernel's values, written out: the C library's macros are what the code must not trust
 * (glibc's O_LARGEFILE is 0 on 64-bit machines). */
#define K_WRONLY 01
#define K_RDWR 02
#define K_CREAT 0100
#define K_EXCL 0200
#define K_TRUNC 01000
#define K_APPEND 02000
#define K_NONBLOCK 04000
#define K_DSYNC 010000
#define K_NOATIME 01000000
#define K_CLOEXEC 02000000
#define K_SYNC 04010000
#define K_PATH 010000000
#define K_TMPFILE_BIT 020000000
#ifdef __aarch64__
#define K_DIRECTORY 040000
#define K_NOFOLLOW 0100000
#define K_DIRECT 0200000
#define K_LARGEFILE 0400000
#else
#define K_DIRECT 040000
#define K_LARGEFILE 0100000
#define K_DIRECTORY 0200000
#define K_NOFOLLOW 0400000
#endif

static const char *oflags(unsigned flags)
{
	static char buf[256];
	int n = open_flags_fmt(flags, buf, sizeof(buf));

	ck_assert_int_eq(n, (int)strlen(buf));
	return buf;
}

/* The values above are the kernel's: the C library agrees wherever it does not play games. */
START_TEST(values_match_libc)
{
	ck_assert_uint_eq(K_WRONLY, O_WRONLY);
	ck_assert_uint_eq(K_CREAT, O_CREAT);
	ck_assert_uint_eq(K_TRUNC, O_TRUNC);
	ck_assert_uint_eq(K_DSYNC, O_DSYNC);
	ck_assert_uint_eq(K_SYNC, O_SYNC);
	ck_assert_uint_eq(K_DIRECT, O_DIRECT);
	ck_assert_uint_eq(K_DIRECTORY, O_DIRECTORY);
	ck_assert_uint_eq(K_NOFOLLOW, O_NOFOLLOW);
	ck_assert_uint_eq(K_CLOEXEC, O_CLOEXEC);
	ck_assert_uint_eq(K_PATH, O_PATH);
	ck_assert_uint_eq(K_TMPFILE_BIT | K_DIRECTORY, O_TMPFILE);
	/* The libc macros give the same text wherever they are the kernel's. */
	ck_assert_str_eq(oflags(O_WRONLY | O_CREAT | O_TRUNC), "O_WRONLY|O_CREAT|O_TRUNC");
	ck_assert_str_eq(oflags(O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
}
END_TEST

START_TEST(access_modes)
{
	ck_assert_str_eq(oflags(0), "O_RDONLY");
	ck_assert_str_eq(oflags(K_WRONLY), "O_WRONLY");
	ck_assert_str_eq(oflags(K_RDWR), "O_RDWR");
	ck_assert_str_eq(oflags(03), "O_ACCMODE");
	ck_assert_str_eq(oflags(K_PATH | K_CLOEXEC), "O_PATH|O_CLOEXEC");
	ck_assert_str_eq(oflags(K_PATH | K_NOFOLLOW | K_DIRECTORY),
			 "O_PATH|O_DIRECTORY|O_NOFOLLOW");
}
END_TEST

START_TEST(common_opens)
{
	/* What fopen("w") and a plain openat() from a 64-bit program produce. */
	ck_assert_str_eq(oflags(K_WRONLY | K_CREAT | K_TRUNC), "O_WRONLY|O_CREAT|O_TRUNC");
	ck_assert_str_eq(oflags(K_CLOEXEC | K_LARGEFILE), "O_RDONLY|O_LARGEFILE|O_CLOEXEC");
	ck_assert_str_eq(oflags(K_RDWR | K_CREAT | K_EXCL | K_APPEND | K_NONBLOCK),
			 "O_RDWR|O_CREAT|O_EXCL|O_APPEND|O_NONBLOCK");
	ck_assert_str_eq(oflags(K_DIRECTORY | K_NOFOLLOW | K_NOATIME | K_DIRECT),
			 "O_RDONLY|O_DIRECT|O_DIRECTORY|O_NOFOLLOW|O_NOATIME");
}
END_TEST

/* O_SYNC and O_TMPFILE contain another flag; only their own name is shown. */
START_TEST(composite_flags)
{
	ck_assert_str_eq(oflags(K_WRONLY | K_SYNC), "O_WRONLY|O_SYNC");
	ck_assert_str_eq(oflags(K_WRONLY | K_DSYNC), "O_WRONLY|O_DSYNC");
	ck_assert_str_eq(oflags(K_RDWR | K_TMPFILE_BIT | K_DIRECTORY), "O_RDWR|O_TMPFILE");
	ck_assert_str_eq(oflags(K_RDWR | K_DIRECTORY), "O_RDWR|O_DIRECTORY");
	ck_assert_str_eq(oflags(K_WRONLY | K_SYNC | K_CLOEXEC), "O_WRONLY|O_CLOEXEC|O_SYNC");
}
END_TEST

START_TEST(unknown_bits)
{
	ck_assert_str_eq(oflags(K_WRONLY | 0x80000000u), "O_WRONLY|0x80000000");
	ck_assert_str_eq(oflags(K_CREAT | 0x40000000u | 0x80000000u),
			 "O_RDONLY|O_CREAT|0xc0000000");
	/* Mode bits mean nothing beside O_PATH: shown raw, not as a mode. */
	ck_assert_str_eq(oflags(K_PATH | K_WRONLY), "O_PATH|0x1");
}
END_TEST

START_TEST(cut_safely)
{
	char buf[12];

	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(open_flags_fmt(K_WRONLY | K_CREAT | K_TRUNC, buf, 10),
			 (int)strlen("O_WRONLY|O_CREAT|O_TRUNC"));
	ck_assert_str_eq(buf, "O_WRONLY|");
	ck_assert_int_eq(buf[10], 'x');
	ck_assert_int_eq(open_flags_fmt(0, buf, 1), 8);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(open_flags_fmt(K_CLOEXEC, NULL, 0), 18);
}
END_TEST

static const char *ename(int err)
{
	static char buf[64];
	int n = errno_name_fmt(err, buf, sizeof(buf));

	ck_assert_int_eq(n, (int)strlen(buf));
	return buf;
}

START_TEST(errno_names)
{
	char buf[4];

	ck_assert_str_eq(ename(1), "EPERM");
	ck_assert_str_eq(ename(2), "ENOENT");
	ck_assert_str_eq(ename(11), "EAGAIN");
	ck_assert_str_eq(ename(13), "EACCES");
	ck_assert_str_eq(ename(35), "EDEADLK");
	ck_assert_str_eq(ename(95), "EOPNOTSUPP");
	ck_assert_str_eq(ename(110), "ETIMEDOUT");
	ck_assert_str_eq(ename(133), "EHWPOISON");
	/* As syscalls return them. */
	ck_assert_str_eq(ename(-2), "ENOENT");
	ck_assert_str_eq(ename(-111), "ECONNREFUSED");
	/* Seen at syscall exit when a signal interrupted the call. */
	ck_assert_str_eq(ename(512), "ERESTARTSYS");
	ck_assert_str_eq(ename(516), "ERESTART_RESTARTBLOCK");
	/* Numbers without a name. */
	ck_assert_str_eq(ename(9999), "E9999");
	ck_assert_str_eq(ename(0), "E0");
	ck_assert_str_eq(ename(41), "E41");
	ck_assert_str_eq(ename(134), "E134");
	ck_assert_str_eq(ename(511), "E511");
	ck_assert_str_eq(ename(517), "E517");
	ck_assert_str_eq(ename(-2147483647 - 1), "E2147483648");

	ck_assert_int_eq(errno_name_fmt(2, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "ENO");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flags");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, values_match_libc);
	tcase_add_test(tc, access_modes);
	tcase_add_test(tc, common_opens);
	tcase_add_test(tc, composite_flags);
	tcase_add_test(tc, unknown_bits);
	tcase_add_test(tc, cut_safely);
	tcase_add_test(tc, errno_names);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
