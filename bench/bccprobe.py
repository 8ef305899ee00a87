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
  bccprobe.py scf:NAME            the syscall probe with its fast path (task slots), the name
  bccprobe.py csf:NAME            "hotloop" given slot 0 as the monitor gives it to a busy name
  bccprobe.py pff:NAME            (likewise the context_switch and page_fault probes)
  bccprobe.py interleave LOOP CYCLES MODE...
                                  every MODE (floor-*, or a probe variant as above) loaded at
                                  once; then CYCLES cycles of: each MODE and no tracer in turn
                                  (the order rotating), attached alone around one run of
                                  $BENCH_HOTLOOP LOOP (BENCH_HOTLOOP_ARGS: N BURSTS, pinned to
                                  BENCH_CPU). Prints "cycle<TAB>mode<TAB>ns per event" lines
                                  ("none": untraced). Attaching is milliseconds, so the cases
                                  alternate many times a second: drifts of the machine's speed
                                  (other tenants) fall on every case alike.
  bccprobe.py body LOOP CYCLES MODE...
                                  as interleave, with every program timed from inside: its
                                  body between two bpf_ktime_get_ns() calls, summed per CPU in
                                  a map of its own (nothing global is switched on). Prints
                                  "cycle<TAB>mode<TAB>ns per program run"; an empty program's
                                  figure is the timing's own cost.
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
import subprocess
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
VARIANTS["cs"]["before"] = VARIANTS["cs"]["probe_read"] + VARIANTS["cs"]["atomic"]
# The syscall probe's fast path (task slots: probes/common.h, EM_TASK_SLOTS), as the monitor
# builds it on this kernel; the replacements apply to the whole text (common.h included).
VARIANTS["scf"] = {
    # the name has no slot: every call on the hash path, with the cached name
    "hashpath": [],
    # no bpf_probe_read of pt_regs->orig_ax (every call counted as getppid's number)
    "noread": [("bpf_probe_read(&nr, sizeof(nr), &regs->orig_ax);", "nr = 110;")],
    # the thread told by bpf_get_current_task() (inlined by the JIT on new x86_64 kernels)
    "task": [("\t__u64 id = bpf_get_current_pid_tgid();\n", "\t__u64 id = bpf_get_current_task();\n")],
    # no bpf_get_current_pid_tgid: the entry is trusted (a bound, not a correct probe)
    "noid": [("\t__u64 id = bpf_get_current_pid_tgid();\n", "\t__u64 id = 0;\n")],
}
# The context_switch and page_fault probes' fast paths, as the monitors build them here.
VARIANTS["csf"] = {
    # the names have no slot: every switch on the hash path, past the pid cache
    "hashpath": [],
}
VARIANTS["pff"] = {
    # the name has no slot: every fault on the hash path, with the cached name
    "hashpath": [],
    # no bpf_get_current_pid_tgid: the entry is trusted (a bound, not a correct probe)
    "noid": [("\t__u64 id = bpf_get_current_pid_tgid();\n", "\t__u64 id = 0;\n")],
}
# (No variant without em_gen: the cache would keep a name across exec, and the loop, exec'd by
# taskset, would keep taskset's name, which has no slot: the hash path, not a bound.)
FAST_FLAGS = {"scf": ["-DSYSCALL_FAST=1", "-DEM_TASK_SLOTS=64"],
              "csf": ["-DEM_TASK_SLOTS=62"],
              "pff": ["-DEM_TASK_SLOTS=64", "-DPF_NODE_FROM_CPU=1"]}
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
FILES = {"sc": "syscall.bpf.c", "scf": "syscall.bpf.c", "cs": "context_switch.bpf.c",
         "csf": "context_switch.bpf.c", "pf": "page_fault.bpf.c", "pff": "page_fault.bpf.c",
         "op": "open.bpf.c"}
MONITOR = {"sc": "syscall", "scf": "syscall", "cs": "context_switch", "csf": "context_switch",
           "pf": "page_fault", "pff": "page_fault", "op": "open"}
# what each probe's monitor adds to the -D flags on this kernel (src/monitors/<m>.c configure)
EXTRA_FLAGS = {"op": ["-DOPEN_INFLIGHT_LRU=1", "-DOPEN_LOOPS=1", "-DOPEN_NR_OPEN=2", "-DOPEN_NR_OPENAT=257",
                      "-DOPEN_NR_OPENAT2=437"]}


def variant(probe, name):
    b = load_variant(probe, name)
    hook(b, probe, True)
    return b


# The programs of each hook, and their timed wrapper (body mode): the program renamed
# NAME__body, inlined into a NAME that times it.
PROGS = {"sc": ["raw_sys_exit"], "cs": ["tp_sched_switch"],
         "pf": ["pe_fault_minor", "pe_fault_major"], "op": ["tp_enter_openat", "tp_exit_openat"]}
TIMED = r"""
struct em_bench_time { __u64 ns; __u64 n; };
BPF_PERCPU_ARRAY(em_bench_time, struct em_bench_time, 1);
"""
TIMED_WRAPPER = r"""
int %(f)s(%(params)s)
{
	int z = 0;
	__u64 t0 = bpf_ktime_get_ns(), t1;
	struct em_bench_time *t;

	%(f)s__body(ctx);
	t1 = bpf_ktime_get_ns();
	t = em_bench_time.lookup(&z);
	if (t) {
		t->ns += t1 - t0;
		t->n++;
	}
	return 0;
}
"""


def timed(src, probe):
    """src with each of the hook's programs timed (see TIMED_WRAPPER)."""
    src += TIMED
    for f in PROGS[probe[:2]]:
        m = re.search(r"^int %s\(([^)]*)\)\n\{" % f, src, re.M)
        if not m:
            sys.exit("the probe text changed: no program %s" % f)
        src = (src[:m.start()] + "static __always_inline int %s__body(%s)\n{" % (f, m.group(1))
               + src[m.end():])
        src += TIMED_WRAPPER % {"f": f, "params": m.group(1)}
    return src


def load_variant(probe, name, time_it=False):
    """The variant compiled and loaded, its hook not attached (the fast path's bookkeeping is)."""
    src = inline_includes(os.path.join(PROBES, FILES[probe]))
    if name != "full":
        if name not in VARIANTS[probe]:
            sys.exit("unknown variant %s:%s" % (probe, name))
        for old, new in VARIANTS[probe][name]:
            src = sub(src, old, new)
        for name_, defs in (("OP_FLAT_DEFS", OP_FLAT_DEFS), ("OP_RAWTP_DEFS", OP_RAWTP_DEFS)):
            src = src.replace(name_, defs)
    if time_it:
        src = timed(src, probe)
    extra = FAST_FLAGS.get(probe, []) + EXTRA_FLAGS.get(probe, [])
    if probe == "op":
        # op:before* is the probe as before issue 18's fast path (what older kernels run)
        extra.append("-DOPEN_FAST=%d" % (not name.startswith("before")))
        if name == "unrolled":
            extra.remove("-DOPEN_LOOPS=1")
        extra += OP_FLAGS.get(name, [])
    b = BPF(text=src, cflags=FLAGS + extra + [
        "-DEM_MONITOR_%s=1" % MONITOR[probe], "-DEM_SELF_TGID=%d" % os.getpid()])
    b.em_op_rawtp = probe == "op" and name == "rawtp"
    if probe in FAST_FLAGS:
        # what the monitor's user space does: a slot for the busy name, the generation bumps
        if name != "hashpath":
            b["em_slot_of"][b["em_slot_of"].Key(b"hotloop")] = b["em_slot_of"].Leaf(0)
        b.attach_tracepoint(tp="sched:sched_process_fork", fn_name="em_tp_task_fork")
        b.attach_tracepoint(tp="task:task_rename", fn_name="em_tp_task_rename")
    return b


PF_EVENTS = ((PerfSWConfig.PAGE_FAULTS_MIN, "pe_fault_minor"),
             (PerfSWConfig.PAGE_FAULTS_MAJ, "pe_fault_major"))


def hook(b, probe, on, empty=False):
    """Attaches (on) or detaches the program(s) of probe's hook; empty: the floor's program."""
    if probe in ("sc", "scf"):
        if on:
            b.attach_raw_tracepoint(tp="sys_exit", fn_name="empty" if empty else "raw_sys_exit")
        else:
            b.detach_raw_tracepoint(tp="sys_exit")
    elif probe == "op":
        if getattr(b, "em_op_rawtp", False):
            progs = (("sys_enter", "rawtp_open_enter"), ("sys_exit", "rawtp_open_exit"))
            for tp, fn in progs:
                if on:
                    b.attach_raw_tracepoint(tp=tp, fn_name=fn)
                else:
                    b.detach_raw_tracepoint(tp=tp)
        else:
            progs = (("syscalls:sys_enter_openat", "tp_enter_openat"),
                     ("syscalls:sys_exit_openat", "tp_exit_openat"))
            for tp, fn in progs:
                if on:
                    b.attach_tracepoint(tp=tp, fn_name="empty" if empty else fn)
                else:
                    b.detach_tracepoint(tp=tp)
    elif probe in ("cs", "csf"):
        if on:
            b.attach_tracepoint(tp="sched:sched_switch",
                                fn_name="empty" if empty else "tp_sched_switch")
        else:
            b.detach_tracepoint(tp="sched:sched_switch")
    else:
        for cfg, fn in PF_EVENTS:
            if on:
                b.attach_perf_event(ev_type=PerfType.SOFTWARE, ev_config=cfg,
                                    fn_name="empty" if empty else fn, sample_period=1)
            else:
                b.detach_perf_event(ev_type=PerfType.SOFTWARE, ev_config=cfg)


def load_floor(mode, time_it=False):
    probe = FLOOR_HOOK[mode]
    if not time_it:
        return BPF(text=EMPTY)
    src = "static __always_inline int empty__body(void *ctx) { return 0; }\n" + TIMED
    for f in PROGS[probe]:
        src += TIMED_WRAPPER.replace("%(f)s__body", "empty__body") % {"f": f, "params": "void *ctx"}
    return BPF(text=src)


def run_loop(loop):
    out = subprocess.run(["taskset", "-c", os.environ.get("BENCH_CPU", str(os.cpu_count() - 1)),
                          os.environ["BENCH_HOTLOOP"], loop]
                         + os.environ.get("BENCH_HOTLOOP_ARGS", "").split(), check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return float(re.match(r"ns_per_event=([0-9.]+)", out).group(1))


def body_ns(b):
    """ns and program runs so far, summed over CPUs."""
    vals = b["em_bench_time"][0]
    return sum(v.ns for v in vals), sum(v.n for v in vals)


FLOOR_HOOK = {"floor-sys_exit": "sc", "floor-sched_switch": "cs", "floor-page_faults": "pf",
              "floor-openat": "op"}


def interleave(loop, cycles, modes, time_it=False):
    """See the module's text (interleave; body with time_it)."""
    loaded = {}
    for m in modes:
        if m in FLOOR_HOOK:
            # the floors' programs are named after the hook's when timed (so that hook() finds them)
            loaded[m] = (load_floor(m, time_it), FLOOR_HOOK[m], not time_it)
        else:
            probe, name = m.split(":")
            loaded[m] = (load_variant(probe, name, time_it), probe, False)
    order = list(modes) if time_it else ["none"] + list(modes)
    print("attached", flush=True)
    for c in range(cycles):
        k = c % len(order)
        for m in order[k:] + order[:k]:
            if m != "none":
                b, probe, empty = loaded[m]
                hook(b, probe, True, empty)
                t0, n0 = body_ns(b) if time_it else (0, 0)
            ns = run_loop(loop)
            if m != "none":
                if time_it:
                    t1, n1 = body_ns(b)
                    ns = (t1 - t0) / (n1 - n0) if n1 > n0 else float("nan")
                hook(b, probe, False)
            print("%d\t%s\t%.2f" % (c, m, ns), flush=True)


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
    if mode in ("interleave", "body"):
        return interleave(sys.argv[2], int(sys.argv[3]), sys.argv[4:], mode == "body")
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
    elif re.match(r"^(sc|scf|cs|csf|pf|pff|op):\w+$", mode):
        b = variant(*mode.split(":"))
    else:
        sys.exit(__doc__)
    print("attached", flush=True)
    while not done:
        signal.pause()


if __name__ == "__main__":
    main()
