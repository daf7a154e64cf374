/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Links: one attachment of a loaded program.  Every attach call returns a
 * link; wd_link_detach() undoes it (and frees the link); closing the object
 * detaches every link still open.  Legacy attachments that outlive the
 * process (kprobe_events/uprobe_events entries, netlink qdiscs and filters)
 * carry the owner's pid in their name so `warden cleanup` can remove them
 * after a crash.
 */
#ifndef WARDEN_LINK_H
#define WARDEN_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "warden/warden.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Attach by section name (kprobe/..., tracepoint/..., tp_btf/...,
 * usdt/<path>:<provider>:<name>, xdp needs
 * an interface so it fails here with a hint, ...).  NULL + errno on failure,
 * the cause in wd_errmsg(). */
struct wd_link *wd_prog_attach(struct wd_prog *prog);
/* Does the section name alone say where to attach (false for socket
 * filters, XDP, TC, cgroup, perf_event, "uprobe" without a target, ...)? */
bool wd_prog_can_auto_attach(const struct wd_prog *prog);

struct wd_kprobe_opts {
	size_t sz;
	uint64_t offset;        /* symbol + offset */
	bool retprobe;
	bool force_legacy;      /* use kprobe_events even when the PMU exists */
	uint64_t cookie;
};
struct wd_link *wd_prog_attach_kprobe(struct wd_prog *prog, const char *func,
				      const struct wd_kprobe_opts *opts);

struct wd_uprobe_opts {
	size_t sz;
	const char *func;       /* symbol in the binary's ELF symbol table, or NULL */
	uint64_t offset;        /* file offset (added to the symbol's when func is set) */
	pid_t pid;              /* -1: every process */
	bool retprobe;
	bool force_legacy;
};
struct wd_link *wd_prog_attach_uprobe(struct wd_prog *prog, const char *binary,
				      const struct wd_uprobe_opts *opts);

/* USDT probe provider:name (<sys/sdt.h>) in an executable or shared library,
 * for a program written with libbpf's <bpf/usdt.bpf.h> (SEC("usdt"),
 * BPF_USDT, bpf_usdt_arg, bpf_usdt_cookie): a uprobe on every site of the
 * probe, the argument specs in the object's __bpf_usdt_specs map, the
 * semaphore counted while attached.  binary: a path, or a bare name looked
 * up as libbpf does (a library, "libfoo.so[.N]", in $LD_LIBRARY_PATH and the
 * library directories; a program in $PATH).  pid: one process, -1 every
 * process, 0 this one.  Without BPF cookies (before 5.15) a PIE binary or a
 * shared library needs a pid. */
struct wd_usdt_opts {
	size_t sz;
	uint64_t cookie;        /* what bpf_usdt_cookie() returns */
	bool force_legacy;      /* uprobe_events even when the uprobe PMU exists */
	bool sema_by_mem;       /* count the semaphore through /proc/PID/mem (needs a pid)
				 * even where the kernel counts it (ref_ctr_offset, 4.20) */
};
struct wd_link *wd_prog_attach_usdt(struct wd_prog *prog, const char *binary, pid_t pid,
				    const char *provider, const char *name,
				    const struct wd_usdt_opts *opts);

struct wd_link *wd_prog_attach_tracepoint(struct wd_prog *prog, const char *category,
					  const char *name);
struct wd_link *wd_prog_attach_raw_tracepoint(struct wd_prog *prog, const char *name);
/* tp_btf, fentry/fexit/fmod_ret, lsm (target from the section name). */
struct wd_link *wd_prog_attach_trace(struct wd_prog *prog);

/* Iterators (SEC("iter/<target>"), 5.8): attach, then every
 * wd_iter_create() starts a new walk over the kernel objects (tasks, maps,
 * a map's elements, ...).  wd_prog_attach() attaches iterators that need
 * no parameter; iter/bpf_map_elem and iter/bpf_sk_storage_map need the map
 * to walk (opts->map_fd, 5.9). */
struct wd_iter_opts {
	size_t sz;
	int map_fd;             /* 0: none */
};
struct wd_link *wd_prog_attach_iter(struct wd_prog *prog, const struct wd_iter_opts *opts);
/* A new walk of an iterator link: an fd (close it) whose read() returns the
 * program's bpf_seq_printf()/bpf_seq_write() output, 0 at the end.  -errno
 * (-EINVAL: not an iterator link). */
int wd_iter_create(const struct wd_link *link);
/* One whole walk read into a malloc'd, NUL-terminated buffer (*out, free
 * it; *len without the NUL, len may be NULL).  0 or -errno; *out is NULL on
 * failure. */
int wd_iter_read_all(const struct wd_link *link, char **out, size_t *len);

struct wd_xdp_opts {
	size_t sz;
	uint32_t flags;         /* XDP_FLAGS_SKB_MODE / DRV_MODE / UPDATE_IF_NOEXIST */
};
struct wd_link *wd_prog_attach_xdp(struct wd_prog *prog, int ifindex, const struct wd_xdp_opts *opts);

struct wd_tc_opts {
	size_t sz;
	bool egress;            /* default ingress */
	bool force_netlink;     /* clsact + cls_bpf even where tcx exists */
	uint32_t priority, handle;
};
struct wd_link *wd_prog_attach_tc(struct wd_prog *prog, int ifindex, const struct wd_tc_opts *opts);
struct wd_link *wd_prog_attach_cgroup(struct wd_prog *prog, int cgroup_fd);

/* Register a struct_ops map (a SEC(".struct_ops") variable: a kernel ops
 * table such as a TCP congestion control, 5.6+): its value, with the fds of
 * its programs, is written into the map and the kernel registers it.  A
 * SEC(".struct_ops.link") map registers through a BPF link (6.4+), undone
 * when the link closes; a plain one is unregistered by wd_link_detach()
 * (map element delete) and at object close. */
struct wd_link *wd_map_attach_struct_ops(struct wd_map *map);

int wd_link_fd(const struct wd_link *link);          /* -1 for fd-less legacy links */
const char *wd_link_describe(const struct wd_link *link); /* "kprobe do_sys_openat2 (pmu)" */
int wd_link_detach(struct wd_link *link);            /* detaches and frees */
int wd_link_pin(struct wd_link *link, const char *path);

/* Remove legacy entries (kprobe/uprobe events, qdiscs/filters, pins) whose
 * owner process is dead.  Returns the number removed, or -errno.  Entries
 * of live processes are never touched.  dry_run: count only. */
int wd_cleanup_stale(bool dry_run);

/* One legacy entry seen by the sweep, for listings (`warden cleanup`). */
struct wd_stale_entry {
	const char *file;       /* "kprobe_events" or "uprobe_events" */
	const char *dir;        /* tracing directory it was found in */
	const char *name;       /* "warden/warden_<pid>_..." */
	const char *definition; /* the whole line, as the kernel lists it */
	int pid;                /* owner */
	const char *verdict;    /* "removed", "stale (dry run)", "owner alive",
				 * "other pid namespace", or "busy: <errno>" */
};
typedef void (*wd_stale_fn)(const struct wd_stale_entry *entry, void *ctx);
/* wd_cleanup_stale() that reports every warden entry it sees (fn may be
 * NULL).  Entries whose owner runs in another pid namespace are kept: their
 * pid means nothing here. */
int wd_cleanup_stale_report(bool dry_run, wd_stale_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
