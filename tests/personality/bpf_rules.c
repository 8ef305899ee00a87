/* bpf_rules.c - the old-kernel model behind the personality shim and the probe checker.
 *
 * Sources of the facts below:
 *   - program, map and helper first kernels: bcc's docs/kernel-versions.md ("BPF Features by
 *     Linux Kernel Version"), the Tables and Helpers sections;
 *   - verifier rules, from the kernel commits that lifted them:
 *       4.11  helpers' memory arguments may point into a map value, and their size may be a
 *             bounded register (ARG_PTR_TO_MEM, ARG_CONST_SIZE; "bpf: allow helpers access to
 *             map element values"); before it bpf_probe_read()'s and get_current_comm()'s
 *             destination and perf_event_output()'s data must be on the stack with a
 *             constant size;
 *       4.14  syscalls:sys_{enter,exit}_* tracepoints take a BPF program (cf5f5cea2706);
 *       4.16  BPF-to-BPF calls (cc8b0b92a169);
 *       4.18  map helpers take a key or value that points into a map value (d71962f3e627);
 *             before it only stack pointers;
 *       5.1   JMP32 instructions (092ed0968bb6);
 *       5.2   1 million instructions per program instead of 4096 (c04c0d2b968a);
 *       5.3   bounded loops: a jump backwards (2589726d12a1).
 *   - RHEL 7.6+ (3.10.0-957): a tracing-only backport (kprobe, tracepoint, perf_event
 *     programs; Red Hat's release notes of 7.6); its helper set and map types are not
 *     documented publicly: the profile takes 4.9's without LRU maps, the narrowest the
 *     project's targets allow.
 * The register pass is a model: it follows which registers and stack slots hold stack, map
 * value, context and map pointers along every path (the probes have no loops), which is what
 * the rules above need, and nothing more. */
#include "bpf_rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(x) (1ULL << (x))
#define KV BPF_RULES_KV

#define MAPS_49                                                                            \
	(BIT(BPF_MAP_TYPE_HASH) | BIT(BPF_MAP_TYPE_ARRAY) | BIT(BPF_MAP_TYPE_PROG_ARRAY) | \
	 BIT(BPF_MAP_TYPE_PERF_EVENT_ARRAY) | BIT(BPF_MAP_TYPE_PERCPU_HASH) |              \
	 BIT(BPF_MAP_TYPE_PERCPU_ARRAY) | BIT(BPF_MAP_TYPE_STACK_TRACE) |                  \
	 BIT(BPF_MAP_TYPE_CGROUP_ARRAY))
#define MAPS_410 (MAPS_49 | BIT(BPF_MAP_TYPE_LRU_HASH) | BIT(BPF_MAP_TYPE_LRU_PERCPU_HASH))
#define MAPS_412                                                                   \
	(MAPS_410 | BIT(BPF_MAP_TYPE_LPM_TRIE) | BIT(BPF_MAP_TYPE_ARRAY_OF_MAPS) | \
	 BIT(BPF_MAP_TYPE_HASH_OF_MAPS))
#define TRACING_49 \
	(BIT(BPF_PROG_TYPE_KPROBE) | BIT(BPF_PROG_TYPE_TRACEPOINT) | BIT(BPF_PROG_TYPE_PERF_EVENT))

static const struct bpf_profile profiles[] = {
	{ "rhel7", "RHEL/CentOS 7.6+ (3.10.0-957+, tracing-only backport)", KV(4, 9), TRACING_49,
	  MAPS_49, false, false, false },
	{ "4.9", "Debian 9 (4.9)", KV(4, 9), TRACING_49 | BIT(BPF_PROG_TYPE_SOCKET_FILTER), MAPS_49,
	  false, false, true },
	{ "4.15", "Ubuntu 18.04 (4.15)", KV(4, 15), TRACING_49 | BIT(BPF_PROG_TYPE_SOCKET_FILTER),
	  MAPS_412, false, true, true },
	{ "4.18", "RHEL 8 (4.18)", KV(4, 18),
	  TRACING_49 | BIT(BPF_PROG_TYPE_SOCKET_FILTER) | BIT(BPF_PROG_TYPE_RAW_TRACEPOINT),
	  MAPS_412, true, true, true },
};

const struct bpf_profile *bpf_profile_find(const char *name)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (name && strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const struct bpf_profile *bpf_profile_at(size_t i)
{
	return i < sizeof(profiles) / sizeof(profiles[0]) ? &profiles[i] : NULL;
}

/* Argument roles the rules look at. */
enum { A_NONE, A_KEY, A_VALUE, A_MEM, A_SIZE };

struct helper {
	const char *name;
	unsigned since;
	unsigned char arg[5]; /* r1..r5 */
};

/* The tracing helpers up to 4.18 (ids from enum bpf_func_id; first kernels from bcc's
 * docs/kernel-versions.md). Networking-only helpers are left out: unknown here means refused. */
static const struct helper helpers[] = {
	[BPF_FUNC_map_lookup_elem] = { "map_lookup_elem", KV(3, 19), { 0, A_KEY } },
	[BPF_FUNC_map_update_elem] = { "map_update_elem", KV(3, 19), { 0, A_KEY, A_VALUE } },
	[BPF_FUNC_map_delete_elem] = { "map_delete_elem", KV(3, 19), { 0, A_KEY } },
	[BPF_FUNC_probe_read] = { "probe_read", KV(4, 1), { A_MEM, A_SIZE } },
	[BPF_FUNC_ktime_get_ns] = { "ktime_get_ns", KV(4, 1), { 0 } },
	[BPF_FUNC_trace_printk] = { "trace_printk", KV(4, 1), { A_MEM, A_SIZE } },
	[BPF_FUNC_get_prandom_u32] = { "get_prandom_u32", KV(4, 1), { 0 } },
	[BPF_FUNC_get_smp_processor_id] = { "get_smp_processor_id", KV(4, 1), { 0 } },
	[BPF_FUNC_tail_call] = { "tail_call", KV(4, 2), { 0 } },
	[BPF_FUNC_get_current_pid_tgid] = { "get_current_pid_tgid", KV(4, 2), { 0 } },
	[BPF_FUNC_get_current_uid_gid] = { "get_current_uid_gid", KV(4, 2), { 0 } },
	[BPF_FUNC_get_current_comm] = { "get_current_comm", KV(4, 2), { A_MEM, A_SIZE } },
	[BPF_FUNC_perf_event_read] = { "perf_event_read", KV(4, 3), { 0 } },
	[BPF_FUNC_perf_event_output] = { "perf_event_output", KV(4, 4), { 0, 0, 0, A_MEM, A_SIZE } },
	[BPF_FUNC_get_stackid] = { "get_stackid", KV(4, 6), { 0 } },
	[BPF_FUNC_get_current_task] = { "get_current_task", KV(4, 8), { 0 } },
	[BPF_FUNC_probe_write_user] = { "probe_write_user", KV(4, 8), { 0, A_MEM, A_SIZE } },
	[BPF_FUNC_current_task_under_cgroup] = { "current_task_under_cgroup", KV(4, 9), { 0 } },
	[BPF_FUNC_get_numa_node_id] = { "get_numa_node_id", KV(4, 10), { 0 } },
	[BPF_FUNC_probe_read_str] = { "probe_read_str", KV(4, 11), { A_MEM, A_SIZE } },
	[BPF_FUNC_perf_event_read_value] = { "perf_event_read_value", KV(4, 15), { 0 } },
	[BPF_FUNC_perf_prog_read_value] = { "perf_prog_read_value", KV(4, 15), { 0 } },
	[BPF_FUNC_override_return] = { "override_return", KV(4, 16), { 0 } },
	[BPF_FUNC_get_stack] = { "get_stack", KV(4, 18), { 0, A_MEM, A_SIZE } },
	[BPF_FUNC_get_current_cgroup_id] = { "get_current_cgroup_id", KV(4, 18), { 0 } },
};

#define NHELPERS (int)(sizeof(helpers) / sizeof(helpers[0]))

unsigned bpf_helper_since(int id)
{
	return id > 0 && id < NHELPERS ? helpers[id].since : 0;
}

const char *bpf_helper_name(int id)
{
	return id > 0 && id < NHELPERS && helpers[id].name ? helpers[id].name : "unknown";
}

/* ---- the register pass ---- */

enum { K_SCALAR = 1, K_CTX = 2, K_STACK = 4, K_MAP_PTR = 8, K_MAP_VALUE = 16 };
#define K_POINTER (K_CTX | K_STACK | K_MAP_PTR | K_MAP_VALUE)
#define NSLOTS (BPF_RULES_STACK / 8)

struct reg {
	unsigned char kinds; /* K_*: what it may hold on the paths seen; 0: not set */
	bool konst;	     /* a known constant on every path (scalars) */
	bool off_known;	     /* K_STACK only: offset from r10 the same on every path */
	int off;
	int map_fd; /* K_MAP_PTR: the fd, -1 when paths disagree */
};

struct state {
	bool reached;
	struct reg r[11];
	struct reg slot[NSLOTS]; /* 8-byte stack slots below r10 */
};

struct check {
	const struct bpf_profile *p;
	int (*map_type_of)(int fd);
	char *why;
	size_t whylen, used;
	int nviol;
	int min_stack; /* lowest r10 offset touched */
};

static void __attribute__((format(printf, 3, 4)))
violation(struct check *c, int pc, const char *fmt, ...)
{
	va_list ap;
	int n;

	c->nviol++;
	if (c->nviol > 6 || c->used + 1 >= c->whylen)
		return;
	n = snprintf(c->why + c->used, c->whylen - c->used, "%sinsn %d: ", c->used ? "\n" : "", pc);
	if (n > 0 && (size_t)n < c->whylen - c->used)
		c->used += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(c->why + c->used, c->whylen - c->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->used = c->used + (size_t)n < c->whylen ? c->used + (size_t)n : c->whylen - 1;
}

static const char *kv_str(unsigned kv, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", kv >> 16, (kv >> 8) & 0xff);
	return buf;
}

static struct reg scalar(bool konst)
{
	struct reg r = { K_SCALAR, konst, false, 0, -1 };
	return r;
}

static void merge_reg(struct reg *d, const struct reg *s)
{
	if (!d->kinds) {
		*d = *s;
		return;
	}
	if (!s->kinds)
		return;
	d->konst = d->konst && s->konst;
	d->off_known = d->off_known && s->off_known && d->off == s->off;
	if (d->map_fd != s->map_fd)
		d->map_fd = -1;
	d->kinds |= s->kinds;
}

static void merge(struct state *d, const struct state *s)
{
	if (!d->reached) {
		*d = *s;
		return;
	}
	for (int i = 0; i < 11; i++)
		merge_reg(&d->r[i], &s->r[i]);
	for (int i = 0; i < NSLOTS; i++)
		merge_reg(&d->slot[i], &s->slot[i]);
}

/* A stack access at r10 + off of `size` bytes: records the depth; returns the slot of an
 * aligned 8-byte access, else -1. */
static int stack_access(struct check *c, int pc, int off, int size)
{
	if (off < -BPF_RULES_STACK || off + size > 0) {
		violation(c, pc, "stack access at r10%+d outside the %d-byte stack", off,
			  BPF_RULES_STACK);
		return -1;
	}
	if (off < c->min_stack)
		c->min_stack = off;
	if (size == 8 && (off & 7) == 0)
		return (off + BPF_RULES_STACK) / 8;
	return -1;
}

static void clobber_slots(struct state *s, int off, int size)
{
	for (int o = off & ~7; o < off + size; o += 8) {
		int i = (o + BPF_RULES_STACK) / 8;

		if (i >= 0 && i < NSLOTS)
			s->slot[i] = scalar(false);
	}
}

static int size_of(const struct bpf_insn *in)
{
	switch (BPF_SIZE(in->code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

static void check_call(struct check *c, int pc, const struct bpf_insn *in, struct state *s)
{
	const struct bpf_profile *p = c->p;
	char v1[16], v2[16];
	int id = in->imm;

	if (in->src_reg == BPF_PSEUDO_CALL) {
		if (p->kernel < KV(4, 16))
			violation(c, pc, "BPF-to-BPF call: from 4.16, this profile is %s",
				  kv_str(p->kernel, v1, sizeof(v1)));
		return;
	}
	if (!bpf_helper_since(id)) {
		violation(c, pc, "helper %d is not in the table of known helpers (bpf_rules.c)",
			  id);
		return;
	}
	if (bpf_helper_since(id) > p->kernel) {
		violation(c, pc, "helper bpf_%s (%d) is from %s, this profile has %s's helpers",
			  helpers[id].name, id, kv_str(helpers[id].since, v1, sizeof(v1)),
			  kv_str(p->kernel, v2, sizeof(v2)));
		return;
	}
	for (int a = 0; a < 5; a++) {
		const struct reg *r = &s->r[a + 1];

		switch (helpers[id].arg[a]) {
		case A_KEY:
		case A_VALUE:
			if (p->kernel < KV(4, 18) && (r->kinds & ~K_STACK))
				violation(c, pc,
					  "bpf_%s: %s (r%d) %s: map helpers take only stack "
					  "pointers before 4.18",
					  helpers[id].name,
					  helpers[id].arg[a] == A_KEY ? "key" : "value", a + 1,
					  r->kinds & K_MAP_VALUE ? "points into a map value" :
								   "is not a stack pointer");
			break;
		case A_MEM:
			if (p->kernel < KV(4, 11) && (r->kinds & ~K_STACK))
				violation(c, pc,
					  "bpf_%s: r%d %s: helper memory must be on the stack "
					  "before 4.11",
					  helpers[id].name, a + 1,
					  r->kinds & K_MAP_VALUE ? "points into a map value" :
								   "is not a stack pointer");
			break;
		case A_SIZE:
			if (p->kernel < KV(4, 11) && !r->konst)
				violation(c, pc,
					  "bpf_%s: size (r%d) is not a constant: variable sizes "
					  "from 4.11",
					  helpers[id].name, a + 1);
			break;
		default:
			break;
		}
	}
}

/* Applies insn pc to s. */
static void step(struct check *c, int pc, const struct bpf_insn *in, struct state *s)
{
	unsigned cls = BPF_CLASS(in->code);
	struct reg *dst, *src;

	if (in->dst_reg > 10 || in->src_reg > 10)
		return;
	dst = &s->r[in->dst_reg];
	src = &s->r[in->src_reg];
	switch (cls) {
	case BPF_ALU64:
	case BPF_ALU: {
		unsigned op = BPF_OP(in->code);
		bool x = BPF_SRC(in->code) == BPF_X;

		if (op == BPF_MOV) {
			if (x && cls == BPF_ALU64)
				*dst = *src;
			else
				*dst = scalar(x ? src->konst : true);
		} else if (cls == BPF_ALU64 && (op == BPF_ADD || op == BPF_SUB) &&
			   (dst->kinds & K_POINTER)) {
			if (!x && dst->off_known)
				dst->off += op == BPF_ADD ? in->imm : -in->imm;
			else
				dst->off_known = false;
			dst->konst = false;
		} else if (cls == BPF_ALU64 && op == BPF_ADD && x && (src->kinds & K_POINTER)) {
			struct reg r = *src;

			r.off_known = false;
			*dst = r;
		} else {
			bool k = dst->konst && (!x || src->konst);

			*dst = scalar(op != BPF_NEG && op != BPF_END ? k : dst->konst);
		}
		return;
	}
	case BPF_LD:
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			if (in->src_reg == BPF_PSEUDO_MAP_FD) {
				struct reg r = { K_MAP_PTR, false, false, 0, in->imm };
				int t = c->map_type_of ? c->map_type_of(in->imm) : -1;

				if (t >= 0 && (t >= 64 || !(c->p->map_types & BIT(t))))
					violation(c, pc, "map type %d is not in this profile", t);
				*dst = r;
			} else {
				*dst = scalar(true);
			}
			return;
		}
		s->r[0] = scalar(false); /* packet loads */
		for (int i = 1; i <= 5; i++)
			memset(&s->r[i], 0, sizeof(s->r[i]));
		return;
	case BPF_LDX: {
		struct reg r = scalar(false);

		if ((src->kinds & K_STACK) && src->kinds == K_STACK && src->off_known) {
			int i = stack_access(c, pc, src->off + in->off, size_of(in));

			if (i >= 0 && s->slot[i].kinds)
				r = s->slot[i];
		}
		*dst = r;
		return;
	}
	case BPF_ST:
	case BPF_STX:
		if (dst->kinds == K_STACK && dst->off_known) {
			int off = dst->off + in->off, size = size_of(in);
			int i = stack_access(c, pc, off, size);

			if (BPF_MODE(in->code) != BPF_MEM)
				break; /* atomic add: a scalar stays a scalar */
			clobber_slots(s, off, size);
			if (i >= 0)
				s->slot[i] = cls == BPF_STX ? *src : scalar(true);
		}
		return;
	case BPF_JMP:
		if (BPF_OP(in->code) == BPF_CALL) {
			int id = in->imm;

			check_call(c, pc, in, s);
			if (in->src_reg != BPF_PSEUDO_CALL && id == BPF_FUNC_map_lookup_elem) {
				struct reg r = { K_MAP_VALUE, false, false, 0, -1 };

				s->r[0] = r;
			} else {
				s->r[0] = scalar(false);
			}
			for (int i = 1; i <= 5; i++)
				memset(&s->r[i], 0, sizeof(s->r[i]));
		}
		return;
	default:
		return;
	}
	return;
}

/* Successors of insn pc (at most 2); returns how many. */
static int successors(const struct bpf_insn *insns, size_t n, size_t pc, long succ[2])
{
	const struct bpf_insn *in = &insns[pc];
	int cls = BPF_CLASS(in->code), op = BPF_OP(in->code), k = 0;

	if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
		succ[k++] = (long)pc + 2;
		return k;
	}
	if (cls == BPF_JMP || cls == BPF_JMP32) {
		if (op == BPF_EXIT)
			return 0;
		if (op == BPF_CALL) {
			succ[k++] = (long)pc + 1;
			return k;
		}
		succ[k++] = (long)pc + 1 + in->off;
		if (op == BPF_JA && cls == BPF_JMP)
			return k;
	}
	succ[k++] = (long)pc + 1;
	(void)n;
	return k;
}

/* The kernel's check_cfg before 5.3: a depth-first walk from insn 0 in which an edge to an
 * instruction still on the walk's stack (a loop) is refused; a jump backwards to an
 * instruction already finished is not a loop and is accepted. Fills `order` with the reached
 * instructions in reverse postorder (every edge but a refused one goes forward in it) and
 * returns how many. */
static size_t walk(struct check *c, const struct bpf_insn *insns, size_t n, size_t *order)
{
	unsigned char *mark = calloc(n, 1); /* 0 new, 1 on the stack, 2 done */
	size_t *stack = calloc(n, sizeof(*stack)), *next = calloc(n, sizeof(*next));
	size_t sp = 0, done = 0;

	if (!mark || !stack || !next) {
		violation(c, 0, "out of memory");
		goto out;
	}
	stack[sp++] = 0;
	mark[0] = 1;
	while (sp) {
		size_t pc = stack[sp - 1];
		long succ[2];
		int k = successors(insns, n, pc, succ);

		if (next[pc] < (size_t)k) {
			long t = succ[next[pc]++];

			if (t < 0 || (size_t)t >= n) {
				violation(c, (int)pc, "jump out of the program");
			} else if (mark[t] == 1) {
				if (c->p->kernel < BPF_RULES_KV(5, 3))
					violation(
						c, (int)pc,
						"jump back to insn %ld: a loop, accepted from 5.3",
						t);
			} else if (!mark[t]) {
				mark[t] = 1;
				stack[sp++] = (size_t)t;
			}
			continue;
		}
		mark[pc] = 2;
		order[n - 1 - done++] = pc;
		sp--;
	}
	memmove(order, order + (n - done), done * sizeof(*order));
out:
	free(mark);
	free(stack);
	free(next);
	return done;
}

int bpf_rules_check(const struct bpf_profile *p, int prog_type, const struct bpf_insn *insns,
		    size_t n, int (*map_type_of)(int fd), char *why, size_t whylen)
{
	struct check c = { p, map_type_of, why, whylen, 0, 0, 0 };
	struct state *st;
	size_t *order, norder;
	unsigned char *pos_done;
	char v[16];

	if (whylen)
		why[0] = '\0';
	if (prog_type < 0 || prog_type >= 64 || !(p->prog_types & BIT(prog_type)))
		violation(&c, 0, "program type %d is not in this profile", prog_type);
	if (p->kernel < KV(5, 2) && n > BPF_RULES_MAX_INSNS_OLD)
		violation(&c, (int)n, "%zu instructions: at most %d before 5.2", n,
			  BPF_RULES_MAX_INSNS_OLD);
	if (!n)
		return c.nviol;
	st = calloc(n, sizeof(*st));
	order = calloc(n, sizeof(*order));
	pos_done = calloc(n, 1);
	if (!st || !order || !pos_done) {
		violation(&c, 0, "out of memory");
		goto out;
	}
	norder = walk(&c, insns, n, order);
	st[0].reached = true;
	st[0].r[1].kinds = K_CTX;
	st[0].r[10] = (struct reg){ K_STACK, false, true, 0, -1 };
	/* Reverse postorder: each instruction's state is complete before it is stepped. */
	for (size_t i = 0; i < norder; i++) {
		size_t pc = order[i];
		const struct bpf_insn *in = &insns[pc];
		struct state s;
		long succ[2];
		int k;

		pos_done[pc] = 1;
		if (!st[pc].reached)
			continue;
		s = st[pc];
		step(&c, (int)pc, in, &s);
		if (BPF_CLASS(in->code) == BPF_JMP32 && p->kernel < KV(5, 1))
			violation(&c, (int)pc, "JMP32 instruction: from 5.1, this profile is %s",
				  kv_str(p->kernel, v, sizeof(v)));
		k = successors(insns, n, pc, succ);
		for (int j = 0; j < k; j++)
			if (succ[j] >= 0 && (size_t)succ[j] < n && !pos_done[succ[j]])
				merge(&st[succ[j]], &s);
	}
out:
	free(st);
	free(order);
	free(pos_done);
	if (-c.min_stack > BPF_RULES_STACK)
		violation(&c, 0, "stack of %d bytes: at most %d", -c.min_stack, BPF_RULES_STACK);
	return c.nviol;
}

int bpf_rules_map_type(int fd)
{
	struct bpf_map_info info;
	union bpf_attr a;

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (unsigned)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (unsigned long)&info;
	if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) != 0)
		return -1;
	return (int)info.type;
}
