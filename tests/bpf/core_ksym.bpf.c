/* Untyped __ksym externs: a symbol with its /proc/kallsyms address and a
 * weak missing one (0).  Results in .bss.  The kfunc calls are in
 * core_kfunc.bpf.c: kernels before 6.2 have none of them. */
#include "core_common.h"

extern const void _stext __ksym;  /* a text symbol: KALLSYMS_ALL=n kernels list only those */
extern const void warden_no_such_symbol __ksym __weak;

struct { __u64 stext, missing, ran; } res;

SEC("raw_tp")
int run_ksym(void *ctx)
{
	res.ran = 1;
	res.stext = (__u64)&_stext;
	res.missing = (__u64)&warden_no_such_symbol + 1; /* 1: the address is 0 */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
