// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden load FILE.o [-v|--log-level N] [--pin DIR] [--attach [...]] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "warden/warden.h"
#include "warden/link.h"
#include "warden/features.h"
#include "warden/spec.h"

static const char load_usage[] =
	"usage: warden load FILE.o [-v] [--log-level N] [--pin DIR] [--attach [--iface IFACE]\n"
	"                   [--tc ingress|egress] [--cgroup PATH] [--keep-going] [--duration SEC]]\n"
	"\n"
	"Load every program and map of FILE.o into the kernel and print one line per\n"
	"program.  On failure, print why (with the verifier log) and exit 1.\n"
	"\n"
	"  -v, --verbose      on failure, the verbose verifier log (--log-level 2)\n"
	"  -l, --log-level N  verifier log level on failure: 1 (default) or 2\n"
	"  --pin DIR          pin programs as DIR/<prog>, maps as DIR/maps/<map> and, with\n"
	"                     --attach, links as DIR/links/<prog>: the attachments then\n"
	"                     outlive the command (remove them with 'warden detach DIR')\n"
	"  --attach           attach every program by its section name; without --pin,\n"
	"                     run until SIGINT/SIGTERM (or --duration) and detach everything\n"
	"  --iface IFACE      attach XDP and TC programs to this network interface\n"
	"  --tc DIR           ingress or egress, for TC programs whose section says neither\n"
	"  --cgroup PATH      attach cgroup programs to this cgroup (v2 directory)\n"
	"  -k, --keep-going   attach what can be attached and list the rest (exit 1 if any)\n"
	"  --duration SEC     with --attach: detach and exit after SEC seconds\n";

struct attach_opts {
	int ifindex;             /* --iface */
	const char *iface;
	int tc_egress;           /* --tc: -1 unset, 0 ingress, 1 egress */
	int cgroup_fd;           /* --cgroup, -1 unset */
	const char *cgroup;
	const char *pin;         /* --pin DIR: links go to DIR/links/<prog> */
	bool keep_going;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --cgroup PATH: a cgroup v2 directory (BPF attaches only there; a v1 or
 * tmpfs directory gets EBADF from the kernel).  0, or the exit status. */
static int open_cgroup(const char *path, int *fd)
{
	struct statfs fs;
	if (statfs(path, &fs))
		return cli_usage_error("load", "--cgroup %s: %s", path, strerror(errno));
	if ((unsigned long)fs.f_type != 0x63677270 /* CGROUP2_SUPER_MAGIC */)
		return cli_usage_error("load", "--cgroup %s is not a cgroup v2 directory (mount one "
				       "with: mount -t cgroup2 none DIR)", path);
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *fd < 0 ? cli_usage_error("load", "--cgroup %s: %s", path, strerror(errno)) : 0;
}

/* XDP, TC and cgroup programs attach where the options say; NULL with
 * *why set when the options do not say where. */
static struct wd_link *attach_where_told(struct wd_prog *p, const struct attach_opts *o,
					 const char **why)
{
	const struct wd_sec_def *def = wd_prog_sec_def(p);
	unsigned int kind = def ? def->attach : WD_ATTACH_NONE;

	*why = NULL;
	if (kind == WD_ATTACH_XDP || kind == WD_ATTACH_TC || kind == WD_ATTACH_TCX) {
		if (!o->ifindex) {
			*why = "needs a network interface: --iface IFACE";
			return NULL;
		}
		if (kind == WD_ATTACH_XDP) {
			struct wd_xdp_opts xo = { .sz = sizeof(xo) };
			return wd_prog_attach_xdp(p, o->ifindex, &xo);
		}
		struct wd_tc_opts to = { .sz = sizeof(to) };
		/* tc/egress, tcx/egress name their direction; plain tc and classifier take --tc */
		to.egress = def->expected_attach_type ? strstr(def->prefix, "egress") != NULL :
			    o->tc_egress == 1;
		if (!def->expected_attach_type && o->tc_egress < 0) {
			*why = "section 'tc' names no direction: --tc ingress|egress";
			return NULL;
		}
		return wd_prog_attach_tc(p, o->ifindex, &to);
	}
	if (kind == WD_ATTACH_CGROUP) {
		if (o->cgroup_fd < 0) {
			*why = "needs a cgroup: --cgroup PATH";
			return NULL;
		}
		return wd_prog_attach_cgroup(p, o->cgroup_fd);
	}
	*why = "its section names no attach point";
	return NULL;
}

/* --pin DIR: DIR/links/<prog>, so the attachment outlives this process. */
static int pin_link(struct wd_link *l, const char *name, const struct attach_opts *o)
{
	char dir[4096], path[4400];
	snprintf(dir, sizeof(dir), "%s/links", o->pin);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return cli_fail("load", "cannot make %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (wd_link_pin(l, path))
		return cli_fail("load", "%s (only BPF links can be pinned: this kernel attached "
				"'%s' another way)", wd_errmsg(), name);
	printf("pinned   %-24s %s\n", name, path);
	return 0;
}

/* struct_ops tables (a TCP congestion control...): registered as a whole,
 * never program by program.  Counts into *n and *failed as attach_all(). */
static int register_struct_ops(struct wd_object *obj, const struct attach_opts *o, int *n,
			       int *failed)
{
	struct wd_map *m;
	wd_object_for_each_map(m, obj) {
		struct wd_link *l;
		if (wd_map_type(m) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (!(l = wd_map_attach_struct_ops(m))) {
			if (!o->keep_going)
				return cli_fail("load", "%s", wd_errmsg());
			printf("failed   %-24s %s\n", wd_map_name(m), wd_errmsg());
			(*failed)++;
			continue;
		}
		printf("attached %-24s %s\n", wd_map_name(m), wd_link_describe(l));
		if (o->pin && pin_link(l, wd_map_name(m), o))
			return 1;
		(*n)++;
	}
	return 0;
}

/* Attach every program its section (and the options) place; 0, or 1 after
 * printing why.  With --keep-going every failure is listed and the rest
 * attached. */
static int attach_all(struct wd_object *obj, const struct attach_opts *o)
{
	struct wd_prog *p;
	int n = 0, failed = 0;
	wd_object_for_each_prog(p, obj) {
		struct wd_link *l;
		const char *why = NULL;
		if (wd_prog_type(p) == BPF_PROG_TYPE_STRUCT_OPS)
			continue;       /* registered with its table below */
		if (wd_prog_can_auto_attach(p))
			l = wd_prog_attach(p);
		else
			l = attach_where_told(p, o, &why);
		if (!l && why) {
			printf("not attached %-20s %s\n", wd_prog_name(p), why);
			continue;
		}
		if (!l) {
			if (!o->keep_going)
				return cli_fail("load", "%s", wd_errmsg());
			printf("failed   %-24s %s\n", wd_prog_name(p), wd_errmsg());
			failed++;
			continue;
		}
		printf("attached %-24s %s\n", wd_prog_name(p), wd_link_describe(l));
		if (o->pin && pin_link(l, wd_prog_name(p), o))
			return 1;
		n++;
	}
	if (register_struct_ops(obj, o, &n, &failed))
		return 1;
	if (failed)
		return cli_fail("load", "--keep-going: %d program%s not attached", failed,
				failed == 1 ? "" : "s");
	return n ? 0 : cli_fail("load", "--attach: no program of this object could be attached "
				 "(XDP/TC need --iface, cgroup programs --cgroup)");
}

/* Until SIGINT/SIGTERM, or `duration` seconds when > 0. */
static void run_attached(double duration)
{
	struct sigaction sa = { .sa_handler = on_stop };   /* no SA_RESTART */
	struct timespec start, now, tick = { 0, 100 * 1000 * 1000 };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	printf("running; %s to detach\n", duration > 0 ? "waiting --duration" : "Ctrl-C");
	fflush(stdout);
	while (!stop_requested) {
		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (duration > 0 && (double)(now.tv_sec - start.tv_sec) +
		    (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= duration)
			break;
	}
}

static void print_failure(const struct wd_object *obj)
{
	const struct wd_prog *p;
	wd_object_for_each_prog(p, obj) {
		const char *log = wd_prog_log(p);
		if (!log || !*log)
			continue;
		fprintf(stderr, "--- verifier log of '%s' ---\n%s", wd_prog_name(p), log);
		if (log[strlen(log) - 1] != '\n')
			fputc('\n', stderr);
		fprintf(stderr, "--- end of log ---\n");
	}
}

static int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-level", required_argument, NULL, 'l' },
		{ "pin", required_argument, NULL, 'p' },
		{ "attach", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "iface", required_argument, NULL, 'i' },
		{ "tc", required_argument, NULL, 't' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct wd_load_opts lo = { .sz = sizeof(lo) };
	struct attach_opts ao = { .tc_egress = -1, .cgroup_fd = -1 };
	const char *pin = NULL;
	bool attach = false;
	double duration = 0;
	char *end;
	struct wd_object *obj;
	const struct wd_prog *p;
	int c, err;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vl:p:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'v': lo.log_level = 2; break;
		case 'l':
			lo.log_level = atoi(optarg);
			if (lo.log_level < 1 || lo.log_level > 2)
				return cli_usage_error("load", "--log-level must be 1 or 2, not '%s'", optarg);
			break;
		case 'p': pin = optarg; break;
		case 'a': attach = true; break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || duration <= 0)
				return cli_usage_error("load", "--duration must be a positive number "
						       "of seconds, not '%s'", optarg);
			break;
		case 'i':
			ao.iface = optarg;
			if (!(ao.ifindex = (int)if_nametoindex(optarg)))
				return cli_usage_error("load", "--iface %s: no such network interface",
						       optarg);
			break;
		case 't':
			if (strcmp(optarg, "ingress") && strcmp(optarg, "egress"))
				return cli_usage_error("load", "--tc takes ingress or egress, not '%s'",
						       optarg);
			ao.tc_egress = !strcmp(optarg, "egress");
			break;
		case 'c': ao.cgroup = optarg; break;
		case 'k': ao.keep_going = true; break;
		case 'h': fputs(load_usage, stdout); return 0;
		default: return cli_bad_option("load", argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("load", "expected one object file");
	if (duration > 0 && !attach)
		return cli_usage_error("load", "--duration goes with --attach");
	if (!attach && (ao.iface || ao.cgroup || ao.tc_egress >= 0 || ao.keep_going))
		return cli_usage_error("load", "--iface, --tc, --cgroup and --keep-going go with --attach");
	if (ao.cgroup && (err = open_cgroup(ao.cgroup, &ao.cgroup_fd)))
		return err;
	ao.pin = attach ? pin : NULL;
	obj = wd_object_open(argv[optind], NULL);
	if (!obj)
		return cli_fail("load", "%s", wd_errmsg());
	if (!wd_object_next_prog(obj, NULL)) {
		/* nothing to load is not a success: exit 0 printing nothing hid a
		 * corrupt program section (issue 13) */
		cli_fail("load", "'%s' holds no program (no function symbol in an executable "
			 "section): nothing to load", argv[optind]);
		wd_object_close(obj);
		return 1;
	}
	err = wd_object_load(obj, &lo);
	if (wd_object_note(obj))
		fprintf(stderr, "warden: warning: %s\n", wd_object_note(obj));
	if (err) {
		const struct wd_prog *bad = wd_object_failed_prog(obj);
		print_failure(obj);
		/* the library says what failed; which command shows more is ours to say */
		if (bad && wd_prog_log(bad) && *wd_prog_log(bad))
			cli_fail("load", "%s; 'warden verify %s' shows the log line by line",
				 wd_errmsg(), argv[optind]);
		else if (bad && (err == -EPERM || err == -EINVAL))
			cli_fail("load", "%s; 'warden doctor %s' says what this kernel loads",
				 wd_errmsg(), argv[optind]);
		else
			cli_fail("load", "%s", wd_errmsg());
		wd_object_close(obj);
		return 1;
	}
	wd_object_for_each_prog(p, obj)
		printf("%-24s %-14s %5zu insns  fd %d\n", wd_prog_name(p),
		       wd_prog_type_name(wd_prog_type(p)), wd_prog_insn_cnt(p), wd_prog_fd(p));
	if (pin && (err = wd_object_pin(obj, pin))) {
		cli_fail("load", "%s", wd_errmsg());
		wd_object_close(obj);
		return 1;
	}
	if (pin)
		printf("pinned under %s\n", pin);
	if (attach && (err = attach_all(obj, &ao))) {
		wd_object_close(obj);
		if (ao.cgroup_fd >= 0)
			close(ao.cgroup_fd);
		return err;
	}
	/* pinned links stay attached after the command: nothing to wait for */
	if (attach && (!pin || duration > 0))
		run_attached(duration);
	else if (attach)
		printf("attachments pinned under %s/links: 'warden detach %s' removes them\n",
		       pin, pin);
	wd_object_close(obj);
	if (ao.cgroup_fd >= 0)
		close(ao.cgroup_fd);
	return 0;
}

WD_CLI_COMMAND("load", cmd_load, "load an object's programs and maps into the kernel");
