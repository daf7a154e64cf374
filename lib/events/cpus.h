/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* CPU lists of /sys/devices/system/cpu (events: per-CPU lost counters, one
 * perf ring per online CPU).  TODO(issue 10): one reader in lib/host. */
#ifndef WARDEN_EVENTS_CPUS_H
#define WARDEN_EVENTS_CPUS_H

#include <stdbool.h>

/* Ids of the CPUs in /sys/devices/system/cpu/<which> ("possible", "online"):
 * a malloc'd flag array of *n entries (highest id + 1), or NULL. */
bool *wd_cpu_list(const char *which, int *n);
/* Highest possible CPU id + 1: the value count of per-CPU maps. */
int wd_possible_cpus(void);

#endif
