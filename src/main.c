/* main.c - ebpf-monitor's entry point: the arguments, then app_run() (src/app/run.c). */
#include <stdio.h>

#include "core/cli.h"
#include "app/run.h"

int main(int argc, char **argv)
{
	struct cli_options opt;
	char err[1024];

	if (cli_parse(argc, argv, &opt, err, sizeof(err))) {
		fprintf(stderr, "ebpf-monitor: %s\n", err);
		return EXIT_USAGE;
	}
	return app_run(&opt);
}
