/* Lint, kprobe targets (tests/test_lint.c): the placeholder is replaced by
 * the test with a function this kernel's compiler renamed (foo.isra.0 is
 * in /proc/kallsyms, foo is not); sys_getppid exists only wrapped on
 * kernels with CONFIG_ARCH_HAS_SYSCALL_WRAPPER; the last one no kernel has. */
#include "common.h"

SEC("kprobe/warden_lint_renamed_placeholder_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
int kp_renamed(void *ctx)
{
	return 0;
}

SEC("kprobe/sys_getppid")
int kp_unwrapped(void *ctx)
{
	return 0;
}

SEC("kprobe/warden_lint_no_such_function")
int kp_absent(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
