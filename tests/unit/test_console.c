/* test_console.c - the console table as the guide shows it, strings made safe for a terminal,
 * one stream only, and a reader that goes away; rows fitted to a terminal's width (paths
 * shortened in the middle, columns that do not fit left out, the header every screenful); the
 * --top view on a real pseudo-terminal; the distinct keys the stop reports. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/text.h"
#include "monitors/keyset.h"
#include "output/sink.h"
#include "output/table.h"
#include "output/top.h"
#include "testutil.h"

#define ELL "\xe2\x80\xa6" /* U+2026, the ellipsis */
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
	/* another stream's stop changes nothing; its own (a reload restarting it) frees the table
	 * for the next stream, under a header of its own */
	s->ops->health(s, 1, &(struct stream_health){ .stopped = true });
	ck_assert_int_eq(s->ops->add_stream(s, 4, &(struct stream_desc){ "exec", exec_cols, 6 }),
			 -EBUSY);
	s->ops->health(s, 0, &(struct stream_health){ .stopped = true });
	drain(pfd[0]);
	ck_assert_int_eq(s->ops->add_stream(s, 4, &(struct stream_desc){ "exec", exec_cols, 6 }),
			 0);
	ck_assert_int_eq(strncmp(drain(pfd[0]), "TIME ", 5), 0);
	ck_assert_int_eq(write_exec(s, T0 * NS, 0, 1, "bash", "/bin/true"), -EINVAL); /* stream 0 */
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

/* Columns a line of text takes (code points). */
static size_t cols_of(const char *line, size_t n)
{
	char *l = strndup(line, n);
	size_t c = text_columns(l);

	free(l);
	return c;
}

/* Every line of text at most `width` columns; returns the number of lines. */
static unsigned assert_lines_fit(const char *text, size_t width)
{
	unsigned n = 0;

	for (const char *p = text, *e; *p; p = e + 1, n++) {
		e = strchr(p, '\n');
		ck_assert_ptr_nonnull(e);
		ck_assert_msg(cols_of(p, (size_t)(e - p)) <= width, "line wider than %zu: %.*s",
			      width, (int)(e - p), p);
	}
	return n;
}

START_TEST(test_fit_middle_keeps_both_ends)
{
	const char *p = "/usr/lib/locale/C.utf8/LC_MESSAGES/libc.mo";
	char buf[64];

	ck_assert_uint_eq(text_fit_middle(p, 21, buf, sizeof(buf)), 21);
	/* a path keeps whole leading components; the tail, which names the file, the rest */
	ck_assert_str_eq(buf, "/usr/lib/" ELL "GES/libc.mo");
	ck_assert_uint_eq(text_fit_middle("abcdefghijklmnopqrstuvwxyz", 9, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "abcd" ELL "wxyz");
	/* a '/' too early would cost the head more than half: cut by characters */
	ck_assert_uint_eq(text_fit_middle("/a/verylongdirectoryname/file", 21, buf, sizeof(buf)),
			  21);
	ck_assert_str_eq(buf, "/a/verylon" ELL "yname/file");
	ck_assert_uint_eq(text_columns(buf), 21);
	/* shorter than the width: unchanged; width 1: only the ellipsis */
	ck_assert_uint_eq(text_fit_middle("abc", 5, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "abc");
	ck_assert_uint_eq(text_fit_middle("abcdef", 1, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, ELL);
	/* multi-byte characters are never split */
	ck_assert_uint_eq(text_fit_middle("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/abc", 5, buf,
					  sizeof(buf)),
			  5);
	ck_assert_str_eq(buf, "\xe6\x97\xa5\xe6\x9c\xac" ELL "bc");
	/* a buffer too small is never overrun and always terminated */
	memset(buf, 'x', sizeof(buf));
	ck_assert_uint_le(text_fit_middle(p, 30, buf, 8), 30);
	ck_assert_uint_lt(strlen(buf), 8);
	ck_assert_uint_eq(text_fit_middle(p, 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* open's console columns, as the monitor declares them */
static const struct column open_cols[] = {
	{ "timestamp", COL_TIMESTAMP, 0, 0 },
	{ "time_str", COL_TIMESTR, 0, 0 },
	{ "comm", COL_STR, 0, 16 },
	{ "operation", COL_STR, 0, 9 },
	{ "filename", COL_STR, 0, COL_FLEX(40) },
	{ "count", COL_U64, 0, 8 },
	{ "errors", COL_U64, 0, 7 },
	{ "error_rate", COL_F64, 4, 10 },
	{ "flags", COL_STR, 0, 24 },
};

static int write_open(struct sink *s, const char *comm, const char *path, uint64_t count)
{
	struct cell cells[9] = { [5] = { .u = count }, [6] = { .u = 0 }, [7] = { .f = 0 } };
	struct row r = { .ts_ns = T0 * NS, .cells = cells };

	cells[2].s = comm;
	cells[3].s = "openat";
	cells[4].s = path;
	cells[8].s = "O_RDONLY|O_CLOEXEC";
	return s->ops->write_row(s, 0, &r);
}

START_TEST(test_rows_fit_the_terminal)
{
	static const char path[] = "/var/lib/docker/overlay2/0123456789abcdef/merged/usr/share/"
				   "zoneinfo/America/Argentina/Buenos_Aires";
	const unsigned widths[] = { 80, 160 };

	for (size_t w = 0; w < 2; w++) {
		struct sink *s = NULL;
		const char *out, *row;

		ck_assert_int_eq(console_sink_create_sized(pfd[1], widths[w], 0, &s), 0);
		ck_assert_int_eq(
			s->ops->add_stream(s, 0, &(struct stream_desc){ "open", open_cols, 9 }), 0);
		ck_assert_int_eq(write_open(s, "a_very_long_command_name", path, 7), 0);
		out = drain(pfd[0]);
		ck_assert_uint_eq(assert_lines_fit(out, widths[w]), 2);
		row = strchr(out, '\n') + 1;
		/* the path lost its middle, kept its ends; the count is still there */
		ck_assert_ptr_null(strstr(row, path));
		ck_assert_ptr_nonnull(strstr(row, "/var/lib/"));
		ck_assert_ptr_nonnull(strstr(row, "Aires 7"));
		ck_assert_ptr_nonnull(strstr(row, ELL));
		/* a fixed column's value too long for it is shortened too */
		ck_assert_ptr_nonnull(strstr(row, "a_very_" ELL "and_name "));
		if (widths[w] == 80) {
			/* what does not fit is left out whole, header and rows alike */
			ck_assert_ptr_null(strstr(out, "ERRORS"));
			ck_assert_ptr_null(strstr(out, "O_RDONLY"));
		} else {
			ck_assert_ptr_nonnull(strstr(out, "ERROR_RATE"));
			ck_assert_ptr_nonnull(strstr(row, "O_RDONLY|O_CLOEXEC"));
			/* the path takes what the other columns leave: flags, the last, is
			 * where its 24 columns end the line */
			ck_assert_uint_eq(cols_of(row, (size_t)(strstr(row, "O_RDONLY") - row)),
					  160 - 24);
		}
		sink_destroy(s);
	}
}
END_TEST

START_TEST(test_header_every_screenful)
{
	struct sink *s = NULL;
	const char *out, *p;
	unsigned headers = 0, lines = 0;

	ck_assert_int_eq(console_sink_create_sized(pfd[1], 100, 5, &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 0, &(struct stream_desc){ "open", open_cols, 9 }),
			 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(write_open(s, "bash", "/etc/passwd", (uint64_t)i), 0);
	out = drain(pfd[0]);
	for (p = out; *p; p = strchr(p, '\n') + 1, lines++) {
		if (!strncmp(p, "TIME ", 5)) {
			/* a header at the top of each screen of 5 lines */
			ck_assert_uint_eq(lines % 5, 0);
			headers++;
		}
	}
	ck_assert_uint_eq(lines, 13); /* 10 rows, 3 headers */
	ck_assert_uint_eq(headers, 3);
	sink_destroy(s);
}
END_TEST

START_TEST(test_layout_pipe_is_the_declared_widths)
{
	struct table_layout t;

	ck_assert_int_eq(table_layout(&t, open_cols, 9, true, 0), 0);
	ck_assert_uint_eq(t.w[4], 40);
	ck_assert_uint_eq(t.last, 8);
	ck_assert_int_eq(table_layout(&t, open_cols, 9, true, 80), 0);
	/* TIME 23, comm 17, operation 10, a space and count 8 (last: no space after it): the
	 * path gets the other 21 */
	ck_assert_uint_eq(t.w[4], 80 - 23 - 17 - 10 - 9);
	ck_assert_uint_eq(t.last, 5);
	ck_assert_uint_eq(t.w[6], 0);
}
END_TEST

START_TEST(test_keyset_counts_distinct_keys)
{
	static const struct column cols[] = { { "comm", COL_STR, 0, 16 },
					      { "nr", COL_U64, 0, 0 },
					      { "count", COL_U64, 0, 10 } };
	struct keyset k = { 0 };
	struct cell c[3];
	char name[16];

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1000; i++) {
			snprintf(name, sizeof(name), "task%d", i % 100);
			c[0].s = name;
			c[1].u = (uint64_t)(i / 100);
			c[2].u = (uint64_t)round; /* not a key column: no new key */
			keyset_add(&k, keyset_hash(cols, 3, c, 0x3, 0));
		}
	}
	ck_assert_uint_eq(k.n, 1000);
	/* the attribution class is part of the key */
	keyset_add(&k, keyset_hash(cols, 3, c, 0x3, 7));
	ck_assert_uint_eq(k.n, 1001);
	ck_assert(!k.full);
	for (uint64_t h = 1; h <= KEYSET_MAX + 10; h++)
		keyset_add(&k, h * 0x9e3779b97f4a7c15ULL);
	ck_assert(k.full);
	ck_assert_uint_eq(k.n, KEYSET_MAX);
	keyset_free(&k);
}
END_TEST

/* What a pty's master gets until `end` comes (a pty passes writes on asynchronously), within
 * 5 s; malloc'd. */
static char *read_until(int fd, const char *end)
{
	size_t len = 0, cap = 65536;
	char *buf = calloc(1, cap);

	for (int tries = 0; tries < 500 && !strstr(buf, end) && len + 1 < cap; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10) <= 0)
			continue;
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
	}
	return buf;
}

/* The --top view on a pseudo-terminal of 60x9: rows by count, what does not fit said. */
START_TEST(test_top_view_sorted_and_bounded)
{
	static const struct column cols[] = {
		{ "timestamp", COL_TIMESTAMP, 0, 0 }, { "time_str", COL_TIMESTR, 0, 0 },
		{ "comm", COL_STR, 0, 16 },	      { "syscall_name", COL_STR, 0, 20 },
		{ "count", COL_U64, 0, 10 },	      { "error_count", COL_U64, 0, 11 },
	};
	struct winsize ws = { .ws_row = 9, .ws_col = 60 };
	struct top_options o = { 0 };
	struct cell cells[6];
	struct row r = { .ts_ns = T0 * NS, .cells = cells };
	struct sink *s = NULL;
	char *out, *first, *hdr;
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
	const uint64_t counts[] = { 5, 900, 42, 7, 300, 1, 2, 3 };
	char names[8][16];

	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master) | unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(slave, 0);
	ck_assert_int_eq(ioctl(slave, TIOCSWINSZ, &ws), 0);
	fcntl(master, F_SETFL, O_NONBLOCK);
	ck_assert_int_eq(top_sink_create(&(struct top_options){ pfd[0], pfd[1], NULL, "t" }, &s),
			 -ENOTTY);
	o.in_fd = o.out_fd = slave;
	ck_assert_int_eq(top_sink_create(&o, &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 3, &(struct stream_desc){ "syscall", cols, 6 }), 0);
	for (int i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "task%d", i);
		cells[2].s = names[i];
		cells[3].s = "getppid";
		cells[4].u = counts[i];
		cells[5].u = (uint64_t)i;
		ck_assert_int_eq(s->ops->write_row(s, 3, &r), 0);
	}
	top_sink_interval(s, 3, T0 * NS, 2.0);
	top_sink_end(s);
	out = read_until(master, "\033[?1049l");
	/* a frame at once (waiting for the first interval), then the interval's: home, totals,
	 * attach, keys, blank, header, 3 rows and a line for the rest */
	first = strstr(out, "\033[H");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(first, "waiting for the first interval"));
	first = strstr(first + 1, "\033[H");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(first, "syscall  "));
	ck_assert_ptr_nonnull(strstr(first, "14:30:00  2.0 s: 1260 counted, 630/s, 8 rows"));
	hdr = strstr(first, "COMM             SYSCALL_NAME         COUNT      ERROR_COUNT\033[K");
	ck_assert_ptr_nonnull(hdr);
	/* the busiest first (the terminal turns the view's CR LF into CR CR LF) */
	ck_assert_int_eq(strncmp(strchr(hdr, '\n') + 1, "task1   ", 8), 0);
	ck_assert(strstr(first, "task1 ") < strstr(first, "task4 "));
	ck_assert(strstr(first, "task4 ") < strstr(first, "task2 "));
	ck_assert_ptr_nonnull(strstr(first, "... 5 more row(s) below the screen"));
	ck_assert_ptr_null(strstr(first, "task3 "));
	/* the terminal given back: cursor shown, main screen */
	ck_assert_str_eq(out + strlen(out) - 14, "\033[?25h\033[?1049l");
	free(out);
	sink_destroy(s);
	close(slave);
	close(master);
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
	tcase_add_test(tc, test_fit_middle_keeps_both_ends);
	tcase_add_test(tc, test_rows_fit_the_terminal);
	tcase_add_test(tc, test_header_every_screenful);
	tcase_add_test(tc, test_layout_pipe_is_the_declared_widths);
	tcase_add_test(tc, test_keyset_counts_distinct_keys);
	tcase_add_test(tc, test_top_view_sorted_and_bounded);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
