/* kernel_semantics.c - version-dependent meanings of tracepoint values. */
#include "kernel_semantics.h"

#include <stdio.h>
#include <sys/utsname.h>

bool kernel_release_version(const char *release, unsigned *major, unsigned *minor)
{
	unsigned ma, mi;

	if (!release || sscanf(release, "%u.%u", &ma, &mi) != 2)
		return false;
	*major = ma;
	*minor = mi;
	return true;
}

bool kernel_version(unsigned *major, unsigned *minor)
{
	struct utsname u;

	return uname(&u) == 0 && kernel_release_version(u.release, major, minor);
}

unsigned long context_switch_preempt_bit(unsigned major, unsigned minor)
{
	unsigned v = major * 1000 + minor;

	/* TASK_REPORT_MAX since 4.14; before, TASK_STATE_MAX, which grew with new states. */
	if (v >= 4014)
		return 0x100;
	if (v >= 4008)
		return 4096; /* after TASK_NEW */
	if (v >= 4002)
		return 2048; /* after TASK_NOLOAD */
	return 1024;         /* 3.x: after TASK_PARKED */
}

bool context_switch_voluntary(int64_t prev_state, unsigned long preempt_bit)
{
	return prev_state != 0 && !((uint64_t)prev_state & preempt_bit);
}

const char *softirq_name(unsigned vec, char *buf, size_t len)
{
	/* include/linux/interrupt.h; IRQ_POLL was BLOCK_IOPOLL before 4.5. */
	static const char *const names[] = {
		"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED",
		"HRTIMER", "RCU",
	};

	if (vec < sizeof(names) / sizeof(names[0]))
		return names[vec];
	snprintf(buf, len, "VEC%u", vec);
	return buf;
}

const char *irq_type_str(unsigned type)
{
	return type == 0 ? "HARD" : type == 1 ? "SOFT" : "UNKNOWN";
}

const char *page_fault_type_str(unsigned type)
{
	return type == 1 ? "MAJOR" : type == 0 ? "MINOR" : "UNKNOWN";
}
