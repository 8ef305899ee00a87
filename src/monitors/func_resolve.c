/* func_resolve.c - pattern -> kernel function resolution for the func monitor. */
#include "monitors/func_resolve.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/tracefs.h"

#define FUNC_CUT_SHOWN 16 /* cut names kept for the log */

static int names_add(struct func_names *n, const char *name, size_t len)
{
	char *s;

	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 1024;
		char **v = realloc(n->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		n->v = v;
		n->cap = cap;
	}
	s = strndup(name, len);
	if (!s)
		return -ENOMEM;
	n->v[n->n++] = s;
	return 0;
}

void func_names_free(struct func_names *n)
{
	for (size_t i = 0; n && i < n->n; i++)
		free(n->v[i]);
	if (n) {
		free(n->v);
		memset(n, 0, sizeof(*n));
	}
}

void func_resolution_free(struct func_resolution *r)
{
	if (!r)
		return;
	func_names_free(&r->chosen);
	func_names_free(&r->cut);
}

int func_names_from_filter_functions(FILE *f, struct func_names *ret)
{
	char line[512];

	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, " \t\n");
		int r;

		if (!len)
			continue;
		r = names_add(ret, line, len);
		if (r)
			return r;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool in_sorted(const struct func_names *n, const char *name)
{
	return n->n && bsearch(&name, n->v, n->n, sizeof(*n->v), cmp_str);
}

int func_names_from_kallsyms(FILE *kallsyms, FILE *blacklist, struct func_names *ret)
{
	struct func_names black = { 0 };
	char line[512];
	int r = 0;

	while (blacklist && fgets(line, sizeof(line), blacklist)) {
		char *name = strchr(line, '\t');

		if (!name)
			name = strchr(line, ' ');
		if (!name)
			continue;
		name++;
		r = names_add(&black, name, strcspn(name, " \t\n"));
		if (r)
			goto out;
	}
	if (black.n) /* qsort(NULL, 0) is undefined */
		qsort(black.v, black.n, sizeof(*black.v), cmp_str);
	while (fgets(line, sizeof(line), kallsyms)) {
		char type, name[256];

		/* "ffffffff81234560 T vfs_read" or "... t name\t[module]" */
		if (sscanf(line, "%*s %c %255s", &type, name) != 2 || (type != 't' && type != 'T'))
			continue;
		if (strchr(name, '.') || !strncmp(name, "__pfx_", 6) || in_sorted(&black, name))
			continue;
		r = names_add(ret, name, strlen(name));
		if (r)
			goto out;
	}
out:
	func_names_free(&black);
	return r;
}

int func_resolve(const char *const *patterns, size_t npatterns, size_t limit,
		 struct func_names *candidates, struct func_resolution *ret)
{
	size_t w = 0;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (candidates->n)
		qsort(candidates->v, candidates->n, sizeof(*candidates->v), cmp_str);
	/* dedup (static functions of the same name in different files) */
	for (size_t i = 0; i < candidates->n; i++) {
		if (w && !strcmp(candidates->v[w - 1], candidates->v[i])) {
			free(candidates->v[i]);
			continue;
		}
		candidates->v[w++] = candidates->v[i];
	}
	candidates->n = w;

	for (size_t p = 0; p < npatterns; p++) {
		size_t matched = 0;

		for (size_t i = 0; i < candidates->n; i++) {
			const char *name = candidates->v[i];
			bool seen;

			if (fnmatch(patterns[p], name, 0))
				continue;
			matched++;
			/* A name two patterns match is probed once, where it first appeared. */
			seen = false;
			for (size_t j = 0; j < ret->chosen.n && !seen; j++)
				seen = !strcmp(ret->chosen.v[j], name);
			if (seen)
				continue;
			if (ret->chosen.n < limit) {
				r = names_add(&ret->chosen, name, strlen(name));
			} else {
				ret->ncut++;
				if (ret->cut.n < FUNC_CUT_SHOWN)
					r = names_add(&ret->cut, name, strlen(name));
			}
			if (r)
				return r;
		}
		if (!matched)
			ret->unmatched_patterns++;
	}
	return 0;
}

int func_resolve_system(const char *const *patterns, size_t npatterns, size_t limit,
			struct func_resolution *ret)
{
	struct func_names cand = { 0 };
	const char *t = tracefs_path();
	const char *source = NULL;
	char path[256];
	FILE *f = NULL;
	int r;

	if (t) {
		snprintf(path, sizeof(path), "%s/available_filter_functions", t);
		f = fopen(path, "re");
		/* Some kernels list it but refuse the read (lockdown): use kallsyms then. */
		if (f && func_names_from_filter_functions(f, &cand) == 0 && cand.n)
			source = "available_filter_functions";
		if (f)
			fclose(f);
	}
	if (!source) {
		FILE *black = fopen("/sys/kernel/debug/kprobes/blacklist", "re");

		func_names_free(&cand);
		f = fopen("/proc/kallsyms", "re");
		if (!f) {
			r = -errno;
			if (black)
				fclose(black);
			return r;
		}
		r = func_names_from_kallsyms(f, black, &cand);
		fclose(f);
		source = black ? "/proc/kallsyms minus the kprobe blacklist"
			       : "/proc/kallsyms (no kprobe blacklist readable: debugfs not mounted)";
		if (black)
			fclose(black);
		if (r) {
			func_names_free(&cand);
			return r;
		}
	}
	r = func_resolve(patterns, npatterns, limit, &cand, ret);
	ret->source = source;
	func_names_free(&cand);
	return r;
}
