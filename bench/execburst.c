/* execburst.c - fork+exec a program at a controlled rate (bench/run.sh execburst).
 *
 *   execburst RATE SECONDS PATH     RATE execs per second (0: as fast as possible)
 *
 * Spawns are paced on an absolute schedule (spawn i is due at start + i/RATE; a late spawn is
 * made at once, so short stalls are caught up). Each child is made with vfork() (no page
 * tables copied) and execs PATH with no arguments; children are reaped as they exit. With a
 * static PATH that only exits (bench/exittiny.c) the rate is bound by exec itself. Prints one line:
 *   made=<execs started> failed=<fork or exec failures> seconds=<elapsed> rate=<made/seconds>
 * A failed exec makes the child exit 127; those are counted from the exit statuses. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long reap(int block, long *failed)
{
	long n = 0;
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		n++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
			(*failed)++;
	}
	return n;
}

int main(int argc, char **argv)
{
	char *const cargv[] = { argv[argc - 1], NULL };
	char *const cenv[] = { NULL };
	double rate, secs, t0, t;
	long made = 0, failed = 0, running = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: %s RATE SECONDS PATH\n", argv[0]);
		return 2;
	}
	rate = atof(argv[1]);
	secs = atof(argv[2]);
	t0 = now_s();
	for (;;) {
		t = now_s();
		if (t - t0 >= secs)
			break;
		if (rate > 0) {
			double due = t0 + made / rate;

			if (due >= t0 + secs)
				break;
			if (due > t) {
				struct timespec d = { (time_t)(due - t), (long)((due - t - (time_t)(due - t)) * 1e9) };

				nanosleep(&d, NULL);
			}
		}
		pid_t pid = vfork();

		if (pid < 0) {
			if (errno == EAGAIN) {
				running -= reap(1, &failed);
				continue;
			}
			failed++;
			continue;
		}
		if (pid == 0) {
			execve(cargv[0], cargv, cenv);
			_exit(127);
		}
		made++;
		running++;
		if (running > 256)
			running -= reap(0, &failed);
	}
	t = now_s() - t0;
	reap(1, &failed);
	printf("made=%ld failed=%ld seconds=%.3f rate=%.1f\n", made, failed, t, made / t);
	return failed ? 1 : 0;
}
