/* check_report.h - --check: what this kernel supports and how each selected monitor would
 * attach, really compiled, loaded, attached and undone. */
#ifndef EM_CHECK_REPORT_H
#define EM_CHECK_REPORT_H

#include <stddef.h>

#include "core/config.h"

/* Prints the report on stdout. 0 when every selected monitor can run; -EPERM when not root
 * (the attach alternatives cannot be tried), -EOPNOTSUPP when probes cannot be compiled or
 * loaded at all or a monitor is unavailable, -ENOMEM. */
int app_check_report(struct monitor_cfg **sel, size_t nsel);

#endif
