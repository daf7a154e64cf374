/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BTF: parse raw type information (an object's .BTF, the kernel's vmlinux,
 * split module BTF), look types up by id and name, and make a copy the
 * running kernel accepts (sanitize).  Parsing validates every id and string
 * offset once, so lookups never read out of bounds.
 */
#ifndef WARDEN_BTF_H
#define WARDEN_BTF_H

#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sys/uapi_compat.h"

#include "warden/btf.h"

/* Parse `size` bytes of raw BTF (copied).  base: for split BTF (modules). */
struct wd_btf *wd_btf_parse(const void *data, size_t size, const struct wd_btf *base);

/* Writable view for fixups (object BTF only): returns the mutable type. */
struct btf_type *wd_btf_type_mut(struct wd_btf *btf, uint32_t id);
/* Append a string, return its offset (negative errno). */
int wd_btf_add_str(struct wd_btf *btf, const char *s);

/* Which kinds/features the target kernel accepts (from the probes). */
struct wd_btf_support {
	bool func, func_global, datasec, float_, decl_tag, type_tag, enum64;
};
/* A raw copy with unsupported kinds rewritten to ones of the same id (libbpf
 * does the same): var->int, datasec->struct, float->struct, decl_tag->int,
 * type_tag->const, enum64->union/enum, global func->static, func->typedef. */
void *wd_btf_sanitized(const struct wd_btf *btf, const struct wd_btf_support *sup, size_t *size);

#endif
