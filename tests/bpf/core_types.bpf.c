/* Type and enum relocations: types that exist or not, sizes, ids, enums
 * whose local definition lacks values the kernel gained (or has values the
 * kernel never had).  Results in .bss. */
#include "core_common.h"

struct warden_no_such_type { int x; };

/* Local enum with the kernel's names, wrong values, and one the kernel
 * never had: the relocated values are the kernel's. */
enum bpf_map_type___old {
	BPF_MAP_TYPE_HASH___old = 100,
	BPF_MAP_TYPE_RINGBUF___old = 101,
	BPF_MAP_TYPE_WARDEN_NOPE___old = 102,
};

typedef struct task_struct___t { int pid; } task_t___t;

struct results {
	__u64 task_exists, nope_exists, task_size, nope_size;
	__u64 task_local_id, task_target_id, nope_target_id;
	__u64 hash_val, ringbuf_val, nope_enum_exists, ringbuf_exists, nope_enum_val;
	__u64 prog_type_netfilter_exists, typedef_exists;
};

struct results res;

SEC("raw_tp")
int run_types(void *ctx)
{
	res.task_exists = bpf_core_type_exists(struct task_struct);
	res.nope_exists = bpf_core_type_exists(struct warden_no_such_type);
	res.task_size = bpf_core_type_size(struct task_struct);
	res.nope_size = bpf_core_type_size(struct warden_no_such_type);
	res.task_local_id = bpf_core_type_id_local(struct task_struct);
	res.task_target_id = bpf_core_type_id_kernel(struct task_struct);
	res.nope_target_id = bpf_core_type_id_kernel(struct warden_no_such_type);
	res.hash_val = bpf_core_enum_value(enum bpf_map_type___old, BPF_MAP_TYPE_HASH___old);
	res.ringbuf_val = bpf_core_enum_value(enum bpf_map_type___old, BPF_MAP_TYPE_RINGBUF___old);
	res.ringbuf_exists = bpf_core_enum_value_exists(enum bpf_map_type___old, BPF_MAP_TYPE_RINGBUF___old);
	res.nope_enum_exists = bpf_core_enum_value_exists(enum bpf_map_type___old, BPF_MAP_TYPE_WARDEN_NOPE___old);
	res.nope_enum_val = 55;
	if (bpf_core_enum_value_exists(enum bpf_map_type___old, BPF_MAP_TYPE_WARDEN_NOPE___old))
		res.nope_enum_val = bpf_core_enum_value(enum bpf_map_type___old, BPF_MAP_TYPE_WARDEN_NOPE___old);
	res.prog_type_netfilter_exists = bpf_core_enum_value_exists(enum bpf_prog_type, BPF_PROG_TYPE_NETFILTER);
	res.typedef_exists = bpf_core_type_exists(task_t___t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
