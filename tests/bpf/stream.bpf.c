/* Producers for the streaming consumer tests (tests/test_events.c, group
 * "consumers"), with default flags, as any BPF tool writes:
 *   on_syscall  raw_tp sys_enter: one stamped record per call of syscall
 *               target_nr by process target_tgid, into rb;
 *   produce     XDP (BPF_PROG_TEST_RUN repeat=N): one stamped record per run
 *               into rb (produce2: into rb2);
 *   produce_big XDP: one record of BIG_SIZE bytes (more than a page) per run
 *               into rb_big, reserved and submitted; every third one is
 *               discarded.
 * seq counts every attempt per CPU (plain increments: a program runs to
 * completion on its CPU); failed outputs are counted per CPU in `lost`. */
#include "common.h"

#define MAGIC 0x5741524e
#define BIG_SIZE 6000

struct rec {
	__u64 ts;               /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 cpu;
	__u32 magic;
	__u64 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} rb SEC(".maps"), rb2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 * 1024);
} rb_big SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seqs SEC(".maps"), lost SEC(".maps");

/* [0]: records produce_big discarded (all CPUs) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} discarded SEC(".maps");

__u32 target_tgid;
__u32 target_nr;

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&lost, &zero);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int next_rec(struct rec *r)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&seqs, &zero);

	if (!n)
		return -1;
	r->cpu = bpf_get_smp_processor_id();
	r->magic = MAGIC;
	r->seq = (*n)++;
	r->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_enter")
int on_syscall(struct bpf_raw_tracepoint_args *ctx)
{
	struct rec r;
	long err;

	if (ctx->args[1] != target_nr || (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	if (next_rec(&r))
		return 0;
	err = bpf_ringbuf_output(&rb, &r, sizeof(r), 0);
	if (err)
		count_lost();
	return 0;
}

SEC("xdp")
int produce(struct xdp_md *ctx)
{
	struct rec r;

	if (next_rec(&r))
		return XDP_ABORTED;
	if (bpf_ringbuf_output(&rb, &r, sizeof(r), 0))
		count_lost();
	return XDP_PASS;
}

SEC("xdp")
int produce2(struct xdp_md *ctx)
{
	struct rec r;

	if (next_rec(&r))
		return XDP_ABORTED;
	if (bpf_ringbuf_output(&rb2, &r, sizeof(r), 0))
		count_lost();
	return XDP_PASS;
}

SEC("xdp")
int produce_big(struct xdp_md *ctx)
{
	struct rec r, *p;

	if (next_rec(&r))
		return XDP_ABORTED;
	p = bpf_ringbuf_reserve(&rb_big, BIG_SIZE, 0);
	if (!p) {
		count_lost();
		return XDP_PASS;
	}
	*p = r;
	/* the last 8 bytes repeat seq: the consumer checks the far end */
	*(__u64 *)((char *)p + BIG_SIZE - 8) = r.seq;
	if (r.seq % 3 == 2) {
		__u32 zero = 0;
		__u64 *d = bpf_map_lookup_elem(&discarded, &zero);
		if (d)
			__sync_fetch_and_add(d, 1);
		bpf_ringbuf_discard(p, 0);
	} else {
		bpf_ringbuf_submit(p, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
