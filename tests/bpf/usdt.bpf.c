/* USDT programs written against libbpf's <bpf/usdt.bpf.h>, unchanged, for
 * tests/test_usdt.c: each records the arguments bpf_usdt_arg() reads at a
 * probe of tests/usdt/target.c into recs[probe * 8 + (i & 7)], for the
 * process in filter[0] only. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#define NR_ARGS 12

struct rec {
	__u64 hits;
	__s64 arg[NR_ARGS];
	__s64 err[NR_ARGS];
	__s64 arg_cnt;
	__u64 cookie;
	__u64 ip;
	char str[16];
};

enum { P_ARGS, P_SIMPLE, P_SEMA, P_LIB, P_AUTO, P_MULTI, P__N };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, P__N * 8);
	__type(key, __u32);
	__type(value, struct rec);
} recs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} filter SEC(".maps");

static __always_inline struct rec *rec_of(__u32 probe, long i)
{
	__u32 zero = 0, key = probe * 8 + ((__u32)i & 7);
	__u32 *tgid = bpf_map_lookup_elem(&filter, &zero);
	if (!tgid || (bpf_get_current_pid_tgid() >> 32) != *tgid)
		return 0;
	return bpf_map_lookup_elem(&recs, &key);
}

static __always_inline void common(struct pt_regs *ctx, struct rec *r)
{
	r->arg_cnt = bpf_usdt_arg_cnt(ctx);
	r->cookie = bpf_usdt_cookie(ctx);
	r->ip = PT_REGS_IP(ctx);
	__sync_fetch_and_add(&r->hits, 1);
}

/* wdtest:args: every argument through bpf_usdt_arg, errors kept */
SEC("usdt")
int on_args(struct pt_regs *ctx)
{
	struct rec *r;
	long v = 0;
	bpf_usdt_arg(ctx, 7, &v);
	if (!(r = rec_of(P_ARGS, v)))
		return 0;
	for (int k = 0; k < NR_ARGS; k++) {
		r->err[k] = bpf_usdt_arg(ctx, k, &v);
		r->arg[k] = v;
	}
	bpf_usdt_arg(ctx, 4, &v);
	bpf_probe_read_user_str(r->str, sizeof(r->str), (void *)v);
	common(ctx, r);
	return 0;
}

/* wdtest:simple (long i, long *val, const char *msg) through BPF_USDT */
SEC("usdt")
int BPF_USDT(on_simple, long i, long *val, const char *msg)
{
	struct rec *r = rec_of(P_SIMPLE, i);
	long v = 0;
	if (!r)
		return 0;
	r->arg[0] = i;
	bpf_probe_read_user(&v, sizeof(v), val);
	r->arg[1] = v;
	bpf_probe_read_user_str(r->str, sizeof(r->str), msg);
	common(ctx, r);
	return 0;
}

SEC("usdt")
int BPF_USDT(on_sema, long i)
{
	struct rec *r = rec_of(P_SEMA, i);
	if (!r)
		return 0;
	r->arg[0] = i;
	common(ctx, r);
	return 0;
}

/* wdlib:hit (long i, long i3) in libusdt_lib.so */
SEC("usdt")
int BPF_USDT(on_lib, long i, long i3)
{
	struct rec *r = rec_of(P_LIB, i);
	if (!r)
		return 0;
	r->arg[0] = i;
	r->arg[1] = i3;
	common(ctx, r);
	return 0;
}

/* wdtest:multi (long i, int site): recs[P_MULTI * 8 + site] */
SEC("usdt")
int BPF_USDT(on_multi, long i, int site)
{
	struct rec *r = rec_of(P_MULTI, site);
	if (!r)
		return 0;
	r->arg[0] = i;
	r->arg[1] = site;
	common(ctx, r);
	return 0;
}

/* Attached by section name: the test puts the target at this path. */
SEC("usdt//tmp/warden_usdt/usdt_target:wdtest:simple")
int BPF_USDT(on_auto, long i)
{
	struct rec *r = rec_of(P_AUTO, i);
	if (!r)
		return 0;
	r->arg[0] = i;
	common(ctx, r);
	return 0;
}

/* A section that names no provider: attaching it by name must fail. */
SEC("usdt/no_provider_here")
int on_badsec(struct pt_regs *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
