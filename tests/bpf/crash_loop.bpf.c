/* What the crash loop's processes attach (tests/test_crash.c): one program
 * per attach family, all counting into one map (not pinned by name: `warden
 * load` would pin it under /sys/fs/bpf for every test run at once).  The uprobe
 * and kprobe sections name no target: the test attaches them itself, and
 * `warden load --attach` lists them as not attached. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} wdc_hits SEC(".maps");

static __always_inline void hit(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&wdc_hits, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int wdc_tp(void *ctx) { hit(0); return 0; }

SEC("uprobe")
int wdc_up(void *ctx) { hit(1); return 0; }

SEC("kprobe")
int wdc_kp(void *ctx) { hit(2); return 0; }

SEC("xdp")
int wdc_xdp(struct xdp_md *ctx) { hit(3); return XDP_PASS; }

SEC("tc")
int wdc_tc(struct __sk_buff *skb) { hit(4); return 0 /* TC_ACT_OK */; }

SEC("cgroup_skb/egress")
int wdc_cg(struct __sk_buff *skb) { hit(5); return 1; }

char LICENSE[] SEC("license") = "GPL";
