/* hotloop.c - tight loops that trigger one kind of kernel event as cheaply as possible, for
 * measuring the cost a tracer adds per event (bench/run.sh hotpath).
 *
 *   hotloop syscall N BURSTS   N getppid() calls via syscall(2), per burst
 *   hotloop cswitch N BURSTS   N pipe round trips between two processes pinned to one CPU
 *   hotloop fault   MB BURSTS  touch MB MiB of fresh anonymous memory (4 KiB pages, no THP)
 *   hotloop open    N BURSTS   N openat(2) of one existing file, each closed again: the same
 *                              known path every time (HOTLOOP_OPEN_PATH, default
 *                              /dev/shm/ebpf-bench-open-known-path, created if missing)
 *   hotloop newopen N BURSTS   N openat(2) of paths that do not exist, each new (numbered, in
 *                              /dev/shm/ebpf-bench-open-new-<pid>/): every open a new key; a
 *                              tracer's map holds N * BURSTS of them or fills
 *
 * Each burst is timed with clock_gettime(CLOCK_MONOTONIC) and divided by the number of events
 * the kernel says happened (syscalls: N; context switches: the voluntary+involuntary switch
 * counters of both processes from /proc; faults: getrusage ru_minflt; opens: N). Prints one line:
 *   ns_per_event=<minimum over bursts> median=<median> max=<max> events=<per burst>
 * The minimum is the estimate: interference (preemption, vCPU steal, another tenant's cache
 * traffic) can only make a burst slower, so on a shared machine the least disturbed of many
 * short bursts is the closest to the undisturbed cost; it repeats within 1-2 % where the
 * median moves by 10 %. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* HOTLOOP_CLOCK=cpu: the thread's CPU time instead of the wall clock (time another task takes
 * of the CPU does not count; the tracer's programs run in our syscalls and do) */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long ctxt_switches(pid_t pid)
{
	char path[64], line[256];
	long total = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
			total += v;
	}
	fclose(f);
	return total;
}

static double burst_syscall(long n, long *events)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	*events = n;
	return now_ns() - t0;
}

static const char *open_path;

static void open_setup(void)
{
	int fd;

	open_path = getenv("HOTLOOP_OPEN_PATH");
	if (!open_path || !*open_path)
		open_path = "/dev/shm/ebpf-bench-open-known-path";
	fd = open(open_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(open_path);
		exit(1);
	}
	close(fd);
}

/* openat(2) directly (no libc wrapper differences); the close is untraced by an open tracer */
static double burst_open(long n, long *events)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, open_path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			perror(open_path);
			exit(1);
		}
		syscall(SYS_close, fd);
	}
	*events = n;
	return now_ns() - t0;
}

/* The paths are made before the burst is timed. */
static double burst_newopen(long n, long *events)
{
	static unsigned long next;
	static char(*paths)[64];
	static long cap;
	double t0, t;

	if (n > cap) {
		free(paths);
		paths = malloc((size_t)n * sizeof(*paths));
		if (!paths) {
			perror("malloc");
			exit(1);
		}
		cap = n;
	}
	for (long i = 0; i < n; i++)
		snprintf(paths[i], sizeof(paths[i]), "/dev/shm/ebpf-bench-open-new-%d/%lu",
			 (int)getpid(), next++);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, paths[i], O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			syscall(SYS_close, fd);
	}
	t = now_ns() - t0;
	*events = n;
	return t;
}

/* Parent and child share CPU `cpu`; each round trip is two switches between them. */
static int to_child[2], to_parent[2];
static pid_t child = -1;

static void cswitch_setup(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
	if (pipe(to_child) || pipe(to_parent)) {
		perror("pipe");
		exit(1);
	}
	child = fork();
	if (child == 0) {
		char c;

		close(to_child[1]);
		close(to_parent[0]);

		while (read(to_child[0], &c, 1) == 1)
			if (write(to_parent[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
}

static double burst_cswitch(long n, long *events)
{
	long s0 = ctxt_switches(getpid()) + ctxt_switches(child), s1;
	double t0 = now_ns(), t;
	char c = 'x';

	for (long i = 0; i < n; i++) {
		if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) {
			perror("pipe round trip");
			exit(1);
		}
	}
	t = now_ns() - t0;
	s1 = ctxt_switches(getpid()) + ctxt_switches(child);
	*events = s1 - s0;
	return t;
}

static double burst_fault(long mb, long *events)
{
	size_t len = (size_t)mb << 20;
	struct rusage r0, r1;
	double t0, t;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_ns();
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	t = now_ns() - t0;
	getrusage(RUSAGE_SELF, &r1);
	munmap(p, len);
	*events = r1.ru_minflt - r0.ru_minflt;
	return t;
}

int main(int argc, char **argv)
{
	double (*burst)(long, long *);
	long n, bursts, events = 0;
	double *v;

	if (argc != 4) {
		fprintf(stderr, "usage: %s syscall|cswitch|fault|open|newopen N BURSTS\n", argv[0]);
		return 2;
	}
	n = atol(argv[2]);
	bursts = atol(argv[3]);
	if (getenv("HOTLOOP_CLOCK") && !strcmp(getenv("HOTLOOP_CLOCK"), "cpu"))
		clock_id = CLOCK_THREAD_CPUTIME_ID;
	if (n <= 0 || bursts <= 0)
		return 2;
	if (!strcmp(argv[1], "syscall")) {
		burst = burst_syscall;
	} else if (!strcmp(argv[1], "cswitch")) {
		burst = burst_cswitch;
		cswitch_setup(sched_getcpu());
	} else if (!strcmp(argv[1], "fault")) {
		burst = burst_fault;
	} else if (!strcmp(argv[1], "open")) {
		burst = burst_open;
		open_setup();
	} else if (!strcmp(argv[1], "newopen")) {
		burst = burst_newopen;
	} else {
		fprintf(stderr, "unknown loop %s\n", argv[1]);
		return 2;
	}
	v = calloc(bursts, sizeof(*v));
	burst(n / 10 + 1, &events); /* warm up */
	for (long b = 0; b < bursts; b++) {
		double t = burst(n, &events);

		v[b] = events > 0 ? t / events : 0;
	}
	if (child > 0) {
		close(to_child[1]);
		waitpid(child, NULL, 0);
	}
	qsort(v, bursts, sizeof(*v), cmp_double);
	printf("ns_per_event=%.2f median=%.2f max=%.2f events=%ld\n", v[0], v[bursts / 2],
	       v[bursts - 1], events);
	return 0;
}
