/* kfunc __ksym externs: calls by kernel BTF id.  bpf_rcu_read_lock() and
 * bpf_rcu_read_unlock() exist since 6.2; the tests skip on kernels whose
 * BTF lacks them.  Results in .bss. */
#include "core_common.h"

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

struct { __u64 ran; } res;

SEC("raw_tp")
int run_kfunc(void *ctx)
{
	bpf_rcu_read_lock();
	res.ran = 1;
	bpf_rcu_read_unlock();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
