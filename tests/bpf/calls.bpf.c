/* bpf-to-bpf calls: static and global subprograms in .text, one subprogram
 * shared by two programs of the same section, and a bpf_loop callback. */
#include "common.h"

__u64 out[4];

static __attribute__((noinline)) int add(int a, int b)
{
	return a + b + (int)bpf_get_prandom_u32() * 0;
}

__attribute__((noinline)) int twice(int x)
{
	return add(x, x);
}

static int loop_cb(__u32 i, void *ctx)
{
	*(__u64 *)ctx += i;
	return 0;
}

SEC("xdp")
int call_one(struct xdp_md *ctx)
{
	out[0] = twice(21);                /* 42 */
	return XDP_PASS;
}

SEC("xdp")
int call_two(struct xdp_md *ctx)
{
	__u64 sum = 0;
	out[1] = add(1, 2);                /* 3 */
	bpf_loop(5, loop_cb, &sum, 0);
	out[2] = sum;                      /* 0+1+2+3+4 = 10 */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
