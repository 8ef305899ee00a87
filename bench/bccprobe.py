#!/usr/bin/python3
"""bccprobe.py - minimal BCC programs for bench/run.sh (hotpath, variants, startup).

  bccprobe.py floor-sys_exit      empty program on the sys_exit raw tracepoint (the hook the
                                  syscall monitor uses on x86_64): the floor
  bccprobe.py floor-sched_switch  empty program on the sched:sched_switch tracepoint
  bccprobe.py floor-page_faults   empty programs on the software perf events page-faults-min
                                  and page-faults-maj, sample period 1, every CPU
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
FILES = {"sc": "syscall.bpf.c", "scf": "syscall.bpf.c", "cs": "context_switch.bpf.c",
         "csf": "context_switch.bpf.c", "pf": "page_fault.bpf.c", "pff": "page_fault.bpf.c"}
MONITOR = {"sc": "syscall", "scf": "syscall", "cs": "context_switch", "csf": "context_switch",
           "pf": "page_fault", "pff": "page_fault"}


def variant(probe, name):
    b = load_variant(probe, name)
    hook(b, probe, True)
    return b


# The programs of each hook, and their timed wrapper (body mode): the program renamed
# NAME__body, inlined into a NAME that times it.
PROGS = {"sc": ["raw_sys_exit"], "cs": ["tp_sched_switch"],
         "pf": ["pe_fault_minor", "pe_fault_major"]}
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
    if time_it:
        src = timed(src, probe)
    b = BPF(text=src, cflags=FLAGS + FAST_FLAGS.get(probe, []) + [
        "-DEM_MONITOR_%s=1" % MONITOR[probe], "-DEM_SELF_TGID=%d" % os.getpid()])
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


FLOOR_HOOK = {"floor-sys_exit": "sc", "floor-sched_switch": "cs", "floor-page_faults": "pf"}


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
    elif re.match(r"^(sc|scf|cs|csf|pf|pff):\w+$", mode):
        b = variant(*mode.split(":"))
    else:
        sys.exit(__doc__)
    done = []
    signal.signal(signal.SIGTERM, lambda *a: done.append(1))
    signal.signal(signal.SIGINT, lambda *a: done.append(1))
    print("attached", flush=True)
    while not done:
        signal.pause()


if __name__ == "__main__":
    main()
