"""test_cli.py - what users see before any monitoring starts: help, version, exit codes, config
errors (exit 2, nothing loaded), missing privilege (exit 3), --check."""
import os
import re
import shutil
import subprocess

from harness import cleanup, make_workdir, run, test, write_config


def bpf_syscalls(args, cwd):
    """Runs the monitor under strace and returns how many bpf() calls it made."""
    if not shutil.which("strace"):
        raise AssertionError("strace is needed to prove nothing was loaded (scripts/setup.sh "
                             "installs it)")
    out = os.path.join(cwd, "strace.out")
    from harness import BINARY
    # LeakSanitizer cannot run under ptrace; the sanitizer pass checks leaks elsewhere.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o", out, BINARY] + args,
                       cwd=cwd, capture_output=True, text=True, timeout=60, env=env)
    with open(out) as f:
        calls = [l for l in f if "bpf(" in l]
    return p, len(calls)


@test
def test_help_lists_monitors_and_exit_codes():
    d = make_workdir()
    try:
        p = run(["--help"], d)
        assert p.returncode == 0, p.stderr
        assert re.search(r"^\s+exec\s+process execution", p.stdout, re.M), p.stdout
        for flag in ["--config", "--monitors", "--verbose", "--daemon", "--daemon-status",
                     "--daemon-stop", "--duration", "--check", "--version"]:
            assert flag in p.stdout, flag
        assert re.search(r"^\s+2\s+usage or configuration error", p.stdout, re.M)
        assert re.search(r"^\s+3\s+missing privilege", p.stdout, re.M)
        assert re.search(r"^\s+5\s+output directory unusable", p.stdout, re.M)
        v = run(["-V"], d)
        assert v.returncode == 0 and re.match(r"ebpf-monitor \d+\.\d+\.\d+ \(libbcc", v.stdout)
    finally:
        cleanup(d)


@test
def test_config_type_error_exits_2_before_bpf():
    d = make_workdir()
    try:
        cfg = write_config(d, "  exec:\n    enabled: maybe\n")
        p, nbpf = bpf_syscalls(["-c", cfg, "--duration", "1"], d)
        assert p.returncode == 2, (p.returncode, p.stderr)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, f"expected one clear message, got: {p.stderr}"
        # file:line:column, the key, what was expected
        assert re.search(r"test_config\.yaml:\d+:\d+: monitors\.exec\.enabled: expected", lines[0]), lines[0]
        assert "maybe" in lines[0]
        assert nbpf == 0, f"{nbpf} bpf() calls before the config error"
        assert not os.path.exists(os.path.join(d, "output")), "output dir created anyway"
    finally:
        cleanup(d)


@test
def test_unknown_monitor_exits_2_before_bpf():
    d = make_workdir()
    try:
        cfg = write_config(d, "  exec:\n    enabled: true\n")
        p, nbpf = bpf_syscalls(["-c", cfg, "-m", "exce", "--duration", "1"], d)
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert "unknown monitor 'exce'" in p.stderr and "did you mean 'exec'" in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert nbpf == 0
        p = run(["-c", cfg, "-m", "exec,,exec"], d)
        assert p.returncode == 2, p.stderr
    finally:
        cleanup(d)


@test
def test_missing_config_file_exits_2():
    d = make_workdir()
    try:
        p, nbpf = bpf_syscalls(["-c", os.path.join(d, "nope.yaml")], d)
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert "nope.yaml" in p.stderr and "No such file" in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert nbpf == 0
    finally:
        cleanup(d)


@test
def test_bad_flags_exit_2():
    d = make_workdir()
    try:
        for args in (["--bogus"], ["--duration", "-1"], ["--duration", "abc"], ["-c"], ["extra"]):
            p = run(args, d)
            assert p.returncode == 2, (args, p.returncode, p.stderr)
            assert p.stderr.startswith("ebpf-monitor: "), p.stderr
    finally:
        cleanup(d)


@test
def test_not_root_exits_3():
    d = make_workdir()
    try:
        cfg = write_config(d, "  exec:\n    enabled: true\n")
        p = run(["-c", cfg, "--duration", "1"], d, user=65534)
        assert p.returncode == 3, (p.returncode, p.stderr)
        assert "must run as root" in p.stderr and "sudo" in p.stderr, p.stderr
        # a config error is still reported first, as exit 2, even without privilege
        bad = write_config(d, "  exec:\n    enabled: 7\n")
        p = run(["-c", bad], d, user=65534)
        assert p.returncode == 2, p.stderr
    finally:
        cleanup(d)


@test
def test_check_reports_features_and_exec_chain():
    d = make_workdir()
    try:
        p = run(["--check", "-m", "exec"], d, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        feats = dict(re.findall(r"^  (\S[\w ]+?)\s{2,}(yes|no)\b", p.stdout, re.M))
        for name in ["bpf syscall", "tracefs", "kernel headers", "kprobes", "tracepoints",
                     "raw tracepoints", "perf events", "BTF", "kernel version"]:
            assert name in feats, f"--check does not report {name}:\n{p.stdout}"
        m = re.search(r"^  exec\s+execve\s+(\S+)", p.stdout, re.M)
        assert m, p.stdout
        kprobes = os.path.exists("/sys/bus/event_source/devices/kprobe/type")
        # this machine's CI kernel has no kprobes: the tracepoint must take over by itself
        assert feats["kprobes"] == ("yes" if kprobes else "no"), p.stdout
        assert m.group(1) == ("kprobe" if kprobes else "tracepoint"), p.stdout
        if not kprobes:
            assert "CONFIG_KPROBES" in p.stdout, p.stdout
    finally:
        cleanup(d)


@test
def test_guide_config_loads_unchanged():
    """The shipped config (the guide's) is accepted as is: --check with it exits 0."""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "config", "monitor_config.yaml")
    d = make_workdir()
    try:
        p = run(["-c", src, "-m", "exec", "--check"], d, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert "error" not in p.stderr.lower(), p.stderr
    finally:
        cleanup(d)
