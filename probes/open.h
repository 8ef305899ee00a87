/* open.h - the open monitor's in-flight record, map key and value, shared with
 * src/monitors/open.c; with OPEN_ROW_HELPERS defined, also the user-space helpers that turn a
 * drained key and value into row text (here so unit tests reach them without libbcc). */
#ifndef EM_PROBE_OPEN_H
#define EM_PROBE_OPEN_H

#define OPEN_PATH_LEN 256 /* bytes read of the path, terminator included */

/* Which syscall: the row's `operation`. */
enum open_op { OPEN_OP_OPEN = 0, OPEN_OP_OPENAT = 1, OPEN_OP_OPENAT2 = 2, OPEN_NOPS };

/* Errno buckets of struct open_value; anything else lands in OPEN_E_OTHER. */
enum open_errno_bucket {
	OPEN_E_NOENT,
	OPEN_E_ACCES,
	OPEN_E_PERM,
	OPEN_E_EXIST,
	OPEN_E_NOTDIR,
	OPEN_E_ISDIR,
	OPEN_E_LOOP,
	OPEN_E_MFILE,
	OPEN_E_NFILE,
	OPEN_E_OTHER,
	OPEN_NERRNO
};

/* sys_enter -> sys_exit, keyed by thread id: what the call was given, not yet the path (read
 * at the exit, once the kernel has copied it and faulted its page in). */
struct open_start {
	__u64 ts_ns;	/* bpf_ktime_get_ns() at entry */
	__u64 flags;	/* open(2)/openat(2) flags, or open_how.flags for openat2(2) */
	__u64 path_ptr; /* the user's pointer */
	__u8 op;	/* enum open_op */
	__u8 pad[7];
};

/* Every byte is set by the probe (the map compares all of them). */
struct open_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u8 op;
	__u8 truncated;
	__u16 pad;
	__u64 flags;
	char comm[16];
	char filename[OPEN_PATH_LEN];
};

/* Per CPU; user space merges the CPUs. Every counted call has a matching entry, so the
 * latency fields cover `count` calls. */
struct open_value {
	__u64 count;
	__u64 errors; /* returns < 0 */
	__u64 lat_sum_ns;
	__u64 lat_min_ns; /* meaningful when count > 0 */
	__u64 lat_max_ns;
	__u32 err[OPEN_NERRNO]; /* errors per enum open_errno_bucket */
	__u32 other_errno;	/* the last errno counted in OPEN_E_OTHER */
	__u32 pad;
};

#ifdef OPEN_ROW_HELPERS
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Angle brackets: the probe embedder inlines every quoted include, even in this block. */
#include <flags.h>

/* The probe's numbers are the kernel's; <errno.h> agrees on x86_64 and aarch64. */
static const int open_bucket_errno[OPEN_NERRNO] = {
	[OPEN_E_NOENT] = ENOENT, [OPEN_E_ACCES] = EACCES,   [OPEN_E_PERM] = EPERM,
	[OPEN_E_EXIST] = EEXIST, [OPEN_E_NOTDIR] = ENOTDIR, [OPEN_E_ISDIR] = EISDIR,
	[OPEN_E_LOOP] = ELOOP,	 [OPEN_E_MFILE] = EMFILE,   [OPEN_E_NFILE] = ENFILE,
	[OPEN_E_OTHER] = 0,
};

static inline const char *open_op_name(unsigned op)
{
	static const char *const names[OPEN_NOPS] = { "open", "openat", "openat2" };

	return op < OPEN_NOPS ? names[op] : "?";
}

/* Adds one CPU's value to *sum; a CPU that counted nothing leaves the minimum alone. */
static inline void open_value_merge(struct open_value *sum, const struct open_value *cpu)
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

/* The most frequent errno (the earlier bucket on a tie), positive; 0 without errors. The
 * "other" bucket is named by the last such errno seen. */
static inline int open_top_errno(const struct open_value *v)
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
static inline size_t open_utf8_whole(const char *s, size_t n)
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

/* The path as the row shows it: a truncated one ends with "..." (after whole characters).
 * Writes like snprintf; returns the length the text needs. */
static inline int open_filename_text(const struct open_key *k, char *buf, size_t len)
{
	size_t n = strnlen(k->filename, sizeof(k->filename));

	if (!k->truncated)
		return snprintf(buf, len, "%.*s", (int)n, k->filename);
	return snprintf(buf, len, "%.*s...", (int)open_utf8_whole(k->filename, n), k->filename);
}

/* open_flags_fmt() for the low 32 bits; openat2's upper bits (never valid) as hex. */
static inline int open_flags_text(__u64 flags, char *buf, size_t len)
{
	int n = open_flags_fmt((unsigned)flags, buf, len);

	if (flags >> 32) {
		size_t room = (size_t)n < len ? len - (size_t)n : 0;

		n += snprintf(room ? buf + n : NULL, room, "|0x%llx",
			      (unsigned long long)(flags & ~0xffffffffull));
	}
	return n;
}
#endif /* OPEN_ROW_HELPERS */

#endif
