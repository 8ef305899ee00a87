/* run.h - what ebpf-monitor does once its arguments are parsed. */
#ifndef EM_RUN_H
#define EM_RUN_H

#include "core/cli.h"

/* --help, --version, --daemon-status, --daemon-stop, --check, or the monitor itself: load and
 * check the configuration, select the monitors, take the PID file, daemonize, start them, run
 * the event loop until stopped, shut down. Returns the process's exit code (cli.h; the
 * daemon-status/stop actions return theirs, daemon.h). */
int app_run(const struct cli_options *opt);

#endif
