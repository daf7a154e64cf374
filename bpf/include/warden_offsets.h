/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF side of the runtime offsets (include/warden/offsets.h): user space
 * publishes struct member offsets of the running kernel in the wd_offsets
 * map, keyed by the FNV-1a hash of "struct->field"; the program reads a
 * member with bpf_probe_read(base + offset).  No BTF, no CO-RE: this works
 * on every kernel with hash maps and bpf_probe_read (4.x).
 *
 *   __u32 pid;
 *   if (WD_READ(&pid, task, "task_struct->pid"))
 *           return 0;   // offset not published: this kernel lacks the field
 */
#ifndef WARDEN_OFFSETS_BPF_H
#define WARDEN_OFFSETS_BPF_H

#ifndef WD_OFFSETS_MAX
#define WD_OFFSETS_MAX 256
#endif

struct wd_offset {
	__u32 offset;
	__u32 size;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WD_OFFSETS_MAX);
	__type(key, __u64);
	__type(value, struct wd_offset);
} wd_offsets SEC(".maps");

/* FNV-1a of a string literal; clang folds it to a constant at -O2. */
static __always_inline __u64 wd_offsets_key(const char *s)
{
	__u64 h = 14695981039346656037ULL;
#pragma unroll
	for (int i = 0; i < 96 && s[i]; i++)
		h = (h ^ (__u8)s[i]) * 1099511628211ULL;
	return h;
}

/* The published offset, or NULL when user space did not publish it. */
static __always_inline const struct wd_offset *wd_offset_of(const char *spec)
{
	__u64 key = wd_offsets_key(spec);
	return bpf_map_lookup_elem(&wd_offsets, &key);
}

/* Read the member `spec` of the struct at `base` into *dst: 0, -2
 * (-ENOENT) when the offset is not published, -7 (-E2BIG) when the member
 * is larger than *dst, or bpf_probe_read's error.  A smaller member is
 * read into the low bytes of a zeroed *dst (little endian). */
#define WD_READ(dst, base, spec)                                                   \
	({                                                                         \
		const struct wd_offset *__o = wd_offset_of(spec);                  \
		long __r = -2;                                                     \
		if (__o) {                                                         \
			__builtin_memset((dst), 0, sizeof(*(dst)));                \
			__u32 __sz = __o->size;                                    \
			__r = __sz > sizeof(*(dst)) ? -7 :                         \
			      bpf_probe_read((dst), __sz,                          \
					     (const char *)(base) + __o->offset);  \
		}                                                                  \
		__r;                                                               \
	})

#endif
