/* Maps of every shape `warden map` reads (tests/test_map.c): BTF structs
 * with enums, unions, char arrays, nested arrays and bitfields; per-CPU and
 * LRU maps; maps without BTF (key_size/value_size); a prog array and
 * map-in-map with initial slots; a ring buffer and a perf event array. */
#include "common.h"

enum flow_state { FLOW_NEW = 1, FLOW_OPEN = 2, FLOW_CLOSED = 7 };

struct flow_key {
	__u32 pid;
	char comm[16];
};

struct flow_val {
	__u64 packets;
	__s32 delta;
	enum flow_state state;
	union {
		__u32 addr4;
		__u8 addr6_first[4];
	} peer;
	__u16 ports[2];
	__u8 proto : 4, dir : 2, seen : 1, _pad : 1;
	char note[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} percpu_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, enum flow_state);
} lru_states SEC(".maps");

/* No BTF for key and value: printed and parsed as bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__uint(key_size, 4);
	__uint(value_size, 6);
} raw_bytes SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [1] = &inner_a, [3] = &inner_b },
};

int jump_target(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = { [2] = (void *)&jump_target },
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} perf_events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int jump_target(void *ctx)
{
	return 0;
}

/* A name longer than the kernel's 15 characters (BPF_OBJ_NAME_LEN - 1). */
SEC("tracepoint/syscalls/sys_enter_getppid")
int map_dump_program_with_long_name(void *ctx)
{
	struct flow_key k = {};
	__u32 zero = 0, *in;
	void *inner = bpf_map_lookup_elem(&outer, &zero);
	if (inner && (in = bpf_map_lookup_elem(inner, &zero)))
		*in = 1;
	bpf_map_lookup_elem(&flows, &k);
	bpf_map_lookup_elem(&counters, &zero);
	bpf_map_lookup_elem(&percpu_hits, &zero);
	bpf_map_lookup_elem(&raw_bytes, &zero);
	bpf_ringbuf_output(&events, &zero, sizeof(zero), 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &zero, sizeof(zero));
	bpf_tail_call(ctx, &jumps, 2);
	return 0;
}

SEC("uprobe")
int map_dump_uprobe(void *ctx)
{
	__u64 k = 1;
	bpf_map_lookup_elem(&lru_states, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
