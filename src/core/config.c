/* config.c - the configuration's schema (the user guide's keys, one table row each) and loading
 * a file into it. The pieces: ydoc.c (the YAML tree), options.c (the option engine), filter.c
 * (`filters:`), listen.c (listen addresses), suggest.c ("did you mean"). */
#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/filter.h"
#include "core/io.h"
#include "core/ydoc.h"

#define CONFIG_MAX_BYTES (1024 * 1024) /* a config is a few KiB; more is the wrong file */
#define CONFIG_MAX_WARNINGS 100

struct loader {
	struct config *cfg;
	const char *file;
	struct ydoc doc;
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	unsigned nwarn;
	struct config_error *err;
	size_t fmt_ref[2]; /* the formatter values of console and file, checked after logging */
	/* per monitor, bit i: the monitor's own `filters:` set filter_keys[i] */
	unsigned filter_set[CONFIG_MAX_MONITORS];
};

/* Values a section's keys are looked up in: the specs and the struct their offsets point into. */
struct group {
	const struct opt_spec *specs;
	void *base;
};

typedef int (*special_fn)(struct loader *l, const char *key, size_t k, size_t v, const char *path,
			  void *ctx);

static const char *const env_choices[] = { "development", "production", NULL };
static const char *const level_choices[] = { "DEBUG", "INFO", "WARNING", "WARN", "ERROR",
					     "CRITICAL", NULL };
static const char *const when_choices[] = { "S", "M", "H", "D", "MIDNIGHT", NULL };
static const char *const stream_choices[] = { "ext://sys.stdout", "ext://sys.stderr", NULL };
static const char *const auto_only[] = { "auto", NULL };

static const char *const hierarchy_choices[] = { "auto", "systemd", "unified", NULL };

static int check_attrib_columns(const void *value, char *err, size_t errlen)
{
	const struct strlist *l = value;

	for (size_t i = 0; i < l->n; i++) {
		int c = 0;

		while (config_attrib_columns[c] && strcmp(l->v[i], config_attrib_columns[c]))
			c++;
		if (!config_attrib_columns[c]) {
			snprintf(err, errlen,
				 "unknown column '%s': expected cgroup, unit, container_id or "
				 "pod_uid",
				 l->v[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_listen(const void *value, char *err, size_t errlen)
{
	unsigned port;

	return config_parse_listen(*(char *const *)value, NULL, 0, &port, err, errlen);
}

static int check_url_path(const void *value, char *err, size_t errlen)
{
	const char *p = *(char *const *)value;
	char got[SHOWN_SIZE + 2];

	if (p[0] == '/' && !strpbrk(p, "?# \t\r\n"))
		return 0;
	snprintf(err, errlen, "expected a URL path starting with '/' (e.g. /metrics), got '%s'",
		 ydoc_shown_str(p, got, sizeof(got)));
	return -EINVAL;
}

#define CFG(f) offsetof(struct config, f)
#define CONSOLE "logging.handlers.console"
#define FILE_H "logging.handlers.file"

/*
 * The core (non-monitor) keys. A row's key is its full path; OPT_SECTION and OPT_NODE rows are
 * the mappings the keys below them live in (OPT_NODE: read by a hook below, see `hooks`). The
 * order is the order of the "did you mean" candidates. Defaults are the rows' `def` (YAML text);
 * config_free frees by the rows; reloads compare by them (OPT_RESTART: takes effect at the next
 * restart, and the reload says so; the others are read from the new config by whoever uses them).
 */
/* clang-format off */
static const struct opt_spec core_keys[] = {
	{ "app", OPT_SECTION },
	{ "app.name", OPT_STRING, CFG(app.name), .def = "ebpf_monitor" },
	{ "app.version", OPT_STRING, CFG(app.version), .def = "1.0.0" },
	{ "app.description", OPT_STRING, CFG(app.description), .def = "eBPF Monitor for Linux" },
	{ "app.author", OPT_STRING, CFG(app.author), .def = "bwyu" },
	{ "app.email", OPT_STRING, CFG(app.email), .def = "bwyu@czce.com.cn" },
	{ "app.environment", OPT_STRING, CFG(app.environment), .choices = env_choices,
	  .def = "development" },
	{ "app.debug", OPT_BOOL, CFG(app.debug), .def = "true" },
	{ "app.pid_file", OPT_STRING, CFG(app.pid_file), .min = 1, .def = "temp/monitor.pid" },

	{ "logging", OPT_NODE },
	{ "logging.formatters", OPT_NODE },
	{ "logging.handlers", OPT_NODE },
	{ CONSOLE, OPT_NODE },
	{ CONSOLE ".class", OPT_NODE },
	{ CONSOLE ".formatter", OPT_STRING, CFG(logging.console.formatter), .min = 1,
	  .def = "simple" },
	{ CONSOLE ".level", OPT_STRING, CFG(logging.console.level), .choices = level_choices,
	  .flags = OPT_NULLABLE }, /* NULL: logging.level */
	{ CONSOLE ".stream", OPT_STRING, CFG(logging.console.stream), .choices = stream_choices,
	  .def = "ext://sys.stdout" },
	{ FILE_H, OPT_NODE },
	{ FILE_H ".class", OPT_NODE },
	{ FILE_H ".formatter", OPT_STRING, CFG(logging.file.formatter), .min = 1,
	  .def = "detailed" },
	{ FILE_H ".level", OPT_STRING, CFG(logging.file.level), .choices = level_choices,
	  .flags = OPT_NULLABLE },
	{ FILE_H ".filename", OPT_STRING, CFG(logging.file.filename), .min = 1,
	  .def = "monitor.log" },
	{ FILE_H ".when", OPT_STRING, CFG(logging.file.when), .choices = when_choices, .def = "D" },
	{ FILE_H ".interval", OPT_INT, CFG(logging.file.interval), 1, 1000000, .def = "1" },
	{ FILE_H ".backupCount", OPT_INT, CFG(logging.file.backup_count), 0, 1000000,
	  .def = "365" },
	/* INFO, not the guide file's DEBUG: without a config file the log stays quiet */
	{ "logging.level", OPT_STRING, CFG(logging.level), .choices = level_choices, .def = "INFO" },
	{ "logging.directory", OPT_STRING, CFG(logging.directory), .min = 1, .def = "logs" },

	{ "output", OPT_SECTION },
	{ "output.csv_delimiter", OPT_CHAR, CFG(output.csv_delimiter), .def = "','" },
	{ "output.format", OPT_FORMATS, CFG(output.formats), .def = "csv", .flags = OPT_RESTART },
	{ "output.prometheus", OPT_SECTION },
	{ "output.prometheus.listen", OPT_STRING, CFG(output.prometheus.listen), .min = 1,
	  .def = "127.0.0.1:9435", .flags = OPT_RESTART, .check = check_listen },
	{ "output.prometheus.path", OPT_STRING, CFG(output.prometheus.path), .min = 1,
	  .def = "/metrics", .flags = OPT_RESTART, .check = check_url_path },
	{ "output.prometheus.enabled", OPT_BOOL, CFG(output.prometheus.enabled), .def = "false",
	  .flags = OPT_RESTART },
	{ "output.prometheus.max_label_values", OPT_INT, CFG(output.prometheus.max_label_values),
	  1, 100000, .def = "100", .flags = OPT_RESTART },
	{ "output.prometheus.max_series", OPT_INT, CFG(output.prometheus.max_series), 1, 10000000,
	  .def = "10000", .flags = OPT_RESTART },
	/* Re-read at every SIGHUP (certificate rotation): not OPT_RESTART. */
	{ "output.prometheus.web_config_file", OPT_STRING, CFG(output.prometheus.web_config_file),
	  .min = 1, .flags = OPT_NULLABLE },
	{ "output.prometheus.basic_auth_over_http", OPT_BOOL,
	  CFG(output.prometheus.basic_auth_over_http), .def = "false" },
	{ "output.directory", OPT_STRING, CFG(output.directory), .min = 1, .def = "output" },
	{ "output.buffer_size", OPT_INT, CFG(output.buffer_size), 1, 1000000, .def = "2000" },
	{ "output.flush_interval", OPT_DOUBLE, CFG(output.flush_interval), 0.1, 3600,
	  .def = "2.0" },
	{ "output.include_header", OPT_BOOL, CFG(output.include_header), .def = "true" },
	{ "output.csv_formula_guard", OPT_BOOL, CFG(output.csv_formula_guard), .def = "false" },
	{ "output.retention_days", OPT_INT, CFG(output.retention_days), 0, 36500, .def = "0" },
	{ "output.batch_size", OPT_INT, CFG(output.batch_size), 0, 1000000, .def = "0" },

	{ "attribution", OPT_SECTION },
	{ "attribution.enabled", OPT_BOOL, CFG(attribution.enabled), .def = "false" },
	{ "attribution.columns", OPT_STRLIST, CFG(attribution.columns),
	  .def = "[cgroup, unit, container_id, pod_uid]",
	  .check = check_attrib_columns },
	{ "attribution.hierarchy", OPT_STRING, CFG(attribution.hierarchy),
	  .choices = hierarchy_choices, .def = "auto" },
	{ "attribution.max_processes", OPT_INT, CFG(attribution.max_processes), 1024, 4194304,
	  .def = "32768" },

	{ "monitors", OPT_NODE },
	{ "filters", OPT_NODE },
	{ "overhead_budget", OPT_PERCENT, CFG(overhead_budget), CONFIG_BUDGET_MIN,
	  CONFIG_BUDGET_MAX, .def = "0" },
	OPT_END
};

static const struct opt_spec formatter_specs[] = {
	{ "datefmt", OPT_STRING, offsetof(struct log_formatter_cfg, datefmt), .min = 1,
	  .flags = OPT_NULLABLE }, /* NULL: Python's default date format */
	{ "format", OPT_STRING, offsetof(struct log_formatter_cfg, format), .min = 1 },
	OPT_END
};
/* clang-format on */

static const struct opt_spec monitor_specs[] = {
	{ "enabled", OPT_BOOL, offsetof(struct monitor_cfg, enabled) },
	OPT_END
};

static const struct opt_spec budget_spec = { "overhead_budget", OPT_PERCENT,
					     offsetof(struct monitor_cfg, overhead_budget),
					     CONFIG_BUDGET_MIN, CONFIG_BUDGET_MAX };

static const struct opt_spec interval_spec = {
	"interval", OPT_DOUBLE, offsetof(struct monitor_cfg, interval), 0.1, 86400
};

static const struct opt_spec exclude_self_spec = { "exclude_self", OPT_BOOL,
						   offsetof(struct filter_cfg, exclude_self) };

/* ---- messages ---- */

static struct ynode *node(struct loader *l, size_t i)
{
	return ydoc_node(&l->doc, i);
}

static int fail_at(struct loader *l, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct loader *l, int line, int col, const char *fmt, ...)
{
	char *msg = l->err->msg;
	size_t size = sizeof(l->err->msg);
	va_list ap;
	int off;

	if (line > 0)
		off = snprintf(msg, size, "%s:%d:%d: ", l->file, line, col);
	else
		off = snprintf(msg, size, "%s: ", l->file);
	if (off < 0 || (size_t)off >= size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg + off, size - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error the document or the option engine reported (why), where it left its position. */
static int fail_doc(struct loader *l, int r, const char *why)
{
	fail_at(l, l->doc.err_line, l->doc.err_col, "%s", why);
	return r;
}

static int fail_type(struct loader *l, const struct ynode *n, const char *path, const char *what)
{
	char why[sizeof(l->err->msg)];

	return fail_doc(l, ydoc_fail_type(&l->doc, n, path, what, why, sizeof(why)), why);
}

static int fail_choice(struct loader *l, const struct ynode *n, const char *path,
		       const char *const *choices)
{
	char why[sizeof(l->err->msg)];

	return fail_doc(l, opt_fail_choice(&l->doc, n, path, choices, why, sizeof(why)), why);
}

static int fail_oom(struct loader *l, const struct ynode *n, const char *path)
{
	fail_at(l, n->line, n->col, "%s: out of memory", path);
	return -ENOMEM;
}

static int check_map(struct loader *l, size_t map, const char *path)
{
	char why[sizeof(l->err->msg)];
	int r = ydoc_check_map(&l->doc, map, path, why, sizeof(why));

	return r ? fail_doc(l, r, why) : 0;
}

static int set_opt(struct loader *l, const struct opt_spec *o, void *base, size_t vi,
		   const char *path)
{
	char why[sizeof(l->err->msg)];
	int r = opt_set(o, base, &l->doc, vi, path, why, sizeof(why));

	return r ? fail_doc(l, r, why) : 0;
}

static void warn_at(struct loader *l, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn_at(struct loader *l, const struct ynode *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int off;

	if (!l->warn)
		return;
	if (l->nwarn++ >= CONFIG_MAX_WARNINGS) {
		if (l->nwarn == CONFIG_MAX_WARNINGS + 1) {
			snprintf(msg, sizeof(msg),
				 "%s: more than %d warnings, the rest are not shown", l->file,
				 CONFIG_MAX_WARNINGS);
			l->warn(l->warn_ctx, msg);
		}
		return;
	}
	off = snprintf(msg, sizeof(msg), "%s:%d:%d: ", l->file, n->line, n->col);
	if (off < 0 || (size_t)off >= sizeof(msg))
		off = 0;
	va_start(ap, fmt);
	vsnprintf(msg + off, sizeof(msg) - (size_t)off, fmt, ap);
	va_end(ap);
	l->warn(l->warn_ctx, msg);
}

/* ---- walking the document ---- */

/* 1: a mapping to walk; 0: null (an empty section, nothing to change); < 0: error. */
static int open_map(struct loader *l, size_t vi, const char *path)
{
	const struct ynode *v = node(l, vi);
	int r;

	if (v->kind == Y_SCALAR && v->null)
		return 0;
	if (v->kind != Y_MAP)
		return fail_type(l, v, path, "a mapping");
	r = check_map(l, vi, path);
	return r ? r : 1;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static void unknown_key(struct loader *l, const struct ynode *k, const char *section,
			const char *const *candidates)
{
	char key[SHOWN_SIZE];
	const char *near = config_suggest(k->text, candidates);

	ydoc_shown(k->text, k->len, key, sizeof(key));
	if (near)
		warn_at(l, k, "unknown key '%s' in %s (did you mean '%s'?)", key, section, near);
	else
		warn_at(l, k, "unknown key '%s' in %s", key, section);
}

/* Walks a mapping: keys in `specials` go to special(), the others to the groups' specs. */
static int walk_section(struct loader *l, size_t map, const char *path, const struct group *groups,
			size_t ngroups, const char *const *specials, special_fn special, void *ctx)
{
	const struct ynode *m = node(l, map);
	const char *cands[96];
	char kpath[PATH_SIZE];
	size_t i, g, nc = 0;

	for (i = 0; specials && specials[i] && nc < 95; i++)
		cands[nc++] = specials[i];
	for (g = 0; g < ngroups; g++)
		for (i = 0; groups[g].specs && groups[g].specs[i].key && nc < 95; i++)
			cands[nc++] = groups[g].specs[i].key;
	cands[nc] = NULL;

	for (i = 0; i + 1 < m->nkids; i += 2) {
		size_t k = m->kids[i], v = m->kids[i + 1];
		const char *key = node(l, k)->text;
		const struct opt_spec *o = NULL, *s;
		void *base = NULL;
		int r = 0;

		ydoc_join(kpath, sizeof(kpath), path, key);
		for (g = 0; g < ngroups && !o; g++) {
			for (s = groups[g].specs; s && s->key && !o; s++) {
				if (!strcmp(s->key, key)) {
					o = s;
					base = groups[g].base;
				}
			}
		}
		if (in_list(key, specials))
			r = special(l, key, k, v, kpath, ctx);
		else if (o)
			r = set_opt(l, o, base, v, kpath);
		else
			unknown_key(l, node(l, k), *path ? path : "the top level", cands);
		if (r)
			return r;
	}
	return 0;
}

static int walk_formatters(struct loader *l, size_t map, const char *path)
{
	struct config *cfg = l->cfg;
	const struct ynode *m = node(l, map);
	char fpath[PATH_SIZE];
	size_t i, j;
	int r;

	for (i = 0; i + 1 < m->nkids; i += 2) {
		const struct ynode *k = node(l, m->kids[i]);
		struct log_formatter_cfg *f = NULL;
		struct group g;

		ydoc_join(fpath, sizeof(fpath), path, k->text);
		if (strlen(k->text) != k->len || k->null)
			return fail_type(l, k, fpath, "a formatter name");
		/* formatters merge with the built-in ones by name */
		for (j = 0; j < cfg->logging.nformatters && !f; j++)
			if (!strcmp(cfg->logging.formatters[j].name, k->text))
				f = &cfg->logging.formatters[j];
		if (!f) {
			size_t max = sizeof(cfg->logging.formatters) / sizeof(*f);

			if (cfg->logging.nformatters == max)
				return fail_at(l, k->line, k->col,
					       "%s: too many formatters (at most %zu)", fpath, max);
			f = &cfg->logging.formatters[cfg->logging.nformatters];
			memset(f, 0, sizeof(*f));
			f->name = strdup(k->text);
			f->format = strdup("%(message)s"); /* Python's default */
			if (!f->name || !f->format) {
				free(f->name);
				free(f->format);
				f->name = f->format = NULL;
				return fail_oom(l, k, fpath);
			}
			cfg->logging.nformatters++;
		}
		r = open_map(l, m->kids[i + 1], fpath);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		g = (struct group){ formatter_specs, f };
		r = walk_section(l, m->kids[i + 1], fpath, &g, 1, NULL, NULL, NULL);
		if (r)
			return r;
	}
	return 0;
}

/* A handler may only name a formatter that exists once the whole section is read. */
static int check_formatter_refs(struct loader *l)
{
	struct config *cfg = l->cfg;
	const char *names[sizeof(cfg->logging.formatters) / sizeof(cfg->logging.formatters[0]) + 1];
	static const char *const which[] = { "console", "file" };
	char path[PATH_SIZE];
	size_t i, n;

	for (n = 0; n < cfg->logging.nformatters; n++)
		names[n] = cfg->logging.formatters[n].name;
	names[n] = NULL;
	for (i = 0; i < 2; i++) {
		const struct ynode *v;

		if (l->fmt_ref[i] == NO_NODE)
			continue;
		v = node(l, l->fmt_ref[i]);
		if (in_list(v->text, names))
			continue;
		snprintf(path, sizeof(path), "logging.handlers.%s.formatter", which[i]);
		return fail_choice(l, v, path, names);
	}
	return 0;
}

/* ---- filters and monitors ---- */

/* Where a `filters:` section goes, and which keys it set. */
struct filter_target {
	struct filter_cfg *f;
	unsigned *set;
};

static int set_filter_list(struct loader *l, struct filter_cfg *f, int fk, size_t vi,
			   const char *path)
{
	char why[sizeof(l->err->msg)];
	int r = filter_set_list(f, fk, &l->doc, vi, path, why, sizeof(why));

	return r ? fail_doc(l, r, why) : 0;
}

static int filter_special(struct loader *l, const char *key, size_t k, size_t vi, const char *path,
			  void *ctx)
{
	struct filter_target *t = ctx;
	int fk = filter_key(key), r;

	if (fk == FK_EXCLUDE_SELF)
		r = set_opt(l, &exclude_self_spec, t->f, vi, path);
	else
		r = set_filter_list(l, t->f, fk, vi, path);
	if (!r)
		*t->set |= 1u << fk;
	return r;
}

static int walk_filters(struct loader *l, size_t vi, const char *path, struct filter_cfg *f,
			unsigned *set)
{
	struct filter_target t = { f, set };
	int r = open_map(l, vi, path);

	if (r <= 0)
		return r;
	return walk_section(l, vi, path, NULL, 0, filter_keys, filter_special, &t);
}

/* Which monitors sample: those that can, under their own budget or the top-level one. */
const char *const config_attrib_columns[] = {
	[ATTRIB_COL_CGROUP] = "cgroup",
	[ATTRIB_COL_UNIT] = "unit",
	[ATTRIB_COL_CONTAINER] = "container_id",
	[ATTRIB_COL_POD] = "pod_uid",
	[ATTRIB_NCOLS] = NULL,
};

/* Each monitor's copy of `attribution:`. */
static void set_attribution(struct config *cfg)
{
	unsigned cols = 0;
	enum cg_hierarchy h = CG_AUTO;

	for (size_t i = 0; i < cfg->attribution.columns.n; i++) {
		for (int c = 0; c < ATTRIB_NCOLS; c++)
			if (!strcmp(cfg->attribution.columns.v[i], config_attrib_columns[c]))
				cols |= 1u << c;
	}
	(void)cg_hierarchy_parse(cfg->attribution.hierarchy, &h);
	for (size_t i = 0; i < cfg->nmonitors; i++) {
		struct monitor_cfg *m = &cfg->monitors[i];

		/* no column chosen: still keyed by cgroup (filters), shown nowhere */
		m->attrib_columns = cfg->attribution.enabled ? (cols ? cols : 1u << ATTRIB_NCOLS) :
							       0;
		m->attrib_hierarchy = (int)h;
		m->attrib_max = cfg->attribution.max_processes;
	}
}

static void set_sampling(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nmonitors; i++) {
		struct monitor_cfg *m = &cfg->monitors[i];

		m->sampling = m->schema->samples &&
			      (cfg->overhead_budget > 0 || m->overhead_budget > 0);
	}
}

/* Each monitor's effective filters: the top-level ones, with the keys its own section set. */
static void merge_filters(struct loader *l)
{
	struct config *cfg = l->cfg;
	size_t i;

	for (i = 0; i < cfg->nmonitors; i++) {
		struct filter_cfg own = cfg->monitors[i].filters;

		cfg->monitors[i].filters = cfg->filters;
		filter_override(&cfg->monitors[i].filters, &own, l->filter_set[i]);
	}
}

static struct monitor_cfg *find_monitor(struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nmonitors; i++)
		if (!strcmp(cfg->monitors[i].name, name))
			return &cfg->monitors[i];
	return NULL;
}

static const char *const monitor_specials[] = { "interval", "attach", "filters", "overhead_budget",
						NULL };

static int monitor_special(struct loader *l, const char *key, size_t k, size_t vi,
			   const char *path, void *ctx)
{
	struct monitor_cfg *m = ctx;
	struct opt_spec attach = { "attach", OPT_STRING, offsetof(struct monitor_cfg, attach) };

	if (!strcmp(key, "filters"))
		return walk_filters(l, vi, path, &m->filters, &l->filter_set[m - l->cfg->monitors]);
	if (!strcmp(key, "interval")) {
		if (!m->schema->aggregating) {
			warn_at(l, node(l, k),
				"%s: has no effect, %s writes one row per event and does not "
				"aggregate", path, m->name);
			return 0;
		}
		return set_opt(l, &interval_spec, m, vi, path);
	}
	if (!strcmp(key, "overhead_budget")) {
		if (!m->schema->samples) {
			warn_at(l, node(l, k),
				"%s: has no effect, %s never samples (it counts every event); its "
				"cost counts toward the top-level overhead_budget",
				path, m->name);
			return 0;
		}
		return set_opt(l, &budget_spec, m, vi, path);
	}
	attach.choices = m->schema->attach_choices ? m->schema->attach_choices : auto_only;
	return set_opt(l, &attach, m, vi, path);
}


/* The user guide's monitor names (binding), whether or not this build has them all. */
static const char *const guide_monitor_names[] = {
	"exec", "func", "syscall", "bio", "open", "interrupt", "page_fault", "context_switch",
};

const char *config_guide_monitor(const char *name)
{
	for (size_t i = 0; i < sizeof(guide_monitor_names) / sizeof(guide_monitor_names[0]); i++) {
		if (!strcmp(guide_monitor_names[i], name))
			return guide_monitor_names[i];
	}
	return NULL;
}

static int walk_monitors(struct loader *l, size_t map)
{
	struct config *cfg = l->cfg;
	const struct ynode *mm = node(l, map);
	const char *names[CONFIG_MAX_MONITORS + 1];
	char path[PATH_SIZE], avail[256], key[SHOWN_SIZE];
	size_t i;
	int r;

	for (i = 0; i < cfg->nmonitors; i++)
		names[i] = cfg->monitors[i].name;
	names[i] = NULL;
	opt_choices_text(names, avail, sizeof(avail));

	for (i = 0; i + 1 < mm->nkids; i += 2) {
		const struct ynode *k = node(l, mm->kids[i]);
		struct monitor_cfg *m = find_monitor(cfg, k->text);
		struct group g[2];
		const char *near;

		if (!m && config_guide_monitor(k->text)) {
			/* The guide's config names every monitor; a build without one of them
			 * still loads it, and says so once (see config.ignored_monitors). */
			if (cfg->nignored < CONFIG_MAX_MONITORS)
				cfg->ignored_monitors[cfg->nignored++] = config_guide_monitor(k->text);
			continue;
		}
		if (!m) {
			near = config_suggest(k->text, names);
			ydoc_shown(k->text, k->len, key, sizeof(key));
			if (near)
				warn_at(l, k,
					"unknown monitor '%s' in monitors (did you mean '%s'?); "
					"available: %s", key, near, avail);
			else
				warn_at(l, k, "unknown monitor '%s' in monitors; available: %s",
					key, avail);
			continue;
		}
		ydoc_join(path, sizeof(path), "monitors", m->name);
		m->present = true;
		m->enabled = true; /* a section without `enabled` turns the monitor on */
		m->pos = (struct src_pos){ cfg->path, k->line, k->col };
		r = open_map(l, mm->kids[i + 1], path);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		g[0] = (struct group){ monitor_specs, m };
		g[1] = (struct group){ m->schema->options, m->opts };
		r = walk_section(l, mm->kids[i + 1], path, g, 2, monitor_specials, monitor_special,
				 m);
		if (r)
			return r;
	}
	return 0;
}

/* ---- the core keys ---- */

static int walk_core(struct loader *l, size_t map, const char *path, const struct opt_spec *sec);

/* The row of key `name` directly under section sec (NULL: the top level), or NULL. */
static const struct opt_spec *core_child(const struct opt_spec *sec, const char *name)
{
	const char *prefix = sec ? sec->key : "";
	size_t plen = strlen(prefix);

	for (const struct opt_spec *o = core_keys; o->key; o++) {
		const char *rest = o->key + plen;

		if (strncmp(o->key, prefix, plen))
			continue;
		if (plen && *rest++ != '.')
			continue;
		if (!strchr(rest, '.') && !strcmp(rest, name))
			return o;
	}
	return NULL;
}

/* The names of the keys directly under sec, in table order: the "did you mean" candidates. */
static void core_children(const struct opt_spec *sec, const char **names, size_t max)
{
	const char *prefix = sec ? sec->key : "";
	size_t plen = strlen(prefix), n = 0;

	for (const struct opt_spec *o = core_keys; o->key && n + 1 < max; o++) {
		const char *rest = o->key + plen;

		if (strncmp(o->key, prefix, plen) || (plen && *rest++ != '.') || strchr(rest, '.'))
			continue;
		names[n++] = rest;
	}
	names[n] = NULL;
}

static struct log_handler_cfg *handler_of(struct loader *l, const struct opt_spec *row)
{
	return strncmp(row->key, CONSOLE, strlen(CONSOLE)) ? &l->cfg->logging.file :
							     &l->cfg->logging.console;
}

/* logging.handlers.*: listed in the file, so used */
static int hook_handler(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
			const char *path)
{
	int r;

	(void)k;
	handler_of(l, row)->present = true;
	r = open_map(l, vi, path);
	if (r <= 0)
		return r;
	return walk_core(l, vi, path, row);
}

/* logging.handlers: the handlers listed in the file are the ones used */
static int hook_handlers(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
			 const char *path)
{
	int r = open_map(l, vi, path);

	(void)k;
	if (r <= 0)
		return r;
	l->cfg->logging.console.present = false;
	l->cfg->logging.file.present = false;
	return walk_core(l, vi, path, row);
}

/* logging.handlers.*.class: accepted; the one class each handler has is used */
static int hook_class(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
		      const char *path)
{
	const struct ynode *v = node(l, vi);
	const char *want = handler_of(l, row) == &l->cfg->logging.console ?
				   "logging.StreamHandler" :
				   "logging.handlers.TimedRotatingFileHandler";
	char s[SHOWN_SIZE];

	(void)k;
	if (!ydoc_is_value(v))
		return fail_type(l, v, path, "a class name");
	if (strcmp(v->text, want))
		warn_at(l, v, "%s: '%s' is not supported, %s is used", path,
			ydoc_shown(v->text, v->len, s, sizeof(s)), want);
	return 0;
}

/* logging.handlers.*.formatter: checked against the formatters once logging is read */
static int hook_formatter(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
			  const char *path)
{
	int r = set_opt(l, row, l->cfg, vi, path);

	(void)k;
	if (!r)
		l->fmt_ref[handler_of(l, row) == &l->cfg->logging.console ? 0 : 1] = vi;
	return r;
}

static int hook_formatters(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
			   const char *path)
{
	int r = open_map(l, vi, path);

	(void)row;
	(void)k;
	return r <= 0 ? r : walk_formatters(l, vi, path);
}

static int hook_logging(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
			const char *path)
{
	int r = open_map(l, vi, path);

	(void)k;
	if (r <= 0)
		return r;
	r = walk_core(l, vi, path, row);
	return r ? r : check_formatter_refs(l);
}

static int hook_filters(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
			const char *path)
{
	unsigned set = 0;

	(void)row;
	(void)k;
	return walk_filters(l, vi, path, &l->cfg->filters, &set);
}

static int hook_monitors(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
			 const char *path)
{
	int r = open_map(l, vi, path);

	(void)row;
	(void)k;
	return r <= 0 ? r : walk_monitors(l, vi);
}

typedef int (*hook_fn)(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
		       const char *path);

/* What a row's node does beyond being stored (OPT_NODE rows must have one). */
static const struct {
	const char *key;
	hook_fn fn;
} hooks[] = {
	{ "logging", hook_logging },
	{ "logging.formatters", hook_formatters },
	{ "logging.handlers", hook_handlers },
	{ CONSOLE, hook_handler },
	{ CONSOLE ".class", hook_class },
	{ CONSOLE ".formatter", hook_formatter },
	{ FILE_H, hook_handler },
	{ FILE_H ".class", hook_class },
	{ FILE_H ".formatter", hook_formatter },
	{ "monitors", hook_monitors },
	{ "filters", hook_filters },
};

static int core_key(struct loader *l, const struct opt_spec *row, size_t k, size_t vi,
		    const char *path)
{
	int r;

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		if (!strcmp(hooks[i].key, row->key))
			return hooks[i].fn(l, row, k, vi, path);
	}
	if (row->type != OPT_SECTION)
		return set_opt(l, row, l->cfg, vi, path);
	r = open_map(l, vi, path);
	return r <= 0 ? r : walk_core(l, vi, path, row);
}

/* Walks a mapping of core keys: those under section sec (NULL: the top level). */
static int walk_core(struct loader *l, size_t map, const char *path, const struct opt_spec *sec)
{
	const struct ynode *m = node(l, map);
	const char *cands[96];
	char kpath[PATH_SIZE];

	core_children(sec, cands, sizeof(cands) / sizeof(cands[0]));
	for (size_t i = 0; i + 1 < m->nkids; i += 2) {
		size_t k = m->kids[i], v = m->kids[i + 1];
		const struct opt_spec *row = core_child(sec, node(l, k)->text);
		int r;

		if (!row) {
			unknown_key(l, node(l, k), *path ? path : "the top level", cands);
			continue;
		}
		ydoc_join(kpath, sizeof(kpath), path, node(l, k)->text);
		r = core_key(l, row, k, v, kpath);
		if (r)
			return r;
	}
	return 0;
}

/* ---- the public functions ---- */

const char *const config_format_names[] = { "csv", "jsonl", "jsonl-stdout", NULL };

unsigned config_format_bit(const char *name)
{
	for (unsigned i = 0; name && config_format_names[i]; i++) {
		if (!strcmp(name, config_format_names[i]))
			return 1u << i;
	}
	return 0;
}

struct monitor_cfg *config_monitor(struct config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	return find_monitor(cfg, name);
}

bool config_monitor_equal(const struct monitor_cfg *a, const struct monitor_cfg *b)
{
	/* overhead_budget itself is read live; whether the probe samples is built into it */
	if (a->schema != b->schema || a->enabled != b->enabled || a->interval != b->interval ||
	    a->sampling != b->sampling || a->attrib_columns != b->attrib_columns ||
	    a->attrib_hierarchy != b->attrib_hierarchy || a->attrib_max != b->attrib_max ||
	    (a->attach != b->attach &&
	     (!a->attach || !b->attach || strcmp(a->attach, b->attach))) ||
	    !filter_equal(&a->filters, &b->filters))
		return false;
	return opts_equal(a->schema->options, a->opts, b->opts);
}

size_t config_restart_changes(const struct config *old, const struct config *new,
			      const char **ret_keys, size_t max)
{
	size_t n = 0;

	for (const struct opt_spec *o = core_keys; o->key; o++) {
		if (!(o->flags & OPT_RESTART) || opt_equal(o, old, new))
			continue;
		if (n < max)
			ret_keys[n] = o->key;
		n++;
	}
	return n;
}

void config_free(struct config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	free(cfg->path);
	for (const struct opt_spec *o = core_keys; o->key; o++) {
		if (opt_has_value(o))
			opt_free(o, cfg);
	}
	for (i = 0; i < cfg->logging.nformatters; i++) {
		free(cfg->logging.formatters[i].name);
		opts_free(formatter_specs, &cfg->logging.formatters[i]);
	}
	for (i = 0; i < cfg->nmonitors && i < CONFIG_MAX_MONITORS; i++) {
		struct monitor_cfg *m = &cfg->monitors[i];

		if (m->schema)
			opts_free(m->schema->options, m->opts);
		free(m->opts);
		free(m->attach);
	}
	memset(cfg, 0, sizeof(*cfg));
}

void config_destroy(struct config *cfg)
{
	config_free(cfg);
	free(cfg);
}

/* The built-in formatters, which the file's merge with by name. */
static int default_formatters(struct config *cfg)
{
	static const char *const builtin[][2] = {
		{ "detailed", "%(asctime)s [%(levelname)s] %(name)s:%(lineno)d %(message)s" },
		{ "simple", "%(levelname)s: %(message)s" },
	};

	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		struct log_formatter_cfg *f = &cfg->logging.formatters[i];

		f->name = strdup(builtin[i][0]);
		f->format = strdup(builtin[i][1]);
		cfg->logging.nformatters++;
		if (!f->name || !f->format)
			return -ENOMEM;
	}
	return 0;
}

static int default_monitors(struct config *cfg, const struct monitor_schema *schemas,
			    size_t nschemas)
{
	for (size_t i = 0; i < nschemas; i++) {
		const struct monitor_schema *s = &schemas[i];
		struct monitor_cfg *m = &cfg->monitors[i];

		m->name = s->name;
		m->schema = s;
		m->enabled = true;
		m->interval = 2;
		m->filters.exclude_self = true;
		m->attach = strdup("auto");
		m->opts = calloc(1, s->options_size ? s->options_size : 1);
		cfg->nmonitors++;
		if (!m->attach || !m->opts)
			return -ENOMEM;
	}
	return 0;
}

/* Every row's default, read with the same rules as the file. */
static int default_keys(struct config *cfg, const struct monitor_schema *schemas, size_t nschemas)
{
	int r = 0;

	for (const struct opt_spec *o = core_keys; o->key && !r; o++)
		r = opt_default(o, cfg);
	for (size_t i = 0; i < nschemas && !r; i++) {
		for (const struct opt_spec *o = schemas[i].options; o && o->key && !r; o++)
			r = opt_default(o, cfg->monitors[i].opts);
	}
	return r;
}

int config_defaults(struct config *cfg, const struct monitor_schema *schemas, size_t nschemas)
{
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (nschemas > CONFIG_MAX_MONITORS || (nschemas && !schemas))
		return -EINVAL;
	cfg->logging.console.present = true;
	cfg->logging.file.present = true;
	cfg->filters.exclude_self = true;
	r = default_formatters(cfg);
	if (!r)
		r = default_monitors(cfg, schemas, nschemas);
	if (!r)
		r = default_keys(cfg, schemas, nschemas);
	if (r)
		config_free(cfg);
	return r;
}

/* Reads the whole file, refusing anything over CONFIG_MAX_BYTES (-EFBIG). 0, or -errno with
 * err filled. */
static int read_config(const char *path, char **ret_buf, size_t *ret_len, struct config_error *err)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -(errno ? errno : EIO);
		goto err;
	}
	if (fstat(fd, &st) < 0)
		r = -(errno ? errno : EIO);
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (S_ISREG(st.st_mode) && st.st_size > CONFIG_MAX_BYTES)
		r = -EFBIG;
	else
		r = io_read_all(fd, CONFIG_MAX_BYTES, ret_buf, ret_len);
	close(fd);
	if (!r)
		return 0;
err:
	if (r == -EFBIG)
		snprintf(err->msg, sizeof(err->msg),
			 "%s: config file is larger than %d bytes; is it the right file?", path,
			 CONFIG_MAX_BYTES);
	else
		snprintf(err->msg, sizeof(err->msg), "%s: cannot read config: %s", path,
			 strerror(-r));
	return r;
}

/* cfg must hold this schema's defaults; a zeroed or foreign cfg gets them first. */
static int replace_path(char **dst, const char *s)
{
	char *p = strdup(s);

	if (!p)
		return -ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

static int prepare(struct config *cfg, const struct monitor_schema *schemas, size_t nschemas)
{
	size_t i;
	bool same = cfg->app.name && cfg->nmonitors == nschemas;

	for (i = 0; same && i < nschemas; i++)
		same = cfg->monitors[i].schema == &schemas[i];
	if (same)
		return 0;
	if (cfg->app.name)
		config_free(cfg);
	return config_defaults(cfg, schemas, nschemas);
}

int config_load(struct config *cfg, const char *path, const struct monitor_schema *schemas,
		size_t nschemas, void (*warn)(void *ctx, const char *msg), void *warn_ctx,
		struct config_error *err)
{
	struct config_error dummy;
	struct loader l = { .cfg = cfg, .file = path, .warn = warn, .warn_ctx = warn_ctx };
	char why[sizeof(err->msg)];
	const struct ynode *root;
	char *buf = NULL;
	size_t len = 0, i;
	int r;

	if (!err)
		err = &dummy;
	l.err = err;
	err->msg[0] = '\0';
	l.fmt_ref[0] = l.fmt_ref[1] = NO_NODE;
	if (!cfg || !path) {
		snprintf(err->msg, sizeof(err->msg), "config_load: no config or no path");
		return -EINVAL;
	}
	r = prepare(cfg, schemas, nschemas);
	if (r) {
		snprintf(err->msg, sizeof(err->msg), "%s: cannot set the defaults: %s", path,
			 r == -EINVAL ? "a monitor schema is invalid" : strerror(-r));
		return r;
	}
	r = replace_path(&cfg->path, path);
	if (r) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", path);
		return r;
	}
	r = read_config(path, &buf, &len, err);
	if (r)
		return r;

	r = ydoc_build(&l.doc, buf, len, why, sizeof(why));
	if (r) {
		fail_doc(&l, r, why);
		goto out;
	}
	if (l.doc.n == 0 || (node(&l, 0)->kind == Y_SCALAR && node(&l, 0)->null)) {
		r = fail_at(&l, 0, 0, "config file is empty; expected the sections app, logging, "
				      "output and monitors");
		goto out;
	}
	root = node(&l, 0);
	if (root->kind != Y_MAP) {
		char got[SHOWN_SIZE + 4];

		r = fail_at(&l, root->line, root->col,
			    "expected a mapping with the sections app, logging, output and "
			    "monitors, got %s",
			    ydoc_describe(root, got, sizeof(got)));
		goto out;
	}
	/* with a file, only the monitors it lists run */
	for (i = 0; i < cfg->nmonitors; i++) {
		cfg->monitors[i].enabled = false;
		cfg->monitors[i].present = false;
		cfg->monitors[i].pos = (struct src_pos){ 0 };
	}
	r = check_map(&l, 0, "");
	if (!r)
		r = walk_core(&l, 0, "", NULL);
	if (!r) {
		merge_filters(&l);
		set_sampling(cfg);
		set_attribution(cfg);
	}
out:
	ydoc_free(&l.doc);
	free(buf);
	return r;
}
