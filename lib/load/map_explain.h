/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Why BPF_MAP_CREATE failed, in words a person can act on (map_explain.c). */
#ifndef WARDEN_LOAD_MAP_EXPLAIN_H
#define WARDEN_LOAD_MAP_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include "warden/bpf.h"

/* One clause for err (-errno) of BPF_MAP_CREATE with args a: ENOMEM with the
 * size the kernel would charge and the memory cgroup limit; E2BIG with the
 * kernel's limit for the map type; EPERM split between privilege, memlock
 * and lockdown; EINVAL naming the map type or flag this kernel lacks.
 * Writes "" when it has nothing better than strerror(). */
void wd_map_create_explain(const struct wd_map_create_args *a, int err, char *buf, size_t size);

/* Record "map 'name': create failed: <strerror>: <why>" as the current error
 * (wd_err) and return err. */
int wd_map_create_failed(const char *name, const struct wd_map_create_args *a, int err);

/* Is capability cap (CAP_SYS_ADMIN 21, CAP_BPF 39...) in this process's
 * effective set?  True when /proc/self/status cannot be read (never blame
 * privilege without knowing). */
bool wd_has_cap(int cap);

/* Active lockdown mode ("integrity", "confidentiality"), or "" (none or unknown). */
void wd_lockdown_mode(char *buf, size_t size);

#endif
