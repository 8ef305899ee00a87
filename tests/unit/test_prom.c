/* test_prom.c - the Prometheus sink without HTTP: counters add up interval rows per label set,
 * label values are escaped as the exposition format requires, values past max_label_values
 * fold into "other", max_series bounds every metric, histograms come out cumulative, a stream's
 * metrics are those its columns have, and the health metrics follow the monitors' stats.
 * Attribution: a stream with unit/container_id columns gets unit and container labels on every
 * metric, bounded the same way, and ebpf_monitor_unattributed_total; one without is unchanged. */
#include <check.h>
#include <string.h>

#include "output/prom.h"
#include "testutil.h"

/* The sink's mechanics on metric tables of the test's own (the monitors' real ones are checked
 * against their columns by test_monitors). */
enum { S_TS, S_TIMESTR, S_COMM, S_NR, S_NAME, S_CATEGORY, S_COUNT, S_ERRORS, S_RATE, S_NCOLS };

static const struct column sys_cols[] = {
	[S_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[S_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[S_COMM] = { "comm", COL_STR, 0, 0 },
	[S_NR] = { "nr", COL_U64, 0, 0 },
	[S_NAME] = { "name", COL_STR, 0, 0 },
	[S_CATEGORY] = { "category", COL_STR, 0, 0 },
	[S_COUNT] = { "count", COL_U64, 0, 0 },
	[S_ERRORS] = { "errors", COL_U64, 0, 0 },
	[S_RATE] = { "rate", COL_F64, 4, 0 },
};

static const struct metric_spec sys_metrics[] = {
	{ "test_calls_total",
	  "Calls by task name, call and category.",
	  false,
	  S_COUNT,
	  -1,
	  { METRIC_COL_BOUNDED("comm", S_COMM), METRIC_COL("syscall", S_NAME),
	    METRIC_COL("category", S_CATEGORY) } },
	{ "test_call_errors_total",
	  "Calls that failed.",
	  false,
	  S_ERRORS,
	  -1,
	  { METRIC_COL_BOUNDED("comm", S_COMM), METRIC_COL("syscall", S_NAME),
	    METRIC_COL("category", S_CATEGORY) } },
	/* past the stream's columns when it has S_RATE columns: left out */
	{ "test_rates_total", "Rates.", false, S_RATE, -1, { METRIC_COL("syscall", S_NAME) } },
};

#define SYS_STREAM(ncols) (&(struct stream_desc){ "syscall", sys_cols, ncols, sys_metrics, 3 })

enum { B_TS, B_COMM, B_OP, B_COUNT, B_BYTES, B_DEVICE, B_NCOLS };

static const struct column bio_cols[] = {
	[B_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[B_COMM] = { "comm", COL_STR, 0, 0 },
	[B_OP] = { "op", COL_STR, 0, 0 },
	[B_COUNT] = { "count", COL_U64, 0, 0 },
	[B_BYTES] = { "bytes", COL_U64, 0, 0 },
	[B_DEVICE] = { "device", COL_STR, 0, 0 },
};

static const struct metric_spec bio_metrics[] = {
	{ "test_bytes_total",
	  "Bytes.",
	  false,
	  B_BYTES,
	  -1,
	  { METRIC_COL_BOUNDED("comm", B_COMM), METRIC_COL_BOUNDED("device", B_DEVICE),
	    METRIC_COL("op", B_OP) } },
	{ "test_latency_seconds",
	  "Latency.",
	  true,
	  -1,
	  -1,
	  { METRIC_COL_BOUNDED("device", B_DEVICE), METRIC_COL("op", B_OP) } },
};

static struct sink *make(unsigned k, unsigned max_series)
{
	struct prom_sink_options o = { k, max_series, "1.2.3", "0.26.0", "6.18" };
	struct sink *s = NULL;

	ck_assert_int_eq(prom_sink_create(&o, &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 0, SYS_STREAM(S_RATE)), 0);
	return s;
}

static void sys_row(struct sink *s, const char *comm, const char *name, unsigned long long n,
		    unsigned long long errors)
{
	struct cell c[S_NCOLS];
	struct row r = { .ts_ns = 1, .cells = c };

	memset(c, 0, sizeof(c));
	c[S_COMM].s = comm;
	c[S_NAME].s = name;
	c[S_CATEGORY].s = "process";
	c[S_COUNT].u = n;
	c[S_ERRORS].u = errors;
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
	ck_assert_ptr_nonnull(strstr(t, "# HELP test_calls_total "));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE test_calls_total counter\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_calls_total{comm=\"bash\",syscall=\"getppid\","
					"category=\"process\"} 123\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_calls_total{comm=\"we\\\"ird\\\\\","
					"syscall=\"close\",category=\"process\"} 7\n"));
	/* a zero delta makes no series */
	ck_assert_ptr_null(strstr(t, "test_call_errors_total{comm=\"bash\""));
	ck_assert_ptr_nonnull(strstr(t, "test_call_errors_total{comm=\"we\\\"ird\\\\\","
					"syscall=\"close\",category=\"process\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_build_info{version=\"1.2.3\","
					"bcc_version=\"0.26.0\",kernel=\"6.18\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_rows_total{monitor=\"syscall\"} 3\n"));
	/* its column is past the stream's: left out */
	ck_assert_ptr_null(strstr(t, "test_rates_total"));
	free(t);
	sink_destroy(s);
}
END_TEST

/* A value less a minus column, constant labels, a result label, a family of two metrics. */
enum { O_TS, O_COMM, O_COUNT, O_ERRORS, O_RET, O_NCOLS };

static const struct column open_cols[] = {
	[O_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[O_COMM] = { "comm", COL_STR, 0, 0 },
	[O_COUNT] = { "count", COL_U64, 0, 0 },
	[O_ERRORS] = { "errors", COL_U64, 0, 0 },
	[O_RET] = { "ret", COL_S64, 0, 0 },
};

static const struct metric_spec open_metrics[] = {
	{ "test_opens_total",
	  "Opens by result.",
	  false,
	  O_COUNT,
	  O_ERRORS,
	  { METRIC_COL_BOUNDED("comm", O_COMM), METRIC_FIXED("result", "success") } },
	{ "test_opens_total",
	  NULL,
	  false,
	  O_ERRORS,
	  -1,
	  { METRIC_COL_BOUNDED("comm", O_COMM), METRIC_FIXED("result", "error") } },
	{ "test_rows_total", "Rows by result.", false, -1, -1, { METRIC_RESULT("result", O_RET) } },
};

static void open_row(struct sink *s, unsigned long long count, unsigned long long errors,
		     long long ret)
{
	struct cell c[O_NCOLS];
	struct row r = { .ts_ns = 1, .cells = c };

	memset(c, 0, sizeof(c));
	c[O_COMM].s = "cat";
	c[O_COUNT].u = count;
	c[O_ERRORS].u = errors;
	c[O_RET].i = ret;
	ck_assert_int_eq(s->ops->write_row(s, 0, &r), 0);
}

START_TEST(minus_fixed_and_result_labels)
{
	struct prom_sink_options o = { 100, 1000, NULL, NULL, NULL };
	struct sink *s = NULL;
	char *t, *help;

	ck_assert_int_eq(prom_sink_create(&o, &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 0,
					    &(struct stream_desc){ "open", open_cols, O_NCOLS,
								   open_metrics, 3 }),
			 0);
	open_row(s, 10, 3, 0);
	open_row(s, 5, 0, -2);
	open_row(s, 4, 4, 0); /* nothing succeeded: no success to add */
	t = render(s);
	help = strstr(t, "# HELP test_opens_total Opens by result.\n"
			 "# TYPE test_opens_total counter\n");
	ck_assert_ptr_nonnull(help);
	ck_assert_ptr_null(strstr(help + 1, "# HELP test_opens_total"));
	ck_assert_ptr_nonnull(strstr(t, "test_opens_total{comm=\"cat\",result=\"success\"} 12\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_opens_total{comm=\"cat\",result=\"error\"} 7\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_rows_total{result=\"success\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_rows_total{result=\"error\"} 1\n"));
	free(t);
	sink_destroy(s);
}
END_TEST

START_TEST(streams_bring_their_metrics)
{
	static const struct metric_spec clash[] = {
		{ "test_calls_total", "A histogram now.", true, -1, -1, { { NULL } } },
	};
	static const struct metric_spec late[] = {
		{ "test_aaa_total", "Declared last, first by name.", false, -1, -1, { { NULL } } },
	};
	struct sink *s = make(100, 1000);
	char *t;

	/* a second stream with every column: its metric past S_RATE is in */
	ck_assert_int_eq(s->ops->add_stream(s, 1, SYS_STREAM(S_NCOLS)), 0);
	/* a family is a counter or a histogram, whoever declares it */
	ck_assert_int_eq(
		s->ops->add_stream(s, 2,
				   &(struct stream_desc){ "other", sys_cols, S_NCOLS, clash, 1 }),
		-EINVAL);
	/* no metrics: rows are counted, nothing else */
	ck_assert_int_eq(
		s->ops->add_stream(s, 3, &(struct stream_desc){ "none", sys_cols, S_NCOLS }), 0);
	{
		struct cell c[S_NCOLS] = { 0 };
		struct row r = { .ts_ns = 1, .cells = c };

		c[S_NAME].s = "read";
		c[S_RATE].f = 0.5;
		ck_assert_int_eq(s->ops->write_row(s, 1, &r), 0);
		ck_assert_int_eq(s->ops->write_row(s, 3, &r), 0);
		ck_assert_int_eq(s->ops->add_stream(s, 4,
						    &(struct stream_desc){ "late", sys_cols,
									   S_NCOLS, late, 1 }),
				 0);
		ck_assert_int_eq(s->ops->write_row(s, 4, &r), 0);
	}
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "# HELP test_rates_total Rates.\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_rates_total{syscall=\"read\"} 0.5\n"));
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_rows_total{monitor=\"none\"} 1\n"));
	/* families render sorted by name, whatever order the streams declared them in */
	ck_assert_ptr_nonnull(strstr(t, "test_aaa_total 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "# HELP test_rates_total"));
	ck_assert(strstr(t, "# HELP test_aaa_total") < strstr(t, "# HELP test_rates_total"));
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
	for (char *p = strstr(t, "test_calls_total{"); p; p = strstr(p + 1, "test_calls_total{"))
		total += strtod(strchr(p, '}') + 2, NULL);
	ck_assert(total == 500); /* folding loses nothing */
	free(t);
	sink_destroy(s);
}
END_TEST

START_TEST(histogram_cumulative)
{
	struct prom_sink_options o = { 100, 1000, NULL, NULL, NULL };
	struct sink *s = NULL;
	uint64_t slots[4] = { 1, 0, 2, 5 };
	struct row_hist h = { slots, 4, 0.5 };
	struct cell c[B_NCOLS];
	struct row r = { .ts_ns = 1, .cells = c, .hist = &h };
	char *t;

	ck_assert_int_eq(prom_sink_create(&o, &s), 0);
	ck_assert_int_eq(s->ops->add_stream(s, 3,
					    &(struct stream_desc){ "bio", bio_cols, B_NCOLS,
								   bio_metrics, 2 }),
			 0);
	memset(c, 0, sizeof(c));
	c[B_COMM].s = "dd";
	c[B_OP].s = "WRITE";
	c[B_COUNT].u = 8;
	c[B_BYTES].u = 4096;
	c[B_DEVICE].s = "vda";
	ck_assert_int_eq(s->ops->write_row(s, 3, &r), 0);
	ck_assert_int_eq(s->ops->write_row(s, 3, &r), 0);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE test_latency_seconds histogram\n"
					"test_latency_seconds_bucket{device=\"vda\","
					"op=\"WRITE\",le=\"0.000001\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "le=\"0.000002\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "le=\"0.000004\"} 6\n"));
	ck_assert_ptr_nonnull(strstr(t, "le=\"+Inf\"} 16\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_latency_seconds_sum{device=\"vda\","
					"op=\"WRITE\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "_count{device=\"vda\",op=\"WRITE\"} 16\n"));
	ck_assert_ptr_nonnull(strstr(t, "test_bytes_total{comm=\"dd\","
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
	ck_assert_int_eq(s->ops->add_stream(s, 1, SYS_STREAM(S_RATE)), 0);
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

START_TEST(sample_rate_gauge_under_a_budget)
{
	struct sink *s = make(100, 1000);
	struct stream_health h = { .sample_rate = 0 };
	char *t;

	/* no budget: no gauge at all */
	s->ops->health(s, 0, &h);
	t = render(s);
	ck_assert_ptr_null(strstr(t, "ebpf_monitor_sample_rate"));
	free(t);
	h.sample_rate = 1;
	s->ops->health(s, 0, &h);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ebpf_monitor_sample_rate gauge\n"
					"ebpf_monitor_sample_rate{monitor=\"syscall\"} 1\n"));
	free(t);
	h.sample_rate = 64;
	s->ops->health(s, 0, &h);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_sample_rate{monitor=\"syscall\"} 64\n"));
	free(t);
	/* a stopped monitor's gauge goes */
	h.stopped = true;
	s->ops->health(s, 0, &h);
	t = render(s);
	ck_assert_ptr_null(strstr(t, "ebpf_monitor_sample_rate"));
	free(t);
	sink_destroy(s);
}
END_TEST

/* ---- attribution ---- */

/* The syscall stream's columns, then the attribution ones monitor_emit() appends (the
 * framework's order: cgroup, unit, container_id, pod_uid), then sample_rate. */
enum { A_CGROUP = S_NCOLS, A_UNIT, A_CONTAINER, A_POD, A_SAMPLE, A_NCOLS };

static const struct column attr_cols[] = {
	[S_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[S_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[S_COMM] = { "comm", COL_STR, 0, 0 },
	[S_NR] = { "nr", COL_U64, 0, 0 },
	[S_NAME] = { "name", COL_STR, 0, 0 },
	[S_CATEGORY] = { "category", COL_STR, 0, 0 },
	[S_COUNT] = { "count", COL_U64, 0, 0 },
	[S_ERRORS] = { "errors", COL_U64, 0, 0 },
	[S_RATE] = { "rate", COL_F64, 4, 0 },
	[A_CGROUP] = { "cgroup", COL_STR, 0, 0 },
	[A_UNIT] = { "unit", COL_STR, 0, 0 },
	[A_CONTAINER] = { "container_id", COL_STR, 0, 0 },
	[A_POD] = { "pod_uid", COL_STR, 0, 0 },
	[A_SAMPLE] = { "sample_rate", COL_U64, 0, 0 },
};

#define CID_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CID_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static struct sink *make_attr(unsigned k, unsigned max_series, const struct column *cols,
			      size_t ncols)
{
	struct prom_sink_options o = { k, max_series, "1.2.3", "0.26.0", "6.18" };
	struct sink *s = NULL;

	ck_assert_int_eq(prom_sink_create(&o, &s), 0);
	ck_assert_int_eq(
		s->ops->add_stream(s, 0,
				   &(struct stream_desc){ "syscall", cols, ncols, sys_metrics, 3 }),
		0);
	return s;
}

static void attr_row(struct sink *s, const char *comm, const char *name, unsigned long long n,
		     unsigned long long errors, const char *unit, const char *cid)
{
	struct cell c[A_NCOLS];
	struct row r = { .ts_ns = 1, .cells = c };

	memset(c, 0, sizeof(c));
	c[S_COMM].s = comm;
	c[S_NAME].s = name;
	c[S_CATEGORY].s = "process";
	c[S_COUNT].u = n;
	c[S_ERRORS].u = errors;
	c[A_CGROUP].s = "/system.slice/x";
	c[A_UNIT].s = unit;
	c[A_CONTAINER].s = cid;
	c[A_POD].s = "";
	c[A_SAMPLE].u = 1;
	ck_assert_int_eq(s->ops->write_row(s, 0, &r), 0);
}

/* The value of the one sample line that starts with prefix; -1 when there is none. */
static double sample(const char *t, const char *prefix)
{
	char want[512];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", prefix);
	p = strstr(t, want);
	if (!p)
		return -1;
	return strtod(p + strlen(want), NULL);
}

START_TEST(attribution_labels)
{
	struct sink *s = make_attr(100, 1000, attr_cols, A_NCOLS);
	struct stream_health h = { .attribution = true, .unattributed = 0 };
	char *t;

	s->ops->health(s, 0, &h);
	attr_row(s, "nginx", "read", 100, 2, "nginx.service", "");
	/* the same task name in a container: its own series */
	attr_row(s, "nginx", "read", 40, 0, "docker-" CID_A ".scope", CID_A);
	/* two rows of the same unit in one interval (two task names, or two pids): they sum */
	attr_row(s, "nginx", "read", 5, 1, "nginx.service", "");
	attr_row(s, "nginx", "read", 7, 0, "unknown", "");
	t = render(s);
	/* the metric's labels first, then unit and container (the id's first 12 digits) */
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"nginx\",syscall=\"read\","
					"category=\"process\",unit=\"nginx.service\","
					"container=\"\"}"),
			 105);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"nginx\",syscall=\"read\","
					"category=\"process\",unit=\"docker-" CID_A ".scope\","
					"container=\"0123456789ab\"}"),
			 40);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"nginx\",syscall=\"read\","
					"category=\"process\",unit=\"unknown\",container=\"\"}"),
			 7);
	ck_assert_int_eq((int)sample(t, "test_call_errors_total{comm=\"nginx\",syscall=\"read\","
					"category=\"process\",unit=\"nginx.service\","
					"container=\"\"}"),
			 3);
	ck_assert_ptr_null(strstr(t, CID_A "\"")); /* never the full id */
	ck_assert_ptr_null(strstr(t, "cgroup="));  /* cgroup and pod_uid make no label */
	ck_assert_ptr_null(strstr(t, "pod"));
	ck_assert_uint_eq(prom_sink_series(s), 4);
	/* the counter: present from the start (0), then the monitor's deltas, over restarts */
	ck_assert_ptr_nonnull(strstr(t,
				     "# TYPE ebpf_monitor_unattributed_total counter\n"
				     "ebpf_monitor_unattributed_total{monitor=\"syscall\"} 0\n"));
	free(t);
	h.unattributed = 7;
	s->ops->health(s, 0, &h);
	s->ops->health(s, 0, &h);
	t = render(s);
	ck_assert_int_eq((int)sample(t, "ebpf_monitor_unattributed_total{monitor=\"syscall\"}"), 7);
	/* the health families keep their order: lost, unattributed, rows */
	ck_assert(strstr(t, "# HELP ebpf_monitor_events_lost_total") <
		  strstr(t, "# HELP ebpf_monitor_unattributed_total"));
	ck_assert(strstr(t, "# HELP ebpf_monitor_unattributed_total") <
		  strstr(t, "# HELP ebpf_monitor_rows_total"));
	free(t);
	h.stopped = true;
	s->ops->health(s, 0, &h);
	ck_assert_int_eq(s->ops->add_stream(s, 1,
					    &(struct stream_desc){ "syscall", attr_cols, A_NCOLS,
								   sys_metrics, 3 }),
			 0);
	h = (struct stream_health){ .attribution = true, .unattributed = 3 };
	s->ops->health(s, 1, &h);
	t = render(s);
	ck_assert_int_eq((int)sample(t, "ebpf_monitor_unattributed_total{monitor=\"syscall\"}"),
			 10);
	free(t);
	sink_destroy(s);
}
END_TEST

/* Only the columns a stream has make labels: unit alone, container alone. */
START_TEST(attribution_label_per_column)
{
	static const struct column unit_only[] = {
		[S_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
		[S_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
		[S_COMM] = { "comm", COL_STR, 0, 0 },
		[S_NR] = { "nr", COL_U64, 0, 0 },
		[S_NAME] = { "name", COL_STR, 0, 0 },
		[S_CATEGORY] = { "category", COL_STR, 0, 0 },
		[S_COUNT] = { "count", COL_U64, 0, 0 },
		[S_ERRORS] = { "errors", COL_U64, 0, 0 },
		[S_RATE] = { "rate", COL_F64, 4, 0 },
		[S_NCOLS] = { "unit", COL_STR, 0, 0 },
	};
	static const struct column container_only[] = {
		[S_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
		[S_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
		[S_COMM] = { "comm", COL_STR, 0, 0 },
		[S_NR] = { "nr", COL_U64, 0, 0 },
		[S_NAME] = { "name", COL_STR, 0, 0 },
		[S_CATEGORY] = { "category", COL_STR, 0, 0 },
		[S_COUNT] = { "count", COL_U64, 0, 0 },
		[S_ERRORS] = { "errors", COL_U64, 0, 0 },
		[S_RATE] = { "rate", COL_F64, 4, 0 },
		[S_NCOLS] = { "container_id", COL_STR, 0, 0 },
	};
	struct cell c[S_NCOLS + 1];
	struct row r = { .ts_ns = 1, .cells = c };
	struct sink *s;
	char *t;

	memset(c, 0, sizeof(c));
	c[S_COMM].s = "sh";
	c[S_NAME].s = "read";
	c[S_CATEGORY].s = "file_io";
	c[S_COUNT].u = 3;
	c[S_NCOLS].s = "cron.service";
	s = make_attr(100, 1000, unit_only, S_NCOLS + 1);
	ck_assert_int_eq(s->ops->write_row(s, 0, &r), 0);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "\ntest_calls_total{comm=\"sh\",syscall=\"read\","
					"category=\"file_io\",unit=\"cron.service\"} 3\n"));
	ck_assert_ptr_null(strstr(t, "container="));
	/* an attribution column in the stream: the counter is there, at 0 */
	ck_assert_ptr_nonnull(
		strstr(t, "ebpf_monitor_unattributed_total{monitor=\"syscall\"} 0\n"));
	free(t);
	sink_destroy(s);

	c[S_NCOLS].s = CID_B;
	s = make_attr(100, 1000, container_only, S_NCOLS + 1);
	ck_assert_int_eq(s->ops->write_row(s, 0, &r), 0);
	t = render(s);
	ck_assert_ptr_nonnull(strstr(t, "\ntest_calls_total{comm=\"sh\",syscall=\"read\","
					"category=\"file_io\",container=\"fedcba987654\"} 3\n"));
	ck_assert_ptr_null(strstr(t, "unit="));
	free(t);
	sink_destroy(s);
}
END_TEST

/* max_label_values holds per attribution label, "" and "unknown" take no place under it, and
 * folding loses no count. */
START_TEST(attribution_bounded)
{
	struct sink *s = make_attr(2, 1000, attr_cols, A_NCOLS);
	char *t;
	double total = 0;

	attr_row(s, "a", "read", 10, 0, "one.service", "");
	attr_row(s, "a", "read", 20, 0, "two.service", "");
	attr_row(s, "a", "read", 30, 0, "three.service", ""); /* third unit: other */
	attr_row(s, "a", "read", 1, 0, "four.service", "");
	attr_row(s, "a", "read", 2, 0, "one.service", ""); /* admitted values stay admitted */
	/* past the bound, still their own values */
	attr_row(s, "a", "read", 4, 0, "unknown", "");
	attr_row(s, "a", "read", 5, 0, "", "");
	/* containers: their own bound of 2 (the units' is full, so unit is "other" here) */
	attr_row(s, "a", "read", 100, 0, "docker-a.scope", CID_A);
	attr_row(s, "a", "read", 200, 0, "docker-b.scope", CID_B);
	attr_row(s, "a", "read", 300, 0, "docker-c.scope",
		 "1111111111111111111111111111111111111111111111111111111111111111");
	t = render(s);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"one.service\","
					"container=\"\"}"),
			 12);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"two.service\","
					"container=\"\"}"),
			 20);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"other\",container=\"\"}"),
			 31);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"unknown\",container=\"\"}"),
			 4);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"\",container=\"\"}"),
			 5);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"other\","
					"container=\"0123456789ab\"}"),
			 100);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"other\","
					"container=\"fedcba987654\"}"),
			 200);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"a\",syscall=\"read\","
					"category=\"process\",unit=\"other\","
					"container=\"other\"}"),
			 300);
	ck_assert_ptr_null(strstr(t, "three.service"));
	ck_assert_ptr_null(strstr(t, "four.service"));
	ck_assert_ptr_null(strstr(t, "docker-"));
	ck_assert_ptr_null(strstr(t, "111111111111"));
	for (char *p = strstr(t, "\ntest_calls_total{"); p;
	     p = strstr(p + 1, "\ntest_calls_total{"))
		total += strtod(strchr(p, '}') + 2, NULL);
	ck_assert(total == 672); /* folding loses nothing */
	/* rows with a folded label: three.service, four.service, and the three container rows */
	ck_assert_ptr_nonnull(strstr(t, "ebpf_monitor_rows_folded_total{monitor=\"syscall\"} 5\n"));
	free(t);
	sink_destroy(s);
}
END_TEST

/* max_series folds the attribution labels too, and the sums stay exact. */
START_TEST(attribution_max_series)
{
	struct sink *s = make_attr(1000, 3, attr_cols, A_NCOLS);
	char unit[32], *t;
	double total = 0;

	for (int i = 0; i < 50; i++) {
		snprintf(unit, sizeof(unit), "u%d.service", i);
		attr_row(s, "x", "read", 1, 0, unit, "");
	}
	ck_assert_uint_le(prom_sink_series(s), 4);
	t = render(s);
	/* as for the metric's own labels: then every label but constants is "other" */
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"other\",syscall=\"other\","
					"category=\"other\",unit=\"other\",container=\"other\"}"),
			 47);
	ck_assert_int_eq((int)sample(t, "test_calls_total{comm=\"x\",syscall=\"read\","
					"category=\"process\",unit=\"u2.service\","
					"container=\"\"}"),
			 1);
	for (char *p = strstr(t, "\ntest_calls_total{"); p;
	     p = strstr(p + 1, "\ntest_calls_total{"))
		total += strtod(strchr(p, '}') + 2, NULL);
	ck_assert(total == 50);
	free(t);
	sink_destroy(s);
}
END_TEST

/* A stream without attribution columns renders exactly what it did before: no label, no
 * ebpf_monitor_unattributed_total (attribution off in health too). */
START_TEST(no_attribution_unchanged)
{
	static const char want[] =
		"# HELP test_call_errors_total Calls that failed.\n"
		"# TYPE test_call_errors_total counter\n"
		"test_call_errors_total{comm=\"bash\",syscall=\"close\",category=\"process\"} 3\n"
		"# HELP test_calls_total Calls by task name, call and category.\n"
		"# TYPE test_calls_total counter\n"
		"test_calls_total{comm=\"bash\",syscall=\"getppid\",category=\"process\"} 123\n"
		"test_calls_total{comm=\"bash\",syscall=\"close\",category=\"process\"} 7\n"
		"# HELP ebpf_monitor_build_info ebpf-monitor's version, the libbcc it was built "
		"with and the running kernel.\n"
		"# TYPE ebpf_monitor_build_info gauge\n"
		"ebpf_monitor_build_info{version=\"1.2.3\",bcc_version=\"0.26.0\",kernel=\"6.18\"} 1\n"
		"# HELP ebpf_monitor_events_lost_total Events the kernel side could not deliver or "
		"count, by monitor and reason (perf_buffer overruns, map_full, unmatched entry/exit, "
		"kernel_skipped program runs).\n"
		"# TYPE ebpf_monitor_events_lost_total counter\n"
		"ebpf_monitor_events_lost_total{monitor=\"syscall\",reason=\"perf_buffer\"} 0\n"
		"ebpf_monitor_events_lost_total{monitor=\"syscall\",reason=\"map_full\"} 1\n"
		"ebpf_monitor_events_lost_total{monitor=\"syscall\",reason=\"unmatched\"} 0\n"
		"ebpf_monitor_events_lost_total{monitor=\"syscall\",reason=\"kernel_skipped\"} 0\n"
		"# HELP ebpf_monitor_rows_total Rows the monitors produced.\n"
		"# TYPE ebpf_monitor_rows_total counter\n"
		"ebpf_monitor_rows_total{monitor=\"syscall\"} 3\n"
		"# HELP ebpf_monitor_rows_folded_total Rows counted under label value \"other\" "
		"(max_label_values or max_series reached).\n"
		"# TYPE ebpf_monitor_rows_folded_total counter\n"
		"ebpf_monitor_rows_folded_total{monitor=\"syscall\"} 0\n"
		"# HELP ebpf_monitor_probe_info 1 for each attach point of a running monitor, with "
		"the mechanism that attached (see ebpf-monitor --check).\n"
		"# TYPE ebpf_monitor_probe_info gauge\n";
	struct sink *s = make(100, 1000);
	struct stream_health h = { .lost_map_full = 1 };
	char *t;

	s->ops->health(s, 0, &h);
	sys_row(s, "bash", "getppid", 100, 0);
	sys_row(s, "bash", "getppid", 23, 0);
	sys_row(s, "bash", "close", 7, 3);
	t = render(s);
	ck_assert_str_eq(t, want);
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
	tcase_add_test(tc, minus_fixed_and_result_labels);
	tcase_add_test(tc, streams_bring_their_metrics);
	tcase_add_test(tc, top_k_folds_into_other);
	tcase_add_test(tc, max_series_bounds_every_metric);
	tcase_add_test(tc, histogram_cumulative);
	tcase_add_test(tc, health_survives_restarts);
	tcase_add_test(tc, sample_rate_gauge_under_a_budget);
	tcase_add_test(tc, attribution_labels);
	tcase_add_test(tc, attribution_label_per_column);
	tcase_add_test(tc, attribution_bounded);
	tcase_add_test(tc, attribution_max_series);
	tcase_add_test(tc, no_attribution_unchanged);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
