/* test_analyze_csv.c - the analyzer's streaming CSV reader: RFC 4180 quoting, LF and CRLF,
 * blank lines, malformed records reported and skipped past, limits, and every input window
 * size giving the same records. */
#include <errno.h>

#include "testutil.h"
#include "analyze/csv_reader.h"

/* Reads all of text with the given limits into a printable transcript: one line per record,
 * fields joined by '|' ("BAD(line):why" for malformed ones). Caller frees. */
static char *transcript(const char *text, size_t len, char delim, size_t chunk, size_t max_record,
			size_t max_fields)
{
	struct csv_limits lim = { max_record, max_fields, chunk };
	struct csv_reader *r = csv_reader_new_mem(text, len, delim, &lim);
	struct csv_record rec;
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);
	int rc;

	ck_assert_ptr_nonnull(r);
	while ((rc = csv_reader_next(r, &rec)) != 0) {
		if (rc == -EBADMSG) {
			fprintf(f, "BAD(%llu):%s\n", rec.line, rec.error);
			continue;
		}
		ck_assert_int_eq(rc, 1);
		fprintf(f, "%llu:", rec.line);
		for (size_t i = 0; i < rec.nfields; i++) {
			ck_assert_uint_eq(strlen(rec.field[i]), rec.len[i]);
			fprintf(f, "%s[%s]", i ? "|" : "", rec.field[i]);
		}
		fputc('\n', f);
	}
	ck_assert_uint_eq(csv_reader_offset(r), len);
	csv_reader_free(r);
	fclose(f);
	return out;
}

static char *read_all(const char *text)
{
	return transcript(text, strlen(text), ',', 0, 0, 0);
}

#define CHECK_CSV(text, expect)                 \
	do {                                    \
		char *got_ = read_all(text);    \
		ck_assert_str_eq(got_, expect); \
		free(got_);                     \
	} while (0)

START_TEST(test_plain_records)
{
	CHECK_CSV("a,b,c\n1,2,3\n", "1:[a]|[b]|[c]\n2:[1]|[2]|[3]\n");
	/* Empty fields, and the last line without a line end (RFC 4180 allows it). */
	CHECK_CSV(",,\nx,,y", "1:[]|[]|[]\n2:[x]|[]|[y]\n");
}
END_TEST

START_TEST(test_quoting)
{
	/* Delimiter, doubled quote and a line end inside quotes; the next record's line number
	 * counts the embedded line end. */
	CHECK_CSV("x,\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\"\nnext,1\n",
		  "1:[x]|[a,b]|[say \"hi\"]|[l1\nl2]\n3:[next]|[1]\n");
	/* "" alone is one empty field, not a blank line. */
	CHECK_CSV("\"\"\n", "1:[]\n");
	CHECK_CSV("\"\",\"\"\n", "1:[]|[]\n");
}
END_TEST

START_TEST(test_crlf_and_blank_lines)
{
	CHECK_CSV("a,b\r\n1,2\r\n", "1:[a]|[b]\n2:[1]|[2]\n");
	CHECK_CSV("\"a\",\"b\"\r\n\"1\r\n2\",3\r\n", "1:[a]|[b]\n2:[1\r\n2]|[3]\n");
	/* Blank lines (LF or CRLF) are skipped, line numbers still count them. */
	CHECK_CSV("a\n\n\r\nb\n", "1:[a]\n4:[b]\n");
	/* A CR that is not before LF is data. */
	CHECK_CSV("a\rb,c\n", "1:[a\rb]|[c]\n");
}
END_TEST

START_TEST(test_malformed_then_resync)
{
	/* Each malformed record is reported once and the reader goes on with the next one. */
	CHECK_CSV("\"ab\"c,d\n1,2\n", "BAD(1):text after a closing quote\n2:[1]|[2]\n");
	CHECK_CSV("ab\"c,d\n1,2\n", "BAD(1):quote inside an unquoted field\n2:[1]|[2]\n");
	CHECK_CSV("\"ab\"\rx\n1,2\n", "BAD(1):text after a closing quote\n2:[1]|[2]\n");
	CHECK_CSV("ok,1\nx,\"unterminated\n",
		  "1:[ok]|[1]\n"
		  "BAD(2):unterminated quoted field (truncated input?)\n");
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "a\0b,c\nd,e\n";
	char *got = transcript(text, sizeof(text) - 1, ',', 0, 0, 0);

	ck_assert_str_eq(got, "BAD(1):NUL byte in a field\n2:[d]|[e]\n");
	free(got);
}
END_TEST

START_TEST(test_limits)
{
	char *got;

	/* Longer than max_record: bad, and the next record is intact. */
	got = transcript("aaaaaaaaaaaaaaaaaaaaaaaa,b\nc,d\n", 31, ',', 0, 16, 0);
	ck_assert_str_eq(got, "BAD(1):record too long\n2:[c]|[d]\n");
	free(got);
	/* An open quote that runs past max_record resyncs at the next line end, so it cannot
	 * swallow the rest of the file. */
	got = transcript("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nx,y\n", 35, ',', 0, 16, 0);
	ck_assert_str_eq(got, "BAD(1):record too long\n2:[x]|[y]\n");
	free(got);
	got = transcript("a,b,c,d\ne,f\n", 12, ',', 0, 0, 3);
	ck_assert_str_eq(got, "BAD(1):too many fields\n2:[e]|[f]\n");
	free(got);
}
END_TEST

START_TEST(test_delimiters)
{
	char *got = transcript("a;\"b;c\";d,e\n", 12, ';', 0, 0, 0);

	ck_assert_str_eq(got, "1:[a]|[b;c]|[d,e]\n");
	free(got);
	got = transcript("a\tb c\n", 6, '\t', 0, 0, 0);
	ck_assert_str_eq(got, "1:[a]|[b c]\n");
	free(got);
}
END_TEST

/* Every window size, down to one byte, gives the records the one-window read gives: quotes,
 * CRLF and the CR lookahead split across reads must not matter. */
START_TEST(test_window_sizes)
{
	static const char text[] = "h1,h2,h3\r\n\"q\"\"x\",\"a\r\nb\",c\r\n\n\"ab\"\rz,1,2\n"
				   "\"end\"\r\nlast,\"\",x";
	char *want = transcript(text, sizeof(text) - 1, ',', 1 << 16, 0, 0);

	ck_assert_str_eq(want, "1:[h1]|[h2]|[h3]\n2:[q\"x]|[a\r\nb]|[c]\n"
			       "BAD(5):text after a closing quote\n6:[end]\n7:[last]|[]|[x]\n");
	for (size_t chunk = 1; chunk <= 9; chunk++) {
		char *got = transcript(text, sizeof(text) - 1, ',', chunk, 0, 0);

		ck_assert_msg(!strcmp(got, want), "window %zu:\n%s", chunk, got);
		free(got);
	}
	free(want);
}
END_TEST

START_TEST(test_fd_reader)
{
	int p[2];
	struct csv_reader *r;
	struct csv_record rec;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "a,\"b\nc\"\n", 8), 8);
	close(p[1]);
	r = csv_reader_new_fd(p[0], ',', NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(csv_reader_next(r, &rec), 1);
	ck_assert_uint_eq(rec.nfields, 2);
	ck_assert_str_eq(rec.field[1], "b\nc");
	ck_assert_int_eq(csv_reader_next(r, &rec), 0);
	csv_reader_free(r);
	close(p[0]);

	/* A read error is returned as -errno, not taken for the end of the file. */
	r = csv_reader_new_fd(-1, ',', NULL);
	ck_assert_int_eq(csv_reader_next(r, &rec), -EBADF);
	csv_reader_free(r);
	csv_reader_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("analyze_csv");
	TCase *tc = tcase_create("reader");

	tcase_add_test(tc, test_plain_records);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_crlf_and_blank_lines);
	tcase_add_test(tc, test_malformed_then_resync);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_delimiters);
	tcase_add_test(tc, test_window_sizes);
	tcase_add_test(tc, test_fd_reader);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
