/* main.c - ebpf-monitor's entry point: the arguments, then app_run() (src/app/run.c). */
#include <stdio.h>

#include "core/cli.h"
#include "app/exit_code.h"
#include "app/run.h"

int main(int argc, char **argv)
{
	struct cli_options opt;
	char err[1024];
	int r = cli_parse(argc, argv, &opt, err, sizeof(err));

	if (r) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		return app_exit_code(APP_STEP_CONFIG, r);
	}
	return app_run(&opt);
}
