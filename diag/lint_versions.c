// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel release that introduced each common BPF feature, for the
 * lint's "fleet reach" line.  Source: the upstream commits, as collected in
 * bcc's docs/kernel-versions.md (github.com/iovisor/bcc); mainline releases
 * only: a distribution kernel may have back-ported a feature (RHEL 8's 4.18
 * has ring buffers), which is why the loader itself only ever probes.
 */
#include <string.h>
#include "lint_versions.h"

struct since { const char *name, *version; };

static const char *lookup(const struct since *t, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(t[i].name, name))
			return t[i].version;
	return NULL;
}
#define LOOKUP(t, name) lookup(t, sizeof(t) / sizeof(t[0]), name)

static const struct since prog_types[] = {
	{ "socket_filter", "3.19" }, { "kprobe", "4.1" }, { "sched_cls", "4.1" },
	{ "sched_act", "4.1" }, { "tracepoint", "4.7" }, { "xdp", "4.8" },
	{ "perf_event", "4.9" }, { "cgroup_skb", "4.10" }, { "cgroup_sock", "4.10" },
	{ "lwt_in", "4.10" }, { "lwt_out", "4.10" }, { "lwt_xmit", "4.10" },
	{ "sock_ops", "4.13" }, { "sk_skb", "4.14" }, { "cgroup_device", "4.15" },
	{ "sk_msg", "4.17" }, { "raw_tracepoint", "4.17" }, { "cgroup_sock_addr", "4.17" },
	{ "lwt_seg6local", "4.18" }, { "lirc_mode2", "4.18" }, { "sk_reuseport", "4.19" },
	{ "flow_dissector", "4.20" }, { "cgroup_sysctl", "5.2" },
	{ "raw_tracepoint_writable", "5.2" }, { "cgroup_sockopt", "5.3" },
	{ "tracing", "5.5" }, { "struct_ops", "5.6" }, { "ext", "5.6" }, { "lsm", "5.7" },
	{ "sk_lookup", "5.9" }, { "syscall", "5.14" }, { "netfilter", "6.4" },
};

static const struct since map_types[] = {
	{ "hash", "3.19" }, { "array", "3.19" }, { "prog_array", "4.2" },
	{ "perf_event_array", "4.3" }, { "percpu_hash", "4.6" }, { "percpu_array", "4.6" },
	{ "stack_trace", "4.6" }, { "cgroup_array", "4.8" }, { "lru_hash", "4.10" },
	{ "lru_percpu_hash", "4.10" }, { "lpm_trie", "4.11" }, { "array_of_maps", "4.12" },
	{ "hash_of_maps", "4.12" }, { "devmap", "4.14" }, { "sockmap", "4.14" },
	{ "cpumap", "4.15" }, { "xskmap", "4.18" }, { "sockhash", "4.18" },
	{ "cgroup_storage", "4.19" }, { "reuseport_sockarray", "4.19" },
	{ "percpu_cgroup_storage", "4.20" }, { "queue", "4.20" }, { "stack", "4.20" },
	{ "sk_storage", "5.2" }, { "devmap_hash", "5.4" }, { "struct_ops", "5.6" },
	{ "ringbuf", "5.8" }, { "inode_storage", "5.10" }, { "task_storage", "5.11" },
	{ "bloom_filter", "5.16" }, { "user_ringbuf", "6.1" }, { "cgrp_storage", "6.2" },
	{ "arena", "6.9" },
};

/* Only the attach types that decide a release on their own. */
static const struct since attach_types[] = {
	{ "trace_raw_tp", "5.5" }, { "trace_fentry", "5.5" }, { "trace_fexit", "5.5" },
	{ "modify_return", "5.7" }, { "lsm_mac", "5.7" }, { "trace_iter", "5.8" },
	{ "trace_kprobe_multi", "5.18" }, { "tcx_ingress", "6.6" }, { "tcx_egress", "6.6" },
	{ "trace_uprobe_multi", "6.6" }, { "netkit_primary", "6.7" }, { "netkit_peer", "6.7" },
	{ "trace_kprobe_session", "6.10" },
};

static const struct since helpers[] = {
	{ "bpf_map_lookup_elem", "3.19" }, { "bpf_map_update_elem", "3.19" },
	{ "bpf_map_delete_elem", "3.19" }, { "bpf_probe_read", "4.1" },
	{ "bpf_ktime_get_ns", "4.1" }, { "bpf_trace_printk", "4.1" },
	{ "bpf_get_prandom_u32", "4.1" }, { "bpf_get_smp_processor_id", "4.1" },
	{ "bpf_skb_store_bytes", "4.1" }, { "bpf_l3_csum_replace", "4.1" },
	{ "bpf_l4_csum_replace", "4.1" }, { "bpf_tail_call", "4.2" },
	{ "bpf_clone_redirect", "4.2" }, { "bpf_get_current_pid_tgid", "4.2" },
	{ "bpf_get_current_uid_gid", "4.2" }, { "bpf_get_current_comm", "4.2" },
	{ "bpf_perf_event_read", "4.3" }, { "bpf_redirect", "4.4" },
	{ "bpf_perf_event_output", "4.4" }, { "bpf_skb_load_bytes", "4.5" },
	{ "bpf_get_stackid", "4.6" }, { "bpf_get_current_task", "4.8" },
	{ "bpf_probe_write_user", "4.8" }, { "bpf_current_task_under_cgroup", "4.9" },
	{ "bpf_probe_read_str", "4.11" }, { "bpf_get_socket_cookie", "4.12" },
	{ "bpf_redirect_map", "4.14" }, { "bpf_perf_event_read_value", "4.15" },
	{ "bpf_override_return", "4.16" }, { "bpf_get_stack", "4.18" },
	{ "bpf_get_current_cgroup_id", "4.18" }, { "bpf_get_local_storage", "4.19" },
	{ "bpf_map_push_elem", "4.20" }, { "bpf_map_pop_elem", "4.20" },
	{ "bpf_map_peek_elem", "4.20" }, { "bpf_spin_lock", "5.1" }, { "bpf_spin_unlock", "5.1" },
	{ "bpf_sk_storage_get", "5.2" }, { "bpf_send_signal", "5.3" },
	{ "bpf_probe_read_user", "5.5" }, { "bpf_probe_read_kernel", "5.5" },
	{ "bpf_probe_read_user_str", "5.5" }, { "bpf_probe_read_kernel_str", "5.5" },
	{ "bpf_send_signal_thread", "5.5" }, { "bpf_jiffies64", "5.5" },
	{ "bpf_get_current_ancestor_cgroup_id", "5.6" }, { "bpf_get_ns_current_pid_tgid", "5.7" },
	{ "bpf_seq_printf", "5.7" }, { "bpf_ringbuf_output", "5.8" },
	{ "bpf_ringbuf_reserve", "5.8" }, { "bpf_ringbuf_submit", "5.8" },
	{ "bpf_ringbuf_discard", "5.8" }, { "bpf_ringbuf_query", "5.8" },
	{ "bpf_ktime_get_boot_ns", "5.8" }, { "bpf_get_task_stack", "5.9" },
	{ "bpf_d_path", "5.10" }, { "bpf_copy_from_user", "5.10" },
	{ "bpf_per_cpu_ptr", "5.10" }, { "bpf_this_cpu_ptr", "5.10" },
	{ "bpf_get_current_task_btf", "5.11" }, { "bpf_ktime_get_coarse_ns", "5.11" },
	{ "bpf_bprm_opts_set", "5.11" }, { "bpf_for_each_map_elem", "5.13" },
	{ "bpf_snprintf", "5.13" }, { "bpf_get_func_ip", "5.15" },
	{ "bpf_get_attach_cookie", "5.15" }, { "bpf_task_pt_regs", "5.15" },
	{ "bpf_timer_init", "5.15" }, { "bpf_trace_vprintk", "5.16" },
	{ "bpf_find_vma", "5.17" }, { "bpf_loop", "5.17" }, { "bpf_strncmp", "5.17" },
	{ "bpf_get_func_arg", "5.17" }, { "bpf_get_func_ret", "5.17" },
	{ "bpf_copy_from_user_task", "5.18" }, { "bpf_kptr_xchg", "5.19" },
	{ "bpf_dynptr_from_mem", "5.19" }, { "bpf_ktime_get_tai_ns", "6.1" },
	{ "bpf_user_ringbuf_drain", "6.1" }, { "bpf_cgrp_storage_get", "6.2" },
};

const char *wd_lint_prog_type_since(const char *name) { return LOOKUP(prog_types, name); }
const char *wd_lint_map_type_since(const char *name) { return LOOKUP(map_types, name); }
const char *wd_lint_attach_type_since(const char *name) { return LOOKUP(attach_types, name); }
const char *wd_lint_helper_since(const char *name) { return LOOKUP(helpers, name); }
