/* exec.h - the exec monitor's event, shared by probes/exec.bpf.c and src/monitors/exec.c. */
#ifndef EM_PROBE_EXEC_H
#define EM_PROBE_EXEC_H

#define EXEC_FILENAME_LEN 256
#define EXEC_ARG_LEN 128   /* bytes per argument, NUL included */
#define EXEC_ARGS_SIZE 1024 /* all arguments, NUL-separated */
#ifndef EXEC_MAX_ARGS
#define EXEC_MAX_ARGS 8
#endif

#define EXEC_F_ARGS_TRUNCATED 1u /* more arguments than captured */
#define EXEC_F_EXECVEAT 2u
#define EXEC_F_PARTS 4u /* kernels before 4.18: the arguments came ahead as exec_arg_parts */
/* The kernel's own, never sent (before 4.18): a slot between an exec's entry and its exit. */
#define EXEC_F_INFLIGHT 8u

/* Kernels before 4.18 (4.11 for some of it) let a program hand only stack memory to helpers,
 * and the stack is 512 bytes: the exit sends each argument as its own record, then the event
 * without its args. All of them in one program run, so they are consecutive in one CPU's perf
 * buffer, and user space joins them by CPU and thread. */
#define EXEC_PART_ARG 0x61726731u /* "arg1" */
struct exec_arg_part {
	__u32 kind; /* EXEC_PART_ARG */
	__u32 tid;
	__u32 index; /* argument number */
	__u32 pad;
	char data[EXEC_ARG_LEN] __attribute__((aligned(8))); /* no terminator when it is full */
};

struct exec_event {
	__u64 ts_ns;      /* bpf_ktime_get_ns() at entry */
	__u32 pid;        /* tgid */
	__u32 tid;
	__u32 ppid;       /* 0: unknown in the kernel, user space looks it up */
	__u32 uid;
	__u32 gid;
	__s32 retval;     /* 0, or -errno of a failed exec */
	__u32 argc;       /* arguments captured */
	__u32 args_size;  /* bytes used in args */
	__u32 flags;
	__u32 who; /* attribution (probes/attrib.h): em_who() at entry; 0 without */
	/* 8-aligned (where they are anyway): kernels before 4.18 copy them word by word */
	char comm[16] __attribute__((aligned(8))); /* the calling task, before the exec */
	char filename[EXEC_FILENAME_LEN] __attribute__((aligned(8)));
	char args[EXEC_ARGS_SIZE] __attribute__((aligned(8)));
};

#endif
