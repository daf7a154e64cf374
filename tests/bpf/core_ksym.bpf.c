/* __ksym externs: an untyped symbol (its /proc/kallsyms address), a weak
 * missing one (0), and kfunc calls (kernel BTF ids).  Results in .bss. */
#include "core_common.h"

extern const void _stext __ksym;  /* a text symbol: KALLSYMS_ALL=n kernels list only those */
extern const void warden_no_such_symbol __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

struct { __u64 stext, missing, ran; } res;

SEC("raw_tp")
int run_ksym(void *ctx)
{
	bpf_rcu_read_lock();
	res.ran = 1;
	bpf_rcu_read_unlock();
	res.stext = (__u64)&_stext;
	res.missing = (__u64)&warden_no_such_symbol + 1; /* 1: the address is 0 */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
