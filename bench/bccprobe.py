#!/usr/bin/python3
"""bccprobe.py - minimal BCC programs for bench/run.sh (hotpath, variants, startup).

  bccprobe.py floor-sys_exit      empty program on the sys_exit raw tracepoint (the hook the
                                  syscall monitor uses on x86_64): the floor
  bccprobe.py floor-sched_switch  empty program on the sched:sched_switch tracepoint
  bccprobe.py floor-page_faults   empty programs on the software perf events page-faults-min
                                  and page-faults-maj, sample period 1, every CPU
  bccprobe.py floor-openat        empty programs on syscalls:sys_enter_openat and sys_exit_openat
                                  (the hooks the open monitor uses)
  bccprobe.py floor-raw_syscalls  empty programs on the raw_syscalls:sys_enter and sys_exit
                                  tracepoints (open's last-resort alternative)
  bccprobe.py floor-rawtp_sys     empty programs on the sys_enter and sys_exit raw tracepoints
  bccprobe.py opensnoop-tp        opensnoop-bpfcc's own program (its kprobe variant: entry keeps
                                  comm, path pointer and flags in a hash by pid_tgid; return reads
                                  the path and sends a 300-byte event per open through a perf
                                  buffer) on syscalls:sys_enter_openat/sys_exit_openat, and its
                                  consumer printing each event as opensnoop does: for kernels where
                                  opensnoop-bpfcc itself cannot attach (no kprobes, no fentry)
  bccprobe.py sc:NAME             the monitor's own probe text (probes/<m>.bpf.c, the monitor's
  bccprobe.py cs:NAME             -D flags for this kernel, default options) on the monitor's
  bccprobe.py pf:NAME             hook, as shipped (NAME full) or with one change (see VARIANTS)
  bccprobe.py op:NAME             (op: syscalls:sys_enter_openat/sys_exit_openat)
  bccprobe.py open-collisions     a check, not a measurement: the open probe's fast path with a
                                  hash that gives every path the same id (OPEN_HASH_MUL=0), a
                                  child's opens of paths of equal and unequal lengths: each path
                                  counted exactly under its own id until the ids to try are used
                                  (four with loops, two written out), the other paths' opens
                                  counted lost (map full), none given to another path; exits 1 if
                                  not
  bccprobe.py compile-times       seconds libbcc takes to compile (clang + load) each probe
                                  text, an empty program, and page_fault with
                                  <uapi/linux/bpf_perf_event.h> (as it was); one line each

Prints "attached" on stdout once attached, then waits for SIGINT/SIGTERM. The probe texts are
read from probes/ and changed here, in memory; the sources are not modified.
"""
import os
import re
import signal
import sys
import time

from bcc import BPF, PerfType, PerfSWConfig

EMPTY = "int empty(void *ctx) { return 0; }\n"
PROBES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "probes")
FLAGS = ["-DEM_SYSCALL_WRAPPER=1", "-DEM_ARCH_X86_64=1"]


def inline_includes(path):
    """Quoted #includes inlined, as cmake/EmbedProbes.cmake does (bcc rewrites map calls only
    in the main file)."""
    out = []
    for line in open(path):
        m = re.match(r'\s*#include "([^"]+)"', line)
        out.append(inline_includes(os.path.join(PROBES, m.group(1))) if m else line)
    return "".join(out)


def sub(src, old, new):
    if old not in src:
        sys.exit("the probe text changed: %r not found" % old)
    return src.replace(old, new)


# (probe, variant) -> list of (old, new) replacements; "full" is the probe as shipped.
VARIANTS = {
    "sc": {
        # no em_skip_current(): no pid_tgid helper, no self check
        "noskip": [("if (nr < 0 || em_skip_current())", "if (nr < 0)")],
        # no em_epoch array lookup: epoch is always 0
        "noepoch": [("k.epoch = em_epoch_now();", "k.epoch = 0;")],
        # no bpf_get_current_comm: the key is (epoch, nr)
        "nocomm": [("bpf_get_current_comm(&k.comm, sizeof(k.comm));", "")],
        # no bpf_probe_read of pt_regs->orig_ax (every call counted as nr 0)
        "noread": [("bpf_probe_read(&nr, sizeof(nr), &regs->orig_ax);", "nr = 0;")],
        # skip, epoch, comm kept; a per-CPU array slot instead of the per-CPU hash lookup
        "nohash": [
            ("v = syscall_counts.lookup(&k);",
             "{ int z = 0; v = (struct syscall_value *)syscall_flat.lookup(&z); "
             "if (v) { v->count += k.nr + k.comm[0] + k.epoch; } return 0; }"),
            ("BPF_TABLE(\"percpu_hash\", struct syscall_key, struct syscall_value, syscall_counts,",
             "BPF_PERCPU_ARRAY(syscall_flat, struct syscall_value, 1);\n"
             "BPF_TABLE(\"percpu_hash\", struct syscall_key, struct syscall_value, syscall_counts,")],
        # bpf_probe_read_kernel (5.5+) for pt_regs->orig_ax instead of bpf_probe_read
        "readkernel": [("bpf_probe_read(&nr, sizeof(nr), &regs->orig_ax);",
                        "bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax);")],
        # research for issue 18 (not shipped): a per-CPU cache of the running task's name,
        # valid while the same thread runs and no exec/rename bumped the generation
        "cache": [("bpf_get_current_comm(&k.comm, sizeof(k.comm));", "sc_cached_comm((__u64 *)k.comm);"),
                  ("static __always_inline int syscall_account(long nr, long ret)",
                   "SC_CACHE_DEFS\nstatic __always_inline int syscall_account(long nr, long ret)")],
        # research for issue 18 (not shipped): the cache also holds the task's slot; counts in
        # a per-CPU array indexed by (epoch, slot, nr): no comm read and no hash lookup while the
        # same thread keeps running; bpf_probe_read_kernel for orig_ax
        "fast": [("static __always_inline int syscall_account(long nr, long ret)\n{",
                  "SC_CACHE_DEFS\nSC_FAST_DEFS\n"
                  "static __always_inline int syscall_account(long nr, long ret)\n{\n"
                  "\tif (sc_fast(nr, ret) == 0) return 0;"),
                 ("bpf_probe_read(&nr, sizeof(nr), &regs->orig_ax);",
                  "bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax);")],
    },
    "cs": {
        # as before the change: five bpf_probe_read calls instead of loads from the record
        "probe_read": [
            ("CS_LOAD(prev_pid, CS_PREV_PID_OFF);",
             "bpf_probe_read(&prev_pid, sizeof(prev_pid), (char *)ctx + CS_PREV_PID_OFF);"),
            ("CS_LOAD(next_pid, CS_NEXT_PID_OFF);",
             "bpf_probe_read(&next_pid, sizeof(next_pid), (char *)ctx + CS_NEXT_PID_OFF);"),
            ("CS_LOAD(state, CS_PREV_STATE_OFF);",
             "bpf_probe_read(&state, sizeof(state), (char *)ctx + CS_PREV_STATE_OFF);"),
            ("\tif (off % 8 == 0) {", "\tif (0) {")],
        # as before the change: atomic adds instead of plain increments
        "atomic": [
            ("v->count++;", "__sync_fetch_and_add(&v->count, 1);"),
            ("v->voluntary++;", "__sync_fetch_and_add(&v->voluntary, 1);"),
            ("v->involuntary++;", "__sync_fetch_and_add(&v->involuntary, 1);")],
        # a per-CPU hash (the key holds the CPU already: no gain expected)
        "percpu": [("BPF_HASH(cs_counts", "BPF_PERCPU_HASH(cs_counts")],
    },
    "pf": {
        # no bpf_get_current_comm
        "nocomm": [("bpf_get_current_comm(&k.comm, sizeof(k.comm));", "")],
        # as before the change: an atomic add instead of a plain increment
        "atomic": [("v->count++;", "__sync_fetch_and_add(&v->count, 1);")],
    },
}
# The open probe (issue 18: where the added ns per open of a known path go). Each variant takes
# one cost centre out of probes/open.bpf.c; hotloop open (one existing path, openat + close).
# The shipped fast path is OPEN_FAST=1; op:before* compile the text with OPEN_FAST=0, the path
# that kernels before 4.18 still run.
OP_FAST_COUNT = "static __always_inline void open_count_fast("
OP_FLAGS = {}  # op variants that differ by -D flags only
VARIANTS["op"] = {
    # the probe as shipped before issue 18 (OPEN_FAST=0 and em_skip_current(): kernels before
    # 4.18 run this but for one pid_tgid call less at the entry)
    "before": [("(EM_SELF_TGID && (id >> 32) == EM_SELF_TGID) || em_filtered_current()",
                "em_skip_current()")],
    # research (not shipped): the in-flight record in task storage (5.11+; BTF) instead of the
    # LRU hash: a thread's own slot, no hashing of its id
    # the fast path as kernels before 5.3 compile it (no loops: written out, two ids tried)
    "unrolled": [],
    "tstore": [
        ('BPF_TABLE("lru_hash", __u32, struct open_start, open_start, OPEN_INFLIGHT_ENTRIES);',
         "BPF_TASK_STORAGE(open_start, struct open_start);"),
        ("struct open_start *old = open_start.lookup(&tid);",
         "struct open_start *old = open_start.task_storage_get((struct task_struct *)"
         "bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);"),
        ("if (open_start.update(&tid, &s))", "if (0)"),
        ("\ts = open_start.lookup(&tid);",
         "\ts = open_start.task_storage_get((struct task_struct *)bpf_get_current_task_btf(), 0, 0);")],
    # no self check at the entry (and no filters, none configured here)
    "noskip": [("\tif ((EM_SELF_TGID && (id >> 32) == EM_SELF_TGID) || em_filtered_current())\n"
                "\t\treturn 0;\n", "")],
    # no bpf_ktime_get_ns at entry and exit
    "nots": [("old->ts_ns = bpf_ktime_get_ns();", "old->ts_ns = 0;"),
             ("__u64 now = bpf_ktime_get_ns(), d;", "__u64 now = 0, d;")],
    # the in-flight part only: the exit returns once it found its entry and marked it done
    "inflight": [("\td = now - s->ts_ns;\n",
                  "\td = now - s->ts_ns;\n\topen_start_done(s, tid);\n\tif (d != 1)\n\t\treturn 0;\n")],
    # no bpf_get_current_comm into the key
    "nocomm": [("bpf_get_current_comm(&k.comm, sizeof(k.comm));", "")],
    # no path read: the scratch's words as they were (the last path), 40 bytes of it
    "nopath": [("nw = open_read_path(p, (const char *)s->path_ptr, &k.truncated);",
                "nw = 5;\n\tp->len = 40;")],
    # no path hash computed (a constant id)
    "nopathhash": [("pk.id = open_hash((const __u64 *)p->path, nw);", "pk.id = 0x1234;")],
    # no open_paths lookup and compare: the hash is the id, unchecked
    "nopathid": [("\tif ((r = open_check_id(p, &pk, nw)) != 0)\n\t\tgoto tried;\n",
                  "\tr = 1;\n\tgoto tried;\n")],
    # research (not shipped): the fast path on the sys_enter/sys_exit raw tracepoints, the
    # opens picked by number (the exit reads pt_regs->orig_ax): cheaper per open, but run for
    # every syscall of the machine (bench/run.sh variants measures getppid() under it too)
    "rawtp": [("int raw_open_exit(void *ctx)", "OP_RAWTP_DEFS\nint raw_open_exit(void *ctx)")],
    # bpf_probe_read_user_str (5.5+) instead of bpf_probe_read_str for the path
    "readuser": [("long n = bpf_probe_read_str(p->path, OPEN_PATH_LEN, src);",
                  "long n = bpf_probe_read_user_str(p->path, OPEN_PATH_LEN, src);")],
    # a per-CPU array slot instead of the counts' per-CPU hash lookup (the value updated the
    # same way)
    "nocount": [("\tk.path_id = pk.id;\n\tv = open_value_of(&k);",
                 "\tk.path_id = pk.id;\n\topen_count_flat(&k, d, ret);\n\treturn;\n\tv = open_value_of(&k);"),
                (OP_FAST_COUNT, "OP_FLAT_DEFS\n" + OP_FAST_COUNT)],
}
VARIANTS["cs"]["before"] = VARIANTS["cs"]["probe_read"] + VARIANTS["cs"]["atomic"]
# research: the fast path's bound without the orig_ax read (every call counted as nr 0)
VARIANTS["sc"]["fastnoread"] = VARIANTS["sc"]["fast"][:1] + [
    ("bpf_probe_read(&nr, sizeof(nr), &regs->orig_ax);", "nr = 0;")]

# The task cache of the research variants: one per-CPU entry, the thread it is for and the
# generation of names it saw (an exec or rename would bump sc_gen; not attached here: the
# variants measure the path while the same thread keeps running, the hot loop's case).
SC_CACHE_DEFS = r"""
struct sc_task_cache { __u64 pid_tgid; __u32 gen; __u32 slot; __u64 comm[2]; };
BPF_PERCPU_ARRAY(sc_cache, struct sc_task_cache, 1);
BPF_ARRAY(sc_gen, __u32, 1);
static __always_inline void sc_cached_comm(__u64 *comm)
{
	int z = 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct sc_task_cache *c = sc_cache.lookup(&z);
	__u32 *g = sc_gen.lookup(&z);

	if (c && g && c->pid_tgid == id && c->gen == *g) {
		comm[0] = c->comm[0];
		comm[1] = c->comm[1];
		return;
	}
	bpf_get_current_comm(comm, 16);
	if (c && g) {
		c->pid_tgid = id;
		c->gen = *g;
		c->comm[0] = comm[0];
		c->comm[1] = comm[1];
	}
}
"""
# Counts by (epoch, slot, nr) in a per-CPU array; slots of names from a hash filled on a miss.
SC_FAST_DEFS = r"""
#define SC_SLOTS 64
#define SC_NR 512
BPF_PERCPU_ARRAY(sc_counts, struct syscall_value, 2 * SC_SLOTS * SC_NR);
BPF_HASH(sc_slots, struct em_comm, __u32, SC_SLOTS);
BPF_ARRAY(sc_next_slot, __u32, 1);
static __always_inline int sc_fast(long nr, long ret)
{
	int z = 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct sc_task_cache *c = sc_cache.lookup(&z);
	__u32 *g = sc_gen.lookup(&z), slot, i;
	struct syscall_value *v;

	if (!c || !g || nr < 0 || nr >= SC_NR)
		return 1;
	if (c->pid_tgid != id || c->gen != *g) {
		struct em_comm name = {};
		__u32 *s;

		bpf_get_current_comm(&name, sizeof(name));
		s = sc_slots.lookup(&name);
		if (!s) {
			__u32 *next = sc_next_slot.lookup(&z), n;

			if (!next)
				return 1;
			n = (*next)++; /* research only: racy between CPUs */
			if (n >= SC_SLOTS)
				return 1;
			sc_slots.update(&name, &n);
			s = sc_slots.lookup(&name);
			if (!s)
				return 1;
		}
		c->pid_tgid = id;
		c->gen = *g;
		c->slot = *s;
	}
	slot = c->slot;
	if (slot >= SC_SLOTS)
		return 1;
	i = ((em_epoch_now() & 1) * SC_SLOTS + slot) * SC_NR + (__u32)nr;
	v = sc_counts.lookup(&i);
	if (!v)
		return 1;
	v->count++;
	if (ret < 0 && ret >= -4095)
		v->errors++;
	return 0;
}
"""
# op:nohash: the value in a per-CPU array slot (no key hashed or compared)
OP_FLAT_DEFS = r"""
BPF_PERCPU_ARRAY(op_flat, struct open_value, 1);
static __always_inline void open_count_flat(void *k, __u64 d, long ret)
{
	int z = 0;
	struct open_value *v = op_flat.lookup(&z);

	if (!v)
		return;
	v->count++;
	v->lat_sum_ns += d;
	if (v->count == 1 || d < v->lat_min_ns)
		v->lat_min_ns = d;
	if (d > v->lat_max_ns)
		v->lat_max_ns = d;
	if (ret < 0) {
		v->errors++;
		open_count_errno(v, -ret);
	}
}
"""
# op:rawtp: the open probe's entry and exit on the raw tracepoints (x86_64 pt_regs)
OP_RAWTP_DEFS = r"""
int rawtp_open_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	unsigned long a[3] = {}; /* dx, si, di: flags, path, dfd of openat */

	if ((long)ctx->args[1] != OPEN_NR_OPENAT)
		return 0;
	bpf_probe_read(a, sizeof(a), &regs->dx);
	return open_enter(OPEN_OP_OPENAT, (const char *)a[1], (__u32)a[0]);
}

int rawtp_open_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = -1;

	bpf_probe_read(&nr, sizeof(nr), &regs->orig_ax);
	if (nr != OPEN_NR_OPENAT)
		return 0;
	return open_exit(OPEN_OP_OPENAT, (long)ctx->args[1]);
}
"""
FILES = {"sc": "syscall.bpf.c", "cs": "context_switch.bpf.c", "pf": "page_fault.bpf.c",
         "op": "open.bpf.c"}
MONITOR = {"sc": "syscall", "cs": "context_switch", "pf": "page_fault", "op": "open"}
# what each probe's monitor adds to the -D flags on this kernel (src/monitors/<m>.c configure)
EXTRA_FLAGS = {"op": ["-DOPEN_INFLIGHT_LRU=1", "-DOPEN_LOOPS=1", "-DOPEN_NR_OPEN=2", "-DOPEN_NR_OPENAT=257",
                      "-DOPEN_NR_OPENAT2=437"]}


def variant(probe, name):
    src = inline_includes(os.path.join(PROBES, FILES[probe]))
    if name != "full":
        if name not in VARIANTS[probe]:
            sys.exit("unknown variant %s:%s" % (probe, name))
        for old, new in VARIANTS[probe][name]:
            src = sub(src, old, new)
        for name_, defs in (("SC_CACHE_DEFS", SC_CACHE_DEFS), ("SC_FAST_DEFS", SC_FAST_DEFS),
                            ("OP_FLAT_DEFS", OP_FLAT_DEFS), ("OP_RAWTP_DEFS", OP_RAWTP_DEFS)):
            src = src.replace(name_, defs)
    extra = list(EXTRA_FLAGS.get(probe, []))
    if probe == "op":
        # op:before* is the probe as before issue 18's fast path (what older kernels run)
        extra.append("-DOPEN_FAST=%d" % (not name.startswith("before")))
        if name == "unrolled":
            extra.remove("-DOPEN_LOOPS=1")
        extra += OP_FLAGS.get(name, [])
    b = BPF(text=src, cflags=FLAGS + extra + [
        "-DEM_MONITOR_%s=1" % MONITOR[probe], "-DEM_SELF_TGID=%d" % os.getpid()])
    if probe == "sc":
        b.attach_raw_tracepoint(tp="sys_exit", fn_name="raw_sys_exit")
    elif probe == "cs":
        b.attach_tracepoint(tp="sched:sched_switch", fn_name="tp_sched_switch")
    elif probe == "op" and name == "rawtp":
        b.attach_raw_tracepoint(tp="sys_enter", fn_name="rawtp_open_enter")
        b.attach_raw_tracepoint(tp="sys_exit", fn_name="rawtp_open_exit")
    elif probe == "op":
        b.attach_tracepoint(tp="syscalls:sys_enter_openat", fn_name="tp_enter_openat")
        b.attach_tracepoint(tp="syscalls:sys_exit_openat", fn_name="tp_exit_openat")
    else:
        for cfg, fn in ((PerfSWConfig.PAGE_FAULTS_MIN, "pe_fault_minor"),
                        (PerfSWConfig.PAGE_FAULTS_MAJ, "pe_fault_major")):
            b.attach_perf_event(ev_type=PerfType.SOFTWARE, ev_config=cfg, fn_name=fn,
                                sample_period=1)
    return b


# opensnoop-bpfcc 0.26's kprobe program (bpf_text + bpf_text_kprobe + the entry body, no
# filters), its entry and return moved onto the openat syscall tracepoints.
OPENSNOOP_TP = r"""
#include <uapi/linux/ptrace.h>
#include <uapi/linux/limits.h>
#include <linux/sched.h>
struct val_t {
    u64 id;
    char comm[TASK_COMM_LEN];
    const char *fname;
    int flags;
};
struct data_t {
    u64 id;
    u64 ts;
    u32 uid;
    int ret;
    char comm[TASK_COMM_LEN];
    char name[NAME_MAX];
    int flags;
};
BPF_PERF_OUTPUT(events);
BPF_HASH(infotmp, u64, struct val_t);

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    u64 id = bpf_get_current_pid_tgid();
    struct val_t *valp;
    struct data_t data = {};
    u64 tsp = bpf_ktime_get_ns();

    valp = infotmp.lookup(&id);
    if (valp == 0)
        return 0;
    bpf_probe_read_kernel(&data.comm, sizeof(data.comm), valp->comm);
    bpf_probe_read_user_str(&data.name, sizeof(data.name), (void *)valp->fname);
    data.id = valp->id;
    data.ts = tsp / 1000;
    data.uid = bpf_get_current_uid_gid();
    data.flags = valp->flags;
    data.ret = args->ret;
    events.perf_submit(args, &data, sizeof(data));
    infotmp.delete(&id);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct val_t val = {};
    u64 id = bpf_get_current_pid_tgid();
    u32 uid = bpf_get_current_uid_gid();

    if (bpf_get_current_comm(&val.comm, sizeof(val.comm)) == 0) {
        val.id = id;
        val.fname = args->filename;
        val.flags = args->flags;
        infotmp.update(&id, &val);
    }
    return 0;
}
"""


def opensnoop_tp(done):
    """Runs OPENSNOOP_TP and prints each event as opensnoop-bpfcc does, until done."""
    b = BPF(text=OPENSNOOP_TP)
    out = sys.stdout.buffer

    def print_event(cpu, data, size):
        e = b["events"].event(data)
        fd, err = (e.ret, 0) if e.ret >= 0 else (-1, -e.ret)
        out.write(b"%-6d %-16s %4d %3d %s\n" % (e.id >> 32, e.comm, fd, err, e.name))

    b["events"].open_perf_buffer(print_event, page_cnt=64)
    print("%-6s %-16s %4s %3s PATH" % ("PID", "COMM", "FD", "ERR"), flush=True)
    print("attached", flush=True)
    while not done:
        b.perf_buffer_poll(timeout=100)
    out.flush()


def open_collisions():
    """See the docstring: with loops (four ids tried) and without (written out, two)."""
    return max(open_collisions_one(loops) for loops in (1, 0))


def open_collisions_one(loops):
    """Prints the ids, counts and paths, then PASS or FAIL."""
    import ctypes
    import subprocess
    src = inline_includes(os.path.join(PROBES, "open.bpf.c"))
    # (opens, path): three paths of one length, one shorter, two more; the first again
    plan = [(3, "ab" * 20), (5, "ba" * 20), (7, "ab" * 19 + "ac"), (2, "ab" * 20),
            (4, "short"), (6, "lost-fifth"), (9, "x" * 300)]
    code = ("import os, sys\nsys.stdin.readline()\nfor n, p in %r:\n    for i in range(n):\n"
            "        try:\n            os.close(os.open('/nonexistent-em-collide/' + p, os.O_RDONLY))\n"
            "        except OSError:\n            pass\n" % (plan,))
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    flags = [f for f in EXTRA_FLAGS["op"] if f != "-DOPEN_LOOPS=1"] + ["-DOPEN_LOOPS=%d" % loops]
    b = BPF(text=src, cflags=FLAGS + flags + [
        "-DOPEN_FAST=1", "-DOPEN_HASH_MUL=0", "-DEM_FILTER_PIDS=1", "-DEM_MONITOR_open=1"])
    b["em_filter_pids"][ctypes.c_uint(child.pid)] = ctypes.c_ubyte(1)
    b.attach_tracepoint(tp="syscalls:sys_enter_openat", fn_name="tp_enter_openat")
    b.attach_tracepoint(tp="syscalls:sys_exit_openat", fn_name="tp_exit_openat")
    child.communicate(b"go\n")
    paths = {(k.epoch, k.id): bytes(v.path[:v.len - 1]).decode() for k, v in b["open_paths"].items()}
    got = {}
    for k, vals in b["open_counts"].items():
        n = sum(v.count for v in vals)
        if not n:
            continue  # a key left by an open lost after it was inserted: no row
        path = paths.get((k.epoch, k.path_id), "?").replace("/nonexistent-em-collide/", "")
        print("id %d count %d path %s" % (k.path_id, n, path))
        got[path] = got.get(path, 0) + n
    lost = b["em_stats"][ctypes.c_int(0)].value
    tries = 4 if loops else 2
    distinct = []
    for n, p in plan:
        if p not in distinct:
            distinct.append(p)
    kept = distinct[:tries]
    want = {}
    for n, p in plan:
        if p in kept:
            want[p] = want.get(p, 0) + n
    want_lost = sum(n for n, p in plan if p not in kept)
    ok = got == want and lost == want_lost and sorted(k[1] for k in paths) == list(range(tries))
    print("loops %d, %d ids tried: lost (map full) %d\n%s" % (
        loops, tries, lost, "PASS" if ok else "FAIL: want %r, lost %d" % (want, want_lost)))
    return 0 if ok else 1


def compile_times():
    texts = [("empty program", EMPTY)]
    # bio is left out: its record offsets are -D flags the monitor reads from tracefs.
    for name in ("exec", "syscall", "context_switch", "page_fault", "open", "interrupt"):
        texts.append((name, inline_includes(os.path.join(PROBES, name + ".bpf.c"))))
    pf = dict(texts)["page_fault"]
    texts.append(("page_fault with <uapi/linux/bpf_perf_event.h> (as until 2026-11-25)",
                  "#include <uapi/linux/bpf_perf_event.h>\n" + pf))
    for name, text in texts:
        t0 = time.monotonic()
        b = BPF(text=text, cflags=FLAGS)
        print("compile\t%s\t%.3f" % (name, time.monotonic() - t0), flush=True)
        b.cleanup()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "compile-times":
        return compile_times()
    if mode == "open-collisions":
        sys.exit(open_collisions())
    done = []
    signal.signal(signal.SIGTERM, lambda *a: done.append(1))
    signal.signal(signal.SIGINT, lambda *a: done.append(1))
    if mode == "opensnoop-tp":
        return opensnoop_tp(done)
    if mode == "floor-sys_exit":
        b = BPF(text=EMPTY)
        b.attach_raw_tracepoint(tp="sys_exit", fn_name="empty")
    elif mode == "floor-sched_switch":
        b = BPF(text=EMPTY)
        b.attach_tracepoint(tp="sched:sched_switch", fn_name="empty")
    elif mode == "floor-page_faults":
        b = BPF(text=EMPTY)
        for cfg in (PerfSWConfig.PAGE_FAULTS_MIN, PerfSWConfig.PAGE_FAULTS_MAJ):
            b.attach_perf_event(ev_type=PerfType.SOFTWARE, ev_config=cfg,
                                fn_name="empty", sample_period=1)
    elif mode == "floor-openat":
        b = BPF(text=EMPTY)
        b.attach_tracepoint(tp="syscalls:sys_enter_openat", fn_name="empty")
        b.attach_tracepoint(tp="syscalls:sys_exit_openat", fn_name="empty")
    elif mode == "floor-raw_syscalls":
        b = BPF(text=EMPTY)
        b.attach_tracepoint(tp="raw_syscalls:sys_enter", fn_name="empty")
        b.attach_tracepoint(tp="raw_syscalls:sys_exit", fn_name="empty")
    elif mode == "floor-rawtp_sys":
        b = BPF(text=EMPTY)
        b.attach_raw_tracepoint(tp="sys_enter", fn_name="empty")
        b.attach_raw_tracepoint(tp="sys_exit", fn_name="empty")
    elif re.match(r"^(sc|cs|pf|op):\w+$", mode):
        b = variant(*mode.split(":"))
    else:
        sys.exit(__doc__)
    print("attached", flush=True)
    while not done:
        signal.pause()


if __name__ == "__main__":
    main()
