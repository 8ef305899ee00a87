/* test_cli.c - command-line parsing: every documented flag, and the errors users make. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "core/app.h"
#include "core/cli.h"
#include "testutil.h"

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
	ck_assert_uint_eq(o.filters.npids, 0);
	ck_assert_uint_eq(o.filters.nuids, 0);
	ck_assert_uint_eq(o.filters.ncomms, 0);
	ck_assert_int_eq(o.filters.nunits, 0);
	ck_assert_int_eq(o.filters.ncontainers, 0);
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

	ck_assert_int_eq(parse(&o, err, "--bogus", NULL), -EINVAL);
	ck_assert_str_eq(err, "unknown option '--bogus' (see --help)");
	ck_assert_int_eq(parse(&o, err, "-x", NULL), -EINVAL);
	ck_assert_str_eq(err, "unknown option '-x' (see --help)");
	ck_assert_int_eq(parse(&o, err, "-c", NULL), -EINVAL);
	ck_assert_str_eq(err, "option '-c' needs a value");
	ck_assert_int_eq(parse(&o, err, "--duration", "0", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "positive number of seconds, got '0'"));
	ck_assert_int_eq(parse(&o, err, "--duration", "5s", NULL), -EINVAL);
	ck_assert_int_eq(parse(&o, err, "--duration", "nan", NULL), -EINVAL);
	ck_assert_int_eq(parse(&o, err, "stray", NULL), -EINVAL);
	ck_assert_str_eq(err, "unexpected argument 'stray' (see --help)");
	ck_assert_int_eq(parse(&o, err, "--check", "--daemon-stop", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "cannot be combined"));
}
END_TEST

START_TEST(test_format_flag)
{
	struct cli_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, NULL), 0);
	ck_assert_uint_eq(o.formats, 0); /* not given: the config's output.format */
	ck_assert_int_eq(parse(&o, err, "--format", "jsonl", NULL), 0);
	ck_assert_uint_eq(o.formats, OUTPUT_JSONL);
	ck_assert_int_eq(parse(&o, err, "--format", "csv, jsonl-stdout", NULL), 0);
	ck_assert_uint_eq(o.formats, OUTPUT_CSV | OUTPUT_JSONL_STDOUT);
	ck_assert_int_eq(parse(&o, err, "--format", "csv", "--format=jsonl", NULL), 0);
	ck_assert_uint_eq(o.formats, OUTPUT_JSONL); /* the last one wins */
	ck_assert_int_eq(parse(&o, err, "--format", "csv,xml", NULL), -EINVAL);
	ck_assert_str_eq(err,
			 "--format: unknown format 'xml' (expected csv, jsonl or jsonl-stdout, "
			 "comma-separated)");
	ck_assert_int_eq(parse(&o, err, "--format", "csv,,jsonl", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "comma-separated list"));
	ck_assert_int_eq(parse(&o, err, "--format", "", NULL), -EINVAL);
}
END_TEST

START_TEST(test_filter_flags)
{
	struct cli_options o;
	char err[256];

	/* repeating a flag appends; a repeated value is kept once */
	ck_assert_msg(parse(&o, err, "-p", "1,2", "-p", "3", "--pid=2", NULL) == 0, "%s", err);
	ck_assert_uint_eq(o.filters.npids, 3);
	ck_assert_uint_eq(o.filters.pids[0], 1);
	ck_assert_uint_eq(o.filters.pids[1], 2);
	ck_assert_uint_eq(o.filters.pids[2], 3);
	ck_assert_uint_eq(o.filters.nuids, 0);

	/* user names are resolved; numbers are taken as they are */
	ck_assert_msg(parse(&o, err, "-u", "root", NULL) == 0, "%s", err);
	ck_assert_uint_eq(o.filters.nuids, 1);
	ck_assert_uint_eq(o.filters.uids[0], 0);
	ck_assert_msg(parse(&o, err, "--uid", "1000, root", "-u", "4294967294", NULL) == 0, "%s",
		      err);
	ck_assert_uint_eq(o.filters.nuids, 3);
	ck_assert_uint_eq(o.filters.uids[0], 1000);
	ck_assert_uint_eq(o.filters.uids[1], 0);
	ck_assert_uint_eq(o.filters.uids[2], 4294967294u);

	/* task names are exact: spaces belong to them */
	ck_assert_msg(parse(&o, err, "--comm", "bash,Web Content", "--comm=abcdefghijklmno",
			    NULL) == 0,
		      "%s", err);
	ck_assert_uint_eq(o.filters.ncomms, 3);
	ck_assert_str_eq(o.filters.comms[0], "bash");
	ck_assert_str_eq(o.filters.comms[1], "Web Content");
	ck_assert_str_eq(o.filters.comms[2], "abcdefghijklmno");
	/* the other flags still work beside them */
	ck_assert_msg(parse(&o, err, "-p", "5", "-m", "exec", "-v", NULL) == 0, "%s", err);
	ck_assert_str_eq(o.monitors, "exec");
	ck_assert(o.verbose);
}
END_TEST

START_TEST(test_unit_container_flags)
{
	struct cli_options o;
	char err[256];

	/* comma-separated, trimmed, repeatable; a repeated value is kept once */
	ck_assert_msg(parse(&o, err, "--unit", "nginx.service, session-3.scope",
			    "--unit=getty@tty1.service", "--unit", "nginx.service", NULL) == 0,
		      "%s", err);
	ck_assert_int_eq(o.filters.nunits, 3);
	ck_assert_str_eq(o.filters.units[0], "nginx.service");
	ck_assert_str_eq(o.filters.units[1], "session-3.scope");
	ck_assert_str_eq(o.filters.units[2], "getty@tty1.service");
	ck_assert_int_eq(o.filters.ncontainers, 0);
	/* a short id, as docker ps shows it, or a whole one */
	ck_assert_msg(
		parse(&o, err, "--container", "ca978112ca1b",
		      "--container=3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d",
		      NULL) == 0,
		"%s", err);
	ck_assert_int_eq(o.filters.ncontainers, 2);
	ck_assert_str_eq(o.filters.containers[0], "ca978112ca1b");
	ck_assert_str_eq(o.filters.containers[1],
			 "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d");
	ck_assert_int_eq(o.filters.nunits, 0);
	/* beside the others */
	ck_assert_msg(parse(&o, err, "--comm", "nginx", "--unit", "nginx.service", "--container",
			    "abcd", "-p", "1", NULL) == 0,
		      "%s", err);
	ck_assert_int_eq(o.filters.ncomms, 1);
	ck_assert_int_eq(o.filters.nunits, 1);
	ck_assert_int_eq(o.filters.ncontainers, 1);
	ck_assert_int_eq(o.filters.npids, 1);
}
END_TEST

START_TEST(test_unit_container_flag_errors)
{
	struct cli_options o;
	char err[256], many[400];
	size_t n = 0;

	ck_assert_int_eq(parse(&o, err, "--unit", "nginx", NULL), -EINVAL);
	ck_assert_str_eq(err, "--unit: expected a systemd unit name ending in .service or .scope, "
			      "of at most 255 bytes, got 'nginx' (use 'nginx.service')");
	ck_assert_int_eq(parse(&o, err, "--unit", "a.service,,b.service", NULL), -EINVAL);
	ck_assert_str_eq(err, "--unit expects a comma-separated list without empty entries, got "
			      "'a.service,,b.service'");
	ck_assert_int_eq(parse(&o, err, "--unit", NULL), -EINVAL);
	ck_assert_str_eq(err, "option '--unit' needs a value");
	ck_assert_int_eq(parse(&o, err, "--container", "ABCD", NULL), -EINVAL);
	ck_assert_str_eq(err, "--container: expected a container ID or its prefix: 4 to 64 "
			      "lowercase hex digits, got 'ABCD' (use 'abcd')");
	ck_assert_int_eq(parse(&o, err, "--container", "abc", NULL), -EINVAL);
	ck_assert_str_eq(err, "--container: expected a container ID or its prefix: 4 to 64 "
			      "lowercase hex digits, got 'abc'");
	ck_assert_int_eq(parse(&o, err, "--container", " ", NULL), -EINVAL);
	ck_assert_str_eq(err, "--container expects a comma-separated list without empty entries, "
			      "got ' '");

	/* 16 fit, 17 do not */
	for (int i = 1; i <= FILTER_CG_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%su%d.service", i > 1 ? "," : "",
				      i);
	ck_assert_msg(parse(&o, err, "--unit", many, NULL) == 0, "%s", err);
	ck_assert_int_eq(o.filters.nunits, FILTER_CG_MAX);
	ck_assert_int_eq(parse(&o, err, "--unit", many, "--unit", "x.scope", NULL), -E2BIG);
	ck_assert_str_eq(err, "--unit: more than 16 values (a filter holds at most 16)");
}
END_TEST

START_TEST(test_filter_flag_errors)
{
	struct cli_options o;
	char err[256], many[400];
	size_t n = 0;

	ck_assert_int_eq(parse(&o, err, "-p", "0", NULL), -EINVAL);
	ck_assert_str_eq(err, "--pid: expected a process ID in 1..4194304, got '0'");
	ck_assert_int_eq(parse(&o, err, "--pid", "12,abc", NULL), -EINVAL);
	ck_assert_str_eq(err, "--pid: expected a process ID in 1..4194304, got 'abc'");
	ck_assert_int_eq(parse(&o, err, "-p", "1,,2", NULL), -EINVAL);
	ck_assert_str_eq(err, "--pid expects a comma-separated list without empty entries, "
			      "got '1,,2'");
	ck_assert_int_eq(parse(&o, err, "-p", NULL), -EINVAL);
	ck_assert_str_eq(err, "option '-p' needs a value");
	ck_assert_int_eq(parse(&o, err, "-u", "nosuchuser_xyz", NULL), -EINVAL);
	ck_assert_str_eq(err, "--uid: no user named 'nosuchuser_xyz' (give a user name or a "
			      "numeric UID)");
	ck_assert_int_eq(parse(&o, err, "-u", "4294967295", NULL), -EINVAL);
	ck_assert_str_eq(err, "--uid: expected a user ID in 0..4294967294, got '4294967295'");
	ck_assert_int_eq(parse(&o, err, "--comm", "abcdefghijklmnop", NULL), -EINVAL);
	ck_assert_str_eq(err, "--comm: expected a task name of 1 to 15 bytes, got "
			      "'abcdefghijklmnop' (the kernel keeps only the first 15 bytes of a "
			      "task name: use 'abcdefghijklmno')");
	ck_assert_int_eq(parse(&o, err, "--comm", "", NULL), -EINVAL);
	ck_assert_str_eq(err, "--comm expects a comma-separated list without empty entries, "
			      "got ''");

	/* 64 fit in the kernel's filter map, 65 do not */
	for (int i = 1; i <= 64; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s%d", i > 1 ? "," : "", i);
	ck_assert_msg(parse(&o, err, "-p", many, NULL) == 0, "%s", err);
	ck_assert_uint_eq(o.filters.npids, 64);
	ck_assert_int_eq(parse(&o, err, "-p", many, "-p", "65", NULL), -E2BIG);
	ck_assert_str_eq(err, "--pid: more than 64 values (a filter holds at most 64)");
}
END_TEST

static const struct monitor_schema schemas[] = {
	{ "exec", NULL, 0, false, NULL },
	{ "func", NULL, 0, true, NULL },
};

START_TEST(test_cli_filters_win)
{
	struct config cfg;
	struct cli_options o;
	char err[256];

	ck_assert_int_eq(config_defaults(&cfg, schemas, 2), 0);
	/* what a config could have set */
	ck_assert_int_eq(config_filter_add(&cfg.filters, "pids", "1", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&cfg.monitors[0].filters, "pids", "2", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&cfg.monitors[0].filters, "uids", "7", NULL, 0), 0);
	ck_assert_int_eq(
		config_filter_add(&cfg.monitors[1].filters, "exclude_comms", "sshd", NULL, 0), 0);

	ck_assert_msg(parse(&o, err, "-p", "10,11", "--comm", "bash", NULL) == 0, "%s", err);
	app_apply_cli_filters(&cfg, &o);
	for (size_t i = 0; i < 2; i++) {
		const struct filter_cfg *f = &cfg.monitors[i].filters;

		/* given on the command line: replaced, for every monitor */
		ck_assert_uint_eq(f->npids, 2);
		ck_assert_uint_eq(f->pids[0], 10);
		ck_assert_uint_eq(f->pids[1], 11);
		ck_assert_uint_eq(f->ncomms, 1);
		ck_assert_str_eq(f->comms[0], "bash");
		ck_assert(f->exclude_self);
	}
	ck_assert_uint_eq(cfg.filters.npids, 2);
	/* not given: the config's stay */
	ck_assert_uint_eq(cfg.monitors[0].filters.nuids, 1);
	ck_assert_uint_eq(cfg.monitors[0].filters.uids[0], 7);
	ck_assert_uint_eq(cfg.monitors[1].filters.nexclude_comms, 1);
	config_free(&cfg);
}
END_TEST

START_TEST(test_cli_unit_container_win)
{
	struct config cfg;
	struct cli_options o;
	char err[256];

	ck_assert_int_eq(config_defaults(&cfg, schemas, 2), 0);
	/* what a config could have set: units on one monitor, containers and cgroups on all */
	ck_assert_int_eq(config_filter_add(&cfg.monitors[0].filters, "units", "a.service", NULL, 0),
			 0);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_int_eq(config_filter_add(&cfg.monitors[i].filters, "containers", "abcd",
						   NULL, 0),
				 0);
		ck_assert_int_eq(config_filter_add(&cfg.monitors[i].filters, "cgroups",
						   "/system.slice", NULL, 0),
				 0);
	}

	ck_assert_msg(parse(&o, err, "--unit", "nginx.service,b.scope", NULL) == 0, "%s", err);
	app_apply_cli_filters(&cfg, &o);
	for (size_t i = 0; i < 2; i++) {
		const struct filter_cfg *f = &cfg.monitors[i].filters;

		/* given: replaced, for every monitor */
		ck_assert_int_eq(f->nunits, 2);
		ck_assert_str_eq(f->units[0], "nginx.service");
		ck_assert_str_eq(f->units[1], "b.scope");
		/* not given: the config's stay */
		ck_assert_int_eq(f->ncontainers, 1);
		ck_assert_str_eq(f->containers[0], "abcd");
		ck_assert_int_eq(f->ncgroups, 1);
	}
	ck_assert_int_eq(cfg.filters.nunits, 2);

	ck_assert_msg(parse(&o, err, "--container", "ef01", NULL) == 0, "%s", err);
	app_apply_cli_filters(&cfg, &o);
	for (size_t i = 0; i < 2; i++) {
		const struct filter_cfg *f = &cfg.monitors[i].filters;

		ck_assert_int_eq(f->ncontainers, 1);
		ck_assert_str_eq(f->containers[0], "ef01");
		ck_assert_int_eq(f->nunits, 2);
	}
	config_free(&cfg);
}
END_TEST

START_TEST(test_describe_filters)
{
	struct filter_cfg f = { .exclude_self = true };
	char buf[128], small[16];

	ck_assert_int_eq(app_describe_filters(&f, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "none");
	f.exclude_self = false;
	ck_assert_int_eq(app_describe_filters(&f, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "pids=- uids=- comms=- exclude_comms=- exclude_self=no");
	f.exclude_self = true;
	ck_assert_int_eq(config_filter_add(&f, "pids", "123", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&f, "pids", "456", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&f, "uids", "0", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&f, "comms", "bash", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&f, "comms", "a\tb", NULL, 0), 0);
	ck_assert_int_eq(app_describe_filters(&f, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf,
			 "pids=123,456 uids=0 comms=bash,a?b exclude_comms=- exclude_self=yes");
	/* cut, never overrun */
	ck_assert_int_eq(app_describe_filters(&f, small, sizeof(small)), -ENOSPC);
	ck_assert_str_eq(small, "pids=123,456 ui");
	ck_assert_int_eq(app_describe_filters(&f, small, 1), -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(app_describe_filters(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(app_describe_filters(&f, buf, 0), -EINVAL);
}
END_TEST

START_TEST(test_describe_cgroup_filters)
{
	struct filter_cfg f = { .exclude_self = true };
	char buf[256];

	/* named only when set: a unit alone is a filter, not "none" */
	ck_assert_int_eq(config_filter_add(&f, "units", "nginx.service", NULL, 0), 0);
	ck_assert_int_eq(app_describe_filters(&f, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "pids=- uids=- comms=- exclude_comms=- units=nginx.service "
			      "exclude_self=yes");
	ck_assert_int_eq(config_filter_add(&f, "units", "session-3.scope", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&f, "containers", "abcd", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/system.slice/", NULL, 0), 0);
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/a b", NULL, 0), 0);
	ck_assert_int_eq(app_describe_filters(&f, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "pids=- uids=- comms=- exclude_comms=- "
			      "units=nginx.service,session-3.scope containers=abcd "
			      "cgroups=/system.slice,/a b exclude_self=yes");
	memset(&f, 0, sizeof(f));
	f.exclude_self = true;
	ck_assert_int_eq(config_filter_add(&f, "cgroups", "/", NULL, 0), 0);
	ck_assert_int_eq(app_describe_filters(&f, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "pids=- uids=- comms=- exclude_comms=- cgroups=/ exclude_self=yes");
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
	ck_assert_int_eq(cli_split_list(b, names, 8), -EINVAL);
	ck_assert_int_eq(cli_split_list(c, names, 8), -EINVAL);
	ck_assert_int_eq(cli_split_list(d, names, 8), -EINVAL);
	ck_assert_int_eq(cli_split_list(e, names, 2), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_all_flags);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_format_flag);
	tcase_add_test(tc, test_split_list);
	tcase_add_test(tc, test_filter_flags);
	tcase_add_test(tc, test_filter_flag_errors);
	tcase_add_test(tc, test_unit_container_flags);
	tcase_add_test(tc, test_unit_container_flag_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("filters");
	tcase_add_test(tc, test_cli_filters_win);
	tcase_add_test(tc, test_describe_filters);
	tcase_add_test(tc, test_cli_unit_container_win);
	tcase_add_test(tc, test_describe_cgroup_filters);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
