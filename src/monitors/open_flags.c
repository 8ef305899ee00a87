/* open_flags.c - the open monitor's text for raw kernel values: open(2) flags and errno names. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "monitors/open_flags.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The kernel's values (include/uapi/asm-generic/fcntl.h, octal), not the C library's: glibc
 * defines O_LARGEFILE as 0 for 64-bit programs, yet the kernel adds it to every open of a
 * 64-bit process (force_o_largefile), and an event carries what the kernel saw.
 */
#define KO_ACCMODE 00000003
#define KO_RDONLY 00000000
#define KO_WRONLY 00000001
#define KO_RDWR 00000002
#define KO_CREAT 00000100
#define KO_EXCL 00000200
#define KO_NOCTTY 00000400
#define KO_TRUNC 00001000
#define KO_APPEND 00002000
#define KO_NONBLOCK 00004000
#define KO_DSYNC 00010000
#define KO_ASYNC 00020000 /* FASYNC */
#if defined(__aarch64__)
/* arch/arm64/include/uapi/asm/fcntl.h moves these four (as 32-bit arm has them). */
#define KO_DIRECTORY 00040000
#define KO_NOFOLLOW 00100000
#define KO_DIRECT 00200000
#define KO_LARGEFILE 00400000
#else
#define KO_DIRECT 00040000
#define KO_LARGEFILE 00100000
#define KO_DIRECTORY 00200000
#define KO_NOFOLLOW 00400000
#endif
#define KO_NOATIME 01000000
#define KO_CLOEXEC 02000000
#define KO___SYNC 04000000 /* O_SYNC is __O_SYNC | O_DSYNC */
#define KO_PATH 010000000
#define KO___TMPFILE 020000000 /* O_TMPFILE is __O_TMPFILE | O_DIRECTORY */

static const struct open_flag {
	unsigned bit;
	const char *name;
} open_flags[] = {
	{ KO_CREAT, "O_CREAT" },	 { KO_EXCL, "O_EXCL" },
	{ KO_NOCTTY, "O_NOCTTY" },	 { KO_TRUNC, "O_TRUNC" },
	{ KO_APPEND, "O_APPEND" },	 { KO_NONBLOCK, "O_NONBLOCK" },
	{ KO_DSYNC, "O_DSYNC" },	 { KO_ASYNC, "O_ASYNC" },
	{ KO_DIRECT, "O_DIRECT" },	 { KO_LARGEFILE, "O_LARGEFILE" },
	{ KO_DIRECTORY, "O_DIRECTORY" }, { KO_NOFOLLOW, "O_NOFOLLOW" },
	{ KO_NOATIME, "O_NOATIME" },	 { KO_CLOEXEC, "O_CLOEXEC" },
	{ KO___SYNC, "O_SYNC" },	 { KO___TMPFILE, "O_TMPFILE" },
};

/* Appends to a buffer with snprintf's contract; pos counts what the whole text needs. */
struct text {
	char *buf;
	size_t len;
	size_t pos;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	size_t room = t->pos < t->len ? t->len - t->pos : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? t->buf + t->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->pos += (size_t)n;
}

int open_flags_fmt(unsigned flags, char *buf, size_t len)
{
	static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	struct text t = { buf, len, 0 };
	unsigned rest = flags;

	/* With O_PATH the access mode means nothing; stray mode bits then show as hex. */
	if (flags & KO_PATH) {
		text_add(&t, "O_PATH");
		rest &= ~KO_PATH;
	} else {
		text_add(&t, "%s", modes[flags & KO_ACCMODE]);
		rest &= ~KO_ACCMODE;
	}
	/* The composite flags are printed by their own name only: O_SYNC, not O_DSYNC|O_SYNC. */
	if (rest & KO___SYNC)
		rest &= ~KO_DSYNC;
	if (rest & KO___TMPFILE)
		rest &= ~KO_DIRECTORY;
	for (size_t i = 0; i < ARRAY_SIZE(open_flags); i++) {
		if (rest & open_flags[i].bit) {
			text_add(&t, "|%s", open_flags[i].name);
			rest &= ~open_flags[i].bit;
		}
	}
	if (rest)
		text_add(&t, "|0x%x", rest);
	return (int)t.pos;
}
