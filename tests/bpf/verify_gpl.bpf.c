/* Rejected: bpf_probe_read_kernel is GPL-only (gpl_only = true in
 * kernel/trace/bpf_trace.c) and this object is not GPL. */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int gpl_helper(void *ctx)
{
	long v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), ctx); /* VERIFY_FAIL */
	return v;
}

char LICENSE[] SEC("license") = "Proprietary";
