/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The low-level API: one typed wrapper per bpf(2) command (and
 * perf_event_open), as libbpf's bpf.h is to libbpf.  Each wrapper zeroes the
 * attr, fills only the fields its command reads and passes the size up to
 * the last one: an old kernel answers E2BIG to non-zero bytes past the
 * fields it knows.  Errors come back as -errno and errno is preserved.
 * For tools that work on kernel objects by id or fd (`warden ps`, `warden
 * doctor`, `warden tailcalls`); loading objects is warden.h's job.
 */
#ifndef WARDEN_PUBLIC_BPF_H
#define WARDEN_PUBLIC_BPF_H

#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A pointer as the u64 the kernel's attr and info structs hold. */
static inline uint64_t wd_ptr_to_u64(const void *p) { return (uint64_t)(uintptr_t)p; }

/* Raw entry: returns the syscall result or -errno. */
int wd_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);
int wd_sys_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd,
			   unsigned long flags);

struct wd_map_create_args {
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t inner_map_fd, numa_node, map_extra_lo;
	const char *name;
	uint32_t btf_fd, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
	uint64_t map_extra;
};
int wd_sys_map_create(const struct wd_map_create_args *a);
int wd_sys_map_lookup(int fd, const void *key, void *value, uint64_t flags);
int wd_sys_map_update(int fd, const void *key, const void *value, uint64_t flags);
int wd_sys_map_delete(int fd, const void *key);
int wd_sys_map_next_key(int fd, const void *key, void *next_key);
int wd_sys_map_freeze(int fd);
int wd_sys_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys,
			    void *values, uint32_t *count);

struct wd_prog_load_args {
	uint32_t type, expected_attach_type, kern_version, prog_flags;
	const struct bpf_insn *insns;
	uint32_t insn_cnt;
	const char *license;
	const char *name;
	uint32_t btf_fd;
	const void *func_info; uint32_t func_info_rec_size, func_info_cnt;
	const void *line_info; uint32_t line_info_rec_size, line_info_cnt;
	uint32_t attach_btf_id, attach_btf_obj_fd, attach_prog_fd;
	const int *fd_array;
	char *log_buf; uint32_t log_size, log_level;
	uint32_t log_true_size;     /* out: the size the whole log needs (6.4+), else 0 */
};
int wd_sys_prog_load(struct wd_prog_load_args *a);
int wd_sys_btf_load(const void *data, uint32_t size, char *log, uint32_t log_size,
		    uint32_t log_level);
int wd_sys_obj_pin(int fd, const char *path);
int wd_sys_obj_get(const char *path, uint32_t flags);
int wd_sys_obj_info(int fd, void *info, uint32_t *info_len);
int wd_sys_get_next_id(int cmd, uint32_t start, uint32_t *next);
int wd_sys_get_fd_by_id(int cmd, uint32_t id);
int wd_sys_prog_test_run(int fd, const void *in, uint32_t in_size, void *out,
			 uint32_t *out_size, const void *ctx_in, uint32_t ctx_size,
			 uint32_t repeat, uint32_t *retval, uint32_t *duration);
int wd_sys_raw_tp_open(const char *name, int prog_fd);
struct wd_link_create_args {
	int prog_fd, target_fd;
	uint32_t attach_type, flags;
	uint64_t bpf_cookie;        /* perf_event links */
	uint32_t target_btf_id;     /* tracing links */
	/* kprobe_multi */
	uint32_t kmulti_flags, kmulti_cnt;
	const char *const *kmulti_syms;
	const uint64_t *kmulti_cookies;
	/* tcx / netkit: relative_fd, expected_revision */
	uint32_t relative_fd;
	uint64_t expected_revision;
	/* iterators */
	const void *iter_info; uint32_t iter_info_len;
};
int wd_sys_link_create(const struct wd_link_create_args *a);
int wd_sys_link_detach(int link_fd);
int wd_sys_prog_attach(int prog_fd, int target_fd, uint32_t type, uint32_t flags);
int wd_sys_prog_detach(int prog_fd, int target_fd, uint32_t type);
int wd_sys_task_fd_query(int pid, int fd, char *buf, uint32_t *buf_len, uint32_t *prog_id,
			 uint32_t *fd_type, uint64_t *probe_offset, uint64_t *probe_addr);
int wd_sys_enable_stats(uint32_t type);
int wd_sys_iter_create(int link_fd);

#ifdef __cplusplus
}
#endif
#endif
