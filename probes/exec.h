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
	__u32 pad;
	char comm[16];    /* the calling task, before the exec */
	char filename[EXEC_FILENAME_LEN];
	char args[EXEC_ARGS_SIZE];
};

#endif
