/* loop.h - the event loop: one thread, epoll over the perf buffers, timerfds and a signalfd.
 * SIGTERM/SIGINT stop it (everything flushed by the runtime's shutdown afterwards); SIGHUP
 * reopens the log and output files and reloads the configuration. */
#ifndef EM_LOOP_H
#define EM_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/cli.h"
#include "core/config.h"
#include "app/runtime.h"

struct app_loop {
	struct runtime *rt;
	const struct cli_options *opt;
	const struct monitor_schema *schemas;
	size_t nschemas;
	int sigfd, flush_fd, tick_fd, stop_fd, poll_fd;
	bool stopping;
	time_t started;
	char base_dir[4096]; /* where we started: relative config paths resolve against it */
};

/* Blocks SIGINT, SIGTERM and SIGHUP (read from the loop's signalfd, never delivered) and ignores
 * SIGPIPE. Before the first monitor starts. */
void app_loop_block_signals(void);
/* No descriptors yet; started = now; base_dir is left as it is. */
void app_loop_init(struct app_loop *l, struct runtime *rt, const struct cli_options *opt,
		   const struct monitor_schema *schemas, size_t nschemas);
/* The epoll set, signalfd and timers (a stop timer when duration > 0), and every started
 * monitor's descriptors. 0 or -errno (errno set). */
int app_loop_setup(struct app_loop *l, double duration);
/* The once-a-second work: sinks' ticks, loss checks, output health, the status file. */
void app_loop_tick(struct app_loop *l);
/* Until a stop signal or --duration. 0, or -errno when epoll_wait fails (logged). */
int app_loop_run(struct app_loop *l);

#endif
