/* options.h - declarative option schemas and the engine that reads them: a monitor lists its config
 * keys, config.c lists the core ones; options.c parses a value of a type, applies defaults, frees
 * and compares. */
#ifndef EM_OPTIONS_H
#define EM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum opt_type {
	OPT_BOOL,    /* bool */
	OPT_INT,     /* long long, within [min, max] */
	OPT_DOUBLE,  /* double, within [min, max] */
	OPT_STRING,  /* char * (owned by the config), one of choices[] when choices != NULL */
	OPT_STRLIST, /* struct strlist: a YAML sequence of scalars (or one scalar) */
	OPT_BOOLMAP, /* struct boolmap: a mapping key -> bool, keys from choices[] */
	OPT_CHAR,    /* char: one printable ASCII character or a tab, not '"' (a CSV delimiter) */
	OPT_FORMATS, /* unsigned: OUTPUT_* bits, from a format name or a list of them */
	OPT_SECTION, /* no value: a mapping of the rows whose keys start with this key and '.' */
	OPT_NODE,    /* no value: the loader reads the node itself (config.c's hooks) */
	OPT_PERCENT, /* double: a percentage ("2", "0.5", "2%"), 0 or within [min, max]; 0, "0%",
			"off" and false mean none (0) */
};

/* opt_spec.flags */
#define OPT_NULLABLE 1u /* null in the file unsets the value (NULL): OPT_STRING */
#define OPT_RESTART 2u	/* reload: a change takes effect at the next restart (and is said so) */

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
	unsigned flags; /* OPT_NULLABLE, OPT_RESTART */
	/* After a value is stored (not when null unset it): 0, or -EINVAL with err set ("PATH: "
	 * goes before it). */
	int (*check)(const void *value, char *err, size_t errlen);
};

#define OPT_END { 0 }

/* Where a value came from, for error messages: "config/monitor_config.yaml:12:5". */
struct src_pos {
	const char *file;
	int line, column; /* 1-based; 0 when the value is a default */
};

struct ydoc;
struct ynode;

/* Stores the value at node vi of d as o describes, into base + o->offset (a value already there
 * is freed). 0, or -EINVAL/-ENOMEM with err set and the position in d->err_line/err_col. */
int opt_set(const struct opt_spec *o, void *base, struct ydoc *d, size_t vi, const char *path,
	    char *err, size_t errlen);
/* Sets o from its `def` text, read with the same rules as a file (none: left as it is). 0,
 * -EINVAL (a `def` its option rejects) or -ENOMEM. */
int opt_default(const struct opt_spec *o, void *base);
/* Frees what o owns in base (OPT_STRING, OPT_STRLIST) and clears it. */
void opt_free(const struct opt_spec *o, void *base);
void opts_free(const struct opt_spec *specs, void *base); /* OPT_END-terminated; NULL-safe */
/* Whether o's value is the same in the two structs a and b. */
bool opt_equal(const struct opt_spec *o, const void *a, const void *b);
bool opts_equal(const struct opt_spec *specs, const void *a, const void *b);
/* Whether o holds a value (not OPT_SECTION or OPT_NODE). */
bool opt_has_value(const struct opt_spec *o);

/* The scalars of a file: 0 or -EINVAL. */
int opt_parse_bool(const char *s, bool *ret);
int opt_parse_ll(const char *s, long long *ret);
int opt_parse_double(const char *s, double *ret);
/* "a, b, c" */
void opt_choices_text(const char *const *choices, char *buf, size_t size);
/* "PATH: expected one of ..., got '...' (did you mean '...'?)" at n; -EINVAL. */
int opt_fail_choice(struct ydoc *d, const struct ynode *n, const char *path,
		    const char *const *choices, char *err, size_t errlen);

#endif
