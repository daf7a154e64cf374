/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Commit-to-callback latency of records that carry their commit time (a u64
 * bpf_ktime_get_ns(), CLOCK_MONOTONIC): a log-linear histogram, 16 buckets
 * per power of two (at most 6% off), so a percentile costs no sorting and a
 * sample costs one add.
 */
#ifndef WARDEN_EVENTS_LATENCY_H
#define WARDEN_EVENTS_LATENCY_H

#include <stdint.h>
#include <time.h>

#define WD_LAT_SUB 16
#define WD_LAT_BUCKETS (64 * WD_LAT_SUB)

struct wd_latency {
	uint64_t count, max_ns;
	uint64_t bucket[WD_LAT_BUCKETS];
};

static inline uint64_t wd_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline unsigned int wd_lat_bucket(uint64_t ns)
{
	unsigned int e;

	if (ns < WD_LAT_SUB)
		return (unsigned int)ns;
	e = 63 - (unsigned int)__builtin_clzll(ns);          /* >= 4 */
	return (e - 3) * WD_LAT_SUB + (unsigned int)((ns >> (e - 4)) & (WD_LAT_SUB - 1));
}

/* One record stamped at `stamp_ns`, handed over at `now_ns`. */
static inline void wd_lat_add(struct wd_latency *l, uint64_t stamp_ns, uint64_t now_ns)
{
	uint64_t d = now_ns > stamp_ns ? now_ns - stamp_ns : 0;

	l->bucket[wd_lat_bucket(d)]++;
	l->count++;
	if (d > l->max_ns)
		l->max_ns = d;
}

/* The upper bound of the bucket holding the p-th percentile (0 < p <= 100);
 * 0 with no samples. */
uint64_t wd_lat_percentile(const struct wd_latency *l, double p);

#endif
