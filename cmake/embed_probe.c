/* embed_probe.c - build-time tool: writes probes/<m>.bpf.c, with its quoted #includes from the
 * probe directory inlined (each once), as the C string `em_probe_<m>`.
 * Usage: embed_probe OUT.c PROBE_DIR NAME... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char inlined[64][256];
static int ninlined;

static void emit_escaped(FILE *out, const char *line)
{
	fputc('"', out);
	for (const char *p = line; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', out);
		if (*p == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*p, out);
	}
	fputs("\"\n", out);
}

static int emit_file(FILE *out, const char *dir, const char *name)
{
	char path[1024], line[4096];
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(path, "r");
	if (!in) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), in)) {
		char inc[256];

		if (sscanf(line, "#include \"%255[^\"]\"", inc) == 1) {
			int seen = 0;

			for (int i = 0; i < ninlined; i++)
				seen |= !strcmp(inlined[i], inc);
			if (!seen && ninlined < 64) {
				snprintf(inlined[ninlined++], sizeof(inlined[0]), "%s", inc);
				if (emit_file(out, dir, inc)) {
					fclose(in);
					return -1;
				}
			}
			continue;
		}
		emit_escaped(out, line);
	}
	fclose(in);
	return 0;
}

int main(int argc, char **argv)
{
	FILE *out;

	if (argc < 4) {
		fprintf(stderr, "usage: %s OUT.c PROBE_DIR NAME...\n", argv[0]);
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fputs("/* Generated from probes/ by cmake/embed_probe.c; do not edit. */\n", out);
	for (int i = 3; i < argc; i++) {
		char file[300];

		ninlined = 0;
		snprintf(file, sizeof(file), "%s.bpf.c", argv[i]);
		fprintf(out, "const char em_probe_%s[] =\n", argv[i]);
		if (emit_file(out, argv[2], file)) {
			fclose(out);
			remove(argv[1]);
			return 1;
		}
		fputs(";\n", out);
	}
	return fclose(out) ? 1 : 0;
}
