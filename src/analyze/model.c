/* model.c - the report model both back ends draw: rankings (top-N with share and cumulative %,
 * or per-key lists with a balance score) computed into rows of cells, time-series lines and
 * the rows of a heat map. Writes nothing. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/report_out.h"

void rk_init(struct ranking *rk, const char *id, const char *title, const char *value_name,
	     const struct agg_table *t, int slot, size_t top)
{
	*rk = (struct ranking){ .id = id,
				.title = title,
				.value_name = value_name,
				.t = t,
				.slot = slot,
				.top = top };
}

void rk_add(struct ranking *rk, const char *title, enum rk_kind kind, int a, int b, int prec)
{
	if (rk->ncols >= RK_MAX_COLS)
		return;
	rk->cols[rk->ncols++] = (struct rk_col){ title, kind, a, b, prec, NULL };
}

void rk_add_ranked(struct ranking *rk, const char *title)
{
	rk_add(rk, title, RK_VAL, rk->slot, 0, 0);
	rk_add(rk, "share", RK_SHARE, 0, 0, 0);
	rk_add(rk, "cum", RK_CUM, 0, 0, 0);
}

void rk_add_latency(struct ranking *rk, int sum, int weight, int max)
{
	rk_add(rk, "avg_us", RK_RATIO, sum, weight, 3);
	if (max >= 0)
		rk_add(rk, "max_us", RK_IF, max, weight, 3);
}

void rk_add_part(struct ranking *rk, const char *title, const char *pct_title, int part, int whole)
{
	rk_add(rk, title, RK_VAL, part, 0, 0);
	rk_add(rk, pct_title, RK_PCT, part, whole, 0);
}

/* ---- rankings ---- */

struct rk_sort_ctx {
	int slot;
	bool by_key_number;
};

static struct rk_sort_ctx rk_sort; /* qsort has no context argument in C11 */

static int rk_cmp(const void *pa, const void *pb)
{
	const struct agg_item *a = pa, *b = pb;
	int c;

	if (rk_sort.by_key_number) {
		unsigned long long x = strtoull(a->key, NULL, 10), y = strtoull(b->key, NULL, 10);

		if (x != y)
			return x < y ? -1 : 1;
	} else if (a->v[rk_sort.slot] != b->v[rk_sort.slot]) {
		return a->v[rk_sort.slot] > b->v[rk_sort.slot] ? -1 : 1;
	}
	c = memcmp(a->key, b->key, a->keylen < b->keylen ? a->keylen : b->keylen);
	if (c)
		return c;
	return a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
}

struct agg_item *rk_sorted(const struct agg_table *t, int slot, size_t *ret_n)
{
	struct agg_item *items = agg_table_items(t, ret_n);

	rk_sort.slot = slot;
	rk_sort.by_key_number = false;
	if (items)
		qsort(items, *ret_n, sizeof(*items), rk_cmp);
	return items;
}

static void rk_format(const struct ranking *rk, const struct rk_col *c, const struct agg_item *it,
		      double total, double cum, char *buf, size_t len)
{
	const char *p;
	size_t plen;
	double x;

	switch (c->kind) {
	case RK_KEY:
		if (!agg_key_part(it->key, it->keylen, (size_t)c->a, &p, &plen))
			snprintf(buf, len, "-");
		else if (!plen)
			snprintf(buf, len, "(empty)");
		else
			text_clean(p, plen, 512, buf, len);
		return;
	case RK_VAL:
		snprintf(buf, len, "%.*f", c->prec, it->v[c->a]);
		return;
	case RK_SHARE:
	case RK_CUM:
		x = c->kind == RK_SHARE ? it->v[rk->slot] : cum;
		if (total > 0)
			snprintf(buf, len, "%.2f%%", 100.0 * x / total);
		else
			snprintf(buf, len, "-");
		return;
	case RK_PCT:
		if (it->v[c->b] > 0)
			snprintf(buf, len, "%.2f%%", 100.0 * it->v[c->a] / it->v[c->b]);
		else
			snprintf(buf, len, "-");
		return;
	case RK_RATIO:
		if (it->v[c->b] > 0)
			snprintf(buf, len, "%.*f", c->prec, it->v[c->a] / it->v[c->b]);
		else
			snprintf(buf, len, "-");
		return;
	case RK_MIB:
		snprintf(buf, len, "%.*f", c->prec, it->v[c->a] / 1048576.0);
		return;
	case RK_IF:
		if (it->v[c->b] > 0)
			snprintf(buf, len, "%.*f", c->prec, it->v[c->a]);
		else
			snprintf(buf, len, "-");
		return;
	case RK_FN:
	case RK_FN_TEXT:
		p = c->fn ? c->fn(rk->fn_ctx, it, buf, len) : "-";
		if (p != buf)
			snprintf(buf, len, "%s", p);
		return;
	}
}

void rk_rows_free(struct rk_rows *rows, struct agg_item *items, size_t ncols)
{
	if (rows->cells)
		for (size_t i = 0; i < rows->n * ncols; i++)
			free(rows->cells[i]);
	free(rows->cells);
	free(items);
}

int rk_compute(const struct ranking *rk, struct rk_rows *rows, struct agg_item **ret_items)
{
	size_t n, m = 0, plen = rk->prefix ? strlen(rk->prefix) : 0;
	struct agg_item *items = agg_table_items(rk->t, &n);
	const double *other = agg_table_other(rk->t);
	double cum = 0, sq = 0, sum = 0, maxv = 0;
	char cell[1024];

	memset(rows, 0, sizeof(*rows));
	*ret_items = items;
	if (!items && agg_table_size(rk->t))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (plen && (items[i].keylen < plen || memcmp(items[i].key, rk->prefix, plen)))
			continue;
		if (rk->skip_zero && items[i].v[rk->slot] == 0)
			continue;
		items[m++] = items[i];
	}
	rows->nkeys = m;
	for (size_t i = 0; i < m; i++) {
		double x = items[i].v[rk->slot];

		sum += x;
		sq += x * x;
		if (x > maxv)
			maxv = x;
	}
	rows->total = sum;
	if (!plen && other) {
		rows->other = other[rk->slot];
		rows->evicted = agg_table_evicted(rk->t);
		rows->folded = agg_table_folded(rk->t);
		rows->total += rows->other;
	}
	if (rk->balance && m && sq > 0) {
		rows->has_balance = true;
		rows->balance = sum * sum / ((double)m * sq);
		rows->busiest_share = maxv / sum;
	}
	rk_sort.slot = rk->slot;
	rk_sort.by_key_number = rk->by_key_number;
	if (m)
		qsort(items, m, sizeof(*items), rk_cmp);
	/* The busiest key: the first, in the order shown, with the top value. */
	for (size_t i = 0; rows->has_balance && !rows->busiest && i < m; i++)
		if (items[i].v[rk->slot] == maxv)
			rows->busiest = &items[i];
	rows->n = rk->top && rk->top < m ? rk->top : m;
	rows->items = items;
	for (size_t i = rows->n; i < m; i++)
		rows->rest += items[i].v[rk->slot];
	rows->nrest = m - rows->n;
	if (!rows->n)
		return 0;
	rows->cells = calloc(rows->n * rk->ncols, sizeof(*rows->cells));
	if (!rows->cells)
		return -ENOMEM;
	for (size_t i = 0; i < rows->n; i++) {
		cum += items[i].v[rk->slot];
		for (size_t c = 0; c < rk->ncols; c++) {
			rk_format(rk, &rk->cols[c], &items[i], rows->total, cum, cell,
				  sizeof(cell));
			rows->cells[i * rk->ncols + c] = strdup(cell);
			if (!rows->cells[i * rk->ncols + c])
				return -ENOMEM;
		}
	}
	return 0;
}

const char *rk_cell(const struct rk_rows *rows, const struct ranking *rk, size_t i, size_t c)
{
	return rows->cells[i * rk->ncols + c];
}

void rk_label(const struct ranking *rk, const struct agg_item *it, char *buf, size_t len)
{
	size_t o = 0, plen = rk->prefix ? strlen(rk->prefix) : 0;
	const char *key = it->key + plen;
	size_t klen = it->keylen - plen;
	const char *p;
	size_t n;

	o = (size_t)snprintf(buf, len, "%s", rk->label_prefix ? rk->label_prefix : "");
	if (o >= len)
		return;
	for (size_t i = 0; (!rk->label_parts || i < rk->label_parts) &&
			   agg_key_part(key, klen, i, &p, &n) && o + 1 < len;
	     i++) {
		if (i)
			o += (size_t)snprintf(buf + o, len - o, "%s",
					      rk->key_join ? rk->key_join : " / ");
		if (o + 1 >= len)
			break;
		text_clean(p, n, 200, buf + o, len - o);
		o += strlen(buf + o);
	}
}

double rk_pct(double x, double total)
{
	return total > 0 ? 100.0 * x / total : 0.0;
}

bool rk_col_is_text(const struct rk_col *c)
{
	return c->kind == RK_KEY || c->kind == RK_FN_TEXT;
}

bool rk_other_text(const struct ranking *rk, const struct rk_rows *rows, char *buf, size_t len)
{
	int n;

	if (!rows->evicted && !rows->folded)
		return false;
	n = snprintf(buf, len,
		     "(other): %.0f %s (%.2f%%), keys beyond the memory cap (--max-keys):",
		     rows->other, rk->value_name, rk_pct(rows->other, rows->total));
	if (n > 0 && (size_t)n < len && rows->evicted)
		n += snprintf(buf + n, len - (size_t)n, " %llu evicted", rows->evicted);
	if (n > 0 && (size_t)n < len && rows->folded)
		snprintf(buf + n, len - (size_t)n, "%s %llu rows found no room",
			 rows->evicted ? "," : "", rows->folded);
	return true;
}

/* ---- time series ---- */

double ts_line_value(const struct series *g, size_t b, const struct ts_line *l)
{
	double x = series_get(g, b, (size_t)l->slot);

	if (l->den >= 0) {
		double d = series_get(g, b, (size_t)l->den);

		return d > 0 ? x / d * l->scale : NAN;
	}
	return x / ((double)g->width_ms / 1000.0) * l->scale;
}

int heat_rows_compute(const struct series *g, size_t **ret_rows, struct heat_rows *hr)
{
	size_t *rows = calloc(g->nslots, sizeof(*rows)), nrows = 0;
	double top = 0;

	*ret_rows = rows;
	if (!rows)
		return -ENOMEM;
	for (size_t r = 0; r < g->nslots; r++) {
		bool any = false;

		for (size_t b = 0; b < g->nb; b++) {
			double x = series_get(g, b, r);

			if (x != 0)
				any = true;
			if (x > top)
				top = x;
		}
		if (any)
			rows[nrows++] = r;
	}
	*hr = (struct heat_rows){ g, rows, nrows, top / ((double)g->width_ms / 1000.0) };
	return 0;
}

void out_distribution(struct out *o, const struct agg_table *t, const struct rk_dist *d)
{
	struct ranking rk;

	rk_init(&rk, d->id, d->title, d->value_name, t, d->slot, 0);
	rk.by_key_number = true;
	rk.balance = d->what;
	rk.bars = true;
	rk.label_prefix = d->label_prefix;
	rk_add(&rk, d->value_name, RK_VAL, d->slot, 0, 0);
	rk_add(&rk, "share", RK_SHARE, 0, 0, 0);
	rk_add(&rk, d->part_title[0], RK_VAL, d->part_slot[0], 0, 0);
	rk_add(&rk, d->part_title[1], RK_VAL, d->part_slot[1], 0, 0);
	rk_add(&rk, d->key, RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);
}

void out_cpu_charts(struct out *o, const struct report_ctx *ctx, const struct report_base *b,
		    const char *what, const char *line0, const char *line1)
{
	char title[128];

	snprintf(title, sizeof(title), "%s per CPU over time", what);
	out_heatmap(o, &(struct heatmap){ .id = "heatmap",
					  .title = title,
					  .unit = "per second",
					  .row_name = "cpu",
					  .s = &b->heat,
					  .min_width_ms = report_min_width(ctx) });
	out_tschart(o, &(struct tschart){
			       .id = "over-time",
			       .title = what,
			       .unit = "per second",
			       .s = &b->ts,
			       .nlines = 2,
			       .min_width_ms = report_min_width(ctx),
			       .lines = { { line0, 0, -1, 1.0, 2 }, { line1, 1, -1, 1.0, 2 } },
		       });
}
