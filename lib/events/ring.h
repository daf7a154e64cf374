/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One mmapped ring, as the consumer (events.c) sees it: a handle with a small
 * table of operations.  ringbuf.c and perfbuf.c make the handles; only
 * events.c keeps them, puts their fds in its epoll set and calls the ops.  A
 * ring never calls back into events.c: what it needs from its owner (where
 * records and losses go, the latency histogram) comes down in a wd_ring_sink.
 */
#ifndef WARDEN_EVENTS_RING_H
#define WARDEN_EVENTS_RING_H

#include <stdbool.h>
#include <stdint.h>
#include "events/latency.h"
#include "warden/events.h"

struct wd_ring;

/* Where a ring hands over what it reads; owned by the caller, outlives it. */
struct wd_ring_sink {
	wd_event_fn fn;
	void *ctx;
	wd_lost_fn on_lost;     /* kernel-reported losses (perf buffer) */
	void *lost_ctx;
	/* latency: records carry a u64 CLOCK_MONOTONIC ns stamp at ts_offset
	 * (bpf_ktime_get_ns()); NULL lat: not measured */
	struct wd_latency *lat;
	uint32_t ts_offset;
};

/* What one consume call saw and did. */
struct wd_ring_take {
	uint64_t records;       /* handed to the callback */
	uint64_t pending;       /* bytes ready when the call began */
	uint64_t publishes;     /* consumer position stores */
};

struct wd_ring_ops {
	/* Hand every committed record over (at most one ring's worth).
	 * hold_back: publish the consumer position one record behind what was
	 * handed over, so that the producer never sees an empty ring and never
	 * wakes us (ring buffer only; perf buffers wake by their own count).
	 * Returns 0 or the callback's negative errno (its record is consumed). */
	int (*consume)(struct wd_ring *r, bool hold_back, struct wd_ring_take *t);
	/* Publish everything handed over; true when the ring is then empty, so
	 * that the next record wakes the consumer (safe to sleep in epoll). */
	bool (*settle)(struct wd_ring *r);
	void (*free)(struct wd_ring *r);
};

struct wd_ring {
	const struct wd_ring_ops *ops;
	int fd;                 /* readable when woken: goes in the epoll set */
	int cpu;                /* perf buffer: its CPU; ring buffer: -1 */
	uint64_t size;          /* data bytes */
	/* the kernel wakes us for the first record after settle() returned
	 * true (ring buffer; perf buffer without a watermark) */
	bool wakes_when_empty;
	struct wd_ring_sink sink;
};

/* Parameters of a new ring; `sink` is copied. */
struct wd_ring_params {
	struct wd_ring_sink sink;
	size_t perf_pages;      /* perf: pages per CPU (power of 2) */
	size_t perf_wakeup_bytes; /* perf: watermark; 0: wake on every record */
};

/* ringbuf.c: a handle on a BPF_MAP_TYPE_RINGBUF map (fd duplicated). */
int wd_ringbuf_open(int map_fd, uint32_t max_entries, const struct wd_ring_params *p,
		    struct wd_ring **out);
/* perfbuf.c: one handle per online CPU below max_entries, its fd stored in
 * the perf event array; *out a malloc'd array of *n handles. */
int wd_perfbuf_open(int map_fd, uint32_t max_entries, const struct wd_ring_params *p,
		    struct wd_ring ***out, int *n);

#endif
