/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Feature probes: ask the running kernel, never its version number (RHEL 7
 * has BPF at 3.10, backports make versions lie).
 *
 * Every probe returns
 *    1          supported
 *    0          not supported by this kernel
 *   <0          -errno: could not decide.  -EPERM means the kernel refused
 *               for lack of privilege (or RLIMIT_MEMLOCK on pre-5.11): the
 *               feature may well exist, do not report it as missing.
 * Answers are cached per process; wd_probe_reset_cache() forgets them.
 *
 * No probe ever loads a BPF_PROG_TYPE_SOCKET_FILTER program to decide a
 * question that is not about socket filters: RHEL/CentOS 7 loads only
 * KPROBE, TRACEPOINT and PERF_EVENT programs and answers EINVAL to the rest
 * (libbpf's SOCKET_FILTER "can I load BPF" probe broke there, libbpf #230).
 *
 * Program, map, attach types and helper ids are plain numbers (the values of
 * enum bpf_prog_type, bpf_map_type, bpf_attach_type, bpf_func_id of
 * <linux/bpf.h>), so values newer than the build host's header can be passed.
 */
#ifndef WARDEN_FEATURES_H
#define WARDEN_FEATURES_H

#ifdef __cplusplus
extern "C" {
#endif

/* Can this process load a trivial BPF program at all?  Tries TRACEPOINT,
 * then KPROBE, and SOCKET_FILTER only when neither tracing type exists
 * (a kernel built without CONFIG_BPF_EVENTS). */
int wd_probe_bpf(void);
/* The program type wd_probe_bpf() loaded (BPF_PROG_TYPE_TRACEPOINT, ...), or
 * the probe's result when it is <= 0. */
int wd_probe_base_prog_type(void);

/* Is the program type known to the kernel?  Loads `r0 = 0; exit` with the
 * expected_attach_type / attach_btf_id / flags the type requires.
 * TRACING, LSM (and EXT) need a kernel BTF function id; without
 * /sys/kernel/btf/vmlinux the answer is 0 if the kernel does not know the
 * type at all, else -EOPNOTSUPP (cannot decide).  EPERM (fentry/LSM under a
 * restrictive LSM or without CAP_BPF/CAP_PERFMON): -EPERM, not 0. */
int wd_probe_prog_type(unsigned int prog_type);
/* Does the kernel create this map type?  Creates a minimal map (with a tiny
 * BTF for the local-storage types); loads no program. */
int wd_probe_map_type(unsigned int map_type);
/* Can a program of `prog_type` call helper `func_id`?  0 when the program
 * type itself is not supported.  Decided from the verifier log ("invalid
 * func", "unknown func", "program of this type cannot use helper").
 * EXT and STRUCT_OPS programs cannot be loaded stand-alone: -EOPNOTSUPP. */
int wd_probe_helper(unsigned int prog_type, unsigned int func_id);

/* BTF.  `kind` is a BTF_KIND_* value (INT..ENUM64), or WD_BTF_FUNC_GLOBAL
 * for BTF_KIND_FUNC with global linkage (5.6). */
#define WD_BTF_FUNC_GLOBAL 0x100
int wd_probe_btf(void);                 /* BPF_BTF_LOAD accepts BTF (4.18) */
int wd_probe_btf_kind(int kind);
int wd_probe_kern_btf(void);            /* /sys/kernel/btf/vmlinux readable (5.4) */

int wd_probe_prog_name(void);           /* prog_name / map_name attrs (4.15) */
int wd_probe_global_data(void);         /* ld_imm64 BPF_PSEUDO_MAP_VALUE (5.2) */
int wd_probe_mmapable_array(void);      /* BPF_F_MMAPABLE arrays (5.5) */
int wd_probe_ringbuf(void);             /* BPF_MAP_TYPE_RINGBUF (5.8) */
int wd_probe_batch_ops(void);           /* BPF_MAP_LOOKUP_BATCH (5.6) */
int wd_probe_bpf_cookie(void);          /* bpf_get_attach_cookie() (5.15) */

enum wd_link_kind {
	WD_LINK_RAW_TP = 1,     /* BPF_RAW_TRACEPOINT_OPEN (4.17) */
	WD_LINK_CREATE,         /* BPF_LINK_CREATE at all (5.7) */
	WD_LINK_PERF_EVENT,     /* BPF_LINK_CREATE for kprobe/tracepoint perf events (5.15) */
	WD_LINK_KPROBE_MULTI,   /* BPF_TRACE_KPROBE_MULTI (5.18, needs CONFIG_FPROBE) */
	WD_LINK_TCX,            /* BPF_TCX_INGRESS links (6.6) */
	WD_LINK__COUNT
};
int wd_probe_bpf_link(enum wd_link_kind kind);
const char *wd_link_kind_name(enum wd_link_kind kind);

/* Forget every cached probe answer (tests, or after changing privileges). */
void wd_probe_reset_cache(void);

/* "yes", "no", "refused (EPERM: no privilege, or lockdown/LSM policy)",
 * "unknown (<strerror>)". */
const char *wd_probe_result_str(int result);

/* Names as bpftool prints them ("tracepoint", "ringbuf", "trace_fentry");
 * helpers with their kernel name ("bpf_map_lookup_elem").  NULL when the
 * number is not in the table.  The tables go up to kernel 6.18, beyond the
 * build host's <linux/bpf.h>; iterate 0 .. count-1. */
const char *wd_prog_type_name(unsigned int prog_type);
const char *wd_map_type_name(unsigned int map_type);
const char *wd_helper_name(unsigned int func_id);
const char *wd_attach_type_name(unsigned int attach_type);
unsigned int wd_prog_type_count(void);
unsigned int wd_map_type_count(void);
unsigned int wd_helper_count(void);
unsigned int wd_attach_type_count(void);

/* Memlock (see warden.h for wd_memlock_charged / wd_memlock_ensure): why the
 * last wd_memlock_ensure() failed, one line a person can act on; "" if none. */
const char *wd_memlock_hint(void);

/* Type id of the FUNC `name` in /sys/kernel/btf/vmlinux, or -errno
 * (-ENOENT: no such function or no kernel BTF).  Cached file read. */
int wd_probe_kern_btf_func_id(const char *name);

/* ---- CPUs -------------------------------------------------------------- */

/* Possible CPUs: how many (the values one per-CPU map lookup returns), and
 * the highest id + 1 (the entries a map indexed by CPU id needs, such as a
 * perf event array).  They differ when the list has holes: "0,2-5" is 5
 * and 6. */
int wd_cpu_possible_count(void);
int wd_cpu_possible_bound(void);

/* ---- tracing directory ------------------------------------------------ */

/* The tracing directory ("/sys/kernel/tracing" or "/sys/kernel/debug/tracing"),
 * mounting tracefs when none is found (one line on stderr when it does).
 * 0 and *dir set, or -errno with the cause in wd_errmsg(). */
int wd_tracefs_dir(const char **dir);
/* The id of tracepoint <cat>/<name> in `dir`, or -errno (-ENOENT: no such
 * event) with a message naming the path. */
int wd_tracefs_event_id(const char *dir, const char *cat, const char *name);

#ifdef __cplusplus
}
#endif
#endif
