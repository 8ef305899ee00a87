"""workload.py - processes with a known answer for the integration tests. Each sets its own
task name (comm) first, so its rows are told apart from everything else on the machine.

  workload.py COMM getppid N [BATCHES] [PAUSE]   exactly N getppid(2) calls
  workload.py COMM badclose N                    N close(-1) calls (EBADF)
  workload.py COMM open PATH N M                 N opens of PATH, the last M with PATH missing
Prints its pid, then waits for a line on stdin before starting (so a monitor can be started
with -p PID first), and prints "done" at the end."""
import ctypes
import os
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME = 15
SYS = {"x86_64": {"getppid": 110, "close": 3}, "aarch64": {"getppid": 173, "close": 57}}[os.uname().machine]


def main():
    comm, what = sys.argv[1], sys.argv[2]
    libc.prctl(PR_SET_NAME, comm.encode(), 0, 0, 0)
    print(os.getpid(), flush=True)
    sys.stdin.readline()
    if what == "getppid":
        n = int(sys.argv[3])
        batches = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
        nr = SYS["getppid"]
        for b in range(batches):
            k = n // batches + (1 if b < n % batches else 0)
            for _ in range(k):
                libc.syscall(nr)
            if pause and b + 1 < batches:
                time.sleep(pause)
    elif what == "badclose":
        nr = SYS["close"]
        for _ in range(int(sys.argv[3])):
            libc.syscall(nr, -1)
    elif what == "open":
        path, n, m = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        with open(path, "w"):
            pass
        for i in range(n):
            if i == n - m:
                os.unlink(path)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                os.close(fd)
            except FileNotFoundError:
                pass
    else:
        raise SystemExit(f"unknown workload {what}")
    print("done", flush=True)


main()
