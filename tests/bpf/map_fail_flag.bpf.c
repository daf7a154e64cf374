/* A map the kernel refuses to create: a flag the map type does not take
 * (tests/test_map.c checks the loader's explanation). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(key_size, 4);
	__uint(value_size, 8);
	__uint(map_flags, BPF_F_MMAPABLE);	/* arrays only: EINVAL */
} doomed SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int use_doomed(void *ctx)
{
	__u32 k = 0;
	bpf_map_lookup_elem(&doomed, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
