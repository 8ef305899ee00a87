/* maps.c - a monitor's loaded maps (maps.h): lookups by name, the agg_map adapter, and the
 * interval's epoch flip and drain. */
#define LOG_NAME "ebpf_monitor.maps"

#include "monitors/maps.h"

#include <errno.h>
#include <string.h>

#include "bpf/loader.h"
#include "core/log.h"
#include "monitors/monitor.h"
#include "monitors/sampling.h"

int monitor_map_fd(struct monitor *m, const char *map)
{
	return m->bpf ? loader_map_fd(m->bpf, map) : -ENOENT;
}

int monitor_map_update(struct monitor *m, int fd, const void *key, const void *value)
{
	return loader_map_update(m->bpf, fd, key, value);
}

int monitor_map_lookup(struct monitor *m, int fd, const void *key, void *value)
{
	return loader_map_lookup(m->bpf, fd, key, value);
}

int monitor_map_delete(struct monitor *m, int fd, const void *key)
{
	return loader_map_delete(m->bpf, fd, key);
}

int monitor_map_next_key(struct monitor *m, int fd, const void *key, void *ret_next,
			 size_t key_size)
{
	return loader_map_next_key(m->bpf, fd, key, ret_next, key_size);
}

uint64_t monitor_kernel_stat(struct monitor *m, enum monitor_kstat which)
{
	int fd = monitor_map_fd(m, "em_stats"), k = (int)which;
	uint64_t v = 0;

	if (fd < 0 || monitor_map_lookup(m, fd, &k, &v))
		return 0;
	return v;
}

int monitor_prog_stats(struct monitor *m, uint64_t *ret_run_ns, uint64_t *ret_run_cnt)
{
	return loader_prog_stats(m->bpf, ret_run_ns, ret_run_cnt);
}

unsigned monitor_possible_cpus(void)
{
	return loader_possible_cpus();
}

static int walk_next(void *ctx, const void *key, void *ret_next)
{
	struct monitor_map *mm = ctx;

	return loader_map_next_key(mm->m->bpf, mm->fd, key, ret_next, mm->key_size);
}

static int walk_lookup(void *ctx, const void *key, void *ret_value)
{
	struct monitor_map *mm = ctx;

	return loader_map_lookup(mm->m->bpf, mm->fd, key, ret_value);
}

static int walk_delete(void *ctx, const void *key)
{
	struct monitor_map *mm = ctx;

	return loader_map_delete(mm->m->bpf, mm->fd, key);
}

static const struct agg_map_ops walk_ops = { walk_next, walk_lookup, walk_delete };

int monitor_map_walk(struct monitor *m, const char *map, size_t key_size, size_t value_size,
		     bool percpu, struct monitor_map *mm, struct agg_map *a)
{
	*mm = (struct monitor_map){ m, monitor_map_fd(m, map), key_size };
	if (mm->fd < 0)
		return mm->fd;
	*a = (struct agg_map){
		.ops = &walk_ops,
		.ctx = mm,
		.key_size = key_size,
		.value_size = value_size,
		.ncpus = percpu ? loader_possible_cpus() : 0,
		.max_entries = loader_map_max_entries(m->bpf, map),
		.yield = m->host ? m->host->yield : NULL,
		.yield_ctx = m->host ? m->host->yield_ctx : NULL,
	};
	return 0;
}

int monitor_flip_epoch(struct monitor *m, uint64_t interval_end_ns)
{
	int fd = monitor_map_fd(m, "em_epoch"), zero = 0;
	uint32_t next = m->epoch ^ 1u;
	int r;

	if (fd < 0)
		return fd;
	r = loader_map_update(m->bpf, fd, &zero, &next);
	if (r)
		return r;
	m->epoch = next;
	m->interval_end_ns = interval_end_ns;
	m->drain_pending = true;
	monitor_sampling_flip(m);
	return 0;
}

long monitor_drain(struct monitor *m, const char *map, size_t key_size, size_t value_size,
		   bool percpu, agg_drain_cb cb, void *ctx)
{
	struct monitor_map mm;
	struct agg_map a;
	long r = monitor_map_walk(m, map, key_size, value_size, percpu, &mm, &a);

	if (r < 0)
		return r;
	m->drain_pending = false;
	r = agg_drain(&a, m->epoch, cb, ctx);
	if (r < 0)
		log_warn("%s: draining %s failed: %s", m->ops->name, map, strerror((int)-r));
	return r;
}

long monitor_drain_rows(struct monitor *m, const char *map, size_t key_size, size_t value_size,
			bool percpu, struct agg_batch *b, int (*cmp)(const void *, const void *))
{
	long r = monitor_drain(m, map, key_size, value_size, percpu, agg_batch_collect, b);

	if (r < 0) {
		agg_batch_free(b);
		return r;
	}
	if (b->dropped)
		log_warn("%s: out of memory: %zu rows of this interval dropped", m->ops->name,
			 b->dropped);
	agg_batch_sort(b, cmp);
	return (long)b->n;
}
