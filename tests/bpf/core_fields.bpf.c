/* Field relocations: renamed/reordered fields through flavors, nesting,
 * arrays, missing fields guarded by bpf_core_field_exists, bitfields,
 * signedness.  run_fields() (raw_tp, BPF_PROG_TEST_RUN) stores every result
 * in .bss; the test compares them with the kernel's BTF and getpid(). */
#include "core_common.h"

/* The kernel's task_struct seen through a local definition with a different
 * layout: fields in another order, and one the kernel never had. */
struct task_struct___mine {
	int tgid;
	int pid;
	struct task_struct___mine *real_parent;
	char comm[16];
	int warden_no_such_field;
	unsigned int flags;
} __attribute__((preserve_access_index));

/* A one-bit kernel bitfield at another position than the kernel's. */
struct task_struct___bits {
	unsigned int in_iowait: 1;
} __attribute__((preserve_access_index));

/* A multi-bit kernel bitfield (__u8 pkt_type:3, in every kernel of the
 * matrix; inside an anonymous struct in newer ones) seen with another width,
 * position and container type.  task_struct has no multi-bit bitfield common to the
 * kernels of the matrix. */
struct sk_buff___bits {
	unsigned int pad: 5;
	unsigned int pkt_type: 2;
} __attribute__((preserve_access_index));

struct results {
	__u64 pid, tgid, ppid;
	__u64 pid_off, pid_sz, pid_signed, flags_signed;
	__u64 comm_off, comm1_off, comm_sz;
	__u64 missing_exists, pid_exists, missing_val;
	__u64 bf_off, bf_sz, bf_lshift, bf_rshift, bf_val, iowait_lshift;
	char comm0;
};

struct results res;

SEC("raw_tp")
int run_fields(void *ctx)
{
	struct task_struct___mine *t = (void *)bpf_get_current_task();
	struct task_struct___bits *b = (void *)t;
	/* any kernel memory will do for the probed read: only the relocated
	 * offset, size and shifts are compared with the kernel's BTF */
	struct sk_buff___bits *s = (void *)t;

	res.pid = BPF_CORE_READ(t, pid);
	res.tgid = BPF_CORE_READ(t, tgid);
	res.ppid = BPF_CORE_READ(t, real_parent, tgid);
	res.comm0 = BPF_CORE_READ(t, comm[0]);
	res.pid_off = bpf_core_field_offset(t->pid);
	res.pid_sz = bpf_core_field_size(t->pid);
	res.pid_signed = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);
	res.flags_signed = __builtin_preserve_field_info(t->flags, BPF_FIELD_SIGNED);
	res.comm_off = bpf_core_field_offset(t->comm);
	res.comm1_off = bpf_core_field_offset(t->comm[1]);
	res.comm_sz = bpf_core_field_size(t->comm);
	res.pid_exists = bpf_core_field_exists(t->pid);
	res.missing_exists = bpf_core_field_exists(t->warden_no_such_field);
	res.missing_val = 77;
	if (bpf_core_field_exists(t->warden_no_such_field))
		res.missing_val = BPF_CORE_READ(t, warden_no_such_field); /* poisoned, unreachable */
	res.bf_off = bpf_core_field_offset(s->pkt_type);
	res.bf_sz = bpf_core_field_size(s->pkt_type);
	res.bf_lshift = __builtin_preserve_field_info(s->pkt_type, BPF_FIELD_LSHIFT_U64);
	res.bf_rshift = __builtin_preserve_field_info(s->pkt_type, BPF_FIELD_RSHIFT_U64);
	res.iowait_lshift = __builtin_preserve_field_info(b->in_iowait, BPF_FIELD_LSHIFT_U64);
	res.bf_val = BPF_CORE_READ_BITFIELD_PROBED(s, pkt_type);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
