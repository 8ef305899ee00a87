/* bio.bpf.c - block I/O per (task name, io type, device, and with attribution the submitting
 * process's class) each interval: count, bytes and the latency from block_rq_issue to
 * block_rq_complete (sum, min, max, log2 histogram). Only tracepoint record fields are read, at
 * the offsets user space found in the running kernel's format files (they differ across
 * kernels: rwbs[8]/rwbs[10], 6.x __data_loc). */
#include "common.h"
#include "bio.h"

#ifndef BIO_MAP_ENTRIES
#define BIO_MAP_ENTRIES 10240
#endif
#ifndef BIO_MIN_LAT_NS
#define BIO_MIN_LAT_NS 0
#endif
/* Record layouts: user space always passes these (-D) from tracefs; there are no defaults,
 * so a missing one is a compile error, not a silently wrong read. BIO_<EVENT>_<FIELD>_OFF
 * for dev, sector, nr_sector, rwbs (and bytes where the event has it); BIO_SECTOR_SIZE and
 * BIO_RWBS_SIZE are the same in every block event of a kernel. */
#if !defined(BIO_ISSUE_DEV_OFF) || !defined(BIO_COMPLETE_DEV_OFF) || !defined(BIO_SECTOR_SIZE)
#error "the record layouts come from the tracefs formats of the block:block_rq_* events"
#endif
#define BIO_NO_FIELD (-1)
#ifndef BIO_ISSUE_BYTES_OFF
#define BIO_ISSUE_BYTES_OFF BIO_NO_FIELD
#endif
#ifndef BIO_INSERT_BYTES_OFF
#define BIO_INSERT_BYTES_OFF BIO_NO_FIELD
#endif

BPF_HASH(bio_submitters, struct bio_req_key, struct bio_submitter, BIO_MAP_ENTRIES);
BPF_HASH(bio_inflight, struct bio_req_key, struct bio_inflight, BIO_MAP_ENTRIES);
/* BPF_TABLE, not BPF_PERCPU_HASH: bcc 0.18 (Debian 11) has no such macro */
BPF_TABLE("percpu_hash", struct bio_key, struct bio_value, bio_stats, BIO_MAP_ENTRIES);

/* A record field of 4 or 8 bytes (sector_t is 4 bytes on some 32-bit builds). */
static __always_inline __u64 bio_field(void *ctx, int off, int size)
{
	__u64 v64 = 0;
	__u32 v32 = 0;

	if (size == 8) {
		bpf_probe_read(&v64, sizeof(v64), (char *)ctx + off);
		return v64;
	}
	bpf_probe_read(&v32, sizeof(v32), (char *)ctx + off);
	return v32;
}

/* The request a record names, and its size. The offsets are constants: this inlines into a
 * few loads. nr_sector is 0 for passthrough requests; `bytes` is 0 for file system requests
 * on older kernels and absent from some events: the larger of the two is the transfer. The
 * io type is part of the key, so the same at every event of one request (rwbs comes from the
 * request's flags; the completed part's size is non-zero exactly when the request has data). */
static __always_inline __u64 bio_request(void *ctx, int dev_off, int sector_off, int nr_off,
					 int bytes_off, int rwbs_off, struct bio_req_key *k)
{
	char rwbs[BIO_RWBS_MAX] = {};
	__u64 bytes = bio_field(ctx, nr_off, 4) << 9;

	if (bytes_off != BIO_NO_FIELD) {
		__u64 b = bio_field(ctx, bytes_off, 4);

		if (b > bytes)
			bytes = b;
	}
	bpf_probe_read(&rwbs, BIO_RWBS_SIZE, (char *)ctx + rwbs_off);
	k->dev = (__u32)bio_field(ctx, dev_off, 4);
	k->io_type = bio_io_type(rwbs, bytes);
	k->sector = bio_field(ctx, sector_off, BIO_SECTOR_SIZE);
	/* A flush request has no position: issue says 0 (blk_rq_trace_sector()), but 6.x's
	 * complete says (sector_t)-1. */
	if (k->sector == (BIO_SECTOR_SIZE == 8 ? ~0ULL : 0xffffffffULL))
		k->sector = 0;
	return bytes;
}

/* Requests in flight are keyed by {dev, io type, sector}. Two requests of one type at one
 * start sector in flight at once (two O_DIRECT readers of one block) cannot be told apart:
 * the first is then counted as unmatched, never silently merged. A request the driver hands
 * back (block_rq_requeue) is issued again: that is not a second request. */
#ifdef BIO_REQUEUE_DEV_OFF
int tp_rq_requeue(void *ctx)
{
	struct bio_req_key k = {};
	struct bio_inflight *v;

	bio_request(ctx, BIO_REQUEUE_DEV_OFF, BIO_REQUEUE_SECTOR_OFF, BIO_REQUEUE_NR_SECTOR_OFF,
		    BIO_NO_FIELD, BIO_REQUEUE_RWBS_OFF, &k);
	v = bio_inflight.lookup(&k);
	if (v)
		v->requeued = 1;
	return 0;
}
#define BIO_IS_REISSUE(v) ((v)->requeued)
#else
/* No requeue tracepoint: every issue of a key in flight is taken for a re-issue. */
#define BIO_IS_REISSUE(v) 1
#endif

#ifdef BIO_INSERT_DEV_OFF
/* Remembers the submitting task: insert runs in its context, issue may not. */
int tp_rq_insert(void *ctx)
{
	struct bio_req_key k = {};
	struct bio_submitter s = {};
	struct bio_inflight *old;

	bio_request(ctx, BIO_INSERT_DEV_OFF, BIO_INSERT_SECTOR_OFF, BIO_INSERT_NR_SECTOR_OFF,
		    BIO_INSERT_BYTES_OFF, BIO_INSERT_RWBS_OFF, &k);
	/* A requeued request may be inserted again, from a kworker: keep its submitter. */
	old = bio_inflight.lookup(&k);
	if (old && BIO_IS_REISSUE(old))
		return 0;
	s.ts_ns = bpf_ktime_get_ns();
	s.who = em_who();
	s.skip = em_skip_current() || em_who_skipped(s.who);
	bpf_get_current_comm(&s.comm, sizeof(s.comm));
	if (bio_submitters.update(&k, &s))
		em_count(EM_STAT_MAP_FULL);
	return 0;
}
#endif

int tp_rq_issue(void *ctx)
{
	struct bio_req_key k = {};
	struct bio_inflight v = {};
	struct bio_inflight *old;
	struct bio_submitter *s;

	v.bytes = bio_request(ctx, BIO_ISSUE_DEV_OFF, BIO_ISSUE_SECTOR_OFF, BIO_ISSUE_NR_SECTOR_OFF,
			      BIO_ISSUE_BYTES_OFF, BIO_ISSUE_RWBS_OFF, &k);
	v.ts_ns = bpf_ktime_get_ns();

	/* Issued again after a requeue: keep the task, time the new issue. */
	old = bio_inflight.lookup(&k);
	if (old && BIO_IS_REISSUE(old)) {
		old->ts_ns = v.ts_ns;
		old->bytes = v.bytes;
		old->requeued = 0;
		return 0;
	}
	s = bio_submitters.lookup(&k);
	if (s) {
		v.skip = s->skip;
		v.who = s->who;
		__builtin_memcpy(&v.comm, s->comm, sizeof(v.comm));
		bio_submitters.delete(&k);
	} else {
		v.who = em_who();
		v.skip = em_skip_current() || em_who_skipped(v.who);
		bpf_get_current_comm(&v.comm, sizeof(v.comm));
	}
	/* Still in flight under this key: a request whose completion the kernel skipped (its
	 * tracing recursion guard), or two requests at once. Either way the old one is lost;
	 * time the new one (a stale entry would give it a bogus latency). */
	if (old && !old->skip)
		em_count(EM_STAT_UNMATCHED);
	/* Filtered-out requests are kept too (not counted at completion): one the driver hands
	 * back may be issued again from anyone's context, and must stay filtered out. */
	if (bio_inflight.update(&k, &v))
		em_count(EM_STAT_MAP_FULL);
	return 0;
}

static __always_inline void bio_account(struct bio_inflight *req, struct bio_req_key *rk, __u64 lat)
{
	struct bio_key k = {};
	struct bio_value *v;
	/* volatile: clang drops a mask it can prove redundant, and the verifier then cannot see
	 * the bound on the histogram index. */
	volatile __u32 slot = bio_hist_slot(lat);

	k.epoch = em_epoch_now();
	k.who = req->who;
	k.dev = rk->dev;
	k.io_type = rk->io_type;
	__builtin_memcpy(&k.comm, req->comm, sizeof(k.comm));
	v = bio_stats.lookup(&k);
	if (!v) {
		struct bio_value zero = {};

		bio_stats.insert(&k, &zero);
		v = bio_stats.lookup(&k);
		if (!v) {
			em_count(EM_STAT_MAP_FULL);
			return;
		}
	}
	/* Per-CPU value: this CPU is the only writer. */
	if (!v->count || lat < v->lat_min_ns)
		v->lat_min_ns = lat;
	if (lat > v->lat_max_ns)
		v->lat_max_ns = lat;
	v->count++;
	v->bytes += req->bytes;
	v->lat_sum_ns += lat;
	v->hist[slot & (BIO_HIST_SLOTS - 1)]++;
}

/* IRQ context: the task filters were applied at insert/issue. */
int tp_rq_complete(void *ctx)
{
	struct bio_req_key k = {};
	struct bio_inflight req;
	struct bio_inflight *p;
	__u64 lat;

	bio_request(ctx, BIO_COMPLETE_DEV_OFF, BIO_COMPLETE_SECTOR_OFF, BIO_COMPLETE_NR_SECTOR_OFF,
		    BIO_NO_FIELD, BIO_COMPLETE_RWBS_OFF, &k);
	p = bio_inflight.lookup(&k);
	if (!p)
		return 0; /* issued before we attached */
	__builtin_memcpy(&req, p, sizeof(req));
	/* Whoever deletes the entry owns it: user space's stale sweep, or this completion. */
	if (bio_inflight.delete(&k) || req.skip)
		return 0;
	lat = bpf_ktime_get_ns() - req.ts_ns;
#if BIO_MIN_LAT_NS > 0
	if (lat < BIO_MIN_LAT_NS) /* min_latency_us: faster requests are not aggregated */
		return 0;
#endif
	bio_account(&req, &k, lat);
	return 0;
}
