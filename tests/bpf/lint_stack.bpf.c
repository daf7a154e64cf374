/* Lint, stack across the call chain (tests/test_lint.c): stack_over uses
 * 224 + 352 bytes (frames rounded to 32 as the verifier counts them; 208 +
 * 352 at 16), over 512: the verifier refuses it ("combined stack size").
 * stack_near uses 224 + 256 = 480: it loads, with a warning.  XDP, not a
 * tracing type: newer x86-64 kernels give tracing programs a private stack
 * per frame and no longer add the frames up for them. */
#include "common.h"

static __attribute__((noinline)) int fill(int n)
{
	volatile char buf[340];

	for (int i = 0; i < 340; i += 50)
		buf[i] = n;
	return buf[n & 255];
}

static __attribute__((noinline)) int fill_small(int n)
{
	volatile char buf[240];

	for (int i = 0; i < 240; i += 40)
		buf[i] = n;
	return buf[n & 127];
}

SEC("xdp")
int stack_over(struct xdp_md *ctx)
{
	volatile char buf[200];
	int n = bpf_get_smp_processor_id();

	buf[0] = n;
	buf[199] = n;
	return fill(n) + buf[n & 127];
}

SEC("xdp")
int stack_near(struct xdp_md *ctx)
{
	volatile char buf[200];
	int n = bpf_get_smp_processor_id();

	buf[0] = n;
	buf[199] = n;
	return fill_small(n) + buf[n & 127];
}

char LICENSE[] SEC("license") = "GPL";
