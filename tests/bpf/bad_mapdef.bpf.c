/* A legacy map definition of 12 bytes: too small for struct bpf_map_def. */
#include "common.h"

struct short_def { unsigned int type, key_size, value_size; };
struct short_def SEC("maps") short_map = { BPF_MAP_TYPE_ARRAY, 4, 4 };

SEC("xdp")
int uses_short(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
