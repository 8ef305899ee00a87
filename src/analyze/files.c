/* files.c - selecting input files by name: a file can only hold rows from its own start to the
 * start of the next file of its type (the monitor opens a new one each day and each run), so
 * a period reads only the files that overlap it. */
#include "analyze/files.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int file_list_add(struct file_list *l, const char *path)
{
	char *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->paths, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->paths = v;
		l->cap = cap;
	}
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	l->paths[l->n++] = p;
	return 0;
}

void file_list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	l->paths = NULL;
	l->n = l->cap = 0;
}

bool files_parse_name(const char *base, const char *type, int64_t *ret_ms, unsigned *ret_seq)
{
	size_t tl = strlen(type), i;
	char when[16];
	const char *p;
	unsigned seq = 0;

	if (strncmp(base, type, tl) || base[tl] != '_')
		return false;
	p = base + tl + 1;
	for (i = 0; i < 15; i++)
		if (i == 8 ? p[i] != '_' : !isdigit((unsigned char)p[i]))
			return false;
	memcpy(when, p, 15);
	when[15] = '\0';
	p += 15;
	if (*p == '_') {
		if (!isdigit((unsigned char)p[1]))
			return false;
		for (p++; isdigit((unsigned char)*p) && seq < 100000; p++)
			seq = seq * 10 + (unsigned)(*p - '0');
	}
	if (strcmp(p, ".csv"))
		return false;
	if (time_parse_when(when, false, ret_ms) < 0)
		return false;
	*ret_seq = seq;
	return true;
}

struct files_entry {
	char *name;
	int64_t ms;
	unsigned seq;
};

static int files_cmp(const void *a, const void *b)
{
	const struct files_entry *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

int files_discover(const char *dir, const char *type, const struct period *p, struct file_list *ret)
{
	struct files_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char path[4096];
	int rc = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct files_entry e;

		if (!files_parse_name(de->d_name, type, &e.ms, &e.seq))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct files_entry *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		e.name = strdup(de->d_name);
		if (!e.name) {
			rc = -ENOMEM;
			goto out;
		}
		v[n++] = e;
	}
	if (n)
		qsort(v, n, sizeof(*v), files_cmp);
	for (size_t i = 0; i < n; i++) {
		/* Rows of file i are in [its time, the next file's time). */
		if (p->has_to && v[i].ms >= p->to_ms)
			continue;
		if (p->has_from && i + 1 < n && v[i + 1].ms <= p->from_ms)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, v[i].name);
		rc = file_list_add(ret, path);
		if (rc < 0)
			goto out;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
	return rc;
}
