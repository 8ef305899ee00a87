/* strbuf.h - a growable byte buffer for the sinks' renderers (CSV, JSON lines, Prometheus). */
#ifndef EM_STRBUF_H
#define EM_STRBUF_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct strbuf {
	char *buf; /* not NUL-terminated unless the user adds one */
	size_t len, cap;
};

/* Room for `extra` more bytes; 0 or -ENOMEM (the buffer is unchanged then). */
static inline int strbuf_reserve(struct strbuf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *nb;

	if (b->len + extra <= b->cap)
		return 0;
	while (cap < b->len + extra)
		cap *= 2;
	nb = realloc(b->buf, cap);
	if (!nb)
		return -ENOMEM;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

static inline int strbuf_add(struct strbuf *b, const char *s, size_t n)
{
	if (strbuf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	return 0;
}

static inline int strbuf_puts(struct strbuf *b, const char *s)
{
	return strbuf_add(b, s, strlen(s));
}

static inline int strbuf_putc(struct strbuf *b, char c)
{
	return strbuf_add(b, &c, 1);
}

static inline void strbuf_free(struct strbuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

#endif
