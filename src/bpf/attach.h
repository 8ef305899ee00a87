/* attach.h - how a monitor describes its probe points and their per-kernel alternatives. */
#ifndef EM_ATTACH_H
#define EM_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

enum attach_kind {
	ATTACH_KPROBE,         /* target: kernel symbol; "syscall:NAME" resolves the arch's symbol */
	ATTACH_KRETPROBE,      /* same targets as ATTACH_KPROBE */
	ATTACH_TRACEPOINT,     /* target: "category:event" */
	ATTACH_RAW_TRACEPOINT, /* target: "event" */
	ATTACH_PERF_EVENT,     /* perf_type/perf_config on every online CPU */
	ATTACH_KFUNC,          /* fentry: target is the function (for messages); prog must be
				  named kfunc__<function> (bcc takes the BTF id from the name) */
};

struct probe_spec {
	enum attach_kind kind;
	const char *target;
	const char *prog;     /* BPF function in the monitor's probe text */
	bool optional;        /* a kernel without this target still uses the alternative */
	uint32_t perf_type;
	uint64_t perf_config;
	uint64_t sample_period;
};

/* One way to implement a probe point; all of its non-optional probes must attach. */
struct attach_alt {
	const char *name;                 /* "kprobe", "tracepoint": also the config's attach: */
	const struct probe_spec *probes;  /* terminated by an entry with prog == NULL */
};

/* A probe point: alternatives tried in order, the first that loads and attaches wins. */
struct attach_point {
	const char *name;
	const struct attach_alt *alts;    /* terminated by an entry with name == NULL */
	bool optional;                    /* the monitor runs (with less data) without it */
	bool internal;			  /* the monitor's bookkeeping (task slots): its
					     alternatives are not choices of the config's attach: */
};

const char *attach_kind_name(enum attach_kind k);

#endif
