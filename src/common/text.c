/* text.c - text helpers every layer shares: time formats, UTF-8 checks. */
#include <stdio.h>
#include <time.h>

#include "text.h"

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
