"""sched_workload.py - processes whose context switches and page faults are known from their
own /proc counters, for the context_switch and page_fault tests.

  sched_workload.py COMM sleep N          N short sleeps (voluntary switches)
  sched_workload.py COMM spin SECONDS CPU  busy loop pinned to CPU (preempted by a hog there)
  sched_workload.py COMM faults MB FILE   touch MB of fresh anonymous memory (minor faults), then
                                          read every page of FILE through mmap (major faults
                                          once its page cache was dropped)
Prints its pid, waits for a line on stdin, works, prints one line of JSON with the deltas of its
own counters over the work, then waits for another line before exiting, so that a test can read
/proc/<pid>/status while it is blocked (no switches happen while it waits)."""
import ctypes
import json
import mmap
import os
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


def main():
    comm, what = sys.argv[1], sys.argv[2]
    libc.prctl(15, comm.encode(), 0, 0, 0)
    if what == "spin":
        os.sched_setaffinity(0, {int(sys.argv[4])})
    print(os.getpid(), flush=True)
    sys.stdin.readline()
    before = status_counters()
    if what == "sleep":
        for _ in range(int(sys.argv[3])):
            time.sleep(0.0005)
    elif what == "spin":
        end = time.monotonic() + float(sys.argv[3])
        while time.monotonic() < end:
            pass
    elif what == "faults":
        size = int(sys.argv[3]) << 20
        buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        for off in range(0, size, 4096):
            buf[off] = 1
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
