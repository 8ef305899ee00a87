/* test_bpf_rules.c - the old-kernel model of the personality shim and the probe checker: each
 * rule catches a program planted to break it, and passes the same program written the way the
 * old kernel wants it. */
#include <check.h>
#include <string.h>

#include "bpf_rules.h"
#include "testutil.h"

/* Instruction builders (the kernel's are not in its uapi headers). */
#define I(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_K(d, i) I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_X(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_K(d, i) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define AND_K(d, i) I(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define ST_DW(d, o, i) I(BPF_ST | BPF_MEM | BPF_DW, d, 0, o, i)
#define STX_DW(d, s, o) I(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define LDX_DW(d, s, o) I(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define LDX_W(d, s, o) I(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define CALL(h) I(BPF_JMP | BPF_CALL, 0, 0, 0, h)
#define JEQ_K(d, i, o) I(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JA(o) I(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP(d, fd) I(BPF_LD | BPF_IMM | BPF_DW, d, BPF_PSEUDO_MAP_FD, 0, fd), I(0, 0, 0, 0, 0)

#define CHECK(profile, type, prog)                                                             \
	bpf_rules_check(bpf_profile_find(profile), type, prog, sizeof(prog) / sizeof(prog[0]), \
			NULL, why, sizeof(why))

static char why[2048];

START_TEST(test_profiles)
{
	ck_assert_ptr_nonnull(bpf_profile_find("rhel7"));
	ck_assert_ptr_nonnull(bpf_profile_find("4.9"));
	ck_assert_ptr_nonnull(bpf_profile_find("4.15"));
	ck_assert_ptr_nonnull(bpf_profile_find("4.18"));
	ck_assert_ptr_null(bpf_profile_find("5.0"));
	ck_assert_uint_eq(bpf_helper_since(BPF_FUNC_probe_read_str), BPF_RULES_KV(4, 11));
	ck_assert_uint_eq(bpf_helper_since(BPF_FUNC_get_numa_node_id), BPF_RULES_KV(4, 10));
	ck_assert_uint_eq(bpf_helper_since(BPF_FUNC_perf_event_output), BPF_RULES_KV(4, 4));
	ck_assert_uint_eq(bpf_helper_since(9999), 0);
}
END_TEST

/* RHEL 7 loads tracing programs only; raw tracepoints need 4.17. */
START_TEST(test_prog_type)
{
	const struct bpf_insn p[] = { MOV_K(0, 0), EXIT };

	ck_assert_int_eq(CHECK("rhel7", BPF_PROG_TYPE_KPROBE, p), 0);
	ck_assert_int_eq(CHECK("rhel7", BPF_PROG_TYPE_SOCKET_FILTER, p), 1);
	ck_assert_ptr_nonnull(strstr(why, "program type 1"));
	ck_assert_int_eq(CHECK("4.9", BPF_PROG_TYPE_SOCKET_FILTER, p), 0);
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_RAW_TRACEPOINT, p), 1);
	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_RAW_TRACEPOINT, p), 0);
	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_TRACING, p), 1);
}
END_TEST

START_TEST(test_helper_versions)
{
	/* r1 = r10 - 16; r2 = 16; r3 = r1 (any source); probe_read_str(r1, r2, r3) */
	const struct bpf_insn str[] = {
		MOV_X(1, 10),
		ADD_K(1, -16),
		MOV_K(2, 16),
		MOV_K(3, 0),
		CALL(BPF_FUNC_probe_read_str),
		MOV_K(0, 0),
		EXIT,
	};
	const struct bpf_insn numa[] = { CALL(BPF_FUNC_get_numa_node_id), EXIT };
	const struct bpf_insn unknown[] = { CALL(170), EXIT };

	ck_assert_int_eq(CHECK("4.9", BPF_PROG_TYPE_KPROBE, str), 1);
	ck_assert_ptr_nonnull(strstr(why, "insn 4: helper bpf_probe_read_str (45) is from 4.11"));
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_KPROBE, str), 0);
	ck_assert_int_eq(CHECK("rhel7", BPF_PROG_TYPE_PERF_EVENT, numa), 1);
	ck_assert_ptr_nonnull(strstr(why, "get_numa_node_id (42) is from 4.10"));
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_PERF_EVENT, numa), 0);
	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_KPROBE, unknown), 1);
	ck_assert_ptr_nonnull(strstr(why, "not in the table"));
}
END_TEST

/* exec's old mistake: a per-CPU array value used as the value of a hash update. */
START_TEST(test_map_value_as_map_argument)
{
	const struct bpf_insn bad[] = {
		ST_DW(10, -8, 0), /* key 0 on the stack */
		LD_MAP(1, 3),
		MOV_X(2, 10),
		ADD_K(2, -8),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_K(0, 0, 7), /* if (!v) exit */
		MOV_X(3, 0),	/* value = the map value */
		LD_MAP(1, 4),
		MOV_X(2, 10),
		ADD_K(2, -8),
		MOV_K(4, 0),
		CALL(BPF_FUNC_map_update_elem),
		MOV_K(0, 0),
		EXIT,
	};
	/* The same value spilled to the stack and filled back: still a map value. */
	const struct bpf_insn spilled[] = {
		ST_DW(10, -8, 0),
		LD_MAP(1, 3),
		MOV_X(2, 10),
		ADD_K(2, -8),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_K(0, 0, 5),
		STX_DW(10, 0, -16),
		LD_MAP(1, 4),
		LDX_DW(2, 10, -16), /* key = the spilled map value */
		CALL(BPF_FUNC_map_lookup_elem),
		MOV_K(0, 0),
		EXIT,
	};
	/* Copied to the stack first: fine everywhere. */
	const struct bpf_insn good[] = {
		ST_DW(10, -8, 0),
		LD_MAP(1, 3),
		MOV_X(2, 10),
		ADD_K(2, -8),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_K(0, 0, 9),
		LDX_DW(3, 0, 0),
		STX_DW(10, 3, -16),
		LD_MAP(1, 4),
		MOV_X(2, 10),
		ADD_K(2, -8),
		MOV_X(3, 10),
		ADD_K(3, -16),
		CALL(BPF_FUNC_map_update_elem),
		MOV_K(0, 0),
		EXIT,
	};

	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_KPROBE, bad), 1);
	ck_assert_ptr_nonnull(strstr(why, "map_update_elem: value (r3) points into a map value"));
	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_KPROBE, bad), 0);
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_KPROBE, spilled), 1);
	ck_assert_ptr_nonnull(strstr(why, "map_lookup_elem: key (r2) points into a map value"));
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_KPROBE, good), 0);
	ck_assert_int_eq(CHECK("rhel7", BPF_PROG_TYPE_KPROBE, good), 0);
}
END_TEST

/* Before 4.11: get_current_comm into a map value, perf_submit of a variable size. */
START_TEST(test_helper_memory)
{
	const struct bpf_insn comm_to_value[] = {
		ST_DW(10, -8, 0),
		LD_MAP(1, 3),
		MOV_X(2, 10),
		ADD_K(2, -8),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_K(0, 0, 3),
		MOV_X(1, 0),
		MOV_K(2, 16),
		CALL(BPF_FUNC_get_current_comm),
		MOV_K(0, 0),
		EXIT,
	};
	const struct bpf_insn variable_size[] = {
		MOV_X(6, 1),			/* ctx */
		LDX_W(5, 1, 0), AND_K(5, 0xff), /* size = ctx's first word & 0xff */
		MOV_X(4, 10),	ADD_K(4, -256), /* data on the stack */
		MOV_X(1, 6),	LD_MAP(2, 5),	MOV_K(3, -1), CALL(BPF_FUNC_perf_event_output),
		MOV_K(0, 0),	EXIT,
	};
	const struct bpf_insn const_size[] = {
		MOV_X(6, 1), MOV_K(5, 64), MOV_X(4, 10), ADD_K(4, -256),
		MOV_X(1, 6), LD_MAP(2, 5), MOV_K(3, -1), CALL(BPF_FUNC_perf_event_output),
		MOV_K(0, 0), EXIT,
	};

	ck_assert_int_eq(CHECK("4.9", BPF_PROG_TYPE_KPROBE, comm_to_value), 1);
	ck_assert_ptr_nonnull(strstr(why, "get_current_comm: r1 points into a map value"));
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_KPROBE, comm_to_value), 0);
	ck_assert_int_eq(CHECK("rhel7", BPF_PROG_TYPE_TRACEPOINT, variable_size), 1);
	ck_assert_ptr_nonnull(strstr(why, "size (r5) is not a constant"));
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_TRACEPOINT, variable_size), 0);
	ck_assert_int_eq(CHECK("rhel7", BPF_PROG_TYPE_TRACEPOINT, const_size), 0);
}
END_TEST

/* A value kept on one path and a map value on another: either may reach the helper. */
START_TEST(test_paths_merge)
{
	const struct bpf_insn p[] = {
		ST_DW(10, -8, 0),
		MOV_X(6, 10),
		ADD_K(6, -8), /* r6 = stack */
		LD_MAP(1, 3),
		MOV_X(2, 10),
		ADD_K(2, -8),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_K(0, 0, 1),
		MOV_X(6, 0), /* r6 = the map value when found */
		LD_MAP(1, 4),
		MOV_X(2, 6),
		CALL(BPF_FUNC_map_delete_elem),
		MOV_K(0, 0),
		EXIT,
	};

	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_KPROBE, p), 1);
	ck_assert_ptr_nonnull(strstr(why, "map_delete_elem: key (r2) points into a map value"));
}
END_TEST

START_TEST(test_loops_size_stack)
{
	const struct bpf_insn loop[] = { MOV_K(0, 3), ADD_K(0, -1), JEQ_K(0, 0, 1), JA(-3), EXIT };
	/* LLVM shares blocks: a jump backwards into code already finished is not a loop. */
	const struct bpf_insn shared[] = { JEQ_K(1, 0, 2), MOV_K(0, 1), EXIT, MOV_K(0, 2), JA(-4) };
	const struct bpf_insn deep[] = { ST_DW(10, -520, 0), MOV_K(0, 0), EXIT };
	static struct bpf_insn big[BPF_RULES_MAX_INSNS_OLD + 2];

	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_KPROBE, loop), 1);
	ck_assert_ptr_nonnull(strstr(why, "insn 3: jump back to insn 1: a loop"));
	ck_assert_int_eq(CHECK("4.9", BPF_PROG_TYPE_KPROBE, shared), 0);
	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_KPROBE, deep), 1);
	ck_assert_ptr_nonnull(strstr(why, "outside the 512-byte stack"));
	for (size_t i = 0; i + 1 < sizeof(big) / sizeof(big[0]); i++)
		big[i] = MOV_K(0, 0);
	big[sizeof(big) / sizeof(big[0]) - 1] = EXIT;
	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_KPROBE, big), 1);
	ck_assert_ptr_nonnull(strstr(why, "4098 instructions: at most 4096 before 5.2"));
}
END_TEST

/* JMP32 (5.1) and BPF-to-BPF calls (4.16): what a newer LLVM or a non-inlined helper emits. */
START_TEST(test_newer_instructions)
{
	const struct bpf_insn jmp32[] = {
		MOV_K(0, 0),
		I(BPF_JMP32 | BPF_JEQ | BPF_K, 1, 0, 0, 0),
		EXIT,
	};
	const struct bpf_insn call[] = {
		I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1),
		EXIT,
		MOV_K(0, 0),
		EXIT,
	};

	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_KPROBE, jmp32), 1);
	ck_assert_ptr_nonnull(strstr(why, "insn 1: JMP32 instruction: from 5.1"));
	ck_assert_int_eq(CHECK("4.15", BPF_PROG_TYPE_KPROBE, call), 1);
	ck_assert_ptr_nonnull(strstr(why, "insn 0: BPF-to-BPF call: from 4.16"));
	ck_assert_int_eq(CHECK("4.18", BPF_PROG_TYPE_KPROBE, call), 0);
}
END_TEST

static int fake_map_type(int fd)
{
	return fd == 7 ? BPF_MAP_TYPE_LRU_HASH : BPF_MAP_TYPE_HASH;
}

START_TEST(test_map_types)
{
	const struct bpf_insn p[] = {
		ST_DW(10, -8, 0),
		LD_MAP(1, 7),
		MOV_X(2, 10),
		ADD_K(2, -8),
		CALL(BPF_FUNC_map_lookup_elem),
		MOV_K(0, 0),
		EXIT,
	};
	const struct bpf_profile *rhel7 = bpf_profile_find("rhel7");

	ck_assert_int_eq(bpf_rules_check(rhel7, BPF_PROG_TYPE_KPROBE, p, sizeof(p) / sizeof(p[0]),
					 fake_map_type, why, sizeof(why)),
			 1);
	ck_assert_ptr_nonnull(strstr(why, "map type 9 is not in this profile"));
	ck_assert_int_eq(bpf_rules_check(bpf_profile_find("4.15"), BPF_PROG_TYPE_KPROBE, p,
					 sizeof(p) / sizeof(p[0]), fake_map_type, why, sizeof(why)),
			 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bpf_rules");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_profiles);
	tcase_add_test(tc, test_prog_type);
	tcase_add_test(tc, test_helper_versions);
	tcase_add_test(tc, test_map_value_as_map_argument);
	tcase_add_test(tc, test_helper_memory);
	tcase_add_test(tc, test_paths_merge);
	tcase_add_test(tc, test_loops_size_stack);
	tcase_add_test(tc, test_newer_instructions);
	tcase_add_test(tc, test_map_types);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
