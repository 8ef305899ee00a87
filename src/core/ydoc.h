/* ydoc.h - a YAML document as a tree of nodes (libyaml events), with every node's position, and
 * the message helpers that quote a user's values. Errors are written to `err` (the message
 * without the file name) and leave where they happened in d->err_line/err_col (0: nowhere). */
#ifndef EM_YDOC_H
#define EM_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_ANCHORS 1024
#define SHOWN_MAX 60		       /* bytes of a user's value quoted in a message */
#define SHOWN_SIZE (SHOWN_MAX * 4 + 8) /* every byte may become "\xNN", plus "..." */
#define PATH_SIZE 320
#define NO_NODE SIZE_MAX

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	bool null;     /* plain "", "~" or "null" */
	bool open;     /* a collection still being parsed: an alias to it would be a cycle */
	int line, col; /* 1-based */
	char *text;    /* Y_SCALAR: NUL-terminated, len bytes (a "\0" escape may hide inside) */
	size_t len;
	size_t *kids; /* Y_SEQ: items; Y_MAP: key, value, key, value, ... */
	size_t nkids, cap;
};

struct yanchor {
	char *name;
	size_t node;
};

/* libyaml's document API lets an alias point at a collection that contains it (a cycle); this
 * tree refuses that, keeps every node's position, and lets an alias share its anchor's node. */
struct ydoc {
	struct ynode *nodes; /* nodes[0] is the root */
	size_t n, cap;
	struct yanchor *anchors;
	size_t nanchors;
	int err_line, err_col; /* where the last error was; 0: nowhere in particular */
};

/* Parses len bytes of buf into d (zeroed before); an empty document leaves it with no nodes.
 * 0, or -EINVAL (syntax, more than one document, too deep, bad alias) / -ENOMEM with err set;
 * d holds a partial tree then: ydoc_free() it. */
int ydoc_build(struct ydoc *d, const char *buf, size_t len, char *err, size_t errlen);
void ydoc_free(struct ydoc *d);

static inline struct ynode *ydoc_node(const struct ydoc *d, size_t i)
{
	return &d->nodes[i];
}

/* A scalar usable as a value: not a collection, not null, no NUL hidden by an escape. */
bool ydoc_is_value(const struct ynode *n);

/* Keys of mapping `map` are scalars, unique, and not merge keys. 0, or -EINVAL/-ENOMEM. */
int ydoc_check_map(struct ydoc *d, size_t map, const char *path, char *err, size_t errlen);

/* Records the error position (n NULL: none) and formats err; returns r. */
int ydoc_fail(struct ydoc *d, const struct ynode *n, int r, char *err, size_t errlen,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "PATH: expected WHAT, got 'VALUE'" at n; returns -EINVAL. */
int ydoc_fail_type(struct ydoc *d, const struct ynode *n, const char *path, const char *what,
		   char *err, size_t errlen);

/* Copies n bytes of s for a message: control characters escaped, cut after SHOWN_MAX bytes. */
const char *ydoc_shown(const char *s, size_t n, char *buf, size_t size);
const char *ydoc_shown_str(const char *s, char *buf, size_t size);
/* "a list", "a mapping", "an empty value" or the quoted value. */
const char *ydoc_describe(const struct ynode *n, char *buf, size_t size);
/* "path.key" for messages, cut to fit */
void ydoc_join(char *buf, size_t size, const char *path, const char *key);

#endif
