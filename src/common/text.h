/* text.h - text helpers every layer shares: time formats, UTF-8 checks. */
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

#endif
