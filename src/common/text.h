/* text.h - text helpers every layer shares: time formats, UTF-8 checks, errno names. */
#ifndef EM_TEXT_H
#define EM_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* "1732176700.123" */
int fmt_timestamp(uint64_t ts_ns, char *buf, size_t len);
/* "[2025-11-21 14:30:00.123]" (with_ms) or "[2025-11-21 14:30:00]" in local time */
int fmt_time_str(uint64_t ts_ns, int with_ms, char *buf, size_t len);
/* Length (1-4) of the valid UTF-8 sequence starting at s (n bytes available), or 0 when the bytes
 * there are not UTF-8 (stray continuation, overlong, surrogate, truncated). Used to sanitize
 * strings before they reach a terminal or a log line. */
int fmt_utf8_len(const char *s, size_t n);
/* Columns the text takes on a terminal: one per code point, one per byte that is not UTF-8 (a
 * console shows it as '?'). Wide (CJK) characters count one: close enough for paths and names. */
size_t text_columns(const char *s);
/* s shortened to at most `width` columns, into buf (len bytes, NUL included): when it is longer,
 * its middle becomes one "\u2026" so both ends stay ("/usr/lib/\u2026LC_MESSAGES"); the tail,
 * which names the file, gets the larger half, and a path's head ends at a '/' when that costs
 * it less than half its columns (they go to the tail). Cuts only between code points. Returns the columns
 * written. A width of 0 writes nothing; buf too small for the result: cut further (never
 * overflowed, always terminated). */
size_t text_fit_middle(const char *s, size_t width, char *buf, size_t len);
/* "ENOENT" for 2 (or -2, as syscalls return it), the kernel-internal restart codes (512..516)
 * by their names; NULL for numbers without a name. */
const char *errno_name(int err);
/* The same written like snprintf; "E<n>" for numbers without a name. */
int errno_name_fmt(int err, char *buf, size_t len);

#endif
