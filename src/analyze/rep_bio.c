/* rep_bio.c - the bio report: block I/O per process, device and io type, latency weighted by
 * requests, p50/p99 estimated from the per-interval percentile columns, throughput over time. */
#include <math.h>
#include <string.h>

#include "analyze/report.h"

enum { C_COMM, C_TYPE_STR, C_TYPE, C_COUNT, C_BYTES, C_AVG, C_MAX, C_DEV, C_P50, C_P99, C_NCOLS };

static const struct acol bio_cols[C_NCOLS] = {
	[C_COMM] = { "comm", ACOL_STR, true },
	[C_TYPE_STR] = { "io_type_str", ACOL_STR, false },
	[C_TYPE] = { "io_type", ACOL_UINT, false },
	[C_COUNT] = { "count", ACOL_UINT, true },
	[C_BYTES] = { "total_bytes", ACOL_UINT, false },
	[C_AVG] = { "avg_latency_us", ACOL_NUM, false },
	[C_MAX] = { "max_latency_us", ACOL_NUM, false },
	[C_DEV] = { "device", ACOL_STR, false },
	[C_P50] = { "p50_latency_us", ACOL_NUM, false },
	[C_P99] = { "p99_latency_us", ACOL_NUM, false },
};

enum { V_REQ, V_BYTES, V_RBYTES, V_WBYTES, V_LATW, V_LATSUM, V_LATMAX, V_P99MAX, V_N };
#define BIO_MAX_SLOTS ((1u << V_LATMAX) | (1u << V_P99MAX)) /* maxima, not sums */
enum { S_RBYTES, S_WBYTES, S_REQ, S_LATSUM, S_LATW, S_N };

#define BIO_MAX_DEV_DIGESTS 64
#define BIO_DIGEST_POINTS 2048

struct bio_dev_pct {
	char name[64];
	struct wdigest p50, p99;
};

/* The state's tables. */
enum { T_COMM, T_DEV, T_TYPE, T_TRIPLE, T_N };

struct bio_state {
	struct report_base b; /* first: tables t[T_...], series ts (and heat) */
	double tot[V_N];
	struct wdigest p50, p99;
	struct bio_dev_pct dev[BIO_MAX_DEV_DIGESTS];
	size_t ndev;
};

static void bio_init(void *p)
{
	struct bio_state *st = p;

	wdigest_init(&st->p50, BIO_DIGEST_POINTS);
	wdigest_init(&st->p99, BIO_DIGEST_POINTS);
}

static void bio_release(void *p)
{
	struct bio_state *st = p;

	wdigest_free(&st->p50);
	wdigest_free(&st->p99);
	for (size_t i = 0; i < st->ndev; i++) {
		wdigest_free(&st->dev[i].p50);
		wdigest_free(&st->dev[i].p99);
	}
}

static const char *const bio_types[] = { "READ", "WRITE", "DISCARD", "FLUSH", "OTHER" };

/* The io type's name: io_type_str as written, else the name of the io_type number. */
static const char *bio_type(const struct arow *r, size_t *ret_len)
{
	const char *s = "-";
	int k;

	if (r->has[C_TYPE_STR]) {
		*ret_len = r->len[C_TYPE_STR];
		return r->s[C_TYPE_STR];
	}
	k = arow_enum(r, C_TYPE_STR, C_TYPE, bio_types, 5);
	if (k >= 0)
		s = bio_types[k];
	else if (r->has[C_TYPE])
		s = "OTHER";
	*ret_len = strlen(s);
	return s;
}

static void bio_add(double *v, const struct arow *r, int rw)
{
	double n = r->n[C_COUNT];

	v[V_REQ] += n;
	v[V_BYTES] += r->n[C_BYTES];
	if (rw == 'R')
		v[V_RBYTES] += r->n[C_BYTES];
	else if (rw == 'W')
		v[V_WBYTES] += r->n[C_BYTES];
	if (r->has[C_AVG]) {
		v[V_LATW] += n;
		v[V_LATSUM] += r->n[C_AVG] * n;
	}
	if (r->has[C_MAX] && r->n[C_MAX] > v[V_LATMAX])
		v[V_LATMAX] = r->n[C_MAX];
	if (r->has[C_P99] && r->n[C_P99] > v[V_P99MAX])
		v[V_P99MAX] = r->n[C_P99];
}

static struct bio_dev_pct *bio_dev(struct bio_state *st, const char *name, size_t len)
{
	char clean[64];

	text_clean(name, len, sizeof(clean) - 1, clean, sizeof(clean));
	for (size_t i = 0; i < st->ndev; i++)
		if (!strcmp(st->dev[i].name, clean))
			return &st->dev[i];
	if (st->ndev == BIO_MAX_DEV_DIGESTS)
		return NULL;
	snprintf(st->dev[st->ndev].name, sizeof(st->dev[0].name), "%s", clean);
	wdigest_init(&st->dev[st->ndev].p50, BIO_DIGEST_POINTS / 4);
	wdigest_init(&st->dev[st->ndev].p99, BIO_DIGEST_POINTS / 4);
	return &st->dev[st->ndev++];
}

static void bio_row(void *p, const struct arow *r)
{
	static const int comm[] = { C_COMM }, dev[] = { C_DEV };
	struct bio_state *st = p;
	char key[AGG_KEY_MAX];
	const char *parts[3], *type;
	size_t lens[3], tlen, n;
	double reqs = r->n[C_COUNT];
	int rw;

	type = bio_type(r, &tlen);
	switch (arow_enum(r, C_TYPE_STR, C_TYPE, bio_types, 2)) {
	case 0:
		rw = 'R';
		break;
	case 1:
		rw = 'W';
		break;
	default:
		rw = 0;
	}
	bio_add(agg_table_get(st->b.t[T_COMM], key, arow_key(r, key, 1, comm, "-")), r, rw);
	n = arow_key(r, key, 1, dev, "-");
	bio_add(agg_table_get(st->b.t[T_DEV], key, n), r, rw);
	bio_add(agg_table_get(st->b.t[T_TYPE], key, agg_key_join(key, 1, &type, &tlen)), r, rw);
	parts[0] = r->s[C_COMM];
	lens[0] = r->len[C_COMM];
	parts[1] = r->has[C_DEV] ? r->s[C_DEV] : "-";
	lens[1] = r->has[C_DEV] ? r->len[C_DEV] : 1;
	parts[2] = type;
	lens[2] = tlen;
	bio_add(agg_table_get(st->b.t[T_TRIPLE], key, agg_key_join(key, 3, parts, lens)), r, rw);
	bio_add(st->tot, r, rw);
	if (r->has[C_P50] || r->has[C_P99]) {
		struct bio_dev_pct *d = bio_dev(st, parts[1], lens[1]);

		if (r->has[C_P50]) {
			wdigest_add(&st->p50, r->n[C_P50], reqs);
			if (d)
				wdigest_add(&d->p50, r->n[C_P50], reqs);
		}
		if (r->has[C_P99]) {
			wdigest_add(&st->p99, r->n[C_P99], reqs);
			if (d)
				wdigest_add(&d->p99, r->n[C_P99], reqs);
		}
	}
	if (rw == 'R')
		series_add(&st->b.ts, r->ts_ms, S_RBYTES, r->n[C_BYTES]);
	else if (rw == 'W')
		series_add(&st->b.ts, r->ts_ms, S_WBYTES, r->n[C_BYTES]);
	series_add(&st->b.ts, r->ts_ms, S_REQ, reqs);
	if (r->has[C_AVG]) {
		series_add(&st->b.ts, r->ts_ms, S_LATSUM, r->n[C_AVG] * reqs);
		series_add(&st->b.ts, r->ts_ms, S_LATW, reqs);
	}
}

static const char *bio_dev_quantile(const struct bio_state *st, const struct agg_item *it, bool p99,
				    char *buf, size_t len)
{
	char clean[64];
	double x = NAN;

	text_clean(it->key, it->keylen, sizeof(clean) - 1, clean, sizeof(clean));
	for (size_t i = 0; i < st->ndev; i++)
		if (!strcmp(st->dev[i].name, clean)) {
			struct wdigest *d =
				(struct wdigest *)(p99 ? &st->dev[i].p99 : &st->dev[i].p50);

			x = wdigest_quantile(d, p99 ? 0.99 : 0.5);
		}
	if (isnan(x))
		return "-";
	snprintf(buf, len, "%.3f", x);
	return buf;
}

static const char *bio_dev_p50(const void *ctx, const struct agg_item *it, char *buf, size_t len)
{
	return bio_dev_quantile(ctx, it, false, buf, len);
}

static const char *bio_dev_p99(const void *ctx, const struct agg_item *it, char *buf, size_t len)
{
	return bio_dev_quantile(ctx, it, true, buf, len);
}

/* What the files had: the figures the report can give. */
struct bio_has {
	bool bytes, lat, devs;
};

static void bio_overview(struct bio_state *st, const struct report_ctx *ctx,
			 const struct bio_has *h, struct out *o)
{
	bool bytes = h->bytes, lat = h->lat, devs = h->devs, pct = st->p50.n || st->p99.n;
	double span = report_span_s(ctx);

	out_heading(o, "Overview");
	out_kv(o, "requests", "%.0f", st->tot[V_REQ]);
	if (bytes) {
		out_kv(o, "bytes", "%.0f (%.2f MiB: read %.2f MiB, write %.2f MiB)",
		       st->tot[V_BYTES], st->tot[V_BYTES] / 1048576.0,
		       st->tot[V_RBYTES] / 1048576.0, st->tot[V_WBYTES] / 1048576.0);
		if (span > 0)
			out_kv(o, "avg throughput", "%.3f MiB/s (over %.3f s)",
			       st->tot[V_BYTES] / 1048576.0 / span, span);
	}
	out_kv_keys(o, "processes", st->b.t[T_COMM]);
	if (devs)
		out_kv_keys(o, "devices", st->b.t[T_DEV]);
	if (lat) {
		out_kv(o, "avg latency", "%.3f us (weighted by requests, %.0f requests measured)",
		       st->tot[V_LATSUM] / st->tot[V_LATW], st->tot[V_LATW]);
		out_kv(o, "max latency", "%.3f us", st->tot[V_LATMAX]);
	}
	if (pct) {
		if (st->p50.n)
			out_kv(o, "p50 latency (est.)", "%.3f us", wdigest_quantile(&st->p50, 0.5));
		if (st->p99.n) {
			out_kv(o, "p99 latency (est.)", "%.3f us",
			       wdigest_quantile(&st->p99, 0.99));
			out_kv(o, "worst interval p99", "%.3f us", st->tot[V_P99MAX]);
		}
		out_note(o,
			 "p50/p99 (est.): quantiles of the per-interval p50/p99 columns, weighted "
			 "by requests; exact ones need the raw latencies");
	}
}

static void bio_charts(struct bio_state *st, const struct report_ctx *ctx, const struct bio_has *h,
		       struct out *o)
{
	bool bytes = h->bytes, lat = h->lat;

	if (bytes)
		out_tschart(o,
			    &(struct tschart){
				    .id = "throughput",
				    .title = "throughput",
				    .unit = "MiB/s",
				    .s = &st->b.ts,
				    .nlines = 2,
				    .min_width_ms = report_min_width(ctx),
				    .lines = { { "read MiB/s", S_RBYTES, -1, 1 / 1048576.0, 3 },
					       { "write MiB/s", S_WBYTES, -1, 1 / 1048576.0, 3 } },
			    });
	out_tschart(o, &(struct tschart){
			       .id = "requests",
			       .title = "requests",
			       .unit = "per second",
			       .s = &st->b.ts,
			       .nlines = 1,
			       .min_width_ms = report_min_width(ctx),
			       .lines = { { "requests/s", S_REQ, -1, 1.0, 2 } },
		       });
	if (lat)
		out_tschart(o, &(struct tschart){
				       .id = "latency",
				       .title = "average latency",
				       .unit = "us, weighted by requests",
				       .s = &st->b.ts,
				       .nlines = 1,
				       .min_width_ms = report_min_width(ctx),
				       .lines = { { "avg latency us", S_LATSUM, S_LATW, 1.0, 3 } },
			       });
}

/* The size and latency columns of a ranking: MiB, avg_us, max_us. */
static void bio_add_size_latency(struct ranking *rk, const struct bio_has *h)
{
	if (h->bytes)
		rk_add(rk, "MiB", RK_MIB, V_BYTES, 0, 2);
	if (h->lat)
		rk_add_latency(rk, V_LATSUM, V_LATW, V_LATMAX);
}

static void bio_rank_processes(struct bio_state *st, size_t top, const struct bio_has *h,
			       struct out *o)
{
	struct ranking rk;

	rk_init(&rk, "top-processes", "processes by requests", "requests", st->b.t[T_COMM], V_REQ,
		top);
	rk.bars = true;
	rk_add_ranked(&rk, "requests");
	bio_add_size_latency(&rk, h);
	rk_add(&rk, "process", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	if (h->bytes) {
		rk_init(&rk, "top-processes-bytes", "processes by bytes", "bytes", st->b.t[T_COMM],
			V_BYTES, top);
		rk.skip_zero = true;
		rk.empty = "no bytes";
		rk_add(&rk, "MiB", RK_MIB, V_BYTES, 0, 2);
		rk_add(&rk, "share", RK_SHARE, 0, 0, 0);
		rk_add(&rk, "cum", RK_CUM, 0, 0, 0);
		rk_add(&rk, "read_MiB", RK_MIB, V_RBYTES, 0, 2);
		rk_add(&rk, "write_MiB", RK_MIB, V_WBYTES, 0, 2);
		rk_add(&rk, "requests", RK_VAL, V_REQ, 0, 0);
		rk_add(&rk, "process", RK_KEY, 0, 0, 0);
		out_ranking(o, &rk);
	}
}

static void bio_rank_devices(struct bio_state *st, size_t top, const struct bio_has *h,
			     struct out *o)
{
	bool bytes = h->bytes, lat = h->lat;
	struct ranking rk;

	rk_init(&rk, "devices", "devices by requests", "requests", st->b.t[T_DEV], V_REQ, top);
	rk.bars = true;
	rk.fn_ctx = st;
	rk_add(&rk, "requests", RK_VAL, V_REQ, 0, 0);
	rk_add(&rk, "share", RK_SHARE, 0, 0, 0);
	if (bytes) {
		rk_add(&rk, "read_MiB", RK_MIB, V_RBYTES, 0, 2);
		rk_add(&rk, "write_MiB", RK_MIB, V_WBYTES, 0, 2);
	}
	if (lat)
		rk_add_latency(&rk, V_LATSUM, V_LATW, -1);
	if (st->p50.n) {
		rk_add(&rk, "p50_us", RK_FN, 0, 0, 0);
		rk.cols[rk.ncols - 1].fn = bio_dev_p50;
	}
	if (st->p99.n) {
		rk_add(&rk, "p99_us", RK_FN, 0, 0, 0);
		rk.cols[rk.ncols - 1].fn = bio_dev_p99;
	}
	/* The device column is text but not last: keep it last for alignment. */
	rk_add(&rk, "device", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);
}

static void bio_rank_types(struct bio_state *st, size_t top, const struct bio_has *h, struct out *o)
{
	struct ranking rk;

	rk_init(&rk, "io-types", "io types by requests", "requests", st->b.t[T_TYPE], V_REQ, top);
	rk_add(&rk, "requests", RK_VAL, V_REQ, 0, 0);
	rk_add(&rk, "share", RK_SHARE, 0, 0, 0);
	bio_add_size_latency(&rk, h);
	rk_add(&rk, "type", RK_KEY, 0, 0, 0);
	out_ranking(o, &rk);

	rk_init(&rk, "top-process-device", "process x device x type by requests", "requests",
		st->b.t[T_TRIPLE], V_REQ, top);
	rk_add_ranked(&rk, "requests");
	bio_add_size_latency(&rk, h);
	if (st->p99.n)
		rk_add(&rk, "p99max_us", RK_VAL, V_P99MAX, 0, 3);
	rk_add(&rk, "process", RK_KEY, 0, 0, 0);
	rk_add(&rk, "device", RK_KEY, 1, 0, 0);
	rk_add(&rk, "type", RK_KEY, 2, 0, 0);
	out_ranking(o, &rk);
}

static void bio_render(void *p, const struct report_ctx *ctx, struct out *o)
{
	struct bio_state *st = p;
	struct bio_has h = { .bytes = ctx->st.col_files[C_BYTES] > 0,
			     .lat = st->tot[V_LATW] > 0,
			     .devs = ctx->st.col_files[C_DEV] > 0 };

	bio_overview(st, ctx, &h, o);
	bio_charts(st, ctx, &h, o);
	bio_rank_processes(st, ctx->opts->top, &h, o);
	if (h.devs)
		bio_rank_devices(st, ctx->opts->top, &h, o);
	bio_rank_types(st, ctx->opts->top, &h, o);
}

const struct report_type report_bio = {
	.name = "bio",
	.title = "block I/O",
	.cols = bio_cols,
	.ncols = C_NCOLS,
	.state_size = sizeof(struct bio_state),
	.ntables = T_N,
	.nvals = V_N,
	.max_mask = BIO_MAX_SLOTS,
	.ts_slots = S_N,
	.init = bio_init,
	.release = bio_release,
	.row = bio_row,
	.render = bio_render,
	.attrib = { { "bytes", AM_SUM, C_BYTES, NULL, true },
		    { "requests", AM_SUM, C_COUNT, NULL, false } },
};
