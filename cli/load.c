// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden load FILE.o [-v|--log-level N] [--pin DIR] */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "warden/warden.h"
#include "warden/features.h"

static const char load_usage[] =
	"usage: warden load FILE.o [-v|--log-level N] [--pin DIR]\n"
	"\n"
	"Load every program and map of FILE.o into the kernel and print one line per\n"
	"program.  On failure, print why (with the verifier log) and exit 1.\n"
	"\n"
	"  -v, --log-level N  verifier log level on failure (1 default, 2 verbose)\n"
	"  --pin DIR          pin programs as DIR/<prog> and maps as DIR/maps/<map>\n"
	"                     (DIR on bpffs; /sys/fs/bpf is mounted when missing)\n";

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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct wd_load_opts lo = { .sz = sizeof(lo) };
	const char *pin = NULL;
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
		case 'h': fputs(load_usage, stdout); return 0;
		default: return cli_usage_error("load", "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("load", "expected one object file");
	obj = wd_object_open(argv[optind], NULL);
	if (!obj)
		return cli_fail("load", "%s", wd_errmsg());
	err = wd_object_load(obj, &lo);
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
	wd_object_close(obj);
	return 0;
}

WD_CLI_COMMAND("load", cmd_load, "load an object's programs and maps into the kernel");
