"""test_attrib_open_bio.py - attribution (issue 19) of the open and bio monitors: real cgroups of
the four layouts (a service, a docker scope, kubepods under the systemd and the cgroupfs driver)
on cgroup v1 (name=systemd, as on RHEL 7) and v2. One task name in every cgroup and outside them:

  open: N opens of one path, M of them failing, by a process in each cgroup: per cgroup exactly
        N opens and M errors, on rows carrying exactly that cgroup's four columns;
  bio:  dd with O_DIRECT writes and reads a known number of bytes in each cgroup: per cgroup
        exactly those bytes (plus the metadata block or two dd's own context may read or write,
        as test_bio.py documents), none of it under another cgroup; the requests of kernel
        threads (writeback kworkers, jbd2) are of the root cgroup "/", no process's."""
import os
import subprocess
import time
import uuid

import cgroups
import harness
from harness import Monitor, Workload, cleanup, csv_rows, make_workdir, test, write_config
from test_bio import KernelSkipped, check_no_losses, data_dir, disk_of, dd_start

MIB = 1 << 20
BLOCK = 4096
ATTRIB = ["cgroup", "unit", "container_id", "pod_uid"]
RDONLY_CLOEXEC = "O_RDONLY|O_CLOEXEC"
CREATE = "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"


def need(kind):
    why = cgroups.available(kind)
    if why:
        harness.skip(why)


def own_cgroup(kind):
    """This process's cgroup in the hierarchy `kind` (its children start there too)."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, ctrl, path = line.rstrip("\n").split(":", 2)
            if kind == "v1" and "name=systemd" in ctrl.split(","):
                return path
            if kind == "v2" and hid == "0" and ctrl == "":
                return path
    raise AssertionError(f"no {kind} line in /proc/self/cgroup")


def settle():
    """After moving a waiting process into a cgroup: the kernel sees a move at once where it has
    cgroup tracepoints (then the 0.1 s poll resolves it); RHEL 7's has none, and there a move
    without an exec after it is found by the re-read of every process every 2 s."""
    time.sleep(2.5 if harness.PERSONALITY == "rhel7" else 0.3)


def start(d, kind, monitor):
    cfg = write_config(d, f"  {monitor}:\n    interval: 1\n", extra=cgroups.attribution_yaml(kind))
    m = Monitor(["-c", cfg, "-m", monitor], cwd=d)
    m.wait_attached()
    return m


def read_rows(d, m, monitor):
    time.sleep(1.5)  # one more interval: the last rows are drained
    assert m.stop() == 0, m.stderr()
    header, rows = csv_rows(d, monitor)
    assert header[-4:] == ATTRIB, header
    return rows


def per_cgroup(rows, *cols):
    """Sums of cols per cgroup."""
    out = {}
    for r in rows:
        acc = out.setdefault(r["cgroup"], [0] * len(cols))
        for i, c in enumerate(cols):
            acc[i] += int(r[c])
    return {k: tuple(v) for k, v in out.items()}


def check_columns(rows, cgs):
    """Every row of a test cgroup carries exactly that cgroup's four columns."""
    by_path = {cg.path: cg for cg in cgs}
    for r in rows:
        if r["cgroup"] in by_path:
            assert cgroups.attrib_of(r) == by_path[r["cgroup"]].expect(), \
                (r, by_path[r["cgroup"]].expect())


# ---- open ----

def open_layouts_exact(kind):
    need(kind)
    d = make_workdir()
    cgs = []
    try:
        m = start(d, kind, "open")
        comm = "eoa" + uuid.uuid4().hex[:10]
        path = os.path.join(d, "unique-" + uuid.uuid4().hex)
        cgs = [cgroups.Cgroup(kind, layout) for layout in cgroups.LAYOUTS]
        want = {cg.path: (301 + 100 * i, 17 + 3 * i) for i, cg in enumerate(cgs)}
        works = []
        for cg in cgs:
            w = Workload(comm, "open", path, *want[cg.path])
            cg.add(w.pid)
            works.append(w)
        # outside every test cgroup: the same task name and path, its own counts
        outside = Workload(comm, "open", path, 77, 5)
        home = own_cgroup(kind)
        want[home] = (77, 5)
        settle()  # the moves resolved before the processes work
        for w in works + [outside]:
            w.run()  # one after another: each creates the path and removes it for its M
        rows = read_rows(d, m, "open")
        mine = [r for r in rows if r["comm"] == comm and r["filename"] == path]
        reads = [r for r in mine if r["flags"] == RDONLY_CLOEXEC]
        got = per_cgroup(reads, "count", "errors")
        assert got == want, (kind, got, want)
        # the one create of each process: its own row in its own cgroup
        made = per_cgroup([r for r in mine if r["flags"] == CREATE], "count", "errors")
        assert made == {p: (1, 0) for p in want}, (kind, made)
        # nothing else of this path, nothing under "unknown"
        assert {r["flags"] for r in mine} == {RDONLY_CLOEXEC, CREATE}, mine
        assert "unknown" not in {r["cgroup"] for r in rows if r["comm"] == comm}
        # one row per (flags, cgroup) in this one interval or a few: never two cgroups in one
        for r in reads:
            assert r["operation"] == "openat", r
            assert r["top_errno"] == ("ENOENT" if int(r["errors"]) else ""), r
        check_columns(mine, cgs)
        print(f"    {kind}: {len(cgs)} cgroups and the test's own ({home}): "
              f"{sum(n for n, _ in want.values())} opens exact per cgroup")
    finally:
        for cg in cgs:
            cg.remove()
        cleanup(d)


@test
def test_attrib_open_four_layouts_exact_v1():
    open_layouts_exact("v1")


@test
def test_attrib_open_four_layouts_exact_v2():
    open_layouts_exact("v2")


@test
def test_attrib_open_key_keeps_openat2_upper_bits_marked():
    """The key's flags are 32 bits (so that `who` fits in the same 40 and 288 bytes): openat2's
    how.flags bits above 31, which the kernel refuses with EINVAL, are kept as a mark, in a row
    of their own; the calls are counted in full, in the caller's cgroup."""
    kind = "v2" if not cgroups.available("v2") else "v1"
    need(kind)
    d = make_workdir()
    cg = cgroups.Cgroup(kind, cgroups.DOCKER)
    try:
        m = start(d, kind, "open")
        comm = "eoh" + uuid.uuid4().hex[:10]
        path = os.path.join(d, "target")
        open(path, "w").close()
        high = Workload(comm, "rawopen", "openat2", path, 9, hex((1 << 40) | os.O_CLOEXEC))
        plain = Workload(comm, "rawopen", "openat2", path, 4, hex(os.O_CLOEXEC))
        cg.add(high.pid)
        cg.add(plain.pid)
        settle()
        high.run()
        plain.run()
        rows = read_rows(d, m, "open")
        mine = [r for r in rows if r["comm"] == comm and r["filename"] == path]
        got = {(r["flags"], r["top_errno"], r["cgroup"]): (int(r["count"]), int(r["errors"]))
               for r in mine}
        assert got == {(RDONLY_CLOEXEC + "|bits32-63", "EINVAL", cg.path): (9, 9),
                       (RDONLY_CLOEXEC, "", cg.path): (4, 0)}, got
        check_columns(mine, [cg])
    finally:
        cg.remove()
        cleanup(d)


# ---- bio ----

def dd_in(d, cg, comm, *args):
    """dd under the task name comm, moved into cg before it starts: a shell moves itself, waits
    for the 0.1 s poll to resolve the move, then becomes dd (where the kernel has no cgroup
    tracepoints, RHEL 7, the exec is what makes user space read the process's cgroup again)."""
    link = os.path.join(d, comm)
    if not os.path.exists(link):
        os.symlink(subprocess.check_output(["sh", "-c", "command -v dd"], text=True).strip(),
                   link)
    move = f"echo $$ > {cg.dir}/cgroup.procs && sleep 0.3 && " if cg else ""
    p = subprocess.run(["sh", "-c", move + "exec \"$0\" \"$@\"", link, *args],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def bio_layouts_exact_once(kind, d, dd_dir):
    disk = disk_of(dd_dir)
    cgs = []
    m = None
    try:
        # dd's own pages (binary, libraries) read in before counting, under another name
        dd_start(d, "emwarm" + uuid.uuid4().hex[:6], "if=/dev/null", "of=/dev/null").wait()
        os.sync()
        time.sleep(0.5)  # nothing of ours in flight when counting starts
        m = start(d, kind, "bio")
        comm = "emba" + uuid.uuid4().hex[:10]
        cgs = [cgroups.Cgroup(kind, layout) for layout in cgroups.LAYOUTS]
        home = own_cgroup(kind)
        want = {cg.path: 4 + i for i, cg in enumerate(cgs)}  # MiB each writes and reads
        want[home] = 3
        for cg in cgs + [None]:
            mib = want[cg.path if cg else home]
            path = os.path.join(dd_dir, "em-attrib-" + uuid.uuid4().hex[:8])
            dd_in(d, cg, comm, "if=/dev/zero", f"of={path}", "bs=1M", f"count={mib}",
                  "oflag=direct", "conv=fsync")
            dd_in(d, cg, comm, f"if={path}", "of=/dev/null", "bs=1M", "iflag=direct")
        time.sleep(1.5)
        assert m.stop() == 0, m.stderr()
        check_no_losses(m)
        header, rows = csv_rows(d, "bio")
        assert header[-4:] == ATTRIB, header
        mine = [r for r in rows if r["comm"] == comm]
        assert all(r["device"] == disk for r in mine), mine
        writes = per_cgroup([r for r in mine if r["io_type_str"] == "WRITE"], "total_bytes")
        reads = per_cgroup([r for r in mine if r["io_type_str"] == "READ"], "total_bytes")
        assert set(writes) == set(want) and set(reads) == set(want), (kind, writes, reads, want)
        extra = {}
        for p, mib in want.items():
            w, r = writes[p][0], reads[p][0]
            # O_DIRECT: exactly the data, plus what dd's own context adds: the fsync of the new
            # file writes its metadata (inode table block, bitmaps, directory block: 16 KiB
            # seen on this journal-less ext4; with a journal jbd2 writes them instead), and a
            # read may bring in evicted inode, extent or directory blocks (test_bio.py; 13 of
            # them once in the ASan lane, whose monitor takes much more memory). The sizes
            # differ by 1 MiB from cgroup to cgroup, so no data can hide in the 128 KiB allowed.
            assert w >= mib * MIB and w - mib * MIB <= 32 * BLOCK and w % BLOCK == 0, \
                (kind, p, mib, w)
            assert r >= mib * MIB and r - mib * MIB <= 32 * BLOCK and r % BLOCK == 0, \
                (kind, p, mib, r)
            extra[p] = ((w - mib * MIB) // BLOCK, (r - mib * MIB) // BLOCK)
        check_columns(mine, cgs)
        # the kernel's own threads' requests are of the root cgroup, no process's
        for r in rows:
            if r["comm"].startswith(("kworker", "jbd2")):
                assert (r["cgroup"], r["unit"], r["container_id"], r["pod_uid"]) == \
                    ("/", "", "", ""), r
        assert "unknown" not in {r["cgroup"] for r in mine}, mine
        kthreads = sorted({r["comm"] for r in rows if r["cgroup"] == "/"})
        print(f"    {kind}: {sum(want.values())} MiB written and read, exact per cgroup in "
              f"{len(want)} cgroups; metadata blocks (written, read) {sorted(extra.values())}; "
              f"root-cgroup submitters: {kthreads}")
    finally:
        for cg in cgs:
            cg.remove()
        if m and m.proc.poll() is None:
            m.stop()


def bio_layouts_exact(kind):
    need(kind)
    why = []
    for _ in range(5):
        d = make_workdir()
        dd_dir = data_dir(d)
        try:
            return bio_layouts_exact_once(kind, d, dd_dir)
        except KernelSkipped as e:
            why.append(e.args[0])
            print(f"    the kernel skipped {e.args[0]} probe runs: trying again")
        finally:
            if dd_dir != d:
                cleanup(dd_dir)
            cleanup(d)
    raise AssertionError(f"the kernel skipped probe runs in every try: {why}")


@test
def test_attrib_bio_four_layouts_exact_v1():
    bio_layouts_exact("v1")


@test
def test_attrib_bio_four_layouts_exact_v2():
    bio_layouts_exact("v2")
