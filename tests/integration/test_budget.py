"""test_budget.py - the overhead budget against a syscall storm (storm.c: a known number of
getppid() calls from a task with a known name, at a set rate). At full count the storm would cost
the syscall monitor several times its budget; under the budget the probe samples 1 in N in the
kernel, the scaled count stays within 2 % of the calls made, the rows say they were sampled, the
WARNING says so, --daemon-status shows the rate, and once the storm stops full counting resumes
(sample_rate 1, an INFO line). The CPU of the storm loop with and without the monitor is
measured and printed, not asserted: the machine is shared and noisy. Exact counts without a budget
are the other tests' business (every one of them runs without one).

The budget is 2 % of one CPU unless the machine's own syscalls (other tenants) cost the monitor
more than a third of that at full count: full counting could then never resume. The monitor
measures that first (under a budget it cannot reach), the test sets the budget to three times it
with a reload (SIGHUP; the budget is read live), and the storm's rate to about four times the
budget at the cost per call the monitor measured. A machine whose own syscalls cost the monitor
more than MAX_BACKGROUND at full count is too busy for this test (it says so; under CI=true that
is a failure).

What sampling cannot remove is the probe's cost of running at all for each call (the call into
the program, the first lookups: about half of a counted getppid() in the development VM), so the
test asserts that the cost while sampled is well under the cost at full count, and prints both
against the budget; bench/budget.sh measures the same on the loop's own CPU."""
import os
import re
import signal
import statistics
import subprocess
import threading
import time
import uuid

import harness
from harness import Monitor, cleanup, csv_rows, make_workdir, test, write_config

STORM_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "storm.c")
BUDGET = 2.0          # % of one CPU, for the whole monitor (at least)
STORM_S = 8           # seconds of storm
MAX_BACKGROUND = 8.0  # % of one CPU: the machine's own syscalls at full count, at most


def build_storm(d):
    exe = os.path.join(d, "storm")
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", exe, STORM_SRC], check=True)
    return exe


class Storm:
    """storm.c as a child: started (it prints its pid and waits), then released with go()."""

    def __init__(self, exe, name, calls, rate):
        self.p = subprocess.Popen([exe, name, str(calls), str(rate)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.pid = int(self.p.stdout.readline())

    def go(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        return self

    def result(self, timeout=120):
        out, _ = self.p.communicate(timeout=timeout)
        assert self.p.returncode == 0, out
        m = re.search(r"calls=(\d+) cpu_s=([\d.]+) wall_s=([\d.]+) ns_per_call=([\d.]+)", out)
        assert m, out
        return {"calls": int(m.group(1)), "cpu_s": float(m.group(2)),
                "wall_s": float(m.group(3)), "ns_per_call": float(m.group(4))}


def costs(stderr, sampled, min_eps=0):
    """The syscall monitor's cost (% of one CPU) each second, from the budget's debug lines."""
    out = []
    for m in re.finditer(r"syscall: cost ([\d.]+) % of one CPU at 1 in (\d+), (\d+) events/s",
                         stderr):
        if (int(m.group(2)) > 1) == sampled and int(m.group(3)) >= min_eps:
            out.append(float(m.group(1)))
    return out


def config_text(budget):
    return f"overhead_budget: {budget:g}\n"


@test
def test_budget_syscall_storm_sampled_scaled_and_resumed():
    d = make_workdir()
    try:
        exe = build_storm(d)
        name = "emst" + uuid.uuid4().hex[:10]
        cfg = write_config(d, "  syscall:\n    interval: 1\n", extra=config_text(1000))
        m = Monitor(["-c", cfg, "-m", "syscall", "-v"], cwd=d)
        m.wait_attached()
        m.wait_for("overhead budget: the ", 10)  # measured, or estimated (before 5.1)
        time.sleep(5)
        # what the machine's own syscalls cost the monitor (most seconds: the first one pays
        # for every key's insertion), and a counted call
        idle = sorted(costs(m.stderr(), False)[1:]) or [0]
        background = idle[(len(idle) * 3) // 4]
        per_call = [float(x) for x in re.findall(r"at 1 in 1, \d+ events/s, (\d+) ns per counted",
                                                  m.stderr())]
        ns = min(max(per_call[-1] if per_call else 60, 30), 200)
        if background > MAX_BACKGROUND:
            harness.skip(f"the machine's own syscalls cost the syscall monitor {background:.1f} % "
                         f"of one CPU at full count (over {MAX_BACKGROUND:g} %; each second: "
                         f"{idle}): too busy to see full counting resume; rerun on a quieter "
                         "machine")
        budget = max(BUDGET, round(3 * background + 0.5))
        rate = min(int(4 * budget / 100 * 1e9 / ns), 10000000)
        calls = rate * STORM_S
        cfg = write_config(d, "  syscall:\n    interval: 1\n", extra=config_text(budget))
        m.proc.send_signal(signal.SIGHUP)
        m.wait_for("SIGHUP: configuration reloaded", 30)
        time.sleep(1)
        s = Storm(exe, name, calls, rate)
        status = {}

        def status_mid_storm():
            time.sleep(STORM_S / 2)
            status["out"] = harness.run(["-c", cfg, "--daemon-status"], cwd=d).stdout

        t = threading.Thread(target=status_mid_storm)
        t.start()
        s.go()
        under = s.result()
        t.join()
        end = time.time()
        m.wait_for("full counting resumes (sample_rate 1)", 60)
        time.sleep(2.5)  # rows of an interval or two at full count again
        assert m.stop() == 0, m.stderr()
        err = m.stderr()
        # the storm without the monitor, for the CPU it costs then
        base = Storm(exe, name, calls // 4, rate).go().result()

        warn = re.search(r"WARNING: syscall: overhead estimate ([\d.]+) % of one CPU is over the "
                         rf"budget of {budget:g} % of one CPU for the whole monitor "
                         r"\(overhead_budget; .*\): sampling 1 in (\d+) events in the kernel from "
                         r"now on, counts scaled by \2 \(rows carry sample_rate\)", err)
        assert warn, err
        assert re.search(r"INFO: syscall: overhead estimate [\d.]+ % of one CPU at 1 in \d+, well "
                         rf"under the budget of {budget:g} % of one CPU .*: full counting resumes",
                         err), err
        assert "sampling: syscall 1 in " in status.get("out", ""), status
        assert f"overhead budget: {budget:g} % of one CPU for the whole monitor" in status["out"], \
            status

        header, rows = csv_rows(d, "syscall")
        assert header[-1] == "sample_rate" and header[:9] == [
            "timestamp", "time_str", "comm", "syscall_nr", "syscall_name", "category", "count",
            "error_count", "error_rate"], header
        mine = [r for r in rows if r["comm"] == name and r["syscall_name"] == "getppid"]
        scaled = sum(int(r["count"]) for r in mine)
        error = (scaled - calls) / calls
        rates = sorted({int(r["sample_rate"]) for r in mine})
        assert abs(error) <= 0.02, (scaled, calls, error, rates)
        assert rates[-1] > 1, rates
        assert all(n & (n - 1) == 0 for n in rates), rates
        # full counting again after the storm: the last intervals' rows are marked 1
        last = max(float(r["timestamp"]) for r in rows)
        assert last > end, (last, end)
        assert {r["sample_rate"] for r in rows if float(r["timestamp"]) == last} == {"1"}, \
            [r for r in rows if float(r["timestamp"]) == last]

        held = costs(err, True, rate // 2)
        full = max(costs(err, False, rate // 2) + [float(warn.group(1))])
        print(f"  background {background:.2f} % at full count, {ns:.0f} ns a counted call; "
              f"budget {budget:g} %; storm of {calls} getppid() at {rate}/s: "
              f"{base['ns_per_call']:.0f} ns of CPU a call without the monitor, "
              f"{under['ns_per_call']:.0f} with it; the monitor's estimate at full count "
              f"{full:.1f} %, sampled (1 in {rates[-1]} at most) median "
              f"{statistics.median(held) if held else float('nan'):.2f} % over {len(held)} s; "
              f"scaled count {scaled} ({error * 100:+.3f} %)")
        # The cost at full count was over the budget; sampled, under it, or as low as sampling
        # goes and said so. What cannot be sampled away is running the probe at all: about half
        # a counted call's cost on the hash path, but three quarters of it once the storm's name
        # is on the fast path (a counted call 55 ns, a skipped one 40, measured by the kernel in
        # CI under ASan, where this asked for 0.7 and got 0.75).
        # (the whole monitor's budget is over when all monitors and the process together are:
        # the syscall monitor's own share may be under it when the process's is large, as
        # under ASan on a busy host: 1.93 of 2.5 % once)
        total = re.search(r"all monitors and the process now cost ([\d.]+) %", warn.group(0))
        assert total and float(total.group(1)) > budget, warn.group(0)
        assert held and statistics.median(held) < 0.9 * full, (held, full, err)
        floor = "at the lowest sampling rate, 1 in 1024" in err
        assert statistics.median(held) <= 1.2 * budget or floor, (held, budget, err)
    finally:
        cleanup(d)


@test
def test_budget_bad_value_is_one_clear_error_exit_2():
    d = make_workdir()
    try:
        for text, shown in (("overhead_budget: 0.01\n", "0.01"),
                            ("overhead_budget: lots\n", "lots")):
            cfg = write_config(d, "  syscall: {}\n", extra=text)
            p = harness.run(["-c", cfg, "--duration", "1"], cwd=d)
            assert p.returncode == 2, (p.returncode, p.stderr)
            lines = [l for l in p.stderr.splitlines() if l.strip()]
            assert len(lines) == 1, p.stderr
            assert re.search(r"test_config\.yaml:\d+:\d+: overhead_budget: expected a percentage, "
                             r"0\.1 to 10000 \(e\.g\. 2 or 2%\), or 0 or off for none, got '"
                             + re.escape(shown) + "'", lines[0]), lines[0]
        cfg = write_config(d, "  syscall:\n    overhead_budget: -5\n")
        p = harness.run(["-c", cfg, "--duration", "1"], cwd=d)
        assert p.returncode == 2 and "monitors.syscall.overhead_budget: expected a percentage" \
            in p.stderr, (p.returncode, p.stderr)
        assert not os.path.exists(os.path.join(d, "output")), "output dir created anyway"
    finally:
        cleanup(d)


@test
def test_budget_check_reports_the_budget_and_who_samples():
    d = make_workdir()
    try:
        cfg = write_config(d, "  syscall: {}\n  exec: {}\n")
        p = harness.run(["-c", cfg, "--check"], cwd=d, timeout=120)
        assert "Overhead budget:\n  budget           none (overhead_budget not set): every event " \
               "is counted" in p.stdout, p.stdout
        cfg = write_config(d, "  syscall:\n    overhead_budget: 1\n  exec: {}\n",
                           extra="overhead_budget: 5%\n")
        p = harness.run(["-c", cfg, "--check"], cwd=d, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        out = p.stdout[p.stdout.index("Overhead budget:"):]
        assert "budget           5 % of one CPU for the whole monitor (overhead_budget)" in out, out
        assert re.search(r"cost measured +by the kernel's BPF statistics \(BPF_ENABLE_STATS", out), \
            out
        assert re.search(r"syscall +samples 1 in N over its own budget of 1 % or the whole one; "
                         r"not running now", out), out
        assert re.search(r"exec +never samples \(rows are events\)", out), out
    finally:
        cleanup(d)
