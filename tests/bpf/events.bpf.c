/* Producer for the consumer tests (tests/test_events.c): each run of
 * produce() writes one record {cpu, seq} through wd_events_output(), where seq
 * counts every attempt on that CPU, so the test checks order per CPU and the
 * losses.
 *
 * The counter is per-CPU and bumped with a plain load/add/store: a program
 * runs to completion on its CPU, so nothing races with it.  Not
 * __sync_fetch_and_add() with its result used: clang emits
 * BPF_ATOMIC_FETCH_ADD for that, which only 5.12+ verifiers accept (5.10
 * rejects the whole program with EINVAL, "BPF_XADD uses reserved fields").
 * Keep this object loadable on every kernel of the matrix. */
#include "common.h"
#include "warden_events.h"

struct event {
	__u32 cpu;
	__u32 magic;
	__u64 seq;
};

WD_EVENTS_MAPS(events, 512 * 1024);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} attempts SEC(".maps");

SEC("xdp")
int produce(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&attempts, &zero);

	if (!n)
		return XDP_ABORTED;
	struct event e = {
		.cpu = bpf_get_smp_processor_id(),
		.magic = 0x5741524e,
		.seq = (*n)++,
	};
	wd_events_output(ctx, events, &e, sizeof(e));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
