/* An unguarded read of a field the kernel does not have: the relocation is
 * poisoned and reachable, so the verifier rejects read_missing(); the error
 * must name the relocation.  guarded() is fine and loads. */
#include "core_common.h"

struct task_struct___gone {
	int warden_gone_field;
} __attribute__((preserve_access_index));

__u64 out;

SEC("raw_tp")
int read_missing(void *ctx)
{
	/* bpf_get_current_task(), not _btf() (5.11+): the verifier must stop at
	 * the poisoned insn on every kernel, not at an unknown helper */
	struct task_struct___gone *t = (void *)bpf_get_current_task();
	out = t->warden_gone_field;
	return 0;
}

SEC("raw_tp")
int guarded(void *ctx)
{
	struct task_struct___gone *t = (void *)bpf_get_current_task();
	if (bpf_core_field_exists(t->warden_gone_field))
		out = BPF_CORE_READ(t, warden_gone_field);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
