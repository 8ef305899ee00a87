/* test_dashboard.c - the Grafana dashboard (packaging/grafana/ebpf-monitor.json) against what
 * the Prometheus sink really exports: every metric a query names is one the sink renders for the
 * real monitors' tables (attribution columns on), every label a query groups by, matches on or
 * shows in a legend is one those metrics carry, and the per unit / per container row is there.
 * A renamed metric or label breaks this test, not a dashboard in production. */
#include <check.h>
#include <string.h>

#include "monitors/monitor.h"
#include "output/prom.h"
#include "testutil.h"

#ifndef DASHBOARD /* a test of this test may point it elsewhere */
#define DASHBOARD EM_SOURCE_DIR "/packaging/grafana/ebpf-monitor.json"
#endif

#define MAX_NAMES 64
#define MAX_LABELS 24

/* What the exposition holds: each sample name (histograms: _bucket, _sum, _count) and the
 * union of the label names its samples carry. */
static struct exported {
	char name[96];
	char labels[MAX_LABELS][48];
	size_t nlabels;
} exported[MAX_NAMES];
static size_t nexported;

static struct exported *exported_find(const char *name, size_t len)
{
	for (size_t i = 0; i < nexported; i++) {
		if (strlen(exported[i].name) == len && !strncmp(exported[i].name, name, len))
			return &exported[i];
	}
	return NULL;
}

static bool has_label(const struct exported *e, const char *label, size_t len)
{
	for (size_t i = 0; i < e->nlabels; i++) {
		if (strlen(e->labels[i]) == len && !strncmp(e->labels[i], label, len))
			return true;
	}
	return false;
}

static void add_label(struct exported *e, const char *label, size_t len)
{
	if (has_label(e, label, len))
		return;
	ck_assert_msg(e->nlabels < MAX_LABELS && len < sizeof(e->labels[0]), "too many labels");
	memcpy(e->labels[e->nlabels], label, len);
	e->labels[e->nlabels++][len] = '\0';
}

/* Records one sample line: name{a="..",b=".."} value. */
static void parse_sample(const char *line, size_t n)
{
	const char *end = line + n, *p = line;
	struct exported *e;

	while (p < end && *p != '{' && *p != ' ')
		p++;
	e = exported_find(line, (size_t)(p - line));
	if (!e) {
		ck_assert_msg(nexported < MAX_NAMES && (size_t)(p - line) < sizeof(e->name),
			      "too many names");
		e = &exported[nexported++];
		memcpy(e->name, line, (size_t)(p - line));
		e->name[p - line] = '\0';
	}
	if (p == end || *p != '{')
		return;
	p++;
	while (p < end && *p != '}') {
		const char *l = p;

		while (p < end && *p != '=')
			p++;
		add_label(e, l, (size_t)(p - l));
		ck_assert_msg(p + 1 < end && p[1] == '"', "bad sample line %.*s", (int)n, line);
		for (p += 2; p < end && *p != '"'; p++) {
			if (*p == '\\')
				p++;
		}
		p++; /* the closing quote */
		if (p < end && *p == ',')
			p++;
	}
}

/* The sink over every registered monitor's real columns and metric tables, with the
 * attribution columns appended as monitor_emit() does, one row per metric that makes it
 * count, and health with attribution on; its exposition parsed into exported[]. */
static void export_everything(void)
{
	static const struct column attr[] = {
		{ "cgroup", COL_STR, 0, 0 },
		{ "unit", COL_STR, 0, 0 },
		{ "container_id", COL_STR, 0, 0 },
		{ "pod_uid", COL_STR, 0, 0 },
	};
	static struct column cols[16][64];
	struct prom_sink_options po = { 100, 10000, "1", "0.26", "6.18" };
	struct stream_probe probe = { "p", "tracepoint" };
	struct stream_health h = { .probes = &probe,
				   .nprobes = 1,
				   .sample_rate = 1,
				   .attribution = true };
	uint64_t slots[4] = { 1, 1, 1, 1 };
	struct row_hist hist = { slots, 4, 0.5 };
	struct strbuf b = { 0 };
	struct sink *s = NULL;
	size_t start = 0;

	nexported = 0;
	ck_assert_int_eq(prom_sink_create(&po, &s), 0);
	ck_assert_uint_le(monitor_registry_count, 16);
	for (size_t m = 0; m < monitor_registry_count; m++) {
		const struct monitor_ops *o = monitor_registry[m];
		size_t n = o->ncolumns + 4;

		ck_assert_uint_le(n, 64);
		memcpy(cols[m], o->columns, o->ncolumns * sizeof(cols[m][0]));
		memcpy(cols[m] + o->ncolumns, attr, sizeof(attr));
		ck_assert_int_eq(s->ops->add_stream(s, (int)m,
						    &(struct stream_desc){ o->name, cols[m], n,
									   o->metrics,
									   o->nmetrics }),
				 0);
		s->ops->health(s, (int)m, &h);
		for (size_t i = 0; i < o->nmetrics; i++) {
			struct cell c[64];
			struct row r = { .ts_ns = 1, .cells = c, .hist = &hist };

			memset(c, 0, sizeof(c));
			for (size_t k = 0; k < n; k++) {
				if (cols[m][k].type == COL_STR)
					c[k].s = "x";
			}
			if (o->metrics[i].value >= 0) {
				if (cols[m][o->metrics[i].value].type == COL_F64)
					c[o->metrics[i].value].f = 2;
				else
					c[o->metrics[i].value].u = 2;
			}
			ck_assert_int_eq(s->ops->write_row(s, (int)m, &r), 0);
		}
	}
	ck_assert_int_eq(prom_sink_render(s, &b), 0);
	for (size_t i = 0; i < b.len; i++) {
		if (b.buf[i] != '\n')
			continue;
		if (b.buf[start] != '#')
			parse_sample(b.buf + start, i - start);
		start = i + 1;
	}
	strbuf_free(&b);
	sink_destroy(s);
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_msg(buf != NULL, "out of memory");
	ck_assert_int_eq((int)fread(buf, 1, (size_t)n, f), (int)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The JSON string value after `"key": ` at p, decoded (\" \\ only: the dashboard needs no
 * more) into out; returns the text after it, NULL when there is no such key left. */
static const char *json_string(const char *p, const char *key, char *out, size_t len)
{
	char pat[64];
	size_t o = 0;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(p, pat);
	if (!p)
		return NULL;
	for (p += strlen(pat); *p && *p != '"'; p++) {
		if (*p == '\\')
			p++;
		ck_assert_msg(o + 1 < len, "%s too long", key);
		out[o++] = *p;
	}
	out[o] = '\0';
	return p;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == ':';
}

/* Labels Prometheus adds at the scrape. */
static bool target_label(const char *l, size_t n)
{
	return (n == 8 && !strncmp(l, "instance", 8)) || (n == 3 && !strncmp(l, "job", 3));
}

struct query {
	const struct exported *metrics[8];
	size_t nmetrics;
};

/* A label the query's metrics carry (any of them), or a target label. */
static void check_label(const char *expr, const struct query *q, const char *l, size_t n)
{
	bool ok = target_label(l, n);

	for (size_t i = 0; i < q->nmetrics && !ok; i++)
		ok = has_label(q->metrics[i], l, n);
	ck_assert_msg(ok, "label '%.*s' is on none of the metrics of: %s", (int)n, l, expr);
}

/* Every metric the expression names, every label in by (...)/without (...) and in selectors. */
static void check_expr(const char *expr, struct query *q)
{
	const char *p;

	q->nmetrics = 0;
	for (p = strstr(expr, "ebpf_monitor_"); p; p = strstr(p, "ebpf_monitor_")) {
		const char *e = p;
		const struct exported *x;

		while (ident_char(*e))
			e++;
		x = exported_find(p, (size_t)(e - p));
		ck_assert_msg(x != NULL, "the sink exports no %.*s (in %s)", (int)(e - p), p, expr);
		ck_assert_uint_lt(q->nmetrics, 8);
		q->metrics[q->nmetrics++] = x;
		p = e;
		if (*p != '{')
			continue;
		/* selector: name op "value", ... } */
		while (*p && *p != '}') {
			const char *l;

			p++;
			while (*p == ' ')
				p++;
			l = p;
			while (ident_char(*p))
				p++;
			check_label(expr, q, l, (size_t)(p - l));
			p = strchr(p, '"');
			ck_assert_msg(p != NULL, "bad selector in %s", expr);
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\')
					p++;
			}
			p++;
		}
	}
	ck_assert_msg(q->nmetrics > 0, "no ebpf_monitor_ metric in %s", expr);
	for (const char *kw = expr; (kw = strstr(kw, " (")) != NULL; kw++) {
		const char *l;

		if (!((kw - expr >= 2 && !strncmp(kw - 2, "by", 2)) ||
		      (kw - expr >= 7 && !strncmp(kw - 7, "without", 7))))
			continue;
		l = kw + 2;
		while (*l && *l != ')') {
			const char *e = l;

			while (ident_char(*e))
				e++;
			check_label(expr, q, l, (size_t)(e - l));
			l = e;
			while (*l == ',' || *l == ' ')
				l++;
		}
	}
}

START_TEST(queries_name_what_the_sink_exports)
{
	char *json = read_whole(DASHBOARD);
	char expr[1024], legend[256], after[1024];
	const char *p = json;
	size_t nqueries = 0;

	export_everything();
	/* the exposition parsed: attribution labels on a monitor metric, the health families */
	ck_assert_ptr_nonnull(exported_find("ebpf_monitor_syscalls_total", 27));
	ck_assert(has_label(exported_find("ebpf_monitor_syscalls_total", 27), "unit", 4));
	ck_assert(has_label(exported_find("ebpf_monitor_syscalls_total", 27), "container", 9));
	ck_assert_ptr_nonnull(exported_find("ebpf_monitor_unattributed_total", 31));
	while ((p = json_string(p, "expr", expr, sizeof(expr))) != NULL) {
		struct query q;
		const char *next = json_string(p, "expr", after, sizeof(after));
		const char *lf = json_string(p, "legendFormat", legend, sizeof(legend));

		check_expr(expr, &q);
		nqueries++;
		/* this target's legend (before the next target's expr): {{label}} it shows */
		if (lf && (!next || lf < next)) {
			for (const char *l = strstr(legend, "{{"); l; l = strstr(l, "{{")) {
				const char *e = strstr(l, "}}");

				ck_assert_msg(e != NULL, "bad legend %s", legend);
				check_label(expr, &q, l + 2, (size_t)(e - l - 2));
				l = e;
			}
		}
	}
	ck_assert_uint_ge(nqueries, 20);
	free(json);
}
END_TEST

/* The per unit / per container row groups the monitors' main counters by unit and container. */
START_TEST(per_unit_row)
{
	static const char *const want[] = {
		"sum by (unit) (rate(ebpf_monitor_syscalls_total{",
		"sum by (container) (rate(ebpf_monitor_syscalls_total{",
		"sum by (unit) (rate(ebpf_monitor_page_faults_total{",
		"sum by (unit) (rate(ebpf_monitor_context_switches_total{",
		"sum by (unit) (rate(ebpf_monitor_file_opens_total{",
		"sum by (unit) (rate(ebpf_monitor_block_io_bytes_total{",
		"sum by (monitor) (rate(ebpf_monitor_unattributed_total{",
	};
	char *json = read_whole(DASHBOARD),
	     *row = strstr(json, "\"title\": \"Per unit / per container\"");
	char expr[1024];

	ck_assert_msg(row != NULL, "no \"Per unit / per container\" row");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *p = row;
		bool found = false;

		while (!found && (p = json_string(p, "expr", expr, sizeof(expr))) != NULL)
			found = strstr(expr, want[i]) != NULL;
		ck_assert_msg(found, "no panel after the row queries %s", want[i]);
	}
	free(json);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dashboard");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, queries_name_what_the_sink_exports);
	tcase_add_test(tc, per_unit_row);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
