// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event consumers on the real kernel: tests/bpf/events.bpf.c writes one
 * {cpu, seq} record per run (BPF_PROG_TEST_RUN with repeat=N), through the
 * ring buffer or the perf buffer as wd_events_prepare() chose.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "sys/sys.h"
#include "warden/events.h"
#include "warden/features.h"
#include "warden/link.h"
#include "warden/warden.h"

#define MAGIC 0x5741524e
#define MAX_CPUS 1024

struct event {
	uint32_t cpu;
	uint32_t magic;
	uint64_t seq;
};

struct sink {
	uint64_t received, lost, bad;
	int64_t last_seq[MAX_CPUS];
	int stop_after;         /* callback returns -ECANCELED after this many (0: never) */
};

static int on_event(void *ctx, int cpu, const void *data, size_t size)
{
	struct sink *s = ctx;
	const struct event *e = data;

	if (size < sizeof(*e) || e->magic != MAGIC || e->cpu >= MAX_CPUS ||
	    (cpu >= 0 && (uint32_t)cpu != e->cpu) || (int64_t)e->seq <= s->last_seq[e->cpu]) {
		s->bad++;
		return 0;
	}
	s->last_seq[e->cpu] = (int64_t)e->seq;
	s->received++;
	if (s->stop_after && s->received == (uint64_t)s->stop_after)
		return -ECANCELED;
	return 0;
}

static void on_lost(void *ctx, int cpu, uint64_t lost)
{
	struct sink *s = ctx;
	(void)cpu;
	s->lost += lost;
}

static void sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < MAX_CPUS; i++)
		s->last_seq[i] = -1;
}

struct world {
	struct wd_object *obj;
	struct wd_events *ev;
	struct sink sink;
	int prog_fd;
};

/* Open and load events.o for transport t; ring_bytes/perf_pages: 0 = default. */
static int world_open(struct world *w, enum wd_events_transport t, uint32_t ring_bytes,
		      size_t perf_pages)
{
	struct wd_events_opts o = { .sz = sizeof(o), .perf_pages = perf_pages };
	int chosen;

	memset(w, 0, sizeof(*w));
	sink_init(&w->sink);
	w->obj = wd_object_open(wd_test_obj("events.o"), NULL);
	if (!w->obj)
		return -errno;
	chosen = wd_events_prepare(w->obj, "events", t);
	if (chosen < 0)
		return chosen;
	if (ring_bytes && chosen == WD_EVENTS_RINGBUF)
		wd_map_set_max_entries(wd_object_map(w->obj, "events"), ring_bytes);
	int err = wd_object_load(w->obj, NULL);
	if (err)
		return err;
	w->prog_fd = wd_prog_fd(wd_object_prog(w->obj, "produce"));
	w->ev = wd_events_open(w->obj, "events", chosen, on_event, on_lost, &w->sink, &o);
	return w->ev ? 0 : -errno;
}

static void world_close(struct world *w)
{
	wd_events_free(w->ev);
	wd_object_close(w->obj);
}

static void skip_without_ringbuf(void)
{
	if (wd_probe_ringbuf() != 1)
		WD_SKIP("no BPF ring buffer on this kernel (5.8+)");
}

static void produce(const struct world *w, uint32_t n)
{
	char pkt[64] = { 0 };
	uint32_t retval = 0, dur = 0;
	assert_int_equal(wd_sys_prog_test_run(w->prog_fd, pkt, sizeof(pkt), NULL, NULL, NULL, 0,
					      n, &retval, &dur), 0);
	assert_int_equal(retval, XDP_PASS);
}

static void pin_to_cpu0(cpu_set_t *saved)
{
	cpu_set_t one;
	sched_getaffinity(0, sizeof(*saved), saved);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
}

/* ---- N in, N out, in order -------------------------------------------- */

static void check_n_in_order(enum wd_events_transport t)
{
	struct world w;
	const uint32_t n = 10000;

	assert_int_equal(world_open(&w, t, 0, 128), 0);
	produce(&w, n);
	assert_int_equal(wd_events_consume(w.ev), (int)n);
	assert_int_equal(w.sink.received, n);
	assert_int_equal(w.sink.bad, 0);
	assert_int_equal(w.sink.lost, 0);
	assert_int_equal(wd_events_poll(w.ev, 0), 0);
	world_close(&w);
}

static void ringbuf_n_events_n_received_in_order(void **state)
{
	(void)state;
	skip_without_ringbuf();
	check_n_in_order(WD_EVENTS_RINGBUF);
}

static void perfbuf_n_events_n_received_in_order(void **state)
{
	(void)state;
	check_n_in_order(WD_EVENTS_PERFBUF);
}

/* A consumer thread polls while the producer runs: every attempt is either
 * received (in order per CPU) or reported lost, exactly. */
struct poller { struct world *w; volatile int stop; int err; };

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	while (!p->stop) {
		int n = wd_events_poll(p->w->ev, 10);
		if (n < 0 && n != -EINTR) {
			p->err = n;
			break;
		}
	}
	return NULL;
}

static void check_concurrent(enum wd_events_transport t)
{
	struct world w;
	struct poller p = { .w = &w };
	pthread_t th;
	cpu_set_t saved;
	const uint32_t n = 200000, rounds = 5;

	/* Perf buffers are per CPU and a CPU's PERF_RECORD_LOST is written with
	 * the next record that fits on that CPU: all rounds and the closing
	 * record on one CPU, or losses of a CPU the producer left stay unseen
	 * (seen on a loaded 6.12 guest: 2605 of 1000001 unaccounted). */
	assert_int_equal(world_open(&w, t, 64 * 1024, 8), 0);
	assert_int_equal(pthread_create(&th, NULL, poll_thread, &p), 0);
	pin_to_cpu0(&saved);   /* this thread only: the poller keeps every CPU */
	for (uint32_t i = 0; i < rounds; i++)
		produce(&w, n);
	p.stop = 1;
	pthread_join(th, NULL);
	assert_int_equal(p.err, 0);
	wd_events_consume(w.ev);
	if (t == WD_EVENTS_PERFBUF) {
		/* perf reports a loss in front of the next record that fits */
		produce(&w, 1);
		wd_events_consume(w.ev);
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	assert_int_equal(w.sink.received + w.sink.lost,
			 (uint64_t)n * rounds + (t == WD_EVENTS_PERFBUF));
	assert_int_equal(w.sink.bad, 0);
	printf("  %s: %lu received, %lu lost while polling\n", wd_events_transport_name(t),
	       (unsigned long)w.sink.received, (unsigned long)w.sink.lost);
	world_close(&w);
}

static void ringbuf_concurrent_received_plus_lost_is_produced(void **state)
{
	(void)state;
	skip_without_ringbuf();
	check_concurrent(WD_EVENTS_RINGBUF);
}

static void perfbuf_concurrent_received_plus_lost_is_produced(void **state)
{
	(void)state;
	check_concurrent(WD_EVENTS_PERFBUF);
}

/* ---- overflow ----------------------------------------------------------- */

static void ringbuf_overflow_exact_lost_count(void **state)
{
	struct world w;
	const uint32_t n = 1000;
	(void)state;
	skip_without_ringbuf();

	/* one page: 4096 / 24-byte records = 170 fit */
	assert_int_equal(world_open(&w, WD_EVENTS_RINGBUF, 4096, 0), 0);
	produce(&w, n);
	assert_true(wd_events_consume(w.ev) > 0);
	assert_int_equal(w.sink.received, 4096 / 24);
	assert_int_equal(w.sink.lost, n - w.sink.received);
	assert_int_equal(w.sink.bad, 0);
	/* the same losses are not reported twice */
	assert_int_equal(wd_events_consume(w.ev), 0);
	assert_int_equal(w.sink.lost, n - w.sink.received);
	world_close(&w);
}

static void perfbuf_overflow_lost_records_reported(void **state)
{
	struct world w;
	cpu_set_t saved;
	const uint32_t n = 1000;
	(void)state;

	pin_to_cpu0(&saved);
	assert_int_equal(world_open(&w, WD_EVENTS_PERFBUF, 0, 1), 0);
	produce(&w, n);
	assert_true(wd_events_consume(w.ev) > 0);
	assert_true(w.sink.received < n);
	/* the kernel writes PERF_RECORD_LOST with the next record that fits */
	produce(&w, 1);
	wd_events_consume(w.ev);
	sched_setaffinity(0, sizeof(saved), &saved);
	assert_int_equal(w.sink.bad, 0);
	assert_true(w.sink.lost > 0);
	assert_int_equal(w.sink.received + w.sink.lost, n + 1);
	world_close(&w);
}

/* ---- sleeping, callbacks, errors -------------------------------------- */

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check_timeout_sleeps(enum wd_events_transport t)
{
	struct world w;

	assert_int_equal(world_open(&w, t, 0, 8), 0);
	double c0 = cpu_seconds(), t0 = wall_seconds();
	assert_int_equal(wd_events_poll(w.ev, 300), 0);
	double c1 = cpu_seconds(), t1 = wall_seconds();
	assert_true(t1 - t0 >= 0.29);
	assert_true(c1 - c0 < 0.05);   /* slept, did not spin */
	struct wd_events_stats st;
	wd_events_get_stats(w.ev, &st);
	/* a ring buffer sleeps once; a perf buffer under the streaming policy
	 * has a watermark, so it reads on a timer at the latency bound */
	if (t == WD_EVENTS_RINGBUF)
		assert_int_equal(st.sleeps, 1);
	else
		assert_true(st.sleeps >= 1 && st.sleeps <= 300 / 10 + 2);
	assert_int_equal(st.wakeups, 0);
	world_close(&w);
}

static void ringbuf_poll_timeout_sleeps(void **state)
{
	(void)state;
	skip_without_ringbuf();
	check_timeout_sleeps(WD_EVENTS_RINGBUF);
}

static void perfbuf_poll_timeout_sleeps(void **state)
{
	(void)state;
	check_timeout_sleeps(WD_EVENTS_PERFBUF);
}

static void ringbuf_callback_error_stops_and_keeps_the_rest(void **state)
{
	struct world w;
	(void)state;
	skip_without_ringbuf();

	assert_int_equal(world_open(&w, WD_EVENTS_RINGBUF, 0, 0), 0);
	produce(&w, 100);
	w.sink.stop_after = 10;
	assert_int_equal(wd_events_consume(w.ev), -ECANCELED);
	assert_int_equal(w.sink.received, 10);
	w.sink.stop_after = 0;
	assert_int_equal(wd_events_consume(w.ev), 90);
	assert_int_equal(w.sink.received, 100);
	assert_int_equal(w.sink.bad, 0);
	world_close(&w);
}

static void wrong_map_type_is_a_clear_error(void **state)
{
	struct world w;
	(void)state;

	assert_int_equal(world_open(&w, WD_EVENTS_PERFBUF, 0, 0), 0);
	struct wd_map *lost = wd_object_map(w.obj, "events_lost");
	errno = 0;
	assert_null(wd_events_new(lost, on_event, on_lost, &w.sink, NULL));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "percpu_array map, not a ringbuf or perf_event_array"));
	world_close(&w);

	struct wd_object *obj = wd_object_open(wd_test_obj("events.o"), NULL);
	assert_non_null(obj);
	errno = 0;   /* not loaded */
	assert_null(wd_events_new(wd_object_map(obj, "events"), on_event, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "not loaded"));
	assert_int_equal(wd_events_prepare(obj, "nosuch", WD_EVENTS_AUTO), -ENOENT);
	wd_object_close(obj);
}

/* A kernel without ring buffers (played by failing their creation): AUTO
 * picks the perf buffer, the unused ring becomes an array, and it loads. */
static int no_ringbuf_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)ctx;
	return cmd == BPF_MAP_CREATE && attr->map_type == BPF_MAP_TYPE_RINGBUF ? EINVAL : 0;
}

static void auto_falls_back_to_perfbuf_without_ringbuf(void **state)
{
	struct world w;
	(void)state;

	wd_sys_set_fault(no_ringbuf_fault, NULL);
	wd_probe_reset_cache();
	int err = world_open(&w, WD_EVENTS_AUTO, 0, 0);
	if (!err) {
		produce(&w, 50);
		err = wd_events_consume(w.ev);
	}
	wd_sys_set_fault(NULL, NULL);
	wd_probe_reset_cache();
	assert_int_equal(err, 50);
	assert_int_equal(w.sink.received, 50);
	assert_int_equal(w.sink.bad, 0);
	world_close(&w);
}

/* trace-exec (the agent's exec tracer) over each transport: an exec made
 * once it is attached shows up, with the summary.  It says "attached" on
 * stderr: in a TCG guest loading and verifying its programs takes seconds,
 * and an exec before that is not seen. */
static void check_trace_exec(const char *transport)
{
	char cmd[1024], *out = NULL;
	snprintf(cmd, sizeof(cmd),
		 "log=$(mktemp /tmp/wd-trace.XXXXXX) || exit 99; "
		 "WARDEN_BPF_DIR=%s %s trace-exec --transport %s >$log 2>&1 & tr=$!; "
		 "i=0; while [ $i -lt 1200 ] && kill -0 $tr 2>/dev/null && "
		 "! grep -q 'trace-exec: attached' $log; do sleep 0.1; i=$((i+1)); done; "
		 "/bin/true warden-test-marker; sleep 0.5; "
		 "kill -INT $tr 2>/dev/null; wait $tr; st=$?; cat $log; rm -f $log; exit $st",
		 getenv("WARDEN_OBJ_DIR") ? getenv("WARDEN_OBJ_DIR") : "build/bpf",
		 wd_test_cli(), transport);
	int st = wd_test_run(cmd, &out);
	if (st || !strstr(out, " /bin/true"))
		printf("%s", out);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, " /bin/true warden-test-marker"));
	assert_non_null(strstr(out, " lost ("));
	assert_non_null(strstr(out, transport));
	free(out);
}

static void trace_exec_prints_live_exec_events(void **state)
{
	(void)state;
	skip_without_ringbuf();
	check_trace_exec("ringbuf");
}

static void trace_exec_over_perfbuf(void **state)
{
	(void)state;
	check_trace_exec("perfbuf");
}

/* ---- the streaming consumer (issue 16) ----------------------------------
 * tests/bpf/stream.bpf.c: unmodified producers (default flags) writing
 * {ts, cpu, magic, seq} records, seq per CPU over every attempt, failed
 * outputs counted per CPU in `lost`. */

#define BIG_SIZE 6000

struct srec {
	uint64_t ts;
	uint32_t cpu;
	uint32_t magic;
	uint64_t seq;
};

struct ssink {
	uint64_t received, bad, lost;
	uint64_t per_cpu[MAX_CPUS], lost_cpu[MAX_CPUS];
	int64_t last_seq[MAX_CPUS];
	size_t size;            /* every record must be this long */
};

static int on_srec(void *ctx, int cpu, const void *data, size_t size)
{
	struct ssink *s = ctx;
	const struct srec *r = data;
	uint64_t tail;

	(void)cpu;
	if (size != s->size || r->magic != MAGIC || r->cpu >= MAX_CPUS ||
	    (int64_t)r->seq <= s->last_seq[r->cpu]) {
		s->bad++;
		return 0;
	}
	if (size == BIG_SIZE) {   /* the far end of a record larger than a page */
		memcpy(&tail, (const uint8_t *)data + size - 8, 8);
		if (tail != r->seq || r->seq % 3 == 2) {
			s->bad++;
			return 0;
		}
	}
	s->last_seq[r->cpu] = (int64_t)r->seq;
	s->per_cpu[r->cpu]++;
	s->received++;
	return 0;
}

static void on_slost(void *ctx, int cpu, uint64_t n)
{
	struct ssink *s = ctx;

	s->lost += n;
	if (cpu >= 0 && cpu < MAX_CPUS)
		s->lost_cpu[cpu] += n;
}

static void ssink_init(struct ssink *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	for (int i = 0; i < MAX_CPUS; i++)
		s->last_seq[i] = -1;
}

struct sworld {
	struct wd_object *obj;
	struct wd_link *link;
	struct wd_events *ev;
	struct ssink sink, sink2;
	pthread_t th;
	volatile int stop;
	int err;
	int poll_timeout_ms;    /* the consumer thread's (0: 50 ms) */
};

/* stream.o loaded, its on_syscall producer attached to getpgid() of this
 * process; a consumer on `ring` with `o` (NULL: the defaults). */
static void sworld_open(struct sworld *w, const char *ring, const struct wd_events_opts *o,
			size_t rec_size)
{
	struct wd_events_opts opts = { .sz = sizeof(opts) };
	uint32_t tgid = (uint32_t)getpid(), nr = SYS_getpgid;

	memset(w, 0, sizeof(*w));
	ssink_init(&w->sink, rec_size);
	ssink_init(&w->sink2, rec_size);
	if (o)
		opts = *o;
	w->obj = wd_object_open(wd_test_obj("stream.o"), NULL);
	assert_non_null(w->obj);
	assert_int_equal(wd_object_set_global(w->obj, "target_tgid", &tgid, sizeof(tgid)), 0);
	assert_int_equal(wd_object_set_global(w->obj, "target_nr", &nr, sizeof(nr)), 0);
	assert_int_equal(wd_object_load(w->obj, NULL), 0);
	w->link = wd_prog_attach_raw_tracepoint(wd_object_prog(w->obj, "on_syscall"), "sys_enter");
	if (!w->link)
		printf("  %s\n", wd_errmsg());
	assert_non_null(w->link);
	opts.lost_map = wd_object_map(w->obj, "lost");
	w->ev = wd_events_new(wd_object_map(w->obj, ring), on_srec, on_slost, &w->sink, &opts);
	if (!w->ev)
		printf("  %s\n", wd_errmsg());
	assert_non_null(w->ev);
}

static void sworld_close(struct sworld *w)
{
	wd_events_free(w->ev);
	wd_link_detach(w->link);
	wd_object_close(w->obj);
}

static void *spoll_thread(void *arg)
{
	struct sworld *w = arg;

	while (!w->stop) {
		int n = wd_events_poll(w->ev, w->poll_timeout_ms ? w->poll_timeout_ms : 50);
		if (n < 0 && n != -EINTR) {
			w->err = n;
			break;
		}
	}
	return NULL;
}

static void consumer_start(struct sworld *w)
{
	w->stop = 0;
	assert_int_equal(pthread_create(&w->th, NULL, spoll_thread, w), 0);
}

static void consumer_stop(struct sworld *w)
{
	w->stop = 1;
	pthread_join(w->th, NULL);
	assert_int_equal(w->err, 0);
}

static void sstats(const struct sworld *w, struct wd_events_consumer_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->sz = sizeof(*st);
	assert_int_equal(wd_events_read_stats(w->ev, st), 0);
}

static void sproduce(const struct sworld *w, const char *prog, uint32_t n)
{
	char pkt[64] = { 0 };
	uint32_t retval = 0, dur = 0;
	int fd = wd_prog_fd(wd_object_prog(w->obj, prog));

	assert_int_equal(wd_sys_prog_test_run(fd, pkt, sizeof(pkt), NULL, NULL, NULL, 0, n,
					      &retval, &dur), 0);
	assert_int_equal(retval, XDP_PASS);
}

static void traced_syscalls(int n, int gap_us)
{
	for (int i = 0; i < n; i++) {
		syscall(SYS_getpgid, 0);
		if (gap_us)
			usleep(gap_us);
	}
}

static void wait_received(const struct ssink *s, uint64_t n, int ms)
{
	for (int i = 0; i < ms && *(volatile uint64_t *)&s->received < n; i++)
		usleep(1000);
}

/* A producer on every CPU, a 64 KiB ring wrapping many times and filling:
 * every attempt is either received (once, in order per CPU) or counted lost. */
struct cpu_producer { struct sworld *w; int cpu; uint32_t runs, per_run; };

static void *cpu_producer_thread(void *arg)
{
	struct cpu_producer *p = arg;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(p->cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return (void *)1;
	for (uint32_t i = 0; i < p->runs; i++)
		sproduce(p->w, "produce", p->per_run);
	return NULL;
}

static void streaming_every_cpu_wrapping_every_record_once(void **state)
{
	enum { MAX_PRODUCERS = 64, RUNS = 100, PER_RUN = 1000 };
	struct sworld w;
	struct cpu_producer p[MAX_PRODUCERS];
	pthread_t th[MAX_PRODUCERS];
	struct wd_events_consumer_stats st;
	cpu_set_t allowed;
	int nr = 0;
	void *ret;
	(void)state;
	skip_without_ringbuf();
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	if (CPU_COUNT(&allowed) < 2)
		WD_SKIP("needs two CPUs (one producer on each)");

	sworld_open(&w, "rb", NULL, sizeof(struct srec));
	consumer_start(&w);
	for (int c = 0; c < MAX_CPUS && nr < MAX_PRODUCERS; c++) {
		if (!CPU_ISSET(c, &allowed))
			continue;
		p[nr] = (struct cpu_producer){ .w = &w, .cpu = c, .runs = RUNS, .per_run = PER_RUN };
		assert_int_equal(pthread_create(&th[nr], NULL, cpu_producer_thread, &p[nr]), 0);
		nr++;
	}
	for (int i = 0; i < nr; i++) {
		pthread_join(th[i], &ret);
		assert_null(ret);
	}
	consumer_stop(&w);
	assert_true(wd_events_consume(w.ev) >= 0);
	sstats(&w, &st);
	printf("  %d producers: received %lu, lost %lu; wake-ups %lu, polls %lu\n", nr,
	       (unsigned long)w.sink.received, (unsigned long)w.sink.lost,
	       (unsigned long)st.wakeups, (unsigned long)st.polls);
	assert_int_equal(w.sink.bad, 0);
	for (int i = 0; i < nr; i++)
		assert_int_equal(w.sink.per_cpu[p[i].cpu] + w.sink.lost_cpu[p[i].cpu],
				 RUNS * PER_RUN);
	/* 32 bytes a record: the 64 KiB ring went round (at least twice: under
	 * ASan on a loaded host most records are lost, counted above) */
	assert_true(w.sink.received * 32 > 2 * 64 * 1024);
	assert_true(st.stream_entries >= 1);
	sworld_close(&w);
}

/* Idle -> streaming on the first record (one wake-up), streaming while
 * records keep coming (no wake-up), idle after the quiet interval; the
 * libbpf-compatible policy wakes for nearly every record of the same load. */
static void check_transitions(enum wd_events_policy policy)
{
	/* quiet interval 300 ms: a loaded 2-CPU host or a TCG guest may stall
	 * the producing thread for tens of ms, which would be a quiet period */
	struct wd_events_opts o = { .sz = sizeof(o), .policy = policy, .idle_after_us = 300000 };
	struct wd_events_consumer_stats st;
	struct sworld w;

	sworld_open(&w, "rb", &o, sizeof(struct srec));
	consumer_start(&w);
	usleep(20000);
	sstats(&w, &st);
	assert_int_equal(st.streaming, 0);
	traced_syscalls(1, 0);
	wait_received(&w.sink, 1, 1000);
	traced_syscalls(500, 200);
	usleep(800000);
	consumer_stop(&w);
	sstats(&w, &st);
	printf("  %s: %lu records, %lu wake-ups, %lu polls, %lu->streaming, %lu->idle\n",
	       policy == WD_EVENTS_IMMEDIATE ? "immediate" : "streaming",
	       (unsigned long)st.records, (unsigned long)st.wakeups, (unsigned long)st.polls,
	       (unsigned long)st.stream_entries, (unsigned long)st.idle_entries);
	assert_int_equal(st.records, 501);
	assert_int_equal(w.sink.bad, 0);
	if (policy == WD_EVENTS_IMMEDIATE) {
		/* 361-501 seen; fewer when a loaded host keeps the consumer
		 * from going back to sleep between records */
		assert_true(st.wakeups > 50);
		sworld_close(&w);
		return;
	}
	assert_int_equal(st.wakeups, 1);
	assert_int_equal(st.stream_entries, 1);
	assert_int_equal(st.idle_entries, 1);
	assert_int_equal(st.streaming, 0);
	/* idle again: the next record wakes the consumer at once */
	consumer_start(&w);
	traced_syscalls(1, 0);
	wait_received(&w.sink, 502, 1000);
	usleep(800000);
	consumer_stop(&w);
	sstats(&w, &st);
	assert_int_equal(st.records, 502);
	assert_int_equal(st.wakeups, 2);
	assert_int_equal(st.stream_entries, 2);
	assert_int_equal(st.idle_entries, 2);
	sworld_close(&w);
}

static void streaming_idle_streaming_idle(void **state)
{
	(void)state;
	skip_without_ringbuf();
	check_transitions(WD_EVENTS_STREAMING);
}

static void immediate_policy_wakes_per_record(void **state)
{
	(void)state;
	skip_without_ringbuf();
	check_transitions(WD_EVENTS_IMMEDIATE);
}

/* Records every millisecond, the caller polling with a 1 s timeout: the
 * timer (latency_us = 5 ms) bounds how long a record waits, commit to
 * callback, not the caller's timeout. */
static void streaming_latency_bound(void **state)
{
	struct wd_events_opts o = { .sz = sizeof(o), .latency_us = 5000, .latency_stamp = true };
	struct wd_events_consumer_stats st;
	struct sworld w;
	(void)state;
	skip_without_ringbuf();

	sworld_open(&w, "rb", &o, sizeof(struct srec));
	w.poll_timeout_ms = 1000;
	consumer_start(&w);
	traced_syscalls(300, 1000);
	wait_received(&w.sink, 300, 1000);
	consumer_stop(&w);
	sstats(&w, &st);
	printf("  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms over %lu; %lu wake-ups, "
	       "period %.2f ms\n", st.latency_p50_ns / 1e6, st.latency_p99_ns / 1e6,
	       st.latency_max_ns / 1e6, (unsigned long)st.latency_samples,
	       (unsigned long)st.wakeups, st.period_ns / 1e6);
	assert_int_equal(w.sink.received, 300);
	assert_int_equal(st.latency_samples, 300);
	assert_true(st.latency_p50_ns <= 5000000);
	assert_true(st.period_ns <= 5000000);
	/* a consumer without its timer would hold records for up to the
	 * caller's 1 s (p50 ~500 ms); the tail gets slack for a loaded 2-CPU
	 * host and TCG guests (p99 16.8 ms at load 14, 88 ms in a 6.1 guest) */
	assert_true(st.latency_p99_ns < 200000000);
	assert_true(st.latency_max_ns < 500000000);
	assert_true(st.wakeups <= 3);
	sworld_close(&w);
}

/* Idle, a poll without timeout sleeps until the first record wakes it. */
struct forever { struct sworld *w; int n; };

static void *poll_forever_thread(void *arg)
{
	struct forever *f = arg;

	f->n = wd_events_poll(f->w->ev, -1);
	return NULL;
}

static void idle_poll_forever_wakes_on_first_record(void **state)
{
	struct sworld w;
	struct forever f = { .w = &w, .n = -1 };
	struct wd_events_consumer_stats st;
	pthread_t th;
	double t0;
	(void)state;
	skip_without_ringbuf();

	sworld_open(&w, "rb", NULL, sizeof(struct srec));
	assert_int_equal(pthread_create(&th, NULL, poll_forever_thread, &f), 0);
	usleep(100000);
	t0 = wall_seconds();
	traced_syscalls(1, 0);
	pthread_join(th, NULL);
	assert_int_equal(f.n, 1);
	assert_true(wall_seconds() - t0 < 1.0);
	sstats(&w, &st);
	assert_int_equal(st.wakeups, 1);
	assert_int_equal(st.streaming, 1);
	sworld_close(&w);
}

/* The held-back record pins the ring while the consumer lives; freeing it
 * publishes the final position, and nothing is handed over twice. */
static void ring_positions(int map_fd, uint64_t *cons, uint64_t *prod)
{
	long page = sysconf(_SC_PAGESIZE);
	void *c = mmap(NULL, page, PROT_READ, MAP_SHARED, map_fd, 0);
	void *p = mmap(NULL, page, PROT_READ, MAP_SHARED, map_fd, page);

	assert_true(c != MAP_FAILED && p != MAP_FAILED);
	*cons = *(volatile uint64_t *)c;
	*prod = *(volatile uint64_t *)p;
	munmap(c, page);
	munmap(p, page);
}

static void free_publishes_the_final_position(void **state)
{
	struct sworld w;
	struct wd_events_opts imm = { .sz = sizeof(imm), .policy = WD_EVENTS_IMMEDIATE };
	uint64_t cons, prod;
	int fd;
	(void)state;
	skip_without_ringbuf();

	sworld_open(&w, "rb", NULL, sizeof(struct srec));
	fd = wd_map_fd(wd_object_map(w.obj, "rb"));
	sproduce(&w, "produce", 10);
	assert_int_equal(wd_events_poll(w.ev, 0), 10);
	ring_positions(fd, &cons, &prod);
	assert_int_equal(prod, 10 * 32);
	assert_int_equal(cons, prod - 32);              /* one record held back */
	assert_int_equal(wd_events_poll(w.ev, 0), 0);   /* not handed over twice */
	wd_events_free(w.ev);
	ring_positions(fd, &cons, &prod);
	assert_int_equal(cons, prod);
	/* a new consumer finds nothing left over */
	w.ev = wd_events_new_fd(fd, on_srec, NULL, &w.sink, &imm);
	assert_non_null(w.ev);
	assert_int_equal(wd_events_consume(w.ev), 0);
	sproduce(&w, "produce", 5);
	assert_int_equal(wd_events_poll(w.ev, 0), 5);
	ring_positions(fd, &cons, &prod);
	assert_int_equal(cons, prod);                   /* immediate: all published */
	assert_int_equal(w.sink.received, 15);
	assert_int_equal(w.sink.bad, 0);
	sworld_close(&w);
}

/* A round of slow callbacks publishes its position on the way, so that
 * producers do not see a ring fuller than it is: 1,000 records of 32 bytes
 * (32,000 of the 64 KiB ring) handed over in one poll, the consumer
 * position read from the map's own page inside each callback.  Without the
 * publish on the way it stays at 0 until the round ends. */
struct round_watch {
	const volatile uint64_t *consumer_pos;
	uint64_t records, pos_at_last;
};

static int on_watched(void *ctx, int cpu, const void *data, size_t size)
{
	struct round_watch *w = ctx;

	(void)cpu;
	(void)data;
	(void)size;
	w->records++;
	w->pos_at_last = *w->consumer_pos;
	return 0;
}

static void a_long_round_publishes_on_the_way(void **state)
{
	struct sworld w;
	struct round_watch watch = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	const uint64_t ring = 64 * 1024, rec = 32, n = 1000;
	uint64_t cons, prod;
	(void)state;
	skip_without_ringbuf();

	sworld_open(&w, "rb", NULL, sizeof(struct srec));
	int fd = wd_map_fd(wd_object_map(w.obj, "rb"));
	void *pos = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(pos != MAP_FAILED);
	watch.consumer_pos = pos;
	struct wd_events *ev = wd_events_new_fd(fd, on_watched, NULL, &watch, NULL);
	assert_non_null(ev);
	sproduce(&w, "produce", (uint32_t)n);
	ring_positions(fd, &cons, &prod);
	assert_int_equal(prod, n * rec);
	assert_int_equal(cons, 0);
	assert_int_equal(wd_events_poll(ev, 0), (int)n);
	assert_int_equal(watch.records, n);
	printf("consumer position at the last of %llu callbacks: %llu (round start 0, end %llu)\n",
	       (unsigned long long)n, (unsigned long long)watch.pos_at_last, (unsigned long long)(n * rec));
	/* published at most a sixteenth of the ring (and one record) behind */
	assert_true(watch.pos_at_last >= (n - 1) * rec - ring / 16 - rec);
	assert_true(watch.pos_at_last < n * rec);
	wd_events_free(ev);
	ring_positions(fd, &cons, &prod);
	assert_int_equal(cons, prod);
	munmap(pos, page);
	sworld_close(&w);
}

/* Records of 6000 bytes (more than a page) in a 32 KiB ring, one in three
 * discarded by the producer: the others arrive whole, once, in order. */
static void streaming_big_and_discarded_records(void **state)
{
	struct sworld w;
	uint64_t discarded = 0;
	uint32_t key = 0;
	const uint32_t runs = 300, per_run = 20;
	(void)state;
	skip_without_ringbuf();

	sworld_open(&w, "rb_big", NULL, BIG_SIZE);
	consumer_start(&w);
	for (uint32_t i = 0; i < runs; i++)
		sproduce(&w, "produce_big", per_run);
	consumer_stop(&w);
	assert_true(wd_events_consume(w.ev) >= 0);
	assert_int_equal(wd_sys_map_lookup(wd_map_fd(wd_object_map(w.obj, "discarded")), &key,
					   &discarded, 0), 0);
	printf("  %lu received, %lu discarded, %lu lost\n", (unsigned long)w.sink.received,
	       (unsigned long)discarded, (unsigned long)w.sink.lost);
	assert_int_equal(w.sink.bad, 0);
	assert_true(discarded > 0);
	assert_int_equal(w.sink.received + discarded + w.sink.lost, runs * per_run);
	assert_true(w.sink.received * BIG_SIZE > 4 * 32 * 1024);  /* wrapped */
	sworld_close(&w);
}

/* Two rings in one epoll set, each with its own callback: both streams
 * arrive whole; the consumer paces itself on both. */
static void streaming_two_rings_one_consumer(void **state)
{
	struct sworld w;
	cpu_set_t saved;
	struct wd_events_consumer_stats st;
	(void)state;
	skip_without_ringbuf();

	sworld_open(&w, "rb", NULL, sizeof(struct srec));
	assert_int_equal(wd_events_add(w.ev, wd_object_map(w.obj, "rb2"), on_srec, &w.sink2), 0);
	pin_to_cpu0(&saved);
	consumer_start(&w);
	for (int i = 0; i < 100; i++) {
		sproduce(&w, "produce", 1000);
		sproduce(&w, "produce2", 1000);
	}
	consumer_stop(&w);
	assert_true(wd_events_consume(w.ev) >= 0);
	sched_setaffinity(0, sizeof(saved), &saved);
	sstats(&w, &st);
	printf("  rb %lu, rb2 %lu, lost %lu; wake-ups %lu, polls %lu, %lu->streaming\n",
	       (unsigned long)w.sink.received, (unsigned long)w.sink2.received,
	       (unsigned long)w.sink.lost, (unsigned long)st.wakeups, (unsigned long)st.polls,
	       (unsigned long)st.stream_entries);
	assert_int_equal(w.sink.bad + w.sink2.bad, 0);
	assert_true(w.sink.received > 0 && w.sink2.received > 0);
	assert_int_equal(w.sink.received + w.sink2.received + w.sink.lost, 200 * 1000);
	sworld_close(&w);
}

static void bad_policy_options_are_clear_errors(void **state)
{
	struct world w;
	struct wd_events_opts o = { .sz = sizeof(o), .policy = 7 };
	(void)state;

	assert_int_equal(world_open(&w, WD_EVENTS_PERFBUF, 0, 0), 0);
	errno = 0;
	assert_null(wd_events_new(wd_object_map(w.obj, "events_perf"), on_event, NULL, NULL, &o));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "unknown policy 7"));
	o.policy = WD_EVENTS_STREAMING;
	o.min_period_us = 20000;
	o.latency_us = 10000;
	assert_null(wd_events_new(wd_object_map(w.obj, "events_perf"), on_event, NULL, NULL, &o));
	assert_non_null(strstr(wd_errmsg(), "min_period_us 20000 is above latency_us"));
	struct wd_events_consumer_stats st = { .sz = 0 };
	assert_int_equal(wd_events_read_stats(w.ev, &st), -EINVAL);
	world_close(&w);
}

/* ---- perf samples handed over whole and aligned ------------------------ */

#define MAX_SAMPLE 520          /* tests/bpf/perf_sizes.bpf.c */

struct size_sink {
	uint32_t want;          /* the size produced last */
	uint8_t pattern[MAX_SAMPLE];
	uint64_t good, bad;
};

static int on_sized(void *ctx, int cpu, const void *data, size_t size)
{
	struct size_sink *s = ctx;
	/* the kernel pads u32 size + data to 8 bytes and reports the padded size */
	size_t padded = ((s->want + 4 + 7) & ~(size_t)7) - 4;

	(void)cpu;
	if (size != padded || ((uintptr_t)data & 7) || memcmp(data, s->pattern, s->want))
		s->bad++;
	else
		s->good++;
	return 0;
}

/* Every sample size from 1 to 520 bytes, one at a time, through a 2-page
 * perf ring (records wrap round its end often): each arrives once, 8-byte
 * aligned, byte for byte what the program wrote. */
static void perfbuf_every_sample_size_byte_exact(void **state)
{
	struct wd_events_opts o = { .sz = sizeof(o), .perf_pages = 2 };
	static struct size_sink s;
	struct wd_object *obj;
	struct wd_events *ev;
	uint32_t zero = 0, retval = 0, dur = 0;
	char pkt[64] = { 0 };
	int prog_fd;
	(void)state;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < MAX_SAMPLE; i++)
		s.pattern[i] = (uint8_t)(i * 7 + 3);
	obj = wd_object_open(wd_test_obj("perf_sizes.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	assert_int_equal(wd_map_update(wd_object_map(obj, "pattern"), &zero, s.pattern, 0), 0);
	prog_fd = wd_prog_fd(wd_object_prog(obj, "produce_sized"));
	ev = wd_events_new(wd_object_map(obj, "samples"), on_sized, NULL, &s, &o);
	assert_non_null(ev);
	for (s.want = 1; s.want <= MAX_SAMPLE; s.want++) {
		assert_int_equal(wd_map_update(wd_object_map(obj, "size_in"), &zero, &s.want, 0), 0);
		assert_int_equal(wd_sys_prog_test_run(prog_fd, pkt, sizeof(pkt), NULL, NULL, NULL, 0,
						      1, &retval, &dur), 0);
		assert_int_equal(retval, XDP_PASS);
		assert_int_equal(wd_events_consume(ev), 1);
	}
	s.want = 0;
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.good, MAX_SAMPLE);
	wd_events_free(ev);
	wd_object_close(obj);
}

/* warden_ring_wakeup_bytes = N: only the record that takes the bytes waiting
 * across a multiple of N wakes a reader (bpf/include/warden_events.h).  A
 * reader asleep in edge-triggered epoll on the ring sees one wake-up per
 * crossing while nothing is consumed: 40 records of 24 bytes (16 + the
 * kernel's 8-byte header) against N = 256 cross 256, 512 and 768.  Forcing
 * a wake-up with every record past N woke it 30 times. */
static void ringbuf_producer_wakes_once_per_threshold_crossing(void **state)
{
	(void)state;
	skip_without_ringbuf();
	struct wd_object *obj = wd_object_open(wd_test_obj("events.o"), NULL);
	uint64_t n = 256;
	assert_non_null(obj);
	assert_int_equal(wd_events_prepare(obj, "events", WD_EVENTS_RINGBUF), WD_EVENTS_RINGBUF);
	assert_int_equal(wd_map_set_max_entries(wd_object_map(obj, "events"), 16384), 0);
	assert_int_equal(wd_object_set_global(obj, "warden_ring_wakeup_bytes", &n, sizeof(n)), 0);
	if (wd_object_load(obj, NULL))
		fail_msg("load: %s", wd_errmsg());
	struct world w = { .obj = obj, .prog_fd = wd_prog_fd(wd_object_prog(obj, "produce")) };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
	assert_true(ep >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, wd_map_fd(wd_object_map(obj, "events")), &ev), 0);
	assert_int_equal(epoll_wait(ep, &out, 1, 0), 0);  /* an empty ring: no edge */
	int wakes = 0;
	for (int i = 0; i < 40; i++) {
		produce(&w, 1);
		/* the wake-up runs from irq_work, at once in practice: 10 ms */
		wakes += epoll_wait(ep, &out, 1, 10);
	}
	printf("40 records, threshold %llu bytes: %d wake-ups\n", (unsigned long long)n, wakes);
	assert_int_equal(wakes, 3);
	close(ep);
	wd_object_close(obj);
}

static const struct CMUnitTest events_tests[] = {
	cmocka_unit_test(trace_exec_prints_live_exec_events),
	cmocka_unit_test(trace_exec_over_perfbuf),
	cmocka_unit_test(ringbuf_n_events_n_received_in_order),
	cmocka_unit_test(perfbuf_n_events_n_received_in_order),
	cmocka_unit_test(ringbuf_concurrent_received_plus_lost_is_produced),
	cmocka_unit_test(perfbuf_concurrent_received_plus_lost_is_produced),
	cmocka_unit_test(ringbuf_overflow_exact_lost_count),
	cmocka_unit_test(ringbuf_producer_wakes_once_per_threshold_crossing),
	cmocka_unit_test(perfbuf_overflow_lost_records_reported),
	cmocka_unit_test(ringbuf_poll_timeout_sleeps),
	cmocka_unit_test(perfbuf_poll_timeout_sleeps),
	cmocka_unit_test(ringbuf_callback_error_stops_and_keeps_the_rest),
	cmocka_unit_test(wrong_map_type_is_a_clear_error),
	cmocka_unit_test(auto_falls_back_to_perfbuf_without_ringbuf),
	cmocka_unit_test(streaming_every_cpu_wrapping_every_record_once),
	cmocka_unit_test(streaming_idle_streaming_idle),
	cmocka_unit_test(immediate_policy_wakes_per_record),
	cmocka_unit_test(streaming_latency_bound),
	cmocka_unit_test(idle_poll_forever_wakes_on_first_record),
	cmocka_unit_test(free_publishes_the_final_position),
	cmocka_unit_test(a_long_round_publishes_on_the_way),
	cmocka_unit_test(streaming_big_and_discarded_records),
	cmocka_unit_test(streaming_two_rings_one_consumer),
	cmocka_unit_test(bad_policy_options_are_clear_errors),
	cmocka_unit_test(perfbuf_every_sample_size_byte_exact),
};
WD_TEST_SET(events_set, "consumers", events_tests);
