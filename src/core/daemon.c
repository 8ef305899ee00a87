/* daemon.c - PID file, detaching, status file and the --daemon-status/--daemon-stop commands. */
#include "core/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/io.h"

static int parent_dir_create(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return io_mkdir_p(dir, 0750);
}

static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;
	char *end;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || pid > INT_MAX)
		return 0;
	return (pid_t)pid;
}

int pidfile_write(struct pidfile *p, pid_t pid)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

	if (ftruncate(p->fd, 0) < 0)
		return -errno;
	return pwrite(p->fd, buf, (size_t)n, 0) == n ? 0 : -EIO;
}

int pidfile_acquire(const char *path, struct pidfile *ret, pid_t *ret_pid, char *err,
		    size_t errlen)
{
	int fd, r;

	ret->fd = -1;
	*ret_pid = 0;
	r = parent_dir_create(path);
	if (r) {
		snprintf(err, errlen, "PID file %s: cannot create its directory: %s", path,
			 strerror(-r));
		return r;
	}
	/* O_NOFOLLOW: a link planted in the PID directory must not redirect our writes. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "PID file %s: %s%s", path, strerror(errno),
			 errno == ELOOP ? " (it is a symbolic link: remove it)" : "");
		return r;
	}
	/* A hard link to another file, another user's file or a FIFO: never truncated or written. */
	r = io_file_check(fd);
	if (r) {
		snprintf(err, errlen,
			 "PID file %s is not a regular file of root's with a single link (planted?): "
			 "remove it",
			 path);
		close(fd);
		return r == -EINVAL ? -EPERM : r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		pid_t other = read_pid(fd);

		r = errno == EWOULDBLOCK ? -EEXIST : -errno;
		*ret_pid = other;
		if (r == -EEXIST)
			snprintf(err, errlen,
				 "already running (pid %d, PID file %s): stop it with "
				 "ebpf-monitor --daemon-stop, or use another app.pid_file",
				 (int)other, path);
		else
			snprintf(err, errlen, "PID file %s: flock: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	/* Locked: whatever pid was written there is gone (a crash or kill -9). */
	*ret_pid = read_pid(fd);
	ret->fd = fd;
	snprintf(ret->path, sizeof(ret->path), "%s", path);
	r = pidfile_write(ret, getpid());
	if (r) {
		snprintf(err, errlen, "PID file %s: write: %s", path, strerror(-r));
		pidfile_release(ret);
	}
	return r;
}

void pidfile_release(struct pidfile *p)
{
	char status[4200];

	if (!p || p->fd < 0)
		return;
	snprintf(status, sizeof(status), "%s.status", p->path);
	(void)unlink(status);
	(void)unlink(p->path);
	close(p->fd);
	p->fd = -1;
}

int daemon_detach(int *ret_notify_fd)
{
	int pipefd[2], devnull;
	unsigned char code = 1;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		/* The original process: report how the start went, then leave. */
		close(pipefd[1]);
		if (read(pipefd[0], &code, 1) != 1)
			code = 1; /* the daemon died before saying anything */
		(void)waitpid(pid, NULL, 0);
		_exit(code);
	}
	close(pipefd[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork(); /* not a session leader: can never reacquire a terminal */
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	umask(027);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	*ret_notify_fd = pipefd[1];
	return 0;
}

int daemon_status_write(const char *pidfile_path, const char *text)
{
	char path[4200], tmp[4210];
	size_t len = strlen(text);
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s.status", pidfile_path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (io_write_all(fd, text, len) != (ssize_t)len)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		(void)unlink(tmp);
	return r;
}

/* 1: the PID file is held by a live instance; 0: not; the pid found in *ret_pid. */
static int pidfile_held(const char *path, pid_t *ret_pid, bool *ret_exists)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int held;

	*ret_pid = 0;
	*ret_exists = fd >= 0;
	if (fd < 0)
		return 0;
	*ret_pid = read_pid(fd);
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static void print_duration(long s)
{
	if (s >= 86400)
		printf("%ldd %ldh %ldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		printf("%ldh %ldm %lds", s / 3600, s % 3600 / 60, s % 60);
	else if (s >= 60)
		printf("%ldm %lds", s / 60, s % 60);
	else
		printf("%lds", s);
}

/* The status file's overhead budget lines (src/app/overhead.c writes them), printed:
 *   budget=2  budget_own=syscall:1,...  overhead=1.640  overhead_self=0.020
 *   cost_source=kernel|estimate  sample_rates=syscall:16:1.637:2003123,... (N, % cost, events/s) */
struct budget_lines {
	double budget, overhead, self;
	char own[512], source[32], rates[1024];
	bool present;
};

static bool budget_line(struct budget_lines *b, char *line)
{
	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "budget=%lf", &b->budget) == 1)
		return b->present = true;
	if (sscanf(line, "overhead=%lf", &b->overhead) == 1 ||
	    sscanf(line, "overhead_self=%lf", &b->self) == 1)
		return true;
	if (!strncmp(line, "budget_own=", 11))
		return snprintf(b->own, sizeof(b->own), "%s", line + 11) >= 0;
	if (!strncmp(line, "cost_source=", 12))
		return snprintf(b->source, sizeof(b->source), "%s", line + 12) >= 0;
	if (!strncmp(line, "sample_rates=", 13))
		return snprintf(b->rates, sizeof(b->rates), "%s", line + 13) >= 0;
	return false;
}

static void print_budget(const struct budget_lines *b)
{
	char rates[sizeof(b->rates)], *save = NULL;
	const char *sep = " ";

	if (!b->present)
		return;
	printf("  overhead budget: ");
	if (b->budget > 0)
		printf("%g %% of one CPU for the whole monitor", b->budget);
	else
		printf("none for the whole monitor");
	if (b->own[0])
		printf("; own: %s", b->own);
	printf("\n  overhead now: %.3g %% of one CPU (the process itself %.3g %%), %s\n",
	       b->overhead, b->self,
	       strcmp(b->source, "kernel") ? "estimated from events per second" :
					     "by the kernel's BPF statistics");
	printf("  sampling:");
	snprintf(rates, sizeof(rates), "%s", b->rates);
	for (char *r = strtok_r(rates, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		char name[64];
		unsigned n;
		double cost, eps;

		if (sscanf(r, "%63[^:]:%u:%lf:%lf", name, &n, &cost, &eps) != 4)
			continue;
		if (n > 1)
			printf("%s%s 1 in %u (%.3g %%, %.0f events/s)", sep, name, n, cost, eps);
		else
			printf("%s%s every event (%.3g %%, %.0f events/s)", sep, name, cost, eps);
		sep = "; ";
	}
	printf("%s\n", b->rates[0] ? "" : " no monitor samples");
}

int daemon_status(const char *pidfile_path)
{
	char path[4200], line[1024], monitors[1024] = "?";
	struct budget_lines budget = { 0 };
	unsigned long long rows = 0, lost = 0, dropped = 0;
	long started = 0;
	int failing = 0;
	bool exists;
	pid_t pid;
	FILE *f;

	if (!pidfile_held(pidfile_path, &pid, &exists)) {
		if (exists) {
			printf("ebpf-monitor is not running, but its PID file %s exists (pid %d): "
			       "it died without cleaning up\n",
			       pidfile_path, (int)pid);
			return DAEMON_DEAD_PIDFILE;
		}
		printf("ebpf-monitor is not running (no PID file %s)\n", pidfile_path);
		return DAEMON_NOT_RUNNING;
	}
	snprintf(path, sizeof(path), "%s.status", pidfile_path);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "started=%ld", &started) == 1 ||
		    sscanf(line, "rows=%llu", &rows) == 1 ||
		    sscanf(line, "lost=%llu", &lost) == 1 ||
		    sscanf(line, "rows_dropped=%llu", &dropped) == 1 ||
		    sscanf(line, "output_failing=%d", &failing) == 1 || budget_line(&budget, line))
			continue;
		if (!strncmp(line, "monitors=", 9)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(monitors, sizeof(monitors), "%.1000s", line + 9);
		}
	}
	if (f)
		fclose(f);
	printf("ebpf-monitor is running (pid %d", (int)pid);
	if (started) {
		printf(", up ");
		print_duration((long)time(NULL) - started);
	}
	printf(")\n  monitors: %s\n  rows written: %llu\n  events lost: %llu\n", monitors, rows,
	       lost);
	if (dropped || failing)
		printf("  CSV rows dropped (output errors): %llu%s%s\n", dropped,
		       failing ? "; writing fails now: " : "", failing ? strerror(failing) : "");
	print_budget(&budget);
	return DAEMON_RUNNING;
}

int daemon_stop(const char *pidfile_path, double timeout_s)
{
	struct timespec step = { 0, 50 * 1000 * 1000 };
	bool exists;
	pid_t pid;

	if (!pidfile_held(pidfile_path, &pid, &exists) || pid <= 0) {
		printf("ebpf-monitor is not running%s\n",
		       exists ? " (a stale PID file is left: the next start replaces it)" : "");
		return 0;
	}
	if (kill(pid, SIGTERM) < 0) {
		printf("cannot signal pid %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	for (double waited = 0; waited < timeout_s; waited += 0.05) {
		pid_t now;

		if (!pidfile_held(pidfile_path, &now, &exists)) {
			printf("ebpf-monitor (pid %d) stopped cleanly: rows flushed\n", (int)pid);
			return 0;
		}
		nanosleep(&step, NULL);
	}
	(void)kill(pid, SIGKILL);
	printf("ebpf-monitor (pid %d) did not stop within %.0f s: killed with SIGKILL (rows not "
	       "yet flushed are lost)\n",
	       (int)pid, timeout_s);
	return 1;
}
