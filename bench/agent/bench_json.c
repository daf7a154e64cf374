// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/agent/bench_json: events/s turned into ECS JSON lines (agent/json.c)
 * from synthetic struct wd_event values, one core, and through the file
 * output to /dev/null (agent/file_output.c: buffer + write(2)).  The goal of
 * issue 11: at least 1 M events/s on this 2-core machine.
 *
 *   bench_json [EVENTS]      (default 2,000,000 per mix)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../bench_clock.h"
#include "agent/file_output.h"
#include "agent/json.h"

static struct wd_event_str str(const char *s, size_t n)
{
	return (struct wd_event_str){ .s = s, .len = n, .true_len = n };
}

static void base(struct wd_event *ev, enum wd_event_kind k, uint64_t i)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = k;
	ev->seq = i + 1;
	ev->time_ns = 1764450000000000000ull + i * 1000;
	ev->proc.pid = 1000 + (uint32_t)(i % 30000);
	ev->proc.tid = ev->proc.pid;
	ev->proc.ppid = 1;
	ev->proc.uid = ev->proc.euid = 1000;
	ev->proc.gid = ev->proc.egid = 1000;
	ev->proc.auid = 1000;
	memcpy(ev->proc.comm, "python3", 8);
	ev->proc.exe = "/usr/bin/python3.11";
	ev->proc.cgroup_id = 12345;
	ev->proc.start_ns = 99999999;
	for (int n = 0; n < WD_NS__COUNT; n++)
		ev->proc.ns[n] = 4026531835u + (uint32_t)n;
	ev->parent.pid = 1;
	memcpy(ev->parent.comm, "systemd", 8);
}

/* The mix: 40% open, 20% exec, 20% connect, 10% fork, 10% exit. */
static void make(struct wd_event *ev, uint64_t i)
{
	static const char args[] = "python3\0-m\0http.server\0--bind\0127.0.0.1\0" "8080";
	static const char path[] = "/var/lib/app/cache/objects/4f/3a9e1c0d2b7f.tmp";
	int r = (int)(i % 10);

	if (r < 4) {
		base(ev, WD_EV_FILE_OPEN, i);
		ev->file.path = str(path, sizeof(path) - 1);
		ev->file.inode = 1234567;
		ev->file.flags = 0101;
		ev->file.mode = 0644;
	} else if (r < 6) {
		base(ev, WD_EV_EXEC, i);
		ev->exec.filename = str("/usr/bin/python3", 16);
		ev->exec.args = str(args, sizeof(args));
		ev->exec.argc = 6;
		ev->exec.cwd = str("/home/user/project", 18);
		ev->exec.inode = 777;
	} else if (r < 8) {
		base(ev, WD_EV_NET_CONNECT, i);
		ev->net.family = 2;
		ev->net.protocol = 6;
		memcpy(ev->net.saddr, "\x0a\x00\x00\x05", 4);
		memcpy(ev->net.daddr, "\x5d\xb8\xd8\x22", 4);
		ev->net.sport = 40000;
		ev->net.dport = 443;
	} else if (r < 9) {
		base(ev, WD_EV_FORK, i);
		ev->other.target_pid = 5555;
		ev->other.flags = 0x1200011;
	} else {
		base(ev, WD_EV_EXIT, i);
	}
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	struct wd_json_writer w;
	struct wd_event *evs = calloc(64, sizeof(*evs));
	struct wd_file_output_opts fo = { .path = "/dev/null" };
	struct wd_output *out;
	uint64_t bytes = 0;
	const char *line;
	size_t len;
	char err[256];
	double t0, c0, t, c;

	if (!evs || wd_json_writer_init(&w, NULL))
		return 1;
	for (int i = 0; i < 64; i++)
		make(&evs[i], (uint64_t)i);

	t0 = now();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (uint64_t i = 0; i < n; i++) {
		evs[i & 63].seq = i + 1;
		if (wd_json_event(&w, &evs[i & 63], &line, &len))
			return 1;
		bytes += len;
	}
	t = now() - t0;
	c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("json writer:          %8.2f M events/s per CPU second (%.2f M/s wall)  %5.0f ns/event  %4.0f bytes/line  (%llu events)\n",
	       n / c / 1e6, n / t / 1e6, c * 1e9 / n, (double)bytes / n, (unsigned long long)n);

	out = wd_file_output_open(&fo, err, sizeof(err));
	if (!out) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = now();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (uint64_t i = 0; i < n; i++) {
		evs[i & 63].seq = i + 1;
		if (wd_json_event(&w, &evs[i & 63], &line, &len) ||
		    out->ops->write(out, &evs[i & 63], line, len))
			return 1;
		if ((i & 1023) == 1023)
			wd_file_output_flush(out);
	}
	wd_file_output_flush(out);
	t = now() - t0;
	c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("json + file output:   %8.2f M events/s per CPU second (%.2f M/s wall)  %5.0f ns/event  (to /dev/null, 64 KiB writes)\n",
	       n / c / 1e6, n / t / 1e6, c * 1e9 / n);
	out->ops->close(out);

	fo.text = true;
	out = wd_file_output_open(&fo, err, sizeof(err));
	if (!out)
		return 1;
	t0 = now();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (uint64_t i = 0; i < n; i++)
		out->ops->write(out, &evs[i & 63], NULL, 0);
	wd_file_output_flush(out);
	t = now() - t0;
	c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("text output:          %8.2f M events/s per CPU second (%.2f M/s wall)  %5.0f ns/event\n",
	       n / c / 1e6, n / t / 1e6, c * 1e9 / n);
	out->ops->close(out);
	wd_json_writer_free(&w);
	free(evs);
	return 0;
}
