/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internal side of the feature probes (public side: warden/features.h). */
#ifndef WARDEN_PROBE_H
#define WARDEN_PROBE_H

#include <stdint.h>
#include "warden/features.h"

#include "sys/error.h"   /* wd_debug */


/* Read kernel BTF from `path` instead of /sys/kernel/btf/vmlinux (NULL:
 * back to it); for the old-kernel emulation.  Forgets cached answers. */
void wd_probe_set_kern_btf_path(const char *path);

/* Values newer than the build host's 6.1 <linux/bpf.h> (kernel ABI). */
#define WD_PROG_TYPE_NETFILTER   32   /* 6.4 */
#define WD_MAP_TYPE_CGRP_STORAGE 32   /* 6.2 */
#define WD_MAP_TYPE_ARENA        33   /* 6.9 */
#define WD_ATTACH_NETFILTER      45   /* 6.4 */
#define WD_ATTACH_TCX_INGRESS    46   /* 6.6 */
#define WD_ENOTSUPP              524  /* kernel-internal ENOTSUPP, leaks to user space */

#endif
