/* Producer for the consumer tests (tests/test_events.c): each run of
 * produce() writes one record {cpu, seq} through wd_events_output(), where seq
 * counts every attempt, so the test checks order per CPU and the losses. */
#include "common.h"
#include "warden_events.h"

struct event {
	__u32 cpu;
	__u32 magic;
	__u64 seq;
};

WD_EVENTS_MAPS(events, 512 * 1024);

__u64 attempts;

SEC("xdp")
int produce(struct xdp_md *ctx)
{
	struct event e = {
		.cpu = bpf_get_smp_processor_id(),
		.magic = 0x5741524e,
		.seq = __sync_fetch_and_add(&attempts, 1),
	};
	wd_events_output(ctx, events, &e, sizeof(e));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
