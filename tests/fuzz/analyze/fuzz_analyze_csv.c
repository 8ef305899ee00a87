/* fuzz_analyze_csv.c - libFuzzer harness for ebpf-monitor-analyze: arbitrary bytes through the
 * streaming CSV reader (small limits, windows down to one byte) and through a whole report
 * (column binding, parsing, aggregation, text and HTML rendering). The first byte picks the
 * limits, the report type and the delimiter; with its top bit set, the type's own header is put
 * in front so that random rows reach the aggregation. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/csv_reader.h"
#include "analyze/report.h"

static void fuzz_reader(const uint8_t *data, size_t size, uint8_t sel)
{
	struct csv_limits lim = { 32 + (size_t)(sel & 0x3f) * 8, 2 + (size_t)(sel >> 6) * 5,
				  1 + (size_t)(sel % 13) };
	struct csv_reader *r = csv_reader_new_mem(data, size, sel & 0x40 ? ';' : ',', &lim);
	struct csv_record rec;
	int rc;

	if (!r)
		return;
	while ((rc = csv_reader_next(r, &rec)) != 0) {
		if (rc == -EBADMSG)
			continue;
		if (rc < 0)
			abort(); /* memory input cannot fail to read */
		if (rec.nfields > lim.max_fields)
			abort();
		for (size_t i = 0; i < rec.nfields; i++)
			if (strlen(rec.field[i]) != rec.len[i] || rec.len[i] > lim.max_record)
				abort();
	}
	if (csv_reader_offset(r) != size)
		abort();
	csv_reader_free(r);
}

static void fuzz_report(const uint8_t *data, size_t size, uint8_t sel)
{
	const struct report_type *t = report_types[sel % 8];
	struct analyze_opts o = { .top = 3, .max_keys = 16, .delim = ',', .types = ~0u };
	char *buf = NULL, *text = NULL, *html = NULL;
	size_t blen = 0, tlen = 0, hlen = 0;
	struct report_ctx ctx;
	struct csv_reader *r;
	FILE *f;
	void *st;

	snprintf(o.period.label, sizeof(o.period.label), "all");
	snprintf(o.period.desc, sizeof(o.period.desc), "all data");
	if (sel & 0x80) {
		f = open_memstream(&buf, &blen);
		if (!f)
			return;
		fputs("timestamp", f);
		for (size_t i = 0; i < t->ncols; i++)
			fprintf(f, ",%s", t->cols[i].name);
		fputc('\n', f);
		fwrite(data, 1, size, f);
		fclose(f);
		data = (const uint8_t *)buf;
		size = blen;
	}
	report_ctx_init(&ctx, t, &o);
	st = report_state_new(t, &o);
	r = csv_reader_new_mem(data, size, o.delim, &(struct csv_limits){ 0, 0, 7 });
	if (st && r) {
		struct out to = { NULL, OUT_TEXT, t->name, 0, false };
		struct out ho = { NULL, OUT_HTML, t->name, 0, false };

		if (report_read_stream(&ctx, st, r, "fuzz.csv") < 0)
			abort();
		if (ctx.st.used + ctx.st.outside + ctx.st.malformed != ctx.st.rows)
			abort();
		to.f = open_memstream(&text, &tlen);
		ho.f = open_memstream(&html, &hlen);
		if (to.f && ho.f) {
			report_render(&ctx, st, &to);
			report_render(&ctx, st, &ho);
		}
		if (to.f)
			fclose(to.f);
		if (ho.f)
			fclose(ho.f);
	}
	csv_reader_free(r);
	report_state_free(t, st);
	free(text);
	free(html);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0];
	fuzz_reader(data + 1, size - 1, sel);
	fuzz_report(data + 1, size - 1, sel);
	return 0;
}
