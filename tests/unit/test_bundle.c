/* test_bundle.c - the combined compile's text and the split of its image back into one image
 * per probe (src/bpf/bundle.c), without BPF: images built by hand. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/bundle.h"
#include "testutil.h"

/* Two probe texts shaped like the real ones: common.h's per-probe part, then the probe. */
#define COMMON                                                                                  \
	"#ifndef EM_SELF_TGID\n#define EM_SELF_TGID 0\n#endif\n"                                \
	"BPF_ARRAY(em_epoch, __u32, 1);\n"                                                      \
	"BPF_ARRAY(em_stats, __u64, 4);\n"                                                      \
	"static __always_inline void em_count(int idx)\n{\n\t__u64 *v = em_stats.lookup(&idx);\n}\n"

static const char text_a[] = COMMON
	"BPF_PERCPU_HASH(a_counts, u32, u64, A_ENTRIES);\n"
	"static __always_inline int a_account(void)\n{\n\tem_count(0);\n\treturn 0;\n}\n"
	"int tp_a_exit(void *ctx)\n{\n\treturn a_account();\n}\n"
	"/* em_stats_total and xem_stats are other names */ int em_stats_total, xem_stats;\n";

static const char text_b[] = COMMON
	"BPF_HASH( b_start , u32, u64, 64);\n"
	"BPF_F_TABLE(\"hash\", u64, struct b_event, b_inflight, 1024,\n\tBPF_F_NO_PREALLOC);\n"
	"/* b_stray(x, y, z, b_notmap) */ int b_fn(int a, int b, int c, int b_notmap2);\n"
	"BPF_PERF_OUTPUT(b_events);\n"
	"int kp_b_enter(struct pt_regs *ctx)\n{\n\treturn 0;\n}\n"
	"int tp_b_exit (void *ctx)\n{\n\tem_count(1);\n\treturn 0;\n}\n";

static const char *const flags_a[] = { "-DA_ENTRIES=4096", "-DEM_SELF_TGID=42", "-DA_ON" };
static const char *const flags_b[] = { "-DB_OFF(x)=((x) + 8)", "-DEM_FILTER_PIDS=1" };

static const struct bundle_member two[] = {
	{ "alpha", text_a, flags_a, 3 },
	{ "beta", text_b, flags_b, 2 },
};

START_TEST(eligible_only_with_defines_and_named_programs)
{
	static const char *const inc[] = { "-DX=1", "-I/usr/include/foo" };
	static const char *const bare[] = { "-D" };
	struct bundle_member mb = { "m", text_a, flags_a, 3 };

	ck_assert_int_eq(bundle_eligible(&mb), 1);
	mb.cflags = inc;
	mb.ncflags = 2;
	ck_assert_int_eq(bundle_eligible(&mb), 0);
	mb.cflags = bare;
	mb.ncflags = 1;
	ck_assert_int_eq(bundle_eligible(&mb), 0);
	mb.cflags = flags_a;
	mb.ncflags = 3;
	/* bcc's probe macros make the program names: the split could not find them */
	mb.text = "KFUNC_PROBE(vfs_read)\n{\n\treturn 0;\n}\n";
	ck_assert_int_eq(bundle_eligible(&mb), 0);
}
END_TEST

START_TEST(text_gives_each_member_its_flags_and_names)
{
	char *t = NULL;
	const char *a, *b;

	ck_assert_int_eq(bundle_text(two, 2, &t), 0);
	ck_assert_ptr_nonnull(t);
	a = strstr(t, "/* ---- alpha ---- */");
	b = strstr(t, "/* ---- beta ---- */");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a < b);
	/* flags as #define before the member, #undef after it */
	ck_assert_ptr_nonnull(strstr(a, "#define A_ENTRIES 4096\n#define EM_SELF_TGID 42\n"
					"#define A_ON 1\n"));
	ck_assert_ptr_nonnull(strstr(b, "#define B_OFF(x) ((x) + 8)\n#define EM_FILTER_PIDS 1\n"));
	ck_assert(strstr(a, "#undef A_ENTRIES\n#undef EM_SELF_TGID\n#undef A_ON\n") < b);
	ck_assert_ptr_nonnull(strstr(b, "#undef B_OFF\n#undef EM_FILTER_PIDS\n"));
	/* EM_SELF_TGID is undone after every member, also one that did not set it */
	ck_assert_ptr_nonnull(strstr(strstr(b, "tp_b_exit"), "#undef EM_SELF_TGID\n"));
	/* common identifiers renamed in the text (a map call may not come from a macro) */
	ck_assert_ptr_nonnull(strstr(a, "BPF_ARRAY(alpha__em_epoch, __u32, 1);"));
	ck_assert_ptr_nonnull(strstr(a, "alpha__em_stats.lookup(&idx)"));
	ck_assert_ptr_nonnull(strstr(a, "\talpha__em_count(0);"));
	ck_assert_ptr_nonnull(strstr(b, "beta__em_stats.lookup(&idx)"));
	ck_assert_ptr_nonnull(strstr(b, "\tbeta__em_count(1);"));
	ck_assert_ptr_null(strstr(t, "#define em_"));
	/* whole words only */
	ck_assert_ptr_nonnull(strstr(a, "int em_stats_total, xem_stats;"));
	ck_assert_ptr_null(strstr(t, "alpha__em_stats_total"));
	free(t);
}
END_TEST

START_TEST(text_refuses_a_member_that_cannot_share)
{
	static const char *const inc[] = { "-I/x" };
	struct bundle_member mbs[2] = { two[0], { "gamma", text_b, inc, 1 } };
	char *t = NULL;

	ck_assert_int_eq(bundle_text(mbs, 2, &t), -EINVAL);
	ck_assert_ptr_null(t);
}
END_TEST

static struct bpf_image *image(const char *const *funcs, const char *const *maps, int *fds)
{
	struct bpf_image *img = calloc(1, sizeof(*img));
	size_t nf = 0, nm = 0;

	while (funcs[nf])
		nf++;
	while (maps[nm])
		nm++;
	img->license = strdup("GPL");
	img->kern_version = 0x060100;
	img->funcs = calloc(nf, sizeof(*img->funcs));
	img->maps = calloc(nm, sizeof(*img->maps));
	for (size_t i = 0; i < nf; i++) {
		img->funcs[i].name = strdup(funcs[i]);
		img->funcs[i].size = 8 * (i + 1);
		img->funcs[i].insns = calloc(1, img->funcs[i].size);
	}
	for (size_t i = 0; i < nm; i++) {
		img->maps[i].name = strdup(maps[i]);
		img->maps[i].fd = fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		img->maps[i].max_entries = 10 + i;
	}
	img->nfuncs = nf;
	img->nmaps = nm;
	return img;
}

static const struct image_map *map_named(const struct bpf_image *img, const char *name)
{
	for (size_t i = 0; i < img->nmaps; i++) {
		if (!strcmp(img->maps[i].name, name))
			return &img->maps[i];
	}
	return NULL;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

START_TEST(split_gives_back_each_members_programs_and_maps)
{
	/* as bcc lists them: maps sorted by name */
	static const char *const funcs[] = { "tp_a_exit", "kp_b_enter", "tp_b_exit",
					     "beta__em_tp_task_fork", NULL };
	static const char *const maps[] = { "a_counts",       "alpha__em_epoch", "alpha__em_stats",
					    "b_events",       "b_start",         "beta__em_epoch",
					    "beta__em_stats", "b_inflight",      NULL };
	int fds[9];
	struct bpf_image *img = image(funcs, maps, fds), *out[2] = { NULL, NULL };
	char why[128] = "";

	ck_assert_int_eq(bundle_split(img, two, 2, out, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	ck_assert_uint_eq(out[0]->nfuncs, 1);
	ck_assert_str_eq(out[0]->funcs[0].name, "tp_a_exit");
	ck_assert_uint_eq(out[0]->funcs[0].size, 8);
	ck_assert_uint_eq(out[1]->nfuncs, 3);
	ck_assert_str_eq(out[1]->funcs[0].name, "kp_b_enter");
	ck_assert_str_eq(out[1]->funcs[1].name, "tp_b_exit");
	/* a common program under its written name, as the member attaches it */
	ck_assert_str_eq(out[1]->funcs[2].name, "em_tp_task_fork");
	ck_assert_uint_eq(out[0]->nmaps, 3);
	ck_assert_uint_eq(out[1]->nmaps, 5);
	ck_assert_int_eq(map_named(out[1], "b_inflight")->fd, fds[7]);
	/* common maps under their written names, each member its own */
	ck_assert_int_eq(map_named(out[0], "em_stats")->fd, fds[2]);
	ck_assert_int_eq(map_named(out[1], "em_stats")->fd, fds[6]);
	ck_assert_int_eq(map_named(out[0], "em_epoch")->fd, fds[1]);
	ck_assert_uint_eq(map_named(out[1], "em_epoch")->max_entries, 15);
	ck_assert_int_eq(map_named(out[0], "a_counts")->fd, fds[0]);
	ck_assert_ptr_nonnull(map_named(out[1], "b_start"));
	ck_assert_ptr_nonnull(map_named(out[1], "b_events"));
	ck_assert_ptr_null(map_named(out[0], "b_start"));
	ck_assert_str_eq(out[1]->license, "GPL");
	ck_assert_uint_eq(out[1]->kern_version, 0x060100);
	/* the fds moved, none closed; freeing a part closes its own only */
	for (int i = 0; i < 8; i++)
		ck_assert(fd_open(fds[i]));
	bpf_image_free(out[0]);
	ck_assert(!fd_open(fds[0]) && !fd_open(fds[2]));
	ck_assert(fd_open(fds[3]) && fd_open(fds[6]));
	bpf_image_free(out[1]);
	ck_assert(!fd_open(fds[6]));
}
END_TEST

START_TEST(split_refuses_what_is_not_one_members)
{
	static const char *const stray_f[] = { "tp_a_exit", "tp_c", NULL };
	static const char *const maps[] = { "a_counts", NULL };
	static const char *const funcs[] = { "tp_a_exit", NULL };
	static const char *const stray_m[] = { "a_counts", "c_map", NULL };
	/* a program both texts define (a static helper does not count) */
	static const char both[] = "int shared(void *ctx)\n{\n\treturn 0;\n}\n";
	static const char helper[] = "static int shared(void *ctx) { return 0; }\n"
				     "int shared(void *ctx);\n";
	struct bundle_member dup[2] = { { "x", both, NULL, 0 }, { "y", both, NULL, 0 } };
	struct bundle_member one[2] = { { "x", both, NULL, 0 }, { "y", helper, NULL, 0 } };
	static const char *const shared[] = { "shared", NULL };
	static const char *const none[] = { NULL };
	struct bpf_image *img, *out[2] = { NULL, NULL };
	int fds[4];
	char why[128];

	img = image(stray_f, maps, fds);
	ck_assert_int_eq(bundle_split(img, two, 2, out, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "program tp_c is not one member's");
	ck_assert_ptr_null(out[0]);
	ck_assert_uint_eq(img->nfuncs, 2); /* untouched */
	ck_assert(fd_open(fds[0]));
	bpf_image_free(img);

	img = image(funcs, stray_m, fds);
	ck_assert_int_eq(bundle_split(img, two, 2, out, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "map c_map is not one member's");
	ck_assert_uint_eq(img->nmaps, 2);
	bpf_image_free(img);

	/* only BPF_TABLE's fourth argument names a map; another function's does not */
	{
		static const char *const notmaps[] = { "b_notmap2", NULL };

		img = image(funcs, notmaps, fds);
		ck_assert_int_eq(bundle_split(img, two, 2, out, why, sizeof(why)), -ENOENT);
		ck_assert_str_eq(why, "map b_notmap2 is not one member's");
		bpf_image_free(img);
	}

	img = image(shared, none, fds);
	ck_assert_int_eq(bundle_split(img, dup, 2, out, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "program shared is not one member's");
	ck_assert_int_eq(bundle_split(img, one, 2, out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out[0]->nfuncs, 1);
	ck_assert_uint_eq(out[1]->nfuncs, 0);
	bpf_image_free(out[0]);
	bpf_image_free(out[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, eligible_only_with_defines_and_named_programs);
	tcase_add_test(tc, text_gives_each_member_its_flags_and_names);
	tcase_add_test(tc, text_refuses_a_member_that_cannot_share);
	tcase_add_test(tc, split_gives_back_each_members_programs_and_maps);
	tcase_add_test(tc, split_refuses_what_is_not_one_members);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
