"""sched_workload.py - processes whose context switches and page faults are known from their
own /proc counters, for the context_switch and page_fault tests.

  sched_workload.py COMM sleep N          N short sleeps (voluntary switches)
  sched_workload.py COMM spin SECONDS CPU  busy loop pinned to CPU (preempted by a hog there)
  sched_workload.py COMM faults MB FILE   touch MB of fresh anonymous memory (minor faults), then
                                          read every page of FILE through mmap (major faults
                                          once its page cache was dropped)
  sched_workload.py COMM phases KIND N PAUSE
                                          KIND (sleep: N short sleeps; touch: N MiB touched) under
                                          three names, each in two halves PAUSE s apart: as
                                          COMMa; renamed (prctl) COMMb; in a forked child renamed
                                          COMMc (the parent waits for it)
Prints its pid, waits for a line on stdin, works, prints one line of JSON with the deltas of its
own counters over the work, then waits for another line before exiting, so that a test can read
/proc/<pid>/status while it is blocked (no switches happen while it waits). For phases, the JSON
has the counters where the names changed: "a_end" (the parent's, just before its rename),
"c_start" and "c_end" (the child's, from its fork: just before its rename, and just before it
exits), and "c_minflt" (the child's minor faults from its fork to its exit, as its parent's
rusage has them)."""
import ctypes
import json
import mmap
import os
import resource
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)


def status_counters():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
                out[k] = int(v)
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    out["minflt"], out["majflt"] = int(fields[7]), int(fields[9])
    return out


def touch_anon(size):
    """size bytes of fresh anonymous memory, each 4 KiB page written once (one minor fault each,
    also where transparent huge pages are on for every mapping: Debian's arm64 kernel has THP
    "always", and 64 MiB would otherwise be 32 faults)."""
    buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):
        buf.madvise(mmap.MADV_NOHUGEPAGE)
    for off in range(0, size, 4096):
        buf[off] = 1
    return buf


def work(kind, n):
    if kind == "sleep":
        for _ in range(n):
            time.sleep(0.0005)
    else:
        touch_anon(n << 20).close()


def halves(kind, n, pause):
    work(kind, n // 2)
    time.sleep(pause)
    work(kind, n - n // 2)


def phases(comm, kind, n, pause):
    """Returns the counters where the names changed (see the module's text)."""
    out = {}
    halves(kind, n, pause)
    out["a_end"] = status_counters()
    libc.prctl(15, (comm + "b").encode(), 0, 0, 0)
    halves(kind, n, pause)
    r, w = os.pipe()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    pid = os.fork()
    if pid == 0:
        # The child's first writes to the interpreter's pages fault (copy on write): what the
        # counter read and the rename touch is touched once before, so that the faults between
        # the read and the rename are few.
        os.close(r)
        name = (comm + "c").encode()
        got = ctypes.create_string_buffer(16)
        libc.prctl(16, got, 0, 0, 0)
        status_counters()
        start = status_counters()
        libc.prctl(15, name, 0, 0, 0)
        halves(kind, n, pause)
        end = status_counters()
        os.write(w, json.dumps({"c_start": start, "c_end": end}).encode())
        os._exit(0)
    os.close(w)
    child = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        child += chunk
    os.close(r)
    assert os.waitpid(pid, 0)[1] == 0
    out.update(json.loads(child))
    # the child's faults to its exit (its own last read misses what came after it)
    out["c_minflt"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - children0
    return out


def main():
    comm, what = sys.argv[1], sys.argv[2]
    libc.prctl(15, (comm + "a" if what == "phases" else comm).encode(), 0, 0, 0)
    if what == "spin":
        os.sched_setaffinity(0, {int(sys.argv[4])})
    print(os.getpid(), flush=True)
    sys.stdin.readline()
    before = status_counters()
    if what == "phases":
        out = phases(comm, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        print(json.dumps(out), flush=True)
        sys.stdin.readline()
        return
    if what == "sleep":
        for _ in range(int(sys.argv[3])):
            time.sleep(0.0005)
    elif what == "spin":
        end = time.monotonic() + float(sys.argv[3])
        while time.monotonic() < end:
            pass
    elif what == "faults":
        buf = touch_anon(int(sys.argv[3]) << 20)
        with open(sys.argv[4], "rb") as f:
            m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
            m.madvise(mmap.MADV_RANDOM)  # no readahead: every page is its own major fault
            total = 0
            for off in range(0, len(m), 4096):
                total += m[off]
            m.close()
        buf.close()
    after = status_counters()
    print(json.dumps({k: after[k] - before[k] for k in after}), flush=True)
    sys.stdin.readline()


main()
