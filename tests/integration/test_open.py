"""test_open.py - the open monitor against exact answers: N opens of a unique path of which M
fail, paths that need CSV quoting, paths cut at 255 bytes, each open syscall with its flags,
and the row filters (min_count, show_errors_only, -p)."""
import os
import re
import subprocess
import time
import uuid

from harness import Monitor, Workload, cleanup, csv_rows, make_workdir, stop_totals, test, write_config

OPEN_COLUMNS = ["timestamp", "time_str", "comm", "operation", "filename", "count", "errors",
                "error_rate", "avg_lat_us", "min_lat_us", "max_lat_us", "flags", "top_errno"]
# What Python's os.open(path, O_RDONLY | O_CLOEXEC) hands the kernel (the kernel adds
# O_LARGEFILE only after the syscall tracepoint has recorded the arguments).
RDONLY_CLOEXEC = "O_RDONLY|O_CLOEXEC"
O_CLOEXEC, O_DIRECTORY = os.O_CLOEXEC, os.O_DIRECTORY


def comm():
    return "eo" + uuid.uuid4().hex[:10]


def start(d, section="", args=(), stdout=subprocess.DEVNULL, interval=1):
    cfg = write_config(d, f"  open:\n    interval: {interval}\n" + section)
    m = Monitor(["-c", cfg, "-m", "open", *args], cwd=d, stdout=stdout)
    m.wait_attached()
    return m


def stop_and_read(d, m):
    time.sleep(1.5)  # one more interval: the last rows are drained
    assert m.stop() == 0, m.stderr()
    assert "events lost" not in m.stderr(), m.stderr()
    header, rows = csv_rows(d, "open")
    assert header == OPEN_COLUMNS, header
    return rows


def rows_for(rows, name, path=None, flags=None):
    return [r for r in rows if r["comm"] == name and (path is None or r["filename"] == path)
            and (flags is None or r["flags"] == flags)]


def total(rows, col):
    return sum(int(r[col]) for r in rows)


def check_row_arithmetic(r):
    """What holds in every row: the rate is errors/count, min <= avg <= max, all > 0."""
    n, e = int(r["count"]), int(r["errors"])
    assert n > 0 and 0 <= e <= n, r
    assert r["error_rate"] == f"{e / n:.4f}", r
    lo, avg, hi = float(r["min_lat_us"]), float(r["avg_lat_us"]), float(r["max_lat_us"])
    assert 0 < lo <= avg <= hi, r
    assert re.fullmatch(r"\d+\.\d{3}", r["avg_lat_us"]), r
    assert (r["top_errno"] == "") == (e == 0), r


def make_path(root, length, tag):
    """A path of exactly `length` bytes under root (directories created, file not)."""
    base = os.path.join(root, tag)
    while len(base) + 1 + 255 < length:
        base = os.path.join(base, tag * 100)
    os.makedirs(base, exist_ok=True)
    path = base + "/" + "f" * (length - len(base) - 1)
    assert len(path.encode()) == length and len(os.path.basename(path)) <= 255
    return path


@test
def test_open_counts_errors_flags_latency_exact():
    d = make_workdir()
    try:
        console_path = os.path.join(d, "console.txt")
        with open(console_path, "w") as console:
            m = start(d, stdout=console)
            name = comm()
            path = os.path.join(d, f"unique-{uuid.uuid4().hex}")
            n, bad = 1237, 411
            Workload(name, "open", path, n, bad).run()
            rows = stop_and_read(d, m)
        mine = rows_for(rows, name, path, RDONLY_CLOEXEC)
        assert mine, rows_for(rows, name)
        assert total(mine, "count") == n, mine
        assert total(mine, "errors") == bad, mine
        assert abs(sum(float(r["error_rate"]) * int(r["count"]) for r in mine) / n - bad / n) < 1e-4
        for r in mine:
            check_row_arithmetic(r)
            assert r["operation"] == "openat", r
            assert r["top_errno"] == ("ENOENT" if int(r["errors"]) else ""), r
        # the workload created the file first: its own row, other flags, no error
        made = rows_for(rows, name, path, "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC")
        assert total(made, "count") == 1 and total(made, "errors") == 0, made
        assert all(r["top_errno"] == "" and r["error_rate"] == "0.0000" for r in made), made
        # every open of the path, whatever its flags: none lost, none counted twice
        assert total(rows_for(rows, name, path), "count") == n + 1
        # every row holds together; rows of one interval are sorted by count, largest first
        by_ts = {}
        for r in rows:
            check_row_arithmetic(r)
            by_ts.setdefault(r["timestamp"], []).append(int(r["count"]))
        assert all(c == sorted(c, reverse=True) for c in by_ts.values()), by_ts
        # the console table has the guide's columns and this row
        with open(console_path) as f:
            lines = f.read().splitlines()
        assert re.match(r"^TIME\s+COMM\s+OPERATION\s+FILENAME\s+COUNT\s+ERRORS\s+ERROR_RATE\s",
                        lines[0]), lines[:1]
        shown = [l.split() for l in lines if name in l and path in l and RDONLY_CLOEXEC in l]
        assert shown and sum(int(s[5]) for s in shown) == n, shown
    finally:
        cleanup(d)


@test
def test_open_path_with_comma_quote_newline_round_trips():
    d = make_workdir()
    try:
        m = start(d)
        name = comm()
        path = os.path.join(d, 'we,ird "name"\nline2')
        Workload(name, "open", path, 5, 2).run()
        rows = stop_and_read(d, m)
        mine = rows_for(rows, name, path, RDONLY_CLOEXEC)
        assert total(mine, "count") == 5 and total(mine, "errors") == 2, rows_for(rows, name)
    finally:
        cleanup(d)


@test
def test_open_long_paths_cut_at_255_bytes_and_marked():
    d = make_workdir()
    try:
        m = start(d)
        name = comm()
        exact = make_path(d, 255, "a")    # fits: shown whole
        over = make_path(d, 256, "b")     # one byte too long
        longer = make_path(d, 700, "c")   # nested directories, far too long
        for path, n in ((exact, 3), (over, 4), (longer, 5)):
            Workload(name, "open", path, n, 1).run()
        rows = stop_and_read(d, m)
        # the test's own paths only: Python opens files of its own under the task's name too
        # (3.9 imports _bootlocale at its first text open)
        mine = [r for r in rows_for(rows, name, flags=RDONLY_CLOEXEC) if r["filename"].startswith(d)]
        want = {exact: 3, over[:255] + "...": 4, longer[:255] + "...": 5}
        got = {}
        for r in mine:
            got[r["filename"]] = got.get(r["filename"], 0) + int(r["count"])
        assert got == want, (got, want)
        for r in mine:
            assert r["operation"] == "openat" and int(r["errors"]) == 1, r
    finally:
        cleanup(d)


@test
def test_open_each_syscall_and_openat2_flags():
    d = make_workdir()
    try:
        m = start(d)
        name = comm()
        path = os.path.join(d, "target")
        open(path, "w").close()
        Workload(name, "rawopen", "openat", path, 11, O_CLOEXEC).run()
        # openat2 reads its flags from struct open_how; O_DIRECTORY on a file fails
        Workload(name, "rawopen", "openat2", path, 13, O_CLOEXEC | O_DIRECTORY).run()
        has_open = os.path.exists("/sys/kernel/tracing/events/syscalls/sys_enter_open") or \
            os.path.exists("/sys/kernel/debug/tracing/events/syscalls/sys_enter_open")
        if has_open:
            Workload(name, "rawopen", "open", path, 17, O_CLOEXEC).run()
        rows = stop_and_read(d, m)
        mine = rows_for(rows, name, path)
        ops = {}
        for r in mine:
            check_row_arithmetic(r)
            k = (r["operation"], r["flags"], r["top_errno"])
            ops[k] = (ops.get(k, (0, 0))[0] + int(r["count"]), ops.get(k, (0, 0))[1] + int(r["errors"]))
        want = {("openat", RDONLY_CLOEXEC, ""): (11, 0),
                ("openat2", "O_RDONLY|O_DIRECTORY|O_CLOEXEC", "ENOTDIR"): (13, 13)}
        if has_open:
            want[("open", RDONLY_CLOEXEC, "")] = (17, 0)
        assert ops == want, (ops, want)
    finally:
        cleanup(d)


@test
def test_open_path_in_a_page_not_yet_faulted_in():
    """The first read of the path at sys_enter fails (the page is not mapped yet); the probe
    reads it again at sys_exit, after the kernel faulted it in."""
    d = make_workdir()
    try:
        m = start(d)
        name = comm()
        path = os.path.join(d, "mapped-target")
        open(path, "w").close()
        Workload(name, "rawopen", "openat", path, 7, O_CLOEXEC, "mapped").run()
        rows = stop_and_read(d, m)
        ours = [r for r in rows_for(rows, name, flags=RDONLY_CLOEXEC) if r["operation"] == "openat"
                and not r["filename"].startswith("/tmp/em-path-")]
        assert {r["filename"] for r in ours} == {path}, ours
        assert total(ours, "count") == 7, ours
    finally:
        cleanup(d)


@test
def test_open_min_count_and_show_errors_only():
    d = make_workdir()
    try:
        m = start(d, "    min_count: 10\n    show_errors_only: true\n")
        name = comm()
        shown = os.path.join(d, "shown")       # 12 opens, 3 fail: kept
        no_err = os.path.join(d, "no-errors")  # 12 opens, none fail: errors only
        few = os.path.join(d, "few")           # 9 opens, all fail: below min_count
        Workload(name, "open", shown, 12, 3).run()
        Workload(name, "open", no_err, 12, 0).run()
        Workload(name, "open", few, 9, 9).run()
        rows = stop_and_read(d, m)
        assert rows, "no rows at all"
        assert all(int(r["count"]) >= 10 and int(r["errors"]) > 0 for r in rows), \
            [r for r in rows if int(r["count"]) < 10 or int(r["errors"]) == 0]
        mine = rows_for(rows, name)
        assert [(r["filename"], r["count"], r["errors"]) for r in mine] == [(shown, "12", "3")], mine
    finally:
        cleanup(d)


@test
def test_open_pid_filter():
    d = make_workdir()
    try:
        a, b = comm(), comm()
        pa, pb = os.path.join(d, "a"), os.path.join(d, "b")
        wa = Workload(a, "open", pa, 321, 21)
        wb = Workload(b, "open", pb, 321, 21)
        m = start(d, args=["-p", str(wa.pid)])
        wa.run()
        wb.run()
        rows = stop_and_read(d, m)
        assert rows, "no rows at all"
        assert {r["comm"] for r in rows} == {a}, {r["comm"] for r in rows}
        mine = rows_for(rows, a, pa, RDONLY_CLOEXEC)
        assert total(mine, "count") == 321 and total(mine, "errors") == 21, mine
        assert not [r for r in rows if r["filename"] == pb]
    finally:
        cleanup(d)


@test
def test_open_small_map_overflow_is_counted_and_logged():
    d = make_workdir()
    try:
        m = start(d, "    map_size: 16\n", interval=5)
        name = comm()
        for i in range(12):  # 24 distinct keys (create + open) in one interval, map of 16
            Workload(name, "open", os.path.join(d, f"p{i}"), 1, 0).run()
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        lost = re.findall(r"open: (\d+) events lost since the last report \(.*map full (\d+)", m.stderr())
        assert lost and int(lost[-1][1]) > 0, m.stderr()
        s = stop_totals(m.stderr(), "open")
        assert s and s["lost"] > 0, m.stderr()
    finally:
        cleanup(d)
