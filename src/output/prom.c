/* prom.c - the Prometheus sink. Each monitor's interval rows are deltas; this sink adds them
 * up per label set into counters that only grow (and histograms, where a row carries log2
 * buckets), keeps the number of label values and series bounded, and renders the text
 * exposition format. Counters live as long as the sink, which outlives monitor restarts and
 * SIGHUP reloads: a restarted monitor keeps adding to the same series. What a monitor's rows
 * become is the monitor's to say (monitor_ops.metrics, metric.h); each stream brings its
 * metrics along. Families render sorted by name (as Prometheus' own client libraries do),
 * whatever order the monitors start in, then the monitors' health. */
#include "output/prom.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/row.h"
#include "common/text.h"

#define PM_OTHER "other"
#define PM_HIST_MAX 64

/* Attribution (monitors/attrib.h): when a stream's columns include `unit` or `container_id`,
 * every metric of the stream gets the label `unit` or `container` (each only where its column
 * is), after the metric's own labels. Both are bounded like free-text labels (max_label_values
 * per monitor, then "other"; max_series folds them), except the two values that are not free
 * text: "" (no unit, not in a container) and "unknown" (the process was gone before its cgroup
 * could be read). They take no place under max_label_values, so host processes never turn into
 * container="other" because containers came first. */
enum { PM_ATTR_UNIT, PM_ATTR_CONTAINER, PM_NATTR };
static const char *const pm_attr_label[PM_NATTR] = { "unit", "container" };
static const char *const pm_attr_column[PM_NATTR] = { "unit", "container_id" };
/* container is the id's first 12 hex digits, as `docker ps`, `podman ps` and `nerdctl ps` show
 * it (and `docker inspect` accepts): the form operators paste, and a fifth of the label bytes.
 * Two of max_label_values ids sharing 48 bits is beyond plausible (100 ids: ~1e-11); the full id
 * stays in the CSV and JSON rows. */
#define PM_CONTAINER_SHORT 12
#define PM_MAX_SERIES_LABELS (METRIC_MAX_LABELS + PM_NATTR)

/* ---- a string -> index map (open addressing, FNV-1a) ---- */

struct pm_index {
	char **keys;
	size_t n, cap;
	uint32_t *slots; /* index + 1; 0: empty */
	size_t nslots;	 /* a power of two, or 0 */
};

static uint64_t pm_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Index of key, or -1. */
static long pm_find(const struct pm_index *x, const char *key, size_t klen)
{
	if (!x->nslots)
		return -1;
	for (size_t i = pm_hash(key, klen) & (x->nslots - 1);; i = (i + 1) & (x->nslots - 1)) {
		uint32_t s = x->slots[i];

		if (!s)
			return -1;
		if (!strncmp(x->keys[s - 1], key, klen) && !x->keys[s - 1][klen])
			return (long)s - 1;
	}
}

static int pm_rehash(struct pm_index *x, size_t nslots)
{
	uint32_t *ns = calloc(nslots, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t k = 0; k < x->n; k++) {
		size_t i = pm_hash(x->keys[k], strlen(x->keys[k])) & (nslots - 1);

		while (ns[i])
			i = (i + 1) & (nslots - 1);
		ns[i] = (uint32_t)k + 1;
	}
	free(x->slots);
	x->slots = ns;
	x->nslots = nslots;
	return 0;
}

/* Adds a key known to be absent; returns its index or -ENOMEM. */
static long pm_add(struct pm_index *x, const char *key, size_t klen)
{
	char *k;

	if ((x->n + 1) * 4 > x->nslots * 3 && pm_rehash(x, x->nslots ? x->nslots * 2 : 64))
		return -ENOMEM;
	if (x->n == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 32;
		char **nk = realloc(x->keys, ncap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		x->keys = nk;
		x->cap = ncap;
	}
	k = strndup(key, klen);
	if (!k)
		return -ENOMEM;
	x->keys[x->n] = k;
	for (size_t i = pm_hash(key, klen) & (x->nslots - 1);; i = (i + 1) & (x->nslots - 1)) {
		if (!x->slots[i]) {
			x->slots[i] = (uint32_t)x->n + 1;
			break;
		}
	}
	return (long)x->n++;
}

static void pm_index_free(struct pm_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->keys[i]);
	free(x->keys);
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

/* ---- state ---- */

struct pm_series {
	double value;	   /* counters */
	uint64_t *buckets; /* histograms: per slot, not cumulative */
	unsigned nbuckets;
	double sum;
	uint64_t count;
};

struct pm_family {
	const char *name, *help;
	bool histogram;
	struct pm_index index; /* rendered label text -> series */
	struct pm_series *series;
	size_t cap;
};

enum { LOST_PERF, LOST_MAP_FULL, LOST_UNMATCHED, LOST_RECURSION, LOST_NREASONS };
static const char *const lost_reasons[LOST_NREASONS] = { "perf_buffer", "map_full", "unmatched",
							 "kernel_skipped" };

struct pm_labelset {
	const char *label; /* the label's name */
	struct pm_index values;
};

struct pm_monitor {
	char *name;
	struct pm_labelset sets[METRIC_MAX_LABELS * 2 + PM_NATTR];
	size_t nsets;
	double lost[LOST_NREASONS]; /* since the sink started, over restarts */
	double rows, folded;
	bool attributed;     /* some stream of it had attribution: unattributed is exported */
	double unattributed; /* since the sink started, over restarts */
};

struct pm_use { /* one metric the stream's columns have */
	const struct metric_spec *sp;
	size_t fam; /* index into fams */
};

struct pm_stream {
	bool used, stopped;
	size_t mon;
	const struct column *cols;
	size_t ncols;
	struct pm_use *uses;
	size_t nuses;
	uint64_t last_lost[LOST_NREASONS];
	uint64_t last_unattributed;
	int attr_col[PM_NATTR];	     /* the unit and container_id columns; -1: none */
	struct stream_probe *probes; /* strings owned */
	size_t nprobes;
	unsigned sample_rate; /* stream_health's: 0 none */
};

struct prom_sink {
	struct sink sink;
	unsigned max_label_values, max_series;
	char *version, *bcc_version, *kernel;
	struct pm_family *fams; /* in the order the streams declared them */
	size_t nfams;
	struct pm_monitor *mons;
	size_t nmons;
	struct pm_stream *streams;
	size_t nstreams;
	struct strbuf key; /* scratch */
};

/* ---- text ---- */

int prom_append_label_value(struct strbuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0, i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		int ul;
		int r;

		if (c == '\\')
			r = strbuf_add(b, "\\\\", 2);
		else if (c == '"')
			r = strbuf_add(b, "\\\"", 2);
		else if (c == '\n')
			r = strbuf_add(b, "\\n", 2);
		else if (c < 0x80)
			r = strbuf_putc(b, (char)c);
		else if ((ul = fmt_utf8_len(s + i, n - i)) > 0) {
			r = strbuf_add(b, s + i, (size_t)ul);
			i += (size_t)ul - 1;
		} else {
			r = strbuf_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
		}
		if (r)
			return r;
		i++;
	}
	return 0;
}

int prom_append_value(struct strbuf *b, double v)
{
	char tmp[40];
	int n;

	if (isnan(v))
		n = snprintf(tmp, sizeof(tmp), "NaN");
	else if (isinf(v))
		n = snprintf(tmp, sizeof(tmp), v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		n = snprintf(tmp, sizeof(tmp), "%.0f", v);
	else
		/* the shortest text that reads back as the same double */
		for (int prec = 15; prec <= 17; prec++) {
			n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
	return strbuf_add(b, tmp, (size_t)n);
}

/* HELP text: '\\' and LF escaped. */
static int append_help(struct strbuf *b, const char *name, const char *help, const char *type)
{
	int r = strbuf_puts(b, "# HELP ") || strbuf_puts(b, name) || strbuf_putc(b, ' ');

	for (const char *p = help; !r && *p; p++)
		r = *p == '\\' ? strbuf_add(b, "\\\\", 2) :
		    *p == '\n' ? strbuf_add(b, "\\n", 2) :
				 strbuf_putc(b, *p);
	if (!r)
		r = strbuf_puts(b, "\n# TYPE ") || strbuf_puts(b, name) || strbuf_putc(b, ' ') ||
		    strbuf_puts(b, type) || strbuf_putc(b, '\n');
	return r ? -ENOMEM : 0;
}

/* name{labels[,extra]} value\n; labels is rendered label text without braces. */
static int append_sample(struct strbuf *b, const char *name, const char *suffix, const char *labels,
			 const char *extra, double v)
{
	bool any = (labels && *labels) || extra;

	if (strbuf_puts(b, name) || strbuf_puts(b, suffix) || (any && strbuf_putc(b, '{')) ||
	    (labels && strbuf_puts(b, labels)) ||
	    (extra && labels && *labels && strbuf_putc(b, ',')) ||
	    (extra && strbuf_puts(b, extra)) || (any && strbuf_putc(b, '}')) ||
	    strbuf_putc(b, ' ') || prom_append_value(b, v) || strbuf_putc(b, '\n'))
		return -ENOMEM;
	return 0;
}

/* ---- rows ---- */

static struct pm_labelset *labelset(struct pm_monitor *m, const char *label)
{
	for (size_t i = 0; i < m->nsets; i++) {
		if (!strcmp(m->sets[i].label, label))
			return &m->sets[i];
	}
	if (m->nsets == sizeof(m->sets) / sizeof(m->sets[0]))
		return NULL;
	m->sets[m->nsets].label = label;
	return &m->sets[m->nsets++];
}

/* The label's value for this row, as text in buf (or a constant). */
static const char *label_text(const struct metric_label *l, const struct column *cols,
			      const struct row *r, char *buf, size_t len)
{
	const struct cell *c;
	int col = l->col;

	if (l->kind == ML_FIXED)
		return l->value;
	c = &r->cells[col];
	if (l->kind == ML_RESULT)
		return (cols[col].type == COL_S64 ? c->i : (int64_t)c->u) == 0 ? "success" :
										 "error";
	if (cols[col].type == COL_STR)
		return c->s ? c->s : "";
	if (fmt_cell_number(&cols[col], c, buf, len) < 0)
		return "";
	return buf;
}

static double cell_number(const struct column *col, const struct cell *c)
{
	switch (col->type) {
	case COL_U64:
		return (double)c->u;
	case COL_S64:
		return (double)c->i;
	case COL_F64:
		return c->f;
	default:
		return NAN;
	}
}

/* One label of a series: the metric's own, then the stream's attribution ones. */
struct pm_label_value {
	const char *name, *v;
	bool bounded, fixed;
	bool attr; /* an attribution label */
};

/* Renders `label="value",...` into ps->key; fold: 1 every bounded label is "other", 2 every
 * label but the constant ones. */
static int render_key(struct prom_sink *ps, const struct pm_label_value *lv, size_t n, int fold)
{
	struct strbuf *k = &ps->key;

	k->len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = lv[i].v;

		if ((fold == 1 && lv[i].bounded) || (fold == 2 && !lv[i].fixed))
			v = PM_OTHER;
		if ((i && strbuf_putc(k, ',')) || strbuf_puts(k, lv[i].name) ||
		    strbuf_add(k, "=\"", 2) || prom_append_label_value(k, v) || strbuf_putc(k, '"'))
			return -ENOMEM;
	}
	return strbuf_putc(k, '\0');
}

/* The row's attribution label a (PM_ATTR_*), the container id cut to its short form in buf. */
static const char *attr_text(const struct pm_stream *st, int a, const struct row *r, char *buf,
			     size_t len)
{
	const char *s = r->cells[st->attr_col[a]].s;

	if (!s)
		return "";
	if (a == PM_ATTR_CONTAINER && strlen(s) > PM_CONTAINER_SHORT) {
		snprintf(buf, len, "%.*s", PM_CONTAINER_SHORT, s);
		return buf;
	}
	return s;
}

/* Attribution values that are not free text: no place taken under max_label_values. */
static bool attr_fixed_value(const char *v)
{
	return !*v || !strcmp(v, "unknown");
}

static struct pm_series *series_get(struct prom_sink *ps, struct pm_family *f, bool *created)
{
	const char *key = ps->key.buf;
	size_t klen = strlen(key);
	long i = pm_find(&f->index, key, klen);

	*created = false;
	if (i >= 0)
		return &f->series[i];
	if (f->index.n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 32;
		struct pm_series *ns = realloc(f->series, ncap * sizeof(*ns));

		if (!ns)
			return NULL;
		f->series = ns;
		f->cap = ncap;
	}
	i = pm_add(&f->index, key, klen);
	if (i < 0)
		return NULL;
	memset(&f->series[i], 0, sizeof(f->series[i]));
	*created = true;
	return &f->series[i];
}

/* Finds the row's series for one metric, folding labels as the bounds demand. */
static struct pm_series *series_for(struct prom_sink *ps, struct pm_monitor *mon,
				    const struct pm_stream *st, const struct pm_use *u,
				    const struct row *r, bool *folded)
{
	const struct metric_spec *sp = u->sp;
	struct pm_family *f = &ps->fams[u->fam];
	char bufs[PM_MAX_SERIES_LABELS][64];
	struct pm_label_value lv[PM_MAX_SERIES_LABELS];
	size_t n = 0;
	struct pm_series *s;
	bool created;

	for (size_t i = 0; i < METRIC_MAX_LABELS && sp->labels[i].name; i++, n++) {
		const struct metric_label *l = &sp->labels[i];

		lv[n] = (struct pm_label_value){
			l->name, label_text(l, st->cols, r, bufs[n], sizeof(bufs[n])), l->bounded,
			l->kind == ML_FIXED, false
		};
	}
	for (int a = 0; a < PM_NATTR; a++) {
		if (st->attr_col[a] < 0)
			continue;
		lv[n] = (struct pm_label_value){ pm_attr_label[a],
						 attr_text(st, a, r, bufs[n], sizeof(bufs[n])),
						 true, false, true };
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		struct pm_labelset *set;
		const char *v = lv[i].v;
		size_t vl = strlen(v);

		if (!lv[i].bounded || (lv[i].attr && attr_fixed_value(v)))
			continue;
		set = labelset(mon, lv[i].name);
		if (!set)
			return NULL;
		/* The first max_label_values distinct values keep their own series. */
		if (pm_find(&set->values, v, vl) >= 0)
			continue;
		if (set->values.n < ps->max_label_values) {
			if (pm_add(&set->values, v, vl) < 0)
				return NULL;
			continue;
		}
		lv[i].v = PM_OTHER;
		*folded = true;
	}
	for (int fold = 0; fold <= 2; fold++) {
		long have;

		if (render_key(ps, lv, n, fold))
			return NULL;
		have = pm_find(&f->index, ps->key.buf, strlen(ps->key.buf));
		if (have >= 0)
			return &f->series[have];
		/* A new series only under the bound; the last fold is always allowed (it is one
		 * series per metric and constant label). */
		if (f->index.n < ps->max_series || fold == 2)
			break;
		*folded = true;
	}
	s = series_get(ps, f, &created);
	if (s && created && f->histogram) {
		s->nbuckets = r->hist ? r->hist->nslots : 0;
		s->buckets = calloc(s->nbuckets ? s->nbuckets : 1, sizeof(*s->buckets));
		if (!s->buckets) {
			s->nbuckets = 0; /* stays an empty histogram */
			return NULL;
		}
	}
	return s;
}

static int prom_write_row(struct sink *snk, int stream, const struct row *r)
{
	struct prom_sink *ps = snk->priv;
	struct pm_stream *st;
	struct pm_monitor *mon;
	bool folded = false;
	int ret = 0;

	if (stream < 0 || (size_t)stream >= ps->nstreams || !ps->streams[stream].used || !r)
		return -EINVAL;
	st = &ps->streams[stream];
	mon = &ps->mons[st->mon];
	mon->rows++;
	for (size_t i = 0; i < st->nuses; i++) {
		const struct pm_use *u = &st->uses[i];
		const struct metric_spec *sp = u->sp;
		struct pm_series *s;
		double v = 1;

		if (sp->histogram) {
			if (!r->hist || !r->hist->nslots || r->hist->nslots > PM_HIST_MAX)
				continue;
		} else if (sp->value >= 0) {
			v = cell_number(&st->cols[sp->value], &r->cells[sp->value]);
			if (sp->minus >= 0)
				v -= cell_number(&st->cols[sp->minus], &r->cells[sp->minus]);
			if (!(v > 0)) /* 0, negative or NaN: nothing to add */
				continue;
		}
		s = series_for(ps, mon, st, u, r, &folded);
		if (!s) {
			ret = -ENOMEM;
			continue;
		}
		if (!sp->histogram) {
			s->value += v;
			continue;
		}
		for (unsigned b = 0; b < r->hist->nslots && b < s->nbuckets; b++) {
			s->buckets[b] += r->hist->slots[b];
			s->count += r->hist->slots[b];
		}
		s->sum += r->hist->sum_seconds;
	}
	if (folded)
		mon->folded++;
	return ret;
}

/* ---- streams and health ---- */

static long monitor_index(struct prom_sink *ps, const char *name)
{
	struct pm_monitor *nm;

	for (size_t i = 0; i < ps->nmons; i++) {
		if (!strcmp(ps->mons[i].name, name))
			return (long)i;
	}
	nm = realloc(ps->mons, (ps->nmons + 1) * sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	ps->mons = nm;
	memset(&nm[ps->nmons], 0, sizeof(nm[0]));
	nm[ps->nmons].name = strdup(name);
	if (!nm[ps->nmons].name)
		return -ENOMEM;
	return (long)ps->nmons++;
}

/* The attribution columns of a stream (monitor_emit() appends them after the monitor's own,
 * named as in config_attrib_columns): which label each one feeds; true when the stream has any
 * of them (cgroup and pod_uid make no label but still mean attribution is on). */
static bool find_attr_columns(struct pm_stream *st, const struct stream_desc *d)
{
	static const char *const others[] = { "cgroup", "pod_uid" };
	bool any = false;

	for (int a = 0; a < PM_NATTR; a++) {
		st->attr_col[a] = -1;
		/* from the end: they come after the monitor's own columns */
		for (size_t c = d->ncols; c-- > 0;) {
			if (d->cols[c].type == COL_STR && d->cols[c].name &&
			    !strcmp(d->cols[c].name, pm_attr_column[a])) {
				st->attr_col[a] = (int)c;
				any = true;
				break;
			}
		}
	}
	for (size_t c = 0; c < d->ncols && !any; c++) {
		for (size_t o = 0; o < sizeof(others) / sizeof(others[0]); o++)
			any = any || (d->cols[c].name && !strcmp(d->cols[c].name, others[o]));
	}
	return any;
}

/* A column index the stream has (0 <= col < ncols). */
static bool has_col(int col, size_t ncols)
{
	return col >= 0 && (size_t)col < ncols;
}

/* The family named name, added (with the metric's help and kind) when new; -EINVAL when one of
 * that name is of the other kind. */
static long family_index(struct prom_sink *ps, const struct metric_spec *sp)
{
	struct pm_family *nf;
	size_t f;

	for (f = 0; f < ps->nfams && strcmp(ps->fams[f].name, sp->family); f++)
		;
	if (f < ps->nfams) {
		if (ps->fams[f].histogram != sp->histogram)
			return -EINVAL;
		if (!*ps->fams[f].help && sp->help)
			ps->fams[f].help = sp->help;
		return (long)f;
	}
	nf = realloc(ps->fams, (ps->nfams + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	ps->fams = nf;
	memset(&nf[f], 0, sizeof(nf[f]));
	nf[f].name = sp->family;
	nf[f].help = sp->help ? sp->help : "";
	nf[f].histogram = sp->histogram;
	ps->nfams++;
	return (long)f;
}

static int prom_add_stream(struct sink *snk, int stream, const struct stream_desc *d)
{
	struct prom_sink *ps = snk->priv;
	struct pm_stream *st;
	struct pm_use *uses;
	size_t nuses = 0;
	long mon;

	if (stream < 0 || stream >= 1024 || !d || !d->monitor || !d->cols ||
	    (d->nmetrics && !d->metrics))
		return -EINVAL;
	if ((size_t)stream >= ps->nstreams) {
		struct pm_stream *ns = realloc(ps->streams, (size_t)(stream + 1) * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		memset(ns + ps->nstreams, 0, ((size_t)stream + 1 - ps->nstreams) * sizeof(*ns));
		ps->streams = ns;
		ps->nstreams = (size_t)stream + 1;
	}
	st = &ps->streams[stream];
	if (st->used)
		return -EEXIST;
	uses = calloc(d->nmetrics ? d->nmetrics : 1, sizeof(*uses));
	if (!uses)
		return -ENOMEM;
	/* The metrics the stream's columns have (configure() may drop trailing extras): one
	 * whose column is missing is left out. */
	for (size_t i = 0; i < d->nmetrics; i++) {
		const struct metric_spec *sp = &d->metrics[i];
		bool ok = sp->family != NULL;
		long f;

		if (ok && !sp->histogram)
			ok = (sp->value == -1 || has_col(sp->value, d->ncols)) &&
			     (sp->minus == -1 || has_col(sp->minus, d->ncols));
		for (size_t l = 0; ok && l < METRIC_MAX_LABELS && sp->labels[l].name; l++) {
			if (sp->labels[l].kind == ML_FIXED)
				ok = sp->labels[l].value != NULL;
			else
				ok = has_col(sp->labels[l].col, d->ncols);
		}
		if (!ok)
			continue;
		f = family_index(ps, sp);
		if (f < 0) {
			free(uses);
			return (int)f;
		}
		uses[nuses++] = (struct pm_use){ sp, (size_t)f };
	}
	mon = monitor_index(ps, d->monitor);
	if (mon < 0) {
		free(uses);
		return (int)mon;
	}
	st->mon = (size_t)mon;
	if (find_attr_columns(st, d))
		ps->mons[mon].attributed = true;
	st->cols = d->cols;
	st->ncols = d->ncols;
	st->uses = uses;
	st->nuses = nuses;
	st->used = true;
	return 0;
}

static void free_probes(struct pm_stream *st)
{
	for (size_t i = 0; i < st->nprobes; i++) {
		free((char *)st->probes[i].point);
		free((char *)st->probes[i].mechanism);
	}
	free(st->probes);
	st->probes = NULL;
	st->nprobes = 0;
}

static void prom_health(struct sink *snk, int stream, const struct stream_health *h)
{
	struct prom_sink *ps = snk->priv;
	const uint64_t now[LOST_NREASONS] = { h->lost_perf, h->lost_map_full, h->lost_unmatched,
					      h->lost_recursion };
	struct pm_stream *st;
	struct pm_monitor *mon;

	if (stream < 0 || (size_t)stream >= ps->nstreams || !ps->streams[stream].used)
		return;
	st = &ps->streams[stream];
	mon = &ps->mons[st->mon];
	for (int i = 0; i < LOST_NREASONS; i++) {
		if (now[i] > st->last_lost[i]) {
			mon->lost[i] += (double)(now[i] - st->last_lost[i]);
			st->last_lost[i] = now[i];
		}
	}
	if (h->attribution)
		mon->attributed = true;
	if (h->unattributed > st->last_unattributed) {
		mon->unattributed += (double)(h->unattributed - st->last_unattributed);
		st->last_unattributed = h->unattributed;
	}
	if (h->stopped) {
		st->stopped = true;
		free_probes(st);
		return;
	}
	st->sample_rate = h->sample_rate;
	if (!h->probes)
		return;
	free_probes(st);
	st->probes = calloc(h->nprobes ? h->nprobes : 1, sizeof(*st->probes));
	if (!st->probes)
		return;
	for (size_t i = 0; i < h->nprobes; i++) {
		char *p = strdup(h->probes[i].point ? h->probes[i].point : "");
		char *m = strdup(h->probes[i].mechanism ? h->probes[i].mechanism : "");

		if (!p || !m) {
			free(p);
			free(m);
			break;
		}
		st->probes[st->nprobes++] = (struct stream_probe){ p, m };
	}
}

/* ---- rendering ---- */

/* le of bucket k: 2^k microseconds in seconds, exactly ("0.000001", "0.001024", "+Inf"). */
static void bucket_le(unsigned k, unsigned nslots, char *buf, size_t len)
{
	unsigned long long us = 1ULL << k;

	if (k + 1 >= nslots) {
		snprintf(buf, len, "le=\"+Inf\"");
		return;
	}
	snprintf(buf, len, "le=\"%llu.%06llu\"", us / 1000000ULL, us % 1000000ULL);
}

static int render_family(struct strbuf *b, const struct pm_family *f)
{
	char le[48];

	if (!f->index.n)
		return 0;
	if (append_help(b, f->name, f->help, f->histogram ? "histogram" : "counter"))
		return -ENOMEM;
	for (size_t i = 0; i < f->index.n; i++) {
		const struct pm_series *s = &f->series[i];
		const char *labels = f->index.keys[i];
		uint64_t cum = 0;

		if (!f->histogram) {
			if (append_sample(b, f->name, "", labels, NULL, s->value))
				return -ENOMEM;
			continue;
		}
		for (unsigned k = 0; k < s->nbuckets; k++) {
			cum += s->buckets[k];
			bucket_le(k, s->nbuckets, le, sizeof(le));
			if (append_sample(b, f->name, "_bucket", labels, le, (double)cum))
				return -ENOMEM;
		}
		if (append_sample(b, f->name, "_sum", labels, NULL, s->sum) ||
		    append_sample(b, f->name, "_count", labels, NULL, (double)s->count))
			return -ENOMEM;
	}
	return 0;
}

static int append_labels2(struct strbuf *b, const char *n1, const char *v1, const char *n2,
			  const char *v2, const char *n3, const char *v3)
{
	const char *n[3] = { n1, n2, n3 }, *v[3] = { v1, v2, v3 };

	b->len = 0;
	for (int i = 0; i < 3 && n[i]; i++) {
		if ((i && strbuf_putc(b, ',')) || strbuf_puts(b, n[i]) || strbuf_add(b, "=\"", 2) ||
		    prom_append_label_value(b, v[i]) || strbuf_putc(b, '"'))
			return -ENOMEM;
	}
	return strbuf_putc(b, '\0');
}

/* Under an overhead budget: each sampling monitor's N (none without a budget). */
static int render_sample_rates(struct prom_sink *ps, struct strbuf *b)
{
	struct strbuf *k = &ps->key;
	bool any = false;

	for (size_t s = 0; s < ps->nstreams; s++) {
		const struct pm_stream *st = &ps->streams[s];

		if (!st->used || st->stopped || !st->sample_rate)
			continue;
		if (!any &&
		    append_help(b, "ebpf_monitor_sample_rate",
				"Under an overhead budget: the monitor counts 1 event in this many "
				"in the kernel (1: every event), its counts scaled by it.",
				"gauge"))
			return -ENOMEM;
		any = true;
		if (append_labels2(k, "monitor", ps->mons[st->mon].name, NULL, NULL, NULL, NULL) ||
		    append_sample(b, "ebpf_monitor_sample_rate", "", k->buf, NULL,
				  (double)st->sample_rate))
			return -ENOMEM;
	}
	return 0;
}

/* The monitors with attribution: what each counted under cgroup "unknown" (none without). */
static int render_unattributed(struct prom_sink *ps, struct strbuf *b)
{
	struct strbuf *k = &ps->key;
	bool any = false;

	for (size_t m = 0; m < ps->nmons; m++) {
		if (!ps->mons[m].attributed)
			continue;
		if (!any && append_help(b, "ebpf_monitor_unattributed_total",
					"Events counted under cgroup and unit \"unknown\", by "
					"monitor: the process was gone before its cgroup could be "
					"read (attribution).",
					"counter"))
			return -ENOMEM;
		any = true;
		if (append_labels2(k, "monitor", ps->mons[m].name, NULL, NULL, NULL, NULL) ||
		    append_sample(b, "ebpf_monitor_unattributed_total", "", k->buf, NULL,
				  ps->mons[m].unattributed))
			return -ENOMEM;
	}
	return 0;
}

static int render_health(struct prom_sink *ps, struct strbuf *b)
{
	struct strbuf *k = &ps->key;

	if (append_help(
		    b, "ebpf_monitor_build_info",
		    "ebpf-monitor's version, the libbcc it was built with and the running kernel.",
		    "gauge") ||
	    append_labels2(k, "version", ps->version, "bcc_version", ps->bcc_version, "kernel",
			   ps->kernel) ||
	    append_sample(b, "ebpf_monitor_build_info", "", k->buf, NULL, 1))
		return -ENOMEM;
	if (!ps->nmons)
		return 0;
	if (append_help(b, "ebpf_monitor_events_lost_total",
			"Events the kernel side could not deliver or count, by monitor and reason "
			"(perf_buffer overruns, map_full, unmatched entry/exit, kernel_skipped "
			"program runs).",
			"counter"))
		return -ENOMEM;
	for (size_t m = 0; m < ps->nmons; m++) {
		for (int r = 0; r < LOST_NREASONS; r++) {
			if (append_labels2(k, "monitor", ps->mons[m].name, "reason",
					   lost_reasons[r], NULL, NULL) ||
			    append_sample(b, "ebpf_monitor_events_lost_total", "", k->buf, NULL,
					  ps->mons[m].lost[r]))
				return -ENOMEM;
		}
	}
	if (render_unattributed(ps, b))
		return -ENOMEM;
	if (append_help(b, "ebpf_monitor_rows_total", "Rows the monitors produced.", "counter"))
		return -ENOMEM;
	for (size_t m = 0; m < ps->nmons; m++) {
		if (append_labels2(k, "monitor", ps->mons[m].name, NULL, NULL, NULL, NULL) ||
		    append_sample(b, "ebpf_monitor_rows_total", "", k->buf, NULL, ps->mons[m].rows))
			return -ENOMEM;
	}
	if (append_help(b, "ebpf_monitor_rows_folded_total",
			"Rows counted under label value \"other\" (max_label_values or max_series "
			"reached).",
			"counter"))
		return -ENOMEM;
	for (size_t m = 0; m < ps->nmons; m++) {
		if (append_labels2(k, "monitor", ps->mons[m].name, NULL, NULL, NULL, NULL) ||
		    append_sample(b, "ebpf_monitor_rows_folded_total", "", k->buf, NULL,
				  ps->mons[m].folded))
			return -ENOMEM;
	}
	if (append_help(b, "ebpf_monitor_probe_info",
			"1 for each attach point of a running monitor, with the mechanism that "
			"attached (see ebpf-monitor --check).",
			"gauge"))
		return -ENOMEM;
	for (size_t s = 0; s < ps->nstreams; s++) {
		const struct pm_stream *st = &ps->streams[s];

		if (!st->used || st->stopped)
			continue;
		for (size_t p = 0; p < st->nprobes; p++) {
			if (append_labels2(k, "monitor", ps->mons[st->mon].name, "point",
					   st->probes[p].point, "mechanism",
					   st->probes[p].mechanism) ||
			    append_sample(b, "ebpf_monitor_probe_info", "", k->buf, NULL, 1))
				return -ENOMEM;
		}
	}
	return render_sample_rates(ps, b);
}

static int by_family_name(const void *a, const void *b)
{
	const struct pm_family *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

int prom_sink_render(struct sink *snk, struct strbuf *b)
{
	struct prom_sink *ps = snk->priv;
	const struct pm_family **order = calloc(ps->nfams ? ps->nfams : 1, sizeof(*order));
	int r = 0;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < ps->nfams; i++)
		order[i] = &ps->fams[i];
	qsort(order, ps->nfams, sizeof(*order), by_family_name);
	for (size_t i = 0; i < ps->nfams && !r; i++)
		r = render_family(b, order[i]) ? -ENOMEM : 0;
	free(order);
	return r ? r : render_health(ps, b);
}

size_t prom_sink_series(struct sink *snk)
{
	struct prom_sink *ps = snk->priv;
	size_t n = 0;

	for (size_t i = 0; i < ps->nfams; i++)
		n += ps->fams[i].index.n;
	return n;
}

/* ---- the rest of the sink ---- */

static int prom_flush(struct sink *s, bool sync)
{
	return 0;
}

static void prom_destroy(struct sink *snk)
{
	struct prom_sink *ps;

	if (!snk)
		return;
	ps = snk->priv;
	for (size_t i = 0; i < ps->nfams; i++) {
		for (size_t k = 0; k < ps->fams[i].index.n; k++)
			free(ps->fams[i].series[k].buckets);
		free(ps->fams[i].series);
		pm_index_free(&ps->fams[i].index);
	}
	for (size_t m = 0; m < ps->nmons; m++) {
		for (size_t l = 0; l < ps->mons[m].nsets; l++)
			pm_index_free(&ps->mons[m].sets[l].values);
		free(ps->mons[m].name);
	}
	free(ps->fams);
	free(ps->mons);
	for (size_t s = 0; s < ps->nstreams; s++) {
		free_probes(&ps->streams[s]);
		free(ps->streams[s].uses);
	}
	free(ps->streams);
	strbuf_free(&ps->key);
	free(ps->version);
	free(ps->bcc_version);
	free(ps->kernel);
	free(ps);
}

static const struct sink_ops prom_ops = {
	.name = "prometheus",
	.add_stream = prom_add_stream,
	.write_row = prom_write_row,
	.flush = prom_flush,
	.destroy = prom_destroy,
	.health = prom_health,
};

int prom_sink_create(const struct prom_sink_options *o, struct sink **ret)
{
	struct prom_sink *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return -ENOMEM;
	ps->sink.ops = &prom_ops;
	ps->sink.priv = ps;
	ps->max_label_values = o && o->max_label_values ? o->max_label_values : 100;
	ps->max_series = o && o->max_series ? o->max_series : 10000;
	ps->version = strdup(o && o->version ? o->version : "unknown");
	ps->bcc_version = strdup(o && o->bcc_version ? o->bcc_version : "unknown");
	ps->kernel = strdup(o && o->kernel ? o->kernel : "unknown");
	if (!ps->version || !ps->bcc_version || !ps->kernel) {
		prom_destroy(&ps->sink);
		return -ENOMEM;
	}
	*ret = &ps->sink;
	return 0;
}
