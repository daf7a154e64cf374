/* Preflight: a tracepoint that does not exist. */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_warden_nothing")
int tp_missing(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
