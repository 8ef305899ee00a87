/* filter.c - which tasks a monitor sees: the pids, uids and task names of a `filters:` section,
 * with the same rules for the config file and the command line. */
#include "core/filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/ydoc.h"

#define FILTER_PID_MAX 4194304	  /* PID_MAX_LIMIT: pid_max cannot be raised above it */
#define FILTER_UID_MAX 4294967294 /* (uid_t)-1 means "no user" */
#define FILTER_COMM_MAX 15	  /* TASK_COMM_LEN - 1: the kernel cuts task names there */
#define STR_(x) #x
#define STR(x) STR_(x)

const char *const filter_keys[] = {
	[FK_PIDS] = "pids",
	[FK_UIDS] = "uids",
	[FK_COMMS] = "comms",
	[FK_EXCLUDE_COMMS] = "exclude_comms",
	[FK_EXCLUDE_SELF] = "exclude_self",
	[FK_COUNT] = NULL,
};

static const char *const filter_expected[] = {
	[FK_PIDS] = "a process ID in 1.." STR(FILTER_PID_MAX),
	[FK_UIDS] = "a user ID in 0.." STR(FILTER_UID_MAX),
	[FK_COMMS] = "a task name of 1 to " STR(FILTER_COMM_MAX) " bytes",
	[FK_EXCLUDE_COMMS] = "a task name of 1 to " STR(FILTER_COMM_MAX) " bytes",
};

static const char *const filter_list_expected[] = {
	[FK_PIDS] = "a process ID or a list of them",
	[FK_UIDS] = "a user ID or a list of them",
	[FK_COMMS] = "a task name or a list of them",
	[FK_EXCLUDE_COMMS] = "a task name or a list of them",
};

int filter_key(const char *key)
{
	int i;

	for (i = 0; key && filter_keys[i]; i++)
		if (!strcmp(key, filter_keys[i]))
			return i;
	return -1;
}

/* The list `fk` of f (not FK_EXCLUDE_SELF). */
static size_t *filter_count(struct filter_cfg *f, int fk)
{
	switch (fk) {
	case FK_PIDS:
		return &f->npids;
	case FK_UIDS:
		return &f->nuids;
	case FK_COMMS:
		return &f->ncomms;
	default:
		return &f->nexclude_comms;
	}
}

static int add_id(unsigned *ids, size_t *n, unsigned id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (ids[i] == id)
			return 0;
	if (*n == FILTER_MAX)
		return -E2BIG;
	ids[(*n)++] = id;
	return 0;
}

static int add_comm(char (*comms)[16], size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(comms[i], name))
			return 0;
	if (*n == FILTER_MAX)
		return -E2BIG;
	/* NUL-padded: the probes look up all 16 bytes */
	memset(comms[*n], 0, sizeof(comms[*n]));
	memcpy(comms[*n], name, strlen(name));
	(*n)++;
	return 0;
}

int config_filter_add(struct filter_cfg *f, const char *key, const char *text, char *err,
		      size_t errlen)
{
	int fk = filter_key(key);
	char got[SHOWN_SIZE], first[SHOWN_SIZE], ignored[1];
	long long x;
	size_t len;
	int r;

	if (!err || !errlen) {
		err = ignored;
		errlen = sizeof(ignored);
	}
	if (!f || !text || fk < 0 || fk == FK_EXCLUDE_SELF) {
		snprintf(err, errlen, "not a filter list: %s", key ? key : "(null)");
		return -ENOENT;
	}
	len = strlen(text);
	ydoc_shown(text, len, got, sizeof(got));
	if (fk == FK_PIDS || fk == FK_UIDS) {
		long long lo = fk == FK_PIDS ? 1 : 0;
		long long hi = fk == FK_PIDS ? FILTER_PID_MAX : (long long)FILTER_UID_MAX;

		if (opt_parse_ll(text, &x) || x < lo || x > hi)
			goto err_invalid;
		r = add_id(fk == FK_PIDS ? f->pids : f->uids, filter_count(f, fk), (unsigned)x);
		goto out;
	}
	if (len > FILTER_COMM_MAX) {
		ydoc_shown(text, FILTER_COMM_MAX, first, sizeof(first));
		snprintf(err, errlen,
			 "expected %s, got '%s' (the kernel keeps only the first %d bytes of "
			 "a task name: use '%s')",
			 filter_expected[fk], got, FILTER_COMM_MAX, first);
		return -EINVAL;
	}
	if (!len)
		goto err_invalid;
	r = add_comm(fk == FK_COMMS ? f->comms : f->exclude_comms, filter_count(f, fk), text);
out:
	if (r == -E2BIG)
		snprintf(err, errlen, "more than %d values (a filter holds at most %d)", FILTER_MAX,
			 FILTER_MAX);
	return r;

err_invalid:
	snprintf(err, errlen, "expected %s, got '%s'", filter_expected[fk], got);
	return -EINVAL;
}

int filter_set_list(struct filter_cfg *f, int fk, struct ydoc *d, size_t vi, const char *path,
		    char *err, size_t errlen)
{
	const struct ynode *v = ydoc_node(d, vi);
	const size_t *items = &vi;
	size_t i, n = 1;
	char ipath[PATH_SIZE], why[512];

	if (v->kind == Y_MAP)
		return ydoc_fail_type(d, v, path, filter_list_expected[fk], err, errlen);
	if (v->kind == Y_SEQ) {
		items = v->kids;
		n = v->nkids;
	} else if (v->null) {
		n = 0;
	}
	if (n > FILTER_MAX)
		return ydoc_fail(d, v, -EINVAL, err, errlen,
				 "%s: expected at most %d entries, got %zu", path, FILTER_MAX, n);
	*filter_count(f, fk) = 0; /* the file's list replaces the one before */
	for (i = 0; i < n; i++) {
		const struct ynode *item = ydoc_node(d, items[i]);
		int r;

		if (v->kind == Y_SEQ)
			snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		else
			snprintf(ipath, sizeof(ipath), "%s", path);
		if (!ydoc_is_value(item))
			return ydoc_fail_type(d, item, ipath, filter_expected[fk], err, errlen);
		r = config_filter_add(f, filter_keys[fk], item->text, why, sizeof(why));
		if (r)
			return ydoc_fail(d, item, r, err, errlen, "%s: %s", ipath, why);
	}
	return 0;
}

void filter_override(struct filter_cfg *dst, const struct filter_cfg *src, unsigned set)
{
	if (set & (1u << FK_PIDS)) {
		memcpy(dst->pids, src->pids, sizeof(dst->pids));
		dst->npids = src->npids;
	}
	if (set & (1u << FK_UIDS)) {
		memcpy(dst->uids, src->uids, sizeof(dst->uids));
		dst->nuids = src->nuids;
	}
	if (set & (1u << FK_COMMS)) {
		memcpy(dst->comms, src->comms, sizeof(dst->comms));
		dst->ncomms = src->ncomms;
	}
	if (set & (1u << FK_EXCLUDE_COMMS)) {
		memcpy(dst->exclude_comms, src->exclude_comms, sizeof(dst->exclude_comms));
		dst->nexclude_comms = src->nexclude_comms;
	}
	if (set & (1u << FK_EXCLUDE_SELF))
		dst->exclude_self = src->exclude_self;
}

bool filter_equal(const struct filter_cfg *a, const struct filter_cfg *b)
{
	if (a->npids != b->npids || a->nuids != b->nuids || a->ncomms != b->ncomms ||
	    a->nexclude_comms != b->nexclude_comms || a->exclude_self != b->exclude_self)
		return false;
	return !memcmp(a->pids, b->pids, a->npids * sizeof(a->pids[0])) &&
	       !memcmp(a->uids, b->uids, a->nuids * sizeof(a->uids[0])) &&
	       !memcmp(a->comms, b->comms, a->ncomms * sizeof(a->comms[0])) &&
	       !memcmp(a->exclude_comms, b->exclude_comms,
		       a->nexclude_comms * sizeof(a->exclude_comms[0]));
}
