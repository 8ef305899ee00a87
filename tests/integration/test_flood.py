"""test_flood.py - event floods from bounded, self-stopping generators (flood.c): an exec storm, an
open storm over a million distinct paths with a small map, a fork storm, a context-switch storm
over many distinct task pairs. The monitor keeps running with bounded memory (VmRSS sampled),
counts and reports its losses (log and status file), and counts a known workload after the flood
exactly."""
import os
import re
import shutil
import subprocess
import threading
import time
import uuid

from harness import Monitor, Workload, cleanup, csv_rows, make_workdir, stop_totals, test, write_config
from test_context_switch import Proc, sums

FLOOD_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flood.c")
RSS_GROWTH_MAX_KB = 32 * 1024  # after the flood, over the RSS right after attaching


def build_flood(d):
    exe = os.path.join(d, "flood")
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", exe, FLOOD_SRC], check=True)
    return exe


def flood(exe, *args, timeout=60):
    p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


class RssSampler:
    """VmRSS of a process every 0.1 s, in a thread: before, peak, after."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop_ = pid, 0, False
        self.before = rss_kb(pid)
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop_:
            try:
                self.peak = max(self.peak, rss_kb(self.pid))
            except OSError:
                return
            time.sleep(0.1)

    def done(self):
        self.stop_ = True
        self.t.join()
        self.after = rss_kb(self.pid)
        print(f"  VmRSS before {self.before} kB, peak {self.peak} kB, after {self.after} kB")
        assert self.after - self.before < RSS_GROWTH_MAX_KB, (self.before, self.peak, self.after)
        return self


def status(d):
    with open(os.path.join(d, "temp", "monitor.pid.status")) as f:
        return dict(l.split("=", 1) for l in f.read().splitlines())


def start(d, monitor, section, extra_args=()):
    cfg = write_config(d, f"  {monitor}:\n{section}")
    m = Monitor(["-c", cfg, "-m", monitor, *extra_args], cwd=d)
    m.wait_attached()
    time.sleep(1.0)  # the freed compiler heap is returned right after attaching
    return m


def losses_logged(m, monitor):
    return sum(int(n) for n in re.findall(rf"{monitor}: (\d+) events lost since the last report",
                                          m.stderr()))


def unique_program(d):
    path = os.path.join(d, f"em_fl_{uuid.uuid4().hex[:8]}")
    shutil.copy("/bin/true", path)
    os.chmod(path, 0o755)
    return path


@test
def test_flood_exec_storm_every_exec_accounted():
    d = make_workdir()
    try:
        exe = build_flood(d)
        storm, known = unique_program(d), unique_program(d)
        # the smallest perf buffer (8 pages a CPU) so that the storm overruns it
        m = start(d, "exec", "    enabled: true\n    perf_buffer_pages: 8\n")
        rss = RssSampler(m.proc.pid)
        n = flood(exe, "exec", 6, 150000, storm)
        time.sleep(2.0)
        rss.done()
        assert m.proc.poll() is None, m.stderr()
        lost_status = int(status(d)["lost"])
        subprocess.run(["bash", "-c", f'for ((i = 0; i < 300; i++)); do "{known}"; done'],
                       check=True, timeout=120)
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "exec")
        got = sum(1 for r in rows if r["filename"] == storm)
        lost = losses_logged(m, "exec")
        print(f"  exec storm: {n} execs, {got} rows, {lost} lost (status file: {lost_status})")
        assert got <= n and got + lost >= n, (n, got, lost)
        assert lost == lost_status or lost_status <= lost, (lost, lost_status)
        s = stop_totals(m.stderr(), "exec")
        assert s and s["lost"] == lost, m.stderr()
        assert sum(1 for r in rows if r["filename"] == known) == 300
    finally:
        cleanup(d)


@test
def test_flood_open_million_paths_small_map():
    d = make_workdir()
    try:
        exe = build_flood(d)
        missing = os.path.join(d, "nowhere")
        m = start(d, "open", "    interval: 1\n    map_size: 1024\n")
        rss = RssSampler(m.proc.pid)
        n = flood(exe, "open", 10, 1000000, missing)
        # The flood's keys are gone after two interval ends (the one after the flip drains the
        # keys written before it): three, so that a loaded machine's late timer cannot leave
        # the map full when the known opens come.
        time.sleep(3.5)
        rss.done()
        assert m.proc.poll() is None, m.stderr()
        assert int(status(d)["lost"]) > 0, status(d)
        lost = losses_logged(m, "open")
        assert lost > 0 and re.search(r"open: \d+ events lost .*map full [1-9]", m.stderr())
        known = os.path.join(d, "known")
        name = "eo" + uuid.uuid4().hex[:10]
        Workload(name, "open", known, 50, 0).run()
        time.sleep(2.0)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "open")
        flooded = sum(int(r["count"]) for r in rows if r["filename"].startswith(missing))
        print(f"  open storm: {n} opens of distinct paths, {flooded} counted, {lost} lost")
        assert n >= 200000, n
        assert flooded <= n and flooded + lost >= n, (n, flooded, lost)
        per_interval = {}
        for r in rows:
            per_interval[r["timestamp"]] = per_interval.get(r["timestamp"], 0) + 1
        assert max(per_interval.values()) <= 1024, max(per_interval.values())  # map_size
        mine = [r for r in rows if r["comm"] == name and r["filename"] == known
                and r["flags"].startswith("O_RDONLY")]
        assert sum(int(r["count"]) for r in mine) == 50, mine
    finally:
        cleanup(d)


@test
def test_flood_fork_storm_then_exact_parents():
    d = make_workdir()
    try:
        exe = build_flood(d)
        known = unique_program(d)
        m = start(d, "exec", "    enabled: true\n")
        rss = RssSampler(m.proc.pid)
        n = flood(exe, "fork", 6, 200000)
        time.sleep(1.0)
        rss.done()
        assert m.proc.poll() is None, m.stderr()
        # the parent table (kernel map, entries removed at exit) did not fill: parents are exact
        p = subprocess.run(["bash", "-c", f'echo $$; for ((i = 0; i < 200; i++)); do "{known}"; done'],
                           capture_output=True, text=True, check=True, timeout=120)
        shell = p.stdout.split()[0]
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        print(f"  fork storm: {n} forks")
        assert n >= 5000, n
        _, rows = csv_rows(d, "exec")
        mine = [r for r in rows if r["filename"] == known]
        assert len(mine) == 200 and all(r["ppid"] == shell for r in mine), mine[:3]
        assert "events lost" not in m.stderr(), m.stderr()
    finally:
        cleanup(d)


@test
def test_flood_context_switch_many_pairs_small_map():
    d = make_workdir()
    try:
        exe = build_flood(d)
        # 2048 keys hold an interval of this busy machine's own switching (several hundred
        # pairs), not 2000 more task names
        m = start(d, "context_switch", "    interval: 1\n    min_switches: 1\n    map_size: 2048\n")
        rss = RssSampler(m.proc.pid)
        n = flood(exe, "switch", 5, 10000000, 1000)  # 2000 distinct names switching
        time.sleep(2.5)
        rss.done()
        assert m.proc.poll() is None, m.stderr()
        lost = losses_logged(m, "context_switch")
        assert lost > 0 and int(status(d)["lost"]) > 0, (lost, status(d))
        # recovered: a sleeper's switches match its own /proc counters again
        sleeper = Proc("em" + uuid.uuid4().hex[:10], "sleep", 500)
        before = sleeper.status()
        sleeper.go()
        sleeper.work_done()
        after = sleeper.status()
        time.sleep(2.5)
        assert m.stop() == 0, m.stderr()
        sleeper.finish()
        _, rows = csv_rows(d, "context_switch")
        vol, invol, count = sums(rows, sleeper.comm)
        want = sum(after[k] - before[k] for k in after)
        print(f"  switch storm: {n} round trips, {lost} lost; sleeper {count} vs /proc {want}")
        assert n >= 10000, n
        assert abs(count - want) <= 0.02 * want, (count, want)
    finally:
        cleanup(d)
