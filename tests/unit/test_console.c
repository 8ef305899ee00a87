/* test_console.c - the console table as the guide shows it, strings made safe for a terminal,
 * one stream only, and a reader that goes away. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/sink.h"
#include "testutil.h"

#define T0 1763735400ULL /* 2025-11-21 14:30:00 UTC */
#define NS 1000000000ULL

static const struct column exec_cols[] = {
	{ "timestamp", COL_TIMESTAMP, 0, 0 },
	{ "time_str", COL_TIMESTR, 0, 0 },
	{ "uid", COL_U64, 0, 6 },
	{ "pid", COL_U64, 0, 8 },
	{ "comm", COL_STR, 0, 16 },
	{ "filename", COL_STR, 0, 32 },
};

static int pfd[2];

static void setup(void)
{
	utc();
	ck_assert_int_eq(pipe(pfd), 0);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
}

static void teardown(void)
{
	close(pfd[0]);
	close(pfd[1]);
}

static struct sink *exec_console(void)
{
	struct sink *s = NULL;

	ck_assert_int_eq(console_sink_create(pfd[1], &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 0, &(struct stream_desc){ "exec", exec_cols, 6 }),
			 0);
	return s;
}

static int write_exec(struct sink *s, uint64_t ts_ns, uint64_t uid, uint64_t pid, const char *comm,
		      const char *filename)
{
	struct cell cells[6] = { [2] = { .u = uid }, [3] = { .u = pid } };
	struct row r = { .ts_ns = ts_ns, .cells = cells };

	cells[4].s = comm;
	cells[5].s = filename;
	return s->ops->write_row(s, 0, &r);
}

START_TEST(test_guide_layout_exec)
{
	struct sink *s = exec_console();

	ck_assert_int_eq(write_exec(s, T0 * NS + 123000000ULL, 0, 1234, "bash", "/usr/bin/ls"), 0);
	ck_assert_int_eq(write_exec(s, (T0 + 1) * NS, 1000, 5678, "python3", "/usr/bin/python3"),
			 0);
	ck_assert_int_eq(s->ops->flush(s, false), 0);
	/* The guide's table, byte for byte: no trailing spaces. */
	ck_assert_str_eq(
		drain(pfd[0]),
		"TIME                   UID    PID      COMM             FILENAME\n"
		"[2025-11-21 14:30:00]  0      1234     bash             /usr/bin/ls\n"
		"[2025-11-21 14:30:01]  1000   5678     python3          /usr/bin/python3\n");
	sink_destroy(s);
}
END_TEST

START_TEST(test_guide_layout_aggregate)
{
	static const struct column cols[] = {
		{ "timestamp", COL_TIMESTAMP, 0, 0 }, { "time_str", COL_TIMESTR, 0, 0 },
		{ "comm", COL_STR, 0, 16 },	      { "func_name", COL_STR, 0, 16 },
		{ "count", COL_U64, 0, 8 },	      { "pid", COL_U64, 0, 0 }, /* CSV only */
	};
	struct cell cells[6] = { [4] = { .u = 1250 }, [5] = { .u = 99 } };
	struct row r = { .ts_ns = T0 * NS, .cells = cells };
	struct sink *s = NULL;

	ck_assert_int_eq(console_sink_create(pfd[1], &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 2, &(struct stream_desc){ "func", cols, 6 }), 0);
	cells[2].s = "nginx";
	cells[3].s = "vfs_read";
	ck_assert_int_eq(s->ops->write_row(s, 2, &r), 0);
	ck_assert_int_eq(s->ops->write_row(s, 0, &r), -EINVAL);
	ck_assert_str_eq(drain(pfd[0]),
			 "TIME                   COMM             FUNC_NAME        COUNT\n"
			 "[2025-11-21 14:30:00]  nginx            vfs_read         1250\n");
	sink_destroy(s);
}
END_TEST

START_TEST(test_strings_sanitized)
{
	struct sink *s = exec_console();

	drain(pfd[0]);
	ck_assert_int_eq(write_exec(s, T0 * NS, 0, 1, "\x1b[2Jevil\n", "/tmp/x\x07\x7f\r"), 0);
	ck_assert_str_eq(drain(pfd[0]),
			 "[2025-11-21 14:30:00]  0      1        ?[2Jevil?        /tmp/x???\n");
	/* UTF-8 passes and pads by characters; bytes that are not UTF-8 and C1 controls do not. */
	ck_assert_int_eq(write_exec(s, T0 * NS, 0, 1, "caf\xc3\xa9",
				    "\xff\xc2\x9b"
				    "1m\xe6\x96\x87 \xed\xa0\x80 \xc0\xaf"),
			 0);
	ck_assert_str_eq(drain(pfd[0]),
			 "[2025-11-21 14:30:00]  0      1        caf\xc3\xa9             "
			 "??1m\xe6\x96\x87 ??? ??\n");
	/* A value wider than its column still leaves one space before the next. */
	ck_assert_int_eq(write_exec(s, T0 * NS, 0, 1, "a_very_long_command_name", NULL), 0);
	ck_assert_str_eq(drain(pfd[0]),
			 "[2025-11-21 14:30:00]  0      1        a_very_long_command_name \n");
	sink_destroy(s);
}
END_TEST

START_TEST(test_one_stream_only)
{
	struct sink *s = exec_console();

	ck_assert_int_eq(s->ops->add_stream(s, 1, &(struct stream_desc){ "open", exec_cols, 6 }),
			 -EBUSY);
	ck_assert_int_eq(s->ops->add_stream(s, 0, &(struct stream_desc){ "exec", exec_cols, 6 }),
			 -EBUSY);
	sink_destroy(s);
}
END_TEST

START_TEST(test_reader_gone)
{
	struct sink *s = exec_console();

	signal(SIGPIPE, SIG_IGN); /* as the program does */
	close(pfd[0]);
	ck_assert_int_eq(write_exec(s, T0 * NS, 0, 1, "bash", "/bin/true"), 0);
	ck_assert_int_eq(write_exec(s, T0 * NS, 0, 2, "bash", "/bin/true"), 0);
	ck_assert_int_eq(s->ops->flush(s, true), 0);
	sink_destroy(s);
	pfd[0] = open("/dev/null", O_RDONLY);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("console");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_guide_layout_exec);
	tcase_add_test(tc, test_guide_layout_aggregate);
	tcase_add_test(tc, test_strings_sanitized);
	tcase_add_test(tc, test_one_stream_only);
	tcase_add_test(tc, test_reader_gone);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
