/* test_syscall_table.c - syscall names as the monitor reports them: numbers of both ABIs against
 * the kernel's, "syscall_<nr>" for unknown numbers, names back to numbers, and categories. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "monitors/syscall_table.h"
#include "testutil.h"

/* A table for another architecture than the build machine's may be empty (its header was not
 * installed; the build warned); the build machine's own table never is. */
#if defined(__x86_64__)
#define NATIVE SYSCALL_ABI_X86_64
#elif defined(__aarch64__)
#define NATIVE SYSCALL_ABI_AARCH64
#endif

static int have_table(enum syscall_abi abi)
{
#ifdef NATIVE
	if (abi == NATIVE)
		return 1;
#endif
	if (syscall_count_abi(abi))
		return 1;
	fprintf(stderr, "note: no syscall table for ABI %d on this machine; skipped\n", abi);
	return 0;
}

START_TEST(x86_64_numbers)
{
	const enum syscall_abi x = SYSCALL_ABI_X86_64;

	if (!have_table(x))
		return;
	ck_assert_str_eq(syscall_name_abi(x, 0), "read");
	ck_assert_str_eq(syscall_name_abi(x, 1), "write");
	ck_assert_str_eq(syscall_name_abi(x, 59), "execve");
	ck_assert_str_eq(syscall_name_abi(x, 110), "getppid");
	ck_assert_str_eq(syscall_name_abi(x, 257), "openat");
	ck_assert_str_eq(syscall_name_abi(x, 262), "newfstatat");
	ck_assert_int_eq(syscall_number_abi(x, "getppid"), 110);
	ck_assert_int_eq(syscall_number_abi(x, "openat"), 257);
	ck_assert_int_eq(syscall_number_abi(x, "read"), 0);
	ck_assert_uint_gt(syscall_count_abi(x), 300);
	ck_assert_int_eq(syscall_number_abi(x, "rseq"), 334);
	ck_assert_uint_gt(syscall_max_abi(x), 334);
	ck_assert_ptr_nonnull(syscall_name_abi(x, syscall_max_abi(x) - 1));
	ck_assert_ptr_null(syscall_name_abi(x, syscall_max_abi(x)));
}
END_TEST

/* The generic table arm64 uses: numbers differ from x86_64, and its aliases resolve to the
 * 64-bit names (fcntl, not fcntl64). */
START_TEST(aarch64_numbers)
{
	const enum syscall_abi a = SYSCALL_ABI_AARCH64;

	if (!have_table(a))
		return;
	ck_assert_str_eq(syscall_name_abi(a, 173), "getppid");
	ck_assert_str_eq(syscall_name_abi(a, 56), "openat");
	ck_assert_str_eq(syscall_name_abi(a, 63), "read");
	ck_assert_str_eq(syscall_name_abi(a, 25), "fcntl");
	ck_assert_str_eq(syscall_name_abi(a, 62), "lseek");
	ck_assert_str_eq(syscall_name_abi(a, 79), "newfstatat");
	ck_assert_str_eq(syscall_name_abi(a, 80), "fstat");
	ck_assert_str_eq(syscall_name_abi(a, 222), "mmap");
	ck_assert_str_eq(syscall_name_abi(a, 223), "fadvise64");
	ck_assert_str_eq(syscall_name_abi(a, 84), "sync_file_range");
	ck_assert_int_eq(syscall_number_abi(a, "getppid"), 173);
	ck_assert_int_eq(syscall_number_abi(a, "fcntl"), 25);
	/* 32-bit-only names and calls arm64 never had. */
	ck_assert_int_eq(syscall_number_abi(a, "fcntl64"), -1);
	ck_assert_int_eq(syscall_number_abi(a, "llseek"), -1);
	ck_assert_int_eq(syscall_number_abi(a, "mmap2"), -1);
	ck_assert_int_eq(syscall_number_abi(a, "clock_gettime64"), -1);
	ck_assert_int_eq(syscall_number_abi(a, "open"), -1);
	ck_assert_int_eq(syscall_number_abi(a, "fork"), -1);
	/* Not syscalls: the table size and the arch-private range. */
	ck_assert_int_eq(syscall_number_abi(a, "syscalls"), -1);
	ck_assert_int_eq(syscall_number_abi(a, "arch_specific_syscall"), -1);
	ck_assert_ptr_null(syscall_name_abi(a, 244));
	/* 296 in 5.10's asm-generic/unistd.h (Debian 11), 316 in 6.1's */
	ck_assert_uint_gt(syscall_count_abi(a), 280);
}
END_TEST

/* What the report shows: bare names, as strace writes them. */
START_TEST(names_are_plain)
{
	for (int abi = 0; abi < SYSCALL_NABIS; abi++) {
		for (unsigned nr = 0; nr < syscall_max_abi(abi); nr++) {
			const char *n = syscall_name_abi(abi, nr);

			if (!n)
				continue;
			ck_assert_msg(n[0] && strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
						      strlen(n),
				      "abi %d nr %u: '%s'", abi, nr, n);
			ck_assert_msg(strncmp(n, "sys_", 4) && strncmp(n, "__NR", 4),
				      "abi %d nr %u: '%s'", abi, nr, n);
			ck_assert_int_eq(syscall_number_abi(abi, n), (int)nr);
		}
	}
}
END_TEST

START_TEST(native_abi)
{
	char buf[32];

#if defined(__x86_64__)
	ck_assert_str_eq(syscall_name(110), "getppid");
	ck_assert_str_eq(syscall_name(0), "read");
	ck_assert_str_eq(syscall_name(257), "openat");
	ck_assert_int_eq(syscall_number("getppid"), 110);
#elif defined(__aarch64__)
	ck_assert_str_eq(syscall_name(173), "getppid");
	ck_assert_str_eq(syscall_name(56), "openat");
	ck_assert_int_eq(syscall_number("getppid"), 173);
#endif
#ifdef NATIVE
	ck_assert_uint_eq(syscall_max(), syscall_max_abi(NATIVE));
#endif
	ck_assert_int_eq(syscall_number("no_such_call"), -1);
	ck_assert_int_eq(syscall_number(""), -1);
	ck_assert_int_eq(syscall_number(NULL), -1);
	ck_assert_ptr_null(syscall_name(100000));
	ck_assert_ptr_null(syscall_name(syscall_max()));

	ck_assert_int_eq(syscall_name_fmt(100000, buf, sizeof(buf)), 14);
	ck_assert_str_eq(buf, "syscall_100000");
#ifdef NATIVE
	ck_assert_int_eq(syscall_name_fmt(syscall_number("getppid"), buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "getppid");
#endif
	/* Cut like snprintf: terminated, the full length returned. */
	ck_assert_int_eq(syscall_name_fmt(100000, buf, 5), 14);
	ck_assert_str_eq(buf, "sysc");
	ck_assert_int_eq(syscall_name_fmt(100000, NULL, 0), 14);
}
END_TEST

START_TEST(categories_by_name)
{
	ck_assert_int_eq(syscall_category_of("read"), SC_FILE_IO);
	ck_assert_int_eq(syscall_category_of("openat"), SC_FILE_IO);
	ck_assert_int_eq(syscall_category_of("epoll_wait"), SC_FILE_IO);
	ck_assert_int_eq(syscall_category_of("getppid"), SC_PROCESS);
	ck_assert_int_eq(syscall_category_of("clone3"), SC_PROCESS);
	ck_assert_int_eq(syscall_category_of("socket"), SC_NETWORK);
	ck_assert_int_eq(syscall_category_of("recvmmsg"), SC_NETWORK);
	ck_assert_int_eq(syscall_category_of("mmap"), SC_MEMORY);
	ck_assert_int_eq(syscall_category_of("brk"), SC_MEMORY);
	ck_assert_int_eq(syscall_category_of("futex"), SC_IPC);
	ck_assert_int_eq(syscall_category_of("pipe2"), SC_IPC);
	ck_assert_int_eq(syscall_category_of("kill"), SC_SIGNAL);
	ck_assert_int_eq(syscall_category_of("rt_sigaction"), SC_SIGNAL);
	ck_assert_int_eq(syscall_category_of("nanosleep"), SC_TIME);
	ck_assert_int_eq(syscall_category_of("clock_gettime"), SC_TIME);
	ck_assert_int_eq(syscall_category_of("reboot"), SC_OTHER);
	ck_assert_int_eq(syscall_category_of("no_such_call"), SC_OTHER);
	ck_assert_int_eq(syscall_category_of(""), SC_OTHER);
	ck_assert_int_eq(syscall_category_of(NULL), SC_OTHER);

	ck_assert_int_eq(syscall_category_of_nr(100000), SC_OTHER);
#ifdef NATIVE
	ck_assert_int_eq(syscall_category_of_nr(syscall_number("getppid")), SC_PROCESS);
	ck_assert_int_eq(syscall_category_of_nr(syscall_number("socket")), SC_NETWORK);
#endif
}
END_TEST

/* The lists name real calls: every category has some, and "other" stays the exception. */
START_TEST(categories_cover_tables)
{
	for (int abi = 0; abi < SYSCALL_NABIS; abi++) {
		unsigned counts[SC_NCATEGORIES] = { 0 };

		for (unsigned nr = 0; nr < syscall_max_abi(abi); nr++) {
			const char *n = syscall_name_abi(abi, nr);

			if (n)
				counts[syscall_category_of(n)]++;
		}
		if (!syscall_count_abi(abi))
			continue;
		for (int c = 0; c < SC_NCATEGORIES; c++)
			ck_assert_msg(counts[c] > 0, "abi %d: no %s calls", abi,
				      syscall_category_name(c));
		ck_assert_uint_lt(counts[SC_OTHER], syscall_count_abi(abi) / 4);
	}
}
END_TEST

START_TEST(category_names)
{
	static const char *const want[SC_NCATEGORIES] = {
		"file_io", "network", "memory", "process", "ipc", "signal", "time", "other",
	};

	for (int c = 0; c < SC_NCATEGORIES; c++) {
		ck_assert_str_eq(syscall_category_name(c), want[c]);
		ck_assert_int_eq(syscall_category_parse(want[c]), c);
	}
	ck_assert_int_eq(syscall_category_parse("Network"), SC_NETWORK);
	ck_assert_int_eq(syscall_category_parse("FILE_IO"), SC_FILE_IO);
	ck_assert_int_eq(syscall_category_parse("disk"), -EINVAL);
	ck_assert_int_eq(syscall_category_parse(""), -EINVAL);
	ck_assert_int_eq(syscall_category_parse(NULL), -EINVAL);
	ck_assert_str_eq(syscall_category_name(SC_NCATEGORIES), "other");
	ck_assert_str_eq(syscall_category_name(-1), "other");
}
END_TEST

START_TEST(bad_abi_is_empty)
{
	ck_assert_ptr_null(syscall_name_abi(SYSCALL_NABIS, 0));
	ck_assert_ptr_null(syscall_name_abi(-1, 0));
	ck_assert_int_eq(syscall_number_abi(SYSCALL_NABIS, "read"), -1);
	ck_assert_uint_eq(syscall_max_abi(SYSCALL_NABIS), 0);
	ck_assert_uint_eq(syscall_count_abi(-1), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("syscall_table");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, x86_64_numbers);
	tcase_add_test(tc, aarch64_numbers);
	tcase_add_test(tc, names_are_plain);
	tcase_add_test(tc, native_abi);
	tcase_add_test(tc, categories_by_name);
	tcase_add_test(tc, categories_cover_tables);
	tcase_add_test(tc, category_names);
	tcase_add_test(tc, bad_abi_is_empty);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
