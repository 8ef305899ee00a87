/* func_resolve.h - which kernel functions a func monitor's patterns name: shell wildcards
 * matched against the functions the kernel can trace, in a stable order, cut at a limit. */
#ifndef EM_FUNC_RESOLVE_H
#define EM_FUNC_RESOLVE_H

#include <stddef.h>
#include <stdio.h>

struct func_names {
	char **v; /* owned */
	size_t n, cap;
};

struct func_resolution {
	struct func_names chosen;    /* at most `limit`, in pattern order, each pattern's sorted */
	struct func_names cut;       /* matched but beyond the limit: the first few names */
	size_t ncut;                 /* how many (a name several patterns match counts once per
					pattern beyond the limit) */
	size_t unmatched_patterns;   /* patterns that matched nothing */
	const char *source;          /* where the candidates came from */
};

/* Candidates from tracefs available_filter_functions text ("name" or "name [module]"). */
int func_names_from_filter_functions(FILE *f, struct func_names *ret);
/* Candidates from /proc/kallsyms text symbols, without compiler clones ("x.cold",
 * "x.isra.0"), __pfx_ padding symbols, and names in the kprobe blacklist (FILE may be NULL;
 * lines "0xstart-0xend\tname"). */
int func_names_from_kallsyms(FILE *kallsyms, FILE *blacklist, struct func_names *ret);

/* Sorts and dedups `candidates`; resolves `patterns` (fnmatch) against them. 0 or -errno. */
int func_resolve(const char *const *patterns, size_t npatterns, size_t limit,
		 struct func_names *candidates, struct func_resolution *ret);

/* Reads the running kernel's candidates (available_filter_functions where readable, else
 * kallsyms minus the blacklist) and resolves. */
int func_resolve_system(const char *const *patterns, size_t npatterns, size_t limit,
			struct func_resolution *ret);

void func_names_free(struct func_names *n);
void func_resolution_free(struct func_resolution *r);

#endif
