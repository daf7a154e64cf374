/* Lint, return values (tests/test_lint.c): kprobe, uprobe and tracepoint
 * programs whose return value is a non-zero constant (warning), computed
 * (info) or 0 (nothing).  Non-zero makes the kernel also record the event
 * in the perf event's buffer: the test counts those records. */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_ret_one(void *ctx)
{
	return 1;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_ret_zero(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_ret_computed(void *ctx)
{
	return bpf_get_prandom_u32() & 1;
}

/* a constant reached through a branch: still a constant at the exit */
SEC("uprobe")
int up_ret_branch(void *ctx)
{
	if (bpf_get_smp_processor_id() > 1000)
		return 0;
	return 2;
}

/* the value comes from a bpf-to-bpf call: the callee's exits decide */
static __attribute__((noinline)) int pick(__u32 cpu)
{
	if (cpu > 100000)
		return 0;
	return 3;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_ret_sub(void *ctx)
{
	return pick(bpf_get_smp_processor_id());
}

char LICENSE[] SEC("license") = "GPL";
