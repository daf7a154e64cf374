/* Programs that fail in the verifier at different speeds: the second one
 * walks a long loop before its bad access, the fifth fails at once.  A
 * parallel load must report the second, as a sequential load does
 * (tests/test_load_parallel.c). */
#include "common.h"

__u64 out[8];

SEC("socket") int ok_0(struct __sk_buff *skb) { out[0] = 1; return 0; }

SEC("socket") int slow_bad_1(struct __sk_buff *skb)
{
	__u64 acc = 0;
	for (__u32 i = 0; i < 500; i++)
		acc += (acc ^ i) & 3 ? i : acc >> 1;
	out[1] = acc;
	return *(volatile int *)(long)acc; /* VERIFY_FAIL: an arbitrary pointer */
}

SEC("socket") int ok_2(struct __sk_buff *skb) { out[2] = 2; return 0; }
SEC("socket") int ok_3(struct __sk_buff *skb) { out[3] = 3; return 0; }

SEC("socket") int quick_bad_4(struct __sk_buff *skb)
{
	return *(volatile int *)(long)skb->len; /* VERIFY_FAIL: a scalar as a pointer */
}

SEC("socket") int ok_5(struct __sk_buff *skb) { out[5] = 5; return 0; }
SEC("socket") int ok_6(struct __sk_buff *skb) { out[6] = 6; return 0; }

char LICENSE[] SEC("license") = "GPL";
