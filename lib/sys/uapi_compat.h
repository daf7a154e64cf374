/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Constants newer than the build host's <linux/bpf.h> (Debian bookworm ships
 * 6.1 headers).  Values are kernel ABI and never change once released.
 */
#ifndef WARDEN_UAPI_COMPAT_H
#define WARDEN_UAPI_COMPAT_H

#include <linux/bpf.h>
#include <linux/btf.h>

/* enum bpf_attach_type, 6.6+ (tcx), 6.6 uprobe_multi */
#define WD_BPF_TCX_INGRESS      46
#define WD_BPF_TCX_EGRESS       47
#define WD_BPF_TRACE_UPROBE_MULTI 48
#define WD_BPF_LINK_TYPE_TCX    11
#define WD_BPF_LINK_TYPE_UPROBE_MULTI 12

/* struct_ops maps registered through a link, 6.4+ (commit 68b04864ca42
 * "bpf: Create links for BPF struct_ops maps"): map flag, attach and link type */
#define WD_BPF_F_LINK           (1U << 13)
#define WD_BPF_STRUCT_OPS       44
#define WD_BPF_LINK_TYPE_STRUCT_OPS 9

/* BTF kinds newer than some kernels, BTF_INFO_ENC, BTF_INT_ENC: warden/btf.h */
#include "warden/btf.h"

#endif
