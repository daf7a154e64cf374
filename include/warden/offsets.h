/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Runtime offsets: the fallback for kernels whose programs cannot use CO-RE
 * (as Red Canary's sensor does, "Every Boring Problem Found in eBPF", 2022).  User space computes struct member offsets from whatever BTF
 * describes the target kernel (its /sys/kernel/btf/vmlinux, or a file: raw
 * BTF, a vmlinux with .BTF, a BTFHub file) and publishes them in a hash map
 * keyed by wd_offsets_key("struct->field"); the program reads them with
 * bpf/include/warden_offsets.h: bpf_probe_read(base + offset).
 *
 *   struct wd_offsets *o = wd_offsets_new(NULL);
 *   wd_offsets_add(o, "task_struct->pid");
 *   wd_offsets_add(o, "task_struct->thread_info.flags");
 *   wd_offsets_publish(o, wd_map_fd(wd_object_map(obj, "wd_offsets")));
 */
#ifndef WARDEN_OFFSETS_H
#define WARDEN_OFFSETS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The map value (same layout as struct wd_offset in warden_offsets.h). */
struct wd_offset {
	uint32_t offset;        /* bytes from the start of the struct */
	uint32_t size;          /* bytes of the member */
};

struct wd_offsets;

/* btf_path: NULL for the running kernel's BTF.  NULL + wd_errmsg() on error. */
struct wd_offsets *wd_offsets_new(const char *btf_path);
void wd_offsets_free(struct wd_offsets *o);
/* "struct->member[.member...]" (anonymous struct/union members are looked
 * through; bitfields are refused).  -ENOENT names what is missing. */
int wd_offsets_add(struct wd_offsets *o, const char *spec);
int wd_offsets_get(const struct wd_offsets *o, const char *spec, struct wd_offset *out);
/* Write every added offset into a hash map (key u64, value struct wd_offset). */
int wd_offsets_publish(const struct wd_offsets *o, int map_fd);
/* The stable key: 64-bit FNV-1a of the spec string. */
uint64_t wd_offsets_key(const char *spec);

#ifdef __cplusplus
}
#endif
#endif
