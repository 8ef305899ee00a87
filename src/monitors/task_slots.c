/* task_slots.c - which task names get a slot on the fast path: see task_slots.h. */
#define LOG_NAME "ebpf_monitor.task_slots"

#include "monitors/task_slots.h"

#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "common/clock.h"
#include "core/log.h"
#include "monitors/maps.h"
#include "monitors/monitor.h"
#include "probes/attrib.h"
#include "probes/task_slots.h"

_Static_assert(sizeof(struct em_task_key) == TASK_KEY_LEN, "TASK_KEY_LEN");

static const struct probe_spec fork_tp[] = {
	{ ATTACH_TRACEPOINT, "sched:sched_process_fork", "em_tp_task_fork" },
	{ 0 },
};
static const struct probe_spec rename_tp[] = {
	{ ATTACH_TRACEPOINT, "task:task_rename", "em_tp_task_rename" },
	{ 0 },
};
const struct attach_alt task_slots_fork_alts[] = {
	{ "tracepoint", fork_tp },
	{ NULL, NULL },
};
const struct attach_alt task_slots_rename_alts[] = {
	{ "tracepoint", rename_tp },
	{ NULL, NULL },
};

#define AUTO_MAX 64	      /* slots when sized automatically */
#define IDLE_INTERVALS 2      /* a slot that counted nothing this long is taken back */
#define OUTBID_FACTOR 4	      /* a hash-path name counting this many times a slot's takes it */
#define PROMOTE_MIN EM_HOT_AT /* a hash-path name's count in an interval that earns a slot */

enum slot_state { SLOT_FREE, SLOT_USED, SLOT_QUARANTINED };

struct slot {
	char name[TASK_KEY_LEN];
	enum slot_state state;
	unsigned idle; /* intervals in a row without a count */
};

struct task_slots {
	struct monitor *m;
	int slot_of_fd, hot_fd;
	unsigned n, ncpus;
	struct slot *s;
	struct em_hot_names *hot; /* one per CPU, read by the poll */
	struct task_slots_stats stats;
	uint64_t last_bump_ns; /* CLOCK_MONOTONIC */
};

unsigned task_slots_size(long long want, size_t cell_bytes, unsigned ncpus, size_t budget_bytes)
{
	size_t fit;

	if (want >= 0)
		return want > TASK_SLOTS_MAX ? TASK_SLOTS_MAX : (unsigned)want;
	if (!cell_bytes || !ncpus)
		return 0;
	fit = budget_bytes / (cell_bytes * ncpus);
	if (fit > AUTO_MAX)
		fit = AUTO_MAX;
	return fit < 4 ? 4 : (unsigned)fit;
}

int task_slots_parse(const char *text, long long *ret)
{
	char *end;
	long long v;

	if (!text || !strcmp(text, "auto")) {
		*ret = -1;
		return 0;
	}
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > TASK_SLOTS_MAX)
		return -EINVAL;
	*ret = v;
	return 0;
}

int task_slots_open(struct monitor *m, unsigned nslots, struct task_slots **ret)
{
	struct task_slots *ts = calloc(1, sizeof(*ts));

	*ret = NULL;
	if (!ts)
		return -ENOMEM;
	ts->m = m;
	ts->n = nslots;
	ts->ncpus = monitor_possible_cpus();
	ts->s = calloc(nslots ? nslots : 1, sizeof(*ts->s));
	ts->hot = calloc(ts->ncpus ? ts->ncpus : 1, sizeof(*ts->hot));
	ts->slot_of_fd = monitor_map_fd(m, "em_slot_of");
	ts->hot_fd = monitor_map_fd(m, "em_hot");
	if (!ts->s || !ts->hot) {
		task_slots_free(ts);
		return -ENOMEM;
	}
	if (ts->slot_of_fd < 0 || ts->hot_fd < 0) {
		int r = ts->slot_of_fd < 0 ? ts->slot_of_fd : ts->hot_fd;

		task_slots_free(ts);
		return r;
	}
	*ret = ts;
	return 0;
}

void task_slots_free(struct task_slots *ts)
{
	if (!ts)
		return;
	free(ts->s);
	free(ts->hot);
	free(ts);
}

void task_slots_caches_stale(void)
{
	char name[16 + 1] = "";

	/* the kernel's own bump (em_tp_task_rename), through a rename of this thread to its own
	 * name, so that it is atomic with the kernel's other bumps */
	if (prctl(PR_GET_NAME, name, 0, 0, 0) == 0)
		(void)prctl(PR_SET_NAME, name, 0, 0, 0);
}

static long slot_of_name(const struct task_slots *ts, const char *name)
{
	for (unsigned i = 0; i < ts->n; i++) {
		if (ts->s[i].state == SLOT_USED && !memcmp(ts->s[i].name, name, TASK_KEY_LEN))
			return i;
	}
	return -1;
}

/* Gives name a free slot. true when the kernel's map changed. */
static bool give(struct task_slots *ts, const char *name)
{
	char key[TASK_KEY_LEN];
	__u32 slot;
	int r;

	/* a process the kernel has no class for yet: it gets one within a second */
	if (slot_of_name(ts, name) >= 0 || (task_slots_key_who(name) & EM_WHO_TGID))
		return false;
	for (slot = 0; slot < ts->n && ts->s[slot].state != SLOT_FREE; slot++)
		;
	if (slot == ts->n)
		return false;
	memcpy(key, name, sizeof(key));
	r = monitor_map_update(ts->m, ts->slot_of_fd, key, &slot);
	if (r) {
		log_debug("%s: no slot for %.16s: %s", ts->m->ops->name, name, strerror(-r));
		return false;
	}
	memcpy(ts->s[slot].name, key, sizeof(key));
	ts->s[slot].state = SLOT_USED;
	ts->s[slot].idle = 0;
	ts->stats.given++;
	log_debug("%s: fast path for %.16s (slot %u)", ts->m->ops->name, name, slot);
	return true;
}

static void take_back(struct task_slots *ts, unsigned slot)
{
	char key[TASK_KEY_LEN];

	memcpy(key, ts->s[slot].name, sizeof(key));
	(void)monitor_map_delete(ts->m, ts->slot_of_fd, key);
	ts->s[slot].state = SLOT_QUARANTINED;
	ts->stats.taken_back++;
	log_debug("%s: %.16s leaves the fast path (slot %u)", ts->m->ops->name, key, slot);
}

void task_slots_poll(struct task_slots *ts)
{
	bool any = false, changed = false;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (!ts)
		return;
	if (ts->n && monitor_map_lookup(ts->m, ts->hot_fd, &(__u32){ 0 }, ts->hot) == 0) {
		for (unsigned c = 0; c < ts->ncpus; c++) {
			const struct em_hot_names *h = &ts->hot[c];

			for (unsigned i = 0; i < h->n && i < EM_HOT_N; i++) {
				ts->stats.hints++;
				changed |= give(ts, (const char *)&h->key[i]);
			}
			any |= h->n != 0;
		}
		if (any) {
			/* A hint the kernel adds between the read and this is lost: the interval's
			 * end sees that name's count too. */
			memset(ts->hot, 0, ts->ncpus * sizeof(*ts->hot));
			(void)monitor_map_update(ts->m, ts->hot_fd, &(__u32){ 0 }, ts->hot);
		}
	}
	if (changed || now - ts->last_bump_ns >= 1000000000ull) {
		task_slots_caches_stale();
		ts->last_bump_ns = now;
	}
}

void task_slots_key(const char *name, uint32_t who, char key[TASK_KEY_LEN])
{
	struct em_task_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.name, name, sizeof(k.name));
	k.who = who;
	memcpy(key, &k, sizeof(k));
}

uint32_t task_slots_key_who(const char *key)
{
	struct em_task_key k;

	memcpy(&k, key, sizeof(k));
	return k.who;
}

const char *task_slots_name(const struct task_slots *ts, unsigned slot)
{
	if (!ts || slot >= ts->n || ts->s[slot].state == SLOT_FREE)
		return NULL;
	return ts->s[slot].name;
}

unsigned task_slots_count(const struct task_slots *ts)
{
	return ts ? ts->n : 0;
}

struct named_count {
	const char *name;
	uint64_t events;
};

static int by_name(const void *a, const void *b)
{
	return memcmp(((const struct named_count *)a)->name, ((const struct named_count *)b)->name,
		      TASK_KEY_LEN);
}

static int by_events_desc(const void *a, const void *b)
{
	uint64_t x = ((const struct named_count *)a)->events,
		 y = ((const struct named_count *)b)->events;

	return x < y ? 1 : x > y ? -1 : by_name(a, b);
}

/* The used slot that counted least in the interval, or -1. */
static long coldest(const struct task_slots *ts, const uint64_t *slot_events)
{
	long best = -1;

	for (unsigned i = 0; i < ts->n; i++) {
		if (ts->s[i].state == SLOT_USED && (best < 0 || slot_events[i] < slot_events[best]))
			best = i;
	}
	return best;
}

void task_slots_interval(struct task_slots *ts, const uint64_t *slot_events,
			 const char (*hash_names)[TASK_KEY_LEN], const uint64_t *hash_events,
			 size_t n)
{
	struct named_count *c = NULL;
	size_t nc = 0;
	bool changed = false;

	if (!ts || !ts->n)
		return;
	for (unsigned i = 0; i < ts->n; i++) {
		struct slot *s = &ts->s[i];

		if (s->state == SLOT_QUARANTINED) {
			/* Taken back an interval ago and read since: free. */
			s->state = SLOT_FREE;
		} else if (s->state == SLOT_USED) {
			s->idle = slot_events[i] ? 0 : s->idle + 1;
			if (s->idle >= IDLE_INTERVALS) {
				take_back(ts, i);
				changed = true;
			}
		}
	}
	if (n)
		c = malloc(n * sizeof(*c));
	if (c) {
		/* One count per name, the busiest first. */
		for (size_t i = 0; i < n; i++)
			c[i] = (struct named_count){ hash_names[i], hash_events[i] };
		qsort(c, n, sizeof(*c), by_name);
		for (size_t i = 0; i < n; i++) {
			if (nc && !by_name(&c[nc - 1], &c[i]))
				c[nc - 1].events += c[i].events;
			else
				c[nc++] = c[i];
		}
		qsort(c, nc, sizeof(*c), by_events_desc);
	}
	for (size_t i = 0; i < nc && c[i].events >= PROMOTE_MIN; i++) {
		long cold;

		/* a process the kernel has no class for yet takes no slot (see give()) */
		if (slot_of_name(ts, c[i].name) >= 0 ||
		    (task_slots_key_who(c[i].name) & EM_WHO_TGID))
			continue;
		if (give(ts, c[i].name)) {
			changed = true;
			continue;
		}
		/* No free slot: a name that counts far more than a slot's takes it, from the next
		 * interval on (the slot is quarantined first). */
		cold = coldest(ts, slot_events);
		if (cold >= 0 && c[i].events > OUTBID_FACTOR * slot_events[cold]) {
			take_back(ts, (unsigned)cold);
			changed = true;
		}
	}
	free(c);
	if (changed)
		task_slots_caches_stale();
}

struct task_slots_stats task_slots_stats(const struct task_slots *ts)
{
	return ts ? ts->stats : (struct task_slots_stats){ 0 };
}
