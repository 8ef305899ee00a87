/* report.c - reading CSV files into a report type: columns bound by header name, each row's
 * cells checked and parsed once, malformed rows counted (with a few examples) and skipped. */
#include "analyze/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#define REPORT_TYPE(n) extern const struct report_type report_##n;
#include "analyze/types.def"
#undef REPORT_TYPE

const struct report_type *const report_types[] = {
#define REPORT_TYPE(n) &report_##n,
#include "analyze/types.def"
#undef REPORT_TYPE
	NULL,
};

const struct report_type *report_type_find(const char *name)
{
	for (size_t i = 0; report_types[i]; i++)
		if (!strcmp(report_types[i]->name, name))
			return report_types[i];
	return NULL;
}

int report_type_index(const struct report_type *t)
{
	for (int i = 0; report_types[i]; i++)
		if (report_types[i] == t)
			return i;
	return -1;
}

void report_ctx_init(struct report_ctx *ctx, const struct report_type *t,
		     const struct analyze_opts *o)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->type = t;
	ctx->opts = o;
	ctx->st.first_ms = INT64_MAX;
	ctx->st.last_ms = INT64_MIN;
}

static void report_example(struct report_ctx *ctx, const char *name, unsigned long long line,
			   const char *why)
{
	const char *base = strrchr(name, '/');
	char *e;

	if (ctx->st.nexamples >= REPORT_MAX_EXAMPLES)
		return;
	e = ctx->st.examples[ctx->st.nexamples++];
	if (line)
		snprintf(e, sizeof(ctx->st.examples[0]), "%s:%llu: %s", base ? base + 1 : name,
			 line, why);
	else
		snprintf(e, sizeof(ctx->st.examples[0]), "%s: %s", base ? base + 1 : name, why);
}

static void report_malformed(struct report_ctx *ctx, const char *name, unsigned long long line,
			     const char *why)
{
	ctx->st.malformed++;
	report_example(ctx, name, line, why);
}

/* [-]digits[.digits] with at most 15 significant digits: exactly what strtod gives (both the
 * digits and the power of ten are exact doubles, and one division rounds correctly), without
 * its cost. False for anything else, which goes to strtod. */
static bool report_fast_decimal(const char *s, size_t len, double *ret)
{
	static const double pow10[] = { 1e0, 1e1, 1e2,	1e3,  1e4,  1e5,  1e6,	1e7,
					1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	unsigned long long m = 0;
	size_t i = 0, digits = 0, frac = 0;
	bool neg = false, point = false;

	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	for (; i < len; i++) {
		if (s[i] == '.' && !point) {
			point = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (++digits > 15)
			return false;
		m = m * 10 + (unsigned)(s[i] - '0');
		frac += point;
	}
	if (!digits)
		return false;
	*ret = (double)m / pow10[frac];
	if (neg)
		*ret = -*ret;
	return true;
}

static bool report_parse_cell(enum acol_kind k, const char *s, size_t len, double *ret)
{
	char *end;
	size_t i = 0;

	if (k == ACOL_UINT || k == ACOL_INT) {
		bool neg = false;
		unsigned long long u = 0;

		if (k == ACOL_INT && s[0] == '-') {
			neg = true;
			i = 1;
		}
		if (i == len || len - i > 20)
			return false;
		for (; i < len; i++) {
			unsigned d = (unsigned)(s[i] - '0');

			if (d > 9 || u > (~0ull - d) / 10)
				return false;
			u = u * 10 + d;
		}
		*ret = neg ? -(double)u : (double)u;
		return true;
	}
	if (!len || len > 64)
		return false;
	if (report_fast_decimal(s, len, ret))
		return true;
	/* strtod would also take hex, "inf", "nan" and leading blanks: only plain decimals. */
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' ||
		      c == 'E'))
			return false;
	}
	errno = 0;
	*ret = strtod(s, &end);
	return end == s + len && isfinite(*ret) && errno != ERANGE;
}

struct report_binding {
	int ts;
	int idx[ACOL_MAX];
	int attrib[ATTRIB_NKEYS]; /* unit, container_id (attrib.c) */
	size_t nfields;
};

/* Binds the type's columns to header positions; NULL, or why the file cannot be used. */
static const char *report_bind(struct report_ctx *ctx, const struct csv_record *rec,
			       struct report_binding *b, bool count)
{
	const struct report_type *t = ctx->type;
	static char why[96];
	bool bound[ACOL_MAX];
	const char *unusable;

	b->ts = -1;
	for (int k = 0; k < ATTRIB_NKEYS; k++)
		b->attrib[k] = -1;
	b->nfields = rec->nfields;
	for (size_t c = 0; c < t->ncols; c++)
		b->idx[c] = -1;
	for (size_t i = rec->nfields; i-- > 0;) {
		const char *h = rec->field[i];

		/* A UTF-8 byte order mark before the first name (a spreadsheet saved it). */
		if (i == 0 && !strncmp(h, "\xef\xbb\xbf", 3))
			h += 3;
		if (!strcmp(h, "timestamp"))
			b->ts = (int)i;
		for (size_t c = 0; c < t->ncols; c++)
			if (!strcmp(h, t->cols[c].name))
				b->idx[c] = (int)i;
	}
	if (b->ts < 0)
		return "no header line with a timestamp column: file skipped";
	for (size_t c = 0; c < t->ncols; c++) {
		bound[c] = b->idx[c] >= 0;
		if (t->cols[c].required && !bound[c]) {
			snprintf(why, sizeof(why), "no %s column: file skipped", t->cols[c].name);
			return why;
		}
		if (count && bound[c])
			ctx->st.col_files[c]++;
	}
	unusable = t->check_columns ? t->check_columns(bound) : NULL;
	if (!unusable)
		report_attrib_bind(ctx, rec, b->attrib, count);
	return unusable;
}

/* Parses the bound cells of rec into row; NULL, or why the row is malformed (in why). */
static const char *report_parse_row(const struct report_type *t, const struct report_binding *b,
				    const struct csv_record *rec, struct arow *row, char *why,
				    size_t len)
{
	for (size_t c = 0; c < t->ncols; c++) {
		int i = b->idx[c];

		row->has[c] = false;
		row->s[c] = "";
		row->len[c] = 0;
		row->n[c] = 0;
		if (i < 0)
			continue;
		if (!rec->len[i]) {
			/* An empty name is data (a failed exec has no file name); no count is not. */
			if (t->cols[c].required && t->cols[c].kind != ACOL_STR) {
				snprintf(why, len, "%s is empty", t->cols[c].name);
				return why;
			}
			continue;
		}
		row->s[c] = rec->field[i];
		row->len[c] = rec->len[i];
		if (t->cols[c].kind != ACOL_STR &&
		    !report_parse_cell(t->cols[c].kind, rec->field[i], rec->len[i], &row->n[c])) {
			char cell[24];

			text_clean(rec->field[i], rec->len[i], sizeof(cell) - 1, cell,
				   sizeof(cell));
			snprintf(why, len, "%s is not a%s number: \"%s\"", t->cols[c].name,
				 t->cols[c].kind == ACOL_UINT ? " non-negative whole" :
				 t->cols[c].kind == ACOL_INT  ? " whole" :
								"",
				 cell);
			return why;
		}
		row->has[c] = true;
	}
	return NULL;
}

/* Counts a gap between consecutive sample times. The interval is the most common gap, not the
 * smallest: the last interval before the monitor stopped is usually cut short. */
static void report_gap(struct report_stats *st, int64_t gap)
{
	struct report_gap *best = NULL;
	size_t i;

	gap = (gap + 50) / 100 * 100;
	if (!gap)
		return;
	for (i = 0; i < st->ngaps && st->gaps[i].ms != gap; i++)
		;
	if (i == st->ngaps) {
		if (st->ngaps == sizeof(st->gaps) / sizeof(st->gaps[0]))
			return;
		st->gaps[st->ngaps++] = (struct report_gap){ gap, 0 };
	}
	st->gaps[i].n++;
	/* Ties go to the longer gap. */
	for (i = 0; i < st->ngaps; i++)
		if (!best || st->gaps[i].n > best->n ||
		    (st->gaps[i].n == best->n && st->gaps[i].ms > best->ms))
			best = &st->gaps[i];
	st->interval_ms = best->ms;
}

int report_read_stream(struct report_ctx *ctx, void *state, struct csv_reader *r, const char *name)
{
	const struct report_type *t = ctx->type;
	struct report_binding b = { .ts = -1 };
	struct csv_record rec;
	bool have_header = false;
	int64_t prev_ts = -1;
	struct arow row;
	const char *why;
	char whybuf[96];
	int rc;

	ctx->st.files++;
	for (;;) {
		rc = csv_reader_next(r, &rec);
		if (rc == 0)
			break;
		if (rc == -EBADMSG) {
			if (!have_header) {
				report_example(ctx, name, rec.line,
					       "unreadable header: file skipped");
				ctx->st.files_skipped++;
				return 0;
			}
			ctx->st.rows++;
			report_malformed(ctx, name, rec.line, rec.error);
			continue;
		}
		if (rc < 0)
			return rc;
		/* The first record is the header; so is a repeat of it (files joined with cat). */
		if (!have_header ||
		    ((size_t)b.ts < rec.nfields && !strcmp(rec.field[b.ts], "timestamp"))) {
			why = report_bind(ctx, &rec, &b, !have_header);
			if (why && have_header) {
				report_example(
					ctx, name, rec.line,
					"a later header without the columns needed: the rest "
					"of the file skipped");
				return 0;
			}
			if (why) {
				report_example(ctx, name, rec.line, why);
				ctx->st.files_skipped++;
				return 0;
			}
			have_header = true;
			continue;
		}
		ctx->st.rows++;
		if (rec.nfields != b.nfields) {
			char msg[64];

			snprintf(msg, sizeof(msg), "%zu fields where the header has %zu",
				 rec.nfields, b.nfields);
			report_malformed(ctx, name, rec.line, msg);
			continue;
		}
		if (time_parse_epoch_ms(rec.field[b.ts], rec.len[b.ts], &row.ts_ms) < 0) {
			report_malformed(ctx, name, rec.line, "timestamp is not epoch seconds");
			continue;
		}
		if (!period_contains(&ctx->opts->period, row.ts_ms)) {
			ctx->st.outside++;
			continue;
		}
		why = report_parse_row(t, &b, &rec, &row, whybuf, sizeof(whybuf));
		if (why) {
			report_malformed(ctx, name, rec.line, why);
			continue;
		}
		if (report_attrib_row(ctx, state, b.attrib, &rec, &row) < 0)
			return -ENOMEM;
		t->row(state, &row);
		ctx->st.used++;
		if (row.ts_ms < ctx->st.first_ms)
			ctx->st.first_ms = row.ts_ms;
		if (row.ts_ms > ctx->st.last_ms)
			ctx->st.last_ms = row.ts_ms;
		if (!t->events && prev_ts >= 0 && row.ts_ms > prev_ts)
			report_gap(&ctx->st, row.ts_ms - prev_ts);
		prev_ts = row.ts_ms;
	}
	if (!have_header) {
		report_example(ctx, name, 0, "empty file");
		ctx->st.files_skipped++;
	}
	return 0;
}

static void report_tables_free(struct agg_table **t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		agg_table_free(t[i]);
		t[i] = NULL;
	}
}

/* n tables of nvals values, capped by o (--max-keys) and ANALYZE_TABLE_BYTES; 0, or -ENOMEM with
 * none left allocated. */
static int report_tables_new(struct agg_table **t, size_t n, unsigned nvals, const unsigned *keep,
			     uint32_t max_mask, const struct analyze_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		t[i] = agg_table_new(nvals, keep ? keep[i] : 0, max_mask, o->max_keys,
				     ANALYZE_TABLE_BYTES);
		if (!t[i]) {
			report_tables_free(t, i);
			return -ENOMEM;
		}
	}
	return 0;
}

void *report_state_new(const struct report_type *t, const struct analyze_opts *o)
{
	struct report_base *b;

	if (t->ntables > REPORT_MAX_TABLES || t->ncols > ACOL_MAX || t->state_size < sizeof(*b))
		return NULL;
	b = calloc(1, t->state_size);
	if (!b)
		return NULL;
	if (report_tables_new(b->t, t->ntables, t->nvals, t->keep, t->max_mask, o) < 0) {
		free(b);
		return NULL;
	}
	series_init(&b->ts, t->ts_slots, t->ts_slots, SERIES_MAX_BUCKETS);
	/* Slots for 8 CPUs to start with; the series grows them as CPUs show up. */
	series_init(&b->heat, 8, REPORT_HEAT_CPUS, REPORT_HEAT_BUCKETS);
	if (t->init)
		t->init(b);
	return b;
}

void report_state_free(const struct report_type *t, void *state)
{
	struct report_base *b = state;

	if (!b)
		return;
	if (t->release)
		t->release(b);
	report_tables_free(b->t, t->ntables);
	report_attrib_free(b);
	series_free(&b->ts);
	series_free(&b->heat);
	free(b);
}

void report_heat_add(struct report_base *b, int64_t ts_ms, double cpu, double x)
{
	/* A CPU past the map goes to a slot past max_slots: counted as dropped, not drawn. */
	series_add(&b->heat, ts_ms, cpu < REPORT_HEAT_CPUS ? (size_t)cpu : REPORT_HEAT_CPUS, x);
}

double report_span_s(const struct report_ctx *ctx)
{
	const struct report_stats *st = &ctx->st;

	if (!st->used || st->last_ms < st->first_ms)
		return 0;
	if (ctx->type->events)
		return (double)(st->last_ms - st->first_ms) / 1000.0;
	if (!st->interval_ms)
		return 0;
	return (double)(st->last_ms - st->first_ms + st->interval_ms) / 1000.0;
}

int64_t report_min_width(const struct report_ctx *ctx)
{
	return ctx->st.interval_ms > 1000 ? ctx->st.interval_ms : 1000;
}

size_t arow_key(const struct arow *r, char *buf, size_t n, const int *cols, const char *dflt)
{
	const char *parts[4];
	size_t lens[4];

	for (size_t i = 0; i < n && i < 4; i++) {
		int c = cols[i];

		if (r->has[c]) {
			parts[i] = r->s[c];
			lens[i] = r->len[c];
		} else {
			parts[i] = dflt;
			lens[i] = strlen(dflt);
		}
	}
	return agg_key_join(buf, n, parts, lens);
}

int arow_enum(const struct arow *r, int s_col, int n_col, const char *const *names, size_t n)
{
	for (size_t i = 0; r->has[s_col] && i < n; i++)
		if (r->len[s_col] == strlen(names[i]) &&
		    !memcmp(r->s[s_col], names[i], r->len[s_col]))
			return (int)i;
	if (r->has[s_col])
		return -1;
	if (r->has[n_col] && r->n[n_col] < (double)n)
		return (int)r->n[n_col];
	return -1;
}

const char *errno_label(long err, char *buf, size_t len)
{
	const char *name = err > 0 && err <= 4095 ? errno_name((int)err) : NULL;

	if (name)
		return name;
	snprintf(buf, len, "errno %ld", err);
	return buf;
}

void text_clean(const char *s, size_t len, size_t max, char *buf, size_t buflen)
{
	size_t o = 0, cut = len;

	if (!buflen)
		return;
	if (max >= 4 && cut > max)
		cut = max - 3;
	for (size_t i = 0; i < cut && o + 1 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (cut < len)
		for (int i = 0; i < 3 && o + 1 < buflen; i++)
			buf[o++] = '.';
	buf[o] = '\0';
}
