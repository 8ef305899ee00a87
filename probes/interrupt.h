/* interrupt.h - the interrupt monitor's key and value, shared with src/monitors/interrupt.c. */
#ifndef EM_PROBE_INTERRUPT_H
#define EM_PROBE_INTERRUPT_H

#define IRQ_HARD 0
#define IRQ_SOFT 1

struct irq_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;   /* attribution (probes/attrib.h): the interrupted task's; 0 without */
	__u32 cpu;
	__u32 type;  /* IRQ_HARD, IRQ_SOFT */
	__u32 irq;   /* IRQ number, or softirq vector */
	char comm[16]; /* the interrupted task */
};

/* Only the CPU in the key writes it, and a hard IRQ never nests in its own kind. */
struct irq_value {
	__u64 count;
	__u64 lat_count;
	__u64 lat_sum_ns;
	__u64 lat_max_ns;
};

/* Per CPU: when the handler now running began, and whom it interrupted (the exit counts its
 * latency under the entry's key without a second lookup). */
struct irq_start {
	__u64 ts;
	__u32 irq;
	__u32 who;
};

/* 8-aligned: kernels before 4.11 read it word by word on the stack (probes/common.h). */
struct irq_name {
	char name[32] __attribute__((aligned(8)));
};

#endif
