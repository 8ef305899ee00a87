/* syscall_table.c - syscall names by number (tables generated from the kernel headers at build
 * time, see cmake/gen_syscalls.c) and the category of each name (classified here, by hand). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "monitors/syscall_table.h"
#include "syscall_names.h" /* generated: gen_syscalls_<abi>[], _len, _count */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct syscall_names {
	const char *const *names; /* indexed by number; NULL where a number has no name */
	unsigned len;
	unsigned count;
};

static const struct syscall_names tables[SYSCALL_NABIS] = {
	[SYSCALL_ABI_X86_64] = { gen_syscalls_x86_64, gen_syscalls_x86_64_len,
				 gen_syscalls_x86_64_count },
	[SYSCALL_ABI_AARCH64] = { gen_syscalls_aarch64, gen_syscalls_aarch64_len,
				  gen_syscalls_aarch64_count },
};

static const struct syscall_names no_names;

static const struct syscall_names *table(enum syscall_abi abi)
{
	return (unsigned)abi < SYSCALL_NABIS ? &tables[abi] : &no_names;
}

/* Other machines have no table of their own: their numbers would be misnamed by either. */
static const struct syscall_names *native(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return &tables[SYSCALL_ABI_X86_64];
#elif defined(__aarch64__) && !defined(__ILP32__)
	return &tables[SYSCALL_ABI_AARCH64];
#else
	return &no_names;
#endif
}

static const char *lookup_name(const struct syscall_names *t, unsigned nr)
{
	return nr < t->len ? t->names[nr] : NULL;
}

static int lookup_number(const struct syscall_names *t, const char *name)
{
	if (!name)
		return -1;
	for (unsigned nr = 0; nr < t->len; nr++)
		if (t->names[nr] && !strcmp(t->names[nr], name))
			return (int)nr;
	return -1;
}

const char *syscall_name(unsigned nr)
{
	return lookup_name(native(), nr);
}

int syscall_name_fmt(unsigned nr, char *buf, size_t len)
{
	const char *name = syscall_name(nr);

	if (name)
		return snprintf(buf, len, "%s", name);
	return snprintf(buf, len, "syscall_%u", nr);
}

int syscall_number(const char *name)
{
	return lookup_number(native(), name);
}

unsigned syscall_max(void)
{
	return native()->len;
}

const char *syscall_name_abi(enum syscall_abi abi, unsigned nr)
{
	return lookup_name(table(abi), nr);
}

int syscall_number_abi(enum syscall_abi abi, const char *name)
{
	return lookup_number(table(abi), name);
}

unsigned syscall_max_abi(enum syscall_abi abi)
{
	return table(abi)->len;
}

unsigned syscall_count_abi(enum syscall_abi abi)
{
	return table(abi)->count;
}

/*
 * Categories. One list per category; a name in none is "other". The lists name the calls of
 * both ABIs (aarch64 has openat but no open; x86_64 has both) and some newer than the installed
 * headers, so a header upgrade does not turn known calls into "other". They are kept packed,
 * to be read as lists.
 */

/* clang-format off */
/* Anything on a file or file descriptor: paths, metadata, data, readiness and async I/O. */
static const char *const file_io_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range",
	"open_by_handle_at", "name_to_handle_at", "lseek", "stat", "fstat", "lstat",
	"newfstatat", "statx", "statfs", "fstatfs", "ustat", "access", "faccessat",
	"faccessat2", "dup", "dup2", "dup3", "fcntl", "flock", "ioctl", "fsync", "fdatasync",
	"sync", "syncfs", "sync_file_range", "truncate", "ftruncate", "fallocate",
	"fadvise64", "readahead", "cachestat", "getdents", "getdents64", "getcwd", "chdir",
	"fchdir", "chroot", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
	"link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink",
	"readlinkat", "mknod", "mknodat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown",
	"fchown", "lchown", "fchownat", "utime", "utimes", "futimesat", "utimensat",
	"setxattr", "lsetxattr", "fsetxattr", "setxattrat", "getxattr", "lgetxattr",
	"fgetxattr", "getxattrat", "listxattr", "llistxattr", "flistxattr", "listxattrat",
	"removexattr", "lremovexattr", "fremovexattr", "removexattrat", "file_getattr",
	"file_setattr", "sendfile", "splice", "tee", "vmsplice", "copy_file_range",
	/* Readiness: select/poll/epoll wait on any descriptor, so they count as I/O. */
	"select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl_old", "epoll_wait_old",
	"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"fanotify_init", "fanotify_mark", "io_setup", "io_destroy", "io_submit", "io_cancel",
	"io_getevents", "io_pgetevents", "io_uring_setup", "io_uring_enter",
	"io_uring_register",
};

static const char *const network_calls[] = {
	"socket", "socketpair", "bind", "listen", "connect", "accept", "accept4", "shutdown",
	"getsockname", "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom",
	"sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "socketcall",
};

/* Address space, its policy and protection, and memory-backed descriptors. */
static const char *const memory_calls[] = {
	"mmap", "munmap", "mremap", "mprotect", "pkey_mprotect", "pkey_alloc", "pkey_free",
	"brk", "madvise", "process_madvise", "mincore", "msync", "mlock", "mlock2",
	"mlockall", "munlock", "munlockall", "remap_file_pages", "membarrier", "mbind",
	"set_mempolicy", "get_mempolicy", "set_mempolicy_home_node", "migrate_pages",
	"move_pages", "memfd_create", "memfd_secret", "userfaultfd", "process_mrelease",
	"process_vm_readv", "process_vm_writev", "swapon", "swapoff", "map_shadow_stack",
	"mseal",
};

/* Life cycle, identity, credentials, scheduling, limits and the process's own settings. */
static const char *const process_calls[] = {
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group",
	"wait4", "waitid", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
	"getegid", "setuid", "setgid", "setreuid", "setregid", "setresuid", "getresuid",
	"setresgid", "getresgid", "setfsuid", "setfsgid", "getgroups", "setgroups",
	"setpgid", "getpgid", "getpgrp", "setsid", "getsid", "capget", "capset", "prctl",
	"arch_prctl", "personality", "set_tid_address", "set_thread_area", "get_thread_area",
	"modify_ldt", "rseq", "sched_yield", "sched_setparam", "sched_getparam",
	"sched_setscheduler", "sched_getscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_setaffinity",
	"sched_getaffinity", "sched_setattr", "sched_getattr", "getpriority", "setpriority",
	"ioprio_get", "ioprio_set", "getrlimit", "setrlimit", "prlimit64", "getrusage",
	"umask", "getcpu", "unshare", "setns", "ptrace", "kcmp", "pidfd_open", "pidfd_getfd",
	"seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
};

/*
 * futex (and its robust lists) is here, not in process: it is how threads and processes
 * wait for each other on shared memory, the kernel half of every mutex and condition variable.
 */
static const char *const ipc_calls[] = {
	"pipe", "pipe2", "eventfd", "eventfd2", "msgget", "msgsnd", "msgrcv", "msgctl",
	"semget", "semop", "semtimedop", "semctl", "shmget", "shmat", "shmdt", "shmctl",
	"mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
	"mq_getsetattr", "ipc", "futex", "futex_waitv", "futex_wake", "futex_wait",
	"futex_requeue", "set_robust_list", "get_robust_list",
};

static const char *const signal_calls[] = {
	"kill", "tkill", "tgkill", "pidfd_send_signal", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo",
	"rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "signalfd", "signalfd4", "pause",
	/* Only ever the tail of a call a signal interrupted. */
	"restart_syscall",
};

static const char *const time_calls[] = {
	"clock_gettime", "clock_settime", "clock_getres", "clock_nanosleep", "clock_adjtime",
	"gettimeofday", "settimeofday", "adjtimex", "time", "times", "nanosleep", "alarm",
	"getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
	"timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
	"timerfd_gettime",
};
/* clang-format on */

static const struct category {
	const char *name;
	const char *const *calls;
	size_t ncalls;
} categories[SC_NCATEGORIES] = {
	[SC_FILE_IO] = { "file_io", file_io_calls, ARRAY_SIZE(file_io_calls) },
	[SC_NETWORK] = { "network", network_calls, ARRAY_SIZE(network_calls) },
	[SC_MEMORY] = { "memory", memory_calls, ARRAY_SIZE(memory_calls) },
	[SC_PROCESS] = { "process", process_calls, ARRAY_SIZE(process_calls) },
	[SC_IPC] = { "ipc", ipc_calls, ARRAY_SIZE(ipc_calls) },
	[SC_SIGNAL] = { "signal", signal_calls, ARRAY_SIZE(signal_calls) },
	[SC_TIME] = { "time", time_calls, ARRAY_SIZE(time_calls) },
	[SC_OTHER] = { "other", NULL, 0 },
};

const char *syscall_category_name(enum syscall_category cat)
{
	return (unsigned)cat < SC_NCATEGORIES ? categories[cat].name : categories[SC_OTHER].name;
}

enum syscall_category syscall_category_of(const char *name)
{
	if (!name)
		return SC_OTHER;
	for (unsigned c = 0; c < SC_NCATEGORIES; c++)
		for (size_t i = 0; i < categories[c].ncalls; i++)
			if (!strcmp(categories[c].calls[i], name))
				return (enum syscall_category)c;
	return SC_OTHER;
}

enum syscall_category syscall_category_of_nr(unsigned nr)
{
	return syscall_category_of(syscall_name(nr));
}

int syscall_category_parse(const char *name)
{
	if (!name)
		return -EINVAL;
	for (unsigned c = 0; c < SC_NCATEGORIES; c++)
		if (!strcasecmp(categories[c].name, name))
			return (int)c;
	return -EINVAL;
}
