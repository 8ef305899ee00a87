/* open_rows.c - see open_rows.h. */
#include "monitors/open_rows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitors/open_flags.h"

/* The probe's numbers are the kernel's; <errno.h> agrees on x86_64 and aarch64. */
static const int open_bucket_errno[OPEN_NERRNO] = {
	[OPEN_E_NOENT] = ENOENT, [OPEN_E_ACCES] = EACCES,   [OPEN_E_PERM] = EPERM,
	[OPEN_E_EXIST] = EEXIST, [OPEN_E_NOTDIR] = ENOTDIR, [OPEN_E_ISDIR] = EISDIR,
	[OPEN_E_LOOP] = ELOOP,	 [OPEN_E_MFILE] = EMFILE,   [OPEN_E_NFILE] = ENFILE,
	[OPEN_E_OTHER] = 0,
};

const char *open_op_name(unsigned op)
{
	static const char *const names[OPEN_NOPS] = { "open", "openat", "openat2" };

	return op < OPEN_NOPS ? names[op] : "?";
}

void open_value_merge(struct open_value *sum, const struct open_value *cpu)
{
	if (!cpu->count)
		return;
	if (!sum->count || cpu->lat_min_ns < sum->lat_min_ns)
		sum->lat_min_ns = cpu->lat_min_ns;
	if (cpu->lat_max_ns > sum->lat_max_ns)
		sum->lat_max_ns = cpu->lat_max_ns;
	sum->count += cpu->count;
	sum->errors += cpu->errors;
	sum->lat_sum_ns += cpu->lat_sum_ns;
	for (int i = 0; i < OPEN_NERRNO; i++)
		sum->err[i] += cpu->err[i];
	if (cpu->err[OPEN_E_OTHER])
		sum->other_errno = cpu->other_errno;
}

int open_top_errno(const struct open_value *v)
{
	int best = -1;

	for (int i = 0; i < OPEN_NERRNO; i++) {
		if (v->err[i] && (best < 0 || v->err[i] > v->err[best]))
			best = i;
	}
	if (best < 0)
		return 0;
	return best == OPEN_E_OTHER ? (int)v->other_errno : open_bucket_errno[best];
}

/* Length of s[0..n) without an incomplete UTF-8 sequence at its end. */
static size_t open_utf8_whole(const char *s, size_t n)
{
	for (size_t back = 1; back <= 4 && back <= n; back++) {
		unsigned char c = (unsigned char)s[n - back];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back for the lead */
		need = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
		return need > back ? n - back : n;
	}
	return n;
}

int open_filename_text(const struct open_key *k, char *buf, size_t len)
{
	size_t n = strnlen(k->filename, sizeof(k->filename));

	if (!k->truncated)
		return snprintf(buf, len, "%.*s", (int)n, k->filename);
	return snprintf(buf, len, "%.*s...", (int)open_utf8_whole(k->filename, n), k->filename);
}

int open_flags_text(__u32 flags, unsigned hi, char *buf, size_t len)
{
	int n = open_flags_fmt(flags, buf, len);

	if (hi) {
		size_t room = (size_t)n < len ? len - (size_t)n : 0;

		n += snprintf(room ? buf + n : NULL, room, "|bits32-63");
	}
	return n;
}

int open_row_key_cmp(const void *a, const void *b)
{
	const struct open_key *x = &((const struct open_row *)a)->key,
			      *y = &((const struct open_row *)b)->key;
	int c = strncmp(x->comm, y->comm, sizeof(x->comm));

	if (c)
		return c;
	c = strncmp(x->filename, y->filename, sizeof(x->filename));
	if (c)
		return c;
	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->flags_hi != y->flags_hi)
		return x->flags_hi < y->flags_hi ? -1 : 1;
	if (x->truncated != y->truncated)
		return x->truncated < y->truncated ? -1 : 1;
	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	return 0;
}

void open_row_add(void *into, const void *from)
{
	open_value_merge(&((struct open_row *)into)->v, &((const struct open_row *)from)->v);
}

size_t open_path_text_len(const struct open_path *p)
{
	size_t n = p->len ? p->len - 1 : 0;

	if (n > sizeof(p->path) - 1)
		n = sizeof(p->path) - 1;
	return strnlen(p->path, n);
}

void open_paths_add(void *ctx, const void *key, const void *values, unsigned nvalues)
{
	struct open_paths_table *t = ctx;
	const struct open_path_key *k = key;
	const struct open_path *p = values;
	size_t len = open_path_text_len(p);

	(void)nvalues;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct open_path_ref *refs = realloc(t->refs, cap * sizeof(*refs));

		if (!refs) {
			t->dropped++;
			return;
		}
		t->refs = refs;
		t->cap = cap;
	}
	if (t->used + len > t->text_cap) {
		size_t cap = t->text_cap ? t->text_cap : 16384;
		char *text;

		while (cap < t->used + len)
			cap *= 2;
		text = realloc(t->text, cap);
		if (!text) {
			t->dropped++;
			return;
		}
		t->text = text;
		t->text_cap = cap;
	}
	memcpy(t->text + t->used, p->path, len);
	t->refs[t->n++] = (struct open_path_ref){ k->id, t->used, len };
	t->used += len;
	t->sorted = false;
}

static int by_id(const void *a, const void *b)
{
	const struct open_path_ref *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

const char *open_paths_find(struct open_paths_table *t, __u64 id, size_t *len)
{
	struct open_path_ref want = { id, 0, 0 }, *r;

	if (!t->n)
		return NULL;
	if (!t->sorted) {
		qsort(t->refs, t->n, sizeof(*t->refs), by_id);
		t->sorted = true;
	}
	r = bsearch(&want, t->refs, t->n, sizeof(*t->refs), by_id);
	if (!r)
		return NULL;
	*len = r->len;
	return t->text + r->off;
}

void open_paths_free(struct open_paths_table *t)
{
	free(t->refs);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

void open_key_from_fast(struct open_key *k, const struct open_fkey *f, const char *path, size_t len)
{
	memset(k, 0, sizeof(*k));
	k->epoch = f->epoch;
	k->who = f->who;
	k->op = f->op;
	k->truncated = f->truncated;
	k->flags_hi = f->flags_hi;
	k->flags = f->flags;
	memcpy(k->comm, f->comm, sizeof(k->comm));
	if (len > sizeof(k->filename) - 1)
		len = sizeof(k->filename) - 1;
	memcpy(k->filename, path, len);
}
