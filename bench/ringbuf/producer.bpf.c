/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bench/ringbuf producer, unmodified-tool style (default flags: the kernel
 * decides on wake-ups): per getpgid() of the benchmark's process (raw
 * tracepoint sys_enter: no tracefs needed), `per_call` records of `size`
 * bytes, each starting with bpf_ktime_get_ns() (the commit time, for the
 * latency from commit to callback), into the ring buffer or the perf
 * buffer.  Both consumers (libbpf's and warden's) read the same maps, one
 * after the other.
 *
 * count_irq_work: irq_work interrupts on CPU 0 (the producer's CPU).  A
 * BPF ring buffer or perf buffer wakes its reader through irq_work, so this
 * counts the wake-ups charged to the traced syscalls. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_SIZE 256
#define MAX_PER_CALL 64

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);        /* set by the benchmark */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

/* the record being written: no stack to clear per call */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct { __u64 words[MAX_SIZE / 8]; });
} scratch SEC(".maps");

/* one struct, so the benchmark finds every field at a known offset of .bss */
struct {
	__u32 target_pid;
	__u32 per_call;         /* records per traced syscall, 1..64 */
	__u32 size;             /* bytes per record, 8..256 */
	__u32 pad;
	__u64 produced, dropped;
	__u64 irq_work;         /* irq_work interrupts on CPU 0 */
} g;

struct pt_regs;

#define NR_getpgid 121  /* x86-64 */

static __always_inline int mine(long id)
{
	return id == NR_getpgid && (bpf_get_current_pid_tgid() >> 32) == g.target_pid;
}

static __always_inline __u64 *record(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline __u32 rec_size(void)
{
	__u32 sz = g.size;
	return sz < 8 ? 8 : sz > MAX_SIZE ? MAX_SIZE : sz;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(produce_rb, struct pt_regs *regs, long id)
{
	__u64 *rec;
	__u32 i, n, sz;

	if (!mine(id) || !(rec = record()))
		return 0;
	n = g.per_call;
	sz = rec_size();
	/* a drop is counted where it happens: a running count in a register
	 * would keep the verifier from pruning the loop's paths */
	for (i = 0; i < MAX_PER_CALL && i < n; i++) {
		rec[0] = bpf_ktime_get_ns();
		if (bpf_ringbuf_output(&rb, rec, sz, 0))
			__sync_fetch_and_add(&g.dropped, 1);
	}
	__sync_fetch_and_add(&g.produced, n < MAX_PER_CALL ? n : MAX_PER_CALL);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(produce_pb, struct pt_regs *regs, long id)
{
	__u64 *rec;
	__u32 i, n, sz;

	if (!mine(id) || !(rec = record()))
		return 0;
	n = g.per_call;
	sz = rec_size();
	/* a drop is counted where it happens: a running count in a register
	 * would keep the verifier from pruning the loop's paths */
	for (i = 0; i < MAX_PER_CALL && i < n; i++) {
		rec[0] = bpf_ktime_get_ns();
		if (bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, rec, sz))
			__sync_fetch_and_add(&g.dropped, 1);
	}
	__sync_fetch_and_add(&g.produced, n < MAX_PER_CALL ? n : MAX_PER_CALL);
	return 0;
}

SEC("tp/irq_vectors/irq_work_entry")
int count_irq_work(void *ctx)
{
	if (bpf_get_smp_processor_id() == 0)
		__sync_fetch_and_add(&g.irq_work, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
