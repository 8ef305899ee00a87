/* test_context_switch_rules.c - sched_switch's prev_state classified as the kernel counts nvcsw and
 * nivcsw, on each kernel generation's encoding. */
#include <check.h>

#include "monitors/context_switch_rules.h"
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

/* sched_switch's print fmt as 6.1 prints it (from this machine's tracefs), and as 3.10 and
 * 4.9 print it (their TP_printk with TASK_STATE_MAX, a plain number, expanded by cpp). */
static const char fmt_61[] =
	"print fmt: \"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s "
	"next_pid=%d next_prio=%d\", REC->prev_comm, REC->prev_pid, REC->prev_prio, "
	"(REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | "
	"0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1)) ? __print_flags(REC->prev_state & "
	"((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | "
	"0x00000020 | 0x00000040) + 1) << 1) - 1), \"|\", { 0x00000001, \"S\" }, { 0x00000002, "
	"\"D\" }, { 0x00000004, \"T\" }, { 0x00000008, \"t\" }, { 0x00000010, \"X\" }, "
	"{ 0x00000020, \"Z\" }, { 0x00000040, \"P\" }, { 0x00000080, \"I\" }) : \"R\", "
	"REC->prev_state & (((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | "
	"0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? \"+\" : \"\", REC->next_comm, "
	"REC->next_pid, REC->next_prio\n";
static const char fmt_310[] =
	"print fmt: \"prev_comm=%s ...\", REC->prev_comm, REC->prev_pid, REC->prev_prio, "
	"REC->prev_state & (1024-1) ? __print_flags(REC->prev_state & (1024-1), \"|\", "
	"{ 1, \"S\"} , { 2, \"D\" }) : \"R\", REC->prev_state & 1024 ? \"+\" : \"\", "
	"REC->next_comm, REC->next_pid, REC->next_prio\n";
static const char fmt_49[] =
	"print fmt: \"...\", REC->prev_state & (4096-1) ? __print_flags(REC->prev_state & "
	"(4096-1), \"|\", { 1, \"S\"}) : \"R\", REC->prev_state & 4096 ? \"+\" : \"\", "
	"REC->next_comm\n";

START_TEST(test_preempt_bit_from_format)
{
	unsigned long bit = 0;

	ck_assert(context_switch_preempt_bit_from_format(fmt_61, &bit));
	ck_assert_uint_eq(bit, 0x100);
	ck_assert(context_switch_preempt_bit_from_format(fmt_310, &bit));
	ck_assert_uint_eq(bit, 1024);
	ck_assert(context_switch_preempt_bit_from_format(fmt_49, &bit));
	ck_assert_uint_eq(bit, 4096);
	/* no marker, not one bit, not a constant: the version rule is used instead */
	bit = 7;
	ck_assert(!context_switch_preempt_bit_from_format("print fmt: \"x\", REC->a", &bit));
	ck_assert(!context_switch_preempt_bit_from_format("REC->prev_state & 0x300 ? \"+\" : \"\"",
							  &bit));
	ck_assert(!context_switch_preempt_bit_from_format(
		"REC->prev_state & TASK_REPORT_MAX ? \"+\" : \"\"", &bit));
	ck_assert(!context_switch_preempt_bit_from_format(NULL, &bit));
	ck_assert_uint_eq(bit, 7);
}
END_TEST

START_TEST(test_voluntary_rule)
{
	unsigned long bit = context_switch_preempt_bit(6, 1);

	ck_assert(context_switch_voluntary(0x1, bit));	  /* S: blocked, sleeping */
	ck_assert(context_switch_voluntary(0x2, bit));	  /* D: uninterruptible */
	ck_assert(context_switch_voluntary(0x80, bit));	  /* I: idle kthread wait */
	ck_assert(!context_switch_voluntary(0, bit));	  /* R: runnable, not preempted */
	ck_assert(!context_switch_voluntary(0x100, bit)); /* R+: preempted */
	/* 3.10: preempted shows as TASK_RUNNING | TASK_STATE_MAX, a sleeper as its state */
	bit = context_switch_preempt_bit(3, 10);
	ck_assert(!context_switch_voluntary(1024, bit));
	ck_assert(context_switch_voluntary(1, bit));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("context_switch_rules");
	TCase *tc = tcase_create("sched_switch");

	tcase_add_test(tc, test_preempt_bit_by_version);
	tcase_add_test(tc, test_preempt_bit_from_format);
	tcase_add_test(tc, test_voluntary_rule);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
