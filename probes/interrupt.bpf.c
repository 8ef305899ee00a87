/* interrupt.bpf.c - hard IRQs and softirqs per (cpu, number, interrupted task), with handling
 * latency from entry/exit pairs.
 *
 * Attribution: an interrupt is counted under the task it interrupted, the task current on the
 * CPU when the handler runs (the comm in the key is that task's too), so em_who() here is that
 * task's process's class: a softirq raised by a process's own network traffic usually runs in
 * its context, a device's IRQ lands on whatever ran, the idle task included. The class is taken
 * at entry and kept for the exit (irq_start.who). */
#include "common.h"
#include "interrupt.h"

#ifndef IRQ_MAP_ENTRIES
#define IRQ_MAP_ENTRIES 10240
#endif
#ifndef IRQ_NAME_OFF
#define IRQ_NAME_OFF 12 /* irq_handler_entry's __data_loc name, from the format file */
#endif

BPF_HASH(irq_counts, struct irq_key, struct irq_value, IRQ_MAP_ENTRIES);
BPF_PERCPU_ARRAY(irq_start_hard, struct irq_start, 1);
BPF_PERCPU_ARRAY(irq_start_soft, struct irq_start, 1);
BPF_HASH(irq_names, __u32, struct irq_name, 1024); /* handler names, filled once per IRQ */

/* Record layouts: irq_handler_entry/exit {int irq @8}, softirq_entry/exit {unsigned vec @8}:
 * the same since 2.6.x. */
struct irq_args {
	__u64 common;
	__s32 irq;
};

static __always_inline struct irq_value *irq_value_of(__u32 type, __u32 irq, __u32 who)
{
	struct irq_key k = {};
	struct irq_value *v;

	k.epoch = em_epoch_now();
	k.who = who;
	k.cpu = bpf_get_smp_processor_id();
	k.type = type;
	k.irq = irq;
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
	v = irq_counts.lookup(&k);
	if (!v) {
		struct irq_value zero = {};

		irq_counts.insert(&k, &zero);
		v = irq_counts.lookup(&k);
		if (!v)
			em_count(EM_STAT_MAP_FULL);
	}
	return v;
}

/* Interrupts are counted whoever they interrupt; only the configured filters (not the
 * monitor's own pid) select by the interrupted task. */
static __always_inline int irq_entry(struct irq_start *s, __u32 type, __u32 irq)
{
	struct irq_value *v;
	__u32 who;

	if (!s)
		return 0;
	s->ts = 0;
	if (em_filtered_current())
		return 0;
	who = em_who();
	s->irq = irq;
	s->who = who;
	if (em_who_skipped(who))
		return 0; /* the exit sees the class and does not call it unmatched */
	v = irq_value_of(type, irq, who);
	if (!v)
		return 0;
	__sync_fetch_and_add(&v->count, 1);
	s->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int irq_exit(struct irq_start *s, __u32 type, __u32 irq)
{
	struct irq_value *v;
	__u64 d;

	if (!s)
		return 0;
	if (!s->ts || s->irq != irq) {
		/* No entry of this number waiting: it was outside the counted span (the handler was
		 * running when the entry probe attached, or began after the stop disabled the entry
		 * probes, which go first: loader.c) or not counted (filtered, a skipped class). Its
		 * interrupt is not in the counts, so nothing is lost: not reported (an operator read
		 * "events lost" at every stop). An entry of another number still waiting is a pair
		 * broken by nesting: that interrupt is counted, its latency sample is lost. */
		if (s->ts)
			em_count(EM_STAT_UNMATCHED);
		return 0;
	}
	d = bpf_ktime_get_ns() - s->ts;
	s->ts = 0;
	v = irq_value_of(type, irq, s->who);
	if (!v)
		return 0;
	v->lat_count++;
	v->lat_sum_ns += d;
	if (d > v->lat_max_ns)
		v->lat_max_ns = d;
	return 0;
}

/* The handler's name comes from the record (a __data_loc string: offset | length << 16). */
static __always_inline void irq_remember_name(void *ctx, __u32 irq)
{
	struct irq_name n = {};
	__u32 loc = 0;

	if (irq_names.lookup(&irq))
		return;
	bpf_probe_read(&loc, sizeof(loc), (char *)ctx + IRQ_NAME_OFF);
	em_read_str(n.name, sizeof(n.name), (char *)ctx + (loc & 0xffff));
	irq_names.update(&irq, &n);
}

int tp_irq_entry(struct irq_args *ctx)
{
	int zero = 0;

	irq_remember_name(ctx, (__u32)ctx->irq);
	return irq_entry(irq_start_hard.lookup(&zero), IRQ_HARD, (__u32)ctx->irq);
}

int tp_irq_exit(struct irq_args *ctx)
{
	int zero = 0;

	return irq_exit(irq_start_hard.lookup(&zero), IRQ_HARD, (__u32)ctx->irq);
}

int tp_softirq_entry(struct irq_args *ctx)
{
	int zero = 0;

	return irq_entry(irq_start_soft.lookup(&zero), IRQ_SOFT, (__u32)ctx->irq);
}

int tp_softirq_exit(struct irq_args *ctx)
{
	int zero = 0;

	return irq_exit(irq_start_soft.lookup(&zero), IRQ_SOFT, (__u32)ctx->irq);
}
