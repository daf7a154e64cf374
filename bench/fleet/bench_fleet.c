// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/fleet: the fleet sink against a local clickhouse-server (run.sh
 * starts one).  Rows look like exec events: typed columns plus a ~700-byte
 * ECS JSON line whose fields vary per row (pids, times, arguments).
 *
 *   bench_fleet throughput URL SPOOL SECONDS [LEVEL] [RATE]
 *       push for SECONDS (as fast as the sink takes them, or RATE rows/s),
 *       then wait until ClickHouse has every row: rows/s sustained, CPU of the
 *       pushing thread and of the sink's threads per row, bytes per row
 *   bench_fleet fill URL SPOOL ROWS      server down: ROWS into the spool
 *   bench_fleet replay URL SPOOL         server back: spool replay rate
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "fleet/fleet.h"

static double now_s(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double process_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static const char *const programs[] = { "/usr/bin/curl", "/bin/sh", "/usr/bin/python3", "/usr/sbin/sshd",
					"/usr/bin/git", "/usr/lib/systemd/systemd-journald", "/tmp/.x/payload" };

/* One exec-like row; json is the caller's buffer. */
static void make_row(uint64_t seq, char *json, size_t len, struct wd_fleet_row *r)
{
	uint64_t t = (uint64_t)time(NULL) * 1000000000ull + seq * 1000;
	uint32_t pid = 1000 + (uint32_t)(seq * 7919 % 4000000);
	const char *exe = programs[seq % (sizeof(programs) / sizeof(programs[0]))];
	int n = snprintf(json, len,
		"{\"@timestamp\":\"2026-11-29T21:00:%02" PRIu64 ".%09" PRIu64 "Z\",\"event\":{\"kind\":\"event\",\"category\":[\"process\"],"
		"\"type\":[\"start\"],\"action\":\"exec\",\"sequence\":%" PRIu64 "},\"host\":{\"name\":\"bench\",\"id\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\","
		"\"boot\":{\"id\":\"9a8b7c6d-5e4f-3a2b-1c0d-ffeeddccbbaa\"}},\"process\":{\"pid\":%u,\"thread\":{\"id\":%u},"
		"\"name\":\"%.15s\",\"executable\":\"%s\",\"args\":[\"%s\",\"--flag\",\"value-%" PRIu64 "\"],\"args_count\":3,"
		"\"entity_id\":\"9a8b7c6d5e4f3a2b-%u-%" PRIu64 "\",\"parent\":{\"pid\":%u,\"executable\":\"/bin/bash\"},"
		"\"user\":{\"id\":\"1000\"},\"working_directory\":\"/home/user/src\"},\"user\":{\"id\":\"1000\",\"name\":\"user\"},"
		"\"warden\":{\"exec\":{\"inode\":%" PRIu64 ",\"dev\":2049,\"memfd\":false,\"deleted\":false,\"ret\":0},"
		"\"ns\":{\"pid\":4026531836,\"mnt\":4026531840,\"net\":4026531992}}}",
		seq % 60, t % 1000000000u, seq, pid, pid, strrchr(exe, '/') + 1, exe, exe, seq, pid, t, pid - 1,
		seq * 31 % 9000000);
	*r = (struct wd_fleet_row){
		.time_ns = t, .seq = seq, .kind = "exec", .category = "process", .pid = pid, .tid = pid,
		.ppid = pid - 1, .uid = 1000, .gid = 1000, .euid = 1000, .auid = 1000, .comm = strrchr(exe, '/') + 1,
		.exe = exe, .args = exe, .path = exe, .cgroup_id = 4242, .ns_pid = 4026531836u, .ns_mnt = 4026531840u,
		.ns_net = 4026531992u, .json = json, .json_len = (size_t)n, .start_ns = t - 5000, .parent_start_ns = t - 90000,
	};
}

static struct wd_fleet *open_sink(const char *url, const char *spool, int level, bool offline)
{
	char err[512];
	struct wd_fleet_opts o = { .sz = sizeof(o), .spool_dir = spool, .compression_level = level,
				   .allow_offline_start = offline, .spool_max_bytes = 4ull << 30,
				   .retry_min_ms = 100, .retry_max_ms = 1000 };
	if (getenv("BATCH_BYTES"))
		o.batch_bytes = strtoull(getenv("BATCH_BYTES"), NULL, 0);
	struct wd_fleet *f = wd_fleet_open(url, &o, err, sizeof(err));
	if (!f) {
		fprintf(stderr, "bench_fleet: %s\n", err);
		exit(1);
	}
	return f;
}

static void wait_drained(struct wd_fleet *f, uint64_t rows, double max_s)
{
	struct wd_fleet_stats st;
	double t0 = now_s(CLOCK_MONOTONIC);
	do {
		wd_fleet_get_stats(f, &st);
		if (st.rows_sent >= rows && !st.rows_pending)
			return;
		usleep(2000);
	} while (now_s(CLOCK_MONOTONIC) - t0 < max_s);
	fprintf(stderr, "bench_fleet: not drained: %" PRIu64 " of %" PRIu64 " sent (%s)\n", st.rows_sent, rows,
		st.last_error);
	exit(1);
}

static int throughput(const char *url, const char *spool, double seconds, int level, double rate)
{
	struct wd_fleet *f = open_sink(url, spool, level, false);
	struct wd_fleet_stats st;
	char json[2048];
	uint64_t seq = 0, refused = 0;
	double cpu0 = process_cpu_s(), t0 = now_s(CLOCK_MONOTONIC), push_cpu0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	double push_cpu = 0, t;
	while ((t = now_s(CLOCK_MONOTONIC) - t0) < seconds) {
		struct wd_fleet_row r;
		if (rate > 0 && (double)seq >= rate * t) {
			usleep(200);
			continue;
		}
		make_row(seq + 1, json, sizeof(json), &r);
		double c = now_s(CLOCK_THREAD_CPUTIME_ID);
		int e = wd_fleet_push(f, &r);
		push_cpu += now_s(CLOCK_THREAD_CPUTIME_ID) - c;
		if (e) {
			refused++;      /* queue full: the sink's pace */
			usleep(100);
			continue;
		}
		seq++;
	}
	double producer_cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - push_cpu0;
	wait_drained(f, seq, 120);
	double elapsed = now_s(CLOCK_MONOTONIC) - t0;
	double sink_cpu = process_cpu_s() - cpu0 - producer_cpu;
	wd_fleet_close_stats(f, &st);
	printf("rows %" PRIu64 " in %.2f s (pushing %.1f s, then drained): %.0f rows/s into ClickHouse%s\n", seq, elapsed,
	       seconds, (double)seq / elapsed, rate > 0 ? " (paced)" : "");
	printf("push refused (queue full, pushed again): %" PRIu64 "\n", refused);
	printf("cpu: wd_fleet_push %.2f us/row (serialising in the caller's thread); sink threads %.2f us/row "
	       "(gzip, spool write, HTTP)\n", push_cpu * 1e6 / (double)seq, sink_cpu * 1e6 / (double)seq);
	printf("bytes/row: JSONEachRow %.0f, gzip level %d body %.1f, on the wire with HTTP headers %.1f (%.1fx)\n",
	       (double)st.raw_bytes / (double)seq, level ? level : 1, (double)st.body_bytes_sent / (double)st.rows_sent,
	       (double)st.bytes_sent / (double)st.rows_sent, (double)st.raw_bytes / (double)st.body_bytes_sent);
	printf("inserts %" PRIu64 " (%.0f rows each: a backlog goes out as one), failed %" PRIu64 ", refused pushes counted as dropped %" PRIu64 "\n", st.batches_sent,
	       (double)st.rows_sent / (double)st.batches_sent, st.batches_failed, wd_fleet_stats_dropped(&st));
	return 0;
}

static int fill(const char *url, const char *spool, uint64_t rows)
{
	struct wd_fleet *f = open_sink(url, spool, 1, true);
	struct wd_fleet_stats st;
	char json[2048];
	double t0 = now_s(CLOCK_MONOTONIC);
	for (uint64_t seq = 1; seq <= rows; seq++) {
		struct wd_fleet_row r;
		make_row(seq, json, sizeof(json), &r);
		while (wd_fleet_push(f, &r))
			usleep(100);
	}
	wd_fleet_close_stats(f, &st);
	printf("spooled %" PRIu64 " rows in %.2f s (%.0f rows/s to disk, server down): %.1f MB on disk\n",
	       st.rows_pending, now_s(CLOCK_MONOTONIC) - t0, (double)st.rows_pending / (now_s(CLOCK_MONOTONIC) - t0),
	       (double)st.spool_bytes / 1e6);
	return st.rows_pending == rows ? 0 : 1;
}

static int replay(const char *url, const char *spool)
{
	double t0 = now_s(CLOCK_MONOTONIC);
	struct wd_fleet *f = open_sink(url, spool, 1, false);
	struct wd_fleet_stats st;
	wd_fleet_get_stats(f, &st);
	uint64_t rows = st.rows_pending;
	wait_drained(f, rows, 300);
	double dt = now_s(CLOCK_MONOTONIC) - t0;
	wd_fleet_close_stats(f, &st);
	printf("replayed %" PRIu64 " rows (%" PRIu64 " batches) in %.2f s: %.0f rows/s, %.1f MB/s of gzip\n",
	       st.rows_replayed, st.batches_sent, dt, (double)st.rows_replayed / dt,
	       (double)st.body_bytes_sent / dt / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "throughput"))
		return throughput(argv[2], argv[3], atof(argv[4]), argc > 5 ? atoi(argv[5]) : 1,
				  argc > 6 ? atof(argv[6]) : 0);
	if (argc == 5 && !strcmp(argv[1], "fill"))
		return fill(argv[2], argv[3], strtoull(argv[4], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "replay"))
		return replay(argv[2], argv[3]);
	fprintf(stderr, "usage: bench_fleet throughput URL SPOOL SECONDS [LEVEL] [RATE] | fill URL SPOOL ROWS | replay URL SPOOL\n");
	return 2;
}
