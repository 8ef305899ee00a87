/* attrib.c - per unit and per container: when ebpf-monitor's attribution put `unit` and
 * `container_id` columns in a monitor's CSV, the report ranks the systemd units and the
 * containers by the type's own measures (report_type.attrib: calls and errors, faults, bytes
 * and requests, ...). The columns are bound by header name beside the type's own, not among
 * them, so files without them report byte for byte as before. */
#include <errno.h>
#include <string.h>

#include "analyze/report.h"

static const char *const attrib_column[ATTRIB_NKEYS] = { "unit", "container_id" };

/* An empty unit: the process is in no unit (kernel threads, the root cgroup, cgroupfs kubepods
 * paths). Systemd unit names cannot hold parentheses, so it is no unit's name. */
#define ATTRIB_NO_UNIT "(none)"
/* Containers go by the id's first 12 hex digits, as `docker ps` shows them and the Prometheus
 * label `container` carries them: tables, bars and the metrics agree, and two ids of one host
 * sharing 48 bits is beyond plausible. */
#define ATTRIB_SHORT_ID 12

void report_attrib_bind(struct report_ctx *ctx, const struct csv_record *rec, int *idx, bool count)
{
	for (int k = 0; k < ATTRIB_NKEYS; k++) {
		idx[k] = -1;
		for (size_t i = rec->nfields; i-- > 0;) {
			if (!strcmp(rec->field[i], attrib_column[k])) {
				idx[k] = (int)i;
				break;
			}
		}
		if (count && idx[k] >= 0)
			ctx->st.attrib_files[k]++;
	}
}

/* Measure m of the type for one row. */
static double attrib_value(const struct attrib_measure *m, const struct arow *r)
{
	switch (m->kind) {
	case AM_ROWS:
		return 1;
	case AM_NONZERO:
		return r->has[m->col] && r->n[m->col] != 0 ? 1 : 0;
	case AM_SUM:
		break;
	}
	return r->has[m->col] ? r->n[m->col] : 0;
}

int report_attrib_row(const struct report_ctx *ctx, struct report_base *b, const int *idx,
		      const struct csv_record *rec, const struct arow *row)
{
	const struct report_type *t = ctx->type;
	struct report_attrib *a = &b->attrib;
	double v[ATTRIB_MEASURES] = { 0 };

	for (int m = 0; m < ATTRIB_MEASURES && t->attrib[m].title; m++)
		v[m] = attrib_value(&t->attrib[m], row);
	for (int k = 0; k < ATTRIB_NKEYS; k++) {
		const char *s;
		size_t len, n;
		char key[AGG_KEY_MAX];
		double *sums;

		if (idx[k] < 0)
			continue;
		s = rec->field[idx[k]];
		len = rec->len[idx[k]];
		if (!len && k == ATTRIB_CONTAINER) {
			for (int m = 0; m < ATTRIB_MEASURES; m++)
				a->outside[m] += v[m];
			continue;
		}
		if (!len) {
			s = ATTRIB_NO_UNIT;
			len = strlen(s);
		}
		if (k == ATTRIB_CONTAINER && len > ATTRIB_SHORT_ID)
			len = ATTRIB_SHORT_ID;
		if (!a->t[k]) {
			a->t[k] = agg_table_new(ATTRIB_MEASURES, 0, 0, ctx->opts->max_keys,
						ANALYZE_TABLE_BYTES);
			if (!a->t[k])
				return -ENOMEM;
		}
		n = agg_key_join(key, 1, &s, &len);
		sums = agg_table_get(a->t[k], key, n);
		for (int m = 0; m < ATTRIB_MEASURES; m++)
			sums[m] += v[m];
	}
	return 0;
}

/* The measures the files have: those whose column no file had are left out. */
static size_t attrib_measures(const struct report_ctx *ctx, int *ret)
{
	const struct report_type *t = ctx->type;
	size_t n = 0;

	for (int m = 0; m < ATTRIB_MEASURES && t->attrib[m].title; m++) {
		if (t->attrib[m].kind == AM_ROWS || ctx->st.col_files[t->attrib[m].col])
			ret[n++] = m;
	}
	return n;
}

static void attrib_ranking(const struct report_ctx *ctx, const struct report_base *b, int k,
			   struct out *o)
{
	const struct report_type *t = ctx->type;
	int ms[ATTRIB_MEASURES];
	size_t nm = attrib_measures(ctx, ms);
	const struct attrib_measure *first = &t->attrib[ms[0]];
	char title[96];
	struct ranking rk;

	snprintf(title, sizeof(title), "%s by %s", k == ATTRIB_UNIT ? "units" : "containers",
		 first->title);
	rk_init(&rk, k == ATTRIB_UNIT ? "units" : "containers", title, first->title, b->attrib.t[k],
		ms[0], ctx->opts->top);
	rk.bars = true;
	if (first->mib) {
		rk_add(&rk, "MiB", RK_MIB, ms[0], 0, 2);
		rk_add(&rk, "share", RK_SHARE, 0, 0, 0);
		rk_add(&rk, "cum", RK_CUM, 0, 0, 0);
	} else {
		rk_add_ranked(&rk, first->title);
	}
	for (size_t i = 1; i < nm; i++) {
		const struct attrib_measure *m = &t->attrib[ms[i]];

		if (m->pct_title)
			rk_add_part(&rk, m->title, m->pct_title, ms[i], ms[0]);
		else
			rk_add(&rk, m->mib ? "MiB" : m->title, m->mib ? RK_MIB : RK_VAL, ms[i], 0,
			       m->mib ? 2 : 0);
	}
	rk_add(&rk, k == ATTRIB_UNIT ? "unit" : "container", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);
}

/* "unit column missing from some files" when not every file read had it. */
static void attrib_partial_note(const struct report_ctx *ctx, int k, struct out *o)
{
	size_t files = ctx->st.files - ctx->st.files_skipped;

	if (ctx->st.attrib_files[k] < files)
		out_note(o,
			 "%s column in %zu of %zu files: rows of the others are not in these "
			 "figures",
			 attrib_column[k], ctx->st.attrib_files[k], files);
}

void report_attrib_render(const struct report_ctx *ctx, const struct report_base *b, struct out *o)
{
	const struct report_type *t = ctx->type;
	const struct report_attrib *a = &b->attrib;
	int ms[ATTRIB_MEASURES];
	size_t nm;

	if (!t->attrib[0].title || !(nm = attrib_measures(ctx, ms)))
		return;
	if (ctx->st.attrib_files[ATTRIB_UNIT] && a->t[ATTRIB_UNIT]) {
		out_heading(o, "Per unit");
		out_kv_keys(o, "units", a->t[ATTRIB_UNIT]);
		attrib_partial_note(ctx, ATTRIB_UNIT, o);
		attrib_ranking(ctx, b, ATTRIB_UNIT, o);
	}
	/* Only where some row was in a container. */
	if (ctx->st.attrib_files[ATTRIB_CONTAINER] && a->t[ATTRIB_CONTAINER]) {
		const struct attrib_measure *first = &t->attrib[ms[0]];
		double in = agg_table_total(a->t[ATTRIB_CONTAINER], (unsigned)ms[0]);
		double out = a->outside[ms[0]], all = in + out;

		out_heading(o, "Per container");
		out_kv_keys(o, "containers", a->t[ATTRIB_CONTAINER]);
		if (first->mib)
			out_kv(o, "outside containers", "%.2f MiB (%.2f%%)", out / 1048576.0,
			       all > 0 ? 100.0 * out / all : 0.0);
		else
			out_kv(o, "outside containers", "%.0f %s (%.2f%%)", out, first->title,
			       all > 0 ? 100.0 * out / all : 0.0);
		attrib_partial_note(ctx, ATTRIB_CONTAINER, o);
		attrib_ranking(ctx, b, ATTRIB_CONTAINER, o);
	}
}

void report_attrib_free(struct report_base *b)
{
	for (int k = 0; k < ATTRIB_NKEYS; k++) {
		agg_table_free(b->attrib.t[k]);
		b->attrib.t[k] = NULL;
	}
}
