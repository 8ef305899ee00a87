/* test_prom.c - the Prometheus sink without HTTP: counters add up interval rows per label set,
 * label values are escaped as the exposition format requires, values past max_label_values
 * fold into "other", max_series bounds every metric, histograms come out cumulative, and the
 * health metrics follow the monitors' stats. */
#include <check.h>
#include <string.h>

#include "prom.h"
#include "testutil.h"

static const struct column sys_cols[] = {
	{ "timestamp", COL_TIMESTAMP, 0, 0 },
	{ "time_str", COL_TIMESTR, 0, 0 },
	{ "comm", COL_STR, 0, 0 },
	{ "syscall_nr", COL_U64, 0, 0 },
	{ "syscall_name", COL_STR, 0, 0 },
	{ "category", COL_STR, 0, 0 },
	{ "count", COL_U64, 0, 0 },
	{ "error_count", COL_U64, 0, 0 },
	{ "error_rate", COL_F64, 4, 0 },
};

static const struct column bio_cols[] = {
	{ "timestamp", COL_TIMESTAMP, 0, 0 }, { "comm", COL_STR, 0, 0 },
	{ "io_type_str", COL_STR, 0, 0 },     { "count", COL_U64, 0, 0 },
	{ "total_bytes", COL_U64, 0, 0 },     { "device", COL_STR, 0, 0 },
};

static struct sink *make(unsigned k, unsigned max_series)
{
	struct prom_sink_options o = { k, max_series, "1.2.3", "0.26.0", "6.18" };
	struct sink *s = prom_sink_create(&o);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->ops->add_stream(s, 0, "syscall", sys_cols, 9), 0);
	return s;
}

static void sys_row(struct sink *s, const char *comm, const char *name, unsigned long long n,
		    unsigned long long errors)
{
	struct cell c[9];
	struct row r = { .ts_ns = 1, .cells = c };

	memset(c, 0, sizeof(c));
	c[2].s = comm;
	c[4].s = name;
	c[5].s = "process";
	c[6].u = n;
	c[7].u = errors;
	ck_assert_int_eq(s->ops->write_row(s, 0, &r), 0);
}

static char *render(struct sink *s)
{
	struct strbuf b = { 0 };

	ck_assert_int_eq(prom_sink_render(s, &b), 0);
	ck_assert_int_eq(strbuf_putc(&b, '\0'), 0);
	return b.buf;
}

static const char *lv(const char *v)
{
	static char buf[256];
	struct strbuf b = { 0 };

	ck_assert_int_eq(prom_append_label_value(&b, v), 0);
	if (b.len) /* an empty value leaves no buffer: memcpy from NULL is undefined */
		memcpy(buf, b.buf, b.len);
	buf[b.len] = '\0';
	strbuf_free(&b);
	return buf;
}

START_TEST(label_escaping)
{
	ck_assert_str_eq(lv("plain"), "plain");
	ck_assert_str_eq(lv("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
	ck_assert_str_eq(lv("tab\there"), "tab\there");
	ck_assert_str_eq(lv("ü€"), "ü€");
	ck_assert_str_eq(lv("x\xff\xc3("), "x\xef\xbf\xbd\xef\xbf\xbd(");
	ck_assert_str_eq(lv(NULL), "");
}
END_TEST

START_TEST(values)
{
	struct strbuf b = { 0 };

	ck_assert_int_eq(prom_append_value(&b, 12345), 0);
	ck_assert_int_eq(prom_append_value(&b, 0.0175), 0);
	ck_assert_int_eq(prom_append_value(&b, 1e20), 0);
	ck_assert_int_eq(strbuf_putc(&b, '\0'), 0);
	ck_assert_str_eq(b.buf, "123450.01751e+20");
	strbuf_free(&b);
}
END_TEST

START_TEST(counters_add_up_deltas)
{
	struct sink *s = make(100, 1000);
	char *t;

	sys_row(s, "bash", "getppid", 100, 0);
	sys_row(s, "bash", "getppid", 23, 0);
	sys_row(s, "we\"ird\\", "close", 7, 3);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "# HELP ebpf_monitor_syscalls_total "));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ebpf_monitor_syscalls_total counter\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "ebpf_monitor_syscalls_total{comm=\"bash\",syscall=\"getppid\","
			  "category=\"process\"} 123\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_syscalls_total{comm=\"we\\\"ird\\\\\","
					"syscall=\"close\",category=\"process\"} 7\n"));
	/* a zero delta makes no series */
	ck_assert_ptr_null(strstr(t, "ebpf_monitor_syscall_errors_total{comm=\"bash\""));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_syscall_errors_total{comm=\"we\\\"ird\\\\\","
					"syscall=\"close\",category=\"process\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_build_info{version=\"1.2.3\","
					"bcc_version=\"0.26.0\",kernel=\"6.18\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_rows_total{monitor=\"syscall\"} 3\n"));
	free(t);
	sink_destroy(s);
}
END_TEST

START_TEST(top_k_folds_into_other)
{
	struct sink *s = make(2, 1000);
	char *t;

	sys_row(s, "a", "read", 10, 0);
	sys_row(s, "b", "read", 20, 0);
	sys_row(s, "c", "read", 30, 0); /* third distinct comm: other */
	sys_row(s, "d", "read", 40, 0);
	sys_row(s, "a", "read", 1, 0); /* admitted values stay admitted */
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "{comm=\"a\",syscall=\"read\",category=\"process\"} 11\n"));
	ck_assert_ptr_nonnull(strstr(t, "{comm=\"b\",syscall=\"read\",category=\"process\"} 20\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "{comm=\"other\",syscall=\"read\",category=\"process\"} 70\n"));
	ck_assert_ptr_null(strstr(t, "comm=\"c\""));
	ck_assert_ptr_null(strstr(t, "comm=\"d\""));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_rows_folded_total{monitor=\"syscall\"} 2\n"));
	ck_assert_uint_eq(prom_sink_series(s), 3);
	free(t);
	sink_destroy(s);
}
END_TEST

START_TEST(max_series_bounds_every_metric)
{
	struct sink *s = make(1000, 4);
	char name[32], *t;
	double total = 0;

	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "sc%d", i);
		sys_row(s, i % 2 ? "x" : "y", name, 1, 0);
	}
	/* 4 series, then comm folded (no new ones allowed), then everything but constants */
	ck_assert_uint_le(prom_sink_series(s), 5);
	t = render(s);
	ck_assert_ptr_nonnull(
		strstr(t, "{comm=\"other\",syscall=\"other\",category=\"other\"} 496\n"));
	for (char *p = strstr(t, "ebpf_monitor_syscalls_total{"); p;
	     p = strstr(p + 1, "ebpf_monitor_syscalls_total{"))
		total += strtod(strchr(p, '}') + 2, NULL);
	ck_assert(total == 500); /* folding loses nothing */
	free(t);
	sink_destroy(s);
}
END_TEST

START_TEST(histogram_cumulative)
{
	struct prom_sink_options o = { 100, 1000, NULL, NULL, NULL };
	struct sink *s = prom_sink_create(&o);
	uint64_t slots[4] = { 1, 0, 2, 5 };
	struct row_hist h = { slots, 4, 0.5 };
	struct cell c[6];
	struct row r = { .ts_ns = 1, .cells = c, .hist = &h };
	char *t;

	ck_assert_int_eq(s->ops->add_stream(s, 3, "bio", bio_cols, 6), 0);
	memset(c, 0, sizeof(c));
	c[1].s = "dd";
	c[2].s = "WRITE";
	c[3].u = 8;
	c[4].u = 4096;
	c[5].s = "vda";
	ck_assert_int_eq(s->ops->write_row(s, 3, &r), 0);
	ck_assert_int_eq(s->ops->write_row(s, 3, &r), 0);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t,
				     "# TYPE ebpf_monitor_block_io_latency_seconds histogram\n"
				     "ebpf_monitor_block_io_latency_seconds_bucket{device=\"vda\","
				     "op=\"WRITE\",le=\"0.000001\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "le=\"0.000002\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "le=\"0.000004\"} 6\n"));
	ck_assert_ptr_nonnull(strstr(t, "le=\"+Inf\"} 16\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_block_io_latency_seconds_sum{device=\"vda\","
					"op=\"WRITE\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "_count{device=\"vda\",op=\"WRITE\"} 16\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_block_io_bytes_total{comm=\"dd\","
					"device=\"vda\",op=\"WRITE\"} 8192\n"));
	free(t);
	sink_destroy(s);
}
END_TEST

START_TEST(health_survives_restarts)
{
	struct sink *s = make(100, 1000);
	struct stream_probe p[] = { { "sys_exit", "raw_tracepoint" } };
	struct stream_health h = { .probes = p, .nprobes = 1, .lost_map_full = 5 };
	char *t;

	s->ops->health(s, 0, &h);
	h.probes = NULL;
	h.lost_map_full = 7;
	s->ops->health(s, 0, &h);
	t = render(s);
	ck_assert_ptr_nonnull(
		strstr(t, "ebpf_monitor_probe_info{monitor=\"syscall\",point=\"sys_exit\","
			  "mechanism=\"raw_tracepoint\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_events_lost_total{monitor=\"syscall\","
					"reason=\"map_full\"} 7\n"));
	free(t);
	/* the monitor stops and starts again (a reload): a new stream whose stats start at 0 */
	h.stopped = true;
	s->ops->health(s, 0, &h);
	ck_assert_int_eq(s->ops->add_stream(s, 1, "syscall", sys_cols, 9), 0);
	h = (struct stream_health){ .probes = p, .nprobes = 1, .lost_map_full = 2 };
	s->ops->health(s, 1, &h);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "reason=\"map_full\"} 9\n"));
	/* one probe_info line: the stopped stream's is gone */
	ck_assert_ptr_null(
		strstr(strstr(t, "ebpf_monitor_probe_info{") + 1, "ebpf_monitor_probe_info{"));
	free(t);
	sink_destroy(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("prom");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, label_escaping);
	tcase_add_test(tc, values);
	tcase_add_test(tc, counters_add_up_deltas);
	tcase_add_test(tc, top_k_folds_into_other);
	tcase_add_test(tc, max_series_bounds_every_metric);
	tcase_add_test(tc, histogram_cumulative);
	tcase_add_test(tc, health_survives_restarts);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
