/* attrib.h - attribution: which cgroup, systemd unit, container and pod a row's tasks belong to
 * (config `attribution:`, filters `units`, `containers`, `cgroups`).
 *
 * The kernel keys what a probe counts by a "who" value (probes/attrib.h): the class of the
 * process, a small id this module gives each cgroup path, kept per process in the kernel's
 * em_who_of (filled here from /proc/<pid>/cgroup at start, then kept by the kernel across
 * forks, exits and moves: see probes/common.h); or, for a process the kernel has no class for,
 * its tgid, which this module resolves when the key is read. A monitor turns every who value it
 * reads into a class with monitor_who() before it merges rows (two who values may be one class)
 * and puts the class in row.who; monitor_emit() adds the chosen columns and applies the
 * filters the kernel could not (rows of processes it had no class for).
 *
 * A process gone before it could be resolved is counted under the class ATTRIB_UNKNOWN (cgroup
 * and unit "unknown") and in the monitor's stats.unattributed, never dropped and never given to
 * the next owner of its pid. */
#ifndef EM_ATTRIB_H
#define EM_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/attach.h"
#include "core/cgroup.h"

struct monitor;
struct monitor_plan;
struct monitor_cfg;
struct column;
struct cell;

#define ATTRIB_NONE 0	 /* attribution off: rows carry no class */
#define ATTRIB_UNKNOWN 1 /* the process was gone before its cgroup could be read */

/* The three points a monitor with attribution attaches (their programs are common.h's): append
 * ATTRIB_POINTS to its points; the framework turns them off when attribution is off. */
extern const struct attach_alt attrib_fork_alts[];
extern const struct attach_alt attrib_exit_alts[];
extern const struct attach_alt attrib_move_alts[];
/* clang-format off */
#define ATTRIB_POINTS                                      \
	{ "who_fork", attrib_fork_alts, false, true },     \
	{ "who_exit", attrib_exit_alts, false, true },     \
	{ "who_move", attrib_move_alts, true, true }
/* clang-format on */

/* Whether m's config asks for attribution (columns chosen, or a filter on units, containers
 * or cgroups). */
bool attrib_wanted(const struct monitor_cfg *cfg);

/* The framework's side (lifecycle.c). plan: -D flags, the points on or off; columns: how many
 * attribution columns rows get (written to cols, at most ATTRIB_NCOLS). */
int attrib_plan(struct monitor *m, struct monitor_plan *plan, char *err, size_t errlen);
size_t attrib_columns(const struct monitor *m, struct column *cols);
/* After the points are attached: every running process's class into em_who_of. 0 or -errno. */
int attrib_start(struct monitor *m);
/* Every 0.1 s: resolves the tasks the kernel saw move; ages what is kept. */
void attrib_poll(struct monitor *m);
void attrib_free(struct monitor *m); /* NULL-safe */
/* The attribution cells of a row of class `who` (attrib_columns() of them). */
void attrib_cells(const struct monitor *m, uint32_t who, struct cell *cells);
/* Whether rows of class `who` pass m's filters on units, containers and cgroups. */
bool attrib_passes(struct monitor *m, uint32_t who);

/* For monitors: the class of a who value read from the kernel (a class, or a tgid resolved
 * now); ATTRIB_NONE when m has no attribution. */
uint32_t monitor_who(struct monitor *m, uint32_t who);

/* monitor_who() on every row of b: the who value is a __u32 at who_off in each row. Rows may
 * then have equal keys: agg_batch_coalesce() makes them one. */
struct agg_batch;
void monitor_who_rows(struct monitor *m, struct agg_batch *b, size_t who_off);

/* A class's cgroup path and what it says ("unknown" for ATTRIB_UNKNOWN); NULL for no class. */
const char *attrib_class_path(uint32_t cls);
const struct cg_attr *attrib_class_attr(uint32_t cls);

/* Tests: what was resolved how since the start (all monitors). */
struct attrib_stats {
	uint64_t scanned;  /* processes read at start */
	uint64_t resolved; /* tgids resolved from a key or an event */
	uint64_t moved;	   /* moved tasks resolved at a poll */
	uint64_t unknown;  /* tgids that could not be resolved */
	uint64_t classes;  /* distinct cgroups seen */
};
struct attrib_stats attrib_stats(void);

#endif
