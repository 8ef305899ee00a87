/* test_kernel_semantics.c - sched_switch's prev_state classified as the kernel counts nvcsw and
 * nivcsw, on each kernel generation's encoding. */
#include <check.h>

#include "kernel_semantics.h"
#include "testutil.h"

START_TEST(test_preempt_bit_by_version)
{
	ck_assert_uint_eq(context_switch_preempt_bit(6, 18), 0x100);
	ck_assert_uint_eq(context_switch_preempt_bit(4, 14), 0x100);
	ck_assert_uint_eq(context_switch_preempt_bit(4, 9), 4096);
	ck_assert_uint_eq(context_switch_preempt_bit(4, 4), 2048);
	ck_assert_uint_eq(context_switch_preempt_bit(3, 10), 1024);
}
END_TEST

START_TEST(test_release_version)
{
	unsigned ma = 7, mi = 7;

	ck_assert(kernel_release_version("3.10.0-1160.el7.x86_64", &ma, &mi));
	ck_assert_uint_eq(ma, 3);
	ck_assert_uint_eq(mi, 10);
	/* unreadable: false, and the caller's defaults stay */
	ma = mi = 0;
	ck_assert(!kernel_release_version("6", &ma, &mi));
	ck_assert(!kernel_release_version(NULL, &ma, &mi));
	ck_assert_uint_eq(ma, 0);
	ck_assert_uint_eq(mi, 0);
	ck_assert(kernel_version(&ma, &mi));
	ck_assert_uint_ge(ma, 3);
}
END_TEST

START_TEST(test_voluntary_rule)
{
	unsigned long bit = context_switch_preempt_bit(6, 1);

	ck_assert(context_switch_voluntary(0x1, bit));          /* S: blocked, sleeping */
	ck_assert(context_switch_voluntary(0x2, bit));          /* D: uninterruptible */
	ck_assert(context_switch_voluntary(0x80, bit));         /* I: idle kthread wait */
	ck_assert(!context_switch_voluntary(0, bit));           /* R: runnable, not preempted */
	ck_assert(!context_switch_voluntary(0x100, bit));       /* R+: preempted */
	/* 3.10: preempted shows as TASK_RUNNING | TASK_STATE_MAX, a sleeper as its state */
	bit = context_switch_preempt_bit(3, 10);
	ck_assert(!context_switch_voluntary(1024, bit));
	ck_assert(context_switch_voluntary(1, bit));
}
END_TEST

START_TEST(test_names)
{
	char buf[16];

	ck_assert_str_eq(softirq_name(1, buf, sizeof(buf)), "TIMER");
	ck_assert_str_eq(softirq_name(3, buf, sizeof(buf)), "NET_RX");
	ck_assert_str_eq(softirq_name(9, buf, sizeof(buf)), "RCU");
	ck_assert_str_eq(softirq_name(12, buf, sizeof(buf)), "VEC12");
	ck_assert_str_eq(irq_type_str(0), "HARD");
	ck_assert_str_eq(irq_type_str(1), "SOFT");
	ck_assert_str_eq(page_fault_type_str(0), "MINOR");
	ck_assert_str_eq(page_fault_type_str(1), "MAJOR");
	ck_assert_str_eq(page_fault_type_str(7), "UNKNOWN");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel_semantics");
	TCase *tc = tcase_create("sched_switch");

	tcase_add_test(tc, test_preempt_bit_by_version);
	tcase_add_test(tc, test_voluntary_rule);
	tcase_add_test(tc, test_release_version);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
