/* Every program is fine, but a map cannot be created (a hash map of zero
 * entries: EINVAL from map_alloc_check): `warden verify` says so once. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 0);
	__type(key, __u32);
	__type(value, __u64);
} empty SEC(".maps");

static int touch(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&empty, &k);
	return v ? 1 : 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int first(void *ctx) { return touch(); }

SEC("tracepoint/syscalls/sys_enter_getppid")
int second(void *ctx) { return touch(); }

SEC("tracepoint/syscalls/sys_enter_gettid")
int third(void *ctx) { return touch(); }

char LICENSE[] SEC("license") = "GPL";
