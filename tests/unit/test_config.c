/* test_config.c - unit tests of the YAML config loader: guide files, defaults, errors, warnings. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/config.h"
#include "testutil.h"

#define FIXTURE(name) EM_FIXTURES "/config/" name

/* ---- a schema shaped like the guide's eight monitors ---- */

struct func_opts {
	struct strlist patterns;
	long long probe_limit;
};

struct syscall_opts {
	struct boolmap monitor_categories;
	bool show_errors_only;
};

struct bio_opts {
	long long min_latency_us;
};

struct open_opts {
	long long min_count;
	bool show_errors_only;
};

struct cs_opts {
	long long min_switches;
};

enum {
	CAT_FILE_IO,
	CAT_NETWORK,
	CAT_MEMORY,
	CAT_PROCESS,
	CAT_IPC,
	CAT_SIGNAL,
	CAT_TIME,
	CAT_OTHER,
};

static const char *const categories[] = { "file_io", "network", "memory", "process", "ipc",
					  "signal", "time", "other", NULL };

static const struct opt_spec func_spec[] = {
	{ "patterns", OPT_STRLIST, offsetof(struct func_opts, patterns), .def = "[vfs_read]" },
	{ "probe_limit", OPT_INT, offsetof(struct func_opts, probe_limit), 1, 1000, .def = "10" },
	OPT_END
};

static const struct opt_spec syscall_spec[] = {
	{ "monitor_categories", OPT_BOOLMAP, offsetof(struct syscall_opts, monitor_categories),
	  .choices = categories, .def = "{file_io: true, other: false}" },
	{ "show_errors_only", OPT_BOOL, offsetof(struct syscall_opts, show_errors_only),
	  .def = "false" },
	OPT_END
};

static const struct opt_spec bio_spec[] = {
	{ "min_latency_us", OPT_INT, offsetof(struct bio_opts, min_latency_us), 0, 10000000,
	  .def = "0" },
	OPT_END
};

static const struct opt_spec open_spec[] = {
	{ "min_count", OPT_INT, offsetof(struct open_opts, min_count), 1, 1000000, .def = "1" },
	{ "show_errors_only", OPT_BOOL, offsetof(struct open_opts, show_errors_only),
	  .def = "false" },
	OPT_END
};

static const struct opt_spec cs_spec[] = {
	{ "min_switches", OPT_INT, offsetof(struct cs_opts, min_switches), 0, 1000000, .def = "1" },
	OPT_END
};

static const char *const exec_attach[] = { "auto", "tracepoint", "kprobe", NULL };
static const char *const tp_attach[] = { "auto", "raw_tracepoint", "tracepoint", NULL };
static const char *const func_attach[] = { "auto", "kprobe", NULL };

/* the last field: samples under an overhead budget */
static const struct monitor_schema schemas[] = {
	{ "exec", NULL, 0, false, exec_attach, false },
	{ "func", func_spec, sizeof(struct func_opts), true, func_attach, true },
	{ "syscall", syscall_spec, sizeof(struct syscall_opts), true, tp_attach, true },
	{ "bio", bio_spec, sizeof(struct bio_opts), true, tp_attach, false },
	{ "open", open_spec, sizeof(struct open_opts), true, tp_attach, true },
	{ "interrupt", NULL, 0, true, tp_attach, false },
	{ "page_fault", NULL, 0, true, tp_attach, true },
	{ "context_switch", cs_spec, sizeof(struct cs_opts), true, tp_attach, true },
};
#define NSCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

/* A monitor with the option types the guide's monitors do not use. */
struct kitchen_opts {
	double ratio;
	char *mode;
	char *label;
};

static const char *const modes[] = { "fast", "careful", NULL };

static const struct opt_spec kitchen_spec[] = {
	{ "ratio", OPT_DOUBLE, offsetof(struct kitchen_opts, ratio), 0, 1, .def = "0.5" },
	{ "mode", OPT_STRING, offsetof(struct kitchen_opts, mode), .choices = modes,
	  .def = "fast" },
	{ "label", OPT_STRING, offsetof(struct kitchen_opts, label), .def = "none" },
	OPT_END
};

static const struct monitor_schema kitchen_schemas[] = {
	{ "kitchen", kitchen_spec, sizeof(struct kitchen_opts), true, NULL },
};

/* ---- helpers ---- */

struct warnings {
	int n;
	char msg[16][512]; /* the first 16 */
	char last[512];
};

static void collect(void *ctx, const char *msg)
{
	struct warnings *w = ctx;

	if (w->n < 16)
		snprintf(w->msg[w->n], sizeof(w->msg[0]), "%s", msg);
	snprintf(w->last, sizeof(w->last), "%s", msg);
	w->n++;
}

static struct config cfg;
static struct warnings warns;
static struct config_error err;
static char tmp_path[64]; /* the file load_text() wrote, for expected messages */

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	memset(&warns, 0, sizeof(warns));
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	config_free(&cfg);
}

static int load_with(const char *path, const struct monitor_schema *s, size_t n)
{
	config_free(&cfg); /* a test may load several texts in a row */
	ck_assert_int_eq(config_defaults(&cfg, s, n), 0);
	return config_load(&cfg, path, s, n, collect, &warns, &err);
}

static int load(const char *path)
{
	return load_with(path, schemas, NSCHEMAS);
}

static void write_tmp_n(const char *text, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_config_XXXXXX");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void write_tmp(const char *text)
{
	write_tmp_n(text, strlen(text));
}

/* Loads text from a temporary file (named in tmp_path) with the guide's schema. */
static int load_text_with(const char *text, const struct monitor_schema *s, size_t n)
{
	int r;

	write_tmp(text);
	r = load_with(tmp_path, s, n);
	unlink(tmp_path);
	return r;
}

static int load_text(const char *text)
{
	return load_text_with(text, schemas, NSCHEMAS);
}

/* The error message must be exactly "<tmp_path>:<rest>". */
static void expect_err(const char *rest)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s:%s", tmp_path, rest);
	ck_assert_str_eq(err.msg, want);
}

static void expect_warning(int i, const char *file, const char *rest)
{
	char want[1024];

	ck_assert_int_gt(warns.n, i);
	snprintf(want, sizeof(want), "%s:%s", file, rest);
	ck_assert_str_eq(warns.msg[i], want);
}

static void *opts_of(const char *name)
{
	struct monitor_cfg *m = config_monitor(&cfg, name);

	ck_assert_ptr_nonnull(m);
	return m->opts;
}

static const struct log_formatter_cfg *formatter(const char *name)
{
	size_t i;

	for (i = 0; i < cfg.logging.nformatters; i++)
		if (!strcmp(cfg.logging.formatters[i].name, name))
			return &cfg.logging.formatters[i];
	return NULL;
}

static const struct filter_cfg *filters_of(const char *name)
{
	struct monitor_cfg *m = config_monitor(&cfg, name);

	ck_assert_ptr_nonnull(m);
	return &m->filters;
}

static void expect_no_filters(const struct filter_cfg *f)
{
	ck_assert_uint_eq(f->npids, 0);
	ck_assert_uint_eq(f->nuids, 0);
	ck_assert_uint_eq(f->ncomms, 0);
	ck_assert_uint_eq(f->nexclude_comms, 0);
	ck_assert_int_eq(f->nunits, 0);
	ck_assert_int_eq(f->ncontainers, 0);
	ck_assert_int_eq(f->ncgroups, 0);
	ck_assert(f->exclude_self);
}

/* What the guide's config says, checked value by value. */
static void check_guide_values(void)
{
	static const char *const names[] = { "exec", "func", "syscall", "bio", "open",
					     "interrupt", "page_fault", "context_switch" };
	struct func_opts *fo = opts_of("func");
	struct syscall_opts *so = opts_of("syscall");
	const struct log_formatter_cfg *f;
	unsigned long long five = (1ULL << CAT_FILE_IO) | (1ULL << CAT_NETWORK) |
				  (1ULL << CAT_MEMORY) | (1ULL << CAT_PROCESS) | (1ULL << CAT_IPC);
	size_t i;

	ck_assert_str_eq(cfg.app.name, "ebpf_monitor");
	ck_assert_str_eq(cfg.app.version, "1.0.0");
	ck_assert_str_eq(cfg.app.description, "eBPF Monitor for Linux");
	ck_assert_str_eq(cfg.app.author, "bwyu");
	ck_assert_str_eq(cfg.app.email, "bwyu@czce.com.cn");
	ck_assert_str_eq(cfg.app.environment, "development");
	ck_assert(cfg.app.debug);

	ck_assert_str_eq(cfg.logging.level, "DEBUG");
	f = formatter("detailed");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->format, "%(asctime)s [%(levelname)s] %(name)s:%(lineno)d %(message)s");
	ck_assert_ptr_null(f->datefmt);
	f = formatter("simple");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->format, "%(levelname)s: %(message)s");
	ck_assert(cfg.logging.console.present);
	ck_assert_str_eq(cfg.logging.console.formatter, "simple");
	ck_assert_str_eq(cfg.logging.console.stream, "ext://sys.stdout");
	ck_assert(cfg.logging.file.present);
	ck_assert_str_eq(cfg.logging.file.formatter, "detailed");
	ck_assert_str_eq(cfg.logging.file.filename, "monitor.log");
	ck_assert_str_eq(cfg.logging.file.when, "D");
	ck_assert_int_eq(cfg.logging.file.interval, 1);
	ck_assert_int_eq(cfg.logging.file.backup_count, 365);

	ck_assert_int_eq(cfg.output.buffer_size, 2000);
	ck_assert_double_eq(cfg.output.flush_interval, 2.0);
	ck_assert_int_eq(cfg.output.csv_delimiter, ',');
	ck_assert(cfg.output.include_header);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct monitor_cfg *m = config_monitor(&cfg, names[i]);

		ck_assert_msg(m && m->present && m->enabled, "%s should be enabled", names[i]);
		ck_assert_double_eq(m->interval, 2);
		ck_assert_str_eq(m->attach, "auto");
		ck_assert_ptr_eq(m->pos.file, cfg.path);
	}
	ck_assert_int_eq(fo->patterns.n, 2);
	ck_assert_str_eq(fo->patterns.v[0], "vfs_read");
	ck_assert_str_eq(fo->patterns.v[1], "vfs_write");
	ck_assert_int_eq(fo->probe_limit, 10);
	ck_assert_uint_eq(so->monitor_categories.set, five);
	ck_assert_uint_eq(so->monitor_categories.value, five);
	ck_assert(!so->show_errors_only);
	ck_assert_int_eq(((struct bio_opts *)opts_of("bio"))->min_latency_us, 0);
	ck_assert_int_eq(((struct open_opts *)opts_of("open"))->min_count, 1);
	ck_assert(!((struct open_opts *)opts_of("open"))->show_errors_only);
	ck_assert_int_eq(((struct cs_opts *)opts_of("context_switch"))->min_switches, 10);
}

/* ---- the guide's files ---- */

START_TEST(test_shipped_config)
{
	ck_assert_msg(load(EM_SOURCE_DIR "/config/monitor_config.yaml") == 0, "%s", err.msg);
	ck_assert_msg(warns.n == 0, "unexpected warning: %s", warns.msg[0]);
	check_guide_values();
	ck_assert_str_eq(cfg.path, EM_SOURCE_DIR "/config/monitor_config.yaml");
	ck_assert_str_eq(cfg.output.directory, "output");
	ck_assert_int_eq(cfg.output.retention_days, 0);
	/* its filters example is commented out: nothing is filtered */
	expect_no_filters(&cfg.filters);
	expect_no_filters(&config_monitor(&cfg, "exec")->filters);
}
END_TEST

START_TEST(test_guide_yaml)
{
	struct monitor_cfg *m;

	ck_assert_msg(load(FIXTURE("guide.yaml")) == 0, "%s", err.msg);
	ck_assert_msg(warns.n == 0, "unexpected warning: %s", warns.msg[0]);
	check_guide_values();
	/* where the sections start, for messages about a monitor */
	m = config_monitor(&cfg, "exec");
	ck_assert_int_eq(m->pos.line, 38);
	ck_assert_int_eq(m->pos.column, 3);
	m = config_monitor(&cfg, "context_switch");
	ck_assert_int_eq(m->pos.line, 77);
}
END_TEST

START_TEST(test_guide_tuning)
{
	struct monitor_cfg *m;

	ck_assert_msg(load(FIXTURE("guide_tuning.yaml")) == 0, "%s", err.msg);
	ck_assert_int_eq(warns.n, 0);
	ck_assert_int_eq(cfg.output.buffer_size, 5000);
	ck_assert_double_eq(cfg.output.flush_interval, 5.0);
	ck_assert_int_eq(cfg.output.batch_size, 2000);
	ck_assert_str_eq(cfg.logging.level, "INFO");
	/* sections not in the file keep their defaults */
	ck_assert_int_eq(cfg.output.csv_delimiter, ',');
	ck_assert_str_eq(cfg.app.name, "ebpf_monitor");
	ck_assert_str_eq(cfg.logging.file.filename, "monitor.log");
	ck_assert_int_eq(((struct func_opts *)opts_of("func"))->probe_limit, 10);

	m = config_monitor(&cfg, "func");
	ck_assert(m->present && m->enabled);
	ck_assert_double_eq(m->interval, 5);
	m = config_monitor(&cfg, "bio");
	ck_assert(m->enabled);
	ck_assert_double_eq(m->interval, 5);
	/* a monitor the file leaves out does not run */
	m = config_monitor(&cfg, "exec");
	ck_assert(!m->present && !m->enabled);
	ck_assert(!config_monitor(&cfg, "context_switch")->enabled);
}
END_TEST

/* ---- defaults ---- */

START_TEST(test_defaults)
{
	struct func_opts *fo;
	struct syscall_opts *so;
	size_t i;

	ck_assert_int_eq(config_defaults(&cfg, schemas, NSCHEMAS), 0);
	ck_assert_ptr_null(cfg.path);
	ck_assert_str_eq(cfg.app.name, "ebpf_monitor");
	ck_assert_str_eq(cfg.app.version, "1.0.0");
	ck_assert_str_eq(cfg.app.environment, "development");
	ck_assert(cfg.app.debug);
	ck_assert_str_eq(cfg.app.pid_file, "temp/monitor.pid");
	ck_assert_str_eq(cfg.logging.level, "INFO");
	ck_assert_str_eq(cfg.logging.directory, "logs");
	ck_assert_str_eq(formatter("simple")->format, "%(levelname)s: %(message)s");
	ck_assert_str_eq(formatter("detailed")->format,
			 "%(asctime)s [%(levelname)s] %(name)s:%(lineno)d %(message)s");
	ck_assert_str_eq(cfg.logging.console.stream, "ext://sys.stdout");
	ck_assert_str_eq(cfg.logging.console.formatter, "simple");
	ck_assert_ptr_null(cfg.logging.console.level);
	ck_assert_str_eq(cfg.logging.file.formatter, "detailed");
	ck_assert_str_eq(cfg.logging.file.when, "D");
	ck_assert_int_eq(cfg.logging.file.interval, 1);
	ck_assert_int_eq(cfg.logging.file.backup_count, 365);
	ck_assert_str_eq(cfg.output.directory, "output");
	ck_assert_int_eq(cfg.output.buffer_size, 2000);
	ck_assert_double_eq(cfg.output.flush_interval, 2.0);
	ck_assert_int_eq(cfg.output.csv_delimiter, ',');
	ck_assert(cfg.output.include_header);
	ck_assert_int_eq(cfg.output.retention_days, 0);
	ck_assert_int_eq(cfg.output.batch_size, 0);

	ck_assert_uint_eq(cfg.nmonitors, NSCHEMAS);
	for (i = 0; i < NSCHEMAS; i++) {
		ck_assert_str_eq(cfg.monitors[i].name, schemas[i].name);
		ck_assert(cfg.monitors[i].enabled);
		ck_assert(!cfg.monitors[i].present);
		ck_assert_double_eq(cfg.monitors[i].interval, 2);
		ck_assert_str_eq(cfg.monitors[i].attach, "auto");
		ck_assert_int_eq(cfg.monitors[i].pos.line, 0);
	}
	/* opts come from each spec's `def` text */
	fo = opts_of("func");
	ck_assert_int_eq(fo->patterns.n, 1);
	ck_assert_str_eq(fo->patterns.v[0], "vfs_read");
	ck_assert_int_eq(fo->probe_limit, 10);
	so = opts_of("syscall");
	ck_assert_uint_eq(so->monitor_categories.set, (1ULL << CAT_FILE_IO) | (1ULL << CAT_OTHER));
	ck_assert_uint_eq(so->monitor_categories.value, 1ULL << CAT_FILE_IO);
	ck_assert_int_eq(((struct open_opts *)opts_of("open"))->min_count, 1);
	ck_assert_int_eq(((struct cs_opts *)opts_of("context_switch"))->min_switches, 1);
	ck_assert_ptr_null(config_monitor(&cfg, "nope"));
	ck_assert_ptr_null(config_monitor(NULL, "exec"));
}
END_TEST

START_TEST(test_defaults_other_types)
{
	struct kitchen_opts *k;

	ck_assert_int_eq(config_defaults(&cfg, kitchen_schemas, 1), 0);
	k = opts_of("kitchen");
	ck_assert_double_eq(k->ratio, 0.5);
	ck_assert_str_eq(k->mode, "fast");
	ck_assert_str_eq(k->label, "none");
	ck_assert_str_eq(config_monitor(&cfg, "kitchen")->attach, "auto");
}
END_TEST

START_TEST(test_defaults_bad_schema)
{
	static const struct opt_spec bad[] = {
		{ "n", OPT_INT, 0, 1, 10, .def = "20" },
		OPT_END
	};
	static const struct monitor_schema bad_schema[] = {
		{ "bad", bad, sizeof(long long), true, NULL },
	};
	struct monitor_schema many[CONFIG_MAX_MONITORS + 1];

	ck_assert_int_eq(config_defaults(&cfg, bad_schema, 1), -EINVAL);
	config_free(&cfg);
	memset(many, 0, sizeof(many));
	ck_assert_int_eq(config_defaults(&cfg, many, CONFIG_MAX_MONITORS + 1), -EINVAL);
	/* config_load reports it instead of running with half a config */
	write_tmp("app:\n  debug: false\n");
	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(config_load(&cfg, tmp_path, bad_schema, 1, collect, &warns, &err),
			 -EINVAL);
	unlink(tmp_path);
	expect_err(" cannot set the defaults: a monitor schema is invalid");
}
END_TEST

/* ---- monitor sections ---- */

START_TEST(test_absent_section_disabled)
{
	struct monitor_cfg *m;

	ck_assert_msg(load(FIXTURE("partial.yaml")) == 0, "%s", err.msg);
	ck_assert_int_eq(warns.n, 0);
	m = config_monitor(&cfg, "exec");
	ck_assert(m->present && !m->enabled);
	m = config_monitor(&cfg, "func");
	ck_assert(m->present && m->enabled); /* present without `enabled` */
	ck_assert_int_eq(((struct func_opts *)m->opts)->probe_limit, 3);
	ck_assert_int_eq(m->pos.line, 5);
	ck_assert_int_eq(m->pos.column, 3);
	m = config_monitor(&cfg, "syscall");
	ck_assert(!m->present && !m->enabled);
	ck_assert(!config_monitor(&cfg, "page_fault")->enabled);
}
END_TEST

START_TEST(test_empty_sections)
{
	ck_assert_msg(load_text("app:\nmonitors:\n  exec:\n  bio: {}\n") == 0, "%s", err.msg);
	ck_assert(config_monitor(&cfg, "exec")->enabled);
	ck_assert(config_monitor(&cfg, "bio")->enabled);
	ck_assert(!config_monitor(&cfg, "func")->enabled);
	ck_assert_str_eq(cfg.app.name, "ebpf_monitor");
}
END_TEST

START_TEST(test_bool_spellings)
{
	ck_assert_msg(load_text("app:\n  debug: No\n"
				"output:\n  include_header: OFF\n"
				"monitors:\n"
				"  exec:\n    enabled: yes\n"
				"  func:\n    enabled: off\n"
				"  open:\n    enabled: On\n    show_errors_only: TRUE\n"
				"  bio:\n    enabled: \"false\"\n") == 0, "%s", err.msg);
	ck_assert(!cfg.app.debug);
	ck_assert(!cfg.output.include_header);
	ck_assert(config_monitor(&cfg, "exec")->enabled);
	ck_assert(!config_monitor(&cfg, "func")->enabled);
	ck_assert(config_monitor(&cfg, "open")->enabled);
	ck_assert(((struct open_opts *)opts_of("open"))->show_errors_only);
	ck_assert(!config_monitor(&cfg, "bio")->enabled);
}
END_TEST

START_TEST(test_bad_bool_position)
{
	ck_assert_int_eq(load(FIXTURE("bad_bool.yaml")), -EINVAL);
	ck_assert_str_eq(err.msg, FIXTURE("bad_bool.yaml") ":4:14: monitors.exec.enabled: "
						     "expected true or false, got 'maybe'");
}
END_TEST

START_TEST(test_output_format_and_prometheus)
{
	char host[64], why[256];
	unsigned port;

	/* defaults: CSV only, the endpoint off, on loopback */
	ck_assert_int_eq(load_text("app:\n"), 0);
	ck_assert_uint_eq(cfg.output.formats, OUTPUT_CSV);
	ck_assert(!cfg.output.prometheus.enabled);
	ck_assert_str_eq(cfg.output.prometheus.listen, "127.0.0.1:9435");
	ck_assert_str_eq(cfg.output.prometheus.path, "/metrics");
	ck_assert_int_eq(cfg.output.prometheus.max_label_values, 100);
	ck_assert_int_eq(cfg.output.prometheus.max_series, 10000);

	ck_assert_msg(load_text("output:\n  format: [csv, jsonl]\n  prometheus:\n"
				"    enabled: true\n    listen: \"[::1]:9100\"\n    path: /m\n"
				"    max_label_values: 7\n    max_series: 99\n") == 0,
		      "%s", err.msg);
	ck_assert_uint_eq(cfg.output.formats, OUTPUT_CSV | OUTPUT_JSONL);
	ck_assert(cfg.output.prometheus.enabled);
	ck_assert_str_eq(cfg.output.prometheus.listen, "[::1]:9100");
	ck_assert_str_eq(cfg.output.prometheus.path, "/m");
	ck_assert_int_eq(cfg.output.prometheus.max_label_values, 7);
	ck_assert_int_eq(cfg.output.prometheus.max_series, 99);
	ck_assert_int_eq(load_text("output:\n  format: jsonl-stdout\n"), 0);
	ck_assert_uint_eq(cfg.output.formats, OUTPUT_JSONL_STDOUT);
	ck_assert_int_eq(load_text("output:\n  format: []\n"), 0);
	ck_assert_uint_eq(cfg.output.formats, 0);

	ck_assert_int_eq(load_text("output:\n  format: [csv, xml]\n"), -EINVAL);
	expect_err("2:17: output.format[1]: expected one of csv, jsonl, jsonl-stdout, got 'xml'");
	ck_assert_int_eq(load_text("output:\n  prometheus:\n    listen: 127.0.0.1:0\n"), -EINVAL);
	expect_err("3:13: output.prometheus.listen: port of '127.0.0.1:0' must be a number in "
		   "1..65535");
	ck_assert_int_eq(load_text("output:\n  prometheus:\n    path: metrics\n"), -EINVAL);
	expect_err("3:11: output.prometheus.path: expected a URL path starting with '/' (e.g. "
		   "/metrics), got 'metrics'");
	ck_assert_int_eq(load_text("output:\n  prometheus:\n    enabeld: true\n"), 0);
	ck_assert_int_eq(warns.n, 1);

	ck_assert_int_eq(config_parse_listen("0.0.0.0:9435", host, sizeof(host), &port, why,
					     sizeof(why)),
			 0);
	ck_assert_str_eq(host, "0.0.0.0");
	ck_assert_uint_eq(port, 9435);
	ck_assert_int_eq(config_parse_listen(":80", host, sizeof(host), &port, why, sizeof(why)),
			 0);
	ck_assert_str_eq(host, "");
	ck_assert_int_eq(
		config_parse_listen("localhost:1", host, sizeof(host), &port, why, sizeof(why)), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_int_eq(config_parse_listen("[::]:9", host, sizeof(host), &port, why, sizeof(why)),
			 0);
	ck_assert_str_eq(host, "::");
	ck_assert_int_eq(config_parse_listen("example.com:80", host, sizeof(host), &port, why,
					     sizeof(why)),
			 -EINVAL);
	ck_assert_int_eq(config_parse_listen("9435", host, sizeof(host), &port, why, sizeof(why)),
			 -EINVAL);
	ck_assert_int_eq(config_parse_listen("1.2.3.4:x", host, sizeof(host), &port, why,
					     sizeof(why)),
			 -EINVAL);
	ck_assert_int_eq(config_parse_listen("[::1:80", host, sizeof(host), &port, why,
					     sizeof(why)),
			 -EINVAL);
}
END_TEST

START_TEST(test_int_rejects_fraction_and_junk)
{
	ck_assert_int_eq(load_text("monitors:\n  func:\n    probe_limit: 10.5\n"), -EINVAL);
	expect_err("3:18: monitors.func.probe_limit: expected an integer, got '10.5'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  func:\n    probe_limit: 10abc\n"), -EINVAL);
	expect_err("3:18: monitors.func.probe_limit: expected an integer, got '10abc'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  func:\n    probe_limit:\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "monitors.func.probe_limit: expected an integer, "
					      "got an empty value"));
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  buffer_size: 99999999999999999999999\n"), -EINVAL);
	expect_err("2:16: output.buffer_size: expected an integer, got "
		   "'99999999999999999999999'");
}
END_TEST

START_TEST(test_range_errors)
{
	ck_assert_int_eq(load_text("monitors:\n  func:\n    probe_limit: 0\n"), -EINVAL);
	expect_err("3:18: monitors.func.probe_limit: expected an integer in 1..1000, got '0'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  func:\n    probe_limit: 1001\n"), -EINVAL);
	expect_err("3:18: monitors.func.probe_limit: expected an integer in 1..1000, got '1001'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  func:\n    probe_limit: 1000\n"), 0);
	ck_assert_int_eq(((struct func_opts *)opts_of("func"))->probe_limit, 1000);
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  bio:\n    interval: 0.05\n"), -EINVAL);
	expect_err("3:15: monitors.bio.interval: expected a number in 0.1..86400, got '0.05'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  buffer_size: 0\n"), -EINVAL);
	expect_err("2:16: output.buffer_size: expected an integer in 1..1000000, got '0'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  flush_interval: 7200\n"), -EINVAL);
	expect_err("2:19: output.flush_interval: expected a number in 0.1..3600, got '7200'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  retention_days: -1\n"), -EINVAL);
	expect_err("2:19: output.retention_days: expected an integer in 0..36500, got '-1'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("logging:\n  handlers:\n    file:\n      interval: 0\n"),
			 -EINVAL);
	expect_err("4:17: logging.handlers.file.interval: expected an integer in 1..1000000, "
		   "got '0'");
}
END_TEST

START_TEST(test_doubles)
{
	ck_assert_msg(load_text("output:\n  flush_interval: 3\n"
				"monitors:\n  func:\n    interval: 1.5\n"
				"  bio:\n    interval: 1e1\n") == 0, "%s", err.msg);
	ck_assert_double_eq(cfg.output.flush_interval, 3.0);
	ck_assert_double_eq(config_monitor(&cfg, "func")->interval, 1.5);
	ck_assert_double_eq(config_monitor(&cfg, "bio")->interval, 10.0);
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  flush_interval: .inf\n"), -EINVAL);
	expect_err("2:19: output.flush_interval: expected a number, got '.inf'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  flush_interval: nan\n"), -EINVAL);
	expect_err("2:19: output.flush_interval: expected a number, got 'nan'");
	config_free(&cfg);
	ck_assert_int_eq(load_text_with("monitors:\n  kitchen:\n    ratio: 1.5\n", kitchen_schemas,
					1),
			 -EINVAL);
	expect_err("3:12: monitors.kitchen.ratio: expected a number in 0..1, got '1.5'");
}
END_TEST

START_TEST(test_strings_and_choices)
{
	struct kitchen_opts *k;

	ck_assert_msg(load_text_with("monitors:\n  kitchen:\n    mode: CAREFUL\n"
				     "    label: \"a: b\"\n    attach: auto\n",
				     kitchen_schemas, 1) == 0, "%s", err.msg);
	k = opts_of("kitchen");
	ck_assert_str_eq(k->mode, "careful"); /* stored as the schema spells it */
	ck_assert_str_eq(k->label, "a: b");
	ck_assert_double_eq(k->ratio, 0.5);
	config_free(&cfg);
	ck_assert_int_eq(load_text_with("monitors:\n  kitchen:\n    mode: carefull\n",
					kitchen_schemas, 1),
			 -EINVAL);
	expect_err("3:11: monitors.kitchen.mode: expected one of fast, careful, got 'carefull' "
		   "(did you mean 'careful'?)");
	config_free(&cfg);
	ck_assert_int_eq(load_text("app:\n  environment: staging\n"), -EINVAL);
	expect_err("2:16: app.environment: expected one of development, production, "
		   "got 'staging'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("app:\n  pid_file: ''\n"), -EINVAL);
	expect_err("2:13: app.pid_file: expected a non-empty string, got ''");
}
END_TEST

START_TEST(test_attach)
{
	ck_assert_msg(load_text("monitors:\n  exec:\n    attach: Kprobe\n"
				"  syscall:\n    attach: raw_tracepoint\n") == 0, "%s", err.msg);
	ck_assert_str_eq(config_monitor(&cfg, "exec")->attach, "kprobe");
	ck_assert_str_eq(config_monitor(&cfg, "syscall")->attach, "raw_tracepoint");
	ck_assert_str_eq(config_monitor(&cfg, "func")->attach, "auto");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  func:\n    attach: tracepoint\n"), -EINVAL);
	expect_err("3:13: monitors.func.attach: expected one of auto, kprobe, got 'tracepoint'");
}
END_TEST

START_TEST(test_wrong_node_kind)
{
	ck_assert_int_eq(load_text("app:\n  name: {first: a}\n"), -EINVAL);
	expect_err("2:9: app.name: expected a string, got a mapping");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors: [exec, func]\n"), -EINVAL);
	expect_err("1:11: monitors: expected a mapping, got a list");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  exec: true\n"), -EINVAL);
	expect_err("2:9: monitors.exec: expected a mapping, got 'true'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  exec:\n    enabled: [true]\n"), -EINVAL);
	expect_err("3:14: monitors.exec.enabled: expected true or false, got a list");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  csv_delimiter:\n    a: b\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, ": output.csv_delimiter: expected one printable "
					      "ASCII character (or a tab) other than '\"', "
					      "got a mapping"));
}
END_TEST

START_TEST(test_strlist_forms)
{
	struct func_opts *fo;

	ck_assert_msg(load_text("monitors:\n  func:\n    patterns: vfs_fsync\n") == 0, "%s",
		      err.msg);
	fo = opts_of("func");
	ck_assert_int_eq(fo->patterns.n, 1);
	ck_assert_str_eq(fo->patterns.v[0], "vfs_fsync");
	config_free(&cfg);

	ck_assert_msg(load_text("monitors:\n  func:\n    patterns:\n      - tcp_*\n"
				"      - 'udp_sendmsg'\n      - \"vfs_read\"\n") == 0,
		      "%s", err.msg);
	fo = opts_of("func");
	ck_assert_int_eq(fo->patterns.n, 3);
	ck_assert_str_eq(fo->patterns.v[0], "tcp_*");
	ck_assert_str_eq(fo->patterns.v[1], "udp_sendmsg");
	ck_assert_str_eq(fo->patterns.v[2], "vfs_read");
	config_free(&cfg);

	ck_assert_msg(load_text("monitors:\n  func:\n    patterns: []\n") == 0, "%s", err.msg);
	ck_assert_int_eq(((struct func_opts *)opts_of("func"))->patterns.n, 0);
	config_free(&cfg);

	ck_assert_int_eq(load_text("monitors:\n  func:\n    patterns: [vfs_read, [x]]\n"), -EINVAL);
	expect_err("3:26: monitors.func.patterns[1]: expected a string, got a list");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  func:\n    patterns: {vfs_read: 1}\n"), -EINVAL);
	expect_err("3:15: monitors.func.patterns: expected a list of strings, got a mapping");
}
END_TEST

START_TEST(test_boolmap)
{
	struct syscall_opts *so;

	ck_assert_msg(load_text("monitors:\n  syscall:\n    monitor_categories:\n"
				"      network: yes\n      signal: false\n") == 0, "%s", err.msg);
	so = opts_of("syscall");
	/* the file's map replaces the default {file_io: true, other: false} */
	ck_assert_uint_eq(so->monitor_categories.set, (1ULL << CAT_NETWORK) | (1ULL << CAT_SIGNAL));
	ck_assert_uint_eq(so->monitor_categories.value, 1ULL << CAT_NETWORK);
	config_free(&cfg);

	ck_assert_int_eq(load_text("monitors:\n  syscall:\n    monitor_categories:\n"
				   "      file_io: true\n      netwrk: true\n"),
			 -EINVAL);
	expect_err("5:7: monitors.syscall.monitor_categories: expected one of file_io, network, "
		   "memory, process, ipc, signal, time, other, got 'netwrk' "
		   "(did you mean 'network'?)");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  syscall:\n    monitor_categories:\n"
				   "      ipc: sometimes\n"),
			 -EINVAL);
	expect_err("4:12: monitors.syscall.monitor_categories.ipc: expected true or false, "
		   "got 'sometimes'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  syscall:\n    monitor_categories: [ipc]\n"),
			 -EINVAL);
	expect_err("3:25: monitors.syscall.monitor_categories: expected a mapping of names to "
		   "true or false, got a list");
}
END_TEST

START_TEST(test_output_and_delimiter)
{
	ck_assert_msg(load_text("output:\n  directory: /var/lib/ebpf-monitor/output\n"
				"  csv_delimiter: ';'\n  retention_days: 30\n") == 0,
		      "%s", err.msg);
	ck_assert_str_eq(cfg.output.directory, "/var/lib/ebpf-monitor/output");
	ck_assert_int_eq(cfg.output.csv_delimiter, ';');
	ck_assert_int_eq(cfg.output.retention_days, 30);
	ck_assert(!cfg.output.csv_formula_guard);
	config_free(&cfg);
	ck_assert_msg(load_text("output:\n  csv_formula_guard: true\n") == 0, "%s", err.msg);
	ck_assert(cfg.output.csv_formula_guard);
	config_free(&cfg);
	ck_assert_msg(load_text("output:\n  csv_delimiter: \"\\t\"\n") == 0, "%s", err.msg);
	ck_assert_int_eq(cfg.output.csv_delimiter, '\t');
	config_free(&cfg);

	ck_assert_int_eq(load_text("output:\n  csv_delimiter: ab\n"), -EINVAL);
	expect_err("2:18: output.csv_delimiter: expected one printable ASCII character (or a tab) "
		   "other than '\"', got 'ab'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  csv_delimiter: '\"'\n"), -EINVAL);
	expect_err("2:18: output.csv_delimiter: expected one printable ASCII character (or a tab) "
		   "other than '\"', got '\"'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  csv_delimiter: \"\\n\"\n"), -EINVAL);
	expect_err("2:18: output.csv_delimiter: expected one printable ASCII character (or a tab) "
		   "other than '\"', got '\\n'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("output:\n  csv_delimiter: \"\"\n"), -EINVAL);
	expect_err("2:18: output.csv_delimiter: expected one printable ASCII character (or a tab) "
		   "other than '\"', got ''");
}
END_TEST

START_TEST(test_logging)
{
	ck_assert_msg(load_text("logging:\n  level: warn\n  directory: /var/log/ebpf-monitor\n"
				"  formatters:\n    brief:\n      format: '%(message)s'\n"
				"      datefmt: '%H:%M:%S'\n"
				"  handlers:\n    console:\n      formatter: brief\n"
				"      stream: ext://sys.stderr\n      level: error\n"
				"    file:\n      when: midnight\n      backupCount: 0\n") == 0,
		      "%s", err.msg);
	ck_assert_str_eq(cfg.logging.level, "WARN");
	ck_assert_str_eq(cfg.logging.directory, "/var/log/ebpf-monitor");
	ck_assert_uint_eq(cfg.logging.nformatters, 3); /* merged with detailed and simple */
	ck_assert_str_eq(formatter("brief")->format, "%(message)s");
	ck_assert_str_eq(formatter("brief")->datefmt, "%H:%M:%S");
	ck_assert_str_eq(cfg.logging.console.formatter, "brief");
	ck_assert_str_eq(cfg.logging.console.stream, "ext://sys.stderr");
	ck_assert_str_eq(cfg.logging.console.level, "ERROR");
	ck_assert_str_eq(cfg.logging.file.when, "MIDNIGHT");
	ck_assert_int_eq(cfg.logging.file.backup_count, 0);
	ck_assert_str_eq(cfg.logging.file.formatter, "detailed");
	config_free(&cfg);

	ck_assert_int_eq(load_text("logging:\n  level: verbose\n"), -EINVAL);
	expect_err("2:10: logging.level: expected one of DEBUG, INFO, WARNING, WARN, ERROR, "
		   "CRITICAL, got 'verbose'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("logging:\n  handlers:\n    file:\n      when: W0\n"), -EINVAL);
	expect_err("4:13: logging.handlers.file.when: expected one of S, M, H, D, MIDNIGHT, "
		   "got 'W0'");
	config_free(&cfg);
	ck_assert_int_eq(load_text("logging:\n  handlers:\n    console:\n"
				   "      stream: ext://sys.stdin\n"),
			 -EINVAL);
	expect_err("4:15: logging.handlers.console.stream: expected one of ext://sys.stdout, "
		   "ext://sys.stderr, got 'ext://sys.stdin' (did you mean 'ext://sys.stdout'?)");
}
END_TEST

START_TEST(test_formatter_reference)
{
	/* handlers may come before the formatters they name */
	ck_assert_msg(load_text("logging:\n  handlers:\n    file:\n      formatter: mine\n"
				"  formatters:\n    mine:\n"
				"      format: '%(levelname)s %(message)s'\n") == 0,
		      "%s", err.msg);
	ck_assert_str_eq(cfg.logging.file.formatter, "mine");
	ck_assert_str_eq(formatter("mine")->format, "%(levelname)s %(message)s");
	config_free(&cfg);

	ck_assert_int_eq(load_text("logging:\n  handlers:\n    console:\n"
				   "      formatter: simpel\n"),
			 -EINVAL);
	expect_err("4:18: logging.handlers.console.formatter: expected one of detailed, simple, "
		   "got 'simpel' (did you mean 'simple'?)");
}
END_TEST

START_TEST(test_handlers_listed_are_used)
{
	ck_assert_msg(load_text("logging:\n  handlers:\n    console:\n      formatter: simple\n")
			      == 0, "%s", err.msg);
	ck_assert(cfg.logging.console.present);
	ck_assert(!cfg.logging.file.present);
	config_free(&cfg);
	ck_assert_msg(load_text("logging:\n  level: INFO\n") == 0, "%s", err.msg);
	ck_assert(cfg.logging.console.present);
	ck_assert(cfg.logging.file.present);
}
END_TEST

START_TEST(test_handler_class)
{
	ck_assert_msg(load_text("logging:\n  handlers:\n    file:\n"
				"      class: logging.FileHandler\n") == 0, "%s", err.msg);
	ck_assert_int_eq(warns.n, 1);
	expect_warning(0, tmp_path, "4:14: logging.handlers.file.class: 'logging.FileHandler' is "
				    "not supported, logging.handlers.TimedRotatingFileHandler "
				    "is used");
}
END_TEST

/* ---- syntax, files ---- */

START_TEST(test_syntax_error)
{
	ck_assert_int_eq(load(FIXTURE("syntax_error.yaml")), -EINVAL);
	ck_assert_str_eq(err.msg, FIXTURE("syntax_error.yaml") ":6:5: YAML syntax error: did not "
			 "find expected ',' or ']' (while parsing a flow sequence)");
	config_free(&cfg);

	ck_assert_int_eq(load_text("app:\n  name: a\n bad: indent\n"), -EINVAL);
	expect_err("3:2: YAML syntax error: did not find expected key "
		   "(while parsing a block mapping)");
	config_free(&cfg);
	/* a tab where YAML wants spaces */
	ck_assert_int_eq(load_text("app:\n\tname: a\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "YAML syntax error: "));
	config_free(&cfg);
	/* bytes that are not UTF-8: position from the byte offset */
	ck_assert_int_eq(load_text("app:\n  name: \xff\xfe\n"), -EINVAL);
	expect_err("2:9: YAML syntax error: invalid leading UTF-8 octet");
}
END_TEST

START_TEST(test_missing_file)
{
	ck_assert_int_eq(load(FIXTURE("no_such_file.yaml")), -ENOENT);
	ck_assert_str_eq(err.msg, FIXTURE("no_such_file.yaml") ": cannot read config: "
						       "No such file or directory");
	config_free(&cfg);
	ck_assert_int_eq(load(EM_FIXTURES "/config"), -EISDIR);
	ck_assert_str_eq(err.msg, EM_FIXTURES "/config: cannot read config: Is a directory");
}
END_TEST

START_TEST(test_empty_file)
{
	ck_assert_int_eq(load(FIXTURE("empty.yaml")), -EINVAL);
	ck_assert_str_eq(err.msg, FIXTURE("empty.yaml") ": config file is empty; expected the "
			 "sections app, logging, output and monitors");
	config_free(&cfg);
	ck_assert_int_eq(load(FIXTURE("comments_only.yaml")), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, ": config file is empty;"));
	config_free(&cfg);
	ck_assert_int_eq(load_text("- app\n- monitors\n"), -EINVAL);
	expect_err("1:1: expected a mapping with the sections app, logging, output and monitors, "
		   "got a list");
	config_free(&cfg);
	ck_assert_int_eq(load_text("just some text\n"), -EINVAL);
	expect_err("1:1: expected a mapping with the sections app, logging, output and monitors, "
		   "got 'just some text'");
}
END_TEST

START_TEST(test_too_large)
{
	size_t n = 1024 * 1024 + 1;
	char *big = malloc(n);
	char want[512];

	ck_assert_ptr_nonnull(big);
	memset(big, '#', n);
	write_tmp_n(big, n);
	free(big);
	ck_assert_int_eq(load(tmp_path), -EFBIG);
	unlink(tmp_path);
	snprintf(want, sizeof(want),
		 "%s: config file is larger than 1048576 bytes; is it the right file?", tmp_path);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_multiple_documents)
{
	ck_assert_int_eq(load_text("app:\n  debug: true\n---\napp:\n  debug: false\n"), -EINVAL);
	expect_err("3:1: only one YAML document is allowed in a config file");
}
END_TEST

START_TEST(test_deep_nesting)
{
	char text[300];

	memset(text, '[', 200);
	strcpy(text + 200, "\n");
	ck_assert_int_eq(load_text(text), -EINVAL);
	expect_err("1:65: nested deeper than 64 levels");
}
END_TEST

START_TEST(test_aliases)
{
	ck_assert_msg(load_text("x-common: &every 5\n"
				"monitors:\n  func:\n    interval: *every\n"
				"  bio: &same\n    interval: 3\n  syscall: *same\n") == 0,
		      "%s", err.msg);
	ck_assert_int_eq(warns.n, 1); /* x-common is not a section */
	expect_warning(0, tmp_path, "1:1: unknown key 'x-common' in the top level");
	ck_assert_double_eq(config_monitor(&cfg, "func")->interval, 5);
	ck_assert_double_eq(config_monitor(&cfg, "syscall")->interval, 3);
	ck_assert(config_monitor(&cfg, "syscall")->enabled);
	config_free(&cfg);

	ck_assert_int_eq(load_text("monitors:\n  func:\n    interval: *nowhere\n"), -EINVAL);
	expect_err("3:15: alias '*nowhere' has no anchor '&nowhere' before it");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors: &loop\n  func: *loop\n"), -EINVAL);
	expect_err("2:9: alias '*loop' refers to a node that contains it");
	config_free(&cfg);
	ck_assert_int_eq(load_text("base: &b\n  interval: 3\n"
				   "monitors:\n  func:\n    <<: *b\n"),
			 -EINVAL);
	expect_err("5:5: monitors.func.<<: YAML merge keys are not supported; write the keys out");
}
END_TEST

/* ---- warnings ---- */

START_TEST(test_unknown_keys)
{
	const char *f = FIXTURE("unknown_keys.yaml");

	ck_assert_msg(load(f) == 0, "%s", err.msg);
	ck_assert_int_eq(warns.n, 4);
	expect_warning(0, f, "2:1: unknown key 'outptu' in the top level (did you mean 'output'?)");
	expect_warning(1, f, "8:5: unknown key 'intervl' in monitors.func "
			     "(did you mean 'interval'?)");
	expect_warning(2, f, "10:3: unknown monitor 'fnc' in monitors (did you mean 'func'?); "
			     "available: exec, func, syscall, bio, open, interrupt, page_fault, "
			     "context_switch");
	expect_warning(3, f, "13:5: unknown key 'zzzzzz' in monitors.exec");
	/* the rest of the file still applies */
	ck_assert_int_eq(cfg.output.buffer_size, 500);
	ck_assert_int_eq(((struct func_opts *)opts_of("func"))->probe_limit, 20);
	ck_assert_double_eq(config_monitor(&cfg, "func")->interval, 2);
	ck_assert(config_monitor(&cfg, "func")->enabled);
}
END_TEST

START_TEST(test_unknown_monitor_no_suggestion)
{
	ck_assert_msg(load_text("monitors:\n  kernel_stacks:\n    enabled: true\n") == 0, "%s",
		      err.msg);
	ck_assert_int_eq(warns.n, 1);
	expect_warning(0, tmp_path, "2:3: unknown monitor 'kernel_stacks' in monitors; available: "
				    "exec, func, syscall, bio, open, interrupt, page_fault, "
				    "context_switch");
}
END_TEST

START_TEST(test_interval_on_non_aggregating)
{
	ck_assert_msg(load_text("monitors:\n  exec:\n    interval: 5\n") == 0, "%s", err.msg);
	ck_assert_int_eq(warns.n, 1);
	expect_warning(0, tmp_path, "3:5: monitors.exec.interval: has no effect, exec writes one "
				    "row per event and does not aggregate");
	ck_assert_double_eq(config_monitor(&cfg, "exec")->interval, 2);
	ck_assert(config_monitor(&cfg, "exec")->enabled);
}
END_TEST

START_TEST(test_warnings_are_capped)
{
	char text[4096] = "app:\n", want[512];
	size_t o = strlen(text);
	int i;

	/* a wrong file must not flood the log: 100 warnings, then one line saying so */
	for (i = 0; i < 150; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "  k%d: 1\n", i);
	ck_assert_msg(load_text(text) == 0, "%s", err.msg);
	ck_assert_int_eq(warns.n, 101);
	expect_warning(0, tmp_path, "2:3: unknown key 'k0' in app");
	snprintf(want, sizeof(want), "%s: more than 100 warnings, the rest are not shown",
		 tmp_path);
	ck_assert_str_eq(warns.last, want);
}
END_TEST

START_TEST(test_no_warn_callback)
{
	/* warn may be NULL: the warnings are dropped, the load still works */
	write_tmp("monitors:\n  fnc: {}\n  func:\n    intervl: 1\n");
	ck_assert_int_eq(config_load(&cfg, tmp_path, schemas, NSCHEMAS, NULL, NULL, &err), 0);
	unlink(tmp_path);
	ck_assert(config_monitor(&cfg, "func")->enabled);
	ck_assert_str_eq(cfg.path, tmp_path);
}
END_TEST

START_TEST(test_duplicate_key)
{
	ck_assert_int_eq(load(FIXTURE("duplicate_key.yaml")), -EINVAL);
	ck_assert_str_eq(err.msg, FIXTURE("duplicate_key.yaml") ":6:5: monitors.func.interval: "
			 "duplicate key, first defined at line 4, column 5");
	config_free(&cfg);
	ck_assert_int_eq(load_text("monitors:\n  exec: {}\n  bio: {}\n  exec: {}\n"), -EINVAL);
	expect_err("4:3: monitors.exec: duplicate key, first defined at line 2, column 3");
	config_free(&cfg);
	ck_assert_int_eq(load_text("app: {}\noutput: {}\napp: {}\n"), -EINVAL);
	expect_err("3:1: app: duplicate key, first defined at line 1, column 1");
}
END_TEST

START_TEST(test_value_sanitized)
{
	char want[512];

	ck_assert_int_eq(load_text("monitors:\n  exec:\n"
				   "    enabled: \"a\\x01b\\nc\\e[31m\"\n"),
			 -EINVAL);
	expect_err("3:14: monitors.exec.enabled: expected true or false, got "
		   "'a\\x01b\\nc\\x1b[31m'");
	config_free(&cfg);
	/* long values are cut */
	ck_assert_int_eq(load_text("app:\n  debug: "
				   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:2:10: app.debug: expected true or false, got '%.60s...'",
		 tmp_path, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	ck_assert_str_eq(err.msg, want);
	config_free(&cfg);
	/* and so are unknown keys in warnings */
	ck_assert_msg(load_text("app:\n  \"bad\\tkey\": 1\n") == 0, "%s", err.msg);
	expect_warning(0, tmp_path, "2:3: unknown key 'bad\\tkey' in app");
}
END_TEST

/* ---- filters ---- */

START_TEST(test_filters_defaults)
{
	size_t i;

	ck_assert_int_eq(config_defaults(&cfg, schemas, NSCHEMAS), 0);
	expect_no_filters(&cfg.filters);
	for (i = 0; i < cfg.nmonitors; i++)
		expect_no_filters(&cfg.monitors[i].filters);
	config_free(&cfg);
	ck_assert_msg(load_text("monitors:\n  exec:\n") == 0, "%s", err.msg);
	expect_no_filters(&cfg.filters);
	expect_no_filters(filters_of("exec"));
}
END_TEST

START_TEST(test_filters_top_level)
{
	static const char *const names[] = { "exec", "func", "context_switch" };
	size_t i;

	ck_assert_msg(load_text("filters:\n  pids: [42, 7, 42]\n  uids: 1000\n"
				"  comms: ['Web Content', bash]\n  exclude_comms: sshd\n"
				"  exclude_self: no\n"
				"monitors:\n  exec:\n  func:\n") == 0,
		      "%s", err.msg);
	ck_assert_int_eq(warns.n, 0);
	/* a repeated pid is kept once; a single value is a list of one */
	ck_assert_uint_eq(cfg.filters.npids, 2);
	ck_assert_uint_eq(cfg.filters.pids[0], 42);
	ck_assert_uint_eq(cfg.filters.pids[1], 7);
	ck_assert_uint_eq(cfg.filters.nuids, 1);
	ck_assert_uint_eq(cfg.filters.uids[0], 1000);
	ck_assert_uint_eq(cfg.filters.ncomms, 2);
	ck_assert_str_eq(cfg.filters.comms[0], "Web Content");
	ck_assert_str_eq(cfg.filters.comms[1], "bash");
	ck_assert_uint_eq(cfg.filters.nexclude_comms, 1);
	ck_assert_str_eq(cfg.filters.exclude_comms[0], "sshd");
	ck_assert(!cfg.filters.exclude_self);
	/* every monitor gets them, with or without a section of its own */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct filter_cfg *f = filters_of(names[i]);

		ck_assert_uint_eq(f->npids, 2);
		ck_assert_uint_eq(f->pids[1], 7);
		ck_assert_uint_eq(f->nuids, 1);
		ck_assert_str_eq(f->comms[0], "Web Content");
		ck_assert_str_eq(f->exclude_comms[0], "sshd");
		ck_assert(!f->exclude_self);
	}
	config_free(&cfg);

	/* the limits themselves are accepted; 15 bytes is a whole task name */
	ck_assert_msg(load_text("filters:\n  pids: [1, 4194304]\n  uids: [0, 4294967294]\n"
				"  comms: abcdefghijklmno\n") == 0,
		      "%s", err.msg);
	ck_assert_uint_eq(cfg.filters.pids[1], 4194304);
	ck_assert_uint_eq(cfg.filters.uids[1], 4294967294u);
	ck_assert_str_eq(cfg.filters.comms[0], "abcdefghijklmno");
	config_free(&cfg);

	/* null and [] are the empty list; an empty section changes nothing */
	ck_assert_msg(load_text("filters:\n  pids:\n  comms: []\n") == 0, "%s", err.msg);
	expect_no_filters(&cfg.filters);
	config_free(&cfg);
	ck_assert_msg(load_text("filters:\n") == 0, "%s", err.msg);
	expect_no_filters(&cfg.filters);
}
END_TEST

START_TEST(test_filters_per_monitor_override)
{
	const struct filter_cfg *f;

	ck_assert_msg(load(FIXTURE("filters.yaml")) == 0, "%s", err.msg);
	ck_assert_msg(warns.n == 0, "unexpected warning: %s", warns.msg[0]);
	/* exec sets pids and exclude_self: uids and comms still come from the top level */
	f = filters_of("exec");
	ck_assert_uint_eq(f->npids, 1);
	ck_assert_uint_eq(f->pids[0], 3);
	ck_assert_uint_eq(f->nuids, 1);
	ck_assert_uint_eq(f->uids[0], 0);
	ck_assert_uint_eq(f->ncomms, 2);
	ck_assert_str_eq(f->comms[1], "Web Content");
	ck_assert(!f->exclude_self);
	/* func has a section without filters: all of the top level */
	f = filters_of("func");
	ck_assert_uint_eq(f->npids, 2);
	ck_assert_uint_eq(f->pids[0], 1);
	ck_assert_uint_eq(f->pids[1], 2);
	ck_assert_uint_eq(f->nuids, 1);
	ck_assert(f->exclude_self);
	/* bio lifts the pid restriction and adds an exclusion */
	f = filters_of("bio");
	ck_assert_uint_eq(f->npids, 0);
	ck_assert_uint_eq(f->nuids, 1);
	ck_assert_uint_eq(f->ncomms, 2);
	ck_assert_uint_eq(f->nexclude_comms, 1);
	ck_assert_str_eq(f->exclude_comms[0], "kworker/0:1");
	/* a monitor absent from the file too */
	ck_assert_uint_eq(filters_of("syscall")->npids, 2);
	/* the top level itself is not changed by the monitors' sections */
	ck_assert_uint_eq(cfg.filters.npids, 2);
	ck_assert_uint_eq(cfg.filters.nexclude_comms, 0);
	ck_assert(cfg.filters.exclude_self);
}
END_TEST

START_TEST(test_filters_reload)
{
	/* a second file without filters leaves no filter of the first one on a monitor's own */
	ck_assert_msg(load_text("monitors:\n  exec:\n    filters:\n      pids: 9\n") == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(filters_of("exec")->npids, 1);
	write_tmp("filters:\n  uids: 5\nmonitors:\n  exec:\n");
	ck_assert_int_eq(config_load(&cfg, tmp_path, schemas, NSCHEMAS, collect, &warns, &err), 0);
	unlink(tmp_path);
	ck_assert_uint_eq(filters_of("exec")->npids, 0);
	ck_assert_uint_eq(filters_of("exec")->nuids, 1);
}
END_TEST

START_TEST(test_filters_errors)
{
	/* each file, and the whole message after "<file>:" */
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "filters:\n  pids: [1, 0]\n",
		  "2:13: filters.pids[1]: expected a process ID in 1..4194304, got '0'" },
		{ "filters:\n  pids: abc\n",
		  "2:9: filters.pids: expected a process ID in 1..4194304, got 'abc'" },
		{ "filters:\n  pids: 4194305\n",
		  "2:9: filters.pids: expected a process ID in 1..4194304, got '4194305'" },
		{ "monitors:\n  exec:\n    filters:\n      pids:\n        - 12\n        - abc\n",
		  "6:11: monitors.exec.filters.pids[1]: expected a process ID in 1..4194304, "
		  "got 'abc'" },
		{ "filters:\n  uids: [-1]\n",
		  "2:10: filters.uids[0]: expected a user ID in 0..4294967294, got '-1'" },
		{ "filters:\n  uids: 4294967295\n",
		  "2:9: filters.uids: expected a user ID in 0..4294967294, got '4294967295'" },
		{ "filters:\n  comms: [bash, abcdefghijklmnop]\n",
		  "2:17: filters.comms[1]: expected a task name of 1 to 15 bytes, got "
		  "'abcdefghijklmnop' (the kernel keeps only the first 15 bytes of a task name: "
		  "use 'abcdefghijklmno')" },
		{ "monitors:\n  exec:\n    filters:\n      exclude_comms: systemd-journald\n",
		  "4:22: monitors.exec.filters.exclude_comms: expected a task name of 1 to 15 bytes, "
		  "got 'systemd-journald' (the kernel keeps only the first 15 bytes of a task name: "
		  "use 'systemd-journal')" },
		{ "filters:\n  comms: ['']\n",
		  "2:11: filters.comms[0]: expected a task name of 1 to 15 bytes, got ''" },
		{ "filters:\n  comms: [[bash]]\n",
		  "2:11: filters.comms[0]: expected a task name of 1 to 15 bytes, got a list" },
		{ "filters:\n  pids: {1: 2}\n",
		  "2:9: filters.pids: expected a process ID or a list of them, got a mapping" },
		{ "filters:\n  exclude_self: maybe\n",
		  "2:17: filters.exclude_self: expected true or false, got 'maybe'" },
		{ "filters: [1, 2]\n", "1:10: filters: expected a mapping, got a list" },
		{ "monitors:\n  exec:\n    filters: pids\n",
		  "3:14: monitors.exec.filters: expected a mapping, got 'pids'" },
	};
	char text[1024] = "filters:\n  pids: [";
	size_t i, o = strlen(text);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(load_text(cases[i].text) == -EINVAL, "loaded: %s", cases[i].text);
		expect_err(cases[i].err);
		config_free(&cfg);
	}

	/* the kernel's filter maps hold 64 entries */
	for (i = 1; i <= FILTER_MAX + 1; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%zu", i > 1 ? ", " : "", i);
	snprintf(text + o, sizeof(text) - o, "]\n");
	ck_assert_int_eq(load_text(text), -EINVAL);
	expect_err("2:9: filters.pids: expected at most 64 entries, got 65");
	config_free(&cfg);
	text[o - 4] = ']'; /* "..., 64]": 64 fit */
	text[o - 3] = '\n';
	text[o - 2] = '\0';
	ck_assert_msg(load_text(text) == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg.filters.npids, 64);
	ck_assert_uint_eq(cfg.filters.pids[63], 64);
}
END_TEST

START_TEST(test_filters_unknown_key)
{
	ck_assert_msg(load_text("filters:\n  pid: [1]\n  uids: 0\n"
				"monitors:\n  exec:\n    filters:\n      exclude: [bash]\n"
				"    filter:\n      pids: 1\n") == 0,
		      "%s", err.msg);
	ck_assert_int_eq(warns.n, 3);
	expect_warning(0, tmp_path, "2:3: unknown key 'pid' in filters (did you mean 'pids'?)");
	expect_warning(1, tmp_path, "7:7: unknown key 'exclude' in monitors.exec.filters");
	expect_warning(2, tmp_path,
		       "8:5: unknown key 'filter' in monitors.exec "
		       "(did you mean 'filters'?)");
	/* the rest still applies; the misspelt keys do not */
	ck_assert_uint_eq(cfg.filters.npids, 0);
	ck_assert_uint_eq(filters_of("exec")->nuids, 1);
	ck_assert_uint_eq(filters_of("exec")->npids, 0);
}
END_TEST

START_TEST(test_filter_add)
{
	struct filter_cfg f = { .exclude_self = true };
	char why[256];
	int i;

	ck_assert_int_eq(config_filter_add(&f, "pids", "17", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "pids", "17", why, sizeof(why)), 0);
	ck_assert_uint_eq(f.npids, 1);
	ck_assert_int_eq(config_filter_add(&f, "pids", "1x", why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "expected a process ID in 1..4194304, got '1x'");
	ck_assert_int_eq(config_filter_add(&f, "pids", "", NULL, 0), -EINVAL);
	ck_assert_int_eq(config_filter_add(&f, "exclude_self", "true", why, sizeof(why)), -ENOENT);
	ck_assert_int_eq(config_filter_add(&f, "comms", "bash", why, sizeof(why)), 0);
	/* stored NUL-padded: the probes compare all 16 bytes */
	for (i = 4; i < 16; i++)
		ck_assert_int_eq(f.comms[0][i], '\0');
	for (i = 0; i < FILTER_MAX; i++) {
		char n[16];

		snprintf(n, sizeof(n), "%d", i);
		ck_assert_int_eq(config_filter_add(&f, "uids", n, why, sizeof(why)), 0);
	}
	ck_assert_int_eq(config_filter_add(&f, "uids", "0", why, sizeof(why)), 0); /* already in */
	ck_assert_int_eq(config_filter_add(&f, "uids", "64", why, sizeof(why)), -E2BIG);
	ck_assert_str_eq(why, "more than 64 values (a filter holds at most 64)");
	ck_assert_uint_eq(f.nuids, FILTER_MAX);
}
END_TEST

#define CT_ID "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"

START_TEST(test_filters_cgroup_keys)
{
	const struct filter_cfg *f;

	ck_assert_msg(load_text(
			      "filters:\n  units: [nginx.service, session-3.scope, nginx.service]\n"
			      "  containers: ca978112\n"
			      "  cgroups: [/system.slice/, /kubepods.slice, /]\n"
			      "monitors:\n  exec:\n    filters:\n      units: sshd.service\n"
			      "  func:\n    filters:\n      containers: []\n      cgroups: ~\n"
			      "  bio:\n") == 0,
		      "%s", err.msg);
	ck_assert_int_eq(warns.n, 0);
	/* a repeated unit is kept once; a trailing '/' is dropped ("/" stays) */
	ck_assert_int_eq(cfg.filters.nunits, 2);
	ck_assert_str_eq(cfg.filters.units[0], "nginx.service");
	ck_assert_str_eq(cfg.filters.units[1], "session-3.scope");
	ck_assert_int_eq(cfg.filters.ncontainers, 1);
	ck_assert_str_eq(cfg.filters.containers[0], "ca978112");
	ck_assert_int_eq(cfg.filters.ncgroups, 3);
	ck_assert_str_eq(cfg.filters.cgroups[0], "/system.slice");
	ck_assert_str_eq(cfg.filters.cgroups[1], "/kubepods.slice");
	ck_assert_str_eq(cfg.filters.cgroups[2], "/");
	/* exec replaces units only: containers and cgroups still come from the top level */
	f = filters_of("exec");
	ck_assert_int_eq(f->nunits, 1);
	ck_assert_str_eq(f->units[0], "sshd.service");
	ck_assert_int_eq(f->ncontainers, 1);
	ck_assert_int_eq(f->ncgroups, 3);
	/* func lifts containers and cgroups, keeps the units */
	f = filters_of("func");
	ck_assert_int_eq(f->nunits, 2);
	ck_assert_str_eq(f->units[1], "session-3.scope");
	ck_assert_int_eq(f->ncontainers, 0);
	ck_assert_int_eq(f->ncgroups, 0);
	/* a section without filters, and no section: all of the top level */
	ck_assert_int_eq(filters_of("bio")->nunits, 2);
	ck_assert_str_eq(filters_of("bio")->containers[0], "ca978112");
	ck_assert_int_eq(filters_of("syscall")->ncgroups, 3);
	ck_assert_str_eq(filters_of("syscall")->cgroups[1], "/kubepods.slice");
	/* the top level is not changed by the monitors' sections */
	ck_assert_int_eq(cfg.filters.nunits, 2);
	ck_assert_int_eq(cfg.filters.ncgroups, 3);
	config_free(&cfg);

	/* the limits: a 64-digit id, a 255-byte unit name and cgroup path */
	{
		char text[1024], unit[256], path[256];

		memset(unit, 'u', sizeof(unit));
		memcpy(unit + 255 - strlen(".service"), ".service", strlen(".service") + 1);
		memset(path, 'p', sizeof(path));
		path[0] = '/';
		path[255] = '\0';
		snprintf(text, sizeof(text),
			 "filters:\n  units: %s\n  containers: [" CT_ID "]\n  cgroups: %s\n", unit,
			 path);
		ck_assert_msg(load_text(text) == 0, "%s", err.msg);
		ck_assert_str_eq(cfg.filters.units[0], unit);
		ck_assert_str_eq(cfg.filters.containers[0], CT_ID);
		ck_assert_str_eq(cfg.filters.cgroups[0], path);
	}
}
END_TEST

START_TEST(test_filters_cgroup_reload)
{
	struct config old;

	ck_assert_msg(load_text("monitors:\n  exec: {}\n  func: {}\nfilters:\n"
				"  units: a.service\n") == 0,
		      "%s", err.msg);
	old = cfg;
	memset(&cfg, 0, sizeof(cfg));
	/* the same lists: nothing restarts */
	ck_assert_msg(load_text("monitors:\n  exec: {}\n  func: {}\nfilters:\n"
				"  units: [a.service]\n") == 0,
		      "%s", err.msg);
	ck_assert(config_monitor_equal(config_monitor(&old, "exec"), config_monitor(&cfg, "exec")));
	config_free(&cfg);
	/* another unit on exec, a container on func: both differ */
	ck_assert_msg(load_text("monitors:\n  exec:\n    filters:\n      units: b.service\n"
				"  func:\n    filters:\n      containers: abcd\n"
				"filters:\n  units: a.service\n") == 0,
		      "%s", err.msg);
	ck_assert(
		!config_monitor_equal(config_monitor(&old, "exec"), config_monitor(&cfg, "exec")));
	ck_assert(
		!config_monitor_equal(config_monitor(&old, "func"), config_monitor(&cfg, "func")));
	config_free(&cfg);
	ck_assert_msg(load_text("monitors:\n  exec: {}\n  func: {}\nfilters:\n"
				"  units: a.service\n  cgroups: /x\n") == 0,
		      "%s", err.msg);
	ck_assert(
		!config_monitor_equal(config_monitor(&old, "exec"), config_monitor(&cfg, "exec")));
	config_free(&old);
}
END_TEST

START_TEST(test_filters_cgroup_errors)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "filters:\n  units: nginx\n",
		  "2:10: filters.units: expected a systemd unit name ending in .service or .scope, "
		  "of at most 255 bytes, got 'nginx' (use 'nginx.service')" },
		{ "filters:\n  units: [a.service, user-1000.slice]\n",
		  "2:22: filters.units[1]: expected a systemd unit name ending in .service or "
		  ".scope, of at most 255 bytes, got 'user-1000.slice' (a slice is not a task's "
		  "unit: use cgroups: '/user.slice/user-1000.slice')" },
		{ "filters:\n  units: system.slice\n",
		  "2:10: filters.units: expected a systemd unit name ending in .service or .scope, "
		  "of at most 255 bytes, got 'system.slice' (a slice is not a task's unit: use "
		  "cgroups: '/system.slice')" },
		{ "filters:\n  units: 'a b.service'\n",
		  "2:10: filters.units: expected a systemd unit name ending in .service or .scope, "
		  "of at most 255 bytes, got 'a b.service'" },
		{ "filters:\n  units: sshd.socket\n",
		  "2:10: filters.units: expected a systemd unit name ending in .service or .scope, "
		  "of at most 255 bytes, got 'sshd.socket'" },
		{ "filters:\n  units: [[a.service]]\n",
		  "2:11: filters.units[0]: expected a systemd unit name ending in .service or "
		  ".scope, of at most 255 bytes, got a list" },
		{ "monitors:\n  exec:\n    filters:\n      containers: [ca978112, xyz1]\n",
		  "4:30: monitors.exec.filters.containers[1]: expected a container ID or its prefix: "
		  "4 to 64 lowercase hex digits, got 'xyz1'" },
		{ "filters:\n  containers: CA978112\n",
		  "2:15: filters.containers: expected a container ID or its prefix: 4 to 64 "
		  "lowercase hex digits, got 'CA978112' (use 'ca978112')" },
		{ "filters:\n  containers: 'docker://ca978112'\n",
		  "2:15: filters.containers: expected a container ID or its prefix: 4 to 64 "
		  "lowercase hex digits, got 'docker://ca978112' (use 'ca978112')" },
		{ "filters:\n  containers: abc\n",
		  "2:15: filters.containers: expected a container ID or its prefix: 4 to 64 "
		  "lowercase hex digits, got 'abc'" },
		{ "filters:\n  containers: " CT_ID "0\n",
		  "2:15: filters.containers: expected a container ID or its prefix: 4 to 64 "
		  "lowercase hex digits, got "
		  "'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee...'" },
		{ "filters:\n  cgroups: system.slice\n",
		  "2:12: filters.cgroups: expected a cgroup path starting with '/', of at most 255 "
		  "bytes, got 'system.slice' (use '/system.slice')" },
		{ "filters:\n  cgroups: [/a//b]\n",
		  "2:13: filters.cgroups[0]: expected a cgroup path starting with '/', of at most "
		  "255 bytes, got '/a//b'" },
		{ "filters:\n  cgroups: /a/../b\n",
		  "2:12: filters.cgroups: expected a cgroup path starting with '/', of at most 255 "
		  "bytes, got '/a/../b'" },
		{ "filters:\n  cgroups: ''\n",
		  "2:12: filters.cgroups: expected a cgroup path starting with '/', of at most 255 "
		  "bytes, got ''" },
		{ "filters:\n  cgroups: {a: b}\n",
		  "2:12: filters.cgroups: expected a cgroup path or a list of them, got a mapping" },
		{ "filters:\n  units: {a: b}\n",
		  "2:10: filters.units: expected a unit name or a list of them, got a mapping" },
		{ "filters:\n  containers: {a: b}\n",
		  "2:15: filters.containers: expected a container ID or a list of them, got a "
		  "mapping" },
	};
	char text[1024] = "filters:\n  units: [";
	size_t i, o = strlen(text);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(load_text(cases[i].text) == -EINVAL, "loaded: %s", cases[i].text);
		expect_err(cases[i].err);
		config_free(&cfg);
	}

	/* these lists hold 16 */
	for (i = 1; i <= FILTER_CG_MAX + 1; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%su%zu.service",
				      i > 1 ? ", " : "", i);
	snprintf(text + o, sizeof(text) - o, "]\n");
	ck_assert_int_eq(load_text(text), -EINVAL);
	expect_err("2:10: filters.units: expected at most 16 entries, got 17");
	config_free(&cfg);
	/* a misspelt key is a warning with the right name */
	ck_assert_msg(load_text("filters:\n  unit: a.service\n  container: abcd\n") == 0, "%s",
		      err.msg);
	ck_assert_int_eq(warns.n, 2);
	expect_warning(0, tmp_path, "2:3: unknown key 'unit' in filters (did you mean 'units'?)");
	expect_warning(1, tmp_path,
		       "3:3: unknown key 'container' in filters (did you mean 'containers'?)");
}
END_TEST

START_TEST(test_filter_add_cgroup_keys)
{
	struct filter_cfg f = { .exclude_self = true };
	char why[512], v[32];
	int i;

	/* shared with the command line: the same rules, the same messages without a position */
	ck_assert_int_eq(config_filter_add(&f, "units", "nginx.service", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "units", "nginx.service", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "units", "getty@tty1.service", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "units", "x\\x2dy.scope", why, sizeof(why)), 0);
	ck_assert_int_eq(f.nunits, 3);
	ck_assert_int_eq(config_filter_add(&f, "units", ".service", why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(config_filter_add(&f, "units", "", why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "expected a systemd unit name ending in .service or .scope, of at "
			      "most 255 bytes, got ''");
	ck_assert_int_eq(config_filter_add(&f, "units", "-.slice", why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "expected a systemd unit name ending in .service or .scope, of at "
			      "most 255 bytes, got '-.slice' (a slice is not a task's unit: use "
			      "cgroups: '/')");
	ck_assert_int_eq(config_filter_add(&f, "containers", "abcd", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "containers", CT_ID, why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "containers", "abcd", why, sizeof(why)), 0);
	ck_assert_int_eq(f.ncontainers, 2);
	ck_assert_int_eq(config_filter_add(&f, "containers", "abcg", why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/a/", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/a", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/a\tb", why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "expected a cgroup path starting with '/', of at most 255 bytes, got "
			      "'/a\\tb'");
	ck_assert_int_eq(f.ncgroups, 1);
	ck_assert_str_eq(f.cgroups[0], "/a");
	/* the other lists are untouched */
	ck_assert_int_eq(f.npids, 0);
	ck_assert_int_eq(f.ncomms, 0);

	for (i = (int)f.ncgroups; i < FILTER_CG_MAX; i++) {
		snprintf(v, sizeof(v), "/c%d", i);
		ck_assert_int_eq(config_filter_add(&f, "cgroups", v, why, sizeof(why)), 0);
	}
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/a", why, sizeof(why)), 0);
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/more", why, sizeof(why)), -E2BIG);
	ck_assert_str_eq(why, "more than 16 values (a filter holds at most 16)");
	ck_assert_int_eq(f.ncgroups, FILTER_CG_MAX);
}
END_TEST

/* ---- lifecycle ---- */

START_TEST(test_free_after_errors)
{
	/* an error half-way through leaves strings set by earlier keys: all must be freed */
	ck_assert_int_eq(load_text("app:\n  name: other\n"
				   "logging:\n  formatters:\n    x:\n      format: '%(message)s'\n"
				   "monitors:\n  func:\n    patterns: [a, b, c]\n"
				   "    probe_limit: x\n"),
			 -EINVAL);
	ck_assert_str_eq(cfg.app.name, "other");
	config_free(&cfg);
	config_free(&cfg); /* idempotent */
	config_free(NULL);
	ck_assert_ptr_null(cfg.app.name);
	ck_assert_uint_eq(cfg.nmonitors, 0);

	/* config_load on a zeroed config sets the defaults itself */
	write_tmp("output:\n  buffer_size: 7\n");
	ck_assert_int_eq(config_load(&cfg, tmp_path, schemas, NSCHEMAS, collect, &warns, &err), 0);
	ck_assert_int_eq(cfg.output.buffer_size, 7);
	ck_assert_str_eq(cfg.app.name, "ebpf_monitor");
	ck_assert_uint_eq(cfg.nmonitors, NSCHEMAS);
	/* a second load on top of the first replaces values without leaking them */
	ck_assert_int_eq(config_load(&cfg, tmp_path, schemas, NSCHEMAS, collect, &warns, &err), 0);
	unlink(tmp_path);
	ck_assert_int_eq(config_load(&cfg, tmp_path, schemas, NSCHEMAS, collect, &warns, &err),
			 -ENOENT);
	config_free(&cfg);
}
END_TEST

START_TEST(test_suggest)
{
	static const char *const keys[] = { "enabled", "interval", "attach", "patterns", NULL };
	static const char *const short_keys[] = { "abc", "ipc", NULL };

	ck_assert_str_eq(config_suggest("intervl", keys), "interval");
	ck_assert_str_eq(config_suggest("enabeld", keys), "enabled");
	ck_assert_str_eq(config_suggest("INTERVAL", keys), "interval");
	ck_assert_str_eq(config_suggest("patern", keys), "patterns");
	ck_assert_ptr_null(config_suggest("zzzzzz", keys));
	ck_assert_ptr_null(config_suggest("interval_seconds_total", keys));
	ck_assert_str_eq(config_suggest("ab", short_keys), "abc");
	ck_assert_ptr_null(config_suggest("xy", short_keys));
	ck_assert_ptr_null(config_suggest(NULL, keys));
	ck_assert_ptr_null(config_suggest("a", NULL));
}
END_TEST

START_TEST(test_attribution)
{
	const struct monitor_cfg *mc;

	/* off by default: no monitor keys its rows by cgroup */
	ck_assert_msg(load_text("monitors:\n  syscall: {}\n") == 0, "%s", err.msg);
	ck_assert_int_eq(config_monitor(&cfg, "syscall")->attrib_columns, 0);
	config_free(&cfg);
	/* on: every column, the hierarchy and the size, copied into each monitor */
	ck_assert_msg(load_text("attribution:\n  enabled: true\n  hierarchy: unified\n"
				"  max_processes: 4096\nmonitors:\n  syscall: {}\n  open: {}\n") ==
			      0,
		      "%s", err.msg);
	mc = config_monitor(&cfg, "open");
	ck_assert_int_eq(mc->attrib_columns, (1 << ATTRIB_NCOLS) - 1);
	ck_assert_int_eq(mc->attrib_hierarchy, CG_UNIFIED);
	ck_assert_int_eq(mc->attrib_max, 4096);
	ck_assert_int_eq(warns.n, 0);
	config_free(&cfg);
	/* the columns chosen; none chosen still keys (a filter may want it) */
	ck_assert_msg(load_text("attribution:\n  enabled: true\n  columns: [pod_uid, unit]\n") == 0,
		      "%s", err.msg);
	ck_assert_int_eq(config_monitor(&cfg, "syscall")->attrib_columns,
			 (1 << ATTRIB_COL_UNIT) | (1 << ATTRIB_COL_POD));
	config_free(&cfg);
	ck_assert_msg(load_text("attribution:\n  enabled: true\n  columns: []\n") == 0, "%s",
		      err.msg);
	ck_assert_int_eq(config_monitor(&cfg, "syscall")->attrib_columns, 1 << ATTRIB_NCOLS);
	config_free(&cfg);
	/* errors name the key and what is accepted */
	ck_assert_int_eq(load_text("attribution:\n  columns: [unit, pod]\n"), -EINVAL);
	ck_assert_msg(strstr(err.msg, "attribution.columns") &&
			      strstr(err.msg, "unknown column 'pod': expected cgroup, unit, "
					      "container_id or pod_uid"),
		      "%s", err.msg);
	ck_assert_int_eq(load_text("attribution:\n  hierarchy: v2\n"), -EINVAL);
	ck_assert_msg(strstr(err.msg, "attribution.hierarchy") != NULL, "%s", err.msg);
	ck_assert_int_eq(load_text("attribution:\n  max_processes: 10\n"), -EINVAL);
	ck_assert_msg(strstr(err.msg, "attribution.max_processes") != NULL, "%s", err.msg);
	/* a change is a changed monitor (a reload restarts it with the new keys) */
	{
		struct config other;

		ck_assert_int_eq(
			load_text("attribution:\n  enabled: true\nmonitors:\n  syscall: {}\n"), 0);
		memset(&other, 0, sizeof(other));
		ck_assert_int_eq(config_defaults(&other, schemas, NSCHEMAS), 0);
		write_tmp("monitors:\n  syscall: {}\n");
		ck_assert_int_eq(config_load(&other, tmp_path, schemas, NSCHEMAS, NULL, NULL, &err),
				 0);
		unlink(tmp_path);
		ck_assert(!config_monitor_equal(config_monitor(&cfg, "syscall"),
						config_monitor(&other, "syscall")));
		config_free(&other);
	}
}
END_TEST

START_TEST(test_overhead_budget)
{
	/* off by default: nothing samples */
	ck_assert_msg(load_text("monitors:\n  syscall: {}\n") == 0, "%s", err.msg);
	ck_assert_double_eq(cfg.overhead_budget, 0);
	ck_assert(!config_monitor(&cfg, "syscall")->sampling);
	config_free(&cfg);
	/* top level: every monitor that can sample does, the others never */
	ck_assert_msg(load_text("overhead_budget: 2\nmonitors:\n  syscall: {}\n  exec: {}\n"
				"  bio: {}\n  open: {}\n") == 0,
		      "%s", err.msg);
	ck_assert_double_eq(cfg.overhead_budget, 2);
	ck_assert(config_monitor(&cfg, "syscall")->sampling);
	ck_assert(config_monitor(&cfg, "open")->sampling);
	ck_assert(!config_monitor(&cfg, "exec")->sampling);
	ck_assert(!config_monitor(&cfg, "bio")->sampling);
	ck_assert_int_eq(warns.n, 0);
	config_free(&cfg);
	/* the spellings of a percentage, and of none */
	static const struct {
		const char *text;
		double want;
	} ok[] = { { "2", 2 },	   { "2%", 2 },	       { "0.5", 0.5 }, { "\"0.5%\"", 0.5 },
		   { "0.1", 0.1 }, { "10000", 10000 }, { "0", 0 },     { "0%", 0 },
		   { "off", 0 },   { "false", 0 } };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "overhead_budget: %s\n", ok[i].text);
		ck_assert_msg(load_text(text) == 0, "%s: %s", ok[i].text, err.msg);
		ck_assert_double_eq(cfg.overhead_budget, ok[i].want);
		config_free(&cfg);
	}
	/* per monitor, for one monitor only */
	ck_assert_msg(load_text("monitors:\n  syscall:\n    overhead_budget: 1%\n"
				"  page_fault: {}\n") == 0,
		      "%s", err.msg);
	ck_assert_double_eq(config_monitor(&cfg, "syscall")->overhead_budget, 1);
	ck_assert(config_monitor(&cfg, "syscall")->sampling);
	ck_assert(!config_monitor(&cfg, "page_fault")->sampling);
	ck_assert_double_eq(cfg.overhead_budget, 0);
}
END_TEST

START_TEST(test_overhead_budget_errors)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "overhead_budget: -1\n", "1:18: overhead_budget: expected a percentage, 0.1 to "
					   "10000 (e.g. 2 or 2%), or 0 or off for none, got '-1'" },
		{ "overhead_budget: 0.01\n", "got '0.01'" },
		{ "overhead_budget: 20000\n", "got '20000'" },
		{ "overhead_budget: lots\n", "got 'lots'" },
		{ "overhead_budget: \"%\"\n", "got '%'" },
		{ "overhead_budget: 2%%\n", "got '2%%'" },
		{ "overhead_budget: [2]\n", "overhead_budget: expected a percentage" },
		{ "monitors:\n  syscall:\n    overhead_budget: true\n",
		  "3:22: monitors.syscall.overhead_budget: expected a percentage, 0.1 to 10000 (e.g. "
		  "2 or 2%), or 0 or off for none, got 'true'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(load_text(bad[i].text), -EINVAL);
		ck_assert_msg(strstr(err.msg, bad[i].err) != NULL, "%s: %s", bad[i].text, err.msg);
		config_free(&cfg);
	}
}
END_TEST

START_TEST(test_overhead_budget_on_a_monitor_that_never_samples)
{
	ck_assert_msg(load_text("monitors:\n  exec:\n    overhead_budget: 2\n") == 0, "%s",
		      err.msg);
	ck_assert_int_eq(warns.n, 1);
	expect_warning(0, tmp_path,
		       "3:5: monitors.exec.overhead_budget: has no effect, exec never samples (it "
		       "counts every event); its cost counts toward the top-level overhead_budget");
	ck_assert(!config_monitor(&cfg, "exec")->sampling);
	ck_assert_double_eq(config_monitor(&cfg, "exec")->overhead_budget, 0);
}
END_TEST

START_TEST(test_overhead_budget_reload)
{
	struct config old;

	ck_assert_msg(load_text("overhead_budget: 2\nmonitors:\n  syscall: {}\n  exec: {}\n") == 0,
		      "%s", err.msg);
	old = cfg;
	memset(&cfg, 0, sizeof(cfg));
	/* another budget: the monitors keep running (they read it live) */
	ck_assert_msg(load_text("overhead_budget: 5\nmonitors:\n  syscall: {}\n  exec: {}\n") == 0,
		      "%s", err.msg);
	ck_assert(config_monitor_equal(config_monitor(&old, "syscall"),
				       config_monitor(&cfg, "syscall")));
	config_free(&cfg);
	/* none any more: syscall's probe is rebuilt without sampling; exec is unaffected */
	ck_assert_msg(load_text("monitors:\n  syscall: {}\n  exec: {}\n") == 0, "%s", err.msg);
	ck_assert(!config_monitor_equal(config_monitor(&old, "syscall"),
					config_monitor(&cfg, "syscall")));
	ck_assert(config_monitor_equal(config_monitor(&old, "exec"), config_monitor(&cfg, "exec")));
	config_free(&old);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shipped_config);
	tcase_add_test(tc, test_guide_yaml);
	tcase_add_test(tc, test_guide_tuning);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_defaults_other_types);
	tcase_add_test(tc, test_defaults_bad_schema);
	tcase_add_test(tc, test_absent_section_disabled);
	tcase_add_test(tc, test_empty_sections);
	tcase_add_test(tc, test_bool_spellings);
	tcase_add_test(tc, test_bad_bool_position);
	tcase_add_test(tc, test_int_rejects_fraction_and_junk);
	tcase_add_test(tc, test_range_errors);
	tcase_add_test(tc, test_doubles);
	tcase_add_test(tc, test_strings_and_choices);
	tcase_add_test(tc, test_attach);
	tcase_add_test(tc, test_wrong_node_kind);
	tcase_add_test(tc, test_strlist_forms);
	tcase_add_test(tc, test_boolmap);
	tcase_add_test(tc, test_output_and_delimiter);
	tcase_add_test(tc, test_logging);
	tcase_add_test(tc, test_formatter_reference);
	tcase_add_test(tc, test_handlers_listed_are_used);
	tcase_add_test(tc, test_handler_class);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_multiple_documents);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_aliases);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_unknown_monitor_no_suggestion);
	tcase_add_test(tc, test_interval_on_non_aggregating);
	tcase_add_test(tc, test_warnings_are_capped);
	tcase_add_test(tc, test_no_warn_callback);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_value_sanitized);
	tcase_add_test(tc, test_filters_defaults);
	tcase_add_test(tc, test_filters_top_level);
	tcase_add_test(tc, test_filters_per_monitor_override);
	tcase_add_test(tc, test_filters_reload);
	tcase_add_test(tc, test_filters_errors);
	tcase_add_test(tc, test_filters_unknown_key);
	tcase_add_test(tc, test_filter_add);
	tcase_add_test(tc, test_filters_cgroup_keys);
	tcase_add_test(tc, test_filters_cgroup_reload);
	tcase_add_test(tc, test_filters_cgroup_errors);
	tcase_add_test(tc, test_filter_add_cgroup_keys);
	tcase_add_test(tc, test_free_after_errors);
	tcase_add_test(tc, test_suggest);
	tcase_add_test(tc, test_output_format_and_prometheus);
	tcase_add_test(tc, test_attribution);
	tcase_add_test(tc, test_overhead_budget);
	tcase_add_test(tc, test_overhead_budget_errors);
	tcase_add_test(tc, test_overhead_budget_on_a_monitor_that_never_samples);
	tcase_add_test(tc, test_overhead_budget_reload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(config_suite());
}
