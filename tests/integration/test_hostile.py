"""test_hostile.py - strings any local user controls (task names, file names, argv) holding
terminal escape sequences, CR/LF, C1 controls, invalid UTF-8, quotes and commas: CSV rows stay
whole and exact, the console table and the log never carry a control byte to a terminal, one log
record stays one line; output.csv_formula_guard neutralises spreadsheet formulas."""
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

from harness import Monitor, cleanup, make_workdir, test, write_config

# 12 bytes (the kernel keeps 15): a formula lead, ESC [2J (clear screen), invalid UTF-8, CR LF,
# a quote and the 8-bit CSI (U+009B). No comma: --comm takes a comma-separated list.
COMM = b'=\x1b[2J\xff\r\n"q\xc2\x9b'
ARGS = [b"\x1b]52;c;cHduZWQ=\x07", b"a\r\nb", b"\xff\xfe", b"=HYPERLINK(1)", b"\x7f\x01,"]
LAUNCH = (
    "import ctypes, os, sys\n"
    "h = [bytes.fromhex(a) for a in sys.argv[1:]]\n"
    "ctypes.CDLL(None).prctl(15, ctypes.c_char_p(h[0]), 0, 0, 0)\n"  # PR_SET_NAME
    "os.execv(h[1], h[1:])\n"
)
LOG_PREFIX = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[(DEBUG|INFO|WARNING|ERROR)\] ")
C1_CSI = "\u009b"


def hostile_program(d):
    name = b'em_h\x1b[31m\x1b]0;pwn\x07\r\n\xff\xfe,"\xc2\x9b' + uuid.uuid4().hex[:6].encode()
    bindir = os.path.join(d, "bin")
    os.makedirs(bindir, exist_ok=True)
    path = os.path.join(os.fsencode(bindir), name)
    shutil.copy("/bin/true", path)
    os.chmod(path, 0o755)
    return path


def read_csv_exact(d):
    """Every exec CSV as bytes decoded losslessly (surrogateescape), parsed by Python's csv
    module; every row must have the header's field count."""
    out = os.path.join(d, "output")
    files = sorted(f for f in os.listdir(out) if f.startswith("exec_") and f.endswith(".csv"))
    assert files, os.listdir(out)
    rows = []
    for name in files:
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        assert data.endswith(b"\n"), data[-200:]
        reader = csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""))
        header = next(reader)
        for r in reader:
            assert len(r) == len(header), f"{name}: {len(r)} fields, header {len(header)}: {r!r}"
            rows.append(dict(zip(header, r)))
    return rows


def run_hostile(d, extra=""):
    prog = hostile_program(d)
    cfg = write_config(d, "  exec:\n    enabled: true\n", extra=extra)
    # An unknown key with ESC and LF in its name: warned about in the log, on one line.
    with open(cfg, "a") as f:
        f.write('  "em\\e[31mkey\\nINJECTED": 1\n')
    console = os.path.join(d, "console.txt")
    with open(console, "wb") as out:
        m = Monitor(["-c", cfg, "-m", "exec", "--duration", "60", "--comm", os.fsdecode(COMM)],
                    cwd=d, stdout=out)
        m.wait_attached()
        argv = [COMM.hex(), prog.hex()] + [a.hex() for a in ARGS]
        subprocess.run([sys.executable, "-c", LAUNCH] + argv, check=True, timeout=60)
        time.sleep(1.0)
        rc = m.stop()
    assert rc == 0, m.stderr()
    return prog, m, console


def check_terminal_safe(m, console, d):
    # The console table: valid UTF-8, no C0/C1 control byte, one line per row.
    with open(console, "rb") as f:
        table = f.read()
    text = table.decode("utf-8")  # strict: invalid bytes never reach the terminal
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
    assert not bad, (bad, text)
    lines = text.splitlines()
    assert re.match(r"^TIME\s+UID\s+PID\s+COMM\s+FILENAME$", lines[0]), lines[:2]
    assert len([l for l in lines if "em_h" in l]) == 1, lines
    # stderr (the log's console handler): no ESC, no CSI, every line one record.
    err = m.stderr()
    assert "\x1b" not in err and C1_CSI not in err and "\r" not in err, repr(err)
    for line in err.splitlines():
        assert re.match(r"^(DEBUG|INFO|WARNING|ERROR): ", line), repr(line)
    assert "INJECTED" in err, err  # the config warning (before the log file is open)
    # The log file: every line starts with the detailed format's prefix, no control bytes.
    with open(os.path.join(d, "logs", "monitor.log"), "rb") as f:
        log = f.read()
    assert log.endswith(b"\n")
    for line in log.split(b"\n")[:-1]:
        assert LOG_PREFIX.match(line), line
        assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]|\xc2[\x80-\x9f]", line), line
        line.decode("utf-8")  # strict
    assert b"comms==?[2J\\xff" in log, log  # the hostile --comm, escaped


@test
def test_hostile_strings_csv_console_log():
    d = make_workdir()
    try:
        prog, m, console = run_hostile(d)
        rows = read_csv_exact(d)
        mine = [r for r in rows if r["filename"] == os.fsdecode(prog)]
        assert len(mine) == 1, [r["filename"] for r in rows]
        # CSV keeps the bytes exactly (RFC 4180 quoting), formulas untouched by default.
        assert mine[0]["comm"] == os.fsdecode(COMM), repr(mine[0]["comm"])
        assert mine[0]["argv"] == os.fsdecode(b" ".join([prog] + ARGS)), repr(mine[0]["argv"])
        check_terminal_safe(m, console, d)
    finally:
        cleanup(d)


@test
def test_hostile_strings_formula_guard():
    d = make_workdir()
    try:
        prog, m, console = run_hostile(d, extra="  csv_formula_guard: true\n")
        rows = read_csv_exact(d)
        mine = [r for r in rows if r["filename"] == os.fsdecode(prog)]
        assert len(mine) == 1, [r["filename"] for r in rows]
        assert mine[0]["comm"] == "'" + os.fsdecode(COMM), repr(mine[0]["comm"])
        # argv starts with the path: not a formula, kept as it is; numbers are never touched
        assert mine[0]["argv"] == os.fsdecode(b" ".join([prog] + ARGS)), repr(mine[0]["argv"])
        assert all(re.fullmatch(r"-?\d+", r["ret"]) for r in rows)
        check_terminal_safe(m, console, d)
    finally:
        cleanup(d)
