/* Producer for tests/test_events.c (perfbuf_every_sample_size_byte_exact):
 * each run of produce_sized() writes one perf sample of size_in[0] bytes
 * (1..MAX_SAMPLE), the first bytes of pattern[0], which the test fills.
 * A raw sample's data sits 12 bytes into its perf record, so the consumer
 * copies every sample to hand it over 8-byte aligned: this checks the copy
 * byte for byte at every size, and across the end of a small ring. */
#include "common.h"

#define MAX_SAMPLE 520

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} size_in SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct { __u8 b[MAX_SAMPLE]; });
} pattern SEC(".maps");

SEC("xdp")
int produce_sized(struct xdp_md *ctx)
{
	__u32 zero = 0, *size = bpf_map_lookup_elem(&size_in, &zero);
	void *p = bpf_map_lookup_elem(&pattern, &zero);
	__u64 len;

	if (!size || !p)
		return XDP_ABORTED;
	len = *size;
	if (len < 1 || len > MAX_SAMPLE)
		return XDP_DROP;
	if (bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, p, len))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
