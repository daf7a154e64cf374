// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF_MAP_TYPE_RINGBUF consumer (kernel 5.8+).
 *
 * Layout of the map's mmap (kernel/bpf/ringbuf.c): page 0 holds the consumer
 * position, the only page user space may write; page 1 the producer position;
 * then the data pages, mapped twice in a row so that a record crossing the
 * end of the ring reads as one piece.  Each record starts with an 8-byte
 * header: u32 length with BUSY (not committed yet) and DISCARD bits, u32
 * page offset.  Records are 8-byte aligned.
 *
 * The kernel wakes the consumer when a record is committed at the position
 * the consumer position points at (the consumer has caught up, so it may be
 * asleep).  Publishing the position after each record, as libbpf does,
 * makes the producer hit that case again and again while the consumer is
 * busy: each hit is an irq_work wake-up charged to the traced code.  Here
 * the position is published once per batch (every record seen ready), and
 * the consumer sleeps only after a full barrier and one more look at the
 * producer position (see rb_settled()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include "events.h"
#include "sys/error.h"

#ifndef BPF_RINGBUF_BUSY_BIT
#define BPF_RINGBUF_BUSY_BIT (1U << 31)
#define BPF_RINGBUF_DISCARD_BIT (1U << 30)
#define BPF_RINGBUF_HDR_SZ 8
#endif

static int rb_map(struct wd_ring *r, uint32_t max_entries)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)page + 2 * (size_t)max_entries;
	void *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (p == MAP_FAILED)
		return wd_err(-errno, "ring buffer: mmap of the consumer page failed: %s",
			      strerror(errno));
	r->base = p;
	r->base_len = page;
	r->consumer_pos = p;
	/* Producer page and data: read-only, the kernel refuses PROT_WRITE. */
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, r->fd, page);
	if (p == MAP_FAILED)
		return wd_err(-errno, "ring buffer: mmap of %zu data bytes failed: %s",
			      len, strerror(errno));
	r->base2 = p;
	r->base2_len = len;
	r->producer_pos = p;
	r->data = (const uint8_t *)p + page;
	r->mask = max_entries - 1;
	return 0;
}

int wd_ringbuf_add(struct wd_events *ev, int map_fd, uint32_t max_entries,
		   wd_event_fn fn, void *ctx)
{
	struct wd_ring *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return wd_err(-ENOMEM, "ring buffer: out of memory");
	r->ev = ev;
	r->kind = WD_RING_BPF;
	r->fn = fn;
	r->ctx = ctx;
	r->cpu = -1;
	r->map_fd = -1;
	r->fd = fcntl(map_fd, F_DUPFD_CLOEXEC, 0);
	if (r->fd < 0) {
		err = wd_err(-errno, "ring buffer: dup of map fd %d: %s", map_fd, strerror(errno));
		free(r);
		return err;
	}
	err = rb_map(r, max_entries);
	if (!err)
		err = wd_events_add_ring(ev, r);
	if (err)
		wd_ringbuf_free(r);
	return err;
}

void wd_ringbuf_free(struct wd_ring *r)
{
	if (r->base)
		munmap(r->base, r->base_len);
	if (r->base2)
		munmap(r->base2, r->base2_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* Hand the records in [*cons, prod) to the callback, skipping discarded ones;
 * stops early at a record still being written (BUSY).  Returns the number
 * handed over, or the callback's negative errno (its record is consumed). */
static int rb_batch(struct wd_ring *r, uint64_t *cons, uint64_t prod)
{
	int n = 0;

	while (*cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(r->data + (*cons & r->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		*cons += (BPF_RINGBUF_HDR_SZ + (len & ~BPF_RINGBUF_DISCARD_BIT) + 7) & ~7ull;
		if (len & BPF_RINGBUF_DISCARD_BIT)
			continue;
		int err = r->fn(r->ctx, -1, hdr + 2, len);
		if (err < 0)
			return err;
		n++;
	}
	return n;
}

/* Publish the consumer position, then decide whether the ring is empty.
 * The kernel's commit writes the record header (xchg, a full barrier) and
 * then reads the consumer position to decide on a wake-up; here the store
 * of the consumer position is followed by a full barrier and a read of the
 * producer position.  So either this read sees the new record, or the
 * kernel sees our position equal to the record's and wakes us: sleeping
 * afterwards cannot miss it.  A release store alone would let the read pass
 * the store (x86 reorders store->load). */
static bool rb_settled(struct wd_ring *r, uint64_t cons)
{
	__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE) == cons;
}

int wd_ringbuf_consume(struct wd_ring *r)
{
	uint64_t cons = *r->consumer_pos, start = cons, prod;
	int total = 0;

	/* At most one ring's worth per call, so that a producer faster than
	 * the callback cannot keep a poll from returning; what is left is
	 * taken by the next poll without sleeping. */
	while (cons - start <= r->mask) {
		prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
		if (prod == cons)
			break;
		int n = rb_batch(r, &cons, prod);
		r->ev->st.batches++;
		if (n < 0) {
			__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
			return n;
		}
		total += n;
		if (cons != prod) {
			/* a record still being written: publish what we have;
			 * its commit wakes us (the position now points at it). */
			rb_settled(r, cons);
			break;
		}
		if (rb_settled(r, cons))
			break;
	}
	r->ev->st.records += total;
	return total;
}
