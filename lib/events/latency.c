// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Percentiles of the latency histogram (latency.h). */
#include "latency.h"

static uint64_t bucket_upper(unsigned int b)
{
	unsigned int e = b / WD_LAT_SUB + 3, sub = b % WD_LAT_SUB;

	if (b < WD_LAT_SUB)
		return b;
	return ((uint64_t)(WD_LAT_SUB + sub + 1) << (e - 4)) - 1;
}

uint64_t wd_lat_percentile(const struct wd_latency *l, double p)
{
	uint64_t want, seen = 0;

	if (!l || !l->count)
		return 0;
	want = (uint64_t)(l->count * p / 100.0 + 0.5);
	if (want < 1)
		want = 1;
	for (unsigned int b = 0; b < WD_LAT_BUCKETS; b++) {
		seen += l->bucket[b];
		if (seen >= want) {
			uint64_t up = bucket_upper(b);
			return up < l->max_ns ? up : l->max_ns;
		}
	}
	return l->max_ns;
}
