/* Programs whose failures must read right: a tp_btf target no kernel has
 * (named as the tracepoint, not as its btf_trace_ typedef) and a helper
 * newer than old kernels (bpf_get_current_task_btf, 5.11). */
#include "common.h"

SEC("tp_btf/wd_no_such_tracepoint")
int no_such_tp(__u64 *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int newer_helper(void *ctx)
{
	return bpf_get_current_task_btf() != 0;
}

char LICENSE[] SEC("license") = "GPL";
