"""test_console.py - the console for people at a terminal, driven in a pseudo-terminal: table
rows that fit 80 and 160 columns with long paths shortened in the middle, a resize (SIGWINCH),
the header every screenful; the --top view of the syscall monitor with a known workload's exact
count on its top row; q, SIGTERM and a crash give the terminal back as it was (stty -g); the
stop's totals against the CSV; and the usage errors of --top and --sort."""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
import uuid

from harness import (Monitor, Workload, cleanup, csv_rows, make_workdir, run, stop_totals, test,
                     write_config)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ELLIPSIS = "\u2026"


def comm():
    return "em" + uuid.uuid4().hex[:10]


class Pty:
    """A pseudo-terminal of a given size; everything written to it is collected."""

    def __init__(self, cols, rows):
        self.master, self.slave = os.openpty()
        self.resize(cols, rows)
        self.data = bytearray()
        self.lock = threading.Lock()
        self.done = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while not self.done:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if not r:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            with self.lock:
                self.data += chunk

    def resize(self, cols, rows):
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def stty(self):
        return subprocess.run(["stty", "-g"], stdin=self.slave, capture_output=True, text=True,
                              check=True).stdout.strip()

    def type(self, keys):
        os.write(self.master, keys.encode())

    def raw(self):
        with self.lock:
            return bytes(self.data).decode("utf-8", "replace")

    def lines(self):
        """The table's lines as a terminal shows them (no escapes, no carriage returns)."""
        return [ANSI.sub("", l).rstrip("\r") for l in self.raw().split("\n")]

    def wait_for(self, pred, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred(self.raw()):
                return
            time.sleep(0.05)
        raise AssertionError(f"never saw {what}; the terminal got:\n{self.raw()[-4000:]}")

    def close(self):
        self.done = True
        self.reader.join(2)
        os.close(self.master)
        os.close(self.slave)


def long_path(d):
    """A file under a 160-character path, created."""
    parts = ["first-dir"] + [f"middle-directory-number-{i:02d}" for i in range(4)]
    dirname = os.path.join(d, *parts)
    os.makedirs(dirname)
    path = os.path.join(dirname, "the-last-component.txt")
    open(path, "w").close()
    assert len(path) > 150, path
    return path


def start_open(d, pty, interval=1):
    cfg = write_config(d, f"  open:\n    interval: {interval}\n")
    m = Monitor(["-c", cfg, "-m", "open"], cwd=d, tty=pty.slave)
    m.wait_attached()
    return m


@test
def test_console_rows_fit_160_then_80_columns_after_a_resize():
    d = make_workdir()
    pty = Pty(160, 50)
    try:
        path = long_path(d)
        m = start_open(d, pty)
        wide, narrow = comm(), comm()
        Workload(wide, "open", path, 3, 0).run()
        pty.wait_for(lambda t: wide in t, f"the row of {wide}")
        pty.resize(80, 50)
        time.sleep(0.3)
        Workload(narrow, "open", path, 2, 0).run()
        pty.wait_for(lambda t: narrow in t, f"the row of {narrow}")
        assert m.stop() == 0, m.stderr()
        lines = pty.lines()
        first_narrow = next(i for i, l in enumerate(lines) if narrow in l)
        # (the workload's python may open more, e.g. python 3.9's _bootlocale: other rows)
        wide_rows = [l for l in lines if wide in l and "nent.txt" in l]
        narrow_rows = [l for l in lines if narrow in l and "nent.txt" in l]
        # the workload creates the file, then opens it N times: two rows (their flags differ)
        assert len(wide_rows) == 2 and len(narrow_rows) == 2, (wide_rows, narrow_rows)
        # at 160 columns: no line longer, and the long path's row uses more than 80
        before = lines[:lines.index(wide_rows[-1]) + 1]
        assert max(len(l) for l in before) <= 160, [l for l in before if len(l) > 160]
        assert all(80 < len(r) <= 160 for r in wide_rows), wide_rows
        # after the resize: the next rows are at most 80 wide, under a header of their own
        after = lines[first_narrow:]
        assert max(len(l) for l in after) <= 80, [l for l in after if len(l) > 80]
        headers = [i for i, l in enumerate(lines) if l.startswith("TIME ")]
        assert len(headers) >= 2 and any(h < first_narrow for h in headers[1:]), headers
        assert len(lines[max(h for h in headers if h < first_narrow)]) <= 80
        for rows, n in ((wide_rows, 3), (narrow_rows, 2)):
            for row in rows:
                # the path is shortened in the middle: its start and its file name stay
                assert path not in row and ELLIPSIS in row, row
                cell = row.split()[4]  # TIME is two words: [date time]; comm, operation
                head, tail = cell.split(ELLIPSIS)
                assert path.startswith(head) and path.endswith(tail), (cell, path)
                assert len(head) >= 5 and len(tail) >= 5, cell
            assert sorted(int(r.split()[5]) for r in rows) == [1, n], rows
        for l in lines:
            if l.startswith("TIME "):
                assert l.split()[:4] == ["TIME", "COMM", "OPERATION", "FILENAME"], l
    finally:
        pty.close()
        cleanup(d)


@test
def test_console_header_every_screenful_and_full_rows_in_a_pipe():
    d = make_workdir()
    pty = Pty(100, 8)
    try:
        path = long_path(d)
        m = start_open(d, pty)
        names = comm()
        Workload(names, "flood", 40, d).run()
        pty.wait_for(lambda t: names + "39" in t, "the flood's last row")
        assert m.stop() == 0, m.stderr()
        lines = [l for l in pty.lines() if l]
        headers = [i for i, l in enumerate(lines) if l.startswith("TIME ")]
        # as vmstat does: a header at the top of each screen of 8 lines (and 7 rows)
        assert len(headers) >= 5, headers
        gaps = [b - a for a, b in zip(headers, headers[1:])]
        assert set(gaps) == {8}, gaps
        assert max(len(l) for l in lines) <= 100
        # not a terminal: rows whole, as before
        out = os.path.join(d, "table.txt")
        cfg = write_config(d, "  open:\n    interval: 1\n")
        with open(out, "w") as f:
            m = Monitor(["-c", cfg, "-m", "open"], cwd=d, stdout=f)
            m.wait_attached()
            name = comm()
            Workload(name, "open", path, 1, 0).run()
            time.sleep(2.5)
            assert m.stop() == 0, m.stderr()
        with open(out) as f:
            rows = [l for l in f.read().splitlines() if name in l and "nent.txt" in l]
        assert len(rows) == 2 and all(path in r and ELLIPSIS not in r for r in rows), rows
        assert sum(1 for l in open(out) if l.startswith("TIME ")) == 1
    finally:
        pty.close()
        cleanup(d)


def frames(raw):
    """The --top view's screens: each a list of lines, without escapes."""
    out = []
    for f in raw.split("\x1b[H")[1:]:
        lines = [ANSI.sub("", l) for l in f.split("\r\n")]
        if lines and re.match(r"syscall  \d\d:\d\d:\d\d  ", lines[0]):
            out.append(lines)
    return out


def table(frame):
    """The rows under the table's header: (comm, syscall, count)."""
    h = next(i for i, l in enumerate(frame) if l.startswith("COMM "))
    rows = []
    for l in frame[h + 1:]:
        f = l.split()
        if len(f) >= 4 and f[3].isdigit():
            rows.append((f[0], f[1], int(f[3])))
    return rows


def start_top(d, pty, args=()):
    cfg = write_config(d, "  syscall:\n    interval: 2\n")
    m = Monitor(["-c", cfg, "-m", "syscall", "--top", *args], cwd=d, tty=pty.slave)
    # the console's log records wait for the view's end: the attach line says it is up
    pty.wait_for(lambda t: "attach: sys_exit=" in t, "the view's attach line", 60)
    return m


@test
def test_top_shows_the_workload_on_its_top_row_with_its_exact_count():
    d = make_workdir()
    pty = Pty(160, 40)
    try:
        before = pty.stty()
        m = start_top(d, pty)
        assert pty.stty() != before, "the view reads keys one by one (no canonical mode)"
        n, name = 250000, comm()
        w = Workload(name, "getppid", n)
        # start right after an interval ends, so that the calls fall in one interval
        seen = len(frames(pty.raw()))
        pty.wait_for(lambda t: len(frames(t)) > seen, "an interval's end")
        w.run()
        pty.wait_for(lambda t: any(name in l for f in frames(t) for l in f), "the workload")
        k = len(frames(pty.raw()))
        pty.wait_for(lambda t: len(frames(t)) > k, "the next interval")
        pty.type("s")
        pty.wait_for(lambda t: "sort: error_count" in t, "the next sort column")
        pty.type("q")
        assert m.wait() == 0, m.stderr()
        assert pty.stty() == before
        assert pty.raw().endswith("\x1b[?25h\x1b[?1049l"), repr(pty.raw()[-40:])
        assert "q pressed in the --top view: stopping" in m.stderr(), m.stderr()
        assert "attached in" in m.stderr(), "the held log records are written at the end"
        shown = {}
        for f in frames(pty.raw()):
            rows = table(f)
            for i, (c, sc, count) in enumerate(rows):
                if c == name and sc == "getppid" and f[2].startswith("sort: count"):
                    shown[f[0].split()[1]] = (i, count)
        assert sum(c for _, c in shown.values()) == n, shown
        top_time, (pos, count) = max(shown.items(), key=lambda kv: kv[1][1])
        assert pos == 0, shown
        # the same count as the CSV row of that interval
        _, csv = csv_rows(d, "syscall")
        mine = [r for r in csv if r["comm"] == name and r["syscall_name"] == "getppid"]
        assert sum(int(r["count"]) for r in mine) == n
        at = [int(r["count"]) for r in mine if top_time in r["time_str"]]
        assert at == [count], (at, count, top_time, mine)
    finally:
        pty.close()
        cleanup(d)


@test
def test_top_follows_a_reload_that_restarts_its_monitor():
    d = make_workdir()
    pty = Pty(120, 30)
    try:
        m = start_top(d, pty)
        pty.wait_for(lambda t: any("  2.0 s: " in f[0] for f in frames(t)), "a 2 s interval")
        # a changed interval restarts the monitor under a new stream: the view takes it
        write_config(d, "  syscall:\n    interval: 1\n")
        m.proc.send_signal(signal.SIGHUP)
        pty.wait_for(lambda t: any("  1.0 s: " in f[0] for f in frames(t)), "a 1 s interval")
        name = comm()
        Workload(name, "getppid", 777).run()
        pty.wait_for(lambda t: any(name in l for f in frames(t) for l in f), "the workload")
        pty.type("q")
        assert m.wait() == 0, m.stderr()
        assert "configuration reloaded" in m.stderr(), m.stderr()
        counts = {f[0].split()[1]: c for f in frames(pty.raw()) for n, sc, c in table(f)
                  if n == name and sc == "getppid"}
        assert sum(counts.values()) == 777, counts
    finally:
        pty.close()
        cleanup(d)


@test
def test_top_gives_the_terminal_back_on_sigterm_and_on_a_crash():
    for sig, rc in ((signal.SIGTERM, 0), (signal.SIGINT, 0), (signal.SIGSEGV, -signal.SIGSEGV)):
        d = make_workdir()
        pty = Pty(120, 30)
        try:
            before = pty.stty()
            m = start_top(d, pty)
            assert pty.stty() != before
            assert "\x1b[?1049h" in pty.raw()
            assert m.stop(sig) == rc, (sig, m.stderr())
            time.sleep(0.2)
            assert pty.stty() == before, sig
            assert pty.raw().endswith("\x1b[?25h\x1b[?1049l") or sig == signal.SIGSEGV, sig
            assert "\x1b[?1049l" in pty.raw(), sig
        finally:
            pty.close()
            cleanup(d)


@test
def test_top_without_a_terminal_writes_the_table_and_says_so():
    d = make_workdir()
    try:
        cfg = write_config(d, "  syscall:\n    interval: 1\n  exec: {}\n")
        for mon, why in (("syscall", "--top: stdout is not a terminal; writing the table instead"),
                         ("exec", "--top shows monitors that count per interval; exec writes one "
                                  "row per event: writing the table instead")):
            out = os.path.join(d, f"{mon}.txt")
            with open(out, "w") as f:
                m = Monitor(["-c", cfg, "-m", mon, "--top", "--duration", "2"], cwd=d, stdout=f)
                assert m.wait() == 0, m.stderr()
            assert why in m.stderr(), m.stderr()
            with open(out) as f:
                assert f.readline().startswith("TIME "), mon
    finally:
        cleanup(d)


@test
def test_top_and_sort_usage_errors():
    d = make_workdir()
    try:
        cfg = write_config(d, "  syscall:\n    interval: 1\n  open:\n    interval: 1\n")
        cases = [
            (["-m", "syscall,open", "--top"], "--top shows one monitor and 2 are selected"),
            (["-m", "syscall", "--top", "--sort", "bogus"],
             "--sort bogus: not a column the syscall view sorts by; choose one of: count, "
             "error_count, error_rate"),
            (["-m", "syscall", "--sort", "count"], "--sort orders the --top view: add --top"),
            (["-m", "syscall", "--top", "-d"], "--top is a view for a terminal and --daemon"),
        ]
        for args, msg in cases:
            r = run(["-c", cfg, *args], cwd=d)
            assert r.returncode == 2, (args, r.returncode, r.stderr)
            assert msg in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)
    finally:
        cleanup(d)


@test
def test_stop_totals_say_what_was_counted_and_match_the_csv():
    d = make_workdir()
    try:
        cfg = write_config(d, "  syscall:\n    interval: 1\n")
        m = Monitor(["-c", cfg, "-m", "syscall"], cwd=d)
        m.wait_attached()
        Workload(comm(), "getppid", 5000).run()
        time.sleep(1.2)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "syscall")
        t = stop_totals(m.stderr(), "syscall")
        assert t and t["events"] is None, m.stderr()
        assert "system calls under" in m.stderr() and "events" not in \
            next(l for l in m.stderr().splitlines() if "syscall: counted" in l)
        assert t["counted"] == sum(int(r["count"]) for r in rows), t
        assert t["rows"] == len(rows), t
        assert t["keys"] == len({(r["comm"], r["syscall_nr"]) for r in rows}), t
        assert t["lost"] == 0, m.stderr()
    finally:
        cleanup(d)
