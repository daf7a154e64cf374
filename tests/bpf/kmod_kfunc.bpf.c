/* kfuncs a module may define (tests/test_kmod_btf.c): nf_conntrack's
 * bpf_xdp_ct_lookup and bpf_ct_release (6.0+).  Built into vmlinux on some
 * kernels (this host), a module with its own BTF on others (Debian's
 * CONFIG_NF_CONNTRACK=m): then the call names the module's BTF through the
 * program's fd_array. */
#include "core_common.h"

char LICENSE[] SEC("license") = "GPL";

struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple, __u32 tuple__sz,
				  struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;
void bpf_ct_release(struct nf_conn *ct) __ksym;

SEC("xdp")
int ct_lookup(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tup = {};
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	/* 12: the size of struct bpf_ct_opts before 6.11 (NF_BPF_CT_OPTS_SZ) */
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, 12);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
