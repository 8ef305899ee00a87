/* personality.c - an LD_PRELOAD shim that makes this kernel refuse what an older one lacks, so
 * the fallbacks for old kernels run for real on a new one. It wraps syscall(2), through which
 * both libbcc and ebpf-monitor call bpf(2) and perf_event_open(2), and ioctl(2), and refuses as
 * the old kernel would (EINVAL), by the profile's rules (bpf_rules.c):
 *   - BPF_PROG_LOAD of a program the profile's kernel would not take: its type, a helper it
 *     does not have, a verifier rule it did not have yet (map-value pointers as map keys before
 *     4.18, helper memory outside the stack before 4.11, loops, size); the reason goes to the
 *     verifier log buffer when the caller gave one, as the kernel's own would;
 *   - BPF_MAP_CREATE of a map type the profile does not have;
 *   - BPF_RAW_TRACEPOINT_OPEN where the profile has no raw tracepoints;
 *   - BPF_PROG_LOAD of a kprobe program whose kern_version is not the running kernel's;
 *   - PERF_EVENT_IOC_SET_BPF on a syscalls:sys_{enter,exit}_* tracepoint before 4.14, and on a
 *     cgroup:* tracepoint where the profile has none (RHEL 7).
 * The profile is named by EM_PERSONALITY; with EM_PERSONALITY_LOG=1 every refusal is printed
 * on stderr and counted at exit. Unknown profile names abort the process: a test must not run
 * unshimmed by accident. Test code only: never installed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <dirent.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_rules.h"
#include "core/kversion.h"

static const struct bpf_profile *active;
static long (*real_syscall)(long, ...);
static unsigned long refused;

__attribute__((constructor)) static void personality_init(void)
{
	const char *name = getenv("EM_PERSONALITY");

	real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (!name || !*name)
		return;
	active = bpf_profile_find(name);
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

static bool log_on(void)
{
	const char *log = getenv("EM_PERSONALITY_LOG");

	return log && strcmp(log, "1") == 0;
}

static long refuse(const char *what)
{
	refused++;
	if (log_on())
		fprintf(stderr, "personality %s: refused %s\n", active->name, what);
	errno = EINVAL;
	return -1;
}

/* EM_PERSONALITY_DUMP=DIR: each loaded program's instructions go to DIR/<name>.insns (raw
 * struct bpf_insn), for a closer look. */
static void dump_prog(const union bpf_attr *a)
{
	const char *dir = getenv("EM_PERSONALITY_DUMP");
	char p[512];
	FILE *f;

	if (!dir || !*dir)
		return;
	snprintf(p, sizeof(p), "%s/%.16s.insns", dir, a->prog_name[0] ? a->prog_name : "prog");
	f = fopen(p, "we");
	if (!f)
		return;
	fwrite((const void *)(unsigned long)a->insns, sizeof(struct bpf_insn), a->insn_cnt, f);
	fclose(f);
}

/* A program load: refused with the reasons in the caller's log buffer, as a verifier would. */
static long check_prog(const union bpf_attr *a)
{
	char why[1024], what[1200];

	int n = bpf_rules_check(active, (int)a->prog_type, (const struct bpf_insn *)a->insns,
				a->insn_cnt, bpf_rules_map_type, why, sizeof(why));

	/* Before 5.0 a kprobe program must carry the running kernel's LINUX_VERSION_CODE. */
	if (a->prog_type == BPF_PROG_TYPE_KPROBE && active->kernel < BPF_RULES_KV(5, 0) &&
	    a->kern_version != kversion_running(NULL)) {
		size_t used = strlen(why);

		snprintf(why + used, sizeof(why) - used,
			 "%skern_version %u.%u.%u is not the running "
			 "kernel's (checked for kprobes before 5.0)",
			 n ? "\n" : "", a->kern_version >> 16, (a->kern_version >> 8) & 0xff,
			 a->kern_version & 0xff);
		n++;
	}
	dump_prog(a);
	if (!n)
		return 0;
	if (a->log_buf && a->log_size > 1) {
		snprintf((char *)a->log_buf, a->log_size, "personality %s: %s\n", active->name,
			 why);
	}
	snprintf(what, sizeof(what), "a program (%s)", why);
	return refuse(what);
}

/* Nonzero when the kernel of the profile would take this bpf(2) call. */
static int allowed(int cmd, const union bpf_attr *a)
{
	if (!active || !a)
		return 1;
	switch (cmd) {
	case BPF_PROG_LOAD:
		return check_prog(a) == 0;
	case BPF_MAP_CREATE:
		if (a->map_type < 64 && (active->map_types & (1ULL << a->map_type)))
			return 1;
		refuse("a map type");
		return 0;
	case BPF_RAW_TRACEPOINT_OPEN:
		if (active->raw_tracepoints)
			return 1;
		refuse("a raw tracepoint");
		return 0;
	case 32: /* BPF_ENABLE_STATS (5.8): unknown to every profile's kernel */
		if (active->kernel >= BPF_RULES_KV(5, 8))
			return 1;
		refuse("BPF_ENABLE_STATS (from 5.8)");
		return 0;
	default:
		return 1;
	}
}

/* Before 5.1 bpf_prog_info ends before run_time_ns (offset 192): the kernel fills and reports
 * that much only. Map, BTF and link infos are shorter than that anyway. */
static void shorten_info(int cmd, union bpf_attr *a)
{
	if (active && cmd == BPF_OBJ_GET_INFO_BY_FD && active->kernel < BPF_RULES_KV(5, 1) &&
	    a->info.info_len > 192) {
		memset((char *)(unsigned long)a->info.info + 192, 0, a->info.info_len - 192);
		a->info.info_len = 192;
	}
}

/* ---- tracepoints a profile refuses BPF on: their ids, and the perf event fds opened on them ---- */

#define MAX_FDS 65536
static unsigned char refused_tp_fd[MAX_FDS / 8];
struct tp_ids {
	const char *category;
	int *ids;
	size_t n;
	int read;
};
static struct tp_ids syscall_tps = { "syscalls" }, cgroup_tps = { "cgroup" };

static void read_tp_ids(struct tp_ids *t)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	struct dirent *d;
	DIR *dir = NULL;
	size_t cap = 0;
	char base[256];

	t->read = 1;
	for (size_t i = 0; i < 2 && !dir; i++) {
		snprintf(base, sizeof(base), "%s/%s", roots[i], t->category);
		dir = opendir(base);
	}
	while (dir && (d = readdir(dir))) {
		char p[1024];
		FILE *f;
		int id;

		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/id", base, d->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fscanf(f, "%d", &id) == 1) {
			if (t->n == cap) {
				int *n = realloc(t->ids, (cap = cap ? cap * 2 : 512) * sizeof(*n));

				if (!n) {
					fclose(f);
					break;
				}
				t->ids = n;
			}
			t->ids[t->n++] = id;
		}
		fclose(f);
	}
	if (dir)
		closedir(dir);
}

static bool is_tp_of(struct tp_ids *t, unsigned long long id)
{
	if (!t->read)
		read_tp_ids(t);
	for (size_t i = 0; i < t->n; i++)
		if ((unsigned long long)t->ids[i] == id)
			return true;
	return false;
}

static void note_perf_fd(const struct perf_event_attr *pa, long fd)
{
	bool refuse_bpf;

	if (!active || fd < 0 || fd >= MAX_FDS || !pa)
		return;
	refuse_bpf = pa->type == PERF_TYPE_TRACEPOINT &&
		     ((!active->syscall_tp_bpf && is_tp_of(&syscall_tps, pa->config)) ||
		      (!active->cgroup_tp && is_tp_of(&cgroup_tps, pa->config)));
	if (refuse_bpf)
		refused_tp_fd[fd / 8] |= (unsigned char)(1u << (fd % 8));
	else
		refused_tp_fd[fd / 8] &= (unsigned char)~(1u << (fd % 8));
}

long syscall(long nr, ...)
{
	long a[6], ret;
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf && !allowed((int)a[0], (const union bpf_attr *)a[1]))
		return -1;
	ret = real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == __NR_bpf && ret == 0)
		shorten_info((int)a[0], (union bpf_attr *)a[1]);
	if (nr == __NR_perf_event_open)
		note_perf_fd((const struct perf_event_attr *)a[0], ret);
	return ret;
}

/* glibc's prototype: ioctl(int, unsigned long, ...). */
int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (active && req == PERF_EVENT_IOC_SET_BPF && fd >= 0 && fd < MAX_FDS &&
	    (refused_tp_fd[fd / 8] & (1u << (fd % 8))))
		return (int)refuse("BPF on a syscall tracepoint (from 4.14) or a cgroup one (4.9)");
	return real_ioctl(fd, req, arg);
}
