/* fuzz_config.c - libFuzzer harness for the config loader (src/core/config.c + libyaml): arbitrary
 * bytes as a config file, loaded against a schema set with every option type (ints, doubles,
 * strings with choices, boolean maps, attach choices). A load either succeeds or fails with a
 * message naming file:line:column; it never crashes, leaks or reads out of bounds (ASan, UBSan),
 * and a loaded config frees cleanly and loads again the same way. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"

struct fz_opts {
	long long count;
	double ratio;
	char *mode;
	bool flag;
	struct boolmap cats;
	struct strlist names;
};

static const char *const fz_modes[] = { "fast", "careful", NULL };
static const char *const fz_cats[] = { "file_io", "network", "other", NULL };
static const char *const fz_attach[] = { "auto", "tracepoint", "kprobe", NULL };

static const struct opt_spec fz_spec[] = {
	{ "count", OPT_INT, offsetof(struct fz_opts, count), 0, 1000000, .def = "1" },
	{ "ratio", OPT_DOUBLE, offsetof(struct fz_opts, ratio), 0, 1, .def = "0.5" },
	{ "mode", OPT_STRING, offsetof(struct fz_opts, mode), .choices = fz_modes, .def = "fast" },
	{ "flag", OPT_BOOL, offsetof(struct fz_opts, flag), .def = "false" },
	{ "monitor_categories", OPT_BOOLMAP, offsetof(struct fz_opts, cats), .choices = fz_cats,
	  .def = "{file_io: true}" },
	{ "names", OPT_STRLIST, offsetof(struct fz_opts, names), .def = "[a, b]" },
	OPT_END
};

/* The guide's monitor names, so that its files reach the per-monitor code. */
static const struct monitor_schema fz_schemas[] = {
	{ "exec", NULL, 0, false, fz_attach },
	{ "syscall", fz_spec, sizeof(struct fz_opts), true, fz_attach },
	{ "open", fz_spec, sizeof(struct fz_opts), true, fz_attach },
	{ "context_switch", NULL, 0, true, NULL },
};

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	if (!msg || strlen(msg) > 1 << 16)
		abort();
}

static int load(const char *path, struct config *cfg, struct config_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	return config_load(cfg, path, fz_schemas, sizeof(fz_schemas) / sizeof(fz_schemas[0]),
			   ignore, NULL, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct config_error e1, e2;
	struct config c1, c2;
	int r1, r2;

	if (fd < 0) {
		fd = memfd_create("fuzz_config.yaml", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	r1 = load(path, &c1, &e1);
	r2 = load(path, &c2, &e2);
	/* Deterministic, and a failure always says why. */
	if (r1 != r2 || (r1 && (!e1.msg[0] || strcmp(e1.msg, e2.msg))))
		abort();
	if (!r1 && (c1.nmonitors != c2.nmonitors || c1.output.csv_delimiter == '"' ||
		    c1.output.csv_delimiter == '\n'))
		abort();
	config_free(&c1);
	config_free(&c2);
	return 0;
}
