/* daemon.h - background mode: the PID file (created safely, held with flock), detaching from the
 * terminal, the status file the running daemon keeps, and --daemon-status / --daemon-stop. */
#ifndef EM_DAEMON_H
#define EM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* LSB init-script status codes, used by --daemon-status. */
enum daemon_status_code {
	DAEMON_RUNNING = 0,
	DAEMON_DEAD_PIDFILE = 1, /* the PID file exists, its process does not */
	DAEMON_NOT_RUNNING = 3,
};

struct pidfile {
	int fd;          /* open and flock()ed for as long as we run */
	char path[4096];
};

/* Creates (O_EXCL, O_NOFOLLOW, 0640) or takes over a stale PID file and locks it. Returns 0,
 * -EEXIST with *ret_pid set when another instance holds it, or -errno; err says what and how
 * to fix it. */
int pidfile_acquire(const char *path, struct pidfile *ret, pid_t *ret_pid, char *err,
		    size_t errlen);
/* Writes `pid` into the held file (after daemonizing, the pid changes). */
int pidfile_write(struct pidfile *p, pid_t pid);
/* Unlinks and closes; NULL-safe, idempotent. */
void pidfile_release(struct pidfile *p);

/* Double fork, setsid, stdio to /dev/null. Returns in the daemon with *ret_notify_fd set: write
 * one byte there once started (0 ok, else the exit code), then close it. The original process
 * waits for that byte and exits with it; it never returns. -errno on failure. */
int daemon_detach(int *ret_notify_fd);

/* The status file beside the PID file ("<pidfile>.status"), rewritten atomically each second:
 * key=value lines (pid, started, monitors, rows, lost). */
int daemon_status_write(const char *pidfile_path, const char *text);

/* --daemon-status: prints the state, returns enum daemon_status_code. */
int daemon_status(const char *pidfile_path);
/* --daemon-stop: SIGTERM, wait up to `timeout_s` for a clean exit, then SIGKILL; says which.
 * Returns 0 when stopped cleanly (or not running), 1 when it had to be killed. */
int daemon_stop(const char *pidfile_path, double timeout_s);

#endif
