/* filter.c - which tasks a monitor sees: the pids, uids, task names, units, containers and cgroups
 * of a `filters:` section, with the same rules for the config file and the command line. */
#include "core/filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/ydoc.h"

#define FILTER_PID_MAX 4194304	  /* PID_MAX_LIMIT: pid_max cannot be raised above it */
#define FILTER_UID_MAX 4294967294 /* (uid_t)-1 means "no user" */
#define FILTER_COMM_MAX 15	  /* TASK_COMM_LEN - 1: the kernel cuts task names there */
#define FILTER_ID_MIN 4		  /* a container ID prefix: 4 hex digits, as short as is useful */
#define FILTER_ID_MAX 64
#define STR_(x) #x
#define STR(x) STR_(x)

/* clang-format off */
const char *const filter_keys[] = {
	[FK_PIDS] = "pids",
	[FK_UIDS] = "uids",
	[FK_COMMS] = "comms",
	[FK_EXCLUDE_COMMS] = "exclude_comms",
	[FK_UNITS] = "units",
	[FK_CONTAINERS] = "containers",
	[FK_CGROUPS] = "cgroups",
	[FK_EXCLUDE_SELF] = "exclude_self",
	[FK_COUNT] = NULL,
};
/* clang-format on */

static const char *const filter_expected[] = {
	[FK_PIDS] = "a process ID in 1.." STR(FILTER_PID_MAX),
	[FK_UIDS] = "a user ID in 0.." STR(FILTER_UID_MAX),
	[FK_COMMS] = "a task name of 1 to " STR(FILTER_COMM_MAX) " bytes",
	[FK_EXCLUDE_COMMS] = "a task name of 1 to " STR(FILTER_COMM_MAX) " bytes",
	[FK_UNITS] = "a systemd unit name ending in .service or .scope, of at most 255 bytes",
	[FK_CONTAINERS] = "a container ID or its prefix: " STR(FILTER_ID_MIN) " to " STR(
		FILTER_ID_MAX) " lowercase hex digits",
	[FK_CGROUPS] = "a cgroup path starting with '/', of at most 255 bytes",
};

static const char *const filter_list_expected[] = {
	[FK_PIDS] = "a process ID or a list of them",
	[FK_UIDS] = "a user ID or a list of them",
	[FK_COMMS] = "a task name or a list of them",
	[FK_EXCLUDE_COMMS] = "a task name or a list of them",
	[FK_UNITS] = "a unit name or a list of them",
	[FK_CONTAINERS] = "a container ID or a list of them",
	[FK_CGROUPS] = "a cgroup path or a list of them",
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
	case FK_UNITS:
		return &f->nunits;
	case FK_CONTAINERS:
		return &f->ncontainers;
	case FK_CGROUPS:
		return &f->ncgroups;
	default:
		return &f->nexclude_comms;
	}
}

/* How many values the list fk holds at most. */
static int filter_max(int fk)
{
	return fk == FK_UNITS || fk == FK_CONTAINERS || fk == FK_CGROUPS ? FILTER_CG_MAX :
									   FILTER_MAX;
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

/* Adds the len bytes of name to the list of max strings of size bytes each at base. */
static int add_str(char *base, size_t size, size_t *n, size_t max, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strncmp(base + i * size, name, len) && !base[i * size + len])
			return 0;
	if (*n == max)
		return -E2BIG;
	/* NUL-padded: the probes look up all 16 bytes of a task name */
	memset(base + *n * size, 0, size);
	memcpy(base + *n * size, name, len);
	(*n)++;
	return 0;
}

static bool is_unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(":-_.\\@", c));
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && !memcmp(s + len - n, suffix, n);
}

/* A unit name as systemd allows it (letters, digits and :-_.\@, at most 255 bytes), of a type a
 * task's cgroup can be: a service or a scope (of any type when any_type). */
static bool unit_ok(const char *s, size_t len, bool any_type)
{
	if (!len || len >= FILTER_UNIT_SIZE)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_unit_char(s[i]))
			return false;
	return any_type || has_suffix(s, len, ".service") || has_suffix(s, len, ".scope");
}

static bool id_ok(const char *s, size_t len)
{
	if (len < FILTER_ID_MIN || len > FILTER_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A cgroup path: '/' first, no empty, "." or ".." components, no control bytes; *len loses a
 * trailing '/' ("/system.slice/" is "/system.slice"; "/" stays). */
static bool cgroup_ok(const char *s, size_t *len)
{
	size_t i;

	if (!*len || s[0] != '/')
		return false;
	while (*len > 1 && s[*len - 1] == '/')
		(*len)--;
	if (*len >= FILTER_CGROUP_SIZE)
		return false;
	for (i = 0; i < *len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	for (i = 1; i < *len;) {
		size_t c = 0;

		while (i + c < *len && s[i + c] != '/')
			c++;
		if (!c || (c == 1 && s[i] == '.') || (c == 2 && s[i] == '.' && s[i + 1] == '.'))
			return false;
		i += c + 1;
	}
	return true;
}

/* What to write instead of an invalid units/containers/cgroups value, where a guess is safe:
 * "nginx" -> "nginx.service", "user-1000.slice" -> its cgroup, "ABC1" -> "abc1",
 * "docker://<id>" -> "<id>", "system.slice/x" -> "/system.slice/x". "" when none. */
static void hint(int fk, const char *text, size_t len, char *buf, size_t size)
{
	char try[FILTER_CGROUP_SIZE + 16], shown[SHOWN_SIZE];
	const char *sep = strstr(text, "://");
	size_t n, o = 0;

	buf[0] = '\0';
	if (len >= FILTER_CGROUP_SIZE)
		return;
	if (fk == FK_UNITS && unit_ok(text, len, true) && has_suffix(text, len, ".slice")) {
		/* a slice holds units, no task's own: "a-b.slice" is the cgroup /a.slice/a-b.slice */
		n = len - strlen(".slice");
		for (size_t i = 0; i <= n && o < sizeof(try); i++) {
			if (i < n && text[i] != '-')
				continue;
			o += (size_t)snprintf(try + o, sizeof(try) - o, "/%.*s.slice", (int)i,
					      text);
		}
		if (!strcmp(text, "-.slice"))
			snprintf(try, sizeof(try), "/");
		if (o >= sizeof(try))
			return;
		snprintf(buf, size, " (a slice is not a task's unit: use cgroups: '%s')",
			 ydoc_shown_str(try, shown, sizeof(shown)));
		return;
	}
	if (fk == FK_UNITS && unit_ok(text, len, true) && !memchr(text, '.', len)) {
		snprintf(try, sizeof(try), "%s.service", text);
		if (unit_ok(try, strlen(try), false))
			snprintf(buf, size, " (use '%s')",
				 ydoc_shown_str(try, shown, sizeof(shown)));
		return;
	}
	if (fk == FK_CONTAINERS) {
		const char *id = sep ? sep + 3 : text;

		n = strlen(id);
		for (size_t i = 0; i < n && i < sizeof(try) - 1; i++)
			try[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] - 'A' + 'a' : id[i]);
		try[n < sizeof(try) - 1 ? n : sizeof(try) - 1] = '\0';
		if (id_ok(try, strlen(try)))
			snprintf(buf, size, " (use '%s')",
				 ydoc_shown_str(try, shown, sizeof(shown)));
		return;
	}
	if (fk == FK_CGROUPS && len && text[0] != '/') {
		snprintf(try, sizeof(try), "/%s", text);
		n = strlen(try);
		if (cgroup_ok(try, &n)) {
			try[n] = '\0';
			snprintf(buf, size, " (use '%s')",
				 ydoc_shown_str(try, shown, sizeof(shown)));
		}
	}
}

/* A units, containers or cgroups value: checked, then added. */
static int add_cgroup_value(struct filter_cfg *f, int fk, const char *text, size_t len)
{
	switch (fk) {
	case FK_UNITS:
		if (!unit_ok(text, len, false))
			return -EINVAL;
		return add_str(f->units[0], sizeof(f->units[0]), &f->nunits, FILTER_CG_MAX, text,
			       len);
	case FK_CONTAINERS:
		if (!id_ok(text, len))
			return -EINVAL;
		return add_str(f->containers[0], sizeof(f->containers[0]), &f->ncontainers,
			       FILTER_CG_MAX, text, len);
	default:
		if (!cgroup_ok(text, &len))
			return -EINVAL;
		return add_str(f->cgroups[0], sizeof(f->cgroups[0]), &f->ncgroups, FILTER_CG_MAX,
			       text, len);
	}
}

int config_filter_add(struct filter_cfg *f, const char *key, const char *text, char *err,
		      size_t errlen)
{
	int fk = filter_key(key);
	char got[SHOWN_SIZE], first[SHOWN_SIZE], more[SHOWN_SIZE + 64], ignored[1];
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
	if (fk == FK_UNITS || fk == FK_CONTAINERS || fk == FK_CGROUPS) {
		r = add_cgroup_value(f, fk, text, len);
		if (r != -EINVAL)
			goto out;
		hint(fk, text, len, more, sizeof(more));
		snprintf(err, errlen, "expected %s, got '%s'%s", filter_expected[fk], got, more);
		return -EINVAL;
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
	r = add_str(fk == FK_COMMS ? f->comms[0] : f->exclude_comms[0], sizeof(f->comms[0]),
		    filter_count(f, fk), FILTER_MAX, text, len);
out:
	if (r == -E2BIG)
		snprintf(err, errlen, "more than %d values (a filter holds at most %d)",
			 filter_max(fk), filter_max(fk));
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
	if (n > (size_t)filter_max(fk))
		return ydoc_fail(d, v, -EINVAL, err, errlen,
				 "%s: expected at most %d entries, got %zu", path, filter_max(fk),
				 n);
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
	if (set & (1u << FK_UNITS)) {
		memcpy(dst->units, src->units, sizeof(dst->units));
		dst->nunits = src->nunits;
	}
	if (set & (1u << FK_CONTAINERS)) {
		memcpy(dst->containers, src->containers, sizeof(dst->containers));
		dst->ncontainers = src->ncontainers;
	}
	if (set & (1u << FK_CGROUPS)) {
		memcpy(dst->cgroups, src->cgroups, sizeof(dst->cgroups));
		dst->ncgroups = src->ncgroups;
	}
	if (set & (1u << FK_EXCLUDE_SELF))
		dst->exclude_self = src->exclude_self;
}

/* The n strings of size bytes each at a and b are the same. */
static bool strs_equal(const char *a, const char *b, size_t size, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(a + i * size, b + i * size, size))
			return false;
	return true;
}

bool filter_equal(const struct filter_cfg *a, const struct filter_cfg *b)
{
	if (a->npids != b->npids || a->nuids != b->nuids || a->ncomms != b->ncomms ||
	    a->nexclude_comms != b->nexclude_comms || a->nunits != b->nunits ||
	    a->ncontainers != b->ncontainers || a->ncgroups != b->ncgroups ||
	    a->exclude_self != b->exclude_self)
		return false;
	return !memcmp(a->pids, b->pids, a->npids * sizeof(a->pids[0])) &&
	       !memcmp(a->uids, b->uids, a->nuids * sizeof(a->uids[0])) &&
	       !memcmp(a->comms, b->comms, a->ncomms * sizeof(a->comms[0])) &&
	       !memcmp(a->exclude_comms, b->exclude_comms,
		       a->nexclude_comms * sizeof(a->exclude_comms[0])) &&
	       strs_equal(a->units[0], b->units[0], sizeof(a->units[0]), a->nunits) &&
	       strs_equal(a->containers[0], b->containers[0], sizeof(a->containers[0]),
			  a->ncontainers) &&
	       strs_equal(a->cgroups[0], b->cgroups[0], sizeof(a->cgroups[0]), a->ncgroups);
}
