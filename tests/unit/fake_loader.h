/* fake_loader.h - an in-memory stand-in for the loader (src/bpf/loader.h) under the monitors
 * library, as collectd tests its plugins against plugin_mock.c: a "compile" makes a module
 * whose maps the test declared, attaching takes each point's first alternative the test did
 * not refuse, and the test plays the kernel's part by filling maps and sending perf events.
 * No BPF, no root. */
#ifndef EM_FAKE_LOADER_H
#define EM_FAKE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_mod;

/* Forgets every declaration, refusal and module; CPUs back to 2. */
void fake_bpf_reset(void);
/* The number of possible CPUs (per-CPU map values) the fake reports. */
void fake_bpf_set_cpus(unsigned n);
/* A map that every module compiled for `monitor` gets (besides the framework's own: em_epoch,
 * em_stats, em_filter_*; em_sample_* with -DEM_SAMPLING; em_slot_of, em_hot with
 * -DEM_TASK_SLOTS=N). percpu: a lookup returns one value per CPU, 8-byte strided. */
void fake_bpf_map(const char *monitor, const char *map, size_t key_size, size_t value_size,
		  size_t max_entries, bool percpu);
/* An array map (key: a __u32 index): every index exists, zero until written. */
void fake_bpf_array(const char *monitor, const char *map, size_t value_size, size_t max_entries,
		    bool percpu);

/* Attach alternatives of this name fail (e.g. "raw_tracepoint": the older kernel's path). */
void fake_bpf_refuse_alt(const char *alt);

/* The module the last compile made, NULL before. */
struct bpf_mod *fake_bpf_last(void);
/* Whether its compile was given the flag (e.g. "-DSYSCALL_LATENCY=1") / a flag with that
 * prefix (returns the whole flag, or NULL). */
const char *fake_bpf_cflag(const struct bpf_mod *m, const char *prefix);
/* The alternative point `point` attached with, or NULL. */
const char *fake_bpf_attached(const struct bpf_mod *m, const char *point);

/* The kernel's side of a map: puts a key (value: one per CPU for per-CPU maps, each
 * value_size bytes, packed: the fake strides them), reads one CPU's value back, counts keys.
 * 0 or -errno. */
int fake_map_put(struct bpf_mod *m, const char *map, const void *key, const void *values);
int fake_map_get(struct bpf_mod *m, const char *map, const void *key, unsigned cpu, void *value);
size_t fake_map_count(struct bpf_mod *m, const char *map);
/* The epoch the probe would copy into its keys now (em_epoch[0]). */
uint32_t fake_bpf_epoch(struct bpf_mod *m);

/* The kernel's BPF statistics of the module's programs from now on (loader_prog_stats): the
 * totals since load. Until this is called the module reports none (-EOPNOTSUPP). */
void fake_bpf_prog_stats(struct bpf_mod *m, uint64_t run_ns, uint64_t run_cnt);

/* A perf record from `cpu`, delivered at once to the monitor's event callback; and records
 * the kernel could not write (the lost callback). */
void fake_perf_event(struct bpf_mod *m, int cpu, const void *data, int size);
void fake_perf_lost(struct bpf_mod *m, int cpu, uint64_t n);

#endif
