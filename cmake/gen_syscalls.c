/* gen_syscalls.c - build-time tool: reads the `#define __NR_<name> <number>` lines of the kernel's
 * uapi headers and writes syscall_names.h, one name table per ABI, indexed by number, for
 * src/monitors/syscall_table.c. Names are never typed by hand: they follow the installed headers.
 * Usage: gen_syscalls OUT.h ABI=HEADER...  (ABI: x86_64 or aarch64; an empty HEADER gives that
 * ABI an empty table, so a machine without the header still builds). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MACROS 2048
#define MAX_DEPTH 32
/* Far above any ABI's highest number (x86_64 is in the 400s); keeps a bad line from making a
 * huge array. */
#define MAX_NR 4096

struct macro {
	char name[64];
	char value[128]; /* "" for function-like macros and empty definitions */
};

/* What the architecture's own asm/unistd.h defines before it includes the generic header:
 * asm-generic/unistd.h picks its entries by these (arch/arm64/include/uapi/asm/unistd.h). */
static const char *const predef_aarch64[] = {
	"__BITS_PER_LONG=64",	       "__ARCH_WANT_RENAMEAT",
	"__ARCH_WANT_NEW_STAT",	       "__ARCH_WANT_SET_GET_RLIMIT",
	"__ARCH_WANT_TIME32_SYSCALLS", "__ARCH_WANT_SYS_CLONE3",
	"__ARCH_WANT_MEMFD_SECRET",    NULL,
};
static const char *const predef_x86_64[] = { "__BITS_PER_LONG=64", NULL };

static const struct abi {
	const char *name;
	const char *const *predef;
} abis[] = {
	{ "x86_64", predef_x86_64 },
	{ "aarch64", predef_aarch64 },
};

static struct macro macros[MAX_MACROS];
static int nmacros;
static const char *cur_file;
static int cur_line;

static void warn(const char *msg)
{
	fprintf(stderr, "gen_syscalls: %s:%d: %s\n", cur_file, cur_line, msg);
}

static struct macro *macro_find(const char *name, size_t len)
{
	for (int i = 0; i < nmacros; i++)
		if (strlen(macros[i].name) == len && !strncmp(macros[i].name, name, len))
			return &macros[i];
	return NULL;
}

/* A redefinition keeps its place: the order of first definition is what "first name wins"
 * means for duplicate numbers. */
static void macro_define(const char *name, size_t len, const char *value)
{
	struct macro *m = macro_find(name, len);

	if (!m) {
		if (nmacros == MAX_MACROS || len >= sizeof(m->name)) {
			warn("too many or too long macros; ignored");
			return;
		}
		m = &macros[nmacros++];
		memcpy(m->name, name, len);
		m->name[len] = '\0';
	}
	snprintf(m->value, sizeof(m->value), "%s", value);
}

static void macro_undef(const char *name, size_t len)
{
	struct macro *m = macro_find(name, len);

	if (m) {
		memmove(m, m + 1, (size_t)(&macros[nmacros] - (m + 1)) * sizeof(*m));
		nmacros--;
	}
}

/*
 * A small evaluator for what these headers put in #if lines and in macro values:
 * numbers, defined(X), macros, ! - + == != < > <= >= && || and parentheses.
 */
struct expr {
	const char *p;
	int strict; /* an undefined identifier is an error (values), not 0 (#if) */
	int err;
	int depth;
};

static long eval_or(struct expr *e);

static void skip_space(struct expr *e)
{
	while (isspace((unsigned char)*e->p))
		e->p++;
}

static size_t ident_len(const char *p)
{
	size_t n = 0;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n;
}

static long eval_macro(struct expr *e, const char *name, size_t len)
{
	struct macro *m = macro_find(name, len);
	struct expr sub;
	long v;

	if (!m || !m->value[0]) {
		e->err |= e->strict;
		return 0;
	}
	if (e->depth > 16) {
		e->err = 1;
		return 0;
	}
	sub = (struct expr){ .p = m->value, .strict = e->strict, .depth = e->depth + 1 };
	v = eval_or(&sub);
	skip_space(&sub);
	if (sub.err || *sub.p)
		e->err = 1;
	return v;
}

static long eval_unary(struct expr *e)
{
	size_t n;

	skip_space(e);
	if (*e->p == '!') {
		e->p++;
		return !eval_unary(e);
	}
	if (*e->p == '-') {
		e->p++;
		return -eval_unary(e);
	}
	if (*e->p == '(') {
		long v;

		e->p++;
		v = eval_or(e);
		skip_space(e);
		if (*e->p != ')')
			e->err = 1;
		else
			e->p++;
		return v;
	}
	if (isdigit((unsigned char)*e->p)) {
		char *end;
		long v;

		errno = 0;
		v = strtol(e->p, &end, 0);
		if (errno)
			e->err = 1;
		while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
			end++;
		e->p = end;
		return v;
	}
	n = ident_len(e->p);
	if (!n) {
		e->err = 1;
		return 0;
	}
	if (n == 7 && !strncmp(e->p, "defined", 7)) {
		int paren, v;

		e->p += n;
		skip_space(e);
		paren = *e->p == '(';
		if (paren)
			e->p++;
		skip_space(e);
		n = ident_len(e->p);
		if (!n) {
			e->err = 1;
			return 0;
		}
		v = macro_find(e->p, n) != NULL;
		e->p += n;
		skip_space(e);
		if (paren) {
			if (*e->p != ')')
				e->err = 1;
			else
				e->p++;
		}
		return v;
	}
	e->p += n;
	return eval_macro(e, e->p - n, n);
}

static long eval_add(struct expr *e)
{
	long v = eval_unary(e);

	for (;;) {
		skip_space(e);
		if (*e->p == '+') {
			e->p++;
			v += eval_unary(e);
		} else if (*e->p == '-') {
			e->p++;
			v -= eval_unary(e);
		} else {
			return v;
		}
	}
}

static long eval_rel(struct expr *e)
{
	long v = eval_add(e);

	for (;;) {
		skip_space(e);
		if (!strncmp(e->p, "<=", 2)) {
			e->p += 2;
			v = v <= eval_add(e);
		} else if (!strncmp(e->p, ">=", 2)) {
			e->p += 2;
			v = v >= eval_add(e);
		} else if (*e->p == '<') {
			e->p++;
			v = v < eval_add(e);
		} else if (*e->p == '>') {
			e->p++;
			v = v > eval_add(e);
		} else {
			return v;
		}
	}
}

static long eval_eq(struct expr *e)
{
	long v = eval_rel(e);

	for (;;) {
		skip_space(e);
		if (!strncmp(e->p, "==", 2)) {
			e->p += 2;
			v = v == eval_rel(e);
		} else if (!strncmp(e->p, "!=", 2)) {
			e->p += 2;
			v = v != eval_rel(e);
		} else {
			return v;
		}
	}
}

/* Both sides are always evaluated: these headers have no side effects to short-circuit. */
static long eval_and(struct expr *e)
{
	long v = eval_eq(e);

	for (;;) {
		skip_space(e);
		if (strncmp(e->p, "&&", 2))
			return v;
		e->p += 2;
		v = eval_eq(e) && v;
	}
}

static long eval_or(struct expr *e)
{
	long v = eval_and(e);

	for (;;) {
		skip_space(e);
		if (strncmp(e->p, "||", 2))
			return v;
		e->p += 2;
		v = eval_and(e) || v;
	}
}

/* Returns 0 and sets *ret_v, or -1 when text is not an expression of known values. */
static int eval(const char *text, int strict, long *ret_v)
{
	struct expr e = { .p = text, .strict = strict };
	long v = eval_or(&e);

	skip_space(&e);
	if (e.err || *e.p)
		return -1;
	*ret_v = v;
	return 0;
}

/* Replaces comments by spaces (newlines kept, so line numbers stay) and joins continued lines. */
static void strip_comments(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '/' && r[1] == '*') {
			for (r += 2; *r && !(r[0] == '*' && r[1] == '/'); r++)
				if (*r == '\n')
					*w++ = '\n';
			r += *r ? 2 : 0;
			*w++ = ' ';
		} else if (r[0] == '/' && r[1] == '/') {
			while (*r && *r != '\n')
				r++;
		} else if (r[0] == '\\' && r[1] == '\n') {
			r += 2;
			*w++ = ' ';
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return NULL;
	}
	do {
		if (cap - len < 4096) {
			char *nbuf = realloc(buf, cap += 65536);

			if (!nbuf) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* One open #if: whether the lines under it count, and whether a branch was already taken. */
struct cond {
	int outer; /* the enclosing region is active */
	int taken;
	int active;
};

/* Runs the directives of one header: #define/#undef under the active branches only. */
static int preprocess(char *text)
{
	struct cond stack[MAX_DEPTH];
	int depth = 0, active = 1;
	char *line = text;

	cur_line = 0;
	while (line && *line) {
		char *next = strchr(line, '\n'), *p = line, *word;
		size_t wlen;
		long v;

		if (next)
			*next++ = '\0';
		cur_line++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '#')
			goto next_line;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		word = p;
		wlen = ident_len(p);
		p += wlen;
		while (isspace((unsigned char)*p))
			p++;
		/* Trailing blanks would end up in macro values. */
		for (char *end = p + strlen(p); end > p && isspace((unsigned char)end[-1]);)
			*--end = '\0';

		if ((wlen == 2 && !strncmp(word, "if", 2)) ||
		    (wlen == 5 && !strncmp(word, "ifdef", 5)) ||
		    (wlen == 6 && !strncmp(word, "ifndef", 6))) {
			int c = 0;

			if (depth == MAX_DEPTH) {
				warn("#if nested too deep");
				return -1;
			}
			if (active && wlen == 2) {
				if (eval(p, 0, &v)) {
					warn("cannot evaluate #if; its lines are skipped");
					v = 0;
				}
				c = v != 0;
			} else if (active) {
				c = macro_find(p, ident_len(p)) != NULL;
				c = wlen == 5 ? c : !c;
			}
			stack[depth++] = (struct cond){ .outer = active, .taken = c, .active = c };
			active = active && c;
		} else if (wlen == 4 && !strncmp(word, "elif", 4)) {
			struct cond *c = depth ? &stack[depth - 1] : NULL;

			if (!c) {
				warn("#elif without #if");
				return -1;
			}
			c->active = 0;
			if (c->outer && !c->taken) {
				if (eval(p, 0, &v)) {
					warn("cannot evaluate #elif; its lines are skipped");
					v = 0;
				}
				c->active = c->taken = v != 0;
			}
			active = c->outer && c->active;
		} else if (wlen == 4 && !strncmp(word, "else", 4)) {
			struct cond *c = depth ? &stack[depth - 1] : NULL;

			if (!c) {
				warn("#else without #if");
				return -1;
			}
			c->active = !c->taken;
			c->taken = 1;
			active = c->outer && c->active;
		} else if (wlen == 5 && !strncmp(word, "endif", 5)) {
			if (!depth) {
				warn("#endif without #if");
				return -1;
			}
			active = stack[--depth].outer;
		} else if (active && wlen == 6 && !strncmp(word, "define", 6)) {
			size_t n = ident_len(p);

			if (!n)
				goto next_line;
			/* Function-like macros only matter to defined(). */
			macro_define(p, n, p[n] == '(' ? "" : p + n + strspn(p + n, " \t"));
		} else if (active && wlen == 5 && !strncmp(word, "undef", 5)) {
			macro_undef(p, ident_len(p));
		}
next_line:
		line = next;
	}
	if (depth) {
		warn("unterminated #if");
		return -1;
	}
	return 0;
}

/* Only real syscall entries: not the count, nor the start of the arch's private range. */
static int is_syscall_macro(const char *name)
{
	return !strncmp(name, "__NR_", 5) && strcmp(name, "__NR_syscalls") &&
	       strcmp(name, "__NR_arch_specific_syscall");
}

/* Fills names[] (by number) from the macros; returns one past the highest number. */
static unsigned collect(const char **names, unsigned *ret_count)
{
	unsigned len = 0, count = 0;

	for (int i = 0; i < nmacros; i++) {
		const char *name = macros[i].name;
		long nr;

		if (!is_syscall_macro(name))
			continue;
		/* Aliases (__NR_fcntl -> __NR3264_fcntl) resolve through the macro table;
		 * anything that is not a number in the end is skipped. */
		if (eval(macros[i].value, 1, &nr) || nr < 0 || nr >= MAX_NR) {
			fprintf(stderr, "gen_syscalls: %s: skipping %s (%s)\n", cur_file, name,
				macros[i].value);
			continue;
		}
		if (names[nr])
			continue;
		names[nr] = name + 5;
		count++;
		if ((unsigned)nr + 1 > len)
			len = (unsigned)nr + 1;
	}
	*ret_count = count;
	return len;
}

static int emit_abi(FILE *out, const struct abi *abi, const char *header)
{
	static const char *names[MAX_NR];
	unsigned len = 0, count = 0;
	char *text = NULL;

	memset(names, 0, sizeof(names));
	nmacros = 0;
	cur_file = header;
	if (header[0]) {
		text = read_file(header);
		if (!text)
			return -1;
		strip_comments(text);
		for (const char *const *d = abi->predef; *d; d++) {
			const char *eq = strchr(*d, '=');

			macro_define(*d, eq ? (size_t)(eq - *d) : strlen(*d), eq ? eq + 1 : "1");
		}
		if (preprocess(text)) {
			free(text);
			return -1;
		}
		len = collect(names, &count);
		if (!count)
			fprintf(stderr, "gen_syscalls: %s: no __NR_ definitions found\n", header);
	}

	fprintf(out, "\n/* %s: %u names from %s */\n", abi->name, count,
		header[0] ? header : "(header not found at build time)");
	fprintf(out, "static const char *const gen_syscalls_%s[%u] = {\n", abi->name,
		len ? len : 1);
	for (unsigned nr = 0; nr < len; nr++)
		if (names[nr])
			fprintf(out, "\t[%u] = \"%s\",\n", nr, names[nr]);
	/* ISO C has no empty initializer. */
	fprintf(out, "%s};\n", len ? "" : "\t0,\n");
	fprintf(out, "static const unsigned gen_syscalls_%s_len = %u;\n", abi->name, len);
	fprintf(out, "static const unsigned gen_syscalls_%s_count = %u;\n", abi->name, count);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	const char *headers[sizeof(abis) / sizeof(abis[0])] = { 0 };
	FILE *out;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OUT.h ABI=HEADER...\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t a;

		for (a = 0; eq && a < sizeof(abis) / sizeof(abis[0]); a++)
			if (strlen(abis[a].name) == (size_t)(eq - argv[i]) &&
			    !strncmp(abis[a].name, argv[i], (size_t)(eq - argv[i])))
				break;
		if (!eq || a == sizeof(abis) / sizeof(abis[0])) {
			fprintf(stderr, "gen_syscalls: unknown ABI in '%s' (x86_64, aarch64)\n",
				argv[i]);
			return 2;
		}
		headers[a] = eq + 1;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fputs("/* syscall_names.h - generated from the kernel headers by cmake/gen_syscalls.c; do not "
	      "edit.\n * Included once, by src/monitors/syscall_table.c. */\n",
	      out);
	for (size_t a = 0; a < sizeof(abis) / sizeof(abis[0]); a++) {
		if (emit_abi(out, &abis[a], headers[a] ? headers[a] : "")) {
			fclose(out);
			remove(argv[1]);
			return 1;
		}
	}
	if (fclose(out)) {
		perror(argv[1]);
		remove(argv[1]);
		return 1;
	}
	return 0;
}
