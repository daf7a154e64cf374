/* fmod_ret (BPF_MODIFY_RETURN, 5.7): security_file_open() returns
 * -ENOTUNIQ for the test process, so its open() fails with that errno and
 * the hook itself is skipped; every other process is left alone (return 0:
 * the kernel function runs).  The verifier takes as fmod_ret targets the
 * functions on the error-injection list and every security_* hook (kernel
 * commit 6ba43b761c41, check_attach_modify_return()); Debian's kernels are
 * built without CONFIG_FUNCTION_ERROR_INJECTION, so syscalls are no
 * targets there and a security hook is. */
#include "core_common.h"

#define FAKE_ERRNO 76   /* ENOTUNIQ: no open() fails with it by itself */

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} modified SEC(".maps");

SEC("fmod_ret/security_file_open")
int BPF_PROG(fake_open_error, struct file *file, int ret)
{
	__u32 zero = 0;
	__u64 *n;
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	n = bpf_map_lookup_elem(&modified, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
	return -FAKE_ERRNO;
}
