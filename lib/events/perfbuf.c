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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "events.h"
#include "sys/error.h"
#include "sys/sys.h"

#define DEFAULT_PERF_PAGES 64

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

static int pb_open_event(const struct wd_events *ev, int cpu)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	if (ev->opts.perf_wakeup_bytes) {
		attr.watermark = 1;
		attr.wakeup_watermark = ev->opts.perf_wakeup_bytes;
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

static int pb_map(struct wd_ring *r, size_t pages)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (pages + 1) * (size_t)page;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);

	if (p == MAP_FAILED)
		return wd_err(-errno, "perf buffer: mmap of %zu bytes on CPU %d failed: %s%s",
			      len, r->cpu, strerror(errno), errno == EPERM ?
			      " (over perf_event_mlock_kb? use fewer perf_pages)" : "");
	r->base = p;
	r->base_len = len;
	r->meta = p;
	r->pdata = (const uint8_t *)p + page;
	r->psize = pages * (uint64_t)page;
	return 0;
}

static int pb_enable(struct wd_ring *r)
{
	int key = r->cpu, err;

	if (ioctl(r->fd, PERF_EVENT_IOC_ENABLE, 0) < 0)
		return wd_err(-errno, "perf buffer: enable on CPU %d: %s", r->cpu, strerror(errno));
	err = wd_sys_map_update(r->map_fd, &key, &r->fd, BPF_ANY);
	if (err)
		return wd_err(err, "perf buffer: storing CPU %d's fd in the map failed: %s",
			      r->cpu, strerror(-err));
	return 0;
}

static int pb_add_cpu(struct wd_events *ev, int map_fd, int cpu, wd_event_fn fn, void *ctx)
{
	struct wd_ring *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return wd_err(-ENOMEM, "perf buffer: out of memory");
	r->ev = ev;
	r->kind = WD_RING_PERF;
	r->fn = fn;
	r->ctx = ctx;
	r->cpu = cpu;
	r->map_fd = -1;
	r->fd = pb_open_event(ev, cpu);
	if (r->fd < 0) {
		err = r->fd;
		free(r);
		return err;
	}
	err = pb_map(r, ev->opts.perf_pages ? ev->opts.perf_pages : DEFAULT_PERF_PAGES);
	if (!err) {
		r->map_fd = map_fd;
		err = pb_enable(r);
	}
	if (!err)
		err = wd_events_add_ring(ev, r);
	if (err)
		wd_perfbuf_free(r);
	return err;
}

int wd_perfbuf_add(struct wd_events *ev, int map_fd, uint32_t max_entries,
		   wd_event_fn fn, void *ctx)
{
	size_t pages = ev->opts.perf_pages ? ev->opts.perf_pages : DEFAULT_PERF_PAGES;
	int n, err = 0, added = 0;
	bool *online;

	if (pages & (pages - 1))
		return wd_err(-EINVAL, "perf buffer: perf_pages %zu is not a power of 2", pages);
	online = wd_cpu_list("online", &n);
	if (!online)
		return wd_err(-ENOENT, "perf buffer: cannot read the online CPUs");
	/* CPUs beyond the map's size cannot be written to from BPF anyway. */
	for (int cpu = 0; cpu < n && cpu < (int)max_entries && !err; cpu++) {
		if (!online[cpu])
			continue;
		err = pb_add_cpu(ev, map_fd, cpu, fn, ctx);
		added += !err;
	}
	free(online);
	if (!err && !added)
		err = wd_err(-ENODEV, "perf buffer: no online CPU below the map's %u entries",
			     max_entries);
	return err;
}

void wd_perfbuf_free(struct wd_ring *r)
{
	if (r->map_fd >= 0) {
		int key = r->cpu;
		/* the map holds the event until its slot is cleared */
		wd_sys_map_delete(r->map_fd, &key);
	}
	if (r->base)
		munmap(r->base, r->base_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* The record at `tail`, copied into the scratch buffer when it wraps. */
static const struct perf_event_header *pb_record(struct wd_ring *r, uint64_t tail)
{
	const uint8_t *p = r->pdata + (tail & (r->psize - 1));
	const struct perf_event_header *h = (const void *)p;
	uint64_t off = tail & (r->psize - 1), first = r->psize - off;
	struct wd_events *ev = r->ev;

	if (h->size <= first)
		return h;
	if (ev->scratch_size < h->size) {
		void *nb = realloc(ev->scratch, h->size);
		if (!nb)
			return NULL;
		ev->scratch = nb;
		ev->scratch_size = h->size;
	}
	memcpy(ev->scratch, p, first);
	memcpy((uint8_t *)ev->scratch + first, r->pdata, h->size - first);
	return ev->scratch;
}

/* A sample's raw data sits 12 bytes into its record, so it is only 4-byte
 * aligned: hand it over 8-byte aligned (from the scratch buffer), as ring
 * buffer records are, so a callback may read u64 fields in place. */
static const void *pb_aligned(struct wd_events *ev, const void *data, uint32_t size)
{
	uint8_t *sc = ev->scratch;
	if (!((uintptr_t)data & 7))
		return data;
	if (sc && (const uint8_t *)data >= sc && (const uint8_t *)data < sc + ev->scratch_size) {
		memmove(sc, data, size); /* a wrapped record already in scratch */
		return sc;
	}
	if (ev->scratch_size < size) {
		void *nb = realloc(ev->scratch, size);
		if (!nb)
			return NULL;
		ev->scratch = nb;
		ev->scratch_size = size;
	}
	memcpy(ev->scratch, data, size);
	return ev->scratch;
}

/* 1 for a sample handed over, 0 for another record, negative errno. */
static int pb_handle(struct wd_ring *r, const struct perf_event_header *h)
{
	if (h->type == PERF_RECORD_SAMPLE) {
		const struct perf_sample_raw *s = (const void *)h;
		const void *data = pb_aligned(r->ev, s->data, s->size);
		if (!data)
			return wd_err(-ENOMEM, "perf buffer: no memory to align a record");
		int err = r->fn(r->ctx, r->cpu, data, s->size);
		return err < 0 ? err : 1;
	}
	if (h->type == PERF_RECORD_LOST) {
		const struct perf_lost *l = (const void *)h;
		wd_events_report_lost(r->ev, r->cpu, l->lost);
	}
	return 0;
}

static int pb_batch(struct wd_ring *r, uint64_t *tail, uint64_t head)
{
	int n = 0;

	while (*tail < head) {
		const struct perf_event_header *h = pb_record(r, *tail);
		if (!h)
			return wd_err(-ENOMEM, "perf buffer: no memory to copy a wrapped record");
		if (h->size < sizeof(*h))
			return wd_err(-EIO, "perf buffer: corrupt record on CPU %d", r->cpu);
		*tail += h->size;
		int k = pb_handle(r, h);
		if (k < 0)
			return k;
		n += k;
	}
	return n;
}

int wd_perfbuf_consume(struct wd_ring *r)
{
	uint64_t tail = r->meta->data_tail, start = tail, head;
	int total = 0;

	/* The kernel wakes by its own count (wakeup_events/watermark), never
	 * by our tail, so no barrier dance as for ring buffers: look again
	 * after publishing only to take what came meanwhile. */
	while (tail - start < r->psize &&   /* one ring's worth per call */
	       (head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE)) != tail) {
		int n = pb_batch(r, &tail, head);
		__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
		r->ev->st.batches++;
		if (n < 0)
			return n;
		total += n;
	}
	r->ev->st.records += total;
	return total;
}
