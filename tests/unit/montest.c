/* montest.c - see montest.h. */
#include "montest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "monitors/attrib.h"

static char *cell_text(const struct column *c, const struct cell *cell)
{
	char buf[64];

	switch (c->type) {
	case COL_TIMESTAMP:
	case COL_TIMESTR:
		return strdup("");
	case COL_STR:
		return strdup(cell->s ? cell->s : "");
	default:
		fmt_cell_number(c, cell, buf, sizeof(buf));
		return strdup(buf);
	}
}

static int capture_row(struct sink *s, int stream, const struct row *r)
{
	struct montest *t = s->priv;
	char **cells;

	(void)stream;
	if (t->nrows == MONTEST_MAX_ROWS)
		return -E2BIG;
	cells = calloc(t->m.ncolumns, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	for (size_t i = 0; i < t->m.ncolumns; i++)
		cells[i] = cell_text(&t->m.columns[i], &r->cells[i]);
	t->row_ts[t->nrows] = r->ts_ns;
	t->cells[t->nrows++] = cells;
	return 0;
}

static const struct sink_ops capture_ops = { .name = "capture", .write_row = capture_row };

static void warn_ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int montest_start(struct montest *t, const char *name, const char *options)
{
	char path[] = "/tmp/montest.XXXXXX", *yaml = NULL;
	struct config_error cerr = { { 0 } };
	struct monitor_cfg *mc;
	size_t n;
	int fd, r;

	memset(t, 0, sizeof(*t));
	n = monitor_schemas(t->schemas, CONFIG_MAX_MONITORS);
	if (asprintf(&yaml, "monitors:\n  %s:\n    enabled: true\n%s", name, options) < 0)
		return -ENOMEM;
	fd = mkstemp(path);
	if (fd < 0) {
		r = -errno;
		free(yaml);
		return r;
	}
	r = write(fd, yaml, strlen(yaml)) == (ssize_t)strlen(yaml) ? 0 : -EIO;
	close(fd);
	free(yaml);
	if (!r && (r = config_defaults(&t->cfg, t->schemas, n)))
		snprintf(t->err, sizeof(t->err), "the config's defaults: %s", strerror(-r));
	if (!r && (r = config_load(&t->cfg, path, t->schemas, n, warn_ignore, NULL, &cerr)))
		snprintf(t->err, sizeof(t->err), "%s", cerr.msg);
	unlink(path);
	if (r)
		return r;
	mc = config_monitor(&t->cfg, name);
	if (!mc) {
		snprintf(t->err, sizeof(t->err), "no monitor %s", name);
		return -ENOENT;
	}
	t->sink = (struct sink){ &capture_ops, t };
	t->host.sinks[0] = &t->sink;
	t->host.nsinks = 1;
	r = monitor_setup_begin(&t->m, monitor_find(name), mc, &t->host, t->err, sizeof(t->err));
	if (!r)
		r = monitor_setup_end(&t->m, t->err, sizeof(t->err));
	t->started = r == 0;
	return r;
}

struct bpf_mod *montest_mod(const struct montest *t)
{
	return t->m.bpf;
}

uint32_t montest_epoch(const struct montest *t)
{
	return fake_bpf_epoch(t->m.bpf);
}

void montest_interval(struct montest *t, uint64_t now_ns)
{
	if (monitor_flip_epoch(&t->m, now_ns) == 0 && t->m.ops->collect)
		t->m.ops->collect(&t->m, t->m.interval_end_ns);
}

void montest_poll(struct montest *t)
{
	if (t->m.ops->poll)
		t->m.ops->poll(&t->m);
}

void montest_event(struct montest *t, int cpu, const void *data, int size)
{
	fake_perf_event(t->m.bpf, cpu, data, size);
}

static long column_index(const struct montest *t, const char *col)
{
	for (size_t i = 0; i < t->m.ncolumns; i++) {
		if (!strcmp(t->m.columns[i].name, col))
			return (long)i;
	}
	return -1;
}

const char *montest_cell(const struct montest *t, size_t row, const char *col)
{
	long c = column_index(t, col);

	return row < t->nrows && c >= 0 ? t->cells[row][c] : NULL;
}

long montest_find(const struct montest *t, const char *col, const char *value)
{
	long c = column_index(t, col);

	for (size_t i = 0; c >= 0 && i < t->nrows; i++) {
		if (!strcmp(t->cells[i][c], value))
			return (long)i;
	}
	return -1;
}

void montest_clear_rows(struct montest *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t c = 0; c < t->m.ncolumns; c++)
			free(t->cells[i][c]);
		free(t->cells[i]);
	}
	t->nrows = 0;
}

void montest_stop(struct montest *t)
{
	montest_clear_rows(t);
	if (t->started)
		monitor_teardown(&t->m);
	t->started = false;
	config_free(&t->cfg);
}

int montest_own_cgroup(const struct montest *t, char *buf, size_t len)
{
	enum cg_hierarchy h = t->started ? (enum cg_hierarchy)t->m.cfg->attrib_hierarchy : CG_AUTO;

	return cg_read_pid((int)getpid(), h, buf, len);
}

uint32_t montest_class_of(const char *path)
{
	for (uint32_t c = 2; attrib_class_path(c); c++) {
		if (!strcmp(attrib_class_path(c), path))
			return c;
	}
	return 0;
}

uint32_t montest_other_class(uint32_t cls)
{
	for (uint32_t c = 2; attrib_class_path(c); c++) {
		if (c != cls)
			return c;
	}
	return ATTRIB_UNKNOWN;
}

uint32_t montest_own_class(const struct montest *t)
{
	uint32_t pid = (uint32_t)getpid(), v = 0;

	return fake_map_get(montest_mod(t), "em_who_of", &pid, 0, &v) ? 0 : v;
}

uint32_t montest_dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	if (p < 0 || waitpid(p, NULL, 0) != p)
		return 0;
	return (uint32_t)p;
}

const char *montest_attrib_mismatch(const struct montest *t, size_t row, uint32_t cls)
{
	static const char *const cols[] = { "cgroup", "unit", "container_id", "pod_uid" };
	static char msg[8192];
	const char *want[4] = { "", "", "", "" };

	if (row >= t->nrows) {
		snprintf(msg, sizeof(msg), "no row %ld (%zu rows)", (long)row, t->nrows);
		return msg;
	}
	if (cls == ATTRIB_UNKNOWN) {
		want[0] = want[1] = "unknown";
	} else if (cls != ATTRIB_NONE) {
		const struct cg_attr *a = attrib_class_attr(cls);

		if (!a || !attrib_class_path(cls)) {
			snprintf(msg, sizeof(msg), "no class %u", cls);
			return msg;
		}
		want[0] = attrib_class_path(cls);
		want[1] = a->unit;
		want[2] = a->container_id;
		want[3] = a->pod_uid;
	}
	for (size_t i = 0; i < 4; i++) {
		const char *got = montest_cell(t, row, cols[i]);

		if (!got) {
			snprintf(msg, sizeof(msg), "no column %s", cols[i]);
			return msg;
		}
		if (strcmp(got, want[i])) {
			snprintf(msg, sizeof(msg), "row %zu, class %u: %s \"%s\", not \"%s\"", row,
				 cls, cols[i], got, want[i]);
			return msg;
		}
	}
	return NULL;
}
