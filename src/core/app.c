/* app.c - startup decisions between the command line and the event loop: which config file,
 * which monitors, how logging is set up. Everything here runs before any BPF is loaded. */
#define LOG_NAME "ebpf_monitor"

#include "core/app.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/filter.h"
#include "core/io.h"
#include "core/log.h"

static const char *const default_config_paths[] = {
	"config/monitor_config.yaml",
	"/etc/ebpf-monitor/monitor_config.yaml",
};


static void config_warning(void *ctx, const char *msg)
{
	(void)ctx;
	log_warn("%s", msg);
}

int app_load_config(struct config *cfg, const char *explicit_path,
		    const struct monitor_schema *schemas, size_t nschemas, char *err, size_t errlen)
{
	struct config_error cerr;
	const char *path = explicit_path;

	if (config_defaults(cfg, schemas, nschemas)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!path) {
		for (size_t i = 0; i < sizeof(default_config_paths) / sizeof(*default_config_paths);
		     i++) {
			if (access(default_config_paths[i], F_OK) == 0) {
				path = default_config_paths[i];
				break;
			}
		}
	}
	if (!path) {
		log_info("no config file (./%s or %s): using built-in defaults",
			 default_config_paths[0], default_config_paths[1]);
		return 0;
	}
	if (config_load(cfg, path, schemas, nschemas, config_warning, NULL, &cerr)) {
		snprintf(err, errlen, "%s", cerr.msg);
		return -EINVAL;
	}
	if (cfg->nignored) {
		char list[256];
		size_t o = 0;

		for (size_t i = 0; i < cfg->nignored && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
					      cfg->ignored_monitors[i]);
		log_info("%s: monitors not available in this build, sections ignored: %s", path,
			 list);
	}
	log_debug("config loaded from %s", path);
	return 0;
}

static void list_available(char *buf, size_t len, const struct monitor_schema *schemas,
			   size_t nschemas)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nschemas && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", schemas[i].name);
}

int app_select_monitors(struct config *cfg, const char *list, const struct monitor_schema *schemas,
			size_t nschemas, struct monitor_cfg **ret, size_t max, char *err,
			size_t errlen)
{
	const char *names[CONFIG_MAX_MONITORS * 2];
	const char *cands[CONFIG_MAX_MONITORS + 1];
	char avail[256], *copy;
	size_t n = 0;
	int count;

	list_available(avail, sizeof(avail), schemas, nschemas);
	if (!list) {
		for (size_t i = 0; i < cfg->nmonitors && n < max; i++) {
			if (cfg->monitors[i].enabled)
				ret[n++] = &cfg->monitors[i];
		}
		if (!n) {
			snprintf(err, errlen,
				 "no monitor is enabled: set monitors.<name>.enabled: true in the "
				 "config or pick some with -m (available: %s)",
				 avail);
			return -EINVAL;
		}
		return (int)n;
	}

	copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	count = cli_split_list(copy, names, (int)(sizeof(names) / sizeof(names[0])));
	if (count < 0) {
		snprintf(err, errlen, "-m expects a comma-separated list of monitors, got '%s' "
			 "(available: %s)", list, avail);
		free(copy);
		return -EINVAL;
	}
	for (size_t i = 0; i < nschemas; i++)
		cands[i] = schemas[i].name;
	cands[nschemas < CONFIG_MAX_MONITORS ? nschemas : CONFIG_MAX_MONITORS] = NULL;
	for (int i = 0; i < count; i++) {
		struct monitor_cfg *mc = config_monitor(cfg, names[i]);
		bool dup = false;

		if (!mc) {
			const char *s = config_suggest(names[i], cands);
			if (config_guide_monitor(names[i]))
				snprintf(err, errlen, "monitor '%s' is not available in this build "
					 "yet (available: %s)", names[i], avail);
			else if (s)
				snprintf(err, errlen, "unknown monitor '%s' (did you mean '%s'? "
					 "available: %s)", names[i], s, avail);
			else
				snprintf(err, errlen, "unknown monitor '%s' (available: %s)",
					 names[i], avail);
			free(copy);
			return -EINVAL;
		}
		for (size_t j = 0; j < n; j++)
			dup |= ret[j] == mc;
		if (!dup && n < max)
			ret[n++] = mc;
	}
	free(copy);
	return (int)n;
}

/* The lists the command line gave (an empty one was not given) replace the config's. */
/* The lists the command line gave (--pid, --uid, --comm): they replace the config's. */
static unsigned cli_filter_set(const struct filter_cfg *cli)
{
	return (cli->npids ? 1u << FK_PIDS : 0) | (cli->nuids ? 1u << FK_UIDS : 0) |
	       (cli->ncomms ? 1u << FK_COMMS : 0) | (cli->nunits ? 1u << FK_UNITS : 0) |
	       (cli->ncontainers ? 1u << FK_CONTAINERS : 0);
}

void app_apply_cli_filters(struct config *cfg, const struct cli_options *o)
{
	unsigned set;

	if (!cfg || !o)
		return;
	set = cli_filter_set(&o->filters);
	filter_override(&cfg->filters, &o->filters, set);
	if (o->formats)
		cfg->output.formats = o->formats;
	for (size_t i = 0; i < cfg->nmonitors; i++)
		filter_override(&cfg->monitors[i].filters, &o->filters, set);
}

/* snprintf onto buf at *o; false once the text no longer fits. */
static bool put(char *buf, size_t len, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool put(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*o >= len - 1)
		return false;
	va_start(ap, fmt);
	r = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= len - *o) {
		*o = len - 1;
		return false;
	}
	*o += (size_t)r;
	return true;
}

static bool put_ids(char *buf, size_t len, size_t *o, const char *name, const unsigned *ids,
		    size_t n)
{
	bool ok = put(buf, len, o, "%s%s=%s", *o ? " " : "", name, n ? "" : "-");

	for (size_t i = 0; ok && i < n; i++)
		ok = put(buf, len, o, "%s%u", i ? "," : "", ids[i]);
	return ok;
}

/* n names of size bytes each at names; with show_empty, "name=-" when there are none. */
static bool put_names(char *buf, size_t len, size_t *o, const char *name, const char *names,
		      size_t size, size_t n, bool show_empty)
{
	bool ok = true;

	if (n || show_empty)
		ok = put(buf, len, o, "%s%s=%s", *o ? " " : "", name, n ? "" : "-");

	for (size_t i = 0; ok && i < n; i++) {
		const char *s = names + i * size;

		ok = put(buf, len, o, "%s", i ? "," : "");
		/* a task name is the process's to choose: keep control bytes out of the log */
		for (size_t j = 0; ok && j < size && s[j]; j++) {
			unsigned char c = (unsigned char)s[j];

			ok = put(buf, len, o, "%c", c < 0x20 || c == 0x7f ? '?' : (char)c);
		}
	}
	return ok;
}

static bool put_comms(char *buf, size_t len, size_t *o, const char *name, const char (*comms)[16],
		      size_t n)
{
	return put_names(buf, len, o, name, comms[0], sizeof(comms[0]), n, true);
}

int app_describe_filters(const struct filter_cfg *f, char *buf, size_t len)
{
	size_t o = 0;
	bool ok;

	if (!f || !buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	if (!f->npids && !f->nuids && !f->ncomms && !f->nexclude_comms && !f->nunits &&
	    !f->ncontainers && !f->ncgroups && f->exclude_self)
		return put(buf, len, &o, "none") ? 0 : -ENOSPC;
	/* units, containers and cgroups only when set: most runs filter by none of them */
	ok = put_ids(buf, len, &o, "pids", f->pids, f->npids) &&
	     put_ids(buf, len, &o, "uids", f->uids, f->nuids) &&
	     put_comms(buf, len, &o, "comms", f->comms, f->ncomms) &&
	     put_comms(buf, len, &o, "exclude_comms", f->exclude_comms, f->nexclude_comms) &&
	     put_names(buf, len, &o, "units", f->units[0], sizeof(f->units[0]), f->nunits, false) &&
	     put_names(buf, len, &o, "containers", f->containers[0], sizeof(f->containers[0]),
		       f->ncontainers, false) &&
	     put_names(buf, len, &o, "cgroups", f->cgroups[0], sizeof(f->cgroups[0]), f->ncgroups,
		       false) &&
	     put(buf, len, &o, " exclude_self=%s", f->exclude_self ? "yes" : "no");
	return ok ? 0 : -ENOSPC;
}

static const struct log_formatter_cfg *formatter(const struct config *cfg, const char *name)
{
	for (size_t i = 0; name && i < cfg->logging.nformatters; i++) {
		if (!strcmp(cfg->logging.formatters[i].name, name))
			return &cfg->logging.formatters[i];
	}
	return NULL;
}

static int handler_level(const struct config *cfg, const struct log_handler_cfg *h)
{
	int l = log_level_parse(h->level ? h->level : cfg->logging.level);

	return l < 0 ? LOG_INFO : l;
}

int app_setup_logging(const struct config *cfg, bool verbose, bool console, char *path_buf,
		      size_t path_len)
{
	const struct log_formatter_cfg *cf = formatter(cfg, cfg->logging.console.formatter);
	const struct log_formatter_cfg *ff = formatter(cfg, cfg->logging.file.formatter);
	const struct log_handler_cfg *fh = &cfg->logging.file;
	struct log_options o = {
		.console_level = (enum log_level)handler_level(cfg, &cfg->logging.console),
		.console_format = cf ? cf->format : "%(levelname)s: %(message)s",
		.console_datefmt = cf ? cf->datefmt : NULL,
		/* stdout carries the console table, so the console handler writes to stderr. */
		.console_fd = console ? STDERR_FILENO : -1,
		.file_enabled = fh->present && fh->filename && *fh->filename,
		.file_level = (enum log_level)handler_level(cfg, fh),
		.file_format = ff ? ff->format
				  : "%(asctime)s [%(levelname)s] %(name)s:%(lineno)d %(message)s",
		.file_datefmt = ff ? ff->datefmt : NULL,
		.when = fh->when ? fh->when : "D",
		.interval = fh->interval > 0 ? (int)fh->interval : 1,
		.backup_count = (int)fh->backup_count,
	};

	if (verbose)
		o.console_level = LOG_DEBUG;
	path_buf[0] = '\0';
	if (o.file_enabled) {
		if (strchr(fh->filename, '/'))
			snprintf(path_buf, path_len, "%s", fh->filename);
		else
			snprintf(path_buf, path_len, "%s/%s",
				 cfg->logging.directory ? cfg->logging.directory : "logs",
				 fh->filename);
		o.file_path = path_buf;
	}
	return log_setup(&o);
}

/* Makes a relative path absolute against `base` (owned string replaced). */
static int absolutize(char **path, const char *base)
{
	char *abs;

	if (!*path || (*path)[0] == '/')
		return 0;
	if (asprintf(&abs, "%s/%s", base, *path) < 0)
		return -ENOMEM;
	free(*path);
	*path = abs;
	return 0;
}

int app_absolute_paths(struct config *cfg, const char *base)
{
	int r = absolutize(&cfg->path, base);

	if (!r)
		r = absolutize(&cfg->output.directory, base);
	if (!r)
		r = absolutize(&cfg->logging.directory, base);
	if (!r)
		r = absolutize(&cfg->app.pid_file, base);
	if (!r)
		r = absolutize(&cfg->output.prometheus.web_config_file, base);
	/* A bare log file name goes under logging.directory; one with a path is its own. */
	if (!r && cfg->logging.file.filename && strchr(cfg->logging.file.filename, '/'))
		r = absolutize(&cfg->logging.file.filename, base);
	return r;
}

/* The directory part of a file path: "/run/x/monitor.pid" -> "/run/x". */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

static int prepare_dir(const char *key, const char *dir, bool must_write, char *err,
		       size_t errlen)
{
	char why[PATH_MAX + 256];
	int r = io_mkdir_p(dir, 0750);

	if (r && !must_write && r != -ENOTDIR)
		return 0; /* the logger warns and logs to stderr; the PID file says why itself */
	if (r == -EROFS) {
		snprintf(err, errlen,
			 "%s %s is on a read-only file system: remount it read-write, or set %s to "
			 "a writable directory",
			 key, dir, key);
		return r;
	}
	if (r) {
		snprintf(err, errlen, "%s %s cannot be created: %s (set %s to a writable directory)",
			 key, dir, strerror(-r), key);
		return r;
	}
	r = io_dir_check(dir, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "%s %s is unsafe: %s", key, dir, why);
		return r;
	}
	if (must_write && access(dir, W_OK | X_OK) < 0) {
		r = -errno;
		snprintf(err, errlen,
			 r == -EROFS ? "%s %s is on a read-only file system: remount it read-write, "
				       "or set %s to a writable directory" :
				       "%s %s is not writable: fix its permissions, or set %s to a "
				       "writable directory",
			 key, dir, key);
		return r;
	}
	return 0;
}

int app_prepare_dirs(const struct config *cfg, char *err, size_t errlen)
{
	const struct log_handler_cfg *fh = &cfg->logging.file;
	char dir[PATH_MAX];
	int r;

	r = prepare_dir("output.directory", cfg->output.directory, true, err, errlen);
	if (!r && fh->present && fh->filename && *fh->filename) {
		if (strchr(fh->filename, '/'))
			dir_of(fh->filename, dir, sizeof(dir));
		else
			snprintf(dir, sizeof(dir), "%s",
				 cfg->logging.directory ? cfg->logging.directory : "logs");
		r = prepare_dir(strchr(fh->filename, '/') ? "logging.handlers.file.filename" :
							    "logging.directory",
				dir, false, err, errlen);
	}
	if (!r && cfg->app.pid_file) {
		dir_of(cfg->app.pid_file, dir, sizeof(dir));
		r = prepare_dir("app.pid_file", dir, false, err, errlen);
	}
	return r;
}
