/* Lint, syscall arguments through the wrapper (tests/test_lint.c): on
 * kernels with CONFIG_ARCH_HAS_SYSCALL_WRAPPER the kprobe on __x64_sys_*
 * sees the wrapper's pt_regs, whose di is a pointer to the user's pt_regs.
 * args_outer reads the arguments from the outer regs (wrong: error),
 * args_inner through PARM1 (right: nothing), arg1_outer takes PARM1 itself
 * for the first argument (wrong: error). */
#include "core_common.h"

__u64 lint_out[5];

SEC("kprobe/__x64_sys_dup2")
int args_outer(struct pt_regs *ctx)
{
	lint_out[0] = PT_REGS_PARM1(ctx);
	lint_out[1] = PT_REGS_PARM2(ctx);
	return 0;
}

SEC("kprobe/__x64_sys_dup2")
int args_inner(struct pt_regs *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)PT_REGS_PARM1(ctx);

	lint_out[2] = PT_REGS_PARM1_CORE(regs);
	lint_out[3] = PT_REGS_PARM2_CORE(regs);
	return 0;
}

/* PARM1 alone, used as the first argument: it is the inner regs' address */
SEC("kprobe/__x64_sys_close")
int arg1_outer(struct pt_regs *ctx)
{
	lint_out[4] = PT_REGS_PARM1(ctx);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
