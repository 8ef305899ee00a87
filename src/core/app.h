/* app.h - startup decisions: config file lookup, monitor selection, logging from the config. */
#ifndef EM_APP_H
#define EM_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "config.h"

/* Defaults, then the explicit file, else ./config/monitor_config.yaml, else
 * /etc/ebpf-monitor/monitor_config.yaml, else built-in defaults. 0 or -errno + err. */
int app_load_config(struct config *cfg, const char *explicit_path,
		    const struct monitor_schema *schemas, size_t nschemas, char *err,
		    size_t errlen);

/* `-m` list (exactly those) or the config's enabled monitors. Returns the count or -errno. */
int app_select_monitors(struct config *cfg, const char *list, const struct monitor_schema *schemas,
			size_t nschemas, struct monitor_cfg **ret, size_t max, char *err,
			size_t errlen);

/* Console handler on stderr (when `console`), file handler under logging.directory. */
int app_setup_logging(const struct config *cfg, bool verbose, bool console, char *path_buf,
		      size_t path_len);

#endif
