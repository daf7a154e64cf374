/* XDP and TC programs counting UDP packets to port 7777 (tests/test_attach_net.c). */
#include "common.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>

#define TEST_PORT 7777

/* slot 0: XDP, 1: TC ingress, 2: TC egress, 3: second TC program */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline int is_test_udp(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	if (ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return 0;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return 0;
	return udp->dest == bpf_htons(TEST_PORT);
}

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int count_xdp(struct xdp_md *ctx)
{
	if (is_test_udp((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		bump(0);
	return XDP_PASS;
}

/* TC_ACT_UNSPEC: let later filters / tcx programs run too */
SEC("tc")
int count_tc_in(struct __sk_buff *skb)
{
	if (is_test_udp((void *)(long)skb->data, (void *)(long)skb->data_end))
		bump(1);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int count_tc_out(struct __sk_buff *skb)
{
	if (is_test_udp((void *)(long)skb->data, (void *)(long)skb->data_end))
		bump(2);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int count_tc_other(struct __sk_buff *skb)
{
	if (is_test_udp((void *)(long)skb->data, (void *)(long)skb->data_end))
		bump(3);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
