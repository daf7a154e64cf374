/* Rejected: bpf_tail_call() with a hash map instead of a prog array. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} not_progs SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int bad_tail_call(void *ctx)
{
	bpf_tail_call(ctx, &not_progs, 0); /* VERIFY_FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
