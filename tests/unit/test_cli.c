/* test_cli.c - command-line parsing: every documented flag, and the errors users make. */
#include <check.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"

static int parse(struct cli_options *o, char *err, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, err);
	argv[argc++] = "ebpf-monitor";
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, err, 256);
}

START_TEST(test_defaults)
{
	struct cli_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, NULL), 0);
	ck_assert_int_eq(o.action, CLI_RUN);
	ck_assert_ptr_null(o.config_path);
	ck_assert_ptr_null(o.monitors);
	ck_assert(!o.verbose && !o.daemon);
	ck_assert(o.duration == 0);
}
END_TEST

START_TEST(test_all_flags)
{
	struct cli_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, "-c", "x.yaml", "-m", "exec,func", "-v", "-d",
			       "--duration", "2.5", NULL), 0);
	ck_assert_str_eq(o.config_path, "x.yaml");
	ck_assert_str_eq(o.monitors, "exec,func");
	ck_assert(o.verbose && o.daemon);
	ck_assert(o.duration == 2.5);

	ck_assert_int_eq(parse(&o, err, "--config=y.yaml", "--monitors=exec", "--verbose", NULL), 0);
	ck_assert_str_eq(o.config_path, "y.yaml");
	ck_assert_str_eq(o.monitors, "exec");

	ck_assert_int_eq(parse(&o, err, "--check", NULL), 0);
	ck_assert_int_eq(o.action, CLI_CHECK);
	ck_assert_int_eq(parse(&o, err, "--daemon-status", NULL), 0);
	ck_assert_int_eq(o.action, CLI_DAEMON_STATUS);
	ck_assert_int_eq(parse(&o, err, "--daemon-stop", NULL), 0);
	ck_assert_int_eq(o.action, CLI_DAEMON_STOP);
	ck_assert_int_eq(parse(&o, err, "-V", NULL), 0);
	ck_assert_int_eq(o.action, CLI_VERSION);
	/* --help wins wherever it stands */
	ck_assert_int_eq(parse(&o, err, "--check", "-h", NULL), 0);
	ck_assert_int_eq(o.action, CLI_HELP);
}
END_TEST

START_TEST(test_errors)
{
	struct cli_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, "--bogus", NULL), -1);
	ck_assert_str_eq(err, "unknown option '--bogus' (see --help)");
	ck_assert_int_eq(parse(&o, err, "-x", NULL), -1);
	ck_assert_str_eq(err, "unknown option '-x' (see --help)");
	ck_assert_int_eq(parse(&o, err, "-c", NULL), -1);
	ck_assert_str_eq(err, "option '-c' needs a value");
	ck_assert_int_eq(parse(&o, err, "--duration", "0", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "positive number of seconds, got '0'"));
	ck_assert_int_eq(parse(&o, err, "--duration", "5s", NULL), -1);
	ck_assert_int_eq(parse(&o, err, "--duration", "nan", NULL), -1);
	ck_assert_int_eq(parse(&o, err, "stray", NULL), -1);
	ck_assert_str_eq(err, "unexpected argument 'stray' (see --help)");
	ck_assert_int_eq(parse(&o, err, "--check", "--daemon-stop", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot be combined"));
}
END_TEST

START_TEST(test_split_list)
{
	const char *names[8];
	char a[] = "exec, func ,syscall", b[] = "exec,,func", c[] = "", d[] = "exec,",
	     e[] = "a,b,c";

	ck_assert_int_eq(cli_split_list(a, names, 8), 3);
	ck_assert_str_eq(names[0], "exec");
	ck_assert_str_eq(names[1], "func");
	ck_assert_str_eq(names[2], "syscall");
	ck_assert_int_eq(cli_split_list(b, names, 8), -1);
	ck_assert_int_eq(cli_split_list(c, names, 8), -1);
	ck_assert_int_eq(cli_split_list(d, names, 8), -1);
	ck_assert_int_eq(cli_split_list(e, names, 2), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_all_flags);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_split_list);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
