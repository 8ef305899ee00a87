/* attrib.c - attribution of rows to cgroups, units, containers and pods: see attrib.h. */
#define LOG_NAME "ebpf_monitor.attrib"

#include "monitors/attrib.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "core/config.h"
#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/maps.h"
#include "monitors/monitor.h"
#include "monitors/task_slots.h"
#include "probes/attrib.h"

static const struct probe_spec fork_tp[] = {
	{ ATTACH_TRACEPOINT, "sched:sched_process_fork", "em_tp_who_fork" },
	{ 0 },
};
static const struct probe_spec exit_tp[] = {
	{ ATTACH_TRACEPOINT, "sched:sched_process_exit", "em_tp_who_exit" },
	{ ATTACH_TRACEPOINT, "sched:sched_process_free", "em_tp_who_free" },
	{ 0 },
};
static const struct probe_spec move_tp[] = {
	{ ATTACH_TRACEPOINT, "cgroup:cgroup_attach_task", "em_tp_who_move" },
	{ 0 },
};
static const struct probe_spec exec_tp[] = {
	{ ATTACH_TRACEPOINT, "sched:sched_process_exec", "em_tp_who_exec" },
	{ 0 },
};
const struct attach_alt attrib_fork_alts[] = {
	{ "tracepoint", fork_tp },
	{ NULL, NULL },
};
const struct attach_alt attrib_exit_alts[] = {
	{ "tracepoint", exit_tp },
	{ NULL, NULL },
};
/* Without cgroup tracepoints (before 4.9), a task is read again after each exec, and every
 * process every RESCAN_NS. */
const struct attach_alt attrib_move_alts[] = {
	{ "tracepoint", move_tp },
	{ "tracepoint_exec", exec_tp },
	{ NULL, NULL },
};

#define PATH_SIZE 4096
#define RECENT_N 8192		    /* tgids resolved lately, direct-mapped */
#define SCAN_REUSE_NS 2000000000ull /* a start scan this young serves the next monitor */
#define RESCAN_NS 2000000000ull	    /* without cgroup tracepoints: every process read again */

/* ---- classes: one per cgroup path, for the whole process ---- */

struct class {
	char *path;
	struct cg_attr attr;
};

static struct {
	struct class *v; /* v[i] is class i; 0 unused, 1 ATTRIB_UNKNOWN */
	size_t n, cap;
	uint32_t *index; /* open addressing: class ids by path hash; 0 empty */
	size_t index_cap;
	struct attrib_stats stats;
} classes;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int index_put(uint32_t id)
{
	size_t mask = classes.index_cap - 1;

	for (size_t i = hash_str(classes.v[id].path) & mask;; i = (i + 1) & mask) {
		if (!classes.index[i]) {
			classes.index[i] = id;
			return 0;
		}
	}
}

static int classes_init(void)
{
	if (classes.v)
		return 0;
	classes.cap = 64;
	classes.v = calloc(classes.cap, sizeof(*classes.v));
	classes.index_cap = 256;
	classes.index = calloc(classes.index_cap, sizeof(*classes.index));
	if (!classes.v || !classes.index) {
		free(classes.v);
		free(classes.index);
		memset(&classes, 0, sizeof(classes));
		return -ENOMEM;
	}
	classes.v[ATTRIB_UNKNOWN].path = strdup("unknown");
	if (!classes.v[ATTRIB_UNKNOWN].path)
		return -ENOMEM;
	snprintf(classes.v[ATTRIB_UNKNOWN].attr.unit, sizeof(classes.v[0].attr.unit), "unknown");
	classes.n = 2;
	return 0;
}

/* The class of a cgroup path, made when new; ATTRIB_UNKNOWN when memory runs out. */
static uint32_t intern(const char *path)
{
	size_t mask;
	uint32_t id;

	if (classes_init())
		return ATTRIB_UNKNOWN;
	mask = classes.index_cap - 1;
	for (size_t i = hash_str(path) & mask; classes.index[i]; i = (i + 1) & mask) {
		if (!strcmp(classes.v[classes.index[i]].path, path))
			return classes.index[i];
	}
	if (classes.n >= EM_WHO_CLASS)
		return ATTRIB_UNKNOWN;
	if (classes.n == classes.cap) {
		struct class *v = realloc(classes.v, 2 * classes.cap * sizeof(*v));

		if (!v)
			return ATTRIB_UNKNOWN;
		classes.v = v;
		classes.cap *= 2;
	}
	if (2 * (classes.n + 1) > classes.index_cap) {
		uint32_t *old = classes.index;
		size_t old_cap = classes.index_cap;

		classes.index = calloc(2 * old_cap, sizeof(*classes.index));
		if (!classes.index) {
			classes.index = old;
			return ATTRIB_UNKNOWN;
		}
		classes.index_cap = 2 * old_cap;
		for (uint32_t c = 2; c < classes.n; c++)
			index_put(c);
		free(old);
	}
	id = (uint32_t)classes.n;
	classes.v[id].path = strdup(path);
	if (!classes.v[id].path)
		return ATTRIB_UNKNOWN;
	cg_describe(path, &classes.v[id].attr);
	classes.n++;
	index_put(id);
	classes.stats.classes++;
	return id;
}

const char *attrib_class_path(uint32_t cls)
{
	return cls && cls < classes.n ? classes.v[cls].path : NULL;
}

const struct cg_attr *attrib_class_attr(uint32_t cls)
{
	return cls && cls < classes.n ? &classes.v[cls].attr : NULL;
}

struct attrib_stats attrib_stats(void)
{
	return classes.stats;
}

/* ---- per monitor ---- */

struct recent {
	uint32_t tgid, cls;
	uint64_t at_ns; /* CLOCK_MONOTONIC */
};

struct attrib {
	struct monitor *m;
	enum cg_hierarchy h;
	unsigned cols;	/* bits of config_attrib_columns */
	bool filtering; /* units, containers or cgroups filters */
	int who_fd, gone_fd, moved_fd;
	unsigned ncpus;
	struct em_moved *moved; /* one per CPU */
	uint8_t *pass;		/* per class: 0 not decided, 1 passes, 2 filtered out */
	size_t npass;
	struct recent recent[RECENT_N];
	uint64_t keep_ns;     /* how long a resolution or an exit mark is kept */
	uint64_t last_age_ns; /* CLOCK_MONOTONIC */
	bool rescan;	      /* moves are not seen by the kernel: read every process again */
	uint64_t last_scan_ns;
};

bool attrib_wanted(const struct monitor_cfg *cfg)
{
	const struct filter_cfg *f = &cfg->filters;

	return cfg->attrib_columns || f->nunits || f->ncontainers || f->ncgroups;
}

int attrib_plan(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	const struct monitor_cfg *cfg = m->cfg;
	bool want = attrib_wanted(cfg);
	bool have_points = false;
	int root;

	for (size_t i = 0; i < plan->npoints; i++) {
		const struct attach_alt *alts = plan->points[i].alts;

		if (alts == attrib_fork_alts || alts == attrib_exit_alts ||
		    alts == attrib_move_alts) {
			have_points = true;
			if (!want)
				plan->point_off[i] = true;
		}
	}
	if (!want)
		return 0;
	if (!have_points) {
		snprintf(err, errlen, "%s: attribution is not available for this monitor",
			 m->ops->name);
		return -EOPNOTSUPP;
	}
	/* what cgroup_attach_task calls the hierarchy (dst_root) */
	root = cg_read_hierarchy_id("/proc/self/cgroup", (enum cg_hierarchy)cfg->attrib_hierarchy);
	if (root < 0) {
		snprintf(err, errlen,
			 "%s: attribution: this host has no %s cgroup hierarchy (set "
			 "attribution.hierarchy to %s)",
			 m->ops->name,
			 cfg->attrib_hierarchy == CG_UNIFIED ? "unified (v2)" : "name=systemd",
			 cfg->attrib_hierarchy == CG_UNIFIED ? "systemd or auto" :
							       "unified or auto");
		return -ENOENT;
	}
	m->attrib = calloc(1, sizeof(*m->attrib));
	if (!m->attrib || classes_init()) {
		snprintf(err, errlen, "%s: out of memory", m->ops->name);
		return -ENOMEM;
	}
	m->attrib->m = m;
	m->attrib->h = (enum cg_hierarchy)cfg->attrib_hierarchy;
	m->attrib->cols = cfg->attrib_columns & ((1u << ATTRIB_NCOLS) - 1);
	m->attrib->filtering = cfg->filters.nunits || cfg->filters.ncontainers ||
			       cfg->filters.ncgroups;
	m->attrib->who_fd = m->attrib->gone_fd = m->attrib->moved_fd = -1;
	cflags_add(&plan->cflags, "-DEM_ATTRIB=1");
	cflags_add(&plan->cflags, "-DEM_ATTRIB_TASKS=%lld",
		   cfg->attrib_max > 0 ? cfg->attrib_max : 32768);
	cflags_add(&plan->cflags, "-DEM_WHO_ROOT=%d", root);
	cflags_add(&plan->cflags, "-DEM_ATTRIB_PERCPU=%d",
		   kcheck_map_supported(KMAP_PERCPU_ARRAY) ? 1 : 0);
	return 0;
}

static const struct column attrib_column_defs[ATTRIB_NCOLS] = {
	[ATTRIB_COL_CGROUP] = { "cgroup", COL_STR, 0, 0 },
	[ATTRIB_COL_UNIT] = { "unit", COL_STR, 0, 24 },
	[ATTRIB_COL_CONTAINER] = { "container_id", COL_STR, 0, 0 },
	[ATTRIB_COL_POD] = { "pod_uid", COL_STR, 0, 0 },
};

size_t attrib_columns(const struct monitor *m, struct column *cols)
{
	size_t n = 0;

	if (!m->attrib)
		return 0;
	for (int c = 0; c < ATTRIB_NCOLS; c++) {
		if (m->attrib->cols & (1u << c))
			cols[n++] = attrib_column_defs[c];
	}
	return n;
}

void attrib_cells(const struct monitor *m, uint32_t who, struct cell *cells)
{
	const struct cg_attr *a = attrib_class_attr(who);
	const char *path = attrib_class_path(who);
	size_t n = 0;

	if (!m->attrib)
		return;
	for (int c = 0; c < ATTRIB_NCOLS; c++) {
		if (!(m->attrib->cols & (1u << c)))
			continue;
		switch (c) {
		case ATTRIB_COL_CGROUP:
			cells[n++].s = path;
			break;
		case ATTRIB_COL_UNIT:
			cells[n++].s = a ? a->unit : NULL;
			break;
		case ATTRIB_COL_CONTAINER:
			cells[n++].s = a ? a->container_id : NULL;
			break;
		default:
			cells[n++].s = a ? a->pod_uid : NULL;
			break;
		}
	}
}

bool attrib_passes(struct monitor *m, uint32_t who)
{
	struct attrib *a = m->attrib;

	if (!a || !a->filtering)
		return true;
	if (who == ATTRIB_UNKNOWN || !attrib_class_path(who))
		return false;
	if (who >= a->npass) {
		size_t n = classes.cap;
		uint8_t *p = realloc(a->pass, n);

		if (!p)
			return true; /* the kernel filtered what it could; better shown than lost */
		memset(p + a->npass, 0, n - a->npass);
		a->pass = p;
		a->npass = n;
	}
	if (!a->pass[who])
		a->pass[who] = cg_filter_match(attrib_class_attr(who), attrib_class_path(who),
					       &m->cfg->filters) ?
				       1 :
				       2;
	return a->pass[who] == 1;
}

/* The kernel's value for a process of class cls: the class, marked when filtered out. */
static __u32 kernel_value(struct monitor *m, uint32_t cls)
{
	return cls | (attrib_passes(m, cls) ? 0 : EM_WHO_SKIP);
}

static void remember(struct attrib *a, uint32_t tgid, uint32_t cls, uint64_t now)
{
	struct recent *r = &a->recent[tgid % RECENT_N];

	r->tgid = tgid;
	r->cls = cls;
	r->at_ns = now;
}

/* Reads pid's cgroup: its class, written to the kernel; 0 when the process is gone. */
static uint32_t resolve_proc(struct monitor *m, uint32_t pid, uint64_t now)
{
	struct attrib *a = m->attrib;
	char path[PATH_SIZE];
	uint32_t cls;
	__u32 key = pid, v;
	int r = cg_read_pid((int)pid, a->h, path, sizeof(path));

	if (r == -ENOENT) {
		/* not in the hierarchy (a kernel thread has every line, so this is odd) */
		snprintf(path, sizeof(path), "/");
	} else if (r) {
		return 0;
	}
	cls = intern(path);
	v = kernel_value(m, cls);
	if (a->who_fd >= 0) {
		__u32 old;

		/* an entry that was there and is wrong (a move the kernel could not see): the
		 * fast paths' caches hold it too */
		if (monitor_map_lookup(m, a->who_fd, &key, &old) == 0 && old != v)
			task_slots_caches_stale();
		(void)monitor_map_update(m, a->who_fd, &key, &v);
	}
	remember(a, pid, cls, now);
	return cls;
}

/* The class of the idle task (pid 0, never in /proc, never exits): the root, "/". Written
 * into the kernel's table at the start, so the probes find it like any process's. */
static uint32_t idle_class(struct monitor *m)
{
	(void)m;
	return intern("/");
}

uint32_t monitor_who(struct monitor *m, uint32_t who)
{
	struct attrib *a = m->attrib;
	uint64_t now;
	uint32_t tgid, cls;
	struct recent *r;
	__u64 gone_at;

	if (!a || !who)
		return ATTRIB_NONE; /* off, or a row of no process (the idle task) */
	if (!(who & EM_WHO_TGID))
		return attrib_class_path(who & EM_WHO_CLASS) ? who & EM_WHO_CLASS : ATTRIB_UNKNOWN;
	tgid = who & ~EM_WHO_TGID;
	if (!tgid)
		return idle_class(m); /* the idle task: in the root of every hierarchy */
	now = clock_ns(CLOCK_MONOTONIC);
	/* Resolved lately (moved, or a key read before): that process's, even if it is gone. */
	r = &a->recent[tgid % RECENT_N];
	if (r->tgid == tgid && r->at_ns && now - r->at_ns < a->keep_ns)
		return r->cls;
	/* Read first, then ask whether it exited: the pid may be another process's by now. */
	cls = resolve_proc(m, tgid, now);
	if (a->gone_fd >= 0 && monitor_map_lookup(m, a->gone_fd, &(__u32){ tgid }, &gone_at) == 0)
		cls = 0;
	if (!cls) {
		classes.stats.unknown++;
		return ATTRIB_UNKNOWN;
	}
	classes.stats.resolved++;
	return cls;
}

void monitor_who_rows(struct monitor *m, struct agg_batch *b, size_t who_off)
{
	for (size_t i = 0; i < b->n; i++) {
		char *row = (char *)b->rows + i * b->size;
		uint32_t who;

		memcpy(&who, row + who_off, sizeof(who));
		who = monitor_who(m, who);
		memcpy(row + who_off, &who, sizeof(who));
	}
}

/* ---- start: every running process ---- */

static struct {
	uint32_t *tgid, *cls;
	size_t n;
	uint64_t at_ns;
	enum cg_hierarchy h;
} scan;

static int scan_processes(enum cg_hierarchy h, uint64_t now)
{
	DIR *d;
	struct dirent *e;
	size_t cap = 0;

	if (scan.at_ns && now - scan.at_ns < SCAN_REUSE_NS && scan.h == h)
		return 0;
	scan.n = 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_SIZE];
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (!isdigit((unsigned char)e->d_name[0]) || *end || !pid || pid > 4194304)
			continue;
		if (cg_read_pid((int)pid, h, path, sizeof(path)))
			continue; /* gone meanwhile */
		if (scan.n == cap) {
			size_t nc = cap ? 2 * cap : 1024;
			uint32_t *t = realloc(scan.tgid, nc * sizeof(*t));
			uint32_t *c = t ? realloc(scan.cls, nc * sizeof(*c)) : NULL;

			if (t)
				scan.tgid = t;
			if (!c) {
				closedir(d);
				return -ENOMEM;
			}
			scan.cls = c;
			cap = nc;
		}
		scan.tgid[scan.n] = (uint32_t)pid;
		scan.cls[scan.n++] = intern(path);
		classes.stats.scanned++;
	}
	closedir(d);
	scan.at_ns = now;
	scan.h = h;
	return 0;
}

int attrib_start(struct monitor *m)
{
	struct attrib *a = m->attrib;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	size_t written = 0;
	int r;

	if (!a)
		return 0;
	a->ncpus = kcheck_map_supported(KMAP_PERCPU_ARRAY) ? monitor_possible_cpus() : 1;
	for (size_t i = 0; i < m->npoints; i++) {
		if (m->points[i].alts == attrib_move_alts)
			a->rescan = !m->chosen[i] || m->chosen[i]->probes != move_tp;
	}
	a->last_scan_ns = now;
	a->moved = calloc(a->ncpus ? a->ncpus : 1, sizeof(*a->moved));
	if (!a->moved)
		return -ENOMEM;
	a->who_fd = monitor_map_fd(m, "em_who_of");
	a->gone_fd = monitor_map_fd(m, "em_who_gone");
	a->moved_fd = monitor_map_fd(m, "em_moved");
	if (a->who_fd < 0)
		return a->who_fd;
	/* a resolution stands for the interval it was made in and the one drained after it */
	a->keep_ns = (uint64_t)(2 * m->cfg->interval * 1e9) + 1000000000ull;
	r = scan_processes(a->h, now);
	if (r)
		return r;
	for (size_t i = 0; i < scan.n; i++) {
		__u32 key = scan.tgid[i], v = kernel_value(m, scan.cls[i]);

		if (monitor_map_update(m, a->who_fd, &key, &v) == 0)
			written++;
	}
	{
		__u32 idle = 0, v = kernel_value(m, idle_class(m));

		(void)monitor_map_update(m, a->who_fd, &idle, &v);
	}
	log_debug("%s: attribution: %zu of %zu processes given their cgroup's class (%zu cgroups)",
		  m->ops->name, written, scan.n, classes.n - 2);
	return 0;
}

/* Drops the exit marks older than keep_ns (the keys they stand for are drained by then). */
static void age_gone(struct monitor *m, uint64_t mono_now)
{
	struct attrib *a = m->attrib;
	uint64_t kt_now = mono_now; /* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
	__u32 key, next, *prev = NULL;
	__u32 stale[256];
	size_t nstale = 0;

	if (a->gone_fd < 0)
		return;
	while (monitor_map_next_key(m, a->gone_fd, prev, &next, sizeof(next)) == 0) {
		__u64 at;

		key = next;
		prev = &key;
		if (monitor_map_lookup(m, a->gone_fd, &key, &at) == 0 && kt_now > at &&
		    kt_now - at > a->keep_ns && nstale < sizeof(stale) / sizeof(stale[0]))
			stale[nstale++] = key;
	}
	for (size_t i = 0; i < nstale; i++)
		(void)monitor_map_delete(m, a->gone_fd, &stale[i]);
}

/* Without cgroup tracepoints: every process's cgroup read again, its entry fixed where it
 * moved (a process moved by another, without an exec after it, is seen here). */
static void recheck_all(struct monitor *m, uint64_t now)
{
	struct attrib *a = m->attrib;
	size_t fixed = 0;

	scan.at_ns = 0; /* a fresh read, not the last one */
	if (scan_processes(a->h, now))
		return;
	for (size_t i = 0; i < scan.n; i++) {
		__u32 key = scan.tgid[i], v = kernel_value(m, scan.cls[i]), old;

		if (monitor_map_lookup(m, a->who_fd, &key, &old) == 0 && old == v)
			continue;
		if (monitor_map_update(m, a->who_fd, &key, &v) == 0)
			fixed++;
		remember(a, key, scan.cls[i], now);
	}
	if (fixed)
		task_slots_caches_stale();
	if (fixed)
		log_debug("%s: attribution: %zu processes in another cgroup than the kernel had",
			  m->ops->name, fixed);
}

void attrib_poll(struct monitor *m)
{
	struct attrib *a = m->attrib;
	uint64_t now;
	bool any = false;

	if (!a || a->moved_fd < 0 || !a->moved)
		return;
	now = clock_ns(CLOCK_MONOTONIC);
	if (monitor_map_lookup(m, a->moved_fd, &(__u32){ 0 }, a->moved) == 0) {
		for (unsigned c = 0; c < a->ncpus; c++) {
			const struct em_moved *mv = &a->moved[c];

			for (unsigned i = 0; i < mv->n && i < EM_MOVED_N; i++) {
				if (resolve_proc(m, mv->pid[i], now))
					classes.stats.moved++;
			}
			any |= mv->n != 0;
		}
		if (any) {
			/* a note the kernel adds between the read and this waits for the drain */
			memset(a->moved, 0, a->ncpus * sizeof(*a->moved));
			(void)monitor_map_update(m, a->moved_fd, &(__u32){ 0 }, a->moved);
		}
	}
	if (now - a->last_age_ns >= 1000000000ull) {
		age_gone(m, now);
		a->last_age_ns = now;
	}
	if (a->rescan && now - a->last_scan_ns >= RESCAN_NS) {
		recheck_all(m, now);
		a->last_scan_ns = now;
	}
}

void attrib_free(struct monitor *m)
{
	if (!m || !m->attrib)
		return;
	free(m->attrib->moved);
	free(m->attrib->pass);
	free(m->attrib);
	m->attrib = NULL;
}
