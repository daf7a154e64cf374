// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Thin bpf(2) / perf_event_open(2) wrappers; see sys.h. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sys.h"

static wd_sys_fault_fn fault_fn;
static void *fault_ctx;
/* A parallel load (lib/load/load_progs.c) calls bpf(2) from several
 * threads: the fault function is asked under this lock, one call at a
 * time, so a test's function may count and keep state as before.
 * Recursive: a fault function may itself make a bpf(2) call. */
static pthread_mutex_t fault_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void wd_sys_set_fault(wd_sys_fault_fn fn, void *ctx)
{
	pthread_mutex_lock(&fault_lock);
	fault_ctx = ctx;
	__atomic_store_n(&fault_fn, fn, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fault_lock);
}

/* 0: let the call through; a positive errno: fail it. */
static int ask_fault(int cmd, const union bpf_attr *attr)
{
	int err = 0;
	if (!__atomic_load_n(&fault_fn, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&fault_lock);
	if (fault_fn)
		err = fault_fn(cmd, attr, fault_ctx);
	pthread_mutex_unlock(&fault_lock);
	return err;
}

int wd_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	{
		int err = ask_fault(cmd, attr);
		if (err) {
			errno = err;
			return -err;
		}
	}
	long ret = syscall(__NR_bpf, cmd, attr, size);
	return ret < 0 ? -errno : (int)ret;
}

int wd_sys_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd,
			   unsigned long flags)
{
	{
		int err = ask_fault(WD_SYS_PERF_EVENT_OPEN, (const union bpf_attr *)attr);
		if (err) {
			errno = err;
			return -err;
		}
	}
	long ret = syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
	return ret < 0 ? -errno : (int)ret;
}

int wd_sys_map_create(const struct wd_map_create_args *a)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = a->type;
	attr.key_size = a->key_size;
	attr.value_size = a->value_size;
	attr.max_entries = a->max_entries;
	attr.map_flags = a->flags;
	attr.inner_map_fd = a->inner_map_fd;
	attr.numa_node = a->numa_node;
	if (a->name)
		strncpy(attr.map_name, a->name, sizeof(attr.map_name) - 1);
	attr.btf_fd = a->btf_fd;
	attr.btf_key_type_id = a->btf_key_type_id;
	attr.btf_value_type_id = a->btf_value_type_id;
	attr.btf_vmlinux_value_type_id = a->btf_vmlinux_value_type_id;
	attr.map_extra = a->map_extra;
	/* Pass only up to the last non-zero field group so pre-5.x kernels do not
	 * answer E2BIG for fields they never heard of. */
	unsigned int size = offsetofend(union bpf_attr, numa_node);
	if (a->name)
		size = offsetofend(union bpf_attr, map_name);
	if (a->btf_fd)
		size = offsetofend(union bpf_attr, btf_value_type_id);
	if (a->btf_vmlinux_value_type_id)
		size = offsetofend(union bpf_attr, btf_vmlinux_value_type_id);
	if (a->map_extra)
		size = offsetofend(union bpf_attr, map_extra);
	return wd_sys_bpf(BPF_MAP_CREATE, &attr, size);
}

static int map_elem_cmd(int cmd, int fd, const void *key, const void *value, uint64_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = ptr_to_u64(key);
	attr.value = ptr_to_u64(value);
	attr.flags = flags;
	return wd_sys_bpf(cmd, &attr, offsetofend(union bpf_attr, flags));
}

int wd_sys_map_lookup(int fd, const void *key, void *value, uint64_t flags)
{
	return map_elem_cmd(BPF_MAP_LOOKUP_ELEM, fd, key, value, flags);
}

int wd_sys_map_update(int fd, const void *key, const void *value, uint64_t flags)
{
	return map_elem_cmd(BPF_MAP_UPDATE_ELEM, fd, key, value, flags);
}

int wd_sys_map_delete(int fd, const void *key)
{
	return map_elem_cmd(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
}

int wd_sys_map_next_key(int fd, const void *key, void *next_key)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = ptr_to_u64(key);
	attr.next_key = ptr_to_u64(next_key);
	return wd_sys_bpf(BPF_MAP_GET_NEXT_KEY, &attr, offsetofend(union bpf_attr, next_key));
}

int wd_sys_map_freeze(int fd)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	return wd_sys_bpf(BPF_MAP_FREEZE, &attr, offsetofend(union bpf_attr, map_fd));
}

int wd_sys_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys,
			    void *values, uint32_t *count)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.batch.map_fd = fd;
	attr.batch.in_batch = ptr_to_u64(in_batch);
	attr.batch.out_batch = ptr_to_u64(out_batch);
	attr.batch.keys = ptr_to_u64(keys);
	attr.batch.values = ptr_to_u64(values);
	attr.batch.count = *count;
	int ret = wd_sys_bpf(BPF_MAP_LOOKUP_BATCH, &attr, offsetofend(union bpf_attr, batch));
	/* The kernel reports the entries copied even when it returns ENOENT. */
	*count = attr.batch.count;
	return ret;
}

/* prog_load.log_true_size (6.4) follows core_relo_rec_size in union bpf_attr. */
#define PROG_LOAD_LOG_TRUE_SIZE_OFF (offsetofend(union bpf_attr, core_relo_rec_size))

int wd_sys_prog_load(struct wd_prog_load_args *a)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = a->type;
	attr.expected_attach_type = a->expected_attach_type;
	attr.insns = ptr_to_u64(a->insns);
	attr.insn_cnt = a->insn_cnt;
	attr.license = ptr_to_u64(a->license);
	attr.kern_version = a->kern_version;
	attr.prog_flags = a->prog_flags;
	if (a->name)
		strncpy(attr.prog_name, a->name, sizeof(attr.prog_name) - 1);
	attr.log_buf = ptr_to_u64(a->log_buf);
	attr.log_size = a->log_size;
	attr.log_level = a->log_level;
	unsigned int size = offsetofend(union bpf_attr, expected_attach_type);
	if (a->btf_fd) {
		attr.prog_btf_fd = a->btf_fd;
		attr.func_info = ptr_to_u64(a->func_info);
		attr.func_info_cnt = a->func_info_cnt;
		attr.func_info_rec_size = a->func_info_rec_size;
		attr.line_info = ptr_to_u64(a->line_info);
		attr.line_info_cnt = a->line_info_cnt;
		attr.line_info_rec_size = a->line_info_rec_size;
		size = offsetofend(union bpf_attr, line_info_cnt);
	}
	if (a->attach_btf_id || a->attach_prog_fd || a->attach_btf_obj_fd) {
		attr.attach_btf_id = a->attach_btf_id;
		attr.attach_prog_fd = a->attach_prog_fd ? a->attach_prog_fd : a->attach_btf_obj_fd;
		size = offsetofend(union bpf_attr, attach_prog_fd);
	}
	if (a->fd_array) {
		attr.fd_array = ptr_to_u64(a->fd_array);
		size = offsetofend(union bpf_attr, fd_array);
	}
	a->log_true_size = 0;
	if (a->log_buf) {
		/* Ask for log_true_size: a kernel that predates it sees a zero
		 * field past its attr and accepts (the E2BIG check is for
		 * non-zero bytes only); 6.4+ fills it in. */
		size = PROG_LOAD_LOG_TRUE_SIZE_OFF + sizeof(uint32_t);
	}
	int ret = wd_sys_bpf(BPF_PROG_LOAD, &attr, size);
	if (a->log_buf)
		memcpy(&a->log_true_size, (char *)&attr + PROG_LOAD_LOG_TRUE_SIZE_OFF, sizeof(uint32_t));
	return ret;
}

int wd_sys_btf_load(const void *data, uint32_t size, char *log, uint32_t log_size,
		    uint32_t log_level)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.btf = ptr_to_u64(data);
	attr.btf_size = size;
	attr.btf_log_buf = ptr_to_u64(log);
	attr.btf_log_size = log_size;
	attr.btf_log_level = log ? log_level : 0;
	return wd_sys_bpf(BPF_BTF_LOAD, &attr, offsetofend(union bpf_attr, btf_log_level));
}

int wd_sys_obj_pin(int fd, const char *path)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.pathname = ptr_to_u64(path);
	attr.bpf_fd = fd;
	return wd_sys_bpf(BPF_OBJ_PIN, &attr, offsetofend(union bpf_attr, file_flags));
}

int wd_sys_obj_get(const char *path, uint32_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.pathname = ptr_to_u64(path);
	attr.file_flags = flags;
	return wd_sys_bpf(BPF_OBJ_GET, &attr, offsetofend(union bpf_attr, file_flags));
}

int wd_sys_obj_info(int fd, void *info, uint32_t *info_len)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = *info_len;
	attr.info.info = ptr_to_u64(info);
	int ret = wd_sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, offsetofend(union bpf_attr, info));
	if (ret == 0)
		*info_len = attr.info.info_len;
	return ret;
}

int wd_sys_get_next_id(int cmd, uint32_t start, uint32_t *next)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.start_id = start;
	int ret = wd_sys_bpf(cmd, &attr, offsetofend(union bpf_attr, open_flags));
	if (ret == 0)
		*next = attr.next_id;
	return ret;
}

int wd_sys_get_fd_by_id(int cmd, uint32_t id)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id; /* same slot for map_id, btf_id and link_id */
	return wd_sys_bpf(cmd, &attr, offsetofend(union bpf_attr, open_flags));
}

int wd_sys_prog_test_run(int fd, const void *in, uint32_t in_size, void *out,
			 uint32_t *out_size, const void *ctx_in, uint32_t ctx_size,
			 uint32_t repeat, uint32_t *retval, uint32_t *duration)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = fd;
	attr.test.data_in = ptr_to_u64(in);
	attr.test.data_size_in = in_size;
	attr.test.data_out = ptr_to_u64(out);
	attr.test.data_size_out = out_size ? *out_size : 0;
	attr.test.ctx_in = ptr_to_u64(ctx_in);
	attr.test.ctx_size_in = ctx_size;
	attr.test.repeat = repeat;
	int ret = wd_sys_bpf(BPF_PROG_TEST_RUN, &attr, offsetofend(union bpf_attr, test));
	if (ret == 0) {
		if (retval)
			*retval = attr.test.retval;
		if (duration)
			*duration = attr.test.duration;
		if (out_size)
			*out_size = attr.test.data_size_out;
	}
	return ret;
}

int wd_sys_raw_tp_open(const char *name, int prog_fd)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.name = ptr_to_u64(name);
	attr.raw_tracepoint.prog_fd = prog_fd;
	return wd_sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr, offsetofend(union bpf_attr, raw_tracepoint));
}

/* link_create.tcx (6.6) overlays target_btf_id: relative_fd at +16, revision at +24. */
struct wd_link_create_tcx {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint32_t relative_fd, pad;
	uint64_t expected_revision;
};

int wd_sys_link_create(const struct wd_link_create_args *a)
{
	union bpf_attr attr;
	unsigned int size = offsetofend(union bpf_attr, link_create.flags);
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = a->prog_fd;
	attr.link_create.target_fd = a->target_fd;
	attr.link_create.attach_type = a->attach_type;
	attr.link_create.flags = a->flags;
	if (a->bpf_cookie) {
		attr.link_create.perf_event.bpf_cookie = a->bpf_cookie;
		size = offsetofend(union bpf_attr, link_create.perf_event);
	} else if (a->target_btf_id) {
		attr.link_create.target_btf_id = a->target_btf_id;
		size = offsetofend(union bpf_attr, link_create.target_btf_id);
	} else if (a->kmulti_cnt) {
		attr.link_create.kprobe_multi.flags = a->kmulti_flags;
		attr.link_create.kprobe_multi.cnt = a->kmulti_cnt;
		attr.link_create.kprobe_multi.syms = ptr_to_u64(a->kmulti_syms);
		attr.link_create.kprobe_multi.cookies = ptr_to_u64(a->kmulti_cookies);
		size = offsetofend(union bpf_attr, link_create.kprobe_multi);
	} else if (a->iter_info) {
		attr.link_create.iter_info = ptr_to_u64(a->iter_info);
		attr.link_create.iter_info_len = a->iter_info_len;
		size = offsetofend(union bpf_attr, link_create.iter_info_len);
	} else if (a->relative_fd || a->expected_revision) {
		struct wd_link_create_tcx *t = (void *)&attr;
		t->relative_fd = a->relative_fd;
		t->expected_revision = a->expected_revision;
		size = sizeof(*t);
	}
	return wd_sys_bpf(BPF_LINK_CREATE, &attr, size);
}

int wd_sys_link_detach(int link_fd)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.link_detach.link_fd = link_fd;
	return wd_sys_bpf(BPF_LINK_DETACH, &attr, offsetofend(union bpf_attr, link_detach));
}

int wd_sys_prog_attach(int prog_fd, int target_fd, uint32_t type, uint32_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = target_fd;
	attr.attach_bpf_fd = prog_fd;
	attr.attach_type = type;
	attr.attach_flags = flags;
	return wd_sys_bpf(BPF_PROG_ATTACH, &attr, offsetofend(union bpf_attr, replace_bpf_fd));
}

int wd_sys_prog_detach(int prog_fd, int target_fd, uint32_t type)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = target_fd;
	attr.attach_bpf_fd = prog_fd;
	attr.attach_type = type;
	return wd_sys_bpf(BPF_PROG_DETACH, &attr, offsetofend(union bpf_attr, replace_bpf_fd));
}

int wd_sys_task_fd_query(int pid, int fd, char *buf, uint32_t *buf_len, uint32_t *prog_id,
			 uint32_t *fd_type, uint64_t *probe_offset, uint64_t *probe_addr)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.task_fd_query.pid = pid;
	attr.task_fd_query.fd = fd;
	attr.task_fd_query.buf = ptr_to_u64(buf);
	attr.task_fd_query.buf_len = buf_len ? *buf_len : 0;
	int ret = wd_sys_bpf(BPF_TASK_FD_QUERY, &attr, offsetofend(union bpf_attr, task_fd_query));
	if (ret == 0) {
		if (buf_len)
			*buf_len = attr.task_fd_query.buf_len;
		if (prog_id)
			*prog_id = attr.task_fd_query.prog_id;
		if (fd_type)
			*fd_type = attr.task_fd_query.fd_type;
		if (probe_offset)
			*probe_offset = attr.task_fd_query.probe_offset;
		if (probe_addr)
			*probe_addr = attr.task_fd_query.probe_addr;
	}
	return ret;
}

int wd_sys_enable_stats(uint32_t type)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = type;
	return wd_sys_bpf(BPF_ENABLE_STATS, &attr, offsetofend(union bpf_attr, enable_stats));
}

int wd_sys_iter_create(int link_fd)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.iter_create.link_fd = link_fd;
	return wd_sys_bpf(BPF_ITER_CREATE, &attr, offsetofend(union bpf_attr, iter_create));
}
