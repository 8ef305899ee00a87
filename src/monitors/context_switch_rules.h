/* context_switch_rules.h - what sched_switch's prev_state means, per kernel version: the
 * context_switch monitor's pure functions, unit-tested without a kernel
 * (tests/unit/test_context_switch_rules.c). */
#ifndef EM_CONTEXT_SWITCH_RULES_H
#define EM_CONTEXT_SWITCH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bit sched_switch sets in prev_state when prev was preempted, read from the event's own
 * format file: its print fmt ends the state with `REC->prev_state & <bit> ? "+" : ""`, the bit
 * as the kernel computed it (1024 on 3.10, 4096 on 4.9, 0x100 since 4.14; backports differ).
 * False when the text has no such expression. */
bool context_switch_preempt_bit_from_format(const char *format, unsigned long *bit);
/* The same by kernel version, where the format cannot be read. */
unsigned long context_switch_preempt_bit(unsigned major, unsigned minor);

/* The kernel's own rule (__schedule): a switch counts in nvcsw when prev was not preempted and
 * was not runnable, else in nivcsw. The probe applies it (probes/context_switch.bpf.c); this
 * copy states it where a test can check it. */
bool context_switch_voluntary(int64_t prev_state, unsigned long preempt_bit);

#endif
