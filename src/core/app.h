/* app.h - startup decisions: config file lookup, monitor selection, logging from the config. */
#ifndef EM_APP_H
#define EM_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cli.h"
#include "core/config.h"

/* Defaults, then the explicit file, else ./config/monitor_config.yaml, else
 * /etc/ebpf-monitor/monitor_config.yaml, else built-in defaults. 0 or -errno + err. */
int app_load_config(struct config *cfg, const char *explicit_path,
		    const struct monitor_schema *schemas, size_t nschemas, char *err,
		    size_t errlen);

/* `-m` list (exactly those) or the config's enabled monitors. Returns the count or -errno. */
int app_select_monitors(struct config *cfg, const char *list, const struct monitor_schema *schemas,
			size_t nschemas, struct monitor_cfg **ret, size_t max, char *err,
			size_t errlen);

/* The command line's -p, -u and --comm, where given, replace that key of the top-level filters
 * and of every monitor's effective filters, and --format replaces output.format: the command
 * line wins over the config. */
void app_apply_cli_filters(struct config *cfg, const struct cli_options *o);

/* One line for the startup log: "pids=123,456 uids=0 comms=bash exclude_comms=- exclude_self=yes",
 * or "none" when no list is set and exclude_self is on (the defaults). Control characters in task
 * names are shown as '?'. Returns 0, -EINVAL (NULL f or buf, or len 0) or -ENOSPC when buf is
 * too small (buf then holds the cut, NUL-terminated line; 4096 bytes always suffice). */
int app_describe_filters(const struct filter_cfg *f, char *buf, size_t len);

/* Console handler on stderr (when `console`), file handler under logging.directory. */
int app_setup_logging(const struct config *cfg, bool verbose, bool console, char *path_buf,
		      size_t path_len);

/* Relative output, log, PID file and config paths made absolute against `base`, the directory
 * the program started in (a daemon changes its directory to /, and a SIGHUP reload resolves the
 * new file's paths against the same place). */
int app_absolute_paths(struct config *cfg, const char *base);

/* Before anything is written: creates the output, log and PID file directories (0750) and
 * checks them with io_dir_check (no symbolic link or directory another user controls on the
 * way, no world-writable directory without the sticky bit). The output directory must also be
 * writable. Returns 0, or -errno with one message naming the key, the problem and the fix
 * (exit 5, EXIT_OUTPUT). A log directory that cannot be created is left to the logger (a
 * warning, logging goes on to stderr). Paths must be absolute (app_absolute_paths). */
int app_prepare_dirs(const struct config *cfg, char *err, size_t errlen);

#endif
