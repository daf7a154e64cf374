/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small exec tracer for the libwarden example (examples/exec_count.c, run
 * against an installed tree by tests/test_install.c): one record per
 * successful exec, from the sched:sched_process_exec tracepoint (every
 * kernel with tracepoint programs, 4.7+), through the ring buffer or the
 * perf buffer as the loader decides.  The record is what the event needs (~300 bytes),
 * not a worst case: a smaller record means fewer drops.  `warden trace-exec`
 * does not use it: it runs the agent's exec tracer (bpf/agent.bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "warden_events.h"

#define FILENAME_LEN 256

struct exec_event {
	__u64 ts_ns;
	__u32 pid, ppid, uid, filename_len;
	char comm[16];
	char filename[FILENAME_LEN];
};

WD_EVENTS_MAPS(events, 256 * 1024);

SEC("tracepoint/sched/sched_process_exec")
int trace_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exec_event e = {};
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	long n;
	__u32 len;

	e.ts_ns = bpf_ktime_get_ns();
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e.uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	n = bpf_probe_read_kernel_str(e.filename, sizeof(e.filename), (void *)ctx + off);
	len = n > 0 ? n : 0;
	if (len > FILENAME_LEN)
		len = FILENAME_LEN;
	e.filename_len = len;
	/* send only the part of the filename that is used */
	wd_events_output(ctx, events, &e, offsetof(struct exec_event, filename) + len);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
