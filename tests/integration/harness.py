"""harness.py - runs ebpf-monitor as a real process for the integration tests: temp work dirs,
startup/attach detection, CSV reading with Python's csv module, a tiny test registry.

Two hooks for the kprobe lane's watchdog (tests/vm/guest.sh):
  EM_TEST_PROGRESS=FILE    "START <test> <epoch>" is appended before each test and
                           "END <test> <PASS|FAIL|SKIP> <epoch>" after it, so a watcher outside
                           this process knows which test is running and for how long.
  EM_TEST_PLANT_HANG=TEST  that test sleeps forever once its first monitor has attached (a
                           planted hang with a live ebpf-monitor, to test the watchdog itself)."""
import csv
import fcntl
import glob
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback

BINARY = None
CI = os.environ.get("CI", "").lower() == "true"
TESTS = []
PLANT_HANG = os.environ.get("EM_TEST_PLANT_HANG", "")
CURRENT_TEST = None


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    pass


def skip(reason):
    """Skipping is allowed only outside CI: under CI=true a test that cannot run fails."""
    if CI:
        raise AssertionError("cannot run under CI: " + reason)
    raise Skip(reason)


def write_config(workdir, monitors_yaml, output="output", extra=""):
    path = os.path.join(workdir, "test_config.yaml")
    with open(path, "w") as f:
        f.write(
            "logging:\n"
            "  level: INFO\n"
            "  directory: logs\n"
            "output:\n"
            f"  directory: {output}\n"
            "  buffer_size: 2000\n"
            "  flush_interval: 0.5\n"
            f"{extra}"
            "monitors:\n" + monitors_yaml
        )
    return path


# EM_TEST_PERSONALITY=rhel7|4.9|4.15|4.18: every monitor the tests start runs under that
# old-kernel profile (tests/personality: libem_personality.so preloaded), so the same exact-count
# tests prove the fallbacks that kernel needs (scripts/test.sh runs the core ones per profile).
PERSONALITY = os.environ.get("EM_TEST_PERSONALITY", "")


def personality_env(profile):
    """The environment that runs the binary under an old-kernel profile."""
    lib = os.path.join(os.path.dirname(BINARY), "libem_personality.so")
    assert os.path.exists(lib), f"{lib} is missing: it is built with the binary (CMakeLists.txt)"
    # An ASan build wants its runtime first among the loaded libraries; the shim only wraps
    # syscall(2) and ioctl(2), so the order does not matter to it.
    return {"LD_PRELOAD": lib, "EM_PERSONALITY": profile, "EM_PERSONALITY_LOG": "1",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}


# The monitors the running test started: one that a failed test left running would keep its
# maps (and, before 5.11, root's locked-memory budget) from the tests after it.
LIVE = []


def reap_monitors():
    for m in LIVE:
        if m.proc.poll() is None:
            m.proc.kill()
            m.proc.wait(60)
    LIVE.clear()


def _tty_child():
    """In the child: its stdin the controlling terminal; no core file if a test crashes it."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Monitor:
    """A running ebpf-monitor with its stderr collected line by line."""

    def __init__(self, args, cwd, stdout=subprocess.DEVNULL, user=None, binary=None, env=None,
                 tty=None):
        """tty: a pseudo-terminal's slave fd: it becomes the monitor's stdin, stdout and
        controlling terminal (a session of its own), as in an interactive shell."""
        if PERSONALITY and binary is None:
            env = {**personality_env(PERSONALITY), **(env or {})}
        cmd = [binary or BINARY] + args
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
        extra = {}
        if tty is not None:
            extra = dict(stdin=tty, start_new_session=True, preexec_fn=_tty_child)
            stdout = tty
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                                     text=True, errors="replace",
                                     env=None if env is None else {**os.environ, **env}, **extra)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        LIVE.append(self)

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def stderr(self):
        with self.cond:
            return "\n".join(self.lines)

    def wait_for(self, text, timeout=30):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                if any(text in l for l in self.lines):
                    return True
                if self.proc.poll() is not None and not self.reader.is_alive():
                    break
                left = deadline - time.time()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.2))
        raise AssertionError(f"monitor never logged {text!r}; exit={self.proc.poll()}; "
                             f"stderr:\n{self.stderr()}")

    def wait_attached(self, timeout=60):
        self.wait_for("attached in", timeout)
        if PLANT_HANG and PLANT_HANG == CURRENT_TEST:
            print(f"planted hang: {CURRENT_TEST} sleeps with monitor pid {self.proc.pid} running",
                  flush=True)
            while True:
                time.sleep(3600)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout=60):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("monitor did not exit in time; stderr:\n" + self.stderr())
        self.reader.join(5)
        return rc


WORKLOAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workload.py")


class Workload:
    """workload.py as a child with its own task name: started (it prints its pid and waits),
    then released with run(), which waits for it to finish."""

    def __init__(self, name, *args, user=None):
        cmd = [sys.executable, WORKLOAD, name, *map(str, args)]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = int(self.p.stdout.readline())

    def run(self, timeout=120):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        out, _ = self.p.communicate(timeout=timeout)
        assert self.p.returncode == 0 and "done" in out, (self.p.returncode, out)
        return self


def run(args, cwd, user=None, timeout=60):
    cmd = [BINARY] + args
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          errors="replace")


def csv_rows(workdir, monitor, output="output"):
    files = sorted(glob.glob(os.path.join(workdir, output, f"{monitor}_*.csv")))
    assert files, f"no {monitor}_*.csv in {os.path.join(workdir, output)}"
    rows = []
    header = None
    for path in files:
        # other tasks on the machine may have names that are not UTF-8
        with open(path, newline="", errors="surrogateescape") as f:
            data = f.read()
        assert data.endswith("\n"), f"{path}: last line is incomplete: {data[-200:]!r}"
        reader = csv.reader(data.splitlines(keepends=True))
        h = next(reader)
        header = header or h
        assert h == header, f"{path}: header {h} != {header}"
        for r in reader:
            assert len(r) == len(h), f"{path}: row with {len(r)} fields, header has {len(h)}: {r}"
            rows.append(dict(zip(h, r)))
    return header, rows


def stop_totals(stderr, monitor):
    """The stop's totals line of a monitor, as a dict: events (perf events received, event
    monitors) or counted and keys (aggregating ones), rows, lost; None when it is missing."""
    m = re.search(rf"{monitor}: (?:(\d+) perf events received,|counted (\d+) [^\n]*? under "
                  rf"(?:at least )?(\d+) distinct keys, in) (\d+) rows; "
                  rf"(?:nothing lost|lost (\d+) \()", stderr)
    if not m:
        return None
    n = [int(x) if x is not None else None for x in m.groups()]
    return {"events": n[0], "counted": n[1], "keys": n[2], "rows": n[3], "lost": n[4] or 0}


def make_workdir():
    d = tempfile.mkdtemp(prefix="em-itest-")
    os.chmod(d, 0o755)
    return d


def progress(*fields):
    path = os.environ.get("EM_TEST_PROGRESS")
    if path:
        with open(path, "a") as f:
            f.write(" ".join(map(str, fields)) + f" {int(time.time())}\n")


def main():
    global BINARY, CURRENT_TEST
    if len(sys.argv) < 2:
        print("usage: run.py BINARY [TEST-NAME-SUBSTRING[,SUBSTRING...]]", file=sys.stderr)
        return 2
    BINARY = os.path.abspath(sys.argv[1])
    only = sys.argv[2].split(",") if len(sys.argv) > 2 else None
    tag = f" [{PERSONALITY}]" if PERSONALITY else ""
    passed = failed = skipped = 0
    for fn in TESTS:
        if only and not any(o in fn.__name__ for o in only):
            continue
        t0 = time.time()
        CURRENT_TEST = fn.__name__
        progress("START", fn.__name__)
        try:
            try:
                fn()
            finally:
                reap_monitors()
        except Skip as e:
            skipped += 1
            progress("END", fn.__name__, "SKIP")
            print(f"SKIP {fn.__name__}{tag}: {e}", flush=True)
            continue
        except Exception:
            failed += 1
            progress("END", fn.__name__, "FAIL")
            print(f"FAIL {fn.__name__}{tag} ({time.time() - t0:.1f}s)", flush=True)
            traceback.print_exc()
            continue
        passed += 1
        progress("END", fn.__name__, "PASS")
        print(f"PASS {fn.__name__}{tag} ({time.time() - t0:.1f}s)", flush=True)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


def cleanup(path):
    shutil.rmtree(path, ignore_errors=True)
