/* test_json.c - the JSON-lines renderer: string escaping (quotes, backslashes, control
 * characters, invalid UTF-8 as U+FFFD) and typed row objects keyed by the column names. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "output/json.h"
#include "testutil.h"

static char out[4096];

static const char *esc(const char *s)
{
	struct strbuf b = { 0 };

	ck_assert_int_eq(json_append_string(&b, s), 0);
	ck_assert_uint_lt(b.len, sizeof(out));
	memcpy(out, b.buf, b.len);
	out[b.len] = '\0';
	strbuf_free(&b);
	return out;
}

START_TEST(plain_and_special)
{
	ck_assert_str_eq(esc("bash"), "\"bash\"");
	ck_assert_str_eq(esc(""), "\"\"");
	ck_assert_str_eq(esc(NULL), "\"\"");
	ck_assert_str_eq(esc("a\"b"), "\"a\\\"b\"");
	ck_assert_str_eq(esc("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
	ck_assert_str_eq(esc("/tmp/x,y z"), "\"/tmp/x,y z\"");
	/* '/' and DEL need no escape */
	ck_assert_str_eq(esc("a/b\x7f"), "\"a/b\x7f\"");
}
END_TEST

START_TEST(control_characters)
{
	ck_assert_str_eq(esc("l1\nl2\r\t\b\f"), "\"l1\\nl2\\r\\t\\b\\f\"");
	ck_assert_str_eq(esc("\x01\x1b\x1f"), "\"\\u0001\\u001b\\u001f\"");
}
END_TEST

START_TEST(utf8_kept_invalid_replaced)
{
	/* valid multibyte sequences pass through */
	ck_assert_str_eq(esc("ünï©ødé €😀"), "\"ünï©ødé €😀\"");
	/* one U+FFFD per byte that is not valid UTF-8 */
	ck_assert_str_eq(esc("a\xff"
			     "b"),
			 "\"a\xef\xbf\xbd"
			 "b\"");
	ck_assert_str_eq(esc("\xc3("), "\"\xef\xbf\xbd(\"");
	ck_assert_str_eq(esc("\xe2\x82"), "\"\xef\xbf\xbd\xef\xbf\xbd\""); /* truncated */
	ck_assert_str_eq(esc("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\""); /* overlong */
	ck_assert_str_eq(esc("\xed\xa0\x80"),
			 "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
}
END_TEST

START_TEST(row_object)
{
	static const struct column cols[] = {
		{ "timestamp", COL_TIMESTAMP, 0, 0 },
		{ "time_str", COL_TIMESTR, 0, 0 },
		{ "comm", COL_STR, 0, 0 },
		{ "count", COL_U64, 0, 0 },
		{ "ret", COL_S64, 0, 0 },
		{ "rate", COL_F64, 4, 0 },
		{ "nan", COL_F64, 3, 0 },
		{ "path", COL_STR, 0, 0 },
	};
	struct cell cells[8];
	struct row r = { .ts_ns = 1732176700123456789ULL, .cells = cells };
	struct strbuf b = { 0 };

	utc();
	memset(cells, 0, sizeof(cells));
	cells[2].s = "ba\"sh";
	cells[3].u = 18446744073709551615ULL;
	cells[4].i = -2;
	cells[5].f = 0.25;
	cells[6].f = NAN;
	cells[7].s = NULL;
	ck_assert_int_eq(json_append_row(&b, cols, 8, &r), 0);
	ck_assert_int_eq(strbuf_putc(&b, '\0'), 0);
	ck_assert_str_eq(b.buf,
			 "{\"timestamp\":1732176700.123,\"time_str\":\"[2024-11-21 "
			 "08:11:40.123]\",\"comm\":\"ba\\\"sh\",\"count\":18446744073709551615,"
			 "\"ret\":-2,\"rate\":0.2500,\"nan\":null,\"path\":\"\"}\n");
	strbuf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, plain_and_special);
	tcase_add_test(tc, control_characters);
	tcase_add_test(tc, utf8_kept_invalid_replaced);
	tcase_add_test(tc, row_object);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
