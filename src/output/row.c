/* row.c - text rendering of number cells for the sinks (times and UTF-8: common/text.c). */
#include <math.h>
#include <stdio.h>

#include "output/row.h"

int fmt_cell_number(const struct column *col, const struct cell *c, char *buf, size_t len)
{
	int prec;

	switch (col->type) {
	case COL_U64:
		return snprintf(buf, len, "%llu", (unsigned long long)c->u);
	case COL_S64:
		return snprintf(buf, len, "%lld", (long long)c->i);
	case COL_F64:
		/* An undefined ratio (0/0) is an empty cell, which spreadsheets read as missing. */
		if (!isfinite(c->f))
			return snprintf(buf, len, "%s", "");
		prec = col->precision < 0 ? 0 : col->precision > 17 ? 17 : col->precision;
		return snprintf(buf, len, "%.*f", prec, c->f);
	default:
		return -1;
	}
}
