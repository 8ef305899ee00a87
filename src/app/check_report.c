/* check_report.c - --check: kernel features, then each selected monitor set up for real (in
 * parallel, as a start does: runtime_two_pass) and undone, its attach choices printed in order. */
#include "app/check_report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/kcheck.h"
#include "bpf/loader.h"
#include "monitors/monitor.h"
#include "app/runtime.h"

struct check {
	struct monitor_cfg **sel;
	struct monitor_host host;
	struct monitor *mons;
	char (*errs)[2048];
	int unusable;
};

static int check_begin(void *ctx, size_t i)
{
	struct check *c = ctx;

	return monitor_setup_begin(&c->mons[i], monitor_find(c->sel[i]->name), c->sel[i], &c->host,
				   c->errs[i], sizeof(c->errs[i]));
}

/* One monitor's lines: each probe point and the alternative that attached, or why none. */
static void check_end(void *ctx, size_t i, bool begun)
{
	struct check *c = ctx;
	const struct monitor_ops *ops = monitor_find(c->sel[i]->name);
	struct monitor *m = &c->mons[i];

	if (!begun || monitor_setup_end(m, c->errs[i], sizeof(c->errs[i]))) {
		printf("  %-16s unavailable: %s\n", ops->name, c->errs[i]);
		c->unusable++;
		return;
	}
	for (size_t p = 0; p < m->npoints; p++) {
		if (m->point_off[p])
			continue;
		printf("  %-16s %-12s %s", p ? "" : ops->name, m->points[p].name,
		       m->chosen[p] ? m->chosen[p]->name : "not attached (optional)");
		if (m->not_chosen[p])
			printf(m->chosen[p] ? " (not %s)" : " (%s)", m->not_chosen[p]);
		printf("\n");
	}
	monitor_teardown(m);
}

/* The kernel's features, one line each; false when probes cannot be compiled or loaded. */
static bool report_features(void)
{
	struct kfeature_result res[KF_COUNT];

	printf("Kernel features:\n");
	for (int f = 0; f < KF_COUNT; f++) {
		kcheck_probe((enum kfeature)f, &res[f]);
		printf("  %-20s %-4s %s\n", kcheck_name((enum kfeature)f), res[f].ok ? "yes" : "no",
		       res[f].detail);
	}
	printf("  %-20s %-4s %s: %s\n", "bcc", "yes", EM_BCC_VERSION, loader_bcc_features());
	return res[KF_HEADERS].ok && res[KF_BPF_SYSCALL].ok;
}

int app_check_report(struct monitor_cfg **sel, size_t nsel)
{
	struct check c = { .sel = sel, .host = { .nsinks = 0 } };
	bool priv = kcheck_privileged();
	bool loadable = report_features();
	size_t n = nsel ? nsel : 1;

	printf("\nMonitors:\n");
	if (!priv) {
		printf("  (not root: attach alternatives cannot be tried; run as root)\n");
		return -EPERM;
	}
	if (!loadable) {
		printf("  (cannot compile or load probes: fix the items above)\n");
		return -EOPNOTSUPP;
	}
	c.mons = calloc(n, sizeof(*c.mons));
	c.errs = calloc(n, sizeof(*c.errs));
	if (!c.mons || !c.errs) {
		free(c.mons);
		free(c.errs);
		return -ENOMEM;
	}
	/* Really compile, load and attach, then undo: the only answer that is true. The
	 * compiles run in parallel; the answers are printed in order. */
	runtime_two_pass(nsel, check_begin, check_end, &c);
	free(c.mons);
	free(c.errs);
	return c.unusable ? -EOPNOTSUPP : 0;
}
