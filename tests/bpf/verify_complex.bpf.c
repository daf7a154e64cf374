/* Rejected: a bounded loop whose 1,000,000-instruction walk is too complex. */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int too_complex(void *ctx)
{
	volatile __u64 sink = 0;
	for (__u32 i = 0; i < 100000000; i++) sink += i; /* VERIFY_FAIL */
	(void)sink;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
