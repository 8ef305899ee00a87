/* ydoc.c - the parsed YAML document: a tree of nodes built from libyaml events, with positions
 * for messages; and the helpers that quote a user's values in messages. */
#include "core/ydoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* What building a tree needs: the text (for reader-error positions) and where messages go. */
struct ybuild {
	struct ydoc *d;
	const char *buf;
	size_t len;
	char *err;
	size_t errlen;
};

static int vfail(struct ydoc *d, int line, int col, int r, char *err, size_t errlen,
		 const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static int vfail(struct ydoc *d, int line, int col, int r, char *err, size_t errlen,
		 const char *fmt, va_list ap)
{
	d->err_line = line;
	d->err_col = col;
	if (errlen)
		vsnprintf(err, errlen, fmt, ap);
	return r;
}

int ydoc_fail(struct ydoc *d, const struct ynode *n, int r, char *err, size_t errlen,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vfail(d, n ? n->line : 0, n ? n->col : 0, r, err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/* A building error at line, col (0: no position); -EINVAL. */
static int fail_at(struct ybuild *l, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct ybuild *l, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(l->d, line, col, -EINVAL, l->err, l->errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int oom(struct ybuild *l)
{
	return ydoc_fail(l->d, NULL, -ENOMEM, l->err, l->errlen, "out of memory");
}

int ydoc_fail_type(struct ydoc *d, const struct ynode *n, const char *path, const char *what,
		   char *err, size_t errlen)
{
	char got[SHOWN_SIZE + 4];

	return ydoc_fail(d, n, -EINVAL, err, errlen, "%s: expected %s, got %s", path, what,
			 ydoc_describe(n, got, sizeof(got)));
}

/* ---- messages ---- */

/* Copies n bytes of s for a message: control characters escaped, cut after SHOWN_MAX bytes. */
const char *ydoc_shown(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, o = 0, lim = n;
	bool cut = false;

	if (lim > SHOWN_MAX) {
		lim = SHOWN_MAX;
		/* never split a UTF-8 sequence */
		while (lim > 0 && ((unsigned char)s[lim] & 0xc0) == 0x80)
			lim--;
		cut = true;
	}
	for (i = 0; i < lim && o + 8 < size; i++) {
		unsigned char c = s[i];

		if (c == '\n' || c == '\t' || c == '\r') {
			buf[o++] = '\\';
			buf[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (c < 0x20 || c == 0x7f) {
			o += snprintf(buf + o, size - o, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < lim && (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) {
			/* C1 controls (U+0080..U+009F) can drive a terminal too */
			o += snprintf(buf + o, size - o, "\\u%04x", (unsigned char)s[++i]);
		} else {
			buf[o++] = c;
		}
	}
	if (cut && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *ydoc_shown_str(const char *s, char *buf, size_t size)
{
	return ydoc_shown(s, strlen(s), buf, size);
}

const char *ydoc_describe(const struct ynode *n, char *buf, size_t size)
{
	if (n->kind == Y_SEQ)
		return "a list";
	if (n->kind == Y_MAP)
		return "a mapping";
	if (n->null && n->len == 0)
		return "an empty value";
	buf[0] = '\'';
	ydoc_shown(n->text, n->len, buf + 1, size - 2);
	strcat(buf, "'");
	return buf;
}

static void append(char *buf, size_t size, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (n > size - 1 - *o)
		n = size - 1 - *o;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
}

void ydoc_join(char *buf, size_t size, const char *path, const char *key)
{
	char k[SHOWN_SIZE];
	size_t o = 0;

	buf[0] = '\0';
	append(buf, size, &o, path);
	if (*path)
		append(buf, size, &o, ".");
	append(buf, size, &o, ydoc_shown_str(key, k, sizeof(k)));
}

void ydoc_free(struct ydoc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->nodes[i].text);
		free(d->nodes[i].kids);
	}
	for (i = 0; i < d->nanchors; i++)
		free(d->anchors[i].name);
	free(d->nodes);
	free(d->anchors);
	memset(d, 0, sizeof(*d));
}

/* Appends an unlinked node; its index goes to *ret. */
static int doc_add(struct ydoc *d, enum ykind kind, const yaml_mark_t *mark, size_t *ret)
{
	struct ynode *n;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ynode *nodes = realloc(d->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return -ENOMEM;
		d->nodes = nodes;
		d->cap = cap;
	}
	n = &d->nodes[d->n];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	*ret = d->n++;
	return 0;
}

static int doc_link(struct ydoc *d, size_t parent, size_t child)
{
	struct ynode *p = &d->nodes[parent];

	if (p->nkids == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		size_t *kids = realloc(p->kids, cap * sizeof(*kids));

		if (!kids)
			return -ENOMEM;
		p->kids = kids;
		p->cap = cap;
	}
	p->kids[p->nkids++] = child;
	return 0;
}

static int doc_anchor(struct ybuild *l, const yaml_char_t *name, size_t idx, const yaml_mark_t *m)
{
	struct ydoc *d = l->d;
	struct yanchor *a;

	if (!name)
		return 0;
	if (d->nanchors == YDOC_MAX_ANCHORS)
		return fail_at(l, (int)m->line + 1, (int)m->column + 1, "more than %d YAML anchors",
			       YDOC_MAX_ANCHORS);
	a = realloc(d->anchors, (d->nanchors + 1) * sizeof(*a));
	if (!a)
		return oom(l);
	d->anchors = a;
	a[d->nanchors].name = strdup((const char *)name);
	if (!a[d->nanchors].name)
		return oom(l);
	a[d->nanchors++].node = idx;
	return 0;
}

static bool plain_null(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* Where libyaml failed, for reader errors (bad UTF-8) counted from the byte offset. */
static int syntax_error(struct ybuild *l, const yaml_parser_t *p)
{
	size_t line = p->problem_mark.line, col = p->problem_mark.column;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR)
		return ydoc_fail(l->d, NULL, -ENOMEM, l->err, l->errlen,
				 "out of memory while parsing");
	if (p->error == YAML_READER_ERROR) {
		size_t i, end = p->problem_offset < l->len ? p->problem_offset : l->len;

		line = 0;
		col = 0;
		for (i = 0; i < end; i++) {
			if (l->buf[i] == '\n') {
				line++;
				col = 0;
			} else {
				col++;
			}
		}
	}
	if (p->context)
		return fail_at(l, (int)line + 1, (int)col + 1, "YAML syntax error: %s (%s)",
			       problem, p->context);
	return fail_at(l, (int)line + 1, (int)col + 1, "YAML syntax error: %s", problem);
}

static int alias_target(struct ybuild *l, const yaml_event_t *ev, size_t *ret)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	char s[SHOWN_SIZE];
	size_t i;

	for (i = l->d->nanchors; i-- > 0;) {
		if (strcmp(l->d->anchors[i].name, name))
			continue;
		if (l->d->nodes[l->d->anchors[i].node].open)
			return fail_at(l, line, col,
				       "alias '*%s' refers to a node that contains it",
				       ydoc_shown_str(name, s, sizeof(s)));
		*ret = l->d->anchors[i].node;
		return 0;
	}
	return fail_at(l, line, col, "alias '*%s' has no anchor '&%s' before it",
		       ydoc_shown_str(name, s, sizeof(s)), s);
}

/* One event into the tree. stack holds the open collections. */
static int doc_event(struct ybuild *l, const yaml_event_t *ev, size_t *stack, size_t *depth,
		     int *ndocs)
{
	struct ydoc *d = l->d;
	const yaml_mark_t *m = &ev->start_mark;
	size_t idx = 0;
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*ndocs > 1)
			return fail_at(l, (int)m->line + 1, (int)m->column + 1,
				       "only one YAML document is allowed in a config file");
		return 0;
	case YAML_SCALAR_EVENT:
		r = doc_add(d, Y_SCALAR, m, &idx);
		if (r)
			return oom(l);
		d->nodes[idx].len = ev->data.scalar.length;
		d->nodes[idx].null = plain_null(ev);
		d->nodes[idx].text = malloc(ev->data.scalar.length + 1);
		if (!d->nodes[idx].text)
			return oom(l);
		memcpy(d->nodes[idx].text, ev->data.scalar.value, ev->data.scalar.length);
		d->nodes[idx].text[ev->data.scalar.length] = '\0';
		r = doc_anchor(l, ev->data.scalar.anchor, idx, m);
		if (r)
			return r;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (*depth == YDOC_MAX_DEPTH)
			return fail_at(l, (int)m->line + 1, (int)m->column + 1,
				       "nested deeper than %d levels", YDOC_MAX_DEPTH);
		r = doc_add(d, ev->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ, m, &idx);
		if (r)
			return oom(l);
		d->nodes[idx].open = true;
		r = doc_anchor(l,
			       ev->type == YAML_MAPPING_START_EVENT ?
				       ev->data.mapping_start.anchor :
				       ev->data.sequence_start.anchor,
			       idx, m);
		if (r)
			return r;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		d->nodes[stack[--*depth]].open = false;
		return 0;
	case YAML_ALIAS_EVENT:
		r = alias_target(l, ev, &idx);
		if (r)
			return r;
		if (*depth && doc_link(d, stack[*depth - 1], idx))
			return oom(l);
		return 0;
	default:
		return 0;
	}
	/* a new scalar or collection: link it under its parent */
	if (*depth && doc_link(d, stack[*depth - 1], idx))
		return oom(l);
	if (d->nodes[idx].kind != Y_SCALAR)
		stack[(*depth)++] = idx;
	return 0;
}

int ydoc_build(struct ydoc *d, const char *buf, size_t len, char *err, size_t errlen)
{
	size_t stack[YDOC_MAX_DEPTH];
	size_t depth = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	struct ybuild b = { d, buf, len, err, errlen }, *l = &b;
	int ndocs = 0, r = 0;
	bool done = false;

	memset(d, 0, sizeof(*d));
	if (!yaml_parser_initialize(&p))
		return oom(l);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !r) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = syntax_error(l, &p);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT)
			done = true;
		r = doc_event(l, &ev, stack, &depth, &ndocs);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return r;
}
/* ---- lookups ---- */

bool ydoc_is_value(const struct ynode *n)
{
	return n->kind == Y_SCALAR && !n->null && strlen(n->text) == n->len;
}
struct key_ref {
	const char *text;
	size_t len;
	size_t pos; /* index of the key in the mapping */
	size_t node;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->text, y->text, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Keys must be scalars, unique (sorted, so a huge mapping stays cheap), and not merge keys. */
int ydoc_check_map(struct ydoc *d, size_t map, const char *path, char *err, size_t errlen)
{
	const struct ynode *m = ydoc_node(d, map);
	size_t i, nkeys = m->nkids / 2, dup = NO_NODE, first = NO_NODE;
	struct key_ref *keys;
	char kpath[PATH_SIZE];

	for (i = 0; i < nkeys; i++) {
		const struct ynode *k = ydoc_node(d, m->kids[2 * i]);

		if (k->kind != Y_SCALAR)
			return ydoc_fail_type(d, k, *path ? path : "key", "a plain key", err,
					      errlen);
		if (!k->null && !strcmp(k->text, "<<")) {
			ydoc_join(kpath, sizeof(kpath), path, "<<");
			return ydoc_fail(
				d, k, -EINVAL, err, errlen,
				"%s: YAML merge keys are not supported; write the keys out", kpath);
		}
	}
	if (nkeys < 2)
		return 0;
	keys = calloc(nkeys, sizeof(*keys));
	if (!keys)
		return ydoc_fail(d, m, -ENOMEM, err, errlen, "%s: out of memory", path);
	for (i = 0; i < nkeys; i++) {
		const struct ynode *k = ydoc_node(d, m->kids[2 * i]);

		keys[i] = (struct key_ref){ k->text, k->len, i, m->kids[2 * i] };
	}
	qsort(keys, nkeys, sizeof(*keys), key_ref_cmp);
	/* report the earliest repetition in file order */
	for (i = 1; i < nkeys; i++) {
		if (keys[i].len != keys[i - 1].len ||
		    memcmp(keys[i].text, keys[i - 1].text, keys[i].len))
			continue;
		if (dup == NO_NODE || keys[i].pos < keys[dup].pos) {
			dup = i;
			first = i - 1;
			while (first > 0 && keys[first - 1].len == keys[i].len &&
			       !memcmp(keys[first - 1].text, keys[i].text, keys[i].len))
				first--;
		}
	}
	if (dup != NO_NODE) {
		const struct ynode *k = ydoc_node(d, keys[dup].node),
				   *f = ydoc_node(d, keys[first].node);
		int r;

		ydoc_join(kpath, sizeof(kpath), path, k->text);
		r = ydoc_fail(d, k, -EINVAL, err, errlen,
			      "%s: duplicate key, first defined at line %d, column %d", kpath,
			      f->line, f->col);
		free(keys);
		return r;
	}
	free(keys);
	return 0;
}
