/* attrib.h - attribution's records (probes/common.h's EM_ATTRIB part), shared with user space
 * (src/monitors/attrib.c).
 *
 * A probe keys what it counts by a "who" value: the attribution class of the current process
 * (an id user space gave the process's cgroup, < EM_WHO_TGID), or, while the process has none
 * in em_who_of, EM_WHO_TGID | its tgid, which user space resolves when it reads the key. */
#ifndef EM_PROBE_ATTRIB_H
#define EM_PROBE_ATTRIB_H

#define EM_WHO_TGID 0x80000000u /* the rest is a tgid still to be resolved */
#define EM_WHO_SKIP \
	0x40000000u		 /* in em_who_of: the class is filtered out (filters.units,
				    containers, cgroups): the probe does not count the event */
#define EM_WHO_CLASS 0x3fffffffu /* the class bits */
#define EM_MOVED_N 16		 /* moved tasks noted per CPU between two reads by user space */

/* Per CPU: tasks that moved to another cgroup of the hierarchy since user space last read
 * (and cleared) this; their em_who_of entries are gone until user space resolves them. */
struct em_moved {
	__u32 n;
	__u32 pid[EM_MOVED_N];
	__u32 pad;
};

#endif
