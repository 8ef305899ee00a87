/* loader.h - compile, load, attach and read BPF programs; hides every bcc type from callers. */
#ifndef EM_LOADER_H
#define EM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/attach.h"

struct bpf_mod;

typedef void (*loader_event_cb)(void *ctx, int cpu, const void *data, int size);
typedef void (*loader_lost_cb)(void *ctx, int cpu, uint64_t lost);

/* Compiles `text` with the given -D/-I flags (the loader adds its own kernel-convention
 * defines) in a child process, so that several probes compile at once: start returns a module
 * that is only usable after finish; finish returns 0, or -errno with a readable reason in err
 * (compiler diagnostics included; the module is then to be destroyed). */
int loader_compile_start(const char *name, const char *text, const char *const *cflags,
			 int ncflags, struct bpf_mod **ret, char *err, size_t errlen);
int loader_compile_finish(struct bpf_mod *m, char *err, size_t errlen);

/* Tries the point's alternatives in order (only `force` when non-NULL and not "auto").
 * Returns 0 and sets *ret_alt to the winner, or -errno. Either way `why` names what failed
 * for each alternative tried before (empty when the first one won): it is `why`, not the usual
 * `err`, because it carries these reasons on success too. Attachments are undone by
 * loader_detach()/loader_destroy(). */
int loader_attach_point(struct bpf_mod *m, const struct attach_point *pt, const char *force,
			const struct attach_alt **ret_alt, char *why, size_t whylen);

/* A compiled program's instructions (struct bpf_insn[], map references as this process's map
 * fds), not loaded; for checks (tests/personality/probecheck.c). 0 or -ENOENT. */
int loader_prog_insns(const struct bpf_mod *m, const char *prog, const void **ret_insns,
		      size_t *ret_size);
/* The BPF program type an attach kind loads (BPF_PROG_TYPE_*). */
int loader_prog_type(enum attach_kind kind);

int loader_map_fd(struct bpf_mod *m, const char *map);
int loader_map_update(struct bpf_mod *m, int fd, const void *key, const void *value);
int loader_map_lookup(struct bpf_mod *m, int fd, const void *key, void *value);
int loader_map_delete(struct bpf_mod *m, int fd, const void *key);
/* key NULL: the first key. 0, -ENOENT at the end, or -errno. */
int loader_map_next_key(struct bpf_mod *m, int fd, const void *key, void *ret_next,
			size_t key_size);
size_t loader_map_max_entries(struct bpf_mod *m, const char *map);
/* Possible CPUs: how many values a per-CPU map lookup returns. */
unsigned loader_possible_cpus(void);

/* Opens one perf buffer per possible CPU on the BPF_PERF_OUTPUT map `map`. */
int loader_perf_open(struct bpf_mod *m, const char *map, unsigned pages, loader_event_cb cb,
		     loader_lost_cb lost, void *ctx);
size_t loader_perf_count(const struct bpf_mod *m);
int loader_perf_fd(const struct bpf_mod *m, size_t i);
void loader_perf_consume(struct bpf_mod *m, size_t i); /* reads what is ready, calls cb */
void loader_perf_consume_all(struct bpf_mod *m);       /* the same for every buffer */
/* A perf buffer wakes its reader only every few events (loader.c, perf_wakeup_events); the
 * event loop reads every buffer this often too, so that no event waits longer. */
#define LOADER_PERF_POLL_S 0.1

/* Times the kernel skipped this module's programs because another BPF program was already
 * running on that CPU (bpf_prog_info.recursion_misses, 5.12+; 0 where not reported). */
uint64_t loader_recursion_misses(struct bpf_mod *m);

/* The kernel's run-time statistics of this module's programs, summed: nanoseconds spent in
 * them and runs since they were loaded, counted only while statistics are on
 * (loader_stats_enable). 0, or -EOPNOTSUPP where the kernel keeps none (before 5.1). */
int loader_prog_stats(struct bpf_mod *m, uint64_t *ret_run_ns, uint64_t *ret_run_cnt);

/* Turns the kernel's BPF run-time statistics on (they cost every BPF program on the host two
 * clock reads per run): with the bpf() command BPF_ENABLE_STATS (5.8+; on while the returned
 * handle's fd is open), else the sysctl kernel.bpf_stats_enabled (5.1+; set back by
 * loader_stats_disable unless it was on already). Returns a handle >= 0, or -errno (-ENOENT:
 * this kernel has neither). *how says which ("BPF_ENABLE_STATS", "kernel.bpf_stats_enabled",
 * "kernel.bpf_stats_enabled (already on)"). */
int loader_stats_enable(const char **how);
void loader_stats_disable(int handle); /* negative: nothing to undo */
/* Whether loader_stats_enable would work, without leaving anything on (for --check): 0 and
 * *how, or -errno. */
int loader_stats_available(const char **how);

/* Detaches every probe (no new events) but keeps maps and perf buffers readable. */
void loader_detach(struct bpf_mod *m);
/* The same for several modules at once (faster than one after another: see loader.c). */
void loader_detach_many(struct bpf_mod **mods, size_t n);

/* Detaches everything, closes fds, frees. NULL-safe. */
void loader_destroy(struct bpf_mod *m);

/* The arch's syscall symbol prefix found in /proc/kallsyms ("__x64_sys_", "__arm64_sys_",
 * "sys_"), whether it takes a pt_regs wrapper, and the resolved symbol for a syscall. */
const char *loader_syscall_prefix(int *ret_wrapped);
/* What the bcc this was built with offers ("fentry attach yes (bcc 0.14+), ..."), for --check. */
const char *loader_bcc_features(void);
int loader_syscall_symbol(const char *syscall, char *buf, size_t len);
int loader_kallsyms_has(const char *sym);

#endif
