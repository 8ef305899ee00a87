"""test_diskfull.py - output and log directories on a small tmpfs that fills up: the error is
logged once (not per row or per flush), monitoring goes on, writing resumes when space returns,
no row is ever partial and every dropped row is counted; a read-only output directory at start is
one clear error with exit code 5."""
import os
import re
import shutil
import subprocess
import time

from harness import Monitor, cleanup, csv_rows, make_workdir, stop_totals, run, test, write_config

LOG_PREFIX = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[(DEBUG|INFO|WARNING|ERROR)\] ")


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "em-itest", path],
                   check=True)


def umount(path):
    subprocess.run(["umount", "-l", path], check=False)


def fill(path):
    """Writes a file until the file system is full; returns its name."""
    name = os.path.join(path, "filler")
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    try:
        while True:
            os.write(fd, b"\0")
    except OSError:
        pass
    os.close(fd)
    return name


def runner(d, name):
    """A copy of bash under a unique task name: its children run execs the --comm filter
    selects, and nothing else on the machine does."""
    path = os.path.join(d, name)
    shutil.copy("/bin/bash", path)
    os.chmod(path, 0o755)
    return path


def execs(sh, prog, n):
    subprocess.run([sh, "-c", f'for ((i = 0; i < {n}; i++)); do "{prog}" x; done'], check=True,
                   timeout=120)


@test
def test_disk_full_rows_whole_error_once_resumes():
    d = make_workdir()
    fs = os.path.join(d, "fs")
    try:
        mount_tmpfs(fs, "512k")
        prog = os.path.join(d, "em_df_prog")
        shutil.copy("/bin/true", prog)
        sh = runner(d, "em_dfull_sh")
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="fs/output")
        with open(cfg) as f:
            text = f.read().replace("  directory: logs\n", "  directory: fs/logs\n")
        text = text.replace("  buffer_size: 2000\n", "  buffer_size: 50\n")
        with open(cfg, "w") as f:
            f.write(text)
        m = Monitor(["-c", cfg, "-m", "exec", "--comm", "em_dfull_sh", "--duration", "120"],
                    cwd=d)
        m.wait_attached()
        execs(sh, prog, 20)
        time.sleep(1.0)
        filler = fill(fs)
        t_full = time.time()
        # 400 rows while nothing can be written: 200 (4 x buffer_size) are kept, the rest dropped
        for _ in range(4):
            execs(sh, prog, 100)
            time.sleep(1.0)
        time.sleep(2.0)
        assert m.proc.poll() is None, "monitor died on a full disk:\n" + m.stderr()
        full_for = time.time() - t_full
        os.unlink(filler)
        m.wait_for("CSV output: writing again", 15)
        execs(sh, prog, 100)
        time.sleep(1.5)
        rc = m.stop()
        assert rc == 0, m.stderr()
        err = m.stderr()

        # the failure is reported when it starts and then at most once a minute, not per row
        fails = [l for l in err.splitlines() if "CSV output" in l and "No space left" in l]
        assert 1 <= len(fails) <= 1 + int(full_for // 60), "\n".join(fails)
        dropped = int(re.search(r"CSV output: writing again .*?(\d+) row\(s\) dropped", err).group(1))
        # every row is whole (csv_rows checks the field count of each), none partial
        _, rows = csv_rows(d, "exec", output="fs/output")
        mine = [r for r in rows if r["filename"] == prog]
        assert len(mine) == len(rows), [r["filename"] for r in rows if r["filename"] != prog]
        assert len(mine) + dropped == 520, (len(mine), dropped, err)
        assert 100 <= dropped <= 300, (dropped, err)
        s = stop_totals(err, "exec")
        assert s and s["events"] == 520, err
        # the log file: whole lines only, and it says what it missed while the disk was full
        with open(os.path.join(fs, "logs", "monitor.log"), "rb") as f:
            log = f.read()
        assert log.endswith(b"\n")
        for line in log.split(b"\n")[:-1]:
            assert LOG_PREFIX.match(line), line
        assert b"CSV output: writing again" in log, log
        # (the ERROR fits when the log file's last tmpfs page had room; else it is counted)
        assert b"No space left on device" in log or re.search(
            rb"\[WARNING\] ebpf_monitor.log:\d+ \d+ log record\(s\) are missing", log), log
    finally:
        umount(fs)
        cleanup(d)


@test
def test_read_only_output_dir_exits_5():
    d = make_workdir()
    fs = os.path.join(d, "fs")
    try:
        mount_tmpfs(fs, "1m")
        os.makedirs(os.path.join(fs, "output"))
        subprocess.run(["mount", "-o", "remount,ro", fs], check=True)
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="fs/output")
        t0 = time.time()
        p = run(["-c", cfg, "-m", "exec", "--duration", "5"], cwd=d)
        assert p.returncode == 5, (p.returncode, p.stderr)
        assert time.time() - t0 < 10
        assert "read-only" in p.stderr and "output.directory" in p.stderr, p.stderr
        assert "attached" not in p.stderr, p.stderr  # nothing was compiled or attached
        # a directory that cannot be created (its parent is read-only) is the same error
        cfg = write_config(d, "  exec:\n    enabled: true\n", output="fs/new/output")
        p = run(["-c", cfg, "-m", "exec", "--duration", "5"], cwd=d)
        assert p.returncode == 5, (p.returncode, p.stderr)
        assert "output.directory" in p.stderr, p.stderr
    finally:
        umount(fs)
        cleanup(d)
