"""test_attrib_cs_pf.py - attribution (issue 19) of context_switch and page_fault rows to real
cgroups (tests/integration/cgroups.py), on cgroup v1 (the name=systemd hierarchy) and v2 (the
unified one), in the four layouts: service, docker scope, kubepods (systemd driver), kubepods
(cgroupfs driver).

Processes of ONE task name, one in each layout's cgroup and one left in the test's own cgroup,
each touch fresh pages and sleep many times (voluntary switches), in two halves 1.2 s apart (the
busy (name, cgroup) pairs get fast-path slots in the pause). Every process is blocked on stdin
whenever its counters are read (/proc/<pid>/stat minflt+majflt, /proc/<pid>/status
voluntary/nonvoluntary_ctxt_switches), so the rows of that name in that cgroup must sum to the
counters' deltas exactly: a page fault is the faulting task's, a switch the task switched out's
(prev). Each cgroup's rows carry its own four columns exactly; the name is one row set per
cgroup. One more process, of another name, is moved into a cgroup while the monitors run (the
kernel's move hook, which user space resolves at its next poll; without cgroup tracepoints, as
on RHEL 7, user space's re-read of every process every 2 s): its rows after the move are the
cgroup's, exactly. The idle task's rows have empty attribution columns.

The processes are kept alive until the monitors stopped: a process's last events (its final
switch out, faults in exit_mm) come after sched_process_exit, where its class is gone."""
import re
import subprocess
import sys
import time
import uuid

import cgroups
from harness import Monitor, cleanup, csv_rows, make_workdir, skip, test, write_config
from test_context_switch import CS_COLUMNS, Proc
from test_page_fault import PF_COLUMNS

ATTRIB = ["cgroup", "unit", "container_id", "pod_uid"]

# COMM PAGES SLEEPS PAUSE: after "go", PAGES fresh anonymous pages touched and SLEEPS sleeps of
# 0.5 ms, in two halves PAUSE s apart; then a line of JSON, and it waits for another line.
WORKLOAD = r"""
import ctypes, json, mmap, os, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
pages, sleeps, pause = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def half(p, s):
    buf = mmap.mmap(-1, p * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for off in range(0, p * 4096, 4096):
        buf[off] = 1
    buf.close()
    for _ in range(s):
        time.sleep(0.0005)
print(os.getpid(), flush=True)
sys.stdin.readline()
half(pages // 2, sleeps // 2)
time.sleep(pause)
half(pages - pages // 2, sleeps - sleeps // 2)
print(json.dumps({}), flush=True)
sys.stdin.readline()
"""


class Worker(Proc):
    """test_context_switch.Proc (go, wait_blocked, work_done, finish) over WORKLOAD."""

    def __init__(self, comm, pages=4096, sleeps=3000, pause=1.2):
        self.comm = comm
        self.p = subprocess.Popen([sys.executable, "-c", WORKLOAD, comm, str(pages), str(sleeps),
                                   str(pause)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.pid = int(self.p.stdout.readline())

    def counters(self):
        """(faults, voluntary, involuntary) so far, read while the process is blocked."""
        self.wait_blocked()
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        st = self.status()
        return (int(fields[7]) + int(fields[9]), st["voluntary_ctxt_switches"],
                st["nonvoluntary_ctxt_switches"])

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def own_cgroup(pid, kind):
    """The process's path in the hierarchy the attribution of `kind` reads."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            hid, ctrl, path = line.rstrip("\n").split(":", 2)
            if (kind == "v1" and "name=systemd" in ctrl.split(",")) or \
                    (kind == "v2" and hid == "0" and ctrl == ""):
                return path
    raise AssertionError(f"no {kind} line in /proc/{pid}/cgroup")


def unit_of(path):
    """The deepest *.service or *.scope component (src/core/cgroup.h), "" without one."""
    for comp in reversed(path.split("/")):
        if comp.endswith(".service") or comp.endswith(".scope"):
            return comp
    return ""


def by_cgroup(rows, name_col, comm, value_cols):
    """{cgroup path: [sums of value_cols]} of the rows of comm; asserts that every row of a
    cgroup has the same four attribution columns, returned too: {path: {column: value}}."""
    sums, attrs = {}, {}
    for r in rows:
        if r[name_col] != comm:
            continue
        a = cgroups.attrib_of(r)
        assert attrs.setdefault(a["cgroup"], a) == a, (attrs[a["cgroup"]], a)
        s = sums.setdefault(a["cgroup"], [0] * len(value_cols))
        for i, c in enumerate(value_cols):
            s[i] += int(r[c])
    return sums, attrs


def attributes_exactly(kind, extra="", container_filter=False):
    """container_filter: --container with the docker layout's ID: its rows alone, exactly, and
    no row of the idle task (no container's)."""
    why = cgroups.available(kind)
    if why:
        skip(why)
    d = make_workdir()
    cgs, procs = [], []
    try:
        comm = "em" + uuid.uuid4().hex[:10]
        late_comm = "em" + uuid.uuid4().hex[:10]
        # one process of the same name in each layout's cgroup, one left in the test's own
        for layout in cgroups.LAYOUTS:
            cg = cgroups.Cgroup(kind, layout)
            cgs.append(cg)
            w = Worker(comm)
            procs.append(w)
            cg.add(w.pid)
        control = Worker(comm)
        procs.append(control)
        control_path = own_cgroup(control.pid, kind)
        cfg = write_config(d, "  context_switch:\n    interval: 1\n    min_switches: 1\n" + extra +
                           "  page_fault:\n    interval: 1\n" + extra,
                           extra=cgroups.attribution_yaml(kind))
        args = ["-c", cfg, "-m", "context_switch,page_fault", "-v"]
        kept = cgs[1].container_id  # the DOCKER layout's
        if container_filter:
            args += ["--container", kept[:12]]
        m = Monitor(args, cwd=d)
        m.wait_attached()
        # born while the monitors run, moved while they run
        late_cg = cgroups.Cgroup(kind, cgroups.SERVICE)
        cgs.append(late_cg)
        late = Worker(late_comm)
        procs.append(late)
        late.wait_blocked()  # nothing of its own between the move and the first read
        late_cg.add(late.pid)
        # The move resolved: noted by the kernel and read at the next 0.1 s poll (exact without
        # the wait too); without cgroup tracepoints (RHEL 7, the rhel7 profile) every process
        # is read again every 2 s instead.
        time.sleep(2.5 if "who_move attached via tracepoint_exec" in m.stderr() else 0.3)
        before = {w.pid: w.counters() for w in procs}
        for w in procs:
            w.go()
        for w in procs:
            w.work_done()
        after = {w.pid: w.counters() for w in procs}
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        for w in procs:
            w.finish()
        err = m.stderr()

        header, cs_rows = csv_rows(d, "context_switch")
        assert header == CS_COLUMNS + ATTRIB, header
        header, pf_rows = csv_rows(d, "page_fault")
        assert header == PF_COLUMNS + ATTRIB, header

        control_want = {"cgroup": control_path, "unit": unit_of(control_path),
                        "container_id": "", "pod_uid": ""}
        expect = [(w, cg.expect()) for w, cg in zip(procs[:4], cgs[:4])]
        expect += [(control, control_want), (late, late_cg.expect())]
        cs_sums, cs_attrs = by_cgroup(cs_rows, "prev_comm", comm, ["voluntary", "involuntary",
                                                                  "count"])
        pf_sums, pf_attrs = by_cgroup(pf_rows, "comm", comm, ["count"])
        late_cs, late_cs_attrs = by_cgroup(cs_rows, "prev_comm", late_comm,
                                           ["voluntary", "involuntary", "count"])
        late_pf, late_pf_attrs = by_cgroup(pf_rows, "comm", late_comm, ["count"])
        for w, want in expect:
            path = want["cgroup"]
            css, csa, pfs, pfa = (late_cs, late_cs_attrs, late_pf, late_pf_attrs) if w is late \
                else (cs_sums, cs_attrs, pf_sums, pf_attrs)
            faults = after[w.pid][0] - before[w.pid][0]
            vol = after[w.pid][1] - before[w.pid][1]
            invol = after[w.pid][2] - before[w.pid][2]
            got_vol, got_invol, got_count = css.get(path, [0, 0, 0])
            got_faults = pfs.get(path, [0])[0]
            print(f"  {kind} {w.comm} {path}: page faults {got_faults} (/proc {faults}); "
                  f"switches vol {got_vol} invol {got_invol} (/proc {vol} {invol})")
            assert faults >= 4096 and vol >= 2900, (faults, vol)
            if container_filter and want["container_id"] != kept:
                assert path not in css and path not in pfs, (path, css, pfs)
                continue
            assert got_faults == faults, (path, got_faults, faults)
            assert (got_vol, got_invol) == (vol, invol), (path, got_vol, got_invol, vol, invol)
            assert got_count == vol + invol
            assert csa[path] == want, (csa[path], want)
            assert pfa[path] == want, (pfa[path], want)
        # the name's rows are those cgroups' and nobody else's (no "unknown", no mix-up)
        paths = {want["cgroup"] for w, want in expect
                 if w is not late and (not container_filter or want["container_id"] == kept)}
        assert set(cs_sums) == paths, (set(cs_sums), paths)
        assert set(pf_sums) == paths, (set(pf_sums), paths)
        # the late process: the cgroup it was born in (the test's) before the move, its own after
        assert set(late_cs) <= {late_cg.path, control_path}, set(late_cs)
        assert set(late_pf) <= {late_cg.path, control_path}, set(late_pf)
        idle = [r for r in cs_rows if r["prev_comm"] == "<idle>"]
        if container_filter:
            # every row is the container's (the kernel skipped the others; the idle task's
            # switches are no container's, not even counted)
            for r in cs_rows + pf_rows:
                assert r["container_id"] == kept, r
            assert not idle, idle[:3]
        else:
            # the idle task's rows have no class: empty columns
            assert idle and all(cgroups.attrib_of(r) == dict.fromkeys(ATTRIB, "") for r in idle)
        if not extra:
            # the busy (name, cgroup) pairs were given fast-path slots, one each (the log names
            # the name only)
            for mon in ("context_switch", "page_fault"):
                given = re.findall(rf"{mon}: fast path for {comm} \(slot \d+\)", err)
                print(f"  {mon}: {len(given)} slots given to {comm}")
                assert len(given) >= len(paths), (given, err[-3000:])
        assert "events lost" not in err, err
    finally:
        for w in procs:
            w.kill()
        for cg in cgs:
            cg.remove()
        cleanup(d)


@test
def test_attrib_cs_pf_v1():
    attributes_exactly("v1")


@test
def test_attrib_cs_pf_v2():
    attributes_exactly("v2")


@test
def test_attrib_cs_pf_v2_container_filter():
    attributes_exactly("v2", container_filter=True)


@test
def test_attrib_cs_pf_v1_hash_path_alone():
    """Without the fast path (fast_names: 0, as on kernels without per-CPU arrays)."""
    attributes_exactly("v1", "    fast_names: 0\n")
