/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BTF, read-only: the types of an object (wd_object_spec(obj)->btf) or of a
 * kernel (/sys/kernel/btf/vmlinux, a vmlinux, a BTFHub file).  Types are the
 * kernel's own records (<linux/btf.h>), addressed by id.
 */
#ifndef WARDEN_PUBLIC_BTF_H
#define WARDEN_PUBLIC_BTF_H

#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#ifdef __cplusplus
extern "C" {
#endif

struct wd_btf;

/* Raw BTF file, or an ELF file with a .BTF section (vmlinux, BTFHub files). */
struct wd_btf *wd_btf_load_file(const char *path, const struct wd_btf *base);
/* /sys/kernel/btf/vmlinux, cached for the process; NULL if the kernel has none. */
const struct wd_btf *wd_btf_vmlinux(void);
void wd_btf_free(struct wd_btf *btf);
/* The BTF a loaded map or program was created with (bpf_map_info.btf_id,
 * bpf_prog_info.btf_id), read from the kernel by id (5.0); module BTF comes
 * with vmlinux as its base.  NULL + errno, the cause in wd_errmsg().  Free
 * with wd_btf_free(). */
struct wd_btf *wd_btf_load_id(uint32_t id);

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

#ifdef __cplusplus
}
#endif
#endif
