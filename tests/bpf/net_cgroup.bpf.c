/* cgroup programs counting what a process in the test cgroup does. */
#include "common.h"

/* slot 0: connect4, 1: egress skb, 2: sock_create, 3: sysctl */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("cgroup/connect4")
int count_connect4(struct bpf_sock_addr *ctx)
{
	bump(0);
	return 1;
}

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	bump(1);
	return 1;
}

SEC("cgroup/sock_create")
int count_sock_create(struct bpf_sock *sk)
{
	bump(2);
	return 1;
}

SEC("cgroup/sysctl")
int count_sysctl(struct bpf_sysctl *ctx)
{
	bump(3);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
