/* log.h - levelled logging to stderr and a daily-rotated file, Python logging format strings. */
#ifndef EM_LOG_H
#define EM_LOG_H

#include <stdbool.h>
#include <time.h>

enum log_level {
	LOG_DEBUG = 10,
	LOG_INFO = 20,
	LOG_WARNING = 30,
	LOG_ERROR = 40,
};

struct log_options {
	enum log_level console_level;
	const char *console_format;  /* Python-style, e.g. "%(levelname)s: %(message)s" */
	const char *console_datefmt; /* strftime; NULL = "%Y-%m-%d %H:%M:%S" then ",mmm" */
	int console_fd;              /* normally 2; -1 disables */

	bool file_enabled;
	enum log_level file_level;
	const char *file_path;       /* e.g. "logs/monitor.log"; parent dir created 0750 */
	const char *file_format;
	const char *file_datefmt;
	const char *when;            /* "S", "M", "H", "D", "MIDNIGHT" (case-insensitive) */
	int interval;                /* units of `when`, >= 1 */
	int backup_count;            /* 0: keep all rotated files */
};

/* Parses "DEBUG", "INFO", "WARNING"/"WARN", "ERROR"/"CRITICAL" (any case): the level, or
 * -EINVAL for NULL or another name. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level l);

/* Before log_setup() messages go to stderr with the simple format at INFO. Returns 0 or
 * -errno (the file could not be opened); console logging keeps working either way. */
int log_setup(const struct log_options *o);
void log_set_console_level(enum log_level l);
/* A full-screen view (--top) owns the terminal: with hold, console records are kept back (the
 * last 32) instead of written; without, the kept ones are written out, after a line saying how
 * many earlier ones were not kept. The log file gets every record either way. */
void log_console_hold(bool hold);
/* While held: how many warnings and errors were kept back, the last ("WARNING: ...") in last. */
unsigned long log_console_held(char *last, size_t len);
int log_reopen(void);   /* SIGHUP: reopen the file (external rotation) */
void log_shutdown(void);

/* Renders one record with a Python logging format string into buf (always NUL-terminated).
 * Supports %(asctime)s %(created)f %(msecs)d %(levelname)s %(levelno)d %(name)s %(lineno)d
 * %(filename)s %(module)s %(funcName)s %(process)d %(thread)d %(message)s, width/flags such as
 * %(levelname)-8s, and %% . Control characters in the message are escaped (\n -> \\n) so one
 * record is always one line. Exposed for tests. */
struct log_record {
	enum log_level level;
	const char *name;
	const char *file;
	const char *func;
	int line;
	struct timespec ts; /* CLOCK_REALTIME */
	const char *message;
};
int log_format_record(const char *fmt, const char *datefmt, const struct log_record *r,
		      char *buf, size_t len);

/* The rotated name for a file rolled over at time t: "<path>.YYYY-MM-DD" (D/MIDNIGHT),
 * "<path>.YYYY-MM-DD_HH" (H), "_HH-MM" (M), "_HH-MM-SS" (S), as Python does. Exposed for tests. */
int log_rotated_name(const char *path, const char *when, time_t t, char *buf, size_t len);

void log_msg(enum log_level level, const char *name, const char *file, int line,
	     const char *func, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Each .c file defines LOG_NAME (e.g. "ebpf_monitor.loader") before including this header. */
#ifndef LOG_NAME
#define LOG_NAME "ebpf_monitor"
#endif
#define log_debug(...) log_msg(LOG_DEBUG, LOG_NAME, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, LOG_NAME, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, LOG_NAME, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, LOG_NAME, __FILE__, __LINE__, __func__, __VA_ARGS__)

#endif
