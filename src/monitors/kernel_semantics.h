/* kernel_semantics.h - what raw kernel values mean, per kernel version: pure functions shared
 * by monitors and unit-tested without a kernel. */
#ifndef EM_KERNEL_SEMANTICS_H
#define EM_KERNEL_SEMANTICS_H

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
 * was not runnable, else in nivcsw. */
bool context_switch_voluntary(int64_t prev_state, unsigned long preempt_bit);

/* "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER",
 * "RCU" (the kernel's softirq_to_name[]); "VEC<n>" in buf for others. */
const char *softirq_name(unsigned vec, char *buf, size_t len);

/* "HARD" or "SOFT" for the interrupt monitor's irq_type 0/1. */
const char *irq_type_str(unsigned type);

/* "MINOR" or "MAJOR" for the page_fault monitor's fault_type 0/1. */
const char *page_fault_type_str(unsigned type);

#endif
