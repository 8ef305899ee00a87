/* period.c - parsing and rendering times for the analyzer; every calendar computation goes
 * through localtime_r/mktime, so TZ decides what "a day" is, as it did for the monitor. */
#include "analyze/period.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* mktime() for a local date and time; -1 when the fields do not name a real time. */
static int64_t period_mktime(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { 0 };
	time_t t;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	/* mktime normalises 2025-02-30 into March: such a date is rejected. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	return (int64_t)t * 1000;
}

int64_t time_day_start_ms(int ymd)
{
	return period_mktime(ymd / 10000, ymd / 100 % 100, ymd % 100, 0, 0, 0);
}

static bool period_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int period_num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* The start of the local day after the one starting at day_ms (DST days are 23 or 25 h). */
static int64_t period_next_day(int64_t day_ms)
{
	time_t t = (time_t)(day_ms / 1000) + 36 * 3600;
	struct tm tm;

	localtime_r(&t, &tm);
	return period_mktime(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0);
}

int time_parse_when(const char *s, bool end, int64_t *ret_ms)
{
	size_t n = strlen(s);
	int y, mo, d, h = 0, mi = 0, sec = 0;
	bool day_only = false;
	int64_t ms;

	if (n == 8 && period_digits(s, 8)) {
		y = period_num(s, 4), mo = period_num(s + 4, 2), d = period_num(s + 6, 2);
		day_only = true;
	} else if (n == 15 && period_digits(s, 8) && s[8] == '_' && period_digits(s + 9, 6)) {
		y = period_num(s, 4), mo = period_num(s + 4, 2), d = period_num(s + 6, 2);
		h = period_num(s + 9, 2), mi = period_num(s + 11, 2), sec = period_num(s + 13, 2);
	} else if (n >= 10 && period_digits(s, 4) && s[4] == '-' && period_digits(s + 5, 2) &&
		   s[7] == '-' && period_digits(s + 8, 2)) {
		y = period_num(s, 4), mo = period_num(s + 5, 2), d = period_num(s + 8, 2);
		if (n == 10) {
			day_only = true;
		} else if ((n == 16 || n == 19) && (s[10] == ' ' || s[10] == 'T') &&
			   period_digits(s + 11, 2) && s[13] == ':' && period_digits(s + 14, 2)) {
			h = period_num(s + 11, 2), mi = period_num(s + 14, 2);
			if (n == 19) {
				if (s[16] != ':' || !period_digits(s + 17, 2))
					return -EINVAL;
				sec = period_num(s + 17, 2);
			}
		} else {
			return -EINVAL;
		}
	} else {
		return time_parse_epoch_ms(s, n, ret_ms);
	}
	ms = period_mktime(y, mo, d, h, mi, sec);
	if (ms < 0)
		return -EINVAL;
	if (day_only && end)
		ms = period_next_day(ms);
	if (ms < 0)
		return -EINVAL;
	*ret_ms = ms;
	return 0;
}

/* "20251121" for a day start, "20251121_143000" otherwise. */
static void period_label_part(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	if (!tm.tm_hour && !tm.tm_min && !tm.tm_sec)
		strftime(buf, len, "%Y%m%d", &tm);
	else
		strftime(buf, len, "%Y%m%d_%H%M%S", &tm);
}

/* How a period reads: "<from><sep><to>", "<from_pre><from><from_post>", "<to_pre><to>" or
 * all, as it has both ends, the start only, the end only or neither. */
struct period_fmt {
	const char *sep, *from_pre, *from_post, *to_pre, *all;
};

static void period_words(const struct period *p, char *buf, size_t len, const char *a,
			 const char *b, const struct period_fmt *w)
{
	if (p->has_from && p->has_to)
		snprintf(buf, len, "%s%s%s", a, w->sep, b);
	else if (p->has_from)
		snprintf(buf, len, "%s%s%s", w->from_pre, a, w->from_post);
	else if (p->has_to)
		snprintf(buf, len, "%s%s", w->to_pre, b);
	else
		snprintf(buf, len, "%s", w->all);
}

int period_parse(const char *date, const char *from, const char *to, struct period *ret,
		 const char **ret_err)
{
	struct period p;
	char a[32], b[32], fa[32], fb[32];

	memset(&p, 0, sizeof(p));
	if (date) {
		if (strlen(date) != 8 || !period_digits(date, 8) ||
		    time_parse_when(date, false, &p.from_ms) < 0) {
			*ret_err = date;
			return -EINVAL;
		}
		p.to_ms = period_next_day(p.from_ms);
		p.has_from = p.has_to = true;
		snprintf(p.label, sizeof(p.label), "%s", date);
	} else {
		if (from && time_parse_when(from, false, &p.from_ms) < 0) {
			*ret_err = from;
			return -EINVAL;
		}
		if (to && time_parse_when(to, true, &p.to_ms) < 0) {
			*ret_err = to;
			return -EINVAL;
		}
		p.has_from = from != NULL;
		p.has_to = to != NULL;
		if (p.has_from && p.has_to && p.to_ms <= p.from_ms) {
			*ret_err = to;
			return -EINVAL;
		}
		if (p.has_from)
			period_label_part(p.from_ms, a, sizeof(a));
		if (p.has_to) {
			/* --to 20251121 ends at the next midnight; the label names the day asked for. */
			int64_t shown = to && strlen(to) == 8 ? p.to_ms - 1 : p.to_ms;

			if (to && strlen(to) == 8)
				snprintf(b, sizeof(b), "%s", to);
			else
				period_label_part(shown, b, sizeof(b));
		}
		period_words(&p, p.label, sizeof(p.label), a, b,
			     &(struct period_fmt){ "-", "", "-end", "start-", "all" });
	}
	if (p.has_from)
		time_format_local(p.from_ms, false, fa, sizeof(fa));
	if (p.has_to)
		time_format_local(p.to_ms, false, fb, sizeof(fb));
	period_words(&p, p.desc, sizeof(p.desc), fa, fb,
		     &(struct period_fmt){ " .. ", "from ", "", "until ", "all data" });
	*ret = p;
	return 0;
}

bool period_contains(const struct period *p, int64_t ms)
{
	return (!p->has_from || ms >= p->from_ms) && (!p->has_to || ms < p->to_ms);
}

int time_parse_epoch_ms(const char *s, size_t len, int64_t *ret_ms)
{
	int64_t sec = 0, frac = 0;
	size_t i = 0, nd = 0, nf = 0;

	for (; i < len && isdigit((unsigned char)s[i]); i++, nd++) {
		if (nd >= 12)
			return -EINVAL;
		sec = sec * 10 + (s[i] - '0');
	}
	if (!nd)
		return -EINVAL;
	if (i < len) {
		if (s[i++] != '.')
			return -EINVAL;
		for (; i < len && isdigit((unsigned char)s[i]); i++, nf++) {
			if (nf < 3)
				frac = frac * 10 + (s[i] - '0');
			else if (nf == 3 && s[i] >= '5')
				frac++; /* round to the millisecond */
		}
		if (i < len || !nf)
			return -EINVAL;
		for (; nf < 3; nf++)
			frac *= 10;
	}
	if (sec * 1000 + frac > PERIOD_MAX_MS)
		return -EINVAL;
	*ret_ms = sec * 1000 + frac;
	return 0;
}

void time_format_local(int64_t ms, bool with_ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	if (with_ms && n)
		snprintf(buf + n, len - n, ".%03d", (int)(ms % 1000));
}

int time_local_day(struct day_cache *c, int64_t ms)
{
	time_t t;
	struct tm tm;

	if (c->ymd && ms >= c->from_ms && ms < c->to_ms)
		return c->ymd;
	t = (time_t)(ms / 1000);
	if (!localtime_r(&t, &tm))
		return -1;
	c->ymd = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	c->from_ms = time_day_start_ms(c->ymd);
	c->to_ms = c->from_ms >= 0 ? period_next_day(c->from_ms) : -1;
	if (c->from_ms < 0 || c->to_ms < 0 || ms < c->from_ms || ms >= c->to_ms)
		c->from_ms = c->to_ms = 0; /* no cache: the next call computes again */
	return c->ymd;
}
