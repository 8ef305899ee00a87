/* keys.c - the cost of an event as the number of distinct aggregation keys grows
 * (bench/run.sh scaling).
 *
 *   keys comm N CALLS   N task names in turn (prctl PR_SET_NAME), CALLS getppid() under each:
 *                       N distinct (comm, syscall) keys for the syscall monitor
 *   keys open N CALLS   CALLS openat() of each of N distinct paths that do not exist
 *                       (/nonexistent-ebpf-bench/<i>): N distinct (comm, path, flags) keys
 *                       for the open monitor, every one an error (ENOENT)
 *
 * Prints "ns_per_call=<wall ns per call> calls=<total>". Each key is used CALLS times in a row,
 * so a new key costs one insert and CALLS-1 lookups; CALLS=1 is the worst case (every event
 * a new key). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n, calls, total = 0;
	char buf[64];
	double t0;

	if (argc != 4 || (strcmp(argv[1], "comm") && strcmp(argv[1], "open"))) {
		fprintf(stderr, "usage: %s comm|open N CALLS\n", argv[0]);
		return 2;
	}
	n = atol(argv[2]);
	calls = atol(argv[3]);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (argv[1][0] == 'c') {
			snprintf(buf, sizeof(buf), "k%ld", i);
			prctl(PR_SET_NAME, buf, 0, 0, 0);
			for (long c = 0; c < calls; c++)
				syscall(SYS_getppid);
			total += calls + 1; /* the prctl is a syscall too */
		} else {
			snprintf(buf, sizeof(buf), "/nonexistent-ebpf-bench/%ld", i);
			for (long c = 0; c < calls; c++) {
				int fd = open(buf, O_RDONLY);

				if (fd >= 0)
					close(fd);
			}
			total += calls;
		}
	}
	printf("ns_per_call=%.1f calls=%ld\n", (now_ns() - t0) / (double)total, total);
	return 0;
}
