/* Lint, prog array slots (tests/test_lint.c): slot 0 is filled by the
 * object (.values), slot 1 never is (warning: the tail call falls through),
 * slot 9 is beyond max_entries (error). */
#include "common.h"

int tail_target(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} lint_jmp SEC(".maps") = {
	.values = { [0] = (void *)&tail_target },
};

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int tail_filled(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &lint_jmp, 0);
	return XDP_PASS;
}

SEC("xdp")
int tail_unfilled(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &lint_jmp, 1);
	return XDP_PASS;
}

SEC("xdp")
int tail_beyond(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &lint_jmp, 9);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
