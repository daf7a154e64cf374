// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden trace-exec: the agent engine (agent/engine.h) with its filter set to
 * the exec kind, one line per exec (or the agent's ECS JSON line,
 * agent/json.h).  There is one exec tracer in the tree, the agent's: argv,
 * the return code of a failed exec, uid/gid, cgroup id and container id come
 * from it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "agent/engine.h"
#include "agent/file_output.h"
#include "agent/json.h"
#include "warden/events.h"

static const char trace_usage[] =
	"usage: warden trace-exec [OPTIONS]\n"
	"\n"
	"Print one line per exec on this machine, live, from the agent's exec tracer\n"
	"(the exec kind of 'warden run'): the program and its argv, failed execs with\n"
	"their return code, uid/gid, cgroup id and container id; at exit, the number\n"
	"of events and of lost ones.  Needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN.\n"
	"\n"
	"  -d, --duration SEC  stop after SEC seconds (default: until Ctrl-C)\n"
	"  -j, --json          one ECS JSON object per line, as 'warden run' writes\n"
	"                      (the summary goes to stderr)\n"
	"  -u, --uid UID       only execs by this uid (number or user name)\n"
	"  -p, --pid PID       only PID and its descendants\n"
	"  -c, --comm NAME     only execs whose process name (comm) is NAME\n"
	"  -t, --transport T   ringbuf, perfbuf or auto (default: auto, the ring\n"
	"                      buffer where the kernel has it)\n"
	"      --object PATH   the agent's BPF object (agent.o, or the directory that\n"
	"                      holds agent.o and agent_legacy.o); default: bpf/ next to\n"
	"                      the binary, ../lib/warden/bpf (make install), build/bpf,\n"
	"                      or $WARDEN_BPF_DIR\n"
	"  -h, --help          this text\n";

enum { OPT_OBJECT = 256 };

struct trace_opts {
	double duration;
	bool json;
	int transport;
	int32_t uid;
	uint32_t pid;
	const char *comm;
	const char *object;
};

struct trace_state {
	bool json;
	uint64_t events;
	struct wd_json_writer jw;
	struct wd_jbuf line;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- options -------------------------------------------------------- */

static int parse_transport(const char *s, int *t)
{
	if (!strcmp(s, "auto"))
		*t = WD_EVENTS_AUTO;
	else if (!strcmp(s, "ringbuf"))
		*t = WD_EVENTS_RINGBUF;
	else if (!strcmp(s, "perfbuf") || !strcmp(s, "perf"))
		*t = WD_EVENTS_PERFBUF;
	else
		return -EINVAL;
	return 0;
}

static int parse_uid(const char *s, int32_t *uid)
{
	struct passwd *pw;
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s && !*end && !errno && n >= 0 && n < INT32_MAX) {
		*uid = (int32_t)n;
		return 0;
	}
	if (!(pw = getpwnam(s)))
		return -EINVAL;
	*uid = (int32_t)pw->pw_uid;
	return 0;
}

static int parse_pid(const char *s, uint32_t *pid)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (!*s || *end || errno || n <= 0 || n > INT32_MAX)
		return -EINVAL;
	*pid = (uint32_t)n;
	return 0;
}

static int parse_one(struct trace_opts *o, int c, const char *arg)
{
	char *end;

	switch (c) {
	case 'd':
		o->duration = strtod(arg, &end);
		if (*end || !(o->duration > 0))
			return cli_usage_error("trace-exec", "--duration wants seconds > 0, not '%s'", arg);
		return 0;
	case 'u':
		if (parse_uid(arg, &o->uid))
			return cli_usage_error("trace-exec", "--uid: '%s' is neither a uid nor a user name",
					       arg);
		return 0;
	case 'p':
		if (parse_pid(arg, &o->pid))
			return cli_usage_error("trace-exec", "--pid wants a process id > 0, not '%s'", arg);
		return 0;
	case 'c':
		if (!*arg || strlen(arg) > 15)
			return cli_usage_error("trace-exec", "--comm wants 1 to 15 characters (the kernel's "
					       "TASK_COMM_LEN), not '%s'", arg);
		o->comm = arg;
		return 0;
	case 't':
		if (parse_transport(arg, &o->transport))
			return cli_usage_error("trace-exec", "--transport is ringbuf, perfbuf or auto");
		return 0;
	case OPT_OBJECT:
		o->object = arg;
		return 0;
	}
	return 0;
}

/* 0, 2 (usage error, reported), or -1 after --help. */
static int parse_args(int argc, char **argv, struct trace_opts *o)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "uid", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "transport", required_argument, NULL, 't' },
		{ "object", required_argument, NULL, OPT_OBJECT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:ju:p:c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(trace_usage, stdout);
			return -1;
		case '?':
		case ':':
			return cli_bad_option("trace-exec", argv);
		default:
			if ((rc = parse_one(o, c, optarg)))
				return rc;
		}
	}
	if (optind != argc)
		return cli_usage_error("trace-exec", "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* ---- where the agent's objects are ---------------------------------- */

static bool holds_agent_object(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/agent.o", dir);
	if (access(p, R_OK) == 0)
		return true;
	snprintf(p, sizeof(p), "%s/agent_legacy.o", dir);
	return access(p, R_OK) == 0;
}

/* --object PATH: a directory, or agent.o / agent_legacy.o in one (the
 * engine picks between the two by kernel BTF). */
static int object_dir(const char *object, char *dir, size_t len)
{
	struct stat st;
	const char *base = strrchr(object, '/');

	if (stat(object, &st))
		return cli_fail("trace-exec", "--object %s: %s", object, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		snprintf(dir, len, "%s", object);
	} else {
		base = base ? base + 1 : object;
		if (strcmp(base, "agent.o") && strcmp(base, "agent_legacy.o"))
			return cli_fail("trace-exec", "--object %s: not the agent's object: give agent.o "
					"(or agent_legacy.o, or their directory)", object);
		snprintf(dir, len, "%.*s", base == object ? 1 : (int)(base - object - 1),
			 base == object ? "." : object);
	}
	if (!holds_agent_object(dir))
		return cli_fail("trace-exec", "--object %s: no agent.o or agent_legacy.o in %s", object, dir);
	return 0;
}

/* $WARDEN_BPF_DIR, then next to the binary as the build (build/warden,
 * build/bpf/) and `make install` (PREFIX/bin, PREFIX/lib/warden/bpf,
 * agent/agent.mk BPFDIR) lay them out, then build/bpf. */
static int default_dir(char *dir, size_t len)
{
	static const char *const rel[] = { "bpf", "../bpf", "../lib/warden/bpf", "../../bpf" };
	const char *env = getenv("WARDEN_BPF_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(dir, len, "%s", env);
		if (holds_agent_object(dir))
			return 0;
		return cli_fail("trace-exec", "WARDEN_BPF_DIR=%s holds no agent.o or agent_legacy.o: "
				"point it (or --object PATH) at the agent's BPF objects", env);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			if (snprintf(dir, len, "%s/%s", exe, rel[i]) < (int)len && holds_agent_object(dir))
				return 0;
		}
	}
	snprintf(dir, len, "build/bpf");
	if (holds_agent_object(dir))
		return 0;
	return cli_fail("trace-exec", "the agent's BPF object (agent.o) is not next to the binary "
			"(bpf/, ../lib/warden/bpf) nor in build/bpf: give --object PATH or set "
			"WARDEN_BPF_DIR (make install puts it in PREFIX/lib/warden/bpf)");
}

/* ---- output --------------------------------------------------------- */

static void put_text_exec(struct wd_jbuf *b, const struct wd_event *ev)
{
	const struct wd_event_exec *x = &ev->exec;
	const struct wd_event_process *p = &ev->proc;
	time_t sec = (time_t)(ev->time_ns / 1000000000);
	char head[160], hms[16] = "";
	struct tm tm;
	int n;

	if (localtime_r(&sec, &tm))
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	n = snprintf(head, sizeof(head), "%s.%03u %7u %7u %5u %5u %4d %8" PRIu64 " %-12.12s ", hms,
		     (unsigned)(ev->time_ns / 1000000 % 1000), p->pid, p->ppid, p->uid, p->gid, x->ret,
		     p->cgroup_id, p->container_id ? p->container_id : "-");
	if (n > 0 && wd_jbuf_reserve(b, (size_t)n)) {
		memcpy(b->p + b->len, head, (size_t)n);
		b->len += (size_t)n;
	}
	wd_text_put_str(b, p->comm, strnlen(p->comm, sizeof(p->comm)));
	for (const char *s = x->args.s, *end = s ? s + x->args.len : NULL; s && s < end;) {
		const char *z = memchr(s, '\0', (size_t)(end - s));
		size_t len = z ? (size_t)(z - s) : (size_t)(end - s);

		if (wd_jbuf_reserve(b, 1))
			b->p[b->len++] = ' ';
		wd_text_put_str(b, s, len);
		s += len + 1;
	}
	if (!x->args.s && x->filename.s) { /* no argv (the legacy object): the file */
		if (wd_jbuf_reserve(b, 1))
			b->p[b->len++] = ' ';
		wd_text_put_str(b, x->filename.s, strnlen(x->filename.s, x->filename.len));
	}
	if (x->args.truncated && wd_jbuf_reserve(b, 64))
		b->len += (size_t)snprintf(b->p + b->len, 64, " ...(argv cut, %zu bytes)", x->args.true_len);
	if (wd_jbuf_reserve(b, 1))
		b->p[b->len++] = '\n';
}

static int on_event(void *ctx, const struct wd_event *ev)
{
	struct trace_state *st = ctx;
	const char *json;
	size_t len;

	if (ev->kind != WD_EV_EXEC)
		return 0;
	st->events++;
	if (st->json) {
		if (wd_json_event(&st->jw, ev, &json, &len))
			return 0;
		fwrite(json, 1, len, stdout);
		putchar('\n');
		return 0;
	}
	st->line.len = 0;
	st->line.failed = false;
	put_text_exec(&st->line, ev);
	if (!st->line.failed)
		fwrite(st->line.p, 1, st->line.len, stdout);
	return 0;
}

/* ---- the loop ------------------------------------------------------- */

static void install_signals(void)
{
	struct sigaction sa = { 0 };

	/* no SA_RESTART: the engine's epoll_wait returns EINTR at once */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int trace_loop(struct wd_agent *a, double duration)
{
	int64_t end = duration > 0 ? mono_ns() + (int64_t)(duration * 1e9) : 0;

	while (!stop) {
		int64_t left = end ? (end - mono_ns()) / 1000000 : 100;
		if (end && left <= 0)
			break;
		int n = wd_agent_poll(a, left < 100 ? (int)left : 100);
		fflush(stdout);
		if (n < 0 && n != -EINTR)
			return cli_fail("trace-exec", "reading events: %s", strerror(-n));
	}
	return 0;
}

static void fill_opts(const struct trace_opts *o, const char *dir, struct wd_agent_opts *ao)
{
	memset(ao, 0, sizeof(*ao));
	ao->sz = sizeof(*ao);
	ao->filter.kinds = 1ull << WD_EV_EXEC;
	ao->filter.uid = o->uid;
	ao->filter.pid_tree = o->pid;
	ao->filter.comm = o->comm;
	ao->bpf_dir = dir;
	ao->transport = o->transport;
	ao->ring_bytes = 1 << 20;    /* execs are few: 1 MiB, not the agent's 8 */
}

static int trace(const struct trace_opts *o, const char *dir)
{
	struct trace_state st = { .json = o->json };
	struct wd_agent_opts ao;
	struct wd_event_stats es;
	struct wd_agent *a;
	char err[512], transport[32];
	int rc;

	if (wd_json_writer_init(&st.jw, NULL))
		return cli_fail("trace-exec", "out of memory");
	fill_opts(o, dir, &ao);
	install_signals();
	if (!(a = wd_agent_start(&ao, on_event, &st, err, sizeof(err)))) {
		rc = cli_fail("trace-exec", "%s", err);
		goto out;
	}
	/* the readiness line scripts and tests wait for */
	fprintf(stderr, "warden: trace-exec: attached (exec on %s, %s)\n",
		wd_agent_variant(a, WD_EV_EXEC) ? wd_agent_variant(a, WD_EV_EXEC) : "?", wd_agent_transport(a));
	if (!o->json)
		printf("%-12s %7s %7s %5s %5s %4s %8s %-12s %s\n", "TIME", "PID", "PPID", "UID", "GID",
		       "RET", "CGROUP", "CONTAINER", "COMM ARGV");
	fflush(stdout);
	rc = trace_loop(a, o->duration);
	wd_agent_poll(a, 0);
	wd_agent_get_stats(a, &es);
	snprintf(transport, sizeof(transport), "%s", wd_agent_transport(a));
	wd_agent_stop(a);           /* may hand out the last events: summary after it */
	fflush(stdout);
	fprintf(o->json ? stderr : stdout, "%" PRIu64 " exec events, %" PRIu64 " lost (%s)\n", st.events,
		es.dropped[WD_EV_EXEC] + es.lost_ring, transport);
out:
	wd_json_writer_free(&st.jw);
	wd_jbuf_free(&st.line);
	return rc;
}

static int cmd_trace_exec(int argc, char **argv)
{
	struct trace_opts o = { .transport = WD_EVENTS_AUTO, .uid = -1 };
	char dir[PATH_MAX];
	int rc;

	if ((rc = parse_args(argc, argv, &o)))
		return rc < 0 ? 0 : rc;
	if ((rc = o.object ? object_dir(o.object, dir, sizeof(dir)) : default_dir(dir, sizeof(dir))))
		return rc;
	return trace(&o, dir);
}

WD_CLI_COMMAND("trace-exec", cmd_trace_exec, "print exec events live (the agent's exec tracer)");
