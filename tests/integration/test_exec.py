"""test_exec.py - the exec monitor against workloads with known answers: N execs of a uniquely
named program, failed execs, hostile file names, SIGTERM in a burst."""
import os
import re
import shutil
import signal
import subprocess
import time
import uuid

from harness import Monitor, cleanup, csv_rows, make_workdir, stop_totals, test, write_config

EXEC_COLUMNS = ["timestamp", "time_str", "uid", "pid", "comm", "filename", "ppid", "ret", "argv"]


def unique_program(d, name=None):
    """A copy of /bin/true under a name nobody else runs."""
    name = name or f"em_uniq_{uuid.uuid4().hex[:10]}"
    bindir = os.path.join(d, "bin")
    os.makedirs(bindir, exist_ok=True)
    os.chmod(bindir, 0o755)
    path = os.path.join(bindir, name)
    shutil.copy("/bin/true", path)
    os.chmod(path, 0o755)
    return path


def start_exec_monitor(d, extra_args=(), stdout=subprocess.DEVNULL, monitors="  exec:\n    enabled: true\n"):
    cfg = write_config(d, monitors)
    m = Monitor(["-c", cfg, "-m", "exec", *extra_args], cwd=d, stdout=stdout)
    m.wait_attached()
    return m


@test
def test_exec_500_runs_exact_rows():
    d = make_workdir()
    try:
        prog = unique_program(d)
        out_path = os.path.join(d, "console.txt")
        with open(out_path, "w") as console:
            m = start_exec_monitor(d, ["--duration", "60"], stdout=console)
            # The loop runs as uid 65534 so the uid column is checked against a known,
            # non-root value; $$ is the parent of every exec.
            script = f'echo $$; for i in $(seq 500); do "{prog}" a1 "b,2" \'c"d\'; done'
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "bash", "-c", script], capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, p.stderr
            shell_pid = int(p.stdout.split()[0])
            time.sleep(1.0)
            rc = m.stop()
        assert rc == 0, m.stderr()
        header, rows = csv_rows(d, "exec")
        assert header == EXEC_COLUMNS, header
        mine = [r for r in rows if r["filename"] == prog]
        assert len(mine) == 500, f"{len(mine)} rows for {prog}, expected 500"
        assert all(r["uid"] == "65534" for r in mine), {r["uid"] for r in mine}
        assert all(r["ppid"] == str(shell_pid) for r in mine), {r["ppid"] for r in mine}
        assert all(r["ret"] == "0" for r in mine), {r["ret"] for r in mine}
        assert all(r["argv"] == f'{prog} a1 b,2 c"d' for r in mine), mine[0]["argv"]
        # comm is the caller before the exec (bash forked, so the child is still "bash")
        assert all(r["comm"] == "bash" for r in mine), {r["comm"] for r in mine}
        pids = {int(r["pid"]) for r in mine}
        assert len(pids) == 500, "every exec ran in its own child process"
        ts = [float(r["timestamp"]) for r in mine]
        assert ts == sorted(ts) or max(ts) - min(ts) < 120
        now = time.time()
        assert all(now - 300 < t <= now + 1 for t in ts), (min(ts), max(ts), now)
        assert all(re.fullmatch(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]", r["time_str"]) for r in mine)
        assert all(re.fullmatch(r"\d+\.\d{3}", r["timestamp"]) for r in mine)
        # the console shows them as the guide's table
        with open(out_path) as f:
            console_lines = f.read().splitlines()
        assert re.match(r"^TIME\s+UID\s+PID\s+COMM\s+FILENAME$", console_lines[0]), console_lines[:2]
        shown = [l for l in console_lines if l.endswith(prog)]
        assert len(shown) == 500, len(shown)
        assert re.match(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\s+65534\s+\d+\s+bash\s+" + re.escape(prog) + "$",
                        shown[0]), shown[0]
        t = stop_totals(m.stderr(), "exec")
        assert t and t["lost"] == 0 and "events lost" not in m.stderr(), m.stderr()
    finally:
        cleanup(d)


@test
def test_exec_failed_exec_has_errno():
    d = make_workdir()
    try:
        missing = os.path.join(d, f"em_missing_{uuid.uuid4().hex[:8]}")
        noexec = os.path.join(d, f"em_noexec_{uuid.uuid4().hex[:8]}")
        with open(noexec, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(noexec, 0o644)
        m = start_exec_monitor(d, ["--duration", "60"])
        for path in (missing, noexec):
            try:
                subprocess.run([path])
            except OSError:
                pass
        time.sleep(1.0)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "exec")
        by = {r["filename"]: r for r in rows if r["filename"] in (missing, noexec)}
        assert by[missing]["ret"] == "-2", by[missing]      # ENOENT
        assert by[noexec]["ret"] == "-13", by[noexec]       # EACCES
    finally:
        cleanup(d)


@test
def test_exec_hostile_filename_roundtrips_csv():
    d = make_workdir()
    try:
        weird = 'em,we"ird\nname ' + uuid.uuid4().hex[:6]
        prog = unique_program(d, weird)
        m = start_exec_monitor(d, ["--duration", "60"])
        subprocess.run([prog, "x,y", 'q"uote', "new\nline"], check=True)
        time.sleep(1.0)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "exec")  # parsed by Python's csv module
        mine = [r for r in rows if r["filename"] == prog]
        assert len(mine) == 1, [r["filename"] for r in rows if "em," in r["filename"]]
        assert mine[0]["argv"] == f'{prog} x,y q"uote new\nline', repr(mine[0]["argv"])
    finally:
        cleanup(d)


@test
def test_exec_burst_2000_loses_nothing():
    d = make_workdir()
    try:
        prog = unique_program(d)
        m = start_exec_monitor(d, ["--duration", "120"])
        t0 = time.time()
        subprocess.run(["bash", "-c", f'for i in $(seq 2000); do "{prog}"; done'], check=True, timeout=300)
        took = time.time() - t0
        time.sleep(1.0)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "exec")
        mine = [r for r in rows if r["filename"] == prog]
        assert len(mine) == 2000, f"{len(mine)} of 2000 execs recorded ({2000 / took:.0f}/s)"
        assert "events lost" not in m.stderr(), m.stderr()
    finally:
        cleanup(d)


@test
def test_exec_sigterm_during_burst_keeps_every_event():
    d = make_workdir()
    try:
        prog = unique_program(d)
        m = start_exec_monitor(d)
        burst = subprocess.Popen(["bash", "-c", f'for i in $(seq 3000); do "{prog}"; done'])
        time.sleep(1.5)
        assert burst.poll() is None, "burst ended before the signal; make it longer"
        rc = m.stop(signal.SIGTERM)
        burst.wait(300)
        assert rc == 0, m.stderr()
        _, rows = csv_rows(d, "exec")  # asserts the last line is complete
        mine = [r for r in rows if r["filename"] == prog]
        assert 0 < len(mine) < 3000, len(mine)
        # every event the monitor received is a row in the CSV, and nothing was lost
        s = stop_totals(m.stderr(), "exec")
        assert s, m.stderr()
        events, nrows, lost = s["events"], s["rows"], s["lost"]
        assert events == nrows == len(rows), (events, nrows, len(rows))
        assert lost == 0, m.stderr()
    finally:
        cleanup(d)


@test
def test_exec_duration_and_log_file():
    d = make_workdir()
    try:
        cfg = write_config(d, "  exec:\n    enabled: true\n")
        t0 = time.time()
        m = Monitor(["-c", cfg, "--duration", "2"], cwd=d)
        rc = m.wait(60)
        assert rc == 0, m.stderr()
        assert 2 <= time.time() - t0 < 30
        log = os.path.join(d, "logs", "monitor.log")
        with open(log) as f:
            text = f.read()
        # the guide's detailed format: asctime [LEVEL] name:lineno message
        assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[INFO\] ebpf_monitor[\w.]*:\d+ .*attached in",
                         text, re.M), text
        assert re.search(r"exec: execve attached via (kprobe|tracepoint|raw_syscalls)", text), text
    finally:
        cleanup(d)


@test
def test_exec_filters_uid_and_comm():
    d = make_workdir()
    try:
        prog = unique_program(d)
        # -u: only the unprivileged user's execs are recorded
        m = start_exec_monitor(d, ["--duration", "60", "-u", "65534"])
        subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", prog, "nobody"], check=True)
        subprocess.run([prog, "root"], check=True)
        time.sleep(1.0)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "exec")
        mine = [r for r in rows if r["filename"] == prog]
        assert [r["argv"].split()[-1] for r in mine] == ["nobody"], mine
        assert all(r["uid"] == "65534" for r in rows), {r["uid"] for r in rows}
        # --comm: only execs made by a task of that name (a copy of sh named em_caller)
        cleanup(os.path.join(d, "output"))
        m = start_exec_monitor(d, ["--duration", "60", "--comm", "em_caller"])
        caller = unique_program(d, "em_caller")
        os.unlink(caller)
        shutil.copy("/bin/sh", caller)
        subprocess.run([caller, "-c", f'"{prog}" via-caller'], check=True)
        subprocess.run(["sh", "-c", f'"{prog}" via-sh'], check=True)
        time.sleep(1.0)
        assert m.stop() == 0, m.stderr()
        _, rows = csv_rows(d, "exec")
        assert [r["argv"].split()[-1] for r in rows if r["filename"] == prog] == ["via-caller"], rows
        assert {r["comm"] for r in rows} == {"em_caller"}, {r["comm"] for r in rows}
    finally:
        cleanup(d)
