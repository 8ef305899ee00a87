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
        # research for issue 18: prev's slot from this CPU's "who runs here" entry, next's from
        # a per-CPU direct-mapped pid cache, counts in a per-CPU array [prev slot][next slot]
        "fast": [("\tif (prev_pid && em_skip_current())\n\t\treturn 0;\n\tk.epoch",
                  "\tif (cs_fast(ctx, prev_pid, next_pid, state) == 0)\n\t\treturn 0;\n"
                  "\tif (prev_pid && em_skip_current())\n\t\treturn 0;\n\tk.epoch"),
                 ("int tp_sched_switch(void *ctx)", "CS_FAST_DEFS\nint tp_sched_switch(void *ctx)")],
    },
    "pf": {
        # no bpf_get_current_comm
        "nocomm": [("bpf_get_current_comm(&k.comm, sizeof(k.comm));", "")],
        # as before the change: an atomic add instead of a plain increment
        "atomic": [("v->count++;", "__sync_fetch_and_add(&v->count, 1);")],
        # no bpf_get_numa_node_id (user space derives the node from the CPU)
        "nonode": [("\tk.node = bpf_get_numa_node_id();", "\tk.node = PF_NODE_UNKNOWN;")],
        # research for issue 18: a per-CPU task cache -> slot -> per-CPU array [slot][type]
        "fast": [("static __always_inline int pf_account(__u32 type)\n{",
                  "PF_FAST_DEFS\nstatic __always_inline int pf_account(__u32 type)\n{\n"
                  "\tif (pf_fast(type) == 0) return 0;")],
    },
}
# research: the fast paths without em_skip_current() (the self/filter check)
VARIANTS["cs"]["fastnoskip"] = VARIANTS["cs"]["fast"] + [
    ("\tif (prev_pid && em_skip_current())\n\t\treturn 1;", "")]
VARIANTS["pf"]["fastnogen"] = VARIANTS["pf"]["fast"] + [
    ("c->pid_tgid != id || c->gen != *g", "c->pid_tgid != id")]
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
# Research (issue 18): the page-fault fast path. A per-CPU cache of the running thread's slot
# (valid while the same pid_tgid runs here and the generation is unchanged); slots of names
# from a hash, allocated here on a miss (racy between CPUs: research only; the product's user
# space assigns them); counts per CPU in an array indexed by slot, [minor, major].
PF_FAST_DEFS = r"""
#define PF_SLOTS 256
#define PF_SLOT_SKIP 0xfffffffeu
struct pf_task_cache { __u64 pid_tgid; __u32 gen; __u32 slot; };
struct pf_slot_value { __u64 c[2]; };
BPF_PERCPU_ARRAY(pf_cache, struct pf_task_cache, 1);
BPF_ARRAY(pf_gen, __u32, 1);
BPF_PERCPU_ARRAY(pf_fast_counts, struct pf_slot_value, PF_SLOTS);
BPF_HASH(pf_slots, struct em_comm, __u32, PF_SLOTS);
BPF_ARRAY(pf_next_slot, __u32, 1);
static __always_inline int pf_fast(__u32 type)
{
	int z = 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct pf_task_cache *c = pf_cache.lookup(&z);
	__u32 *g = pf_gen.lookup(&z), slot;
	struct pf_slot_value *v;

	if (!c || !g)
		return 1;
	if (c->pid_tgid != id || c->gen != *g) {
		struct em_comm name = {};
		__u32 *s, n = PF_SLOT_SKIP;

		if (!em_skip_current()) {
			bpf_get_current_comm(&name, sizeof(name));
			s = pf_slots.lookup(&name);
			if (s) {
				n = *s;
			} else {
				__u32 *next = pf_next_slot.lookup(&z);

				if (!next)
					return 1;
				n = (*next)++;
				if (n < PF_SLOTS)
					pf_slots.update(&name, &n);
			}
		}
		c->pid_tgid = id;
		c->gen = *g;
		c->slot = n;
	}
	slot = c->slot;
	if (slot == PF_SLOT_SKIP)
		return 0;
	if (slot >= PF_SLOTS)
		return 1;
	v = pf_fast_counts.lookup(&slot);
	if (!v)
		return 1;
	v->c[type & 1]++;
	return 0;
}
"""
# Research (issue 18): the context-switch fast path. prev is the task that was next at this
# CPU's previous switch: a per-CPU "who runs here" entry gives its slot; next's slot comes from
# a per-CPU direct-mapped pid cache (validated by the generation), or the name hash on a miss.
# Slot 0 is the idle task. Counts per CPU in an array [prev slot] of [next slot][voluntary].
CS_FAST_DEFS = r"""
#define CS_SLOTS 64
#define CS_PIDC 256
#define CS_SLOT_NONE 0xffffffffu
struct cs_task { __u32 pid; __u32 gen; __u32 slot; __u32 pad; };
struct cs_fast_row { __u64 c[CS_SLOTS][2]; };
BPF_PERCPU_ARRAY(cs_cur, struct cs_task, 1);
BPF_PERCPU_ARRAY(cs_pidc, struct cs_task, CS_PIDC);
BPF_ARRAY(cs_gen, __u32, 1);
BPF_PERCPU_ARRAY(cs_fast_counts, struct cs_fast_row, CS_SLOTS);
BPF_HASH(cs_slots, struct em_comm, __u32, CS_SLOTS);
BPF_ARRAY(cs_next_slot, __u32, 1);
static __always_inline __u32 cs_slot_of(void *ctx, int off)
{
	struct em_comm name;
	int z = 0;
	__u32 *s, *next, n;

	cs_read_comm(ctx, off, name.name);
	s = cs_slots.lookup(&name);
	if (s)
		return *s;
	next = cs_next_slot.lookup(&z);
	if (!next)
		return CS_SLOT_NONE;
	n = ++(*next);
	if (n >= CS_SLOTS)
		return CS_SLOT_NONE;
	cs_slots.update(&name, &n);
	return n;
}
static __always_inline int cs_fast(void *ctx, __s32 prev_pid, __s32 next_pid, __s64 state)
{
	int z = 0;
	struct cs_task *cur = cs_cur.lookup(&z);
	__u32 *g = cs_gen.lookup(&z), ps, ns, gen;
	struct cs_fast_row *r;

	if (!cur || !g)
		return 1;
	gen = *g;
	if (prev_pid == 0)
		ps = 0;
	else if (cur->pid == prev_pid && cur->gen == gen)
		ps = cur->slot;
	else
		ps = cs_slot_of(ctx, CS_PREV_COMM_OFF);
	if (next_pid == 0) {
		ns = 0;
	} else {
		__u32 i = next_pid & (CS_PIDC - 1);
		struct cs_task *e = cs_pidc.lookup(&i);

		if (!e)
			return 1;
		if (e->pid == next_pid && e->gen == gen) {
			ns = e->slot;
		} else {
			ns = cs_slot_of(ctx, CS_NEXT_COMM_OFF);
			e->pid = next_pid;
			e->gen = gen;
			e->slot = ns;
		}
	}
	cur->pid = next_pid;
	cur->gen = gen;
	cur->slot = ns;
	if (ps >= CS_SLOTS || ns >= CS_SLOTS)
		return 1;
	if (prev_pid && em_skip_current())
		return 1;
	r = cs_fast_counts.lookup(&ps);
	if (!r)
		return 1;
	/* clang drops the mask (it knows ns < CS_SLOTS), the verifier lost that: hide ns */
	asm volatile("" : "+r"(ns));
	r->c[ns & (CS_SLOTS - 1)][prev_pid != 0 && state != 0 && !(state & CS_PREEMPT_BIT)]++;
	return 0;
}
"""
FILES = {"sc": "syscall.bpf.c", "cs": "context_switch.bpf.c", "pf": "page_fault.bpf.c"}
MONITOR = {"sc": "syscall", "cs": "context_switch", "pf": "page_fault"}


def variant(probe, name):
    src = inline_includes(os.path.join(PROBES, FILES[probe]))
    if name != "full":
        if name not in VARIANTS[probe]:
            sys.exit("unknown variant %s:%s" % (probe, name))
        for old, new in VARIANTS[probe][name]:
            src = sub(src, old, new)
            # the research code is put in as it is named, so later changes can reach into it
            for k, v in (("SC_CACHE_DEFS", SC_CACHE_DEFS), ("SC_FAST_DEFS", SC_FAST_DEFS),
                         ("PF_FAST_DEFS", PF_FAST_DEFS), ("CS_FAST_DEFS", CS_FAST_DEFS)):
                src = src.replace(k, v)
    b = BPF(text=src, cflags=FLAGS + [
        "-DEM_MONITOR_%s=1" % MONITOR[probe], "-DEM_SELF_TGID=%d" % os.getpid()])
    if probe == "sc":
        b.attach_raw_tracepoint(tp="sys_exit", fn_name="raw_sys_exit")
    elif probe == "cs":
        b.attach_tracepoint(tp="sched:sched_switch", fn_name="tp_sched_switch")
    else:
        for cfg, fn in ((PerfSWConfig.PAGE_FAULTS_MIN, "pe_fault_minor"),
                        (PerfSWConfig.PAGE_FAULTS_MAJ, "pe_fault_major")):
            b.attach_perf_event(ev_type=PerfType.SOFTWARE, ev_config=cfg, fn_name=fn,
                                sample_period=1)
    return b


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
    elif re.match(r"^(sc|cs|pf):\w+$", mode):
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
