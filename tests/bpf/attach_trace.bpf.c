/* One program per tracing family, each counting its hits in counts[slot]
 * for the test process only (target_tgid).  tests/test_attach_trace.c
 * loads one program at a time (the others autoload=false). */
#include "common.h"

enum { S_TP, S_RAW_TP, S_TP_BTF, S_UPROBE, S_URETPROBE, S_KPROBE, S_KRETPROBE,
       S_FENTRY, S_FEXIT, S_LSM, S_TP_AUTO, S_MULTI, S_UP_AUTO, S__N };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

const volatile __u32 target_tgid;

static __always_inline void hit(__u32 slot)
{
	__u64 *v;
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return;
	v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

#define NR_GETPID 39  /* x86_64 */

SEC("tracepoint/syscalls/sys_enter_getpid")
int tp_getpid(void *ctx) { hit(S_TP); return 0; }

SEC("tp/syscalls/sys_enter_getpid")
int tp_auto(void *ctx) { hit(S_TP_AUTO); return 0; }

SEC("raw_tp/sys_enter")
int raw_getpid(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] == NR_GETPID)
		hit(S_RAW_TP);
	return 0;
}

SEC("tp_btf/sys_enter")
int btf_getpid(__u64 *ctx)
{
	if (ctx[1] == NR_GETPID)
		hit(S_TP_BTF);
	return 0;
}

SEC("uprobe")
int up(void *ctx) { hit(S_UPROBE); return 0; }

/* attached by section: the test binary itself */
SEC("uprobe//proc/self/exe:wd_uprobe_target")
int up_auto(void *ctx) { hit(S_UP_AUTO); return 0; }

SEC("xdp")
int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }

SEC("uretprobe")
int uret(void *ctx) { hit(S_URETPROBE); return 0; }

SEC("kprobe")
int kp(void *ctx) { hit(S_KPROBE); return 0; }

SEC("kretprobe")
int krp(void *ctx) { hit(S_KRETPROBE); return 0; }

SEC("kprobe.multi/do_sys_openat2")
int kmulti(void *ctx) { hit(S_MULTI); return 0; }

SEC("fentry/do_sys_openat2")
int fent(__u64 *ctx) { hit(S_FENTRY); return 0; }

SEC("fexit/do_sys_openat2")
int fex(__u64 *ctx) { hit(S_FEXIT); return 0; }

SEC("lsm/file_open")
int lsm_open(__u64 *ctx) { hit(S_LSM); return 0; }

char LICENSE[] SEC("license") = "GPL";
