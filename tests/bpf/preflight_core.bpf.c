/* `warden doctor --btf FILE` against a target BTF written by the test
 * (tests/test_doctor.c) whose task_struct has pid but no tgid:
 * pf_unguarded reads tgid unguarded (poisoned and reached: fails to load),
 * pf_guarded reads it only under bpf_core_field_exists (loads).  Both load
 * against this kernel's BTF. */
#include "core_common.h"

struct task_struct___pf {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

__u64 pf_out[2];

SEC("raw_tp")
int pf_unguarded(void *ctx)
{
	struct task_struct___pf *t = (void *)bpf_get_current_task();

	pf_out[0] = BPF_CORE_READ(t, tgid);
	return 0;
}

SEC("raw_tp")
int pf_guarded(void *ctx)
{
	struct task_struct___pf *t = (void *)bpf_get_current_task();

	pf_out[0] = BPF_CORE_READ(t, pid);
	if (bpf_core_field_exists(t->tgid))
		pf_out[1] = BPF_CORE_READ(t, tgid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
