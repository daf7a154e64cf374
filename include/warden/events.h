/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event transport: one consumer API over BPF ring buffers
 * (BPF_MAP_TYPE_RINGBUF, 5.8+) and per-CPU perf buffers
 * (BPF_MAP_TYPE_PERF_EVENT_ARRAY, every kernel with BPF).
 *
 *   int t = wd_events_prepare(obj, "events", WD_EVENTS_AUTO);   before load
 *   wd_object_load(obj, NULL);
 *   ev = wd_events_open(obj, "events", t, on_event, on_lost, ctx, NULL);
 *   while (running) wd_events_poll(ev, 100);
 *   wd_events_free(ev);
 *
 * The BPF side declares the maps with WD_EVENTS_MAPS(events, bytes) and writes
 * with wd_events_output() (bpf/include/warden_events.h): the same source
 * writes to the ring buffer or the perf buffer as the loader decided.
 *
 * Consumption is batched: every record ready is handed to the callback before
 * a poll returns, and the consumer position is published once per batch.  A
 * poll never spins.
 *
 * Wake-ups are what tracing costs: each time the kernel wakes a sleeping
 * consumer it raises a self-interrupt charged to the traced code.  The
 * default policy, WD_EVENTS_STREAMING, makes the kernel wake the consumer
 * only for the first record after a quiet period: then, while records keep
 * coming, the consumer polls on a timer and keeps the ring buffer looking
 * non-empty to the producer (it publishes its position one record behind
 * what it handed over), so no commit wakes it.  Any BPF producer works
 * unmodified (default flags).  The latency bound is opts.latency_us (10 ms).
 * Poll in a loop with wd_events_poll(); an outer event loop on
 * wd_events_epoll_fd() must call wd_events_consume(), which settles the
 * rings so that the next record wakes the epoll fd.
 *
 * Lost events are never dropped silently: perf buffer losses come from the
 * kernel (PERF_RECORD_LOST), ring buffer losses from the BPF side, which
 * counts failed outputs per CPU in the "<name>_lost" map; both reach on_lost.
 */
#ifndef WARDEN_EVENTS_H
#define WARDEN_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "warden/warden.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wd_events;

/* One record.  cpu: the producing CPU for perf buffers, -1 for ring buffers
 * (they are shared by every CPU).  Return 0 to go on, or a negative errno to
 * stop: the poll returns it (records handled before it stay consumed).
 * `data` is 8-byte aligned for both transports (perf samples are copied to
 * get there) and valid only during the call. */
typedef int (*wd_event_fn)(void *ctx, int cpu, const void *data, size_t size);
/* `lost` more events were lost on `cpu` (-1: unknown CPU). */
typedef void (*wd_lost_fn)(void *ctx, int cpu, uint64_t lost);

/* How the consumer gets to its records (wd_events_opts.policy). */
enum wd_events_policy {
	/* default: woken by the first record after a quiet period, then polls
	 * on a timer while records flow, never woken (ring buffer: position
	 * published one record behind; perf buffer: watermark half a ring) */
	WD_EVENTS_STREAMING = 0,
	/* libbpf-compatible: the kernel wakes the consumer whenever it finds
	 * the ring empty (perf: on every record, or at perf_wakeup_bytes) */
	WD_EVENTS_IMMEDIATE = 1,
};

struct wd_events_opts {
	size_t sz;                /* sizeof(struct wd_events_opts) */
	/* perf buffers: pages per CPU ring (power of 2; default 64 = 256 KiB) */
	size_t perf_pages;
	/* perf buffers: wake the consumer when this many bytes are pending on a
	 * CPU (perf watermark).  0 (default): WD_EVENTS_IMMEDIATE on every
	 * event, WD_EVENTS_STREAMING at half a ring.  Events below it are read
	 * by the timer polls (streaming) or when a poll times out (immediate). */
	size_t perf_wakeup_bytes;
	/* per-CPU array (u32 key 0, u64 value) the BPF side counts failed
	 * outputs in; NULL: none.  wd_events_open() passes "<name>_lost". */
	struct wd_map *lost_map;
	/* read lost_map at most every this many ms during polls (default 100);
	 * wd_events_consume() always reads it. */
	unsigned int lost_interval_ms;
	/* ---- since the streaming consumer (zero: the defaults) ---- */
	enum wd_events_policy policy;
	/* streaming: the longest timer period, i.e. the latency bound while
	 * records flow (default 10000 us) */
	unsigned int latency_us;
	/* streaming: the shortest timer period (default 50 us) */
	unsigned int min_period_us;
	/* streaming: back to idle (sleeping until woken) after this long
	 * without a record (default 50000 us) */
	unsigned int idle_after_us;
	/* latency statistics: each record carries a u64 bpf_ktime_get_ns()
	 * (CLOCK_MONOTONIC) at latency_stamp_offset; records shorter than that
	 * are not measured */
	bool latency_stamp;
	uint32_t latency_stamp_offset;
};

/* A consumer on `map`: a ring buffer or a perf event array (picked by the map
 * type; anything else: NULL, errno EINVAL, the reason in wd_errmsg()).  The
 * map must be loaded.  on_lost may be NULL (losses are still counted). */
struct wd_events *wd_events_new(struct wd_map *map, wd_event_fn on_event, wd_lost_fn on_lost,
				void *ctx, const struct wd_events_opts *opts);
/* Same on a map fd (pinned maps, other loaders); the fd is duplicated. */
struct wd_events *wd_events_new_fd(int map_fd, wd_event_fn on_event, wd_lost_fn on_lost,
				   void *ctx, const struct wd_events_opts *opts);
/* Another ring buffer or perf event array in the same consumer (one epoll
 * set), with its own callback and context.  0 or -errno. */
int wd_events_add(struct wd_events *ev, struct wd_map *map, wd_event_fn on_event, void *ctx);
int wd_events_add_fd(struct wd_events *ev, int map_fd, wd_event_fn on_event, void *ctx);

/* Consume what is ready; if nothing is, sleep up to timeout_ms (-1: forever,
 * 0: never) for more and consume that.  Returns the records handled (0 on
 * timeout), or -errno (-EINTR when a signal interrupted the sleep). */
int wd_events_poll(struct wd_events *ev, int timeout_ms);
/* Consume what is ready without sleeping; also reads the lost counters. */
int wd_events_consume(struct wd_events *ev);
/* The epoll fd, readable when events may be ready (for an outer event loop;
 * then call wd_events_consume()). */
int wd_events_epoll_fd(const struct wd_events *ev);
void wd_events_free(struct wd_events *ev);

struct wd_events_stats {
	uint64_t records;         /* handed to a callback */
	uint64_t lost;            /* reported to on_lost */
	uint64_t batches;         /* consumer position publications */
	uint64_t sleeps;          /* epoll_wait calls that slept */
	uint64_t wakeups;         /* of which returned with events ready */
};
void wd_events_get_stats(const struct wd_events *ev, struct wd_events_stats *st);

/* What the consumer did and how it paced itself (sz-prefixed: set
 * st->sz = sizeof(*st); fields past it are left alone). */
struct wd_events_consumer_stats {
	size_t sz;
	uint64_t records;         /* handed to a callback */
	uint64_t lost;            /* reported to on_lost */
	uint64_t wakeups;         /* sleeps the kernel ended (a record woke us) */
	uint64_t polls;           /* rounds over the rings (timer, wake-up, call) */
	uint64_t sleeps;          /* epoll waits */
	uint64_t publishes;       /* consumer position stores */
	uint64_t stream_entries;  /* idle -> streaming */
	uint64_t idle_entries;    /* streaming -> idle */
	uint64_t period_ns;       /* the timer period now */
	int streaming;            /* 1: streaming now, 0: idle */
	/* commit -> callback, with opts.latency_stamp (0 without samples);
	 * a percentile is its bucket's upper bound (at most 6% high) */
	uint64_t latency_samples;
	uint64_t latency_p50_ns, latency_p99_ns, latency_max_ns;
};
/* 0, or -EINVAL without ev or st->sz. */
int wd_events_read_stats(const struct wd_events *ev, struct wd_events_consumer_stats *st);

/* ---- picking the transport at load time ------------------------------ */

enum wd_events_transport {
	WD_EVENTS_AUTO = 0,       /* ring buffer where the kernel has it (5.8+) */
	WD_EVENTS_RINGBUF = 1,
	WD_EVENTS_PERFBUF = 2,
};
/* Before wd_object_load(), for maps declared with WD_EVENTS_MAPS(name, ..):
 * sets the object's `warden_use_ringbuf`, shrinks the unused map to the
 * minimum (or, on a kernel without ring buffers, makes the unused ring a
 * one-slot array so the object still loads).  Returns the transport chosen
 * (WD_EVENTS_RINGBUF or WD_EVENTS_PERFBUF) or -errno. */
int wd_events_prepare(struct wd_object *obj, const char *name, enum wd_events_transport t);
/* After load: the consumer on the map `prepare` chose, with "<name>_lost". */
struct wd_events *wd_events_open(struct wd_object *obj, const char *name,
				 enum wd_events_transport t, wd_event_fn on_event,
				 wd_lost_fn on_lost, void *ctx, const struct wd_events_opts *opts);
const char *wd_events_transport_name(enum wd_events_transport t);

#ifdef __cplusplus
}
#endif
#endif
