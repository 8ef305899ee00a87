"""test_syscall.py - the syscall monitor against exact answers: N getppid calls, K failing
closes, and the filters (-p, -u, exclude_self, categories) restricting what is counted."""
import os
import re
import shutil
import time
import uuid

import harness
from harness import Monitor, Workload, cleanup, csv_rows, make_workdir, test, write_config

SYSCALL_COLUMNS = ["timestamp", "time_str", "comm", "syscall_nr", "syscall_name", "category",
                   "count", "error_count", "error_rate"]


def comm():
    return "em" + uuid.uuid4().hex[:10]


def start(d, section, args=(), binary=None):
    cfg = write_config(d, "  syscall:\n    interval: 1\n" + section)
    m = Monitor(["-c", cfg, "-m", "syscall", *args], cwd=d, binary=binary)
    m.wait_attached()
    return m


def own_copy(d):
    """The binary under a unique name, so its task name tells its own rows apart from those
    of any other ebpf-monitor running on the machine."""
    name = "emself" + uuid.uuid4().hex[:8]
    path = os.path.join(d, name)
    shutil.copy(harness.BINARY, path)
    return path, name


def rows_for(rows, name, syscall=None):
    return [r for r in rows if r["comm"] == name and (syscall is None or r["syscall_name"] == syscall)]


@test
def test_syscall_getppid_exact_count_over_intervals():
    d = make_workdir()
    try:
        binary, self_comm = own_copy(d)
        m = start(d, "", binary=binary)
        name = comm()
        n = 123457
        w = Workload(name, "getppid", n, 3, 1.3)
        w.run()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        header, rows = csv_rows(d, "syscall")
        assert header == SYSCALL_COLUMNS, header
        mine = rows_for(rows, name, "getppid")
        assert sum(int(r["count"]) for r in mine) == n, (sum(int(r["count"]) for r in mine), mine)
        assert len({r["timestamp"] for r in mine}) >= 2, "the calls spanned several intervals"
        assert all(r["category"] == "process" for r in mine)
        assert all(r["error_count"] == "0" and float(r["error_rate"]) == 0 for r in mine)
        nr = {"x86_64": "110", "aarch64": "173"}[os.uname().machine]
        assert all(r["syscall_nr"] == nr for r in mine)
        # names are plain text, never b'...' nor sys_...
        assert all(re.fullmatch(r"[a-z0-9_]+", r["syscall_name"]) for r in rows), \
            {r["syscall_name"] for r in rows if not re.fullmatch(r"[a-z0-9_]+", r["syscall_name"])}
        # the monitor does not count itself
        assert not [r for r in rows if r["comm"] == self_comm]
        assert "events lost" not in m.stderr(), m.stderr()
    finally:
        cleanup(d)


@test
def test_syscall_fast_path_exact_across_renames_and_forks():
    """Busy names move to the fast path (task slots) mid-run; every call is still counted once,
    under the name the thread had when it made it: across a rename (prctl) and in a forked
    child that renames itself."""
    d = make_workdir()
    try:
        m = start(d, "", args=["-v"])
        name = comm()[:12]
        n = 60000
        Workload(name, "phases", n, 1.3).run()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "syscall")
        got = {s: sum(int(r["count"]) for r in rows_for(rows, name + s, "getppid"))
               for s in "abc"}
        assert got == {"a": n, "b": n + 7, "c": n}, got
        # the busy names were given the fast path (the hash path alone would pass the above)
        for s in "ab":
            assert re.search(rf"syscall: fast path for {name}{s} \(slot \d+\)", m.stderr()), \
                m.stderr()[-3000:]
        assert "events lost" not in m.stderr(), m.stderr()
    finally:
        cleanup(d)


@test
def test_syscall_errors_counted_with_rate():
    d = make_workdir()
    try:
        m = start(d, "")
        name = comm()
        Workload(name, "badclose", 4321).run()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "syscall")
        mine = rows_for(rows, name, "close")
        assert sum(int(r["count"]) for r in mine) >= 4321
        bad = sum(int(r["error_count"]) for r in mine)
        assert bad == 4321, bad
        assert all(r["category"] == "file_io" for r in mine)
        # rate = errors / count, in every row
        for r in mine:
            assert abs(float(r["error_rate"]) - int(r["error_count"]) / int(r["count"])) < 1e-4, r
    finally:
        cleanup(d)


@test
def test_syscall_pid_filter_and_self():
    d = make_workdir()
    try:
        a, b = comm(), comm()
        wa = Workload(a, "getppid", 1000)
        wb = Workload(b, "getppid", 1000)
        m = start(d, "", ["-p", str(wa.pid)])
        wa.run()
        wb.run()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "syscall")
        assert rows, "no rows at all"
        assert {r["comm"] for r in rows} == {a}, {r["comm"] for r in rows}
        assert sum(int(r["count"]) for r in rows_for(rows, a, "getppid")) == 1000
    finally:
        cleanup(d)


@test
def test_syscall_uid_filter():
    d = make_workdir()
    try:
        a, b = comm(), comm()
        m = start(d, "", ["-u", "65534"])
        Workload(a, "getppid", 777, user=65534).run()
        Workload(b, "getppid", 777).run()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "syscall")
        assert sum(int(r["count"]) for r in rows_for(rows, a, "getppid")) == 777
        assert not rows_for(rows, b), "a root process was counted under -u 65534"
    finally:
        cleanup(d)


@test
def test_syscall_self_included_when_asked():
    d = make_workdir()
    try:
        binary, self_comm = own_copy(d)
        m = start(d, "    filters:\n      exclude_self: false\n", binary=binary)
        time.sleep(2.5)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "syscall")
        assert [r for r in rows if r["comm"] == self_comm], "own syscalls missing"
    finally:
        cleanup(d)


@test
def test_syscall_categories_and_errors_only():
    d = make_workdir()
    try:
        m = start(d, "    monitor_categories:\n      process: false\n    show_errors_only: true\n")
        a = comm()
        Workload(a, "getppid", 500).run()
        Workload(a, "badclose", 50).run()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "syscall")
        assert not [r for r in rows if r["category"] == "process"], "process category not filtered"
        assert all(int(r["error_count"]) > 0 for r in rows)
        assert sum(int(r["error_count"]) for r in rows_for(rows, a, "close")) == 50
    finally:
        cleanup(d)


@test
def test_syscall_small_map_overflow_is_counted_and_logged():
    d = make_workdir()
    try:
        m = start(d, "    map_size: 16\n")
        for i in range(3):
            Workload(comm(), "getppid", 10).run()
            Workload(comm(), "badclose", 10).run()
        time.sleep(2.5)
        assert m.stop() == 0, m.stderr()
        lost = re.findall(r"syscall: (\d+) events lost since the last report \(.*map full (\d+)", m.stderr())
        assert lost and int(lost[-1][1]) > 0, m.stderr()
        s = harness.stop_totals(m.stderr(), "syscall")
        assert s and s["lost"] == int(lost[-1][1]), m.stderr()
    finally:
        cleanup(d)
