/* Rejected: dereferences a plain number as if it were a pointer. */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int bad_pointer(void *ctx)
{
	long addr = bpf_get_prandom_u32();
	return *(int *)addr; /* VERIFY_FAIL */
}

char LICENSE[] SEC("license") = "GPL";
