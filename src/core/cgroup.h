/* cgroup.h - who a task belongs to: its cgroup path from /proc/<pid>/cgroup, and the systemd
 * unit, container and Kubernetes pod that path names. Pure text work, no logging; the reading
 * of /proc is one small function beside it. */
#ifndef EM_CGROUP_H
#define EM_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

struct filter_cfg;

/* Which line of /proc/<pid>/cgroup is "the" cgroup of a task. */
enum cg_hierarchy {
	CG_AUTO,    /* name=systemd when the task has it (v1, hybrid), else the unified one */
	CG_SYSTEMD, /* the v1 hierarchy systemd names "name=systemd" only */
	CG_UNIFIED, /* the v2 (unified) hierarchy only: the "0::" line */
};

/* "auto", "systemd" or "unified" into *ret_h. 0, or -EINVAL (ret_h untouched). */
int cg_hierarchy_parse(const char *s, enum cg_hierarchy *ret_h);

/* The path of hierarchy h from text, the contents of /proc/<pid>/cgroup (lines
 * "hierarchy-ID:controller-list:path"; the path is everything after the second ':', so it may
 * hold ':'). A trailing " (deleted)", which the kernel appends for a removed cgroup, is dropped.
 * The path is written to out only on success. 0; -ENOENT when text has no such line (a kernel
 * without name=systemd, a v1-only host asked for the unified one); -ENAMETOOLONG when the path
 * and its NUL do not fit in outlen; -EINVAL for NULL arguments. */
int cg_path_from_proc(const char *text, enum cg_hierarchy h, char *out, size_t outlen);

/* The largest /proc/<pid>/cgroup read: one line per v1 hierarchy (about 13) plus the unified
 * one, each a path of at most a few hundred bytes in practice. */
#define CG_PROC_MAX 16384

/* cg_path_from_proc on the file at path (read whole, up to CG_PROC_MAX bytes). 0; -ESRCH when
 * the file or the process behind it is gone (ENOENT or ESRCH opening or reading it); -EFBIG when
 * the file holds more than CG_PROC_MAX bytes; another -errno from open/read; or what
 * cg_path_from_proc returns. */
int cg_read_file(const char *path, enum cg_hierarchy h, char *out, size_t outlen);

/* The hierarchy ID (the first field) of the line cg_path_from_proc would take from text, as
 * the kernel's cgroup_attach_task tracepoint names it (dst_root; 0 for the unified one):
 * >= 0, -ENOENT when there is none, -EINVAL for NULL. cg_read_hierarchy_id: the same of the
 * file at path (errors as cg_read_file). */
int cg_hierarchy_id(const char *text, enum cg_hierarchy h);
int cg_read_hierarchy_id(const char *path, enum cg_hierarchy h);

/* cg_read_file on /proc/<pid>/cgroup. -EINVAL for pid <= 0. */
int cg_read_pid(int pid, enum cg_hierarchy h, char *out, size_t outlen);

#define CG_UNIT_SIZE 256     /* systemd's UNIT_NAME_MAX: 255 bytes and the NUL */
#define CG_CONTAINER_SIZE 65 /* 64 lowercase hex digits and the NUL */
#define CG_POD_UID_SIZE 37   /* 8-4-4-4-12 hex digits with dashes and the NUL */

/* What a cgroup path says about its task; "" where nothing applies. */
struct cg_attr {
	char unit[CG_UNIT_SIZE];	      /* deepest "*.service" or "*.scope" component */
	char container_id[CG_CONTAINER_SIZE]; /* Docker, containerd, CRI-O, Podman; as in the path */
	char pod_uid[CG_POD_UID_SIZE];	      /* Kubernetes pod UID, with dashes */
};

/* Fills a from a cgroup path (as cg_path_from_proc gives it; NULL is "nothing applies"):
 *  - unit: the deepest component ending in ".service" or ".scope" ("/system.slice/foo.service/
 *    worker" is foo.service; "/user.slice/user-1000.slice/user@1000.service/app.slice/
 *    app-x.scope" is app-x.scope); "" for "/" and for kubepods paths of the cgroupfs driver.
 *  - container_id: 64 lowercase hex digits from the deepest component that is one of
 *    docker-<id>, cri-containerd-<id>, crio-<id>, libpod-<id> (each with or without ".scope":
 *    the systemd and cgroupfs drivers) or a bare <id> (cgroupfs: /docker/<id>,
 *    /kubepods/burstable/pod<uid>/<id>). A container monitor's cgroup (crio-conmon-<id>,
 *    libpod-conmon-<id>, with or without ".scope") is not a container: below it the id is "".
 *    Components below the container's (Podman's "libpod-<id>.scope/container") keep its id.
 *  - pod_uid: from "pod<uid>" below a "kubepods" component (cgroupfs) or a
 *    "...kubepods[-<qos>]-pod<uid>.slice" component (systemd, '_' for '-' in the uid, given
 *    back with '-'). A uid is 8-4-4-4-12 hex digits, or 32 hex digits for a static pod (the
 *    kubelet names those by a hash of their manifest). */
void cg_describe(const char *path, struct cg_attr *a);

/* Whether a task of cgroup path (and a, cg_describe of it) passes f's units, containers and
 * cgroups lists: each list that is not empty must match (the lists are ANDed, the values of one
 * list ORed). units: a->unit is one of them exactly; containers: a->container_id starts with one
 * of them (a full id or a short prefix); cgroups: path is one of them or below one of them, at a
 * component boundary ("/system.slice" holds "/system.slice/x.service", not "/system.slicex").
 * True when the three lists are empty; a NULL a or path matches no non-empty list. */
bool cg_filter_match(const struct cg_attr *a, const char *path, const struct filter_cfg *f);

#endif
