/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bench/ringbuf producer: one 8-byte record per getpgid() of the benchmark's
 * process (raw tracepoint sys_enter: no tracefs, no ftrace needed)
 * process, into a ring buffer or a perf buffer.  Both consumers (libbpf's and
 * warden's) read the same maps, one after the other. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);        /* set by the benchmark */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

/* one struct, so the benchmark finds every field at a known offset of .bss */
struct {
	__u32 target_pid;
	__u32 pad;
	__u64 produced, dropped;
	__u64 wakeup_bytes;     /* adaptive: NO_WAKEUP below this many bytes pending */
} g;

struct pt_regs;

#define NR_getpgid 121  /* x86-64 */

static __always_inline int mine(long id)
{
	return id == NR_getpgid && (bpf_get_current_pid_tgid() >> 32) == g.target_pid;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(produce_rb, struct pt_regs *regs, long id)
{
	__u64 v;

	if (!mine(id))
		return 0;
	v = __sync_fetch_and_add(&g.produced, 1);
	if (bpf_ringbuf_output(&rb, &v, sizeof(v), 0))
		__sync_fetch_and_add(&g.dropped, 1);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(produce_rb_adaptive, struct pt_regs *regs, long id)
{
	__u64 v, flags;

	if (!mine(id))
		return 0;
	v = __sync_fetch_and_add(&g.produced, 1);
	flags = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= g.wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&rb, &v, sizeof(v), flags))
		__sync_fetch_and_add(&g.dropped, 1);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(produce_pb, struct pt_regs *regs, long id)
{
	__u64 v;

	if (!mine(id))
		return 0;
	v = __sync_fetch_and_add(&g.produced, 1);
	if (bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &v, sizeof(v)))
		__sync_fetch_and_add(&g.dropped, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
