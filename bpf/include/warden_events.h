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
 * caught up).  N > 0: BPF_RB_NO_WAKEUP while fewer than N bytes are waiting,
 * BPF_RB_FORCE_WAKEUP past it; the consumer must then poll with a timeout,
 * which bounds the latency of a quiet ring.  Set with wd_object_set_global(). */
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

static __always_inline __u64 wd__ring_flags(void *ring)
{
	if (!warden_ring_wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= warden_ring_wakeup_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline long wd__events_output(void *ctx, void *ring, void *perf, void *lost,
					      void *data, __u64 size)
{
	long err;

	if (warden_use_ringbuf) {
		err = bpf_ringbuf_output(ring, data, size, wd__ring_flags(ring));
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
