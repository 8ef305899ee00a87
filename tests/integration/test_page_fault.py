"""test_page_fault.py - major and minor faults of a test process against its own minflt/majflt
from /proc/<pid>/stat; system-wide totals against /proc/vmstat, for the record."""
import os
import re
import time
import uuid

from harness import Monitor, cleanup, csv_rows, make_workdir, test, write_config
from test_context_switch import Proc

PF_COLUMNS = ["timestamp", "time_str", "comm", "fault_type", "fault_type_str", "cpu",
              "numa_node", "count"]


def proc_faults(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[7]), int(fields[9])  # minflt, majflt


def vmstat():
    with open("/proc/vmstat") as f:
        return {k: int(v) for k, v in (l.split() for l in f)}


def evicted_file(path, size=16 << 20):
    """A file on a disk, written, synced and evicted from the page cache, so that touching its
    pages through mmap takes major faults."""
    with open(path, "wb") as f:
        f.write(os.urandom(size))
        f.flush()
        os.fsync(f.fileno())
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    return path


def faults_of_work(w):
    """The minor and major faults a faults workload (sched_workload.py) takes for its work,
    from its /proc/<pid>/stat while it is blocked before and after."""
    w.wait_blocked()
    min0, maj0 = proc_faults(w.pid)
    w.go()
    w.work_done()
    w.wait_blocked()
    min1, maj1 = proc_faults(w.pid)
    return min1 - min0, maj1 - maj0


def matches_proc_counters(extra):
    d = make_workdir()
    try:
        data = evicted_file(os.path.join("/var/tmp", f"em-pf-{uuid.uuid4().hex[:8]}"))
        cfg = write_config(d, "  page_fault:\n    interval: 1\n" + extra)
        w = Proc("em" + uuid.uuid4().hex[:10], "faults", 64, data)
        m = Monitor(["-c", cfg, "-m", "page_fault"], cwd=d)
        m.wait_attached()
        v0 = vmstat()
        want_min, want_maj = faults_of_work(w)
        v1 = vmstat()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        w.finish()
        header, rows = csv_rows(d, "page_fault")
        assert header == PF_COLUMNS, header
        mine = [r for r in rows if r["comm"] == w.comm]
        got_min = sum(int(r["count"]) for r in mine if r["fault_type_str"] == "MINOR")
        got_maj = sum(int(r["count"]) for r in mine if r["fault_type_str"] == "MAJOR")
        print(f"  process: monitor minor={got_min} major={got_maj}; /proc minflt={want_min} majflt={want_maj}")
        assert want_min >= 1000 and want_maj >= 1000, (want_min, want_maj)
        assert abs(got_min - want_min) <= 0.01 * want_min, (got_min, want_min)
        assert abs(got_maj - want_maj) <= 0.01 * want_maj, (got_maj, want_maj)
        assert all(r["fault_type"] == {"MINOR": "0", "MAJOR": "1"}[r["fault_type_str"]] for r in rows)
        ncpu = os.cpu_count()
        assert all(0 <= int(r["cpu"]) < ncpu and r["numa_node"] == "0" for r in mine), mine
        # For the record: system-wide, the kernel's pgfault also counts faults taken on behalf
        # of GUP and faults that failed; the monitor sees only what the perf events see.
        sys_min = sum(int(r["count"]) for r in rows if r["fault_type_str"] == "MINOR")
        sys_maj = sum(int(r["count"]) for r in rows if r["fault_type_str"] == "MAJOR")
        dv_all, dv_maj = v1["pgfault"] - v0["pgfault"], v1["pgmajfault"] - v0["pgmajfault"]
        print(f"  system: monitor faults={sys_min + sys_maj} (major {sys_maj}); "
              f"/proc/vmstat pgfault={dv_all} pgmajfault={dv_maj} over the measured part only")
        assert "events lost" not in m.stderr(), m.stderr()
    finally:
        cleanup(d)
        if os.path.exists(data):
            os.unlink(data)


@test
def test_page_fault_matches_proc_counters():
    matches_proc_counters("")


@test
def test_page_fault_hash_path_alone_matches_proc_counters():
    """Without the fast path (as on a kernel without per-CPU arrays): the probe as it was."""
    matches_proc_counters("    fast_names: 0\n")


@test
def test_page_fault_comm_filter_in_kernel():
    """--comm: only faults of tasks of that name are counted, exactly."""
    d = make_workdir()
    try:
        cfg = write_config(d, "  page_fault:\n    interval: 1\n")
        kept = Proc("em" + uuid.uuid4().hex[:10], "phases", "touch", 16, 0.2)
        other = Proc("em" + uuid.uuid4().hex[:10], "phases", "touch", 16, 0.2)
        m = Monitor(["-c", cfg, "-m", "page_fault", "--comm", kept.comm + "a"], cwd=d)
        m.wait_attached()
        kept.wait_blocked()
        min0, _ = proc_faults(kept.pid)
        for p in (kept, other):
            p.go()
        out = kept.work_done()
        other.work_done()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        for p in (kept, other):
            p.finish()
        _, rows = csv_rows(d, "page_fault")
        got = sum(int(r["count"]) for r in rows if r["comm"] == kept.comm + "a")
        want = out["a_end"]["minflt"] - min0
        print(f"  {kept.comm}a: monitor minor={got}; /proc minflt={want}")
        assert want >= 4096 and abs(got - want) <= 2, (got, want)
        assert {r["comm"] for r in rows} == {kept.comm + "a"}, {r["comm"] for r in rows}
    finally:
        cleanup(d)


@test
def test_page_fault_fast_path_exact_across_renames_and_forks():
    """Busy names move to the fast path (task slots) mid-run; every fault is still counted once,
    under the name the task had: across a rename (prctl) and in a forked child that renames
    itself. Each name touches 16 MiB of fresh memory, in two halves 1.2 s apart (its promotion
    falls in the pause)."""
    d = make_workdir()
    try:
        cfg = write_config(d, "  page_fault:\n    interval: 1\n")
        base = "em" + uuid.uuid4().hex[:10]
        w = Proc(base, "phases", "touch", 16, 1.2)
        m = Monitor(["-c", cfg, "-m", "page_fault", "-v"], cwd=d)
        m.wait_attached()
        w.wait_blocked()
        min0, maj0 = proc_faults(w.pid)
        w.go()
        out = w.work_done()
        w.wait_blocked()
        min1, maj1 = proc_faults(w.pid)
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        w.finish()
        _, rows = csv_rows(d, "page_fault")
        a_end, c_start = out["a_end"], out["c_start"]
        want = {
            "a": a_end["minflt"] - min0,
            # the parent from its rename on, and the child before its own (from its fork)
            "b": min1 - a_end["minflt"] + c_start["minflt"],
            "c": out["c_minflt"] - c_start["minflt"],
        }
        for s in "abc":
            mine = [r for r in rows if r["comm"] == base + s]
            got = sum(int(r["count"]) for r in mine if r["fault_type_str"] == "MINOR")
            print(f"  {base}{s}: monitor minor={got}; /proc minflt={want[s]}")
            assert want[s] >= 4096, want
            # a few faults of the interpreter fall between a counter read and a rename (the
            # child's: copies on write of pages it shares with its parent)
            assert abs(got - want[s]) <= max(10, 0.01 * want[s]), (s, got, want[s])
            assert all(r["numa_node"] == "0" for r in mine), mine
            # the busy name was given the fast path (the hash path alone would pass the above)
            assert re.search(rf"page_fault: fast path for {base}{s} \(slot \d+\)", m.stderr()), \
                m.stderr()[-3000:]
        assert "events lost" not in m.stderr(), m.stderr()
    finally:
        cleanup(d)
