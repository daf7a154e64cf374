// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden load FILE.o [-v|--log-level N] [--pin DIR] [--attach [--duration SEC]] */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "warden/warden.h"
#include "warden/link.h"
#include "warden/features.h"

static const char load_usage[] =
	"usage: warden load FILE.o [-v|--log-level N] [--pin DIR] [--attach [--duration SEC]]\n"
	"\n"
	"Load every program and map of FILE.o into the kernel and print one line per\n"
	"program.  On failure, print why (with the verifier log) and exit 1.\n"
	"\n"
	"  -v, --log-level N  verifier log level on failure (1 default, 2 verbose)\n"
	"  --pin DIR          pin programs as DIR/<prog> and maps as DIR/maps/<map>\n"
	"                     (DIR on bpffs; /sys/fs/bpf is mounted when missing)\n"
	"  --attach           attach every program by its section name, then run until\n"
	"                     SIGINT/SIGTERM (or --duration) and detach everything\n"
	"  --duration SEC     with --attach: detach and exit after SEC seconds\n";

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Attach every program its section places; 0, or 1 after printing why one
 * failed.  Programs a section cannot place (socket, xdp, ...) are listed. */
static int attach_all(struct wd_object *obj)
{
	struct wd_prog *p;
	int n = 0;
	wd_object_for_each_prog(p, obj) {
		struct wd_link *l;
		if (!wd_prog_can_auto_attach(p)) {
			printf("not attached %-20s section '%s' names no attach point\n",
			       wd_prog_name(p), wd_prog_section(p));
			continue;
		}
		if (!(l = wd_prog_attach(p)))
			return cli_fail("load", "%s", wd_errmsg());
		printf("attached %-24s %s\n", wd_prog_name(p), wd_link_describe(l));
		n++;
	}
	return n ? 0 : cli_fail("load", "--attach: no program of this object can be attached "
				 "by its section name alone");
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct wd_load_opts lo = { .sz = sizeof(lo) };
	const char *pin = NULL;
	bool attach = false;
	double duration = 0;
	char *end;
	struct wd_object *obj;
	const struct wd_prog *p;
	int c, err;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vl:p:h", opts, NULL)) != -1) {
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
		case 'h': fputs(load_usage, stdout); return 0;
		default: return cli_usage_error("load", "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("load", "expected one object file");
	if (duration > 0 && !attach)
		return cli_usage_error("load", "--duration goes with --attach");
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
		print_failure(obj);
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
	if (attach && (err = attach_all(obj))) {
		wd_object_close(obj);
		return err;
	}
	if (attach)
		run_attached(duration);
	wd_object_close(obj);
	return 0;
}

WD_CLI_COMMAND("load", cmd_load, "load an object's programs and maps into the kernel");
