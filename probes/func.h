/* func.h - the func monitor's key and value, shared with src/monitors/func.c. */
#ifndef EM_PROBE_FUNC_H
#define EM_PROBE_FUNC_H

#define FUNC_PROBE_CEILING 64 /* programs the probe text defines; probe_limit's maximum */

struct func_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;   /* attribution (probes/attrib.h); 0 without */
	__u32 idx;   /* which function: position in the resolved list */
	__u32 pid;   /* 0 unless per_pid */
	char comm[16];
};

struct func_value {
	__u64 count;
};

#endif
