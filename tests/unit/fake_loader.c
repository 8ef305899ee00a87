/* fake_loader.c - the loader's interface (src/bpf/loader.h) in memory: see fake_loader.h. */
#include "fake_loader.h"

#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/loader.h"
#include "probes/attrib.h"
#include "probes/task_slots.h"

#define FAKE_MAX_MAPS 32
#define FAKE_MAX_DECLS 64
#define FAKE_MAX_POINTS 80
#define FAKE_FD_BASE 1000

struct fake_map {
	char name[64];
	size_t key_size, value_size, max_entries; /* value_size: one CPU's */
	bool percpu;
	bool array; /* every index below max_entries exists and reads as zero until written */
	size_t n;
	unsigned char *keys, *values; /* n keys; n * stride * ncpus value bytes */
};

struct fake_decl {
	char monitor[32];
	struct fake_map map;
};

struct bpf_mod {
	char name[32];
	char *cflags[64];
	int ncflags;
	struct fake_map maps[FAKE_MAX_MAPS];
	size_t nmaps;
	struct {
		const char *point, *alt;
	} attached[FAKE_MAX_POINTS];
	size_t nattached;
	loader_event_cb cb;
	loader_lost_cb lost;
	void *ctx;
	bool perf_open;
	int stats_r; /* loader_prog_stats: 0 or -errno */
	uint64_t run_ns, run_cnt;
};

static struct fake_decl decls[FAKE_MAX_DECLS];
static size_t ndecls;
static char refused[8][32];
static size_t nrefused;
static unsigned ncpus = 2;
static struct bpf_mod *last;

void fake_bpf_reset(void)
{
	ndecls = 0;
	nrefused = 0;
	ncpus = 2;
	last = NULL;
}

void fake_bpf_set_cpus(unsigned n)
{
	ncpus = n ? n : 1;
}

static void decl(const char *monitor, const char *map, size_t key_size, size_t value_size,
		 size_t max_entries, bool percpu)
{
	struct fake_decl *d;

	if (ndecls == FAKE_MAX_DECLS)
		abort();
	d = &decls[ndecls++];
	memset(d, 0, sizeof(*d));
	snprintf(d->monitor, sizeof(d->monitor), "%s", monitor);
	snprintf(d->map.name, sizeof(d->map.name), "%s", map);
	d->map.key_size = key_size;
	d->map.value_size = value_size;
	d->map.max_entries = max_entries;
	d->map.percpu = percpu;
}

void fake_bpf_map(const char *monitor, const char *map, size_t key_size, size_t value_size,
		  size_t max_entries, bool percpu)
{
	decl(monitor, map, key_size, value_size, max_entries, percpu);
}

void fake_bpf_array(const char *monitor, const char *map, size_t value_size, size_t max_entries,
		    bool percpu)
{
	decl(monitor, map, 4, value_size, max_entries, percpu);
	decls[ndecls - 1].map.array = true;
}

void fake_bpf_refuse_alt(const char *alt)
{
	if (nrefused < sizeof(refused) / sizeof(refused[0]))
		snprintf(refused[nrefused++], sizeof(refused[0]), "%s", alt);
}

struct bpf_mod *fake_bpf_last(void)
{
	return last;
}

const char *fake_bpf_cflag(const struct bpf_mod *m, const char *prefix)
{
	for (int i = 0; m && i < m->ncflags; i++) {
		if (!strncmp(m->cflags[i], prefix, strlen(prefix)))
			return m->cflags[i];
	}
	return NULL;
}

const char *fake_bpf_attached(const struct bpf_mod *m, const char *point)
{
	for (size_t i = 0; m && i < m->nattached; i++) {
		if (!strcmp(m->attached[i].point, point))
			return m->attached[i].alt;
	}
	return NULL;
}

/* ---- maps ---- */

static size_t stride(const struct fake_map *f)
{
	return f->percpu ? (f->value_size + 7) & ~(size_t)7 : f->value_size;
}

static size_t value_bytes(const struct fake_map *f)
{
	return stride(f) * (f->percpu ? ncpus : 1);
}

static struct fake_map *map_by_name(struct bpf_mod *m, const char *name)
{
	for (size_t i = 0; m && i < m->nmaps; i++) {
		if (!strcmp(m->maps[i].name, name))
			return &m->maps[i];
	}
	return NULL;
}

static struct fake_map *map_by_fd(struct bpf_mod *m, int fd)
{
	if (!m || fd < FAKE_FD_BASE || (size_t)(fd - FAKE_FD_BASE) >= m->nmaps)
		return NULL;
	return &m->maps[fd - FAKE_FD_BASE];
}

static long key_index(const struct fake_map *f, const void *key)
{
	for (size_t i = 0; i < f->n; i++) {
		if (!memcmp(f->keys + i * f->key_size, key, f->key_size))
			return (long)i;
	}
	return -1;
}

/* Array maps are keyed by a __u32 index below max_entries and always hold every index. */
static bool is_array(const struct fake_map *f)
{
	return f->array || !strcmp(f->name, "em_epoch") || !strcmp(f->name, "em_stats") ||
	       !strcmp(f->name, "em_sample_n") || !strcmp(f->name, "em_sample_cpu");
}

static int map_store(struct fake_map *f, const void *key, const void *value_bytes_in)
{
	long i = key_index(f, key);
	unsigned char *nk, *nv;

	if (i < 0) {
		if (f->n == f->max_entries)
			return -E2BIG;
		nk = realloc(f->keys, (f->n + 1) * f->key_size);
		if (!nk)
			return -ENOMEM;
		f->keys = nk;
		nv = realloc(f->values, (f->n + 1) * value_bytes(f));
		if (!nv)
			return -ENOMEM;
		f->values = nv;
		i = (long)f->n++;
		memcpy(f->keys + (size_t)i * f->key_size, key, f->key_size);
	}
	memcpy(f->values + (size_t)i * value_bytes(f), value_bytes_in, value_bytes(f));
	return 0;
}

int fake_map_put(struct bpf_mod *m, const char *map, const void *key, const void *values)
{
	struct fake_map *f = map_by_name(m, map);
	unsigned char *buf;
	int r;

	if (!f)
		return -ENOENT;
	buf = calloc(1, value_bytes(f));
	if (!buf)
		return -ENOMEM;
	for (unsigned c = 0; c < (f->percpu ? ncpus : 1); c++)
		memcpy(buf + c * stride(f), (const unsigned char *)values + c * f->value_size,
		       f->value_size);
	r = map_store(f, key, buf);
	free(buf);
	return r;
}

int fake_map_get(struct bpf_mod *m, const char *map, const void *key, unsigned cpu, void *value)
{
	struct fake_map *f = map_by_name(m, map);
	long i = f ? key_index(f, key) : -1;

	if (i < 0 || cpu >= (f->percpu ? ncpus : 1))
		return -ENOENT;
	memcpy(value, f->values + (size_t)i * value_bytes(f) + cpu * stride(f), f->value_size);
	return 0;
}

size_t fake_map_count(struct bpf_mod *m, const char *map)
{
	struct fake_map *f = map_by_name(m, map);

	return f ? f->n : 0;
}

uint32_t fake_bpf_epoch(struct bpf_mod *m)
{
	uint32_t zero = 0, v = 0;

	(void)fake_map_get(m, "em_epoch", &zero, 0, &v);
	return v;
}

int loader_map_fd(struct bpf_mod *m, const char *map)
{
	struct fake_map *f = map_by_name(m, map);

	return f ? FAKE_FD_BASE + (int)(f - m->maps) : -ENOENT;
}

int loader_map_update(struct bpf_mod *m, int fd, const void *key, const void *value)
{
	struct fake_map *f = map_by_fd(m, fd);

	if (!f)
		return -EBADF;
	if (is_array(f) && *(const uint32_t *)key >= f->max_entries)
		return -E2BIG;
	return map_store(f, key, value);
}

int loader_map_lookup(struct bpf_mod *m, int fd, const void *key, void *value)
{
	struct fake_map *f = map_by_fd(m, fd);
	long i;

	if (!f)
		return -EBADF;
	i = key_index(f, key);
	if (i < 0) {
		if (!is_array(f) || *(const uint32_t *)key >= f->max_entries)
			return -ENOENT;
		memset(value, 0, value_bytes(f)); /* an array's untouched slot reads as zero */
		return 0;
	}
	memcpy(value, f->values + (size_t)i * value_bytes(f), value_bytes(f));
	return 0;
}

int loader_map_delete(struct bpf_mod *m, int fd, const void *key)
{
	struct fake_map *f = map_by_fd(m, fd);
	long i;

	if (!f)
		return -EBADF;
	i = key_index(f, key);
	if (i < 0)
		return -ENOENT;
	f->n--;
	memmove(f->keys + (size_t)i * f->key_size, f->keys + (size_t)(i + 1) * f->key_size,
		(f->n - (size_t)i) * f->key_size);
	memmove(f->values + (size_t)i * value_bytes(f),
		f->values + (size_t)(i + 1) * value_bytes(f), (f->n - (size_t)i) * value_bytes(f));
	return 0;
}

int loader_map_next_key(struct bpf_mod *m, int fd, const void *key, void *ret_next, size_t key_size)
{
	struct fake_map *f = map_by_fd(m, fd);
	long i;

	if (!f || key_size != f->key_size)
		return -EINVAL;
	/* The kernel's rule: an unknown key (or none) starts from the first. */
	i = key ? key_index(f, key) : -1;
	if ((size_t)(i + 1) >= f->n)
		return -ENOENT;
	memcpy(ret_next, f->keys + (size_t)(i + 1) * f->key_size, f->key_size);
	return 0;
}

size_t loader_map_max_entries(struct bpf_mod *m, const char *map)
{
	struct fake_map *f = map_by_name(m, map);

	return f ? f->max_entries : 0;
}

unsigned loader_possible_cpus(void)
{
	return ncpus;
}

/* ---- compile, attach, perf ---- */

int loader_compile_start(const char *name, const char *text, const char *const *cflags, int ncflags,
			 struct bpf_mod **ret, char *err, size_t errlen)
{
	struct bpf_mod *m = calloc(1, sizeof(*m));

	(void)err;
	(void)errlen;
	if (!m || !text)
		return free(m), -ENOMEM;
	snprintf(m->name, sizeof(m->name), "%s", name);
	for (int i = 0; i < ncflags && i < 64; i++)
		m->cflags[m->ncflags++] = strdup(cflags[i]);
	/* the framework's maps, in every probe (probes/common.h) */
	static const struct {
		const char *name;
		size_t k, v, n;
	} common[] = {
		{ "em_epoch", 4, 4, 1 },	  { "em_stats", 4, 8, 4 },
		{ "em_filter_pids", 4, 1, 64 },	  { "em_filter_uids", 4, 1, 64 },
		{ "em_filter_comms", 16, 1, 64 }, { "em_filter_exclude_comms", 16, 1, 64 },
	};
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		struct fake_map *f = &m->maps[m->nmaps++];

		snprintf(f->name, sizeof(f->name), "%s", common[i].name);
		f->key_size = common[i].k;
		f->value_size = common[i].v;
		f->max_entries = common[i].n;
	}
	/* sampling (probes/common.h under EM_SAMPLING): N, and the per-CPU state */
	if (fake_bpf_cflag(m, "-DEM_SAMPLING")) {
		static const struct fake_map sampling[] = {
			{ .name = "em_sample_n", .key_size = 4, .value_size = 4, .max_entries = 1 },
			{ .name = "em_sample_cpu",
			  .key_size = 4,
			  .value_size = 16,
			  .max_entries = 1,
			  .percpu = true },
		};

		m->maps[m->nmaps++] = sampling[0];
		m->maps[m->nmaps++] = sampling[1];
	}
	/* task slots (probes/common.h under EM_TASK_SLOTS): the maps user space reads */
	if (fake_bpf_cflag(m, "-DEM_TASK_SLOTS=")) {
		struct fake_map *f = &m->maps[m->nmaps++];

		*f = (struct fake_map){ .name = "em_slot_of",
					.key_size = sizeof(struct em_task_key),
					.value_size = 4 };
		f->max_entries = strtoul(fake_bpf_cflag(m, "-DEM_TASK_SLOTS=") + 16, NULL, 10);
		f = &m->maps[m->nmaps++];
		*f = (struct fake_map){ .name = "em_hot",
					.key_size = 4,
					.value_size = sizeof(struct em_hot_names),
					.max_entries = 1,
					.percpu = true,
					.array = true };
	}
	/* attribution (probes/common.h under EM_ATTRIB): the class of each process, exit marks,
	 * moved tasks */
	if (fake_bpf_cflag(m, "-DEM_ATTRIB=")) {
		struct fake_map *f = &m->maps[m->nmaps++];

		*f = (struct fake_map){ .name = "em_who_of", .key_size = 4, .value_size = 4 };
		f->max_entries = strtoul(fake_bpf_cflag(m, "-DEM_ATTRIB_TASKS=") + 18, NULL, 10);
		f = &m->maps[m->nmaps++];
		*f = (struct fake_map){ .name = "em_who_gone", .key_size = 4, .value_size = 8 };
		f->max_entries = m->maps[m->nmaps - 2].max_entries / 4;
		f = &m->maps[m->nmaps++];
		*f = (struct fake_map){ .name = "em_moved",
					.key_size = 4,
					.value_size = sizeof(struct em_moved),
					.max_entries = 1,
					.percpu = true,
					.array = true };
	}
	m->stats_r = -EOPNOTSUPP;
	for (size_t i = 0; i < ndecls; i++) {
		if (strcmp(decls[i].monitor, name) || m->nmaps == FAKE_MAX_MAPS)
			continue;
		m->maps[m->nmaps++] = decls[i].map;
	}
	last = m;
	*ret = m;
	return 0;
}

int loader_compile_finish(struct bpf_mod *m, char *err, size_t errlen)
{
	(void)m;
	(void)err;
	(void)errlen;
	return 0;
}

static bool refused_alt(const char *alt)
{
	for (size_t i = 0; i < nrefused; i++) {
		if (!strcmp(refused[i], alt))
			return true;
	}
	return false;
}

int loader_attach_point(struct bpf_mod *m, const struct attach_point *pt, const char *force,
			const struct attach_alt **ret_alt, char *why, size_t whylen)
{
	why[0] = '\0';
	for (const struct attach_alt *a = pt->alts; a->name; a++) {
		if (force && strcmp(force, a->name))
			continue;
		if (refused_alt(a->name)) {
			size_t o = strlen(why);

			snprintf(why + o, whylen - o, "%s%s: refused by the test", o ? "; " : "",
				 a->name);
			continue;
		}
		if (m->nattached < FAKE_MAX_POINTS) {
			m->attached[m->nattached].point = pt->name;
			m->attached[m->nattached++].alt = a->name;
		}
		*ret_alt = a;
		return 0;
	}
	*ret_alt = NULL;
	return -ENOENT;
}

int loader_perf_open(struct bpf_mod *m, const char *map, unsigned pages, loader_event_cb cb,
		     loader_lost_cb lost, void *ctx)
{
	(void)map;
	(void)pages;
	m->cb = cb;
	m->lost = lost;
	m->ctx = ctx;
	m->perf_open = true;
	return 0;
}

void fake_perf_event(struct bpf_mod *m, int cpu, const void *data, int size)
{
	if (m && m->perf_open)
		m->cb(m->ctx, cpu, data, size);
}

void fake_perf_lost(struct bpf_mod *m, int cpu, uint64_t n)
{
	if (m && m->perf_open)
		m->lost(m->ctx, cpu, n);
}

size_t loader_perf_count(const struct bpf_mod *m)
{
	(void)m;
	return 0; /* events arrive by fake_perf_event(), not through fds */
}

int loader_perf_fd(const struct bpf_mod *m, size_t i)
{
	(void)m;
	(void)i;
	return -EBADF;
}

void loader_perf_consume(struct bpf_mod *m, size_t i)
{
	(void)m;
	(void)i;
}

void loader_perf_consume_all(struct bpf_mod *m)
{
	(void)m;
}

void fake_bpf_prog_stats(struct bpf_mod *m, uint64_t run_ns, uint64_t run_cnt)
{
	m->stats_r = 0;
	m->run_ns = run_ns;
	m->run_cnt = run_cnt;
}

int loader_prog_stats(struct bpf_mod *m, uint64_t *ret_run_ns, uint64_t *ret_run_cnt)
{
	*ret_run_ns = m ? m->run_ns : 0;
	*ret_run_cnt = m ? m->run_cnt : 0;
	return m ? m->stats_r : -EOPNOTSUPP;
}

uint64_t loader_recursion_misses(struct bpf_mod *m)
{
	(void)m;
	return 0;
}

void loader_detach(struct bpf_mod *m)
{
	if (m)
		m->nattached = 0;
}

void loader_detach_many(struct bpf_mod **mods, size_t n)
{
	for (size_t i = 0; i < n; i++)
		loader_detach(mods[i]);
}

void loader_destroy(struct bpf_mod *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->ncflags; i++)
		free(m->cflags[i]);
	for (size_t i = 0; i < m->nmaps; i++) {
		free(m->maps[i].keys);
		free(m->maps[i].values);
	}
	if (last == m)
		last = NULL;
	free(m);
}
