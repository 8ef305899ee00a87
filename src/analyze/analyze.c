/* analyze.c - the report run: for each type asked for, find its files, stream them through the
 * type's aggregation, and write the text report (reports dir and stdout) and the HTML section. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/analyze.h"
#include "analyze/files.h"
#include "analyze/report.h"

/* mkdir -p; 0 or -errno. */
static int analyze_mkdirs(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		path[i] = i < n ? '/' : '\0';
	}
	return 0;
}

static const char *analyze_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The type a file belongs to, from its name; NULL when the name says nothing. */
static const struct report_type *analyze_type_of(const char *path)
{
	const char *base = analyze_base(path);
	int64_t ms;
	unsigned seq;

	for (size_t i = 0; report_types[i]; i++)
		if (files_parse_name(base, report_types[i]->name, &ms, &seq))
			return report_types[i];
	return NULL;
}

static int analyze_read_file(struct report_ctx *ctx, void *state, const char *path)
{
	struct csv_reader *r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "ebpf-monitor-analyze: cannot open %s: %s\n", path, strerror(-rc));
		return rc;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = csv_reader_new_fd(fd, ctx->opts->delim, NULL);
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	rc = report_read_stream(ctx, state, r, path);
	if (rc < 0)
		fprintf(stderr,
			"ebpf-monitor-analyze: reading %s: %s (rows before it are counted)\n", path,
			strerror(-rc));
	csv_reader_free(r);
	close(fd);
	return rc;
}

static void analyze_file_list(struct report_ctx *ctx, const struct file_list *fl)
{
	size_t o = 0, cap = sizeof(ctx->file_list);

	for (size_t i = 0; i < fl->n && i < 3; i++)
		o += (size_t)snprintf(ctx->file_list + o, o < cap ? cap - o : 0, "%s%s",
				      i ? ", " : "", analyze_base(fl->paths[i]));
	if (fl->n > 3 && o < cap)
		snprintf(ctx->file_list + o, cap - o, ", ... (%zu more)", fl->n - 3);
}

/* Writes the text report to dir/<type>_<label>.txt (through a temporary file). */
static int analyze_write_text(const struct report_ctx *ctx, void *state, const char *dir)
{
	char path[4096], tmp[4200];
	struct out o = { NULL, OUT_TEXT, ctx->type->name, 0, false };
	int rc;

	rc = analyze_mkdirs(dir);
	if (rc < 0) {
		fprintf(stderr, "ebpf-monitor-analyze: cannot create %s: %s\n", dir, strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/%s_%s.txt", dir, ctx->type->name, ctx->opts->period.label);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	o.f = fopen(tmp, "we");
	if (!o.f) {
		rc = -errno;
		fprintf(stderr, "ebpf-monitor-analyze: cannot write %s: %s\n", tmp, strerror(-rc));
		return rc;
	}
	report_render(ctx, state, &o);
	if (ferror(o.f) | fclose(o.f)) {
		rc = -EIO;
		fprintf(stderr, "ebpf-monitor-analyze: writing %s failed (disk full?)\n", tmp);
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		fprintf(stderr, "ebpf-monitor-analyze: cannot rename %s to %s: %s\n", tmp, path,
			strerror(-rc));
		unlink(tmp);
		return rc;
	}
	return 0;
}

/* One type over its files; 0 or -errno (the report is still written when input failed). */
static int analyze_type(const struct analyze_opts *o, const struct report_type *t,
			const struct file_list *fl, const char *reports_dir, FILE *html)
{
	struct report_ctx ctx;
	void *state;
	int rc = 0, r;

	report_ctx_init(&ctx, t, o);
	state = report_state_new(t, o);
	if (!state) {
		fprintf(stderr, "ebpf-monitor-analyze: out of memory\n");
		return -ENOMEM;
	}
	for (size_t i = 0; i < fl->n; i++) {
		r = analyze_read_file(&ctx, state, fl->paths[i]);
		if (r < 0)
			rc = r;
	}
	analyze_file_list(&ctx, fl);
	if (reports_dir) {
		r = analyze_write_text(&ctx, state, reports_dir);
		if (r < 0)
			rc = r;
	}
	if (!o->quiet) {
		struct out so = { stdout, OUT_TEXT, t->name, 0, false };

		report_render(&ctx, state, &so);
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (html) {
		struct out ho = { html, OUT_HTML, t->name, 0, false };

		report_render(&ctx, state, &ho);
	}
	if (ctx.st.malformed)
		fprintf(stderr, "ebpf-monitor-analyze: %s: %llu malformed rows skipped\n", t->name,
			ctx.st.malformed);
	report_state_free(t, state);
	return rc;
}

static int analyze_files_for(const struct analyze_opts *o, const struct report_type *t,
			     const char *dir, struct file_list *fl)
{
	int rc;

	if (!o->nfiles) {
		rc = files_discover(dir, t->name, &o->period, fl);
		if (rc < 0 && rc != -ENOENT)
			fprintf(stderr, "ebpf-monitor-analyze: cannot read %s: %s\n", dir,
				strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < o->nfiles; i++) {
		const struct report_type *ft = analyze_type_of(o->files[i]);

		/* A file whose name names no type belongs to the single type asked for. */
		if (ft == t || (!ft && o->types == (1u << report_type_index(t)))) {
			rc = file_list_add(fl, o->files[i]);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int analyze_run(const struct analyze_opts *o)
{
	char dir[4096], rdir[4096], htmp[4200];
	bool any = false, failed = false;
	FILE *html = NULL;
	int rc;

	if (o->hostname)
		snprintf(dir, sizeof(dir), "%s/%s", o->input_dir, o->hostname);
	else
		snprintf(dir, sizeof(dir), "%s", o->input_dir);
	if (o->reports_dir && o->hostname)
		snprintf(rdir, sizeof(rdir), "%s/%s", o->reports_dir, o->hostname);
	else if (o->reports_dir)
		snprintf(rdir, sizeof(rdir), "%s", o->reports_dir);
	if (!o->nfiles && access(dir, R_OK | X_OK) < 0) {
		int err = errno;

		fprintf(stderr,
			"ebpf-monitor-analyze: cannot read the input directory %s: %s (--input%s)\n",
			dir, strerror(err), o->hostname ? ", --hostname" : "");
		return err == ENOENT ? ANALYZE_EXIT_NO_DATA : ANALYZE_EXIT_ERROR;
	}
	for (size_t i = 0; o->nfiles && i < o->nfiles; i++) {
		if (!analyze_type_of(o->files[i]) && __builtin_popcount(o->types) != 1) {
			fprintf(stderr,
				"ebpf-monitor-analyze: cannot tell the monitor of %s from its name: "
				"give --type\n",
				o->files[i]);
			return ANALYZE_EXIT_USAGE;
		}
	}
	if (o->html_path) {
		snprintf(htmp, sizeof(htmp), "%s.tmp", o->html_path);
		html = fopen(htmp, "we");
		if (!html) {
			fprintf(stderr, "ebpf-monitor-analyze: cannot write %s: %s\n", htmp,
				strerror(errno));
			return ANALYZE_EXIT_ERROR;
		}
		out_doc_begin(&(struct out){ html, OUT_HTML, NULL, 0, false }, o);
	}
	for (size_t i = 0; report_types[i]; i++) {
		const struct report_type *t = report_types[i];
		struct file_list fl = { 0 };

		if (!(o->types & (1u << i)))
			continue;
		rc = analyze_files_for(o, t, dir, &fl);
		if (rc < 0 && rc != -ENOENT)
			failed = true;
		if (!fl.n) {
			if (o->types_explicit)
				fprintf(stderr, "ebpf-monitor-analyze: no %s files in %s for %s\n",
					t->name, o->nfiles ? "the files given" : dir,
					o->period.desc);
			if (html) {
				struct out ho = { html, OUT_HTML, t->name, 0, false };

				/* The navigation links every type asked for: say why one is empty. */
				out_section_begin(&ho, t);
				out_note(&ho, "no %s files in %s for %s", t->name,
					 o->nfiles ? "the files given" : dir, o->period.desc);
				out_section_end(&ho);
			}
			file_list_free(&fl);
			continue;
		}
		any = true;
		if (analyze_type(o, t, &fl, o->reports_dir ? rdir : NULL, html) < 0)
			failed = true;
		file_list_free(&fl);
	}
	if (html) {
		out_doc_end(&(struct out){ html, OUT_HTML, NULL, 0, false });
		if (ferror(html) | fclose(html)) {
			fprintf(stderr, "ebpf-monitor-analyze: writing %s failed (disk full?)\n",
				htmp);
			unlink(htmp);
			return ANALYZE_EXIT_ERROR;
		}
		if (rename(htmp, o->html_path) < 0) {
			fprintf(stderr, "ebpf-monitor-analyze: cannot rename %s to %s: %s\n", htmp,
				o->html_path, strerror(errno));
			unlink(htmp);
			return ANALYZE_EXIT_ERROR;
		}
	}
	if (!any) {
		if (!o->types_explicit)
			fprintf(stderr, "ebpf-monitor-analyze: no monitor CSV files in %s for %s\n",
				o->nfiles ? "the files given" : dir, o->period.desc);
		return failed ? ANALYZE_EXIT_ERROR : ANALYZE_EXIT_NO_DATA;
	}
	return failed ? ANALYZE_EXIT_ERROR : ANALYZE_EXIT_OK;
}
