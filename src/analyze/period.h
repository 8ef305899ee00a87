/* period.h - time for the analyzer: the period asked for (--date, --from/--to), the CSV
 * timestamp format (epoch seconds with milliseconds) and local-time rendering. */
#ifndef EM_ANALYZE_PERIOD_H
#define EM_ANALYZE_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Latest timestamp accepted: 9999-12-31 23:59:59 UTC. */
#define PERIOD_MAX_MS 253402300799999LL

struct period {
	bool has_from, has_to;
	int64_t from_ms, to_ms; /* rows with from <= ts < to */
	char label[64];		/* for report file names: 20251121, 20251120-20251121, all */
	char desc[128];		/* for people */
};

/* From --date (YYYYMMDD: that local day) or --from/--to (each optional; see time_parse_when).
 * Returns 0 or -EINVAL with *ret_err naming the bad value. */
int period_parse(const char *date, const char *from, const char *to, struct period *ret,
		 const char **ret_err);
bool period_contains(const struct period *p, int64_t ms);

/* YYYYMMDD, YYYY-MM-DD (a whole local day: its start, or with end its end), YYYY-MM-DD HH:MM
 * [:SS] (also with T), YYYYMMDD_HHMMSS, or epoch seconds. 0 or -EINVAL. */
int time_parse_when(const char *s, bool end, int64_t *ret_ms);

/* "1732176700.123" -> 1732176700123: digits, optionally '.' and digits (rounded to ms). */
int time_parse_epoch_ms(const char *s, size_t len, int64_t *ret_ms);

/* Local time as "YYYY-MM-DD HH:MM:SS" (with_ms: ".mmm" appended). */
void time_format_local(int64_t ms, bool with_ms, char *buf, size_t len);

/* Local midnight starting the day YYYYMMDD, or -1 when it is no date. */
int64_t time_day_start_ms(int ymd);

/* The local day (YYYYMMDD) of ms, with its bounds cached: consecutive calls for the same day cost
 * two comparisons. */
struct day_cache {
	int64_t from_ms, to_ms;
	int ymd;
};
int time_local_day(struct day_cache *c, int64_t ms);

#endif
