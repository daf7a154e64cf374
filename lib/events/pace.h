/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The consumer's pacing policy, one object for ring buffers and perf buffers
 * (events.c drives it; see include/warden/events.h, enum wd_events_policy).
 *
 * idle:      everything published, asleep in epoll: the first record after a
 *            quiet period wakes the consumer at once.
 * streaming: entered on a wake-up or when a poll finds records; records are
 *            handed over at each timer poll, the ring buffer's position
 *            published one record behind (ringbuf.c), so the producer never
 *            wakes us.  The period adapts to the fill level seen at each poll
 *            (target: an eighth of the ring), between min_ns and max_ns (the
 *            latency bound).  Back to idle after idle_after_ns without a record.
 */
#ifndef WARDEN_EVENTS_PACE_H
#define WARDEN_EVENTS_PACE_H

#include <stdbool.h>
#include <stdint.h>

struct wd_pace {
	bool immediate;         /* libbpf-compatible: never hold back, never poll */
	bool streaming;
	uint64_t min_ns, max_ns, idle_after_ns;
	uint64_t period_ns;     /* the timer period now */
	uint64_t next_ns;       /* next timer poll (streaming) */
	uint64_t last_record_ns;
};

void wd_pace_init(struct wd_pace *p, bool immediate, uint64_t min_ns, uint64_t max_ns,
		  uint64_t idle_after_ns);
/* A poll at `now` handed over `records`; `fill` (0..1): the largest share of
 * a ring found used when it began.  Sets the next period; returns true when
 * the consumer just entered streaming. */
bool wd_pace_polled(struct wd_pace *p, uint64_t now, uint64_t records, double fill);
/* Streaming and quiet for idle_after_ns: time to try going idle. */
bool wd_pace_quiet(const struct wd_pace *p, uint64_t now);
void wd_pace_idle(struct wd_pace *p);

#endif
