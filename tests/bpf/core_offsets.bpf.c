/* The runtime-offsets fallback (no CO-RE relocation at all): pid and tgid
 * of the current task read through offsets user space published. */
#include "common.h"
#include "warden_offsets.h"

struct { __u64 pid, tgid; long err_pid, err_missing; } res;

SEC("raw_tp")
int read_offsets(void *ctx)
{
	void *task = (void *)bpf_get_current_task();
	__u32 pid = 0, tgid = 0;
	__u64 x = 0;
	res.err_pid = WD_READ(&pid, task, "task_struct->pid");
	WD_READ(&tgid, task, "task_struct->tgid");
	res.err_missing = WD_READ(&x, task, "task_struct->warden_not_published");
	res.pid = pid;
	res.tgid = tgid;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
