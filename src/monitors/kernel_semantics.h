/* kernel_semantics.h - what raw kernel values mean, per kernel version: pure functions shared
 * by monitors and unit-tested without a kernel. */
#ifndef EM_KERNEL_SEMANTICS_H
#define EM_KERNEL_SEMANTICS_H

#include <stdbool.h>
#include <stdint.h>

/* The bit sched_switch sets in prev_state when prev was preempted. */
unsigned long context_switch_preempt_bit(unsigned major, unsigned minor);

/* The kernel's own rule (__schedule): a switch counts in nvcsw when prev was not preempted and
 * was not runnable, else in nivcsw. */
bool context_switch_voluntary(int64_t prev_state, unsigned long preempt_bit);

#endif
