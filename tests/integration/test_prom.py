"""test_prom.py - the Prometheus endpoint and JSON lines against real consumers: a real Prometheus
server scrapes the endpoint and its query API must return exactly the N getppid calls a
uniquely named process made; promtool checks the exposition text; a flood of distinct task names
and paths stays within the configured series bound; the JSON-lines files (and stdout) parse line
by line with Python's json module, hostile paths included, with the CSV header's field names."""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import harness
from harness import Monitor, Workload, cleanup, make_workdir, skip, test, write_config

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
ALL_MONITORS = "exec,syscall,open,bio,interrupt,page_fault,context_switch"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def comm(prefix="ep"):
    return prefix + uuid.uuid4().hex[:10]


def prom_extra(port, label_values=100000, series=1000000, formats=None):
    text = ("  prometheus:\n"
            "    enabled: true\n"
            f"    listen: 127.0.0.1:{port}\n"
            "    path: /metrics\n"
            f"    max_label_values: {label_values}\n"
            f"    max_series: {series}\n")
    if formats is not None:
        text += f"  format: [{', '.join(formats)}]\n"
    return text


def monitors_yaml(names, extra=""):
    return "".join(f"  {n}:\n    interval: 1\n{extra}" for n in names.split(","))


def start(d, names, port, **kw):
    cfg = write_config(d, monitors_yaml(names), extra=prom_extra(port, **kw))
    m = Monitor(["-c", cfg, "-m", names], cwd=d)
    m.wait_attached(timeout=120)
    return m


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        assert r.status == 200, r.status
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        return r.read().decode()


def samples(text):
    """[(name, {label: value}, value)] from exposition text (enough of the format for our own
    output: label values escaped with \\\\, \\" and \\n)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        assert m, f"unparsable sample line {line!r}"
        labels = {}
        for k, v in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""):
            labels[k] = re.sub(r"\\(.)", lambda x: "\n" if x.group(1) == "n" else x.group(1), v)
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def promtool_check(text):
    if not os.path.exists(PROMTOOL):
        skip("promtool is not installed (scripts/setup.sh installs Debian's prometheus)")
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
        (p.returncode, p.stdout, p.stderr)


class Prometheus:
    """A real Prometheus server on loopback scraping the endpoint every second. job_extra: more
    of the job's YAML (scheme, tls_config, basic_auth: test_prom_tls.py), at its indentation."""

    def __init__(self, target_port, job_extra=""):
        if not os.path.exists(PROMETHEUS):
            skip("prometheus is not installed (scripts/setup.sh installs Debian's prometheus)")
        self.dir = tempfile.mkdtemp(prefix="em-prom-")
        self.port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: ebpf-monitor\n"
                    + job_extra +
                    "    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready",
                                            timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert self.proc.poll() is None and time.time() < deadline, \
                "prometheus did not start:\n" + self.logtext()
            time.sleep(0.3)

    def logtext(self):
        self.log.flush()
        with open(os.path.join(self.dir, "prometheus.log")) as f:
            return f.read()[-4000:]

    def query(self, q):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@test
def test_prom_real_prometheus_returns_exact_getppid_count():
    d = make_workdir()
    port = free_port()
    prom = None
    m = None
    try:
        m = start(d, "syscall", port)
        prom = Prometheus(port)
        name = comm()
        n = 54321
        Workload(name, "getppid", n, 3, 1.2).run()
        q = f'sum(ebpf_monitor_syscalls_total{{comm="{name}",syscall="getppid"}})'
        got = None
        deadline = time.time() + 45
        while time.time() < deadline:
            res = prom.query(q)
            got = float(res[0]["value"][1]) if res else None
            if got == n:
                break
            time.sleep(1)
        assert got == n, (got, n, prom.logtext())
        # One series for that task and syscall, category process, no errors.
        res = prom.query(f'ebpf_monitor_syscalls_total{{comm="{name}"}}')
        assert [r["metric"]["category"] for r in res if r["metric"]["syscall"] == "getppid"] \
            == ["process"], res
        assert not prom.query(f'ebpf_monitor_syscall_errors_total{{comm="{name}",'
                              f'syscall="getppid"}}'), "no error series for getppid"
        # The health metrics made it too.
        assert prom.query('ebpf_monitor_probe_info{monitor="syscall"}'), "no probe_info"
        assert prom.query('ebpf_monitor_build_info'), "no build_info"
        up = prom.query('up{job="ebpf-monitor"}')
        assert up and up[0]["value"][1] == "1", up
        assert m.stop() == 0, m.stderr()
    finally:
        if prom:
            prom.stop()
        if m and m.proc.poll() is None:
            m.stop()
        cleanup(d)


@test
def test_prom_promtool_accepts_all_monitors_with_hostile_labels():
    d = make_workdir()
    port = free_port()
    m = None
    try:
        m = start(d, ALL_MONITORS, port)
        name = comm("eh")
        # Failed opens put these paths into ebpf_monitor_file_open_errors_total{path=...}.
        for raw in [b'q"uo\\te', b"new\nline", b"ctl\x01\x1b\t", b"bad\xff\xfeutf8",
                    "ünï©ødé".encode()]:
            path = os.fsdecode(os.path.join(d.encode(), b"missing-" + raw))
            Workload(name, "open", path, 3, 3).run()
        Workload(name, "getppid", 100).run()
        # Rows arrive at interval ends: scrape until the last workload's rows are in (a busy
        # machine can delay a drain), at most 20 s.
        deadline = time.time() + 20
        while True:
            time.sleep(1)
            t0 = time.time()
            text = scrape(port)
            took = time.time() - t0
            ss = samples(text)
            if any(s[0] == "ebpf_monitor_syscalls_total" and s[1]["comm"] == name
                   and s[1]["syscall"] == "getppid" and s[2] == 100 for s in ss) \
                    or time.time() > deadline:
                break
        promtool_check(text)
        names = {s[0] for s in ss}
        for want in ["ebpf_monitor_syscalls_total", "ebpf_monitor_file_opens_total",
                     "ebpf_monitor_file_open_errors_total", "ebpf_monitor_page_faults_total",
                     "ebpf_monitor_context_switches_total", "ebpf_monitor_interrupts_total",
                     "ebpf_monitor_execs_total", "ebpf_monitor_events_lost_total",
                     "ebpf_monitor_probe_info", "ebpf_monitor_build_info",
                     "ebpf_monitor_rows_total"]:
            assert want in names, (want, sorted(names))
        paths = {s[1].get("path") for s in ss if s[0] == "ebpf_monitor_file_open_errors_total"}
        for expect in ['q"uo\\te', "new\nline", "ctl\x01\x1b\t", "bad\ufffd\ufffdutf8",
                       "ünï©ødé"]:
            assert os.path.join(d, "missing-" + expect) in paths, (expect, sorted(
                p for p in paths if p and p.startswith(d)))
        opens = {s[1]["result"]: s[2] for s in ss if s[0] == "ebpf_monitor_file_opens_total"
                 and s[1]["comm"] == name}
        assert opens.get("error") == 15, opens
        lost = {(s[1]["monitor"], s[1]["reason"]) for s in ss
                if s[0] == "ebpf_monitor_events_lost_total"}
        assert ("syscall", "map_full") in lost and ("interrupt", "kernel_skipped") in lost, lost
        probes = {(s[1]["monitor"], s[1]["point"]) for s in ss
                  if s[0] == "ebpf_monitor_probe_info"}
        assert {p[0] for p in probes} == set(ALL_MONITORS.split(",")), probes
        assert took < 2, f"a scrape took {took:.3f} s"
        assert m.stop() == 0, m.stderr()
    finally:
        if m and m.proc.poll() is None:
            m.stop()
        cleanup(d)


def metric_series(ss):
    """{metric: set of label sets} for the monitors' metrics (the health ones left out)."""
    per_family = {}
    for name, labels, _ in ss:
        if name.startswith("ebpf_monitor_") and name not in (
                "ebpf_monitor_events_lost_total", "ebpf_monitor_probe_info",
                "ebpf_monitor_build_info", "ebpf_monitor_rows_total",
                "ebpf_monitor_rows_folded_total"):
            per_family.setdefault(name, set()).add(tuple(sorted(labels.items())))
    return per_family


def flood(d, port, k, max_series, filtered):
    """3000 task names, each opening its own missing path once and calling getppid once."""
    prefix = "fl" + uuid.uuid4().hex[:6]
    w = Workload(prefix, "flood", 3000, os.path.join(d, "flood"))
    args = ["-p", str(w.pid)] if filtered else []
    cfg = write_config(d, monitors_yaml("syscall,open"),
                       extra=prom_extra(port, label_values=k, series=max_series))
    m = Monitor(["-c", cfg, "-m", "syscall,open", *args], cwd=d)
    try:
        m.wait_attached(timeout=120)
        w.run()
        time.sleep(2.5)
        text = scrape(port)
        promtool_check(text)
        assert m.stop() == 0, m.stderr()
    finally:
        if m.proc.poll() is None:
            m.stop()
    ss = samples(text)
    return ss, metric_series(ss), {s[1]["monitor"]: s[2] for s in ss
                                   if s[0] == "ebpf_monitor_rows_folded_total"}


@test
def test_prom_flood_of_comms_and_paths_stays_bounded():
    d = make_workdir()
    k = 5
    try:
        # Only the flood's process (-p): at most k task names and k paths get their own
        # series, the rest is counted under "other", and no call is lost by folding.
        ss, per_family, folded = flood(d, free_port(), k, 1000, filtered=True)
        comms = {dict(s)["comm"] for s in per_family["ebpf_monitor_syscalls_total"]}
        assert len(comms) == k + 1 and "other" in comms, comms
        paths = {dict(s)["path"] for s in per_family["ebpf_monitor_file_open_errors_total"]}
        assert len(paths) == k + 1 and "other" in paths, paths
        assert folded["syscall"] > 0 and folded["open"] > 0, folded
        getppid = sum(v for n, l, v in ss
                      if n == "ebpf_monitor_syscalls_total" and l["syscall"] == "getppid")
        assert getppid == 3000, getppid
        failed = sum(v for n, l, v in ss if n == "ebpf_monitor_file_open_errors_total")
        assert failed == 3000, failed
        # Everything on the machine, and a small max_series: no metric holds more series
        # than the bound (plus the all-"other" one per constant label value).
        max_series = 10
        ss, per_family, folded = flood(d, free_port(), k, max_series, filtered=False)
        for name, series in per_family.items():
            assert len(series) <= max_series + 2, (name, len(series))
        assert len(per_family["ebpf_monitor_syscalls_total"]) >= max_series, per_family
        assert folded["syscall"] > 0 and folded["open"] > 0, folded
    finally:
        cleanup(d)


def csv_header(d, monitor):
    files = sorted(glob.glob(os.path.join(d, "output", f"{monitor}_*.csv")))
    assert files, os.listdir(os.path.join(d, "output"))
    with open(files[0], "rb") as f:
        return f.readline().decode().rstrip("\n").split(",")


def jsonl_rows(d, monitor):
    files = sorted(glob.glob(os.path.join(d, "output", f"{monitor}_*.jsonl")))
    assert files, os.listdir(os.path.join(d, "output"))
    rows = []
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        assert data.endswith(b"\n"), data[-200:]
        for line in data.split(b"\n")[:-1]:
            rows.append(json.loads(line.decode("utf-8")))  # strict UTF-8, a real parser
    return rows


@test
def test_jsonl_files_parse_with_hostile_paths_and_match_csv():
    d = make_workdir()
    m = None
    try:
        cfg = write_config(d, monitors_yaml("open"), extra="  format: [csv, jsonl]\n")
        m = Monitor(["-c", cfg, "-m", "open"], cwd=d)
        m.wait_attached(timeout=120)
        name = comm("ej")
        hostile = [b'q"uo\\te,comma', b"new\nline\r", b"ctl\x01\x1b\x7f\tend",
                   b"bad\xff\xc3(utf8", "ünï©ødé €".encode()]
        for raw in hostile:
            path = os.fsdecode(os.path.join(d.encode(), b"p-" + raw))
            Workload(name, "open", path, 4, 1).run()
        time.sleep(2)
        assert m.stop() == 0, m.stderr()
        header = csv_header(d, "open")
        rows = jsonl_rows(d, "open")
        assert rows, "no JSON lines"
        for r in rows:
            assert list(r) == header, (list(r), header)
            for k in ("timestamp", "count", "errors", "error_rate", "avg_lat_us"):
                assert isinstance(r[k], (int, float)) and not isinstance(r[k], bool), (k, r)
            assert isinstance(r["time_str"], str) and isinstance(r["filename"], str)
        mine = [r for r in rows if r["comm"] == name]
        by_path = {}
        for r in mine:
            by_path.setdefault(r["filename"], [0, 0])
            by_path[r["filename"]][0] += r["count"]
            by_path[r["filename"]][1] += r["errors"]
        for raw in hostile:
            want = os.path.join(d, "p-").encode() + raw
            text = want.decode("utf-8", errors="replace")  # U+FFFD per invalid byte here
            # the workload creates the file (1 open), opens it 4 times, the last one failing
            assert by_path.get(text) == [5, 1], (text, by_path)
    finally:
        if m and m.proc.poll() is None:
            m.stop()
        cleanup(d)


@test
def test_jsonl_stdout_and_format_flag():
    d = make_workdir()
    try:
        cfg = write_config(d, monitors_yaml("syscall"))
        m = Monitor(["-c", cfg, "-m", "syscall", "--format", "jsonl-stdout,csv", "--duration",
                     "4"], cwd=d, stdout=subprocess.PIPE)
        name = comm("es")
        m.wait_attached(timeout=120)
        Workload(name, "getppid", 777).run()
        out, _ = m.proc.communicate(timeout=60)
        assert m.wait() == 0, m.stderr()
        rows = [json.loads(l) for l in out.splitlines()]
        header = csv_header(d, "syscall")
        assert rows and all(list(r) == header for r in rows), out[:500]
        assert sum(r["count"] for r in rows if r["comm"] == name and
                   r["syscall_name"] == "getppid") == 777
        assert not glob.glob(os.path.join(d, "output", "*.jsonl")), "stdout only"
        # A bad format is a usage error.
        p = harness.run(["-c", cfg, "--format", "csv,xml"], cwd=d)
        assert p.returncode == 2 and "--format" in p.stderr, (p.returncode, p.stderr)
        p = harness.run(["-c", cfg, "--format", "jsonl-stdout", "--daemon"], cwd=d)
        assert p.returncode == 2 and "jsonl-stdout" in p.stderr, (p.returncode, p.stderr)
    finally:
        cleanup(d)


@test
def test_prom_port_in_use_and_bad_listen_are_clear_errors():
    d = make_workdir()
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            cfg = write_config(d, monitors_yaml("syscall"), extra=prom_extra(port))
            p = harness.run(["-c", cfg, "-m", "syscall", "--duration", "2"], cwd=d)
        assert p.returncode == 1, (p.returncode, p.stderr)
        assert "already in use" in p.stderr and "output.prometheus.listen" in p.stderr, p.stderr
        assert "attached" not in p.stderr, "fails before any probe is compiled"
        cfg = write_config(d, monitors_yaml("syscall"),
                           extra=prom_extra(1).replace("127.0.0.1:1", "localhost:http"))
        p = harness.run(["-c", cfg, "-m", "syscall"], cwd=d)
        assert p.returncode == 2 and "output.prometheus.listen" in p.stderr, p.stderr
        assert re.search(r"test_config\.yaml:\d+:\d+:", p.stderr), p.stderr
    finally:
        cleanup(d)


@test
def test_prom_counters_survive_sighup_reload():
    d = make_workdir()
    port = free_port()
    m = None
    try:
        m = start(d, "syscall", port)
        name = comm("er")

        def count():
            return sum(v for n, l, v in samples(scrape(port))
                       if n == "ebpf_monitor_syscalls_total" and l["comm"] == name
                       and l["syscall"] == "getppid")

        def wait_for(n):
            deadline = time.time() + 20
            while count() != n and time.time() < deadline:
                time.sleep(0.5)
            return count()

        Workload(name, "getppid", 1000).run()
        assert wait_for(1000) == 1000
        # A reload that restarts the syscall monitor (its interval changes): same endpoint,
        # same counters, the restarted monitor adds to them.
        write_config(d, "  syscall:\n    interval: 0.5\n", extra=prom_extra(port))
        m.proc.send_signal(signal.SIGHUP)
        m.wait_for("started by the reload")
        Workload(name, "getppid", 500).run()
        assert wait_for(1500) == 1500
        assert m.stop() == 0, m.stderr()
    finally:
        if m and m.proc.poll() is None:
            m.stop()
        cleanup(d)
