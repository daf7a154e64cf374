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

struct wd_btf;

/* Parse `size` bytes of raw BTF (copied).  base: for split BTF (modules). */
struct wd_btf *wd_btf_parse(const void *data, size_t size, const struct wd_btf *base);
/* Raw BTF file, or an ELF file with a .BTF section (vmlinux, BTFHub files). */
struct wd_btf *wd_btf_load_file(const char *path, const struct wd_btf *base);
/* /sys/kernel/btf/vmlinux, cached for the process; NULL if the kernel has none. */
const struct wd_btf *wd_btf_vmlinux(void);
void wd_btf_free(struct wd_btf *btf);

uint32_t wd_btf_type_cnt(const struct wd_btf *btf);   /* ids 1..cnt-1 are valid */
uint32_t wd_btf_start_id(const struct wd_btf *btf);   /* first id of split BTF */
const struct btf_type *wd_btf_type(const struct wd_btf *btf, uint32_t id);
const char *wd_btf_str(const struct wd_btf *btf, uint32_t off);
const char *wd_btf_name(const struct wd_btf *btf, uint32_t id);
/* First type with this name and kind (kind 0: any), 0 if none. */
uint32_t wd_btf_find(const struct wd_btf *btf, const char *name, int kind);
/* Iterate over every type with this name: start with prev = 0. */
uint32_t wd_btf_find_next(const struct wd_btf *btf, const char *name, uint32_t prev);
/* Skip typedefs and modifiers (const, volatile, restrict, type_tag). */
uint32_t wd_btf_skip_mods(const struct wd_btf *btf, uint32_t id, bool typedefs);
/* Size in bytes of a type (following typedefs/arrays), negative errno if none. */
int64_t wd_btf_size(const struct wd_btf *btf, uint32_t id);
const void *wd_btf_raw(const struct wd_btf *btf, size_t *size);

static inline int btf_kind_of(const struct btf_type *t) { return BTF_INFO_KIND(t->info); }
static inline int btf_vlen_of(const struct btf_type *t) { return BTF_INFO_VLEN(t->info); }
static inline bool btf_kflag_of(const struct btf_type *t) { return BTF_INFO_KFLAG(t->info); }
static inline void *btf_extra(const struct btf_type *t) { return (void *)(t + 1); }
static inline bool btf_is_composite(const struct btf_type *t)
{
	return btf_kind_of(t) == BTF_KIND_STRUCT || btf_kind_of(t) == BTF_KIND_UNION;
}
static inline uint32_t btf_member_bit_off(const struct btf_type *t, const struct btf_member *m)
{
	return btf_kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
}
static inline uint32_t btf_member_bitfield_size(const struct btf_type *t, const struct btf_member *m)
{
	return btf_kflag_of(t) ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
}
const char *wd_btf_kind_name(int kind);

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
