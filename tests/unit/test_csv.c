/* test_csv.c - the CSV sink as a user sees its files: RFC 4180 round trip, header, delimiter,
 * buffering, file names, day rollover, retention, and whole rows when the disk fills up. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output/sink.h"
#include "testutil.h"

#define T0 1763735400 /* 2025-11-21 14:30:00 UTC */
#define NS 1000000000ULL

static const struct column exec_cols[] = {
	{ "timestamp", COL_TIMESTAMP, 0, 0 },
	{ "time_str", COL_TIMESTR, 0, 0 },
	{ "uid", COL_U64, 0, 6 },
	{ "pid", COL_U64, 0, 8 },
	{ "comm", COL_STR, 0, 16 },
	{ "filename", COL_STR, 0, 32 },
};
#define EXEC_NCOLS (sizeof(exec_cols) / sizeof(exec_cols[0]))
#define EXEC_HEADER "timestamp,time_str,uid,pid,comm,filename\n"

static void setup(void)
{
	utc();
	make_tmpdir("test_csv");
	umask(022);
}

static struct csv_sink_options opts(unsigned buffer_rows)
{
	return (struct csv_sink_options){
		.directory = tmpdir,
		.delimiter = ',',
		.include_header = true,
		.buffer_rows = buffer_rows,
		.start = T0,
	};
}

static struct sink *exec_sink(const struct csv_sink_options *o)
{
	struct sink *s = NULL;
	int r = csv_sink_create(o, &s);

	ck_assert_msg(r == 0, "csv_sink_create: %s", strerror(-r));
	ck_assert_int_eq(s->ops->add_stream(s, 0,
					    &(struct stream_desc){ "exec", exec_cols, EXEC_NCOLS }),
			 0);
	return s;
}

static int write_exec(struct sink *s, uint64_t ts_ns, uint64_t pid, const char *comm,
		      const char *filename)
{
	struct cell cells[EXEC_NCOLS] = { [2] = { .u = 0 }, [3] = { .u = pid } };
	struct row r = { .ts_ns = ts_ns, .cells = cells };

	cells[4].s = comm;
	cells[5].s = filename;
	return s->ops->write_row(s, 0, &r);
}

static char *slurp_at(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return slurp(path);
}

static char *slurp_tmp(const char *name)
{
	return slurp_at(tmpdir, name);
}

static bool exists(const char *name)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return lstat(path, &sb) == 0;
}

static void touch(const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x\n", 2), 2);
	close(fd);
}

/* ---- a small RFC 4180 reader, independent of the writer ---- */

#define MAX_ROWS 64
#define MAX_FIELDS 16

struct table {
	size_t nrows;
	size_t nfields[MAX_ROWS];
	const char *f[MAX_ROWS][MAX_FIELDS];
	char store[1 << 16];
};

/* Returns 0, or -1 when the text is not RFC 4180 with LF row ends (e.g. a partial last row). */
static int parse_csv(const char *s, char delim, struct table *t)
{
	size_t pos = 0;

	memset(t, 0, sizeof(*t));
	while (*s) {
		size_t nf = 0;

		if (t->nrows == MAX_ROWS)
			return -1;
		for (;;) {
			char *field = t->store + pos;

			if (nf == MAX_FIELDS)
				return -1;
			if (*s == '"') {
				for (s++;; s++) {
					if (!*s)
						return -1;
					if (*s == '"' && s[1] == '"')
						s++;
					else if (*s == '"')
						break;
					t->store[pos++] = *s;
				}
				s++;
			} else {
				for (; *s && *s != delim && *s != '\n'; s++) {
					if (*s == '"' || *s == '\r')
						return -1;
					t->store[pos++] = *s;
				}
			}
			t->store[pos++] = '\0';
			t->f[t->nrows][nf++] = field;
			if (*s == delim) {
				s++;
				continue;
			}
			if (*s != '\n')
				return -1;
			s++;
			break;
		}
		t->nfields[t->nrows++] = nf;
	}
	return 0;
}

static struct table table;

/* ---- tests ---- */

START_TEST(test_roundtrip_hostile_names)
{
	static const char *names[] = {
		"/tmp/a,b.txt",
		"/tmp/say \"hi\".txt",
		"/tmp/line1\nline2",
		"/tmp/cr\r\nlf",
		" leading",
		"trailing ",
		"",
		NULL,
		"plain",
		"\"",
		",",
		"\xe6\x96\x87\xe4\xbb\xb6",
	};
	size_t n = sizeof(names) / sizeof(names[0]), i;
	struct csv_sink_options o = opts(4);
	unsigned long long w, d, e;
	char dir[128];
	struct stat sb;
	struct sink *s;

	snprintf(dir, sizeof(dir), "%s/out/nested", tmpdir);
	o.directory = dir;
	s = exec_sink(&o);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS + 999999999ULL, 100 + i, "bash",
					    names[i]),
				 0);
	ck_assert_int_eq(s->ops->flush(s, true), 0);
	csv_sink_stats(s, &w, &d, &e);
	ck_assert_uint_eq(w, n);
	ck_assert_uint_eq(d, 0);
	ck_assert_uint_eq(e, 0);
	sink_destroy(s);

	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0750);
	ck_assert_int_eq(parse_csv(slurp_at(dir, "exec_20251121_143000.csv"), ',', &table), 0);
	ck_assert_uint_eq(table.nrows, n + 1);
	ck_assert_str_eq(table.f[0][0], "timestamp");
	ck_assert_str_eq(table.f[0][5], "filename");
	for (i = 0; i < n; i++) {
		char pid[16];

		snprintf(pid, sizeof(pid), "%zu", 100 + i);
		ck_assert_uint_eq(table.nfields[i + 1], EXEC_NCOLS);
		/* Truncated to the millisecond, never rounded into the next second. */
		ck_assert_str_eq(table.f[i + 1][0], "1763735400.999");
		ck_assert_str_eq(table.f[i + 1][1], "[2025-11-21 14:30:00.999]");
		ck_assert_str_eq(table.f[i + 1][2], "0");
		ck_assert_str_eq(table.f[i + 1][3], pid);
		ck_assert_str_eq(table.f[i + 1][4], "bash");
		ck_assert_str_eq(table.f[i + 1][5], names[i] ? names[i] : "");
	}
}
END_TEST

START_TEST(test_exact_text_header_and_delimiter)
{
	struct csv_sink_options o = opts(1);
	struct sink *s = exec_sink(&o);

	ck_assert_int_eq(
		write_exec(s, (uint64_t)T0 * NS + 123000000ULL, 1234, "bash", "/usr/bin/ls"), 0);
	sink_destroy(s);
	/* The guide's example line, byte for byte. */
	ck_assert_str_eq(slurp_tmp("exec_20251121_143000.csv"), EXEC_HEADER
			 "1763735400.123,[2025-11-21 14:30:00.123],0,1234,bash,/usr/bin/ls\n");

	o.delimiter = ';';
	o.start = T0 + 1;
	s = exec_sink(&o);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 1, "a;b", "c,d"), 0);
	sink_destroy(s);
	ck_assert_str_eq(slurp_tmp("exec_20251121_143001.csv"),
			 "timestamp;time_str;uid;pid;comm;filename\n"
			 "1763735400.000;[2025-11-21 14:30:00.000];0;1;\"a;b\";c,d\n");

	o.delimiter = ',';
	o.include_header = false;
	o.start = T0 + 2;
	s = exec_sink(&o);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 2, "sh", "x"), 0);
	sink_destroy(s);
	ck_assert_str_eq(slurp_tmp("exec_20251121_143002.csv"),
			 "1763735400.000,[2025-11-21 14:30:00.000],0,2,sh,x\n");
}
END_TEST

START_TEST(test_buffer_rows_threshold)
{
	struct csv_sink_options o = opts(3);
	struct sink *s = exec_sink(&o);
	const char *name = "exec_20251121_143000.csv";

	ck_assert_str_eq(slurp_tmp(name), EXEC_HEADER);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 1, "a", "f"), 0);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 2, "a", "f"), 0);
	ck_assert_uint_eq(count_lines(slurp_tmp(name)), 1);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 3, "a", "f"), 0);
	ck_assert_uint_eq(count_lines(slurp_tmp(name)), 4);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 4, "a", "f"), 0);
	ck_assert_uint_eq(count_lines(slurp_tmp(name)), 4);
	ck_assert_int_eq(s->ops->flush(s, false), 0);
	ck_assert_uint_eq(count_lines(slurp_tmp(name)), 5);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 5, "a", "f"), 0);
	sink_destroy(s); /* flushes */
	ck_assert_uint_eq(count_lines(slurp_tmp(name)), 6);
}
END_TEST

START_TEST(test_file_names)
{
	struct csv_sink_options o = opts(1);
	struct sink *a = exec_sink(&o), *b;
	struct stat sb;
	char path[256];

	ck_assert_int_eq(write_exec(a, (uint64_t)T0 * NS, 1, "first", "f"), 0);
	/* A restart within the same second gets a new name rather than the old file. */
	b = exec_sink(&o);
	ck_assert_int_eq(write_exec(b, (uint64_t)T0 * NS, 2, "second", "f"), 0);
	ck_assert_int_eq(
		b->ops->add_stream(b, 1,
				   &(struct stream_desc){ "page_fault", exec_cols, EXEC_NCOLS }),
		0);
	ck_assert_int_eq(
		b->ops->add_stream(b, 1, &(struct stream_desc){ "other", exec_cols, EXEC_NCOLS }),
		-EEXIST);
	ck_assert_int_eq(
		b->ops->add_stream(b, 2, &(struct stream_desc){ "../evil", exec_cols, EXEC_NCOLS }),
		-EINVAL);
	sink_destroy(a);
	sink_destroy(b);
	ck_assert_ptr_nonnull(strstr(slurp_tmp("exec_20251121_143000.csv"), ",first,"));
	ck_assert_ptr_null(strstr(slurp_tmp("exec_20251121_143000.csv"), ",second,"));
	ck_assert_ptr_nonnull(strstr(slurp_tmp("exec_20251121_143000_1.csv"), ",second,"));
	ck_assert_str_eq(slurp_tmp("page_fault_20251121_143000.csv"), EXEC_HEADER);
	snprintf(path, sizeof(path), "%s/exec_20251121_143000.csv", tmpdir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0640);
}
END_TEST

START_TEST(test_day_rollover)
{
	struct csv_sink_options o = opts(100);
	time_t late = T0 + 9 * 3600 + 29 * 60 + 58; /* 2025-11-21 23:59:58 */
	struct sink *s;

	o.start = late;
	s = exec_sink(&o);
	ck_assert_int_eq(write_exec(s, (uint64_t)late * NS, 1, "old", "f"), 0);
	ck_assert_int_eq(s->ops->tick(s, late + 1), 0);
	ck_assert(!exists("exec_20251122_000001.csv"));
	ck_assert_int_eq(s->ops->tick(s, late + 3), 0);
	ck_assert_int_eq(write_exec(s, (uint64_t)(late + 3) * NS, 2, "new", "f"), 0);
	sink_destroy(s);
	/* The old day's rows were flushed into the old file; the new file starts with a header. */
	ck_assert_str_eq(slurp_tmp("exec_20251121_235958.csv"),
			 EXEC_HEADER "1763769598.000,[2025-11-21 23:59:58.000],0,1,old,f\n");
	ck_assert_str_eq(slurp_tmp("exec_20251122_000001.csv"),
			 EXEC_HEADER "1763769601.000,[2025-11-22 00:00:01.000],0,2,new,f\n");
}
END_TEST

START_TEST(test_retention)
{
	struct csv_sink_options o = opts(1);
	char path[256];
	struct sink *s;

	touch("exec_20251101_000000.csv");
	touch("exec_20251113_235959_1.csv");
	touch("exec_20251114_120000.csv"); /* 7 days before the 21st: kept */
	touch("other_20000101_000000.csv");
	touch("exec_notadate.csv");
	touch("exec_20000101_000000.txt");
	touch("target");
	snprintf(path, sizeof(path), "%s/exec_20000102_000000.csv", tmpdir);
	ck_assert_int_eq(symlink("target", path), 0);
	snprintf(path, sizeof(path), "%s/exec_20000103_000000.csv", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);

	o.retention_days = 7;
	s = exec_sink(&o);
	ck_assert(!exists("exec_20251101_000000.csv"));
	ck_assert(!exists("exec_20251113_235959_1.csv"));
	ck_assert(exists("exec_20251114_120000.csv"));
	ck_assert(exists("exec_20251121_143000.csv"));
	ck_assert(exists("other_20000101_000000.csv"));
	ck_assert(exists("exec_notadate.csv"));
	ck_assert(exists("exec_20000101_000000.txt"));
	ck_assert(exists("exec_20000102_000000.csv"));
	ck_assert(exists("target"));
	ck_assert(exists("exec_20000103_000000.csv"));

	/* Checked once an hour, not every tick. */
	touch("exec_20251102_000000.csv");
	ck_assert_int_eq(s->ops->tick(s, T0 + 60), 0);
	ck_assert(exists("exec_20251102_000000.csv"));
	ck_assert_int_eq(s->ops->tick(s, T0 + 3600), 0);
	ck_assert(!exists("exec_20251102_000000.csv"));
	ck_assert(exists("exec_20251121_143000.csv"));
	sink_destroy(s);
}
END_TEST

START_TEST(test_reopen_after_move)
{
	struct csv_sink_options o = opts(1);
	struct sink *s = exec_sink(&o);
	char from[256], to[256];

	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 1, "before", "f"), 0);
	snprintf(from, sizeof(from), "%s/exec_20251121_143000.csv", tmpdir);
	snprintf(to, sizeof(to), "%s/moved.csv", tmpdir);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(s->ops->reopen(s), 0);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 2, "after", "f"), 0);
	/* A file still in place is appended to, without a second header. */
	ck_assert_int_eq(s->ops->reopen(s), 0);
	ck_assert_int_eq(write_exec(s, (uint64_t)T0 * NS, 3, "again", "f"), 0);
	sink_destroy(s);
	ck_assert_str_eq(slurp_tmp("moved.csv"),
			 EXEC_HEADER "1763735400.000,[2025-11-21 14:30:00.000],0,1,before,f\n");
	ck_assert_str_eq(slurp_tmp("exec_20251121_143000.csv"),
			 EXEC_HEADER "1763735400.000,[2025-11-21 14:30:00.000],0,2,after,f\n"
				     "1763735400.000,[2025-11-21 14:30:00.000],0,3,again,f\n");
}
END_TEST

START_TEST(test_numbers)
{
	static const struct column cols[] = {
		{ "timestamp", COL_TIMESTAMP, 0, 0 }, { "delta", COL_S64, 0, 0 },
		{ "avg_latency_us", COL_F64, 2, 0 },  { "error_rate", COL_F64, 3, 0 },
		{ "count", COL_U64, 0, 0 },
	};
	struct cell cells[5] = { [1] = { .i = -5 },
				 [2] = { .f = 3.14159 },
				 [3] = { .f = NAN },
				 [4] = { .u = 18446744073709551615ULL } };
	struct row r = { .ts_ns = (uint64_t)T0 * NS + 5000000ULL, .cells = cells };
	struct csv_sink_options o = opts(1);
	struct sink *s = NULL;
	char buf[32];

	ck_assert_int_eq(csv_sink_create(&o, &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 3, &(struct stream_desc){ "func", cols, 5 }), 0);
	ck_assert_int_eq(s->ops->write_row(s, 3, &r), 0);
	ck_assert_int_eq(s->ops->write_row(s, 0, &r), -EINVAL);
	sink_destroy(s);
	ck_assert_str_eq(slurp_tmp("func_20251121_143000.csv"),
			 "timestamp,delta,avg_latency_us,error_rate,count\n"
			 "1763735400.005,-5,3.14,,18446744073709551615\n");
	ck_assert_int_eq(fmt_cell_number(&cols[0], &cells[0], buf, sizeof(buf)), -1);
	cells[3].f = INFINITY;
	ck_assert_int_eq(fmt_cell_number(&cols[3], &cells[3], buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_quote_field)
{
	char buf[64];

	ck_assert_uint_eq(csv_quote_field("a\"b", ',', buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "\"a\"\"b\"");
	ck_assert_uint_eq(csv_quote_field("x;y", ',', buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "x;y");
	ck_assert_uint_eq(csv_quote_field("x;y", ';', buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "\"x;y\"");
	ck_assert_uint_eq(csv_quote_field(" x", ',', buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "\" x\"");
	ck_assert_uint_eq(csv_quote_field(NULL, ',', buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	/* Like snprintf: the full length, and a cut, terminated copy. */
	ck_assert_uint_eq(csv_quote_field("a,bcdef", ',', buf, 4), 9);
	ck_assert_str_eq(buf, "\"a,");
	ck_assert_uint_eq(csv_quote_field("a,bcdef", ',', NULL, 0), 9);
}
END_TEST

START_TEST(test_formula_guard)
{
	static const char *names[] = { "=1+2", "+cmd", "-rf", "@SUM(A1)", "\tx", "\rx",
				       "a=b", "'=x", "", NULL, "=\"q,\"" };
	static const char *guarded[] = { "'=1+2", "'+cmd", "'-rf", "'@SUM(A1)", "'\tx", "'\rx",
					 "a=b", "'=x", "", "", "'=\"q,\"" };
	size_t n = sizeof(names) / sizeof(names[0]), i;
	struct csv_sink_options o = opts(1);
	static const struct column cols[] = {
		{ "name", COL_STR, 0, 0 },
		{ "ret", COL_S64, 0, 0 },
	};
	struct cell cells[2];
	struct row r = { .ts_ns = (uint64_t)T0 * NS, .cells = cells };
	struct sink *s;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		o.formula_guard = pass == 1;
		o.start = T0 + pass;
		ck_assert_int_eq(csv_sink_create(&o, &s), 0);
		ck_assert_int_eq(s->ops->add_stream(s, 0, &(struct stream_desc){ "g", cols, 2 }),
				 0);
		for (i = 0; i < n; i++) {
			cells[0].s = names[i];
			cells[1].i = -2; /* numbers are never guarded */
			ck_assert_int_eq(s->ops->write_row(s, 0, &r), 0);
		}
		sink_destroy(s);
		ck_assert_int_eq(parse_csv(slurp_tmp(pass ? "g_20251121_143001.csv" :
							    "g_20251121_143000.csv"),
					   ',', &table),
				 0);
		ck_assert_uint_eq(table.nrows, n + 1);
		for (i = 0; i < n; i++) {
			ck_assert_uint_eq(table.nfields[i + 1], 2);
			ck_assert_str_eq(table.f[i + 1][0],
					 pass ? guarded[i] : (names[i] ? names[i] : ""));
			ck_assert_str_eq(table.f[i + 1][1], "-2");
		}
	}
	ck_assert(csv_formula_lead("-x"));
	ck_assert(!csv_formula_lead("x-"));
	ck_assert(!csv_formula_lead(""));
	ck_assert(!csv_formula_lead(NULL));
}
END_TEST

/* ---- a full disk, simulated with RLIMIT_FSIZE in a child (SIGXFSZ ignored: EFBIG) ---- */

#define CHILD_CHECK(cond)                                                                      \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                        \
			_exit(1);                                                              \
		}                                                                              \
	} while (0)

/*
 * Check reports even passing assertions through its message file, which the child shares and
 * which RLIMIT_FSIZE would cut: the child must not use ck_* (nor helpers that do), only
 * CHILD_CHECK and the read below.
 */
static char *child_slurp(const char *name)
{
	static char buf[1 << 16];
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	CHILD_CHECK(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void set_fsize(rlim_t limit)
{
	struct rlimit rl;

	CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0);
	rl.rlim_cur = limit < rl.rlim_max ? limit : rl.rlim_max;
	CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
}

static void run_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		fn();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (%#x)", status);
}

static const char *long_name(void)
{
	static char name[101];

	memset(name, 'a', 100);
	return name;
}

static void partial_row_child(void)
{
	struct csv_sink_options o = opts(10);
	unsigned long long w, d, e;
	char row[256];
	struct sink *s;
	size_t rlen, i;
	char *text;

	rlen = (size_t)snprintf(row, sizeof(row),
				"1763735400.000,[2025-11-21 14:30:00.000],0,1,c,%s\n", long_name());
	/* Room for the header, two rows and half of the third. */
	set_fsize(strlen(EXEC_HEADER) + 2 * rlen + rlen / 2);
	CHILD_CHECK(csv_sink_create(&o, &s) == 0 &&
		    s->ops->add_stream(
			    s, 0, &(struct stream_desc){ "exec", exec_cols, EXEC_NCOLS }) == 0);
	for (i = 1; i <= 5; i++)
		CHILD_CHECK(write_exec(s, (uint64_t)T0 * NS, i, "c", long_name()) == 0);
	CHILD_CHECK(s->ops->flush(s, false) == -EFBIG);
	csv_sink_stats(s, &w, &d, &e);
	CHILD_CHECK(w == 2 && d == 0 && e == 1);
	text = child_slurp("exec_20251121_143000.csv");
	CHILD_CHECK(strlen(text) == strlen(EXEC_HEADER) + 2 * rlen);
	CHILD_CHECK(parse_csv(text, ',', &table) == 0 && table.nrows == 3);

	/* Space again: the kept rows follow, none twice, none cut. */
	set_fsize(RLIM_INFINITY);
	CHILD_CHECK(s->ops->flush(s, false) == 0);
	csv_sink_stats(s, &w, &d, &e);
	CHILD_CHECK(w == 5 && d == 0);
	text = child_slurp("exec_20251121_143000.csv");
	CHILD_CHECK(parse_csv(text, ',', &table) == 0 && table.nrows == 6);
	for (i = 1; i <= 5; i++)
		CHILD_CHECK(atoi(table.f[i][3]) == (int)i);
	sink_destroy(s);
}

START_TEST(test_disk_full_keeps_rows_whole)
{
	run_child(partial_row_child);
}
END_TEST

static void bounded_memory_child(void)
{
	struct csv_sink_options o = opts(2);
	unsigned long long w, d, e;
	struct sink *s;
	size_t i;

	set_fsize(strlen(EXEC_HEADER));
	CHILD_CHECK(csv_sink_create(&o, &s) == 0 &&
		    s->ops->add_stream(
			    s, 0, &(struct stream_desc){ "exec", exec_cols, EXEC_NCOLS }) == 0);
	for (i = 1; i <= 20; i++)
		(void)write_exec(s, (uint64_t)T0 * NS, i, "c", "f");
	csv_sink_stats(s, &w, &d, &e);
	CHILD_CHECK(w == 0 && d > 0 && e > 0);
	set_fsize(RLIM_INFINITY);
	CHILD_CHECK(s->ops->flush(s, false) == 0);
	csv_sink_stats(s, &w, &d, &e);
	/* At most 4 x buffer_rows kept; the newest rows survive, the dropped ones are counted. */
	CHILD_CHECK(w + d == 20 && w > 0 && w <= 8);
	CHILD_CHECK(parse_csv(child_slurp("exec_20251121_143000.csv"), ',', &table) == 0);
	CHILD_CHECK(table.nrows == w + 1);
	for (i = 1; i <= w; i++)
		CHILD_CHECK(atoi(table.f[i][3]) == (int)(20 - w + i));
	sink_destroy(s);
}

START_TEST(test_disk_full_bounded_memory)
{
	run_child(bounded_memory_child);
}
END_TEST

START_TEST(test_create_errors)
{
	struct csv_sink_options o = opts(1);

	struct sink *s = NULL;

	o.delimiter = '"';
	ck_assert_int_eq(csv_sink_create(&o, &s), -EINVAL);
	ck_assert_ptr_null(s);
	o = opts(1);
	o.directory = "/proc/no/such/dir";
	ck_assert_int_lt(csv_sink_create(&o, &s), 0);
	ck_assert_ptr_null(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");

	tcase_add_checked_fixture(tc, setup, rm_tmpdir);
	tcase_add_test(tc, test_roundtrip_hostile_names);
	tcase_add_test(tc, test_exact_text_header_and_delimiter);
	tcase_add_test(tc, test_buffer_rows_threshold);
	tcase_add_test(tc, test_file_names);
	tcase_add_test(tc, test_day_rollover);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_reopen_after_move);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_quote_field);
	tcase_add_test(tc, test_formula_guard);
	tcase_add_test(tc, test_disk_full_keeps_rows_whole);
	tcase_add_test(tc, test_disk_full_bounded_memory);
	tcase_add_test(tc, test_create_errors);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
