/* test_options.c - unit tests of the option engine (options.c: each type read from YAML text,
 * defaults, equality), the YAML tree's positions (ydoc.c), and the core-key table's reload
 * comparison (config_restart_changes: which keys need a restart). */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "testutil.h"
#include "core/ydoc.h"

struct opts {
	bool b;
	long long i;
	double d;
	char *s;
	char c;
	unsigned formats;
	struct strlist list;
};

static int check_no_x(const void *value, char *err, size_t errlen)
{
	if (strchr(*(char *const *)value, 'x')) {
		snprintf(err, errlen, "no x please");
		return -EINVAL;
	}
	return 0;
}

static const char *const colours[] = { "red", "green", NULL };

/* clang-format off */
static const struct opt_spec specs[] = {
	{ "b", OPT_BOOL, offsetof(struct opts, b), .def = "yes" },
	{ "i", OPT_INT, offsetof(struct opts, i), 1, 10, .def = "3" },
	{ "d", OPT_DOUBLE, offsetof(struct opts, d), 0.5, 2, .def = "1.5" },
	{ "s", OPT_STRING, offsetof(struct opts, s), .min = 1, .def = "abc",
	  .flags = OPT_NULLABLE, .check = check_no_x },
	{ "c", OPT_CHAR, offsetof(struct opts, c), .def = "';'" },
	{ "f", OPT_FORMATS, offsetof(struct opts, formats), .def = "[csv, jsonl]" },
	{ "l", OPT_STRLIST, offsetof(struct opts, list), .def = "[a, b]" },
	{ "colour", OPT_STRING, offsetof(struct opts, s), .choices = colours },
	{ "section", OPT_SECTION },
	OPT_END
};
/* clang-format on */

static const struct opt_spec *spec(const char *key)
{
	for (const struct opt_spec *o = specs; o->key; o++) {
		if (!strcmp(o->key, key))
			return o;
	}
	ck_abort_msg("no spec %s", key);
	return NULL;
}

static char err[512];
static struct ydoc doc;

/* Sets key from YAML text; the message (if any) goes to err. */
static int set(struct opts *o, const char *key, const char *yaml)
{
	int r;

	err[0] = '\0';
	ck_assert_int_eq(ydoc_build(&doc, yaml, strlen(yaml), err, sizeof(err)), 0);
	r = opt_set(spec(key), o, &doc, 0, key, err, sizeof(err));
	ydoc_free(&doc);
	return r;
}

static void defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (const struct opt_spec *s = specs; s->key; s++)
		ck_assert_int_eq(opt_default(s, o), 0);
}

START_TEST(test_defaults_and_free)
{
	struct opts o;

	defaults(&o);
	ck_assert(o.b);
	ck_assert_int_eq(o.i, 3);
	ck_assert(o.d == 1.5);
	ck_assert_str_eq(o.s, "abc");
	ck_assert_int_eq(o.c, ';');
	ck_assert_uint_eq(o.formats, OUTPUT_CSV | OUTPUT_JSONL);
	ck_assert_uint_eq(o.list.n, 2);
	ck_assert_str_eq(o.list.v[1], "b");
	ck_assert(!opt_has_value(spec("section")));
	ck_assert_int_eq(opt_default(spec("section"), &o), 0);
	opts_free(specs, &o);
	ck_assert_ptr_null(o.s);
	ck_assert_ptr_null(o.list.v);
	ck_assert_uint_eq(o.list.n, 0);
}
END_TEST

START_TEST(test_types)
{
	struct opts o;

	defaults(&o);
	ck_assert_int_eq(set(&o, "i", "11"), -EINVAL);
	ck_assert_str_eq(err, "i: expected an integer in 1..10, got '11'");
	ck_assert_int_eq(set(&o, "d", "x"), -EINVAL);
	ck_assert_str_eq(err, "d: expected a number, got 'x'");
	ck_assert_int_eq(set(&o, "c", "\"\\t\""), 0);
	ck_assert_int_eq(o.c, '\t');
	ck_assert_int_eq(set(&o, "c", "'\"'"), -EINVAL);
	ck_assert_str_eq(err, "c: expected one printable ASCII character (or a tab) other than "
			      "'\"', got '\"'");
	ck_assert_int_eq(set(&o, "c", "ab"), -EINVAL);
	ck_assert_int_eq(set(&o, "f", "jsonl-stdout"), 0);
	ck_assert_uint_eq(o.formats, OUTPUT_JSONL_STDOUT);
	ck_assert_int_eq(set(&o, "f", "~"), 0);
	ck_assert_uint_eq(o.formats, 0);
	ck_assert_int_eq(set(&o, "f", "[csv, jsnl]"), -EINVAL);
	ck_assert_str_eq(err, "f[1]: expected one of csv, jsonl, jsonl-stdout, got 'jsnl' (did "
			      "you mean 'jsonl'?)");
	ck_assert_int_eq(set(&o, "f", "{a: 1}"), -EINVAL);
	ck_assert_str_eq(err, "f: expected a list of formats (csv, jsonl, jsonl-stdout), got a "
			      "mapping");
	ck_assert_int_eq(set(&o, "colour", "RED"), 0);
	ck_assert_str_eq(o.s, "red"); /* the canonical spelling */
	ck_assert_int_eq(set(&o, "section", "x"), -EINVAL);
	ck_assert_str_eq(err, "section: bad schema: unknown option type 8");
	opts_free(specs, &o);
}
END_TEST

START_TEST(test_nullable_and_check)
{
	struct opts o;

	defaults(&o);
	ck_assert_int_eq(set(&o, "s", "~"), 0);
	ck_assert_ptr_null(o.s); /* null unsets a nullable string */
	ck_assert_int_eq(set(&o, "s", "''"), -EINVAL);
	ck_assert_str_eq(err, "s: expected a non-empty string, got ''");
	ck_assert_int_eq(set(&o, "s", "\n\n  yxz"), -EINVAL);
	ck_assert_str_eq(err, "s: no x please");
	ck_assert_int_eq(doc.err_line, 0); /* freed; the position was read before */
	ck_assert_int_eq(set(&o, "s", "yes"), 0);
	ck_assert_str_eq(o.s, "yes");
	opts_free(specs, &o);
}
END_TEST

START_TEST(test_error_position)
{
	const char *yaml = "a: 1\nb:\n  - x\n  - [1, 2\n";

	ck_assert_int_eq(ydoc_build(&doc, yaml, strlen(yaml), err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(doc.err_line, 5);
	ck_assert_ptr_nonnull(strstr(err, "YAML syntax error"));
	ydoc_free(&doc);
	yaml = "a: 1\nb: 2\na: 3\n";
	ck_assert_int_eq(ydoc_build(&doc, yaml, strlen(yaml), err, sizeof(err)), 0);
	ck_assert_int_eq(ydoc_check_map(&doc, 0, "top", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "top.a: duplicate key, first defined at line 1, column 1");
	ck_assert_int_eq(doc.err_line, 3);
	ck_assert_int_eq(doc.err_col, 1);
	ydoc_free(&doc);
}
END_TEST

START_TEST(test_equal)
{
	struct opts a, b;

	defaults(&a);
	defaults(&b);
	ck_assert(opts_equal(specs, &a, &b));
	ck_assert_int_eq(set(&b, "l", "[a, c]"), 0);
	ck_assert(!opt_equal(spec("l"), &a, &b));
	ck_assert(opt_equal(spec("i"), &a, &b));
	ck_assert_int_eq(set(&b, "c", "x"), 0);
	ck_assert(!opt_equal(spec("c"), &a, &b));
	ck_assert_int_eq(set(&b, "s", "~"), 0);
	ck_assert(!opt_equal(spec("s"), &a, &b));
	ck_assert(!opts_equal(specs, &a, &b));
	opts_free(specs, &a);
	opts_free(specs, &b);
}
END_TEST

/* ---- the core keys: which changes a reload leaves to the next restart ---- */

static int load_core(struct config *cfg, const char *yaml)
{
	char path[] = "/tmp/test_options.XXXXXX";
	struct config_error e;
	int fd = mkstemp(path), r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	r = config_load(cfg, path, NULL, 0, NULL, NULL, &e);
	unlink(path);
	ck_assert_msg(r == 0, "%s", e.msg);
	return r;
}

START_TEST(test_restart_changes)
{
	static const struct {
		const char *yaml;
		const char *key; /* the one key that needs a restart; NULL: none */
	} cases[] = {
		{ "output:\n  directory: elsewhere\n", NULL },
		{ "output:\n  buffer_size: 10\n  csv_delimiter: ';'\n", NULL },
		{ "app:\n  debug: false\nlogging:\n  level: ERROR\n", NULL },
		{ "output:\n  format: [csv, jsonl]\n", "output.format" },
		{ "output:\n  prometheus:\n    enabled: true\n", "output.prometheus.enabled" },
		{ "output:\n  prometheus:\n    listen: ':9'\n", "output.prometheus.listen" },
		{ "output:\n  prometheus:\n    path: /m\n", "output.prometheus.path" },
		{ "output:\n  prometheus:\n    max_label_values: 7\n",
		  "output.prometheus.max_label_values" },
		{ "output:\n  prometheus:\n    max_series: 7\n", "output.prometheus.max_series" },
	};
	struct config base, cfg;
	const char *keys[4];

	memset(&base, 0, sizeof(base)); /* config_load() takes a zeroed config */
	load_core(&base, "app:\n  name: x\n");
	ck_assert_uint_eq(config_restart_changes(&base, &base, keys, 4), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;

		memset(&cfg, 0, sizeof(cfg));
		load_core(&cfg, cases[i].yaml);
		n = config_restart_changes(&base, &cfg, keys, 4);
		ck_assert_msg(n == (cases[i].key ? 1 : 0), "%s: %zu", cases[i].yaml, n);
		if (cases[i].key)
			ck_assert_str_eq(keys[0], cases[i].key);
		ck_assert_uint_eq(config_restart_changes(&base, &cfg, NULL, 0), n);
		config_free(&cfg);
	}
	memset(&cfg, 0, sizeof(cfg));
	load_core(&cfg, "output:\n  format: jsonl\n  prometheus: {enabled: true, max_series: 9}\n");
	ck_assert_uint_eq(config_restart_changes(&base, &cfg, keys, 2), 3);
	ck_assert_str_eq(keys[0], "output.format");
	ck_assert_str_eq(keys[1], "output.prometheus.enabled");
	config_free(&cfg);
	config_free(&base);
}
END_TEST

/* config_free frees by the table: every string a file can set (valgrind/ASan builds check). */
START_TEST(test_core_free)
{
	struct config cfg = { 0 };

	load_core(&cfg, "logging:\n  handlers:\n    console: {level: DEBUG}\n"
			"    file: {level: ~, filename: a.log}\n"
			"  formatters:\n    mine: {format: '%(message)s', datefmt: '%H'}\n");
	ck_assert_str_eq(cfg.logging.console.level, "DEBUG");
	ck_assert_ptr_null(cfg.logging.file.level);
	ck_assert_uint_eq(cfg.logging.nformatters, 3);
	config_free(&cfg);
	ck_assert_ptr_null(cfg.app.name);
	ck_assert_uint_eq(cfg.logging.nformatters, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("engine");

	tcase_add_test(tc, test_defaults_and_free);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_nullable_and_check);
	tcase_add_test(tc, test_error_position);
	tcase_add_test(tc, test_equal);
	suite_add_tcase(s, tc);
	tc = tcase_create("core");
	tcase_add_test(tc, test_restart_changes);
	tcase_add_test(tc, test_core_free);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
