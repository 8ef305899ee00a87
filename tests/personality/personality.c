/* personality.c - an LD_PRELOAD shim that makes this kernel refuse what an older one lacks, so
 * the fallbacks for old kernels run for real on a new one. It wraps syscall(2), through which
 * both libbcc and ebpf-monitor call bpf(2), and refuses as the old kernel would (EINVAL):
 *   - BPF_PROG_LOAD of a program type the profile does not have;
 *   - BPF_MAP_CREATE of a map type the profile does not have;
 *   - BPF_RAW_TRACEPOINT_OPEN where the profile has no raw tracepoints.
 * The profile is named by EM_PERSONALITY; every refusal is counted on stderr when
 * EM_PERSONALITY_LOG=1. Unknown profile names abort the process: a test must not run unshimmed
 * by accident. Test code only: never installed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(x) (1ULL << (x))

struct profile {
	const char *name;
	unsigned long long prog_types; /* BIT(BPF_PROG_TYPE_*) the kernel loads */
	unsigned long long map_types;  /* BIT(BPF_MAP_TYPE_*) the kernel creates */
	int raw_tracepoints;
};

/* First kernel of each type, from bcc's docs/kernel-versions.md: socket filter 3.19, kprobe
 * 4.1, tracepoint 4.7, perf_event 4.9, raw tracepoint 4.17; hash/array 3.19, prog array 4.2,
 * perf event array 4.3, per-CPU hash/array and stack trace 4.6, LRU hash and LRU per-CPU hash
 * 4.10. RHEL 7.6+ (3.10.0-957) is a tracing-only backport: kprobe, tracepoint and perf_event
 * programs, no socket filter; which map types it has is not documented publicly: the profile
 * takes the 4.9 set without LRU, the narrowest that the target list allows. */
#define MAPS_49                                                                            \
	(BIT(BPF_MAP_TYPE_HASH) | BIT(BPF_MAP_TYPE_ARRAY) | BIT(BPF_MAP_TYPE_PROG_ARRAY) | \
	 BIT(BPF_MAP_TYPE_PERF_EVENT_ARRAY) | BIT(BPF_MAP_TYPE_PERCPU_HASH) |              \
	 BIT(BPF_MAP_TYPE_PERCPU_ARRAY) | BIT(BPF_MAP_TYPE_STACK_TRACE) |                  \
	 BIT(BPF_MAP_TYPE_CGROUP_ARRAY))
#define MAPS_410 (MAPS_49 | BIT(BPF_MAP_TYPE_LRU_HASH) | BIT(BPF_MAP_TYPE_LRU_PERCPU_HASH))
#define TRACING_49 \
	(BIT(BPF_PROG_TYPE_KPROBE) | BIT(BPF_PROG_TYPE_TRACEPOINT) | BIT(BPF_PROG_TYPE_PERF_EVENT))

static const struct profile profiles[] = {
	{ "rhel7", TRACING_49, MAPS_49, 0 },
	{ "4.9", TRACING_49 | BIT(BPF_PROG_TYPE_SOCKET_FILTER), MAPS_49, 0 },
	{ "4.15", TRACING_49 | BIT(BPF_PROG_TYPE_SOCKET_FILTER), MAPS_410, 0 },
	{ "4.18", TRACING_49 | BIT(BPF_PROG_TYPE_SOCKET_FILTER) | BIT(BPF_PROG_TYPE_RAW_TRACEPOINT),
	  MAPS_410, 1 },
};

static const struct profile *active;
static long (*real_syscall)(long, ...);
static unsigned long refused;

__attribute__((constructor)) static void personality_init(void)
{
	const char *name = getenv("EM_PERSONALITY");

	real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (!name || !*name)
		return;
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			active = &profiles[i];
	if (!active) {
		fprintf(stderr,
			"personality: unknown EM_PERSONALITY '%s' (rhel7, 4.9, 4.15, 4.18)\n",
			name);
		abort();
	}
}

__attribute__((destructor)) static void personality_fini(void)
{
	const char *log = getenv("EM_PERSONALITY_LOG");

	if (active && log && strcmp(log, "1") == 0)
		fprintf(stderr, "personality %s: %lu bpf call(s) refused\n", active->name, refused);
}

static long refuse(void)
{
	refused++;
	errno = EINVAL;
	return -1;
}

/* Nonzero when the kernel of the profile would take this bpf(2) call. */
static int allowed(int cmd, const union bpf_attr *a)
{
	if (!active || !a)
		return 1;
	switch (cmd) {
	case BPF_PROG_LOAD:
		return a->prog_type < 64 && (active->prog_types & BIT(a->prog_type));
	case BPF_MAP_CREATE:
		return a->map_type < 64 && (active->map_types & BIT(a->map_type));
	case BPF_RAW_TRACEPOINT_OPEN:
		return active->raw_tracepoints;
	default:
		return 1;
	}
}

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf && !allowed((int)a[0], (const union bpf_attr *)a[1]))
		return refuse();
	return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
