/* A typed __ksym: the per-CPU runqueues by kernel BTF id.  The kernel
 * resolves its address through kallsyms, so a kernel built without
 * CONFIG_KALLSYMS_ALL refuses it (the test skips then). */
#include "core_common.h"

extern const struct rq runqueues __ksym;

__u64 rq_cpu = 999;

SEC("raw_tp")
int run_ksym_typed(void *ctx)
{
	struct rq *rq = bpf_this_cpu_ptr(&runqueues);
	rq_cpu = rq->cpu;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
