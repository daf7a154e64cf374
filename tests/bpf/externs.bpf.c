/* libbpf 1.x's virtual .kconfig externs, a typed .ksyms variable and
 * __ksym kfunc declarations: the BTF holds an extern FUNC and a .ksyms
 * DATASEC, which the kernel accepts only as libbpf rewrites them.
 * read_externs copies the values into `out` (run with BPF_PROG_TEST_RUN);
 * call_kfunc (6.2+ kfuncs) is loaded only where the kernel has them. */
#include <stdbool.h>
#include "common.h"

struct task_struct { int pid; }; /* a STRUCT, as the kernel's (a FWD is incompatible for libbpf too) */

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern const int bpf_prog_active __ksym __weak; /* typed: vmlinux BTF (5.10 has no per-CPU vars in it: weak) */
extern struct task_struct *bpf_task_from_pid(int pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

struct {
	__u64 kversion, has_cookie, has_wrapper, prog_active;
} out;

SEC("xdp")
int read_externs(struct xdp_md *ctx)
{
	out.kversion = LINUX_KERNEL_VERSION;
	out.has_cookie = LINUX_HAS_BPF_COOKIE;
	out.has_wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	return XDP_PASS;
}

SEC("tp_btf/task_newtask")
int call_kfunc(__u64 *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);
	if (t)
		bpf_task_release(t);
	return 0;
}

/* Loaded nowhere by the tests: the kernel finds the address of a typed
 * ksym in kallsyms, which lists no data symbols without KALLSYMS_ALL. It
 * puts bpf_prog_active in the .ksyms DATASEC of the BTF all the same. */
SEC("tp_btf/task_newtask")
int read_ksym(__u64 *ctx)
{
	const int *active = bpf_this_cpu_ptr(&bpf_prog_active);
	out.prog_active = *active;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
