"""test_fs_safety.py - a root daemon writing where other users might have planted something:
symbolic links and hard links under the names of its CSV, log and PID files never redirect a
write or a deletion, files and directories get modes 0640/0750, and an output, log or PID
directory another user controls is refused at start (exit 5, the problem and the fix named)."""
import os
import stat
import time

from harness import Monitor, cleanup, make_workdir, run, test, write_config

PRECIOUS = b"precious: must not change\n"


def victim(d, name):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(PRECIOUS)
    os.chmod(path, 0o644)
    return path


def untouched(path):
    with open(path, "rb") as f:
        assert f.read() == PRECIOUS, path
    return True


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@test
def test_planted_links_never_followed_and_modes():
    d = make_workdir()
    try:
        out, logs = os.path.join(d, "output"), os.path.join(d, "logs")
        os.makedirs(out, 0o750)
        os.makedirs(logs, 0o750)
        v1, v2, v3 = victim(d, "victim1"), victim(d, "victim2"), victim(d, "victim3")
        # the CSV file names the next seconds would get, each a link to the victim
        now = time.time()
        for s in range(-1, 20):
            stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(now + s))
            os.symlink(v1, os.path.join(out, f"exec_{stamp}.csv"))
        os.symlink(v1, os.path.join(logs, "monitor.log"))
        # retention: a link and another user's file under old names stay; our old file goes
        os.symlink(v2, os.path.join(out, "exec_20000101_000000.csv"))
        foreign = os.path.join(out, "exec_20000102_000000.csv")
        with open(foreign, "w") as f:
            f.write("someone else's\n")
        os.chown(foreign, 65534, 65534)
        ours = os.path.join(out, "exec_20000103_000000.csv")
        with open(ours, "w") as f:
            f.write("timestamp\n")
        cfg = write_config(d, "  exec:\n    enabled: true\n", extra="  retention_days: 1\n")
        m = Monitor(["-c", cfg, "-m", "exec", "--duration", "3"], cwd=d)
        assert m.wait(60) == 0, m.stderr()
        assert untouched(v1) and untouched(v2) and untouched(v3)
        assert os.path.islink(os.path.join(out, "exec_20000101_000000.csv"))
        assert os.path.exists(foreign) and not os.path.exists(ours), os.listdir(out)
        written = [f for f in os.listdir(out)
                   if f.startswith("exec_2") and not os.path.islink(os.path.join(out, f))
                   and f != "exec_20000102_000000.csv"]
        assert len(written) == 1 and written[0].endswith("_1.csv"), sorted(os.listdir(out))
        assert mode(os.path.join(out, written[0])) == 0o640
        assert "log file" in m.stderr() and "could not be opened" in m.stderr(), m.stderr()
        assert os.path.islink(os.path.join(logs, "monitor.log"))
    finally:
        cleanup(d)


@test
def test_hard_linked_log_file_named_and_untouched():
    """A hard link planted as the log file is refused with its reason (the file check's errno,
    not a stale one), and the file it links to is not written."""
    d = make_workdir()
    try:
        logs = os.path.join(d, "logs")
        os.makedirs(logs, 0o750)
        v = victim(d, "victim")
        os.link(v, os.path.join(logs, "monitor.log"))
        cfg = write_config(d, "  exec:\n    enabled: true\n")
        m = Monitor(["-c", cfg, "-m", "exec", "--duration", "1"], cwd=d)
        assert m.wait(60) == 0, m.stderr()
        assert "could not be opened" in m.stderr(), m.stderr()
        assert "another user's file or a hard link: remove it" in m.stderr(), m.stderr()
        assert untouched(v)
    finally:
        cleanup(d)


@test
def test_created_files_and_dirs_modes():
    d = make_workdir()
    try:
        cfg = write_config(d, "  exec:\n    enabled: true\n",
                           extra="app:\n  pid_file: run/sub/monitor.pid\n")
        m = Monitor(["-c", cfg, "-m", "exec", "--duration", "60"], cwd=d)
        m.wait_attached()
        time.sleep(1.5)  # the status file is rewritten each second
        pid_file = os.path.join(d, "run", "sub", "monitor.pid")
        assert mode(pid_file) == 0o640 and mode(pid_file + ".status") == 0o640
        assert m.stop() == 0, m.stderr()
        for sub in ("output", "logs", "run", "run/sub"):
            assert mode(os.path.join(d, sub)) == 0o750, (sub, oct(mode(os.path.join(d, sub))))
        csvs = [f for f in os.listdir(os.path.join(d, "output")) if f.endswith(".csv")]
        assert csvs and all(mode(os.path.join(d, "output", f)) == 0o640 for f in csvs)
        assert mode(os.path.join(d, "logs", "monitor.log")) == 0o640
        for root, dirs, files in os.walk(d):
            for n in dirs + files:
                assert os.lstat(os.path.join(root, n)).st_uid == 0, os.path.join(root, n)
    finally:
        cleanup(d)


def refused(d, cfg, *expect):
    t0 = time.time()
    p = run(["-c", cfg, "-m", "exec", "--duration", "2"], cwd=d)
    assert p.returncode == 5, (p.returncode, p.stderr)
    assert time.time() - t0 < 10 and "attached" not in p.stderr, p.stderr
    for e in expect:
        assert e in p.stderr, (e, p.stderr)
    return p


@test
def test_unsafe_directories_refused_exit_5():
    d = make_workdir()
    try:
        # world-writable without the sticky bit
        ww = os.path.join(d, "ww")
        os.makedirs(ww)
        os.chmod(ww, 0o777)
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="ww")
        refused(d, cfg, "output.directory", "writable by every user", "chmod o-w")
        # ... also as a directory above it
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="ww/out")
        refused(d, cfg, "output.directory", "writable by every user")
        assert not os.path.exists(os.path.join(ww, "out")) or mode(os.path.join(ww, "out")) == 0o750
        # owned by another user
        other = os.path.join(d, "other")
        os.makedirs(other)
        os.chown(other, 65534, 65534)
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="other")
        refused(d, cfg, "owned by uid 65534", "chown root")
        # reached through a symbolic link another user owns
        real = os.path.join(d, "real")
        os.makedirs(real)
        link = os.path.join(d, "link")
        os.symlink(real, link)
        os.lchown(link, 65534, 65534)
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="link")
        refused(d, cfg, "symbolic link owned by uid 65534")
        # the log directory and the PID file's directory get the same check
        cfg = write_config(d, "  exec:\n    enabled: true\n")
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.replace("  directory: logs\n", "  directory: other/logs\n"))
        refused(d, cfg, "logging.directory", "owned by uid 65534")
        cfg = write_config(d, "  exec:\n    enabled: true\n",
                           extra="app:\n  pid_file: ww/monitor.pid\n")
        refused(d, cfg, "app.pid_file", "writable by every user")
        # a PID file hard-linked to another file is neither truncated nor written
        v = victim(d, "victim")
        os.makedirs(os.path.join(d, "run"), 0o750)
        os.link(v, os.path.join(d, "run", "monitor.pid"))
        cfg = write_config(d, "  exec:\n    enabled: true\n",
                           extra="app:\n  pid_file: run/monitor.pid\n")
        refused(d, cfg, "PID file", "remove it")
        assert untouched(v)
        # a sticky world-writable directory (like /tmp) is fine
        sticky = os.path.join(d, "sticky")
        os.makedirs(sticky)
        os.chmod(sticky, 0o1777)
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="sticky")
        p = run(["-c", cfg, "-m", "exec", "--duration", "1"], cwd=d)
        assert p.returncode == 0, p.stderr
    finally:
        cleanup(d)
