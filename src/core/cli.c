/* cli.c - parses the command line; no side effects beyond filling struct cli_options. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_DURATION = 256, OPT_CHECK, OPT_DAEMON_STATUS, OPT_DAEMON_STOP };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "monitors", required_argument, NULL, 'm' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "daemon", no_argument, NULL, 'd' },
	{ "daemon-status", no_argument, NULL, OPT_DAEMON_STATUS },
	{ "daemon-stop", no_argument, NULL, OPT_DAEMON_STOP },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int set_action(struct cli_options *o, enum cli_action a, const char *flag, char *err,
		      size_t errlen)
{
	if (o->action != CLI_RUN && o->action != a) {
		snprintf(err, errlen, "%s cannot be combined with another action flag", flag);
		return -1;
	}
	o->action = a;
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_options *ret, char *err, size_t errlen)
{
	struct cli_options o = { .action = CLI_RUN };
	char *end;
	int c;

	optind = 1;
	opterr = 0; /* we print our own, single message */
	while ((c = getopt_long(argc, argv, ":c:m:vdVh", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!*optarg) {
				snprintf(err, errlen, "--config needs a file path");
				return -1;
			}
			o.config_path = optarg;
			break;
		case 'm':
			o.monitors = optarg;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'd':
			o.daemon = true;
			break;
		case OPT_DURATION:
			errno = 0;
			o.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o.duration) ||
			    o.duration <= 0) {
				snprintf(err, errlen,
					 "--duration expects a positive number of seconds, got '%s'",
					 optarg);
				return -1;
			}
			break;
		case OPT_CHECK:
			if (set_action(&o, CLI_CHECK, "--check", err, errlen))
				return -1;
			break;
		case OPT_DAEMON_STATUS:
			if (set_action(&o, CLI_DAEMON_STATUS, "--daemon-status", err, errlen))
				return -1;
			break;
		case OPT_DAEMON_STOP:
			if (set_action(&o, CLI_DAEMON_STOP, "--daemon-stop", err, errlen))
				return -1;
			break;
		case 'V':
			o.action = CLI_VERSION;
			break;
		case 'h':
			o.action = CLI_HELP;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(err, errlen, "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	/* --help and --version win over everything else, as users expect. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			o.action = CLI_HELP;
	}
	*ret = o;
	return 0;
}

int cli_split_list(char *buf, const char **names, int max)
{
	int n = 0;
	char *save = NULL;

	/* strtok_r would silently skip empty names ("exec,,func"); reject them instead. */
	if (!*buf || buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return -1;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		for (char *e = t + strlen(t); e > t && e[-1] == ' ';)
			*--e = '\0';
		if (!*t || n == max)
			return -1;
		names[n++] = t;
	}
	return n;
}
