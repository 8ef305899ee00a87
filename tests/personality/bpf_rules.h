/* bpf_rules.h - what an older kernel's BPF accepts, as data and as a check over instructions.
 * Used by the personality shim (which refuses what a profile's kernel would refuse) and by the
 * probe checker (which checks every program of every probe for every profile without loading
 * it). A model of those kernels, written from bcc's docs/kernel-versions.md and the kernel
 * commits named in bpf_rules.c: it checks the rules listed there, not every rule of those
 * verifiers. Test code: never installed. */
#ifndef EM_BPF_RULES_H
#define EM_BPF_RULES_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPF_RULES_KV(a, b) ((unsigned)(a) << 16 | (unsigned)(b) << 8)

struct bpf_profile {
	const char *name;
	const char *describes; /* the systems it stands for */
	unsigned kernel;       /* BPF_RULES_KV: helpers and verifier rules of this kernel */
	uint64_t prog_types;   /* bit per BPF_PROG_TYPE_* the kernel loads */
	uint64_t map_types;    /* bit per BPF_MAP_TYPE_* the kernel creates */
	bool raw_tracepoints;  /* BPF_RAW_TRACEPOINT_OPEN (4.17) */
	bool syscall_tp_bpf;   /* syscalls:sys_{enter,exit}_* take a BPF program (4.14) */
	bool cgroup_tp;	       /* the cgroup:* tracepoints exist (4.9; not in RHEL 7's 3.10) */
};

/* NULL when unknown. Names: rhel7, 4.9, 4.15, 4.18. */
const struct bpf_profile *bpf_profile_find(const char *name);
const struct bpf_profile *bpf_profile_at(size_t i); /* NULL past the last */

/* The first kernel (BPF_RULES_KV) of helper `id`; 0 when the table does not know it (then
 * every profile refuses it: a new helper must be added to the table, with its source). */
unsigned bpf_helper_since(int id);
const char *bpf_helper_name(int id);

/* Checks a program of `prog_type` against the profile. Returns the number of violations and
 * writes the first few, one per line ("insn 12: ..."), into `why`. `map_type_of`, when not
 * NULL, gives the type of a map fd the program references (-1: unknown). */
int bpf_rules_check(const struct bpf_profile *p, int prog_type, const struct bpf_insn *insns,
		    size_t ninsns, int (*map_type_of)(int fd), char *why, size_t whylen);

/* The type of map fd (BPF_OBJ_GET_INFO_BY_FD), -1 when unknown: a map_type_of for the check. */
int bpf_rules_map_type(int fd);

/* Instruction limits this model uses (see bpf_rules.c). */
#define BPF_RULES_MAX_INSNS_OLD 4096 /* before 5.2 */
#define BPF_RULES_INSN_MARGIN 3600   /* what the checker allows: room for other LLVMs */
#define BPF_RULES_STACK 512

#endif
