/* text.c - text helpers every layer shares: time formats, UTF-8 checks, errno names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/text.h"

int fmt_timestamp(uint64_t ts_ns, char *buf, size_t len)
{
	/* Truncated, not rounded: 0.9995 s must not print as the next second. */
	return snprintf(buf, len, "%llu.%03u", (unsigned long long)(ts_ns / 1000000000ULL),
			(unsigned)(ts_ns % 1000000000ULL / 1000000U));
}

int fmt_time_str(uint64_t ts_ns, int with_ms, char *buf, size_t len)
{
	time_t sec = (time_t)(ts_ns / 1000000000ULL);
	char date[32];
	struct tm tm;

	if (!localtime_r(&sec, &tm) || !strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm))
		date[0] = '\0';
	if (with_ms)
		return snprintf(buf, len, "[%s.%03u]", date,
				(unsigned)(ts_ns % 1000000000ULL / 1000000U));
	return snprintf(buf, len, "[%s]", date);
}

int fmt_utf8_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned need, cp, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		return 0; /* continuation byte, overlong lead (c0/c1) or beyond U+10FFFF */
	}
	if (n <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8. */
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return (int)need + 1;
}

/* Length of the code point (or stray byte) at s, n > 0 bytes available. */
static size_t text_step(const char *s, size_t n)
{
	int l = fmt_utf8_len(s, n);

	return l > 0 ? (size_t)l : 1;
}

size_t text_columns(const char *s)
{
	size_t n = s ? strlen(s) : 0, i = 0, cols = 0;

	while (i < n) {
		i += text_step(s + i, n - i);
		cols++;
	}
	return cols;
}

/* Byte offset where the last `cols` columns of s (n bytes, `total` columns) start. */
static size_t text_tail_start(const char *s, size_t n, size_t total, size_t cols)
{
	size_t i = 0, c = 0;

	while (i < n && c + cols < total) {
		i += text_step(s + i, n - i);
		c++;
	}
	return i;
}

/* Byte length of the first `cols` columns of s (n bytes). */
static size_t text_head_len(const char *s, size_t n, size_t cols)
{
	size_t i = 0, c = 0;

	while (i < n && c < cols) {
		i += text_step(s + i, n - i);
		c++;
	}
	return i;
}

/* A path keeps whole leading components ("/usr/lib/…"): the head ends after the last '/' within
 * its `cols` columns, unless that gives away more than half of them (the tail gets them). */
static size_t text_head_at_slash(const char *s, size_t n, size_t cols)
{
	size_t i = 0, c = 0, at = 0;

	while (i < n && c < cols) {
		if (s[i] == '/')
			at = c + 1;
		i += text_step(s + i, n - i);
		c++;
	}
	return at && at * 2 >= cols ? at : cols;
}

size_t text_fit_middle(const char *s, size_t width, char *buf, size_t len)
{
	static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026, one column */
	size_t n = s ? strlen(s) : 0, total = text_columns(s), head, tail, hb, tb, ts;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (!width)
		return 0;
	if (total <= width) {
		size_t i = 0, c = 0;

		/* whole code points, as many as buf holds */
		while (i < n && i + text_step(s + i, n - i) < len) {
			i += text_step(s + i, n - i);
			c++;
		}
		memcpy(buf, s, i);
		buf[i] = '\0';
		return c;
	}
	head = text_head_at_slash(s, n, (width - 1) / 2);
	tail = width - 1 - head;
	for (;;) {
		hb = text_head_len(s, n, head);
		ts = text_tail_start(s, n, total, tail);
		tb = n - ts;
		if (hb + tb + sizeof(ellipsis) <= len || (!head && !tail))
			break;
		if (tail > head) /* buf too small: give up columns, the head's first */
			tail--;
		else
			head--;
	}
	if (hb + tb + sizeof(ellipsis) > len)
		return 0; /* not even the ellipsis fits */
	memcpy(buf, s, hb);
	memcpy(buf + hb, ellipsis, sizeof(ellipsis) - 1);
	memcpy(buf + hb + sizeof(ellipsis) - 1, s + ts, tb);
	buf[hb + tb + sizeof(ellipsis) - 1] = '\0';
	return head + tail + 1;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Names by number from <errno.h>: the numbers are the kernel ABI on x86_64 and aarch64 alike.
 * Aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP) are left out: each number has one name. */
/* clang-format off */
#define E(name) [name] = #name
static const char *const errno_names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF),
	E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST),
	E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM),
	E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY), E(ELOOP),
	E(ENOMSG), E(EIDRM), E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH),
	E(ENOCSI), E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC), E(EBADSLT),
	E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR), E(ENONET), E(ENOPKG), E(EREMOTE),
	E(ENOLINK), E(EADV), E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG),
	E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD), E(ELIBSCN),
	E(ELIBMAX), E(ELIBEXEC), E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE),
	E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS),
	E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS),
	E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL), E(EISNAM), E(EREMOTEIO), E(EDQUOT),
	E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED),
	E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON),
};
#undef E
/* clang-format on */

/* Kernel-internal codes (include/linux/errno.h, in no uapi header): a syscall exit tracepoint
 * sees them when a signal interrupts a call that is then restarted. */
static const char *const restart_names[] = {
	"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK",
};
#define RESTART_FIRST 512

const char *errno_name(int err)
{
	/* The magnitude, computed unsigned so INT_MIN does not overflow. */
	unsigned n = err < 0 ? 0u - (unsigned)err : (unsigned)err;

	if (n < ARRAY_SIZE(errno_names))
		return errno_names[n];
	if (n - RESTART_FIRST < ARRAY_SIZE(restart_names))
		return restart_names[n - RESTART_FIRST];
	return NULL;
}

int errno_name_fmt(int err, char *buf, size_t len)
{
	/* The magnitude, computed unsigned so INT_MIN does not overflow. */
	unsigned n = err < 0 ? 0u - (unsigned)err : (unsigned)err;
	const char *name = errno_name(err);

	if (name)
		return snprintf(buf, len, "%s", name);
	return snprintf(buf, len, "E%u", n);
}
