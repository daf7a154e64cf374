/* Lint, return values of kprobes (tests/test_lint.c): the guests, which
 * have kprobes, count the records a non-zero return adds. */
#include "common.h"

SEC("kprobe/do_nanosleep")
int kp_ret_one(void *ctx)
{
	return 1;
}

SEC("kprobe/do_nanosleep")
int kp_ret_zero(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
