/* cgroup.c - a task's cgroup path from /proc/<pid>/cgroup and the unit, container and pod it
 * names. The layouts come from the managers that make the paths: systemd (slices, services,
 * scopes), Docker and containerd through runc (docker-<id>.scope, cri-containerd-<id>.scope, or
 * /docker/<id> and a bare <id> with cgroupfs), CRI-O (crio-<id>, crio-conmon-<id>), Podman
 * (libpod-<id>, libpod-conmon-<id>) and the kubelet (kubepods[-<qos>]-pod<uid>.slice, or
 * /kubepods/<qos>/pod<uid>). */
#include "core/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

#define CG_ID_LEN 64	     /* a container ID: 64 lowercase hex digits */
#define CG_UID_LEN 36	     /* a pod UID: 8-4-4-4-12 */
#define CG_STATIC_UID_LEN 32 /* a static pod's UID: an MD5 of its manifest in hex */
#define CG_DELETED " (deleted)"

int cg_hierarchy_parse(const char *s, enum cg_hierarchy *ret_h)
{
	static const char *const
		names[] = { [CG_AUTO] = "auto", [CG_SYSTEMD] = "systemd", [CG_UNIFIED] = "unified" };

	for (size_t i = 0; s && ret_h && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*ret_h = (enum cg_hierarchy)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Whether the controller list [s, s + len) names "name=systemd" (it may share a hierarchy). */
static bool has_systemd(const char *s, size_t len)
{
	static const char want[] = "name=systemd";
	const char *end = s + len;

	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		size_t n = comma ? (size_t)(comma - s) : (size_t)(end - s);

		if (n == sizeof(want) - 1 && !memcmp(s, want, n))
			return true;
		s += n + 1;
	}
	return false;
}

/* One line [line, end) of /proc/<pid>/cgroup: which hierarchy it is, and its path. */
struct cg_line {
	int id; /* the hierarchy ID, the first field */
	bool systemd, unified;
	const char *path;
	size_t len;
};

static bool parse_line(const char *line, const char *end, struct cg_line *ret)
{
	const char *c1 = memchr(line, ':', (size_t)(end - line)), *c2;
	size_t dl = sizeof(CG_DELETED) - 1;

	if (!c1 || c1 == line)
		return false;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (!c2)
		return false;
	for (const char *p = line; p < c1; p++)
		if (*p < '0' || *p > '9')
			return false;
	ret->id = atoi(line);
	ret->unified = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
	ret->systemd = has_systemd(c1 + 1, (size_t)(c2 - c1 - 1));
	ret->path = c2 + 1;
	ret->len = (size_t)(end - ret->path);
	if (ret->len > dl && !memcmp(end - dl, CG_DELETED, dl))
		ret->len -= dl;
	return ret->len > 0;
}

/* The line of text that hierarchy h picks; -ENOENT when there is none. */
static int pick_line(const char *text, enum cg_hierarchy h, struct cg_line *ret)
{
	struct cg_line systemd = { 0 }, unified = { 0 }, *want;

	while (*text) {
		const char *nl = strchr(text, '\n');
		const char *end = nl ? nl : text + strlen(text);
		struct cg_line l;

		if (parse_line(text, end, &l)) {
			if (l.systemd && !systemd.path)
				systemd = l;
			if (l.unified && !unified.path)
				unified = l;
		}
		text = nl ? nl + 1 : end;
	}
	switch (h) {
	case CG_SYSTEMD:
		want = &systemd;
		break;
	case CG_UNIFIED:
		want = &unified;
		break;
	default:
		want = systemd.path ? &systemd : &unified;
		break;
	}
	if (!want->path)
		return -ENOENT;
	*ret = *want;
	return 0;
}

int cg_path_from_proc(const char *text, enum cg_hierarchy h, char *out, size_t outlen)
{
	struct cg_line l;
	int r;

	if (!text || !out)
		return -EINVAL;
	r = pick_line(text, h, &l);
	if (r)
		return r;
	if (l.len >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, l.path, l.len);
	out[l.len] = '\0';
	return 0;
}

int cg_hierarchy_id(const char *text, enum cg_hierarchy h)
{
	struct cg_line l;
	int r;

	if (!text)
		return -EINVAL;
	r = pick_line(text, h, &l);
	return r ? r : l.id;
}

/* The whole file at path into buf (CG_PROC_MAX + 1 bytes), NUL-terminated: 0 or -errno, as
 * cg_read_file says. */
static int read_text(const char *path, char *buf)
{
	size_t n = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	/* one read() is the whole file in practice; read to EOF all the same */
	for (;;) {
		ssize_t got = read(fd, buf + n, CG_PROC_MAX + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
			break;
		}
		if (!got)
			break;
		n += (size_t)got;
		if (n == CG_PROC_MAX + 1) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (!r)
		buf[n] = '\0';
	return r;
}

int cg_read_file(const char *path, enum cg_hierarchy h, char *out, size_t outlen)
{
	char buf[CG_PROC_MAX + 1];
	int r;

	if (!path || !out)
		return -EINVAL;
	r = read_text(path, buf);
	return r ? r : cg_path_from_proc(buf, h, out, outlen);
}

int cg_read_hierarchy_id(const char *path, enum cg_hierarchy h)
{
	char buf[CG_PROC_MAX + 1];
	int r;

	if (!path)
		return -EINVAL;
	r = read_text(path, buf);
	return r ? r : cg_hierarchy_id(buf, h);
}

int cg_read_pid(int pid, enum cg_hierarchy h, char *out, size_t outlen)
{
	char path[32];

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	return cg_read_file(path, h, out, outlen);
}

/* ---- what a path names ---- */

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

static bool is_lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A pod UID [s, s + len) with sep between its groups (8-4-4-4-12), or a static pod's 32 hex
 * digits; copied to ret with '-' between the groups. */
static bool take_uid(const char *s, size_t len, char sep, char ret[CG_POD_UID_SIZE])
{
	size_t i;

	if (len == CG_STATIC_UID_LEN) {
		for (i = 0; i < len; i++)
			if (!is_hex(s[i]))
				return false;
	} else if (len == CG_UID_LEN) {
		for (i = 0; i < len; i++) {
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;

			if (dash ? s[i] != sep : !is_hex(s[i]))
				return false;
		}
	} else {
		return false;
	}
	for (i = 0; i < len; i++)
		ret[i] = s[i] == sep ? '-' : s[i];
	ret[len] = '\0';
	return true;
}

/* The pod UID of a systemd pod slice: "kubepods-pod<uid>.slice",
 * "kubepods-<qos>-pod<uid>.slice" (and "kubelet-kubepods-..." when the kubelet has a cgroup root
 * of its own); systemd separates the levels of a slice name with '-', so the uid has '_'. */
static bool systemd_pod(const char *s, size_t len, char ret[CG_POD_UID_SIZE])
{
	const char *seg;
	size_t stem, i;

	if (!ends_with(s, len, ".slice"))
		return false;
	stem = len - (sizeof(".slice") - 1);
	for (i = stem; i > 0 && s[i - 1] != '-'; i--)
		;
	seg = s + i;
	if (i == 0 || !starts_with(seg, stem - i, "pod"))
		return false;
	/* one of the levels above is kubepods */
	for (const char *p = s; p < s + i; p += strcspn(p, "-") + 1)
		if (starts_with(p, (size_t)(s + i - p), "kubepods-"))
			return take_uid(seg + 3, stem - i - 3, '_', ret);
	return false;
}

/* A component that is a container: [prefix]<64 lowercase hex>[.scope]. 1 with the id copied
 * to ret; -1 for a container monitor's (conmon) cgroup; 0 for anything else. */
static int container_component(const char *s, size_t len, char ret[CG_CONTAINER_SIZE])
{
	static const char *const conmon[] = { "crio-conmon-", "libpod-conmon-" };
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	size_t i;

	if (ends_with(s, len, ".scope"))
		len -= sizeof(".scope") - 1;
	for (i = 0; i < sizeof(conmon) / sizeof(conmon[0]); i++)
		if (starts_with(s, len, conmon[i]))
			return -1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (len == n + CG_ID_LEN && starts_with(s, len, prefixes[i])) {
			s += n;
			len -= n;
			break;
		}
	}
	if (len != CG_ID_LEN || !is_lower_hex(s, len))
		return 0;
	memcpy(ret, s, CG_ID_LEN);
	ret[CG_ID_LEN] = '\0';
	return 1;
}

static bool is_unit(const char *s, size_t len)
{
	return (ends_with(s, len, ".service") && len > sizeof(".service") - 1) ||
	       (ends_with(s, len, ".scope") && len > sizeof(".scope") - 1);
}

void cg_describe(const char *path, struct cg_attr *a)
{
	bool kubepods = false;

	if (!a)
		return;
	memset(a, 0, sizeof(*a));
	if (!path)
		return;
	while (*path) {
		size_t len = strcspn(path, "/");
		char uid[CG_POD_UID_SIZE];
		int c;

		if (len && is_unit(path, len) && len < sizeof(a->unit)) {
			memcpy(a->unit, path, len);
			a->unit[len] = '\0';
		}
		c = container_component(path, len, a->container_id);
		if (c < 0)
			a->container_id[0] = '\0';
		if (kubepods && starts_with(path, len, "pod") &&
		    take_uid(path + 3, len - 3, '-', uid))
			memcpy(a->pod_uid, uid, sizeof(uid));
		else if (systemd_pod(path, len, uid))
			memcpy(a->pod_uid, uid, sizeof(uid));
		/* the cgroupfs driver's root, and kind's "kubelet/kubepods" */
		if (len >= 8 && memmem(path, len, "kubepods", 8))
			kubepods = true;
		path += len;
		if (*path == '/')
			path++;
	}
}

/* ---- filters ---- */

static bool unit_match(const struct filter_cfg *f, const char *unit)
{
	for (size_t i = 0; i < f->nunits; i++)
		if (!strcmp(f->units[i], unit))
			return true;
	return false;
}

static bool container_match(const struct filter_cfg *f, const char *id)
{
	if (!*id)
		return false;
	for (size_t i = 0; i < f->ncontainers; i++)
		if (!strncmp(f->containers[i], id, strlen(f->containers[i])))
			return true;
	return false;
}

static bool cgroup_match(const struct filter_cfg *f, const char *path)
{
	for (size_t i = 0; i < f->ncgroups; i++) {
		const char *p = f->cgroups[i];
		size_t n = strlen(p);

		/* "/" holds every path; "/a" holds "/a" and "/a/..." */
		if (n == 1 && p[0] == '/' && path[0] == '/')
			return true;
		if (!strncmp(p, path, n) && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

bool cg_filter_match(const struct cg_attr *a, const char *path, const struct filter_cfg *f)
{
	if (!f)
		return true;
	if (f->nunits && (!a || !unit_match(f, a->unit)))
		return false;
	if (f->ncontainers && (!a || !container_match(f, a->container_id)))
		return false;
	if (f->ncgroups && (!path || !cgroup_match(f, path)))
		return false;
	return true;
}
