/* test_exit_code.c - every failure maps to the exit code the README documents. */
#include <check.h>
#include <errno.h>

#include "core/cli.h"
#include "app/exit_code.h"
#include "testutil.h"

START_TEST(test_success)
{
	for (int s = APP_STEP_CONFIG; s <= APP_STEP_RUN; s++)
		ck_assert_int_eq(app_exit_code((enum app_step)s, 0), EXIT_OK);
}
END_TEST

START_TEST(test_steps)
{
	ck_assert_int_eq(app_exit_code(APP_STEP_CONFIG, -EINVAL), EXIT_USAGE);
	ck_assert_int_eq(app_exit_code(APP_STEP_CONFIG, -ENOENT), EXIT_USAGE);
	ck_assert_int_eq(app_exit_code(APP_STEP_SUPPORT, -EPERM), EXIT_NOPRIV);
	ck_assert_int_eq(app_exit_code(APP_STEP_SUPPORT, -EOPNOTSUPP), EXIT_NOPRIV);
	ck_assert_int_eq(app_exit_code(APP_STEP_SUPPORT, -ENODEV), EXIT_NOPRIV);
	ck_assert_int_eq(app_exit_code(APP_STEP_SUPPORT, -ENOMEM), EXIT_RUNTIME);
	ck_assert_int_eq(app_exit_code(APP_STEP_DIRS, -EACCES), EXIT_OUTPUT);
	ck_assert_int_eq(app_exit_code(APP_STEP_OUTPUT, -EROFS), EXIT_OUTPUT);
	ck_assert_int_eq(app_exit_code(APP_STEP_OUTPUT, -ENOMEM), EXIT_OUTPUT);
	ck_assert_int_eq(app_exit_code(APP_STEP_RUN, -EADDRINUSE), EXIT_RUNTIME);
	ck_assert_int_eq(app_exit_code(APP_STEP_RUN, -EPERM), EXIT_RUNTIME);
}
END_TEST

START_TEST(test_pidfile)
{
	ck_assert_int_eq(app_exit_code(APP_STEP_PIDFILE, -EEXIST), EXIT_RUNNING);
	ck_assert_int_eq(app_exit_code(APP_STEP_PIDFILE, -ELOOP), EXIT_OUTPUT);
	ck_assert_int_eq(app_exit_code(APP_STEP_PIDFILE, -EPERM), EXIT_OUTPUT);
	ck_assert_int_eq(app_exit_code(APP_STEP_PIDFILE, -EACCES), EXIT_RUNTIME);
	ck_assert_int_eq(app_exit_code(APP_STEP_PIDFILE, -EIO), EXIT_RUNTIME);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exit_code");
	TCase *tc = tcase_create("map");

	tcase_add_test(tc, test_success);
	tcase_add_test(tc, test_steps);
	tcase_add_test(tc, test_pidfile);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
