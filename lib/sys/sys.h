/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The syscall layer: one typed wrapper per bpf(2) command warden uses.
 * Each wrapper zeroes the attr, fills only the fields its command reads and
 * passes the size up to the last one: an old kernel answers E2BIG to non-zero
 * bytes past the fields it knows.  Errors come back as -errno and errno is
 * preserved.  Every call goes through wd_sys_bpf(), the single seam where a
 * test injects failures (to play an old kernel).
 */
#ifndef WARDEN_SYS_H
#define WARDEN_SYS_H

#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>
#include "uapi_compat.h"

#define offsetofend(T, f) (offsetof(T, f) + sizeof(((T *)0)->f))
#define ptr_to_u64(p) ((uint64_t)(uintptr_t)(p))

#include "warden/bpf.h"
#include "warden/testing.h"   /* wd_sys_set_fault: the fault seam */

#endif
