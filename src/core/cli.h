/* cli.h - command-line options (getopt_long) and the documented exit codes. */
#ifndef EM_CLI_H
#define EM_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,    /* failure while running (BPF load, I/O) */
	EXIT_USAGE = 2,      /* bad flag, bad config, unknown monitor */
	EXIT_NOPRIV = 3,     /* not root, or the kernel lacks what is needed */
	EXIT_RUNNING = 4,    /* another instance holds the PID file */
	EXIT_OUTPUT = 5,     /* output directory unusable: read-only, not writable, unsafe */
};

enum cli_action {
	CLI_RUN,
	CLI_HELP,
	CLI_VERSION,
	CLI_CHECK,
	CLI_DAEMON_STATUS,
	CLI_DAEMON_STOP,
};

struct cli_options {
	enum cli_action action;
	const char *config_path; /* NULL: search the default locations */
	const char *monitors;    /* "-m exec,func" as given; NULL: the config's enabled ones */
	bool verbose;
	bool daemon;
	double duration;         /* seconds; 0 = until signalled */
	/* -p/--pid, -u/--uid, --comm, validated as in the config and de-duplicated: only pids,
	 * uids and comms are used; an empty list means the flag was not given. */
	struct filter_cfg filters;
	unsigned formats; /* --format: OUTPUT_* bits; 0 = not given (the config's) */
	bool top;	  /* --top: the full-screen view of one aggregating monitor */
	const char *sort; /* --sort: its column to sort by; NULL: count */
};

/* Parses argv. Returns 0, or -errno (-EINVAL; -ENOMEM; a user look-up's error) with a one-line
 * message in err (exit code EXIT_USAGE). */
int cli_parse(int argc, char **argv, struct cli_options *ret, char *err, size_t errlen);

/* Splits "a,b" into names; returns the count or -EINVAL (empty name, too many). The names
 * point into buf, which is modified. */
int cli_split_list(char *buf, const char **names, int max);

#endif
