/* kcheck.c - kernel capability detection for --check and for clear startup errors. Uses the
 * bpf(2) and perf_event_open(2) system calls directly: no libbcc, no compiling. */
#include "kcheck.h"

#include <errno.h>
#include <stdarg.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kversion.h"
#include "tracefs.h"

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
};

const char *kcheck_name(enum kfeature f)
{
	return names[f];
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Loads "r0 = 0; exit" as `type`; returns the fd or -errno. */
static int load_trivial(enum bpf_prog_type type)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	/* Kernels before 5.0 check kern_version for kprobe programs. */
	a.kern_version = kversion_running(NULL);
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

bool kcheck_map_supported(enum kmap kind)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = kind == KMAP_LRU_HASH ? BPF_MAP_TYPE_LRU_HASH : BPF_MAP_TYPE_HASH;
	a.map_flags = kind == KMAP_HASH_NO_PREALLOC ? BPF_F_NO_PREALLOC : 0;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 1;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
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

void kcheck_probe(enum kfeature f, struct kfeature_result *r)
{
	const char *t = tracefs_path();
	char p[512];
	int fd;

	memset(r, 0, sizeof(*r));
	switch (f) {
	case KF_BPF_SYSCALL: {
		/* Tracing program types first: RHEL 7's backport (3.10.0-957+) loads kprobe,
		 * tracepoint and perf_event programs only, and refuses a socket filter. */
		static const struct {
			enum bpf_prog_type type;
			const char *name;
		} kinds[] = {
			{ BPF_PROG_TYPE_TRACEPOINT, "tracepoint" },
			{ BPF_PROG_TYPE_KPROBE, "kprobe" },
			{ BPF_PROG_TYPE_SOCKET_FILTER, "socket filter" },
		};
		int first = 0;

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
			set(r, false, "BPF_PROG_LOAD of a tracepoint program failed: %s",
			    strerror(-fd));
		}
		return;
	}
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
			"kprobe_events)"
		      : "unknown: tracefs not mounted and no kprobe PMU");
		return;
	case KF_TRACEPOINTS:
		if (tracefs_event_exists("sched", "sched_switch"))
			set(r, true, "%s/events", t);
		else
			set(r, false, t ? "no sched:sched_switch tracepoint" :
					  "tracefs not mounted");
		return;
	case KF_SYSCALL_TRACEPOINTS:
		if (tracefs_event_exists("raw_syscalls", "sys_enter") &&
		    tracefs_event_exists("syscalls", "sys_enter_execve"))
			set(r, true, "raw_syscalls and syscalls:sys_enter_*");
		else
			set(r, false, t ? "missing (CONFIG_FTRACE_SYSCALLS=n)" :
					  "tracefs not mounted");
		return;
	case KF_RAW_TRACEPOINTS: {
		union bpf_attr a;
		int tp;

		fd = load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT);
		if (fd < 0) {
			set(r, false, "program type not supported (needs 4.17+): %s",
			    strerror(-fd));
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
		return;
	}
	case KF_PERF_EVENTS: {
		struct perf_event_attr pa;

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
		return;
	}
	case KF_BTF:
		if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
			set(r, true, "/sys/kernel/btf/vmlinux");
		else
			set(r, false, "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF=n)");
		return;
	case KF_KERNEL_VERSION: {
		const char *src;
		unsigned v = kversion_running(&src);

		if (v)
			set(r, true, "%u.%u.%u (%s; kprobe programs carry it, checked before 5.0)",
			    v >> 16, (v >> 8) & 0xff, v & 0xff, src);
		else
			set(r, false,
			    "unknown: no vDSO note, /proc/version_signature or uname -r; "
			    "kprobe loads fail on kernels before 5.0");
		return;
	}
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
