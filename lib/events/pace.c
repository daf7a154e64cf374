// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The consumer's pacing policy (pace.h). */
#include "pace.h"

/* Aim to find a ring this full at each poll: room for a burst eight times
 * the recent rate, or a consumer descheduled for seven periods, before the
 * producer drops (1/4 dropped records on a loaded 2-CPU host). */
#define TARGET_FILL 0.125
#define CATCH_UP_FILL 0.5

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void wd_pace_init(struct wd_pace *p, bool immediate, uint64_t min_ns, uint64_t max_ns,
		  uint64_t idle_after_ns)
{
	*p = (struct wd_pace){
		.immediate = immediate,
		.min_ns = min_ns,
		.max_ns = max_ns > min_ns ? max_ns : min_ns,
		.idle_after_ns = idle_after_ns,
	};
	p->period_ns = clamp(4 * min_ns, p->min_ns, p->max_ns);
}

/* period * TARGET_FILL / fill: the period that would have found the ring
 * TARGET_FILL full at the rate just seen; at most 8x shorter or 2x longer in
 * one step (one quiet poll must not undo what a burst taught). */
static uint64_t next_period(uint64_t period, double fill)
{
	double want = fill > 0 ? period * (TARGET_FILL / fill) : period * 2.0;

	if (want > period * 2.0)
		want = period * 2.0;
	if (want < period / 8.0)
		want = period / 8.0;
	return (uint64_t)want;
}

bool wd_pace_polled(struct wd_pace *p, uint64_t now, uint64_t records, double fill)
{
	bool entered = false;

	if (p->immediate)
		return false;
	if (records) {
		p->last_record_ns = now;
		entered = !p->streaming;
		p->streaming = true;
	}
	if (entered)    /* a wake-up from idle may be the start of a burst */
		p->period_ns = clamp(4 * p->min_ns, p->min_ns, p->max_ns);
	else if (p->streaming)
		p->period_ns = clamp(next_period(p->period_ns, fill), p->min_ns, p->max_ns);
	/* found half full or more: the producer outruns even the shortest
	 * period; read again at once rather than let it drop */
	p->next_ns = p->streaming && fill >= CATCH_UP_FILL ? now : now + p->period_ns;
	return entered;
}

bool wd_pace_quiet(const struct wd_pace *p, uint64_t now)
{
	return p->streaming && now - p->last_record_ns >= p->idle_after_ns;
}

void wd_pace_idle(struct wd_pace *p)
{
	p->streaming = false;
}
