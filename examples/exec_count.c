// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A small libwarden program: open a BPF object, load it, attach its program,
 * read its ring buffer (perf buffer on kernels without one) for a while and
 * print how many records came.  Built by `make` against the build tree and,
 * by tests/test_install.c, against an installed tree with pkg-config:
 *
 *   cc exec_count.c $(pkg-config --cflags --libs libwarden) -o exec_count
 *   ./exec_count /usr/local/lib/warden/bpf/execsnoop.o 2
 *
 * The object is warden's exec tracer (bpf/execsnoop.bpf.c): one record per
 * exec, through the maps its WD_EVENTS_MAPS(events, ...) declares.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <warden/events.h>
#include <warden/link.h>
#include <warden/warden.h>

static int on_record(void *ctx, int cpu, const void *data, size_t size)
{
	(void)cpu;
	(void)data;
	(void)size;
	(*(uint64_t *)ctx)++;
	return 0;
}

static void on_lost(void *ctx, int cpu, uint64_t lost)
{
	(void)ctx;
	fprintf(stderr, "exec_count: %llu records lost on cpu %d\n", (unsigned long long)lost, cpu);
}

int main(int argc, char **argv)
{
	uint64_t records = 0;
	struct wd_object *obj;
	struct wd_events *ev;
	struct wd_prog *prog;
	int transport, seconds = argc > 2 ? atoi(argv[2]) : 2;
	time_t end;

	if (argc < 2) {
		fprintf(stderr, "usage: exec_count OBJECT.o [SECONDS]\n");
		return 2;
	}
	obj = wd_object_open(argv[1], NULL);
	if (!obj)
		goto fail;
	transport = wd_events_prepare(obj, "events", WD_EVENTS_AUTO);
	if (transport < 0 || wd_object_load(obj, NULL) < 0)
		goto fail_close;
	prog = wd_object_prog(obj, "trace_exec");
	if (!prog || !wd_prog_attach(prog))
		goto fail_close;
	ev = wd_events_open(obj, "events", transport, on_record, on_lost, &records, NULL);
	if (!ev)
		goto fail_close;
	for (end = time(NULL) + seconds; time(NULL) < end;)
		wd_events_poll(ev, 100);
	wd_events_free(ev);
	wd_object_close(obj);
	printf("%llu exec records in %d s (%s)\n", (unsigned long long)records, seconds,
	       wd_events_transport_name(transport));
	return 0;
fail_close:
	fprintf(stderr, "exec_count: %s\n", wd_errmsg());
	wd_object_close(obj);
	return 1;
fail:
	fprintf(stderr, "exec_count: %s\n", wd_errmsg());
	return 1;
}
