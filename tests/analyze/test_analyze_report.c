/* test_analyze_report.c - golden tests of ebpf-monitor-analyze: each monitor type's small
 * fixture (tests/fixtures/analyze) gives exactly the hand-computed figures (asserted one by one
 * below, the arithmetic in the comments) and exactly the committed report (expected/). Also:
 * columns found by name, missing columns, delimiters, malformed rows, period and file
 * selection, the memory cap, per-host directories, and split. Attribution: files with unit and
 * container_id columns (fixtures attrib/) get per-unit and per-container rankings of each type's
 * measures, again hand-computed and golden. */
#include "analyze/analyze.h"
#include "testutil.h"

static void setup(void)
{
	make_tmpdir("em-analyze-test");
}

/* The whole file, NUL-terminated, however long; caller frees. */
static char *slurp_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}
#include "analyze/report.h"

#define FIXTURES EM_ANALYZE_FIXTURES

struct run {
	const char *dir; /* under FIXTURES, "" for the top */
	const char *type;
	const char *date, *from, *to;
	size_t top, max_keys;
	char delim;
	const char *host;
	int want_rc;
};

static char *reports_path(const struct analyze_opts *o, const char *type, char *buf, size_t len)
{
	snprintf(buf, len, "%s/reports%s%s/%s_%s.txt", tmpdir, o->hostname ? "/" : "",
		 o->hostname ? o->hostname : "", type, o->period.label);
	return buf;
}

/* Runs the analyzer like the command line would and returns the text report it wrote. */
static char *run_report(const struct run *r)
{
	char input[512], reports[128], path[512];
	struct analyze_opts o = { 0 };
	const char *bad;
	const struct report_type *t = report_type_find(r->type);

	ck_assert_ptr_nonnull(t);
	snprintf(input, sizeof(input), "%s/%s", FIXTURES, r->dir ? r->dir : "");
	snprintf(reports, sizeof(reports), "%s/reports", tmpdir);
	ck_assert_int_eq(period_parse(r->date, r->from, r->to, &o.period, &bad), 0);
	o.input_dir = input;
	o.reports_dir = reports;
	o.hostname = r->host;
	o.top = r->top ? r->top : 10;
	o.max_keys = r->max_keys ? r->max_keys : ANALYZE_DEFAULT_MAX_KEYS;
	o.delim = r->delim ? r->delim : ',';
	o.quiet = true;
	o.types = 1u << report_type_index(t);
	o.types_explicit = true;
	ck_assert_int_eq(analyze_run(&o), r->want_rc);
	return slurp_all(reports_path(&o, r->type, path, sizeof(path)));
}

static char *report_for(const char *type)
{
	struct run r = { .type = type, .date = "20251121" };

	return run_report(&r);
}

/* The value of an overview line ("  <label padded to 24> <value>"); "" when absent. */
static const char *kv(const char *rep, const char *label)
{
	static char val[512];
	char prefix[64];
	const char *p, *e;

	snprintf(prefix, sizeof(prefix), "\n  %-24s ", label);
	p = strstr(rep, prefix);
	if (!p)
		return "";
	p += strlen(prefix);
	e = strchr(p, '\n');
	snprintf(val, sizeof(val), "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
	return val;
}

/* Row rank of the table under the heading that starts with title, blanks squeezed; "" when
 * there is no such row. */
static const char *row(const char *rep, const char *title, int rank)
{
	static char out[1024];
	char head[256];
	const char *p, *e;
	size_t o = 0;

	snprintf(head, sizeof(head), "\n%s", title);
	p = strstr(rep, head);
	if (!p)
		return "";
	/* heading, underline, column titles, then the rows */
	for (int i = 0; i < 2 + rank; i++) {
		p = strchr(p + 1, '\n');
		if (!p)
			return "";
	}
	e = strchr(p + 1, '\n');
	if (!e)
		e = p + strlen(p);
	for (const char *q = p + 1; q < e && o + 1 < sizeof(out); q++) {
		if (*q == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = *q;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

static bool has_line(const char *rep, const char *line)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "\n%s\n", line);
	return strstr(rep, buf) != NULL;
}

/* The report equals expected/<name>.txt. EM_ANALYZE_BLESS=1 rewrites it (then review the
 * diff: the hand-computed assertions still have to pass). */
static void check_golden(const char *rep, const char *name)
{
	char path[512];
	char *want;

	snprintf(path, sizeof(path), "%s/expected/%s.txt", FIXTURES, name);
	if (getenv("EM_ANALYZE_BLESS"))
		write_file(path, rep);
	want = slurp_all(path);
	ck_assert_msg(!strcmp(rep, want), "%s differs from the report:\n%s", path, rep);
	free(want);
}

START_TEST(test_syscall)
{
	char *rep = report_for("syscall");

	/* 7 rows: 5 used, one on 2025-11-22 (outside --date), one with count "many". */
	ck_assert_str_eq(kv(rep, "rows"),
			 "7 read: 5 used, 1 outside the period, 1 malformed (skipped)");
	ck_assert_str_eq(kv(rep, "calls"), "500");		      /* 100+50+30+300+20 */
	ck_assert_str_eq(kv(rep, "errors"), "18 (error rate 3.60%)"); /* (10+3+5)/500 */
	ck_assert_str_eq(kv(rep, "processes"), "2");
	ck_assert_str_eq(kv(rep, "syscalls"), "3");
	/* Samples every 2 s from :02 to :04: 4 s covered, 500/4. */
	ck_assert_str_eq(kv(rep, "calls per second"), "125.00 (over 4.000 s)");
	/* Weighted by calls over the rows with latency: (100*2+50*5+30*1+300*4)/480 = 3.5; the
	 * average of the averages would be 3.0. */
	ck_assert_str_eq(kv(rep, "avg latency"),
			 "3.500 us (weighted by calls, 480 calls measured)");
	ck_assert_str_eq(kv(rep, "max latency"), "30.000 us");
	/* read: 100+30+300 = 430 = 86%, 3 errors = 0.70%, (200+30+1200)/430 = 3.326 us. */
	ck_assert_str_eq(row(rep, "Top syscalls by calls", 1),
			 "1 430 86.00% 86.00% 3 0.70% 3.326 30.000 file_io read");
	ck_assert_str_eq(row(rep, "Top syscalls by calls", 2),
			 "2 50 10.00% 96.00% 10 20.00% 5.000 20.000 file_io open");
	/* execve's latency cells are empty: no average, no maximum. */
	ck_assert_str_eq(row(rep, "Top syscalls by calls", 3),
			 "3 20 4.00% 100.00% 5 25.00% - - process execve");
	ck_assert_str_eq(row(rep, "Top processes by calls", 1),
			 "1 450 90.00% 90.00% 10 2.22% nginx");
	ck_assert_str_eq(row(rep, "Top processes by calls", 2),
			 "2 50 10.00% 100.00% 8 16.00% bash");
	ck_assert_str_eq(row(rep, "Top process x syscall by calls", 1),
			 "1 400 80.00% 80.00% 0 0.00% 3.500 nginx read");
	/* Errors: 10 of 18 = 55.56%, then 5 (27.78%, cum 83.33%), then 3. */
	ck_assert_str_eq(row(rep, "Top errors by process x syscall", 1),
			 "1 10 55.56% 55.56% 50 20.00% nginx open");
	ck_assert_str_eq(row(rep, "Top errors by process x syscall", 2),
			 "2 5 27.78% 83.33% 20 25.00% bash execve");
	ck_assert_str_eq(row(rep, "Top errors by process x syscall", 3),
			 "3 3 16.67% 100.00% 30 10.00% bash read");
	ck_assert_str_eq(row(rep, "Top categories by calls", 1),
			 "1 480 96.00% 96.00% 13 2.71% file_io");
	/* 2 s buckets: (100+50+30)/2 = 90 calls/s, 13/2 errors/s; then 320/2, 5/2. */
	ck_assert_str_eq(row(rep, "calls over time", 1), "2025-11-21 14:30:02 90.00 6.50");
	ck_assert_str_eq(row(rep, "calls over time", 2), "2025-11-21 14:30:04 160.00 2.50");
	ck_assert(has_line(rep,
			   "  note: syscall_20251121_143000.csv:7: count is not a non-negative "
			   "whole number: \"many\""));
	check_golden(rep, "syscall_20251121");
	free(rep);
}
END_TEST

START_TEST(test_open)
{
	char *rep = report_for("open");

	ck_assert_str_eq(kv(rep, "opens"), "120");		       /* 40+10+5+60+5 */
	ck_assert_str_eq(kv(rep, "failed"), "15 (error rate 12.50%)"); /* 10+1+4 */
	ck_assert_str_eq(kv(rep, "files"), "1 read: open_20251121_143000.csv");
	/* (40*3+10*2+5*6+60*1+5*4)/120 = 250/120 */
	ck_assert_str_eq(kv(rep, "avg latency"),
			 "2.083 us (weighted by opens, 120 opens measured)");
	ck_assert_str_eq(row(rep, "Top files by opens", 1),
			 "1 100 83.33% 83.33% 0 0.00% 1.800 /etc/hosts");
	/* The quoted name with a comma and quotes comes back whole. */
	ck_assert_str_eq(row(rep, "Top files by opens", 3),
			 "3 5 4.17% 100.00% 1 20.00% 6.000 /tmp/a,b \"quoted\".txt");
	ck_assert_str_eq(row(rep, "Top processes by opens", 3),
			 "3 5 4.17% 100.00% 4 80.00% 4.000 cron");
	/* missing.html: 10 ENOENT (nginx) + 4 EACCES (cron) of 15 opens; its errno is ENOENT. */
	ck_assert_str_eq(row(rep, "Top failing paths by errors", 1),
			 "1 14 93.33% 93.33% 15 93.33% ENOENT /var/www/missing.html");
	ck_assert_str_eq(row(rep, "Top failing paths by errors", 2),
			 "2 1 6.67% 100.00% 5 20.00% EACCES /tmp/a,b \"quoted\".txt");
	ck_assert_str_eq(row(rep, "Top errors by errno", 1), "1 10 66.67% 66.67% ENOENT");
	ck_assert_str_eq(row(rep, "Top errors by errno", 2), "2 5 33.33% 100.00% EACCES");
	ck_assert_str_eq(row(rep, "Top operations by opens", 2), "2 5 4.17% 100.00% 4 80.00% open");
	check_golden(rep, "open_20251121");
	free(rep);
}
END_TEST

START_TEST(test_bio)
{
	char *rep = report_for("bio");

	ck_assert_str_eq(kv(rep, "requests"), "460");
	/* 4 + 2 + 1 + 8 MiB; read 2 + 1, write 4 + 8. */
	ck_assert_str_eq(kv(rep, "bytes"), "15728640 (15.00 MiB: read 3.00 MiB, write 12.00 MiB)");
	ck_assert_str_eq(kv(rep, "avg throughput"), "3.750 MiB/s (over 4.000 s)");
	/* (100*200+50*100+10*1000+300*100)/460 = 65000/460; the mean of means would be 350. */
	ck_assert_str_eq(kv(rep, "avg latency"),
			 "141.304 us (weighted by requests, 460 requests measured)");
	/* p50s 80 (x300), 90 (x50), 150 (x100), 900 (x10): half of 460 lies at 80. p99s: 280
	 * (x50), 450 (x300), 800 (x100), 2900 (x10): 99% of 460 = 455.4 > 450, so 2900. */
	ck_assert_str_eq(kv(rep, "p50 latency (est.)"), "80.000 us");
	ck_assert_str_eq(kv(rep, "p99 latency (est.)"), "2900.000 us");
	ck_assert_str_eq(row(rep, "Top processes by requests", 1),
			 "1 450 97.83% 97.83% 14.00 122.222 900.000 mysqld");
	ck_assert_str_eq(row(rep, "Top processes by bytes", 2),
			 "2 1.00 6.67% 100.00% 1.00 0.00 10 tar");
	/* sda p99: 280 (x50), 450 (x300), 800 (x100): 99% of 450 = 445.5 > 350, so 800. */
	ck_assert_str_eq(row(rep, "Top devices by requests", 1),
			 "1 450 97.83% 2.00 12.00 122.222 80.000 800.000 sda");
	ck_assert_str_eq(row(rep, "Top devices by requests", 2),
			 "2 10 2.17% 1.00 0.00 1000.000 900.000 2900.000 nvme0n1");
	/* WRITE: (100*200+300*100)/400 = 125; READ: (50*100+10*1000)/60 = 250. */
	ck_assert_str_eq(row(rep, "Top io types by requests", 1),
			 "1 400 86.96% 12.00 125.000 900.000 WRITE");
	ck_assert_str_eq(row(rep, "Top io types by requests", 2),
			 "2 60 13.04% 3.00 250.000 3000.000 READ");
	ck_assert_str_eq(row(rep, "Top process x device x type by requests", 2),
			 "2 50 10.87% 97.83% 2.00 100.000 300.000 280.000 mysqld sda READ");
	/* 2 s buckets: read (2+1 MiB)/2, write 4/2; then write 8/2. */
	ck_assert_str_eq(row(rep, "throughput over time", 1), "2025-11-21 14:30:02 1.500 2.000");
	ck_assert_str_eq(row(rep, "throughput over time", 2), "2025-11-21 14:30:04 0.000 4.000");
	check_golden(rep, "bio_20251121");
	free(rep);
}
END_TEST

START_TEST(test_interrupt)
{
	char *rep = report_for("interrupt");

	ck_assert_str_eq(kv(rep, "interrupts"), "1000");
	ck_assert_str_eq(kv(rep, "hard"), "200 (20.00%)");
	ck_assert_str_eq(kv(rep, "soft"), "800 (80.00%)");
	/* The nginx row has empty latency cells: (100*2+300*4+100*4+400*1)/900. */
	ck_assert_str_eq(kv(rep, "avg handling latency"),
			 "2.444 us (weighted by count, 900 measured)");
	ck_assert_str_eq(row(rep, "interrupts per CPU (3)", 1), "1 200 20.00% 200 0 0");
	ck_assert_str_eq(row(rep, "interrupts per CPU (3)", 2), "2 400 40.00% 0 400 1");
	ck_assert_str_eq(row(rep, "interrupts per CPU (3)", 3), "3 400 40.00% 0 400 2");
	/* Jain's index: 1000^2 / (3 * (200^2 + 400^2 + 400^2)) = 0.926. */
	ck_assert(has_line(rep,
			   "  balance 0.926 over 3 CPUs (Jain's index: 1 = even, 0.333 = all on "
			   "one); busiest cpu 1 with 40.00% (1.20x the mean)"));
	ck_assert(has_line(rep, "  note: no numa_node column: no per-NUMA distribution"));
	/* TIMER: 100 + 400, latency only on the 400 row. */
	ck_assert_str_eq(row(rep, "Top IRQs by count", 1),
			 "1 500 50.00% 50.00% 1.000 3.000 SOFT 1 TIMER");
	ck_assert_str_eq(row(rep, "Top IRQs by count", 3),
			 "3 200 20.00% 100.00% 3.000 12.000 HARD 24 eth0-rx");
	/* Heat map: cpu 1 only in the first 2 s, cpu 2 only in the second. */
	ck_assert(has_line(rep, "  cpu    1 |@ |"));
	ck_assert(has_line(rep, "  cpu    2 | @|"));
	check_golden(rep, "interrupt_20251121");
	free(rep);
}
END_TEST

START_TEST(test_page_fault)
{
	char *rep = report_for("page_fault");

	ck_assert_str_eq(kv(rep, "page faults"), "2000");
	ck_assert_str_eq(kv(rep, "major"), "10 (0.50%)");
	ck_assert_str_eq(row(rep, "page faults per CPU (4)", 1), "1 1000 50.00% 1000 0 0");
	ck_assert_str_eq(row(rep, "page faults per CPU (4)", 2), "2 10 0.50% 0 10 1");
	/* 2000^2 / (4 * (1000^2 + 10^2 + 500^2 + 490^2)) = 0.671 */
	ck_assert(has_line(rep,
			   "  balance 0.671 over 4 CPUs (Jain's index: 1 = even, 0.250 = all on "
			   "one); busiest cpu 0 with 50.00% (2.00x the mean)"));
	ck_assert_str_eq(row(rep, "page faults per NUMA node", 1), "1 1010 50.50% 1000 10 0");
	ck_assert_str_eq(row(rep, "page faults per NUMA node", 2), "2 990 49.50% 990 0 1");
	ck_assert_str_eq(row(rep, "Top processes by faults", 1),
			 "1 1500 75.00% 75.00% 1490 10 0.67% java");
	ck_assert_str_eq(row(rep, "Top processes by major faults", 1),
			 "1 10 100.00% 100.00% 1500 java");
	check_golden(rep, "page_fault_20251121");
	free(rep);
}
END_TEST

START_TEST(test_context_switch)
{
	char *rep = report_for("context_switch");

	ck_assert_str_eq(kv(rep, "context switches"), "500");
	/* The <idle> row has no split: 320 voluntary of the 400 split. */
	ck_assert_str_eq(kv(rep, "voluntary"), "320 (80.00% of those split: the task blocked)");
	ck_assert_str_eq(row(rep, "Top CPUs by switches", 1), "1 300 60.00% 60.00% 80.00% 0");
	/* 500^2 / (2 * (300^2 + 200^2)) = 0.962 */
	ck_assert(has_line(rep,
			   "  balance 0.962 over 2 CPUs (Jain's index: 1 = even, 0.500 = all on "
			   "one); busiest cpu 0 with 60.00% (1.20x the mean)"));
	ck_assert_str_eq(row(rep, "Top process pairs (prev -> next)", 1),
			 "1 200 40.00% 40.00% 80.00% nginx <idle>");
	ck_assert_str_eq(row(rep, "Top process pairs (prev -> next)", 3),
			 "3 100 20.00% 90.00% - <idle> nginx");
	ck_assert_str_eq(row(rep, "Top processes switched out", 2),
			 "2 150 30.00% 70.00% 150 100.00% redis");
	check_golden(rep, "context_switch_20251121");
	free(rep);
}
END_TEST

START_TEST(test_exec)
{
	char *rep = report_for("exec");

	/* One row per exec, one with a quoted multi-line argv: 7 execs. */
	ck_assert_str_eq(kv(rep, "rows"),
			 "7 read: 7 used, 0 outside the period, 0 malformed (skipped)");
	ck_assert_str_eq(kv(rep, "failed"), "3 (42.86%)");
	ck_assert_str_eq(kv(rep, "programs"), "5");
	/* Events: 7 over the 3.8 s from the first to the last. */
	ck_assert_str_eq(kv(rep, "execs per second"), "1.842 (over 3.800 s)");
	ck_assert_str_eq(row(rep, "Top programs by execs", 1), "1 3 42.86% 42.86% 0 /usr/bin/ls");
	/* The failed exec with no file name is kept, as "(empty)". */
	ck_assert_str_eq(row(rep, "Top programs by execs", 2), "2 1 14.29% 57.14% 1 (empty)");
	ck_assert_str_eq(row(rep, "Top parents by execs", 1), "1 3 42.86% 42.86% 0 50 bash");
	ck_assert_str_eq(row(rep, "Top parents by execs", 2), "2 2 28.57% 71.43% 1 1 cron");
	ck_assert_str_eq(row(rep, "Top failed execs", 2), "2 1 33.33% 66.67% EACCES /bin/sh");
	ck_assert_str_eq(row(rep, "Top failed execs", 3), "3 1 33.33% 100.00% ENOENT /opt/missing");
	ck_assert_str_eq(row(rep, "Top users by execs", 2), "2 2 28.57% 100.00% 1000");
	ck_assert_str_eq(row(rep, "execs over time", 4), "2025-11-21 14:30:03 2.000 2.000");
	check_golden(rep, "exec_20251121");
	free(rep);
}
END_TEST

START_TEST(test_func)
{
	char *rep = report_for("func");

	ck_assert_str_eq(kv(rep, "calls"), "5256");
	ck_assert_str_eq(row(rep, "Top functions by calls", 1), "1 4340 82.57% 82.57% vfs_read");
	ck_assert_str_eq(row(rep, "Top processes by calls", 1), "1 2856 54.34% 54.34% nginx");
	/* Shares within the process: 2000 of nginx's 2856. */
	ck_assert_str_eq(row(rep, "Top functions of nginx", 1), "1 2000 70.03% 70.03% vfs_read");
	ck_assert_str_eq(row(rep, "Top functions of mysqld", 2), "2 60 2.50% 100.00% vfs_fsync");
	check_golden(rep, "func_20251121");
	free(rep);
}
END_TEST

/* Columns are found by header name: another order and an unknown column change nothing. */
START_TEST(test_columns_by_name)
{
	struct run r = { .dir = "reordered", .type = "syscall", .date = "20251121" };
	char *rep = run_report(&r), *want = report_for("syscall");
	const char *labels[] = { "calls", "errors", "avg latency", "max latency" };

	for (size_t i = 0; i < 4; i++) {
		char a[512];

		snprintf(a, sizeof(a), "%s", kv(rep, labels[i]));
		ck_assert_str_eq(a, kv(want, labels[i]));
	}
	ck_assert_str_eq(row(rep, "Top errors by process x syscall", 1),
			 "1 10 55.56% 55.56% 50 20.00% nginx open");
	free(rep);
	free(want);
}
END_TEST

/* Optional columns absent: their figures and breakdowns are left out, and the report says so. */
START_TEST(test_missing_columns)
{
	struct run r = { .dir = "minimal", .type = "syscall", .date = "20251121" };
	char *rep = run_report(&r);

	ck_assert_str_eq(kv(rep, "calls"), "500");
	ck_assert_str_eq(kv(rep, "errors"), "");
	ck_assert_str_eq(kv(rep, "avg latency"), "");
	ck_assert_ptr_null(strstr(rep, "Top errors"));
	ck_assert_ptr_null(strstr(rep, "Top categories"));
	ck_assert_str_eq(row(rep, "Top syscalls by calls", 1), "1 430 86.00% 86.00% read");
	ck_assert(has_line(rep, "  note: columns missing from the files (figures needing them are "
				"left out): syscall_nr, category, error_count, avg_latency_us, "
				"max_latency_us"));
	free(rep);

	/* A required column missing: the file is skipped, with the reason. */
	r.dir = "broken";
	rep = run_report(&r);
	ck_assert_str_eq(kv(rep, "files"), "0 read: syscall_20251121_143000.csv");
	ck_assert_str_eq(kv(rep, "files skipped"), "1");
	ck_assert(has_line(rep,
			   "  note: syscall_20251121_143000.csv:1: no count column: file skipped"));
	free(rep);
}
END_TEST

START_TEST(test_delimiter)
{
	struct run r = { .dir = "semicolon", .type = "syscall", .date = "20251121", .delim = ';' };
	char *rep = run_report(&r);

	ck_assert_str_eq(kv(rep, "calls"), "150");
	ck_assert_str_eq(kv(rep, "errors"), "4 (error rate 2.67%)");
	/* "web,1" is one name when ';' separates; "a;b" was quoted. */
	ck_assert_str_eq(row(rep, "Top processes by calls", 1),
			 "1 100 66.67% 66.67% 4 4.00% web,1");
	ck_assert_str_eq(row(rep, "Top processes by calls", 2), "2 50 33.33% 100.00% 0 0.00% a;b");
	free(rep);
}
END_TEST

/* Every kind of broken row is counted and skipped; the good rows still add up. */
START_TEST(test_malformed_rows)
{
	struct run r = { .dir = "malformed", .type = "syscall", .date = "20251121" };
	char *rep = run_report(&r);

	/* 2 good rows (100 + 50); 7 bad: short row, stray quote, negative count, empty count,
	 * bad timestamp, "nan" latency, truncated last line. The repeated header is no row. */
	ck_assert_str_eq(kv(rep, "rows"),
			 "9 read: 2 used, 0 outside the period, 7 malformed (skipped)");
	ck_assert_str_eq(kv(rep, "calls"), "150");
	ck_assert_str_eq(kv(rep, "errors"), "5 (error rate 3.33%)");
	ck_assert(has_line(
		rep, "  note: syscall_20251121_143000.csv:3: 8 fields where the header has 11"));
	ck_assert(
		has_line(rep, "  note: syscall_20251121_143000.csv:4: text after a closing quote"));
	ck_assert(has_line(rep,
			   "  note: syscall_20251121_143000.csv:5: count is not a non-negative "
			   "whole number: \"-5\""));
	ck_assert(has_line(rep, "  note: syscall_20251121_143000.csv:6: count is empty"));
	ck_assert(has_line(
		rep, "  note: syscall_20251121_143000.csv:7: timestamp is not epoch seconds"));
	free(rep);
}
END_TEST

/* A file holds rows from its name's time until the next file starts: --date reads the multi-day
 * file that runs into the day, not the one that starts after it. */
START_TEST(test_period_and_files)
{
	struct run r = { .dir = "multiday", .type = "page_fault", .date = "20251121" };
	char *rep = run_report(&r);

	ck_assert_str_eq(kv(rep, "files"),
			 "2 read: page_fault_20251120_000000.csv, page_fault_20251121_120000.csv");
	ck_assert_str_eq(kv(rep, "rows"),
			 "4 read: 3 used, 1 outside the period, 0 malformed (skipped)");
	ck_assert_str_eq(kv(rep, "page faults"), "14"); /* 2 + 4 + 8 */
	free(rep);

	r.date = NULL;
	r.from = "2025-11-21 12:00";
	r.to = "20251121";
	rep = run_report(&r);
	ck_assert_str_eq(kv(rep, "period"), "2025-11-21 12:00:00 .. 2025-11-22 00:00:00");
	ck_assert_str_eq(kv(rep, "files"), "1 read: page_fault_20251121_120000.csv");
	ck_assert_str_eq(kv(rep, "page faults"), "12");
	free(rep);

	r.from = r.to = NULL;
	rep = run_report(&r);
	ck_assert_str_eq(kv(rep, "period"), "all data");
	ck_assert_str_eq(kv(rep, "page faults"), "31");
	free(rep);

	/* Nothing for that day: exit code 3 and no report file. */
	{
		struct analyze_opts o = { 0 };
		const char *bad;
		char input[512];

		snprintf(input, sizeof(input), "%s/multiday", FIXTURES);
		ck_assert_int_eq(period_parse("20250101", NULL, NULL, &o.period, &bad), 0);
		o.input_dir = input;
		o.top = 10;
		o.max_keys = 100;
		o.delim = ',';
		o.quiet = true;
		o.types = 1u << report_type_index(report_type_find("page_fault"));
		o.types_explicit = true;
		ck_assert_int_eq(analyze_run(&o), ANALYZE_EXIT_NO_DATA);
	}
}
END_TEST

/* Beyond --max-keys, the lighter keys are evicted into "(other)", which the rankings show. */
START_TEST(test_memory_cap)
{
	struct run r = { .type = "syscall", .date = "20251121", .max_keys = 2 };
	char *rep = run_report(&r);

	ck_assert_str_eq(kv(rep, "calls"), "500");
	ck_assert_str_eq(kv(rep, "syscalls"), "at least 2 (more than --max-keys could hold)");
	/* read (100 by then) and open (50) filled the table; when execve came, open was the
	 * lighter and went to "(other)". */
	ck_assert_str_eq(row(rep, "Top syscalls by calls (2)", 1),
			 "1 430 86.00% 86.00% 3 0.70% 3.326 30.000 file_io read");
	ck_assert_str_eq(row(rep, "Top syscalls by calls (2)", 2),
			 "2 20 4.00% 90.00% 5 25.00% - - process execve");
	ck_assert(has_line(rep, "  ... (other): 50 calls (10.00%), keys beyond the memory cap "
				"(--max-keys): 1 evicted"));
	free(rep);
}
END_TEST

START_TEST(test_top_n)
{
	struct run r = { .type = "syscall", .date = "20251121", .top = 1 };
	char *rep = run_report(&r);

	ck_assert_str_eq(row(rep, "Top syscalls by calls (1 of 3)", 1),
			 "1 430 86.00% 86.00% 3 0.70% 3.326 30.000 file_io read");
	ck_assert(has_line(rep, "  ... 2 more: 70 calls (14.00%)"));
	free(rep);
}
END_TEST

/* --hostname reads <input>/<host> and writes <reports>/<host>/. */
START_TEST(test_hostname)
{
	struct run r = { .dir = "hosts", .type = "func", .date = "20251121", .host = "web01" };
	char *rep = run_report(&r);

	ck_assert_str_eq(kv(rep, "host"), "web01");
	ck_assert_str_eq(kv(rep, "calls"), "7");
	free(rep);
}
END_TEST

/* split: one file per local day, named after its first row, header on each, rows byte for
 * byte (the quoted multi-line field too), malformed rows dropped. */
START_TEST(test_split)
{
	char in[128], out[128], path[256];
	struct split_opts o = { 0 };
	char *got;

	snprintf(in, sizeof(in), "%s/in", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	ck_assert_int_eq(mkdir(in, 0755), 0);
	snprintf(path, sizeof(path), "%s/exec_20251120_235959.csv", in);
	write_file(path, "timestamp,time_str,comm,filename\n"
			 "1763683199.500,[2025-11-20 23:59:59.500],a,/x\n"
			 "1763683200.500,[2025-11-21 00:00:00.500],b,\"/y,\n\"\"z\"\"\"\n"
			 "broken\n"
			 "1763683201.000,[2025-11-21 00:00:01.000],c,/w\n"
			 "1763683199.900,[2025-11-20 23:59:59.900],d,/late\n");
	o.input_dir = in;
	o.output_dir = out;
	o.delim = ',';
	o.quiet = true;
	ck_assert_int_eq(split_run(&o), ANALYZE_EXIT_OK);
	snprintf(path, sizeof(path), "%s/exec_20251120_235959.csv", out);
	got = slurp_all(path);
	ck_assert_str_eq(got, "timestamp,time_str,comm,filename\n"
			      "1763683199.500,[2025-11-20 23:59:59.500],a,/x\n"
			      "1763683199.900,[2025-11-20 23:59:59.900],d,/late\n");
	free(got);
	snprintf(path, sizeof(path), "%s/exec_20251121_000000.csv", out);
	got = slurp_all(path);
	ck_assert_str_eq(got, "timestamp,time_str,comm,filename\n"
			      "1763683200.500,[2025-11-21 00:00:00.500],b,\"/y,\n\"\"z\"\"\"\n"
			      "1763683201.000,[2025-11-21 00:00:01.000],c,/w\n");
	free(got);
	/* A second run would duplicate rows: refused without --force. */
	ck_assert_int_eq(split_run(&o), ANALYZE_EXIT_ERROR);
	o.force = true;
	ck_assert_int_eq(split_run(&o), ANALYZE_EXIT_OK);
}
END_TEST

/* ---- attribution: per unit, per container ---- */

/* The fixtures' units: nginx.service, mysql.service, cron.service, session-3.scope, a Docker
 * container A (docker-<A>.scope), a Kubernetes container B (cri-containerd-<B>.scope in a
 * kubepods pod), "unknown" (gone before its cgroup was read) and "" (no unit: kernel threads). */
#define UNIT_A "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope"
#define UNIT_B \
	"cri-containerd-fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210.scope"
#define SHORT_A "0123456789ab"
#define SHORT_B "fedcba987654"

static char *attrib_report(const char *type)
{
	struct run r = { .dir = "attrib", .type = type, .date = "20251121" };

	return run_report(&r);
}

START_TEST(test_attrib_syscall)
{
	char *rep = attrib_report("syscall");

	/* The type's own figures come first, as without attribution; sample_rate is ignored. */
	ck_assert_str_eq(kv(rep, "calls"), "470");
	ck_assert_str_eq(kv(rep, "processes"), "4");
	/* nginx in nginx.service and in container A: one process name, two units. */
	ck_assert_str_eq(row(rep, "Top processes by calls", 1),
			 "1 260 55.32% 55.32% 6 2.31% nginx");
	ck_assert_str_eq(kv(rep, "units"), "5");
	/* B: java 200 of 470 = 42.55%, no errors. */
	ck_assert_str_eq(row(rep, "Top units by calls (5)", 1),
			 "1 200 42.55% 42.55% 0 0.00% " UNIT_B);
	/* nginx.service: 100 + 50 (two intervals), errors 0 + 2 = 1.33%. */
	ck_assert_str_eq(row(rep, "Top units by calls (5)", 2),
			 "2 150 31.91% 74.47% 2 1.33% nginx.service");
	/* A: read 40 + 60, open 10 with 4 errors: 110, 4/110 = 3.64%. */
	ck_assert_str_eq(row(rep, "Top units by calls (5)", 3),
			 "3 110 23.40% 97.87% 4 3.64% " UNIT_A);
	ck_assert_str_eq(row(rep, "Top units by calls (5)", 4),
			 "4 7 1.49% 99.36% 1 14.29% unknown");
	ck_assert_str_eq(row(rep, "Top units by calls (5)", 5), "5 3 0.64% 100.00% 0 0.00% (none)");
	ck_assert_str_eq(kv(rep, "containers"), "2");
	/* Outside: nginx.service 150 + unknown 7 + (none) 3 = 160 of 470. */
	ck_assert_str_eq(kv(rep, "outside containers"), "160 calls (34.04%)");
	/* Shares among the 310 calls in containers. */
	ck_assert_str_eq(row(rep, "Top containers by calls (2)", 1),
			 "1 200 64.52% 64.52% 0 0.00% " SHORT_B);
	ck_assert_str_eq(row(rep, "Top containers by calls (2)", 2),
			 "2 110 35.48% 100.00% 4 3.64% " SHORT_A);
	/* only the short id (the unit's name holds the whole one) */
	ck_assert_ptr_nonnull(strstr(rep, "Top containers"));
	ck_assert_ptr_null(strstr(strstr(rep, "Top containers"), SHORT_A "c"));
	check_golden(rep, "attrib_syscall_20251121");
	free(rep);
}
END_TEST

START_TEST(test_attrib_page_fault_and_context_switch)
{
	char *rep = attrib_report("page_fault");

	/* B: java 1000 + 10 + 490; cron.service: python3 500. */
	ck_assert_str_eq(row(rep, "Top units by faults (2)", 1), "1 1500 75.00% 75.00% " UNIT_B);
	ck_assert_str_eq(row(rep, "Top units by faults (2)", 2),
			 "2 500 25.00% 100.00% cron.service");
	ck_assert_str_eq(kv(rep, "outside containers"), "500 faults (25.00%)");
	ck_assert_str_eq(row(rep, "Top containers by faults (1)", 1),
			 "1 1500 100.00% 100.00% " SHORT_B);
	check_golden(rep, "attrib_page_fault_20251121");
	free(rep);

	rep = attrib_report("context_switch");
	/* nginx.service 100 + 100; A (redis) 150; (none) the idle task's 100; B (java) 50. */
	ck_assert_str_eq(row(rep, "Top units by switches (4)", 1),
			 "1 200 40.00% 40.00% nginx.service");
	ck_assert_str_eq(row(rep, "Top units by switches (4)", 2), "2 150 30.00% 70.00% " UNIT_A);
	ck_assert_str_eq(row(rep, "Top units by switches (4)", 3), "3 100 20.00% 90.00% (none)");
	ck_assert_str_eq(row(rep, "Top units by switches (4)", 4), "4 50 10.00% 100.00% " UNIT_B);
	ck_assert_str_eq(kv(rep, "outside containers"), "300 switches (60.00%)");
	ck_assert_str_eq(row(rep, "Top containers by switches (2)", 1),
			 "1 150 75.00% 75.00% " SHORT_A);
	check_golden(rep, "attrib_context_switch_20251121");
	free(rep);
}
END_TEST

START_TEST(test_attrib_open_and_exec)
{
	char *rep = attrib_report("open");

	ck_assert_str_eq(row(rep, "Top units by opens (4)", 1),
			 "1 100 83.33% 83.33% 0 0.00% nginx.service");
	ck_assert_str_eq(row(rep, "Top units by opens (4)", 2),
			 "2 10 8.33% 91.67% 10 100.00% " UNIT_A);
	/* 5 opens each: by name, session-3.scope before unknown. */
	ck_assert_str_eq(row(rep, "Top units by opens (4)", 3),
			 "3 5 4.17% 95.83% 1 20.00% session-3.scope");
	ck_assert_str_eq(row(rep, "Top units by opens (4)", 4),
			 "4 5 4.17% 100.00% 4 80.00% unknown");
	check_golden(rep, "attrib_open_20251121");
	free(rep);

	/* Events: one per row; failed = ret != 0. */
	rep = attrib_report("exec");
	ck_assert_str_eq(row(rep, "Top units by execs (4)", 1),
			 "1 2 33.33% 33.33% 1 50.00% cron.service");
	ck_assert_str_eq(row(rep, "Top units by execs (4)", 2),
			 "2 2 33.33% 66.67% 0 0.00% session-3.scope");
	ck_assert_str_eq(row(rep, "Top units by execs (4)", 3),
			 "3 1 16.67% 83.33% 0 0.00% " UNIT_A);
	ck_assert_str_eq(row(rep, "Top units by execs (4)", 4),
			 "4 1 16.67% 100.00% 1 100.00% unknown");
	ck_assert_str_eq(kv(rep, "outside containers"), "5 execs (83.33%)");
	check_golden(rep, "attrib_exec_20251121");
	free(rep);
}
END_TEST

START_TEST(test_attrib_bio_func_interrupt)
{
	char *rep = attrib_report("bio");

	/* Ranked by bytes: mysql.service 4 + 2 + 8 MiB in 100 + 50 + 300 requests; then 1 MiB
	 * each, by name: "(none)" (kworker, 20 requests) before A (tar, 10). */
	ck_assert_str_eq(row(rep, "Top units by bytes (3)", 1),
			 "1 14.00 87.50% 87.50% 450 mysql.service");
	ck_assert_str_eq(row(rep, "Top units by bytes (3)", 2), "2 1.00 6.25% 93.75% 20 (none)");
	ck_assert_str_eq(row(rep, "Top units by bytes (3)", 3), "3 1.00 6.25% 100.00% 10 " UNIT_A);
	ck_assert_str_eq(kv(rep, "outside containers"), "15.00 MiB (93.75%)");
	ck_assert_str_eq(row(rep, "Top containers by bytes (1)", 1),
			 "1 1.00 100.00% 100.00% 10 " SHORT_A);
	check_golden(rep, "attrib_bio_20251121");
	free(rep);

	rep = attrib_report("func");
	/* mysql.service 2340; nginx.service 1250 + 750; A 856: of 5196. */
	ck_assert_str_eq(row(rep, "Top units by calls (3)", 1),
			 "1 2340 45.03% 45.03% mysql.service");
	ck_assert_str_eq(row(rep, "Top units by calls (3)", 2),
			 "2 2000 38.49% 83.53% nginx.service");
	ck_assert_str_eq(row(rep, "Top units by calls (3)", 3), "3 856 16.47% 100.00% " UNIT_A);
	check_golden(rep, "attrib_func_20251121");
	free(rep);

	rep = attrib_report("interrupt");
	/* The interrupted task's unit: swapper (none) 100 + 300 + 100, B 400, nginx 100. */
	ck_assert_str_eq(row(rep, "Top units by interrupts (3)", 1), "1 500 50.00% 50.00% (none)");
	ck_assert_str_eq(row(rep, "Top units by interrupts (3)", 2), "2 400 40.00% 90.00% " UNIT_B);
	ck_assert_str_eq(row(rep, "Top units by interrupts (3)", 3),
			 "3 100 10.00% 100.00% nginx.service");
	ck_assert_str_eq(kv(rep, "outside containers"), "600 interrupts (60.00%)");
	check_golden(rep, "attrib_interrupt_20251121");
	free(rep);
}
END_TEST

/* Attribution turned on between two files of a day: the per-unit figures cover the file that
 * has the column and say so; a container_id column with no id in it makes no container
 * section; --top cuts the units like any ranking. */
START_TEST(test_attrib_partial)
{
	char in[128], path[256], reports[128], rpath[512];
	struct analyze_opts o = { 0 };
	const char *bad;
	char *rep;

	snprintf(in, sizeof(in), "%s/in", tmpdir);
	ck_assert_int_eq(mkdir(in, 0755), 0);
	snprintf(path, sizeof(path), "%s/syscall_20251121_100000.csv", in);
	write_file(path, "timestamp,time_str,comm,syscall_name,count\n"
			 "1763719200.000,[2025-11-21 10:00:00.000],a,read,10\n");
	snprintf(path, sizeof(path), "%s/syscall_20251121_110000.csv", in);
	write_file(path, "timestamp,time_str,comm,syscall_name,count,unit,container_id\n"
			 "1763722800.000,[2025-11-21 11:00:00.000],b,read,5,cron.service,\n"
			 "1763722802.000,[2025-11-21 11:00:02.000],c,read,2,,\n"
			 "1763722802.000,[2025-11-21 11:00:02.000],d,read,1,a.service,\n");
	snprintf(reports, sizeof(reports), "%s/reports", tmpdir);
	ck_assert_int_eq(period_parse("20251121", NULL, NULL, &o.period, &bad), 0);
	o.input_dir = in;
	o.reports_dir = reports;
	o.top = 2;
	o.max_keys = ANALYZE_DEFAULT_MAX_KEYS;
	o.delim = ',';
	o.quiet = true;
	o.types = 1u << report_type_index(report_type_find("syscall"));
	o.types_explicit = true;
	ck_assert_int_eq(analyze_run(&o), ANALYZE_EXIT_OK);
	rep = slurp_all(reports_path(&o, "syscall", rpath, sizeof(rpath)));
	ck_assert_str_eq(kv(rep, "calls"), "18");
	ck_assert_str_eq(kv(rep, "units"), "3");
	ck_assert(has_line(rep, "  note: unit column in 1 of 2 files: rows of the others are not "
				"in these figures"));
	/* 8 calls in the file with units: 5 = 62.50%, 2 = 25.00%; the third is cut by --top. */
	ck_assert_str_eq(row(rep, "Top units by calls (2 of 3)", 1),
			 "1 5 62.50% 62.50% cron.service");
	ck_assert_str_eq(row(rep, "Top units by calls (2 of 3)", 2), "2 2 25.00% 87.50% (none)");
	ck_assert(has_line(rep, "  ... 1 more: 1 calls (12.50%)"));
	ck_assert_ptr_null(strstr(rep, "Per container"));
	ck_assert_ptr_null(strstr(rep, "containers"));
	free(rep);
}
END_TEST

/* Without the columns nothing changes: the goldens above are the reports of before, byte for
 * byte (test_syscall ... test_func), and no attribution heading shows up in any of them. */
START_TEST(test_attrib_absent)
{
	static const char *const types[] = { "exec", "func",	  "syscall",	"bio",
					     "open", "interrupt", "page_fault", "context_switch" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char *rep = report_for(types[i]);

		ck_assert_msg(!strstr(rep, "Per unit") && !strstr(rep, "Per container") &&
				      !strstr(rep, "unit column"),
			      "%s: attribution figures without the columns", types[i]);
		free(rep);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("analyze_report");
	TCase *golden = tcase_create("golden"), *input = tcase_create("input");

	utc(); /* the goldens are rendered in UTC */
	tcase_add_checked_fixture(golden, setup, rm_tmpdir);
	tcase_add_checked_fixture(input, setup, rm_tmpdir);
	tcase_add_test(golden, test_syscall);
	tcase_add_test(golden, test_open);
	tcase_add_test(golden, test_bio);
	tcase_add_test(golden, test_interrupt);
	tcase_add_test(golden, test_page_fault);
	tcase_add_test(golden, test_context_switch);
	tcase_add_test(golden, test_exec);
	tcase_add_test(golden, test_func);
	tcase_add_test(input, test_columns_by_name);
	tcase_add_test(input, test_missing_columns);
	tcase_add_test(input, test_delimiter);
	tcase_add_test(input, test_malformed_rows);
	tcase_add_test(input, test_period_and_files);
	tcase_add_test(input, test_memory_cap);
	tcase_add_test(input, test_top_n);
	tcase_add_test(input, test_hostname);
	tcase_add_test(input, test_split);
	tcase_add_test(golden, test_attrib_syscall);
	tcase_add_test(golden, test_attrib_page_fault_and_context_switch);
	tcase_add_test(golden, test_attrib_open_and_exec);
	tcase_add_test(golden, test_attrib_bio_func_interrupt);
	tcase_add_test(input, test_attrib_partial);
	tcase_add_test(input, test_attrib_absent);
	suite_add_tcase(s, golden);
	suite_add_tcase(s, input);
	return test_run_suite(s);
}
