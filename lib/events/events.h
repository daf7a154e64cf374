/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The event consumer shared by lib/ringbuf.c and lib/perfbuf.c (lib/events.c). */
#ifndef WARDEN_EVENTS_INTERNAL_H
#define WARDEN_EVENTS_INTERNAL_H

#include <stdbool.h>
#include <linux/perf_event.h>
#include "warden/events.h"

enum wd_ring_kind { WD_RING_BPF, WD_RING_PERF };

/* One mmapped ring: a BPF ring buffer, or one CPU's perf buffer.  Its address
 * is the epoll cookie, so rings are allocated one by one and never move. */
struct wd_ring {
	struct wd_events *ev;
	enum wd_ring_kind kind;
	wd_event_fn fn;
	void *ctx;
	int fd;                 /* ring buffer map fd (dup) or perf event fd */
	int cpu;                /* perf: the CPU; ring buffer: -1 */
	int map_fd;             /* perf: the event array the fd is stored in */
	/* BPF ring buffer (ringbuf.c) */
	unsigned long *consumer_pos;        /* rw page */
	const unsigned long *producer_pos;  /* ro: producer page, then data twice */
	const uint8_t *data;
	uint64_t mask;
	/* perf buffer (perfbuf.c) */
	struct perf_event_mmap_page *meta;
	const uint8_t *pdata;
	uint64_t psize;
	void *base;             /* mmap(s) to undo */
	size_t base_len;
	void *base2;
	size_t base2_len;
};

struct wd_events {
	struct wd_ring **rings;
	size_t nr_rings;
	int epfd;
	struct epoll_event *evbuf;
	wd_lost_fn on_lost;
	void *ctx;
	struct wd_events_opts opts;
	/* BPF-side lost counters (per-CPU array), -1 when none */
	int lost_fd;
	int nr_cpus;
	uint64_t *lost_vals, *lost_seen;
	uint64_t lost_read_ns;
	/* perf records that wrap around the end of their ring are copied here */
	void *scratch;
	size_t scratch_size;
	struct wd_events_stats st;
};

/* ringbuf.c */
int wd_ringbuf_add(struct wd_events *ev, int map_fd, uint32_t max_entries,
		   wd_event_fn fn, void *ctx);
int wd_ringbuf_consume(struct wd_ring *r);
void wd_ringbuf_free(struct wd_ring *r);

/* perfbuf.c */
int wd_perfbuf_add(struct wd_events *ev, int map_fd, uint32_t max_entries,
		   wd_event_fn fn, void *ctx);
int wd_perfbuf_consume(struct wd_ring *r);
void wd_perfbuf_free(struct wd_ring *r);

/* events.c */
/* Put a ring in the consumer and its fd in the epoll set. */
int wd_events_add_ring(struct wd_events *ev, struct wd_ring *r);
void wd_events_report_lost(struct wd_events *ev, int cpu, uint64_t lost);
/* Ids of the CPUs in /sys/devices/system/cpu/<which> ("possible", "online"):
 * a malloc'd flag array of *n entries (highest id + 1), or NULL. */
bool *wd_cpu_list(const char *which, int *n);
int wd_possible_cpus(void);

#endif
