/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bench/agent/pipeline producer: the agent's own records
 * (bpf/include/warden_agent.h) through the agent's own output path
 * (bpf/include/warden_events.h: ring buffer `events`, its lost counter, the
 * wake-up policy the engine sets in warden_ring_wakeup_bytes).
 *
 * Per getpgid() of the benchmark's process (raw tracepoint sys_enter),
 * `per_call` events in the mix of bench/agent/bench_json.c: 4 open, 2 exec,
 * 2 connect, 1 fork, 1 exit in 10.  An exec goes out as the agent sends it:
 * its argv as a WA_REC_CHUNK record first, then the event tied to it by
 * hdr.id.  The records are templates the benchmark writes into `tpl`
 * (realistic strings, sizes as the agent's: sized to their content); per
 * record the program stamps the time, the pid/tid and the chunk id, then
 * commits it.  Every record attempted and every failed commit is counted
 * in `g`, and the irq_work interrupts on the producer's CPU (wake-ups). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "warden_events.h"
#include "warden_agent.h"

WD_EVENTS_MAPS(events, 8 * 1024 * 1024);   /* max_entries set by the benchmark */

#define TPL_MAX 1024
#define MAX_PER_CALL 64
#define NR_getpgid 121  /* x86-64 */

/* template ids (the benchmark fills each) */
enum { T_CHUNK, T_EXEC, T_OPEN, T_CONNECT, T_FORK, T_EXIT, T__COUNT };

struct tpl {
	__u32 size;
	__u32 pad;
	__u8 data[TPL_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, T__COUNT);
	__type(key, __u32);
	__type(value, struct tpl);
} tpl SEC(".maps");

/* one struct: the benchmark reads it whole */
struct {
	__u32 target_pid;
	__u32 per_call;         /* events per traced syscall, 1..64 */
	__u64 seq;              /* events made: picks the kind */
	__u64 chunk_ids;
	__u64 events, events_failed;   /* event records attempted, failed commits */
	__u64 chunks, chunks_failed;
	__u64 irq_work;         /* irq_work interrupts on CPU 0, the producer's */
} g;

/* The template stamped and committed; 0 or the commit's error. */
static __always_inline long emit(void *ctx, __u32 t, __u64 id, __u64 pid_tgid)
{
	struct tpl *r = bpf_map_lookup_elem(&tpl, &t);
	struct wa_hdr *h;
	__u32 size;

	if (!r)
		return -1;
	/* bounded for the verifier as a mask: clang turns a range check into
	 * one unsigned compare the verifier cannot use here */
	size = r->size & (TPL_MAX - 1);
	if (size < sizeof(struct wa_chunk))
		return -1;
	h = (struct wa_hdr *)r->data;
	h->ts = bpf_ktime_get_ns();
	h->id = id;
	if (t != T_CHUNK) {
		struct wa_event *e = (struct wa_event *)r->data;
		e->proc.pid = pid_tgid >> 32;
		e->proc.tid = (__u32)pid_tgid;
	}
	return wd_events_output(ctx, events, r->data, size);
}

/* 4 open, 2 exec, 2 connect, 1 fork, 1 exit */
static __always_inline __u32 kind_of(__u64 seq)
{
	switch (seq % 10) {
	case 1: case 5: return T_EXEC;
	case 3: case 8: return T_CONNECT;
	case 6: return T_FORK;
	case 9: return T_EXIT;
	default: return T_OPEN;
	}
}

SEC("raw_tp/sys_enter")
int BPF_PROG(produce, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 i, n;

	if (id != NR_getpgid || (pid_tgid >> 32) != g.target_pid)
		return 0;
	n = g.per_call;
	for (i = 0; i < MAX_PER_CALL && i < n; i++) {
		__u32 t = kind_of(g.seq++);
		__u64 cid = 0;

		if (t == T_EXEC) {
			cid = (__u64)bpf_get_smp_processor_id() << 48 | ++g.chunk_ids;
			g.chunks++;
			if (emit(ctx, T_CHUNK, cid, pid_tgid))
				g.chunks_failed++;
		}
		g.events++;
		if (emit(ctx, t, cid, pid_tgid))
			g.events_failed++;
	}
	return 0;
}

/* A BPF ring buffer wakes its reader through irq_work (kernel/bpf/ringbuf.c,
 * bpf_ringbuf_commit): the wake-ups charged to the traced syscalls. */
SEC("tp/irq_vectors/irq_work_entry")
int count_irq_work(void *ctx)
{
	if (bpf_get_smp_processor_id() == 0)
		__sync_fetch_and_add(&g.irq_work, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
