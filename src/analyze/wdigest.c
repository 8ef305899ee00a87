/* wdigest.c - weighted quantiles in bounded memory: exact on small inputs (the golden tests rely
 * on it), approximate (neighbours merged into equal-weight clusters) once more than cap distinct
 * values were seen. */
#include "analyze/agg.h"

#include <math.h>
#include <stdlib.h>

void wdigest_init(struct wdigest *d, size_t cap)
{
	d->p = NULL;
	d->n = 0;
	d->cap = cap < 4 ? 4 : cap;
	d->weight = 0.0;
	d->sorted = true;
}

void wdigest_free(struct wdigest *d)
{
	free(d->p);
	d->p = NULL;
	d->n = 0;
}

static int wdigest_cmp(const void *a, const void *b)
{
	const struct wdigest_point *x = a, *y = b;

	return x->v < y->v ? -1 : x->v > y->v;
}

/* Sorts and merges equal values. */
static void wdigest_sort(struct wdigest *d)
{
	size_t o = 0;

	if (d->sorted)
		return;
	qsort(d->p, d->n, sizeof(*d->p), wdigest_cmp);
	for (size_t i = 0; i < d->n; i++) {
		if (o && d->p[o - 1].v == d->p[i].v)
			d->p[o - 1].w += d->p[i].w;
		else
			d->p[o++] = d->p[i];
	}
	d->n = o;
	d->sorted = true;
}

/* Merges neighbours into clusters of at most a quarter-cap'th of the weight each (value: their
 * weighted mean): at most cap / 2 + 1 clusters, each quantile off by at most that much rank. */
static void wdigest_compress(struct wdigest *d)
{
	double target;
	size_t o = 0;

	wdigest_sort(d);
	if (d->n < d->cap)
		return;
	target = d->weight / (double)(d->cap / 4);
	for (size_t i = 0; i < d->n; i++) {
		struct wdigest_point *c = o ? &d->p[o - 1] : NULL;

		if (c && c->w + d->p[i].w <= target) {
			double w = c->w + d->p[i].w;

			c->v = (c->v * c->w + d->p[i].v * d->p[i].w) / w;
			c->w = w;
		} else {
			d->p[o++] = d->p[i];
		}
	}
	d->n = o;
}

void wdigest_add(struct wdigest *d, double v, double w)
{
	if (!(w > 0) || !isfinite(v) || !isfinite(w))
		return;
	if (!d->p) {
		d->p = malloc(d->cap * sizeof(*d->p));
		if (!d->p)
			return;
	}
	if (d->n == d->cap)
		wdigest_compress(d);
	if (d->n && d->p[d->n - 1].v == v) {
		d->p[d->n - 1].w += w;
	} else {
		if (d->n && d->p[d->n - 1].v > v)
			d->sorted = false;
		d->p[d->n].v = v;
		d->p[d->n].w = w;
		d->n++;
	}
	d->weight += w;
}

double wdigest_quantile(struct wdigest *d, double q)
{
	double target, cum = 0.0;

	if (!d->n || !(d->weight > 0))
		return NAN;
	wdigest_sort(d);
	target = q * d->weight;
	for (size_t i = 0; i < d->n; i++) {
		cum += d->p[i].w;
		/* A relative tolerance so that q * weight landing exactly on a boundary counts. */
		if (cum >= target * (1 - 1e-12))
			return d->p[i].v;
	}
	return d->p[d->n - 1].v;
}
