/* sample.h - in-kernel sampling under an overhead budget (probes/common.h's em_sample_skip,
 * compiled in with EM_SAMPLING): the per-CPU state, shared with src/monitors/sampling.c. */
#ifndef EM_PROBE_SAMPLE_H
#define EM_PROBE_SAMPLE_H

/* The value of em_sample_cpu[0], one per CPU. */
struct em_sample_state {
	__u64 seen;   /* events that reached the sampling line on this CPU (counted or not) */
	__u32 left;   /* events until the next counted one (that one included) */
	__u32 weight; /* what the next counted event adds: the N its gap was drawn with */
};

#define EM_SAMPLE_MAX 1024 /* the largest N user space writes (src/monitors/budget.h) */

#endif
