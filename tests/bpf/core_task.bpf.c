/* CO-RE against the running kernel's own vmlinux BTF, with the kernel's
 * types as vmlinux.h (the build host's kernel) spells them, no local
 * flavors: the offsets compiled in are the build host's, and every guest of
 * the matrix (5.10, 6.1, 6.12) lays task_struct out differently.
 * run_task() (raw_tp, BPF_PROG_TEST_RUN, in the caller's task) stores the
 * relocated offsets and the values read through them; tests/test_core_task.c
 * compares them with the kernel's BTF (walked with warden's BTF API),
 * getpid(), gettid(), getppid() and /proc/self/comm. */
#include "core_common.h"

enum { F_PID, F_TGID, F_COMM, F_REAL_PARENT, F_FLAGS, F_MM, F_CRED, F_START_TIME,
       F_EXIT_CODE, F_NSPROXY, F_PRIO, F_SE, F__N };

struct {
	__u64 pid, tgid, ppid;
	char comm[16];
	__u64 off[F__N];
	__u64 task_size;
} res;

SEC("raw_tp")
int run_task(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	res.pid = BPF_CORE_READ(t, pid);
	res.tgid = BPF_CORE_READ(t, tgid);
	res.ppid = BPF_CORE_READ(t, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&res.comm, t, comm);
	res.off[F_PID] = bpf_core_field_offset(t->pid);
	res.off[F_TGID] = bpf_core_field_offset(t->tgid);
	res.off[F_COMM] = bpf_core_field_offset(t->comm);
	res.off[F_REAL_PARENT] = bpf_core_field_offset(t->real_parent);
	res.off[F_FLAGS] = bpf_core_field_offset(t->flags);
	res.off[F_MM] = bpf_core_field_offset(t->mm);
	res.off[F_CRED] = bpf_core_field_offset(t->cred);
	res.off[F_START_TIME] = bpf_core_field_offset(t->start_time);
	res.off[F_EXIT_CODE] = bpf_core_field_offset(t->exit_code);
	res.off[F_NSPROXY] = bpf_core_field_offset(t->nsproxy);
	res.off[F_PRIO] = bpf_core_field_offset(t->prio);
	res.off[F_SE] = bpf_core_field_offset(t->se);
	res.task_size = bpf_core_type_size(struct task_struct);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
