/* main.c - ebpf-monitor-analyze's command line: parses options into analyze_opts/split_opts and
 * runs the report or the split command. Nothing else. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "analyze/report.h"

static void usage(FILE *f)
{
	fputs("Usage: ebpf-monitor-analyze [OPTIONS] [FILE...]\n"
	      "       ebpf-monitor-analyze split [OPTIONS] [FILE...]\n"
	      "\n"
	      "Reports on ebpf-monitor's CSV files: totals, top-N rankings with share and\n"
	      "cumulative %, per-type breakdowns, a text report per type and an HTML report.\n"
	      "Without FILE, reads <input>/<type>_<YYYYMMDD_HHMMSS>.csv for the period.\n"
	      "\n"
	      "  -d, --date YYYYMMDD     the local day to report on\n"
	      "      --from WHEN         start of the period (YYYYMMDD, YYYY-MM-DD[ HH:MM[:SS]],\n"
	      "      --to WHEN             YYYYMMDD_HHMMSS or epoch seconds); a day given to --to\n"
	      "                            is included whole. Default: all data\n"
	      "  -t, --type TYPE[,TYPE]  exec, func, syscall, bio, open, interrupt, page_fault,\n"
	      "                            context_switch or all (default all)\n"
	      "  -i, --input DIR         where the CSV files are (default output)\n"
	      "  -H, --hostname NAME     read DIR/NAME (files gathered per server); reports go to\n"
	      "                            REPORTS/NAME\n"
	      "  -r, --reports-dir DIR   text reports as DIR/<type>_<period>.txt (default reports)\n"
	      "      --no-reports        write no report files\n"
	      "  -n, --top N             rows per ranking (default 10)\n"
	      "      --html FILE         also write one self-contained HTML report\n"
	      "      --delimiter C       field separator (default ','; 'tab' for a tab)\n"
	      "      --max-keys N        distinct keys (processes, files...) kept per table; past\n"
	      "                            it the lightest half goes to \"(other)\" (default 20000)\n"
	      "  -q, --quiet             print no report on stdout\n"
	      "  -h, --help              this text\n"
	      "  -V, --version           the version\n"
	      "\n"
	      "split: cuts CSV files (default: every monitor file in --input) into one file per\n"
	      "local day, <type>_<YYYYMMDD>_<HHMMSS of its first row>.csv, streaming.\n"
	      "  -i, --input DIR         (default output)\n"
	      "  -o, --output DIR        (default <input>/by-day)\n"
	      "      --delimiter C, --force (overwrite existing output files), -q, --quiet\n"
	      "\n"
	      "Exit status: 0 done; 1 an input or output file could not be read or written;\n"
	      "2 bad command line; 3 no input files for the type(s) and period.\n",
	      f);
}

static int parse_delim(const char *s, char *ret)
{
	if (!strcmp(s, "tab") || !strcmp(s, "\\t")) {
		*ret = '\t';
		return 0;
	}
	if (strlen(s) != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r') {
		fprintf(stderr,
			"ebpf-monitor-analyze: --delimiter wants one character (not a quote "
			"or line end), or 'tab': %s\n",
			s);
		return -1;
	}
	*ret = s[0];
	return 0;
}

static int parse_size(const char *opt, const char *s, size_t min, size_t *ret)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (!*s || *end || s[0] == '-' || v < min || v > 100000000ull) {
		fprintf(stderr, "ebpf-monitor-analyze: %s wants a number from %zu: %s\n", opt, min,
			s);
		return -1;
	}
	*ret = (size_t)v;
	return 0;
}

static int parse_types(const char *s, unsigned *ret)
{
	char buf[256], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	*ret = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct report_type *t;

		if (!strcmp(tok, "all")) {
			for (size_t i = 0; report_types[i]; i++)
				*ret |= 1u << i;
			continue;
		}
		t = report_type_find(tok);
		if (!t)
			goto bad;
		*ret |= 1u << report_type_index(t);
	}
	if (*ret)
		return 0;
bad:
	fprintf(stderr,
		"ebpf-monitor-analyze: --type wants exec, func, syscall, bio, open, interrupt, "
		"page_fault, context_switch or all: %s\n",
		s);
	return -1;
}

static int main_split(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "delimiter", required_argument, NULL, 'D' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct split_opts o = { .input_dir = "output", .delim = ',' };
	int c;

	while ((c = getopt_long(argc, argv, "i:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.input_dir = optarg;
			break;
		case 'o':
			o.output_dir = optarg;
			break;
		case 'D':
			if (parse_delim(optarg, &o.delim) < 0)
				return ANALYZE_EXIT_USAGE;
			break;
		case 'f':
			o.force = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return ANALYZE_EXIT_OK;
		default:
			usage(stderr);
			return ANALYZE_EXIT_USAGE;
		}
	}
	o.files = argv + optind;
	o.nfiles = (size_t)(argc - optind);
	return split_run(&o);
}

enum { OPT_FROM = 256, OPT_TO, OPT_HTML, OPT_DELIM, OPT_MAX_KEYS, OPT_NO_REPORTS };

/* One option of the report command into o (and the period's words): -1 to go on, else the
 * exit status. */
static int main_opt(int c, struct analyze_opts *o, const char **date, const char **from,
		    const char **to)
{
	switch (c) {
	case 'd':
		*date = optarg;
		break;
	case OPT_FROM:
		*from = optarg;
		break;
	case OPT_TO:
		*to = optarg;
		break;
	case 't':
		if (parse_types(optarg, &o->types) < 0)
			return ANALYZE_EXIT_USAGE;
		o->types_explicit = strcmp(optarg, "all") != 0;
		break;
	case 'i':
		o->input_dir = optarg;
		break;
	case 'H':
		if (!*optarg || strchr(optarg, '/') || !strcmp(optarg, "..") ||
		    !strcmp(optarg, ".")) {
			fprintf(stderr,
				"ebpf-monitor-analyze: --hostname wants a directory "
				"name, without '/': %s\n",
				optarg);
			return ANALYZE_EXIT_USAGE;
		}
		o->hostname = optarg;
		break;
	case 'r':
		o->reports_dir = optarg;
		break;
	case OPT_NO_REPORTS:
		o->reports_dir = NULL;
		break;
	case 'n':
		if (parse_size("--top", optarg, 1, &o->top) < 0)
			return ANALYZE_EXIT_USAGE;
		break;
	case OPT_HTML:
		o->html_path = optarg;
		break;
	case OPT_DELIM:
		if (parse_delim(optarg, &o->delim) < 0)
			return ANALYZE_EXIT_USAGE;
		break;
	case OPT_MAX_KEYS:
		if (parse_size("--max-keys", optarg, 1, &o->max_keys) < 0)
			return ANALYZE_EXIT_USAGE;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'h':
		usage(stdout);
		return ANALYZE_EXIT_OK;
	case 'V':
		printf("ebpf-monitor-analyze %s\n", EM_VERSION);
		return ANALYZE_EXIT_OK;
	default:
		usage(stderr);
		return ANALYZE_EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "type", required_argument, NULL, 't' },
		{ "input", required_argument, NULL, 'i' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "reports-dir", required_argument, NULL, 'r' },
		{ "no-reports", no_argument, NULL, OPT_NO_REPORTS },
		{ "top", required_argument, NULL, 'n' },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "delimiter", required_argument, NULL, OPT_DELIM },
		{ "max-keys", required_argument, NULL, OPT_MAX_KEYS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct analyze_opts o = {
		.input_dir = "output",
		.reports_dir = "reports",
		.top = ANALYZE_DEFAULT_TOP,
		.max_keys = ANALYZE_DEFAULT_MAX_KEYS,
		.delim = ',',
	};
	const char *date = NULL, *from = NULL, *to = NULL, *bad;
	int c;

	if (argc > 1 && !strcmp(argv[1], "split"))
		return main_split(argc - 1, argv + 1);
	for (size_t i = 0; report_types[i]; i++)
		o.types |= 1u << i;
	while ((c = getopt_long(argc, argv, "d:t:i:H:r:n:qhV", longopts, NULL)) != -1) {
		int rc = main_opt(c, &o, &date, &from, &to);

		if (rc >= 0)
			return rc;
	}
	if (date && (from || to)) {
		fprintf(stderr,
			"ebpf-monitor-analyze: --date and --from/--to exclude each other\n");
		return ANALYZE_EXIT_USAGE;
	}
	if (period_parse(date, from, to, &o.period, &bad) < 0) {
		fprintf(stderr,
			"ebpf-monitor-analyze: not a date or time (or --to before --from): %s "
			"(e.g. 20251121, 2025-11-21 14:30, 1732176700)\n",
			bad);
		return ANALYZE_EXIT_USAGE;
	}
	o.files = argv + optind;
	o.nfiles = (size_t)(argc - optind);
	return analyze_run(&o);
}
