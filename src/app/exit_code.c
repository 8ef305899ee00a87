/* exit_code.c - failures to the documented exit codes. */
#include "app/exit_code.h"

#include <errno.h>

#include "core/cli.h"

int app_exit_code(enum app_step step, int err)
{
	if (!err)
		return EXIT_OK;
	switch (step) {
	case APP_STEP_CONFIG:
		return EXIT_USAGE;
	case APP_STEP_SUPPORT:
		return err == -ENOMEM ? EXIT_RUNTIME : EXIT_NOPRIV;
	case APP_STEP_DIRS:
	case APP_STEP_OUTPUT:
		return EXIT_OUTPUT;
	case APP_STEP_PIDFILE:
		if (err == -EEXIST)
			return EXIT_RUNNING;
		return err == -ELOOP || err == -EPERM ? EXIT_OUTPUT : EXIT_RUNTIME;
	case APP_STEP_WEBCFG:
		if (err == -EPERM)
			return EXIT_OUTPUT;
		return err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	case APP_STEP_RUN:
		break;
	}
	return EXIT_RUNTIME;
}
