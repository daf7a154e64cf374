/* A map the kernel refuses to create: an array larger than any machine's memory
 * (tests/test_map.c checks the loader's explanation). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 26);
	__uint(key_size, 4);
	__uint(value_size, 4096);	/* 256 GiB at creation: ENOMEM */
} doomed SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int use_doomed(void *ctx)
{
	__u32 k = 0;
	bpf_map_lookup_elem(&doomed, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
