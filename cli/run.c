// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden run: the agent.  Settings from /etc/warden/warden.conf and flags
 * (agent/config.h), the engine (agent/engine.h) hands decoded events
 * (agent/event.h) to this file, which writes them as ECS JSON or text lines
 * (agent/json.h, agent/file_output.h) and to the fleet sink (fleet/fleet.h).
 * Every stats_interval seconds a stats record goes into the stream; every
 * second the same record is written to the stats file that `warden stats`
 * reads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "agent/config.h"
#include "fleet/agent_rows.h"
#include "agent/engine.h"
#include "agent/file_output.h"
#include "agent/json.h"
#include "fleet/fleet.h"

static const char run_usage[] =
	"usage: warden run [OPTIONS]\n"
	"\n"
	"The agent: stream what processes, files, sockets and privileges do on this\n"
	"host as ECS JSON lines (or text), until SIGTERM/SIGINT; SIGHUP reopens the\n"
	"output file.  Settings come from /etc/warden/warden.conf, then the flags.\n"
	"Needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN.\n"
	"\n"
	"  -c, --config FILE      config file (default /etc/warden/warden.conf, if it exists)\n"
	"  -o, --output OUT       '-' (stdout, the default), a file path (created 0600,\n"
	"                         appended) or clickhouse://user@host:port/db.table;\n"
	"                         repeat for several; replaces the config's outputs\n"
	"  -f, --format FMT       json (default) or text\n"
	"  -k, --kinds LIST       event kinds or categories, comma-separated (exec,connect,\n"
	"                         file,network...; default all; see docs/events.md)\n"
	"  -u, --uid UID          only events of this uid (number or user name)\n"
	"      --comm NAME        only events of processes with this comm\n"
	"      --cgroup PATH      only events in this cgroup v2 directory\n"
	"      --container ID     only events of this container (id or prefix)\n"
	"      --path-prefix P    file events only under P\n"
	"  -p, --pid-tree PID     only PID and its descendants\n"
	"  -d, --duration SEC     stop after SEC seconds (default: until a signal)\n"
	"      --latency-ms N     deliver events at most N ms late (default 100)\n"
	"      --stats-interval S a stats record in the stream every S seconds (default 60;\n"
	"                         0: none)\n"
	"      --stats-file PATH  counters for 'warden stats', rewritten every second\n"
	"                         (default /run/warden/stats.json; 'none': off)\n"
	"      --ring-size SIZE   ring buffer size, a power of two (default: the engine's)\n"
	"      --rotate-size SIZE rotate the output file past SIZE (100M, 1G; default never)\n"
	"      --rotate-keep N    rotated files kept (default 5)\n"
	"  -t, --transport T      ringbuf, perfbuf or auto (default auto)\n"
	"      --bpf-dir DIR      the agent's BPF objects (default: next to the binary,\n"
	"                         $WARDEN_BPF_DIR, then PREFIX/lib/warden/bpf)\n"
	"      --explain          print which program variant each event kind would run on\n"
	"                         this kernel, and exit\n"
	"  -h, --help             this text\n";

enum {
	OPT_COMM = 256, OPT_CGROUP, OPT_CONTAINER, OPT_PATH_PREFIX, OPT_LATENCY, OPT_STATS_INTERVAL,
	OPT_STATS_FILE, OPT_RING, OPT_ROTATE_SIZE, OPT_ROTATE_KEEP, OPT_BPF_DIR, OPT_EXPLAIN,
};

static const struct option run_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "kinds", required_argument, NULL, 'k' },
	{ "uid", required_argument, NULL, 'u' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "path-prefix", required_argument, NULL, OPT_PATH_PREFIX },
	{ "pid-tree", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	{ "latency-ms", required_argument, NULL, OPT_LATENCY },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
	{ "transport", required_argument, NULL, 't' },
	{ "bpf-dir", required_argument, NULL, OPT_BPF_DIR },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Flag -> (config section, key): one setter for both. */
static const struct { int opt; const char *section, *key; } flag_keys[] = {
	{ 'f', "output", "format" },
	{ 'k', "filter", "kinds" },
	{ 'u', "filter", "uid" },
	{ OPT_COMM, "filter", "comm" },
	{ OPT_CGROUP, "filter", "cgroup" },
	{ OPT_CONTAINER, "filter", "container" },
	{ OPT_PATH_PREFIX, "filter", "path_prefix" },
	{ 'p', "filter", "pid_tree" },
	{ OPT_LATENCY, "agent", "latency_ms" },
	{ OPT_STATS_INTERVAL, "agent", "stats_interval" },
	{ OPT_STATS_FILE, "agent", "stats_file" },
	{ OPT_RING, "agent", "ring_size" },
	{ OPT_ROTATE_SIZE, "output", "rotate_size" },
	{ OPT_ROTATE_KEEP, "output", "rotate_keep" },
	{ 't', "agent", "transport" },
	{ OPT_BPF_DIR, "agent", "bpf_dir" },
};

struct run_args {
	struct wd_agent_config cfg;
	bool explain;
};

/* --config is read before the other flags, which then override the file. */
static const char *find_config_flag(int argc, char **argv, bool *given)
{
	*given = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) && i + 1 < argc) {
			*given = true;
			return argv[i + 1];
		}
		if (!strncmp(argv[i], "--config=", 9)) {
			*given = true;
			return argv[i] + 9;
		}
	}
	return WD_CONFIG_DEFAULT_PATH;
}

static int apply_flag(struct run_args *a, int c, const char *arg)
{
	char err[512];

	if (c == 'o') {
		if (wd_config_add_output(&a->cfg, arg, true, err, sizeof(err)))
			return cli_usage_error("run", "--output: %s", err);
		return 0;
	}
	if (c == 'd') {
		char *end;
		a->cfg.duration = strtod(arg, &end);
		if (*end || !(a->cfg.duration > 0))
			return cli_usage_error("run", "--duration wants seconds > 0, not '%s'", arg);
		return 0;
	}
	for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++) {
		if (flag_keys[i].opt != c)
			continue;
		if (wd_config_set(&a->cfg, flag_keys[i].section, flag_keys[i].key, arg, err, sizeof(err))) {
			for (const struct option *o = run_options; o->name; o++)
				if (o->val == c)
					return cli_usage_error("run", "--%s: %s", o->name, err);
		}
		return 0;
	}
	return cli_usage_error("run", "unknown option");
}

/* 0, 2 (usage or config error, reported), or -1 after --help. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
	char err[640];
	bool given;
	const char *conf = find_config_flag(argc, argv, &given);
	int c, rc;

	if (wd_config_load(&a->cfg, conf, given, err, sizeof(err))) {
		fprintf(stderr, "warden: run: %s\n", err);
		return 2;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:o:f:k:u:p:d:t:h", run_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case OPT_EXPLAIN:
			a->explain = true;
			break;
		case 'h':
			fputs(run_usage, stdout);
			return -1;
		case ':':
			return cli_usage_error("run", "%s needs a value", argv[optind - 1]);
		case '?':
			return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
		default:
			if ((rc = apply_flag(a, c, optarg)))
				return rc;
		}
	}
	if (optind != argc)
		return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (wd_config_finish(&a->cfg, err, sizeof(err))) {
		fprintf(stderr, "warden: run: %s\n", err);
		return 2;
	}
	return 0;
}

/* ---- capabilities ---------------------------------------------------- */

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38   /* since 5.8 (commit 980737282232) */
#define CAP_BPF_BIT 39       /* since 5.8 (commit a17b53c4a4b5) */

static int effective_caps(uint64_t *caps)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "CapEff:", 7)) {
			*caps = strtoull(line + 7, NULL, 16);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* BPF programs of tracing types and their perf events need CAP_BPF and
 * CAP_PERFMON (5.8+), or CAP_SYS_ADMIN (every kernel).  0, or 1 with the
 * missing capabilities named. */
static int check_caps(void)
{
	uint64_t caps = 0;
	bool admin, bpf, perfmon;

	if (effective_caps(&caps))
		return cli_fail("run", "cannot read the capabilities (/proc/self/status): is /proc mounted?");
	admin = caps & (1ull << CAP_SYS_ADMIN_BIT);
	bpf = caps & (1ull << CAP_BPF_BIT);
	perfmon = caps & (1ull << CAP_PERFMON_BIT);
	if (admin || (bpf && perfmon))
		return 0;
	return cli_fail("run", "missing capabilities: needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN "
			"(this process has %s%s%s): run as root, or grant them (systemd: "
			"AmbientCapabilities=CAP_BPF CAP_PERFMON, see dist/warden.service)",
			bpf ? "CAP_BPF, " : "", perfmon ? "CAP_PERFMON, " : "",
			(bpf || perfmon) ? "not CAP_SYS_ADMIN" : "none of them");
}

/* ---- sd_notify ------------------------------------------------------- */

/* systemd's readiness protocol (sd_notify(3)): one datagram to
 * $NOTIFY_SOCKET, '@' for an abstract socket.  No-op outside systemd. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;
	int fd;

	if (!path || !*path || (path[0] != '/' && path[0] != '@'))
		return;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		fprintf(stderr, "warden: run: sd_notify %s: %s\n", path, strerror(errno));
	close(fd);
}

/* ---- the running agent ------------------------------------------------ */

#define MAX_OUTPUTS 2

struct run {
	struct wd_agent_config *cfg;
	struct wd_agent *agent;
	struct wd_output *outs[MAX_OUTPUTS];
	int nouts;
	bool need_json;
	struct wd_json_writer jw;
	struct wd_fleet *fleet;
	uint64_t output_errors;
	uint64_t filtered_user;       /* container filter, applied here */
	uint64_t fleet_dropped;
	char args_buf[4096];          /* fleet row: argv joined by spaces */
};

static volatile sig_atomic_t stop_requested, reopen_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { 0 };

	/* no SA_RESTART: the engine's epoll_wait returns EINTR at once */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool container_matches(const struct wd_agent_config *c, const struct wd_event *ev)
{
	size_t n;

	if (!c->container_id || ev->kind == WD_EV_STATS)
		return true;
	if (!ev->proc.container_id)
		return false;
	n = strlen(c->container_id);
	return !strncmp(ev->proc.container_id, c->container_id, n);
}

/* One event (or stats record) to every output. */
static int emit(struct run *r, const struct wd_event *ev, const char *outputs_stats)
{
	const char *json = NULL;
	size_t len = 0;
	int rc;

	if (r->need_json) {
		rc = ev->kind == WD_EV_STATS ? wd_json_stats(&r->jw, ev, outputs_stats, &json, &len)
					     : wd_json_event(&r->jw, ev, &json, &len);
		if (rc) {
			r->output_errors++;
			return 0;
		}
	}
	for (int i = 0; i < r->nouts; i++)
		if (r->outs[i]->ops->write(r->outs[i], ev, json, len))
			r->output_errors++;
	if (r->fleet) {
		struct wd_fleet_row_buf rb;
		struct wd_fleet_row row;

		wd_fleet_row_from_event(ev, json, len, &rb, &row);
		if (wd_fleet_push(r->fleet, &row))
			r->fleet_dropped++;
	}
	return 0;
}

static int on_event(void *ctx, const struct wd_event *ev)
{
	struct run *r = ctx;

	if (!container_matches(r->cfg, ev)) {
		r->filtered_user++;
		return 0;
	}
	return emit(r, ev, NULL);
}

static void flush_outputs(struct run *r)
{
	for (int i = 0; i < r->nouts; i++) {
		int err = wd_file_output_flush(r->outs[i]);

		if (!err)
			continue;
		r->output_errors++;
		/* `warden run | head`: the reader is gone, as for any filter */
		if (err == -EPIPE && !stop_requested) {
			fprintf(stderr, "warden: run: the reader of the output went away (EPIPE): stopping\n");
			stop_requested = 1;
		}
	}
}

static void collect_stats(struct run *r, struct wd_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = WD_EV_STATS;
	ev->time_ns = real_ns();
	ev->proc.pid = (uint32_t)getpid();
	memcpy(ev->proc.comm, "warden", 7);
	wd_agent_get_stats(r->agent, &ev->stats);
	ev->stats.output_errors += r->output_errors;
}

static void outputs_stats(struct run *r, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < r->nouts && n + 2 < len; i++) {
		if (!r->outs[i]->ops->stats)
			continue;
		if (n)
			buf[n++] = ',';
		r->outs[i]->ops->stats(r->outs[i], buf + n, len - n);
		n += strlen(buf + n);
	}
	if (r->fleet && n + 2 < len) {
		struct wd_fleet_stats fs;

		wd_fleet_get_stats(r->fleet, &fs);
		snprintf(buf + n, len - n,
			 "%s\"clickhouse\":{\"rows_queued\":%" PRIu64 ",\"rows_sent\":%" PRIu64
			 ",\"rows_spooled\":%" PRIu64 ",\"dropped_queue_full\":%" PRIu64
			 ",\"dropped_spool_full\":%" PRIu64 ",\"spool_bytes\":%" PRIu64 "}",
			 n ? "," : "", fs.rows_queued, fs.rows_sent, fs.rows_spooled,
			 fs.dropped_queue_full, fs.dropped_spool_full, fs.spool_bytes);
	}
}

static void stats_record(struct run *r)
{
	struct wd_event ev;
	char outs[1024];

	collect_stats(r, &ev);
	outputs_stats(r, outs, sizeof(outs));
	emit(r, &ev, outs);
	flush_outputs(r);
}

static bool stats_file_enabled(const struct wd_agent_config *c)
{
	return c->stats_file && *c->stats_file && strcmp(c->stats_file, "none");
}

/* The stats record into the stats file, atomically (write + rename). */
static void write_stats_file(struct run *r, struct wd_json_writer *w, bool *warned)
{
	const char *path = r->cfg->stats_file, *line;
	char tmp[PATH_MAX], outs[1024];
	struct wd_event ev;
	size_t len;
	FILE *f;

	if (!stats_file_enabled(r->cfg))
		return;
	collect_stats(r, &ev);
	outputs_stats(r, outs, sizeof(outs));
	if (wd_json_stats(w, &ev, outs, &line, &len))
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f) {
		if (errno == ENOENT) {
			/* /run/warden: made here (systemd's RuntimeDirectory does it too) */
			char dir[PATH_MAX], *slash;
			snprintf(dir, sizeof(dir), "%s", path);
			slash = strrchr(dir, '/');
			if (slash && slash != dir) {
				*slash = '\0';
				mkdir(dir, 0755);
				f = fopen(tmp, "we");
			}
		}
		if (!f) {
			if (!*warned)
				fprintf(stderr, "warden: run: cannot write the stats file %s: %s "
					"(--stats-file PATH, or none)\n", path, strerror(errno));
			*warned = true;
			return;
		}
	}
	fwrite(line, 1, len, f);
	fputc('\n', f);
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		if (!*warned)
			fprintf(stderr, "warden: run: cannot write the stats file %s: %s\n", path,
				strerror(errno));
		*warned = true;
	}
}

static void print_summary(const struct wd_event_stats *s, double secs, uint64_t filtered,
			  uint64_t fleet_dropped)
{
	uint64_t rx = 0, dr = s->lost_ring;

	for (int k = 0; k < WD_EV__COUNT; k++) {
		rx += s->received[k];
		dr += s->dropped[k];
	}
	fprintf(stderr, "warden run: %.1f s, %" PRIu64 " events received, %" PRIu64 " dropped\n",
		secs, rx, dr);
	fprintf(stderr, "  %-14s %12s %10s\n", "kind", "received", "dropped");
	for (int k = 0; k < WD_EV__COUNT; k++)
		if (s->received[k] || s->dropped[k])
			fprintf(stderr, "  %-14s %12" PRIu64 " %10" PRIu64 "\n",
				wd_event_kind_name((enum wd_event_kind)k), s->received[k], s->dropped[k]);
	fprintf(stderr, "  lost in the ring %" PRIu64 ", truncated %" PRIu64 ", tail calls failed %"
		PRIu64 ", chunks incomplete %" PRIu64 ", filtered in the kernel %" PRIu64
		", output errors %" PRIu64 "\n", s->lost_ring, s->truncated, s->tailcall_failed,
		s->chunks_incomplete, s->filtered_kernel, s->output_errors);
	if (filtered)
		fprintf(stderr, "  filtered by --container: %" PRIu64 "\n", filtered);
	if (fleet_dropped)
		fprintf(stderr, "  refused by the ClickHouse queue: %" PRIu64 "\n", fleet_dropped);
}

/* bpf/ next to the binary (build/warden -> build/bpf/), $WARDEN_BPF_DIR,
 * then the installed PREFIX/lib/warden/bpf (bin/../lib/warden/bpf). */
static const char *default_bpf_dir(char *buf, size_t size)
{
	const char *env = getenv("WARDEN_BPF_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "build/bpf";
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, size, "%s/bpf", exe);
	if (access(buf, R_OK) == 0)
		return buf;
	snprintf(buf, size, "%s/../lib/warden/bpf", exe);
	return buf;
}

static void fill_engine_opts(const struct wd_agent_config *c, struct wd_agent_opts *o, char *dirbuf,
			     size_t dirlen)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->filter.kinds = c->kinds;
	o->filter.uid = c->uid;
	o->filter.cgroup_id = c->cgroup_id;
	o->filter.pid_tree = c->pid_tree;
	o->filter.comm = c->comm;
	o->filter.path_prefix = c->path_prefix;
	o->latency_ms = c->latency_ms;
	o->ring_bytes = c->ring_bytes;
	o->bpf_dir = c->bpf_dir ? c->bpf_dir : default_bpf_dir(dirbuf, dirlen);
	o->transport = c->transport;
}

static int open_outputs(struct run *r)
{
	const struct wd_agent_config *c = r->cfg;
	struct wd_file_output_opts fo = { .text = c->format_text, .rotate_size = c->rotate_size,
					  .rotate_keep = c->rotate_keep };
	char err[512];

	if (c->out_stdout) {
		fo.path = NULL;
		if (!(r->outs[r->nouts++] = wd_file_output_open(&fo, err, sizeof(err))))
			return cli_fail("run", "%s", err);
	}
	if (c->out_file) {
		fo.path = c->out_file;
		if (!(r->outs[r->nouts] = wd_file_output_open(&fo, err, sizeof(err))))
			return cli_fail("run", "%s", err);
		r->nouts++;
	}
	if (c->clickhouse_url) {
		struct wd_fleet_opts fopts = {
			.sz = sizeof(fopts), .password_file = c->password_file, .spool_dir = c->spool_dir,
			.spool_max_bytes = c->spool_max_bytes, .batch_ms = c->batch_ms,
		};

		r->fleet = wd_fleet_open(c->clickhouse_url, &fopts, err, sizeof(err));
		if (!r->fleet)
			return cli_fail("run", "ClickHouse output: %s", err);
	}
	/* the JSON line is written once when a JSON output or the sink needs it */
	r->need_json = r->fleet || (r->nouts && !c->format_text);
	return 0;
}

static void close_outputs(struct run *r)
{
	for (int i = 0; i < r->nouts; i++)
		r->outs[i]->ops->close(r->outs[i]);
	r->nouts = 0;
	if (r->fleet)
		wd_fleet_close(r->fleet);
	r->fleet = NULL;
}

static void reopen_outputs(struct run *r)
{
	for (int i = 0; i < r->nouts; i++) {
		int err = r->outs[i]->ops->reopen ? r->outs[i]->ops->reopen(r->outs[i]) : 0;

		if (err)
			fprintf(stderr, "warden: run: SIGHUP: cannot reopen the %s output: %s "
				"(events go on to the old file)\n", r->outs[i]->ops->name, strerror(-err));
	}
}

static int run_loop(struct run *r)
{
	const struct wd_agent_config *c = r->cfg;
	int64_t start = mono_ns(), now = start;
	int64_t end = c->duration > 0 ? start + (int64_t)(c->duration * 1e9) : 0;
	int64_t next_stats = c->stats_interval ? start + (int64_t)c->stats_interval * 1000000000ll : 0;
	int64_t next_file = start;
	struct wd_json_writer sw;
	bool warned = false;
	int rc = 0;

	if (wd_json_writer_init(&sw, NULL))
		return cli_fail("run", "out of memory");
	while (!stop_requested) {
		int64_t wake = now + (int64_t)c->latency_ms * 1000000;

		if (end && end < wake)
			wake = end;
		if (next_stats && next_stats < wake)
			wake = next_stats;
		int timeout = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
		int n = wd_agent_poll(r->agent, timeout);
		if (n < 0 && n != -EINTR) {
			rc = cli_fail("run", "reading events: %s", strerror(-n));
			break;
		}
		flush_outputs(r);
		if (reopen_requested) {
			reopen_requested = 0;
			reopen_outputs(r);
		}
		now = mono_ns();
		if (next_stats && now >= next_stats) {
			stats_record(r);
			next_stats += (int64_t)c->stats_interval * 1000000000ll;
		}
		if (now >= next_file) {
			write_stats_file(r, &sw, &warned);
			next_file = now + 1000000000ll;
		}
		if (end && now >= end)
			break;
	}
	/* stop: what the rings hold, then a last stats record */
	wd_agent_poll(r->agent, 0);
	if (c->stats_interval)
		stats_record(r);
	flush_outputs(r);
	write_stats_file(r, &sw, &warned);
	wd_json_writer_free(&sw);
	return rc;
}

static int run_agent(struct wd_agent_config *cfg, bool explain)
{
	struct run r = { .cfg = cfg };
	struct wd_agent_opts opts;
	struct wd_event_stats st;
	char err[512], dir[PATH_MAX];
	int64_t t0;
	int rc;

	fill_engine_opts(cfg, &opts, dir, sizeof(dir));
	if (explain) {
		if (wd_agent_explain_only(&opts, stdout, err, sizeof(err)))
			return cli_fail("run", "%s", err);
		return 0;
	}
	if ((rc = open_outputs(&r)))
		goto out_close;
	if (wd_json_writer_init(&r.jw, NULL)) {
		rc = cli_fail("run", "out of memory");
		goto out_close;
	}
	install_signals();
	t0 = mono_ns();
	r.agent = wd_agent_start(&opts, on_event, &r, err, sizeof(err));
	if (!r.agent) {
		rc = cli_fail("run", "%s", err);
		goto out_json;
	}
	wd_agent_explain(r.agent, stderr);
	fprintf(stderr, "warden: run: attached in %.0f ms (%u links, %s)\n", (double)(mono_ns() - t0) / 1e6,
		wd_agent_link_count(r.agent), wd_agent_transport(r.agent));
	notify("READY=1\nSTATUS=attached");
	rc = run_loop(&r);
	notify("STOPPING=1");
	wd_agent_get_stats(r.agent, &st);
	st.output_errors += r.output_errors;
	wd_agent_stop(r.agent);
	print_summary(&st, (double)(mono_ns() - t0) / 1e9, r.filtered_user, r.fleet_dropped);
out_json:
	wd_json_writer_free(&r.jw);
out_close:
	close_outputs(&r);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a = { .explain = false };
	int rc;

	wd_config_init(&a.cfg);
	rc = parse_args(argc, argv, &a);
	if (!rc)
		rc = check_caps();
	if (!rc)
		rc = run_agent(&a.cfg, a.explain);
	wd_config_free(&a.cfg);
	return rc < 0 ? 0 : rc;
}

WD_CLI_COMMAND("run", cmd_run, "the agent: stream process, file and network events (ECS JSON)");
