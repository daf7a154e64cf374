// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden trace-exec [--duration SEC] [--json] [--transport T] [--object PATH] */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "warden/events.h"
#include "warden/warden.h"
#include "warden/link.h"

static const char trace_usage[] =
	"usage: warden trace-exec [--duration SEC] [--json] [--transport T] [--object PATH]\n"
	"\n"
	"Print one line per exec on this machine, live, from a small BPF exec tracer\n"
	"(sched:sched_process_exec); at exit, the number of events and of lost ones.\n"
	"\n"
	"  -d, --duration SEC  stop after SEC seconds (default: until Ctrl-C)\n"
	"  -j, --json          one JSON object per line (the summary goes to stderr)\n"
	"  -t, --transport T   ringbuf, perfbuf or auto (default: auto, the ring\n"
	"                      buffer where the kernel has it)\n"
	"  --object PATH       the tracer object (default: bpf/execsnoop.o next to the\n"
	"                      warden binary, or $WARDEN_BPF_DIR/execsnoop.o)\n";

#define FILENAME_LEN 256

/* Must match struct exec_event of bpf/execsnoop.bpf.c. */
struct exec_event {
	uint64_t ts_ns;
	uint32_t pid, ppid, uid, filename_len;
	char comm[16];
	char filename[FILENAME_LEN];
};

struct trace_state {
	bool json;
	uint64_t events, lost;
	int64_t mono_to_real_ns;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void json_string(const char *s, size_t max)
{
	putchar('"');
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_event(const struct trace_state *st, const struct exec_event *e,
			const char *filename, size_t flen)
{
	int64_t real = (int64_t)e->ts_ns + st->mono_to_real_ns;
	time_t sec = real / 1000000000ll;
	struct tm tm;
	char hms[16];

	if (st->json) {
		printf("{\"time_ns\":%lld,\"pid\":%u,\"ppid\":%u,\"uid\":%u,\"comm\":",
		       (long long)real, e->pid, e->ppid, e->uid);
		json_string(e->comm, sizeof(e->comm));
		printf(",\"filename\":");
		json_string(filename, flen);
		printf("}\n");
	} else {
		localtime_r(&sec, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		printf("%s.%03d %-16.16s %7u %7u %5u %.*s\n", hms,
		       (int)(real / 1000000 % 1000), e->comm, e->pid, e->ppid, e->uid,
		       (int)flen, filename);
	}
	fflush(stdout);
}

static int on_exec(void *ctx, int cpu, const void *data, size_t size)
{
	struct trace_state *st = ctx;
	const struct exec_event *e = data;
	size_t head = offsetof(struct exec_event, filename), flen;

	(void)cpu;
	if (size < head)
		return 0;
	flen = size - head;      /* perf buffers pad the record */
	if (flen > e->filename_len)
		flen = e->filename_len;
	st->events++;
	print_event(st, e, e->filename, strnlen(e->filename, flen));
	return 0;
}

static void on_lost(void *ctx, int cpu, uint64_t lost)
{
	struct trace_state *st = ctx;
	st->lost += lost;
	fprintf(stderr, "warden: trace-exec: %llu events lost (cpu %d)\n",
		(unsigned long long)lost, cpu);
}

/* bpf/execsnoop.o next to the binary (build/warden -> build/bpf/), then
 * ../bpf (an installed bin/ + bpf/ layout). */
static const char *default_object(char *buf, size_t size)
{
	const char *dir = getenv("WARDEN_BPF_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (dir && *dir) {
		snprintf(buf, size, "%s/execsnoop.o", dir);
		return buf;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "build/bpf/execsnoop.o";
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	if (snprintf(buf, size, "%s/bpf/execsnoop.o", exe) < (int)size && access(buf, R_OK) == 0)
		return buf;
	if (snprintf(buf, size, "%s/../bpf/execsnoop.o", exe) >= (int)size)
		return "build/bpf/execsnoop.o";
	return buf;
}

static int parse_transport(const char *s, enum wd_events_transport *t)
{
	if (!strcmp(s, "auto"))
		*t = WD_EVENTS_AUTO;
	else if (!strcmp(s, "ringbuf"))
		*t = WD_EVENTS_RINGBUF;
	else if (!strcmp(s, "perfbuf") || !strcmp(s, "perf"))
		*t = WD_EVENTS_PERFBUF;
	else
		return -1;
	return 0;
}

struct trace_opts {
	double duration;
	bool json;
	enum wd_events_transport transport;
	const char *object;
};

static int parse_args(int argc, char **argv, struct trace_opts *o)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "transport", required_argument, NULL, 't' },
		{ "object", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->duration = strtod(optarg, &end);
			if (*end || o->duration <= 0)
				return cli_usage_error("trace-exec", "--duration wants seconds > 0, not '%s'",
						       optarg);
			break;
		case 'j': o->json = true; break;
		case 't':
			if (parse_transport(optarg, &o->transport))
				return cli_usage_error("trace-exec", "--transport is ringbuf, perfbuf or auto");
			break;
		case 'o': o->object = optarg; break;
		case 'h': fputs(trace_usage, stdout); return -1;
		default: return cli_bad_option("trace-exec", argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("trace-exec", "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Open, choose the transport, load, attach: the object, or NULL (reported). */
static struct wd_object *tracer_start(const struct trace_opts *o, int *transport)
{
	struct wd_object *obj = wd_object_open(o->object, NULL);
	struct wd_prog *prog;

	if (!obj) {
		cli_fail("trace-exec", "%s", wd_errmsg());
		return NULL;
	}
	*transport = wd_events_prepare(obj, "events", o->transport);
	if (*transport < 0 || wd_object_load(obj, NULL) < 0)
		goto fail;
	prog = wd_object_prog(obj, "trace_exec");
	if (!prog || !wd_prog_attach(prog))
		goto fail;
	return obj;
fail:
	cli_fail("trace-exec", "%s", wd_errmsg());
	wd_object_close(obj);
	return NULL;
}

static int trace_loop(struct wd_events *ev, double duration)
{
	int64_t end = duration > 0 ? clock_ns(CLOCK_MONOTONIC) + (int64_t)(duration * 1e9) : 0;

	while (!stop) {
		int64_t left = end ? (end - clock_ns(CLOCK_MONOTONIC)) / 1000000 : 200;
		if (end && left <= 0)
			break;
		int n = wd_events_poll(ev, left < 200 ? (int)left : 200);
		if (n < 0 && n != -EINTR)
			return cli_fail("trace-exec", "%s", wd_errmsg());
	}
	return wd_events_consume(ev) < 0 ? cli_fail("trace-exec", "%s", wd_errmsg()) : 0;
}

static int cmd_trace_exec(int argc, char **argv)
{
	struct trace_opts o = { .transport = WD_EVENTS_AUTO };
	struct trace_state st = { 0 };
	struct wd_object *obj;
	struct wd_events *ev;
	char path[PATH_MAX];
	int transport, err;

	if ((err = parse_args(argc, argv, &o)))
		return err < 0 ? 0 : err;
	if (!o.object)
		o.object = default_object(path, sizeof(path));
	st.json = o.json;
	st.mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	if (!(obj = tracer_start(&o, &transport)))
		return 1;
	ev = wd_events_open(obj, "events", transport, on_exec, on_lost, &st, NULL);
	if (!ev) {
		cli_fail("trace-exec", "%s", wd_errmsg());
		wd_object_close(obj);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!o.json)
		printf("%-12s %-16s %7s %7s %5s %s\n", "TIME", "COMM", "PID", "PPID", "UID", "FILENAME");
	fflush(stdout);
	err = trace_loop(ev, o.duration);
	fprintf(o.json ? stderr : stdout, "%llu exec events, %llu lost (%s)\n",
		(unsigned long long)st.events, (unsigned long long)st.lost,
		wd_events_transport_name(transport));
	wd_events_free(ev);
	wd_object_close(obj);
	return err;
}

WD_CLI_COMMAND("trace-exec", cmd_trace_exec, "print exec events live (the demo tracer)");
