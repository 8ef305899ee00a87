/* test_tracefs.c - field offsets from tracefs format text, for the layouts kernels really had. */
#include <check.h>
#include <errno.h>

#include "core/tracefs.h"
#include "testutil.h"

/* sched_process_fork on 6.x: comm arrays became __data_loc, child_pid moved to 20. */
static const char fork_6x[] =
	"name: sched_process_fork\nID: 300\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:__data_loc char[] child_comm;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;\n";

/* The same event on 3.10 - 5.x. */
static const char fork_3x[] =
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:char parent_comm[16];\toffset:8;\tsize:16;\tsigned:1;\n"
	"\tfield:pid_t parent_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:char child_comm[16];\toffset:28;\tsize:16;\tsigned:1;\n"
	"\tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;\n";

START_TEST(test_offsets)
{
	int off = -1, size = -1;

	ck_assert_int_eq(tracefs_parse_field(fork_6x, "child_pid", &off, &size), 0);
	ck_assert_int_eq(off, 20);
	ck_assert_int_eq(size, 4);
	ck_assert_int_eq(tracefs_parse_field(fork_3x, "child_pid", &off, &size), 0);
	ck_assert_int_eq(off, 44);
	ck_assert_int_eq(tracefs_parse_field(fork_3x, "child_comm", &off, &size), 0);
	ck_assert_int_eq(off, 28);
	ck_assert_int_eq(size, 16);
	ck_assert_int_eq(tracefs_parse_field(fork_6x, "parent_comm", &off, &size), 0);
	ck_assert_int_eq(off, 8);
	/* a name that is only a suffix of a field must not match */
	ck_assert_int_eq(tracefs_parse_field(fork_6x, "pid", &off, &size), -ENOENT);
	ck_assert_int_eq(tracefs_parse_field(fork_6x, "nosuch", &off, &size), -ENOENT);
}
END_TEST

/* tracefs_set_root(): a fixture's tree alone, NULL without events/; NULL: the real search. */
START_TEST(test_set_root)
{
	const char *real = tracefs_path();
	char events[128];

	make_tmpdir("tracefs");
	tracefs_set_root(tmpdir);
	ck_assert_ptr_null(tracefs_path());
	snprintf(events, sizeof(events), "%s/events", tmpdir);
	ck_assert_int_eq(mkdir(events, 0755), 0);
	ck_assert_str_eq(tracefs_path(), tmpdir);
	tracefs_set_root(NULL);
	ck_assert(real ? tracefs_path() && !strcmp(tracefs_path(), real) : !tracefs_path());
	rm_tmpdir();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tracefs");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_offsets);
	tcase_add_test(tc, test_set_root);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
