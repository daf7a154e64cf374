/* A minimal TCP congestion control written as a struct_ops table
 * (tests/test_struct_ops.c): Reno's halving on loss, no growth.  The test
 * renames it (.name, before load) so that runs side by side do not clash,
 * registers it, and looks for it in tcp_available_congestion_control.
 * st_ops_cc_link.bpf.c builds the same table into SEC(".struct_ops.link"). */
#include "core_common.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef WD_ST_OPS_SEC
#define WD_ST_OPS_SEC ".struct_ops"
#define WD_ST_OPS_VAR wd_cc
#endif

SEC("struct_ops/wd_cc_ssthresh")
__u32 BPF_PROG(wd_cc_ssthresh, struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 half = tp->snd_cwnd >> 1;
	return half > 2 ? half : 2;
}

SEC("struct_ops/wd_cc_undo_cwnd")
__u32 BPF_PROG(wd_cc_undo_cwnd, struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	return tp->snd_cwnd;
}

SEC("struct_ops/wd_cc_cong_avoid")
void BPF_PROG(wd_cc_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(WD_ST_OPS_SEC)
struct tcp_congestion_ops WD_ST_OPS_VAR = {
	.ssthresh = (void *)wd_cc_ssthresh,
	.undo_cwnd = (void *)wd_cc_undo_cwnd,
	.cong_avoid = (void *)wd_cc_cong_avoid,
	.name = "wd_cc",
};
