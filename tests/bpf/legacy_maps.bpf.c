/* The legacy "maps" section (struct bpf_map_def), as oxidebpf and older
 * tools write it.  libbpf 1.x refuses it; warden loads it. */
#include "common.h"

struct bpf_map_def {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 2,
};
struct bpf_map_def SEC("maps") events = {
	.type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 4, .max_entries = 16,
};

SEC("xdp")
int legacy_count(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	bpf_map_update_elem(&events, &k, &k, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
