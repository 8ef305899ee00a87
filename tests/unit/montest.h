/* montest.h - runs one monitor from its config through configure, setup, its events or map
 * contents and collect to the rows it emits, over the fake loader (fake_loader.h): the test
 * plays the kernel. Rows are kept as text, one cell per column, as the CSV would show them. */
#ifndef EM_MONTEST_H
#define EM_MONTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "fake_loader.h"
#include "monitors/monitor.h"
#include "output/sink.h"

#define MONTEST_MAX_ROWS 4096

struct montest {
	struct monitor_schema schemas[CONFIG_MAX_MONITORS]; /* the config points into them */
	struct config cfg;
	struct monitor m;
	struct monitor_host host;
	struct sink sink;
	bool started;
	char err[4096];
	size_t nrows;
	char **cells[MONTEST_MAX_ROWS]; /* per row: m.ncolumns strings */
	uint64_t row_ts[MONTEST_MAX_ROWS];
};

/* Loads a config in which the monitor `name` is enabled with `options` (lines of its section,
 * each indented four spaces, e.g. "    map_size: 64\n"; "" for its defaults) and sets it up
 * over the fake loader. 0, or -errno with t->err saying why (a config error or the monitor's
 * own). */
int montest_start(struct montest *t, const char *name, const char *options);
/* The module the monitor runs on (declare its maps with fake_bpf_map() before the start). */
struct bpf_mod *montest_mod(const struct montest *t);
/* The epoch the probe writes into keys right now. */
uint32_t montest_epoch(const struct montest *t);
/* The end of an interval as the runtime does it: flips the epoch and collects at now_ns. */
void montest_interval(struct montest *t, uint64_t now_ns);
/* The runtime's 0.1 s poll (the monitor's poll(), if it has one). */
void montest_poll(struct montest *t);
/* Delivers one perf record as the kernel would. */
void montest_event(struct montest *t, int cpu, const void *data, int size);
/* Row i's cell of column `col` as text ("" for an empty cell); NULL when there is no such row
 * or column. */
const char *montest_cell(const struct montest *t, size_t row, const char *col);
/* The first row whose column `col` reads `value`, or -1. */
long montest_find(const struct montest *t, const char *col, const char *value);
/* Forgets the rows collected so far. */
void montest_clear_rows(struct montest *t);
/* Tears the monitor down (its destroy() runs) and frees everything; idempotent. */
void montest_stop(struct montest *t);

/* ---- attribution (monitors/attrib.h) ---- */

/* The config text that turns attribution on (its columns all chosen): the start's options. */
#define MONTEST_ATTRIB "attribution:\n  enabled: true\n"

/* This process's cgroup path into buf, in the hierarchy t's monitor reads (that of its config
 * once started; before, the config's default, auto). 0 or -errno (cg_read_pid). */
int montest_own_cgroup(const struct montest *t, char *buf, size_t len);
/* The class attribution gave a cgroup path (a start read every running process's), or 0. */
uint32_t montest_class_of(const char *path);
/* A class other than cls that attribution gave (kernel threads are in "/"), or ATTRIB_UNKNOWN
 * where every process a start saw shares one cgroup. */
uint32_t montest_other_class(uint32_t cls);
/* The class the start gave this process in the kernel's em_who_of (what the probe keys its
 * counts by), as it reads there; 0 when em_who_of has none. */
uint32_t montest_own_class(const struct montest *t);
/* A pid no process has: a child that exited and was reaped. 0 when fork or wait failed. */
uint32_t montest_dead_pid(void);
/* NULL when row's cgroup, unit, container_id and pod_uid cells are class cls's: all "" for
 * ATTRIB_NONE, "unknown", "unknown", "", "" for ATTRIB_UNKNOWN, else attrib_class_path() and
 * attrib_class_attr()'s. Else a message naming the first mismatch (no such row, column or
 * class included), in a static buffer the next call overwrites. */
const char *montest_attrib_mismatch(const struct montest *t, size_t row, uint32_t cls);

#endif
