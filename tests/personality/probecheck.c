/* probecheck.c - the verifier-constraint check: compiles every monitor's probe the way the
 * daemon does (configured by this kernel's features, combined compiles included) and checks
 * every program of every attach alternative against an old-kernel profile's rules
 * (bpf_rules.c), without loading any; and once more as an overhead budget builds them. Run under the personality shim of the same profile, so
 * that the feature probes, and with them the probes' -D flags, answer as that kernel would:
 *
 *   LD_PRELOAD=build/libem_personality.so EM_PERSONALITY=4.9 build/em-probecheck
 *
 * Prints one line per program and a verdict per monitor: a monitor passes when each of its
 * points that it needs has an alternative whose programs all pass and whose attachment the
 * profile's kernel has. Exit 0 when every monitor passes, 1 when one does not, 2 on usage or
 * setup errors. Test code: never installed. Needs root (the probes' maps are created). */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_rules.h"
#include "core/config.h"
#include "bpf/loader.h"
#include "core/log.h"
#include "monitors/monitor.h"

/* Whether the profile's kernel has the attachment itself (the programs are checked apart). */
static const char *attach_missing(const struct bpf_profile *p, const struct probe_spec *s)
{
	switch (s->kind) {
	case ATTACH_TRACEPOINT:
		if (!strncmp(s->target, "syscalls:", 9) && !p->syscall_tp_bpf)
			return "syscall tracepoints take BPF from 4.14";
		if (!strncmp(s->target, "cgroup:", 7) && !p->cgroup_tp)
			return "cgroup tracepoints from 4.9";
		return NULL;
	case ATTACH_RAW_TRACEPOINT:
		return p->raw_tracepoints ? NULL : "raw tracepoints from 4.17";
	case ATTACH_KFUNC:
		return "fentry from 5.5";
	default:
		return NULL;
	}
}

/* Checks one alternative's programs; returns 1 when the profile's kernel takes all of the
 * required ones. */
static int check_alt(const struct bpf_profile *p, struct monitor *m, const struct attach_alt *a)
{
	int ok = 1;

	for (const struct probe_spec *s = a->probes; s->prog; s++) {
		const char *missing = attach_missing(p, s);
		const void *insns;
		size_t size, n;
		char why[2048];
		int nv, type = loader_prog_type(s->kind);

		if (loader_prog_insns(m->bpf, s->prog, &insns, &size)) {
			printf("    %-24s not compiled\n", s->prog);
			ok &= s->optional;
			continue;
		}
		n = size / sizeof(struct bpf_insn);
		nv = bpf_rules_check(p, type, insns, n, bpf_rules_map_type, why, sizeof(why));
		if (!nv && p->kernel < BPF_RULES_KV(5, 2) && n > BPF_RULES_INSN_MARGIN) {
			snprintf(why, sizeof(why),
				 "%zu instructions: over the margin of %d (4096 "
				 "before 5.2, less with other LLVMs)",
				 n, BPF_RULES_INSN_MARGIN);
			nv = 1;
		}
		if (nv || missing) {
			for (char *l = strtok(why, "\n"); nv && l; l = strtok(NULL, "\n"))
				printf("    %-24s %5zu insns  FAIL %s\n", s->prog, n, l);
			if (missing)
				printf("    %-24s %5zu insns  %s %s\n", s->prog, n,
				       nv ? "and" : "loads, but", missing);
			if (!s->optional)
				ok = 0;
		} else {
			printf("    %-24s %5zu insns  ok\n", s->prog, n);
		}
	}
	return ok;
}

/* Compiles the monitors (all at once, combined as the daemon combines them, or each alone)
 * and checks them; returns how many failed. */
static int check_set(const struct bpf_profile *p, struct config *cfg, int alone)
{
	const char *how = alone ? "each probe compiled alone" :
			  cfg->overhead_budget > 0 ?
				  "every probe at once, sampling under an overhead budget" :
				  "every probe at once (combined compiles)";
	struct monitor mons[CONFIG_MAX_MONITORS];
	struct monitor_host host = { .nsinks = 0 };
	char err[2048];
	int failed = 0, begun[CONFIG_MAX_MONITORS] = { 0 };

	printf("== %s, %s\n", p->name, how);
	for (size_t i = 0; i < monitor_registry_count; i++) {
		const struct monitor_ops *ops = monitor_registry[i];
		struct monitor_cfg *mc = config_monitor(cfg, ops->name);

		begun[i] = mc &&
			   monitor_setup_begin(&mons[i], ops, mc, &host, err, sizeof(err)) == 0;
		if (!begun[i]) {
			printf("%s: FAIL: %s\n", ops->name, mc ? err : "no configuration");
			failed++;
			continue;
		}
		if (alone && loader_compile_finish(mons[i].bpf, err, sizeof(err))) {
			printf("%s: FAIL: does not compile: %s\n", ops->name, err);
			failed++;
			monitor_teardown(&mons[i]);
			begun[i] = 0;
		}
	}
	for (size_t i = 0; i < monitor_registry_count; i++) {
		struct monitor *m = &mons[i];
		int mon_ok = 1, any_ok = 0;

		if (!begun[i])
			continue;
		if (!alone && loader_compile_finish(m->bpf, err, sizeof(err))) {
			printf("%s: FAIL: does not compile: %s\n", m->ops->name, err);
			failed++;
			monitor_teardown(m);
			continue;
		}
		printf("%s:\n", m->ops->name);
		for (size_t pt = 0; pt < m->npoints; pt++) {
			const struct attach_point *point = &m->points[pt];
			int point_ok = 0;

			if (m->point_off[pt]) {
				printf("  %s: off in this configuration\n", point->name);
				continue;
			}
			for (const struct attach_alt *a = point->alts; a->name; a++) {
				int ok;

				printf("  %s via %s\n", point->name, a->name);
				ok = check_alt(p, m, a);
				if (ok && !point_ok)
					printf("  %s: %s is usable\n", point->name, a->name);
				point_ok |= ok;
			}
			any_ok |= point_ok;
			if (!point_ok && !point->optional) {
				printf("  %s: no alternative loads on %s\n", point->name, p->name);
				mon_ok = 0;
			}
		}
		/* A monitor of optional points only (func) needs one of them. */
		if (!any_ok) {
			printf("  no point of %s loads on %s\n", m->ops->name, p->name);
			mon_ok = 0;
		}
		printf("%s: %s\n", m->ops->name, mon_ok ? "PASS" : "FAIL");
		failed += !mon_ok;
		monitor_teardown(m);
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct monitor_schema schemas[CONFIG_MAX_MONITORS];
	size_t nschemas = monitor_schemas(schemas, CONFIG_MAX_MONITORS);
	const struct bpf_profile *p = bpf_profile_find(getenv("EM_PERSONALITY"));
	struct config cfg;
	int failed;

	if (argc > 1 || !p) {
		fprintf(stderr,
			"usage: LD_PRELOAD=libem_personality.so EM_PERSONALITY=PROFILE %s\n"
			"  profiles: rhel7, 4.9, 4.15, 4.18\n",
			argv[0]);
		return 2;
	}
	log_set_console_level(LOG_WARNING);
	memset(&cfg, 0, sizeof(cfg));
	if (config_defaults(&cfg, schemas, nschemas)) {
		fprintf(stderr, "probecheck: no default configuration\n");
		return 2;
	}
	printf("profile %s: %s\n", p->name, p->describes);
	/* The code clang makes differs between a probe compiled alone and one in a combined
	 * compile (which monitors run decides which): both are checked. */
	failed = check_set(p, &cfg, 0);
	failed += check_set(p, &cfg, 1);
	/* Under an overhead budget the hot probes are built to sample (-DEM_SAMPLING). */
	cfg.overhead_budget = 2;
	for (size_t i = 0; i < cfg.nmonitors; i++)
		cfg.monitors[i].sampling = cfg.monitors[i].schema->samples;
	failed += check_set(p, &cfg, 0);
	/* With attribution (issue 19): every key carries the class, the task-slot caches keep it,
	 * and the fork/exit/free/move programs are built. */
	cfg.overhead_budget = 0;
	for (size_t i = 0; i < cfg.nmonitors; i++) {
		cfg.monitors[i].sampling = false;
		cfg.monitors[i].attrib_columns = (1u << ATTRIB_NCOLS) - 1;
	}
	failed += check_set(p, &cfg, 0);
	failed += check_set(p, &cfg, 1);
	config_free(&cfg);
	printf("%d failure(s) on %s\n", failed, p->name);
	return failed ? 1 : 0;
}
