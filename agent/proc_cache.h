/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the agent knows of processes beyond their records: executable paths
 * kept from exec events, container ids from cgroup paths, cwd from /proc. */
#ifndef WARDEN_AGENT_PROC_CACHE_H
#define WARDEN_AGENT_PROC_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct wd_proc_cache;

struct wd_proc_cache *wd_proc_cache_new(void);
void wd_proc_cache_free(struct wd_proc_cache *pc);
/* exe path of pid (started at start_ns), from the cache or /proc; NULL if unknown */
const char *wd_proc_cache_exe(struct wd_proc_cache *pc, uint32_t pid, uint64_t start_ns);
void wd_proc_cache_set_exe(struct wd_proc_cache *pc, uint32_t pid, uint64_t start_ns, const char *exe);
/* container id of a cgroup (by id, resolved through pid's /proc/pid/cgroup once) */
const char *wd_proc_cache_container(struct wd_proc_cache *pc, uint64_t cgroup_id, uint32_t pid);
/* cwd of pid (for relative paths), into buf; NULL if unknown */
const char *wd_proc_cwd(uint32_t pid, char *buf, size_t len);

/* Container id (64 hex, or a shorter id for systemd-nspawn machines) from a
 * cgroup path: docker, containerd/CRI, cri-o, podman, systemd-nspawn.
 * Returns the length written, 0 if the path is not a container's. */
size_t wd_container_id_from_cgroup(const char *path, char *out, size_t len);

#endif
