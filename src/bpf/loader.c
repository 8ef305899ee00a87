/* loader.c - the one place that talks to libbcc: compiles probe text, loads programs, walks
 * attach chains, opens perf buffers, and undoes all of it on destroy. */
#define LOG_NAME "ebpf_monitor.loader"

#include "bpf/loader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bpf/bcc_compat.h"
#include "bpf/bundle.h"
#include "bpf/capture.h"
#include "bpf/compile.h"
#include "core/kcheck.h"
#include "core/kversion.h"
#include "core/log.h"
#include "core/tracefs.h"

#define MAX_PROGS 32
#define MAX_LINKS 256
#define MAX_CPUS 1024

struct loaded_prog {
	char name[64];
	int type;
	int fd;
};

/* One attachment to undo: a perf event fd, plus the kprobe event name when one was created. */
struct link {
	int fd;
	char kprobe_ev[96];
};

struct perf_cpu {
	struct bpf_mod *mod;
	int cpu;
	void *reader; /* struct perf_reader * */
};

struct bundle;

struct bpf_mod {
	char name[32];
	/* Compiling goes: queued (text and flags kept, on the `queued` list) until the first
	 * loader_compile_finish() starts every queued module; then either a job of its own or a
	 * share of a bundle's; then img. */
	char *text;
	char **cflags;
	int ncflags;
	struct bpf_mod *next_queued;
	struct bundle *bundle;
	struct compile_job *job;
	struct bpf_image *img;
	struct loaded_prog progs[MAX_PROGS];
	int nprogs;
	struct link links[MAX_LINKS];
	int nlinks;
	struct perf_cpu *perf;
	size_t nperf;
	loader_event_cb event_cb;
	loader_lost_cb lost_cb;
	void *cb_ctx;
};

const char *attach_kind_name(enum attach_kind k)
{
	switch (k) {
	case ATTACH_KPROBE:
		return "kprobe";
	case ATTACH_KRETPROBE:
		return "kretprobe";
	case ATTACH_TRACEPOINT:
		return "tracepoint";
	case ATTACH_RAW_TRACEPOINT:
		return "raw_tracepoint";
	case ATTACH_PERF_EVENT:
		return "perf_event";
	case ATTACH_KFUNC:
		return "kfunc";
	}
	return "?";
}

static const char *kallsyms_prefixes(int *ret_wrapped);

/*
 * On kernels without the kprobe PMU (before 4.17) bcc creates kprobe_events entries named
 * "<ev>_bcc_<pid>". A monitor killed with SIGKILL leaves ours ("em_...") behind; remove those
 * whose process is gone, once per run.
 */
static void remove_stale_kprobes(void)
{
	const char *t = tracefs_path();
	char path[256], line[512];
	FILE *f;

	if (!t)
		return;
	snprintf(path, sizeof(path), "%s/kprobe_events", t);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char kind, group[64], ev[256], proc[64];
		const char *bcc;
		int pid;
		FILE *w;

		if (sscanf(line, "%c:%63[^/]/%255s", &kind, group, ev) != 3 ||
		    strncmp(ev, "em_", 3) || !(bcc = strstr(ev, "_bcc_")) ||
		    sscanf(bcc, "_bcc_%d", &pid) != 1)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%d", pid);
		if (access(proc, F_OK) == 0)
			continue;
		w = fopen(path, "ae");
		if (!w)
			continue;
		fprintf(w, "-:%s/%s\n", group, ev);
		if (fclose(w) == 0)
			log_info("removed stale kprobe event %s/%s left by pid %d", group, ev, pid);
	}
	fclose(f);
}

/* A combined compile of several queued modules (bundle.h); its members' share of the image
 * is handed out when the first of them finishes. */
struct bundle {
	struct compile_job *job;
	struct bpf_mod **members; /* NULL: destroyed meanwhile */
	struct bundle_member *mbs; /* names and texts (copies) for the split */
	size_t n, live;
};

static void bundle_free(struct bundle *b)
{
	for (size_t i = 0; b->mbs && i < b->n; i++) {
		free((char *)b->mbs[i].name);
		free((char *)b->mbs[i].text);
	}
	free(b->mbs);
	free(b->members);
	free(b);
}

static struct bpf_mod *queued; /* in queuing order */

static void mod_drop_source(struct bpf_mod *m)
{
	for (int i = 0; i < m->ncflags; i++)
		free(m->cflags[i]);
	free(m->cflags);
	free(m->text);
	m->cflags = NULL;
	m->text = NULL;
	m->ncflags = 0;
}

static int mod_start_alone(struct bpf_mod *m, char *err, size_t errlen)
{
	return compile_start(m->name, m->text, (const char *const *)m->cflags, m->ncflags, &m->job,
			     err, errlen);
}

static struct bundle_member member_of(const struct bpf_mod *m)
{
	return (struct bundle_member){ m->name, m->text, (const char *const *)m->cflags,
				       m->ncflags };
}

/* Starts one compile for mods[0..n) (n >= 2, all eligible), or returns -errno. */
static int bundle_start(struct bpf_mod **mods, size_t n)
{
	struct bundle *b = calloc(1, sizeof(*b));
	char name[64], err[512], *text = NULL;
	int r = -ENOMEM;

	if (!b || !(b->members = calloc(n, sizeof(*b->members))) ||
	    !(b->mbs = calloc(n, sizeof(*b->mbs))))
		goto fail;
	for (size_t i = 0; i < n; i++)
		b->mbs[i] = member_of(mods[i]);
	r = bundle_text(b->mbs, n, &text);
	if (r)
		goto fail;
	r = -ENOMEM;
	/* the split needs only names and texts: copies, as members may go first */
	for (size_t i = 0; i < n; i++) {
		b->mbs[i] = (struct bundle_member){ strdup(mods[i]->name), strdup(mods[i]->text),
						    NULL, 0 };
		b->n = i + 1;
		if (!b->mbs[i].name || !b->mbs[i].text)
			goto fail;
	}
	snprintf(name, sizeof(name), "%.31s+%zu", mods[0]->name, n - 1);
	r = compile_start(name, text, NULL, 0, &b->job, err, sizeof(err));
	if (r)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		b->members[i] = mods[i];
		mods[i]->bundle = b;
	}
	b->live = n;
	free(text);
	return 0;
fail:
	free(text);
	if (b)
		bundle_free(b);
	return r;
}

/*
 * Starts every queued module. Those that can share a compile are dealt into one bundle per
 * compiler process that may run at once (largest text first, each to the lightest bundle):
 * with 7 probes on 2 CPUs, two compiles instead of seven, each paying bcc's fixed cost once.
 */
static void start_queued(void)
{
	enum { MAXQ = 64, MAXB = 4 };
	struct bpf_mod *mods[MAXQ], *group[MAXB][MAXQ];
	size_t n = 0, ng[MAXB] = { 0 }, load[MAXB] = { 0 }, nb = compile_parallelism(), eligible = 0;
	unsigned char can[MAXQ] = { 0 };
	char err[512];

	while (queued && n < MAXQ) {
		mods[n] = queued;
		queued = queued->next_queued;
		mods[n]->next_queued = NULL;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		struct bundle_member mb = member_of(mods[i]);

		can[i] = (unsigned char)bundle_eligible(&mb);
		eligible += can[i];
	}
	nb = nb > MAXB ? MAXB : nb;
	/* As many eligible probes as compilers, or fewer: each compiles alone, all at once. */
	while (eligible > nb) {
		size_t best = n, g = 0;

		for (size_t i = 0; i < n; i++) {
			if (can[i] && (best == n || strlen(mods[i]->text) > strlen(mods[best]->text)))
				best = i;
		}
		if (best == n)
			break;
		for (size_t k = 1; k < nb; k++)
			g = load[k] < load[g] ? k : g;
		group[g][ng[g]++] = mods[best];
		load[g] += strlen(mods[best]->text);
		can[best] = 0;
	}
	for (size_t g = 0; g < nb; g++) {
		if (ng[g] >= 2 && bundle_start(group[g], ng[g]))
			log_debug("a combined compile of %zu probes could not start: compiling each "
				  "alone", ng[g]);
	}
	for (size_t i = 0; i < n; i++) {
		if (!mods[i]->bundle && mod_start_alone(mods[i], err, sizeof(err)))
			log_debug("%s", err); /* its finish says so again */
	}
}

/* Waits for b's compile and gives each live member its image; where the combined compile or
 * the split fails, each member starts a compile of its own instead (that names the probe at
 * fault and lets the others run). Frees b. */
static void bundle_collect(struct bundle *b)
{
	struct bpf_image *img = NULL, **imgs = calloc(b->n, sizeof(*imgs));
	char diag[4096], err[4096], why[256] = "", names[256] = "";
	int r = compile_finish(b->job, &img, diag, sizeof(diag), err, sizeof(err));

	b->job = NULL;
	for (size_t i = 0; i < b->n; i++) {
		size_t len = strlen(names);

		snprintf(names + len, sizeof(names) - len, "%s%s", len ? "," : "", b->mbs[i].name);
	}
	if (!r && !imgs) {
		bpf_image_free(img);
		r = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	} else if (!r && (r = bundle_split(img, b->mbs, b->n, imgs, why, sizeof(why)))) {
		bpf_image_free(img);
		snprintf(err, sizeof(err), "cannot split its image: %s", why);
	}
	if (!r) {
		log_captured(names, diag);
		log_debug("combined compile of %s done", names);
	} else {
		log_info("combined compile of %s failed, compiling each alone: %.300s", names, err);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct bpf_mod *m = b->members[i];

		if (!m) {
			if (!r)
				bpf_image_free(imgs[i]);
			continue;
		}
		m->bundle = NULL;
		if (!r)
			m->img = imgs[i];
		else if (mod_start_alone(m, err, sizeof(err)))
			log_debug("%s", err);
	}
	free(imgs);
	bundle_free(b);
}

/* An offset from a tracepoint's format file into `flag` ("-DNAME=off"), when found with the
 * expected size; else the flag is left empty and the probe's default (the layout every kernel
 * from 3.10 to 6.x has) stays. RT kernels and RHEL 9.3+ have a longer common header. */
static void field_flag(char *flag, size_t len, const char *name, const char *cat, const char *ev,
		       const char *field, int size)
{
	int off, sz;

	flag[0] = '\0';
	if (tracefs_field(cat, ev, field, &off, &sz) == 0 && (sz == size || sz == size * 6) &&
	    off >= 8 && off < 256)
		snprintf(flag, len, "-D%s=%d", name, off);
}

/* The syscall record fields probes/common.h reads, and where their offsets come from. */
static const struct sc_field {
	const char *flag, *cat, *ev, *field;
	int size;
} sc_fields[] = {
	{ "EM_RAW_SC_ID_OFF", "raw_syscalls", "sys_exit", "id", 8 },
	{ "EM_RAW_SC_RET_OFF", "raw_syscalls", "sys_exit", "ret", 8 },
	{ "EM_RAW_SC_ARGS_OFF", "raw_syscalls", "sys_enter", "args", 8 },
	{ "EM_SC_NR_OFF", "syscalls", "sys_exit_openat", "__syscall_nr", 4 },
	{ "EM_SC_RET_OFF", "syscalls", "sys_exit_openat", "ret", 8 },
	{ "EM_SC_ARGS_OFF", "syscalls", "sys_enter_openat", "dfd", 8 },
	/* attribution (probes/common.h's EM_ATTRIB part) */
	{ "EM_FORK_CHILD_OFF", "sched", "sched_process_fork", "child_pid", 4 },
	{ "EM_FREE_PID_OFF", "sched", "sched_process_free", "pid", 4 },
	{ "EM_CGATTACH_ROOT_OFF", "cgroup", "cgroup_attach_task", "dst_root", 4 },
	{ "EM_CGATTACH_PID_OFF", "cgroup", "cgroup_attach_task", "pid", 4 },
};

/* -D flags of the running kernel's conventions, the same for every probe: computed once. */
static int common_flags(char flags[][64], int max)
{
	static char cache[24][64];
	static int n = -1;
	int wrapped = 0;

	if (n < 0) {
		n = 0;
		(void)kallsyms_prefixes(&wrapped);
		snprintf(cache[n++], 64, "-DEM_SYSCALL_WRAPPER=%d", wrapped);
#if defined(__x86_64__)
		snprintf(cache[n++], 64, "-DEM_ARCH_X86_64=1");
#elif defined(__aarch64__)
		snprintf(cache[n++], 64, "-DEM_ARCH_ARM64=1");
#else
		snprintf(cache[n++], 64, "-DEM_ARCH_OTHER=1");
#endif
		/* What this kernel's BPF takes (kcheck.c probes it): probes/common.h picks the
		 * code each answer allows. */
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* All at once, for their cost in one figure; not KBPF_SYSCALL_TP, which the
		 * attach asks only when a syscall tracepoint refuses (it costs ~50 ms). */
		for (int f = 0; f < KBPF_COUNT; f++)
			if (f != KBPF_SYSCALL_TP)
				(void)kcheck_bpf((enum kbpf)f);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		snprintf(cache[n++], 64, "-DEM_HAVE_PROBE_READ_STR=%d",
			 kcheck_bpf(KBPF_PROBE_READ_STR));
		snprintf(cache[n++], 64, "-DEM_HELPER_MEM_STACK_ONLY=%d",
			 !kcheck_bpf(KBPF_MAP_VALUE_HELPER_MEM));
		snprintf(cache[n++], 64, "-DEM_MAP_KEYS_STACK_ONLY=%d",
			 !kcheck_bpf(KBPF_MAP_VALUE_KEYS));
		log_debug("BPF features probed in %.2f ms: %s %s %s",
			  (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
			  cache[n - 3], cache[n - 2], cache[n - 1]);
		/* Syscall record layouts from the format files, like every other tracepoint's. */
		for (size_t i = 0; i < sizeof(sc_fields) / sizeof(sc_fields[0]); i++) {
			const struct sc_field *f = &sc_fields[i];

			field_flag(cache[n], 64, f->flag, f->cat, f->ev, f->field, f->size);
			n += cache[n][0] != '\0';
		}
	}
	for (int i = 0; i < n && i < max; i++)
		memcpy(flags[i], cache[i], 64);
	return n < max ? n : max;
}

int loader_compile_start(const char *name, const char *text, const char *const *cflags,
			 int ncflags, struct bpf_mod **ret, char *err, size_t errlen)
{
	char extra[25][64];
	struct bpf_mod *m, **tail;
	int nextra;

	static int stale_checked;

	if (ncflags > 40)
		return -E2BIG;
	if (!stale_checked++)
		remove_stale_kprobes();
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->name, sizeof(m->name), "%s", name);

	/* Conventions of the running kernel every probe may need. */
	nextra = common_flags(extra, 24);
	snprintf(extra[nextra++], sizeof(extra[0]), "-DEM_MONITOR_%s=1", name);
	m->text = strdup(text);
	m->cflags = calloc((size_t)(ncflags + nextra), sizeof(*m->cflags));
	for (int i = 0; m->cflags && i < nextra + ncflags; i++) {
		if (!(m->cflags[i] = strdup(i < nextra ? extra[i] : cflags[i - nextra])))
			break;
		m->ncflags++;
	}
	if (!m->text || m->ncflags != nextra + ncflags) {
		mod_drop_source(m);
		free(m);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	for (tail = &queued; *tail; tail = &(*tail)->next_queued)
		;
	*tail = m;
	*ret = m;
	return 0;
}

/* Takes m off the queue; 1 if it was there. */
static int unqueue(struct bpf_mod *m)
{
	for (struct bpf_mod **p = &queued; *p; p = &(*p)->next_queued) {
		if (*p == m) {
			*p = m->next_queued;
			m->next_queued = NULL;
			return 1;
		}
	}
	return 0;
}

int loader_compile_finish(struct bpf_mod *m, char *err, size_t errlen)
{
	char diag[4096];
	int r;

	if (m->text && !m->job && !m->bundle && !m->img) {
		if (unqueue(m)) {
			/* The first finish starts every queued module; m goes first so that it is
			 * among them even when more are queued than one start takes. */
			m->next_queued = queued;
			queued = m;
			start_queued();
		}
		if (!m->job && !m->bundle) {
			r = mod_start_alone(m, err, errlen);
			if (r)
				goto out;
		}
	}
	if (m->bundle)
		bundle_collect(m->bundle);
	if (!m->job) {
		r = m->img ? 0 : -EINVAL;
		if (r)
			snprintf(err, errlen, "compiling the %s probe failed", m->name);
		goto out;
	}
	r = compile_finish(m->job, &m->img, diag, sizeof(diag), err, errlen);
	m->job = NULL;
	if (!r)
		log_captured(m->name, diag);
out:
	mod_drop_source(m);
	return r;
}

static const struct image_func *image_func(const struct bpf_mod *m, const char *name)
{
	for (size_t i = 0; m->img && i < m->img->nfuncs; i++) {
		if (!strcmp(m->img->funcs[i].name, name))
			return &m->img->funcs[i];
	}
	return NULL;
}

int loader_prog_insns(const struct bpf_mod *m, const char *prog, const void **ret_insns,
		      size_t *ret_size)
{
	const struct image_func *f = image_func(m, prog);

	if (!f || !f->size)
		return -ENOENT;
	*ret_insns = f->insns;
	*ret_size = f->size;
	return 0;
}

static const struct image_map *image_map(const struct bpf_mod *m, const char *name)
{
	for (size_t i = 0; m->img && i < m->img->nmaps; i++) {
		if (!strcmp(m->img->maps[i].name, name))
			return &m->img->maps[i];
	}
	return NULL;
}

static int prog_type_of(enum attach_kind k)
{
	switch (k) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
		return BPF_PROG_TYPE_KPROBE;
	case ATTACH_TRACEPOINT:
		return BPF_PROG_TYPE_TRACEPOINT;
	case ATTACH_RAW_TRACEPOINT:
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	case ATTACH_PERF_EVENT:
		return BPF_PROG_TYPE_PERF_EVENT;
	case ATTACH_KFUNC:
		return BPF_PROG_TYPE_TRACING;
	}
	return -1;
}

const char *loader_bcc_features(void)
{
	return EM_BCC_FEATURES;
}

int loader_prog_type(enum attach_kind kind)
{
	return prog_type_of(kind);
}

/* Loads `name` as `type` once; returns its fd or -errno with the verifier's last words. */
static int prog_fd(struct bpf_mod *m, const char *name, int type, char *err, size_t errlen)
{
	struct stderr_capture cap;
	char out[2048];
	const struct image_func *f;
	static unsigned kern_version; /* read once: the running kernel does not change */
	int fd;

	for (int i = 0; i < m->nprogs; i++) {
		if (m->progs[i].type == type && !strcmp(m->progs[i].name, name))
			return m->progs[i].fd;
	}
	if (m->nprogs == MAX_PROGS)
		return -E2BIG;
	f = image_func(m, name);
	if (!f || !f->size) {
		snprintf(err, errlen, "no function %s in the %s probe", name, m->name);
		return -ENOENT;
	}
	if (!kern_version)
		kern_version = kversion_running(NULL);
	capture_begin(&cap);
	/* bcc's own loader (not libbpf's bpf_prog_load): program names, kfunc__ BTF ids and
	 * RLIMIT_MEMLOCK handled as for its modules */
	/* kern_version (checked for kprobe programs before 5.0) from the running kernel: bcc's
	 * comes from the headers it compiled against, which may be another kernel's. */
	fd = bcc_prog_load((enum bpf_prog_type)type, name, f->insns, (int)f->size, m->img->license,
			   kern_version ? kern_version : m->img->kern_version, 0, NULL, 0);
	capture_end(&cap, out, sizeof(out));
	if (fd < 0) {
		int e = errno ? errno : EINVAL;

		log_captured(m->name, out);
		snprintf(err, errlen, "loading %s failed: %s%s%.300s", name, strerror(e),
			 out[0] ? ": " : "", out);
		return -e;
	}
	snprintf(m->progs[m->nprogs].name, sizeof(m->progs[0].name), "%s", name);
	m->progs[m->nprogs].type = type;
	m->progs[m->nprogs].fd = fd;
	m->nprogs++;
	return fd;
}

static int add_link(struct bpf_mod *m, int fd, const char *kprobe_ev)
{
	if (m->nlinks == MAX_LINKS) {
		bpf_close_perf_event_fd(fd);
		return -E2BIG;
	}
	m->links[m->nlinks].fd = fd;
	snprintf(m->links[m->nlinks].kprobe_ev, sizeof(m->links[0].kprobe_ev), "%s",
		 kprobe_ev ? kprobe_ev : "");
	m->nlinks++;
	return 0;
}

/*
 * Closing the last perf event of a tracepoint waits for the kernel's RCU grace periods
 * (perf_trace_event_unreg -> tracepoint_synchronize_unregister): tens of ms each, about 1 s
 * for all monitors' 20-odd tracepoints one after another. So a detach first disables every
 * event in attach order (PERF_EVENT_IOC_DISABLE: no more calls from that instant; entry probes
 * are listed before their exits, so calls in flight still complete), then closes them all
 * from several threads at once, whose grace periods overlap.
 */
struct closer {
	const int *fds;
	size_t n;
	size_t next; /* shared, taken with __atomic_fetch_add */
};

static void *close_some(void *arg)
{
	struct closer *c = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED)) < c->n)
		close(c->fds[i]);
	return NULL;
}

static void close_parallel(const int *fds, size_t n)
{
	struct closer c = { fds, n, 0 };
	pthread_t t[16];
	size_t nt = 0;

	while (n > 1 && nt < n - 1 && nt < sizeof(t) / sizeof(t[0]) &&
	       pthread_create(&t[nt], NULL, close_some, &c) == 0)
		nt++;
	close_some(&c); /* this thread too; alone when no thread could start */
	for (size_t i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
}

static void detach_links(struct bpf_mod **mods, size_t nmods, int from)
{
	size_t n = 0, k = 0;
	int *fds;

	for (size_t i = 0; i < nmods; i++)
		if (mods[i] && mods[i]->nlinks > from)
			n += (size_t)(mods[i]->nlinks - from);
	fds = calloc(n ? n : 1, sizeof(*fds));
	for (size_t i = 0; i < nmods; i++) {
		struct bpf_mod *m = mods[i];

		for (int l = from; m && l < m->nlinks; l++) {
			if (m->links[l].fd < 0)
				continue;
			/* raw tracepoints and kfuncs are BPF links, not perf events: ENOTTY */
			(void)ioctl(m->links[l].fd, PERF_EVENT_IOC_DISABLE, 0);
			if (fds)
				fds[k++] = m->links[l].fd;
			else
				close(m->links[l].fd);
		}
	}
	if (fds)
		close_parallel(fds, k);
	free(fds);
	for (size_t i = 0; i < nmods; i++) {
		struct bpf_mod *m = mods[i];
		struct stderr_capture cap;
		char out[1024];

		if (!m || m->nlinks <= from)
			continue;
		/* A kprobe attached through kprobe_events (pre-4.17) leaves an entry otherwise. */
		capture_begin(&cap);
		for (int l = from; l < m->nlinks; l++) {
			if (m->links[l].kprobe_ev[0])
				bpf_detach_kprobe(m->links[l].kprobe_ev);
		}
		capture_end(&cap, out, sizeof(out));
		log_captured(m->name, out);
		m->nlinks = from;
	}
}

static void undo_links(struct bpf_mod *m, int from)
{
	detach_links(&m, 1, from);
}

/* ---- kernel symbols ---- */

static int kprobes_available(void)
{
	const char *t = tracefs_path();
	char p[256];

	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0)
		return 1;
	if (t) {
		snprintf(p, sizeof(p), "%s/kprobe_events", t);
		if (access(p, W_OK) == 0)
			return 1;
	}
	return 0;
}

int loader_kallsyms_has(const char *sym)
{
	char line[512];
	size_t len = strlen(sym);
	FILE *f = fopen("/proc/kallsyms", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* "ffffffff81234560 T __x64_sys_execve" (module symbols end in "\t[mod]") */
		char *s = strchr(line, ' ');

		if (!s || !(s = strchr(s + 1, ' ')))
			continue;
		s++;
		if (!strncmp(s, sym, len) && (s[len] == '\n' || s[len] == '\t' || !s[len])) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static const char *kallsyms_prefixes(int *ret_wrapped)
{
	static const struct {
		const char *prefix;
		int wrapped;
	} cands[] = {
#if defined(__x86_64__)
		{ "__x64_sys_", 1 },
#elif defined(__aarch64__)
		{ "__arm64_sys_", 1 },
#elif defined(__s390x__)
		{ "__s390x_sys_", 1 },
#endif
		{ "sys_", 0 },
	};
	static int cached = -1;

	if (cached < 0) {
		cached = (int)(sizeof(cands) / sizeof(cands[0])) - 1;
		for (size_t i = 0; i + 1 < sizeof(cands) / sizeof(cands[0]); i++) {
			char sym[64];

			snprintf(sym, sizeof(sym), "%sgetpid", cands[i].prefix);
			if (loader_kallsyms_has(sym) == 1) {
				cached = (int)i;
				break;
			}
		}
	}
	if (ret_wrapped)
		*ret_wrapped = cands[cached].wrapped;
	return cands[cached].prefix;
}

const char *loader_syscall_prefix(int *ret_wrapped)
{
	return kallsyms_prefixes(ret_wrapped);
}

int loader_syscall_symbol(const char *syscall, char *buf, size_t len)
{
	const char *prefix = kallsyms_prefixes(NULL);
	int r;

	snprintf(buf, len, "%s%s", prefix, syscall);
	r = loader_kallsyms_has(buf);
	if (r == 1)
		return 0;
#if defined(__x86_64__)
	/* Some syscalls exist only as the 32-bit compat entry. */
	snprintf(buf, len, "__ia32_sys_%s", syscall);
	if (loader_kallsyms_has(buf) == 1)
		return 0;
#endif
	return r < 0 ? r : -ENOENT;
}

/* ---- attaching ---- */

static unsigned fnv1a(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Attachments known not to work here, refused before a program is loaded: -EOPNOTSUPP with err,
 * else 0. */
static int attach_refused(const struct probe_spec *p, char *err, size_t errlen)
{
#ifndef EM_BCC_HAVE_KFUNC
	if (p->kind == ATTACH_KFUNC) {
		snprintf(err, errlen, "fentry is not in this bcc (%s; bcc attaches it from 0.14)",
			 EM_BCC_VERSION);
		return -EOPNOTSUPP;
	}
#endif
	if (p->kind == ATTACH_KFUNC && access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(err, errlen, "fentry needs kernel BTF (no /sys/kernel/btf/vmlinux)");
		return -EOPNOTSUPP;
	}
	if ((p->kind == ATTACH_KPROBE || p->kind == ATTACH_KRETPROBE) && !kprobes_available()) {
		snprintf(err, errlen,
			 "kprobes are not available in this kernel "
			 "(CONFIG_KPROBES off: no kprobe PMU, no kprobe_events)");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The program's fd for p's kind, or -errno with err (fentry's refusals explained). */
static int attach_prog_fd(struct bpf_mod *m, const struct probe_spec *p, char *err, size_t errlen)
{
	int progfd = prog_fd(m, p->prog, prog_type_of(p->kind), err, errlen);

	if (progfd < 0) {
		if (p->kind == ATTACH_KFUNC && progfd == -EPERM)
			snprintf(err, errlen,
				 "fentry on %s is not permitted by this kernel "
				 "(loading the tracing program gives EPERM)",
				 p->target);
		else if (p->kind == ATTACH_KFUNC && progfd == -ENOENT && strstr(err, "BTF"))
			snprintf(
				err, errlen,
				"fentry on %s: bcc %s cannot read this kernel's BTF "
				"(its libbpf is older than the kernel: \"failed to find valid kernel "
				"BTF\")",
				p->target, EM_BCC_VERSION);
	}
	return progfd;
}

/* The kernel symbol of a kprobe target ("syscall:<name>" or a symbol): 0, or -ENOENT with err. */
static int kprobe_symbol(const struct probe_spec *p, char *sym, size_t symlen, char *err,
			 size_t errlen)
{
	if (!strncmp(p->target, "syscall:", 8)) {
		if (loader_syscall_symbol(p->target + 8, sym, symlen)) {
			snprintf(err, errlen, "no kernel symbol for syscall %s", p->target + 8);
			return -ENOENT;
		}
		return 0;
	}
	snprintf(sym, symlen, "%s", p->target);
	if (loader_kallsyms_has(sym) != 1) {
		snprintf(err, errlen, "no kernel symbol %s", sym);
		return -ENOENT;
	}
	return 0;
}

static int attach_kprobe(struct bpf_mod *m, const struct probe_spec *p, int progfd, char *err,
			 size_t errlen)
{
	struct stderr_capture cap;
	char sym[128], ev[96], out[1024];
	int fd, e, r = kprobe_symbol(p, sym, sizeof(sym), err, errlen);

	if (r)
		return r;
	/* kprobe event names are bounded (bcc appends "_bcc_<pid>"): a prefix of the
	 * symbol plus a hash of all of it keeps them short and distinct. */
	snprintf(ev, sizeof(ev), "em_%c_%.40s_%08x", p->kind == ATTACH_KPROBE ? 'p' : 'r', sym,
		 fnv1a(sym));
	capture_begin(&cap);
	errno = 0;
	fd = bpf_attach_kprobe(progfd,
			       p->kind == ATTACH_KPROBE ? BPF_PROBE_ENTRY : BPF_PROBE_RETURN, ev,
			       sym, 0, 0);
	e = errno;
	capture_end(&cap, out, sizeof(out));
	log_captured(m->name, out);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", attach_kind_name(p->kind), sym,
			 strerror(e ? e : EINVAL));
		return -(e ? e : EINVAL);
	}
	log_debug("%s: %s attached to %s", m->name, attach_kind_name(p->kind), sym);
	return add_link(m, fd, ev);
}

/* Why a tracepoint attach failed with errno e, in words. */
static void tracepoint_failure(const struct probe_spec *p, int e, char *err, size_t errlen)
{
	/* Asked only now: the probe attaches and detaches a program, and the
	 * detach waits for RCU (about 50 ms). */
	if (!strncmp(p->target, "syscalls:", 9) && !kcheck_bpf(KBPF_SYSCALL_TP))
		snprintf(err, errlen,
			 "syscall tracepoints take no BPF program in "
			 "this kernel (they do from 4.14)");
	else if (e == ENOENT && access("/sys/kernel/debug/tracing/events", R_OK) != 0)
		snprintf(err, errlen,
			 "tracepoint %s: bcc %s looks for it under "
			 "/sys/kernel/debug/tracing, which is not mounted (mount -t "
			 "debugfs nodev /sys/kernel/debug)",
			 p->target, EM_BCC_VERSION);
	else
		snprintf(err, errlen, "tracepoint %s: %s", p->target, strerror(e ? e : EINVAL));
}

static int attach_tracepoint(struct bpf_mod *m, const struct probe_spec *p, int progfd, char *err,
			     size_t errlen)
{
	struct stderr_capture cap;
	char cat[64], out[1024];
	const char *colon = strchr(p->target, ':');
	int fd, e;

	if (!colon || colon - p->target >= (long)sizeof(cat))
		return -EINVAL;
	snprintf(cat, sizeof(cat), "%.*s", (int)(colon - p->target), p->target);
	if (!tracefs_path()) {
		snprintf(err, errlen,
			 "tracefs is not mounted "
			 "(mount -t tracefs nodev /sys/kernel/tracing)");
		return -ENODEV;
	}
	if (!tracefs_event_exists(cat, colon + 1)) {
		snprintf(err, errlen, "no tracepoint %s in this kernel", p->target);
		return -ENOENT;
	}
	capture_begin(&cap);
	errno = 0;
	fd = bpf_attach_tracepoint(progfd, cat, colon + 1);
	e = errno;
	capture_end(&cap, out, sizeof(out));
	log_captured(m->name, out);
	if (fd < 0) {
		tracepoint_failure(p, e, err, errlen);
		return -(e ? e : EINVAL);
	}
	log_debug("%s: tracepoint %s attached", m->name, p->target);
	return add_link(m, fd, NULL);
}

/* A raw tracepoint or fentry: one link, made by bcc's (compat) call. */
static int attach_link(struct bpf_mod *m, const struct probe_spec *p, int progfd, char *err,
		       size_t errlen)
{
	struct stderr_capture cap;
	char out[1024];
	int fd, e;

	capture_begin(&cap);
	errno = 0;
	fd = p->kind == ATTACH_KFUNC ? em_attach_kfunc(progfd) :
				       em_attach_raw_tracepoint(progfd, p->target);
	e = errno;
	capture_end(&cap, out, sizeof(out));
	log_captured(m->name, out);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s",
			 p->kind == ATTACH_KFUNC ? "fentry" : "raw tracepoint", p->target,
			 strerror(e ? e : EINVAL));
		return -(e ? e : EINVAL);
	}
	return add_link(m, fd, NULL);
}

/* One perf event per online CPU. */
static int attach_perf_event(struct bpf_mod *m, const struct probe_spec *p, int progfd, char *err,
			     size_t errlen)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct stderr_capture cap;
	char out[1024];
	int fd, e;

	for (int cpu = 0; cpu < ncpu && cpu < MAX_CPUS; cpu++) {
		capture_begin(&cap);
		errno = 0;
		fd = bpf_attach_perf_event(progfd, p->perf_type, (uint32_t)p->perf_config,
					   p->sample_period, 0, -1, cpu, -1);
		e = errno;
		capture_end(&cap, out, sizeof(out));
		if (fd < 0 && e == ENODEV)
			continue; /* offline CPU */
		if (fd < 0) {
			log_captured(m->name, out);
			snprintf(err, errlen, "perf event %u/%llu on cpu %d: %s", p->perf_type,
				 (unsigned long long)p->perf_config, cpu, strerror(e ? e : EINVAL));
			return -(e ? e : EINVAL);
		}
		if (add_link(m, fd, NULL))
			return -E2BIG;
	}
	return 0;
}

static int attach_one(struct bpf_mod *m, const struct probe_spec *p, char *err, size_t errlen)
{
	/* Known refusals first: no program load for an attachment that cannot work. */
	int progfd = attach_refused(p, err, errlen);

	if (progfd)
		return progfd;
	progfd = attach_prog_fd(m, p, err, errlen);
	if (progfd < 0)
		return progfd;
	switch (p->kind) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
		return attach_kprobe(m, p, progfd, err, errlen);
	case ATTACH_TRACEPOINT:
		return attach_tracepoint(m, p, progfd, err, errlen);
	case ATTACH_RAW_TRACEPOINT:
	case ATTACH_KFUNC:
		return attach_link(m, p, progfd, err, errlen);
	case ATTACH_PERF_EVENT:
		return attach_perf_event(m, p, progfd, err, errlen);
	}
	return -EINVAL;
}

static int try_alt(struct bpf_mod *m, const struct attach_alt *alt, char *err, size_t errlen)
{
	int first = m->nlinks, attached = 0;

	for (const struct probe_spec *p = alt->probes; p->prog; p++) {
		int r = attach_one(m, p, err, errlen);

		if (r == 0) {
			attached++;
			continue;
		}
		if (p->optional && (r == -ENOENT)) {
			log_debug("%s: optional %s %s skipped: %s", m->name,
				  attach_kind_name(p->kind), p->target, err);
			continue;
		}
		undo_links(m, first);
		return r;
	}
	if (!attached) {
		snprintf(err, errlen, "none of its probe points exist in this kernel");
		return -ENOENT;
	}
	return 0;
}

int loader_attach_point(struct bpf_mod *m, const struct attach_point *pt, const char *force,
			const struct attach_alt **ret_alt, char *why, size_t whylen)
{
	size_t used = 0;
	int r = -ENOENT, tried = 0;

	if (whylen)
		why[0] = '\0';
	if (force && !strcmp(force, "auto"))
		force = NULL;
	for (const struct attach_alt *a = pt->alts; a->name; a++) {
		char one[768];

		if (force && strcmp(force, a->name))
			continue;
		tried++;
		r = try_alt(m, a, one, sizeof(one));
		if (r == 0) {
			/* why keeps the reasons the preferred alternatives failed, for the log. */
			*ret_alt = a;
			return 0;
		}
		if (used < whylen)
			used += (size_t)snprintf(why + used, whylen - used, "%s%s: %s",
						 used ? "; " : "", a->name, one);
	}
	if (!tried) {
		snprintf(why, whylen, "attach '%s' is not one of this probe point's methods", force);
		return -EINVAL;
	}
	return r;
}

int loader_map_fd(struct bpf_mod *m, const char *map)
{
	const struct image_map *mp = image_map(m, map);

	return !mp || mp->fd < 0 ? -ENOENT : mp->fd;
}

int loader_map_update(struct bpf_mod *m, int fd, const void *key, const void *value)
{
	(void)m;
	return bpf_update_elem(fd, (void *)key, (void *)value, 0) < 0 ? -errno : 0;
}

int loader_map_lookup(struct bpf_mod *m, int fd, const void *key, void *value)
{
	(void)m;
	return bpf_lookup_elem(fd, (void *)key, value) < 0 ? -errno : 0;
}

int loader_map_delete(struct bpf_mod *m, int fd, const void *key)
{
	(void)m;
	return bpf_delete_elem(fd, (void *)key) < 0 ? -errno : 0;
}

int loader_map_next_key(struct bpf_mod *m, int fd, const void *key, void *ret_next,
			size_t key_size)
{
	int r;

	(void)m;
	/* bcc's first-key helper also works on kernels before 4.12 (no NULL key there). */
	r = key ? bpf_get_next_key(fd, (void *)key, ret_next)
		: bpf_get_first_key(fd, ret_next, key_size);
	return r < 0 ? -errno : 0;
}

size_t loader_map_max_entries(struct bpf_mod *m, const char *map)
{
	const struct image_map *mp = image_map(m, map);

	return mp ? mp->max_entries : 0;
}

unsigned loader_possible_cpus(void)
{
	static unsigned cached;
	char buf[256];
	FILE *f;

	if (cached)
		return cached;
	/* "0-3" or "0,2-5": the highest index + 1, like libbpf_num_possible_cpus(). */
	f = fopen("/sys/devices/system/cpu/possible", "re");
	if (f && fgets(buf, sizeof(buf), f)) {
		const char *p = buf + strlen(buf);

		while (p > buf && !(p[-1] >= '0' && p[-1] <= '9'))
			p--;
		while (p > buf && p[-1] >= '0' && p[-1] <= '9')
			p--;
		cached = (unsigned)strtoul(p, NULL, 10) + 1;
	}
	if (f)
		fclose(f);
	if (!cached)
		cached = (unsigned)sysconf(_SC_NPROCESSORS_CONF);
	return cached;
}

/* ---- perf buffers ---- */

static void perf_raw_cb(void *cookie, void *raw, int size)
{
	/* Raw samples sit 4 bytes into a perf record: copy them to an aligned buffer so event
	 * structs with 64-bit fields can be read in place (perf records are < 64 KiB). */
	static union {
		max_align_t align;
		unsigned char bytes[65536];
	} aligned;
	struct perf_cpu *pc = cookie;

	if (size < 0 || (size_t)size > sizeof(aligned.bytes))
		size = (int)sizeof(aligned.bytes);
	memcpy(aligned.bytes, raw, (size_t)size);
	pc->mod->event_cb(pc->mod->cb_ctx, pc->cpu, aligned.bytes, size);
}

static void perf_lost_cb(void *cookie, uint64_t lost)
{
	struct perf_cpu *pc = cookie;

	if (pc->mod->lost_cb)
		pc->mod->lost_cb(pc->mod->cb_ctx, pc->cpu, lost);
}

/* Online CPUs from /sys/devices/system/cpu/online ("0-3,5"), as a bitmap. */
static int online_cpus(unsigned char *set, int max)
{
	char buf[1024], *p = buf;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	int n = 0;

	memset(set, 0, (size_t)max);
	if (!f || !fgets(buf, sizeof(buf), f)) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		if (f)
			fclose(f);
		for (int i = 0; i < c && i < max; i++)
			set[i] = 1;
		return c > max ? max : (int)c;
	}
	fclose(f);
	while (*p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			p = end;
		}
		for (long i = a; i <= b && i < max; i++) {
			set[i] = 1;
			n = (int)i + 1;
		}
		if (*p == ',')
			p++;
	}
	return n;
}

/*
 * Events per wakeup of the reader. One wakeup per event costs the traced task a wakeup of the
 * daemon, and often a context switch, per event: with the exec monitor, 2000 execs of
 * /bin/true took 5.8 % longer with a wakeup per event and 1.7 % with one per 32 (interleaved,
 * 5 rounds). The rest waits for the next poll (LOADER_PERF_POLL_S). At most a quarter of the
 * buffer, counting 2 KiB per event, so that a burst cannot fill it before the wakeup.
 */
static int perf_wakeup_events(unsigned pages)
{
	size_t n = (size_t)pages * 4096 / 4 / 2048;

	return n < 1 ? 1 : n > 32 ? 32 : (int)n;
}

int loader_perf_open(struct bpf_mod *m, const char *map, unsigned pages, loader_event_cb cb,
		     loader_lost_cb lost, void *ctx)
{
	unsigned char online[MAX_CPUS];
	struct stderr_capture cap;
	char out[1024];
	int map_fd = loader_map_fd(m, map), ncpu;

	if (map_fd < 0)
		return map_fd;
	ncpu = online_cpus(online, MAX_CPUS);
	m->perf = calloc((size_t)ncpu, sizeof(*m->perf));
	if (!m->perf)
		return -ENOMEM;
	m->event_cb = cb;
	m->lost_cb = lost;
	m->cb_ctx = ctx;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct perf_cpu *pc;
		int rfd;

		if (!online[cpu])
			continue;
		pc = &m->perf[m->nperf];
		pc->mod = m;
		pc->cpu = cpu;
		capture_begin(&cap);
		pc->reader = em_open_perf_buffer(perf_raw_cb, perf_lost_cb, pc, cpu, (int)pages,
						 perf_wakeup_events(pages));
		capture_end(&cap, out, sizeof(out));
		if (!pc->reader) {
			log_error("%s: perf buffer on cpu %d failed: %s", m->name, cpu,
				  out[0] ? out : "unknown error");
			return -ENOMEM;
		}
		m->nperf++;
		rfd = perf_reader_fd(pc->reader);
		if (bpf_update_elem(map_fd, &cpu, &rfd, 0) < 0) {
			int e = errno;

			log_error("%s: registering perf buffer for cpu %d: %s", m->name, cpu,
				  strerror(e));
			return -e;
		}
	}
	return 0;
}

size_t loader_perf_count(const struct bpf_mod *m)
{
	return m ? m->nperf : 0;
}

int loader_perf_fd(const struct bpf_mod *m, size_t i)
{
	return perf_reader_fd(m->perf[i].reader);
}

void loader_perf_consume(struct bpf_mod *m, size_t i)
{
	perf_reader_event_read(m->perf[i].reader);
}

void loader_perf_consume_all(struct bpf_mod *m)
{
	for (size_t i = 0; i < m->nperf; i++)
		loader_perf_consume(m, i);
}

#if EM_BCC_VERSION_CODE >= 1900
_Static_assert(offsetof(struct bpf_prog_info, recursion_misses) ==
		       EM_PROG_INFO_RECURSION_MISSES_OFF,
	       "bpf_prog_info.recursion_misses moved: fix EM_PROG_INFO_RECURSION_MISSES_OFF");
#endif

uint64_t loader_recursion_misses(struct bpf_mod *m)
{
	uint64_t total = 0;

	for (int i = 0; m && i < m->nprogs; i++) {
		/* bpf_prog_info by the kernel's ABI: the field is at a fixed offset, whether the
		 * headers of this bcc name it or not (before 0.19 they do not). */
		uint64_t info[64], misses;
		union bpf_attr a;

		memset(info, 0, sizeof(info));
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = (unsigned)m->progs[i].fd;
		a.info.info_len = sizeof(info);
		a.info.info = (unsigned long)info;
		/* Older kernels fill a shorter struct: the field is then not there. */
		if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) == 0 &&
		    a.info.info_len >= EM_PROG_INFO_RECURSION_MISSES_OFF + 8) {
			memcpy(&misses, (char *)info + EM_PROG_INFO_RECURSION_MISSES_OFF,
			       sizeof(misses));
			total += misses;
		}
	}
	return total;
}

#if EM_BCC_VERSION_CODE >= 1900
_Static_assert(offsetof(struct bpf_prog_info, run_time_ns) == EM_PROG_INFO_RUN_TIME_NS_OFF &&
		       offsetof(struct bpf_prog_info, run_cnt) == EM_PROG_INFO_RUN_CNT_OFF,
	       "bpf_prog_info.run_time_ns moved: fix EM_PROG_INFO_RUN_TIME_NS_OFF");
#endif

int loader_prog_stats(struct bpf_mod *m, uint64_t *ret_run_ns, uint64_t *ret_run_cnt)
{
	int r = -EOPNOTSUPP;

	*ret_run_ns = *ret_run_cnt = 0;
	for (int i = 0; m && i < m->nprogs; i++) {
		uint64_t info[64], v;
		union bpf_attr a;

		memset(info, 0, sizeof(info));
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = (unsigned)m->progs[i].fd;
		a.info.info_len = sizeof(info);
		a.info.info = (unsigned long)info;
		/* By offset, as loader_recursion_misses: a kernel before 5.1 fills less. */
		if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) ||
		    a.info.info_len < EM_PROG_INFO_RUN_CNT_OFF + 8)
			continue;
		memcpy(&v, (char *)info + EM_PROG_INFO_RUN_TIME_NS_OFF, sizeof(v));
		*ret_run_ns += v;
		memcpy(&v, (char *)info + EM_PROG_INFO_RUN_CNT_OFF, sizeof(v));
		*ret_run_cnt += v;
		r = 0;
	}
	return r;
}

#define STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"
#define STATS_SYSCTL_HANDLE (INT_MAX - 1) /* no fd: the sysctl is ours to reset */
#define STATS_SYSCTL_SHARED INT_MAX	  /* the sysctl was on already: leave it */

/* The sysctl's value ('0' or '1'), or -errno. */
static int stats_sysctl_read(void)
{
	char c = 0;
	int fd = open(STATS_SYSCTL, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = read(fd, &c, 1) == 1 ? c : -EIO;
	close(fd);
	return r;
}

static int stats_sysctl_write(char c)
{
	int fd = open(STATS_SYSCTL, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, &c, 1) != 1)
		r = errno ? -errno : -EIO;
	close(fd);
	return r;
}

int loader_stats_enable(const char **how)
{
	union bpf_attr a;
	int fd, r;

	memset(&a, 0, sizeof(a));
	/* enable_stats.type is the attr's first word */
	*(uint32_t *)&a = EM_BPF_STATS_RUN_TIME;
	fd = (int)syscall(__NR_bpf, EM_BPF_ENABLE_STATS, &a, sizeof(a));
	if (fd >= 0) {
		*how = "BPF_ENABLE_STATS";
		return fd;
	}
	r = stats_sysctl_read();
	if (r == '1') {
		*how = "kernel.bpf_stats_enabled (already on)";
		return STATS_SYSCTL_SHARED;
	}
	if (r < 0)
		return r;
	r = stats_sysctl_write('1');
	if (r)
		return r;
	*how = "kernel.bpf_stats_enabled";
	return STATS_SYSCTL_HANDLE;
}

int loader_stats_available(const char **how)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	*(uint32_t *)&a = EM_BPF_STATS_RUN_TIME;
	fd = (int)syscall(__NR_bpf, EM_BPF_ENABLE_STATS, &a, sizeof(a));
	if (fd >= 0) {
		close(fd);
		*how = "BPF_ENABLE_STATS, 5.8+";
		return 0;
	}
	if (access(STATS_SYSCTL, W_OK) == 0) {
		*how = "sysctl kernel.bpf_stats_enabled, 5.1+";
		return 0;
	}
	return errno == ENOENT ? -ENOENT : -errno;
}

void loader_stats_disable(int handle)
{
	if (handle == STATS_SYSCTL_HANDLE)
		(void)stats_sysctl_write('0');
	else if (handle >= 0 && handle != STATS_SYSCTL_SHARED)
		close(handle);
}

void loader_detach_many(struct bpf_mod **mods, size_t n)
{
	detach_links(mods, n, 0);
}

void loader_detach(struct bpf_mod *m)
{
	if (m)
		undo_links(m, 0);
}

void loader_destroy(struct bpf_mod *m)
{
	if (!m)
		return;
	undo_links(m, 0);
	for (size_t i = 0; i < m->nperf; i++)
		perf_reader_free(m->perf[i].reader);
	free(m->perf);
	for (int i = 0; i < m->nprogs; i++)
		close(m->progs[i].fd);
	(void)unqueue(m);
	if (m->bundle) {
		struct bundle *b = m->bundle;

		/* its share is freed when the bundle is collected; the last one collects it */
		for (size_t i = 0; i < b->n; i++) {
			if (b->members[i] == m)
				b->members[i] = NULL;
		}
		m->bundle = NULL;
		if (--b->live == 0)
			bundle_collect(b);
	}
	if (m->job) {
		char err[256];

		(void)loader_compile_finish(m, err, sizeof(err));
	}
	mod_drop_source(m);
	bpf_image_free(m->img);
	free(m);
}
