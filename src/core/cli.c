/* cli.c - parses the command line; no side effects beyond filling struct cli_options. */
#include "core/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_DURATION = 256,
	OPT_CHECK,
	OPT_DAEMON_STATUS,
	OPT_DAEMON_STOP,
	OPT_COMM,
	OPT_UNIT,
	OPT_CONTAINER,
	OPT_FORMAT,
	OPT_TOP,
	OPT_SORT,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "monitors", required_argument, NULL, 'm' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "daemon", no_argument, NULL, 'd' },
	{ "daemon-status", no_argument, NULL, OPT_DAEMON_STATUS },
	{ "daemon-stop", no_argument, NULL, OPT_DAEMON_STOP },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "pid", required_argument, NULL, 'p' },
	{ "uid", required_argument, NULL, 'u' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "top", no_argument, NULL, OPT_TOP },
	{ "sort", required_argument, NULL, OPT_SORT },
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
		return -EINVAL;
	}
	o->action = a;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A user name as the system knows it (files, LDAP...), as a decimal UID in ret_buf. */
static int resolve_user(const char *name, char *ret_buf, size_t len)
{
	struct passwd pw, *found = NULL;
	size_t size = 1024;
	char *buf = NULL;
	int r;

	for (;;) {
		char *nbuf = realloc(buf, size);

		if (!nbuf) {
			r = ENOMEM;
			break;
		}
		buf = nbuf;
		r = getpwnam_r(name, &pw, buf, size, &found);
		if (r != ERANGE || size >= 1 << 20)
			break;
		size *= 2;
	}
	if (!r && found)
		snprintf(ret_buf, len, "%u", (unsigned)pw.pw_uid);
	free(buf);
	if (r)
		return -r;
	return found ? 0 : -ENOENT;
}

/* --format csv,jsonl: replaces output.format (the last --format wins). */
static int parse_formats(const char *arg, unsigned *ret, char *err, size_t errlen)
{
	char *copy = strdup(arg);
	const char *names[8];
	unsigned formats = 0;
	int n;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n = cli_split_list(copy, names, 8);
	for (int i = 0; i < n; i++) {
		unsigned bit = config_format_bit(names[i]);

		if (!bit) {
			snprintf(
				err, errlen,
				"--format: unknown format '%s' (expected csv, jsonl or jsonl-stdout, "
				"comma-separated)",
				names[i]);
			free(copy);
			return -EINVAL;
		}
		formats |= bit;
	}
	free(copy);
	if (n <= 0) {
		snprintf(
			err, errlen,
			"--format expects a comma-separated list of csv, jsonl, jsonl-stdout, got '%s'",
			arg);
		return -EINVAL;
	}
	*ret = formats;
	return 0;
}

/* One -p, -u, --comm, --unit or --container argument: comma-separated values added to the filter
 * list `key`. Task names are taken as given (they may hold spaces); the others are trimmed. */
static int add_filter_values(struct filter_cfg *f, const char *flag, const char *key,
			     const char *arg, char *err, size_t errlen)
{
	bool trim = strcmp(key, "comms") != 0;
	char *copy = strdup(arg), *item, *next, why[320], uid[16];
	int r = 0;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (item = copy; item && !r; item = next) {
		const char *value;

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (trim) {
			while (*item == ' ')
				item++;
			for (char *e = item + strlen(item); e > item && e[-1] == ' ';)
				*--e = '\0';
		}
		value = item;
		if (!*value) {
			snprintf(err, errlen,
				 "%s expects a comma-separated list without empty "
				 "entries, got '%s'",
				 flag, arg);
			r = -EINVAL;
			break;
		}
		if (!strcmp(key, "uids") && !all_digits(value)) {
			int e = resolve_user(value, uid, sizeof(uid));

			if (e == -ENOENT) {
				snprintf(err, errlen,
					 "%s: no user named '%s' (give a user name or "
					 "a numeric UID)",
					 flag, value);
				r = -EINVAL;
				break;
			}
			if (e) {
				snprintf(err, errlen, "%s: cannot look up user '%s': %s", flag,
					 value, strerror(-e));
				r = e;
				break;
			}
			value = uid;
		}
		r = config_filter_add(f, key, value, why, sizeof(why));
		if (r)
			snprintf(err, errlen, "%s: %s", flag, why);
	}
	free(copy);
	return r;
}

int cli_parse(int argc, char **argv, struct cli_options *ret, char *err, size_t errlen)
{
	struct cli_options o = { .action = CLI_RUN };
	char *end;
	int c, r;

	optind = 1;
	opterr = 0; /* we print our own, single message */
	while ((c = getopt_long(argc, argv, ":c:m:p:u:vdVh", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!*optarg) {
				snprintf(err, errlen, "--config needs a file path");
				return -EINVAL;
			}
			o.config_path = optarg;
			break;
		case 'm':
			o.monitors = optarg;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'p':
			r = add_filter_values(&o.filters, "--pid", "pids", optarg, err, errlen);
			if (r)
				return r;
			break;
		case 'u':
			r = add_filter_values(&o.filters, "--uid", "uids", optarg, err, errlen);
			if (r)
				return r;
			break;
		case OPT_COMM:
			r = add_filter_values(&o.filters, "--comm", "comms", optarg, err, errlen);
			if (r)
				return r;
			break;
		case OPT_UNIT:
			r = add_filter_values(&o.filters, "--unit", "units", optarg, err, errlen);
			if (r)
				return r;
			break;
		case OPT_CONTAINER:
			r = add_filter_values(&o.filters, "--container", "containers", optarg, err,
					      errlen);
			if (r)
				return r;
			break;
		case 'd':
			o.daemon = true;
			break;
		case OPT_FORMAT:
			r = parse_formats(optarg, &o.formats, err, errlen);
			if (r)
				return r;
			break;
		case OPT_TOP:
			o.top = true;
			break;
		case OPT_SORT:
			if (!*optarg) {
				snprintf(err, errlen,
					 "--sort needs a column name (e.g. --sort count)");
				return -EINVAL;
			}
			o.sort = optarg;
			break;
		case OPT_DURATION:
			errno = 0;
			o.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o.duration) ||
			    o.duration <= 0) {
				snprintf(err, errlen,
					 "--duration expects a positive number of seconds, got '%s'",
					 optarg);
				return -EINVAL;
			}
			break;
		case OPT_CHECK:
			r = set_action(&o, CLI_CHECK, "--check", err, errlen);
			if (r)
				return r;
			break;
		case OPT_DAEMON_STATUS:
			r = set_action(&o, CLI_DAEMON_STATUS, "--daemon-status", err, errlen);
			if (r)
				return r;
			break;
		case OPT_DAEMON_STOP:
			r = set_action(&o, CLI_DAEMON_STOP, "--daemon-stop", err, errlen);
			if (r)
				return r;
			break;
		case 'V':
			o.action = CLI_VERSION;
			break;
		case 'h':
			o.action = CLI_HELP;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(err, errlen, "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (o.sort && !o.top) {
		snprintf(err, errlen, "--sort orders the --top view: add --top");
		return -EINVAL;
	}
	if (o.top && o.daemon) {
		snprintf(err, errlen,
			 "--top is a view for a terminal and --daemon has none: use one of them");
		return -EINVAL;
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
		return -EINVAL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		for (char *e = t + strlen(t); e > t && e[-1] == ' ';)
			*--e = '\0';
		if (!*t || n == max)
			return -EINVAL;
		names[n++] = t;
	}
	return n;
}
