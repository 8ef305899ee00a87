/* task_slots.h - user space's half of the task-slot fast path (probes/common.h, EM_TASK_SLOTS):
 * which task names get a slot in a monitor's per-CPU count arrays, and when they give it back.
 *
 * The kernel counts a name with a slot in that slot's cells, cumulatively; a name without one
 * goes the monitor's hash path (keyed by epoch, drained each interval). Slots are given here:
 *   - within 0.1 s (each poll) to the names the kernel noted as hot on the hash path (em_hot), and
 *     at the end of an interval to the hash path's busiest names, while slots are free;
 *   - a slot whose name counted nothing for two intervals, or that a hash-path name counting
 *     four times as much wants, is taken back: the name leaves em_slot_of and every CPU's cache
 *     is invalidated, and the slot stays out of use (quarantined) until the end of the next
 *     interval, so an increment that raced the change is read under the old name, never under
 *     the next one.
 * Every change to em_slot_of is followed by a generation bump, and there is one every second (see
 * probes/common.h for why). The monitor reads the slots' cells itself (their layout is its
 * own) and tells this module what each slot counted in the interval. */
#ifndef EM_TASK_SLOTS_H
#define EM_TASK_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/attach.h"

struct monitor;
struct task_slots;

#define TASK_SLOTS_MAX 1024
/* A slot counts for a key: a task name (16 bytes, NUL-padded) and, with attribution, the who
 * value (probes/attrib.h) of the processes of that name it counts for; struct em_task_key. */
#define TASK_KEY_LEN 24

/* The two points a monitor with the fast path attaches (their programs are common.h's):
 * append TASK_SLOTS_POINTS to its points and turn them off when the fast path is off. */
extern const struct attach_alt task_slots_fork_alts[];
extern const struct attach_alt task_slots_rename_alts[];
#define TASK_SLOTS_POINTS                                          \
	{ "task_fork", task_slots_fork_alts, false, true },        \
	{                                                          \
		"task_rename", task_slots_rename_alts, false, true \
	}

/* How many slots to build with: `want` from the monitor's option (-1: auto, as many as fit in
 * budget_bytes of per-CPU cells at cell_bytes per slot and CPU, at most 64; 0: no fast path). */
unsigned task_slots_size(long long want, size_t cell_bytes, unsigned ncpus, size_t budget_bytes);

/* Parses an option value: "auto" (-1) or a count 0..TASK_SLOTS_MAX. 0 or -EINVAL. */
int task_slots_parse(const char *text, long long *ret);

/* For the monitor's start(): the slot maps of m's module (em_slot_of, em_hot). 0 or -errno. */
int task_slots_open(struct monitor *m, unsigned nslots, struct task_slots **ret);
void task_slots_free(struct task_slots *ts); /* NULL-safe */

/* Every CPU's cached entry (the running thread's name, slot and attribution class) becomes
 * stale, in every monitor: for a change the kernel did not make itself. */
void task_slots_caches_stale(void);

/* Every 0.1 s: gives slots to the names the kernel noted hot; bumps the generation when that
 * changed anything, and at least once a second. */
void task_slots_poll(struct task_slots *ts);

/* The key a slot counts for (in use or quarantined), or NULL when the slot is free: its cells
 * are read with that key. Its first 16 bytes are the name (not NUL-terminated when 16 long);
 * task_slots_key_who() reads its who value. */
const char *task_slots_name(const struct task_slots *ts, unsigned slot);
/* A key from a name (16 bytes, NUL-padded) and a who value; the who value of a key. */
void task_slots_key(const char *name, uint32_t who, char key[TASK_KEY_LEN]);
uint32_t task_slots_key_who(const char *key);
unsigned task_slots_count(const struct task_slots *ts);

/* The end of an interval, after the monitor read every named slot: `slot_events[s]` what slot
 * s counted in it; `hash_names`/`hash_events` the keys (task_slots_key) the hash path counted and how much
 * (n of them, any order; repeats are summed). Frees the slots quarantined an interval ago,
 * takes back idle and outbid slots, gives free slots to the busiest hash-path names. */
void task_slots_interval(struct task_slots *ts, const uint64_t *slot_events,
			 const char (*hash_names)[TASK_KEY_LEN], const uint64_t *hash_events,
			 size_t n);

/* Tests: slots given and taken back since the start. */
struct task_slots_stats {
	uint64_t given, taken_back, hints;
};
struct task_slots_stats task_slots_stats(const struct task_slots *ts);

#endif
