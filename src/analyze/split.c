/* split.c - `ebpf-monitor-analyze split`: cuts (large, multi-day) CSV files into one file per
 * local day, streaming: one record in memory at a time, one output file open at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/analyze.h"
#include "analyze/csv_reader.h"
#include "analyze/files.h"
#include "analyze/report.h"

#define SPLIT_OUT_BUF (1u << 20)

struct split_day {
	int ymd;
	char *path;
};

struct split_run {
	const struct split_opts *o;
	char outdir[4096];
	struct file_list created; /* output files made by this run */
	/* the file being split */
	struct split_day *days;
	size_t ndays, days_cap;
	FILE *out;
	char *outbuf;
	int cur_ymd;
	char *header; /* the header line, re-quoted */
	unsigned long long rows, malformed;
};

static bool split_needs_quotes(const char *s, size_t n, char delim)
{
	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			return true;
	return false;
}

static void split_write_record(FILE *f, const struct csv_record *rec, char delim)
{
	for (size_t i = 0; i < rec->nfields; i++) {
		const char *s = rec->field[i];
		size_t n = rec->len[i];

		if (i)
			fputc(delim, f);
		if (!split_needs_quotes(s, n, delim)) {
			fwrite(s, 1, n, f);
			continue;
		}
		fputc('"', f);
		for (size_t j = 0; j < n; j++) {
			if (s[j] == '"')
				fputc('"', f);
			fputc(s[j], f);
		}
		fputc('"', f);
	}
	fputc('\n', f);
}

static int split_close(struct split_run *s, const char *path)
{
	int rc = 0;

	if (!s->out)
		return 0;
	if (ferror(s->out) | fclose(s->out)) {
		fprintf(stderr, "ebpf-monitor-analyze: split: writing %s failed (disk full?)\n",
			path ? path : "output");
		rc = -EIO;
	}
	s->out = NULL;
	return rc;
}

static bool split_created(const struct split_run *s, const char *path)
{
	for (size_t i = 0; i < s->created.n; i++)
		if (!strcmp(s->created.paths[i], path))
			return true;
	return false;
}

/* Opens the output for day ymd (its first row at ms); 0 or -errno. */
static int split_open_day(struct split_run *s, const char *stem, int ymd, int64_t ms)
{
	char path[4600], when[32];
	struct split_day *d = NULL;
	struct stat sb;
	const char *mode = "ae";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	for (size_t i = 0; i < s->ndays; i++)
		if (s->days[i].ymd == ymd)
			d = &s->days[i];
	if (d) {
		snprintf(path, sizeof(path), "%s", d->path);
	} else {
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y%m%d_%H%M%S", &tm);
		snprintf(path, sizeof(path), "%s/%s_%s.csv", s->outdir, stem, when);
		/* Another input file's rows for the same second: a suffix, as the monitor does. */
		for (unsigned n = 1; split_created(s, path) && n < 1000; n++)
			snprintf(path, sizeof(path), "%s/%s_%s_%u.csv", s->outdir, stem, when, n);
		if (!s->o->force && stat(path, &sb) == 0) {
			fprintf(stderr,
				"ebpf-monitor-analyze: split: %s exists (split already run? --force "
				"overwrites)\n",
				path);
			return -EEXIST;
		}
		if (s->ndays == s->days_cap) {
			size_t cap = s->days_cap ? s->days_cap * 2 : 8;
			struct split_day *v = realloc(s->days, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			s->days = v;
			s->days_cap = cap;
		}
		d = &s->days[s->ndays];
		d->ymd = ymd;
		d->path = strdup(path);
		if (!d->path || file_list_add(&s->created, path) < 0) {
			free(d->path);
			return -ENOMEM;
		}
		s->ndays++;
		mode = "we";
	}
	s->out = fopen(path, mode);
	if (!s->out) {
		int rc = -errno;

		fprintf(stderr, "ebpf-monitor-analyze: split: cannot write %s: %s\n", path,
			strerror(-rc));
		return rc;
	}
	setvbuf(s->out, s->outbuf, _IOFBF, SPLIT_OUT_BUF);
	if (mode[0] == 'w')
		fputs(s->header, s->out);
	s->cur_ymd = ymd;
	return 0;
}

/* The header, re-quoted, as one line; NULL on OOM. */
static char *split_header(const struct csv_record *rec, char delim)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	split_write_record(f, rec, delim);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const char *split_current_path(const struct split_run *s)
{
	for (size_t i = 0; i < s->ndays; i++)
		if (s->days[i].ymd == s->cur_ymd)
			return s->days[i].path;
	return NULL;
}

/* The monitor's name without its time, or the file name without .csv. */
static void split_stem(const char *base, char *stem, size_t len)
{
	snprintf(stem, len, "%s", base);
	for (size_t i = 0; report_types[i]; i++) {
		int64_t ms;
		unsigned seq;

		if (files_parse_name(base, report_types[i]->name, &ms, &seq))
			snprintf(stem, len, "%s", report_types[i]->name);
	}
	if (strlen(stem) > 4 && !strcmp(stem + strlen(stem) - 4, ".csv"))
		stem[strlen(stem) - 4] = '\0';
}

/* rec as the file's header: its timestamp column in *ts, its width in *nfields. 0, 1 when it
 * has no timestamp column (said: the file is skipped), or -ENOMEM. */
static int split_take_header(struct split_run *s, struct csv_record *rec, const char *path, int *ts,
			     size_t *nfields)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (!strcmp(rec->field[i], "timestamp") ||
		    (i == 0 && !strcmp(rec->field[i], "\xef\xbb\xbftimestamp")))
			*ts = (int)i;
	if (*ts < 0) {
		fprintf(stderr,
			"ebpf-monitor-analyze: split: %s: no header line with a timestamp column: "
			"skipped\n",
			path);
		return 1;
	}
	*nfields = rec->nfields;
	s->header = split_header(rec, s->o->delim);
	return s->header ? 0 : -ENOMEM;
}

static int split_file(struct split_run *s, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct day_cache dc = { 0 };
	struct csv_reader *r = NULL;
	struct csv_record rec;
	char stem[256];
	int fd, rc = 0, ts = -1;
	size_t nfields = 0;

	split_stem(base, stem, sizeof(stem));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "ebpf-monitor-analyze: split: cannot open %s: %s\n", path,
			strerror(-rc));
		return rc;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = csv_reader_new_fd(fd, s->o->delim, NULL);
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	s->ndays = 0;
	s->rows = s->malformed = 0;
	s->cur_ymd = 0;
	while ((rc = csv_reader_next(r, &rec)) != 0) {
		int64_t ms;
		int ymd;

		if (rc == -EBADMSG && s->header) {
			s->malformed++;
			continue;
		}
		if (rc == -EBADMSG) {
			fprintf(stderr,
				"ebpf-monitor-analyze: split: %s: unreadable header: skipped\n",
				path);
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
		if (!s->header) {
			rc = split_take_header(s, &rec, path, &ts, &nfields);
			if (rc) {
				rc = rc > 0 ? 0 : rc;
				break;
			}
			continue;
		}
		if (rec.nfields != nfields ||
		    time_parse_epoch_ms(rec.field[ts], rec.len[ts], &ms) < 0) {
			/* A repeated header (files joined with cat) is no data and no fault. */
			if (!(rec.nfields > (size_t)ts && !strcmp(rec.field[ts], "timestamp")))
				s->malformed++;
			continue;
		}
		ymd = time_local_day(&dc, ms);
		if (ymd != s->cur_ymd || !s->out) {
			rc = split_close(s, split_current_path(s));
			if (rc < 0)
				break;
			rc = split_open_day(s, stem, ymd, ms);
			if (rc < 0)
				break;
		}
		split_write_record(s->out, &rec, s->o->delim);
		s->rows++;
	}
	if (rc == -EBADMSG)
		rc = 0;
	if (rc < 0 && rc != -EEXIST && rc != -EIO)
		fprintf(stderr, "ebpf-monitor-analyze: split: %s: %s\n", path, strerror(-rc));
	if (split_close(s, split_current_path(s)) < 0 && !rc)
		rc = -EIO;
	if (!rc && !s->o->quiet)
		printf("%s: %llu rows into %zu day file%s, %llu malformed rows skipped\n", path,
		       s->rows, s->ndays, s->ndays == 1 ? "" : "s", s->malformed);
	for (size_t i = 0; i < s->ndays; i++)
		free(s->days[i].path);
	s->ndays = 0;
	free(s->header);
	s->header = NULL;
	csv_reader_free(r);
	close(fd);
	return rc;
}

static int split_collect(const struct split_opts *o, struct file_list *fl)
{
	for (size_t i = 0; report_types[i]; i++) {
		struct period all = { 0 };
		int rc = files_discover(o->input_dir, report_types[i]->name, &all, fl);

		if (rc < 0) {
			fprintf(stderr, "ebpf-monitor-analyze: split: cannot read %s: %s\n",
				o->input_dir, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int split_run(const struct split_opts *o)
{
	struct split_run s = { .o = o };
	struct file_list fl = { 0 };
	int rc = ANALYZE_EXIT_OK;

	if (o->output_dir)
		snprintf(s.outdir, sizeof(s.outdir), "%s", o->output_dir);
	else
		snprintf(s.outdir, sizeof(s.outdir), "%s/by-day", o->input_dir);
	if (o->nfiles) {
		for (size_t i = 0; i < o->nfiles; i++)
			if (file_list_add(&fl, o->files[i]) < 0)
				return ANALYZE_EXIT_ERROR;
	} else if (split_collect(o, &fl) < 0) {
		file_list_free(&fl);
		return ANALYZE_EXIT_NO_DATA;
	}
	if (!fl.n) {
		fprintf(stderr, "ebpf-monitor-analyze: split: no monitor CSV files in %s\n",
			o->input_dir);
		return ANALYZE_EXIT_NO_DATA;
	}
	if (mkdir(s.outdir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "ebpf-monitor-analyze: split: cannot create %s: %s\n", s.outdir,
			strerror(errno));
		file_list_free(&fl);
		return ANALYZE_EXIT_ERROR;
	}
	s.outbuf = malloc(SPLIT_OUT_BUF);
	if (!s.outbuf) {
		file_list_free(&fl);
		return ANALYZE_EXIT_ERROR;
	}
	for (size_t i = 0; i < fl.n; i++) {
		if (split_file(&s, fl.paths[i]) < 0) {
			rc = ANALYZE_EXIT_ERROR;
			break;
		}
	}
	free(s.days);
	free(s.outbuf);
	file_list_free(&s.created);
	file_list_free(&fl);
	return rc;
}
