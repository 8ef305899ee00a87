/* flood.c - bounded, self-stopping event floods for the flood tests (test_flood.py compiles it
 * with cc). Every mode stops after SECONDS or MAX operations, whichever comes first, runs one
 * worker per CPU (switch: NPAIRS pairs), and prints the number of operations done.
 *
 *   flood exec SECONDS MAX PROG      fork + exec PROG (argv: PROG)
 *   flood open SECONDS MAX DIR       open DIR/f<n> (missing: ENOENT), a new name each time
 *   flood fork SECONDS MAX           fork + _exit
 *   flood switch SECONDS MAX NPAIRS  NPAIRS pairs of processes named fs<i>a/fs<i>b passing a
 *                                    byte back and forth over pipes (two switches a round trip)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One counter per worker in shared memory; the parent adds them up. */
static unsigned long *counts;

static void run_exec(int w, double end, unsigned long max, const char *prog)
{
	char *argv[] = { (char *)prog, NULL };
	unsigned long n = 0;

	while (n < max && now() < end) {
		pid_t pid = vfork();

		if (pid == 0) {
			execv(prog, argv);
			_exit(127);
		}
		if (pid < 0)
			continue;
		waitpid(pid, NULL, 0);
		n++;
	}
	counts[w] = n;
}

static void run_open(int w, double end, unsigned long max, const char *dir)
{
	char path[4096];
	unsigned long n = 0;

	while (n < max && now() < end) {
		int fd;

		snprintf(path, sizeof(path), "%s/w%d_f%lu", dir, w, n);
		fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
		n++;
	}
	counts[w] = n;
}

static void run_fork(int w, double end, unsigned long max)
{
	unsigned long n = 0;

	while (n < max && now() < end) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0)
			continue;
		waitpid(pid, NULL, 0);
		n++;
	}
	counts[w] = n;
}

/* Pair i: a sends, b echoes; a counts round trips. */
static void run_switch(int i, double end, unsigned long max)
{
	int ab[2], ba[2];
	char name[16], c = 'x';
	unsigned long n = 0;
	pid_t b;

	if (pipe(ab) || pipe(ba))
		_exit(1);
	b = fork();
	if (b == 0) {
		close(ab[1]);
		close(ba[0]);
		snprintf(name, sizeof(name), "fs%db", i);
		prctl(PR_SET_NAME, name);
		while (read(ab[0], &c, 1) == 1)
			if (write(ba[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	snprintf(name, sizeof(name), "fs%da", i);
	prctl(PR_SET_NAME, name);
	while (n < max && now() < end) {
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			break;
		n++;
	}
	close(ab[1]);
	waitpid(b, NULL, 0);
	counts[i] = n;
}

int main(int argc, char **argv)
{
	double seconds, end;
	unsigned long max, total = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int workers, i;

	if (argc < 4) {
		fprintf(stderr, "usage: flood exec|open|fork|switch SECONDS MAX [ARG]\n");
		return 2;
	}
	seconds = atof(argv[2]);
	max = strtoul(argv[3], NULL, 10);
	workers = ncpu > 0 ? (int)ncpu : 1;
	if (!strcmp(argv[1], "switch"))
		workers = argc > 4 ? atoi(argv[4]) : 1;
	if (workers < 1 || workers > 4096 || seconds <= 0 || seconds > 60)
		return 2;
	counts = mmap(NULL, sizeof(*counts) * (size_t)workers, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 1;
	end = now() + seconds;
	for (i = 0; i < workers; i++) {
		unsigned long share = max / (unsigned long)workers + 1;
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid)
			continue;
		if (!strcmp(argv[1], "exec") && argc > 4)
			run_exec(i, end, share, argv[4]);
		else if (!strcmp(argv[1], "open") && argc > 4)
			run_open(i, end, share, argv[4]);
		else if (!strcmp(argv[1], "fork"))
			run_fork(i, end, share);
		else if (!strcmp(argv[1], "switch"))
			run_switch(i, end, share);
		_exit(0);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	for (i = 0; i < workers; i++)
		total += counts[i];
	printf("%lu\n", total);
	return 0;
}
