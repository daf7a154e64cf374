/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Test support: play an older kernel on this one.  A profile installs a
 * fault function in the syscall seam (lib/sys.c) that answers what the old
 * kernel would; everything it lets through reaches the real kernel.
 *
 * Profiles:
 *   "rhel7"  RHEL/CentOS 7 (3.10 with BPF back-ported from ~4.18, tracing
 *            only; see lib/emulate.c for the exact model)
 *   "no-btf" a kernel that refuses BPF_BTF_LOAD (EINVAL), nothing else
 *   "none"   (or NULL, "") remove the emulation
 * Selecting a profile forgets every cached probe answer.
 */
#ifndef WARDEN_TESTING_H
#define WARDEN_TESTING_H

#include <linux/bpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one seam of the syscall layer: every bpf(2) and perf_event_open call
 * asks fn first.  Programs of an object load from several threads
 * (wd_load_opts.load_threads): fn is then asked from each of them, one call
 * at a time (under a lock), in no fixed order between programs. */
/* Return 0 to let the call through, or a positive errno. */
typedef int (*wd_sys_fault_fn)(int cmd, const union bpf_attr *attr, void *ctx);
/* cmd for perf_event_open in the fault seam (not a bpf command). */
#define WD_SYS_PERF_EVENT_OPEN 1000
void wd_sys_set_fault(wd_sys_fault_fn fn, void *ctx);



/* 0, or -EINVAL for an unknown profile (the previous one stays). */
int wd_emulate(const char *profile);
/* wd_emulate($WARDEN_EMULATE) when the variable is set; 0 when it is not. */
int wd_emulate_from_env(void);
/* The active profile's name, "none" when none. */
const char *wd_emulate_current(void);

/* Forget the cached wd_memlock_charged() answer. */
void wd_memlock_reset_cache(void);

#ifdef __cplusplus
}
#endif
#endif
