/* A map the kernel refuses to create: a per-CPU value above the kernel's 32 KiB limit
 * (tests/test_map.c checks the loader's explanation). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, 4);
	__uint(value_size, 40000);	/* above PCPU_MIN_UNIT_SIZE (32 KiB): E2BIG */
} doomed SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int use_doomed(void *ctx)
{
	__u32 k = 0;
	bpf_map_lookup_elem(&doomed, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
