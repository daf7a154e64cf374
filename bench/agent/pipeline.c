// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/agent/pipeline: the agent's whole user-space pipeline, end to end
 * through the kernel, against the transport's ceiling (issue 11: at least
 * 1 M events/s turned into JSON on this 2-core machine).
 *
 *   producer (CPU 0)  a thread calling getpgid() in a tight loop; per call
 *                     pipeline.bpf.c commits K events in the agent's wire
 *                     format (bpf/include/warden_agent.h; exec as argv chunk
 *                     + event) into a ring buffer through wd_events_output
 *                     (bpf/include/warden_events.h), with the wake-up policy
 *                     the engine sets (warden_ring_wakeup_bytes = ring / 4)
 *   consumer (CPU 1)  "warden": wd_agent_consume_fd (agent/engine.c: the
 *                     engine's consumer options, the streaming consumer of
 *                     include/warden/events.h, on_record -> agent/decode.c
 *                     with chunk reassembly) -> a callback doing what
 *                     cli/run.c's does: agent/json.c's line, written through
 *                     agent/file_output.c, flushed after every poll (as
 *                     `warden run` does), to a file or /dev/null; and
 *                     with a callback that only counts (consumer + decoder).
 *                     "libbpf": ring_buffer__poll with a callback that only
 *                     counts (a poll that timed out is followed by
 *                     ring_buffer__consume, since the producer skips
 *                     wake-ups below a quarter of the ring: the agent's
 *                     consumer does the same round)
 *
 * The producer is faster than any consumer at K = 16 and 64: the ring
 * fills, commits fail and are counted; events/s is then what the consumer
 * turns into JSON.  Per phase: events/s generated and turned into JSON
 * lines (lines / time from the producer's start to the last line
 * written), consumer CPU ns per event (thread CPU time), drops as the
 * kernel side counts them (failed commits of events and chunks; the ring's
 * lost counter events_lost) and as the agent counts them (its received
 * events, incomplete chunk sets, output errors); received + dropped must
 * equal generated, and lines must equal received: checked, "ok" or "!!".
 *
 * The wake-up policy is the agent's: below a quarter of the ring the
 * producer commits with BPF_RB_NO_WAKEUP, above it with BPF_RB_FORCE_WAKEUP,
 * an irq_work self-interrupt on the producer's CPU per commit while the
 * ring stays above (counted: "wake/ev", above the host's own irq_work rate).
 * The consumer publishes its position once per round (lib/events/ringbuf.c
 * rb_consume), and a round of slow callbacks (JSON: ~600 ns a record) can
 * last milliseconds: meanwhile the ring looks more than a quarter full and
 * every commit pays the interrupt (on this VM a self-IPI, an x2APIC MSR
 * write that exits to the hypervisor: 43% of all CPU samples in a perf
 * profile of this benchmark).  The producer then slows down instead of
 * dropping.  -w 0 is the kernel's own policy (a wake-up only when
 * the ring looked empty), -w N another threshold.
 *
 *   bench_agent_pipeline [-d SECONDS] [-r ROUNDS] [-f FILE] [-w WAKEUP_BYTES]
 *                        [-l LATENCY_MS] PRODUCER.o
 *
 * FILE (default /tmp/warden-pipeline.PID.json) is removed after each phase.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "agent/engine.h"
#include "../bench_clock.h"
#include "agent/file_output.h"
#include "agent/json.h"
#include "bpf/include/warden_agent.h"
#include "warden/events.h"
#include "warden/features.h"
#include "warden/link.h"
#include "warden/warden.h"

/* pipeline.bpf.c's */
#define TPL_MAX 1024
enum { T_CHUNK, T_EXEC, T_OPEN, T_CONNECT, T_FORK, T_EXIT, T__COUNT };
struct tpl {
	uint32_t size, pad;
	uint8_t data[TPL_MAX];
};
struct producer_bss {
	uint32_t target_pid, per_call;
	uint64_t seq, chunk_ids;
	uint64_t events, events_failed;
	uint64_t chunks, chunks_failed;
	uint64_t irq_work;
};

enum arm { ARM_FILE, ARM_NULL, ARM_DECODE, ARM_LIBBPF, NR_ARMS };
static const char *const arm_names[NR_ARMS] = { "warden -> file", "warden -> /dev/null",
						"warden decode only", "libbpf (count)" };

struct result {
	double secs;                  /* producer start -> last record handled */
	double cons_cpu, prod_cpu;    /* thread CPU time, s */
	uint64_t syscalls;
	struct producer_bss g;        /* the kernel side's counts */
	uint64_t ring_lost;           /* events_lost: every failed commit */
	uint64_t received;            /* events: the agent's received (libbpf: counted) */
	uint64_t records;             /* libbpf: events + chunks */
	uint64_t lines, line_bytes;   /* JSON lines written */
	struct wd_event_stats st;     /* the agent's counters */
};

struct producer {
	struct wd_object *obj;
	struct wd_link *link, *irq;
	struct wd_map *bss, *lost;
	int ring_fd;
	uint32_t ring_bytes;
};

struct phase {
	enum arm arm;
	uint32_t per_call;
	struct producer *p;
	double duration;
	const char *file;
	volatile int producer_done, consumer_ready, failed;
	double t_start;
	struct result r;
	/* the consumer's output side (warden arms) */
	struct wd_json_writer jw;
	struct wd_output *out;
	uint64_t json_errors;
};

static int ncpus;
static long long wake_bytes = -1;   /* -w: warden_ring_wakeup_bytes; -1: the agent's, ring / 4 */
static unsigned int latency_ms;     /* -l: the consumer's latency bound; 0: the agent's (100 ms) */

/* "0.93 1.18 1.12": the first three fields of /proc/loadavg */
static const char *loadavg(void)
{
	static char buf[128];
	FILE *f = fopen("/proc/loadavg", "r");
	char *p = buf;

	if (!f || !fgets(buf, sizeof(buf), f))
		snprintf(buf, sizeof(buf), "?");
	if (f)
		fclose(f);
	for (int spaces = 0; *p && *p != '\n'; p++)
		if (*p == ' ' && ++spaces == 3)
			break;
	*p = '\0';
	return buf;
}

/* ---- the records: realistic templates ----------------------------------- */

static size_t put_strs(struct wa_event *e, const char *const s[WA_NSTR])
{
	char *p = (char *)(e + 1);

	for (int i = 0; i < WA_NSTR; i++) {
		size_t n = s[i] ? strlen(s[i]) : 0;

		e->str[i].len = (uint16_t)n;
		e->str[i].true_len = (uint32_t)n;
		memcpy(p, s[i] ? s[i] : "", n);
		p += n;
	}
	return (size_t)(p - (char *)e);
}

static void base(struct wa_event *e, enum wa_kind k)
{
	memset(e, 0, sizeof(*e));
	e->hdr.rec = WA_REC_EVENT;
	e->hdr.kind = k;
	e->hdr.flags = WA_F_BOOT_CLOCK | WA_F_PARENT;
	e->proc.ppid = e->proc.ns_ppid = (uint32_t)getppid();
	e->proc.uid = e->proc.gid = e->proc.euid = e->proc.egid = 1000;
	e->proc.auid = 1000;
	e->proc.sessionid = 3;
	e->proc.cgroup_id = 4242;
	e->proc.start_ns = 99999999;
	e->proc.pstart_ns = 1234;
	for (int i = 0; i < 6; i++)
		e->proc.ns[i] = 4026531835u + (uint32_t)i;
	memcpy(e->proc.comm, "python3", 8);
	memcpy(e->proc.pcomm, "bash", 5);
}

static const char ARGV[] = "python3\0-m\0http.server\0--bind\0127.0.0.1\0" "8080";  /* + NUL */

static int put_tpl(struct producer *p, uint32_t key, struct tpl *t)
{
	if (wd_map_update(wd_object_map(p->obj, "tpl"), &key, t, 0))
		return fprintf(stderr, "bench: template %u: %s\n", key, wd_errmsg()), -1;
	return 0;
}

static int fill_templates(struct producer *p)
{
	static struct tpl t;
	struct wa_event *e = (struct wa_event *)t.data;
	struct wa_chunk *c = (struct wa_chunk *)t.data;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	c->hdr.rec = WA_REC_CHUNK;
	c->hdr.kind = WA_K_EXEC;
	c->index = 0;
	c->len = sizeof(ARGV);
	c->offset = 0;
	memcpy(c + 1, ARGV, sizeof(ARGV));
	t.size = sizeof(*c) + sizeof(ARGV);
	rc |= put_tpl(p, T_CHUNK, &t);

	memset(&t, 0, sizeof(t));
	base(e, WA_K_EXEC);
	e->exec.ino = 777;
	e->exec.dev = 8 << 20 | 1;
	e->exec.ctime_ns = 1700000000000000000ull;
	e->exec.args_true_len = sizeof(ARGV);
	e->exec.args_sent = sizeof(ARGV);
	e->exec.nchunks = 1;
	t.size = put_strs(e, (const char *const[]){ "/usr/bin/python3", "/home/user/project", NULL });
	rc |= put_tpl(p, T_EXEC, &t);

	memset(&t, 0, sizeof(t));
	base(e, WA_K_FILE_OPEN);
	e->file.ino = 1234567;
	e->file.dev = 8 << 20 | 1;
	e->file.flags = O_WRONLY | O_CREAT;
	e->file.mode = 0644;
	e->file.uid = e->file.gid = 1000;
	e->file.ret = 3;
	e->file.dirfd = e->file.dirfd2 = AT_FDCWD;
	t.size = put_strs(e, (const char *const[]){ "/var/lib/app/cache/objects/4f/3a9e1c0d2b7f.tmp", NULL,
						    NULL });
	rc |= put_tpl(p, T_OPEN, &t);

	memset(&t, 0, sizeof(t));
	base(e, WA_K_NET_CONNECT);
	e->net.family = 2;
	e->net.protocol = 6;
	memcpy(e->net.saddr, "\x0a\x00\x00\x05", 4);
	memcpy(e->net.daddr, "\x5d\xb8\xd8\x22", 4);
	e->net.sport = 40000;
	e->net.dport = 443;
	t.size = put_strs(e, (const char *const[]){ NULL, NULL, NULL });
	rc |= put_tpl(p, T_CONNECT, &t);

	memset(&t, 0, sizeof(t));
	base(e, WA_K_FORK);
	e->other.target_pid = 5555;
	e->other.flags = 0x1200011;
	t.size = put_strs(e, (const char *const[]){ NULL, NULL, NULL });
	rc |= put_tpl(p, T_FORK, &t);

	memset(&t, 0, sizeof(t));
	base(e, WA_K_EXIT);
	e->other.exit_code = 0;
	t.size = put_strs(e, (const char *const[]){ NULL, NULL, NULL });
	rc |= put_tpl(p, T_EXIT, &t);
	return rc ? -1 : 0;
}

/* ---- the producer object ------------------------------------------------- */

/* Loaded by libwarden as the engine loads bpf/agent.o: ring size, transport,
 * wake-up threshold (a quarter of the ring, agent/engine.c open_object). */
static int producer_open(struct producer *p, const char *path, uint32_t ring_bytes)
{
	uint64_t wake = wake_bytes >= 0 ? (uint64_t)wake_bytes : ring_bytes / 4;

	memset(p, 0, sizeof(*p));
	p->ring_bytes = ring_bytes;
	p->obj = wd_object_open(path, NULL);
	if (!p->obj)
		return fprintf(stderr, "bench: %s\n", wd_errmsg()), -1;
	if (wd_map_set_max_entries(wd_object_map(p->obj, "events"), ring_bytes) ||
	    wd_events_prepare(p->obj, "events", WD_EVENTS_RINGBUF) != WD_EVENTS_RINGBUF ||
	    wd_object_set_global(p->obj, "warden_ring_wakeup_bytes", &wake, sizeof(wake)) ||
	    wd_object_load(p->obj, NULL))
		return fprintf(stderr, "bench: %s: %s\n", path, wd_errmsg()), -1;
	p->ring_fd = wd_map_fd(wd_object_map(p->obj, "events"));
	p->bss = wd_object_map(p->obj, ".bss");
	p->lost = wd_object_map(p->obj, "events_lost");
	if (!p->bss || !p->lost || fill_templates(p))
		return fprintf(stderr, "bench: %s: no .bss or events_lost map\n", path), -1;
	/* attached once (a detach waits for an RCU grace period): the program
	 * returns at once for any other process or syscall */
	p->link = wd_prog_attach_raw_tracepoint(wd_object_prog(p->obj, "produce"), "sys_enter");
	if (!p->link)
		return fprintf(stderr, "bench: attach: %s\n", wd_errmsg()), -1;
	p->irq = wd_prog_attach_tracepoint(wd_object_prog(p->obj, "count_irq_work"), "irq_vectors",
					   "irq_work_entry");
	if (!p->irq)
		return fprintf(stderr, "bench: attach: %s\n", wd_errmsg()), -1;
	return 0;
}

static void producer_close(struct producer *p)
{
	if (p->link)
		wd_link_detach(p->link);
	if (p->irq)
		wd_link_detach(p->irq);
	wd_object_close(p->obj);
	memset(p, 0, sizeof(*p));
}

static int bss_write(struct producer *p, const struct producer_bss *g)
{
	uint32_t zero = 0;

	return wd_map_update(p->bss, &zero, g, 0);
}

static int bss_read(struct producer *p, struct producer_bss *g)
{
	uint32_t zero = 0;

	return wd_map_lookup(p->bss, &zero, g);
}

static uint64_t lost_sum(struct producer *p, bool reset)
{
	uint64_t *v = calloc(ncpus, sizeof(*v)), sum = 0;
	uint32_t zero = 0;

	if (!v)
		return 0;
	if (reset)
		wd_map_update(p->lost, &zero, v, 0);
	else if (!wd_map_lookup(p->lost, &zero, v))
		for (int i = 0; i < ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* ---- consumers ------------------------------------------------------------ */

/* cli/run.c's emit(): the line once, then every output */
static int on_event(void *ctx, const struct wd_event *ev)
{
	struct phase *ph = ctx;
	const char *line;
	size_t len;

	if (ph->arm == ARM_DECODE) {   /* the consumer and the decoder alone */
		ph->r.lines++;
		return 0;
	}
	if (wd_json_event(&ph->jw, ev, &line, &len)) {
		ph->json_errors++;
		return 0;
	}
	if (ph->out->ops->write(ph->out, ev, line, len))
		return -EIO;   /* counted by the decoder as an output error */
	ph->r.lines++;
	ph->r.line_bytes += len + 1;
	return 0;
}

static void consume_warden(struct phase *ph)
{
	struct wd_agent_opts o = { .sz = sizeof(o), .filter.uid = -1, .ring_bytes = ph->p->ring_bytes,
				   .latency_ms = latency_ms };
	struct wd_file_output_opts fo = { .path = ph->arm == ARM_FILE ? ph->file : "/dev/null" };
	struct wd_agent *a;
	char err[512];
	double c0;

	if (wd_json_writer_init(&ph->jw, NULL) ||
	    !(ph->out = wd_file_output_open(&fo, err, sizeof(err)))) {
		fprintf(stderr, "bench: output: %s\n", ph->out ? "" : err);
		ph->failed = 1;
		goto out;
	}
	a = wd_agent_consume_fd(&o, ph->p->ring_fd, on_event, ph, err, sizeof(err));
	if (!a) {
		fprintf(stderr, "bench: %s\n", err);
		ph->failed = 1;
		goto out;
	}
	c0 = thread_cpu();
	ph->consumer_ready = 1;
	/* cli/run.c run_loop: poll up to the latency bound, flush */
	while (!ph->producer_done) {
		wd_agent_poll(a, 100);
		wd_file_output_flush(ph->out);
	}
	while (wd_agent_poll(a, 0) > 0)
		wd_file_output_flush(ph->out);
	wd_file_output_flush(ph->out);
	ph->r.secs = now() - ph->t_start;
	ph->r.cons_cpu = thread_cpu() - c0;
	wd_agent_get_stats(a, &ph->r.st);
	wd_agent_stop(a);
	wd_file_output_flush(ph->out);   /* anything stop drained (nothing expected) */
	for (int k = 0; k < WD_EV__COUNT; k++)
		ph->r.received += ph->r.st.received[k];
out:
	if (ph->out)
		ph->out->ops->close(ph->out);
	ph->out = NULL;
	wd_json_writer_free(&ph->jw);
	ph->consumer_ready = 1;
}

static int count_cb(void *ctx, void *data, size_t size)
{
	struct phase *ph = ctx;
	const struct wa_hdr *h = data;

	ph->r.records++;
	if (size >= sizeof(*h) && h->rec == WA_REC_EVENT)
		ph->r.received++;
	return 0;
}

static void consume_libbpf(struct phase *ph)
{
	struct ring_buffer *rb = ring_buffer__new(ph->p->ring_fd, count_cb, ph, NULL);
	double c0;

	if (!rb) {
		fprintf(stderr, "bench: ring_buffer__new: %s\n", strerror(errno));
		ph->failed = 1;
		ph->consumer_ready = 1;
		return;
	}
	c0 = thread_cpu();
	ph->consumer_ready = 1;
	while (!ph->producer_done)
		if (ring_buffer__poll(rb, 100) == 0)
			ring_buffer__consume(rb);
	while (ring_buffer__consume(rb) > 0)
		;
	ph->r.secs = now() - ph->t_start;
	ph->r.cons_cpu = thread_cpu() - c0;
	ring_buffer__free(rb);
}

static void *consumer_thread(void *arg)
{
	struct phase *ph = arg;

	pin(1);
	if (ph->arm == ARM_LIBBPF)
		consume_libbpf(ph);
	else
		consume_warden(ph);
	return NULL;
}

static void *producer_thread(void *arg)
{
	struct phase *ph = arg;
	double end, c0;
	uint64_t n = 0;

	pin(0);
	c0 = thread_cpu();
	ph->t_start = now();
	end = ph->t_start + ph->duration;
	do {
		for (int i = 0; i < 256; i++)
			syscall(SYS_getpgid, 0);
		n += 256;
	} while (now() < end);
	ph->r.syscalls = n;
	ph->r.prod_cpu = thread_cpu() - c0;
	return NULL;
}

static int run_phase(struct phase *ph)
{
	struct producer_bss g = { .target_pid = (uint32_t)getpid(), .per_call = ph->per_call };
	pthread_t ct, pt;

	memset(&ph->r, 0, sizeof(ph->r));
	ph->producer_done = ph->consumer_ready = ph->failed = 0;
	ph->json_errors = 0;
	if (bss_write(ph->p, &g))
		return fprintf(stderr, "bench: .bss: %s\n", wd_errmsg()), -1;
	lost_sum(ph->p, true);
	pthread_create(&ct, NULL, consumer_thread, ph);
	while (!ph->consumer_ready)
		usleep(1000);
	if (ph->failed) {
		pthread_join(ct, NULL);
		return -1;
	}
	pthread_create(&pt, NULL, producer_thread, ph);
	pthread_join(pt, NULL);
	ph->producer_done = 1;
	pthread_join(ct, NULL);
	if (bss_read(ph->p, &ph->r.g))
		return fprintf(stderr, "bench: .bss: %s\n", wd_errmsg()), -1;
	ph->r.ring_lost = lost_sum(ph->p, false);
	if (ph->arm == ARM_FILE)
		unlink(ph->file);
	return ph->failed ? -1 : 0;
}

/* ---- printing ---------------------------------------------------------------- */

static void print_header(void)
{
	printf("%-20s %5s %3s %8s %5s %7s %7s %8s %6s %9s %8s %8s %9s %7s %6s  %s\n", "consumer", "ring", "K",
	       "gen-Mev/s", "pcpu%", "prod-ns", "wake/ev", "JSON-Mev/s", "drop%", "cons-ns/ev", "Mev/cpu-s", "lost", "failed e+c",
	       "incompl", "MB/s", "received + dropped = generated");
}

static bool check(const struct result *r, enum arm arm, char *buf, size_t len)
{
	uint64_t dropped = r->g.events_failed;
	bool ok = r->received + dropped == r->g.events && r->ring_lost == r->g.events_failed + r->g.chunks_failed;

	if (arm != ARM_LIBBPF)
		ok = ok && r->lines == r->received && !r->st.output_errors;
	else
		ok = ok && r->records == r->received + r->g.chunks - r->g.chunks_failed;
	snprintf(buf, len, "%s %llu + %llu = %llu", ok ? "ok" : "!!", (unsigned long long)r->received,
		 (unsigned long long)dropped, (unsigned long long)r->g.events);
	return ok;
}

/* irq_work interrupts on CPU 0 per event, above the host's own rate
 * (irq_bg_per_s, measured with the producer attached and silent) */
static double irq_bg_per_s;

static double wakeups_per_event(const struct result *r)
{
	double w = (double)r->g.irq_work - irq_bg_per_s * r->secs;

	return (w > 0 ? w : 0) / (double)(r->g.events ? r->g.events : 1);
}

/* The host's irq_work rate on CPU 0 with nothing produced. */
static void measure_irq_background(struct producer *p)
{
	struct producer_bss g = { .target_pid = 0 };
	double t0 = now();

	bss_write(p, &g);
	usleep(500000);
	if (!bss_read(p, &g))
		irq_bg_per_s = g.irq_work / (now() - t0);
}

static void print_result(const struct phase *ph, uint32_t ring_mib)
{
	const struct result *r = &ph->r;
	double ev = r->received ? (double)r->received : 1;
	char chk[128];
	bool ok = check(r, ph->arm, chk, sizeof(chk));

	printf("%-20s %4uM %3u %8.3f %5.0f %7.0f %7.4f %8.3f %6.2f %9.0f %8.3f %8llu %4llu+%-4llu %7llu %6.0f  %s\n",
	       arm_names[ph->arm], ring_mib, ph->per_call, r->g.events / r->secs / 1e6,
	       100.0 * r->prod_cpu / ph->duration, r->prod_cpu * 1e9 / (r->g.events ? r->g.events : 1),
	       wakeups_per_event(r),
	       r->received / r->secs / 1e6, r->g.events ? 100.0 * r->g.events_failed / r->g.events : 0,
	       r->cons_cpu * 1e9 / ev, ev / (r->cons_cpu > 0 ? r->cons_cpu : 1) / 1e6,
	       (unsigned long long)r->ring_lost, (unsigned long long)r->g.events_failed,
	       (unsigned long long)r->g.chunks_failed, (unsigned long long)r->st.chunks_incomplete,
	       r->line_bytes / r->secs / 1e6, chk);
	if (!ok)
		printf("  !! lines %llu, output errors %llu, json errors %llu, ring lost %llu, failed "
		       "commits %llu events + %llu chunks, records %llu\n",
		       (unsigned long long)r->lines, (unsigned long long)r->st.output_errors,
		       (unsigned long long)ph->json_errors, (unsigned long long)r->ring_lost,
		       (unsigned long long)r->g.events_failed, (unsigned long long)r->g.chunks_failed,
		       (unsigned long long)r->records);
}

static const uint32_t per_calls[] = { 1, 16, 64 };
#define NR_K (sizeof(per_calls) / sizeof(per_calls[0]))
static const uint32_t rings_mib[] = { 16, 8 };   /* 8 MiB: the agent's default (agent/engine.c) */
#define NR_RINGS (sizeof(rings_mib) / sizeof(rings_mib[0]))

struct sum { double secs, cons_cpu; uint64_t received, events; };
static struct sum sums[NR_RINGS][NR_K][NR_ARMS];

static void add(struct sum *s, const struct result *r)
{
	s->secs += r->secs;
	s->cons_cpu += r->cons_cpu;
	s->received += r->received;
	s->events += r->g.events;
}

static double rate(const struct sum *s)
{
	return s->secs > 0 ? s->received / s->secs : 0;
}

static double ns_per_event(const struct sum *s)
{
	return s->cons_cpu * 1e9 / (double)(s->received ? s->received : 1);
}

static void print_ratios(void)
{
	printf("\nall rounds: events/s turned into JSON lines (M/s), warden's whole pipeline / libbpf counting "
	       "records (the transport's ceiling), same producer; consumer CPU ns per event\n");
	printf("%5s %3s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "ring", "K", "file", "null",
	       "decode", "libbpf", "file/lb", "null/lb", "ns file", "ns null", "ns dec", "ns lb");
	for (size_t i = 0; i < NR_RINGS; i++)
		for (size_t k = 0; k < NR_K; k++) {
			const struct sum *x = sums[i][k];
			double rl = rate(&x[ARM_LIBBPF]);

			printf("%4uM %3u %8.3f %8.3f %8.3f %8.3f %7.2fx %7.2fx %8.0f %8.0f %8.0f %8.0f\n",
			       rings_mib[i], per_calls[k], rate(&x[ARM_FILE]) / 1e6, rate(&x[ARM_NULL]) / 1e6,
			       rate(&x[ARM_DECODE]) / 1e6, rl / 1e6, rl > 0 ? rate(&x[ARM_FILE]) / rl : 0,
			       rl > 0 ? rate(&x[ARM_NULL]) / rl : 0, ns_per_event(&x[ARM_FILE]),
			       ns_per_event(&x[ARM_NULL]), ns_per_event(&x[ARM_DECODE]),
			       ns_per_event(&x[ARM_LIBBPF]));
		}
}

static const char *bytes_str(long long v)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%lld bytes", v);
	return buf;
}

int main(int argc, char **argv)
{
	struct phase ph = { .duration = 2.0 };
	char file[64];
	int rounds = 1, c, bad = 0;

	snprintf(file, sizeof(file), "/tmp/warden-pipeline.%d.json", (int)getpid());
	ph.file = file;
	while ((c = getopt(argc, argv, "d:r:f:w:l:")) != -1) {
		switch (c) {
		case 'w': wake_bytes = atoll(optarg); break;
		case 'l': latency_ms = (unsigned int)atoi(optarg); break;
		case 'd': ph.duration = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'f': ph.file = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: bench_agent_pipeline [-d SEC] [-r ROUNDS] [-f FILE] [-w WAKEUP_BYTES] "
			"[-l LATENCY_MS] PRODUCER.o\n");
		return 2;
	}
	ncpus = wd_cpu_possible_count();
	if (ncpus <= 0)
		return fprintf(stderr, "bench: possible CPUs: %s\n", wd_errmsg()), 1;
	printf("bench/agent pipeline: wake-up threshold %s, consumer latency bound %u ms\n",
	       wake_bytes < 0 ? "ring / 4 (the agent's)" : wake_bytes == 0 ? "none (the kernel's policy)" : bytes_str(wake_bytes),
	       latency_ms ? latency_ms : 100);
	printf("bench/agent pipeline: %.1f s per phase, producer CPU 0 (getpgid loop, K events per call, "
	       "mix 4 open 2 exec (+ argv chunk) 2 connect 1 fork 1 exit), consumer CPU 1; load average "
	       "%s\n",
	       ph.duration, loadavg());
	for (int round = 1; round <= rounds && !bad; round++) {
		printf("\nround %d\n", round);
		print_header();
		for (size_t i = 0; i < NR_RINGS && !bad; i++) {
			struct producer p;

			if (producer_open(&p, argv[optind], rings_mib[i] << 20)) {
				producer_close(&p);
				return 1;
			}
			ph.p = &p;
			measure_irq_background(&p);
			printf("(%u MiB ring: irq_work on CPU 0 with nothing produced: %.0f/s, subtracted)\n",
			       rings_mib[i], irq_bg_per_s);
			for (size_t k = 0; k < NR_K && !bad; k++)
				for (int a = 0; a < NR_ARMS; a++) {
					ph.arm = a;
					ph.per_call = per_calls[k];
					if (run_phase(&ph)) {
						bad = 1;
						break;
					}
					print_result(&ph, rings_mib[i]);
					add(&sums[i][k][a], &ph.r);
				}
			producer_close(&p);
		}
	}
	if (bad)
		return 1;
	print_ratios();
	printf("load average at the end: %s\n", loadavg());
	return 0;
}
