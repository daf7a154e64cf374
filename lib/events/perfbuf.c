// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY consumer: one PERF_COUNT_SW_BPF_OUTPUT event
 * per online CPU, its ring mmapped, its fd stored in the map at the CPU's
 * index, where bpf_perf_event_output(..., BPF_F_CURRENT_CPU, ...) finds it.
 *
 * A ring is one metadata page then 2^n data pages.  data_head (written by
 * the kernel) is read with acquire, data_tail (ours) written with release,
 * once per batch.  Records are 8-byte aligned (so the 8-byte header never
 * wraps) but a record may wrap around the end: it is copied into a scratch
 * buffer.  When the ring is full the kernel counts what it drops and writes
 * a PERF_RECORD_LOST in front of the next record that fits: the loss reaches
 * on_lost only once the consumer made room and the program wrote again.
 *
 * The kernel wakes a perf buffer's reader by its own count (every record
 * with wakeup_events = 1, or each time another `watermark` bytes were
 * written), never by our tail: holding records back gains nothing here; the
 * streaming policy opens the events with a watermark and polls on a timer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "host/cpus.h"
#include "ring.h"
#include "sys/error.h"
#include "sys/sys.h"

struct perf_sample_raw {
	struct perf_event_header header;
	uint32_t size;
	char data[];
};

struct perf_lost {
	struct perf_event_header header;
	uint64_t id;
	uint64_t lost;
};

struct pb_ring {
	struct wd_ring base;    /* first: the handle */
	int map_fd;             /* the event array our fd is stored in, or -1 */
	struct perf_event_mmap_page *meta;
	const uint8_t *data;
	void *mem;              /* the mmap */
	size_t mem_len;
	/* records that wrap around the end, and samples, to align them */
	void *scratch;
	size_t scratch_size;
};

static struct pb_ring *pb_of(struct wd_ring *r)
{
	return (struct pb_ring *)r;
}

static int pb_open_event(int cpu, size_t wakeup_bytes)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	if (wakeup_bytes) {
		attr.watermark = 1;
		attr.wakeup_watermark = (uint32_t)wakeup_bytes;
	} else {
		attr.wakeup_events = 1;
	}
	int fd = wd_sys_perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return wd_err(fd, "perf buffer: perf_event_open(BPF_OUTPUT) on CPU %d failed: %s%s",
			      cpu, strerror(-fd),
			      fd == -EACCES || fd == -EPERM ?
			      " (needs CAP_PERFMON/CAP_SYS_ADMIN or a lower perf_event_paranoid)" : "");
	return fd;
}

static int pb_map(struct pb_ring *r, size_t pages)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (pages + 1) * (size_t)page;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->base.fd, 0);

	if (p == MAP_FAILED)
		return wd_err(-errno, "perf buffer: mmap of %zu bytes on CPU %d failed: %s%s",
			      len, r->base.cpu, strerror(errno), errno == EPERM ?
			      " (over perf_event_mlock_kb? use fewer perf_pages)" : "");
	r->mem = p;
	r->mem_len = len;
	r->meta = p;
	r->data = (const uint8_t *)p + page;
	r->base.size = pages * (uint64_t)page;
	return 0;
}

static int pb_enable(struct pb_ring *r, int map_fd)
{
	int key = r->base.cpu, err;

	if (ioctl(r->base.fd, PERF_EVENT_IOC_ENABLE, 0) < 0)
		return wd_err(-errno, "perf buffer: enable on CPU %d: %s", key, strerror(errno));
	err = wd_sys_map_update(map_fd, &key, &r->base.fd, BPF_ANY);
	if (err)
		return wd_err(err, "perf buffer: storing CPU %d's fd in the map failed: %s",
			      key, strerror(-err));
	r->map_fd = map_fd;
	return 0;
}

static void pb_free(struct wd_ring *base)
{
	struct pb_ring *r = pb_of(base);

	if (!r)
		return;
	if (r->map_fd >= 0) {
		int key = r->base.cpu;
		/* the map holds the event until its slot is cleared */
		wd_sys_map_delete(r->map_fd, &key);
	}
	if (r->mem)
		munmap(r->mem, r->mem_len);
	if (r->base.fd >= 0)
		close(r->base.fd);
	free(r->scratch);
	free(r);
}

static void *pb_scratch(struct pb_ring *r, size_t size)
{
	if (r->scratch_size < size) {
		void *nb = realloc(r->scratch, size);
		if (!nb)
			return NULL;
		r->scratch = nb;
		r->scratch_size = size;
	}
	return r->scratch;
}

/* The record at `tail`, copied into the scratch buffer when it wraps. */
static const struct perf_event_header *pb_record(struct pb_ring *r, uint64_t tail)
{
	uint64_t off = tail & (r->base.size - 1), first = r->base.size - off;
	const uint8_t *p = r->data + off;
	const struct perf_event_header *h = (const void *)p;
	uint8_t *sc;

	if (h->size <= first)
		return h;
	if (!(sc = pb_scratch(r, h->size)))
		return NULL;
	memcpy(sc, p, first);
	memcpy(sc + first, r->data, h->size - first);
	return (const void *)sc;
}

/* Every sample is copied (pb_aligned): for a few dozen bytes a call to
 * memcpy() cost more than the rest of the record's handling (7.5 ns a
 * record against libbpf's 2.9 ns, 8-byte records drained from a full ring,
 * this host).  Up to 68 bytes, a sample's usual size, are copied inline
 * here: 8-byte words without a loop (compilers turn copy loops back into
 * memcpy() calls), then the 4 bytes a raw sample's size ends with (the
 * kernel pads u32 size + data to 8 bytes, so size % 8 == 4). */
static void copy_sample(uint8_t *dst, const uint8_t *src, size_t size)
{
	size_t words = size / 8, done = words * 8;

	if (words > 8) {
		memcpy(dst, src, size);
		return;
	}
	switch (words) {
	case 8: __builtin_memcpy(dst + 56, src + 56, 8); /* fall through */
	case 7: __builtin_memcpy(dst + 48, src + 48, 8); /* fall through */
	case 6: __builtin_memcpy(dst + 40, src + 40, 8); /* fall through */
	case 5: __builtin_memcpy(dst + 32, src + 32, 8); /* fall through */
	case 4: __builtin_memcpy(dst + 24, src + 24, 8); /* fall through */
	case 3: __builtin_memcpy(dst + 16, src + 16, 8); /* fall through */
	case 2: __builtin_memcpy(dst + 8, src + 8, 8);   /* fall through */
	case 1: __builtin_memcpy(dst, src, 8);           /* fall through */
	default: break;
	}
	if (size - done >= 4) {
		__builtin_memcpy(dst + done, src + done, 4);
		done += 4;
	}
	while (done < size) {
		dst[done] = src[done];
		done++;
	}
}

/* A sample's raw data sits 12 bytes into its record, so it is only 4-byte
 * aligned: hand it over 8-byte aligned (from the scratch buffer), as ring
 * buffer records are, so a callback may read u64 fields in place. */
static const void *pb_aligned(struct pb_ring *r, const void *data, uint32_t size)
{
	uint8_t *sc = r->scratch;

	if (!((uintptr_t)data & 7))
		return data;
	if (sc && (const uint8_t *)data >= sc && (const uint8_t *)data < sc + r->scratch_size) {
		memmove(sc, data, size); /* a wrapped record already in scratch */
		return sc;
	}
	if (!(sc = pb_scratch(r, size)))
		return NULL;
	copy_sample(sc, data, size);
	return sc;
}

static void pb_latency(const struct wd_ring_sink *s, const uint8_t *rec, uint32_t size)
{
	uint64_t stamp;

	if (size < s->ts_offset + sizeof(stamp))
		return;
	memcpy(&stamp, rec + s->ts_offset, sizeof(stamp));
	wd_lat_add(s->lat, stamp, wd_mono_ns());
}

/* 1 for a sample handed over, 0 for another record, negative errno. */
static int pb_handle(struct pb_ring *r, const struct perf_event_header *h)
{
	const struct wd_ring_sink *s = &r->base.sink;

	if (h->type == PERF_RECORD_SAMPLE) {
		const struct perf_sample_raw *sm = (const void *)h;
		/* read before aligning: a record that wrapped sits in the
		 * scratch buffer, and aligning moves its data over the header */
		uint32_t size = sm->size;
		if (h->size < sizeof(*sm) || size > h->size - sizeof(*sm))
			return wd_err(-EIO, "perf buffer: corrupt sample on CPU %d (%u bytes in a "
				      "%u-byte record)", r->base.cpu, size, h->size);
		const void *data = pb_aligned(r, sm->data, size);
		if (!data)
			return wd_err(-ENOMEM, "perf buffer: no memory to align a record");
		if (s->lat)
			pb_latency(s, data, size);
		int err = s->fn(s->ctx, r->base.cpu, data, size);
		return err < 0 ? err : 1;
	}
	if (h->type == PERF_RECORD_LOST && s->on_lost) {
		const struct perf_lost *l = (const void *)h;
		s->on_lost(s->lost_ctx, r->base.cpu, l->lost);
	}
	return 0;
}

static int pb_batch(struct pb_ring *r, uint64_t *tail, uint64_t head, struct wd_ring_take *t)
{
	while (*tail < head) {
		const struct perf_event_header *h = pb_record(r, *tail);
		if (!h)
			return wd_err(-ENOMEM, "perf buffer: no memory to copy a wrapped record");
		if (h->size < sizeof(*h))
			return wd_err(-EIO, "perf buffer: corrupt record on CPU %d", r->base.cpu);
		*tail += h->size;
		int k = pb_handle(r, h);
		if (k < 0)
			return k;
		t->records += (uint64_t)k;
	}
	return 0;
}

static int pb_consume(struct wd_ring *base, bool hold_back, struct wd_ring_take *t)
{
	struct pb_ring *r = pb_of(base);
	uint64_t tail = r->meta->data_tail, start = tail, head;
	int err = 0;

	(void)hold_back;        /* the kernel does not wake by our tail */
	head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	t->pending = head - tail;
	/* one ring's worth per call; look again after publishing only to take
	 * what came meanwhile */
	while (tail - start < r->base.size && head != tail) {
		err = pb_batch(r, &tail, head, t);
		__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
		t->publishes++;
		if (err)
			break;
		head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	}
	return err;
}

/* Our tail is always published; with wakeup_events = 1 the next record
 * wakes us, with a watermark it may not (wakes_when_empty says which). */
static bool pb_settle(struct wd_ring *base)
{
	struct pb_ring *r = pb_of(base);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE) == r->meta->data_tail;
}

static const struct wd_ring_ops pb_ops = {
	.consume = pb_consume,
	.settle = pb_settle,
	.free = pb_free,
};

static int pb_open_cpu(int map_fd, int cpu, const struct wd_ring_params *p, struct wd_ring **out)
{
	struct pb_ring *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return wd_err(-ENOMEM, "perf buffer: out of memory");
	r->base.ops = &pb_ops;
	r->base.sink = p->sink;
	r->base.cpu = cpu;
	r->base.wakes_when_empty = !p->perf_wakeup_bytes;
	r->map_fd = -1;
	r->base.fd = pb_open_event(cpu, p->perf_wakeup_bytes);
	if (r->base.fd < 0) {
		err = r->base.fd;
		free(r);
		return err;
	}
	err = pb_map(r, p->perf_pages);
	if (!err)
		err = pb_enable(r, map_fd);
	if (err) {
		pb_free(&r->base);
		return err;
	}
	*out = &r->base;
	return 0;
}

static void pb_free_all(struct wd_ring **rings, int n)
{
	for (int i = 0; i < n; i++)
		pb_free(rings[i]);
	free(rings);
}

int wd_perfbuf_open(int map_fd, uint32_t max_entries, const struct wd_ring_params *p,
		    struct wd_ring ***out, int *n)
{
	struct wd_ring **rings;
	int nr_cpus, err = 0, added = 0;
	bool *online;

	*out = NULL;
	*n = 0;
	if (!p->perf_pages || (p->perf_pages & (p->perf_pages - 1)))
		return wd_err(-EINVAL, "perf buffer: perf_pages %zu is not a power of 2",
			      p->perf_pages);
	online = wd_cpu_list("online", &nr_cpus);
	if (!online)
		return wd_err(-ENOENT, "perf buffer: cannot read the online CPUs");
	rings = calloc(nr_cpus > 0 ? nr_cpus : 1, sizeof(*rings));
	if (!rings) {
		free(online);
		return wd_err(-ENOMEM, "perf buffer: out of memory");
	}
	/* CPUs beyond the map's size cannot be written to from BPF anyway. */
	for (int cpu = 0; cpu < nr_cpus && cpu < (int)max_entries && !err; cpu++) {
		if (online[cpu] && !(err = pb_open_cpu(map_fd, cpu, p, &rings[added])))
			added++;
	}
	free(online);
	if (!err && !added)
		err = wd_err(-ENODEV, "perf buffer: no online CPU below the map's %u entries",
			     max_entries);
	if (err) {
		pb_free_all(rings, added);
		return err;
	}
	*out = rings;
	*n = added;
	return 0;
}
