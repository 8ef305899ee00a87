/* json.h - JSON text for the JSON-lines sink: string escaping and one object per row. */
#ifndef EM_JSON_H
#define EM_JSON_H

#include <stddef.h>

#include "output/row.h"
#include "output/strbuf.h"

/* Appends s (NULL: empty) as a JSON string, quotes included: '"' and '\' escaped, control
 * characters (U+0000..U+001F) as \n \r \t \b \f or \u00XX, everything else as UTF-8. A byte that
 * does not start a valid UTF-8 sequence (see fmt_utf8_len) becomes U+FFFD, one per byte: JSON
 * text must be Unicode, and \u00XX would name a different character. 0 or -ENOMEM. */
int json_append_string(struct strbuf *b, const char *s);

/* Appends one row as a JSON object and a LF: keys are the column names, in column order;
 * COL_TIMESTAMP is a number (epoch seconds with milliseconds), COL_TIMESTR a string, COL_U64,
 * COL_S64 and COL_F64 numbers (a non-finite F64 is null). On -ENOMEM nothing is appended. */
int json_append_row(struct strbuf *b, const struct column *cols, size_t ncols, const struct row *r);

#endif
