/* test_log.c - log.c: Python format strings rendered as Python renders them, message escaping,
 * level filtering, and TimedRotatingFileHandler-style rotation with backupCount pruning. */
#define LOG_NAME "ebpf_monitor.test"
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "testutil.h"

/* 2025-11-21 14:30:00.123456789 UTC */
static const struct log_record rec = {
	.level = LOG_INFO,
	.name = "ebpf_monitor.loader",
	.file = "/src/bpf/loader.c",
	.func = "loader_open",
	.line = 42,
	.ts = { .tv_sec = 1763735400, .tv_nsec = 123456789 },
	.message = "hello world",
};

static const char *fmt_rec(const char *fmt, const char *datefmt, const struct log_record *r)
{
	static char buf[1024];

	ck_assert_int_ge(log_format_record(fmt, datefmt, r, buf, sizeof(buf)), 0);
	return buf;
}

START_TEST(test_guide_formats)
{
	utc();
	ck_assert_str_eq(fmt_rec("%(asctime)s [%(levelname)s] %(name)s:%(lineno)d %(message)s",
				 NULL, &rec),
			 "2025-11-21 14:30:00,123 [INFO] ebpf_monitor.loader:42 hello world");
	ck_assert_str_eq(fmt_rec("%(levelname)s: %(message)s", NULL, &rec), "INFO: hello world");
}
END_TEST

START_TEST(test_flags_and_keys)
{
	/* Expected text produced by CPython 3.11's logging.Formatter on the same record. */
	utc();
	ck_assert_str_eq(
		fmt_rec("[%(levelname)-8s][%(levelname)8s][%(lineno)4d][%(lineno)-4d][%(levelno)03d]"
			"[%(msecs)03d][%(created).3f][%(module)s][%(filename)s][%(funcName)s][%%]"
			"[%(name).3s][%(lineno)+d][%(lineno)x][%(msecs)s][%(lineno)s][%(levelno)5.1f]",
			NULL, &rec),
		"[INFO    ][    INFO][  42][42  ][020][123][1763735400.123][loader][loader.c]"
		"[loader_open][%][ebp][+42][2a][123.0][42][ 20.0]");
	ck_assert_str_eq(fmt_rec("%(asctime)s", "%H:%M", &rec), "14:30");
	{
		char want[32];

		snprintf(want, sizeof(want), "%d/%d", (int)getpid(), (int)gettid());
		ck_assert_str_eq(fmt_rec("%(process)d/%(thread)d", NULL, &rec), want);
	}
}
END_TEST

START_TEST(test_levels)
{
	struct log_record r = rec;

	r.level = LOG_WARNING;
	ck_assert_str_eq(fmt_rec("%(levelname)s %(levelno)d", NULL, &r), "WARNING 30");
	r.level = LOG_DEBUG;
	ck_assert_str_eq(fmt_rec("%(levelname)s", NULL, &r), "DEBUG");
	r.level = LOG_ERROR;
	ck_assert_str_eq(fmt_rec("%(levelname)s", NULL, &r), "ERROR");
	ck_assert_int_eq(log_level_parse("warn"), LOG_WARNING);
	ck_assert_int_eq(log_level_parse("CRITICAL"), LOG_ERROR);
	ck_assert_int_eq(log_level_parse("DEBUG"), LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("LOUD"), -EINVAL);
}
END_TEST

START_TEST(test_message_escaped)
{
	struct log_record r = rec;

	r.message = "a\nb\x1b[31mred\r\t\x7f end";
	ck_assert_str_eq(fmt_rec("%(levelname)s: %(message)s", NULL, &r),
			 "INFO: a\\nb\\x1b[31mred\\x0d\\x09\\x7f end");
	/* UTF-8 passes; the 8-bit CSI (U+009B) and a stray byte do not. */
	r.message = "caf\xc3\xa9 \xc2\x9b"
		    "2J \xff";
	ck_assert_str_eq(fmt_rec("%(message)s", NULL, &r), "caf\xc3\xa9 \\xc2\\x9b"
							   "2J \\xff");
	/* Width applies to the escaped text. */
	r.message = "\n";
	ck_assert_str_eq(fmt_rec("[%(message)4s]", NULL, &r), "[  \\n]");
}
END_TEST

START_TEST(test_unknown_and_odd_specs)
{
	ck_assert_str_eq(fmt_rec("%(nope)s %(message)s", NULL, &rec), "%(nope)s hello world");
	ck_assert_str_eq(fmt_rec("%(message)q|%(message", NULL, &rec), "%(message)q|%(message");
	ck_assert_str_eq(fmt_rec("100% %s %d", NULL, &rec), "100% %s %d");
	/* Python rejects %d of a string; shown as written rather than crashing. */
	ck_assert_str_eq(fmt_rec("%(levelname)d", NULL, &rec), "%(levelname)d");
}
END_TEST

START_TEST(test_truncation)
{
	char buf[10];
	struct log_record r = rec;

	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(log_format_record("%(message)s", NULL, &rec, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "hello wor");
	/* A cut never leaves half a UTF-8 character. */
	r.message = "abcdefgh\xc3\xa9";
	ck_assert_int_eq(log_format_record("%(message)s", NULL, &r, buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "abcdefgh");
	ck_assert_int_eq(log_format_record("%(message)s", NULL, &rec, buf, 1), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_lt(log_format_record("%(message)s", NULL, &rec, buf, 0), 0);
}
END_TEST

START_TEST(test_rotated_names)
{
	char buf[128];

	utc();
	ck_assert_int_eq(log_rotated_name("logs/m.log", "D", 1763735405, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "logs/m.log.2025-11-21");
	ck_assert_int_eq(log_rotated_name("logs/m.log", "midnight", 1763735405, buf, sizeof(buf)),
			 0);
	ck_assert_str_eq(buf, "logs/m.log.2025-11-21");
	ck_assert_int_eq(log_rotated_name("logs/m.log", "h", 1763735405, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "logs/m.log.2025-11-21_14");
	ck_assert_int_eq(log_rotated_name("logs/m.log", "M", 1763735405, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "logs/m.log.2025-11-21_14-30");
	ck_assert_int_eq(log_rotated_name("logs/m.log", "S", 1763735405, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "logs/m.log.2025-11-21_14-30-05");
	ck_assert_int_eq(log_rotated_name("logs/m.log", "W0", 1763735405, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(log_rotated_name("logs/m.log", "S", 1763735405, buf, 12), -ENAMETOOLONG);
}
END_TEST

static struct log_options file_opts(const char *path, const char *when, int backups)
{
	return (struct log_options){
		.console_level = LOG_INFO,
		.console_fd = -1,
		.file_enabled = true,
		.file_level = LOG_DEBUG,
		.file_path = path,
		.when = when,
		.interval = 1,
		.backup_count = backups,
	};
}

static void touch(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int exists(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

START_TEST(test_file_created_and_levels)
{
	char *dir = make_tmpdir("test_log"), path[256], *text;
	struct log_options o;
	struct stat sb;

	umask(022);
	snprintf(path, sizeof(path), "%s/logs/monitor.log", dir);
	o = file_opts(path, "D", 3);
	o.file_level = LOG_INFO;
	ck_assert_int_eq(log_setup(&o), 0);
	errno = ENOENT;
	log_debug("not in the file");
	log_info("started %d monitors", 2);
	log_warn("two\nlines");
	ck_assert_int_eq(errno, ENOENT);
	log_shutdown();

	text = slurp(path);
	ck_assert_int_eq(count_lines(text), 2);
	ck_assert_ptr_null(strstr(text, "not in the file"));
	ck_assert_ptr_nonnull(strstr(text, " [INFO] ebpf_monitor.test:"));
	ck_assert_ptr_nonnull(strstr(text, " started 2 monitors\n"));
	ck_assert_ptr_nonnull(strstr(text, " [WARNING] ebpf_monitor.test:"));
	ck_assert_ptr_nonnull(strstr(text, " two\\nlines\n"));
	/* A fresh file does not rotate: no dated sibling. */
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0640);
	snprintf(path, sizeof(path), "%s/logs", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0750);
}
END_TEST

START_TEST(test_console_handler)
{
	struct log_options o = { .console_level = LOG_WARNING, .console_fd = -1 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	o.console_fd = p[1];
	o.console_format = "%(levelname)-7s| %(message)s";
	ck_assert_int_eq(log_setup(&o), 0);
	log_info("quiet");
	log_warn("loud %s", "\x1b]0;title\x07");
	ck_assert_str_eq(drain(p[0]), "WARNING| loud \\x1b]0;title\\x07\n");
	log_set_console_level(LOG_DEBUG);
	log_debug("now %d", 1);
	ck_assert_str_eq(drain(p[0]), "DEBUG  | now 1\n");
	log_shutdown();
}
END_TEST

START_TEST(test_default_before_setup)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(dup2(p[1], STDERR_FILENO), 0);
	log_debug("hidden");
	log_info("visible");
	ck_assert_str_eq(drain(p[0]), "INFO: visible\n");
}
END_TEST

START_TEST(test_rotation_and_pruning)
{
	char *dir = make_tmpdir("test_log"), path[256], rotated[300], *text;
	struct timeval tv[2];
	struct log_options o;
	struct dirent *de;
	time_t old;
	DIR *d;
	int backups = 0;

	snprintf(path, sizeof(path), "%s/monitor.log", dir);
	touch(dir, "monitor.log", "from before\n");
	/* Older backups, and files that only look like backups: */
	touch(dir, "monitor.log.2000-01-01_00-00-00", "x\n");
	touch(dir, "monitor.log.2000-01-01_00-00-01", "x\n");
	touch(dir, "monitor.log.2000-01-01_00-00-02", "x\n");
	touch(dir, "monitor.log.2000-01-01_00-00-00.gz", "x\n");
	touch(dir, "monitor.log.bak", "x\n");
	touch(dir, "other.log.2000-01-01_00-00-00", "x\n");

	/* As Python does, an existing file's period starts at its mtime: 100 s ago, so with
	 * when=S the first record rotates it. */
	old = time(NULL) - 100;
	tv[0] = tv[1] = (struct timeval){ .tv_sec = old };
	ck_assert_int_eq(utimes(path, tv), 0);
	o = file_opts(path, "s", 2);
	ck_assert_int_eq(log_setup(&o), 0);
	log_info("first after restart");
	log_shutdown();

	ck_assert_int_eq(log_rotated_name(path, "S", old, rotated, sizeof(rotated)), 0);
	ck_assert_str_eq(slurp(rotated), "from before\n");
	text = slurp(path);
	ck_assert_int_eq(count_lines(text), 1);
	ck_assert_ptr_nonnull(strstr(text, "first after restart"));

	/* backupCount=2: the two newest dated files stay; look-alikes are not ours to delete. */
	ck_assert(!exists(dir, "monitor.log.2000-01-01_00-00-00"));
	ck_assert(!exists(dir, "monitor.log.2000-01-01_00-00-01"));
	ck_assert(exists(dir, "monitor.log.2000-01-01_00-00-02"));
	ck_assert(exists(dir, "monitor.log.2000-01-01_00-00-00.gz"));
	ck_assert(exists(dir, "monitor.log.bak"));
	ck_assert(exists(dir, "other.log.2000-01-01_00-00-00"));
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		backups += !strncmp(de->d_name, "monitor.log.20", 14) &&
			   !strchr(de->d_name + 12, '.');
	closedir(d);
	ck_assert_int_eq(backups, 2);

	/* A second restart a minute later rotates again: still exactly two backups. */
	tv[0] = tv[1] = (struct timeval){ .tv_sec = old + 60 };
	ck_assert_int_eq(utimes(path, tv), 0);
	ck_assert_int_eq(log_setup(&o), 0);
	log_info("second");
	log_shutdown();
	ck_assert(!exists(dir, "monitor.log.2000-01-01_00-00-02"));
	ck_assert_str_eq(slurp(rotated), "from before\n");
	ck_assert_int_eq(log_rotated_name(path, "S", old + 60, rotated, sizeof(rotated)), 0);
	ck_assert_ptr_nonnull(strstr(slurp(rotated), "first after restart"));
}
END_TEST

START_TEST(test_rotation_replaces_same_name)
{
	char *dir = make_tmpdir("test_log"), path[256], rotated[300];
	struct timeval tv[2];
	struct log_options o;
	time_t old = time(NULL) - 7200;

	snprintf(path, sizeof(path), "%s/m.log", dir);
	touch(dir, "m.log", "current\n");
	tv[0] = tv[1] = (struct timeval){ .tv_sec = old };
	ck_assert_int_eq(utimes(path, tv), 0);
	ck_assert_int_eq(log_rotated_name(path, "H", old, rotated, sizeof(rotated)), 0);
	touch(dir, strrchr(rotated, '/') + 1, "stale\n");
	o = file_opts(path, "H", 0);
	ck_assert_int_eq(log_setup(&o), 0);
	log_info("x");
	log_shutdown();
	ck_assert_str_eq(slurp(rotated), "current\n");
}
END_TEST

START_TEST(test_write_failures_reported_once)
{
	struct log_options o;
	int p[2];
	char *out;

	if (access("/dev/full", W_OK))
		return;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(dup2(p[1], STDERR_FILENO), 0);
	o = file_opts("/dev/full", "D", 0);
	ck_assert_int_eq(log_setup(&o), 0);
	errno = EINTR;
	log_info("one");
	log_info("two");
	log_info("three");
	ck_assert_int_eq(errno, EINTR);
	out = drain(p[0]);
	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_ptr_nonnull(strstr(out, "1 log write(s) failed, the last to /dev/full: "));
	log_shutdown(); /* tells the two not reported yet */
	out = drain(p[0]);
	ck_assert_ptr_nonnull(strstr(out, "2 log write(s) failed"));
}
END_TEST

/* A full disk (RLIMIT_FSIZE in a child, SIGXFSZ ignored: EFBIG): a record cut short is truncated
 * away, never left as half a line; the records missed are counted and noted once the file can
 * be written again. The child uses no ck_* (Check's message file would hit the limit too). */
#define CHILD_CHECK(cond)                                                                      \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                        \
			_exit(1);                                                              \
		}                                                                              \
	} while (0)

static void full_disk_child(const char *path)
{
	struct log_options o = file_opts(path, "D", 0);
	static char buf[8192];
	struct rlimit rl;
	struct stat sb;
	char *line, *save;
	int fd, n = 0;
	ssize_t len;

	signal(SIGXFSZ, SIG_IGN);
	CHILD_CHECK(log_setup(&o) == 0);
	log_info("first");
	CHILD_CHECK(stat(path, &sb) == 0 && sb.st_size > 0);
	CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0);
	rl.rlim_cur = (rlim_t)sb.st_size + 30; /* the next record fits only in part */
	CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	log_info("second, much longer than thirty bytes, cut by the limit");
	log_info("third");
	rl.rlim_cur = rl.rlim_max;
	CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	log_info("fourth");
	log_shutdown();

	fd = open(path, O_RDONLY);
	CHILD_CHECK(fd >= 0);
	len = read(fd, buf, sizeof(buf) - 1);
	CHILD_CHECK(len > 0 && buf[len - 1] == '\n');
	buf[len] = '\0';
	close(fd);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		CHILD_CHECK(strncmp(line, "20", 2) == 0); /* every line starts with its asctime */
		if (n == 0)
			CHILD_CHECK(strstr(line, "[INFO] ebpf_monitor.test:") && strstr(line, " first"));
		if (n == 1)
			CHILD_CHECK(strstr(line, "[WARNING] ebpf_monitor.log:") &&
				    strstr(line, " 2 log record(s) are missing from this file: "
						 "writing it failed from "));
		if (n == 2)
			CHILD_CHECK(strstr(line, " fourth"));
	}
	CHILD_CHECK(n == 3);
}

START_TEST(test_disk_full_whole_lines_and_missing_noted)
{
	char *dir = make_tmpdir("test_log"), path[256];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/monitor.log", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		full_disk_child(path);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %d", status);
}
END_TEST

START_TEST(test_reopen_after_move)
{
	char *dir = make_tmpdir("test_log"), path[256], moved[300];
	struct log_options o;

	snprintf(path, sizeof(path), "%s/m.log", dir);
	snprintf(moved, sizeof(moved), "%s/m.log.1", dir);
	o = file_opts(path, "D", 0);
	ck_assert_int_eq(log_setup(&o), 0);
	log_info("before");
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(log_reopen(), 0);
	log_info("after");
	log_shutdown();
	ck_assert_ptr_nonnull(strstr(slurp(moved), "before"));
	ck_assert_ptr_null(strstr(slurp(moved), "after"));
	ck_assert_ptr_nonnull(strstr(slurp(path), "after"));
}
END_TEST

START_TEST(test_setup_errors)
{
	struct log_options o = file_opts("/proc/no/such/dir/m.log", "D", 0);

	ck_assert_int_lt(log_setup(&o), 0);
	o = file_opts("/tmp/x.log", "W9", 0);
	ck_assert_int_eq(log_setup(&o), -EINVAL);
	log_shutdown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_guide_formats);
	tcase_add_test(tc, test_flags_and_keys);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_message_escaped);
	tcase_add_test(tc, test_unknown_and_odd_specs);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_rotated_names);
	tcase_add_test(tc, test_file_created_and_levels);
	tcase_add_test(tc, test_console_handler);
	tcase_add_test(tc, test_default_before_setup);
	tcase_add_test(tc, test_rotation_and_pruning);
	tcase_add_test(tc, test_rotation_replaces_same_name);
	tcase_add_test(tc, test_write_failures_reported_once);
	tcase_add_test(tc, test_disk_full_whole_lines_and_missing_noted);
	tcase_add_test(tc, test_reopen_after_move);
	tcase_add_test(tc, test_setup_errors);
	tcase_add_checked_fixture(tc, NULL, rm_tmpdir);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
