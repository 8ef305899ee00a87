"""test_daemon.py - the daemon's whole lifecycle (start, status, refused second start, stop with
everything flushed, kill -9 and a stale PID file) and SIGHUP reloads (a monitor added without
losing a row of the running one; a broken config refused while the old one keeps running)."""
import os
import re
import signal
import subprocess
import time

from harness import cleanup, csv_rows, make_workdir, run, test
from test_exec import unique_program

BASE = ("logging:\n  level: INFO\n  directory: logs\noutput:\n  directory: output\n"
        "  flush_interval: 0.5\napp:\n  pid_file: temp/monitor.pid\nmonitors:\n")


def config(d, monitors):
    path = os.path.join(d, "c.yaml")
    with open(path, "w") as f:
        f.write(BASE + monitors)
    return path


def log_text(d):
    with open(os.path.join(d, "logs", "monitor.log"), errors="surrogateescape") as f:
        return f.read()


def wait_log(d, pattern, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if re.search(pattern, log_text(d)):
                return
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"log never matched {pattern!r}:\n{log_text(d)}")


def pid_of(d):
    with open(os.path.join(d, "temp", "monitor.pid")) as f:
        return int(f.read())


@test
def test_daemon_lifecycle():
    d = make_workdir()
    try:
        cfg = config(d, "  exec:\n    enabled: true\n")
        p = run(["-c", cfg, "--daemon"], d, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stderr)
        pid = pid_of(d)
        assert os.path.exists(f"/proc/{pid}"), "the PID file names a live process"
        with open(f"/proc/{pid}/comm") as f:
            assert f.read().strip() == "ebpf-monitor"
        # detached: another session, no controlling terminal, stdio on /dev/null
        with open(f"/proc/{pid}/stat") as f:
            tty_nr = int(f.read().rsplit(")", 1)[1].split()[4])
        assert os.getsid(pid) != os.getsid(0) and tty_nr == 0
        assert os.readlink(f"/proc/{pid}/fd/1") == "/dev/null"

        s = run(["-c", cfg, "--daemon-status"], d)
        assert s.returncode == 0, s.stdout
        assert f"running (pid {pid}" in s.stdout and "monitors: exec" in s.stdout, s.stdout

        again = run(["-c", cfg, "--daemon"], d, timeout=60)
        assert again.returncode == 4, (again.returncode, again.stderr)
        assert f"already running (pid {pid}" in again.stderr, again.stderr
        assert pid_of(d) == pid, "a refused start must not touch the PID file"

        # events generated just before the stop are in the CSV
        prog = unique_program(d)
        for _ in range(25):
            subprocess.run([prog], check=True)
        stop = run(["-c", cfg, "--daemon-stop"], d, timeout=30)
        assert stop.returncode == 0 and "stopped cleanly" in stop.stdout, stop.stdout
        _, rows = csv_rows(d, "exec")
        assert len([r for r in rows if r["filename"] == prog]) == 25
        s = run(["-c", cfg, "--daemon-status"], d)
        assert s.returncode == 3 and "not running" in s.stdout, (s.returncode, s.stdout)
        assert not os.path.exists(os.path.join(d, "temp", "monitor.pid")), "PID file left"

        # kill -9: the PID file stays, status says so (1), and the next start takes over
        p = run(["-c", cfg, "--daemon"], d, timeout=120)
        assert p.returncode == 0, p.stderr
        pid = pid_of(d)
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.05)
        s = run(["-c", cfg, "--daemon-status"], d)
        assert s.returncode == 1 and f"pid {pid}" in s.stdout, (s.returncode, s.stdout)
        p = run(["-c", cfg, "--daemon"], d, timeout=120)
        assert p.returncode == 0, p.stderr
        assert pid_of(d) != pid
        wait_log(d, rf"stale PID file .* \(pid {pid} is gone\) replaced")
        assert run(["-c", cfg, "--daemon-stop"], d, timeout=30).returncode == 0
    finally:
        subprocess.run(["pkill", "-f", f"{d}/c.yaml"], capture_output=True)
        cleanup(d)


@test
def test_sighup_adds_a_monitor_and_refuses_a_broken_config():
    d = make_workdir()
    try:
        cfg = config(d, "  exec:\n    enabled: true\n  syscall:\n    enabled: false\n    interval: 1\n")
        p = run(["-c", cfg, "--daemon"], d, timeout=120)
        assert p.returncode == 0, p.stderr
        pid = pid_of(d)
        prog = unique_program(d)
        # execs keep coming while the configuration changes under the running exec monitor
        burst = subprocess.Popen(["bash", "-c", f'for i in $(seq 600); do "{prog}"; sleep 0.005; done'])
        time.sleep(1)
        config(d, "  exec:\n    enabled: true\n  syscall:\n    enabled: true\n    interval: 1\n")
        os.kill(pid, signal.SIGHUP)
        wait_log(d, r"syscall: started by the reload")
        # a broken config: refused, logged, the old one keeps running
        with open(cfg, "a") as f:
            f.write("  open:\n    enabled: perhaps\n")
        os.kill(pid, signal.SIGHUP)
        wait_log(d, r"new configuration rejected, the running one stays: .*monitors\.open\.enabled")
        assert burst.wait(120) == 0
        time.sleep(1.5)
        s = run(["-c", cfg, "--daemon-status"], d)
        assert s.returncode == 0 and "monitors: exec,syscall" in s.stdout, (s.stdout, log_text(d))
        assert run(["-c", cfg, "--daemon-stop"], d, timeout=30).returncode == 0
        _, rows = csv_rows(d, "exec")
        assert len([r for r in rows if r["filename"] == prog]) == 600, "exec lost rows in the reloads"
        _, srows = csv_rows(d, "syscall")
        assert srows, "the added monitor wrote nothing"
        text = log_text(d)
        assert "exec: configuration changed" not in text and "exec: no longer selected" not in text
    finally:
        subprocess.run(["pkill", "-f", f"{d}/c.yaml"], capture_output=True)
        cleanup(d)
