/* CO-RE relocations inside .text subprograms shared by two programs, and a
 * map: the relocated subprogram is appended to each program. */
#include "core_common.h"

struct task_struct___sub {
	int pid;
	int tgid;
	struct task_struct___sub *group_leader;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} core_out SEC(".maps");

static __noinline __u64 leader_tgid(struct task_struct___sub *t)
{
	return BPF_CORE_READ(t, group_leader, tgid);
}

static __noinline __u64 own_pid(struct task_struct___sub *t)
{
	if (!bpf_core_field_exists(t->pid))
		return 0;
	return BPF_CORE_READ(t, pid) + bpf_core_field_offset(t->tgid);
}

SEC("raw_tp")
int sub_one(void *ctx)
{
	struct task_struct___sub *t = (void *)bpf_get_current_task();
	__u32 k = 0;
	__u64 v = leader_tgid(t);
	bpf_map_update_elem(&core_out, &k, &v, 0);
	return 0;
}

SEC("raw_tp")
int sub_two(void *ctx)
{
	struct task_struct___sub *t = (void *)bpf_get_current_task();
	__u32 k = 1;
	__u64 v = own_pid(t) + leader_tgid(t);
	bpf_map_update_elem(&core_out, &k, &v, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
