/* storm.c - a syscall storm with a known answer, for the overhead budget test (test_budget.py
 * compiles it with cc): exactly N getppid() calls in a tight loop from a task named COMM, at most
 * RATE calls a second (0 or none: as fast as it goes; the loop sleeps whenever it is ahead).
 *
 *   storm COMM N [RATE]
 *
 * Waits for a line on stdin before it starts (the monitor attaches first), then prints one line:
 *   calls=<N> cpu_s=<user+system CPU of the calls> wall_s=<wall time> ns_per_call=<cpu/N>
 * The BPF programs run in the calling task's context, so what a tracer adds per call shows in
 * this process's own system time. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	enum { STEP = 1000 };
	unsigned long n, done = 0;
	double rate, c0, w0;
	char line[16];

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: storm COMM N [RATE]\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	n = strtoul(argv[2], NULL, 10);
	rate = argc == 4 ? atof(argv[3]) : 0;
	printf("%d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	w0 = wall_s();
	c0 = cpu_s();
	while (done < n) {
		unsigned long k = n - done < STEP ? n - done : STEP;
		double ahead;

		for (unsigned long i = 0; i < k; i++)
			syscall(SYS_getppid);
		done += k;
		ahead = rate > 0 ? (double)done / rate - (wall_s() - w0) : 0;
		if (ahead > 0.0005) {
			struct timespec ts = { 0, (long)(ahead * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	c0 = cpu_s() - c0;
	printf("calls=%lu cpu_s=%.6f wall_s=%.6f ns_per_call=%.1f\n", n, c0, wall_s() - w0,
	       c0 * 1e9 / (double)n);
	return 0;
}
