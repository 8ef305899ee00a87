/* task_slots.h - the task-slot cache's records (probes/common.h's EM_TASK_SLOTS part), shared
 * with user space (src/monitors/task_slots.c). */
#ifndef EM_PROBE_TASK_SLOTS_H
#define EM_PROBE_TASK_SLOTS_H

#define EM_SLOT_NONE 0xffffffffu /* the name has no slot: the hash path */
#define EM_SLOT_SKIP 0xfffffffeu /* not measured: the monitor itself, or filtered out */
#define EM_HOT_AT 1024		 /* a hash-path count that makes its name a slot candidate */
#define EM_HOT_N 4		 /* candidates kept per CPU between two reads by user space */

/* Per CPU: the thread running there, as last seen by the probe. */
struct em_task {
	__u64 pid_tgid;
	__u32 gen; /* em_gen when this was filled */
	__u32 slot;
	char comm[16];
	__u32 who; /* em_who() (probes/attrib.h); 0 without attribution */
	__u32 pad;
};

/* What a slot counts for: a task name and, with attribution, its who value (em_slot_of's key). */
struct em_task_key {
	char name[16];
	__u32 who;
	__u32 pad;
};

/* Per CPU: names that got hot on the hash path since user space last read (and cleared) this. */
struct em_hot_names {
	__u32 n;
	__u32 pad;
	struct em_task_key key[EM_HOT_N];
};

#endif
