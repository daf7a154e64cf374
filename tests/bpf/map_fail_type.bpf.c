/* A map the kernel refuses to create: a map type no kernel has
 * (tests/test_map.c checks the loader's explanation). */
#include "common.h"

struct {
	__uint(type, 200);		/* no kernel has map type 200: EINVAL */
	__uint(max_entries, 4);
	__uint(key_size, 4);
	__uint(value_size, 8);
} doomed SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int use_doomed(void *ctx)
{
	__u32 k = 0;
	bpf_map_lookup_elem(&doomed, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
