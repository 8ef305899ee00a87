/* config.h - the YAML configuration (the user guide's schema), parsed with libyaml and validated. */
#ifndef EM_CONFIG_H
#define EM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"

#define CONFIG_MAX_MONITORS 16

/* What config_load needs to know about one monitor: its name and its own keys.
 * Common keys (enabled, interval, attach) are handled by config.c for every monitor. */
struct monitor_schema {
	const char *name;
	const struct opt_spec *options; /* terminated by OPT_END; may be NULL */
	size_t options_size;            /* size of the struct the offsets point into */
	bool aggregating;               /* has an `interval` */
	const char *const *attach_choices; /* NULL-terminated, always includes "auto" */
	bool samples;			   /* samples under an overhead budget */
};

#define FILTER_MAX 64
/* The units, containers and cgroups lists: matched in user space against a task's cgroup (not in
 * the kernel's maps), and copied with every monitor's filter_cfg, so kept short. */
#define FILTER_CG_MAX 16
#define FILTER_UNIT_SIZE 256	 /* systemd's UNIT_NAME_MAX: 255 bytes and the NUL */
#define FILTER_CONTAINER_SIZE 65 /* 64 hex digits and the NUL */
#define FILTER_CGROUP_SIZE 256	 /* a path prefix of at most 255 bytes and the NUL */

/* overhead_budget (top level and per monitor): % of one CPU; 0 is none. */
#define CONFIG_BUDGET_MIN 0.1
#define CONFIG_BUDGET_MAX 10000

/* output.format (and --format): which row files/streams are written. */
#define OUTPUT_CSV 1u	       /* "csv": <monitor>_<time>.csv files */
#define OUTPUT_JSONL 2u	       /* "jsonl": <monitor>_<time>.jsonl files, same rotation */
#define OUTPUT_JSONL_STDOUT 4u /* "jsonl-stdout": JSON lines on stdout (no console table) */

/* Which tasks a monitor sees; applied in the kernel. Empty lists mean "no restriction". */
struct filter_cfg {
	unsigned pids[FILTER_MAX];   /* tgids */
	size_t npids;
	unsigned uids[FILTER_MAX];
	size_t nuids;
	char comms[FILTER_MAX][16];  /* exact task names (at most 15 bytes, as the kernel keeps) */
	size_t ncomms;
	char exclude_comms[FILTER_MAX][16];
	size_t nexclude_comms;
	/* by cgroup (core/cgroup.h: cg_filter_match), user space: */
	char units[FILTER_CG_MAX][FILTER_UNIT_SIZE]; /* exact "*.service" / "*.scope" names */
	size_t nunits;
	char containers[FILTER_CG_MAX][FILTER_CONTAINER_SIZE]; /* ids or prefixes of 4+ hex digits */
	size_t ncontainers;
	char cgroups[FILTER_CG_MAX][FILTER_CGROUP_SIZE]; /* path prefixes: "/", "/system.slice" */
	size_t ncgroups;
	bool exclude_self;           /* default true: the monitor does not measure itself */
};

struct monitor_cfg {
	const char *name;      /* points into the schema */
	struct filter_cfg filters; /* effective: top-level `filters:` overridden key by key by the
				      monitor's own `filters:` */
	const struct monitor_schema *schema; /* what opts was built from; config_free needs it */
	bool present;          /* a section existed in the file */
	bool enabled;          /* default true when present, false when absent from a file */
	double interval;       /* seconds, default 2 */
	char *attach;          /* "auto" default */
	double overhead_budget; /* its own, % of one CPU; 0: none (only monitors that sample) */
	bool sampling;		/* a budget applies (its own or the top-level one) and the
				  monitor samples: its probe is built to sample, rows get
				  sample_rate */
	/* attribution (the top-level `attribution:`): bit i is config_attrib_columns[i]; 0 when
	 * it is off */
	unsigned attrib_columns;
	int attrib_hierarchy;  /* enum cg_hierarchy (core/cgroup.h) */
	long long attrib_max;  /* processes the kernel keeps a class for */
	void *opts;            /* options_size bytes, filled from the schema (defaults first); a
				  list or boolean map in the file replaces the default one */
	struct src_pos pos;    /* where the section started */
};

struct log_formatter_cfg {
	char *name;
	char *format;
	char *datefmt; /* NULL: Python's default "%Y-%m-%d %H:%M:%S,mmm" */
};

struct log_handler_cfg {
	bool present;
	char *formatter;  /* name of a formatter */
	char *level;      /* NULL: inherit logging.level */
	char *stream;     /* console: ext://sys.stdout | ext://sys.stderr (stdout is mapped to stderr,
			     because stdout carries the console table) */
	char *filename;   /* file: relative names go under logging.directory */
	char *when;       /* file: S, M, H, D, MIDNIGHT */
	long long interval;
	long long backup_count;
};

struct config {
	char *path;        /* NULL when built-in defaults are used */

	struct {
		char *name, *version, *description, *author, *email;
		char *environment; /* development | production */
		bool debug;
		char *pid_file;    /* default "temp/monitor.pid" */
	} app;

	struct {
		char *level;       /* DEBUG INFO WARNING ERROR (also CRITICAL, WARN) */
		char *directory;   /* default "logs" */
		struct log_formatter_cfg formatters[8];
		size_t nformatters;
		struct log_handler_cfg console, file;
	} logging;

	struct {
		char *directory;        /* default "output" */
		long long buffer_size;  /* rows, default 2000, 1..1000000 */
		double flush_interval;  /* seconds, default 2.0, 0.1..3600 */
		char csv_delimiter;     /* default ',' ; one printable ASCII char, not '"', CR, LF */
		bool include_header;    /* default true */
		bool csv_formula_guard; /* default false: text cells starting with = + - @ TAB CR
					 * are written with a leading ' (spreadsheet safety) */
		long long retention_days; /* default 0 = keep forever */
		long long batch_size;   /* accepted for the guide's tuning example; unused */
		unsigned formats;	/* OUTPUT_* bits, default OUTPUT_CSV (output.format) */
		struct {
			bool enabled;		    /* default false */
			char *listen;		    /* default "127.0.0.1:9435" */
			char *path;		    /* default "/metrics" */
			long long max_label_values; /* per label per monitor, default 100 */
			long long max_series;	    /* per metric, default 10000 */
			char *web_config_file;	    /* TLS and basic auth (exporter-toolkit
						     * format, src/output/webcfg.h); NULL: none */
			bool basic_auth_over_http;  /* basic_auth_users without TLS, default false */
		} prometheus;
	} output;

	/* `attribution:`: cgroup, systemd unit, container and pod on every row
	 * (src/monitors/attrib.h); copied into each monitor_cfg's attrib_* fields */
	struct {
		bool enabled;		 /* default false */
		struct strlist columns;	 /* names from config_attrib_columns, default all */
		char *hierarchy;	 /* "auto" (default), "systemd" or "unified" */
		long long max_processes; /* em_who_of's entries, default 32768 */
	} attribution;

	struct filter_cfg filters; /* top-level `filters:` (already merged into each monitor) */
	double overhead_budget;	   /* top-level, % of one CPU for everything; 0: none */

	struct monitor_cfg monitors[CONFIG_MAX_MONITORS]; /* one per schema, same order */
	size_t nmonitors;
	/* Sections for monitors the guide documents but this build lacks: loaded, not used. */
	const char *ignored_monitors[CONFIG_MAX_MONITORS];
	size_t nignored;
};

struct config_error {
	char msg[512]; /* "config/monitor_config.yaml:12:14: monitors.exec.enabled: expected true or false, got 'yes please'" */
};

/* Fills cfg with the guide's defaults (every schema monitor enabled). cfg is overwritten, not
 * freed. Returns 0, -ENOMEM, or -EINVAL (more than CONFIG_MAX_MONITORS schemas, or a `def` text
 * its option rejects). */
int config_defaults(struct config *cfg, const struct monitor_schema *schemas, size_t nschemas);

/* Parses and validates `path` on top of the defaults. cfg is zeroed or from config_defaults()
 * (a zeroed cfg gets the defaults first). Returns 0, or -errno with err filled: -EINVAL for a
 * document that is not valid (syntax errors and type/range errors alike, with file:line:column
 * of the offending value, and the key) or a schema the defaults reject; -EFBIG for a file over
 * 1 MiB; the errno of a failed open or read (-ENOENT, -EACCES, -EISDIR...); -ENOMEM.
 * Warnings (unknown keys, with "did you mean") go to warn(), one call per warning; warn may be
 * NULL. With a file, a monitor runs only if its section is present (enabled defaults to true
 * there); a `logging.handlers` mapping lists the handlers used (present). On error cfg holds a
 * partial result: only config_free() it. Aliases work; merge keys (<<) and files over 1 MiB are
 * rejected. */
int config_load(struct config *cfg, const char *path, const struct monitor_schema *schemas,
		size_t nschemas, void (*warn)(void *ctx, const char *msg), void *warn_ctx,
		struct config_error *err);

struct monitor_cfg *config_monitor(struct config *cfg, const char *name);
/* Same schema and the same values for every key (for reloads: unchanged monitors keep running). */
bool config_monitor_equal(const struct monitor_cfg *a, const struct monitor_cfg *b);
void config_free(struct config *cfg);
/* config_free() and free() of a config the caller allocated; NULL-safe. */
void config_destroy(struct config *cfg);
/* The core keys whose change a reload does not apply (they take effect at the next restart):
 * how many differ between old and new; the first max of their names go to ret_keys (may be
 * NULL when max is 0). */
size_t config_restart_changes(const struct config *old, const struct config *new,
			      const char **ret_keys, size_t max);
/* The guide's spelling of `name` if the user guide documents such a monitor, else NULL. */
const char *config_guide_monitor(const char *name); /* NULL-safe, idempotent */

/* Adds one value, given as text, to f's list `key` ("pids", "uids", "comms", "exclude_comms",
 * "units", "containers" or "cgroups") with the rules of a `filters:` section: pids 1..4194304,
 * uids 0..4294967294 (decimal), task names of 1 to 15 bytes (stored NUL-padded); units: a systemd
 * unit name ending in ".service" or ".scope", at most 255 bytes; containers: 4 to 64 lowercase hex
 * digits (an id or its prefix); cgroups: a path starting with '/', at most 255 bytes, without
 * empty components (a trailing '/' is dropped). A value already in the list is not added again.
 * Returns 0; -EINVAL when text is not valid for key, with err set to "expected ..., got '...'"
 * (err may be NULL); -E2BIG when the list already holds FILTER_MAX values (FILTER_CG_MAX for
 * units, containers and cgroups; err says so); -ENOENT for another key. Shared by the config and
 * the command line, so both accept the same values. */
int config_filter_add(struct filter_cfg *f, const char *key, const char *text, char *err,
		      size_t errlen);

/* The attribution columns, in the order rows carry them (NULL-terminated). */
enum { ATTRIB_COL_CGROUP, ATTRIB_COL_UNIT, ATTRIB_COL_CONTAINER, ATTRIB_COL_POD, ATTRIB_NCOLS };
extern const char *const config_attrib_columns[];

/* The OUTPUT_* bit of a format name ("csv", "jsonl", "jsonl-stdout"), or 0 when unknown. */
unsigned config_format_bit(const char *name);
extern const char *const config_format_names[]; /* NULL-terminated, for messages */

/* Checks a listen address "HOST:PORT": HOST is an IPv4 address, an IPv6 address in brackets,
 * "localhost" (127.0.0.1) or empty/"*" (every interface, IPv4); PORT is 1..65535. Fills host
 * (numeric, "" for every interface; may be NULL) and port. 0, or -EINVAL with err filled. */
int config_parse_listen(const char *s, char *host, size_t hostlen, unsigned *port, char *err,
			size_t errlen);

/* Levenshtein-nearest (case-insensitive) of candidates (NULL-terminated) within
 * min(3, strlen(word) / 3 + 1), or NULL. */
const char *config_suggest(const char *word, const char *const *candidates);

#endif
