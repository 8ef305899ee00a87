/* log.c - levelled logging with Python logging format strings, to stderr and to a file rotated
 * like Python's TimedRotatingFileHandler. Single-threaded; never changes errno for the caller. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/io.h"
#include "core/log.h"
#include "common/text.h"

#define LOG_SIMPLE_FORMAT "%(levelname)s: %(message)s"
#define LOG_DETAILED_FORMAT "%(asctime)s [%(levelname)s] %(name)s:%(lineno)d %(message)s"
#define LOG_MSG_MAX 4096      /* longer messages are cut, ending in "..." */
#define LOG_LINE_MAX 8192     /* one record, escapes included */
#define LOG_HELD_MAX 32	      /* console records kept while a full-screen view is up */
#define LOG_REPORT_EVERY_S 60 /* failed writes are reported at most this often */
#define LOG_MAX_WIDTH 256     /* the most a %(key)<width>.<precision> asks for */
/* O_NONBLOCK: a FIFO planted under the log's name must not block the open (it is refused). */
#define LOG_FILE_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)

struct log_handler {
	int fd;
	enum log_level level;
	char *format;  /* owned; NULL: the handler's default */
	char *datefmt; /* owned; NULL: "%Y-%m-%d %H:%M:%S,mmm" */
};

/* Python's rotation units: the rotated file's suffix and the pattern pruning matches
 * ('d' is a digit, anything else itself). */
struct log_when {
	const char *name;
	long unit;
	const char *suffix;
	const char *pattern;
};

static const struct log_when log_whens[] = {
	{ "S", 1, "%Y-%m-%d_%H-%M-%S", "dddd-dd-dd_dd-dd-dd" },
	{ "M", 60, "%Y-%m-%d_%H-%M", "dddd-dd-dd_dd-dd" },
	{ "H", 3600, "%Y-%m-%d_%H", "dddd-dd-dd_dd" },
	{ "D", 86400, "%Y-%m-%d", "dddd-dd-dd" },
	{ "MIDNIGHT", 86400, "%Y-%m-%d", "dddd-dd-dd" },
};

static struct {
	struct log_handler console, file;
	bool file_enabled;
	char *path;
	char *dir;	  /* the file's directory, "." when path has none */
	const char *base; /* the file's name, inside path */
	const struct log_when *when;
	int interval;
	int backup_count;
	time_t period_start; /* when the current file's period began: names it at rotation */
	time_t rollover_at;
	time_t retry_open_at;	    /* the file could not be reopened: next attempt */
	unsigned long write_errors; /* not reported yet */
	unsigned long file_lost;    /* records the file missed (disk full), noted in it later */
	time_t file_lost_since;
	int file_lost_err;
	int last_error;
	char last_target[PATH_MAX];
	time_t last_report;
	/* log_console_hold(): the console's records kept back, the last LOG_HELD_MAX of them */
	bool held;
	unsigned long nheld, nheld_warn;
	char *held_lines[LOG_HELD_MAX];
	char held_last[256]; /* the last warning or error, for the view's status line */
} log_state = {
	.console = { .fd = STDERR_FILENO, .level = LOG_INFO },
	.file = { .fd = -1, .level = LOG_DEBUG },
};

int log_level_parse(const char *s)
{
	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "DEBUG"))
		return LOG_DEBUG;
	if (!strcasecmp(s, "INFO"))
		return LOG_INFO;
	if (!strcasecmp(s, "WARNING") || !strcasecmp(s, "WARN"))
		return LOG_WARNING;
	if (!strcasecmp(s, "ERROR") || !strcasecmp(s, "CRITICAL"))
		return LOG_ERROR;
	return -EINVAL;
}

const char *log_level_name(enum log_level l)
{
	switch (l) {
	case LOG_DEBUG:
		return "DEBUG";
	case LOG_INFO:
		return "INFO";
	case LOG_WARNING:
		return "WARNING";
	case LOG_ERROR:
		return "ERROR";
	}
	return "UNKNOWN";
}

/* ---- formatting ---- */

struct log_out {
	char *buf;
	size_t len, pos; /* pos < len always: room for the NUL */
};

static void log_put(struct log_out *o, const char *s, size_t n)
{
	size_t room = o->len - 1 - o->pos;

	if (n > room)
		n = room;
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
}

static void log_put_spaces(struct log_out *o, size_t n)
{
	while (n--)
		log_put(o, " ", 1);
}

/* The escaped form of the unit at s: "\n" for a newline, "\xNN" for other control bytes (C0,
 * DEL), for C1 controls (U+0080..U+009F, which some terminals obey) and for bytes that are not
 * UTF-8; valid UTF-8 as it is. Returns the bytes put in out (<= 8), *ret_used the input. */
static size_t log_escape_unit(const char *s, size_t n, char out[9], size_t *ret_used)
{
	unsigned char c = (unsigned char)s[0];
	int l = c < 0x80 ? 1 : fmt_utf8_len(s, n);

	if (c == '\n') {
		*ret_used = 1;
		memcpy(out, "\\n", 2);
		return 2;
	}
	if (l == 2 && c == 0xc2 && (unsigned char)s[1] < 0xa0) {
		*ret_used = 2;
		return (size_t)snprintf(out, 9, "\\x%02x\\x%02x", c, (unsigned char)s[1]);
	}
	if (c < 0x20 || c == 0x7f || l == 0) {
		*ret_used = 1;
		return (size_t)snprintf(out, 8, "\\x%02x", c);
	}
	*ret_used = (size_t)l;
	memcpy(out, s, (size_t)l);
	return (size_t)l;
}

/* Emits the first `max` bytes of s's (escaped) form; returns the length of that whole form. */
static size_t log_put_escaped(struct log_out *o, const char *s, size_t n, size_t max)
{
	size_t i = 0, total = 0, used, k;
	char unit[9];

	while (i < n) {
		k = log_escape_unit(s + i, n - i, unit, &used);
		if (o && total < max)
			log_put(o, unit, k < max - total ? k : max - total);
		total += k;
		i += used;
	}
	return total;
}

struct log_spec {
	bool left; /* '-' */
	int width;
	int prec; /* -1: none */
	char conv;
	const char *flags;
	size_t nflags;
};

/* %s: precision cuts, width pads (right-aligned unless '-'), as Python's % does. */
static void log_put_str(struct log_out *o, const struct log_spec *sp, const char *s, size_t n,
			bool escape)
{
	size_t len = escape ? log_put_escaped(NULL, s, n, 0) : n, pad;

	if (sp->prec >= 0 && len > (size_t)sp->prec)
		len = (size_t)sp->prec;
	pad = (size_t)sp->width > len ? (size_t)sp->width - len : 0;
	if (!sp->left)
		log_put_spaces(o, pad);
	if (escape)
		log_put_escaped(o, s, n, len);
	else
		log_put(o, s, len);
	if (sp->left)
		log_put_spaces(o, pad);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Numbers via printf: the spec was built from [-+ #0] flags and a known conversion only. */
static void log_put_number(struct log_out *o, const struct log_spec *sp, bool is_int, long long i,
			   double f)
{
	char spec[24], tmp[512];
	bool int_conv = strchr("diuoxX", sp->conv) != NULL;
	char conv = sp->conv == 'i' || sp->conv == 'u' ? 'd' : sp->conv;
	int n;

	snprintf(spec, sizeof(spec), "%%%.*s*.*%s%c", (int)sp->nflags, sp->flags,
		 int_conv ? "ll" : "", conv);
	if (int_conv)
		n = snprintf(tmp, sizeof(tmp), spec, sp->width, sp->prec,
			     is_int ? i : (long long)f);
	else
		n = snprintf(tmp, sizeof(tmp), spec, sp->width, sp->prec, is_int ? (double)i : f);
	if (n > 0)
		log_put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* strftime with a format from the config (datefmt) or log_whens; "" when it does not fit. */
static size_t log_strftime(char *buf, size_t len, const char *fmt, const struct tm *tm)
{
	size_t n = strftime(buf, len, fmt, tm);

	if (!n)
		buf[0] = '\0';
	return n;
}
#pragma GCC diagnostic pop

/* Python's str(float): the shortest text that reads back as the same number, with ".0" added to
 * whole numbers. */
static void log_float_repr(double f, char *buf, size_t len)
{
	int p;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, len, "%.*g", p, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	if (!strpbrk(buf, ".eni"))
		strncat(buf, ".0", len - strlen(buf) - 1);
}

enum log_vtype { LOG_V_STR, LOG_V_INT, LOG_V_FLOAT };

struct log_value {
	enum log_vtype type;
	const char *s;
	size_t n;
	bool escape; /* the message: control characters escaped */
	long long i;
	double f;
};

static void log_asctime(const struct log_record *r, const char *datefmt, char *buf, size_t len)
{
	struct tm tm;
	size_t n;

	buf[0] = '\0';
	if (!localtime_r(&r->ts.tv_sec, &tm))
		return;
	if (datefmt) {
		/* Like Python's time.strftime(datefmt): no milliseconds. */
		log_strftime(buf, len, datefmt, &tm);
		return;
	}
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ",%03ld", r->ts.tv_nsec / 1000000L);
}

static bool log_key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && !memcmp(key, name, klen);
}

static void log_set_str(struct log_value *v, const char *s)
{
	v->type = LOG_V_STR;
	v->s = s ? s : "";
	v->n = strlen(v->s);
}

/* The LogRecord attribute `key`; false when there is none by that name. */
static bool log_lookup(const char *key, size_t klen, const struct log_record *r,
		       const char *datefmt, char *scratch, size_t slen, struct log_value *v)
{
	const char *file = r->file ? r->file : "", *base = strrchr(file, '/'), *dot;

	base = base ? base + 1 : file;
	memset(v, 0, sizeof(*v));
	if (log_key_is(key, klen, "message")) {
		log_set_str(v, r->message);
		v->escape = true;
	} else if (log_key_is(key, klen, "asctime")) {
		log_asctime(r, datefmt, scratch, slen);
		log_set_str(v, scratch);
	} else if (log_key_is(key, klen, "levelname")) {
		log_set_str(v, log_level_name(r->level));
	} else if (log_key_is(key, klen, "name")) {
		log_set_str(v, r->name);
	} else if (log_key_is(key, klen, "filename")) {
		log_set_str(v, base);
	} else if (log_key_is(key, klen, "module")) {
		/* os.path.splitext(filename)[0]: a leading dot is not an extension */
		log_set_str(v, base);
		dot = strrchr(base, '.');
		if (dot && dot != base)
			v->n = (size_t)(dot - base);
	} else if (log_key_is(key, klen, "pathname")) {
		log_set_str(v, file);
	} else if (log_key_is(key, klen, "funcName")) {
		log_set_str(v, r->func);
	} else if (log_key_is(key, klen, "levelno")) {
		v->type = LOG_V_INT;
		v->i = r->level;
	} else if (log_key_is(key, klen, "lineno")) {
		v->type = LOG_V_INT;
		v->i = r->line;
	} else if (log_key_is(key, klen, "process")) {
		v->type = LOG_V_INT;
		v->i = getpid();
	} else if (log_key_is(key, klen, "thread")) {
		v->type = LOG_V_INT;
		v->i = gettid();
	} else if (log_key_is(key, klen, "created")) {
		v->type = LOG_V_FLOAT;
		v->f = (double)r->ts.tv_sec + r->ts.tv_nsec / 1e9;
	} else if (log_key_is(key, klen, "msecs")) {
		/* A float in Python (123.0); exact from the nanoseconds here. */
		v->type = LOG_V_FLOAT;
		v->f = (double)(r->ts.tv_nsec / 1000000L);
	} else {
		return false;
	}
	return true;
}

/* Parses "%(key)<flags><width>.<prec><conv>" at p; returns the end, or NULL if it is not one. */
static const char *log_parse_spec(const char *p, const char **ret_key, size_t *ret_klen,
				  struct log_spec *sp)
{
	const char *key = p + 2, *end = strchr(key, ')'), *s;

	if (!end)
		return NULL;
	s = end + 1;
	memset(sp, 0, sizeof(*sp));
	sp->prec = -1;
	sp->flags = s;
	while (*s && strchr("-+ #0", *s))
		sp->left |= *s++ == '-';
	sp->nflags = (size_t)(s - sp->flags);
	/* Widths and precisions are capped: a record is one line of a few hundred bytes. */
	for (; *s >= '0' && *s <= '9'; s++)
		sp->width = sp->width < LOG_MAX_WIDTH ? sp->width * 10 + (*s - '0') : LOG_MAX_WIDTH;
	if (*s == '.') {
		sp->prec = 0;
		for (s++; *s >= '0' && *s <= '9'; s++)
			sp->prec = sp->prec < LOG_MAX_WIDTH ? sp->prec * 10 + (*s - '0') :
							      LOG_MAX_WIDTH;
	}
	while (*s == 'h' || *s == 'l' || *s == 'L')
		s++;
	if (!*s || !strchr("diouxXeEfFgGsra", *s))
		return NULL;
	sp->conv = *s;
	*ret_key = key;
	*ret_klen = (size_t)(end - key);
	return s + 1;
}

/* Renders one value per Python's rules; false where Python would raise (e.g. %d of a string). */
static bool log_put_value(struct log_out *o, const struct log_spec *sp, const struct log_value *v)
{
	bool str_conv = sp->conv == 's' || sp->conv == 'r' || sp->conv == 'a';
	char tmp[64];

	if (v->type == LOG_V_STR) {
		if (!str_conv)
			return false;
		log_put_str(o, sp, v->s, v->n, v->escape);
	} else if (str_conv) {
		if (v->type == LOG_V_INT)
			snprintf(tmp, sizeof(tmp), "%lld", v->i);
		else
			log_float_repr(v->f, tmp, sizeof(tmp));
		log_put_str(o, sp, tmp, strlen(tmp), false);
	} else {
		if (v->type == LOG_V_FLOAT && strchr("oxX", sp->conv))
			return false;
		log_put_number(o, sp, v->type == LOG_V_INT, v->i, v->f);
	}
	return true;
}

int log_format_record(const char *fmt, const char *datefmt, const struct log_record *r, char *buf,
		      size_t len)
{
	struct log_out o = { .buf = buf, .len = len };
	char scratch[256];
	const char *p = fmt, *key, *end;
	struct log_value v;
	struct log_spec sp;
	size_t klen;

	if (!buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	if (!fmt || !r)
		return -EINVAL;
	while (*p) {
		if (*p != '%') {
			end = strchrnul(p, '%');
			log_put(&o, p, (size_t)(end - p));
			p = end;
			continue;
		}
		if (p[1] == '%') {
			log_put(&o, "%", 1);
			p += 2;
			continue;
		}
		end = p[1] == '(' ? log_parse_spec(p, &key, &klen, &sp) : NULL;
		/* Anything Python would reject (unknown key, bad spec) is shown as written. */
		if (!end || !log_lookup(key, klen, r, datefmt, scratch, sizeof(scratch), &v) ||
		    !log_put_value(&o, &sp, &v)) {
			log_put(&o, p, 1);
			p++;
			continue;
		}
		p = end;
	}
	/* A cut record must not end in half a UTF-8 character. */
	if (o.pos == len - 1) {
		size_t k = o.pos;

		while (k > 0 && ((unsigned char)buf[k - 1] & 0xc0) == 0x80 && o.pos - k < 3)
			k--;
		if (k > 0 && (unsigned char)buf[k - 1] >= 0xc0 &&
		    fmt_utf8_len(buf + k - 1, o.pos - k + 1) == 0)
			o.pos = k - 1;
	}
	buf[o.pos] = '\0';
	return (int)o.pos;
}

/* ---- writing ---- */

/* Tells stderr, directly (never through log_msg), how many writes failed since last time. */
static void log_report_errors(time_t now)
{
	char note[PATH_MAX + 128];
	int n;

	n = snprintf(note, sizeof(note),
		     "ebpf-monitor: %lu log write(s) failed, the last to %s: %s\n",
		     log_state.write_errors, log_state.last_target, strerror(log_state.last_error));
	if (n > 0)
		(void)!write(STDERR_FILENO, note,
			     (size_t)n < sizeof(note) ? (size_t)n : sizeof(note) - 1);
	log_state.write_errors = 0;
	log_state.last_report = now;
}

/* Failed writes (disk full) are counted and reported at most once a minute. */
static void log_write_failed(const char *target, int err, time_t now)
{
	log_state.write_errors++;
	log_state.last_error = err;
	snprintf(log_state.last_target, sizeof(log_state.last_target), "%s", target);
	if (!log_state.last_report || now - log_state.last_report >= LOG_REPORT_EVERY_S)
		log_report_errors(now);
}

/* One write(2) per record, so a reader never sees half a line. In the log file a record cut
 * short (disk full) is truncated away again: a line is whole or absent. 0 or -errno. */
static int log_write(const char *target, int fd, const char *line, size_t len, time_t now)
{
	off_t start = fd == log_state.file.fd ? lseek(fd, 0, SEEK_END) : -1;
	ssize_t n = io_write_all(fd, line, len);
	int err;

	if (n >= 0 && (size_t)n == len)
		return 0;
	err = n < 0 ? (int)-n : errno;
	if (n > 0 && start >= 0)
		(void)!ftruncate(fd, start);
	log_write_failed(target, err, now);
	return -err;
}

/* One record as the handler writes it, into line (LOG_LINE_MAX bytes): newline-terminated and
 * NUL-terminated; its length with the newline, or -1. */
static int log_line(const struct log_handler *h, const char *def_format, const struct log_record *r,
		    char *line)
{
	int n = log_format_record(h->format ? h->format : def_format, h->datefmt, r, line,
				  LOG_LINE_MAX - 1);

	if (n < 0)
		return -1;
	line[n++] = '\n';
	line[n] = '\0';
	return n;
}

/* While a full-screen view owns the terminal: the console record kept for later. */
static void log_hold(const struct log_record *r)
{
	char line[LOG_LINE_MAX];
	char **slot = &log_state.held_lines[log_state.nheld % LOG_HELD_MAX];

	if (log_line(&log_state.console, LOG_SIMPLE_FORMAT, r, line) < 0)
		return;
	free(*slot);
	*slot = strdup(line);
	log_state.nheld++;
	if (r->level < LOG_WARNING)
		return;
	log_state.nheld_warn++;
	snprintf(log_state.held_last, sizeof(log_state.held_last), "%s: %s",
		 log_level_name(r->level), r->message);
}

static int log_emit(const struct log_handler *h, const char *target, const char *def_format,
		    const struct log_record *r)
{
	char line[LOG_LINE_MAX];
	int n = log_line(h, def_format, r, line);

	if (n < 0)
		return 0;
	return log_write(target, h->fd, line, (size_t)n, r->ts.tv_sec);
}

/* ---- the file and its rotation ---- */

static const struct log_when *log_when_find(const char *when)
{
	size_t i;

	for (i = 0; when && i < sizeof(log_whens) / sizeof(log_whens[0]); i++)
		if (!strcasecmp(when, log_whens[i].name))
			return &log_whens[i];
	return NULL;
}

int log_rotated_name(const char *path, const char *when, time_t t, char *buf, size_t len)
{
	const struct log_when *w = log_when_find(when);
	char date[32];
	struct tm tm;
	int n;

	if (!w || !path || !buf || !len)
		return -EINVAL;
	if (!localtime_r(&t, &tm) || !log_strftime(date, sizeof(date), w->suffix, &tm))
		return -EINVAL;
	n = snprintf(buf, len, "%s.%s", path, date);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Python: the next period starts `interval` units after t; MIDNIGHT at the next local midnight
 * (after interval - 1 more days). */
static time_t log_compute_rollover(time_t t)
{
	struct tm tm;

	if (strcmp(log_state.when->name, "MIDNIGHT") || !localtime_r(&t, &tm))
		return t + (time_t)log_state.interval * log_state.when->unit;
	tm.tm_mday += log_state.interval;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* Creates the file's directory, and its parents, when they are missing. */
static int log_open_file(void)
{
	int fd = open(log_state.path, LOG_FILE_FLAGS, 0640), err;

	if (fd < 0 && errno == ENOENT) {
		err = io_mkdir_p(log_state.dir, 0750);
		if (err)
			return err;
		fd = open(log_state.path, LOG_FILE_FLAGS, 0640);
	}
	if (fd < 0)
		return -errno;
	/* O_NOFOLLOW refuses a planted symbolic link; this a hard link, a FIFO, another's file. */
	err = io_file_check(fd);
	if (!err && fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	log_state.file.fd = fd;
	return 0;
}

static void log_close_file(void)
{
	if (log_state.file.fd >= 0)
		close(log_state.file.fd);
	log_state.file.fd = -1;
}

static bool log_is_backup(const char *name)
{
	size_t blen = strlen(log_state.base);
	const char *p = log_state.when->pattern, *s = name + blen + 1;

	if (strncmp(name, log_state.base, blen) || name[blen] != '.')
		return false;
	for (; *p; p++, s++)
		if (*p == 'd' ? (*s < '0' || *s > '9') : *s != *p)
			return false;
	return *s == '\0';
}

static int log_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keeps the newest backup_count rotated files (their names sort by date), like Python. */
static void log_prune(void)
{
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = opendir(log_state.dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!log_is_backup(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				goto out;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto out;
		n++;
	}
	if (n > (size_t)log_state.backup_count) {
		qsort(names, n, sizeof(*names), log_cmp_names);
		for (i = 0; i < n - (size_t)log_state.backup_count; i++) {
			struct stat sb;

			/* Only our own regular files: never a link, never another user's file. */
			if (fstatat(dirfd(d), names[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(sb.st_mode) && (sb.st_uid == 0 || sb.st_uid == geteuid()))
				(void)unlinkat(dirfd(d), names[i], 0);
		}
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

static void log_rollover(time_t now)
{
	char dfn[PATH_MAX];
	struct stat sb;
	int err;

	/* Python never rotates anything but a regular file; nor over a directory of that name. */
	if ((log_state.file.fd >= 0 && fstat(log_state.file.fd, &sb) == 0 &&
	     !S_ISREG(sb.st_mode)) ||
	    log_rotated_name(log_state.path, log_state.when->name, log_state.period_start, dfn,
			     sizeof(dfn)) ||
	    (lstat(dfn, &sb) == 0 && S_ISDIR(sb.st_mode))) {
		log_state.rollover_at = log_compute_rollover(now);
		return;
	}
	log_close_file();
	/* An older file of that name is replaced, as Python removes it first. */
	if (rename(log_state.path, dfn) < 0 && errno != ENOENT)
		log_write_failed(dfn, errno, now);
	if (log_state.backup_count > 0)
		log_prune();
	err = log_open_file();
	if (err) {
		log_write_failed(log_state.path, -err, now);
		log_state.retry_open_at = now + LOG_REPORT_EVERY_S;
	}
	log_state.period_start = now;
	log_state.rollover_at = log_compute_rollover(now);
}

static void log_to_file(const struct log_record *r)
{
	time_t now = r->ts.tv_sec;
	int err;

	if (now >= log_state.rollover_at)
		log_rollover(now);
	if (log_state.file.fd < 0 && now >= log_state.retry_open_at) {
		log_state.retry_open_at = now + LOG_REPORT_EVERY_S;
		(void)log_open_file();
	}
	err = log_state.file.fd < 0 ? -(log_state.last_error ? log_state.last_error : EBADF) : 0;

	if (!err && log_state.file_lost) {
		/* The file works again: first say what it is missing. */
		struct log_record note = *r;
		char msg[256], when[32];
		struct tm tm;

		if (!localtime_r(&log_state.file_lost_since, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
			when[0] = '\0';
		snprintf(msg, sizeof(msg),
			 "%lu log record(s) are missing from this file: writing it failed from %s on "
			 "(%s)",
			 log_state.file_lost, when, strerror(log_state.file_lost_err));
		note.level = LOG_WARNING;
		note.name = "ebpf_monitor.log";
		note.file = __FILE__;
		note.line = __LINE__;
		note.func = __func__;
		note.message = msg;
		err = log_emit(&log_state.file, log_state.path, LOG_DETAILED_FORMAT, &note);
		if (!err)
			log_state.file_lost = 0;
	}
	if (!err)
		err = log_emit(&log_state.file, log_state.path, LOG_DETAILED_FORMAT, r);
	if (err) {
		if (!log_state.file_lost++)
			log_state.file_lost_since = now;
		log_state.file_lost_err = -err;
	}
}

void log_msg(enum log_level level, const char *name, const char *file, int line, const char *func,
	     const char *fmt, ...)
{
	bool to_console = log_state.console.fd >= 0 && level >= log_state.console.level;
	bool to_file = log_state.file_enabled && level >= log_state.file.level;
	char msg[LOG_MSG_MAX];
	struct log_record r;
	int saved = errno, n;
	va_list ap;

	if (!to_console && !to_file)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	r = (struct log_record){ .level = level,
				 .name = name,
				 .file = file,
				 .func = func,
				 .line = line,
				 .message = n < 0 ? fmt : msg };
	clock_gettime(CLOCK_REALTIME, &r.ts);
	if (to_console && log_state.held)
		log_hold(&r);
	else if (to_console)
		log_emit(&log_state.console, "stderr", LOG_SIMPLE_FORMAT, &r);
	if (to_file)
		log_to_file(&r);
	errno = saved;
}

void log_console_hold(bool hold)
{
	unsigned long n = log_state.nheld, kept = n < LOG_HELD_MAX ? n : LOG_HELD_MAX;
	char note[128];

	if (hold || !log_state.held) {
		log_state.held = hold;
		return;
	}
	log_state.held = false;
	if (n > kept) {
		int l = snprintf(
			note, sizeof(note),
			"(%lu earlier message(s) while the view was up: see the log file)\n",
			n - kept);

		log_write("stderr", log_state.console.fd, note, (size_t)l, time(NULL));
	}
	for (unsigned long i = n - kept; i < n; i++) {
		char **slot = &log_state.held_lines[i % LOG_HELD_MAX];

		if (*slot)
			log_write("stderr", log_state.console.fd, *slot, strlen(*slot), time(NULL));
		free(*slot);
		*slot = NULL;
	}
	log_state.nheld = log_state.nheld_warn = 0;
	log_state.held_last[0] = '\0';
}

unsigned long log_console_held(char *last, size_t len)
{
	if (last && len)
		snprintf(last, len, "%s", log_state.held_last);
	return log_state.nheld_warn;
}

/* ---- setup ---- */

static char *log_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void log_handler_free(struct log_handler *h)
{
	free(h->format);
	free(h->datefmt);
	h->format = h->datefmt = NULL;
}

static int log_setup_file(const struct log_options *o)
{
	const char *slash;
	struct stat sb;
	int err;

	log_state.when = log_when_find(o->when ? o->when : "D");
	if (!log_state.when || !o->file_path || !*o->file_path)
		return -EINVAL;
	log_state.path = strdup(o->file_path);
	slash = strrchr(o->file_path, '/');
	if (!slash)
		log_state.dir = strdup(".");
	else if (slash == o->file_path)
		log_state.dir = strdup("/");
	else
		log_state.dir = strndup(o->file_path, (size_t)(slash - o->file_path));
	log_state.file.format = log_strdup(o->file_format);
	log_state.file.datefmt = log_strdup(o->file_datefmt);
	if (!log_state.path || !log_state.dir || (o->file_format && !log_state.file.format) ||
	    (o->file_datefmt && !log_state.file.datefmt))
		return -ENOMEM;
	log_state.base = log_state.path + (slash ? slash - o->file_path + 1 : 0);
	log_state.file.level = o->file_level;
	log_state.interval = o->interval >= 1 ? o->interval : 1;
	log_state.backup_count = o->backup_count > 0 ? o->backup_count : 0;

	err = log_open_file();
	if (err)
		return err;
	/* Python starts the first period at the existing file's mtime (a new file's is now). */
	log_state.period_start = fstat(log_state.file.fd, &sb) == 0 ? sb.st_mtime : time(NULL);
	log_state.rollover_at = log_compute_rollover(log_state.period_start);
	log_state.file_enabled = true;
	return 0;
}

int log_setup(const struct log_options *o)
{
	int err;

	log_shutdown();
	if (!o)
		return -EINVAL;
	log_state.console.fd = o->console_fd;
	log_state.console.level = o->console_level;
	log_state.console.format = log_strdup(o->console_format);
	log_state.console.datefmt = log_strdup(o->console_datefmt);
	if (!o->file_enabled)
		return 0;
	err = log_setup_file(o);
	if (err) {
		log_close_file();
		log_handler_free(&log_state.file);
		free(log_state.path);
		free(log_state.dir);
		log_state.path = log_state.dir = NULL;
	}
	return err;
}

void log_set_console_level(enum log_level l)
{
	log_state.console.level = l;
}

int log_reopen(void)
{
	struct stat before, after;
	bool same;
	time_t now;
	int err;

	if (!log_state.file_enabled)
		return 0;
	same = log_state.file.fd >= 0 && fstat(log_state.file.fd, &before) == 0;
	log_close_file();
	err = log_open_file();
	if (err)
		return err;
	same = same && fstat(log_state.file.fd, &after) == 0 && after.st_ino == before.st_ino &&
	       after.st_dev == before.st_dev;
	/* A file moved away (logrotate) and created anew starts a new period. */
	if (!same) {
		now = time(NULL);
		log_state.period_start = now;
		log_state.rollover_at = log_compute_rollover(now);
	}
	return 0;
}

void log_shutdown(void)
{
	if (log_state.write_errors)
		log_report_errors(time(NULL));
	log_close_file();
	log_handler_free(&log_state.file);
	log_handler_free(&log_state.console);
	free(log_state.path);
	free(log_state.dir);
	log_state.path = log_state.dir = NULL;
	log_state.file_enabled = false;
	log_state.console.fd = STDERR_FILENO;
	log_state.console.level = LOG_INFO;
	log_state.file.level = LOG_DEBUG;
	log_state.last_report = 0;
	log_state.file_lost = 0;
}
