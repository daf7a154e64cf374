/* Same pinned map name as pinned.bpf.c, another size: must be refused. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_counter SEC(".maps");

SEC("xdp")
int other(struct xdp_md *ctx)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&shared_counter, &k) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
