/* tracefs.c - finds tracefs and reads tracepoint formats, so probes use the running kernel's
 * field offsets rather than assumed ones. */
#include "core/tracefs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const tracefs_candidates[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

static char tracefs_root[256]; /* tracefs_set_root()'s; "" when unset */

void tracefs_set_root(const char *root)
{
	snprintf(tracefs_root, sizeof(tracefs_root), "%s", root ? root : "");
}

const char *tracefs_path(void)
{
	char p[512];

	if (tracefs_root[0]) {
		snprintf(p, sizeof(p), "%s/events", tracefs_root);
		return access(p, R_OK | X_OK) == 0 ? tracefs_root : NULL;
	}
	for (size_t i = 0; i < sizeof(tracefs_candidates) / sizeof(tracefs_candidates[0]); i++) {
		snprintf(p, sizeof(p), "%s/events", tracefs_candidates[i]);
		if (access(p, R_OK | X_OK) == 0)
			return tracefs_candidates[i];
	}
	return NULL;
}

bool tracefs_event_exists(const char *category, const char *event)
{
	const char *t = tracefs_path();
	char p[512];

	if (!t)
		return false;
	snprintf(p, sizeof(p), "%s/events/%s/%s/format", t, category, event);
	return access(p, R_OK) == 0;
}

int tracefs_parse_field(const char *text, const char *field, int *ret_offset, int *ret_size)
{
	size_t flen = strlen(field);

	/* Lines look like: "\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;", arrays
	 * as "field:char comm[16];" and 6.x strings as "field:__data_loc char[] comm;". */
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *f = strstr(l, "field:");
		const char *semi, *name_end, *name;
		const char *eol = strchr(l, '\n');
		int off, size;

		if (!f || (eol && f > eol))
			continue;
		semi = strchr(f, ';');
		if (!semi || (eol && semi > eol))
			continue;
		/* "char comm[16];": the array suffix follows the name; "char[] x;" does not. */
		name_end = semi;
		if (name_end > f && name_end[-1] == ']') {
			while (name_end > f && *name_end != '[')
				name_end--;
		}
		name = name_end;
		while (name > f && (name[-1] == '_' || (name[-1] >= '0' && name[-1] <= '9') ||
				    (name[-1] >= 'a' && name[-1] <= 'z') ||
				    (name[-1] >= 'A' && name[-1] <= 'Z')))
			name--;
		if ((size_t)(name_end - name) != flen || strncmp(name, field, flen))
			continue;
		if (sscanf(semi, "; offset:%d; size:%d;", &off, &size) != 2 &&
		    sscanf(semi, ";\toffset:%d;\tsize:%d;", &off, &size) != 2)
			return -EINVAL;
		*ret_offset = off;
		*ret_size = size;
		return 0;
	}
	return -ENOENT;
}

int tracefs_format(const char *category, const char *event, char *buf, size_t len)
{
	const char *t = tracefs_path();
	char p[512];
	size_t n;
	FILE *f;

	if (!t)
		return -ENODEV;
	if (!len)
		return -EINVAL;
	snprintf(p, sizeof(p), "%s/events/%s/%s/format", t, category, event);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

int tracefs_field(const char *category, const char *event, const char *field, int *ret_offset,
		  int *ret_size)
{
	char buf[8192];
	int r = tracefs_format(category, event, buf, sizeof(buf));

	return r ? r : tracefs_parse_field(buf, field, ret_offset, ret_size);
}
