// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/ringbuf: warden's event consumers against libbpf's
 * ring_buffer__poll / perf_buffer__poll, in the same run, on the same maps
 * and the same unmodified producer (default flags: the kernel decides when
 * to wake the consumer).
 *
 * Producer: producer.bpf.c (raw_tp sys_enter filtered on getpgid of this
 * process), `per_call` records of `size` bytes per syscall, each stamped
 * with bpf_ktime_get_ns(); a thread on CPU 0 calls getpgid() in a tight
 * loop.  Consumer: a thread on CPU 1, polling with a 100 ms timeout
 * (warden: its default policy, WD_EVENTS_STREAMING).  The producer object
 * is loaded by libbpf (the oracle); warden's consumer takes the map fds.
 *
 * Per phase: events/s received; events per second of producer CPU time
 * ("Mev/pcpu": on a host shared with other work the producer thread gets
 * only part of CPU 0, and events/s follows that share); drops; wake-ups per record (irq_work
 * interrupts on CPU 0: how a BPF ring or perf buffer wakes its reader, each
 * charged to the traced syscall); producer ns per traced syscall (thread
 * CPU time; "+ns" above the same loop untraced); consumer CPU ns per
 * record; latency commit -> callback (every 64th record, the same code for
 * both consumers) p50/p99/max.
 *
 * Last, the consumer alone: CPU per record draining a ring that was filled
 * with nobody reading (no wake-ups or sleeps in it), libbpf against warden.
 * The figure moves by a few ns from run to run on a loaded host; libbpf's
 * perf buffer fills are slow (a wake-up per record), about 20 s of the run.
 *
 *   bench [-d SECONDS_PER_PHASE] [-r ROUNDS] [-s RING_KiB] [-p PERF_PAGES] OBJ
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../bench_clock.h"
#include "warden/events.h"
#include "warden/warden.h"

struct bench_bss {
	uint32_t target_pid, per_call, size, pad;
	uint64_t produced, dropped, irq_work;
};

enum consumer_kind { NONE, LIBBPF_RB, WARDEN_RB, LIBBPF_PB, WARDEN_PB, NR_KINDS };
static const char *const kind_names[NR_KINDS] = {
	"untraced", "libbpf ringbuf", "warden ringbuf", "libbpf perfbuf", "warden perfbuf",
};

#define LAT_EVERY 64
#define LAT_MAX_SAMPLES (1 << 21)

struct result {
	double secs;
	uint64_t syscalls, produced, dropped, received, lost, irq_work;
	double cons_cpu, prod_cpu;
	uint64_t lat_p50, lat_p99, lat_max;     /* ns */
	struct wd_events_consumer_stats ws;     /* warden's own view */
};

struct phase {
	enum consumer_kind kind;
	uint32_t size, per_call;
	struct bpf_object *obj;
	volatile struct bench_bss *g;
	int rb_fd, pb_fd;
	size_t perf_pages;
	double duration;
	volatile int producer_done, consumer_ready;
	struct result r;
	uint32_t *lat;          /* sampled latencies, ns */
	size_t nr_lat;
	volatile uint64_t sink;
};

/* ---- the same work per record for both libraries ---------------------- */

static void on_record(struct phase *p, const void *data)
{
	uint64_t stamp;

	memcpy(&stamp, data, sizeof(stamp));
	p->sink += stamp;
	if (++p->r.received % LAT_EVERY == 0 && p->nr_lat < LAT_MAX_SAMPLES) {
		uint64_t d = mono_ns() - stamp;
		p->lat[p->nr_lat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}

static int libbpf_rb_cb(void *ctx, void *data, size_t size)
{
	(void)size;
	on_record(ctx, data);
	return 0;
}

static void libbpf_pb_cb(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu; (void)size;
	on_record(ctx, data);
}

static void libbpf_lost_cb(void *ctx, int cpu, __u64 cnt)
{
	struct phase *p = ctx;
	(void)cpu;
	p->r.lost += cnt;
}

static int warden_cb(void *ctx, int cpu, const void *data, size_t size)
{
	(void)cpu; (void)size;
	on_record(ctx, data);
	return 0;
}

static void warden_lost_cb(void *ctx, int cpu, uint64_t lost)
{
	struct phase *p = ctx;
	(void)cpu;
	p->r.lost += lost;
}

/* ---- consumers ---------------------------------------------------------- */

typedef int (*poll_fn)(void *c, int timeout_ms);

static int rb_poll(void *c, int t) { return ring_buffer__poll(c, t); }
static int pb_poll(void *c, int t) { return perf_buffer__poll(c, t); }
static int wd_poll(void *c, int t) { return wd_events_poll(c, t); }

/* Poll until the producer is done, then drain. */
static void consume(struct phase *p, void *c, poll_fn poll)
{
	double c0 = thread_cpu();

	p->consumer_ready = 1;
	while (!p->producer_done) {
		if (poll)
			poll(c, 100);
		else
			usleep(10000);
	}
	while (poll && poll(c, 0) > 0)
		;
	p->r.cons_cpu = thread_cpu() - c0;
}

static void *consumer_thread(void *arg)
{
	struct phase *p = arg;
	struct wd_events_opts o = { .sz = sizeof(o), .perf_pages = p->perf_pages };
	void *c = NULL;

	pin(1);
	switch (p->kind) {
	case NONE:
		c = p;
		consume(p, c, NULL);
		break;
	case LIBBPF_RB:
		c = ring_buffer__new(p->rb_fd, libbpf_rb_cb, p, NULL);
		if (c)
			consume(p, c, rb_poll);
		ring_buffer__free(c);
		break;
	case LIBBPF_PB:
		c = perf_buffer__new(p->pb_fd, p->perf_pages, libbpf_pb_cb, libbpf_lost_cb, p, NULL);
		if (c)
			consume(p, c, pb_poll);
		perf_buffer__free(c);
		break;
	case WARDEN_RB:
	case WARDEN_PB:
		c = wd_events_new_fd(p->kind == WARDEN_PB ? p->pb_fd : p->rb_fd, warden_cb,
				     warden_lost_cb, p, &o);
		if (c) {
			consume(p, c, wd_poll);
			p->r.ws.sz = sizeof(p->r.ws);
			wd_events_read_stats(c, &p->r.ws);
		} else {
			fprintf(stderr, "warden: %s\n", wd_errmsg());
		}
		wd_events_free(c);
		break;
	default:
		break;
	}
	if (!c)
		fprintf(stderr, "bench: %s consumer failed\n", kind_names[p->kind]);
	p->consumer_ready = 1;
	return NULL;
}

static void *producer_thread(void *arg)
{
	struct phase *p = arg;
	double t0, end, c0;
	uint64_t n = 0;

	pin(0);
	c0 = thread_cpu();
	t0 = now();
	end = t0 + p->duration;
	do {
		for (int i = 0; i < 256; i++)
			syscall(SYS_getpgid, 0);
		n += 256;
	} while (now() < end);
	p->r.secs = now() - t0;
	p->r.prod_cpu = thread_cpu() - c0;
	p->r.syscalls = n;
	return NULL;
}

static const char *prog_of(enum consumer_kind k)
{
	return k == LIBBPF_PB || k == WARDEN_PB ? "produce_pb" : "produce_rb";
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void latency_summary(struct phase *p)
{
	if (!p->nr_lat)
		return;
	qsort(p->lat, p->nr_lat, sizeof(*p->lat), cmp_u32);
	p->r.lat_p50 = p->lat[p->nr_lat / 2];
	p->r.lat_p99 = p->lat[(size_t)(p->nr_lat * 0.99)];
	p->r.lat_max = p->lat[p->nr_lat - 1];
}

static struct bpf_link *attach(struct bpf_object *obj, const char *name)
{
	struct bpf_link *l = bpf_program__attach(bpf_object__find_program_by_name(obj, name));
	if (!l)
		fprintf(stderr, "bench: attach %s: %s\n", name, strerror(errno));
	return l;
}

static int run_phase(struct phase *p)
{
	struct bpf_link *link = NULL, *irq;
	pthread_t ct, pt;

	memset(&p->r, 0, sizeof(p->r));
	p->nr_lat = 0;
	p->producer_done = p->consumer_ready = 0;
	p->g->per_call = p->per_call;
	p->g->size = p->size;
	pthread_create(&ct, NULL, consumer_thread, p);
	while (!p->consumer_ready)
		usleep(1000);
	if (p->kind != NONE && !(link = attach(p->obj, prog_of(p->kind)))) {
		p->producer_done = 1;
		pthread_join(ct, NULL);
		return -1;
	}
	irq = attach(p->obj, "count_irq_work");
	usleep(20000);
	p->g->produced = p->g->dropped = p->g->irq_work = 0;
	pthread_create(&pt, NULL, producer_thread, p);
	pthread_join(pt, NULL);
	p->r.irq_work = p->g->irq_work;
	bpf_link__destroy(link);
	bpf_link__destroy(irq);
	usleep(20000);
	p->producer_done = 1;
	pthread_join(ct, NULL);
	p->r.produced = p->g->produced;
	p->r.dropped = p->g->dropped;
	latency_summary(p);
	return 0;
}

static double base_ns;  /* producer ns per untraced syscall */

static void print_header(void)
{
	printf("%-15s %4s %3s %8s %8s %6s %9s %8s %7s %10s %8s %8s %8s %7s\n", "consumer", "size",
	       "n", "Mev/s", "Mev/pcpu", "drop%", "wake/rec", "prod-ns", "+ns", "cons-ns/ev",
	       "p50-us", "p99-us", "max-us", "rec/poll");
}

static void print_result(const struct phase *p)
{
	const struct result *r = &p->r;
	double rec = r->received ? (double)r->received : 1;
	double prod_ns = r->prod_cpu * 1e9 / (r->syscalls ? r->syscalls : 1);
	uint64_t rounds = r->ws.polls;

	if (p->kind == NONE) {
		printf("%-15s %4s %3s %8s %8s %6s %9s %8.0f\n", kind_names[p->kind], "-", "-", "-",
		       "-", "-", "-", prod_ns);
		return;
	}
	printf("%-15s %4u %3u %8.3f %8.3f %6.2f %9.5f %8.0f %7.0f %10.1f %8.1f %8.1f %8.1f ",
	       kind_names[p->kind], p->size, p->per_call, r->received / r->secs / 1e6,
	       r->received / (r->prod_cpu > 0 ? r->prod_cpu : 1) / 1e6, r->produced ? 100.0 * r->dropped / r->produced : 0, r->irq_work / rec, prod_ns,
	       prod_ns - base_ns, r->cons_cpu * 1e9 / rec,
	       r->lat_p50 / 1e3, r->lat_p99 / 1e3, r->lat_max / 1e3);
	if (rounds)
		printf("%7.0f\n", r->ws.records / (double)rounds);
	else
		printf("%7s\n", "-");
	if (r->received + r->dropped != r->produced)
		printf("  !! received %llu + dropped %llu != produced %llu\n",
		       (unsigned long long)r->received, (unsigned long long)r->dropped,
		       (unsigned long long)r->produced);
}

static int open_producer(struct phase *p, const char *path, uint32_t ring_bytes)
{
	struct bpf_map *bss;
	size_t sz;

	p->obj = bpf_object__open_file(path, NULL);
	if (!p->obj)
		return fprintf(stderr, "bench: open %s: %s\n", path, strerror(errno)), -1;
	bpf_map__set_max_entries(bpf_object__find_map_by_name(p->obj, "rb"), ring_bytes);
	if (bpf_object__load(p->obj))
		return fprintf(stderr, "bench: load %s failed\n", path), -1;
	/* libbpf remaps .bss onto the map only for skeletons: map it here */
	bss = bpf_object__find_map_by_name(p->obj, ".bss");
	sz = bss ? bpf_map__value_size(bss) : 0;
	if (sz < sizeof(struct bench_bss))
		return fprintf(stderr, "bench: no .bss\n"), -1;
	p->g = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		    bpf_map__fd(bss), 0);
	if (p->g == MAP_FAILED)
		return fprintf(stderr, "bench: mmap .bss: %s\n", strerror(errno)), -1;
	p->g->target_pid = getpid();
	p->rb_fd = bpf_object__find_map_fd_by_name(p->obj, "rb");
	p->pb_fd = bpf_object__find_map_fd_by_name(p->obj, "pb");
	return 0;
}

struct config { enum consumer_kind a, b; uint32_t size, per_call; };

static const struct config configs[] = {
	{ LIBBPF_RB, WARDEN_RB, 8, 1 },   { LIBBPF_RB, WARDEN_RB, 8, 64 },
	{ LIBBPF_RB, WARDEN_RB, 64, 1 },  { LIBBPF_RB, WARDEN_RB, 64, 64 },
	{ LIBBPF_RB, WARDEN_RB, 256, 1 }, { LIBBPF_RB, WARDEN_RB, 256, 64 },
	{ LIBBPF_PB, WARDEN_PB, 8, 1 },   { LIBBPF_PB, WARDEN_PB, 8, 64 },
};
#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

struct pair { struct result a, b; };

static void add(struct result *s, const struct result *r)
{
	s->secs += r->secs;
	s->received += r->received;
	s->produced += r->produced;
	s->dropped += r->dropped;
	s->irq_work += r->irq_work;
	s->cons_cpu += r->cons_cpu;
	s->prod_cpu += r->prod_cpu;
	s->syscalls += r->syscalls;
	/* latency: the worst round's */
	if (r->lat_p50 > s->lat_p50) s->lat_p50 = r->lat_p50;
	if (r->lat_p99 > s->lat_p99) s->lat_p99 = r->lat_p99;
	if (r->lat_max > s->lat_max) s->lat_max = r->lat_max;
}

static int run_config(struct phase *p, const struct config *c, struct pair *sum)
{
	p->size = c->size;
	p->per_call = c->per_call;
	p->kind = c->a;
	if (run_phase(p))
		return -1;
	print_result(p);
	add(&sum->a, &p->r);
	p->kind = c->b;
	if (run_phase(p))
		return -1;
	print_result(p);
	add(&sum->b, &p->r);
	return 0;
}

static void print_ratios(const struct pair *sum)
{
	printf("\nwarden / libbpf, same producer (all rounds; latency: worst round)\n");
	printf("%-9s %4s %3s %9s %9s %21s %21s %19s %25s\n", "transport", "size", "n", "events/s",
	       "ev/pcpu", "wake/rec libbpf:wd", "+ns/syscall lb:wd", "cons-ns/ev lb:wd",
	       "p50/p99/max-us wd");
	for (size_t i = 0; i < NR_CONFIGS; i++) {
		const struct result *a = &sum[i].a, *b = &sum[i].b;
		double ra = a->received / a->secs, rb = b->received / b->secs;
		double pa = a->prod_cpu * 1e9 / a->syscalls - base_ns;
		double pw = b->prod_cpu * 1e9 / b->syscalls - base_ns;
		printf("%-9s %4u %3u %8.2fx %8.2fx %10.5f:%-10.5f %10.0f:%-10.0f %9.1f:%-9.1f "
		       "%7.0f/%-7.0f/%-7.0f\n",
		       configs[i].a == LIBBPF_RB ? "ringbuf" : "perfbuf", configs[i].size,
		       configs[i].per_call, rb / ra,
		       (b->received / b->prod_cpu) / (a->received / a->prod_cpu),
		       a->irq_work / (double)(a->received ? a->received : 1),
		       b->irq_work / (double)(b->received ? b->received : 1), pa, pw,
		       a->cons_cpu * 1e9 / (a->received ? a->received : 1),
		       b->cons_cpu * 1e9 / (b->received ? b->received : 1),
		       b->lat_p50 / 1e3, b->lat_p99 / 1e3, b->lat_max / 1e3);
	}
}

/* ---- the consumer alone: draining a filled ring ------------------------- */

/* A ring filled on CPU 0 with nobody reading (`quarters`/4 full, no
 * drops), then one consume call on CPU 1, timed: the consumer's own CPU
 * (the records' cache lines come from the other CPU, as when streaming),
 * with no wake-up, sleep or scheduling in it.  Fresh consumer each time.
 * *cpu: the fastest of `reps` drains (an interrupt or a preemption only
 * ever adds), *recs: the records it handed over. */
static void drain(struct phase *p, enum consumer_kind k, uint32_t size, uint64_t ring_bytes,
		  int quarters, int reps, double *cpu, uint64_t *recs)
{
	bool perf = k == LIBBPF_PB || k == WARDEN_PB;
	uint64_t rec = perf ? ((size + 4 + 7) & ~7u) + 8 : (size + 8 + 7) & ~7u;
	uint64_t calls = ring_bytes * quarters / 4 / rec / 64;
	struct wd_events_opts o = { .sz = sizeof(o), .perf_pages = p->perf_pages };
	/* attached once: a detach waits for an RCU grace period (tens of ms
	 * here); the producer is switched on and off by its target pid */
	struct bpf_link *link = attach(p->obj, prog_of(k));
	uint32_t pid = p->g->target_pid;

	if (!link)
		return;
	p->g->target_pid = 0;
	p->g->per_call = 64;
	p->g->size = size;
	for (int i = 0; i < reps; i++) {
		void *c = NULL;
		double c0;

		if (k == LIBBPF_RB)
			c = ring_buffer__new(p->rb_fd, libbpf_rb_cb, p, NULL);
		else if (k == LIBBPF_PB)
			c = perf_buffer__new(p->pb_fd, p->perf_pages, libbpf_pb_cb, libbpf_lost_cb, p,
					     NULL);
		else
			c = wd_events_new_fd(perf ? p->pb_fd : p->rb_fd, warden_cb, warden_lost_cb,
					     p, &o);
		if (!c) {
			fprintf(stderr, "bench: drain: %s consumer failed\n", kind_names[k]);
			break;
		}
		pin(0);
		p->g->target_pid = pid;
		for (uint64_t n = 0; n < calls; n++)
			syscall(SYS_getpgid, 0);
		p->g->target_pid = 0;
		pin(1);
		p->r.received = 0;
		p->nr_lat = 0;
		c0 = thread_cpu();
		if (k == LIBBPF_RB)
			ring_buffer__consume(c);
		else if (k == LIBBPF_PB)
			perf_buffer__consume(c);
		else
			wd_events_consume(c);
		c0 = thread_cpu() - c0;
		if (i == 0 || c0 < *cpu) {
			*cpu = c0;
			*recs = p->r.received;
		}
		if (k == LIBBPF_RB)
			ring_buffer__free(c);
		else if (k == LIBBPF_PB)
			perf_buffer__free(c);
		else
			wd_events_free(c);
	}
	p->g->target_pid = pid;
	bpf_link__destroy(link);
}

/* Per record without the per-call costs (creating no consumer, but a
 * consume call reads clocks, settles, publishes): the slope between a ring
 * 1/4 and 3/4 full. */
static double drain_ns_per_record(struct phase *p, enum consumer_kind k, uint32_t size,
				  uint64_t ring_bytes, int reps)
{
	double lo_cpu = 0, hi_cpu = 0;
	uint64_t lo = 0, hi = 0;

	drain(p, k, size, ring_bytes, 1, reps, &lo_cpu, &lo);
	drain(p, k, size, ring_bytes, 3, reps, &hi_cpu, &hi);
	return hi > lo ? (hi_cpu - lo_cpu) * 1e9 / (double)(hi - lo) : 0;
}

static void print_drain(struct phase *p, uint32_t ring_kib)
{
	static const uint32_t sizes[] = { 8, 64, 256 };

	printf("\nthe consumer alone: CPU ns per record draining a ring filled on CPU 0, "
	       "read on CPU 1 (slope from 1/4 to 3/4 full, fastest of 20 drains each)\n");
	printf("%-9s %4s %10s %10s %8s\n", "transport", "size", "libbpf", "warden", "lb/wd");
	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			enum consumer_kind lk = t ? LIBBPF_PB : LIBBPF_RB;
			enum consumer_kind wk = t ? WARDEN_PB : WARDEN_RB;
			uint64_t bytes = t ? p->perf_pages * (uint64_t)sysconf(_SC_PAGESIZE)
					   : ring_kib * 1024ull;
			double l = drain_ns_per_record(p, lk, sizes[i], bytes, 20);
			double w = drain_ns_per_record(p, wk, sizes[i], bytes, 20);
			printf("%-9s %4u %10.1f %10.1f %7.2fx\n", t ? "perfbuf" : "ringbuf", sizes[i],
			       l, w, w > 0 ? l / w : 0);
		}
	}
}

int main(int argc, char **argv)
{
	struct phase p = { .duration = 2.0, .perf_pages = 64 };
	static struct pair sum[NR_CONFIGS];
	uint32_t ring_kib = 256;
	int rounds = 1, c;

	while ((c = getopt(argc, argv, "d:r:s:p:")) != -1) {
		switch (c) {
		case 'd': p.duration = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 's': ring_kib = atoi(optarg); break;
		case 'p': p.perf_pages = atoi(optarg); break;
		default: return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: bench [-d SEC] [-r ROUNDS] [-s RING_KiB] [-p PERF_PAGES] OBJ\n");
		return 2;
	}
	p.lat = malloc(LAT_MAX_SAMPLES * sizeof(*p.lat));
	if (!p.lat || open_producer(&p, argv[optind], ring_kib * 1024))
		return 1;
	printf("ring %u KiB; perf %zu pages/CPU; %.1f s per phase; producer CPU 0 (getpgid loop), "
	       "consumer CPU 1; n = records per syscall\n", ring_kib, p.perf_pages, p.duration);
	for (int round = 1; round <= rounds; round++) {
		printf("\nround %d\n", round);
		print_header();
		p.kind = NONE;
		p.size = 8;
		p.per_call = 1;
		if (run_phase(&p))
			return 1;
		base_ns = p.r.prod_cpu * 1e9 / p.r.syscalls;
		print_result(&p);
		for (size_t i = 0; i < NR_CONFIGS; i++)
			if (run_config(&p, &configs[i], &sum[i]))
				return 1;
	}
	print_ratios(sum);
	print_drain(&p, ring_kib);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS of the whole benchmark: %ld KiB\n", ru.ru_maxrss);
	free(p.lat);
	bpf_object__close(p.obj);
	return 0;
}
