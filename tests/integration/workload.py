"""workload.py - processes with a known answer for the integration tests. Each sets its own
task name (comm) first, so its rows are told apart from everything else on the machine.

  workload.py COMM getppid N [BATCHES] [PAUSE]   exactly N getppid(2) calls
  workload.py COMM badclose N                    N close(-1) calls (EBADF)
  workload.py COMM open PATH N M                 N opens of PATH, the last M with PATH missing
  workload.py COMM phases N PAUSE               getppid(2) under three names: N in 3 batches as
                                                 COMMa, PAUSE s apart; renamed (prctl) COMMb, N in
                                                 2 batches; a forked child renamed COMMc, N calls;
                                                 then COMMb again, 7 calls
  workload.py COMM flood N DIR                   N task names COMM0..COMM<N-1>, each opening
                                                 one missing path DIR/<i> and calling getppid
  workload.py COMM rawopen SYSCALL PATH N FLAGS [mapped]
                                                 N raw open/openat/openat2 calls of PATH with
                                                 FLAGS; "mapped": the path is read from a file
                                                 mapping no instruction touched before
Prints its pid, then waits for a line on stdin before starting (so a monitor can be started
with -p PID first), and prints "done" at the end."""
import ctypes
import os
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME = 15
SYS = {"x86_64": {"getppid": 110, "close": 3}, "aarch64": {"getppid": 173, "close": 57}}[os.uname().machine]


OPEN_NR = {"x86_64": {"open": 2, "openat": 257, "openat2": 437},
           "aarch64": {"openat": 56, "openat2": 437}}[os.uname().machine]
AT_FDCWD = -100


def rawopen(syscall, path, n, flags, mapped):
    """n calls of one open syscall, fds closed; failures are fine (the monitor counts them)."""
    if mapped:
        # The page is in the page cache but not in this process's page table until the
        # kernel's own copy of the path faults it in.
        backing = f"/tmp/em-path-{os.getpid()}"
        with open(backing, "wb") as f:
            f.write(path + b"\0")
        fd = os.open(backing, os.O_RDONLY)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long]
        addr = libc.mmap(None, 4096, 1, 2, fd, 0)  # PROT_READ, MAP_PRIVATE
        os.close(fd)
        os.unlink(backing)
        assert addr not in (None, ctypes.c_void_p(-1).value), "mmap failed"
        ptr = ctypes.c_void_p(addr)
    else:
        buf = ctypes.create_string_buffer(path)
        ptr = ctypes.cast(buf, ctypes.c_void_p)
    how = (ctypes.c_uint64 * 3)(flags, 0, 0)  # struct open_how: flags, mode, resolve
    nr = OPEN_NR[syscall]
    for _ in range(n):
        if syscall == "open":
            fd = libc.syscall(nr, ptr, flags, 0)
        elif syscall == "openat":
            fd = libc.syscall(nr, AT_FDCWD, ptr, flags, 0)
        else:
            fd = libc.syscall(nr, AT_FDCWD, ptr, ctypes.byref(how), ctypes.c_size_t(24))
        if fd >= 0:
            os.close(fd)


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
    elif what == "phases":
        n, pause = int(sys.argv[3]), float(sys.argv[4])
        nr = SYS["getppid"]

        def calls(k):
            for _ in range(k):
                libc.syscall(nr)

        libc.prctl(PR_SET_NAME, (comm + "a").encode(), 0, 0, 0)
        for b in range(3):
            calls(n // 3 + (1 if b < n % 3 else 0))
            time.sleep(pause)
        libc.prctl(PR_SET_NAME, (comm + "b").encode(), 0, 0, 0)
        calls(n // 2)
        time.sleep(pause)
        calls(n - n // 2)
        pid = os.fork()
        if pid == 0:
            libc.prctl(PR_SET_NAME, (comm + "c").encode(), 0, 0, 0)
            calls(n)
            os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
        calls(7)
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
    elif what == "flood":
        n, top = int(sys.argv[3]), sys.argv[4]
        for i in range(n):
            libc.prctl(PR_SET_NAME, f"{comm}{i}".encode()[:15], 0, 0, 0)
            try:
                os.close(os.open(os.path.join(top, str(i)), os.O_RDONLY))
            except FileNotFoundError:
                pass
            libc.syscall(SYS["getppid"])
    elif what == "rawopen":
        rawopen(sys.argv[3], sys.argv[4].encode(), int(sys.argv[5]), int(sys.argv[6], 0),
                len(sys.argv) > 7 and sys.argv[7] == "mapped")
    else:
        raise SystemExit(f"unknown workload {what}")
    print("done", flush=True)


main()
