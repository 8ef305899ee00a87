/* exec.c - the exec monitor: one row per execve/execveat, with the parent, the return value
 * and the first arguments; with attribution, the exec'ing process's cgroup, unit, container
 * and pod (its class when it called exec). */
#define LOG_NAME "ebpf_monitor.exec"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/exec.h"
#include "core/kcheck.h"
#include "core/log.h"
#include "monitors/attrib.h"
#include "monitors/monitor.h"
#include "monitors/syscall_table.h"
#include "core/tracefs.h"

struct exec_options {
	long long max_args;
	long long perf_buffer_pages;
};

static const struct opt_spec exec_option_specs[] = {
	{ "max_args", OPT_INT, offsetof(struct exec_options, max_args), 0, 16, NULL, "8",
	  "arguments captured per exec (bounded by 1 KiB in all)" },
	{ "perf_buffer_pages", OPT_INT, offsetof(struct exec_options, perf_buffer_pages), 8,
	  65536, NULL, "256", "perf buffer size per CPU in pages (a power of two)" },
	OPT_END,
};

enum { C_TS, C_TIMESTR, C_UID, C_PID, C_COMM, C_FILENAME, C_PPID, C_RET, C_ARGV, C_NCOLS };

static const struct column exec_columns[C_NCOLS] = {
	[C_TS] = { "timestamp", COL_TIMESTAMP, 0, 0 },
	[C_TIMESTR] = { "time_str", COL_TIMESTR, 0, 0 },
	[C_UID] = { "uid", COL_U64, 0, 6 },
	[C_PID] = { "pid", COL_U64, 0, 8 },
	[C_COMM] = { "comm", COL_STR, 0, 16 },
	[C_FILENAME] = { "filename", COL_STR, 0, COL_FLEX(1) },
	[C_PPID] = { "ppid", COL_U64, 0, 0 },
	[C_RET] = { "ret", COL_S64, 0, 0 },
	[C_ARGV] = { "argv", COL_STR, 0, 0 },
};

static const struct probe_spec exec_kprobes[] = {
	{ ATTACH_KPROBE, "syscall:execve", "kp_execve_enter" },
	{ ATTACH_KRETPROBE, "syscall:execve", "kp_exec_exit" },
	{ ATTACH_KPROBE, "syscall:execveat", "kp_execveat_enter", .optional = true },
	{ ATTACH_KRETPROBE, "syscall:execveat", "kp_exec_exit", .optional = true },
	{ 0 },
};

static const struct probe_spec exec_tracepoints[] = {
	{ ATTACH_TRACEPOINT, "syscalls:sys_enter_execve", "tp_execve_enter" },
	{ ATTACH_TRACEPOINT, "syscalls:sys_exit_execve", "tp_exec_exit" },
	{ ATTACH_TRACEPOINT, "syscalls:sys_enter_execveat", "tp_execveat_enter", .optional = true },
	{ ATTACH_TRACEPOINT, "syscalls:sys_exit_execveat", "tp_exec_exit", .optional = true },
	{ 0 },
};

static const struct probe_spec exec_fork_tracepoints[] = {
	{ ATTACH_TRACEPOINT, "sched:sched_process_fork", "tp_sched_fork" },
	{ ATTACH_TRACEPOINT, "sched:sched_process_exit", "tp_sched_exit" },
	{ 0 },
};

/* Neither kprobes nor BPF on syscall tracepoints (before 4.14): every syscall's raw record,
 * the execs picked by number. Costs a compare on every syscall: the last resort. */
static const struct probe_spec exec_raw[] = {
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_enter", "raw_exec_enter" },
	{ ATTACH_TRACEPOINT, "raw_syscalls:sys_exit", "raw_exec_exit" },
	{ 0 },
};

static const struct attach_alt exec_alts[] = {
	{ "kprobe", exec_kprobes },
	{ "tracepoint", exec_tracepoints },
	{ "raw_syscalls", exec_raw },
	{ NULL, NULL },
};

static const struct attach_alt parent_alts[] = {
	{ "tracepoint", exec_fork_tracepoints },
	{ NULL, NULL },
};

static const struct attach_point exec_points[] = {
	{ "execve", exec_alts, false },
	/* Without it the parent comes from /proc, which misses short-lived parents. */
	{ "parent", parent_alts, true },
	ATTRIB_POINTS,
};

/* Arguments sent ahead of their event (exec.h), per CPU: the pieces of one exec are consecutive
 * in one CPU's buffer. */
struct exec_pending {
	__u32 tid;
	__u32 have; /* bit per argument received */
	char args[EXEC_ARGS_SIZE];
};

struct exec_priv {
	struct exec_pending *pending;
	unsigned ncpus;
	struct exec_event joined; /* an event rebuilt from its pieces, for on_event */
};

static int exec_configure(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen)
{
	struct cflags *cf = &plan->cflags;
	const struct exec_options *o = m->opts;
	int off, size;

	if (o->perf_buffer_pages & (o->perf_buffer_pages - 1)) {
		snprintf(err, errlen,
			 "monitors.exec.perf_buffer_pages: expected a power of two, got %lld",
			 o->perf_buffer_pages);
		return -EINVAL;
	}
	plan->perf_pages = (unsigned)o->perf_buffer_pages;
	cflags_add(cf, "-DEXEC_MAX_ARGS=%lld", o->max_args);
	/* Before 4.18 the event travels in pieces with 128 bytes per argument (exec.h). */
	if (o->max_args > EXEC_ARGS_SIZE / EXEC_ARG_LEN &&
	    (!kcheck_bpf(KBPF_MAP_VALUE_KEYS) || !kcheck_bpf(KBPF_MAP_VALUE_HELPER_MEM)))
		log_info("exec: this kernel's BPF (before 4.18) captures at most %d arguments, not "
			 "max_args %lld",
			 EXEC_ARGS_SIZE / EXEC_ARG_LEN, o->max_args);
	cflags_add(cf, "-DEXEC_NR_EXECVE=%d", syscall_number("execve"));
	cflags_add(cf, "-DEXEC_NR_EXECVEAT=%d", syscall_number("execveat"));
	/* BPF_F_NO_PREALLOC came with 4.6 (RHEL 7's 3.10 reports 3.10, whatever it backports):
	 * ask the kernel. */
	if (!kcheck_map_supported(KMAP_HASH_NO_PREALLOC))
		cflags_add(cf, "-DEXEC_INFLIGHT_PREALLOC=1");
	/* sched_process_fork's layout changed (comm arrays became __data_loc in 6.x). */
	if (tracefs_field("sched", "sched_process_fork", "child_pid", &off, &size) == 0 &&
	    size == 4)
		cflags_add(cf, "-DFORK_CHILD_PID_OFF=%d", off);
	return 0;
}

/* ppid of a live process from /proc/<pid>/stat ("pid (comm) S ppid ..."); 0 if gone. */
static unsigned proc_ppid(unsigned pid)
{
	char path[64], buf[512], *p;
	unsigned ppid = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may contain ") " */
	if (!p || sscanf(p + 1, " %*c %u", &ppid) != 1)
		return 0;
	return ppid;
}

/* Seeds the kernel's child->parent map with the processes that already exist. */
static int exec_start(struct monitor *m)
{
	int fd = monitor_map_fd(m, "exec_ppid");
	struct exec_priv *pv = calloc(1, sizeof(*pv));
	struct dirent *d;
	unsigned seeded = 0;
	DIR *dir;

	if (!pv)
		return -ENOMEM;
	pv->ncpus = monitor_possible_cpus();
	pv->pending = calloc(pv->ncpus ? pv->ncpus : 1, sizeof(*pv->pending));
	m->priv = pv;
	if (!pv->pending)
		return -ENOMEM;
	if (fd < 0 || !monitor_point_attached(m, 1))
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);
		__u32 k, v;

		if (*end || !pid || pid > UINT_MAX)
			continue;
		k = (__u32)pid;
		v = proc_ppid(k);
		if (v && monitor_map_update(m, fd, &k, &v) == 0)
			seeded++;
	}
	closedir(dir);
	log_debug("parent map seeded with %u processes", seeded);
	return 0;
}

/* Joins the NUL-separated arguments with spaces. */
static void join_args(const struct exec_event *e, int size, char *out, size_t len)
{
	size_t o = 0;
	__u32 used = e->args_size;

	if (used > EXEC_ARGS_SIZE)
		used = EXEC_ARGS_SIZE;
	if ((size_t)size < offsetof(struct exec_event, args) + used)
		used = (__u32)(size - (int)offsetof(struct exec_event, args));
	for (__u32 i = 0; i < used && o + 1 < len; i++) {
		char c = e->args[i];

		if (c == '\0') {
			if (i + 1 == used)
				break;
			c = ' ';
		}
		out[o++] = c;
	}
	if ((e->flags & EXEC_F_ARGS_TRUNCATED) && o + 5 < len) {
		memcpy(out + o, " ...", 4);
		o += 4;
	}
	out[o] = '\0';
}

static void exec_take_part(struct monitor *m, int cpu, const struct exec_arg_part *p)
{
	struct exec_priv *pv = m->priv;
	struct exec_pending *q;

	if (!pv || cpu < 0 || (unsigned)cpu >= pv->ncpus ||
	    p->index >= EXEC_ARGS_SIZE / EXEC_ARG_LEN) {
		m->stats.lost_unmatched++;
		return;
	}
	q = &pv->pending[cpu];
	if (q->tid != p->tid) {
		q->tid = p->tid;
		q->have = 0;
	}
	memcpy(q->args + p->index * EXEC_ARG_LEN, p->data, EXEC_ARG_LEN);
	q->have |= 1u << p->index;
}

/* The event's arguments from the pieces received before it, packed NUL-separated as the
 * one-piece event has them. Returns the bytes used. */
static __u32 exec_join_parts(struct monitor *m, int cpu, const struct exec_event *e, char *args)
{
	struct exec_priv *pv = m->priv;
	struct exec_pending *q = NULL;
	__u32 used = 0;

	if (pv && cpu >= 0 && (unsigned)cpu < pv->ncpus && pv->pending[cpu].tid == e->tid)
		q = &pv->pending[cpu];
	for (__u32 i = 0; i < e->argc && i < EXEC_ARGS_SIZE / EXEC_ARG_LEN; i++) {
		size_t n;

		if (!q || !(q->have & (1u << i))) {
			m->stats.lost_unmatched++; /* a piece lost in the buffer */
			break;
		}
		/* at most 127 bytes, as bpf_probe_read_str leaves them */
		n = strnlen(q->args + i * EXEC_ARG_LEN, EXEC_ARG_LEN - 1);
		memcpy(args + used, q->args + i * EXEC_ARG_LEN, n);
		used += (__u32)n;
		args[used++] = '\0';
	}
	if (q)
		q->have = 0;
	return used;
}

static bool exec_on_event(struct monitor *m, int cpu, const void *data, int size)
{
	const struct exec_event *e = data;
	char comm[sizeof(e->comm) + 1], filename[EXEC_FILENAME_LEN + 1];
	char argv[EXEC_ARGS_SIZE + 8];
	struct cell cells[C_NCOLS];
	struct row r = { 0 };
	struct exec_event *joined = NULL;

	/* perf pads a record: its size is at least what was sent */
	if (size >= (int)sizeof(struct exec_arg_part) &&
	    size < (int)offsetof(struct exec_event, args) &&
	    ((const struct exec_arg_part *)data)->kind == EXEC_PART_ARG) {
		exec_take_part(m, cpu, data);
		return false; /* a piece, not an exec: the event is counted when it comes */
	}
	if (size < (int)offsetof(struct exec_event, args)) {
		m->stats.lost_unmatched++;
		return true;
	}
	if (e->flags & EXEC_F_PARTS) {
		if (!m->priv) { /* exec_start() never ran: nothing to join the pieces in */
			m->stats.lost_unmatched++;
			return true;
		}
		joined = &((struct exec_priv *)m->priv)->joined;
		memcpy(joined, e, offsetof(struct exec_event, args));
		joined->args_size = exec_join_parts(m, cpu, e, joined->args);
		e = joined;
		size = (int)sizeof(*joined);
	}
	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(e->comm), e->comm);
	snprintf(filename, sizeof(filename), "%.*s", (int)sizeof(e->filename), e->filename);
	join_args(e, size, argv, sizeof(argv));

	memset(cells, 0, sizeof(cells));
	cells[C_UID].u = e->uid;
	cells[C_PID].u = e->pid;
	cells[C_COMM].s = comm;
	cells[C_FILENAME].s = filename;
	cells[C_PPID].u = e->ppid ? e->ppid : proc_ppid(e->pid);
	cells[C_RET].i = e->retval;
	cells[C_ARGV].s = argv;
	r.ts_ns = monitor_ktime_to_real(m, e->ts_ns);
	r.cells = cells;
	/* Resolved now, while the process most likely still runs: a process the kernel had no
	 * class for (not yet resolved, or its parent was not) is read from /proc; one gone and
	 * marked by its exit is "unknown". */
	r.who = monitor_who(m, e->who);
	monitor_emit(m, &r);
	return true;
}

static void exec_destroy(struct monitor *m)
{
	struct exec_priv *pv = m->priv;

	if (pv)
		free(pv->pending);
	free(pv);
	m->priv = NULL;
}

static const struct metric_spec exec_metrics[] = {
	{ "ebpf_monitor_execs_total",
	  "execve/execveat calls by the calling task's name and result.",
	  false,
	  -1,
	  -1,
	  { METRIC_COL_BOUNDED("comm", C_COMM), METRIC_RESULT("result", C_RET) } },
};

const struct monitor_ops exec_monitor_ops = {
	.name = "exec",
	.description = "process execution: one row per execve/execveat (uid, pid, ppid, "
		       "file, args, result)",
	.probe_text = em_probe_exec,
	.points = exec_points,
	.npoints = sizeof(exec_points) / sizeof(exec_points[0]),
	.columns = exec_columns,
	.ncolumns = C_NCOLS,
	.options = exec_option_specs,
	.options_size = sizeof(struct exec_options),
	.event_cost_ns = 3000,
	.metrics = exec_metrics,
	.nmetrics = sizeof(exec_metrics) / sizeof(exec_metrics[0]),
	.aggregating = false,
	.perf_map = "exec_events",
	.configure = exec_configure,
	.start = exec_start,
	.on_event = exec_on_event,
	.destroy = exec_destroy,
};
