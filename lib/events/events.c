// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One consumer over ring buffers and perf buffers (include/warden/events.h):
 * the epoll set, the poll loop and its pacing (pace.h), the BPF-side lost
 * counters, and choosing the transport of an object before it loads.
 *
 * The rings themselves are handles with a table of operations (ring.h),
 * made by ringbuf.c and perfbuf.c; this file alone keeps and calls them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include "host/cpus.h"
#include "latency.h"
#include "pace.h"
#include "ring.h"
#include "load/internal.h"
#include "warden/features.h"

#define DEFAULT_LOST_INTERVAL_MS 100
#define DEFAULT_PERF_PAGES 64
#define DEFAULT_LATENCY_US 10000
#define DEFAULT_MIN_PERIOD_US 50
#define DEFAULT_IDLE_AFTER_US 50000
/* wd_events_consume(): rounds of "consume, then settle" before giving up on
 * a ring that refills as fast as it is read */
#define SETTLE_ROUNDS 16

struct wd_events {
	struct wd_ring **rings;
	size_t nr_rings;
	int epfd;
	struct epoll_event *evbuf;
	wd_lost_fn on_lost;
	void *ctx;
	struct wd_events_opts opts;
	/* BPF-side lost counters (per-CPU array), -1 when none */
	int lost_fd;
	int nr_cpus;
	uint64_t *lost_vals, *lost_seen;
	uint64_t lost_read_ns;
	struct wd_pace pace;
	/* after the last settle: a ring still had records (or one BUSY) */
	bool unsettled;
	/* some ring does not wake us for its first record (perf watermark) */
	bool deaf;
	struct wd_latency *lat;
	struct wd_events_stats st;
	struct wd_events_consumer_stats cs;
};

/* ---- rings ------------------------------------------------------------- */

static void report_lost(void *ctx, int cpu, uint64_t lost)
{
	struct wd_events *ev = ctx;

	if (!lost)
		return;
	ev->st.lost += lost;
	if (ev->on_lost)
		ev->on_lost(ev->ctx, cpu, lost);
}

static struct wd_ring_params ring_params(struct wd_events *ev, wd_event_fn fn, void *ctx)
{
	const struct wd_events_opts *o = &ev->opts;
	size_t pages = o->perf_pages ? o->perf_pages : DEFAULT_PERF_PAGES;
	size_t wakeup = o->perf_wakeup_bytes;

	/* streaming: a perf buffer wakes us each half ring; the timer does
	 * the rest (perf wakes by its own count, not by our tail) */
	if (!wakeup && o->policy == WD_EVENTS_STREAMING)
		wakeup = pages * (size_t)sysconf(_SC_PAGESIZE) / 2;
	return (struct wd_ring_params){
		.sink = { .fn = fn, .ctx = ctx, .on_lost = report_lost, .lost_ctx = ev,
			  .lat = ev->lat, .ts_offset = o->latency_stamp_offset },
		.perf_pages = pages,
		.perf_wakeup_bytes = wakeup,
	};
}

/* Keep a ring and put its fd in the epoll set; on failure the ring is freed. */
static int ring_register(struct wd_events *ev, struct wd_ring *r)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.ptr = r };
	struct wd_ring **nr = realloc(ev->rings, (ev->nr_rings + 1) * sizeof(*nr));
	struct epoll_event *nb = realloc(ev->evbuf, (ev->nr_rings + 1) * sizeof(*nb));
	int err = 0;

	if (nr)
		ev->rings = nr;
	if (nb)
		ev->evbuf = nb;
	if (!nr || !nb)
		err = wd_err(-ENOMEM, "events: out of memory");
	/* Edge-triggered: a streaming consumer leaves its ring non-empty on
	 * purpose; only a wake-up by the kernel must end a sleep. */
	else if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, r->fd, &e) < 0)
		err = wd_err(-errno, "events: epoll_ctl ADD: %s", strerror(errno));
	if (err) {
		r->ops->free(r);
		return err;
	}
	ev->rings[ev->nr_rings++] = r;
	ev->deaf |= !r->wakes_when_empty;
	return 0;
}

static int rings_register(struct wd_events *ev, struct wd_ring **rings, int n)
{
	int err = 0;

	for (int i = 0; i < n; i++) {
		if (err)
			rings[i]->ops->free(rings[i]);
		else
			err = ring_register(ev, rings[i]);
	}
	free(rings);
	return err;
}

void wd_events_free(struct wd_events *ev)
{
	if (!ev)
		return;
	/* each ring publishes its final position: nothing stays held back */
	for (size_t i = 0; i < ev->nr_rings; i++)
		ev->rings[i]->ops->free(ev->rings[i]);
	if (ev->epfd >= 0)
		close(ev->epfd);
	if (ev->lost_fd >= 0)
		close(ev->lost_fd);
	free(ev->rings);
	free(ev->evbuf);
	free(ev->lost_vals);
	free(ev->lost_seen);
	free(ev->lat);
	free(ev);
}

static int map_info(int fd, struct bpf_map_info *info)
{
	uint32_t len = sizeof(*info);
	int err;

	memset(info, 0, sizeof(*info));
	err = wd_sys_obj_info(fd, info, &len);
	if (err)
		return wd_err(err, "events: fd %d is not a BPF map: %s", fd, strerror(-err));
	return 0;
}

static int add_by_type(struct wd_events *ev, int map_fd, const struct bpf_map_info *info,
		       const struct wd_ring_params *p)
{
	struct wd_ring *one, **many;
	int n, err;

	switch (info->type) {
	case BPF_MAP_TYPE_RINGBUF:
		err = wd_ringbuf_open(map_fd, info->max_entries, p, &one);
		return err ? err : ring_register(ev, one);
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		err = wd_perfbuf_open(map_fd, info->max_entries, p, &many, &n);
		return err ? err : rings_register(ev, many, n);
	default: {
		const char *t = wd_map_type_name(info->type);
		return wd_err(-EINVAL, "events: map '%s' is a %s map, not a ringbuf or "
			      "perf_event_array", info->name, t ? t : "unknown");
	}
	}
}

int wd_events_add_fd(struct wd_events *ev, int map_fd, wd_event_fn fn, void *ctx)
{
	struct bpf_map_info info;
	struct wd_ring_params p;
	int err;

	if (!fn)
		return wd_err(-EINVAL, "events: no callback given");
	if ((err = map_info(map_fd, &info)))
		return err;
	p = ring_params(ev, fn, ctx);
	err = add_by_type(ev, map_fd, &info, &p);
	if (err && info.type != BPF_MAP_TYPE_UNSPEC)
		wd_err_prefix("map '%s': ", info.name);
	return err;
}

int wd_events_add(struct wd_events *ev, struct wd_map *map, wd_event_fn fn, void *ctx)
{
	if (!map || map->fd < 0)
		return wd_err(-EINVAL, "events: map '%s' is not loaded", map ? map->name : "(null)");
	return wd_events_add_fd(ev, map->fd, fn, ctx);
}

static int lost_setup(struct wd_events *ev, struct wd_map *lost)
{
	struct bpf_map_info info;
	int err;

	if (!lost)
		return 0;
	if (lost->fd < 0)
		return wd_err(-EINVAL, "events: lost map '%s' is not loaded", lost->name);
	if ((err = map_info(lost->fd, &info)))
		return err;
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.value_size != 8 || info.key_size != 4)
		return wd_err(-EINVAL, "events: lost map '%s' must be a percpu_array of u64 "
			      "(u32 key)", lost->name);
	/* one value per possible CPU, in id order (a count, not an id bound) */
	ev->nr_cpus = wd_cpu_possible_count();
	ev->lost_vals = calloc(ev->nr_cpus, sizeof(uint64_t));
	ev->lost_seen = calloc(ev->nr_cpus, sizeof(uint64_t));
	if (!ev->lost_vals || !ev->lost_seen)
		return wd_err(-ENOMEM, "events: out of memory");
	ev->lost_fd = fcntl(lost->fd, F_DUPFD_CLOEXEC, 0);
	return ev->lost_fd < 0 ? wd_err(-errno, "events: dup: %s", strerror(errno)) : 0;
}

static void opts_defaults(struct wd_events_opts *o)
{
	o->sz = sizeof(*o);
	if (!o->lost_interval_ms)
		o->lost_interval_ms = DEFAULT_LOST_INTERVAL_MS;
	if (!o->latency_us)
		o->latency_us = DEFAULT_LATENCY_US;
	if (!o->min_period_us)
		o->min_period_us = DEFAULT_MIN_PERIOD_US;
	if (!o->idle_after_us)
		o->idle_after_us = DEFAULT_IDLE_AFTER_US;
}

static int opts_check(const struct wd_events_opts *o)
{
	if (o->policy != WD_EVENTS_STREAMING && o->policy != WD_EVENTS_IMMEDIATE)
		return wd_err(-EINVAL, "events: unknown policy %d (WD_EVENTS_STREAMING or "
			      "WD_EVENTS_IMMEDIATE)", (int)o->policy);
	if (o->min_period_us > o->latency_us)
		return wd_err(-EINVAL, "events: min_period_us %u is above latency_us %u: "
			      "lower it", o->min_period_us, o->latency_us);
	return 0;
}

static struct wd_events *events_alloc(wd_lost_fn on_lost, void *ctx,
				      const struct wd_events_opts *opts)
{
	struct wd_events *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		wd_err(-ENOMEM, "events: out of memory");
		return NULL;
	}
	ev->lost_fd = -1;
	ev->epfd = -1;
	ev->on_lost = on_lost;
	ev->ctx = ctx;
	wd_opts_copy(&ev->opts, sizeof(ev->opts), opts);
	opts_defaults(&ev->opts);
	if ((errno = -opts_check(&ev->opts)))
		goto fail;
	wd_pace_init(&ev->pace, ev->opts.policy == WD_EVENTS_IMMEDIATE,
		     ev->opts.min_period_us * 1000ull, ev->opts.latency_us * 1000ull,
		     ev->opts.idle_after_us * 1000ull);
	if (ev->opts.latency_stamp && !(ev->lat = calloc(1, sizeof(*ev->lat)))) {
		errno = -wd_err(-ENOMEM, "events: out of memory");
		goto fail;
	}
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0) {
		errno = -wd_err(-errno, "events: epoll_create1: %s", strerror(errno));
		goto fail;
	}
	return ev;
fail:
	free(ev->lat);
	free(ev);
	return NULL;
}

static struct wd_events *events_fail(struct wd_events *ev, int err)
{
	wd_events_free(ev);
	errno = -err;
	return NULL;
}

struct wd_events *wd_events_new_fd(int map_fd, wd_event_fn on_event, wd_lost_fn on_lost,
				   void *ctx, const struct wd_events_opts *opts)
{
	struct wd_events *ev = events_alloc(on_lost, ctx, opts);
	int err;

	if (!ev)
		return NULL;
	if ((err = lost_setup(ev, ev->opts.lost_map)) ||
	    (err = wd_events_add_fd(ev, map_fd, on_event, ctx)))
		return events_fail(ev, err);
	return ev;
}

struct wd_events *wd_events_new(struct wd_map *map, wd_event_fn on_event, wd_lost_fn on_lost,
				void *ctx, const struct wd_events_opts *opts)
{
	if (!map || map->fd < 0) {
		errno = EINVAL;
		wd_err(-EINVAL, "events: map '%s' is not loaded (call wd_object_load first)",
		       map ? map->name : "(null)");
		return NULL;
	}
	return wd_events_new_fd(map->fd, on_event, on_lost, ctx, opts);
}

int wd_events_epoll_fd(const struct wd_events *ev)
{
	return ev->epfd;
}

void wd_events_get_stats(const struct wd_events *ev, struct wd_events_stats *st)
{
	*st = ev->st;
}

int wd_events_read_stats(const struct wd_events *ev, struct wd_events_consumer_stats *st)
{
	struct wd_events_consumer_stats s;
	size_t sz;

	if (!ev || !st || !st->sz)
		return wd_err(-EINVAL, "events: read_stats needs a consumer and st->sz set");
	sz = st->sz < sizeof(s) ? st->sz : sizeof(s);
	s = ev->cs;
	s.sz = sz;
	s.records = ev->st.records;
	s.lost = ev->st.lost;
	s.wakeups = ev->st.wakeups;
	s.sleeps = ev->st.sleeps;
	s.publishes = ev->st.batches;
	s.period_ns = ev->pace.period_ns;
	s.streaming = ev->pace.streaming;
	if (ev->lat) {
		s.latency_samples = ev->lat->count;
		s.latency_p50_ns = wd_lat_percentile(ev->lat, 50);
		s.latency_p99_ns = wd_lat_percentile(ev->lat, 99);
		s.latency_max_ns = ev->lat->max_ns;
	}
	memcpy(st, &s, sz);
	return 0;
}

/* ---- lost events ------------------------------------------------------- */

/* Report what the BPF side counted since the last read, per CPU. */
static int lost_read(struct wd_events *ev)
{
	uint32_t key = 0;
	int err;

	if (ev->lost_fd < 0)
		return 0;
	ev->lost_read_ns = wd_mono_ns();
	err = wd_sys_map_lookup(ev->lost_fd, &key, ev->lost_vals, 0);
	if (err)
		return wd_err(err, "events: reading the lost counters: %s", strerror(-err));
	for (int cpu = 0; cpu < ev->nr_cpus; cpu++) {
		uint64_t now = ev->lost_vals[cpu];
		if (now > ev->lost_seen[cpu])
			report_lost(ev, cpu, now - ev->lost_seen[cpu]);
		ev->lost_seen[cpu] = now;
	}
	return 0;
}

static int lost_maybe_read(struct wd_events *ev)
{
	if (ev->lost_fd < 0)
		return 0;
	if (wd_mono_ns() - ev->lost_read_ns < ev->opts.lost_interval_ms * 1000000ull)
		return 0;
	return lost_read(ev);
}

/* ---- consuming ---------------------------------------------------------- */

/* One round over every ring.  Records found mean streaming (pace.h): the
 * ring buffer publishes one record behind unless the policy is immediate.
 * Returns the records handed over or a callback's negative errno. */
static int poll_rings(struct wd_events *ev, uint64_t now)
{
	bool hold_back = !ev->pace.immediate;
	uint64_t records = 0;
	double fill = 0;
	int err = 0;

	for (size_t i = 0; i < ev->nr_rings && !err; i++) {
		struct wd_ring *r = ev->rings[i];
		struct wd_ring_take t = { 0 };

		err = r->ops->consume(r, hold_back, &t);
		records += t.records;
		ev->st.batches += t.publishes;
		if ((double)t.pending / (double)r->size > fill)
			fill = (double)t.pending / (double)r->size;
	}
	ev->st.records += records;
	ev->cs.polls++;
	if (wd_pace_polled(&ev->pace, now, records, fill))
		ev->cs.stream_entries++;
	return err ? err : (int)records;
}

/* Publish every ring's position; true when all are empty. */
static bool settle_all(struct wd_events *ev)
{
	bool all = true;

	for (size_t i = 0; i < ev->nr_rings; i++)
		all &= ev->rings[i]->ops->settle(ev->rings[i]);
	ev->unsettled = !all;
	return all;
}

/* Streaming and quiet long enough, or idle: settle, and go idle when every
 * ring is empty (the next record then wakes us). */
static void maybe_idle(struct wd_events *ev, uint64_t now)
{
	if (ev->pace.immediate || (ev->pace.streaming && !wd_pace_quiet(&ev->pace, now)))
		return;
	if (settle_all(ev) && ev->pace.streaming && !ev->deaf) {
		wd_pace_idle(&ev->pace);
		ev->cs.idle_entries++;
	}
}

/* When the next round over the rings is due, if nothing wakes us first. */
static uint64_t next_round(const struct wd_events *ev, uint64_t now)
{
	if (ev->pace.streaming)
		return ev->pace.next_ns;
	if (ev->unsettled)              /* a record arrived as we settled */
		return now + ev->pace.min_ns;
	if (ev->deaf)                   /* a perf watermark: the timer reads below it */
		return now + ev->pace.max_ns;
	return UINT64_MAX;
}

/* Sleep in epoll for `ns` (UINT64_MAX: until woken).  epoll_pwait2() (5.11+)
 * takes nanoseconds; before it, epoll_wait() rounds up to milliseconds. */
static int epoll_wait_ns(struct wd_events *ev, uint64_t ns)
{
	static int no_pwait2;
	int n = (int)ev->nr_rings, k;
	uint64_t ms;

	if (ns == UINT64_MAX)
		return epoll_wait(ev->epfd, ev->evbuf, n, -1);
	if (!__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
		struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
		k = epoll_pwait2(ev->epfd, ev->evbuf, n, &ts, NULL);
		if (k >= 0 || errno != ENOSYS)
			return k;
		__atomic_store_n(&no_pwait2, 1, __ATOMIC_RELAXED);
	}
	ms = (ns + 999999) / 1000000;
	return epoll_wait(ev->epfd, ev->evbuf, n, ms > 3600000 ? 3600000 : (int)ms);
}

static int epoll_sleep(struct wd_events *ev, uint64_t ns)
{
	int k;

	ev->st.sleeps++;
	k = epoll_wait_ns(ev, ns);
	if (k < 0)
		return errno == EINTR ? -EINTR : wd_err(-errno, "events: epoll_wait: %s",
							 strerror(errno));
	if (k > 0)
		ev->st.wakeups++;
	return k;
}

int wd_events_consume(struct wd_events *ev)
{
	int n = 0, err;

	/* settle before returning: an outer loop sleeping on the epoll fd
	 * must be woken by the next record */
	for (int round = 0; round < SETTLE_ROUNDS; round++) {
		int k = poll_rings(ev, wd_mono_ns());
		if (k < 0)
			return k;
		n += k;
		if (settle_all(ev))
			break;
	}
	if (ev->pace.streaming && !ev->unsettled && !ev->deaf) {
		wd_pace_idle(&ev->pace);
		ev->cs.idle_entries++;
	}
	err = lost_read(ev);
	return err ? err : n;
}

static int poll_immediate(struct wd_events *ev, int timeout_ms)
{
	int n = poll_rings(ev, wd_mono_ns()), k;

	if (n != 0 || timeout_ms == 0)
		return n;
	k = epoll_sleep(ev, timeout_ms < 0 ? UINT64_MAX : timeout_ms * 1000000ull);
	/* woken, or timed out: perf records below a watermark wait for this */
	return k < 0 ? k : poll_rings(ev, wd_mono_ns());
}

static int poll_streaming(struct wd_events *ev, int timeout_ms)
{
	uint64_t now = wd_mono_ns(), until, due, wake;
	int n = 0, k;

	until = timeout_ms < 0 ? UINT64_MAX : now + timeout_ms * 1000000ull;
	/* streaming: rounds only on the timer, never twice in a row because
	 * the caller called again (that would fight the producer for the ring) */
	if (timeout_ms == 0 || !ev->pace.streaming || now >= ev->pace.next_ns) {
		if ((n = poll_rings(ev, now)) < 0)
			return n;
		maybe_idle(ev, now);
	}
	while (n == 0 && now < until) {
		due = next_round(ev, now);
		wake = due < until ? due : until;
		k = epoll_sleep(ev, wake == UINT64_MAX ? UINT64_MAX : wake - now);
		if (k < 0)
			return k;
		now = wd_mono_ns();
		if (k == 0 && now < due)        /* the caller's timeout */
			break;
		if ((n = poll_rings(ev, now)) < 0)
			return n;
		maybe_idle(ev, now);
	}
	return n;
}

int wd_events_poll(struct wd_events *ev, int timeout_ms)
{
	int n = ev->pace.immediate ? poll_immediate(ev, timeout_ms) :
		poll_streaming(ev, timeout_ms);
	int err;

	if (n < 0)
		return n;
	err = lost_maybe_read(ev);
	return err ? err : n;
}

/* ---- choosing the transport before load -------------------------------- */

const char *wd_events_transport_name(enum wd_events_transport t)
{
	return t == WD_EVENTS_RINGBUF ? "ringbuf" : t == WD_EVENTS_PERFBUF ? "perfbuf" : "auto";
}

static struct wd_map *named_map(struct wd_object *obj, const char *name, const char *suffix)
{
	char full[128];
	snprintf(full, sizeof(full), "%s%s", name, suffix);
	return wd_object_map(obj, full);
}

/* A kernel without ring buffers (< 5.8) refuses to create the ring even
 * unused: make it a one-slot array (any kernel has those; the program's
 * reference to it sits in a branch the verifier prunes, since 5.2 reads the
 * frozen warden_use_ringbuf).  The spec stays as parsed. */
static int ring_to_array(struct wd_map *ring)
{
	int err = wd_map_set_type(ring, BPF_MAP_TYPE_ARRAY, 4, 4);
	return err ? err : wd_map_set_max_entries(ring, 1);
}

static int transport_pick(enum wd_events_transport t)
{
	int rb;

	if (t == WD_EVENTS_RINGBUF || t == WD_EVENTS_PERFBUF)
		return t;
	if (t != WD_EVENTS_AUTO)
		return wd_err(-EINVAL, "events: unknown transport %d", (int)t);
	rb = wd_probe_ringbuf();
	if (rb < 0)
		wd_debug("events: ring buffer probe undecided (%s), using the perf buffer",
			 strerror(-rb));
	return rb == 1 ? WD_EVENTS_RINGBUF : WD_EVENTS_PERFBUF;
}

static int shrink_unused(struct wd_map *ring, struct wd_map *perf, int t)
{
	if (t == WD_EVENTS_RINGBUF)
		return wd_map_set_max_entries(perf, 1);
	if (wd_probe_ringbuf() == 1)
		return wd_map_set_max_entries(ring, (uint32_t)sysconf(_SC_PAGESIZE));
	return ring_to_array(ring);
}

int wd_events_prepare(struct wd_object *obj, const char *name, enum wd_events_transport t)
{
	struct wd_map *ring = named_map(obj, name, ""), *perf = named_map(obj, name, "_perf");
	uint8_t use_rb;
	int err;

	if (!ring || !perf)
		return wd_err(-ENOENT, "events '%s': maps '%s' and '%s_perf' not found "
			      "(declare them with WD_EVENTS_MAPS)", name, name, name);
	if (obj->loaded)
		return wd_err(-EBUSY, "events '%s': object already loaded", name);
	if ((t = transport_pick(t)) < 0)
		return t;
	if (t == WD_EVENTS_RINGBUF && wd_probe_ringbuf() == 0)
		return wd_err(-EOPNOTSUPP, "events '%s': this kernel has no ring buffer "
			      "(5.8+); use the perf buffer", name);
	use_rb = t == WD_EVENTS_RINGBUF;
	err = wd_object_set_global(obj, "warden_use_ringbuf", &use_rb, sizeof(use_rb));
	if (!err)
		err = shrink_unused(ring, perf, t);
	if (err) {
		wd_err_prefix("events '%s': ", name);
		return err;
	}
	wd_debug("events '%s': %s", name, wd_events_transport_name(t));
	return t;
}

struct wd_events *wd_events_open(struct wd_object *obj, const char *name,
				 enum wd_events_transport t, wd_event_fn on_event,
				 wd_lost_fn on_lost, void *ctx, const struct wd_events_opts *opts)
{
	struct wd_events_opts o = { .sz = sizeof(o) };
	struct wd_map *map = named_map(obj, name, t == WD_EVENTS_PERFBUF ? "_perf" : "");

	wd_opts_copy(&o, sizeof(o), opts);
	o.sz = sizeof(o);
	if (!o.lost_map)
		o.lost_map = named_map(obj, name, "_lost");
	if (!map || (t != WD_EVENTS_RINGBUF && t != WD_EVENTS_PERFBUF)) {
		errno = EINVAL;
		wd_err(-EINVAL, "events '%s': no %s map (transport from wd_events_prepare?)",
		       name, wd_events_transport_name(t));
		return NULL;
	}
	return wd_events_new(map, on_event, on_lost, ctx, &o);
}
