"""test_personality.py - old kernels on this one. tests/personality/personality.c (built as
libem_personality.so beside the binary) is preloaded and makes bpf(2), perf_event_open(2) and
ioctl(2) refuse what a profile's kernel lacks (tests/personality/bpf_rules.c): rhel7 (RHEL 7.6+'s
tracing-only backport with a 4.9-era helper set and no LRU maps), 4.9, 4.15 and 4.18. Here:
--check under each profile names what each monitor attaches with there, and the verifier-
constraint check (em-probecheck) passes every probe in every profile. The exact-count tests of
every monitor run under each profile too (scripts/test.sh, EM_TEST_PERSONALITY)."""
import os
import re
import subprocess

import harness
from harness import cleanup, make_workdir, personality_env, test

# What --check must say under each profile on this host (no kprobes here: exec and open fall
# to raw_syscalls where syscall tracepoints take no BPF), and the BPF features it must find.
MONITORS = "exec,syscall,context_switch,page_fault,open,interrupt,bio"
def features(old_helpers, map_value_keys, syscall_tp):
    yn = lambda b: "yes" if b else "no"  # noqa: E731
    return (f"probe_read_str {yn(not old_helpers)}, get_numa_node_id {yn(not old_helpers)}, "
            f"helper memory in map values {yn(not old_helpers)}, "
            f"map values as map keys {yn(map_value_keys)}, "
            f"BPF on syscall tracepoints {yn(syscall_tp)}, kprobes need kern_version yes, "
            f"bounded loops no")


OLD = {"exec": "raw_syscalls", "syscall": "tracepoint", "open": "raw_syscalls", "bpf": "tracepoint",
       "raw": "no", "features": features(True, False, False)}
EXPECTED = {
    "rhel7": OLD,
    "4.9": OLD,
    "4.15": {**OLD, "exec": "tracepoint", "open": "tracepoint",
             "features": features(False, False, True)},
    "4.18": {**OLD, "exec": "tracepoint", "open": "tracepoint", "syscall": "raw_tracepoint",
             "raw": "yes", "features": features(False, True, True)},
}


def check_under(profile, d):
    r = subprocess.run([harness.BINARY, "--check", "-m", MONITORS], cwd=d, capture_output=True,
                       text=True, timeout=180, env={**os.environ, **personality_env(profile)})
    return r.returncode, r.stdout + r.stderr


@test
def test_personality_check_names_each_profiles_alternatives():
    """--check under each profile: exit 0 with every monitor but func (this host has no kprobes,
    and no profile has fentry), the features found by loading tiny programs, and per monitor the
    alternative that profile's kernel takes."""
    d = make_workdir()
    try:
        for profile, want in EXPECTED.items():
            rc, out = check_under(profile, d)
            m = re.search(rf"personality {re.escape(profile)}: (\d+) bpf call\(s\) refused", out)
            assert m and int(m.group(1)) > 0, f"{profile}: the shim refused nothing\n{out}"
            assert rc == 0, f"{profile}: --check exited {rc}\n{out}"
            assert re.search(rf"^  bpf syscall +yes +programs load \({want['bpf']}\)", out, re.M), out
            assert re.search(rf"^  raw tracepoints +{want['raw']} ", out, re.M), out
            assert re.search(rf"^  BPF features +yes +{re.escape(want['features'])}$", out, re.M), \
                (profile, out)
            for mon in ("exec", "syscall", "open"):
                assert re.search(rf"^  {mon} +\w+ +{want[mon]}\b", out, re.M), (profile, mon, out)
            for mon, alt in (("context_switch", "tracepoint"), ("page_fault", "perf_event"),
                             ("interrupt", "tracepoint"), ("bio", "tracepoint")):
                assert re.search(rf"^  {mon} +\w+ +{alt}\b", out, re.M), (profile, mon, out)
            assert "unavailable" not in out, (profile, out)
            if profile in ("rhel7", "4.9"):
                # no LRU maps there: open asks the kernel, not its version number
                assert "no LRU hash maps: in-flight opens use a plain hash" in out, out
                assert "syscall tracepoints take no BPF program in this kernel" in out, out
    finally:
        cleanup(d)


@test
def test_personality_probecheck_passes_every_profile():
    """The verifier-constraint check: every probe, compiled as each profile's features make the
    daemon compile it (combined and alone), has for each point an alternative whose programs
    that kernel takes. Its own rules are unit-tested with planted programs (test_bpf_rules)."""
    checker = os.path.join(os.path.dirname(harness.BINARY), "em-probecheck")
    assert os.path.exists(checker), f"{checker} is missing: it is built with the binary"
    for profile in EXPECTED:
        r = subprocess.run([checker], capture_output=True, text=True, timeout=300,
                           env={**os.environ, **personality_env(profile)})
        out = r.stdout + r.stderr
        assert r.returncode == 0 and f"0 failure(s) on {profile}" in out, out
        for mon in ("exec", "syscall", "context_switch", "page_fault", "open", "interrupt", "bio",
                    "func"):
            # combined, alone, combined as an overhead budget builds them (sampling), and
            # with attribution on, combined and alone
            assert len(re.findall(rf"^{mon}: PASS$", out, re.M)) == 5, (profile, mon, out)
        # attribution: where the kernel has no cgroup tracepoints (RHEL 7), moves are seen
        # through the exec fallback
        move = "tracepoint_exec" if profile == "rhel7" else "tracepoint"
        assert len(re.findall(rf"^  who_move: {move} is usable$", out, re.M)) == 16, \
            (profile, out)
        # exec and open through kprobes on every profile (what a real old kernel with kprobes
        # uses; this host has none to attach them to)
        assert re.search(r"^  execve: kprobe is usable$", out, re.M), out
        if profile in ("rhel7", "4.9"):
            assert re.search(r"^  open: kprobe is usable$", out, re.M), out
            assert re.search(r"^    kp_exit_openat +\d+ insns  ok$", out, re.M), out
