"""test_kprobe_lane.py - exec's attach chain, meaningful on both kinds of kernel. With kprobes (the
kprobe lane's VM, tests/vm/run.sh): `attach: kprobe` records every exec through the syscall's
kprobe (__x64_sys_execve on x86_64, __arm64_sys_execve on arm64) and `auto` picks kprobe. Without (CONFIG_KPROBES=n, like the
CI host): `attach: kprobe` exits 3 naming CONFIG_KPROBES and `auto` falls back to the tracepoint."""
import os
import re
import subprocess
import time
import uuid

from harness import Monitor, cleanup, csv_rows, make_workdir, stop_totals, run, test, write_config
from test_exec import EXEC_COLUMNS, unique_program

KPROBE_PMU = "/sys/bus/event_source/devices/kprobe/type"
# bcc compiles the probes at start: about 0.5 s on hardware, 10 s or more under QEMU/TCG.
ATTACH_TIMEOUT = 300
# execve's kprobe symbol, most specific first (as the loader resolves it from /proc/kallsyms).
EXECVE_SYMBOLS = ["__x64_sys_execve", "__arm64_sys_execve", "sys_execve"]


def kernel_has_kprobes():
    """The kprobe PMU (4.17+), or kprobe_events in tracefs on older kernels."""
    have = os.access(KPROBE_PMU, os.R_OK) or any(
        os.access(os.path.join(t, "kprobe_events"), os.W_OK)
        for t in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))
    # tests/vm/run.sh boots a kernel with kprobes: losing them there must not turn these tests
    # into the no-kprobe branch and pass without testing anything.
    if os.environ.get("EM_KPROBE_LANE") == "1":
        assert have, f"the kprobe lane's kernel {os.uname().release} has no kprobes ({KPROBE_PMU})"
    return have


def execve_symbol():
    with open("/proc/kallsyms") as f:
        syms = {line.split()[2] for line in f if len(line.split()) >= 3}
    for s in EXECVE_SYMBOLS:
        if s in syms:
            return s
    raise AssertionError(f"none of {EXECVE_SYMBOLS} in /proc/kallsyms")


def exec_config(d, attach):
    return write_config(d, f"  exec:\n    enabled: true\n    attach: {attach}\n")


def start(d, cfg, *extra):
    m = Monitor(["-c", cfg, "-m", "exec", "--duration", "600", *extra], cwd=d)
    m.wait_attached(ATTACH_TIMEOUT)
    return m


def run_execs(prog, n):
    """n execs of prog by one shell, each with its index as the last argument."""
    subprocess.run(["bash", "-c", f'for i in $(seq {n}); do "{prog}" lane "$i"; done'],
                   check=True, timeout=600)


def stop_and_rows(m, d, prog):
    time.sleep(2.0)  # the perf buffer is read in the monitor's loop; give a slow VM time
    rc = m.stop(timeout=120)
    assert rc == 0, m.stderr()
    header, rows = csv_rows(d, "exec")
    assert header == EXEC_COLUMNS, header
    s = stop_totals(m.stderr(), "exec")
    assert s and s["lost"] == 0, m.stderr()
    return [r for r in rows if r["filename"] == prog]


def assert_every_exec(mine, prog, n):
    assert len(mine) == n, f"{len(mine)} rows for {prog}, expected {n}"
    assert sorted(r["argv"] for r in mine) == sorted(f"{prog} lane {i}" for i in range(1, n + 1)), \
        [r["argv"] for r in mine][:5]
    assert all(r["ret"] == "0" for r in mine), {r["ret"] for r in mine}
    assert len({r["pid"] for r in mine}) == n, "every exec ran in its own child process"


def assert_refused_without_kprobes(d, cfg, monitor):
    """`attach: kprobe` on a kernel without kprobes: exit 3, naming CONFIG_KPROBES."""
    r = run(["-c", cfg, "-m", monitor, "--duration", "5"], cwd=d)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "CONFIG_KPROBES" in r.stderr, r.stderr


@test
def test_kprobe_lane_exec_attach_kprobe():
    d = make_workdir()
    try:
        cfg = exec_config(d, "kprobe")
        if not kernel_has_kprobes():
            assert_refused_without_kprobes(d, cfg, "exec")
            assert not os.path.isdir(os.path.join(d, "output")) or \
                not any(f.startswith("exec_") for f in os.listdir(os.path.join(d, "output")))
            c = run(["-c", cfg, "-m", "exec", "--check"], cwd=d)
            assert re.search(r"^\s*exec\s+unavailable:.*CONFIG_KPROBES", c.stdout, re.M), \
                (c.returncode, c.stdout, c.stderr)
            return
        sym = execve_symbol()
        if os.environ.get("EM_KPROBE_LANE") == "1":
            # the lanes' kernels (x86_64, and arm64 in tests/arm64/run.sh) wrap their syscalls
            want = {"x86_64": "__x64_sys_execve", "aarch64": "__arm64_sys_execve"}
            assert sym == want[os.uname().machine], sym
        c = run(["-c", cfg, "-m", "exec", "--check"], cwd=d, timeout=ATTACH_TIMEOUT)
        assert c.returncode == 0, (c.returncode, c.stdout, c.stderr)
        assert re.search(r"^\s*kprobes\s+yes\b", c.stdout, re.M), c.stdout
        assert re.search(r"^\s*exec\s+execve\s+kprobe\s*$", c.stdout, re.M), c.stdout
        prog = unique_program(d)
        m = start(d, cfg, "-v")  # -v: the loader logs each kprobe's symbol at debug level
        run_execs(prog, 200)
        mine = stop_and_rows(m, d, prog)
        assert_every_exec(mine, prog, 200)
        err = m.stderr()
        assert re.search(r"exec: execve attached via kprobe$", err, re.M), err
        assert f"exec: kprobe attached to {sym}" in err, err
        assert f"exec: kretprobe attached to {sym}" in err, err
        with open(os.path.join(d, "logs", "monitor.log")) as f:
            assert re.search(r"exec: execve attached via kprobe$", f.read(), re.M)
    finally:
        cleanup(d)


@test
def test_kprobe_lane_exec_auto_prefers_kprobe():
    d = make_workdir()
    try:
        cfg = exec_config(d, "auto")
        kprobes = kernel_has_kprobes()
        prog = unique_program(d)
        m = start(d, cfg)
        run_execs(prog, 20)
        mine = stop_and_rows(m, d, prog)
        assert_every_exec(mine, prog, 20)
        err = m.stderr()
        if kprobes:
            assert re.search(r"exec: execve attached via kprobe$", err, re.M), err
        else:
            s = re.search(r"exec: execve attached via tracepoint \(not via kprobe: (.*)\)$", err, re.M)
            assert s and "CONFIG_KPROBES" in s.group(1), err
    finally:
        cleanup(d)


@test
def test_kprobe_lane_kern_version_is_the_running_kernels():
    """Kprobe programs carry the running kernel's LINUX_VERSION_CODE (checked before 5.0): read
    from the kernel's vDSO note, not from the headers' nor from uname -r, whose sublevel Debian
    does not show (the lane's 6.1.0-57-amd64 is 6.1.192: uname -v says so)."""
    d = make_workdir()
    try:
        p = run(["--check", "-m", "exec"], d, timeout=ATTACH_TIMEOUT)
        m = re.search(r"^  kernel version +yes +(\d+)\.(\d+)\.(\d+) \(vDSO note", p.stdout, re.M)
        assert m, p.stdout
        debian = re.search(r"Debian (\d+)\.(\d+)\.(\d+)", os.uname().version)
        want = debian or re.match(r"(\d+)\.(\d+)\.(\d+)", os.uname().release)
        assert want, os.uname()
        a, b, c = (int(x) for x in want.groups())
        assert tuple(int(x) for x in m.groups()) == (a, b, min(c, 255)), (m.group(0), os.uname())
    finally:
        cleanup(d)


@test
def test_kprobe_lane_open_attach_kprobe():
    """open through kprobes on the syscalls' entry symbols (what kernels whose syscall tracepoints
    take no BPF, before 4.14, use): every open of a unique path and every error, exactly. The VM
    lane runs it under the 4.9 profile too (tests/vm/run.sh), where the probe also does without
    bpf_probe_read_str and keeps its key on the stack. Without kprobes: exit 3 naming
    CONFIG_KPROBES."""
    from test_open import RDONLY_CLOEXEC, rows_for, total
    from harness import Workload
    d = make_workdir()
    try:
        cfg = write_config(d, "  open:\n    interval: 1\n    attach: kprobe\n")
        if not kernel_has_kprobes():
            assert_refused_without_kprobes(d, cfg, "open")
            return
        m = Monitor(["-c", cfg, "-m", "open", "--duration", "600", "-v"], cwd=d)
        m.wait_attached(ATTACH_TIMEOUT)
        name = "lk" + uuid.uuid4().hex[:10]
        path = os.path.join(d, f"unique-{uuid.uuid4().hex}")
        n, bad = 501, 123
        Workload(name, "open", path, n, bad).run()
        time.sleep(2.5)
        assert m.stop(timeout=120) == 0, m.stderr()
        _, rows = csv_rows(d, "open")
        mine = rows_for(rows, name, path, RDONLY_CLOEXEC)
        assert total(mine, "count") == n, mine
        assert total(mine, "errors") == bad, mine
        assert all(r["operation"] == "openat" and r["top_errno"] in ("ENOENT", "") for r in mine)
        err = m.stderr()
        assert re.search(r"open: open attached via kprobe( \(not via tracepoint: .*\))?$", err,
                         re.M), err
        assert re.search(r"open: kretprobe attached to \w*sys_openat$", err, re.M), err
    finally:
        cleanup(d)
