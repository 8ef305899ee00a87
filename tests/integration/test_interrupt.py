"""test_interrupt.py - hard IRQ counts per (cpu, irq) and softirq counts per (cpu, vector)
against the kernel's /proc/interrupts and /proc/softirqs over the same span, during disk and
loopback network activity."""
import os
import socket
import subprocess
import threading
import time
import uuid

from harness import Monitor, cleanup, csv_rows, make_workdir, test, write_config

IRQ_COLUMNS = ["timestamp", "time_str", "comm", "irq_type", "irq_type_str", "cpu", "count",
               "irq", "name", "avg_latency_us", "max_latency_us"]
SOFTIRQS = ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED",
            "HRTIMER", "RCU"]


def proc_interrupts():
    """{(cpu, irq): count} for numbered IRQs (LOC, RES... are arch vectors, not traced)."""
    out = {}
    with open("/proc/interrupts") as f:
        cpus = len(f.readline().split())
        for line in f:
            head, _, rest = line.partition(":")
            if not head.strip().isdigit():
                continue
            counts = rest.split()[:cpus]
            for cpu, c in enumerate(counts):
                out[(cpu, int(head))] = int(c)
    return out


def proc_softirqs():
    out = {}
    with open("/proc/softirqs") as f:
        f.readline()
        for line in f:
            name, _, rest = line.partition(":")
            vec = SOFTIRQS.index(name.strip())
            for cpu, c in enumerate(rest.split()):
                out[(cpu, vec)] = int(c)
    return out


def activity(path, seconds):
    """Disk I/O (direct writes) and loopback TCP traffic for a while."""
    stop = time.time() + seconds
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def sink():
        c, _ = srv.accept()
        while c.recv(65536):
            pass
    t = threading.Thread(target=sink, daemon=True)
    t.start()
    cli = socket.create_connection(srv.getsockname())
    while time.time() < stop:
        subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=64k", "count=64", "oflag=direct"],
                       capture_output=True)
        for _ in range(200):
            cli.sendall(b"x" * 16384)
    cli.close()
    t.join(5)
    srv.close()
    os.unlink(path)


def compare(name, got, inner, outer):
    """The monitor counts from attach to detach. /proc snapshots taken just inside that span
    (after "attached", before the stop) and just outside it (before the start, after the exit)
    bracket the true answer: every key must fall between them, within 2% (and 2 counts of
    slack for keys that barely moved)."""
    bad = []
    for k in sorted(set(got) | set(inner) | set(outer)):
        g, lo, hi = got.get(k, 0), inner.get(k, 0), outer.get(k, 0)
        if g < lo - max(2, 0.02 * lo) or g > hi + max(2, 0.02 * hi):
            bad.append((k, g, lo, hi))
    assert not bad, f"{name}: (key, monitor, /proc inner, /proc outer) disagreements: {bad[:20]}"


def delta(a, b):
    return {k: b[k] - a.get(k, 0) for k in b if b[k] - a.get(k, 0)}


@test
def test_interrupt_counts_match_proc():
    d = make_workdir()
    try:
        cfg = write_config(d, "  interrupt:\n    interval: 1\n")
        h0, s0 = proc_interrupts(), proc_softirqs()
        m = Monitor(["-c", cfg, "-m", "interrupt"], cwd=d)
        m.wait_attached()
        h1, s1 = proc_interrupts(), proc_softirqs()
        activity(os.path.join("/var/tmp", f"em-irq-{uuid.uuid4().hex[:8]}"), 3)
        h2, s2 = proc_interrupts(), proc_softirqs()
        assert m.stop() == 0, m.stderr()
        h3, s3 = proc_interrupts(), proc_softirqs()
        print("\n".join(l for l in m.stderr().splitlines() if "lost" in l))
        header, rows = csv_rows(d, "interrupt")
        assert header == IRQ_COLUMNS, header
        hard, soft = {}, {}
        for r in rows:
            key = (int(r["cpu"]), int(r["irq"]))
            target = hard if r["irq_type_str"] == "HARD" else soft
            target[key] = target.get(key, 0) + int(r["count"])
            assert r["irq_type"] == {"HARD": "0", "SOFT": "1"}[r["irq_type_str"]]
        want_hard, want_soft = delta(h1, h2), delta(s1, s2)
        print(f"  hard: monitor {sum(hard.values())} /proc {sum(want_hard.values())}..{sum(delta(h0, h3).values())}; "
              f"soft: monitor {sum(soft.values())} /proc {sum(want_soft.values())}..{sum(delta(s0, s3).values())}")
        assert sum(want_hard.values()) > 100 and want_soft.get((0, 3), 0) + want_soft.get((1, 3), 0) > 100, \
            "the activity raised too few interrupts to compare"
        compare("hard IRQs", hard, want_hard, delta(h0, h3))
        compare("softirqs", soft, want_soft, delta(s0, s3))
        # names: softirq vectors by the kernel's names, hard IRQs by their handler
        assert {r["name"] for r in rows if r["irq_type_str"] == "SOFT"} <= set(SOFTIRQS)
        assert all(r["name"] for r in rows if r["irq_type_str"] == "HARD"), \
            [r for r in rows if r["irq_type_str"] == "HARD" and not r["name"]][:3]
        # latency from entry/exit pairs: ordered where there are pairs, empty (not 0) where
        # there are none (an entry just before the stop), and pairs for nearly everything
        timed = [r for r in rows if r["avg_latency_us"]]
        for r in timed:
            assert 0 < float(r["avg_latency_us"]) <= float(r["max_latency_us"]) + 1e-3, r
        assert all(r["max_latency_us"] == "" for r in rows if not r["avg_latency_us"])
        assert sum(int(r["count"]) for r in timed) >= 0.99 * sum(int(r["count"]) for r in rows)
    finally:
        cleanup(d)
