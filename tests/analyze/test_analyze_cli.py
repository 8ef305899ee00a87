#!/usr/bin/env python3
"""test_analyze_cli.py - ebpf-monitor-analyze as a user runs it: the HTML report is well-formed
XML with the charts carrying the fixture's values, report files land where documented, exit
codes match --help, split works from the command line, hostile input never crashes it, and
the text fits a terminal (or COLUMNS) while a pipe or a file gets it whole.

Usage: test_analyze_cli.py BINARY SOURCE_DIR (ctest passes both; TZ=UTC is set by ctest)."""
import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import unittest
import xml.etree.ElementTree as ET

BIN = SRC = None
FIX = None
SVG = "{http://www.w3.org/2000/svg}"
XH = "{http://www.w3.org/1999/xhtml}"


def run_env(**extra):
    """The environment of a run: UTC, and no COLUMNS but the test's own (it narrows stdout)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env.update(TZ="UTC", **extra)
    return env


def run(*args, cwd=None, env=None):
    return subprocess.run([BIN, *args], cwd=cwd, env=env or run_env(), capture_output=True,
                          text=True, errors="replace", timeout=60)


def run_pty(cols, *args):
    """What BIN prints with its stdout on a pseudo-terminal cols wide (COLUMNS unset)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen([BIN, *args], stdin=slave, stdout=slave, stderr=subprocess.DEVNULL,
                         env=run_env())
    os.close(slave)
    out = b""
    try:
        while select.select([master], [], [], 60)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child's side is closed
                break
            if not data:
                break
            out += data
    finally:
        os.close(master)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            raise
    assert p.returncode == 0, p.returncode
    return out.decode("utf-8", "replace").replace("\r\n", "\n")


class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="em-analyze-cli.")
        cls.html = os.path.join(cls.tmp, "report.html")
        r = run("-i", FIX, "--date", "20251121", "--no-reports", "-q", "--html", cls.html)
        assert r.returncode == 0, r.stderr
        with open(cls.html, "rb") as f:
            cls.raw = f.read()
        cls.root = ET.fromstring(cls.raw)  # raises if not well-formed XML

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def section(self, mtype):
        for s in self.root.iter(XH + "section"):
            if s.get("data-type") == mtype:
                return s
        self.fail("no section for " + mtype)

    def div(self, mtype, ident):
        for d in self.section(mtype).iter(XH + "div"):
            if d.get("id") == "%s-%s" % (mtype, ident):
                return d
        self.fail("no %s-%s" % (mtype, ident))

    def bars(self, mtype, ident):
        svg = self.div(mtype, ident).find(SVG + "svg")
        self.assertEqual(svg.get("class"), "bars")
        return [(g.get("data-label"), float(g.get("data-value")))
                for g in svg.iter(SVG + "g") if g.get("class") == "bar"]

    def lines(self, mtype, ident):
        svg = self.div(mtype, ident).find(SVG + "svg")
        self.assertEqual(svg.get("class"), "timeseries")
        return svg, {p.get("data-name"): [float(v) if v else None
                                          for v in p.get("data-values").split(" ")]
                     for p in svg.iter(SVG + "path") if p.get("class") == "line"}

    def test_self_contained(self):
        text = self.raw.decode("utf-8")
        self.assertNotIn("<script", text)
        for bad in ("src=", "href=\"http", "@import", "url("):
            self.assertNotIn(bad, text)
        self.assertTrue(text.startswith("<!DOCTYPE html>"))

    def test_every_type_has_a_section(self):
        types = [s.get("data-type") for s in self.root.iter(XH + "section")]
        self.assertEqual(types, ["exec", "func", "syscall", "bio", "open", "interrupt",
                                 "page_fault", "context_switch"])

    def test_overview_values(self):
        kv = {tr.get("data-key"): tr.findall(XH + "td")[1].text
              for tr in self.section("syscall").iter(XH + "tr") if tr.get("data-key")}
        self.assertEqual(kv["calls"], "500")
        self.assertEqual(kv["avg latency"], "3.500 us (weighted by calls, 480 calls measured)")

    def test_bar_charts(self):
        self.assertEqual(self.bars("syscall", "top-syscalls"),
                         [("read", 430), ("open", 50), ("execve", 20)])
        self.assertEqual(self.bars("syscall", "top-errors"),
                         [("nginx / open", 10), ("bash / execve", 5), ("bash / read", 3)])
        self.assertEqual(self.bars("context_switch", "top-pairs")[0], ("nginx -> <idle>", 200))
        # Bar lengths follow the values: read's bar is 430/50 times open's.
        svg = self.div("syscall", "top-syscalls").find(SVG + "svg")
        widths = [float(r.get("width")) for r in svg.iter(SVG + "rect")]
        self.assertAlmostEqual(widths[0] / widths[1], 430 / 50, places=2)

    def test_time_series(self):
        svg, lines = self.lines("syscall", "over-time")
        self.assertEqual(svg.get("data-width-ms"), "2000")
        self.assertEqual(svg.get("data-start"), "1763735402000")
        self.assertEqual(lines, {"calls/s": [90, 160], "errors/s": [6.5, 2.5]})
        _, lines = self.lines("bio", "throughput")
        self.assertEqual(lines, {"read MiB/s": [1.5, 0], "write MiB/s": [2, 4]})
        _, lines = self.lines("bio", "latency")
        self.assertEqual(lines, {"avg latency us": [218.75, 100]})  # (20000+5000+10000)/160

    def test_heat_map(self):
        svg = self.div("interrupt", "heatmap").find(SVG + "svg")
        self.assertEqual(svg.get("class"), "heatmap")
        cells = {}
        for g in svg.iter(SVG + "g"):
            if g.get("class") == "row":
                cells[int(g.get("data-row"))] = [
                    (int(r.get("data-t")), float(r.get("data-value")))
                    for r in g.iter(SVG + "rect") if r.get("class") == "cell"]
        # Per second: cpu 0 100 per 2 s in each; cpu 1 400 then nothing; cpu 2 the reverse.
        t0, t1 = 1763735402000, 1763735404000
        self.assertEqual(cells, {0: [(t0, 50), (t1, 50)], 1: [(t0, 200), (t1, 0)],
                                 2: [(t0, 0), (t1, 200)]})
        self.assertEqual(float(svg.get("data-max")), 200)

    def test_balance_and_tables(self):
        p = [e for e in self.div("page_fault", "per-cpu").iter(XH + "p")
             if e.get("class") == "balance"][0]
        self.assertAlmostEqual(float(p.get("data-balance")), 0.671051, places=5)
        rows = self.div("open", "failing-paths").find(XH + "table").findall(XH + "tr")
        cells = [td.text for td in rows[1].findall(XH + "td")]
        self.assertEqual(cells, ["1", "14", "93.33%", "93.33%", "15", "93.33%", "ENOENT",
                                 "/var/www/missing.html"])


class AttribHtml(unittest.TestCase):
    """Files with attribution columns (fixtures attrib/): per unit and per container bars in
    each type's section, with the fixture's numbers; the HTML still parses."""

    def test_units_and_containers(self):
        tmp = tempfile.mkdtemp(prefix="em-analyze-cli.")
        try:
            html = os.path.join(tmp, "report.html")
            r = run("-i", os.path.join(FIX, "attrib"), "--date", "20251121", "--no-reports",
                    "-q", "--html", html)
            self.assertEqual(r.returncode, 0, r.stderr)
            root = ET.parse(html).getroot()
        finally:
            shutil.rmtree(tmp)

        def bars(mtype, ident):
            for d in root.iter(XH + "div"):
                if d.get("id") == "%s-%s" % (mtype, ident):
                    return [(g.get("data-label"), float(g.get("data-value")))
                            for g in d.find(SVG + "svg").iter(SVG + "g")
                            if g.get("class") == "bar"]
            self.fail("no %s-%s" % (mtype, ident))

        unit_a = "docker-" + "0123456789abcdef" * 4 + ".scope"
        unit_b = "cri-containerd-" + "fedcba9876543210" * 4 + ".scope"
        self.assertEqual(bars("syscall", "units"),
                         [(unit_b, 200), ("nginx.service", 150), (unit_a, 110),
                          ("unknown", 7), ("(none)", 3)])
        self.assertEqual(bars("syscall", "containers"),
                         [("fedcba987654", 200), ("0123456789ab", 110)])
        # bio ranks bytes
        self.assertEqual(bars("bio", "units"),
                         [("mysql.service", 14680064), ("(none)", 1048576), (unit_a, 1048576)])
        self.assertEqual(bars("exec", "units")[0], ("cron.service", 2))


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="em-analyze-cli.")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_help_and_usage_errors(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Exit status", r.stdout)
        for args in (["--type", "nosuch"], ["--date", "2025-13-01"], ["--date", "20250230"],
                     ["--top", "0"], ["--delimiter", "ab"], ["--date", "20251121", "--from",
                     "20251120"], ["--hostname", "../x"], ["--bogus"],
                     ["--from", "20251122", "--to", "20251121"]):
            r = run(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertTrue(r.stderr.strip(), args)

    def test_no_data(self):
        r = run("-i", os.path.join(self.tmp, "nothing"), "--date", "20251121")
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot read the input directory", r.stderr)
        os.mkdir(os.path.join(self.tmp, "empty"))
        r = run("-i", os.path.join(self.tmp, "empty"), "--date", "20251121")
        self.assertEqual(r.returncode, 3)
        self.assertIn("no monitor CSV files", r.stderr)

    def test_report_files(self):
        r = run("-i", FIX, "--date", "20251121", "-t", "syscall,bio", "-r", "rep", "-q",
                cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(sorted(os.listdir(os.path.join(self.tmp, "rep"))),
                         ["bio_20251121.txt", "syscall_20251121.txt"])
        # Same text on stdout without -q; the default directory is reports/.
        r = run("-i", FIX, "--date", "20251121", "-t", "func", cwd=self.tmp)
        with open(os.path.join(self.tmp, "reports", "func_20251121.txt")) as f:
            self.assertEqual(r.stdout, f.read() + "\n")

    def test_explicit_files(self):
        r = run("--no-reports", "-t", "func", os.path.join(FIX, "func_20251121_143000.csv"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  calls                    5256\n", r.stdout)
        # A name that names no monitor needs a single --type.
        other = os.path.join(self.tmp, "mine.csv")
        shutil.copy(os.path.join(FIX, "func_20251121_143000.csv"), other)
        self.assertEqual(run("--no-reports", other).returncode, 2)
        r = run("--no-reports", "-t", "func", other)
        self.assertEqual(r.returncode, 0)
        self.assertIn("  calls                    5256\n", r.stdout)

    def test_split_command(self):
        src = os.path.join(self.tmp, "in")
        os.mkdir(src)
        with open(os.path.join(src, "func_20251120_230000.csv"), "w") as f:
            f.write("timestamp,time_str,comm,func_name,count\n")
            for day, ts in ((20, 1763679600), (21, 1763683200 + 60), (22, 1763769600 + 5)):
                for i in range(3):
                    f.write("%d.000,[x],p%d,f,%d\n" % (ts + i, day, i + 1))
        r = run("split", "-i", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("9 rows into 3 day files, 0 malformed rows skipped", r.stdout)
        out = os.path.join(src, "by-day")
        self.assertEqual(sorted(os.listdir(out)), ["func_20251120_230000.csv",
                                                   "func_20251121_000100.csv",
                                                   "func_20251122_000005.csv"])
        # The day files, analyzed per day, hold each day's rows.
        r = run("-i", out, "--date", "20251121", "--no-reports")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  calls                    6\n", r.stdout)
        # The day before's file may run past midnight as far as its name says: it is read,
        # and its rows are outside the day.
        self.assertIn("  rows                     6 read: 3 used, 3 outside the period", r.stdout)
        self.assertEqual(run("split", "-i", src).returncode, 1)  # would duplicate: refused

    def test_hostile_input(self):
        """Bytes that are not UTF-8, control characters, huge fields, a file cut short: the
        report still comes out and the HTML still parses."""
        d = os.path.join(self.tmp, "bad")
        os.mkdir(d)
        with open(os.path.join(d, "open_20251121_143000.csv"), "wb") as f:
            f.write(b"timestamp,time_str,comm,operation,filename,count,errors,top_errno\n")
            f.write(b"1763735402.000,[x],\xff\xfe<b>&amp;,openat,\"/a\x01\x1b[31m\n\",3,1,E\xc3\n")
            f.write(b"1763735402.000,[x],c,openat,/" + b"x" * 200000 + b",1,0,\n")
            f.write(b"\x00\x00\x00,\xff\n")
            f.write(b"1763735404.000,[x],z,openat,/z,7,0,\n")
            f.write(b"1763735406.000,[x],c,openat,\"/never closed,1,0,\n" * 3)
        html = os.path.join(self.tmp, "bad.html")
        r = run("-i", d, "--no-reports", "--html", html)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  opens                    11\n", r.stdout)
        ET.parse(html)


class TerminalWidth(unittest.TestCase):
    """On a terminal, or with COLUMNS set, no line of the text is wider than the width: a long
    path loses its middle to an ellipsis, numbers keep their width, columns that cannot fit are
    left out and said so. Through a pipe without COLUMNS, and in the report files, the text is
    what it always was."""
    PATH = "/srv/" + "/".join("tree-%02d-of-a-deep-layout" % i for i in range(5)) + \
        "/cache-dir/access.log"
    TOP_FILES = "    #  opens   share      cum  errors    err%  avg_us  file"
    FAILING = "    #  errors    share      cum  opens    err%  errno   file"
    ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

    @classmethod
    def setUpClass(cls):
        assert len(cls.PATH) >= 150, len(cls.PATH)
        cls.tmp = tempfile.mkdtemp(prefix="em-analyze-cli.")
        with open(os.path.join(cls.tmp, "open_20251121_143000.csv"), "w") as f:
            f.write("timestamp,time_str,comm,operation,filename,count,errors,error_rate,"
                    "avg_lat_us,min_lat_us,max_lat_us,flags,top_errno\n")
            for ts, path, n, err, errno in ((1763735402, cls.PATH, 40, 12, "ENOENT"),
                                            (1763735402, "/etc/hosts", 25, 0, ""),
                                            (1763735404, cls.PATH, 8, 3, "ENOENT")):
                f.write("%d.000,[x],nginx,openat,%s,%d,%d,0.0,3.000,1.000,9.000,O_RDONLY,%s\n"
                        % (ts, path, n, err, errno))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def lines(self, out, cols):
        """The lines of out, each checked to fit cols (in code points, escapes aside)."""
        lines = self.ANSI.sub("", out).split("\n")
        for line in lines:
            self.assertLessEqual(len(line), cols, line)
        return lines

    def check_fits(self, out, cols):
        lines = self.lines(out, cols)
        self.assertIn(self.TOP_FILES, lines)
        self.assertIn(self.FAILING, lines)
        self.assertNotIn(self.PATH, out)
        cells = [line.rsplit("  ", 1)[1] for line in lines if "/srv/" in line]
        self.assertEqual(len(cells), 2, out)  # top files, failing paths
        for cell in cells:
            head, _, tail = cell.partition("\u2026")
            self.assertTrue(tail, cell)
            self.assertTrue(self.PATH.startswith(head) and head.startswith("/srv/"), cell)
            self.assertTrue(self.PATH.endswith(tail) and tail.endswith("/access.log"), cell)
            self.assertLess(len(cell), len(self.PATH))

    def test_columns(self):
        for cols in (80, 160):
            r = run("-i", self.tmp, "--no-reports", env=run_env(COLUMNS=str(cols)))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.check_fits(r.stdout, cols)

    def test_pty(self):
        try:
            out = run_pty(80, "-i", self.tmp, "--no-reports")
        except OSError as e:  # no /dev/ptmx in this sandbox
            self.skipTest("no pseudo-terminal: %s" % e)
        self.check_fits(out, 80)

    def test_pipe_unchanged(self):
        r = run("-i", self.tmp, "--no-reports")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  %s\n" % self.PATH, r.stdout)
        self.assertIn(self.TOP_FILES, r.stdout)
        # Every type of the main fixture as committed, and the report files whatever COLUMNS.
        rep = os.path.join(self.tmp, "rep")
        for t in ("exec", "func", "syscall", "bio", "open", "interrupt", "page_fault",
                  "context_switch"):
            with open(os.path.join(FIX, "expected", "%s_20251121.txt" % t)) as f:
                expected = f.read()
            r = run("-i", FIX, "--date", "20251121", "-t", t, "--no-reports")
            self.assertEqual(r.stdout, expected + "\n", t)
            r = run("-i", FIX, "--date", "20251121", "-t", t, "-r", rep, "-q",
                    env=run_env(COLUMNS="40"))
            with open(os.path.join(rep, "%s_20251121.txt" % t)) as f:
                self.assertEqual(f.read(), expected, t)

    def test_columns_left_out(self):
        # bio's widest table: its last numeric columns go, its text columns stay.
        r = run("-i", FIX, "-t", "bio", "--no-reports", env=run_env(COLUMNS="80"))
        lines = self.lines(r.stdout, 80)
        self.assertIn("    #  requests   share      cum    MiB    avg_us  process  device   type",
                      lines)
        self.assertIn("  (2 columns not shown: max_us, p99max_us; widen the terminal or use "
                      "--html)", lines)
        # An over-time table keeps the lines that fit.
        r = run("-i", FIX, "-t", "context_switch", "--no-reports", env=run_env(COLUMNS="50"))
        lines = self.lines(r.stdout, 50)
        self.assertIn("  bucket start         switches/s  voluntary/s", lines)
        self.assertIn("  2025-11-21 14:30:02      125.00        50.00", lines)
        self.assertTrue([x for x in lines if x.startswith("  (1 column not shown")], lines)

    def test_every_report_fits(self):
        for cols in (20, 40, 60, 80, 120):
            for d in (FIX, os.path.join(FIX, "attrib")):
                r = run("-i", d, "--no-reports", "-n", "50", env=run_env(COLUMNS=str(cols)))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.lines(r.stdout, cols)


if __name__ == "__main__":
    BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    FIX = os.path.join(SRC, "tests", "fixtures", "analyze")
    unittest.main(argv=sys.argv[:1], verbosity=2)
