/* config.c - the YAML config (the user guide's schema) via libyaml: defaults, types, ranges. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <yaml.h>

#define CONFIG_MAX_BYTES (1024 * 1024) /* a config is a few KiB; more is the wrong file */
#define CONFIG_MAX_DEPTH 64
#define CONFIG_MAX_ANCHORS 1024
#define CONFIG_MAX_WARNINGS 100
#define SHOWN_MAX 60                    /* bytes of a user's value quoted in a message */
#define SHOWN_SIZE (SHOWN_MAX * 4 + 8)  /* every byte may become "\xNN", plus "..." */
#define PATH_SIZE 320
#define NO_NODE SIZE_MAX

/*
 * The parsed document, built from libyaml events. libyaml's document API lets an alias point
 * at a collection that contains it (a cycle); this tree refuses that, keeps every node's
 * position, and lets an alias share the node its anchor names.
 */
enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	bool null;      /* plain "", "~" or "null" */
	bool open;      /* a collection still being parsed: an alias to it would be a cycle */
	int line, col;  /* 1-based */
	char *text;     /* Y_SCALAR: NUL-terminated, len bytes (a "\0" escape may hide inside) */
	size_t len;
	size_t *kids;   /* Y_SEQ: items; Y_MAP: key, value, key, value, ... */
	size_t nkids, cap;
};

struct yanchor {
	char *name;
	size_t node;
};

struct ydoc {
	struct ynode *nodes; /* nodes[0] is the root */
	size_t n, cap;
	struct yanchor *anchors;
	size_t nanchors;
};

struct loader {
	struct config *cfg;
	const char *file;
	struct ydoc doc;
	const char *buf;
	size_t len;
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

static const char *const bool_words_true[] = { "true", "yes", "on", NULL };
static const char *const bool_words_false[] = { "false", "no", "off", NULL };
static const char *const env_choices[] = { "development", "production", NULL };
static const char *const level_choices[] = { "DEBUG", "INFO", "WARNING", "WARN", "ERROR",
					     "CRITICAL", NULL };
static const char *const when_choices[] = { "S", "M", "H", "D", "MIDNIGHT", NULL };
static const char *const stream_choices[] = { "ext://sys.stdout", "ext://sys.stderr", NULL };
static const char *const auto_only[] = { "auto", NULL };

#define CFG(f) offsetof(struct config, f)
#define HND(f) offsetof(struct log_handler_cfg, f)

static const struct opt_spec app_specs[] = {
	{ "name", OPT_STRING, CFG(app.name) },
	{ "version", OPT_STRING, CFG(app.version) },
	{ "description", OPT_STRING, CFG(app.description) },
	{ "author", OPT_STRING, CFG(app.author) },
	{ "email", OPT_STRING, CFG(app.email) },
	{ "environment", OPT_STRING, CFG(app.environment), .choices = env_choices },
	{ "debug", OPT_BOOL, CFG(app.debug) },
	{ "pid_file", OPT_STRING, CFG(app.pid_file), .min = 1 },
	OPT_END
};

static const struct opt_spec logging_specs[] = {
	{ "level", OPT_STRING, CFG(logging.level), .choices = level_choices },
	{ "directory", OPT_STRING, CFG(logging.directory), .min = 1 },
	OPT_END
};

static const struct opt_spec output_specs[] = {
	{ "directory", OPT_STRING, CFG(output.directory), .min = 1 },
	{ "buffer_size", OPT_INT, CFG(output.buffer_size), 1, 1000000 },
	{ "flush_interval", OPT_DOUBLE, CFG(output.flush_interval), 0.1, 3600 },
	{ "include_header", OPT_BOOL, CFG(output.include_header) },
	{ "csv_formula_guard", OPT_BOOL, CFG(output.csv_formula_guard) },
	{ "retention_days", OPT_INT, CFG(output.retention_days), 0, 36500 },
	{ "batch_size", OPT_INT, CFG(output.batch_size), 0, 1000000 },
	OPT_END
};

static const struct opt_spec console_specs[] = {
	{ "stream", OPT_STRING, HND(stream), .choices = stream_choices },
	OPT_END
};

static const struct opt_spec file_specs[] = {
	{ "filename", OPT_STRING, HND(filename), .min = 1 },
	{ "when", OPT_STRING, HND(when), .choices = when_choices },
	{ "interval", OPT_INT, HND(interval), 1, 1000000 },
	{ "backupCount", OPT_INT, HND(backup_count), 0, 1000000 },
	OPT_END
};

static const struct opt_spec formatter_specs[] = {
	{ "format", OPT_STRING, offsetof(struct log_formatter_cfg, format), .min = 1 },
	OPT_END
};

static const struct opt_spec monitor_specs[] = {
	{ "enabled", OPT_BOOL, offsetof(struct monitor_cfg, enabled) },
	OPT_END
};

static const struct opt_spec interval_spec = {
	"interval", OPT_DOUBLE, offsetof(struct monitor_cfg, interval), 0.1, 86400
};

static const struct opt_spec handler_level_spec = {
	"level", OPT_STRING, HND(level), .choices = level_choices
};

/* ---- messages ---- */

/* Copies n bytes of s for a message: control characters escaped, cut after SHOWN_MAX bytes. */
static const char *shown(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, o = 0, lim = n;
	bool cut = false;

	if (lim > SHOWN_MAX) {
		lim = SHOWN_MAX;
		/* never split a UTF-8 sequence */
		while (lim > 0 && ((unsigned char)s[lim] & 0xc0) == 0x80)
			lim--;
		cut = true;
	}
	for (i = 0; i < lim && o + 8 < size; i++) {
		unsigned char c = s[i];

		if (c == '\n' || c == '\t' || c == '\r') {
			buf[o++] = '\\';
			buf[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (c < 0x20 || c == 0x7f) {
			o += snprintf(buf + o, size - o, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < lim && (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) {
			/* C1 controls (U+0080..U+009F) can drive a terminal too */
			o += snprintf(buf + o, size - o, "\\u%04x", (unsigned char)s[++i]);
		} else {
			buf[o++] = c;
		}
	}
	if (cut && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *shown_str(const char *s, char *buf, size_t size)
{
	return shown(s, strlen(s), buf, size);
}

static const char *describe(const struct ynode *n, char *buf, size_t size)
{
	if (n->kind == Y_SEQ)
		return "a list";
	if (n->kind == Y_MAP)
		return "a mapping";
	if (n->null && n->len == 0)
		return "an empty value";
	buf[0] = '\'';
	shown(n->text, n->len, buf + 1, size - 2);
	strcat(buf, "'");
	return buf;
}

static void append(char *buf, size_t size, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (n > size - 1 - *o)
		n = size - 1 - *o;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
}

/* "path.key" for messages, cut to fit */
static void join(char *buf, size_t size, const char *path, const char *key)
{
	char k[SHOWN_SIZE];
	size_t o = 0;

	buf[0] = '\0';
	append(buf, size, &o, path);
	if (*path)
		append(buf, size, &o, ".");
	append(buf, size, &o, shown_str(key, k, sizeof(k)));
}

static void choices_text(const char *const *choices, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; *choices && o < size; choices++) {
		int r = snprintf(buf + o, size - o, "%s%s", o ? ", " : "", *choices);

		if (r < 0)
			break;
		o += (size_t)r;
	}
}

static struct ynode *node(struct loader *l, size_t i)
{
	return &l->doc.nodes[i];
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
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg + off, size - (size_t)off, fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_type(struct loader *l, const struct ynode *n, const char *path, const char *what)
{
	char got[SHOWN_SIZE + 4];

	return fail_at(l, n->line, n->col, "%s: expected %s, got %s", path, what,
		       describe(n, got, sizeof(got)));
}

static int fail_oom(struct loader *l, const struct ynode *n, const char *path)
{
	return fail_at(l, n->line, n->col, "%s: out of memory", path);
}

/* An unknown choice: lists the choices and the nearest one. */
static int fail_choice(struct loader *l, const struct ynode *n, const char *path,
		       const char *const *choices)
{
	char what[300], got[SHOWN_SIZE + 4];
	const char *near = NULL;

	memcpy(what, "one of ", 8);
	choices_text(choices, what + 7, sizeof(what) - 7);
	if (n->kind == Y_SCALAR && !n->null)
		near = config_suggest(n->text, choices);
	if (near)
		return fail_at(l, n->line, n->col, "%s: expected %s, got %s (did you mean '%s'?)",
			       path, what, describe(n, got, sizeof(got)), near);
	return fail_type(l, n, path, what);
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

/* ---- the tree ---- */

static void doc_free(struct ydoc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->nodes[i].text);
		free(d->nodes[i].kids);
	}
	for (i = 0; i < d->nanchors; i++)
		free(d->anchors[i].name);
	free(d->nodes);
	free(d->anchors);
	memset(d, 0, sizeof(*d));
}

/* Appends an unlinked node; its index goes to *ret. */
static int doc_add(struct ydoc *d, enum ykind kind, const yaml_mark_t *mark, size_t *ret)
{
	struct ynode *n;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ynode *nodes = realloc(d->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return -ENOMEM;
		d->nodes = nodes;
		d->cap = cap;
	}
	n = &d->nodes[d->n];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	*ret = d->n++;
	return 0;
}

static int doc_link(struct ydoc *d, size_t parent, size_t child)
{
	struct ynode *p = &d->nodes[parent];

	if (p->nkids == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		size_t *kids = realloc(p->kids, cap * sizeof(*kids));

		if (!kids)
			return -ENOMEM;
		p->kids = kids;
		p->cap = cap;
	}
	p->kids[p->nkids++] = child;
	return 0;
}

static int doc_anchor(struct loader *l, const yaml_char_t *name, size_t idx, const yaml_mark_t *m)
{
	struct ydoc *d = &l->doc;
	struct yanchor *a;

	if (!name)
		return 0;
	if (d->nanchors == CONFIG_MAX_ANCHORS)
		return fail_at(l, (int)m->line + 1, (int)m->column + 1,
			       "more than %d YAML anchors", CONFIG_MAX_ANCHORS);
	a = realloc(d->anchors, (d->nanchors + 1) * sizeof(*a));
	if (!a)
		return fail_at(l, 0, 0, "out of memory");
	d->anchors = a;
	a[d->nanchors].name = strdup((const char *)name);
	if (!a[d->nanchors].name)
		return fail_at(l, 0, 0, "out of memory");
	a[d->nanchors++].node = idx;
	return 0;
}

static bool plain_null(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* Where libyaml failed, for reader errors (bad UTF-8) counted from the byte offset. */
static int syntax_error(struct loader *l, const yaml_parser_t *p)
{
	size_t line = p->problem_mark.line, col = p->problem_mark.column;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR)
		return fail_at(l, 0, 0, "out of memory while parsing");
	if (p->error == YAML_READER_ERROR) {
		size_t i, end = p->problem_offset < l->len ? p->problem_offset : l->len;

		line = 0;
		col = 0;
		for (i = 0; i < end; i++) {
			if (l->buf[i] == '\n') {
				line++;
				col = 0;
			} else {
				col++;
			}
		}
	}
	if (p->context)
		return fail_at(l, (int)line + 1, (int)col + 1, "YAML syntax error: %s (%s)",
			       problem, p->context);
	return fail_at(l, (int)line + 1, (int)col + 1, "YAML syntax error: %s", problem);
}

static int alias_target(struct loader *l, const yaml_event_t *ev, size_t *ret)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	char s[SHOWN_SIZE];
	size_t i;

	for (i = l->doc.nanchors; i-- > 0;) {
		if (strcmp(l->doc.anchors[i].name, name))
			continue;
		if (l->doc.nodes[l->doc.anchors[i].node].open)
			return fail_at(l, line, col,
				       "alias '*%s' refers to a node that contains it",
				       shown_str(name, s, sizeof(s)));
		*ret = l->doc.anchors[i].node;
		return 0;
	}
	return fail_at(l, line, col, "alias '*%s' has no anchor '&%s' before it",
		       shown_str(name, s, sizeof(s)), s);
}

/* One event into the tree. stack holds the open collections. */
static int doc_event(struct loader *l, const yaml_event_t *ev, size_t *stack, size_t *depth,
		     int *ndocs)
{
	struct ydoc *d = &l->doc;
	const yaml_mark_t *m = &ev->start_mark;
	size_t idx = 0;
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*ndocs > 1)
			return fail_at(l, (int)m->line + 1, (int)m->column + 1,
				       "only one YAML document is allowed in a config file");
		return 0;
	case YAML_SCALAR_EVENT:
		r = doc_add(d, Y_SCALAR, m, &idx);
		if (r)
			return fail_at(l, 0, 0, "out of memory");
		d->nodes[idx].len = ev->data.scalar.length;
		d->nodes[idx].null = plain_null(ev);
		d->nodes[idx].text = malloc(ev->data.scalar.length + 1);
		if (!d->nodes[idx].text)
			return fail_at(l, 0, 0, "out of memory");
		memcpy(d->nodes[idx].text, ev->data.scalar.value, ev->data.scalar.length);
		d->nodes[idx].text[ev->data.scalar.length] = '\0';
		if (doc_anchor(l, ev->data.scalar.anchor, idx, m))
			return -1;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (*depth == CONFIG_MAX_DEPTH)
			return fail_at(l, (int)m->line + 1, (int)m->column + 1,
				       "nested deeper than %d levels", CONFIG_MAX_DEPTH);
		r = doc_add(d, ev->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ, m, &idx);
		if (r)
			return fail_at(l, 0, 0, "out of memory");
		d->nodes[idx].open = true;
		if (doc_anchor(l, ev->type == YAML_MAPPING_START_EVENT ?
					  ev->data.mapping_start.anchor :
					  ev->data.sequence_start.anchor,
			       idx, m))
			return -1;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		d->nodes[stack[--*depth]].open = false;
		return 0;
	case YAML_ALIAS_EVENT:
		if (alias_target(l, ev, &idx))
			return -1;
		if (*depth && doc_link(d, stack[*depth - 1], idx))
			return fail_at(l, 0, 0, "out of memory");
		return 0;
	default:
		return 0;
	}
	/* a new scalar or collection: link it under its parent */
	if (*depth && doc_link(d, stack[*depth - 1], idx))
		return fail_at(l, 0, 0, "out of memory");
	if (d->nodes[idx].kind != Y_SCALAR)
		stack[(*depth)++] = idx;
	return 0;
}

/* Parses buf into l->doc; an empty document leaves it with no nodes. */
static int doc_build(struct loader *l, const char *buf, size_t len)
{
	size_t stack[CONFIG_MAX_DEPTH];
	size_t depth = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	int ndocs = 0, r = 0;
	bool done = false;

	l->buf = buf;
	l->len = len;
	if (!yaml_parser_initialize(&p))
		return fail_at(l, 0, 0, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !r) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = syntax_error(l, &p);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT)
			done = true;
		r = doc_event(l, &ev, stack, &depth, &ndocs);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return r;
}

/* ---- scalars (shared by the file and the schemas' `def` text) ---- */

/* A scalar usable as a value: not a collection, not null, no NUL hidden by an escape. */
static bool is_value(const struct ynode *n)
{
	return n->kind == Y_SCALAR && !n->null && strlen(n->text) == n->len;
}

static int parse_bool(const char *s, bool *ret)
{
	size_t i;

	for (i = 0; bool_words_true[i]; i++) {
		if (!strcasecmp(s, bool_words_true[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(s, bool_words_false[i])) {
			*ret = false;
			return 0;
		}
	}
	return -1;
}

static int parse_ll(const char *s, long long *ret)
{
	const char *p = s + (*s == '+' || *s == '-');
	char *end;
	long long v;

	if (!*p)
		return -1;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*ret = v;
	return 0;
}

static int parse_double(const char *s, double *ret)
{
	bool digit = false;
	const char *p;
	char *end;
	double v;

	/* plain decimal notation only: no "inf", "nan" or hex floats */
	for (p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (!strchr("+-.eE", *p))
			return -1;
	}
	if (!digit)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	*ret = v;
	return 0;
}

static bool ranged(const struct opt_spec *o)
{
	return o->min != 0 || o->max != 0;
}

static int replace_str(char **dst, const char *s)
{
	char *p = strdup(s);

	if (!p)
		return -ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

static void strlist_free(struct strlist *sl)
{
	size_t i;

	for (i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

static int find_choice(const char *s, const char *const *choices)
{
	int i;

	for (i = 0; choices[i]; i++)
		if (!strcasecmp(s, choices[i]))
			return i;
	return -1;
}

static int check_map(struct loader *l, size_t map, const char *path);

static int set_strlist(struct loader *l, struct strlist *dst, size_t vi, const char *path)
{
	const struct ynode *v = node(l, vi);
	struct strlist sl = { 0 };
	char ipath[PATH_SIZE];
	size_t i;

	if (v->kind == Y_MAP)
		return fail_type(l, v, path, "a list of strings");
	if (v->kind == Y_SCALAR && !v->null) {
		if (!is_value(v))
			return fail_type(l, v, path, "a list of strings");
		sl.v = calloc(1, sizeof(*sl.v));
		if (!sl.v || !(sl.v[0] = strdup(v->text))) {
			free(sl.v);
			return fail_oom(l, v, path);
		}
		sl.n = 1;
	} else if (v->kind == Y_SEQ && v->nkids) {
		sl.v = calloc(v->nkids, sizeof(*sl.v));
		if (!sl.v)
			return fail_oom(l, v, path);
		for (i = 0; i < v->nkids; i++) {
			const struct ynode *item = node(l, v->kids[i]);

			if (!is_value(item)) {
				snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
				strlist_free(&sl);
				return fail_type(l, item, ipath, "a string");
			}
			sl.v[sl.n] = strdup(item->text);
			if (!sl.v[sl.n]) {
				strlist_free(&sl);
				return fail_oom(l, item, path);
			}
			sl.n++;
		}
	}
	/* the file's list replaces the default one */
	strlist_free(dst);
	*dst = sl;
	return 0;
}

static int set_boolmap(struct loader *l, const struct opt_spec *o, struct boolmap *dst, size_t vi,
		       const char *path)
{
	const struct ynode *v = node(l, vi);
	struct boolmap bm = { 0 };
	char kpath[PATH_SIZE];
	size_t i, nchoices = 0;

	while (o->choices && o->choices[nchoices])
		nchoices++;
	if (!nchoices || nchoices > 64)
		return fail_at(l, v->line, v->col,
			       "%s: bad schema: a boolean map needs 1 to 64 keys", path);
	if (v->kind == Y_SCALAR && v->null) {
		*dst = bm;
		return 0;
	}
	if (v->kind != Y_MAP)
		return fail_type(l, v, path, "a mapping of names to true or false");
	if (check_map(l, vi, path))
		return -1;
	for (i = 0; i + 1 < v->nkids; i += 2) {
		const struct ynode *k = node(l, v->kids[i]), *val = node(l, v->kids[i + 1]);
		unsigned long long bit;
		bool b;
		int c;

		for (c = 0; o->choices[c] && strcmp(o->choices[c], k->text); c++)
			;
		if (!o->choices[c])
			return fail_choice(l, k, path, o->choices);
		join(kpath, sizeof(kpath), path, k->text);
		if (!is_value(val) || parse_bool(val->text, &b))
			return fail_type(l, val, kpath, "true or false");
		bit = 1ULL << c;
		bm.set |= bit;
		if (b)
			bm.value |= bit;
	}
	/* the file's map replaces the default one: `set` says what the user wrote */
	*dst = bm;
	return 0;
}

/* Stores the value at node vi as the option o describes, into base + o->offset. */
static int set_opt(struct loader *l, const struct opt_spec *o, void *base, size_t vi,
		   const char *path)
{
	const struct ynode *v = node(l, vi);
	void *dst = (char *)base + o->offset;
	char what[128];

	switch (o->type) {
	case OPT_BOOL:
		if (!is_value(v) || parse_bool(v->text, (bool *)dst))
			return fail_type(l, v, path, "true or false");
		return 0;
	case OPT_INT: {
		long long x;

		if (!is_value(v) || parse_ll(v->text, &x))
			return fail_type(l, v, path, "an integer");
		if (ranged(o) && (x < o->min || x > o->max)) {
			snprintf(what, sizeof(what), "an integer in %lld..%lld", (long long)o->min,
				 (long long)o->max);
			return fail_type(l, v, path, what);
		}
		*(long long *)dst = x;
		return 0;
	}
	case OPT_DOUBLE: {
		double x;

		if (!is_value(v) || parse_double(v->text, &x))
			return fail_type(l, v, path, "a number");
		if (ranged(o) && (x < o->min || x > o->max)) {
			snprintf(what, sizeof(what), "a number in %g..%g", o->min, o->max);
			return fail_type(l, v, path, what);
		}
		*(double *)dst = x;
		return 0;
	}
	case OPT_STRING: {
		const char *s = "";
		int c;

		if (v->kind != Y_SCALAR || strlen(v->text) != v->len)
			return fail_type(l, v, path, "a string");
		if (!v->null)
			s = v->text;
		if (o->choices) {
			c = find_choice(s, o->choices);
			if (c < 0 || v->null)
				return fail_choice(l, v, path, o->choices);
			s = o->choices[c]; /* the canonical spelling */
		} else if (o->min > 0 && !*s) {
			return fail_type(l, v, path, "a non-empty string");
		}
		if (replace_str((char **)dst, s))
			return fail_oom(l, v, path);
		return 0;
	}
	case OPT_STRLIST:
		return set_strlist(l, (struct strlist *)dst, vi, path);
	case OPT_BOOLMAP:
		return set_boolmap(l, o, (struct boolmap *)dst, vi, path);
	}
	return fail_at(l, v->line, v->col, "%s: bad schema: unknown option type %d", path,
		       (int)o->type);
}

static void opts_free(const struct opt_spec *specs, void *base)
{
	const struct opt_spec *o;

	if (!specs || !base)
		return;
	for (o = specs; o->key; o++) {
		void *p = (char *)base + o->offset;

		if (o->type == OPT_STRING) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (o->type == OPT_STRLIST) {
			strlist_free((struct strlist *)p);
		}
	}
}

/* ---- walking the document ---- */

struct key_ref {
	const char *text;
	size_t len;
	size_t pos; /* index of the key in the mapping */
	size_t node;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->text, y->text, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Keys must be scalars, unique (sorted, so a huge mapping stays cheap), and not merge keys. */
static int check_map(struct loader *l, size_t map, const char *path)
{
	const struct ynode *m = node(l, map);
	size_t i, nkeys = m->nkids / 2, dup = NO_NODE, first = NO_NODE;
	struct key_ref *keys;
	char kpath[PATH_SIZE];

	for (i = 0; i < nkeys; i++) {
		const struct ynode *k = node(l, m->kids[2 * i]);

		if (k->kind != Y_SCALAR)
			return fail_type(l, k, *path ? path : "key", "a plain key");
		if (!k->null && !strcmp(k->text, "<<")) {
			join(kpath, sizeof(kpath), path, "<<");
			return fail_at(l, k->line, k->col,
				       "%s: YAML merge keys are not supported; write the keys out",
				       kpath);
		}
	}
	if (nkeys < 2)
		return 0;
	keys = calloc(nkeys, sizeof(*keys));
	if (!keys)
		return fail_oom(l, m, path);
	for (i = 0; i < nkeys; i++) {
		const struct ynode *k = node(l, m->kids[2 * i]);

		keys[i] = (struct key_ref){ k->text, k->len, i, m->kids[2 * i] };
	}
	qsort(keys, nkeys, sizeof(*keys), key_ref_cmp);
	/* report the earliest repetition in file order */
	for (i = 1; i < nkeys; i++) {
		if (keys[i].len != keys[i - 1].len ||
		    memcmp(keys[i].text, keys[i - 1].text, keys[i].len))
			continue;
		if (dup == NO_NODE || keys[i].pos < keys[dup].pos) {
			dup = i;
			first = i - 1;
			while (first > 0 && keys[first - 1].len == keys[i].len &&
			       !memcmp(keys[first - 1].text, keys[i].text, keys[i].len))
				first--;
		}
	}
	if (dup != NO_NODE) {
		const struct ynode *k = node(l, keys[dup].node), *f = node(l, keys[first].node);
		int r;

		join(kpath, sizeof(kpath), path, k->text);
		r = fail_at(l, k->line, k->col,
			    "%s: duplicate key, first defined at line %d, column %d", kpath,
			    f->line, f->col);
		free(keys);
		return r;
	}
	free(keys);
	return 0;
}

/* 1: a mapping to walk; 0: null (an empty section, nothing to change); -1: error. */
static int open_map(struct loader *l, size_t vi, const char *path)
{
	const struct ynode *v = node(l, vi);

	if (v->kind == Y_SCALAR && v->null)
		return 0;
	if (v->kind != Y_MAP)
		return fail_type(l, v, path, "a mapping");
	if (check_map(l, vi, path))
		return -1;
	return 1;
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

	shown(k->text, k->len, key, sizeof(key));
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

		join(kpath, sizeof(kpath), path, key);
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

const char *const config_format_names[] = { "csv", "jsonl", "jsonl-stdout", NULL };

unsigned config_format_bit(const char *name)
{
	for (unsigned i = 0; name && config_format_names[i]; i++) {
		if (!strcmp(name, config_format_names[i]))
			return 1u << i;
	}
	return 0;
}

int config_parse_listen(const char *s, char *host, size_t hostlen, unsigned *port, char *why,
			size_t whylen)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	char h[64], *end;
	unsigned char addr[16];
	size_t hl;
	long p;

	if (!colon) {
		snprintf(why, whylen, "expected HOST:PORT (e.g. 127.0.0.1:9435), got '%s'",
			 s ? s : "");
		return -1;
	}
	hl = (size_t)(colon - s);
	if (hl >= sizeof(h)) {
		snprintf(why, whylen, "host part of '%s' is too long", s);
		return -1;
	}
	memcpy(h, s, hl);
	h[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 1 || p > 65535 || !isdigit((unsigned char)colon[1])) {
		snprintf(why, whylen, "port of '%s' must be a number in 1..65535", s);
		return -1;
	}
	if (!strcmp(h, "*"))
		h[0] = '\0';
	else if (!strcmp(h, "localhost"))
		snprintf(h, sizeof(h), "127.0.0.1");
	if (h[0] == '[') {
		if (hl < 3 || h[hl - 1] != ']') {
			snprintf(why, whylen, "IPv6 address in '%s' needs its closing ']'", s);
			return -1;
		}
		memmove(h, h + 1, hl - 2);
		h[hl - 2] = '\0';
		if (inet_pton(AF_INET6, h, addr) != 1) {
			snprintf(why, whylen, "'%s' is not an IPv6 address", h);
			return -1;
		}
	} else if (h[0] && inet_pton(AF_INET, h, addr) != 1) {
		snprintf(why, whylen,
			 "'%s' is not an IPv4 address (write an IPv6 address as [::1]:PORT; host "
			 "names other than localhost are not resolved)",
			 h);
		return -1;
	}
	if (host)
		snprintf(host, hostlen, "%s", h);
	*port = (unsigned)p;
	return 0;
}

static const struct opt_spec prometheus_specs[] = {
	{ "enabled", OPT_BOOL, CFG(output.prometheus.enabled) },
	{ "max_label_values", OPT_INT, CFG(output.prometheus.max_label_values), 1, 100000 },
	{ "max_series", OPT_INT, CFG(output.prometheus.max_series), 1, 10000000 },
	OPT_END
};

static const char *const prometheus_specials[] = { "listen", "path", NULL };

static int prometheus_special(struct loader *l, const char *key, size_t k, size_t vi,
			      const char *path, void *ctx)
{
	static const struct opt_spec listen_spec = { "listen", OPT_STRING,
						     CFG(output.prometheus.listen), 1 };
	static const struct opt_spec path_spec = { "path", OPT_STRING, CFG(output.prometheus.path),
						   1 };
	const struct ynode *v = node(l, vi);
	char why[256];
	unsigned port;

	if (!strcmp(key, "listen")) {
		if (set_opt(l, &listen_spec, l->cfg, vi, path))
			return -1;
		if (config_parse_listen(l->cfg->output.prometheus.listen, NULL, 0, &port, why,
					sizeof(why)))
			return fail_at(l, v->line, v->col, "%s: %s", path, why);
		return 0;
	}
	if (set_opt(l, &path_spec, l->cfg, vi, path))
		return -1;
	if (l->cfg->output.prometheus.path[0] != '/' ||
	    strpbrk(l->cfg->output.prometheus.path, "?# \t\r\n"))
		return fail_type(l, v, path, "a URL path starting with '/' (e.g. /metrics)");
	return 0;
}

static int set_formats(struct loader *l, size_t vi, const char *path)
{
	const struct ynode *v = node(l, vi);
	unsigned formats = 0;
	char ipath[PATH_SIZE];

	if (v->kind == Y_MAP)
		return fail_type(l, v, path, "a list of formats (csv, jsonl, jsonl-stdout)");
	if (v->kind == Y_SCALAR) {
		if (!v->null) {
			formats = config_format_bit(v->text);
			if (!formats || !is_value(v))
				return fail_choice(l, v, path, config_format_names);
		}
	} else {
		for (size_t i = 0; i < v->nkids; i++) {
			const struct ynode *item = node(l, v->kids[i]);
			unsigned bit = is_value(item) ? config_format_bit(item->text) : 0;

			snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
			if (!bit)
				return fail_choice(l, item, ipath, config_format_names);
			formats |= bit;
		}
	}
	l->cfg->output.formats = formats;
	return 0;
}

static const char *const output_specials[] = { "csv_delimiter", "format", "prometheus", NULL };

static int output_special(struct loader *l, const char *key, size_t k, size_t vi, const char *path,
			  void *ctx)
{
	const struct ynode *v = node(l, vi);
	unsigned char c = v->kind == Y_SCALAR ? (unsigned char)v->text[0] : 0;
	struct group g = { prometheus_specs, l->cfg };
	int r;

	if (!strcmp(key, "format"))
		return set_formats(l, vi, path);
	if (!strcmp(key, "prometheus")) {
		r = open_map(l, vi, path);
		if (r <= 0)
			return r;
		return walk_section(l, vi, path, &g, 1, prometheus_specials, prometheus_special,
				    NULL);
	}

	/* one byte, never the quote character or a line break, which CSV needs for itself */
	if (!is_value(v) || v->len != 1 || c == '"' || (c != '\t' && (c < 0x20 || c > 0x7e)))
		return fail_type(l, v, path,
				 "one printable ASCII character (or a tab) other than '\"'");
	l->cfg->output.csv_delimiter = (char)c;
	return 0;
}

static const char *const handler_specials[] = { "class", "formatter", "level", NULL };

static int handler_special(struct loader *l, const char *key, size_t k, size_t vi,
			   const char *path, void *ctx)
{
	struct log_handler_cfg *h = ctx;
	const struct ynode *v = node(l, vi);
	bool console = h == &l->cfg->logging.console;
	static const struct opt_spec fmt_spec = { "formatter", OPT_STRING, HND(formatter), 1 };

	if (!strcmp(key, "class")) {
		const char *want = console ? "logging.StreamHandler" :
					     "logging.handlers.TimedRotatingFileHandler";
		char s[SHOWN_SIZE];

		if (!is_value(v))
			return fail_type(l, v, path, "a class name");
		if (strcmp(v->text, want))
			warn_at(l, v, "%s: '%s' is not supported, %s is used", path,
				shown(v->text, v->len, s, sizeof(s)), want);
		return 0;
	}
	if (!strcmp(key, "formatter")) {
		if (set_opt(l, &fmt_spec, h, vi, path))
			return -1;
		l->fmt_ref[console ? 0 : 1] = vi;
		return 0;
	}
	/* level: null inherits logging.level */
	if (v->kind == Y_SCALAR && v->null) {
		free(h->level);
		h->level = NULL;
		return 0;
	}
	return set_opt(l, &handler_level_spec, h, vi, path);
}

static const char *const handlers_specials[] = { "console", "file", NULL };

static int handlers_special(struct loader *l, const char *key, size_t k, size_t vi,
			    const char *path, void *ctx)
{
	struct log_handler_cfg *h = !strcmp(key, "console") ? &l->cfg->logging.console :
							      &l->cfg->logging.file;
	struct group g = { strcmp(key, "console") ? file_specs : console_specs, h };
	int r;

	h->present = true;
	r = open_map(l, vi, path);
	if (r <= 0)
		return r;
	return walk_section(l, vi, path, &g, 1, handler_specials, handler_special, h);
}

static const char *const formatter_specials[] = { "datefmt", NULL };

static int formatter_special(struct loader *l, const char *key, size_t k, size_t vi,
			     const char *path, void *ctx)
{
	struct log_formatter_cfg *f = ctx;
	static const struct opt_spec datefmt_spec = {
		"datefmt", OPT_STRING, offsetof(struct log_formatter_cfg, datefmt), 1
	};

	/* null: Python's default date format */
	if (node(l, vi)->kind == Y_SCALAR && node(l, vi)->null) {
		free(f->datefmt);
		f->datefmt = NULL;
		return 0;
	}
	return set_opt(l, &datefmt_spec, f, vi, path);
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

		join(fpath, sizeof(fpath), path, k->text);
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
		r = walk_section(l, m->kids[i + 1], fpath, &g, 1, formatter_specials,
				 formatter_special, f);
		if (r)
			return r;
	}
	return 0;
}

static const char *const logging_specials[] = { "formatters", "handlers", NULL };

static int logging_special(struct loader *l, const char *key, size_t k, size_t vi,
			   const char *path, void *ctx)
{
	int r = open_map(l, vi, path);

	if (r <= 0)
		return r;
	if (!strcmp(key, "formatters"))
		return walk_formatters(l, vi, path);
	/* handlers listed in the file are the ones used */
	l->cfg->logging.console.present = false;
	l->cfg->logging.file.present = false;
	return walk_section(l, vi, path, NULL, 0, handlers_specials, handlers_special, NULL);
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

/* ---- filters ---- */

#define FILTER_PID_MAX 4194304	  /* PID_MAX_LIMIT: pid_max cannot be raised above it */
#define FILTER_UID_MAX 4294967294 /* (uid_t)-1 means "no user" */
#define FILTER_COMM_MAX 15	  /* TASK_COMM_LEN - 1: the kernel cuts task names there */
#define STR_(x) #x
#define STR(x) STR_(x)

/* The keys of a `filters:` section; bit i of a loader's filter_set is filter_keys[i]. */
enum { FK_PIDS, FK_UIDS, FK_COMMS, FK_EXCLUDE_COMMS, FK_EXCLUDE_SELF, FK_COUNT };

static const char *const filter_keys[] = {
	[FK_PIDS] = "pids",
	[FK_UIDS] = "uids",
	[FK_COMMS] = "comms",
	[FK_EXCLUDE_COMMS] = "exclude_comms",
	[FK_EXCLUDE_SELF] = "exclude_self",
	[FK_COUNT] = NULL,
};

static const char *const filter_expected[] = {
	[FK_PIDS] = "a process ID in 1.." STR(FILTER_PID_MAX),
	[FK_UIDS] = "a user ID in 0.." STR(FILTER_UID_MAX),
	[FK_COMMS] = "a task name of 1 to " STR(FILTER_COMM_MAX) " bytes",
	[FK_EXCLUDE_COMMS] = "a task name of 1 to " STR(FILTER_COMM_MAX) " bytes",
};

static const char *const filter_list_expected[] = {
	[FK_PIDS] = "a process ID or a list of them",
	[FK_UIDS] = "a user ID or a list of them",
	[FK_COMMS] = "a task name or a list of them",
	[FK_EXCLUDE_COMMS] = "a task name or a list of them",
};

static const struct opt_spec exclude_self_spec = { "exclude_self", OPT_BOOL,
						   offsetof(struct filter_cfg, exclude_self) };

static int filter_key(const char *key)
{
	int i;

	for (i = 0; key && filter_keys[i]; i++)
		if (!strcmp(key, filter_keys[i]))
			return i;
	return -1;
}

/* The list `fk` of f (not FK_EXCLUDE_SELF). */
static size_t *filter_count(struct filter_cfg *f, int fk)
{
	switch (fk) {
	case FK_PIDS:
		return &f->npids;
	case FK_UIDS:
		return &f->nuids;
	case FK_COMMS:
		return &f->ncomms;
	default:
		return &f->nexclude_comms;
	}
}

static int add_id(unsigned *ids, size_t *n, unsigned id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (ids[i] == id)
			return 0;
	if (*n == FILTER_MAX)
		return -E2BIG;
	ids[(*n)++] = id;
	return 0;
}

static int add_comm(char (*comms)[16], size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(comms[i], name))
			return 0;
	if (*n == FILTER_MAX)
		return -E2BIG;
	/* NUL-padded: the probes look up all 16 bytes */
	memset(comms[*n], 0, sizeof(comms[*n]));
	memcpy(comms[*n], name, strlen(name));
	(*n)++;
	return 0;
}

int config_filter_add(struct filter_cfg *f, const char *key, const char *text, char *why,
		      size_t whylen)
{
	int fk = filter_key(key);
	char got[SHOWN_SIZE], first[SHOWN_SIZE], ignored[1];
	long long x;
	size_t len;
	int r;

	if (!why || !whylen) {
		why = ignored;
		whylen = sizeof(ignored);
	}
	if (!f || !text || fk < 0 || fk == FK_EXCLUDE_SELF) {
		snprintf(why, whylen, "not a filter list: %s", key ? key : "(null)");
		return -ENOENT;
	}
	len = strlen(text);
	shown(text, len, got, sizeof(got));
	if (fk == FK_PIDS || fk == FK_UIDS) {
		long long lo = fk == FK_PIDS ? 1 : 0;
		long long hi = fk == FK_PIDS ? FILTER_PID_MAX : (long long)FILTER_UID_MAX;

		if (parse_ll(text, &x) || x < lo || x > hi)
			goto err_invalid;
		r = add_id(fk == FK_PIDS ? f->pids : f->uids, filter_count(f, fk), (unsigned)x);
		goto out;
	}
	if (len > FILTER_COMM_MAX) {
		shown(text, FILTER_COMM_MAX, first, sizeof(first));
		snprintf(why, whylen,
			 "expected %s, got '%s' (the kernel keeps only the first %d bytes of "
			 "a task name: use '%s')",
			 filter_expected[fk], got, FILTER_COMM_MAX, first);
		return -EINVAL;
	}
	if (!len)
		goto err_invalid;
	r = add_comm(fk == FK_COMMS ? f->comms : f->exclude_comms, filter_count(f, fk), text);
out:
	if (r == -E2BIG)
		snprintf(why, whylen, "more than %d values (a filter holds at most %d)", FILTER_MAX,
			 FILTER_MAX);
	return r;

err_invalid:
	snprintf(why, whylen, "expected %s, got '%s'", filter_expected[fk], got);
	return -EINVAL;
}

/* A list key: one value or a sequence of them; null or [] is the empty list (no restriction). */
static int set_filter_list(struct loader *l, struct filter_cfg *f, int fk, size_t vi,
			   const char *path)
{
	const struct ynode *v = node(l, vi);
	const size_t *items = &vi;
	size_t i, n = 1;
	char ipath[PATH_SIZE], why[sizeof(l->err->msg)];

	if (v->kind == Y_MAP)
		return fail_type(l, v, path, filter_list_expected[fk]);
	if (v->kind == Y_SEQ) {
		items = v->kids;
		n = v->nkids;
	} else if (v->null) {
		n = 0;
	}
	if (n > FILTER_MAX)
		return fail_at(l, v->line, v->col, "%s: expected at most %d entries, got %zu", path,
			       FILTER_MAX, n);
	*filter_count(f, fk) = 0; /* the file's list replaces the one before */
	for (i = 0; i < n; i++) {
		const struct ynode *item = node(l, items[i]);

		if (v->kind == Y_SEQ)
			snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		else
			snprintf(ipath, sizeof(ipath), "%s", path);
		if (!is_value(item))
			return fail_type(l, item, ipath, filter_expected[fk]);
		if (config_filter_add(f, filter_keys[fk], item->text, why, sizeof(why)))
			return fail_at(l, item->line, item->col, "%s: %s", ipath, why);
	}
	return 0;
}

/* Where a `filters:` section goes, and which keys it set. */
struct filter_target {
	struct filter_cfg *f;
	unsigned *set;
};

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

/* dst's keys in `set` (bits of filter_keys) become src's. */
static void filter_override(struct filter_cfg *dst, const struct filter_cfg *src, unsigned set)
{
	if (set & (1u << FK_PIDS)) {
		memcpy(dst->pids, src->pids, sizeof(dst->pids));
		dst->npids = src->npids;
	}
	if (set & (1u << FK_UIDS)) {
		memcpy(dst->uids, src->uids, sizeof(dst->uids));
		dst->nuids = src->nuids;
	}
	if (set & (1u << FK_COMMS)) {
		memcpy(dst->comms, src->comms, sizeof(dst->comms));
		dst->ncomms = src->ncomms;
	}
	if (set & (1u << FK_EXCLUDE_COMMS)) {
		memcpy(dst->exclude_comms, src->exclude_comms, sizeof(dst->exclude_comms));
		dst->nexclude_comms = src->nexclude_comms;
	}
	if (set & (1u << FK_EXCLUDE_SELF))
		dst->exclude_self = src->exclude_self;
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

static const char *const monitor_specials[] = { "interval", "attach", "filters", NULL };

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
	choices_text(names, avail, sizeof(avail));

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
			shown(k->text, k->len, key, sizeof(key));
			if (near)
				warn_at(l, k,
					"unknown monitor '%s' in monitors (did you mean '%s'?); "
					"available: %s", key, near, avail);
			else
				warn_at(l, k, "unknown monitor '%s' in monitors; available: %s",
					key, avail);
			continue;
		}
		join(path, sizeof(path), "monitors", m->name);
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

static const char *const root_specials[] = {
	"app", "logging", "output", "monitors", "filters", NULL
};

static int root_special(struct loader *l, const char *key, size_t k, size_t vi, const char *path,
			void *ctx)
{
	struct config *cfg = l->cfg;
	struct group g = { NULL, cfg };
	unsigned set = 0;
	int r;

	if (!strcmp(key, "filters"))
		return walk_filters(l, vi, path, &cfg->filters, &set);
	r = open_map(l, vi, path);
	if (r <= 0)
		return r;
	if (!strcmp(key, "app")) {
		g.specs = app_specs;
		return walk_section(l, vi, path, &g, 1, NULL, NULL, NULL);
	}
	if (!strcmp(key, "output")) {
		g.specs = output_specs;
		return walk_section(l, vi, path, &g, 1, output_specials, output_special, NULL);
	}
	if (!strcmp(key, "logging")) {
		g.specs = logging_specs;
		r = walk_section(l, vi, path, &g, 1, logging_specials, logging_special, NULL);
		return r ? r : check_formatter_refs(l);
	}
	return walk_monitors(l, vi);
}

/* ---- the public functions ---- */

const char *config_suggest(const char *word, const char *const *candidates)
{
	size_t prev[65], cur[65];
	size_t wlen, limit, best_d = SIZE_MAX;
	const char *best = NULL;

	if (!word || !candidates)
		return NULL;
	wlen = strlen(word);
	if (wlen > 64)
		return NULL;
	limit = wlen / 3 + 1;
	if (limit > 3)
		limit = 3;
	for (; *candidates; candidates++) {
		const char *c = *candidates;
		size_t clen = strlen(c), i, j;

		if (clen > 64 || (clen > wlen ? clen - wlen : wlen - clen) > limit)
			continue;
		for (j = 0; j <= clen; j++)
			prev[j] = j;
		for (i = 1; i <= wlen; i++) {
			cur[0] = i;
			for (j = 1; j <= clen; j++) {
				size_t sub = prev[j - 1] + (tolower((unsigned char)word[i - 1]) !=
							    tolower((unsigned char)c[j - 1]));
				size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
				size_t best_here = sub < del ? sub : del;

				cur[j] = best_here < ins ? best_here : ins;
			}
			memcpy(prev, cur, (clen + 1) * sizeof(*prev));
		}
		if (prev[clen] <= limit && prev[clen] < best_d) {
			best_d = prev[clen];
			best = c;
		}
	}
	return best;
}

struct monitor_cfg *config_monitor(struct config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	return find_monitor(cfg, name);
}

static bool filters_equal(const struct filter_cfg *a, const struct filter_cfg *b)
{
	if (a->npids != b->npids || a->nuids != b->nuids || a->ncomms != b->ncomms ||
	    a->nexclude_comms != b->nexclude_comms || a->exclude_self != b->exclude_self)
		return false;
	return !memcmp(a->pids, b->pids, a->npids * sizeof(a->pids[0])) &&
	       !memcmp(a->uids, b->uids, a->nuids * sizeof(a->uids[0])) &&
	       !memcmp(a->comms, b->comms, a->ncomms * sizeof(a->comms[0])) &&
	       !memcmp(a->exclude_comms, b->exclude_comms,
		       a->nexclude_comms * sizeof(a->exclude_comms[0]));
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool config_monitor_equal(const struct monitor_cfg *a, const struct monitor_cfg *b)
{
	const struct opt_spec *o;

	if (a->schema != b->schema || a->enabled != b->enabled || a->interval != b->interval ||
	    !str_equal(a->attach, b->attach) || !filters_equal(&a->filters, &b->filters))
		return false;
	for (o = a->schema->options; o && o->key; o++) {
		const char *x = (const char *)a->opts + o->offset;
		const char *y = (const char *)b->opts + o->offset;

		switch (o->type) {
		case OPT_BOOL:
			if (*(const bool *)x != *(const bool *)y)
				return false;
			break;
		case OPT_INT:
			if (*(const long long *)x != *(const long long *)y)
				return false;
			break;
		case OPT_DOUBLE:
			if (*(const double *)x != *(const double *)y)
				return false;
			break;
		case OPT_STRING:
			if (!str_equal(*(char *const *)x, *(char *const *)y))
				return false;
			break;
		case OPT_STRLIST: {
			const struct strlist *l = (const void *)x, *m = (const void *)y;

			if (l->n != m->n)
				return false;
			for (size_t i = 0; i < l->n; i++) {
				if (strcmp(l->v[i], m->v[i]))
					return false;
			}
			break;
		}
		case OPT_BOOLMAP: {
			const struct boolmap *l = (const void *)x, *m = (const void *)y;

			if (l->set != m->set || (l->value & l->set) != (m->value & m->set))
				return false;
			break;
		}
		}
	}
	return true;
}

void config_free(struct config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->app.name);
	free(cfg->app.version);
	free(cfg->app.description);
	free(cfg->app.author);
	free(cfg->app.email);
	free(cfg->app.environment);
	free(cfg->app.pid_file);
	free(cfg->logging.level);
	free(cfg->logging.directory);
	for (i = 0; i < cfg->logging.nformatters; i++) {
		free(cfg->logging.formatters[i].name);
		free(cfg->logging.formatters[i].format);
		free(cfg->logging.formatters[i].datefmt);
	}
	free(cfg->logging.console.formatter);
	free(cfg->logging.console.level);
	free(cfg->logging.console.stream);
	free(cfg->logging.console.filename);
	free(cfg->logging.console.when);
	free(cfg->logging.file.formatter);
	free(cfg->logging.file.level);
	free(cfg->logging.file.stream);
	free(cfg->logging.file.filename);
	free(cfg->logging.file.when);
	free(cfg->output.directory);
	free(cfg->output.prometheus.listen);
	free(cfg->output.prometheus.path);
	for (i = 0; i < cfg->nmonitors && i < CONFIG_MAX_MONITORS; i++) {
		struct monitor_cfg *m = &cfg->monitors[i];

		if (m->schema)
			opts_free(m->schema->options, m->opts);
		free(m->opts);
		free(m->attach);
	}
	memset(cfg, 0, sizeof(*cfg));
}

/* Sets one option from its schema's `def` text, read with the same rules as the file. */
static int apply_default(struct config *cfg, const struct monitor_schema *s,
			 const struct opt_spec *o, void *opts)
{
	struct config_error err;
	struct loader l = { .cfg = cfg, .file = "built-in default", .err = &err };
	char path[PATH_SIZE];
	int r = 0;

	if (!o->def)
		return 0;
	snprintf(path, sizeof(path), "monitors.%s.%s", s->name, o->key);
	if (doc_build(&l, o->def, strlen(o->def)))
		r = -EINVAL;
	else if (l.doc.n && set_opt(&l, o, opts, 0, path))
		r = -EINVAL;
	doc_free(&l.doc);
	return r;
}

int config_defaults(struct config *cfg, const struct monitor_schema *schemas, size_t nschemas)
{
	struct log_formatter_cfg *f = cfg->logging.formatters;
	bool oom = false;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	if (nschemas > CONFIG_MAX_MONITORS || (nschemas && !schemas))
		return -EINVAL;

#define DUP(dst, s) ((dst) = strdup(s), oom |= !(dst))
	DUP(cfg->app.name, "ebpf_monitor");
	DUP(cfg->app.version, "1.0.0");
	DUP(cfg->app.description, "eBPF Monitor for Linux");
	DUP(cfg->app.author, "bwyu");
	DUP(cfg->app.email, "bwyu@czce.com.cn");
	DUP(cfg->app.environment, "development");
	cfg->app.debug = true;
	DUP(cfg->app.pid_file, "temp/monitor.pid");

	/* INFO, not the guide file's DEBUG: without a config file the log stays quiet */
	DUP(cfg->logging.level, "INFO");
	DUP(cfg->logging.directory, "logs");
	DUP(f[0].name, "detailed");
	DUP(f[0].format, "%(asctime)s [%(levelname)s] %(name)s:%(lineno)d %(message)s");
	DUP(f[1].name, "simple");
	DUP(f[1].format, "%(levelname)s: %(message)s");
	cfg->logging.nformatters = 2;
	cfg->logging.console.present = true;
	DUP(cfg->logging.console.formatter, "simple");
	DUP(cfg->logging.console.stream, "ext://sys.stdout");
	cfg->logging.file.present = true;
	DUP(cfg->logging.file.formatter, "detailed");
	DUP(cfg->logging.file.filename, "monitor.log");
	DUP(cfg->logging.file.when, "D");
	cfg->logging.file.interval = 1;
	cfg->logging.file.backup_count = 365;

	DUP(cfg->output.directory, "output");
	cfg->output.buffer_size = 2000;
	cfg->output.flush_interval = 2.0;
	cfg->output.csv_delimiter = ',';
	cfg->output.include_header = true;
	cfg->output.csv_formula_guard = false;
	cfg->output.retention_days = 0;
	cfg->output.batch_size = 0;
	cfg->output.formats = OUTPUT_CSV;
	cfg->output.prometheus.enabled = false;
	DUP(cfg->output.prometheus.listen, "127.0.0.1:9435");
	DUP(cfg->output.prometheus.path, "/metrics");
	cfg->output.prometheus.max_label_values = 100;
	cfg->output.prometheus.max_series = 10000;
	cfg->filters.exclude_self = true;

	for (i = 0; i < nschemas; i++) {
		const struct monitor_schema *s = &schemas[i];
		struct monitor_cfg *m = &cfg->monitors[i];

		m->name = s->name;
		m->schema = s;
		m->enabled = true;
		m->interval = 2;
		m->filters.exclude_self = true;
		DUP(m->attach, "auto");
		m->opts = calloc(1, s->options_size ? s->options_size : 1);
		oom |= !m->opts;
		cfg->nmonitors++;
	}
#undef DUP
	if (oom) {
		config_free(cfg);
		return -ENOMEM;
	}
	for (i = 0; i < nschemas; i++) {
		const struct opt_spec *o;

		for (o = schemas[i].options; o && o->key; o++) {
			int r = apply_default(cfg, &schemas[i], o, cfg->monitors[i].opts);

			if (r) {
				config_free(cfg);
				return r;
			}
		}
	}
	return 0;
}

/* Reads the whole file, refusing anything over CONFIG_MAX_BYTES. */
static int read_config(const char *path, char **ret_buf, size_t *ret_len, struct config_error *err)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nbuf;
	struct stat st;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto err_errno;
	if (fstat(fd, &st) < 0)
		goto err_close;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto err_close;
	}
	if (S_ISREG(st.st_mode) && st.st_size > CONFIG_MAX_BYTES)
		goto err_too_large;
	for (;;) {
		ssize_t n;

		if (len == cap || !buf) {
			cap = buf ? cap * 2 : cap;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				errno = ENOMEM;
				goto err_close;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_close;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_MAX_BYTES)
			goto err_too_large;
	}
	close(fd);
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;

err_too_large:
	close(fd);
	free(buf);
	snprintf(err->msg, sizeof(err->msg),
		 "%s: config file is larger than %d bytes; is it the right file?", path,
		 CONFIG_MAX_BYTES);
	return -1;
err_close:
	e = errno;
	close(fd);
	free(buf);
	errno = e;
err_errno:
	snprintf(err->msg, sizeof(err->msg), "%s: cannot read config: %s", path, strerror(errno));
	return -1;
}

/* cfg must hold this schema's defaults; a zeroed or foreign cfg gets them first. */
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
		return -1;
	}
	r = prepare(cfg, schemas, nschemas);
	if (r) {
		snprintf(err->msg, sizeof(err->msg), "%s: cannot set the defaults: %s", path,
			 r == -EINVAL ? "a monitor schema is invalid" : strerror(-r));
		return -1;
	}
	if (replace_str(&cfg->path, path)) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", path);
		return -1;
	}
	if (read_config(path, &buf, &len, err))
		return -1;

	r = doc_build(&l, buf, len);
	if (r)
		goto out;
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
			    "monitors, got %s", describe(root, got, sizeof(got)));
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
		r = walk_section(&l, 0, "", NULL, 0, root_specials, root_special, NULL);
	if (!r)
		merge_filters(&l);
out:
	doc_free(&l.doc);
	free(buf);
	return r ? -1 : 0;
}
