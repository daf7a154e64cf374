/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF side of warden's event transport (include/warden/events.h).
 *
 *   WD_EVENTS_MAPS(events, 256 * 1024);
 *   ...
 *   wd_events_output(ctx, events, &rec, sizeof(rec));
 *
 * declares a ring buffer `events`, a perf event array `events_perf` and a
 * per-CPU counter `events_lost`, and writes to whichever the loader chose
 * with wd_events_prepare() (it sets warden_use_ringbuf before load; the
 * verifier prunes the other branch, the helper of the unused transport is
 * never checked, so the object loads on kernels without ring buffers).
 *
 * Losses are never silent.  Ring buffer: every failed output is counted in
 * `<name>_lost`.  Perf buffer: the kernel reports a full ring itself
 * (PERF_RECORD_LOST), so only other failures are counted.  The consumer
 * reports both through its on_lost callback.
 *
 * Include after vmlinux.h or <linux/bpf.h>, and <bpf/bpf_helpers.h>.
 */
#ifndef WARDEN_BPF_EVENTS_H
#define WARDEN_BPF_EVENTS_H

#define WD__ENOSPC 28

/* Set by wd_events_prepare() (1 byte, a bool); 1 until then: the ring buffer. */
const volatile __u8 warden_use_ringbuf = 1;
/* Ring buffer wake-up policy.  0: the kernel's (wake when the consumer has
 * caught up).  N > 0: BPF_RB_NO_WAKEUP, but BPF_RB_FORCE_WAKEUP for the
 * record that takes the bytes waiting past a multiple of N: a sleeping
 * consumer is woken before the ring fills, one that is busy is not
 * interrupted again for every record.  (Forcing every record past N made
 * each one a self-interrupt once a consumer busy with slow callbacks fell
 * a quarter behind: 0.04-0.2 per event, the traced process 0.6-1.1 us per
 * event instead of 0.1-0.4.)  The consumer must poll with a timeout, which
 * bounds the latency of a quiet ring and covers a crossing two CPUs made
 * at once without either seeing it.  Set with wd_object_set_global(). */
const volatile __u64 warden_ring_wakeup_bytes = 0;

#define WD_EVENTS_MAPS(name, ring_bytes)                                      \
	struct {                                                              \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                           \
		__uint(max_entries, ring_bytes);                              \
	} name SEC(".maps");                                                  \
	struct {                                                              \
		__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);                  \
		__uint(key_size, sizeof(__u32));                              \
		__uint(value_size, sizeof(__u32));                            \
	} name##_perf SEC(".maps");                                           \
	struct {                                                              \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                      \
		__uint(max_entries, 1);                                       \
		__type(key, __u32);                                           \
		__type(value, __u64);                                         \
	} name##_lost SEC(".maps")

static __always_inline void wd__events_count_lost(void *lost)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(lost, &zero);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* The flags for a record of size bytes (see warden_ring_wakeup_bytes).  The
 * record takes its 8-byte header and a rounding to 8 bytes in the ring
 * (kernel/bpf/ringbuf.c, BPF_RINGBUF_HDR_SZ): counting the payload alone
 * missed crossings. */
static __always_inline __u64 wd__ring_flags(void *ring, __u64 size)
{
	__u64 n = warden_ring_wakeup_bytes, avail, taken = (size + 8 + 7) & ~7ull;

	if (!n)
		return 0;
	avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	return avail / n != (avail + taken) / n ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline long wd__events_output(void *ctx, void *ring, void *perf, void *lost,
					      void *data, __u64 size)
{
	long err;

	if (warden_use_ringbuf) {
		err = bpf_ringbuf_output(ring, data, size, wd__ring_flags(ring, size));
		if (err)
			wd__events_count_lost(lost);
	} else {
		err = bpf_perf_event_output(ctx, perf, BPF_F_CURRENT_CPU, data, size);
		if (err && err != -WD__ENOSPC)
			wd__events_count_lost(lost);
	}
	return err;
}

/* 0, or a negative errno (the loss is already counted). */
#define wd_events_output(ctx, name, data, size) \
	wd__events_output(ctx, &name, &name##_perf, &name##_lost, data, size)

#endif
