/* Rejected: writes below the 512-byte BPF stack (clang refuses a C array
 * that large, so the store is inline asm). */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int big_stack(void *ctx)
{
	asm volatile("r1 = 0; *(u64 *)(r10 - 520) = r1" ::: "r1"); /* VERIFY_FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
