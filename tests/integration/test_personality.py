"""test_personality.py - old kernels' refusals on this one: tests/personality/personality.c (built
as libem_personality.so beside the binary) is preloaded and makes bpf(2) refuse what the
profile's kernel lacks. Profile rhel7: RHEL 7.6+'s tracing-only backport (kprobe, tracepoint and
perf_event programs only, no raw tracepoints, no LRU maps)."""
import os
import re
import subprocess
import time
import uuid

import harness
from harness import Monitor, Workload, cleanup, csv_rows, make_workdir, test, write_config


def personality(profile):
    lib = os.path.join(os.path.dirname(harness.BINARY), "libem_personality.so")
    assert os.path.exists(lib), f"{lib} is missing: it is built with the binary (CMakeLists.txt)"
    # An ASan build wants its runtime first among the loaded libraries; the shim only wraps
    # syscall(2), so the order does not matter to it.
    return {"LD_PRELOAD": lib, "EM_PERSONALITY": profile, "EM_PERSONALITY_LOG": "1",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}


def run_under(profile, d, monitor, *workload):
    """Starts `monitor` alone under `profile`, runs workload.py with a fresh task name and the
    given arguments, stops it after one more interval; returns (task name, stderr, CSV rows)."""
    cfg = write_config(d, f"  {monitor}:\n    interval: 1\n")
    m = Monitor(["-c", cfg, "-m", monitor], cwd=d, env=personality(profile))
    m.wait_attached()
    name = "ep" + uuid.uuid4().hex[:10]
    Workload(name, *workload).run()
    time.sleep(1.5)
    assert m.stop() == 0, m.stderr()
    return name, m.stderr(), csv_rows(d, monitor)


@test
def test_personality_rhel7_check_loads_tracing_programs():
    """--check on a tracing-only kernel: the BPF gate passes with a tracepoint program (it used a
    socket filter, which RHEL 7 refuses, and exited 3 before trying any monitor)."""
    d = make_workdir()
    try:
        r = subprocess.run([harness.BINARY, "--check"], cwd=d, capture_output=True, text=True,
                           timeout=120, env={**os.environ, **personality("rhel7")})
        out = r.stdout + r.stderr
        m = re.search(r"personality rhel7: (\d+) bpf call\(s\) refused", out)
        assert m and int(m.group(1)) > 0, "the shim refused nothing: was it loaded?\n" + out
        assert re.search(r"^  bpf syscall +yes +programs load \(tracepoint\)", out, re.M), out
        assert re.search(r"^  raw tracepoints +no ", out, re.M), out
        assert re.search(r"^  syscall +sys_exit +tracepoint \(not raw_tracepoint", out, re.M), out
        assert re.search(r"^  exec +execve +tracepoint", out, re.M), out
        assert re.search(r"^  context_switch +sched_switch +tracepoint", out, re.M), out
    finally:
        cleanup(d)


@test
def test_personality_rhel7_syscall_exact_count():
    """The syscall monitor on its tracepoint fallback counts every getppid() exactly."""
    d = make_workdir()
    try:
        n = 54321
        name, err, (_, rows) = run_under("rhel7", d, "syscall", "getppid", n, 2, 0.5)
        assert "sys_exit attached via tracepoint" in err, err
        got = sum(int(r["count"]) for r in rows if r["comm"] == name and r["syscall_name"] == "getppid")
        assert got == n, (got, n)
    finally:
        cleanup(d)


@test
def test_personality_rhel7_open_without_lru_exact_count():
    """No LRU hash maps (4.10 upstream; RHEL 7's backport is not documented to have them): open
    asks the kernel instead of reading its version, keeps its in-flight opens in a plain hash,
    and counts every open and every error. (A real RHEL 7 also refuses BPF on syscall
    tracepoints, which this profile does not model yet.)"""
    from test_open import OPEN_COLUMNS, RDONLY_CLOEXEC
    d = make_workdir()
    try:
        path = os.path.join(d, f"unique-{uuid.uuid4().hex}")
        n, bad = 777, 100
        name, err, (header, rows) = run_under("rhel7", d, "open", "open", path, n, bad)
        assert "no LRU hash maps: in-flight opens use a plain hash" in err, err
        assert header == OPEN_COLUMNS, header
        mine = [r for r in rows if r["comm"] == name and r["filename"] == path
                and r["flags"] == RDONLY_CLOEXEC]
        assert sum(int(r["count"]) for r in mine) == n, mine
        assert sum(int(r["errors"]) for r in mine) == bad, mine
    finally:
        cleanup(d)
