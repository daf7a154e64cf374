/* Many independent programs, each with a bounded loop the verifier walks
 * (5.3+), of three program types: the parallel load's test and benchmark
 * object (tests/test_load_parallel.c, bench/load). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

__u64 seen[64];

#define BODY(N)								\
	__u64 acc = N;							\
	for (__u32 i = 0; i < 64 + 4 * N; i++) {			\
		__u32 k = (i * 7 + N) & 63;				\
		__u64 *v = bpf_map_lookup_elem(&counts, &k);		\
		if (!v)							\
			continue;					\
		if (*v & 1)						\
			acc += *v >> (i & 7);				\
		else							\
			acc ^= (__u64)i << (N & 15);			\
	}								\
	seen[N & 63] = acc

#define XDP(N)  SEC("xdp") int xdp_##N(struct xdp_md *ctx) { BODY(N); return XDP_PASS; }
#define TP(N)   SEC("tracepoint/syscalls/sys_enter_getpid") int tp_##N(void *ctx) { BODY(N); return 0; }
#define SOCK(N) SEC("socket") int sock_##N(struct __sk_buff *skb) { BODY(N); return 0; }

XDP(0) XDP(1) XDP(2) XDP(3) XDP(4) XDP(5) XDP(6) XDP(7)
TP(8) TP(9) TP(10) TP(11) TP(12) TP(13) TP(14) TP(15)
SOCK(16) SOCK(17) SOCK(18) SOCK(19) SOCK(20) SOCK(21) SOCK(22) SOCK(23)

char LICENSE[] SEC("license") = "GPL";
