/* Rejected: a loop the verifier sees never change state (infinite). */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int endless(void *ctx)
{
	volatile int spin = 1;
	while (spin) {} /* VERIFY_FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
