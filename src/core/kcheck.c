/* kcheck.c - kernel capability detection for --check and for clear startup errors. Uses the
 * bpf(2) and perf_event_open(2) system calls directly: no libbcc, no compiling. */
#include "core/kcheck.h"

#include <errno.h>
#include <stdarg.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/kversion.h"
#include "core/tracefs.h"

static const char *const names[KF_COUNT] = {
	[KF_BPF_SYSCALL] = "bpf syscall",
	[KF_TRACEFS] = "tracefs",
	[KF_HEADERS] = "kernel headers",
	[KF_KPROBES] = "kprobes",
	[KF_TRACEPOINTS] = "tracepoints",
	[KF_SYSCALL_TRACEPOINTS] = "syscall tracepoints",
	[KF_RAW_TRACEPOINTS] = "raw tracepoints",
	[KF_PERF_EVENTS] = "perf events",
	[KF_BTF] = "BTF",
	[KF_KERNEL_VERSION] = "kernel version",
	[KF_BPF_HELPERS] = "BPF features",
};

const char *kcheck_name(enum kfeature f)
{
	return names[f];
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Loads insns as `type` with kern_version; returns the fd or -errno. */
static int load_prog(enum bpf_prog_type type, const struct bpf_insn *insns, unsigned n,
		     unsigned kern_version)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (unsigned long)insns;
	a.insn_cnt = n;
	a.license = (unsigned long)"GPL";
	a.kern_version = kern_version;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_K(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_K(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define CALL(h) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, h)
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP(d, fd) \
	INSN(BPF_LD | BPF_IMM | BPF_DW, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

/* Loads "r0 = 0; exit" as `type`; returns the fd or -errno. Kernels before 5.0 check
 * kern_version for kprobe programs. */
static int load_trivial(enum bpf_prog_type type)
{
	const struct bpf_insn insns[] = { MOV_K(0, 0), EXIT };

	return load_prog(type, insns, 2, kversion_running(NULL));
}

/* Loads insns as a tracing program of a type this kernel has (tracepoint, else kprobe): 0 when
 * the kernel takes it. */
static bool tracing_prog_loads(const struct bpf_insn *insns, unsigned n)
{
	static const enum bpf_prog_type types[] = { BPF_PROG_TYPE_TRACEPOINT,
						    BPF_PROG_TYPE_KPROBE };

	for (size_t i = 0; i < 2; i++) {
		int fd = load_prog(types[i], insns, n, kversion_running(NULL));

		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

/* A one-entry map; its fd or -1. */
static int create_map(enum bpf_map_type type, unsigned key_size, unsigned value_size,
		      unsigned flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.map_flags = flags;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = 1;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

/* Looks up key 0 in an array map (16-byte values), then: with a hash map, uses the value as
 * that map's key; without, writes the task name into the value. */
static bool map_value_prog_loads(bool as_key)
{
	int arr = create_map(BPF_MAP_TYPE_ARRAY, 4, 16, 0);
	int hash = as_key ? create_map(BPF_MAP_TYPE_HASH, 8, 8, 0) : -1;
	bool ok = false;

	if (arr >= 0 && as_key && hash >= 0) {
		const struct bpf_insn insns[] = {
			INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
			LD_MAP(1, arr),
			MOV_X(2, 10),
			ADD_K(2, -4),
			CALL(BPF_FUNC_map_lookup_elem),
			INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4, 0),
			LD_MAP(1, hash),
			MOV_X(2, 0),
			CALL(BPF_FUNC_map_lookup_elem),
			MOV_K(0, 0),
			EXIT,
		};

		ok = tracing_prog_loads(insns, sizeof(insns) / sizeof(insns[0]));
	} else if (arr >= 0 && !as_key) {
		const struct bpf_insn insns[] = {
			INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
			LD_MAP(1, arr),
			MOV_X(2, 10),
			ADD_K(2, -4),
			CALL(BPF_FUNC_map_lookup_elem),
			INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0),
			MOV_X(1, 0),
			MOV_K(2, 16),
			CALL(BPF_FUNC_get_current_comm),
			MOV_K(0, 0),
			EXIT,
		};

		ok = tracing_prog_loads(insns, sizeof(insns) / sizeof(insns[0]));
	}
	if (arr >= 0)
		close(arr);
	if (hash >= 0)
		close(hash);
	return ok;
}

/* A tracepoint program attached to syscalls:sys_enter_getppid (and detached at once). */
static bool syscall_tp_takes_bpf(void)
{
	const struct bpf_insn insns[] = { MOV_K(0, 0), EXIT };
	struct perf_event_attr pa;
	const char *t = tracefs_path();
	char p[512];
	int prog, pfd, id = -1;
	bool ok = false;
	FILE *f;

	if (!t)
		return false;
	snprintf(p, sizeof(p), "%s/events/syscalls/sys_enter_getppid/id", t);
	f = fopen(p, "re");
	if (!f)
		return false;
	if (fscanf(f, "%d", &id) != 1)
		id = -1;
	fclose(f);
	prog = load_prog(BPF_PROG_TYPE_TRACEPOINT, insns, 2, 0);
	if (id < 0 || prog < 0)
		goto out;
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = (unsigned long long)id;
	pa.sample_type = PERF_SAMPLE_RAW;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	pfd = (int)syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd >= 0) {
		ok = ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) == 0;
		close(pfd);
	}
out:
	if (prog >= 0)
		close(prog);
	return ok;
}

static const char *const kbpf_names[KBPF_COUNT] = {
	[KBPF_PROBE_READ_STR] = "probe_read_str",
	[KBPF_NUMA_NODE_ID] = "get_numa_node_id",
	[KBPF_MAP_VALUE_HELPER_MEM] = "helper memory in map values",
	[KBPF_MAP_VALUE_KEYS] = "map values as map keys",
	[KBPF_SYSCALL_TP] = "BPF on syscall tracepoints",
	[KBPF_KPROBE_KERN_VERSION] = "kprobes need kern_version",
	[KBPF_BOUNDED_LOOPS] = "bounded loops",
};

const char *kcheck_bpf_name(enum kbpf f)
{
	return kbpf_names[f];
}

static bool probe_bpf(enum kbpf f)
{
	switch (f) {
	case KBPF_PROBE_READ_STR: {
		const struct bpf_insn insns[] = { MOV_X(1, 10),
						  ADD_K(1, -16),
						  MOV_K(2, 16),
						  MOV_K(3, 0),
						  CALL(BPF_FUNC_probe_read_str),
						  MOV_K(0, 0),
						  EXIT };

		return tracing_prog_loads(insns, sizeof(insns) / sizeof(insns[0]));
	}
	case KBPF_NUMA_NODE_ID: {
		const struct bpf_insn insns[] = { CALL(BPF_FUNC_get_numa_node_id), MOV_K(0, 0),
						  EXIT };

		return tracing_prog_loads(insns, sizeof(insns) / sizeof(insns[0]));
	}
	case KBPF_MAP_VALUE_HELPER_MEM:
		return map_value_prog_loads(false);
	case KBPF_MAP_VALUE_KEYS:
		return map_value_prog_loads(true);
	case KBPF_SYSCALL_TP:
		return syscall_tp_takes_bpf();
	case KBPF_KPROBE_KERN_VERSION: {
		const struct bpf_insn insns[] = { MOV_K(0, 0), EXIT };
		int fd = load_prog(BPF_PROG_TYPE_KPROBE, insns, 2, 0);

		if (fd >= 0)
			close(fd);
		return fd < 0;
	}
	case KBPF_BOUNDED_LOOPS: {
		/* r1 = 3; do r1 -= 1; while (r1 != 0) */
		const struct bpf_insn insns[] = { MOV_K(0, 0), MOV_K(1, 3), ADD_K(1, -1),
						  INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, -2, 0),
						  EXIT };

		return tracing_prog_loads(insns, sizeof(insns) / sizeof(insns[0]));
	}
	case KBPF_COUNT:
		break;
	}
	return false;
}

static signed char known[KBPF_COUNT];	   /* 0 not probed, 1 yes, -1 no */
static signed char map_forced[KMAP_COUNT]; /* 0 ask the kernel, 1 yes, -1 no */

bool kcheck_bpf(enum kbpf f)
{
	if (f >= KBPF_COUNT)
		return false;
	if (!known[f])
		known[f] = probe_bpf(f) ? 1 : -1;
	return known[f] > 0;
}

void kcheck_force_bpf(enum kbpf f, int answer)
{
	if (f < KBPF_COUNT)
		known[f] = (signed char)(answer > 0 ? 1 : answer == 0 ? -1 : 0);
}

void kcheck_force_map(enum kmap kind, int answer)
{
	if (kind < KMAP_COUNT)
		map_forced[kind] = (signed char)(answer > 0 ? 1 : answer == 0 ? -1 : 0);
}

bool kcheck_map_supported(enum kmap kind)
{
	int fd;

	if (kind < KMAP_COUNT && map_forced[kind])
		return map_forced[kind] > 0;
	fd = create_map(kind == KMAP_LRU_HASH	  ? BPF_MAP_TYPE_LRU_HASH :
			kind == KMAP_PERCPU_ARRAY ? BPF_MAP_TYPE_PERCPU_ARRAY :
						    BPF_MAP_TYPE_HASH,
			4, 8, kind == KMAP_HASH_NO_PREALLOC ? BPF_F_NO_PREALLOC : 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void __attribute__((format(printf, 3, 4)))
set(struct kfeature_result *r, bool ok, const char *fmt, ...)
{
	va_list ap;

	r->ok = ok;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

static void check_headers(struct kfeature_result *r)
{
	struct utsname u;
	char p[512], target[512];
	ssize_t n;

	uname(&u);
	/* Debian splits headers into <ver>-<arch> (build) and <ver>-common (source). */
	snprintf(p, sizeof(p), "/lib/modules/%s/build/include/linux/kconfig.h", u.release);
	snprintf(target, sizeof(target), "/lib/modules/%s/source/include/linux/kconfig.h",
		 u.release);
	if (access(p, R_OK) != 0 && access(target, R_OK) != 0) {
		snprintf(r->detail, sizeof(r->detail),
			 "not found for %s: install linux-headers-%s (Debian/Ubuntu) or "
			 "kernel-devel-%s (RHEL), or run scripts/setup.sh",
			 u.release, u.release, u.release);
		r->ok = false;
		return;
	}
	r->ok = true;
	snprintf(p, sizeof(p), "/lib/modules/%s/build", u.release);
	n = readlink(p, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (!strstr(target, u.release)) {
			snprintf(r->detail, sizeof(r->detail),
				 "%s (not from this kernel's package: usable because no probe "
				 "reads kernel structs)",
				 target);
			return;
		}
	}
	snprintf(r->detail, sizeof(r->detail), "/lib/modules/%s/build", u.release);
}

/* Tracing program types first: RHEL 7's backport (3.10.0-957+) loads kprobe, tracepoint and
 * perf_event programs only, and refuses a socket filter. */
static void check_bpf_syscall(struct kfeature_result *r)
{
	static const struct {
		enum bpf_prog_type type;
		const char *name;
	} kinds[] = {
		{ BPF_PROG_TYPE_TRACEPOINT, "tracepoint" },
		{ BPF_PROG_TYPE_KPROBE, "kprobe" },
		{ BPF_PROG_TYPE_SOCKET_FILTER, "socket filter" },
	};
	int fd, first = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		fd = load_trivial(kinds[i].type);
		if (fd >= 0) {
			close(fd);
			set(r, true, "programs load (%s)", kinds[i].name);
			return;
		}
		if (!first)
			first = fd;
		if (fd == -ENOSYS || fd == -EPERM)
			break;
	}
	fd = first;
	if (fd == -ENOSYS) {
		set(r, false, "not built into this kernel (CONFIG_BPF_SYSCALL=n)");
	} else if (fd == -EPERM) {
		set(r, false, "permission denied: run as root");
	} else {
		set(r, false, "BPF_PROG_LOAD of a tracepoint program failed: %s", strerror(-fd));
	}
}

/* t: tracefs_path() */
static void check_kprobes(struct kfeature_result *r, const char *t)
{
	char p[512];

	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0) {
		set(r, true, "kprobe PMU");
		return;
	}
	if (t) {
		snprintf(p, sizeof(p), "%s/kprobe_events", t);
		if (access(p, F_OK) == 0) {
			set(r, true, "%s", p);
			return;
		}
	}
	set(r, false, "%s",
	    t ? "not available: kernel built without CONFIG_KPROBES (no kprobe PMU, no "
		"kprobe_events)" :
		"unknown: tracefs not mounted and no kprobe PMU");
}

static void check_syscall_tracepoints(struct kfeature_result *r, const char *t)
{
	if (tracefs_event_exists("raw_syscalls", "sys_enter") &&
	    tracefs_event_exists("syscalls", "sys_enter_execve")) {
		if (kcheck_bpf(KBPF_SYSCALL_TP))
			set(r, true, "raw_syscalls and syscalls:sys_enter_*");
		else
			set(r, true,
			    "raw_syscalls; syscalls:sys_enter_* exist but take no BPF "
			    "program (before 4.14): exec and open use kprobes or raw_syscalls");
	} else
		set(r, false, t ? "missing (CONFIG_FTRACE_SYSCALLS=n)" : "tracefs not mounted");
}

static void check_raw_tracepoints(struct kfeature_result *r)
{
	union bpf_attr a;
	int fd, tp;

	fd = load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT);
	if (fd < 0) {
		set(r, false, "program type not supported (needs 4.17+): %s", strerror(-fd));
		return;
	}
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (unsigned long)"sched_switch";
	a.raw_tracepoint.prog_fd = (unsigned)fd;
	tp = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	if (tp >= 0) {
		close(tp);
		set(r, true, "attach to sched_switch works");
	} else {
		set(r, false, "BPF_RAW_TRACEPOINT_OPEN failed: %s", strerror(errno));
	}
	close(fd);
}

static void check_perf_events(struct kfeature_result *r)
{
	struct perf_event_attr pa;
	int fd;

	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof(pa);
	pa.config = PERF_COUNT_SW_PAGE_FAULTS_MIN;
	pa.disabled = 1;
	fd = (int)syscall(__NR_perf_event_open, &pa, -1, 0, -1, 0);
	if (fd >= 0) {
		close(fd);
		set(r, true, "software events open");
	} else {
		set(r, false, "perf_event_open failed: %s", strerror(errno));
	}
}

static void check_kernel_version(struct kfeature_result *r)
{
	const char *src;
	unsigned v = kversion_running(&src);

	if (v)
		set(r, true, "%u.%u.%u (%s; kprobe programs carry it, checked before 5.0)", v >> 16,
		    (v >> 8) & 0xff, v & 0xff, src);
	else
		set(r, false,
		    "unknown: no vDSO note, /proc/version_signature or uname -r; "
		    "kprobe loads fail on kernels before 5.0");
}

/* "probe_read_str yes, get_numa_node_id no, ...": always ok, the detail says what is there. */
static void check_bpf_helpers(struct kfeature_result *r)
{
	size_t n = 0;

	r->ok = true;
	for (int b = 0; b < KBPF_COUNT; b++) {
		int w = snprintf(r->detail + n, sizeof(r->detail) - n, "%s%s %s", b ? ", " : "",
				 kbpf_names[b], kcheck_bpf((enum kbpf)b) ? "yes" : "no");

		if (w < 0 || (size_t)w >= sizeof(r->detail) - n)
			break;
		n += (size_t)w;
	}
}

void kcheck_probe(enum kfeature f, struct kfeature_result *r)
{
	const char *t = tracefs_path();

	memset(r, 0, sizeof(*r));
	switch (f) {
	case KF_BPF_SYSCALL:
		check_bpf_syscall(r);
		return;
	case KF_TRACEFS:
		if (t)
			set(r, true, "%s", t);
		else
			set(r, false, "not mounted: mount -t tracefs nodev /sys/kernel/tracing");
		return;
	case KF_HEADERS:
		check_headers(r);
		return;
	case KF_KPROBES:
		check_kprobes(r, t);
		return;
	case KF_TRACEPOINTS:
		if (tracefs_event_exists("sched", "sched_switch"))
			set(r, true, "%s/events", t);
		else
			set(r, false, t ? "no sched:sched_switch tracepoint" :
					  "tracefs not mounted");
		return;
	case KF_SYSCALL_TRACEPOINTS:
		check_syscall_tracepoints(r, t);
		return;
	case KF_RAW_TRACEPOINTS:
		check_raw_tracepoints(r);
		return;
	case KF_PERF_EVENTS:
		check_perf_events(r);
		return;
	case KF_BTF:
		if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
			set(r, true, "/sys/kernel/btf/vmlinux");
		else
			set(r, false, "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF=n)");
		return;
	case KF_KERNEL_VERSION:
		check_kernel_version(r);
		return;
	case KF_BPF_HELPERS:
		check_bpf_helpers(r);
		return;
	case KF_COUNT:
		break;
	}
}

bool kcheck_privileged(void)
{
	unsigned long long cap = 0;
	char line[256];
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &cap) == 1)
			break;
	}
	fclose(f);
	/* CAP_SYS_ADMIN = 21; CAP_PERFMON = 38 and CAP_BPF = 39 (5.8+). */
	return (cap >> 21 & 1) || ((cap >> 38 & 1) && (cap >> 39 & 1));
}
