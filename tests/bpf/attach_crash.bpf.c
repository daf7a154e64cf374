/* What a crashing agent holds: a uprobe, a tracepoint, a pinned map
 * (tests/test_cleanup.c). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} crash_hits SEC(".maps");

const volatile __u32 target_tgid;

static __always_inline void hit(__u32 slot)
{
	__u64 *v;
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return;
	v = bpf_map_lookup_elem(&crash_hits, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("uprobe")
int crash_up(void *ctx) { hit(0); return 0; }

SEC("tracepoint/syscalls/sys_enter_getppid")
int crash_tp(void *ctx) { hit(1); return 0; }

char LICENSE[] SEC("license") = "GPL";
