/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* CPU lists (cpus.c); wd_cpu_possible_count/_bound are public (features.h). */
#ifndef WARDEN_HOST_CPUS_H
#define WARDEN_HOST_CPUS_H

#include <stdbool.h>
#include "warden/features.h"

/* "0-3,5" -> a malloc'd flag array of *bound entries (highest id + 1), or
 * NULL (*bound 0) for an empty or malformed list.  Pure; for tests. */
bool *wd_cpu_list_parse(const char *text, int *bound);
/* The same for /sys/devices/system/cpu/<which> ("possible", "online"). */
bool *wd_cpu_list(const char *which, int *bound);

#endif
