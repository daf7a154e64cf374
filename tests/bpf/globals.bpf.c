/* Global data in every section form: .data, .rodata, .bss, .data.custom,
 * .rodata strings.  run_globals() computes from them and stores the result
 * in .bss, where the test reads it. */
#include "common.h"

int data_var = 40;
const volatile int rodata_var = 2;      /* user space may set it before load */
int bss_var;
__u64 result;
int custom_var SEC(".data.custom") = 1000;
const volatile char greeting[8] = "hello";
static const char strconst[] = "str";
const volatile int ro_custom SEC(".rodata.custom") = 5;
volatile int idx = 1;
__u64 result2;

SEC("xdp")
int run_globals(struct xdp_md *ctx)
{
	bss_var = data_var + rodata_var;           /* 42 */
	result = (__u64)bss_var + custom_var + greeting[0] + strconst[1]; /* 42+1000+'h'+'t' */
	data_var++;
	/* a string literal indexed at run time lives in .rodata.str1.1 */
	result2 = ro_custom * 1000 + "warden"[idx & 3];   /* 5000 + 'a' */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
