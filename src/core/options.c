/* options.c - the option engine: a value of each option type read from a YAML node (with its
 * range, choices and check), defaults from a row's `def` text, freeing and comparing. Monitor
 * keys and the core keys (config.c's table) go through it alike. */
#include "core/options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/ydoc.h"

static const char *const bool_words_true[] = { "true", "yes", "on", NULL };
static const char *const bool_words_false[] = { "false", "no", "off", NULL };

void opt_choices_text(const char *const *choices, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; *choices && o < size; choices++) {
		int r = snprintf(buf + o, size - o, "%s%s", o ? ", " : "", *choices);

		if (r < 0)
			break;
		o += (size_t)r;
	}
}

/* An unknown choice: lists the choices and the nearest one. */
int opt_fail_choice(struct ydoc *d, const struct ynode *n, const char *path,
		    const char *const *choices, char *err, size_t errlen)
{
	char what[300], got[SHOWN_SIZE + 4];
	const char *near = NULL;

	memcpy(what, "one of ", 8);
	opt_choices_text(choices, what + 7, sizeof(what) - 7);
	if (n->kind == Y_SCALAR && !n->null)
		near = config_suggest(n->text, choices);
	if (near)
		return ydoc_fail(d, n, -EINVAL, err, errlen,
				 "%s: expected %s, got %s (did you mean '%s'?)", path, what,
				 ydoc_describe(n, got, sizeof(got)), near);
	return ydoc_fail_type(d, n, path, what, err, errlen);
}

int opt_parse_bool(const char *s, bool *ret)
{
	size_t i;

	for (i = 0; bool_words_true[i]; i++) {
		if (!strcasecmp(s, bool_words_true[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(s, bool_words_false[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int opt_parse_ll(const char *s, long long *ret)
{
	const char *p = s + (*s == '+' || *s == '-');
	char *end;
	long long v;

	if (!*p)
		return -EINVAL;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int opt_parse_double(const char *s, double *ret)
{
	bool digit = false;
	const char *p;
	char *end;
	double v;

	/* plain decimal notation only: no "inf", "nan" or hex floats */
	for (p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (!strchr("+-.eE", *p))
			return -EINVAL;
	}
	if (!digit)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -EINVAL;
	*ret = v;
	return 0;
}

static bool ranged(const struct opt_spec *o)
{
	return o->min != 0 || o->max != 0;
}

static int replace_str(char **dst, const char *s)
{
	char *p = strdup(s);

	if (!p)
		return -ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

static void strlist_free(struct strlist *sl)
{
	size_t i;

	for (i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

static int find_choice(const char *s, const char *const *choices)
{
	int i;

	for (i = 0; choices[i]; i++)
		if (!strcasecmp(s, choices[i]))
			return i;
	return -EINVAL;
}

static int set_strlist(struct ydoc *d, struct strlist *dst, size_t vi, const char *path, char *err,
		       size_t errlen)
{
	const struct ynode *v = ydoc_node(d, vi);
	struct strlist sl = { 0 };
	char ipath[PATH_SIZE];
	size_t i;

	if (v->kind == Y_MAP)
		return ydoc_fail_type(d, v, path, "a list of strings", err, errlen);
	if (v->kind == Y_SCALAR && !v->null) {
		if (!ydoc_is_value(v))
			return ydoc_fail_type(d, v, path, "a list of strings", err, errlen);
		sl.v = calloc(1, sizeof(*sl.v));
		if (!sl.v || !(sl.v[0] = strdup(v->text))) {
			free(sl.v);
			return ydoc_fail(d, v, -ENOMEM, err, errlen, "%s: out of memory", path);
		}
		sl.n = 1;
	} else if (v->kind == Y_SEQ && v->nkids) {
		sl.v = calloc(v->nkids, sizeof(*sl.v));
		if (!sl.v)
			return ydoc_fail(d, v, -ENOMEM, err, errlen, "%s: out of memory", path);
		for (i = 0; i < v->nkids; i++) {
			const struct ynode *item = ydoc_node(d, v->kids[i]);

			if (!ydoc_is_value(item)) {
				snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
				strlist_free(&sl);
				return ydoc_fail_type(d, item, ipath, "a string", err, errlen);
			}
			sl.v[sl.n] = strdup(item->text);
			if (!sl.v[sl.n]) {
				strlist_free(&sl);
				return ydoc_fail(d, item, -ENOMEM, err, errlen, "%s: out of memory",
						 path);
			}
			sl.n++;
		}
	}
	/* the file's list replaces the default one */
	strlist_free(dst);
	*dst = sl;
	return 0;
}

static int set_boolmap(struct ydoc *d, const struct opt_spec *o, struct boolmap *dst, size_t vi,
		       const char *path, char *err, size_t errlen)
{
	const struct ynode *v = ydoc_node(d, vi);
	struct boolmap bm = { 0 };
	char kpath[PATH_SIZE];
	size_t i, nchoices = 0;
	int r;

	while (o->choices && o->choices[nchoices])
		nchoices++;
	if (!nchoices || nchoices > 64)
		return ydoc_fail(d, v, -EINVAL, err, errlen,
				 "%s: bad schema: a boolean map needs 1 to 64 keys", path);
	if (v->kind == Y_SCALAR && v->null) {
		*dst = bm;
		return 0;
	}
	if (v->kind != Y_MAP)
		return ydoc_fail_type(d, v, path, "a mapping of names to true or false", err,
				      errlen);
	r = ydoc_check_map(d, vi, path, err, errlen);
	if (r)
		return r;
	for (i = 0; i + 1 < v->nkids; i += 2) {
		const struct ynode *k = ydoc_node(d, v->kids[i]),
				   *val = ydoc_node(d, v->kids[i + 1]);
		unsigned long long bit;
		bool b;
		int c;

		for (c = 0; o->choices[c] && strcmp(o->choices[c], k->text); c++)
			;
		if (!o->choices[c])
			return opt_fail_choice(d, k, path, o->choices, err, errlen);
		ydoc_join(kpath, sizeof(kpath), path, k->text);
		if (!ydoc_is_value(val) || opt_parse_bool(val->text, &b))
			return ydoc_fail_type(d, val, kpath, "true or false", err, errlen);
		bit = 1ULL << c;
		bm.set |= bit;
		if (b)
			bm.value |= bit;
	}
	/* the file's map replaces the default one: `set` says what the user wrote */
	*dst = bm;
	return 0;
}

static int set_int(const struct opt_spec *o, long long *dst, struct ydoc *d, const struct ynode *v,
		   const char *path, char *err, size_t errlen)
{
	char what[128];
	long long x;

	if (!ydoc_is_value(v) || opt_parse_ll(v->text, &x))
		return ydoc_fail_type(d, v, path, "an integer", err, errlen);
	if (ranged(o) && (x < o->min || x > o->max)) {
		snprintf(what, sizeof(what), "an integer in %lld..%lld", (long long)o->min,
			 (long long)o->max);
		return ydoc_fail_type(d, v, path, what, err, errlen);
	}
	*dst = x;
	return 0;
}

static int set_double(const struct opt_spec *o, double *dst, struct ydoc *d, const struct ynode *v,
		      const char *path, char *err, size_t errlen)
{
	char what[128];
	double x;

	if (!ydoc_is_value(v) || opt_parse_double(v->text, &x))
		return ydoc_fail_type(d, v, path, "a number", err, errlen);
	if (ranged(o) && (x < o->min || x > o->max)) {
		snprintf(what, sizeof(what), "a number in %g..%g", o->min, o->max);
		return ydoc_fail_type(d, v, path, what, err, errlen);
	}
	*dst = x;
	return 0;
}

static int set_percent(const struct opt_spec *o, double *dst, struct ydoc *d, const struct ynode *v,
		       const char *path, char *err, size_t errlen)
{
	char what[160], num[64];
	size_t len;
	bool off;
	double x;

	snprintf(what, sizeof(what), "a percentage, %g to %g (e.g. 2 or 2%%), or 0 or off for none",
		 o->min, o->max);
	if (!ydoc_is_value(v))
		return ydoc_fail_type(d, v, path, what, err, errlen);
	if (!opt_parse_bool(v->text, &off) && !off) {
		*dst = 0;
		return 0;
	}
	len = strlen(v->text);
	if (len && v->text[len - 1] == '%')
		len--;
	if (!len || len >= sizeof(num))
		return ydoc_fail_type(d, v, path, what, err, errlen);
	memcpy(num, v->text, len);
	num[len] = '\0';
	if (opt_parse_double(num, &x) || (x != 0 && (x < o->min || x > o->max)))
		return ydoc_fail_type(d, v, path, what, err, errlen);
	*dst = x;
	return 0;
}

static int set_string(const struct opt_spec *o, char **dst, struct ydoc *d, const struct ynode *v,
		      const char *path, char *err, size_t errlen)
{
	const char *s = "";
	int c;

	if ((o->flags & OPT_NULLABLE) && v->kind == Y_SCALAR && v->null) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (v->kind != Y_SCALAR || strlen(v->text) != v->len)
		return ydoc_fail_type(d, v, path, "a string", err, errlen);
	if (!v->null)
		s = v->text;
	if (o->choices) {
		c = find_choice(s, o->choices);
		if (c < 0 || v->null)
			return opt_fail_choice(d, v, path, o->choices, err, errlen);
		s = o->choices[c]; /* the canonical spelling */
	} else if (o->min > 0 && !*s) {
		return ydoc_fail_type(d, v, path, "a non-empty string", err, errlen);
	}
	if (replace_str(dst, s))
		return ydoc_fail(d, v, -ENOMEM, err, errlen, "%s: out of memory", path);
	return 0;
}

/* One byte, never the quote character or a line break, which CSV needs for itself. */
static int set_char(char *dst, struct ydoc *d, const struct ynode *v, const char *path, char *err,
		    size_t errlen)
{
	unsigned char c = v->kind == Y_SCALAR ? (unsigned char)v->text[0] : 0;

	if (!ydoc_is_value(v) || v->len != 1 || c == '"' || (c != '\t' && (c < 0x20 || c > 0x7e)))
		return ydoc_fail_type(d, v, path,
				      "one printable ASCII character (or a tab) other than '\"'",
				      err, errlen);
	*dst = (char)c;
	return 0;
}

static int set_formats(unsigned *dst, struct ydoc *d, const struct ynode *v, const char *path,
		       char *err, size_t errlen)
{
	unsigned formats = 0;
	char ipath[PATH_SIZE];

	if (v->kind == Y_MAP)
		return ydoc_fail_type(d, v, path, "a list of formats (csv, jsonl, jsonl-stdout)",
				      err, errlen);
	if (v->kind == Y_SCALAR) {
		if (!v->null) {
			formats = config_format_bit(v->text);
			if (!formats || !ydoc_is_value(v))
				return opt_fail_choice(d, v, path, config_format_names, err,
						       errlen);
		}
	} else {
		for (size_t i = 0; i < v->nkids; i++) {
			const struct ynode *item = ydoc_node(d, v->kids[i]);
			unsigned bit = ydoc_is_value(item) ? config_format_bit(item->text) : 0;

			snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
			if (!bit)
				return opt_fail_choice(d, item, ipath, config_format_names, err,
						       errlen);
			formats |= bit;
		}
	}
	*dst = formats;
	return 0;
}

static int set_value(const struct opt_spec *o, void *dst, struct ydoc *d, size_t vi,
		     const char *path, char *err, size_t errlen)
{
	const struct ynode *v = ydoc_node(d, vi);

	switch (o->type) {
	case OPT_BOOL:
		if (!ydoc_is_value(v) || opt_parse_bool(v->text, (bool *)dst))
			return ydoc_fail_type(d, v, path, "true or false", err, errlen);
		return 0;
	case OPT_INT:
		return set_int(o, dst, d, v, path, err, errlen);
	case OPT_DOUBLE:
		return set_double(o, dst, d, v, path, err, errlen);
	case OPT_PERCENT:
		return set_percent(o, dst, d, v, path, err, errlen);
	case OPT_STRING:
		return set_string(o, dst, d, v, path, err, errlen);
	case OPT_STRLIST:
		return set_strlist(d, (struct strlist *)dst, vi, path, err, errlen);
	case OPT_BOOLMAP:
		return set_boolmap(d, o, (struct boolmap *)dst, vi, path, err, errlen);
	case OPT_CHAR:
		return set_char(dst, d, v, path, err, errlen);
	case OPT_FORMATS:
		return set_formats(dst, d, v, path, err, errlen);
	case OPT_SECTION:
	case OPT_NODE:
		break;
	}
	return ydoc_fail(d, v, -EINVAL, err, errlen, "%s: bad schema: unknown option type %d", path,
			 (int)o->type);
}

int opt_set(const struct opt_spec *o, void *base, struct ydoc *d, size_t vi, const char *path,
	    char *err, size_t errlen)
{
	void *dst = (char *)base + o->offset;
	char why[256];
	int r;

	r = set_value(o, dst, d, vi, path, err, errlen);
	if (r || !o->check || (o->type == OPT_STRING && !*(char **)dst))
		return r; /* nothing to check, or a nullable string unset */
	why[0] = '\0';
	r = o->check(dst, why, sizeof(why));
	if (r)
		return ydoc_fail(d, ydoc_node(d, vi), r, err, errlen, "%s: %s", path, why);
	return 0;
}

bool opt_has_value(const struct opt_spec *o)
{
	return o->type != OPT_SECTION && o->type != OPT_NODE;
}

int opt_default(const struct opt_spec *o, void *base)
{
	struct ydoc d;
	char err[512];
	int r;

	if (!o->def || !opt_has_value(o))
		return 0;
	r = ydoc_build(&d, o->def, strlen(o->def), err, sizeof(err));
	if (!r && d.n)
		r = opt_set(o, base, &d, 0, o->key, err, sizeof(err));
	ydoc_free(&d);
	return r == -ENOMEM ? r : r ? -EINVAL : 0;
}

void opt_free(const struct opt_spec *o, void *base)
{
	void *p = (char *)base + o->offset;

	if (o->type == OPT_STRING) {
		free(*(char **)p);
		*(char **)p = NULL;
	} else if (o->type == OPT_STRLIST) {
		strlist_free((struct strlist *)p);
	}
}

void opts_free(const struct opt_spec *specs, void *base)
{
	if (!specs || !base)
		return;
	for (const struct opt_spec *o = specs; o->key; o++)
		opt_free(o, base);
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool strlist_equal(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i], b->v[i]))
			return false;
	}
	return true;
}

bool opt_equal(const struct opt_spec *o, const void *a, const void *b)
{
	const char *x = (const char *)a + o->offset, *y = (const char *)b + o->offset;
	const struct boolmap *l = (const void *)x, *m = (const void *)y;

	switch (o->type) {
	case OPT_BOOL:
		return *(const bool *)x == *(const bool *)y;
	case OPT_INT:
		return *(const long long *)x == *(const long long *)y;
	case OPT_DOUBLE:
	case OPT_PERCENT:
		return *(const double *)x == *(const double *)y;
	case OPT_STRING:
		return str_equal(*(char *const *)x, *(char *const *)y);
	case OPT_STRLIST:
		return strlist_equal((const void *)x, (const void *)y);
	case OPT_BOOLMAP:
		return l->set == m->set && (l->value & l->set) == (m->value & m->set);
	case OPT_CHAR:
		return *x == *y;
	case OPT_FORMATS:
		return *(const unsigned *)x == *(const unsigned *)y;
	case OPT_SECTION:
	case OPT_NODE:
		break;
	}
	return true;
}

bool opts_equal(const struct opt_spec *specs, const void *a, const void *b)
{
	for (const struct opt_spec *o = specs; o && o->key; o++) {
		if (!opt_equal(o, a, b))
			return false;
	}
	return true;
}
