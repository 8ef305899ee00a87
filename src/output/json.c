/* json.c - JSON escaping and row objects for the JSON-lines sink. */
#include "output/json.h"
#include "common/text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

int json_append_string(struct strbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = b->len, n = s ? strlen(s) : 0, i = 0;

	if (strbuf_putc(b, '"'))
		return -ENOMEM;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		int ul;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			size_t j = i;

			/* A run of plain ASCII in one copy. */
			while (j < n && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x80 &&
			       s[j] != '"' && s[j] != '\\')
				j++;
			if (strbuf_add(b, s + i, j - i))
				goto err;
			i = j;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			if (strbuf_add(b, esc, 2))
				goto err;
		} else if (c < 0x20) {
			const char *e = c == '\n' ? "\\n" :
					c == '\r' ? "\\r" :
					c == '\t' ? "\\t" :
					c == '\b' ? "\\b" :
					c == '\f' ? "\\f" :
						    NULL;

			if (e ? strbuf_add(b, e, 2) : strbuf_add(b, esc, 6))
				goto err;
		} else {
			ul = fmt_utf8_len(s + i, n - i);
			if (ul > 0) {
				if (strbuf_add(b, s + i, (size_t)ul))
					goto err;
				i += (size_t)ul;
				continue;
			}
			if (strbuf_add(b, "\xef\xbf\xbd", 3)) /* U+FFFD */
				goto err;
		}
		i++;
	}
	if (strbuf_putc(b, '"'))
		goto err;
	return 0;
err:
	b->len = start;
	return -ENOMEM;
}

int json_append_row(struct strbuf *b, const struct column *cols, size_t ncols, const struct row *r)
{
	size_t start = b->len;
	char tmp[64];

	if (strbuf_putc(b, '{'))
		goto err;
	for (size_t i = 0; i < ncols; i++) {
		const struct column *col = &cols[i];
		int n;

		if ((i && strbuf_putc(b, ',')) || json_append_string(b, col->name) ||
		    strbuf_putc(b, ':'))
			goto err;
		switch (col->type) {
		case COL_TIMESTAMP:
			n = fmt_timestamp(r->ts_ns, tmp, sizeof(tmp));
			break;
		case COL_TIMESTR:
			fmt_time_str(r->ts_ns, 1, tmp, sizeof(tmp));
			if (json_append_string(b, tmp))
				goto err;
			continue;
		case COL_STR:
			if (json_append_string(b, r->cells[i].s))
				goto err;
			continue;
		case COL_F64:
			if (!isfinite(r->cells[i].f)) {
				n = snprintf(tmp, sizeof(tmp), "null");
				break;
			}
			/* fall through */
		default:
			n = fmt_cell_number(col, &r->cells[i], tmp, sizeof(tmp));
			break;
		}
		if (n <= 0 || (size_t)n >= sizeof(tmp) || strbuf_add(b, tmp, (size_t)n))
			goto err;
	}
	if (strbuf_add(b, "}\n", 2))
		goto err;
	return 0;
err:
	b->len = start;
	return -ENOMEM;
}
