/* bio.h - the bio monitor's map keys and values, and the pure functions both sides share
 * (the io type from a tracepoint's rwbs string, the latency histogram slot), so the unit tests
 * check the code the kernel runs. Included by probes/bio.bpf.c and src/monitors/bio*.c. */
#ifndef EM_PROBE_BIO_H
#define EM_PROBE_BIO_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define BIO_COMM_LEN 16
#define BIO_RWBS_MAX 10	  /* rwbs is char[8] before 4.x's RWBS_LEN bump, char[10] after */
#define BIO_HIST_SLOTS 32 /* log2 latency buckets in microseconds; a power of two */

/* io_type column values. */
#define BIO_READ 0
#define BIO_WRITE 1
#define BIO_DISCARD 2
#define BIO_FLUSH 3
#define BIO_OTHER 4
#define BIO_NTYPES 5

/* A request in flight, as the tracepoints name it: device, io type, full 64-bit start
 * sector (the io type keeps a write and a discard of the same blocks apart). */
struct bio_req_key {
	__u32 dev;     /* the kernel's dev_t: major << 20 | minor */
	__u32 io_type; /* BIO_READ.. */
	__u64 sector;
};

/* block_rq_insert: who submitted the request (issue may run later, in a kworker). */
struct bio_submitter {
	__u64 ts_ns; /* bpf_ktime_get_ns() at insert; user space sweeps stale entries */
	__u32 who;   /* the submitting process's attribution (em_who() at insert: its class, or
			EM_WHO_TGID | its tgid); 0 without attribution */
	__u32 skip;  /* 1: the submitter is filtered out (em_skip_current() at insert, or its
			class by the attribution filters) */
	char comm[BIO_COMM_LEN];
};

/* block_rq_issue -> block_rq_complete. */
struct bio_inflight {
	__u64 ts_ns; /* first: the stale sweep reads it */
	__u64 bytes;
	__u32 requeued; /* block_rq_requeue saw it: its next issue is the same request */
	__u32 skip;	/* a filtered-out task's: kept so a re-issue stays filtered out */
	char comm[BIO_COMM_LEN];
	__u32 who; /* the submitter's attribution, as in struct bio_submitter */
	__u32 pad;
};

/* Requests are counted under the task that submitted them (its name, and with attribution its
 * process's class): the one current at block_rq_insert, or at block_rq_issue for a request
 * issued without an insert (blk-mq's direct issue runs in the submitter's context). Requests
 * the kernel's own threads submit (writeback's kworkers, jbd2's journal commits) have the class
 * em_who() gives a kernel thread: that of the root cgroup ("/"), no process's. */
struct bio_key {
	__u32 epoch; /* first: see src/monitors/agg.h */
	__u32 who;   /* attribution (probes/attrib.h); 0 without */
	__u32 dev;
	__u32 io_type;
	char comm[BIO_COMM_LEN];
};

/* Per CPU; user space merges the CPUs. lat_min_ns is meaningful only where count > 0. */
struct bio_value {
	__u64 count;
	__u64 bytes;
	__u64 lat_sum_ns;
	__u64 lat_min_ns;
	__u64 lat_max_ns;
	__u64 hist[BIO_HIST_SLOTS]; /* see bio_hist_slot() */
};

/* The io type of a request from its rwbs string (blk_fill_rwbs()): an optional leading 'F'
 * (preflush), then the operation: 'R' read, 'W' write, 'D' discard, 'F' flush, 'N' other;
 * flag letters follow. A preflush carrying no data ("FWS" with 0 bytes on older kernels, "FF"
 * or "F" elsewhere) is a flush; "FWS" with data is a write. Constant indices, no loop. */
static __always_inline __u32 bio_io_type(const char *rwbs, __u64 bytes)
{
	char c0 = rwbs[0], c1 = rwbs[1]; /* no variable index into the BPF stack */
	int preflush = c0 == 'F';
	char op = preflush ? c1 : c0;

	if (op == 'D')
		return BIO_DISCARD;
	if (op == 'R')
		return BIO_READ;
	if (op == 'W')
		return bytes || !preflush ? BIO_WRITE : BIO_FLUSH;
	return preflush ? BIO_FLUSH : BIO_OTHER;
}

/* floor(log2(v)) for v > 0, 0 for 0; shifts only (no loop for the verifier). */
static __always_inline __u32 bio_log2(__u64 v)
{
	__u32 r, s;

	r = (v > 0xffffffffULL) << 5;
	v >>= r;
	s = (v > 0xffff) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xff) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xf) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	return r | (__u32)(v >> 1);
}

/* Histogram slot of a latency: 0 holds [0, 1) us, slot k (1..30) holds [2^(k-1), 2^k) us,
 * the last slot everything from 2^30 us (about 18 minutes) up. */
static __always_inline __u32 bio_hist_slot(__u64 lat_ns)
{
	__u64 us = lat_ns / 1000;
	__u32 slot = us ? bio_log2(us) + 1 : 0;

	return slot < BIO_HIST_SLOTS ? slot : BIO_HIST_SLOTS - 1;
}

#endif
