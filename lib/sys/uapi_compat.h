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

/* BTF kinds newer than some kernels: the sanitizer rewrites them. */
#ifndef BTF_KIND_ENUM64
#define BTF_KIND_ENUM64 19
#endif
#ifndef BTF_KIND_DECL_TAG
#define BTF_KIND_DECL_TAG 17
#endif
#ifndef BTF_KIND_TYPE_TAG
#define BTF_KIND_TYPE_TAG 18
#endif
#ifndef BTF_INFO_ENC
#define BTF_INFO_ENC(kind, kflag, vlen) \
	((!!(kflag) << 31) | (((kind) & 0x1f) << 24) | ((vlen) & 0xffff))
#endif
#ifndef BTF_INT_ENC
#define BTF_INT_ENC(encoding, bits_offset, nr_bits) \
	((encoding) << 24 | (bits_offset) << 16 | (nr_bits))
#endif

#endif
