/* test_func_resolve.c - func patterns: wildcards, the probe limit, stable order, and what must
 * never be probed (compiler clones, __pfx_ symbols, the kprobe blacklist). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "monitors/func_resolve.h"
#include "testutil.h"

static const char kallsyms[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81001000 T vfs_write\n"
	"ffffffff81002000 t vfs_read\n"
	"ffffffff81002100 t __pfx_vfs_read\n"
	"ffffffff81003000 t vfs_get_tree.cold\n"
	"ffffffff81004000 T vfs_fsync\n"
	"ffffffff81005000 T vfs_open\n"
	"ffffffff81006000 D vfs_data_not_text\n"
	"ffffffff81007000 T tcp_sendmsg\n"
	"ffffffff81008000 T tcp_sendpage\n"
	"ffffffff81009000 t tcp_recvmsg\n"
	"ffffffff8100a000 T do_int3\n"
	"ffffffffc0000000 t vfs_mod_helper\t[somemod]\n"
	"ffffffff8100b000 t vfs_read\n"; /* a second static vfs_read: one probe */

static const char blacklist[] = "0xffffffff8100a000-0xffffffff8100a100\tdo_int3\n";

static void candidates(struct func_names *n)
{
	FILE *k = fmemopen((void *)kallsyms, sizeof(kallsyms) - 1, "r");
	FILE *b = fmemopen((void *)blacklist, sizeof(blacklist) - 1, "r");

	memset(n, 0, sizeof(*n));
	ck_assert_int_eq(func_names_from_kallsyms(k, b, n), 0);
	fclose(k);
	fclose(b);
}

static int has(const struct func_names *n, const char *name)
{
	for (size_t i = 0; i < n->n; i++) {
		if (!strcmp(n->v[i], name))
			return 1;
	}
	return 0;
}

START_TEST(test_candidates_exclude_unprobeable)
{
	struct func_names n;

	candidates(&n);
	ck_assert(has(&n, "vfs_read") && has(&n, "vfs_mod_helper") && has(&n, "tcp_sendmsg"));
	ck_assert(!has(&n, "vfs_get_tree.cold"));  /* compiler clone */
	ck_assert(!has(&n, "__pfx_vfs_read"));     /* padding symbol */
	ck_assert(!has(&n, "vfs_data_not_text"));  /* data, not code */
	ck_assert(!has(&n, "do_int3"));            /* kprobe blacklist */
	func_names_free(&n);
}
END_TEST

START_TEST(test_wildcards_order_and_limit)
{
	const char *pats[] = { "vfs_read", "vfs_*", "tcp_*send*", "nosuch_*" };
	struct func_resolution r;
	struct func_names n;

	candidates(&n);
	ck_assert_int_eq(func_resolve(pats, 4, 10, &n, &r), 0);
	/* pattern order first, each pattern's matches sorted; vfs_read once */
	ck_assert_uint_eq(r.chosen.n, 7);
	ck_assert_str_eq(r.chosen.v[0], "vfs_read");
	ck_assert_str_eq(r.chosen.v[1], "vfs_fsync");
	ck_assert_str_eq(r.chosen.v[2], "vfs_mod_helper");
	ck_assert_str_eq(r.chosen.v[3], "vfs_open");
	ck_assert_str_eq(r.chosen.v[4], "vfs_write");
	ck_assert_str_eq(r.chosen.v[5], "tcp_sendmsg");
	ck_assert_str_eq(r.chosen.v[6], "tcp_sendpage");
	ck_assert_uint_eq(r.ncut, 0);
	ck_assert_uint_eq(r.unmatched_patterns, 1);
	func_resolution_free(&r);
	func_names_free(&n);

	candidates(&n);
	ck_assert_int_eq(func_resolve(pats, 3, 3, &n, &r), 0);
	ck_assert_uint_eq(r.chosen.n, 3);
	ck_assert_str_eq(r.chosen.v[2], "vfs_mod_helper");
	ck_assert_uint_eq(r.ncut, 4); /* vfs_open, vfs_write, tcp_sendmsg, tcp_sendpage */
	ck_assert_str_eq(r.cut.v[0], "vfs_open");
	func_resolution_free(&r);
	func_names_free(&n);
}
END_TEST

START_TEST(test_filter_functions_format)
{
	static const char aff[] = "vfs_read\nvfs_write\nsome_mod_fn [mymod]\nvfs_read\n";
	FILE *f = fmemopen((void *)aff, sizeof(aff) - 1, "r");
	const char *pats[] = { "*" };
	struct func_resolution r;
	struct func_names n = { 0 };

	ck_assert_int_eq(func_names_from_filter_functions(f, &n), 0);
	fclose(f);
	ck_assert_int_eq(func_resolve(pats, 1, 10, &n, &r), 0);
	ck_assert_uint_eq(r.chosen.n, 3); /* deduplicated, module suffix stripped */
	ck_assert_str_eq(r.chosen.v[0], "some_mod_fn");
	ck_assert_str_eq(r.chosen.v[1], "vfs_read");
	func_resolution_free(&r);
	func_names_free(&n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("func_resolve");
	TCase *tc = tcase_create("resolve");

	tcase_add_test(tc, test_candidates_exclude_unprobeable);
	tcase_add_test(tc, test_wildcards_order_and_limit);
	tcase_add_test(tc, test_filter_functions_format);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
