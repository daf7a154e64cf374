/* A kernel type whose own name carries a flavor: struct nf_conn___init
 * (6.1+, net/netfilter/nf_conntrack_bpf.c, built in on the development
 * host), next to struct nf_conn.  run_flavor() (raw_tp, BPF_PROG_TEST_RUN)
 * stores what the relocations gave; tests/test_core_flavor.c compares them
 * with the kernel's BTF. */
#include "core_common.h"

struct {
	__u64 init_exists, init_size, init_id;
	__u64 conn_id, ct_off;
} res;

SEC("raw_tp")
int run_flavor(void *ctx)
{
	struct nf_conn___init *i = 0;
	res.init_exists = bpf_core_type_exists(struct nf_conn___init);
	res.init_size = bpf_core_type_size(struct nf_conn___init);
	res.init_id = bpf_core_type_id_kernel(struct nf_conn___init);
	res.conn_id = bpf_core_type_id_kernel(struct nf_conn);
	res.ct_off = bpf_core_field_offset(i->ct);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
