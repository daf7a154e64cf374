// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One consumer over ring buffers and perf buffers (include/warden/events.h):
 * the epoll set, the poll loop, the BPF-side lost counters, and choosing the
 * transport of an object before it loads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include "events.h"
#include "load/internal.h"
#include "warden/features.h"

#define DEFAULT_LOST_INTERVAL_MS 100

/* ---- CPUs -------------------------------------------------------------- */

static bool *cpu_list_parse(FILE *f, int *n)
{
	bool *set = NULL;
	int a, b, max = -1;
	char sep = ',';

	while (sep == ',' && fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) != 1)
			sep = '\n';
		if (sep == '-' && (fscanf(f, "%d", &b) != 1 || fscanf(f, "%c", &sep) != 1))
			sep = '\n';
		if (b < a || b > 65535)
			break;
		if (b > max) {
			bool *ns = realloc(set, b + 1);
			if (!ns)
				break;
			memset(ns + max + 1, 0, b - max);
			set = ns;
			max = b;
		}
		memset(set + a, 1, b - a + 1);
	}
	*n = max + 1;
	return set;
}

bool *wd_cpu_list(const char *which, int *n)
{
	char path[96];
	FILE *f;
	bool *set;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s", which);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	set = cpu_list_parse(f, n);
	fclose(f);
	return set;
}

int wd_possible_cpus(void)
{
	static int cached;
	int n = 0;
	bool *set;

	if (cached)
		return cached;
	set = wd_cpu_list("possible", &n);
	free(set);
	return cached = n > 0 ? n : (int)sysconf(_SC_NPROCESSORS_CONF);
}

/* ---- the consumer ------------------------------------------------------ */

int wd_events_add_ring(struct wd_events *ev, struct wd_ring *r)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.ptr = r };
	struct wd_ring **nr = realloc(ev->rings, (ev->nr_rings + 1) * sizeof(*nr));
	struct epoll_event *nb = realloc(ev->evbuf, (ev->nr_rings + 1) * sizeof(*nb));

	if (nr)
		ev->rings = nr;
	if (nb)
		ev->evbuf = nb;
	if (!nr || !nb)
		return wd_err(-ENOMEM, "events: out of memory");
	/* Edge-triggered: a ring is always drained before the consumer sleeps,
	 * so a level report would only repeat what we know. */
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, r->fd, &e) < 0)
		return wd_err(-errno, "events: epoll_ctl ADD: %s", strerror(errno));
	ev->rings[ev->nr_rings++] = r;
	return 0;
}

static void ring_free(struct wd_ring *r)
{
	if (r->kind == WD_RING_BPF)
		wd_ringbuf_free(r);
	else
		wd_perfbuf_free(r);
}

void wd_events_free(struct wd_events *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->nr_rings; i++)
		ring_free(ev->rings[i]);
	if (ev->epfd >= 0)
		close(ev->epfd);
	if (ev->lost_fd >= 0)
		close(ev->lost_fd);
	free(ev->rings);
	free(ev->evbuf);
	free(ev->lost_vals);
	free(ev->lost_seen);
	free(ev->scratch);
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

int wd_events_add_fd(struct wd_events *ev, int map_fd, wd_event_fn fn, void *ctx)
{
	struct bpf_map_info info;
	int err;

	if (!fn)
		return wd_err(-EINVAL, "events: no callback given");
	if ((err = map_info(map_fd, &info)))
		return err;
	switch (info.type) {
	case BPF_MAP_TYPE_RINGBUF:
		err = wd_ringbuf_add(ev, map_fd, info.max_entries, fn, ctx);
		break;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		err = wd_perfbuf_add(ev, map_fd, info.max_entries, fn, ctx);
		break;
	default: {
		const char *t = wd_map_type_name(info.type);
		return wd_err(-EINVAL, "events: map '%s' is a %s map, not a ringbuf or "
			      "perf_event_array", info.name, t ? t : "unknown");
	}
	}
	if (err)
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
	ev->nr_cpus = wd_possible_cpus();
	ev->lost_vals = calloc(ev->nr_cpus, sizeof(uint64_t));
	ev->lost_seen = calloc(ev->nr_cpus, sizeof(uint64_t));
	if (!ev->lost_vals || !ev->lost_seen)
		return wd_err(-ENOMEM, "events: out of memory");
	ev->lost_fd = fcntl(lost->fd, F_DUPFD_CLOEXEC, 0);
	return ev->lost_fd < 0 ? wd_err(-errno, "events: dup: %s", strerror(errno)) : 0;
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
	ev->on_lost = on_lost;
	ev->ctx = ctx;
	if (opts)
		memcpy(&ev->opts, opts, opts->sz < sizeof(ev->opts) ? opts->sz : sizeof(ev->opts));
	ev->opts.sz = sizeof(ev->opts);
	if (!ev->opts.lost_interval_ms)
		ev->opts.lost_interval_ms = DEFAULT_LOST_INTERVAL_MS;
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0) {
		wd_err(-errno, "events: epoll_create1: %s", strerror(errno));
		free(ev);
		return NULL;
	}
	return ev;
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

/* ---- lost events ------------------------------------------------------- */

void wd_events_report_lost(struct wd_events *ev, int cpu, uint64_t lost)
{
	if (!lost)
		return;
	ev->st.lost += lost;
	if (ev->on_lost)
		ev->on_lost(ev->ctx, cpu, lost);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Report what the BPF side counted since the last read, per CPU. */
static int lost_read(struct wd_events *ev)
{
	uint32_t key = 0;
	int err;

	if (ev->lost_fd < 0)
		return 0;
	ev->lost_read_ns = now_ns();
	err = wd_sys_map_lookup(ev->lost_fd, &key, ev->lost_vals, 0);
	if (err)
		return wd_err(err, "events: reading the lost counters: %s", strerror(-err));
	for (int cpu = 0; cpu < ev->nr_cpus; cpu++) {
		uint64_t now = ev->lost_vals[cpu];
		if (now > ev->lost_seen[cpu])
			wd_events_report_lost(ev, cpu, now - ev->lost_seen[cpu]);
		ev->lost_seen[cpu] = now;
	}
	return 0;
}

static int lost_maybe_read(struct wd_events *ev)
{
	if (ev->lost_fd < 0)
		return 0;
	if (now_ns() - ev->lost_read_ns < ev->opts.lost_interval_ms * 1000000ull)
		return 0;
	return lost_read(ev);
}

/* ---- consuming ---------------------------------------------------------- */

static int ring_consume(struct wd_ring *r)
{
	return r->kind == WD_RING_BPF ? wd_ringbuf_consume(r) : wd_perfbuf_consume(r);
}

static int consume_all(struct wd_events *ev)
{
	int total = 0;

	for (size_t i = 0; i < ev->nr_rings; i++) {
		int n = ring_consume(ev->rings[i]);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

int wd_events_consume(struct wd_events *ev)
{
	int n = consume_all(ev), err = lost_read(ev);
	return n < 0 ? n : err ? err : n;
}

/* Sleep in epoll, then drain the rings it reported. */
static int wait_and_consume(struct wd_events *ev, int timeout_ms)
{
	int k, total = 0;

	ev->st.sleeps++;
	k = epoll_wait(ev->epfd, ev->evbuf, (int)ev->nr_rings, timeout_ms);
	if (k < 0)
		return errno == EINTR ? -EINTR : wd_err(-errno, "events: epoll_wait: %s",
							 strerror(errno));
	if (k == 0) /* timed out: perf records below a watermark wait for this */
		return consume_all(ev);
	ev->st.wakeups++;
	for (int i = 0; i < k; i++) {
		int n = ring_consume(ev->evbuf[i].data.ptr);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

int wd_events_poll(struct wd_events *ev, int timeout_ms)
{
	int n = consume_all(ev), err;

	if (n == 0 && timeout_ms != 0)
		n = wait_and_consume(ev, timeout_ms);
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
 * frozen warden_use_ringbuf).  The spec is the object's own copy.
 * TODO: a wd_map_set_type() in lib/maps.c would be the clean way. */
static void ring_to_array(struct wd_map *ring)
{
	struct wd_map_spec *s = (struct wd_map_spec *)ring->spec;

	s->type = BPF_MAP_TYPE_ARRAY;
	s->key_size = 4;
	s->value_size = 4;
	s->btf_key_type_id = s->btf_value_type_id = 0;
	ring->max_entries = 1;
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
	ring_to_array(ring);
	return 0;
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

	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
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
