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
#include <sys/resource.h>
#include <time.h>
#include "harness.h"
#include "sys/sys.h"
#include "warden/events.h"
#include "warden/features.h"
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
	assert_int_equal(st.sleeps, 1);
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

/* The demo tracer: an exec made while it runs shows up, with the summary. */
static void check_trace_exec(const char *transport)
{
	char cmd[1024], *out = NULL;
	snprintf(cmd, sizeof(cmd),
		 "(sleep 0.7; /bin/true warden-test-marker) & WARDEN_BPF_DIR=%s %s trace-exec "
		 "--duration 1.5 --transport %s; st=$?; wait; exit $st",
		 getenv("WARDEN_OBJ_DIR") ? getenv("WARDEN_OBJ_DIR") : "build/bpf",
		 wd_test_cli(), transport);
	int st = wd_test_run(cmd, &out);
	if (st)
		printf("%s", out);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, " /bin/true"));
	assert_non_null(strstr(out, " lost ("));
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

static const struct CMUnitTest events_tests[] = {
	cmocka_unit_test(trace_exec_prints_live_exec_events),
	cmocka_unit_test(trace_exec_over_perfbuf),
	cmocka_unit_test(ringbuf_n_events_n_received_in_order),
	cmocka_unit_test(perfbuf_n_events_n_received_in_order),
	cmocka_unit_test(ringbuf_concurrent_received_plus_lost_is_produced),
	cmocka_unit_test(perfbuf_concurrent_received_plus_lost_is_produced),
	cmocka_unit_test(ringbuf_overflow_exact_lost_count),
	cmocka_unit_test(perfbuf_overflow_lost_records_reported),
	cmocka_unit_test(ringbuf_poll_timeout_sleeps),
	cmocka_unit_test(perfbuf_poll_timeout_sleeps),
	cmocka_unit_test(ringbuf_callback_error_stops_and_keeps_the_rest),
	cmocka_unit_test(wrong_map_type_is_a_clear_error),
	cmocka_unit_test(auto_falls_back_to_perfbuf_without_ringbuf),
};
WD_TEST_SET(events_set, "consumers", events_tests);
