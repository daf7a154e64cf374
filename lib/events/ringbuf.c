// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF_MAP_TYPE_RINGBUF consumer (kernel 5.8+): a ring handle (ring.h).
 *
 * Layout of the map's mmap (kernel/bpf/ringbuf.c): page 0 holds the consumer
 * position, the only page user space may write; page 1 the producer position;
 * then the data pages, mapped twice in a row so that a record crossing the
 * end of the ring reads as one piece.  Each record starts with an 8-byte
 * header: u32 length with BUSY (not committed yet) and DISCARD bits, u32
 * page offset.  Records are 8-byte aligned.
 *
 * When the kernel wakes us (bpf_ringbuf_commit(), every kernel since 5.8):
 * after writing the header it reads the consumer position and queues an
 * irq_work wake-up only if the record just committed starts exactly there,
 * i.e. the ring looked empty (BPF_RB_FORCE_WAKEUP: always; BPF_RB_NO_WAKEUP:
 * never).  Each wake-up is a self-interrupt charged to the traced code, so:
 *   - idle (hold_back false): publish everything; the first record after a
 *     quiet period wakes the consumer at once;
 *   - streaming (hold_back true): hand every record over, but publish the
 *     position of the last one, not past it.  The ring never looks empty to
 *     the producer, so no commit wakes us; the owner polls on a timer.
 * We keep our own position (`cons`) apart from the published one, so the
 * held-back record is never handed over twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ring.h"
#include "sys/error.h"

#ifndef BPF_RINGBUF_BUSY_BIT
#define BPF_RINGBUF_BUSY_BIT (1U << 31)
#define BPF_RINGBUF_DISCARD_BIT (1U << 30)
#define BPF_RINGBUF_HDR_SZ 8
#endif

/* A held-back record pins its bytes; past this share of the ring, publish
 * all instead (the next commit may then wake us once). */
#define HOLD_BACK_MAX_SHARE 8

struct rb_ring {
	struct wd_ring base;                /* first: the handle */
	unsigned long *consumer_pos;        /* rw page */
	const unsigned long *producer_pos;  /* ro: producer page, then data twice */
	const uint8_t *data;
	uint64_t mask;
	uint64_t cons;                      /* handed over up to here */
	uint64_t published;                 /* last value stored in *consumer_pos */
	void *page0, *pages;                /* mmaps to undo */
	size_t pages_len;
};

static struct rb_ring *rb_of(struct wd_ring *r)
{
	return (struct rb_ring *)r;
}

static int rb_map(struct rb_ring *r, uint32_t max_entries)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)page + 2 * (size_t)max_entries;
	void *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, r->base.fd, 0);
	if (p == MAP_FAILED)
		return wd_err(-errno, "ring buffer: mmap of the consumer page failed: %s",
			      strerror(errno));
	r->page0 = p;
	r->consumer_pos = p;
	/* Producer page and data: read-only, the kernel refuses PROT_WRITE. */
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, r->base.fd, page);
	if (p == MAP_FAILED)
		return wd_err(-errno, "ring buffer: mmap of %zu data bytes failed: %s",
			      len, strerror(errno));
	r->pages = p;
	r->pages_len = len;
	r->producer_pos = p;
	r->data = (const uint8_t *)p + page;
	r->mask = max_entries - 1;
	r->cons = r->published = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	return 0;
}

static void rb_publish(struct rb_ring *r, uint64_t pos, struct wd_ring_take *t)
{
	if (pos == r->published)
		return;
	__atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
	r->published = pos;
	if (t)
		t->publishes++;
}

/* Publish everything, then decide whether the ring is empty.  The kernel's
 * commit writes the record header (xchg, a full barrier) and then reads the
 * consumer position to decide on a wake-up; here the store of the consumer
 * position is followed by a full barrier and a read of the producer
 * position.  So either this read sees the new record, or the kernel sees our
 * position equal to the record's and wakes us: sleeping afterwards cannot
 * miss it.  A release store alone would let the read pass the store (x86
 * reorders store->load).  A record still BUSY at `cons` reads as not empty:
 * the owner then polls on a timer instead of trusting a wake-up. */
static bool rb_settle(struct wd_ring *base)
{
	struct rb_ring *r = rb_of(base);

	__atomic_store_n(r->consumer_pos, r->cons, __ATOMIC_RELEASE);
	r->published = r->cons;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE) == r->cons;
}

static void rb_latency(const struct wd_ring_sink *s, const uint8_t *rec, uint32_t len,
		       uint64_t *now, unsigned int *since_clock)
{
	uint64_t stamp;

	if (len < s->ts_offset + sizeof(stamp))
		return;
	/* one clock read per 64 records: a batch is handed over in microseconds */
	if ((*since_clock)++ % 64 == 0)
		*now = wd_mono_ns();
	memcpy(&stamp, rec + s->ts_offset, sizeof(stamp));
	wd_lat_add(s->lat, stamp, *now);
}

/* Hand the records in [*cons, prod) to the callback, skipping discarded ones;
 * stops early at a record still being written (BUSY).  *last: where the last
 * record passed starts.  Returns 0 or the callback's negative errno (its
 * record is consumed). */
static int rb_batch(struct rb_ring *r, uint64_t *cons, uint64_t prod, uint64_t *last,
		    struct wd_ring_take *t)
{
	const struct wd_ring_sink *s = &r->base.sink;
	uint64_t now = 0;
	unsigned int since_clock = 0;

	while (*cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(r->data + (*cons & r->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		*last = *cons;
		*cons += (BPF_RINGBUF_HDR_SZ + (len & ~BPF_RINGBUF_DISCARD_BIT) + 7) & ~7ull;
		if (len & BPF_RINGBUF_DISCARD_BIT)
			continue;
		if (s->lat)
			rb_latency(s, (const uint8_t *)(hdr + 2), len, &now, &since_clock);
		t->records++;
		int err = s->fn(s->ctx, -1, hdr + 2, len);
		if (err < 0)
			return err;
		/* A round of slow callbacks (an agent writing JSON) lasts
		 * milliseconds: publish on the way, one record behind as at
		 * the end of a round, so that the ring does not look fuller
		 * to the producers than it is (a producer forcing wake-ups
		 * past a fill level would interrupt itself for nothing) */
		if (*last - r->published > (r->mask + 1) / 16)
			rb_publish(r, *last, t);
	}
	return 0;
}

/* Where to publish after handing [start, cons) over. */
static uint64_t rb_publish_pos(const struct rb_ring *r, bool hold_back, uint64_t start,
			       uint64_t last)
{
	if (!hold_back)
		return r->cons;
	if (r->cons == start)           /* nothing new: keep what is published */
		return r->published;
	if (r->cons - last > (r->mask + 1) / HOLD_BACK_MAX_SHARE)
		return r->cons;
	return last;
}

static int rb_consume(struct wd_ring *base, bool hold_back, struct wd_ring_take *t)
{
	struct rb_ring *r = rb_of(base);
	uint64_t cons = r->cons, start = cons, last = cons, prod;
	int err = 0;

	prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	t->pending = prod - cons;
	/* At most one ring's worth per call, so that a producer faster than
	 * the callback cannot keep a poll from returning. */
	while (cons - start <= r->mask && prod != cons) {
		err = rb_batch(r, &cons, prod, &last, t);
		r->cons = cons;
		if (err || cons != prod)        /* callback error, or BUSY */
			break;
		if (!hold_back && rb_settle(base)) {
			t->publishes++;
			break;
		}
		prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	}
	rb_publish(r, rb_publish_pos(r, hold_back, start, last), t);
	return err;
}

static void rb_free(struct wd_ring *base)
{
	struct rb_ring *r = rb_of(base);

	if (!r)
		return;
	/* publish the final position: a held-back record must not stay pinned
	 * for the next consumer of this map */
	if (r->page0 && r->cons != r->published)
		__atomic_store_n(r->consumer_pos, r->cons, __ATOMIC_RELEASE);
	if (r->page0)
		munmap(r->page0, (size_t)sysconf(_SC_PAGESIZE));
	if (r->pages)
		munmap(r->pages, r->pages_len);
	if (r->base.fd >= 0)
		close(r->base.fd);
	free(r);
}

static const struct wd_ring_ops rb_ops = {
	.consume = rb_consume,
	.settle = rb_settle,
	.free = rb_free,
};

int wd_ringbuf_open(int map_fd, uint32_t max_entries, const struct wd_ring_params *p,
		    struct wd_ring **out)
{
	struct rb_ring *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return wd_err(-ENOMEM, "ring buffer: out of memory");
	r->base.ops = &rb_ops;
	r->base.sink = p->sink;
	r->base.cpu = -1;
	r->base.size = max_entries;
	r->base.wakes_when_empty = true;
	r->base.fd = fcntl(map_fd, F_DUPFD_CLOEXEC, 0);
	if (r->base.fd < 0) {
		err = wd_err(-errno, "ring buffer: dup of map fd %d: %s", map_fd, strerror(errno));
		free(r);
		return err;
	}
	err = rb_map(r, max_entries);
	if (err) {
		rb_free(&r->base);
		return err;
	}
	*out = &r->base;
	return 0;
}
