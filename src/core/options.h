/* options.h - declarative option schemas: a monitor lists its config keys, config.c validates them. */
#ifndef EM_OPTIONS_H
#define EM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum opt_type {
	OPT_BOOL,     /* bool */
	OPT_INT,      /* long long, within [min, max] */
	OPT_DOUBLE,   /* double, within [min, max] */
	OPT_STRING,   /* char * (owned by the config), one of choices[] when choices != NULL */
	OPT_STRLIST,  /* struct strlist: a YAML sequence of scalars (or one scalar) */
	OPT_BOOLMAP,  /* struct boolmap: a mapping key -> bool, keys from choices[] */
};

struct strlist {
	char **v; /* owned */
	size_t n;
};

struct boolmap {
	unsigned long long set;   /* bit i: choices[i] appeared */
	unsigned long long value; /* bit i: its value */
};

struct opt_spec {
	const char *key;
	enum opt_type type;
	size_t offset;              /* where the value lives in the monitor's options struct */
	double min, max;            /* OPT_INT, OPT_DOUBLE (both 0: no limit); OPT_STRING without
				       choices: min > 0 means it must not be empty */
	const char *const *choices; /* NULL-terminated; OPT_STRING (optional, matched without regard
				       to case, stored as spelled here), OPT_BOOLMAP (required, at
				       most 64) */
	const char *def;            /* default as YAML text ("2", "true", "auto", "[a, b]",
				       "{x: true}"); NULL: zero/empty */
	const char *help;
};

#define OPT_END { 0 }

/* Where a value came from, for error messages: "config/monitor_config.yaml:12:5". */
struct src_pos {
	const char *file;
	int line, column; /* 1-based; 0 when the value is a default */
};

#endif
