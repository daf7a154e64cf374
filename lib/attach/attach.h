/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the attach families (lib/attach_*.c); not public. */
#ifndef WARDEN_ATTACH_H
#define WARDEN_ATTACH_H

#include <stdbool.h>
#include <stdint.h>
#include "link.h"

/* errno = -err and NULL: the failure return of every wd_prog_attach_*(). */
struct wd_link *wd_attach_fail(int err);
/* 0 when prog is loaded, else -EINVAL with "attach <what>: program 'x' is not loaded". */
int wd_attach_check(const struct wd_prog *prog, const char *what);

/* perf_event_open of tracepoint `id` for every process (pid -1, cpu 0: a
 * BPF program on a trace event runs on every CPU) or one process. */
int wd_perf_open_tracepoint(int id, int pid);

/* Type of a dynamic PMU ("kprobe", "uprobe") from sysfs, or -errno
 * (-ENOENT: this kernel has none). */
int wd_pmu_type(const char *pmu);
/* perf_event_open on it: config1 = name (symbol or path), config2 = offset. */
int wd_pmu_probe_open(const char *pmu, bool retprobe, const char *name, uint64_t offset,
		      int pid);

/* A legacy kprobe_events/uprobe_events entry owned by a link: removed after
 * the perf event is closed at detach. */
struct wd_legacy_entry {
	const char *dir;     /* tracing directory */
	const char *file;    /* "kprobe_events" or "uprobe_events" */
	const char *name;    /* "group/event" */
};

/* Attach prog to the perf event pfd: BPF_LINK_CREATE(BPF_PERF_EVENT) where
 * the kernel has it (5.15), else PERF_EVENT_IOC_SET_BPF + ENABLE.  Takes pfd
 * (closed on failure).  `legacy` (may be NULL) is copied into the link and
 * removed at detach; on failure the caller still owns it. */
struct wd_link *wd_perf_link(struct wd_prog *prog, int pfd, uint64_t cookie,
			     const struct wd_legacy_entry *legacy, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Add "<p|r>:warden/<event> <target>" to <file> (sweeping stale entries
 * first, once per process), open its trace event for pid, attach prog.
 * The entry is removed on failure and at detach.  `what` names the event. */
struct wd_link *wd_legacy_attach(struct wd_prog *prog, const char *file, bool retprobe,
				 const char *what, const char *target, int pid, uint64_t cookie,
				 const char *desc);
/* Remove a legacy entry ("-:group/event"). */
int wd_legacy_remove(const char *dir, const char *file, const char *name);

/* kprobe.multi/<pattern> and kretprobe.multi/<pattern> (lib/attach_kprobe.c). */
struct wd_link *wd_attach_kprobe_multi(struct wd_prog *prog, const char *pattern);

/* Owner identity encoded in legacy entry names (legacy.c). */
struct wd_owner {
	int pid;
	unsigned long long start;    /* /proc/<pid>/stat field 22 (clock ticks since boot) */
	unsigned long long pidns;    /* inode of /proc/<pid>/ns/pid, 0 unknown */
};
/* This process (recomputed after fork). */
const struct wd_owner *wd_owner_self(void);
/* Start time of process pid (field 22 of /proc/<pid>/stat), or -errno. */
int wd_proc_start(int pid, unsigned long long *start);
/* Legacy event name for this process: "warden_<pid>_<start>_<ns>_<n>_<what>",
 * hex fields, sanitized and cut to the kernel's 64-byte limit. */
void wd_legacy_event_name(char *buf, size_t size, const char *what);
#define WD_LEGACY_GROUP "warden"
/* Remove the trace entries of dead owners (all when dry_run is false);
 * fn sees each.  Returns how many, or -errno. */
int wd_legacy_sweep(bool dry_run, wd_stale_fn fn, void *ctx);
/* cleanup_net.c: sweep stale warden cls_bpf filters (and qdiscs warden created) whose
 * owner pid is dead, in this network namespace and each named one under
 * /run/netns.  Returns the number of entries removed (or found, dry_run),
 * or -errno.  Called by wd_cleanup_stale() (cleanup.c). */
int wd_cleanup_stale_net(bool dry_run);
/* Run the stale-entry sweep once per process before its first legacy attach. */
void wd_cleanup_once(void);
/* Tests: make the next legacy attach sweep again, as a fresh process would. */
void wd_cleanup_reset_once(void);

#endif
