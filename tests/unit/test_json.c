/* test_json.c - the JSON-lines renderer: string escaping (quotes, backslashes, control
 * characters, invalid UTF-8 as U+FFFD) and typed row objects keyed by the column names, the
 * attribution columns included. */
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

/* Attribution: the framework appends cgroup, unit, container_id, pod_uid after the monitor's
 * columns (and before sample_rate); they are keys like any other, and an empty value (a host
 * process: no container, no pod) stays an empty string, never left out or null. */
START_TEST(row_with_attribution)
{
	static const struct column cols[] = {
		{ "timestamp", COL_TIMESTAMP, 0, 0 },
		{ "comm", COL_STR, 0, 0 },
		{ "count", COL_U64, 0, 0 },
		{ "cgroup", COL_STR, 0, 0 },
		{ "unit", COL_STR, 0, 0 },
		{ "container_id", COL_STR, 0, 0 },
		{ "pod_uid", COL_STR, 0, 0 },
		{ "sample_rate", COL_U64, 0, 0 },
	};
	struct cell cells[8];
	struct row r = { .ts_ns = 1732176700123456789ULL, .cells = cells };
	struct strbuf b = { 0 };

	memset(cells, 0, sizeof(cells));
	cells[1].s = "nginx";
	cells[2].u = 42;
	cells[3].s = "/system.slice/nginx.service";
	cells[4].s = "nginx.service";
	cells[5].s = "";
	cells[6].s = NULL; /* what attrib_cells() gives a row of no class: still "" */
	cells[7].u = 1;
	ck_assert_int_eq(json_append_row(&b, cols, 8, &r), 0);
	/* a container's row, and one the kernel could not attribute */
	cells[3].s = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		     "1a2b3c4d_0000_4000_8000_123456789abc.slice/cri-containerd-"
		     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
	cells[4].s = "cri-containerd-"
		     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
	cells[5].s = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	cells[6].s = "1a2b3c4d-0000-4000-8000-123456789abc";
	ck_assert_int_eq(json_append_row(&b, cols, 8, &r), 0);
	cells[3].s = "unknown";
	cells[4].s = "unknown";
	cells[5].s = "";
	cells[6].s = "";
	ck_assert_int_eq(json_append_row(&b, cols, 8, &r), 0);
	ck_assert_int_eq(strbuf_putc(&b, '\0'), 0);
	ck_assert_str_eq(
		b.buf,
		"{\"timestamp\":1732176700.123,\"comm\":\"nginx\",\"count\":42,"
		"\"cgroup\":\"/system.slice/nginx.service\",\"unit\":\"nginx.service\","
		"\"container_id\":\"\",\"pod_uid\":\"\",\"sample_rate\":1}\n"
		"{\"timestamp\":1732176700.123,\"comm\":\"nginx\",\"count\":42,"
		"\"cgroup\":\"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		"1a2b3c4d_0000_4000_8000_123456789abc.slice/cri-containerd-"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\","
		"\"unit\":\"cri-containerd-"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\","
		"\"container_id\":"
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		"\"pod_uid\":\"1a2b3c4d-0000-4000-8000-123456789abc\",\"sample_rate\":1}\n"
		"{\"timestamp\":1732176700.123,\"comm\":\"nginx\",\"count\":42,"
		"\"cgroup\":\"unknown\",\"unit\":\"unknown\",\"container_id\":\"\","
		"\"pod_uid\":\"\",\"sample_rate\":1}\n");
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
	tcase_add_test(tc, row_with_attribution);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
