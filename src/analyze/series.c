/* series.c - time series with a bounded bucket count: when a new point falls outside the span
 * that max_nb buckets can cover, the width steps up the ladder and buckets merge exactly. */
#include "analyze/agg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const int64_t series_ladder[] = {
	1000,	 2000,	  10000,   30000,    60000,    300000,	 600000,
	1800000, 3600000, 7200000, 21600000, 43200000, 86400000,
};

int64_t series_next_width(int64_t w)
{
	for (size_t i = 0; i < sizeof(series_ladder) / sizeof(series_ladder[0]); i++)
		if (series_ladder[i] > w)
			return series_ladder[i];
	return w * 2;
}

static int64_t series_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && a < 0) ? q - 1 : q;
}

void series_init(struct series *s, size_t nslots, size_t max_slots, size_t max_nb)
{
	memset(s, 0, sizeof(*s));
	s->nslots = nslots ? nslots : 1;
	s->max_slots = max_slots > s->nslots ? max_slots : s->nslots;
	s->max_nb = max_nb ? max_nb : SERIES_MAX_BUCKETS;
	s->width_ms = series_ladder[0];
}

void series_free(struct series *s)
{
	free(s->v);
	s->v = NULL;
	s->nb = 0;
}

/* Re-lays the buckets out at width w from start (a multiple of w), with nslots slots. */
static int series_relayout(struct series *s, int64_t start, int64_t w, size_t nslots)
{
	double *v = calloc(s->max_nb * nslots, sizeof(*v));
	size_t nb = 0;

	if (!v)
		return -ENOMEM;
	for (size_t b = 0; b < s->nb; b++) {
		int64_t t = s->start_ms + (int64_t)b * s->width_ms;
		size_t nbk = (size_t)((t - start) / w);

		for (size_t k = 0; k < s->nslots; k++)
			v[nbk * nslots + k] += s->v[b * s->nslots + k];
		if (nbk + 1 > nb)
			nb = nbk + 1;
	}
	free(s->v);
	s->v = v;
	s->start_ms = start;
	s->width_ms = w;
	s->nslots = nslots;
	s->nb = nb;
	return 0;
}

void series_add(struct series *s, int64_t ts, size_t slot, double x)
{
	int64_t lo, hi, w;
	size_t b;

	if (slot >= s->max_slots) {
		s->dropped++;
		return;
	}
	if (!s->v) {
		s->v = calloc(s->max_nb * s->nslots, sizeof(*s->v));
		if (!s->v) {
			s->dropped++;
			return;
		}
	}
	if (!s->nb) {
		s->start_ms = series_floor_div(ts, s->width_ms) * s->width_ms;
		s->nb = 1;
	}
	lo = ts < s->start_ms ? ts : s->start_ms;
	hi = s->start_ms + (int64_t)s->nb * s->width_ms - 1;
	if (ts > hi)
		hi = ts;
	w = s->width_ms;
	while (series_floor_div(hi, w) - series_floor_div(lo, w) + 1 > (int64_t)s->max_nb)
		w = series_next_width(w);
	if (slot >= s->nslots || w != s->width_ms || lo < s->start_ms) {
		size_t nslots = s->nslots;

		while (slot >= nslots)
			nslots *= 2;
		if (nslots > s->max_slots)
			nslots = s->max_slots;
		if (series_relayout(s, series_floor_div(lo, w) * w, w, nslots) < 0) {
			s->dropped++;
			return;
		}
	}
	b = (size_t)((ts - s->start_ms) / s->width_ms);
	if (b + 1 > s->nb)
		s->nb = b + 1;
	s->v[b * s->nslots + slot] += x;
}

int series_regroup(const struct series *s, int64_t min_width_ms, size_t max_nb, struct series *ret)
{
	int64_t w = s->width_ms, lo = s->start_ms, hi;

	series_init(ret, s->nslots, s->nslots, max_nb);
	if (!s->nb || !s->v)
		return 0;
	hi = s->start_ms + (int64_t)s->nb * s->width_ms - 1;
	while (w < min_width_ms ||
	       series_floor_div(hi, w) - series_floor_div(lo, w) + 1 > (int64_t)max_nb)
		w = series_next_width(w);
	ret->v = calloc(max_nb * s->nslots, sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	ret->start_ms = series_floor_div(lo, w) * w;
	ret->width_ms = w;
	for (size_t b = 0; b < s->nb; b++) {
		int64_t t = s->start_ms + (int64_t)b * s->width_ms;
		size_t nbk = (size_t)((t - ret->start_ms) / w);

		for (size_t k = 0; k < s->nslots; k++)
			ret->v[nbk * s->nslots + k] += s->v[b * s->nslots + k];
		if (nbk + 1 > ret->nb)
			ret->nb = nbk + 1;
	}
	ret->dropped = s->dropped;
	return 0;
}
