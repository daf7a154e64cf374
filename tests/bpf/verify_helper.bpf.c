/* Rejected: calls helper id 999, which no kernel has. */
#include "common.h"

static long (*bpf_helper_from_the_future)(void) = (void *)999;

SEC("tracepoint/syscalls/sys_enter_getpid")
int unknown_helper(void *ctx)
{
	return bpf_helper_from_the_future(); /* VERIFY_FAIL */
}

char LICENSE[] SEC("license") = "GPL";
