// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/ringbuf: events per second through warden's ring buffer and perf
 * buffer consumers against libbpf's ring_buffer__poll / perf_buffer__poll,
 * in the same run, on the same maps and the same producer.
 *
 * Producer: producer.bpf.c (raw_tp sys_enter filtered on getpgid, 8-byte records), triggered by
 * a thread calling getpgid() in a tight loop on CPU 0.  Consumer: a thread
 * on CPU 1.  The producer object is loaded by libbpf (the oracle); warden's
 * consumer takes the map fds.  Per phase: events/s received, drops, consumer
 * CPU per record, consumer sleeps (voluntary context switches) per record,
 * producer ns per syscall (BPF-side wake-ups are charged to it).
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
#include "warden/events.h"
#include "warden/warden.h"

struct bench_bss {
	uint32_t target_pid, pad;
	uint64_t produced, dropped, wakeup_bytes;
};

enum consumer_kind {
	LIBBPF_RB, WARDEN_RB, LIBBPF_PB, WARDEN_PB, WARDEN_RB_ADAPTIVE, WARDEN_PB_WATERMARK, NR_KINDS
};
static const char *const kind_names[NR_KINDS] = {
	"libbpf ringbuf", "warden ringbuf", "libbpf perfbuf", "warden perfbuf",
	"warden ringbuf+adaptive", "warden perfbuf+watermark",
};

struct result {
	double secs;
	uint64_t syscalls, produced, dropped, received, lost, polls;
	double cons_cpu, prod_cpu;
	long vcsw;
};

struct phase {
	enum consumer_kind kind;
	struct bpf_object *obj;
	volatile struct bench_bss *g;
	int rb_fd, pb_fd;
	size_t perf_pages;
	double duration;
	volatile int producer_done, consumer_ready;
	struct result r;
	volatile uint64_t sink;
};

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu(long *vcsw)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	if (vcsw)
		*vcsw = ru.ru_nvcsw;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- callbacks: the same work for both libraries ---------------------- */

static int libbpf_rb_cb(void *ctx, void *data, size_t size)
{
	struct phase *p = ctx;
	(void)size;
	p->sink += *(const uint64_t *)data;
	p->r.received++;
	return 0;
}

static void libbpf_pb_cb(void *ctx, int cpu, void *data, __u32 size)
{
	struct phase *p = ctx;
	(void)cpu; (void)size;
	p->sink += *(const uint64_t *)data;
	p->r.received++;
}

static void libbpf_lost_cb(void *ctx, int cpu, __u64 cnt)
{
	struct phase *p = ctx;
	(void)cpu;
	p->r.lost += cnt;
}

static int warden_cb(void *ctx, int cpu, const void *data, size_t size)
{
	struct phase *p = ctx;
	(void)cpu; (void)size;
	p->sink += *(const uint64_t *)data;
	p->r.received++;
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
static void consume(struct phase *p, void *c, poll_fn poll, int timeout_ms)
{
	long v0, v1;
	double c0 = thread_cpu(&v0);

	p->consumer_ready = 1;
	while (!p->producer_done) {
		poll(c, timeout_ms);
		p->r.polls++;
	}
	while (poll(c, 0) > 0)
		;
	p->r.cons_cpu = thread_cpu(&v1) - c0;
	p->r.vcsw = v1 - v0;
}

static void *consumer_thread(void *arg)
{
	struct phase *p = arg;
	struct wd_events_opts o = { .sz = sizeof(o), .perf_pages = p->perf_pages };
	void *c = NULL;

	pin(1);
	switch (p->kind) {
	case LIBBPF_RB:
		c = ring_buffer__new(p->rb_fd, libbpf_rb_cb, p, NULL);
		if (c)
			consume(p, c, rb_poll, 100);
		ring_buffer__free(c);
		break;
	case LIBBPF_PB:
		c = perf_buffer__new(p->pb_fd, p->perf_pages, libbpf_pb_cb, libbpf_lost_cb, p, NULL);
		if (c)
			consume(p, c, pb_poll, 100);
		perf_buffer__free(c);
		break;
	case WARDEN_RB:
	case WARDEN_PB:
	case WARDEN_RB_ADAPTIVE:
	case WARDEN_PB_WATERMARK: {
		bool perf = p->kind == WARDEN_PB || p->kind == WARDEN_PB_WATERMARK;
		bool batched = p->kind == WARDEN_RB_ADAPTIVE || p->kind == WARDEN_PB_WATERMARK;
		if (p->kind == WARDEN_PB_WATERMARK)   /* wake at a quarter full */
			o.perf_wakeup_bytes = p->perf_pages * sysconf(_SC_PAGESIZE) / 4;
		c = wd_events_new_fd(perf ? p->pb_fd : p->rb_fd, warden_cb, warden_lost_cb, p, &o);
		/* the batched policies need a poll timeout: it bounds the latency */
		if (c)
			consume(p, c, wd_poll, batched ? 1 : 100);
		else
			fprintf(stderr, "warden: %s\n", wd_errmsg());
		wd_events_free(c);
		break;
	}
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
	c0 = thread_cpu(NULL);
	t0 = now();
	end = t0 + p->duration;
	do {
		for (int i = 0; i < 1024; i++)
			syscall(SYS_getpgid, 0);
		n += 1024;
	} while (now() < end);
	p->r.secs = now() - t0;
	p->r.prod_cpu = thread_cpu(NULL) - c0;
	p->r.syscalls = n;
	return NULL;
}

static const char *prog_of(enum consumer_kind k)
{
	return k == LIBBPF_PB || k == WARDEN_PB || k == WARDEN_PB_WATERMARK ? "produce_pb" :
	       k == WARDEN_RB_ADAPTIVE ? "produce_rb_adaptive" : "produce_rb";
}

static int run_phase(struct phase *p)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(p->obj, prog_of(p->kind));
	struct bpf_link *link;
	pthread_t ct, pt;

	memset(&p->r, 0, sizeof(p->r));
	p->producer_done = p->consumer_ready = 0;
	p->g->produced = p->g->dropped = 0;
	pthread_create(&ct, NULL, consumer_thread, p);
	while (!p->consumer_ready)
		usleep(1000);
	link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "bench: attach %s: %s\n", prog_of(p->kind), strerror(errno));
		p->producer_done = 1;
		pthread_join(ct, NULL);
		return -1;
	}
	usleep(20000);
	pthread_create(&pt, NULL, producer_thread, p);
	pthread_join(pt, NULL);
	bpf_link__destroy(link);
	usleep(20000);
	p->producer_done = 1;
	pthread_join(ct, NULL);
	p->r.produced = p->g->produced;
	p->r.dropped = p->g->dropped;
	return 0;
}

static void print_header(void)
{
	printf("%-24s %9s %7s %8s %9s %10s %9s %10s\n", "consumer", "Mev/s", "drop%",
	       "lost-rep", "cons-ns/ev", "sleeps/kev", "polls", "prod-ns/sc");
}

static void print_result(enum consumer_kind k, const struct result *r)
{
	double rec = r->received ? (double)r->received : 1;
	printf("%-24s %9.3f %7.2f %8llu %9.1f %10.3f %9llu %10.0f\n", kind_names[k],
	       r->received / r->secs / 1e6,
	       r->produced ? 100.0 * r->dropped / r->produced : 0,
	       (unsigned long long)r->lost, r->cons_cpu * 1e9 / rec, r->vcsw * 1000.0 / rec,
	       (unsigned long long)r->polls, r->prod_cpu * 1e9 / (r->syscalls ? r->syscalls : 1));
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
	p->g->wakeup_bytes = ring_bytes / 4;
	p->rb_fd = bpf_object__find_map_fd_by_name(p->obj, "rb");
	p->pb_fd = bpf_object__find_map_fd_by_name(p->obj, "pb");
	return 0;
}

int main(int argc, char **argv)
{
	struct phase p = { .duration = 2.5, .perf_pages = 64 };
	struct result sum[NR_KINDS] = { 0 };
	uint32_t ring_kib = 256;
	int rounds = 2, c;

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
	if (open_producer(&p, argv[optind], ring_kib * 1024))
		return 1;
	printf("8-byte records; ring %u KiB; perf %zu pages/CPU; %.1f s per phase; producer CPU 0, "
	       "consumer CPU 1\n", ring_kib, p.perf_pages, p.duration);
	for (int round = 1; round <= rounds; round++) {
		printf("\nround %d\n", round);
		print_header();
		for (int k = 0; k < NR_KINDS; k++) {
			p.kind = k;
			if (run_phase(&p))
				return 1;
			print_result(k, &p.r);
			sum[k].secs += p.r.secs;
			sum[k].received += p.r.received;
			sum[k].produced += p.r.produced;
			sum[k].dropped += p.r.dropped;
			sum[k].lost += p.r.lost;
			sum[k].cons_cpu += p.r.cons_cpu;
			sum[k].prod_cpu += p.r.prod_cpu;
			sum[k].syscalls += p.r.syscalls;
			sum[k].vcsw += p.r.vcsw;
			sum[k].polls += p.r.polls;
		}
	}
	printf("\nall rounds\n");
	print_header();
	for (int k = 0; k < NR_KINDS; k++)
		print_result(k, &sum[k]);
	double rate[NR_KINDS];
	for (int k = 0; k < NR_KINDS; k++)
		rate[k] = sum[k].received / sum[k].secs;
	printf("\nratio warden/libbpf events/s: ringbuf %.2f, perfbuf %.2f; with batched wake-ups: "
	       "ringbuf+adaptive producer %.2f, perfbuf+watermark %.2f\n",
	       rate[WARDEN_RB] / rate[LIBBPF_RB], rate[WARDEN_PB] / rate[LIBBPF_PB],
	       rate[WARDEN_RB_ADAPTIVE] / rate[LIBBPF_RB], rate[WARDEN_PB_WATERMARK] / rate[LIBBPF_PB]);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS of the whole benchmark: %ld KiB\n", ru.ru_maxrss);
	bpf_object__close(p.obj);
	return 0;
}
