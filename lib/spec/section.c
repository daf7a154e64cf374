// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The accepted section names, libbpf's conventions.  A name matches a row
 * when it equals the prefix, or starts with "prefix/" (rows without
 * WD_SEC_EXACT).  The first match wins, so longer prefixes come first.
 * docs/sections.md is generated from this table (`warden inspect --sections`).
 */
#include <linux/bpf.h>
#include <string.h>
#include "section.h"
#include "sys/uapi_compat.h"

#define T(pfx, type, eat, kind, fl) { pfx, BPF_PROG_TYPE_##type, eat, WD_ATTACH_##kind, fl, NULL }
#define B(pfx, type, eat, kind, fl, btfpfx) \
	{ pfx, BPF_PROG_TYPE_##type, eat, WD_ATTACH_##kind, (fl) | WD_SEC_ATTACH_BTF, btfpfx }

static const struct wd_sec_def sec_defs[] = {
	T("socket",            SOCKET_FILTER, 0, NONE, 0),
	T("sk_reuseport/migrate", SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, NONE, WD_SEC_EXACT),
	T("sk_reuseport",      SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, NONE, WD_SEC_EXACT),
	T("kprobe.multi",      KPROBE, BPF_TRACE_KPROBE_MULTI, KPROBE_MULTI, WD_SEC_MULTI),
	T("kretprobe.multi",   KPROBE, BPF_TRACE_KPROBE_MULTI, KRETPROBE_MULTI, WD_SEC_MULTI),
	T("kprobe",            KPROBE, 0, KPROBE, 0),
	T("kretprobe",         KPROBE, 0, KRETPROBE, 0),
	T("ksyscall",          KPROBE, 0, KPROBE, 0),
	T("kretsyscall",       KPROBE, 0, KRETPROBE, 0),
	T("uprobe.s",          KPROBE, 0, UPROBE, WD_SEC_SLEEPABLE),
	T("uretprobe.s",       KPROBE, 0, URETPROBE, WD_SEC_SLEEPABLE),
	T("uprobe",            KPROBE, 0, UPROBE, 0),
	T("uretprobe",         KPROBE, 0, URETPROBE, 0),
	/* USDT: uprobes on <sys/sdt.h> probes (lib/attach/usdt.c) */
	T("usdt.s",            KPROBE, 0, USDT, WD_SEC_SLEEPABLE),
	T("usdt",              KPROBE, 0, USDT, 0),
	T("tc/ingress",        SCHED_CLS, WD_BPF_TCX_INGRESS, TCX, WD_SEC_EXACT),
	T("tc/egress",         SCHED_CLS, WD_BPF_TCX_EGRESS, TCX, WD_SEC_EXACT),
	T("tcx/ingress",       SCHED_CLS, WD_BPF_TCX_INGRESS, TCX, WD_SEC_EXACT),
	T("tcx/egress",        SCHED_CLS, WD_BPF_TCX_EGRESS, TCX, WD_SEC_EXACT),
	T("tc",                SCHED_CLS, 0, TC, 0),
	T("classifier",        SCHED_CLS, 0, TC, 0),
	T("action",            SCHED_ACT, 0, NONE, 0),
	T("tracepoint",        TRACEPOINT, 0, TRACEPOINT, 0),
	T("tp",                TRACEPOINT, 0, TRACEPOINT, 0),
	T("raw_tracepoint.w",  RAW_TRACEPOINT_WRITABLE, 0, RAW_TP, 0),
	T("raw_tp.w",          RAW_TRACEPOINT_WRITABLE, 0, RAW_TP, 0),
	T("raw_tracepoint",    RAW_TRACEPOINT, 0, RAW_TP, 0),
	T("raw_tp",            RAW_TRACEPOINT, 0, RAW_TP, 0),
	B("tp_btf",            TRACING, BPF_TRACE_RAW_TP, TRACING, 0, "btf_trace_"),
	B("fentry.s",          TRACING, BPF_TRACE_FENTRY, TRACING, WD_SEC_SLEEPABLE, ""),
	B("fmod_ret.s",        TRACING, BPF_MODIFY_RETURN, TRACING, WD_SEC_SLEEPABLE, ""),
	B("fexit.s",           TRACING, BPF_TRACE_FEXIT, TRACING, WD_SEC_SLEEPABLE, ""),
	B("fentry",            TRACING, BPF_TRACE_FENTRY, TRACING, 0, ""),
	B("fmod_ret",          TRACING, BPF_MODIFY_RETURN, TRACING, 0, ""),
	B("fexit",             TRACING, BPF_TRACE_FEXIT, TRACING, 0, ""),
	T("freplace",          EXT, 0, NONE, 0),
	B("lsm.s",             LSM, BPF_LSM_MAC, LSM, WD_SEC_SLEEPABLE, "bpf_lsm_"),
	B("lsm",               LSM, BPF_LSM_MAC, LSM, 0, "bpf_lsm_"),
	B("iter.s",            TRACING, BPF_TRACE_ITER, ITER, WD_SEC_SLEEPABLE, "bpf_iter_"),
	B("iter",              TRACING, BPF_TRACE_ITER, ITER, 0, "bpf_iter_"),
	T("syscall",           SYSCALL, 0, NONE, WD_SEC_SLEEPABLE),
	T("xdp.frags/devmap",  XDP, BPF_XDP_DEVMAP, NONE, WD_SEC_XDP_FRAGS),
	T("xdp/devmap",        XDP, BPF_XDP_DEVMAP, NONE, 0),
	T("xdp.frags/cpumap",  XDP, BPF_XDP_CPUMAP, NONE, WD_SEC_XDP_FRAGS),
	T("xdp/cpumap",        XDP, BPF_XDP_CPUMAP, NONE, 0),
	T("xdp.frags",         XDP, BPF_XDP, XDP, WD_SEC_XDP_FRAGS),
	T("xdp",               XDP, BPF_XDP, XDP, 0),
	T("perf_event",        PERF_EVENT, 0, PERF_EVENT, 0),
	T("lwt_in",            LWT_IN, 0, NONE, 0),
	T("lwt_out",           LWT_OUT, 0, NONE, 0),
	T("lwt_xmit",          LWT_XMIT, 0, NONE, 0),
	T("lwt_seg6local",     LWT_SEG6LOCAL, 0, NONE, 0),
	T("sockops",           SOCK_OPS, BPF_CGROUP_SOCK_OPS, CGROUP, WD_SEC_EXACT),
	T("sk_skb/stream_parser", SK_SKB, BPF_SK_SKB_STREAM_PARSER, NONE, WD_SEC_EXACT),
	T("sk_skb/stream_verdict", SK_SKB, BPF_SK_SKB_STREAM_VERDICT, NONE, WD_SEC_EXACT),
	T("sk_skb",            SK_SKB, 0, NONE, 0),
	T("sk_msg",            SK_MSG, BPF_SK_MSG_VERDICT, NONE, WD_SEC_EXACT),
	T("lirc_mode2",        LIRC_MODE2, BPF_LIRC_MODE2, NONE, WD_SEC_EXACT),
	T("flow_dissector",    FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, NONE, WD_SEC_EXACT),
	T("cgroup_skb/ingress", CGROUP_SKB, BPF_CGROUP_INET_INGRESS, CGROUP, WD_SEC_EXACT),
	T("cgroup_skb/egress", CGROUP_SKB, BPF_CGROUP_INET_EGRESS, CGROUP, WD_SEC_EXACT),
	T("cgroup/skb",        CGROUP_SKB, 0, NONE, WD_SEC_EXACT),
	T("cgroup/sock_create", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, CGROUP, WD_SEC_EXACT),
	T("cgroup/sock_release", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, CGROUP, WD_SEC_EXACT),
	T("cgroup/sock",       CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, CGROUP, WD_SEC_EXACT),
	T("cgroup/post_bind4", CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND, CGROUP, WD_SEC_EXACT),
	T("cgroup/post_bind6", CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, CGROUP, WD_SEC_EXACT),
	T("cgroup/bind4",      CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND, CGROUP, WD_SEC_EXACT),
	T("cgroup/bind6",      CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND, CGROUP, WD_SEC_EXACT),
	T("cgroup/connect4",   CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, CGROUP, WD_SEC_EXACT),
	T("cgroup/connect6",   CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, CGROUP, WD_SEC_EXACT),
	T("cgroup/sendmsg4",   CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, CGROUP, WD_SEC_EXACT),
	T("cgroup/sendmsg6",   CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, CGROUP, WD_SEC_EXACT),
	T("cgroup/recvmsg4",   CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, CGROUP, WD_SEC_EXACT),
	T("cgroup/recvmsg6",   CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, CGROUP, WD_SEC_EXACT),
	T("cgroup/getpeername4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, CGROUP, WD_SEC_EXACT),
	T("cgroup/getpeername6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, CGROUP, WD_SEC_EXACT),
	T("cgroup/getsockname4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, CGROUP, WD_SEC_EXACT),
	T("cgroup/getsockname6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETSOCKNAME, CGROUP, WD_SEC_EXACT),
	T("cgroup/sysctl",     CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, CGROUP, WD_SEC_EXACT),
	T("cgroup/getsockopt", CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, CGROUP, WD_SEC_EXACT),
	T("cgroup/setsockopt", CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT, CGROUP, WD_SEC_EXACT),
	T("cgroup/dev",        CGROUP_DEVICE, BPF_CGROUP_DEVICE, CGROUP, WD_SEC_EXACT),
	T("sk_lookup",         SK_LOOKUP, BPF_SK_LOOKUP, NONE, WD_SEC_EXACT),
	/* Members of a kernel ops table (.struct_ops maps): attach type and
	 * BTF id come from the member the program fills (lib/load/struct_ops.c);
	 * registering is attaching the map (wd_map_attach_struct_ops). */
	T("struct_ops.s",      STRUCT_OPS, 0, NONE, WD_SEC_SLEEPABLE),
	T("struct_ops",        STRUCT_OPS, 0, NONE, 0),
};

const struct wd_sec_def *wd_sec_defs(unsigned int *count)
{
	*count = sizeof(sec_defs) / sizeof(sec_defs[0]);
	return sec_defs;
}

static bool sec_matches(const struct wd_sec_def *d, const char *name)
{
	size_t n = strlen(d->prefix);
	if (strncmp(name, d->prefix, n))
		return false;
	if (name[n] == '\0')
		return true;
	return !(d->flags & WD_SEC_EXACT) && name[n] == '/';
}

const struct wd_sec_def *wd_sec_def_find(const char *sec_name)
{
	unsigned int n;
	const struct wd_sec_def *defs = wd_sec_defs(&n);
	for (unsigned int i = 0; i < n; i++)
		if (sec_matches(&defs[i], sec_name))
			return &defs[i];
	return NULL;
}

const char *wd_sec_target(const struct wd_sec_def *def, const char *sec_name)
{
	size_t n = strlen(def->prefix);
	return sec_name[n] == '/' ? sec_name + n + 1 : "";
}
