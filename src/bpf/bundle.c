/* bundle.c - see bundle.h. */
#include "bpf/bundle.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* common.h's per-probe part: what each member of a bundle gets its own copy of. Identifiers
 * are renamed "<member>__<id>" in the member's text; macros are undone after it. */
static const char *const renamed_ids[] = {
	"em_filter_pids",
	"em_filter_uids",
	"em_filter_comms",
	"em_filter_exclude_comms",
	"em_filtered_current",
	"em_skip_current",
	"em_epoch",
	"em_epoch_now",
	"em_stats",
	"em_count",
	"em_filtered_uid",
	"em_filtered_task",
	"em_task_cache",
	"em_gen",
	"em_slot_of",
	"em_hot",
	"em_task_names_changed",
	"em_tp_task_fork",
	"em_tp_task_rename",
	"em_task_current",
	"em_task_skipped",
	"em_task_note_hot",
	"em_sample_n",
	"em_sample_cpu",
	"em_sample_skip",
	"em_who_of",
	"em_who_gone",
	"em_moved",
	"em_who",
	"em_who_skipped",
	"em_fork_rec",
	"em_tp_who_fork",
	"em_tp_who_exit",
	"em_free_rec",
	"em_tp_who_free",
	"em_cgattach_rec",
	"em_cgattach_pid",
	"em_tp_who_move",
	"em_who_changed",
	"em_tp_who_exec",
	NULL,
};
/* Macros a probe's part defines when its flags do not: undone after each probe. */
static const char *const per_probe_macros[] = {
	"EM_SELF_TGID",	       "EM_ATTRIB_TASKS",  "EM_WHO_ROOT",
	"EM_FORK_CHILD_OFF",   "EM_FREE_PID_OFF",  "EM_CGATTACH_ROOT_OFF",
	"EM_CGATTACH_PID_OFF", "EM_ATTRIB_PERCPU", NULL
};

static int is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* The macro name of a -D flag ("-DNAME=V", "-DNAME", "-DF(x)=V"): its length, 0 if none. */
static size_t flag_name_len(const char *flag)
{
	const char *p = flag + 2;
	size_t n = 0;

	if (strncmp(flag, "-D", 2) || !(isalpha((unsigned char)*p) || *p == '_'))
		return 0;
	while (is_ident((unsigned char)p[n]))
		n++;
	return n;
}

int bundle_eligible(const struct bundle_member *mb)
{
	if (!mb->text || strstr(mb->text, "_PROBE("))
		return 0;
	for (int i = 0; i < mb->ncflags; i++) {
		const char *f = mb->cflags[i];
		size_t n = flag_name_len(f);

		if (!n || strchr(f, '\n') || (f[2 + n] && f[2 + n] != '=' && f[2 + n] != '('))
			return 0;
	}
	return 1;
}

/* Writes text with each of renamed_ids, as a whole word, prefixed "<prefix>__". In the text
 * itself, not by #define: bcc refuses a map call (em_stats.lookup) written through a macro. */
static void put_renamed(FILE *f, const char *text, const char *prefix)
{
	const char *p = text, *run = text;

	while (*p) {
		size_t len = 0;

		if (!(isalpha((unsigned char)*p) || *p == '_') ||
		    (p > text && is_ident((unsigned char)p[-1]))) {
			p++;
			continue;
		}
		while (is_ident((unsigned char)p[len]))
			len++;
		for (const char *const *id = renamed_ids; *id; id++) {
			if (strlen(*id) == len && !strncmp(p, *id, len)) {
				fwrite(run, 1, (size_t)(p - run), f);
				fprintf(f, "%s__", prefix);
				run = p;
				break;
			}
		}
		p += len;
	}
	fputs(run, f);
}

int bundle_text(const struct bundle_member *mbs, size_t n, char **ret)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	for (size_t i = 0; i < n; i++) {
		if (!bundle_eligible(&mbs[i]))
			return -EINVAL;
	}
	f = open_memstream(&text, &size);
	if (!f)
		return errno ? -errno : -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct bundle_member *mb = &mbs[i];

		fprintf(f, "\n/* ---- %s ---- */\n", mb->name);
		for (int k = 0; k < mb->ncflags; k++) {
			const char *d = mb->cflags[k] + 2, *eq = strchr(d, '=');
			size_t len = flag_name_len(mb->cflags[k]);

			if (d[len] == '(') /* function-like: the name and parameters, up to '=' */
				len = eq ? (size_t)(eq - d) : strlen(d);
			fprintf(f, "#define %.*s %s\n", (int)len, d, eq ? eq + 1 : "1");
		}
		put_renamed(f, mb->text, mb->name);
		fputc('\n', f);
		for (int k = 0; k < mb->ncflags; k++)
			fprintf(f, "#undef %.*s\n", (int)flag_name_len(mb->cflags[k]),
				mb->cflags[k] + 2);
		for (const char *const *mac = per_probe_macros; *mac; mac++)
			fprintf(f, "#undef %s\n", *mac);
	}
	if (ferror(f)) {
		fclose(f);
		free(text);
		return -ENOMEM;
	}
	if (fclose(f)) {
		int r = errno ? -errno : -ENOMEM;

		free(text);
		return r;
	}
	*ret = text;
	return 0;
}

/* 1 when `text` has `name` as a whole word at p's position. */
static int word_at(const char *text, const char *p, size_t len)
{
	return (p == text || !is_ident((unsigned char)p[-1])) && !is_ident((unsigned char)p[len]);
}

/* 1 when text defines a program `name`: on a line that starts with its type (not static,
 * not a preprocessor line, not indented), the name, its parameters, then its body. */
static int declares_func(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
		const char *line = p, *q = p + len;

		while (line > text && line[-1] != '\n')
			line--;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '(' || !word_at(text, p, len) || !is_ident((unsigned char)*line) ||
		    !strncmp(line, "static", 6))
			continue;
		for (int depth = 0; *q; q++) { /* to the parameter list's end */
			depth += (*q == '(') - (*q == ')');
			if (!depth)
				break;
		}
		if (*q)
			q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q == '{') /* a definition, not a declaration */
			return 1;
	}
	return 0;
}

/* 1 when text declares a map `name`: BPF_<KIND>(name, ...), or name as the fourth argument of
 * BPF_TABLE("type", key, leaf, name, ...) and BPF_F_TABLE(...). */
static int declares_map(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
		const char *q = p, *mac;
		int commas = 0, depth = 0;

		if (!word_at(text, p, len))
			continue;
		/* back to the opening parenthesis of the call the name is an argument of */
		while (q > text && p - q < 512 && !(depth == 0 && q[-1] == '(')) {
			q--;
			if (*q == ';' || *q == '{' || *q == '}')
				break;
			depth += (*q == ')') - (*q == '(');
			commas += depth == 0 && *q == ',';
		}
		if (q == text || q[-1] != '(')
			continue;
		mac = --q;
		while (mac > text && (isupper((unsigned char)mac[-1]) ||
				      isdigit((unsigned char)mac[-1]) || mac[-1] == '_'))
			mac--;
		if (strncmp(mac, "BPF_", 4))
			continue;
		if (commas == 0 || (commas == 3 && (!strncmp(mac, "BPF_TABLE(", 10) ||
						    !strncmp(mac, "BPF_F_TABLE(", 12))))
			return 1;
	}
	return 0;
}

/* The member a compiled name belongs to, and the name it was written as; -1 if not one. */
static int owner(const char *name, int is_map, const struct bundle_member *mbs, size_t n,
		 const char **ret_written)
{
	int found = -1;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(mbs[i].name);

		if (!strncmp(name, mbs[i].name, len) && !strncmp(name + len, "__", 2)) {
			*ret_written = name + len + 2;
			return (int)i;
		}
	}
	*ret_written = name;
	for (size_t i = 0; i < n; i++) {
		if (is_map ? declares_map(mbs[i].text, name) : declares_func(mbs[i].text, name)) {
			if (found >= 0)
				return -1;
			found = (int)i;
		}
	}
	return found;
}

int bundle_split(struct bpf_image *img, const struct bundle_member *mbs, size_t n,
		 struct bpf_image **ret, char *err, size_t errlen)
{
	int *fown = calloc(img->nfuncs + 1, sizeof(int)), *mown = calloc(img->nmaps + 1, sizeof(int));
	char **mname = calloc(img->nmaps + 1, sizeof(char *));
	char **fname = calloc(img->nfuncs + 1, sizeof(char *));
	struct bpf_image **out = calloc(n ? n : 1, sizeof(*out));
	size_t nmaps = img->nmaps, nfuncs = img->nfuncs;
	int r = -ENOMEM;

	if (!fown || !mown || !mname || !fname || !out)
		goto done;
	r = -ENOENT;
	for (size_t i = 0; i < img->nfuncs; i++) {
		const char *w;

		fown[i] = owner(img->funcs[i].name, 0, mbs, n, &w);
		if (fown[i] < 0) {
			snprintf(err, errlen, "program %s is not one member's", img->funcs[i].name);
			goto done;
		}
		/* a common.h program (renamed_ids) goes back to the name its member asks for */
		if (!(fname[i] = strdup(w))) {
			r = -ENOMEM;
			goto done;
		}
	}
	for (size_t i = 0; i < img->nmaps; i++) {
		const char *w;

		mown[i] = owner(img->maps[i].name, 1, mbs, n, &w);
		if (mown[i] < 0) {
			snprintf(err, errlen, "map %s is not one member's", img->maps[i].name);
			goto done;
		}
		if (!(mname[i] = strdup(w))) {
			r = -ENOMEM;
			goto done;
		}
	}
	r = -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		size_t nf = 0, nm = 0;

		out[k] = calloc(1, sizeof(**out));
		if (!out[k])
			goto done;
		for (size_t i = 0; i < img->nfuncs; i++)
			nf += fown[i] == (int)k;
		for (size_t i = 0; i < img->nmaps; i++)
			nm += mown[i] == (int)k;
		out[k]->license = strdup(img->license ? img->license : "GPL");
		out[k]->kern_version = img->kern_version;
		out[k]->funcs = calloc(nf + 1, sizeof(*out[k]->funcs));
		out[k]->maps = calloc(nm + 1, sizeof(*out[k]->maps));
		if (!out[k]->license || !out[k]->funcs || !out[k]->maps)
			goto done;
	}
	/* Nothing can fail from here: move the programs and maps. */
	for (size_t i = 0; i < img->nfuncs; i++) {
		struct bpf_image *o = out[fown[i]];

		free(img->funcs[i].name);
		img->funcs[i].name = fname[i];
		fname[i] = NULL;
		o->funcs[o->nfuncs++] = img->funcs[i];
	}
	for (size_t i = 0; i < img->nmaps; i++) {
		struct bpf_image *o = out[mown[i]];

		free(img->maps[i].name);
		img->maps[i].name = mname[i];
		mname[i] = NULL;
		o->maps[o->nmaps++] = img->maps[i];
	}
	img->nfuncs = img->nmaps = 0;
	bpf_image_free(img);
	for (size_t k = 0; k < n; k++) {
		ret[k] = out[k];
		out[k] = NULL;
	}
	r = 0;
done:
	for (size_t k = 0; out && k < n; k++) {
		if (out[k]) {
			out[k]->nfuncs = out[k]->nmaps = 0; /* their contents are still img's */
			bpf_image_free(out[k]);
		}
	}
	for (size_t i = 0; mname && i < nmaps; i++)
		free(mname[i]);
	for (size_t i = 0; fname && i < nfuncs; i++)
		free(fname[i]);
	free(out);
	free(mname);
	free(fname);
	free(mown);
	free(fown);
	return r;
}

void bpf_image_free(struct bpf_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; img->funcs && i < img->nfuncs; i++) {
		free(img->funcs[i].name);
		free(img->funcs[i].insns);
	}
	for (size_t i = 0; img->maps && i < img->nmaps; i++) {
		free(img->maps[i].name);
		if (img->maps[i].fd >= 0)
			close(img->maps[i].fd);
	}
	free(img->funcs);
	free(img->maps);
	free(img->license);
	free(img);
}
